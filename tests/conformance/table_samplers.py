"""Conformance entries for PyTorch's rejection samplers (chainrule/random.py,
kernels/samplers.py): seeded draws of ``binomial`` compared value for value with PyTorch's
(the same seed gives the same numbers, and the stream is left in step)."""
from __future__ import annotations

import numpy as np
from harness import Entry, case, positive, value


def _seeded(seed, draw):
    def fn(L, *inputs):
        L.manual_seed(seed)
        return draw(L, *inputs), L.rand(3, dtype=L.float64)
    return fn


_COUNTS = value(np.array([[0.0, 3.0, 12.0, 40.0], [100.0, 1000.0, 7.0, 25.0]]))
_PROBS = value(np.array([[0.5, 0.2, 0.95, 0.25], [0.3, 0.6, 1.0, 0.0]]))

SAMPLERS = [
    Entry("binomial", [
        case(_seeded(0, lambda L, n, p: L.binomial(n, p)), _COUNTS, _PROBS,
             label="inversion, BTRS and p > 1/2"),
        case(_seeded(3, lambda L, n, p: L.binomial(n.float(), p.float())), _COUNTS, _PROBS,
             label="float32"),
        case(_seeded(1, lambda L, n: L.binomial(n, L.full_like(n, 0.4))),
             positive(5, low=1.0, high=60.0), label="drawn counts"),
        case(lambda L, n: L.binomial(n, L.full_like(n, 0.5).half()), _COUNTS, raises=True),
    ]),
]

ENTRIES = [*SAMPLERS]
