"""The conformance harness: one program, run on PyTorch and on chainrule, results compared.

An :class:`Entry` names one public PyTorch name that chainrule exposes ("gather",
"Tensor.max", "nn.functional.pad", "nn.PReLU", "optim.Rprop") and lists :func:`case`\\ s. A case
is a program ``fn(L, *inputs)`` written once against the library ``L`` (``torch`` or
``chainrule``: the same source text) and input specs. The harness

- draws the inputs as NumPy arrays (fixed shapes, or shapes drawn by Hypothesis when a spec
  is given a ``shape`` strategy) and hands each library its own tensors of the same values;
- compares the results structurally: the same Python types (a named tuple has the same type name
  and fields; a tuple/list the same length), tensors with the same shape, the same dtype and equal
  values (float64: relative 1e-10; float32: 1e-5), Python scalars equal;
- for ``grad=[i, …]``, makes those inputs require grad, backpropagates ⟨w, output⟩ with the same
  random w in both libraries, and compares the gradients.

``raises=True`` says both libraries must raise (any exception) on this program. ``nondeterministic``
results (random draws) can pass ``compare="shape"`` to compare only structure, shapes and dtypes.
``xfail="reason"`` marks a known chainrule difference (a strict expected failure: the case fails
the suite once the difference is fixed, so that the mark is removed).

tests/conformance/test_conformance.py collects ``ENTRIES`` from every ``table_*.py`` beside this
file and runs each case as its own test: cases with drawn shapes under Hypothesis ``@given`` (the
suite's profile), fixed ones once with seed 0.  The same file holds the coverage test: every
public name chainrule shares with PyTorch needs an Entry.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr

RTOL64, ATOL64 = 1e-10, 1e-12
RTOL32, ATOL32 = 1e-5, 1e-6


# ------------------------------------------------------------------------------ input specs
@dataclass
class Spec:
    kind: str                   # "float", "int", "bool", "value"
    shape: object = ()          # a tuple, or a Hypothesis strategy of tuples
    low: float = -2.0
    high: float = 2.0
    dtype: str = "float64"
    value: object = None        # kind "value": passed as it is (a Python number, a list, ...)

    def draw(self, rng: np.random.Generator, draw=None):
        shape = self.shape
        if not isinstance(shape, tuple):
            shape = draw(shape)
        if self.kind == "float":
            return rng.uniform(self.low, self.high, shape).astype(self.dtype)
        if self.kind == "int":
            return rng.integers(int(self.low), int(self.high), shape).astype(self.dtype)
        if self.kind == "bool":
            return rng.random(shape) < 0.5
        if self.kind == "positive":
            return rng.uniform(self.low, self.high, shape).astype(self.dtype)
        return self.value


def floats(*shape, low: float = -2.0, high: float = 2.0, dtype: str = "float64",
           drawn=None) -> Spec:
    """A float array (float64 unless ``dtype``); ``drawn``: a Hypothesis strategy of shapes."""
    return Spec("float", drawn if drawn is not None else tuple(shape), low, high, dtype)


def positive(*shape, low: float = 0.1, high: float = 3.0, dtype: str = "float64") -> Spec:
    return Spec("positive", tuple(shape), low, high, dtype)


def ints(*shape, low: int = 0, high: int = 5, dtype: str = "int64", drawn=None) -> Spec:
    return Spec("int", drawn if drawn is not None else tuple(shape), low, high, dtype)


def bools(*shape, drawn=None) -> Spec:
    return Spec("bool", drawn if drawn is not None else tuple(shape))


def value(v) -> Spec:
    """A Python value passed unchanged to both programs (a number, a list, a shape)."""
    return Spec("value", value=v)


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = 4):
    """A Hypothesis strategy of shapes, including 0-d, empty and size-1 dimensions."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


