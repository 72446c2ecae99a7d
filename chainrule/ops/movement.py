"""Shape and movement primitives: values are rearranged, never changed, so each backward moves the
gradient back to where the values came from (reshape ↔ reshape, transpose ↔ inverse transpose,
slice ↔ scatter-add, concatenate ↔ split, pad ↔ crop)."""
from __future__ import annotations

import builtins
import math

from .. import backend as B
from .. import layouts
from ..amp.autocast_mode import autocast_op
from ..autograd.complex import real_part
from ..autograd.function import Function, primitive
from ..backend import array_namespace, pad_constant, xp
from ..tensor import Tensor


class ShapeError(ValueError, RuntimeError):
    """A shape that does not fit: PyTorch raises RuntimeError here, NumPy ValueError; this is
    both, so either ``except`` catches it."""


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


@primitive
class Reshape(Function):
    """Reshape (same elements, same order, new shape).

    Forward:     y = reshape(x, shape)
    Derivative:  a permutation-free relabelling of the elements: ∂yₖ/∂xₖ = 1
    VJP:         ∂L/∂x = reshape(g, shape of x)
    Numerics:    a view when possible; no arithmetic.
    """

    is_view = True      # its result may share the input's memory

    name = "reshape"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = reshape(x, s)", "∂L/∂x = reshape(g, shape(x))")
    latex = (r"y = \operatorname{reshape}(x, s)",
             r"\frac{\partial L}{\partial x} = \operatorname{reshape}(g, \operatorname{shape}(x))")
    explanation = "Reshaping relabels elements, so the gradient is relabelled back."
    reference = staticmethod(lambda x, shape: xp.reshape(x, shape))

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return B.reshape(x, shape)

    @staticmethod
    def vjp(ctx, g):
        return B.reshape(g, ctx.shape)

    @classmethod
    def explain_error(cls, exc, arrays, params):
        x = arrays[0]
        shape = params.get("shape")
        return ShapeError(f"reshape: cannot reshape ({_dims(x.shape)}), {x.size} elements, into "
                          f"{tuple(shape)}: the number of elements must stay the same "
                          f"(one size may be -1 to be inferred)")


@primitive
class Transpose(Function):
    """Permute axes.

    Forward:     y = transpose(x, p),  y[i_{p(0)}, …] = x[i₀, …]
    Derivative:  a permutation of the elements
    VJP:         ∂L/∂x = transpose(g, p⁻¹)
    Numerics:    a view; no arithmetic.
    """

    is_view = True      # its result may share the input's memory

    name = "transpose"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = transpose(x, p)", "∂L/∂x = transpose(g, p⁻¹)")
    latex = (r"y = x^{\top_p}", r"\frac{\partial L}{\partial x} = g^{\top_{p^{-1}}}")
    explanation = ("Transposing moves elements; the gradient is moved back by the inverse "
                   "permutation.")
    reference = staticmethod(lambda x, axes=None: xp.transpose(x, axes))

    @staticmethod
    def forward(ctx, x, axes=None):
        if axes is None:
            axes = tuple(range(x.ndim))[::-1]
        axes = tuple(a % x.ndim for a in axes) if x.ndim else ()
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                             f"{x.ndim} axes of a tensor of shape {x.shape}")
        ctx.inverse = tuple(int(i) for i in xp.argsort(axes))
        return x.transpose(axes) if hasattr(x, "transpose") else B.permute(x, axes)

    @staticmethod
    def vjp(ctx, g):
        return B.permute(g, ctx.inverse)


