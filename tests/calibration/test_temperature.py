"""TemperatureScaling: recovers a known temperature, calibrates held-out data, and finds the same
T as PyTorch's L-BFGS and SciPy's Brent minimiser on the same NLL."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.calibration import (
    TemperatureScaling,
    expected_calibration_error,
    negative_log_likelihood,
    softmax,
)


def calibrated_then_scaled(seed: int, n: int, t0: float, k: int = 10):
    """Logits of a model that is calibrated by construction (labels drawn from softmax(z₀)),
    then multiplied by t0: softmax(z/T) is calibrated exactly at T = t0."""
    rng = np.random.default_rng(seed)
    z0 = rng.normal(size=(n, k)) * 2.0
    p = softmax(z0)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return z0 * t0, y


@pytest.mark.parametrize("t0", [0.5, 2.5])
def test_recovers_a_known_temperature(t0):
    """The fitted T is the maximum-likelihood estimate on 20,000 samples, so it differs from t0
    by sampling error only: its relative standard deviation is ≈ 0.6% here (measured over 20
    seeds), and 3% is five of them. The optimiser's own error is far smaller (< 1e-9, see the
    comparison with SciPy below)."""
    z, y = calibrated_then_scaled(seed=1, n=20_000, t0=t0)
    ts = TemperatureScaling().fit(z, y)
    assert ts.temperature == pytest.approx(t0, rel=0.03)
    assert ts.nll_after <= ts.nll_before


def _torch_lbfgs_temperature(z, y) -> float:
    import torch

    zt, yt = torch.tensor(z), torch.tensor(y)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=1.0, max_iter=200, tolerance_grad=1e-12,
                            tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(zt / torch.exp(log_t), yt)
        loss.backward()
        return loss

    opt.step(closure)
    return float(torch.exp(log_t.detach()))


def _scipy_temperature(z, y) -> float:
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda u: negative_log_likelihood(z, y, math.exp(u)),
                          bracket=(-1.0, 1.0), tol=1e-12)
    return math.exp(res.x)


@pytest.mark.parametrize("seed, t0", [(2, 3.0), (3, 0.7), (4, 1.3)])
def test_same_temperature_as_torch_lbfgs_and_scipy(seed, t0):
    """Each minimises the same NLL over u = log T. SciPy's Brent (tol 1e-12 on u) and PyTorch's
    L-BFGS (strong Wolfe, tolerance_change 1e-15) locate the minimiser to ~1e-8 relative in T; the
    comparison allows 1e-6."""
    z, y = calibrated_then_scaled(seed=seed, n=3000, t0=t0, k=5)
    z = z + np.random.default_rng(seed).normal(size=z.shape) * 0.5     # not exactly calibrated
    ours = TemperatureScaling().fit(z, y).temperature
    assert ours == pytest.approx(_torch_lbfgs_temperature(z, y), rel=1e-6)
    assert ours == pytest.approx(_scipy_temperature(z, y), rel=1e-6)


def test_lowers_held_out_nll_and_ece_of_an_over_confident_model():
    z_val, y_val = calibrated_then_scaled(seed=5, n=5000, t0=3.0)
    z_test, y_test = calibrated_then_scaled(seed=6, n=5000, t0=3.0)
    ts = TemperatureScaling().fit(z_val, y_val)
    before_nll = negative_log_likelihood(z_test, y_test)
    after_nll = negative_log_likelihood(ts.transform(z_test), y_test)
    before_ece = expected_calibration_error(softmax(z_test), y_test)
    after_ece = expected_calibration_error(ts.predict_proba(z_test), y_test)
    assert after_nll < before_nll - 0.1
    assert after_ece < before_ece / 3
    # dividing by T > 0 keeps every argmax: accuracy is unchanged
    assert (ts.transform(z_test).argmax(1) == z_test.argmax(1)).all()


def test_the_gradient_in_closed_form_equals_autograd():
    """dNLL/du = T·dNLL/dT = (1/(N T)) Σᵢ (z_{i,yᵢ} − Σⱼ pᵢⱼ zᵢⱼ) against PyTorch's autograd."""
    import torch

    z, y = calibrated_then_scaled(seed=7, n=200, t0=2.0, k=4)
    for u in (-0.7, 0.0, 0.4):
        log_t = torch.tensor(u, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.cross_entropy(torch.tensor(z) / torch.exp(log_t),
                                          torch.tensor(y)).backward()
        closed = TemperatureScaling._dnll_du(z, y, math.exp(u))
        assert closed == pytest.approx(float(log_t.grad), rel=1e-10, abs=1e-14)


def test_gradcheck_of_the_fitted_objective_and_of_transform():
    import chainrule.nn.functional as F

    z, y = calibrated_then_scaled(seed=8, n=30, t0=2.0, k=3)
    zt, yt = cr.tensor(z), cr.tensor(y)
    u = cr.tensor(0.3, dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda u: F.cross_entropy(zt * cr.exp(-u), yt), u)
    ts = TemperatureScaling(temperature=1.7)
    logits = cr.tensor(z[:5], requires_grad=True)
    assert cr.gradcheck(ts.transform, logits)


def test_transform_keeps_the_kind_of_input():
    ts = TemperatureScaling(temperature=2.0)
    z = np.array([[2.0, 4.0]], dtype=np.float32)
    out = ts.transform(z)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert out.tolist() == [[1.0, 2.0]]
    t = ts.transform(cr.tensor(z))
    assert isinstance(t, cr.Tensor) and t.tolist() == [[1.0, 2.0]]
    assert ts(z).tolist() == [[1.0, 2.0]]
    assert "T = 2" in str(ts.formula()) and "dNLL/dT" in str(ts.formula())


def test_errors():
    with pytest.raises(RuntimeError, match="call fit"):
        TemperatureScaling().transform(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="positive"):
        TemperatureScaling(temperature=0.0)
    z = np.array([[3.0, 0.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match="largest in every one of the 2 rows"):
        TemperatureScaling().fit(z, np.array([0, 1]))
    with pytest.raises(ValueError, match="shape \\(N, K\\)"):
        TemperatureScaling().fit(np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="labels must have shape \\(2,\\)"):
        TemperatureScaling().fit(z, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="class indices in \\[0, 1\\]"):
        TemperatureScaling().fit(z, np.array([0, 5]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        TemperatureScaling().fit(np.array([[np.inf, 0.0], [0.0, 1.0]]), np.array([1, 0]))
