"""Losses, GELU and the ported functions in training steps on array_api_strict arrays (issue 17,
part 2).

Each case builds the same small network twice — on NumPy arrays and on array_api_strict arrays
(parameters, inputs, targets) — and trains it a few steps with a loss whose primitive is ported
(binary cross-entropy with and without logits, Huber and smooth L1, KL divergence, NLL after
log_softmax, CTC), forward, backward and an optimizer step. The parameters stay array_api_strict
arrays, and losses and parameters equal NumPy's. Functions used inside models (logsumexp,
cumulative sums and products, norms, einsum, the special functions) are checked the same way
through their gradients.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

xs = pytest.importorskip("array_api_strict")
StrictArray = type(xs.asarray(0.0))
RTOL = 1e-12


def _numpy(a):
    return np.from_dlpack(a) if isinstance(a, StrictArray) else np.asarray(a)


def _as_strict(model):
    for p in model.parameters():
        p._data = xs.asarray(np.asarray(p._data))
    return model


def _net(nn, n_out, approximate="none"):
    return nn.Sequential(nn.Linear(4, 6), nn.GELU(approximate=approximate), nn.Linear(6, n_out))


def _assert_equal(got, expected, what):
    scale = max(1.0, float(np.max(np.abs(expected)))) if np.size(expected) else 1.0
    np.testing.assert_allclose(_numpy(got), np.asarray(expected), rtol=RTOL, atol=RTOL * scale,
                               err_msg=what)


def _binary(rng):
    return (rng.random((12, 3)) < 0.5).astype(np.float64)


def _classes(rng):
    y = rng.integers(0, 3, 12)
    y[2] = -100                                           # one ignored target
    return y


# name: (outputs, GELU form, targets drawn from a generator, the loss of (output, target, a)),
# where a(numpy_array) is a constant tensor in the run's array library (class weights, …)
CASES = {
    "bce_with_logits_pos_weight": (3, "none", _binary, lambda out, y, a: (
        F.binary_cross_entropy_with_logits(out, y, weight=a([1.0, 0.5, 2.0]),
                                           pos_weight=a([2.0, 1.0, 0.5])))),
    "bce_after_sigmoid": (3, "tanh", _binary,
                          lambda out, y, a: cr.nn.BCELoss()(cr.sigmoid(out), y)),
    "huber": (3, "none", lambda rng: rng.standard_normal((12, 3)) * 2,
              lambda out, y, a: cr.nn.HuberLoss(delta=0.7)(out, y)),
    "smooth_l1_sum": (3, "tanh", lambda rng: rng.standard_normal((12, 3)) * 2,
                      lambda out, y, a: cr.nn.SmoothL1Loss(reduction="sum", beta=0.5)(out, y)),
    "kl_div_batchmean": (3, "none", lambda rng: rng.dirichlet(np.ones(3), 12),
                         lambda out, y, a: cr.nn.KLDivLoss(reduction="batchmean")(
                             F.log_softmax(out, dim=1), y)),
    "kl_div_log_target": (3, "none", lambda rng: np.log(rng.dirichlet(np.ones(3), 12)),
                          lambda out, y, a: F.kl_div(F.log_softmax(out, dim=1), y,
                                                     reduction="sum", log_target=True)),
    "nll_weighted_ignore": (3, "tanh", _classes, lambda out, y, a: cr.nn.NLLLoss(
        weight=a([0.5, 1.0, 2.0]))(F.log_softmax(out, dim=1), y)),
    "nll_none": (3, "none", _classes, lambda out, y, a: (F.nll_loss(
        F.log_softmax(out, dim=1), y, reduction="none") ** 2).mean()),
}


def _train(name, strict, steps=3, optimizer="adam"):
    n_out, approximate, draw, loss_fn = CASES[name]
    cr.manual_seed(0)
    model = _net(cr.nn, n_out, approximate).double()
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((12, 4)), draw(rng)

    def constant(values):
        values = np.asarray(values, dtype=np.float64)
        return cr.tensor(xs.asarray(values) if strict else values)

    if strict:
        _as_strict(model)
        x, y = xs.asarray(x), xs.asarray(y)
    opt = (cr.optim.Adam(model.parameters(), lr=0.05) if optimizer == "adam" else
           cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    losses, grads = [], None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(cr.tensor(x)), cr.tensor(y), constant)
        loss.backward()
        if grads is None:
            grads = [p.grad._data for p in model.parameters()]
        opt.step()
        losses.append(loss._data)
    return losses, grads, [p._data for p in model.parameters()]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_gelu_network_trains_with_the_loss_on_array_api_strict(name, optimizer):
    expected = _train(name, False, optimizer=optimizer)
    got = _train(name, True, optimizer=optimizer)
    for what, g_list, e_list in zip(("loss", "first gradient", "parameter"), got, expected):
        for i, (g, e) in enumerate(zip(g_list, e_list)):
            assert isinstance(g, StrictArray), f"{name}: {what} {i} is a {type(g).__name__}"
            _assert_equal(g, e, f"{name}: {what} {i}")
    losses = [float(_numpy(v)) for v in got[0]]
    assert losses[-1] < losses[0], f"{name}: the loss did not decrease: {losses}"


def test_binary_cross_entropy_rejects_values_outside_0_1_on_array_api_strict():
    x = cr.tensor(xs.asarray(np.array([0.2, 1.5])))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*1.5"):
        F.binary_cross_entropy(x, cr.tensor(xs.asarray(np.array([0.0, 1.0]))))


def _ctc_run(strict, reduction):
    cr.manual_seed(0)
    T, N, C = 9, 3, 5
    model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.GELU(), cr.nn.Linear(8, C)).double()
    rng = np.random.default_rng(8)
    x = rng.standard_normal((T, N, 4))
    targets = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 1]])
    input_lengths, target_lengths = np.array([9, 7, 8]), np.array([3, 2, 3])
    if strict:
        _as_strict(model)
        x = xs.asarray(x)
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        log_probs = F.log_softmax(model(cr.tensor(x)), dim=2)
        loss = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
                          reduction=reduction)
        loss.backward()
        opt.step()
        losses.append(loss._data)
    return losses, [p._data for p in model.parameters()]


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_a_ctc_model_trains_on_array_api_strict(reduction):
    """F.ctc_loss after log_softmax, three Adam steps: losses and parameters equal NumPy's (the
    gradient's class sums run in another order: a rounding apart, within 1e-12)."""
    expected, got = _ctc_run(False, reduction), _ctc_run(True, reduction)
    for g_list, e_list in zip(got, expected):
        for g, e in zip(g_list, e_list):
            assert isinstance(g, StrictArray)
            _assert_equal(g, e, "ctc")
    assert float(_numpy(got[0][-1])) < float(_numpy(got[0][0]))