@primitive
class BroadcastTo(Function):
    """Broadcast to a larger shape (NumPy's broadcast_to, PyTorch's expand).

    Forward:     y = broadcast(x, shape): each element of x is repeated along stretched axes
    Derivative:  every copy of xᵢ depends on xᵢ with slope 1
    VJP:         ∂L/∂x = Σ over the copies of g    (the engine's unbroadcast)
    Numerics:    a read-only view; nothing is copied.
    """

    is_view = True      # its result may share the input's memory

    name = "broadcast_to"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = broadcast(x, shape)", "∂L/∂x = Σ_copies g")
    latex = (r"y = \operatorname{broadcast}(x, s)",
             r"\frac{\partial L}{\partial x} = \sum_{\text{copies}} g")
    explanation = "A value used many times receives the sum of the gradients of all its uses."
    reference = staticmethod(lambda x, shape: xp.broadcast_to(x, shape))

    @staticmethod
    def forward(ctx, x, shape):
        return array_namespace(x).broadcast_to(x, tuple(shape))

    @staticmethod
    def vjp(ctx, g):
        return g

    @classmethod
    def explain_error(cls, exc, arrays, params):
        return ValueError(f"broadcast_to: cannot broadcast ({_dims(arrays[0].shape)}) to "
                          f"{tuple(params['shape'])}: aligned from the right, each size must equal "
                          f"the target's or be 1")


@primitive
class Squeeze(Function):
    """Remove axes of size 1.

    Forward:     y = squeeze(x, axis)
    Derivative:  a relabelling of the elements
    VJP:         ∂L/∂x = reshape(g, shape of x)
    Numerics:    a view.
    """

    is_view = True      # its result may share the input's memory

    name = "squeeze"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = squeeze(x)", "∂L/∂x = reshape(g, shape(x))")
    latex = (r"y = \operatorname{squeeze}(x)",
             r"\frac{\partial L}{\partial x} = \operatorname{reshape}(g, \operatorname{shape}(x))")
    explanation = "Dropping size-1 axes changes only the shape, so the gradient is reshaped back."
    reference = staticmethod(lambda x, axis=None: xp.squeeze(x, axis))

    @staticmethod
    def forward(ctx, x, axis=None):
        ctx.shape = x.shape
        if axis is not None and x.ndim == 0:
            for a in (axis,) if isinstance(axis, int) else tuple(axis):
                if a not in (0, -1):
                    raise IndexError(f"squeeze: dim {a} is out of range for a 0-d tensor "
                                     "(valid: -1, 0)")
            return x.view() if hasattr(x, "view") else B.reshape(x, ())
        if axis is not None:
            axes = (axis,) if isinstance(axis, int) else tuple(axis)
            # PyTorch leaves an axis alone if its size is not 1; NumPy raises. We follow PyTorch.
            axis = tuple(a for a in axes if x.shape[a] == 1)
        ns = array_namespace(x)
        if ns is not xp and axis is None:       # the standard's squeeze names its axes
            axis = tuple(i for i, n in enumerate(x.shape) if n == 1)
        return ns.squeeze(x, axis)

    @staticmethod
    def vjp(ctx, g):
        return B.reshape(g, ctx.shape)


@primitive
class ExpandDims(Function):
    """Insert an axis of size 1 (PyTorch's unsqueeze).

    Forward:     y = expand_dims(x, axis)
    Derivative:  a relabelling of the elements
    VJP:         ∂L/∂x = reshape(g, shape of x)
    Numerics:    a view.
    """

    is_view = True      # its result may share the input's memory

    name = "expand_dims"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = expand_dims(x, axis)", "∂L/∂x = reshape(g, shape(x))")
    latex = (r"y = \operatorname{unsqueeze}(x, a)",
             r"\frac{\partial L}{\partial x} = \operatorname{reshape}(g, \operatorname{shape}(x))")
    explanation = "Adding a size-1 axis changes only the shape, so the gradient is reshaped back."
    reference = staticmethod(lambda x, axis: xp.expand_dims(x, axis))

    @staticmethod
    def forward(ctx, x, axis):
        ctx.shape = x.shape
        ns = array_namespace(x)
        if ns is not xp and not isinstance(axis, int):     # the standard inserts one axis
            shape = list(x.shape)
            for a in sorted(b % (x.ndim + len(axis)) for b in axis):
                shape.insert(a, 1)
            return ns.reshape(x, tuple(shape))
        return ns.expand_dims(x, axis=axis)

    @staticmethod
    def vjp(ctx, g):
        return B.reshape(g, ctx.shape)


def _along(axis: int, start, stop=None):
    """An index selecting ``start:stop`` (or the single position ``start``) along ``axis``."""
    return (builtins.slice(None),) * axis + ((builtins.slice(start, stop),) if stop is not None
                                             else (start,)) + (Ellipsis,)


