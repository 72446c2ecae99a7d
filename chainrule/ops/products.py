"""Products of vectors, matrices and tensors: mm, bmm, mv, dot, vdot, inner, outer/ger, the
``add*`` forms (addmm, addbmm, baddbmm, addmv, addr), einsum, tensordot, kron and trace.

Everything except einsum is a composite of matmul, multiply and movement primitives (so the
gradients are theirs). :class:`Einsum` is a primitive whose VJP is einsum again: the gradient for
one operand contracts the upstream gradient with all the other operands.
"""
from __future__ import annotations

import string

from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import array_namespace, asarray_like, dtype_kind, namespace, numpy_dtype, xp
from ..tensor import Tensor, tensor_method
from .elementwise import where
from .linalg import matmul
from .products_standard import einsum as einsum_standard
from .promotion import as_tensor_input


def _dims(t) -> str:
    return "×".join(str(s) for s in t.shape) if t.ndim else "scalar"


def _need(name: str, t, ndim: int, what: str) -> None:
    if t.ndim != ndim:
        raise RuntimeError(f"{name}: {what} must be a {ndim}-D tensor, got shape ({_dims(t)})")


def _same_dtype(name: str, a, b) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")


@tensor_method
@autocast_op("mm")
def mm(input, mat2) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """Matrix product of (n×k) and (k×m) matrices (no broadcasting)."""
    _need("mm", input, 2, "self")
    _need("mm", mat2, 2, "mat2")
    _same_dtype("mm", input, mat2)
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied ({_dims(input)} and "
                           f"{_dims(mat2)})")
    return matmul(input, mat2)


@tensor_method
@autocast_op("bmm")
def bmm(input, mat2) -> Tensor:  # noqa: A002
    """Batched matrix product (b×n×k)(b×k×m) → (b×n×m) (no broadcasting)."""
    _need("bmm", input, 3, "batch1")
    _need("bmm", mat2, 3, "batch2")
    _same_dtype("bmm", input, mat2)
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: batch1 ({_dims(input)}) and batch2 ({_dims(mat2)}) need equal "
                           "batch sizes and inner sizes")
    return matmul(input, mat2)


@tensor_method
@autocast_op("mv")
def mv(input, vec) -> Tensor:  # noqa: A002
    """Matrix–vector product (n×k)(k) → (n)."""
    _need("mv", input, 2, "self")
    _need("mv", vec, 1, "vec")
    _same_dtype("mv", input, vec)
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got input ({_dims(input)}) and vec ({_dims(vec)})")
    return matmul(input, vec)


@tensor_method
@autocast_op("dot")
def dot(input, tensor) -> Tensor:  # noqa: A002
    """Σᵢ xᵢ yᵢ of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    _need("dot", input, 1, "1st argument")
    _need("dot", tensor, 1, "2nd argument")
    _same_dtype("dot", input, tensor)
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{input.shape[0]}] "
                           f"and src [{tensor.shape[0]}] to have the same number of elements")
    return matmul(input, tensor)


@tensor_method
def vdot(input, other) -> Tensor:  # noqa: A002
    """Σᵢ conj(xᵢ) yᵢ; for real tensors the same as :func:`dot`."""
    if isinstance(input, Tensor) and dtype_kind(input._data.dtype) == "c":
        from .complex_grad import Conj

        input = Conj.apply(input)
    return dot(input, other)


@tensor_method
def inner(input, other) -> Tensor:  # noqa: A002
    """Contraction over the last dimensions: shape input.shape[:-1] + other.shape[:-1]; a 0-d
    operand multiplies."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner: the last dimensions must match, got ({_dims(input)}) and "
                           f"({_dims(other)})")
    return tensordot(input, other, ([-1], [-1]))


@tensor_method
def outer(input, vec2) -> Tensor:  # noqa: A002
    """The outer product xᵢ yⱼ of two 1-D tensors."""
    _need("outer", input, 1, "input")
    _need("outer", vec2, 1, "vec2")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = tensor_method(outer, name="ger")


def _scaled_sum(name: str, input, product, beta, alpha):
    """β · input + α · product; with β = 0 the input is ignored (NaN in it does not propagate)."""
    scaled = product if alpha == 1 else product * alpha
    try:
        shape = xp.broadcast_shapes(tuple(input.shape), tuple(scaled.shape))
    except ValueError:
        shape = None
    if shape != tuple(scaled.shape):
        raise RuntimeError(f"{name}: the input of shape ({_dims(input)}) must broadcast to the "
                           f"product's shape ({_dims(scaled)})")
    if beta == 0:           # input is not read (its NaNs do not propagate); its gradient is 0
        return where(xp.zeros(shape, dtype=bool), input, scaled)
    return (input if beta == 1 else input * beta) + scaled


