"""Hypothesis strategies for the primitive tests: shapes, broadcast pairs, arrays per domain, axes.

Array values come from a NumPy generator seeded by a drawn integer (drawing thousands of floats
element by element through Hypothesis would be slow); shapes, axes and parameters are drawn by
Hypothesis directly, so they shrink to small counterexamples.

The value strategies follow ``chainrule.autograd.registry.DOMAINS``: every value a test draws is
inside its primitive's domain and far enough from the domain's kinks and ties that central
differences with ε = 1e-6 never straddle one.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from chainrule.autograd.registry import DOMAINS

#: Upper bound on the number of elements of one drawn array (keeps the suite fast).
MAX_ELEMENTS = 1024
#: The sizes of a "large" dimension, drawn now and then to exercise BLAS paths and long reductions.
LARGE_SIDE = (64, 257)
#: Smallest gap between two values drawn from the "distinct" domain, and between a value and a
#: kink for "away_from_zero": both far larger than gradcheck's ε = 1e-6.
GAP = 0.05


# ------------------------------------------------------------------------------------- shapes
@st.composite
def shapes(draw, min_dims: int = 0, max_dims: int = 4, max_side: int = 5,
           max_elements: int = MAX_ELEMENTS, large: bool = True) -> tuple[int, ...]:
    """A shape of ``min_dims``…``max_dims`` axes with sides 1…``max_side``.

    Size-1 sides are common (they are where broadcasting and squeezing happen); with ``large``,
    about one shape in three has one side of 64…257, the others shrunk so that the total stays
    within ``max_elements``.
    """
    ndim = draw(st.integers(min_dims, max_dims))
    sides = [draw(st.one_of(st.just(1), st.integers(1, max_side))) for _ in range(ndim)]
    if large and ndim and draw(st.integers(0, 2)) == 0:
        where = draw(st.integers(0, ndim - 1))
        sides[where] = draw(st.integers(*LARGE_SIDE))
        budget = max_elements // sides[where]
        for i in range(ndim):
            if i != where:
                sides[i] = max(1, min(sides[i], budget))
                budget = max(1, budget // sides[i])
    while math.prod(sides) > max_elements:           # only when max_side**ndim is too large
        i = sides.index(max(sides))
        sides[i] = max(1, sides[i] // 2)
    return tuple(sides)


@st.composite
def broadcastable(draw, base: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``base``: leading axes dropped, some sides set to 1."""
    drop = draw(st.integers(0, len(base)))
    kept = base[drop:]
    return tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in kept)


@st.composite
def broadcast_shapes(draw, count: int = 2, **shape_kwargs) -> tuple[tuple[int, ...], ...]:
    """``count`` mutually broadcastable shapes whose broadcast is a drawn shape.

    The first operand keeps the full shape half of the time, so that both the "one operand
    stretched" and the "both stretched" cases occur.
    """
    base = draw(shapes(**shape_kwargs))
    out = [draw(broadcastable(base)) for _ in range(count)]
    if draw(st.booleans()):
        out[draw(st.integers(0, count - 1))] = base
    return tuple(out)