@primitive
class Concatenate(Function):
    """Join tensors along an existing axis.

    Forward:     y = [x₁ ‖ x₂ ‖ … ‖ xₙ] along axis
    Derivative:  each block of y is the identity of its xᵢ
    VJP:         ∂L/∂xᵢ = the block of g where xᵢ was placed
    Numerics:    one copy.
    """

    name = "concatenate"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = [x₁ ‖ … ‖ xₙ]", "∂L/∂xᵢ = g[block i]")
    latex = (r"y = [x_1 \,\|\, \cdots \,\|\, x_n]",
             r"\frac{\partial L}{\partial x_i} = g_{[\text{block } i]}")
    explanation = ("Concatenation places inputs side by side; the gradient is cut back into the "
                   "same pieces.")
    reference = staticmethod(lambda *xs, axis=0: xp.concatenate(xs, axis=axis))

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ns = array_namespace(*xs)
        out = xp.concatenate(xs, axis=axis) if ns is xp else ns.concat(xs, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.bounds = list(xp.cumsum([0] + [x.shape[ctx.axis] for x in xs]).tolist())
        return out

    @staticmethod
    def vjp(ctx, g):
        b = ctx.bounds
        return tuple(g[_along(ctx.axis, b[i], b[i + 1])] for i in range(len(b) - 1))

    @classmethod
    def explain_error(cls, exc, arrays, params):
        shapes = ", ".join(f"({_dims(a.shape)})" for a in arrays)
        return ValueError(f"concatenate: cannot join shapes {shapes} along axis "
                          f"{params.get('axis', 0)}: all sizes except along that axis must match, "
                          f"and all inputs need the same number of dimensions")


@primitive
class Stack(Function):
    """Join tensors along a new axis.

    Forward:     y[…, i, …] = xᵢ
    Derivative:  each slice of y is the identity of its xᵢ
    VJP:         ∂L/∂xᵢ = g[…, i, …]
    Numerics:    one copy.
    """

    name = "stack"
    complex_grad = "real_linear"
    array_api = True
    text = ("y[…, i, …] = xᵢ", "∂L/∂xᵢ = g[…, i, …]")
    latex = (r"y_{\ldots i \ldots} = x_i", r"\frac{\partial L}{\partial x_i} = g_{\ldots i \ldots}")
    explanation = "Stacking adds an axis that indexes the inputs; the gradient is unstacked."
    reference = staticmethod(lambda *xs, axis=0: xp.stack(xs, axis=axis))

    @staticmethod
    def forward(ctx, *xs, axis=0):
        out = array_namespace(*xs).stack(xs, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.count = len(xs)
        return out

    @staticmethod
    def vjp(ctx, g):
        return tuple(g[_along(ctx.axis, i)] for i in range(ctx.count))

    @classmethod
    def explain_error(cls, exc, arrays, params):
        shapes = ", ".join(f"({_dims(a.shape)})" for a in arrays)
        return ValueError(f"stack: all inputs must have the same shape; got {shapes}")


@primitive
class Pad(Function):
    """Pad with a constant.

    Forward:     y = x surrounded by (before, after) entries of value c on each axis
    Derivative:  the inner block of y is x; the padding does not depend on x
    VJP:         ∂L/∂x = g cropped to the inner block
    Numerics:    one copy.
    """

    name = "pad"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = pad(x, (before, after), c)", "∂L/∂x = crop(g)")
    latex = (r"y = \operatorname{pad}(x)",
             r"\frac{\partial L}{\partial x} = \operatorname{crop}(g)")
    explanation = "Padding adds constants around x; only the original positions pass gradient back."
    reference = staticmethod(lambda x, pad_width, value=0.0: xp.pad(
        x, pad_width, mode="constant", constant_values=value))

    @staticmethod
    def forward(ctx, x, pad_width, value=0.0):
        widths = xp.broadcast_to(xp.asarray(pad_width, dtype=xp.int64), (x.ndim, 2))
        if (widths < 0).any():
            raise ValueError(f"pad: widths must be ≥ 0, got {pad_width}")
        ctx.crop = tuple(builtins.slice(int(b), int(b) + n) for (b, _), n in zip(widths, x.shape))
        if type(x) is not xp.ndarray and B.is_foreign_array(x):     # another library
            from . import movement_standard

            return movement_standard.pad(x, widths, value)
        return pad_constant(x, widths, value)

    @staticmethod
    def vjp(ctx, g):
        return g[ctx.crop]


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, builtins.slice)) or p is None or p is Ellipsis for p in parts)


