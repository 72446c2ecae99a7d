"""chainrule.testing.assert_close against torch.testing.assert_close (the same verdict and the
same report on the same inputs), and chainrule.backends' switches importable and settable as
PyTorch programs use them."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.testing  # noqa: F401


def _verdict(L, make):
    try:
        L.testing.assert_close(*make(L)[:2], **make(L)[2])
    except Exception as exc:    # the report, with the library's own Tensor class name removed
        return type(exc).__name__, str(exc).replace("chainrule.tensor.Tensor", "torch.Tensor")
    return None


def _t(values, dtype=None):
    return lambda L: L.tensor(values, dtype=None if dtype is None else getattr(L, dtype))


CASES = {
    "close float32": lambda L: (L.tensor([1.0, 2, 3]), L.tensor([1.0, 2.1, 3]), {}),
    "dtype": lambda L: (L.tensor([1.0, 2]), L.tensor([1.0, 2], dtype=L.float64), {}),
    "shape": lambda L: (L.tensor([1.0, 2, 3]), L.tensor([1.0, 2]), {}),
    "integers": lambda L: (L.tensor([1, 2, 3]), L.tensor([1, 2, 4]), {}),
    "uint8 wrap": lambda L: (L.tensor([1, 2], dtype=L.uint8), L.tensor([3, 2], dtype=L.uint8),
                             {}),
    "floats": lambda L: (1.0, 1.1, {}),
    "floats equal enough": lambda L: (1.0, 1.0 + 1e-9, {}),
    "ints": lambda L: (1, 2, {}),
    "nested list": lambda L: ([L.tensor(1.0)], [L.tensor(2.0)], {}),
    "mapping": lambda L: ({"a": L.tensor(1.0)}, {"a": L.tensor(2.0)}, {}),
    "keys": lambda L: ({"a": L.tensor(1.0)}, {"b": L.tensor(1.0)}, {}),
    "nan": lambda L: (L.tensor([float("nan")]), L.tensor([float("nan")]), {}),
    "nan equal": lambda L: (L.tensor([float("nan")]), L.tensor([float("nan")]),
                            {"equal_nan": True}),
    "rtol only": lambda L: (L.tensor([1.0]), L.tensor([1.1]), {"rtol": 0.2}),
    "tolerances": lambda L: (L.tensor([1.0, 2]), L.tensor([1.0, 2.5]), {"rtol": 0.0, "atol": 0.6}),
    "tensor and float": lambda L: (L.tensor([1.0]), 1.0, {}),
    "msg": lambda L: (L.tensor([[1.0, 5], [3, 4]]), L.tensor([[1.0, 2], [3, 4]]),
                      {"msg": "custom"}),
    "bool scalars": lambda L: (L.tensor(True), L.tensor(False), {}),
    "zero expected": lambda L: (L.tensor([[1.0, 5], [3, 0]]), L.tensor([[1.0, 2], [3, 1e-3]]),
                                {}),
    "no dtype check": lambda L: (L.tensor([1, 2]), L.tensor([1.0, 2.0]), {"check_dtype": False}),
    "tuple and list": lambda L: ((1, 2.0), [1, 2.0], {}),
    "float64 close": lambda L: (L.tensor([1.0, 2.0], dtype=L.float64),
                                L.tensor([1.0, 2.0 + 1e-8], dtype=L.float64), {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_gives_pytorchs_verdict_and_report(name):
    assert _verdict(cr, CASES[name]) == _verdict(torch, CASES[name])


def test_assert_close_accepts_equal_values_of_every_kind():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    cr.testing.assert_close(cr.tensor(x), cr.tensor(x.copy()))
    cr.testing.assert_close({"w": [cr.tensor(x)], "n": 3}, {"w": [cr.tensor(x)], "n": 3})


@pytest.mark.parametrize("module", ["cudnn", "cuda", "mps", "mkldnn", "mkl", "openmp"])
def test_backends_modules_import_as_in_pytorch(module):
    mine = importlib.import_module(f"chainrule.backends.{module}")
    theirs = importlib.import_module(f"torch.backends.{module}")
    assert mine is getattr(cr.backends, module)
    shared = [n for n in ("is_available", "is_built", "enabled", "benchmark", "deterministic",
                          "allow_tf32", "matmul") if hasattr(theirs, n)]
    assert all(hasattr(mine, n) for n in shared), shared


def test_backends_switches_are_settable_and_describe_chainrule():
    import chainrule.backends.cudnn as cudnn

    previous = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark = True
        cr.backends.cudnn.deterministic = True
        assert cr.backends.cudnn.benchmark and cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = previous
    assert cr.backends.mps.is_available() is False
    assert cr.backends.cudnn.is_available() == (cr.cuda.is_available() and
                                                cr.backends.cudnn.version() is not None)
    cr.backends.cuda.matmul.allow_tf32 = False