@st.composite
def same_size_shape(draw, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Another shape with as many elements as ``shape`` (for reshape), sometimes with a -1."""
    sides = [s for s in shape if s != 1]
    sides = list(draw(st.permutations(sides))) if sides else []
    merged: list[int] = []
    for s in sides:                                   # merge some neighbours: (3, 4) → (12,)
        if merged and draw(st.integers(0, 2)) == 0:
            merged[-1] *= s
        else:
            merged.append(s)
    for _ in range(draw(st.integers(0, 2))):          # insert size-1 axes
        merged.insert(draw(st.integers(0, len(merged))), 1)
    if merged and draw(st.booleans()):
        merged[draw(st.integers(0, len(merged) - 1))] = -1
    return tuple(merged)


# ------------------------------------------------------------------------------------- axes
@st.composite
def axes(draw, ndim: int, allow_none: bool = True, allow_tuple: bool = True):
    """An ``axis`` argument for a reduction: None, one axis (maybe negative) or a tuple of axes."""
    choices = ["none"] if allow_none or ndim == 0 else []
    if ndim:
        choices.append("int")
        if allow_tuple:
            choices.append("tuple")
    kind = draw(st.sampled_from(choices))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


def reduced_axes(axis, ndim: int) -> tuple[int, ...]:
    """The axes an ``axis`` argument reduces, as sorted non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    chosen = (axis,) if isinstance(axis, int) else axis
    return tuple(sorted(a % ndim for a in chosen))


keepdims = st.booleans


# ------------------------------------------------------------------------------------- values
def domain_values(rng: np.random.Generator, shape, domain: str, scale: float = 1.0) -> np.ndarray:
    """float64 values of ``shape`` inside ``domain`` (see registry.DOMAINS), kinks avoided."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; known: {sorted(DOMAINS)}")
    size = math.prod(shape)
    if domain == "real":
        return scale * rng.standard_normal(shape)
    if domain == "positive":                         # log-uniform over [0.1·scale, 10·scale]
        return scale * np.exp(rng.uniform(math.log(0.1), math.log(10.0), shape))
    if domain in ("nonzero", "away_from_zero"):
        magnitude = rng.uniform(GAP, 3.0, shape) if domain == "away_from_zero" else \
            np.exp(rng.uniform(math.log(0.2), math.log(5.0), shape))
        return scale * np.where(rng.random(shape) < 0.5, -1.0, 1.0) * magnitude
    if domain == "distinct":
        return scale * distinct_pool(rng, size).reshape(shape)
    if domain == "bounded":
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "probability":                     # 0 < x < 1, GAP away from both ends
        return rng.uniform(GAP, 1.0 - GAP, shape)
    raise AssertionError(domain)


def distinct_pool(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` values in random order within about ±3, any two at least GAP·min(1, 60/size)
    apart (≥ 0.0015 for the largest arrays drawn here: still a thousand times gradcheck's ε)."""
    grid = (np.arange(size) - (size - 1) / 2) * (2 * GAP)
    jitter = rng.uniform(-GAP / 2, GAP / 2, size)
    return rng.permutation(grid + jitter) * (3.0 / max(3.0, GAP * size))


@st.composite
def rngs(draw) -> np.random.Generator:
    """A NumPy generator seeded from Hypothesis (reproducible under derandomize)."""
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@st.composite
def arrays(draw, shape, domain: str = "real", dtype=np.float64, scale: float = 1.0):
    """An array of ``shape`` and ``dtype`` with values in ``domain``."""
    return np.asarray(domain_values(draw(rngs()), shape, domain, scale), dtype=dtype)


@st.composite
def distinct_arrays(draw, shapes_, dtype=np.float64):
    """Arrays of the given shapes whose values, all taken together, are pairwise distinct."""
    rng = draw(rngs())
    sizes = [math.prod(s) for s in shapes_]
    pool = distinct_pool(rng, sum(sizes))
    out, start = [], 0
    for shape, n in zip(shapes_, sizes):
        out.append(np.asarray(pool[start:start + n].reshape(shape), dtype=dtype))
        start += n
    return tuple(out)


@st.composite
def values_in(draw, shapes_, domains, dtype=np.float64, scale: float = 1.0):
    """One array per shape, the i-th from ``domains[i]``; shared "distinct" ones drawn jointly."""
    rng = draw(rngs())                  # one generator: inputs never coincide by shrinking
    shared = [i for i, d in enumerate(domains) if d == "distinct"]
    out: list = [None] * len(shapes_)
    if shared:
        sizes = [math.prod(shapes_[i]) for i in shared]
        pool = distinct_pool(rng, sum(sizes))
        start = 0
        for i, n in zip(shared, sizes):
            out[i] = pool[start:start + n].reshape(shapes_[i])
            start += n
    for i, (shape, domain) in enumerate(zip(shapes_, domains)):
        if out[i] is None:
            out[i] = domain_values(rng, shape, domain, scale)
    return tuple(np.asarray(a, dtype=dtype) for a in out)


# ------------------------------------------------------------------------------------- indices
def is_basic_index(index) -> bool:
    """Whether ``index`` is NumPy basic indexing (ints, slices, None, Ellipsis only)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) or p is None or p is Ellipsis for p in parts)


@st.composite
def slices(draw, side: int) -> slice:
    """A slice of an axis of ``side`` elements, non-empty, any step sign, ends maybe negative."""
    step = draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
    positions = list(range(side))[::step or 1]
    first = draw(st.integers(0, len(positions) - 1))
    last = draw(st.integers(first, len(positions) - 1))
    start, stop = positions[first], positions[last]
    forward = (step or 1) > 0
    stop = stop + 1 if forward else stop - 1
    if stop < 0:                                       # a negative step running to the start
        stop = None
    if draw(st.booleans()) and start is not None:
        start = start - side                           # the same position, counted from the end
    return slice(start, stop, step)


@st.composite
def basic_indices(draw, shape: tuple[int, ...]):
    """Ints, slices, None and Ellipsis: numpy basic indexing (y is a view of x)."""
    if not shape:
        return draw(st.sampled_from([(), Ellipsis, None]))
    parts: list = []
    count = draw(st.integers(1, len(shape)))
    for side in shape[:count]:
        kind = draw(st.sampled_from(["int", "slice", "slice", "full"]))
        if kind == "int":
            parts.append(draw(st.integers(-side, side - 1)))
        elif kind == "slice":
            parts.append(draw(slices(side)))
        else:
            parts.append(slice(None))
    if draw(st.integers(0, 3)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), None)
    if count < len(shape) and draw(st.booleans()):
        trailing = shape[len(shape) - count:]
        parts = [Ellipsis] + [draw(st.integers(-s, s - 1)) if draw(st.booleans())
                              else draw(slices(s)) for s in trailing]
    return parts[0] if len(parts) == 1 and draw(st.booleans()) else tuple(parts)


@st.composite
def integer_array_indices(draw, shape: tuple[int, ...]):
    """Integer-array (advanced) indices that always repeat at least one position.

    Forms: one array for axis 0 (1-D or 2-D), an array per leading axis (broadcast together),
    or a slice followed by an array. Negative indices occur.
    """
    rng = draw(rngs())

    def positions(side: int, count: int) -> np.ndarray:
        idx = rng.integers(-side, side, count)
        idx[-1] = idx[0] - side if idx[0] >= 0 else idx[0] + side   # the same place, repeated
        return idx

    forms = ["axis0", "axis0_2d"]
    if len(shape) >= 2:
        forms += ["pair", "slice_then_array"]
    form = draw(st.sampled_from(forms))
    count = draw(st.integers(2, 6))
    if form == "axis0":
        return positions(shape[0], count)
    if form == "axis0_2d":
        return positions(shape[0], 2 * count).reshape(2, count)
    if form == "pair":
        first = positions(shape[0], count)
        second = rng.integers(-shape[1], shape[1], count)
        second[-1] = second[0]                         # the pair (first[0], second[0]) repeats
        return (first, second)
    return (slice(None), positions(shape[1], count))


@st.composite
def boolean_indices(draw, shape: tuple[int, ...]):
    """A boolean mask over all axes or over the leading axes (maybe after a full slice)."""
    rng = draw(rngs())
    lead = draw(st.integers(1, len(shape)))
    mask = rng.random(shape[:lead]) < 0.5
    if len(shape) >= 2 and lead == 1 and draw(st.booleans()):
        return (slice(None), rng.random(shape[1:2]) < 0.5)
    return mask


@st.composite
def indices(draw, shape: tuple[int, ...]):
    """A getitem index for ``shape``: basic, integer arrays with repeats, or a boolean mask."""
    if not shape:
        return draw(basic_indices(shape))
    kind = draw(st.sampled_from(["basic", "integer", "boolean"]))
    if kind == "basic":
        return draw(basic_indices(shape))
    if kind == "integer":
        return draw(integer_array_indices(shape))
    return draw(boolean_indices(shape))
