"""Conformance entries for == and != with objects that are not numbers or tensors: PyTorch
answers unequal (so ``x in [None, "auto"]`` and list membership work), never elementwise."""
from __future__ import annotations

from harness import Entry, case, floats

ENTRIES = [
    Entry("Tensor.__eq__", [case(lambda L, x: x == "a", floats(2), label="str"),
                            case(lambda L, x: x == [1.0, 2.0], floats(2), label="list"),
                            case(lambda L, x: x == None, floats(2), label="None"),  # noqa: E711
                            case(lambda L, x: x in [None, "auto"], floats(1), label="membership")]),
    Entry("Tensor.__ne__", [case(lambda L, x: x != (1, 2), floats(2), label="tuple"),
                            case(lambda L, x: x != None, floats(2), label="None")]),  # noqa: E711
]
