"""nn.init's trunc_normal_, eye_, dirac_, sparse_ and the deprecated names without the
underscore, against PyTorch. The random ones draw through ``Tensor.normal_`` / ``uniform_`` and
``chainrule.randperm``, which follow PyTorch's generator: with the same seed the values are
PyTorch's bit for bit (tests/nn/test_init_stream.py), so they are compared value for value,
besides their bounds and distribution."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

DTYPES = {"float64": (cr.float64, torch.float64), "float32": (cr.float32, torch.float32)}


def _both(shape, dtype="float64"):
    c, t = DTYPES[dtype]
    return cr.empty(*shape, dtype=c), torch.empty(*shape, dtype=t)


def _seed(s):
    cr.manual_seed(s)
    torch.manual_seed(s)


# ------------------------------------------------------------------------------ trunc_normal_
TRUNC = [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 1.0, -0.5, 0.5),
         (1.0, 2.0, -1.0, 0.0), (0.0, 1.0, 2.0, 3.0), (0.0, 0.02, -0.04, 0.04)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("mean", "std", "a", "b"), TRUNC)
def test_trunc_normal_is_pytorchs_draw_for_draw(mean, std, a, b, dtype):
    mine, theirs = _both((64, 33), dtype)
    _seed(3)
    assert cr.nn.init.trunc_normal_(mine, mean, std, a, b) is mine
    torch.nn.init.trunc_normal_(theirs, mean, std, a, b)
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=tol, atol=tol * std)
    assert mine.numpy().min() >= a and mine.numpy().max() <= b


def test_trunc_normal_distribution():
    """Mean and variance of N(μ, σ²) truncated to [a, b] (closed forms), within 5 standard
    errors, for a wide window (normal redraws) and a narrow far one (uniform rejection)."""
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)     # noqa: E731
    Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2               # noqa: E731
    for mean, std, a, b in ((0.0, 1.0, -1.0, 2.0), (0.0, 1.0, 1.5, 4.0)):
        w = cr.empty(200, 500, dtype=cr.float64)
        cr.manual_seed(0)
        cr.nn.init.trunc_normal_(w, mean, std, a, b)
        al, be = (a - mean) / std, (b - mean) / std
        z = Phi(be) - Phi(al)
        mu = mean + std * (phi(al) - phi(be)) / z
        var = std ** 2 * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2)
        x = w.numpy().ravel()
        assert abs(x.mean() - mu) < 5 * math.sqrt(var / x.size)
        assert abs(x.var() / var - 1) < 0.02
        assert x.min() >= a and x.max() <= b


def test_trunc_normal_generator_and_warning():
    mine, theirs = _both((5, 40))
    cr.nn.init.trunc_normal_(mine, generator=cr.Generator().manual_seed(9))
    torch.nn.init.trunc_normal_(theirs, generator=torch.Generator().manual_seed(9))
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    for L, w in ((cr, mine), (torch, theirs)):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            L.nn.init.trunc_normal_(w, mean=10.0, std=1.0, a=-2.0, b=2.0)


def test_trunc_normal_of_a_parameter_keeps_it_a_leaf():
    p = cr.nn.Parameter(cr.zeros(3, 4))
    cr.nn.init.trunc_normal_(p, std=0.02)
    assert p.requires_grad and p.grad is None and p.is_leaf
    assert np.abs(p.numpy()).max() <= 2.0


# ------------------------------------------------------------------------------ eye_, dirac_
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye(shape):
    mine, theirs = _both(shape, "float32")
    assert cr.nn.init.eye_(mine) is mine
    torch.nn.init.eye_(theirs)
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    p = cr.nn.Parameter(cr.zeros(*shape))
    cr.nn.init.eye_(p)
    assert p.requires_grad


@pytest.mark.parametrize(("shape", "groups"), [((4, 3, 5), 1), ((6, 4, 3, 3), 2),
                                               ((6, 2, 3, 4), 3), ((2, 5, 3, 3, 3), 1),
                                               ((3, 3, 2, 2), 3)])
def test_dirac(shape, groups):
    mine, theirs = _both(shape, "float32")
    mine.fill_(7.0)
    assert cr.nn.init.dirac_(mine, groups) is mine
    torch.nn.init.dirac_(theirs, groups)
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_eye_dirac_sparse_errors():
    for L in (cr, torch):
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            L.nn.init.eye_(L.empty(2, 3, 4))
        with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
            L.nn.init.dirac_(L.empty(2, 3))
        with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
            L.nn.init.dirac_(L.empty(5, 3, 3), groups=2)
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            L.nn.init.sparse_(L.empty(2, 3, 4), 0.1)


# ------------------------------------------------------------------------------ sparse_
@pytest.mark.parametrize(("shape", "sparsity"), [((10, 6), 0.3), ((7, 4), 0.0), ((5, 5), 1.0)])
def test_sparse_is_pytorchs_draw_for_draw(shape, sparsity):
    mine, theirs = _both(shape)
    _seed(4)
    assert cr.nn.init.sparse_(mine, sparsity, std=0.5) is mine
    torch.nn.init.sparse_(theirs, sparsity, std=0.5)
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    zeros = (mine.numpy() == 0).sum(axis=0)
    assert (zeros == math.ceil(sparsity * shape[0])).all()


# ------------------------------------------------------------------------------ deprecated
DEPRECATED = {
    "uniform": ((2, 3), ()), "normal": ((2, 3), ()), "constant": ((2, 3), (0.5,)),
    "eye": ((2, 3), ()), "dirac": ((2, 2, 3), ()), "xavier_uniform": ((2, 3), ()),
    "xavier_normal": ((2, 3), ()), "kaiming_uniform": ((2, 3), ()),
    "kaiming_normal": ((2, 3), ()), "orthogonal": ((2, 3), ()), "sparse": ((4, 3), (0.5,)),
}


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_deprecated_names_warn_as_pytorch(name):
    shape, args = DEPRECATED[name]
    messages = []
    for L in (cr, torch):
        w = L.zeros(*shape)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(L.nn.init, name)(w, *args)
        assert out is w
        assert [c.category for c in caught] == [FutureWarning]
        assert caught[0].filename == __file__                  # attributed to the caller
        messages.append(str(caught[0].message))
        assert getattr(L.nn.init, name).__name__ == name
    assert messages[0] == messages[1] == (f"`nn.init.{name}` is now deprecated in favor of "
                                          f"`nn.init.{name}_`.")
    if name in ("constant", "eye", "dirac"):
        a, b = cr.zeros(*shape), torch.zeros(*shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            getattr(cr.nn.init, name)(a, *args)
            getattr(torch.nn.init, name)(b, *args)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