@tensor_method(inplace=True)
@autocast_op("addmm")
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """β · input + α · (mat1 @ mat2)."""
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


@tensor_method(inplace=True)
@autocast_op("baddbmm")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """β · input + α · bmm(batch1, batch2)."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


@tensor_method(inplace=True)
@autocast_op("addbmm")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """β · input + α · Σ_b batch1[b] @ batch2[b]."""
    return _scaled_sum("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


@tensor_method(inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """β · input + α · (mat @ vec)."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


@tensor_method(inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """β · input + α · outer(vec1, vec2)."""
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


@tensor_method
@autocast_op("trace")
def trace(input) -> Tensor:  # noqa: A002
    """The sum of the main diagonal of a 2-D tensor (PyTorch's matrix trace)."""
    _need("trace", input, 2, "input")
    n = min(input.shape)
    i = asarray_like(xp.arange(n), input._data)
    diagonal = input[Tensor._from_op(i, None), Tensor._from_op(i, None)]
    out = diagonal.sum()
    if dtype_kind(input._data.dtype) in "biu":
        out = out.to(xp.int64)
    return out


def tensordot(a, b, dims=2, out=None) -> Tensor:
    """Contract ``dims`` trailing axes of ``a`` with leading axes of ``b`` (an int), or the
    listed axes (a pair of lists)."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        axes_a = list(range(a.ndim - dims, a.ndim))
        axes_b = list(range(dims))
    else:
        axes_a, axes_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if isinstance(axes_a, Tensor):
            axes_a = axes_a.tolist()
        axes_a = [d % a.ndim for d in axes_a]
        axes_b = [d % b.ndim for d in axes_b]
    if len(axes_a) != len(axes_b):
        raise RuntimeError(f"tensordot: both dimension lists should have the same length, got "
                           f"{axes_a} and {axes_b}")
    for da, db in zip(axes_a, axes_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[da]} in dim {da} and second has size "
                               f"{b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    k = 1
    for d in axes_a:
        k *= a.shape[d]
    shape_a = [a.shape[d] for d in free_a]
    shape_b = [b.shape[d] for d in free_b]
    m = n = 1
    for s in shape_a:
        m *= s
    for s in shape_b:
        n *= s
    a2 = a.permute(free_a + axes_a).reshape(m, k) if a.ndim else a.reshape(1, 1)
    b2 = b.permute(axes_b + free_b).reshape(k, n) if b.ndim else b.reshape(1, 1)
    return matmul(a2, b2).reshape(shape_a + shape_b)


@tensor_method
def kron(input, other) -> Tensor:  # noqa: A002
    """The Kronecker product: blocks input[i] · other, shape input.shape * other.shape."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    a = a.reshape(tuple(s for d in a.shape for s in (d, 1)))
    b = b.reshape(tuple(s for d in b.shape for s in (1, d)))
    return (a * b).reshape(tuple(p * q for p, q in zip(a.shape[::2], b.shape[1::2])))


# ------------------------------------------------------------------ einsum
_LETTERS = string.ascii_letters


def _parse(equation: str, shapes) -> tuple[list[str], str]:
    """Operand subscripts and output subscripts with '...' spelled out in unused letters, and the
    implicit output (letters seen once, sorted, after the ellipsis) made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum(): the equation {equation!r} names {len(inputs)} operands, but "
                         f"{len(shapes)} were given")
    used = set(c for c in equation if c in _LETTERS)
    free = [c for c in _LETTERS if c not in used]
    ell_ndim = 0
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            ell_ndim = max(ell_ndim, len(shape) - (len(sub) - 3))
    ell = "".join(free[:ell_ndim])
    subs = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_ndim - n:] if n else "")
        if len(sub) != len(shape) or any(c not in _LETTERS for c in sub):
            raise ValueError(f"einsum(): the subscripts {sub!r} do not fit an operand of "
                             f"{len(shape)} dimensions")
        subs.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {c: "".join(subs).count(c) for c in set("".join(subs))}
        out = ell + "".join(sorted((c for c, k in counts.items() if k == 1 and c not in ell),
                                   key=lambda c: (c.isupper(), c)))
    return subs, out


@primitive
class Einsum(Function):
    """Einstein summation: the product of the operands summed over the indices not in the output.

    Forward:     out[o] = Σ_{indices ∉ o} Πₖ operandₖ[sₖ]
    Derivative:  ∂out[o]/∂operandᵢ[sᵢ] = Π_{k ≠ i} operandₖ[sₖ]
    VJP:         ∂L/∂operandᵢ = einsum(g[o], operandₖ[sₖ] for k ≠ i → sᵢ); an index repeated in
                 sᵢ (a diagonal) gets an identity factor, an index only in sᵢ a factor of ones
    Numerics:    NumPy's einsum with optimize=True (pairwise contractions through BLAS). Other
                 array libraries: their own einsum, else broadcast products and sums by the
                 standard's functions (ops/products_standard.py; no BLAS).
    """

    name = "einsum"
    complex_grad = "holomorphic"
    array_api = True
    text = ("out[o] = Σ Πₖ Aₖ[sₖ]", "∂L/∂Aᵢ = einsum(g, Aₖ (k ≠ i) → sᵢ)")
    latex = (r"\mathrm{out}_{o} = \sum \prod_k A^{(k)}_{s_k}",
             r"\frac{\partial L}{\partial A^{(i)}} = \operatorname{einsum}(g, A^{(k \ne i)} "
             r"\to s_i)")
    explanation = "A sum of products is linear in each operand, so its gradient is again one."
    reference = staticmethod(lambda *arrays, equation: xp.einsum(equation, *arrays))

    @staticmethod
    def forward(ctx, *arrays, equation):
        subs, out = _parse(equation, [a.shape for a in arrays])
        ctx.subs, ctx.out = subs, out
        ctx.save(*arrays)
        equation = ",".join(subs) + "->" + out
        ns = array_namespace(*arrays)
        if ns is not xp:
            return _einsum_of(ns, equation, *arrays)
        return xp.einsum(equation, *arrays, optimize=len(arrays) > 2)

    @staticmethod
    def vjp(ctx, g):
        operands = ctx.saved
        ns = namespace(g)
        needs = ctx.needs_input_grad
        used = set("".join(ctx.subs) + ctx.out)
        fresh = iter(c for c in _LETTERS if c not in used)
        grads = []
        for i, sub in enumerate(ctx.subs):
            if not needs[i]:
                grads.append(None)
                continue
            dtype = numpy_dtype(operands[i].dtype)
            terms, args = [ctx.out], [g]
            for k, other in enumerate(operands):
                if k != i:
                    terms.append(ctx.subs[k])
                    args.append(other)
            target = []
            available = set(ctx.out + "".join(s for k, s in enumerate(ctx.subs) if k != i))
            seen = set()
            for axis, c in enumerate(sub):
                size = operands[i].shape[axis]
                if c in seen:                       # a diagonal: δ(c, c′) with a fresh c′
                    c2 = next(fresh)
                    terms.append(c + c2)
                    args.append(_constant(ns, xp.eye(size, dtype=dtype), g))
                    target.append(c2)
                    continue
                seen.add(c)
                if c not in available:              # summed in this operand only: ones
                    terms.append(c)
                    args.append(_constant(ns, xp.ones(size, dtype=dtype), g))
                    available.add(c)
                target.append(c)
            eq = ",".join(terms) + "->" + "".join(target)
            grads.append(_einsum_of(ns, eq, *args))
        return tuple(grads)


def _einsum_of(ns, equation, *arrays):
    """``ns.einsum`` (NumPy, CuPy, chainrule's Tensors), or the standard's route."""
    own = getattr(ns, "einsum", None)
    return own(equation, *arrays) if own is not None else einsum_standard(equation, *arrays)


def _constant(ns, array, like):
    """A NumPy constant (an identity, ones) in the namespace of the gradient ``like``."""
    if ns is xp:
        return array
    if isinstance(like, Tensor):
        return Tensor._from_op(array, None)
    return ns.asarray(array, device=like.device)


@autocast_op("einsum")
def einsum(equation, *operands) -> Tensor:
    """Einstein summation (``torch.einsum``): ``'ij,jk->ik'``, ``'...ij->...ji'``, implicit output
    (``'ij,jk'``), repeated indices (``'ii->i'``); operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    operands = tuple(as_tensor_input(o) for o in operands)
    dtypes = {o.dtype for o in operands}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got "
                           f"{sorted(str(d) for d in dtypes)}")
    return Einsum.apply(*operands, equation=equation)