def _normalize_index(index):
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return xp.asarray(index)
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    return index


def _scatter(g, shape, index, basic: bool):
    out = xp.zeros(shape, dtype=g.dtype)
    if basic or (isinstance(index, xp.ndarray) and index.dtype == xp.bool_):
        out[index] = g          # no position is selected twice
    else:
        xp.add.at(out, index, g)  # repeated indices accumulate
    return out


@primitive
class Getitem(Function):
    """Indexing and slicing: basic (ints, slices, None, ...), integer arrays and boolean masks.

    Forward:     y = x[index]
    Derivative:  each yₖ is one element x_{index(k)}
    VJP:         ∂L/∂x = scatter-add of g into zeros at the indexed positions
    Numerics:    basic slices are views; repeated integer indices accumulate their gradients.
                 Other array libraries: basic indices as they are, the rest as one ``take`` of
                 rows and a scatter-add by gathers (ops/movement_standard.py).
    """

    is_view = True      # its result may share the input's memory

    name = "getitem"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = x[index]", "∂L/∂x = scatter_add(0, index, g)")
    latex = (r"y = x_{[\text{index}]}",
             r"\frac{\partial L}{\partial x} = \operatorname{scatter\_add}(0, \text{index}, g)")
    explanation = ("Selection copies elements; each selected position collects the gradient of "
                   "every place it was copied to.")
    reference = staticmethod(lambda x, index: x[index])

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape = x.shape
        ctx.index = index
        ctx.basic = _is_basic(index)
        if type(x) is not xp.ndarray and B.is_foreign_array(x):     # another library
            from . import movement_standard

            return movement_standard.gather(x, index)
        return x[index] if ctx.basic else layouts.indexed(x[index], x, index)

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            return ScatterAdd.apply(g, shape=ctx.shape, index=ctx.index, basic=ctx.basic)
        if type(g) is not xp.ndarray and B.is_foreign_array(g):
            from . import movement_standard

            return movement_standard.scatter(g, ctx.shape, ctx.index)
        return _scatter(g, ctx.shape, ctx.index, ctx.basic)

    @classmethod
    def explain_error(cls, exc, arrays, params):
        return type(exc)(f"getitem: index {params.get('index')!r} does not fit a tensor of shape "
                         f"({_dims(arrays[0].shape)}): {exc}")


@primitive
class ScatterAdd(Function):
    """Add values into a tensor of zeros at indexed positions (the adjoint of getitem).

    Forward:     y = 0;  y[index] += v
    Derivative:  each v_k lands in one element of y
    VJP:         ∂L/∂v = g[index]
    Numerics:    repeated positions accumulate (other array libraries: by gathers, in the order
                 of occurrence; ops/movement_standard.py).
    """

    name = "scatter_add"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = 0;  y[index] += v", "∂L/∂v = g[index]")
    latex = (r"y = 0,\; y_{[\text{index}]} \mathrel{+}= v",
             r"\frac{\partial L}{\partial v} = g_{[\text{index}]}")
    explanation = ("Getitem's backward as a primitive, so that gradients of gradients flow "
                   "through it.")
    reference = staticmethod(lambda v, shape, index, basic=False: _scatter(v, shape, index, basic))

    @staticmethod
    def forward(ctx, v, shape, index, basic=False):
        ctx.index = index
        if type(v) is not xp.ndarray and B.is_foreign_array(v):     # another library
            from . import movement_standard

            return movement_standard.scatter(v, shape, index)
        return _scatter(v, shape, index, basic)

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            return Getitem.apply(g, index=ctx.index)    # NumPy's index rules, as forward's
        if type(g) is not xp.ndarray and B.is_foreign_array(g):
            from . import movement_standard

            return movement_standard.gather(g, ctx.index)
        return g[ctx.index]