@dataclass
class Case:
    fn: Callable
    inputs: tuple
    grad: tuple = ()
    raises: bool = False
    compare: str = "values"     # or "shape" (random results)
    label: str = ""
    xfail: str = ""             # a known chainrule bug: the reason (a strict expected failure)

    def describe(self) -> str:
        return self.label or getattr(self.fn, "__name__", "case")

    @property
    def drawn(self) -> bool:
        """Whether some input's shape is drawn by Hypothesis (the case then runs under @given)."""
        return any(isinstance(s, Spec) and s.kind != "value" and not isinstance(s.shape, tuple)
                   for s in self.inputs)


def case(fn: Callable, *inputs, grad=(), raises: bool = False, compare: str = "values",
         label: str = "", xfail: str = "") -> Case:
    """One program ``fn(L, *inputs)`` and its inputs (specs, or plain values passed as they are).

    ``grad``: indices of inputs to differentiate with respect to; ``raises``: both libraries must
    raise; ``compare="shape"``: compare structure, shapes and dtypes only (random results);
    ``xfail``: the reason chainrule is known to differ (a strict expected failure).
    """
    return Case(fn, tuple(inputs), tuple(grad), raises, compare, label, xfail)


@dataclass
class Entry:
    name: str
    cases: list = field(default_factory=list)
    note: str = ""              # a deliberate difference, stated (docs/pytorch.md lists them)


# ------------------------------------------------------------------------------ running
def _to_lib(L, array, requires_grad: bool):
    if not isinstance(array, np.ndarray):
        return array
    if L is torch:
        t = torch.from_numpy(array.copy())
        return t.requires_grad_(True) if requires_grad else t
    return cr.tensor(array.copy(), requires_grad=requires_grad)


def run_case(c: Case, seed: int = 0, draw=None):
    """Run ``c`` on both libraries; assert that they agree."""
    rng = np.random.default_rng(seed)
    arrays = [spec.draw(rng, draw) if isinstance(spec, Spec) else spec for spec in c.inputs]
    results = {}
    errors = {}
    inputs = {}
    for L in (torch, cr):
        args = [_to_lib(L, a, i in c.grad) for i, a in enumerate(arrays)]
        inputs[L] = args
        try:
            results[L] = c.fn(L, *args)
        except Exception as exc:   # noqa: BLE001  (compared below: both must raise or neither)
            errors[L] = exc
    if c.raises:
        assert torch in errors, f"{c.describe()}: PyTorch did not raise; the case is wrong"
        assert cr in errors, f"{c.describe()}: PyTorch raises {errors[torch]!r}, chainrule " \
                             f"returned {results.get(cr)!r}"
        return
    if torch in errors:
        raise AssertionError(f"{c.describe()}: PyTorch itself raised {errors[torch]!r}; "
                             "the case is wrong")
    if cr in errors:
        raise AssertionError(f"{c.describe()}: chainrule raised {errors[cr]!r}") from errors[cr]
    compare(results[cr], results[torch], c.describe(), c.compare)
    if c.grad:
        _compare_grads(c, results, inputs, rng)


def _tensors(result) -> list:
    if isinstance(result, (torch.Tensor, cr.Tensor)):
        return [result]
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(_tensors(r))
        return out
    return []


def _compare_grads(c: Case, results, inputs, rng) -> None:
    outs = {L: [t for t in _tensors(results[L]) if t.dtype in (torch.float32, torch.float64)
                or (L is cr and t.dtype.kind == "f")] for L in (torch, cr)}
    weights = [rng.standard_normal(tuple(t.shape)) for t in outs[torch]]
    for L in (torch, cr):
        total = None
        for t, w in zip(outs[L], weights):
            if not t.requires_grad:
                continue
            wt = _to_lib(L, w.astype(_np_dtype(t)), False)
            term = (t * wt).sum()
            total = term if total is None else total + term
        if total is not None:
            total.backward()
    for i in c.grad:
        gt, gc = inputs[torch][i].grad, inputs[cr][i].grad
        where = f"{c.describe()}: gradient of input {i}"
        if gt is None:
            assert gc is None or not np.any(gc.numpy()), f"{where}: PyTorch has none"
            continue
        assert gc is not None, f"{where}: chainrule has none, PyTorch {gt}"
        compare(gc, gt, where, "values")


