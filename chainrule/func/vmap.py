"""vmap: a function of one example, run on a batch at once (PyTorch's ``torch.vmap``).

``vmap(f)(xs)`` wraps each mapped input in a :class:`~.batched.BatchedTensor` whose hidden
dimension 0 is the batch, opens a new *level*, and calls ``f`` once. While any vmap runs,
``Function.apply`` hands every primitive whose arguments are batched to :func:`dispatch`, which
strips the highest level, applies the primitive's batching rule (batching_rules.py) and wraps the
result. A primitive without a rule (or a case its rule does not cover) runs as a loop over the
batch whose results are stacked: correct, slower, and reported — a :class:`VmapFallbackWarning`
names the primitive, and :func:`fallbacks` counts each primitive that fell back.
"""
from __future__ import annotations

import functools
import itertools
import warnings
from collections import Counter

from .. import backend
from ..autograd import function as _function
from ..tensor import Tensor
from . import randomness as randomness_modes
from . import tree
from .batched import BatchedTensor, is_batched_at
from .batching_rules import RULES

_levels: list[tuple[int, int]] = []     # (level, batch size) of the running vmaps, outer first
_next_level = itertools.count(1)
_fallbacks: Counter = Counter()


class VmapFallbackWarning(UserWarning):
    """A primitive without a batching rule ran as a Python loop over the batch inside vmap."""


def fallbacks() -> dict[str, int]:
    """How many times each primitive fell back to the loop over the batch (since the last
    :func:`clear_fallbacks`): a primitive listed here has no batching rule for that case."""
    return dict(_fallbacks)


def clear_fallbacks() -> None:
    _fallbacks.clear()


def active_levels() -> list[tuple[int, int]]:
    """(level, batch size) of every vmap running now, the outermost first."""
    return list(_levels)


def dispatch(cls, args, params):
    """``Function.apply``'s hook: the primitive on batched arguments, or NotImplemented when
    none is batched (the plain path then runs)."""
    top = -1
    for a in args:
        if type(a) is BatchedTensor and a._level > top:
            top = a._level
    for v in params.values():
        if type(v) is BatchedTensor and v._level > top:
            top = v._level
    if top < 0:
        return NotImplemented
    values, batched, size = [], [], None
    for a in args:
        hit = type(a) is BatchedTensor and a._level == top
        values.append(a._value if hit else a)
        batched.append(hit)
        if hit:
            size = a._value.shape[0]
    pvalues, pbatched = {}, set()
    for k, v in params.items():
        hit = type(v) is BatchedTensor and v._level == top
        pvalues[k] = v._value if hit else v
        if hit:
            pbatched.add(k)
            size = v._value.shape[0]
    rule = RULES.get(cls.name)
    result = NotImplemented
    if rule is not None and (not pbatched or getattr(rule, "batched_params", False)):
        result = rule(cls, values, batched, pvalues, size)
    if result is NotImplemented:
        result = _loop(cls, values, batched, pvalues, pbatched, size)
    return BatchedTensor.wrap(result, top)


# primitives that address their input's storage (offsets, strides): each example gets storage of
# its own in the loop, as PyTorch's vmap gives each example its own (a view of the batch would
# reach the other examples' memory)
_READS_STORAGE = frozenset({"as_strided", "as_strided_scatter"})


def _loop(cls, values, batched, params, pbatched, size):
    """The fallback: the primitive once per example, the results stacked."""
    from ..ops import stack

    _fallbacks[cls.name] += 1
    warnings.warn(f"vmap: the primitive '{cls.name}' has no batching rule for these inputs; it "
                  f"ran as a Python loop over the batch of {size} (chainrule.func.fallbacks() "
                  "counts such primitives)", VmapFallbackWarning, stacklevel=4)
    rows = []
    own = cls.name in _READS_STORAGE
    for i in range(size):
        args_i = [(v[i].clone() if own else v[i]) if b else v for v, b in zip(values, batched)]
        params_i = {k: (v[i] if k in pbatched else v) for k, v in params.items()}
        rows.append(cls.apply(*args_i, **params_i))
    return stack(rows, 0)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs, vectorised (PyTorch's ``torch.vmap``).

    ``in_dims``: for each positional argument the dimension to map over (None: not mapped), an
    int for all, or a (nested) tuple matching the arguments' structure; keyword arguments are
    never mapped. ``out_dims``: where the batch dimension goes in each output (an unbatched
    output is broadcast there; None keeps an output unbatched, which must then not depend on
    the batch). ``randomness``: 'error' (a random draw inside raises, PyTorch's default),
    'same' (one draw shared by the whole batch) or 'different' (each example its own draw, the
    numbers PyTorch draws for the same seed; see randomness.py for the operations covered).
    ``chunk_size``: map that many examples at a time (less memory), results concatenated.

    Inside ``func`` tensors show their per-example shape (``x.shape``, ``x.dim()``, ``len(x)``).

    >>> import chainrule as cr
    >>> vmap(lambda v: v @ v)(cr.ones(4, 3)).shape      # four dot products
    chainrule.Size([4])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if not (in_dims is None or isinstance(in_dims, (int, tuple))) or isinstance(in_dims, bool):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...): expected `in_dims` to be "
                         f"int or a (potentially nested) tuple matching the structure of inputs, "
                         f"got: {type(in_dims)}.")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    return wrapped