@primitive
class AsType(Function):
    """Change the floating-point precision.

    Forward:     y = x (rounded to the new dtype)
    Derivative:  ∂y/∂x = 1
    VJP:         ∂L/∂x = g in x's dtype
    Numerics:    float64 → float32 rounds to about 7 significant digits.
    """

    name = "astype"
    complex_grad = "explicit"
    array_api = True
    text = ("y = x (in a new dtype)", "∂y/∂x = 1")
    latex = (r"y = x", r"\frac{\partial y}{\partial x} = 1")
    explanation = "A cast is the identity on values, so the gradient passes through, cast back."
    reference = staticmethod(lambda x, dtype: x.astype(dtype))

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return B.astype(x, dtype)

    @staticmethod
    def vjp(ctx, g):
        # real → complex: the real input's gradient is the real part of g (handle_r_to_c)
        if B.dtype_kind(g.dtype) == "c" and B.dtype_kind(ctx.dtype) != "c":
            g = real_part(g)
        return B.astype(g, ctx.dtype)


class AsDiscrete(AsType):
    """A cast to an integer or bool dtype: the same values rounded toward zero (or tested for
    ≠ 0), with no derivative (the output never requires grad, as in PyTorch). A primitive all
    the same, so that ``chainrule.compile`` records it."""

    differentiable = False
    text = ("y = x (in an integer or bool dtype)", "no derivative (a discrete output)")
    latex = (r"y = x", r"\text{no derivative (a discrete output)}")

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype) if type(x) is xp.ndarray else B.astype(x, dtype)


@primitive
class Copy(Function):
    """A copy that does not share memory with its input (PyTorch's clone).

    Forward:     y = x
    Derivative:  ∂y/∂x = 1
    VJP:         ∂L/∂x = g
    Numerics:    one copy.
    """

    name = "copy"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = x", "∂y/∂x = 1")
    latex = (r"y = x", r"\frac{\partial y}{\partial x} = 1")
    explanation = "The identity: the gradient passes through unchanged."
    reference = staticmethod(lambda x: x.copy())

    @staticmethod
    def forward(ctx, x):
        return x.copy() if hasattr(x, "copy") else array_namespace(x).asarray(x, copy=True)

    @staticmethod
    def vjp(ctx, g):
        return g


# ---------------------------------------------------------------------- public functions
def reshape(x, shape):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Reshape.apply(x, shape=shape)


def transpose(x, *dims, axes=None):
    """PyTorch's ``transpose(x, dim0, dim1)`` (two ints: swap those two axes) and NumPy's
    ``transpose(x, axes=None)`` (one permutation, or none: reverse the axes)."""
    if len(dims) == 2 and all(isinstance(d, int) for d in dims):
        return swapaxes(x, *dims)
    if len(dims) > 1:
        raise TypeError(f"transpose: expected two dims (PyTorch) or one permutation (NumPy), "
                        f"got {dims!r}")
    if dims:
        axes = dims[0]
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


def permute(x, *dims, **keyword):
    """PyTorch's ``permute(dims)``: the axes in the order ``dims`` (a tuple, the axes as separate
    arguments, or ``dims=``); ``dims`` is required, as in PyTorch (``()`` only for a 0-d tensor)."""
    if keyword:
        if dims or set(keyword) != {"dims"}:
            raise TypeError(f"permute() got unexpected keyword arguments {sorted(keyword)}; "
                            f"give the order as dims=(…) or as positional arguments")
        dims = (keyword["dims"],)
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    return transpose(x, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)