def _np_dtype(t) -> np.dtype:
    if isinstance(t, torch.Tensor):
        return np.dtype(str(t.dtype).removeprefix("torch."))
    return np.dtype(t.dtype)


def compare(actual, expected, where: str, mode: str = "values") -> None:
    """Structural equality of a chainrule result with PyTorch's (see the module docstring)."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, cr.Tensor), \
            f"{where}: expected a Tensor, got {type(actual).__name__} {actual!r}"
        a, e = actual.numpy(), expected.detach().numpy()
        assert a.shape == e.shape, f"{where}: shape {a.shape}, PyTorch {e.shape}"
        assert a.dtype == e.dtype, f"{where}: dtype {a.dtype}, PyTorch {e.dtype}"
        if mode == "shape":
            return
        if a.dtype.kind in "fc":
            part = a.dtype.itemsize // (2 if a.dtype.kind == "c" else 1)   # complex64: 4
            rtol, atol = (RTOL32, ATOL32) if part <= 4 else (RTOL64, ATOL64)
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(a, e, err_msg=where)
        return
    if isinstance(expected, tuple) and hasattr(expected, "_fields") or \
            type(expected).__module__ == "torch.return_types":
        names = type(expected).__name__
        assert type(actual).__name__ == names, \
            f"{where}: returns {type(actual).__name__}, PyTorch returns {names}"
        fields = getattr(type(expected), "_fields", None) or \
            [f for f in ("values", "indices", "min", "max", "sign", "logabsdet", "Q", "R",
                         "U", "S", "V", "Vh", "eigenvalues", "eigenvectors", "hist",
                         "bin_edges") if hasattr(expected, f)]
        for f in fields:
            compare(getattr(actual, f), getattr(expected, f), f"{where}.{f}", mode)
        return
    if isinstance(expected, torch.Size):     # a tuple subclass: chainrule has its own Size
        assert isinstance(actual, tuple) and type(actual).__name__ == "Size", \
            f"{where}: returns {type(actual).__name__} {actual!r}, PyTorch returns torch.Size"
        assert tuple(actual) == tuple(expected), f"{where}: {actual}, PyTorch {expected}"
        assert all(type(n) is int for n in actual), f"{where}: sizes {actual!r} are not ints"
        return
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, type(expected)) or (
            isinstance(actual, (tuple, list)) and type(expected) in (tuple, list)
            and type(actual) is type(expected)), \
            f"{where}: returns {type(actual).__name__}, PyTorch returns {type(expected).__name__}"
        assert len(actual) == len(expected), \
            f"{where}: {len(actual)} results, PyTorch {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            compare(a, e, f"{where}[{i}]", mode)
        return
    if isinstance(expected, torch.dtype):
        assert np.dtype(actual) == np.dtype(str(expected).removeprefix("torch.")), \
            f"{where}: dtype {actual}, PyTorch {expected}"
        return
    if isinstance(expected, torch.device):
        assert str(actual) == str(expected), f"{where}: device {actual}, PyTorch {expected}"
        return
    if isinstance(expected, (bool, int, float, complex, str)) or expected is None:
        assert type(actual) is type(expected), \
            f"{where}: {type(actual).__name__} {actual!r}, PyTorch {type(expected).__name__} " \
            f"{expected!r}"
        if isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(actual), f"{where}: {actual}, PyTorch nan"
        elif isinstance(expected, float):
            assert actual == expected or math.isclose(actual, expected, rel_tol=1e-10,
                                                      abs_tol=1e-12), \
                f"{where}: {actual}, PyTorch {expected}"
        else:
            assert actual == expected, f"{where}: {actual!r}, PyTorch {expected!r}"
        return
    raise AssertionError(f"{where}: the harness cannot compare PyTorch's {type(expected)}")
