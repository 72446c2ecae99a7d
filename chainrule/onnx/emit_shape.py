"""Movement: reshape, transpose, squeeze, unsqueeze, broadcast, concatenate, stack, pad, and
indexing (getitem) — the primitives that move numbers without changing them.

A target shape or slice bound that depends on a dynamic axis is computed in the graph (see
:meth:`~chainrule.onnx.builder.Op.shape_operand` and :meth:`~chainrule.onnx.builder.Op.dim`).
Indexing follows NumPy's rules (chainrule's getitem primitive is NumPy's ``x[index]``): slices
become one Slice, integers Gather with a 0-d index (the axis disappears), one integer array
Gather along its axis, None Unsqueeze.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .builder import INT64_MAX, INT64_MIN, Op, Packed, Part
from .emitters import emits


@emits("reshape")
def reshape(op: Op) -> str:
    """The same elements in a new shape: Reshape, its target from the result's shape (0 where
    it copies a dynamic input dimension, −1 for one other dynamic entry). Reshaping the flat
    slice of a recurrent layer's packed result back to its shape is that result itself."""
    src = op.value(0)
    if isinstance(src, Part):
        part = src.packed.parts[src.k]
        if op.out_shape == tuple(part.shape) and op.out_shape_b == tuple(part.shape_b):
            return part
        raise op.refuse("the packed output of a recurrent layer is reshaped to a shape other "
                        "than its parts'")
    target = op.shape_operand(op.out_shape, op.out_shape_b, src, "the target shape")
    zero = 0 in op.out_shape and op.out_shape == op.out_shape_b and op.opset >= 14
    return op.node("Reshape", [op.x(0), target], allowzero=1 if zero else None)


@emits("transpose")
def transpose(op: Op) -> str:
    """y = x with its axes permuted: Transpose(perm) (reversed axes by default)."""
    rank = len(op.shape(0))
    axes = op.param("axes")
    perm = list(range(rank))[::-1] if axes is None else [int(a) % rank for a in axes]
    return op.node("Transpose", [op.x(0)], perm=perm)


@emits("squeeze")
def squeeze(op: Op) -> str:
    """The axes of size 1 (those named, or all) removed: Squeeze(axes) with the axes that are
    1 on the example (a named axis of another size stays, as in PyTorch)."""
    axis = op.param("axis")
    dropped = []
    for shape in (op.shape(0), op.shape_b(0)):
        rank = len(shape)
        named = range(rank) if axis is None else (
            [axis] if isinstance(axis, (int, np.integer)) else list(axis))
        dropped.append(sorted({int(a) % rank for a in named if rank and shape[a] == 1}))
    if dropped[0] != dropped[1]:
        raise op.fail(f"the axes of size 1 it removes differ between the example inputs "
                      f"({dropped[0]}) and the second trace's ({dropped[1]})")
    if not dropped[0]:
        return op.node("Identity", [op.x(0)])
    return op.squeeze(op.x(0), dropped[0])


@emits("expand_dims")
def expand_dims(op: Op) -> str:
    """New axes of size 1: Unsqueeze (axes counted in the result's rank)."""
    axis = op.param("axis")
    rank = len(op.out_shape)
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    return op.unsqueeze(op.x(0), sorted(int(a) % rank for a in axes))


@emits("broadcast_to")
def broadcast_to(op: Op) -> str:
    """x repeated along its axes of size 1 (and new leading ones): Expand, its shape 1 where it
    keeps a (dynamic) input dimension."""
    src = op.value(0)
    shape = op.shape_operand(op.out_shape, op.out_shape_b, src, "the broadcast shape",
                             expand=True)
    return op.node("Expand", [op.x(0), shape])


@emits("concatenate")
def concatenate(op: Op) -> str:
    """Inputs joined along an axis: Concat (each cast to the result's type)."""
    rank = len(op.out_shape)
    axis = int(op.param("axis", 0)) % rank
    return op.node("Concat", [op.x(i, op.out_dtype) for i in range(op.nargs)], axis=axis)