def swapaxes(x, axis1: int, axis2: int):
    """Exchange two axes (PyTorch's ``transpose(dim0, dim1)``): a transpose with a swapped order."""
    ndim = x.ndim
    order = list(range(ndim))
    if ndim == 0:       # as PyTorch: a 0-d tensor has the dims 0 and −1 only
        if {axis1, axis2} - {0, -1}:
            raise IndexError(f"transpose: dimension out of range for a 0-d tensor: got "
                             f"({axis1}, {axis2}), expected 0 or -1")
        return transpose(x, ())
    for axis in (axis1, axis2):
        if not -ndim <= axis < ndim:
            raise IndexError(f"transpose: dimension out of range (expected to be in range of "
                             f"[{-ndim}, {ndim - 1}], but got {axis}) for a tensor of shape "
                             f"{tuple(x.shape)}")
    a, b = axis1 % ndim, axis2 % ndim
    order[a], order[b] = order[b], order[a]
    return transpose(x, order)


def moveaxis(x, source: int, destination: int):
    order = list(range(x.ndim))
    order.insert(destination % x.ndim, order.pop(source % x.ndim))
    return transpose(x, order)


def broadcast_to(x, shape):
    """Broadcast to ``shape``; −1 keeps the size the input has there (aligned from the right),
    as PyTorch's ``broadcast_to`` and ``expand``."""
    shape = tuple(shape)
    if -1 in shape:
        lead = len(shape) - x.ndim
        if lead < 0 or any(s == -1 for s in shape[:lead]):
            raise ValueError(f"broadcast_to: -1 is only allowed where the input {tuple(x.shape)} "
                             f"has a dimension, got target {shape}")
        shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return BroadcastTo.apply(x, shape=shape)


def squeeze(x, axis=None):
    return Squeeze.apply(x, axis=axis)


def expand_dims(x, axis):
    return ExpandDims.apply(x, axis=axis)


unsqueeze = expand_dims


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge axes start_dim…end_dim into one (PyTorch's flatten): a reshape."""
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    merged = math.prod(shape[s:e + 1])
    return reshape(x, shape[:s] + (merged,) + shape[e + 1:])


@autocast_op("cat")
def concatenate(tensors, axis: int = 0):
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    dtypes = {t._data.dtype for t in tensors if isinstance(t, Tensor)}
    if len(dtypes) > 1:
        # PyTorch's promotion (float32 beside int64 stays float32, where NumPy would make
        # float64), with a differentiable cast: the standard's concat takes one dtype only
        from .promotion import promote
        tensors = promote(*tensors)[0]
    return Concatenate.apply(*tensors, axis=axis)


@autocast_op("cat")
def cat(tensors, dim: int = 0):
    """PyTorch's name for :func:`concatenate`."""
    return concatenate(tensors, axis=dim)


@autocast_op("stack")
def stack(tensors, axis: int = 0, *, dim: int | None = None):
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    return Stack.apply(*tensors, axis=axis if dim is None else dim)


def split(x, split_size_or_sections, dim: int = 0):
    """Split into pieces along ``dim`` (PyTorch's semantics): an int gives pieces of that size
    (the last may be smaller); a list gives the size of each piece. Each piece is a slice
    (getitem), so split needs no derivative of its own."""
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [builtins.min(step, size - i) for i in range(0, size, step)]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != size:
            raise ValueError(f"split: sections {sizes} add up to {builtins.sum(sizes)}, but the "
                             f"axis {dim} has size {size}")
    axis = dim % x.ndim
    pieces, start = [], 0
    for n in sizes:
        pieces.append(getitem(x, _along(axis, start, start + n)))
        start += n
    return tuple(pieces)


def chunk(x, chunks: int, dim: int = 0):
    size = x.shape[dim]
    return split(x, -(-size // chunks), dim)


def pad(x, pad_width, mode: str = "constant", constant_values=0.0):
    """NumPy's pad (constant mode): ``pad_width`` per axis as (before, after)."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    return Pad.apply(x, pad_width=pad_width, value=constant_values)


def getitem(x, index):
    return Getitem.apply(x, index=_normalize_index(index))


def astype(x, dtype):
    dtype = xp.dtype(dtype)
    if dtype.kind not in "fc":
        if isinstance(x, Tensor):
            return AsDiscrete.apply(x, dtype=dtype)
        return Tensor._from_op(x.astype(dtype) if type(x) is xp.ndarray
                               else B.astype(x, dtype), None)
    return AsType.apply(x, dtype=dtype)


def copy(x):
    return Copy.apply(x)