# functions of a tensor that models use; each is differentiated with a random upstream gradient
FUNCTIONS = {
    "logsumexp": lambda t: cr.logsumexp(t, dim=1),
    "prod": lambda t: cr.prod(t, dim=0),
    "cumsum": lambda t: cr.cumsum(t, dim=1),
    "cumprod": lambda t: cr.cumprod(t, dim=0),
    "logcumsumexp": lambda t: cr.logcumsumexp(t, dim=1),
    "vector_norm": lambda t: cr.linalg.vector_norm(t, ord=3, dim=1),
    "einsum": lambda t: cr.einsum("ij,kj->ik", t, t * 2.0),
    "gelu_erf": lambda t: F.gelu(t) + cr.erf(t) + cr.erfc(t) + cr.erfinv(cr.tanh(t)),
    "gamma_family": lambda t: cr.lgamma(t * t + 0.5) + cr.digamma(t * t + 0.5)
    + cr.polygamma(2, t * t + 0.5),
    "xlogy_division": lambda t: cr.xlogy(t, t * t + 1.0) + cr.fmod(t * 3.0, 0.7)
    + cr.remainder(t * 3.0, -0.7) + cr.div(t * 3.0, 0.7, rounding_mode="floor") * t,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_and_their_gradients_on_array_api_strict(name):
    results = []
    for strict in (False, True):
        a = np.random.default_rng(9).standard_normal((5, 6))
        g = np.random.default_rng(10).standard_normal
        t = cr.tensor(xs.asarray(a) if strict else a, requires_grad=True)
        y = FUNCTIONS[name](t)
        up = g(tuple(y.shape))
        (y * cr.tensor(xs.asarray(up) if strict else up)).sum().backward()
        results.append((y._data, t.grad._data))
    for what, got, expected in zip(("value", "gradient"), results[1], results[0]):
        assert isinstance(got, StrictArray), f"{name}: the {what} is a {type(got).__name__}"
        _assert_equal(got, expected, f"{name}: {what}")


@pytest.mark.parametrize("loss", [F.nll_loss, F.cross_entropy])
@pytest.mark.parametrize("batched", [True, False])
def test_class_index_targets_may_be_arrays_of_the_input_library(loss, batched):
    """A raw array_api_strict target (not wrapped in a Tensor) stays in its library."""
    rng = np.random.default_rng(11)
    a = rng.standard_normal((4, 3) if batched else (3,))
    t = np.array([0, 2, 1, 1]) if batched else np.array(2)
    results = []
    for strict in (False, True):
        x = cr.tensor(xs.asarray(a) if strict else a, requires_grad=True)
        out = loss(F.log_softmax(x, dim=-1) if loss is F.nll_loss else x,
                   xs.asarray(t) if strict else t)
        out.backward()
        results.append((out._data, x.grad._data))
    for got, expected in zip(results[1], results[0]):
        assert isinstance(got, StrictArray)
        _assert_equal(got, expected, loss.__name__)


def test_special_functions_use_the_library_s_own_function_when_it_has_one(monkeypatch):
    """backend.special_function: array_api_strict has no erf or polygamma, so the values come from
    a host round trip through chainrule's NumPy implementation (on the array's device); a library
    that has the function (here a stand-in put on the namespace) is asked instead, with the
    integer arguments first, as scipy.special and CuPy name them."""
    from chainrule.backend import special_function
    from chainrule.ops.gamma import polygamma_array
    from chainrule.ops.special import erf_array

    a = np.linspace(-2.0, 3.0, 7)
    x = xs.asarray(a)
    got = special_function("erf", erf_array, x)
    assert isinstance(got, StrictArray) and got.device == x.device
    np.testing.assert_array_equal(_numpy(got), erf_array(a))
    np.testing.assert_array_equal(_numpy(special_function("polygamma", polygamma_array, x, 2)),
                                  polygamma_array(2, a))
    calls = []
    monkeypatch.setattr(xs, "polygamma", lambda n, v: calls.append(n) or v * n, raising=False)
    monkeypatch.setattr(xs, "gammaln", lambda v: v + 1.0, raising=False)
    np.testing.assert_array_equal(_numpy(special_function("polygamma", polygamma_array, x, 3)),
                                  3 * a)
    np.testing.assert_array_equal(_numpy(special_function("lgamma", None, x)), a + 1.0)
    assert calls == [3]
    np.testing.assert_array_equal(special_function("erf", erf_array, a), erf_array(a))   # NumPy
