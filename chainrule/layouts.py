"""Memory formats (PyTorch's ``torch.memory_format``) and layouts (``torch.layout``).

A memory format says in which order a tensor's elements lie in memory, not what they are:
``channels_last`` keeps an N×C×H×W tensor's shape and values but stores it as N×H×W×C (strides
(HWC, 1, WC, C)), as PyTorch does. chainrule's arrays are strided NumPy arrays, so the format is
real: ``x.contiguous(memory_format=chainrule.channels_last)`` lays the memory out that way,
``stride()`` and ``is_contiguous(memory_format=…)`` report it, and ``view`` refuses what the
layout does not allow, as in PyTorch. Results of computations are the same in every format.

The second half lays the results of operations out as PyTorch's kernels do (``RULES``: the rule
of each primitive by name, applied by ``Function.apply``; ``indexed`` for advanced indexing;
``grad_layout`` for a leaf's ``.grad``; ``like`` for ``*_like``), so that ``stride()`` answers
PyTorch's strides and ``view`` works where PyTorch's does. A rule copies only where NumPy left
another layout; on row-major operands it costs a few flag tests.
"""
from __future__ import annotations

from . import backend


class memory_format:  # noqa: N801  (PyTorch's name)
    """One of ``contiguous_format``, ``channels_last``, ``channels_last_3d``,
    ``preserve_format``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self):
        return self.name


class layout:  # noqa: N801  (PyTorch's name)
    """A tensor's layout; chainrule's tensors are all ``strided`` (dense)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")

# the order of the dims from the fastest-varying to the slowest, per format and rank
_ORDER = {"channels_last": (4, (1, 3, 2, 0)), "channels_last_3d": (5, (1, 4, 3, 2, 0))}


def _check(fmt) -> memory_format:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format: expected a chainrule.memory_format such as "
                        f"chainrule.channels_last, got {fmt!r}")
    return fmt


def is_contiguous_as(array, fmt) -> bool:
    """Whether ``array``'s memory is dense in format ``fmt`` (PyTorch's rule: dims of size 1
    may have any stride; channels_last needs rank 4, channels_last_3d rank 5)."""
    fmt = _check(fmt)
    data = backend.host_layout(array)
    if fmt.name in ("contiguous_format", "preserve_format"):
        return bool(data.flags.c_contiguous)
    rank, order = _ORDER[fmt.name]
    if data.ndim != rank:
        return False
    expected = 1
    for d in order:
        size = data.shape[d]
        if size != 1:
            if data.strides[d] // data.itemsize != expected:
                return False
            expected *= size
    return True


def laid_out(array, fmt):
    """``array``'s values in memory format ``fmt`` (``array`` itself when already so laid out,
    or for ``preserve_format``)."""
    fmt = _check(fmt)
    if fmt.name in _ORDER and array.ndim != _ORDER[fmt.name][0]:
        raise RuntimeError(f"required rank {_ORDER[fmt.name][0]} tensor to use {fmt.name} "
                           f"format (got rank {array.ndim})")
    if fmt.name == "preserve_format" or not hasattr(array, "strides") or \
            is_contiguous_as(array, fmt):
        return array          # (an array library without strides has no layout to change)
    xp = backend.array_namespace(array)
    if fmt.name == "contiguous_format":
        return xp.ascontiguousarray(array)
    slow_to_fast = _ORDER[fmt.name][1][::-1]         # e.g. (0, 2, 3, 1): N, H, W, C
    back = [slow_to_fast.index(d) for d in range(array.ndim)]
    return xp.transpose(xp.ascontiguousarray(xp.transpose(array, slow_to_fast)), back)


def like_layout(values, template):
    """``values`` (a fresh array of ``template``'s shape) in ``template``'s memory order, as
    PyTorch's ``preserve_format`` does: the same strides where ``template`` is dense; where it is
    not (a slice), a dense array whose dims are ordered as ``template``'s strides (NumPy's order
    'K'; PyTorch's suggest_memory_format gives the same for the row-major and channels-last
    orders)."""
    if not hasattr(template, "strides") or not hasattr(values, "strides") or \
            backend.host_layout(template).flags.c_contiguous:
        return values
    xp = backend.array_namespace(template)
    out = xp.empty_like(template, dtype=values.dtype)
    out[...] = values
    return out


