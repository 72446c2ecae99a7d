"""Conformance entries for the ``out=`` keyword (chainrule/ops/out_argument.py): each program
writes into a preallocated tensor and returns the result, the tensor it wrote into, and whether
the two are the same object (PyTorch returns ``out`` itself). tests/test_out_argument.py covers
the dtype rules, resizing, warnings and autograd refusals in depth.
"""
from __future__ import annotations

from harness import Entry, case, floats, ints, shapes


def _into(name, *, dtype="float64", size=(0,), **kwargs):
    def fn(L, *inputs):
        out = L.empty(size, dtype=getattr(L, dtype))
        result = getattr(L, name)(*inputs, out=out, **kwargs)
        return result, out, result is out
    fn.__name__ = f"{name}_out"
    return fn


def _pair(name, *args, **kwargs):
    def fn(L, x):
        out = (L.empty(0, dtype=L.float64), L.empty(0, dtype=L.int64))
        result = getattr(L, name)(x, *args, out=out, **kwargs)
        return tuple(result), result[0] is out[0] and result[1] is out[1]
    fn.__name__ = f"{name}_out_pair"
    return fn


def _creation(name, *args, dtype="float64"):
    def fn(L):
        out = L.empty(3, dtype=getattr(L, dtype))
        result = getattr(L, name)(*args, out=out)
        return result, result is out
    fn.__name__ = f"{name}_out"
    return fn


S = floats(drawn=shapes(0, 3, 0, 3))


def _twice(fn):
    return lambda L, x: fn(L, x, x * 0.5 - 1)
OUT = [
    Entry("add", [case(_twice(_into("add")), S, label="out="),
                  case(_into("add", alpha=2), ints(2, 3), ints(2, 3), label="int into float out"),
                  case(_into("add", dtype="int64"), floats(2), floats(2), raises=True,
                       label="float result into an int64 out")]),
    Entry("mul", [case(_twice(_into("mul")), S, label="out=")]),
    Entry("sub", [case(_into("sub", size=(2, 3)), floats(2, 3), floats(3), label="out=")]),
    Entry("div", [case(_into("div"), floats(3, 2), floats(2), label="out=")]),
    Entry("matmul", [case(_into("matmul"), floats(2, 3), floats(3, 4), label="out="),
                     case(_into("matmul", dtype="float32"), floats(2, 3), floats(3, 4),
                          raises=True, label="another dtype")]),
    Entry("exp", [case(_into("exp"), S, label="out=")]),
    Entry("sum", [case(_into("sum", dim=0), floats(3, 2), label="out=, dim=0")]),
    Entry("mean", [case(_into("mean", dim=1), floats(3, 2), label="out=, dim=1")]),
    Entry("cat", [case(lambda L, a, b: _into("cat")(L, [a, b]), floats(2, 3), floats(1, 3),
                       label="out=")]),
    Entry("clamp", [case(_into("clamp", min=-0.5, max=0.5), S, label="out=")]),
    Entry("max", [case(_pair("max", 1), floats(3, 4), label="out=(values, indices)")]),
    Entry("sort", [case(_pair("sort", descending=True), floats(3, 4),
                        label="out=(values, indices)")]),
    Entry("topk", [case(_pair("topk", 2), floats(3, 4), label="out=(values, indices)")]),
    Entry("zeros", [case(_creation("zeros", 2, 2, dtype="int64"), label="out='s dtype")]),
    Entry("arange", [case(_creation("arange", 3), label="out= of the right size")]),
    Entry("linspace", [case(_creation("linspace", 0, 1, 3), label="out=")]),
]

ENTRIES = OUT