@emits("stack")
def stack(op: Op) -> str:
    """Inputs stacked along a new axis: Unsqueeze each, then Concat."""
    rank = len(op.out_shape)
    axis = int(op.param("axis", 0)) % rank
    parts = [op.unsqueeze(op.x(i, op.out_dtype), [axis]) for i in range(op.nargs)]
    return op.node("Concat", parts, axis=axis)


@emits("pad")
def pad(op: Op) -> str:
    """Constant padding by (before, after) widths per axis: Pad(mode='constant'), its pads
    [b₀, …, b_{r−1}, a₀, …, a_{r−1}] and the value as inputs."""
    rank = len(op.shape(0))
    widths = np.broadcast_to(np.asarray(op.param("pad_width"), dtype=np.int64), (rank, 2))
    pads = list(widths[:, 0]) + list(widths[:, 1])
    value = op.const(float(op.param("value", 0.0)), op.out_dtype)
    return op.node("Pad", [op.x(0), op.ints(pads), value], mode="constant")


# ------------------------------------------------------------------------------ getitem
def _items(index) -> tuple:
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for e in index:
        if isinstance(e, list):
            e = np.asarray(e)
        if isinstance(e, Tensor):
            e = e._data
        out.append(e)
    return tuple(out)


def _consumes(e) -> int:
    if e is None or e is Ellipsis:
        return 0
    if isinstance(e, np.ndarray) and e.dtype == np.bool_:
        return max(e.ndim, 1)
    return 1


def _expanded(items, rank: int) -> list:
    used = sum(_consumes(e) for e in items)
    out = []
    for e in items:
        if e is Ellipsis:
            out += [slice(None)] * (rank - used)
        else:
            out.append(e)
    if not any(e is Ellipsis for e in items):
        out += [slice(None)] * (rank - used)
    return out


@emits("getitem")
def getitem(op: Op) -> str:
    """x[index] with NumPy's rules: Slice for the slices (bounds that follow a dynamic axis
    computed in the graph), Gather with a 0-d index for each integer, Gather along the axis for
    one integer array (or a fixed boolean mask, as its positions), Unsqueeze for None."""
    src = op.value(0)
    index_a, index_b = op.pair("index")
    if isinstance(src, Packed):
        return _unpack(op, src, index_a, index_b)
    rank = len(op.shape(0))
    items_a = _expanded(_items(index_a), rank)
    items_b = _expanded(_items(index_b), len(op.shape_b(0)))
    items_c = _expanded(_items(op.third_param("index")), rank)
    if not len(items_a) == len(items_b) == len(items_c):
        raise op.fail(f"its index {index_a!r} has a different form on the second trace "
                      f"({index_b!r})")
    arrays = [e for e in items_a if isinstance(e, np.ndarray)]
    ints = [e for e in items_a if isinstance(e, (int, np.integer)) and not isinstance(e, bool)]
    if len(arrays) > 1 or (arrays and ints):
        raise op.refuse(f"index {index_a!r} combines several integer arrays (or an array and an "
                        f"integer): NumPy's rules then move the indexed axes, which this exporter "
                        f"does not write; index one axis at a time")
    x = op.x(0)
    slices, picks, new, position, axis = [], [], [], 0, 0
    for ea, eb, ec in zip(items_a, items_b, items_c):
        if ea is None:
            new.append(position)
            position += 1
        elif isinstance(ea, slice):
            if ea != slice(None) or eb != slice(None):
                slices.append((axis, ea, eb))
            axis += 1
            position += 1
        elif isinstance(ea, np.ndarray):
            picks.append((axis, ea, (eb, ec)))
            position += 1 if ea.dtype == np.bool_ else ea.ndim
            axis += 1
        elif isinstance(ea, (bool, np.bool_)):
            raise op.refuse(f"a boolean scalar in the index {index_a!r}")
        elif isinstance(ea, (int, np.integer)):
            picks.append((axis, int(ea), (eb, ec)))
            axis += 1
        else:
            raise op.refuse(f"index element {ea!r} ({type(ea).__name__}) has no ONNX form here")
    if slices:
        x = _slice(op, x, slices)
    for ax, ea, eb in sorted(picks, key=lambda p: p[0], reverse=True):
        x = _pick(op, x, ax, ea, eb)
    if new:
        x = op.unsqueeze(x, new)
    return x if x != op.x(0) else op.node("Identity", [x])