# ------------------------------------------------------------------ the layouts of op results
# chainrule computes with NumPy, whose results are laid out by NumPy's rules; PyTorch's kernels
# lay theirs out by PyTorch's. ``.view()`` and ``.stride()`` see the difference, so the ops below
# re-lay a result where the two disagree (a copy only then: never on all-row-major inputs).

def _strided(a) -> bool:
    return type(a) is backend.ndarray


def _steps(a) -> tuple:
    return tuple(s // a.itemsize for s in a.strides)


def _walks(a) -> tuple:
    """The strides of ``a`` as PyTorch sees its memory order: NumPy's negative strides (a flipped
    view; PyTorch copies there) count as the positive ones of the array they reverse."""
    return tuple(abs(s) // a.itemsize for s in a.strides)


def suggest_format(array) -> memory_format:
    """PyTorch's ``suggest_memory_format``: ``channels_last`` (``channels_last_3d``) when a 4-d
    (5-d) array's strides order its dims as N, spatial…, C (dense or not), else row-major."""
    if not hasattr(array, "strides") or array.ndim not in (4, 5):
        return contiguous_format
    data = backend.host_layout(array)
    return _suggest(data.shape, _walks(data))


def _suggest(shape, steps) -> memory_format:
    if len(shape) not in (4, 5) or steps[1] == 0:
        return contiguous_format
    order = (1, 3, 2, 0) if len(shape) == 4 else (1, 4, 3, 2, 0)
    low = 0
    for d in order:
        if shape[d] == 0 or steps[d] < low or (d == 0 and low == steps[1]):
            return contiguous_format
        low = steps[d] * shape[d] if shape[d] > 1 else steps[d]
    return channels_last if len(shape) == 4 else channels_last_3d


def as_suggested(array, source=None):
    """``array`` laid out in the format PyTorch suggests for ``source`` (``array`` itself by
    default): channels-last for a channels-last 4-d/5-d source, row-major otherwise — what
    PyTorch's conv, pool, norm and pad kernels give (a copy only where the layout differs)."""
    if not hasattr(array, "strides"):
        return array
    source = array if source is None else source
    if _strided(source) and source.flags.c_contiguous:
        return row_major(array)
    fmt = suggest_format(source)
    if fmt is not contiguous_format and array.ndim != _ORDER[fmt.name][0]:
        fmt = contiguous_format
    return laid_out(array, fmt)


def row_major(array):
    """``array`` in row-major order (itself when it is): the layout of PyTorch's reductions,
    scans, gathers, softmax, ``index_select``, ``repeat`` and most kernels that allocate with
    ``at::empty(shape)``."""
    if not hasattr(array, "strides") or backend.host_layout(array).flags.c_contiguous:
        return array
    return backend.array_namespace(array).ascontiguousarray(array)


def iterator_strides(shape: tuple, operands) -> tuple:
    """The strides (in elements) of the output that PyTorch's TensorIterator allocates for an op
    of result shape ``shape`` over ``operands`` (arrays broadcastable to ``shape``, in PyTorch's
    operand order): a fast path where all operands have the result's shape and one layout;
    otherwise the dims sorted by the operands' strides, the first operand that orders a pair
    deciding it (ties: the smaller dim first; broadcast dims ignored)."""
    ndim = len(shape)
    ops = [o for o in operands if hasattr(o, "strides") and getattr(o, "ndim", 0) > 0]
    same = all(o.shape == tuple(shape) for o in ops)
    if same and ops:
        hosts = [backend.host_layout(o) for o in ops]
        if all(h.flags.c_contiguous for h in hosts):
            return _row_major_steps(shape)
        if all(suggest_format(h) is channels_last for h in hosts) or \
                all(suggest_format(h) is channels_last_3d for h in hosts):
            fmt = suggest_format(hosts[0])
            return _format_steps(shape, fmt)
        first = _walks(hosts[-1])
        if all(_dense(h) for h in hosts) and all(_walks(h) == first for h in hosts):
            return first
    table = []
    for o in ops:
        h = backend.host_layout(o)
        steps, lead = _walks(h), ndim - h.ndim
        table.append(tuple(0 if d < lead or h.shape[d - lead] != shape[d] else
                           steps[d - lead] for d in range(ndim)))
    return _sorted_steps(shape, table)


def _sorted_steps(shape, table) -> tuple:
    """TensorIterator's general rule: dense strides for ``shape`` whose dims are ordered by the
    operands' strides ``table`` (one row per operand, 0 where broadcast)."""
    ndim = len(shape)

    def should_swap(d0, d1) -> int:
        for steps in table:
            s0, s1 = steps[d0], steps[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(ndim - 1, -1, -1))        # fastest first
    for i in range(1, ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out, step = [0] * ndim, 1
    for d in perm:
        out[d] = step
        step *= shape[d]
    return tuple(out)


def _row_major_steps(shape) -> tuple:
    out, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        out[d] = step
        step *= shape[d]
    return tuple(out)


def _format_steps(shape, fmt) -> tuple:
    out, step = [0] * len(shape), 1
    for d in _ORDER[fmt.name][1]:
        out[d] = step
        step *= shape[d]
    return tuple(out)


def _dense(h) -> bool:
    """PyTorch's is_non_overlapping_and_dense: the strides are a permutation of a dense
    layout's (dims of size 1 may have any stride)."""
    dims = sorted((s, n) for s, n in zip(_walks(h), h.shape) if n != 1)
    step = 1
    for s, n in dims:
        if s != step:
            return False
        step *= n
    return True


def with_strides(array, steps: tuple):
    """``array`` with strides ``steps`` (in elements; a dense permuted layout), copied only when
    its strides differ on some dim of size > 1."""
    have = _steps(array)
    if all(n == 1 or a == b for n, a, b in zip(array.shape, have, steps)) or array.size == 0:
        return array
    order = sorted(range(array.ndim), key=lambda d: -steps[d])     # slowest first
    back = [order.index(d) for d in range(array.ndim)]
    out = backend.xp.empty([array.shape[d] for d in order], dtype=array.dtype).transpose(back)
    out[...] = array
    return out


# The primitives PyTorch computes with a TensorIterator over their operands (elementwise maps,
# casts and copies): their results take the operands' layout (see ``pointwise``).
POINTWISE = frozenset("""
    erf sigmoid relu leaky_relu elu gelu silu softplus add subtract multiply divide negative
    power exp log sqrt abs sin cos tanh maximum minimum clip where astype copy tan asin acos
    atan sinh cosh asinh acosh atanh exp2 expm1 log2 log10 log1p rsqrt reciprocal sinc erfc
    erfinv floor ceil trunc round sign atan2 hypot xlogy logit lerp nan_to_num logaddexp
    logaddexp2 copysign div_rounded remainder fmod hardtanh hardsigmoid hardswish mish
    logsigmoid lgamma digamma polygamma angle sgn i0 i0e i1 i1e ndtr ndtri log_ndtr erfcx
    igamma igammac entr xlog1py ldexp nextafter zeta
""".split())


def indexed(y, x, index):
    """The result ``y = x[index]`` of an advanced index (integer arrays, boolean masks; ints
    already applied) in PyTorch's layout: its ``index`` kernel iterates over ``x`` restrided to
    the result (stride 0 along the indexed dims) and the index tensors (stride 0 elsewhere), so
    the result's dims are ordered by those strides — row-major for a row-major ``x``, but a
    permuted ``x`` keeps its order among the dims it still has. The index arrays count as
    row-major (chainrule builds many internally, in whatever layout NumPy left them)."""
    if not (_strided(y) and _strided(x)) or y.ndim < 2 or y.size == 0:
        return y
    items = list(index) if isinstance(index, tuple) else [index]

    def is_array(p):
        return isinstance(p, backend.ndarray)

    if not any(is_array(p) for p in items):
        return y
    used = sum(p.ndim if is_array(p) and p.dtype == bool else
               0 if p is None or p is Ellipsis else 1 for p in items)
    at = next((i for i, p in enumerate(items) if not is_array(p) and p is Ellipsis), None)
    if at is None:
        items += [slice(None)] * (x.ndim - used)
    else:
        items[at:at + 1] = [slice(None)] * (x.ndim - used)
    steps, d = _walks(x), 0
    plain, arrays = [], []          # plain: (position in items, source stride) per result dim
    for i, p in enumerate(items):
        if is_array(p):
            arrays.append((i, p))
            d += p.ndim if p.dtype == bool else 1
        elif p is None:             # PyTorch's unsqueeze: the next dim's size × stride
            plain.append((i, x.shape[d] * steps[d] if d < x.ndim else 1))
        elif isinstance(p, slice):
            if d >= x.ndim:
                break
            plain.append((i, steps[d] * abs(p.step or 1)))
            d += 1
        else:                       # an integer: no result dim
            d += 1
    where = [i for i, _ in arrays]
    together = all(not (isinstance(items[j], slice) or items[j] is None)
                   for j in range(where[0], where[-1] + 1))
    nb = y.ndim - len(plain)
    if nb < 0:
        return y
    first = sum(1 for i, _ in plain if i < where[0]) if together else 0
    block = tuple(y.shape[first:first + nb])
    rows = [[s for _, s in plain[:first]] + [0] * nb + [s for _, s in plain[first:]]]
    for _, p in arrays:
        # each index tensor (a mask: the k columns of its nonzero(), stride k) broadcast to the
        # block, then viewed with the result's other dims as 1s (PyTorch's reshape_indexer)
        cols = [((int(p.sum()),), (p.ndim,))] * p.ndim if p.dtype == bool else \
            [(p.shape, _row_major_steps(p.shape))]
        for shape, own in cols:
            lead = nb - len(shape)
            inner = [0 if j < lead or shape[j - lead] != block[j] else own[j - lead]
                     for j in range(nb)]
            full = (1,) * first + block + (1,) * (len(plain) - first)
            view = _view_steps(block, inner, full)
            rows.append([0 if n == 1 and m != 1 else v for v, n, m in zip(view, full, y.shape)])
    return with_strides(y, _sorted_steps(y.shape, rows))


def _view_steps(old_shape, old_steps, new_shape) -> list:
    """The strides PyTorch's ``view``/``reshape`` gives a tensor of shape ``old_shape`` and strides
    ``old_steps`` reshaped to ``new_shape`` (here: unit dims added around it), chunk by chunk of
    dims that are contiguous with each other."""
    out = [0] * len(new_shape)
    if not old_shape:
        return [1] * len(new_shape)
    view_d = len(new_shape) - 1
    base, tensor_numel, view_numel = old_steps[-1], 1, 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_steps[tensor_d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                out[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if tensor_d > 0:
                base, tensor_numel, view_numel = old_steps[tensor_d - 1], 1, 1
    return out


def pointwise(out, arrays):
    """An elementwise op's result ``out`` in the layout PyTorch's TensorIterator gives it for
    operands ``arrays``: nothing to do when every operand is row-major (the common case: one
    flag test each), else the operands' shared order (``x.t() + 1`` stays transposed,
    channels-last stays channels-last, the first operand wins a conflict)."""
    if type(out) is not backend.ndarray or out.ndim < 2:
        return out
    plain = True
    for a in arrays:
        if a is out:            # (an op that handed its input back: nothing new to lay out)
            return out
        if plain and type(a) is backend.ndarray and not a.flags.c_contiguous:
            plain = False
    if plain:
        return out if out.flags.c_contiguous else backend.xp.ascontiguousarray(out)
    return with_strides(out, iterator_strides(out.shape, [a for a in arrays if _strided(a)]))


def grad_layout(g, variable):
    """A gradient ``g`` in the layout PyTorch's AccumulateGrad stores for a leaf ``variable``:
    ``variable``'s strides where it is dense (a permuted or channels-last parameter gets a
    gradient laid out alike), row-major otherwise (a slice)."""
    if not (_strided(g) and _strided(variable)) or g.shape != variable.shape:
        return g
    if variable.flags.c_contiguous:         # (the common case, at the cost of two flag tests)
        return g if g.flags.c_contiguous else row_major(g)
    if _dense(variable):
        return with_strides(g, _walks(variable))
    return row_major(g)


# ---- the rule of each primitive whose result PyTorch lays out otherwise than NumPy does
def _suggested(out, arrays):
    if not _strided(out):
        return out
    return as_suggested(out, arrays[0]) if out.ndim == arrays[0].ndim else row_major(out)


def _convolved(out, arrays):
    """Convolutions: channels-last when the input or the weight is (4-d; 5-d only in float32,
    where PyTorch's CPU kernel is oneDNN's), row-major otherwise."""
    if all(_strided(a) and a.flags.c_contiguous for a in arrays[:2]):
        return row_major(out)
    fmts = {suggest_format(a) for a in arrays[:2] if hasattr(a, "strides")}
    fmt = (fmts - {contiguous_format} or {contiguous_format}).pop() if len(fmts) else \
        contiguous_format
    if out.ndim == 5 and out.dtype != backend.xp.float32 or \
            fmt is not contiguous_format and out.ndim != _ORDER[fmt.name][0]:
        fmt = contiguous_format
    return laid_out(out, fmt)


def _averaged(out, arrays):
    """avg_pool: PyTorch's 1-d pool runs its 2-d kernel on the input with a unit height (whose
    stride makes a channels-last-strided 3-d input channels-last); its 3-d kernel is row-major."""
    return pooled(out, arrays[0], out.ndim - 2)


def pooled(out, x, nd: int):
    """The layout of PyTorch's average pools (plain and adaptive) of ``nd`` spatial dims: 2-d
    keeps a channels-last input so; 1-d runs the 2-d kernel on ``x.unsqueeze(-2)``, so a 3-d
    input whose channels are its fastest dim comes out alike; 3-d is row-major."""
    if not (_strided(out) and _strided(x)):
        return out
    if nd == 2 and out.ndim == 4:
        return as_suggested(out, x)
    if nd == 1 and out.ndim == 3 and x.ndim == 3:
        steps = _walks(backend.host_layout(x))
        shape4 = (x.shape[0], x.shape[1], 1, x.shape[2])
        if _suggest(shape4, (steps[0], steps[1], steps[2] * x.shape[2], steps[2])) \
                is channels_last:
            return with_strides(out, _format_steps((out.shape[0], out.shape[1], 1,
                                                    out.shape[2]), channels_last)[:2] +
                                (out.shape[1],))
    return row_major(out)


def _maxed(out, arrays):
    return as_suggested(out, arrays[0]) if out.ndim in (4, 5) else row_major(out)


def _row_major(out, arrays):
    return row_major(out)


def _column_major(out, arrays):
    """LAPACK's results (inv, solve, cholesky): each matrix column-major, the batch outside."""
    if out.ndim < 2:
        return out
    m, n = out.shape[-2:]
    return with_strides(out, tuple(s * m * n for s in _row_major_steps(out.shape[:-2])) +
                        (1, m))


def _catted(out, arrays):
    """cat: the memory format every input suggests (channels-last for channels-last inputs), or
    row-major where one is row-major or they disagree."""
    fmts = {suggest_format(a) for a in arrays if hasattr(a, "strides") and a.ndim == out.ndim}
    return laid_out(out, fmts.pop() if len(fmts) == 1 else contiguous_format)


RELAID = {name: _row_major for name in """
    sum nansum mean var std max min prod logsumexp vector_norm cumsum cumprod logcumsumexp
    softmax log_softmax matmul linear embedding layer_norm
""".split()}
RELAID.update(conv=_convolved, conv_transpose=_convolved, max_pool=_maxed, avg_pool=_averaged,
              batch_norm=_suggested, group_norm=_suggested, pad=_suggested,
              concatenate=_catted, stack=_row_major, linalg_inv=_column_major,
              linalg_solve=_column_major, linalg_cholesky=_column_major)


def relaid(t, rule=row_major, *args):
    """The tensor ``t`` — a fresh result, not a view — with its array laid out by ``rule``
    (``row_major``, ``as_suggested``…, given ``*args``): ``t`` itself, its memory replaced only
    where the layout differs."""
    data = t._data
    if hasattr(data, "strides"):
        new = rule(data, *args)
        if new is not data:
            t._data = new
    return t


def like(values, template):
    """Fresh row-major ``values`` (filled or drawn in sequence) laid out as PyTorch's
    ``empty_like(template)`` (``preserve_format``): ``template``'s strides where it is dense,
    else its order of dims made dense. The sequence follows the memory order, as PyTorch's
    generators fill memory: ``randn_like(x.t())`` draws the numbers ``randn_like(x).t()``
    holds."""
    if not (_strided(values) and _strided(template)) or values.ndim < 2 or \
            values.shape != template.shape or template.flags.c_contiguous or \
            not values.flags.c_contiguous:
        return values
    steps = _walks(template) if _dense(template) else \
        iterator_strides(template.shape, [template])
    if all(n == 1 or a == b for n, a, b in zip(values.shape, steps,
                                                _row_major_steps(values.shape))):
        return values
    order = sorted(range(values.ndim), key=lambda d: -steps[d])     # slowest first
    back = [order.index(d) for d in range(values.ndim)]
    return values.reshape([values.shape[d] for d in order]).transpose(back)


# name of a primitive → the rule that lays its result out as PyTorch's kernel does
def _on_strided(rule):
    def run(out, arrays):
        return rule(out, arrays) if type(out) is backend.ndarray else out
    return run


RULES = dict.fromkeys(POINTWISE, pointwise)
RULES.update({name: _on_strided(rule) for name, rule in RELAID.items()})
