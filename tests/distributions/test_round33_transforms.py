"""The transforms (``chainrule.distributions.transforms``), ``biject_to``/``transform_to`` and
``TransformedDistribution`` against PyTorch in float64: y = t(x), t.inv(y), log |det J|, the
gradients of y and log |det J| in x and in the transform's parameters, shapes, domain/codomain,
sign, bijectivity, caching and equality."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as T
from torch.distributions import constraints as TC

import chainrule as cr
import chainrule.distributions as D
from chainrule.distributions import constraints as CC


def _t(lib, a, grad=False):
    return lib.tensor(np.asarray(a, dtype=np.float64), dtype=lib.float64, requires_grad=grad)


def _lib(lib):
    return D if lib is cr else T


rng = np.random.default_rng(0)
X_REAL = rng.standard_normal((2, 3)) * 2
X_POS = np.exp(rng.standard_normal((2, 3)))
X_SIMPLEX = (lambda g: g / g.sum(-1, keepdims=True))(np.exp(rng.standard_normal((2, 4))))
X_MAT = rng.standard_normal((2, 3, 3))

# (name, builder lib -> transform, x, has log-det); parameters built from float64 arrays
CASES = [
    ("Exp", lambda lib: _lib(lib).ExpTransform(), X_REAL, True),
    ("Power(number)", lambda lib: _lib(lib).PowerTransform(2.5), X_POS, True),
    ("Power(tensor)", lambda lib: _lib(lib).PowerTransform(_t(lib, [-0.5, 1.5, 3.0])), X_POS,
     True),
    ("Sigmoid", lambda lib: _lib(lib).SigmoidTransform(), X_REAL * 5, True),
    ("Softplus", lambda lib: _lib(lib).SoftplusTransform(), np.concatenate(
        [X_REAL * 10, [[25.0, -30.0, 0.1]]]), True),
    ("Tanh", lambda lib: _lib(lib).TanhTransform(), X_REAL, True),
    ("Abs", lambda lib: _lib(lib).AbsTransform(), X_REAL, False),
    ("Affine(numbers)", lambda lib: _lib(lib).AffineTransform(0.5, -2.0), X_REAL, True),
    ("Affine(tensors)", lambda lib: _lib(lib).AffineTransform(_t(lib, [1.0, -1.0, 0.5]),
                                                              _t(lib, [2.0, 0.3, -1.5])),
     X_REAL, True),
    ("Affine(event_dim=1)", lambda lib: _lib(lib).AffineTransform(
        _t(lib, [1.0, -1.0, 0.5]), _t(lib, [2.0, 0.3, -1.5]), event_dim=1), X_REAL, True),
    ("Compose", lambda lib: _lib(lib).ComposeTransform(
        [_lib(lib).AffineTransform(0.3, 1.7), _lib(lib).ExpTransform(),
         _lib(lib).PowerTransform(0.5)]), X_REAL, True),
    ("Compose(stick-breaking after affine)", lambda lib: _lib(lib).ComposeTransform(
        [_lib(lib).AffineTransform(0.3, 1.7), _lib(lib).StickBreakingTransform()]), X_REAL,
     True),
    ("identity", lambda lib: _lib(lib).identity_transform, X_REAL, True),
    ("Independent(Exp, 1)", lambda lib: _lib(lib).IndependentTransform(
        _lib(lib).ExpTransform(), 1), X_REAL, True),
    ("Reshape", lambda lib: _lib(lib).ReshapeTransform((3,), (3, 1)), X_REAL, True),
    ("Softmax", lambda lib: _lib(lib).SoftmaxTransform(), X_REAL, False),
    ("StickBreaking", lambda lib: _lib(lib).StickBreakingTransform(), X_REAL, True),
    ("LowerCholesky", lambda lib: _lib(lib).LowerCholeskyTransform(), X_MAT, False),
    ("PositiveDefinite", lambda lib: _lib(lib).PositiveDefiniteTransform(), X_MAT, False),
    ("CorrCholesky", lambda lib: _lib(lib).CorrCholeskyTransform(),
     rng.standard_normal((2, 6)), True),
    ("Cat(dim=-1)", lambda lib: _lib(lib).CatTransform(
        [_lib(lib).ExpTransform(), _lib(lib).AffineTransform(1.0, 2.0)], dim=-1,
        lengths=[1, 2]), X_REAL, True),
    ("Cat(dim=0)", lambda lib: _lib(lib).CatTransform(
        [_lib(lib).SigmoidTransform(), _lib(lib).ExpTransform()], dim=0), X_REAL, True),
    ("Stack(dim=-1)", lambda lib: _lib(lib).StackTransform(
        [_lib(lib).ExpTransform(), _lib(lib).TanhTransform(), _lib(lib).identity_transform],
        dim=-1), X_REAL, True),
    ("CumulativeDistribution(Normal)", lambda lib: _lib(lib).CumulativeDistributionTransform(
        _lib(lib).Normal(_t(lib, 0.5), _t(lib, 2.0))), X_REAL, True),
    ("Exp.inv", lambda lib: _lib(lib).ExpTransform().inv, X_POS, True),
    ("StickBreaking.inv", lambda lib: _lib(lib).StickBreakingTransform().inv, X_SIMPLEX, True),
    ("Sigmoid.inv", lambda lib: _lib(lib).SigmoidTransform().inv,
     1 / (1 + np.exp(-X_REAL)), True),
]
IDS = [c[0] for c in CASES]


def _close(a, b, what, rtol=1e-12):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-13, err_msg=what, equal_nan=True)


@pytest.mark.parametrize("name, build, x, logdet", CASES, ids=IDS)
def test_transform_matches_torch(name, build, x, logdet):
    out = {}
    for lib in (cr, torch):
        t = build(lib)
        xx = _t(lib, x, grad=True)
        y = t(xx)
        res = {"y": y, "inv": t.inv(y.detach()),
               "forward_shape": tuple(t.forward_shape(tuple(xx.shape))),
               "inverse_shape": tuple(t.inverse_shape(tuple(y.shape))),
               "domain": t.domain.event_dim, "codomain": t.codomain.event_dim,
               "bijective": t.bijective}
        try:
            res["sign"] = t.sign
        except NotImplementedError:
            res["sign"] = "none"
        total = (y * _t(lib, np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)))).sum()
        if logdet:
            ld = t.log_abs_det_jacobian(xx, y)
            res["logdet"] = ld
            total = total + (ld * _t(lib, np.linspace(1.0, 2.0, ld.numel())
                                     .reshape(tuple(ld.shape)))).sum()
        total.backward()
        res["grad"] = xx.grad
        out[lib] = res
    ours, theirs = out[cr], out[torch]
    for key in ("y", "inv", "grad") + (("logdet",) if logdet else ()):
        _close(ours[key], theirs[key], f"{name}: {key}", rtol=1e-11)
    for key in ("forward_shape", "inverse_shape", "domain", "codomain", "bijective"):
        assert ours[key] == theirs[key], (name, key, ours[key], theirs[key])
    if isinstance(theirs["sign"], torch.Tensor):
        _close(ours["sign"], theirs["sign"], f"{name}: sign")
    else:
        assert ours["sign"] == theirs["sign"], (name, ours["sign"], theirs["sign"])


def test_parameter_gradients_through_transforms():
    """∂/∂(loc, scale, exponent) of y and log |det J| (affine, power) as PyTorch."""
    grads = {}
    for lib in (cr, torch):
        loc, scale = _t(lib, [0.2, -1.0, 0.7], True), _t(lib, [1.5, -0.4, 2.0], True)
        k = _t(lib, [0.5, 2.0, -1.5], True)
        t = _lib(lib).ComposeTransform([_lib(lib).AffineTransform(loc, scale),
                                        _lib(lib).ExpTransform(), _lib(lib).PowerTransform(k)])
        x = _t(lib, X_REAL)
        y = t(x)
        (y.sum() + t.log_abs_det_jacobian(x, y).sum()).backward()
        grads[lib] = [g.grad.numpy() for g in (loc, scale, k)]
    for a, b in zip(grads[cr], grads[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-11)


def test_caching_equality_and_inverse_identity():
    t = D.ExpTransform(cache_size=1)
    x = cr.tensor([0.5, 1.0])
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    assert D.ExpTransform().with_cache(1)._cache_size == 1
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform() != D.SigmoidTransform()
    assert D.AffineTransform(1.0, 2.0) == D.AffineTransform(1.0, 2.0)
    assert D.AffineTransform(1.0, 2.0) != D.AffineTransform(1.0, 3.0)
    assert D.PowerTransform(cr.tensor(2.0)) == D.PowerTransform(cr.tensor(2.0))
    e = D.ExpTransform()
    assert e.inv.inv is e
    c = D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.0, 2.0)])
    assert c.inv.inv is c and c.inv == D.ComposeTransform(
        [D.AffineTransform(0.0, 2.0).inv, D.ExpTransform().inv])
    assert c.with_cache(1).parts[0]._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        D.ExpTransform(cache_size=2)
    with pytest.raises(ValueError, match="different numbers of elements"):
        D.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="event_dim"):
        _ = D.CorrCholeskyTransform().event_dim
    assert isinstance(D.transforms.ExpTransform(), D.transforms.Transform)
    assert set(T.transforms.__all__) <= set(dir(D.transforms))


# ------------------------------------------------------------------ biject_to / transform_to
CONSTRAINTS = [
    ("real", lambda C: C.real, X_REAL),
    ("real_vector", lambda C: C.real_vector, X_REAL),
    ("positive", lambda C: C.positive, X_REAL),
    ("nonnegative", lambda C: C.nonnegative, X_REAL),
    ("greater_than", lambda C: C.greater_than(1.5), X_REAL),
    ("greater_than_eq", lambda C: C.greater_than_eq(-2.0), X_REAL),
    ("less_than", lambda C: C.less_than(3.0), X_REAL),
    ("interval", lambda C: C.interval(-1.0, 2.0), X_REAL),
    ("half_open_interval", lambda C: C.half_open_interval(0.0, 1.0), X_REAL),
    ("unit_interval", lambda C: C.unit_interval, X_REAL),
    ("independent(positive, 1)", lambda C: C.independent(C.positive, 1), X_REAL),
    ("simplex", lambda C: C.simplex, X_REAL),
    ("lower_cholesky", lambda C: C.lower_cholesky, X_MAT),
    ("positive_definite", lambda C: C.positive_definite, X_MAT),
    ("positive_semidefinite", lambda C: C.positive_semidefinite, X_MAT),
    ("corr_cholesky", lambda C: C.corr_cholesky, rng.standard_normal((2, 3))),
    ("cat", lambda C: C.cat([C.positive, C.real, C.unit_interval], -1, [1, 1, 1]), X_REAL),
    ("stack", lambda C: C.stack([C.positive, C.interval(-2.0, 2.0), C.real], -1), X_REAL),
]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name, make, x", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_constraint_registries_match_torch(registry, name, make, x):
    results = {}
    for lib, C, reg in ((cr, CC, getattr(D, registry)), (torch, TC, getattr(T, registry))):
        try:
            t = reg(make(C))
        except NotImplementedError:
            results[lib] = NotImplementedError
            continue
        y = t(_t(lib, x))
        results[lib] = (repr(t).replace("\n", ""), y, bool(make(C).check(y).all()),
                        t.inv(y))
    if results[torch] is NotImplementedError:
        assert results[cr] is NotImplementedError
        return
    ours, theirs = results[cr], results[torch]
    assert ours[0] == theirs[0]
    _close(ours[1], theirs[1], f"{registry}({name})", rtol=1e-11)
    assert ours[2] and theirs[2]
    _close(ours[3], theirs[3], f"{registry}({name}).inv", rtol=1e-9)


def test_registering_a_new_constraint():
    class _Odd(CC.Constraint):
        def check(self, value):
            return value % 2 == 1
    reg = D.constraint_registry.ConstraintRegistry()
    reg.register(_Odd, lambda c: D.AffineTransform(1.0, 2.0))
    assert isinstance(reg(_Odd()), D.AffineTransform)
    with pytest.raises(NotImplementedError, match="Cannot transform _Odd"):
        D.biject_to(_Odd())
    with pytest.raises(TypeError):
        reg.register(3, lambda c: None)


# ------------------------------------------------------------------ TransformedDistribution
def test_transformed_distribution_shapes_and_values_as_torch():
    loc, scale = np.array([[0.2, -0.5, 1.0]]), np.array([[1.0, 0.5, 2.0]])
    value = (lambda g: g / g.sum(-1, keepdims=True))(np.exp(rng.standard_normal((2, 1, 4))))
    for make in (lambda L, lib: L.TransformedDistribution(L.Normal(_t(lib, loc), _t(lib, scale)),
                                                          L.StickBreakingTransform()),
                 lambda L, lib: L.TransformedDistribution(
                     L.Normal(_t(lib, loc), _t(lib, scale)),
                     [L.ReshapeTransform((3,), (3, 1)), L.ExpTransform()])):
        ours, theirs = make(D, cr), make(T, torch)
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
        assert tuple(ours.event_shape) == tuple(theirs.event_shape)
        assert repr(ours.support) == repr(theirs.support)
        v = value if ours.event_shape[-1] == 4 else np.exp(rng.standard_normal((1, 3, 1)))
        _close(ours.log_prob(_t(cr, v)), theirs.log_prob(_t(torch, v)), "log_prob", 1e-11)
        assert tuple(ours.sample((5,)).shape) == tuple(theirs.sample((5,)).shape)
        e1, e2 = ours.expand((4, 1)), theirs.expand((4, 1))
        assert tuple(e1.batch_shape) == tuple(e2.batch_shape)


def test_decreasing_transform_flips_cdf_and_icdf_as_torch():
    """cdf of Y = −2X + 1 is 1 − F_X((1 − y)/2) (``_monotonize_cdf``); icdf likewise."""
    y, p = np.array([-1.0, 0.3, 2.5]), np.array([0.1, 0.5, 0.8])
    res = {}
    for lib, L in ((cr, D), (torch, T)):
        d = L.TransformedDistribution(L.Normal(_t(lib, [0.0, 1.0, -1.0]), _t(lib, [1.0, 2.0, 0.5])),
                                      [L.AffineTransform(1.0, -2.0)])
        res[lib] = (d.cdf(_t(lib, y)), d.icdf(_t(lib, p)), d.log_prob(_t(lib, y)))
    for a, b in zip(res[cr], res[torch]):
        _close(a, b, "monotonized", 1e-12)


def test_transformed_distribution_argument_errors_as_torch():
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")
    with pytest.raises(ValueError, match="list of Transforms"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [D.ExpTransform(), 3])
    with pytest.raises(ValueError, match="at least 1"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [D.StickBreakingTransform()])
