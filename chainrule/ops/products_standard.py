"""Einstein summation with the array API standard's functions, for array libraries without
``einsum`` (the standard has none; CuPy has its own and uses it).

An equation ``s₁,s₂,…->o`` with explicit subscripts (no ellipsis: :func:`products._parse` has
expanded it) is evaluated in three steps, each whole-array:

1. **Diagonals.** A letter repeated within one operand (``'ii'``) keeps only the entries where
   the two axes agree: ``where(eye, a, 0)`` summed over the second axis — exact, since every other
   term of that sum is 0.
2. **Alignment.** Each operand's axes are permuted into one global letter order and the letters
   it lacks become axes of size 1, so that all operands broadcast against each other.
3. **Contraction, left to right.** out ← out ⊙ aₖ (broadcast), then a letter that no later
   operand and not the output names is summed away at once (keepdims), which keeps the
   intermediate as small as this order allows. The remaining axes are put in the output's order.

Cost: the product of one step is as large as the union of the letters of the running result and
the next operand (no BLAS, no contraction-order search); NumPy's ``einsum(optimize=True)`` is
faster. The sums run in another order than NumPy's, which changes results by roundings.
"""
from __future__ import annotations

from ..backend import namespace


def _take_diagonals(ns, a, sub: str):
    """``a`` with every repeated letter of ``sub`` reduced to its diagonal; the new subscripts."""
    while True:
        repeated = next((c for c in sub if sub.count(c) > 1), None)
        if repeated is None:
            return a, sub
        i = sub.index(repeated)
        j = sub.index(repeated, i + 1)
        n = a.shape[i]
        eye = ns.reshape(ns.arange(n, device=a.device), (n, 1)) == ns.arange(n, device=a.device)
        shape = [1] * a.ndim
        shape[i] = shape[j] = n
        a = ns.sum(ns.where(ns.reshape(eye, tuple(shape)), a, ns.zeros_like(a)), axis=j)
        sub = sub[:j] + sub[j + 1:]


def _align(ns, a, sub: str, order: str):
    """``a`` (distinct letters ``sub``) with its axes in ``order``, size 1 for the letters it
    lacks."""
    present = [c for c in order if c in sub]
    a = ns.permute_dims(a, tuple(sub.index(c) for c in present))
    shape = tuple(a.shape[present.index(c)] if c in sub else 1 for c in order)
    return ns.reshape(a, shape)


def einsum(equation: str, *arrays):
    """``equation`` (explicit ``->``, no ellipsis) of ``arrays`` by the steps of the module
    docstring."""
    ns = namespace(arrays[0])
    lhs, out = equation.split("->")
    subs = lhs.split(",")
    operands = []
    for a, sub in zip(arrays, subs):
        a, sub = _take_diagonals(ns, a, sub)
        operands.append((a, sub))
    order = ""
    for _, sub in operands:
        order += "".join(c for c in sub if c not in order)
    result = None
    for k, (a, sub) in enumerate(operands):
        aligned = _align(ns, a, sub, order)
        result = aligned if result is None else result * aligned
        later = set(out).union(*(s for _, s in operands[k + 1:]))
        done = tuple(axis for axis, c in enumerate(order) if c not in later)
        if done:            # (each such letter has been seen: no later operand names it)
            result = ns.sum(result, axis=done)
            order = "".join(c for c in order if c in later)
    return ns.permute_dims(result, tuple(order.index(c) for c in out))
