"""chainrule.amp.GradScaler against torch.amp.GradScaler: scaling, unscaling (with the inf/NaN
check), skipped steps, the scale's backoff and growth, state_dict, and the errors of misuse."""
from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import chainrule

torch = pytest.importorskip("torch")


def _setup(L, grads):
    params = [L.tensor(np.ones_like(g), requires_grad=True) for g in grads]
    optimizer = L.optim.SGD(params, lr=0.5)
    return params, optimizer


def _give_grads(L, params, grads):
    for p, g in zip(params, grads):
        p.grad = L.tensor(g.copy())


def _episode(L, gradient_rounds, **options):
    """Each round: scale a loss, set the (already scaled) gradients, step, update."""
    scaler = L.amp.GradScaler("cpu", **options)
    params, optimizer = _setup(L, gradient_rounds[0])
    record = []
    for grads in gradient_rounds:
        scaled = scaler.scale(L.tensor(2.0))
        _give_grads(L, params, grads)
        scaler.step(optimizer)
        scaler.update()
        record.append((float(scaled), scaler.get_scale(), scaler._get_growth_tracker(),
                       [p.detach().numpy().copy() for p in params]))
    return record, scaler.state_dict()


def test_scale_unscale_skip_backoff_and_growth_match_pytorch():
    rng = np.random.default_rng(0)
    rounds = []
    for i in range(9):
        grads = [rng.standard_normal((3, 4)).astype(np.float32) * 1e3,
                 rng.standard_normal(4).astype(np.float32)]
        if i in (2, 6):
            grads[1][1] = np.inf if i == 2 else np.nan
        rounds.append(grads)
    options = dict(init_scale=1024.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=2)
    expected, expected_state = _episode(torch, rounds, **options)
    got, state = _episode(chainrule, rounds, **options)
    assert state == expected_state
    for (es, e_scale, e_tracker, e_params), (gs, g_scale, g_tracker, g_params) in zip(expected,
                                                                                       got):
        assert (gs, g_scale, g_tracker) == (es, e_scale, e_tracker)
        for e, g in zip(e_params, g_params):
            np.testing.assert_array_equal(g, e)


def test_unscale_for_clipping_then_step():
    for L in (torch, chainrule):
        scaler = L.amp.GradScaler("cpu", init_scale=8.0)
        params, optimizer = _setup(L, [np.ones(3, np.float32)])
        scaler.scale(L.tensor(1.0))
        _give_grads(L, params, [np.array([8.0, 16.0, -24.0], np.float32)])
        scaler.unscale_(optimizer)
        np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, 2.0, -3.0])
        with pytest.raises(RuntimeError, match="already been called"):
            scaler.unscale_(optimizer)
        scaler.step(optimizer)           # does not unscale a second time
        np.testing.assert_array_equal(params[0].detach().numpy(), [0.5, 0.0, 2.5])
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            scaler.step(optimizer)
        with pytest.raises(RuntimeError, match="after step"):
            scaler.unscale_(optimizer)
        scaler.update()
        assert scaler.get_scale() == 8.0


def test_scale_keeps_dtype_and_containers():
    scaler = chainrule.amp.GradScaler("cpu", init_scale=4.0)
    half = chainrule.ones(2, dtype=chainrule.float16)
    assert scaler.scale(half).dtype == chainrule.float16
    pair = scaler.scale([chainrule.tensor(1.0), (chainrule.tensor(2.0),)])
    assert isinstance(pair, list) and float(pair[0]) == 4.0 and float(pair[1][0]) == 8.0
    with pytest.raises(ValueError, match="iterable of Tensors"):
        scaler.scale([3.0])


def test_errors_of_misuse_match_pytorch():
    for L in (torch, chainrule):
        scaler = L.amp.GradScaler("cpu")
        params, optimizer = _setup(L, [np.ones(2, np.float32)])
        with pytest.raises(AssertionError, match="_scale is None"):
            scaler.step(optimizer)
        scaler.scale(L.tensor(1.0))
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(optimizer, closure=lambda: 0)
        with pytest.raises(AssertionError, match="No inf checks"):
            scaler.update()
        half = L.ones(2, dtype=L.float16, requires_grad=True)
        half.grad = L.ones(2, dtype=L.float16)
        with pytest.raises(ValueError, match="FP16 gradients"):
            scaler.unscale_(L.optim.SGD([half], lr=0.1))
        with pytest.raises(AssertionError, match="growth factor"):
            L.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(AssertionError, match="backoff factor"):
            L.amp.GradScaler("cpu", backoff_factor=1.0)


def test_disabled_and_default_device():
    for L in (torch, chainrule):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            scaler = L.amp.GradScaler()          # device='cuda' by default
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0
        assert scaler.state_dict() == {}
        x = L.tensor(3.0)
        assert scaler.scale(x) is x
        params, optimizer = _setup(L, [np.ones(2, np.float32)])
        _give_grads(L, params, [np.ones(2, np.float32)])
        scaler.step(optimizer)
        np.testing.assert_array_equal(params[0].detach().numpy(), [0.5, 0.5])


def test_state_dict_round_trip_and_update_new_scale():
    for L in (torch, chainrule):
        scaler = L.amp.GradScaler("cpu", init_scale=16.0, growth_interval=7)
        assert scaler.state_dict() == {"scale": 16.0, "growth_factor": 2.0,
                                       "backoff_factor": 0.5, "growth_interval": 7,
                                       "_growth_tracker": 0}
        scaler.scale(L.tensor(1.0))
        scaler.update(new_scale=3.0)
        assert scaler.get_scale() == 3.0
        scaler.update(new_scale=L.tensor(5.0))
        other = L.amp.GradScaler("cpu")
        other.load_state_dict(scaler.state_dict())
        assert other.state_dict() == scaler.state_dict()
        assert other.get_growth_interval() == 7
        with pytest.raises(RuntimeError, match="empty"):
            other.load_state_dict({})
        clone = pickle.loads(pickle.dumps(scaler))
        assert clone.get_scale() == 5.0


def test_scale_that_would_overflow_float32_does_not_grow():
    scaler = chainrule.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=1)
    params, optimizer = _setup(chainrule, [np.ones(2, np.float32)])
    scaler.scale(chainrule.tensor(1.0))
    _give_grads(chainrule, params, [np.ones(2, np.float32)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler.step(optimizer)
        scaler.update()
    assert scaler.get_scale() == 2.0**127 and scaler._get_growth_tracker() == 0


def test_cuda_amp_old_names():
    with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = chainrule.cuda.amp.GradScaler()
    assert not scaler.is_enabled()