def _bound(op: Op, a, b, default, what: str):
    """A slice bound as a 1-element int64 name, and whether it is fixed."""
    a = default if a is None else int(a)
    b = default if b is None else int(b)
    if a == b:
        return a, True
    return op.dim(a, b, what, prefer=(op.value(0),)), False


def _slice(op: Op, x: str, slices) -> str:
    starts, ends, axes, steps, fixed = [], [], [], [], True
    for axis, sa, sb in slices:
        step = 1 if sa.step is None else int(sa.step)
        if (1 if sb.step is None else int(sb.step)) != step:
            raise op.fail(f"a slice step differs between the traces ({sa!r}, {sb!r})")
        first, last = (0, INT64_MAX) if step > 0 else (INT64_MAX, INT64_MIN)
        start, s_fixed = _bound(op, sa.start, sb.start, first, f"the start of slice {sa!r}")
        end, e_fixed = _bound(op, sa.stop, sb.stop, last, f"the end of slice {sa!r}")
        fixed = fixed and s_fixed and e_fixed
        starts.append((start, s_fixed))
        ends.append((end, e_fixed))
        axes.append(axis)
        steps.append(step)

    def operand(bounds):
        if all(f for _, f in bounds):
            return op.ints([v for v, _ in bounds])
        return op.node("Concat", [op.ints([v]) if f else v for v, f in bounds], axis=0)

    return op.node("Slice", [x, operand(starts), operand(ends), op.ints(axes), op.ints(steps)])


def _pick(op: Op, x: str, axis: int, ea, others) -> str:
    eb, ec = others
    if isinstance(ea, int):
        if isinstance(eb, (int, np.integer)) and int(eb) == ea:
            return op.node("Gather", [x, op.const(np.int64(ea))], axis=axis)
        if not isinstance(eb, (int, np.integer)):
            raise op.fail(f"an integer index became {eb!r} on the second trace")
        at = op.dim(ea, int(eb), f"the index {ea} of axis {axis}", prefer=(op.value(0),))
        return op.squeeze(op.node("Gather", [x, at], axis=axis), [axis])
    if ea.dtype == np.bool_:
        if ea.ndim != 1 or not all(isinstance(e, np.ndarray) and np.array_equal(ea, e)
                                   for e in (eb, ec)):
            raise op.refuse("a boolean mask index (other than a fixed 1-D one) selects a number "
                            "of elements that depends on the data")
        return op.node("Gather", [x, op.ints(np.flatnonzero(ea))], axis=axis)
    if ea.dtype.kind not in "iu":
        raise op.refuse(f"an index array of dtype {ea.dtype}")
    index = op.resolve(ea, eb, "index array", ec)
    return op.node("Gather", [x, op.as_name(index, None, "the index array")], axis=axis)


def _unpack(op: Op, packed: Packed, ia, ib) -> Part:
    """The slice of a recurrent layer's packed result that is one of its parts."""
    for index in (ia, ib):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise op.refuse(f"the packed output of a recurrent layer is indexed with {ia!r}, "
                            "not sliced into its parts")
    offsets_a, offsets_b = [0], [0]
    for part in packed.parts:
        offsets_a.append(offsets_a[-1] + int(np.prod(part.shape)))
        offsets_b.append(offsets_b[-1] + int(np.prod(part.shape_b)))
    for k in range(len(packed.parts)):
        if ((ia.start or 0), ia.stop) == (offsets_a[k], offsets_a[k + 1]) and \
                ((ib.start or 0), ib.stop) == (offsets_b[k], offsets_b[k + 1]):
            return Part(packed, k)
    raise op.refuse(f"the slice {ia!r} of a recurrent layer's packed output is not one of its "
                    "parts")