def _name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has {len(in_dims)} elements, but inputs has {len(args)} "
                         "elements.")
    leaves, spec = tree.flatten(args)
    dims = tree.broadcast_prefix(in_dims, args, where)
    sizes = []
    for i, (leaf, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"{where}: in_dims must be int or None, got {d!r}")
        if not isinstance(leaf, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(leaf)}. We cannot vmap over non-Tensor arguments, please "
                             "use None as the respective in_dim")
        if not -leaf.ndim <= d < leaf.ndim:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a "
                             f"Tensor of dimensionality {leaf.ndim} so expected in_dim to "
                             f"satisfy -{leaf.ndim} <= in_dim < {leaf.ndim}.")
        dims[i] = d % leaf.ndim
        sizes.append(leaf.shape[d])
    if not sizes:
        raise ValueError(f"{where}: there are no Tensors to vmap over: at least one input must "
                         "be a Tensor with an in_dim that is not None")
    if len(set(sizes)) != 1:
        raise ValueError(f"{where}: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    size = sizes[0]
    if chunk_size is None or chunk_size >= size:
        return _run(func, leaves, dims, spec, size, out_dims, randomness, kwargs)
    return _chunked(func, leaves, dims, spec, size, out_dims, randomness, kwargs, chunk_size)


def _chunked(func, leaves, dims, spec, size, out_dims, randomness, kwargs, chunk_size):
    from ..ops import concatenate, getitem

    parts = []
    for start in range(0, size, chunk_size):
        stop = min(start + chunk_size, size)
        sliced = [leaf if d is None else getitem(leaf, (slice(None),) * d + (slice(start, stop),))
                  for leaf, d in zip(leaves, dims)]
        parts.append(_run(func, sliced, dims, spec, stop - start, out_dims, randomness, kwargs))
    flat0, out_spec = tree.flatten(parts[0])
    odims = tree.broadcast_prefix(out_dims, parts[0], "vmap: out_dims")
    columns = [tree.flatten(p)[0] for p in parts]
    joined = []
    for k, od in enumerate(odims):
        pieces = [c[k] for c in columns]
        joined.append(pieces[0] if od is None else concatenate(pieces, od % pieces[0].ndim))
    return tree.unflatten(joined, out_spec)


def _run(func, leaves, dims, spec, size, out_dims, randomness, kwargs):
    from ..ops import broadcast_to, expand_dims, moveaxis

    level = next(_next_level)
    _levels.append((level, size))
    previous_hook, previous_generator = _function.batching, backend.generator
    _function.batching = dispatch
    backend.generator = randomness_modes.enter(level, randomness, previous_generator)
    try:
        inputs = [leaf if d is None else
                  BatchedTensor.wrap(leaf if d == 0 else moveaxis(leaf, d, 0), level)
                  for leaf, d in zip(leaves, dims)]
        out = func(*tree.unflatten(inputs, spec), **kwargs)
        flat, out_spec = tree.flatten(out)
        if isinstance(out_dims, tuple) and not isinstance(out, (tuple, list)):
            out_dims = out_dims[0] if len(out_dims) == 1 else out_dims
        odims = tree.broadcast_prefix(out_dims, out, f"vmap: out_dims={out_dims}")
        results = []
        for o, od in zip(flat, odims):
            if not isinstance(o, Tensor):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                                 f"Tensors, got type {type(o)}. Did you mean to set out_dims= "
                                 "to None for output?")
            batched = is_batched_at(o, level)
            if od is None:
                if batched:
                    raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return "
                                     "a BatchedTensor when out_dim is None")
                results.append(o)
                continue
            n = o.ndim + 1
            if not -n <= od < n:
                raise ValueError(f"vmap: out_dim {od} is out of range for an output of "
                                 f"{n} dimensions (with the batch)")
            if batched:
                value = o._value
            else:
                value = broadcast_to(expand_dims(o, 0), (size,) + tuple(o.shape))
            results.append(value if od % n == 0 else moveaxis(value, 0, od % n))
        return tree.unflatten(results, out_spec)
    finally:
        _levels.pop()
        randomness_modes.leave(level)
        _function.batching = previous_hook
        backend.generator = previous_generator
