"""Conformance entries for how tensors print: ``repr``/``str`` of tensors and parameters, and
``set_printoptions`` (each option and profile). A case returns the printed text, compared
character for character; the dtype's library name (``dtype=torch.float64``, chainrule's
``dtype=float64``) is the one difference taken away. Every case restores the default options.
(tests/test_tensor_format.py sweeps dtypes, shapes and values under Hypothesis.)
"""
from __future__ import annotations

from harness import Entry, case, floats, ints, shapes, value


def _text(x) -> str:
    return repr(x).replace("dtype=torch.", "dtype=")


def _printed(**options):
    """A program: ``repr`` of its tensor (made from its input) under ``options``."""
    def run(L, x, *make):
        L.set_printoptions(**options)
        try:
            return _text(make[0](L, x) if make else x)
        finally:
            L.set_printoptions(profile="default")
    return run


def _scaled(scale):
    return lambda L, x: x * scale


ENTRIES = [
    Entry("set_printoptions", [
        case(_printed(precision=2), floats(3, 4), label="precision"),
        case(_printed(precision=0), floats(5), label="precision-0"),
        case(_printed(threshold=5), floats(4, 3), label="threshold"),
        case(_printed(threshold=10, edgeitems=1), floats(3, 5, 4), label="edgeitems"),
        case(_printed(threshold=10, edgeitems=0), floats(6, 5), label="edgeitems-0"),
        case(_printed(linewidth=30), floats(2, 12), label="linewidth"),
        case(_printed(sci_mode=True), floats(2, 3), label="sci_mode"),
        case(_printed(sci_mode=False), floats(6), value(_scaled(1e9)), label="sci_mode-off"),
        case(_printed(profile="short"), floats(40, 30), label="profile-short"),
        case(_printed(profile="full"), floats(1200), label="profile-full"),
        case(_printed(profile="full", precision=6), ints(30, 40, high=10**6),
             label="profile-then-option"),
        case(_printed(threshold=8, linewidth=40, precision=3), floats(drawn=shapes()),
             label="drawn"),
    ]),
    Entry("Tensor.__repr__", [
        case(lambda L, x: _text(x), floats(2, 3), label="float64"),
        case(lambda L, x: _text(x.float()), floats(drawn=shapes()), label="float32-drawn"),
        case(lambda L, x: _text(x * 1e6), floats(3, 2), label="scientific"),
        case(lambda L, x: _text(x.round()), floats(4, low=-500, high=500), label="integral"),
        case(lambda L, x: _text(x), ints(drawn=shapes()), label="int64-drawn"),
        case(lambda L, x: _text(x.to(L.int8)), ints(2, 2, 3, low=-100, high=100),
             label="int8"),
        case(lambda L, x: _text(x > 0), floats(3, 3), label="bool"),
        case(lambda L, x: _text(x.float().requires_grad_()), floats(2, 2),
             label="requires_grad"),
        case(lambda L, x: _text(L.log(x)), floats(5, low=-1, high=1), label="nan"),
        case(lambda L, x: _text(x / 0), floats(4), label="inf"),
        case(lambda L, x: _text(-L.zeros(2, 0, 3)), floats(1), label="empty"),
        case(lambda L, x: _text(x[0, 0]), floats(2, 2), label="0-d"),
        case(lambda L, x: _text(L.arange(2000.0)), floats(1), label="summarised"),
        case(lambda L, x: _text(L.arange(24.0).reshape(2, 3, 4) / 7), floats(1), label="3-d"),
    ]),
    Entry("Tensor.__str__", [
        case(lambda L, x: str(x).replace("dtype=torch.", "dtype="), floats(drawn=shapes()),
             label="drawn"),
    ]),
    Entry("nn.Parameter", [
        case(lambda L, x: _text(L.nn.Parameter(x.float())), floats(2, 3), label="repr"),
        case(lambda L, x: _text(L.nn.Parameter(x, requires_grad=False)), floats(3),
             label="repr-no-grad"),
    ]),
]
