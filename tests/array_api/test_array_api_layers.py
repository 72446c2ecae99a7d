"""Layers and a training step on array_api_strict arrays (issue 17, part 2, first slice).

Tensors hold arrays of any library that implements the array API standard; a network whose
primitives are ported (see test_array_api_primitives.py) runs forward and backward on
array_api_strict arrays — parameters, inputs, gradients all stay array_api_strict arrays — and
its values and gradients equal the same network's on NumPy arrays.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

xs = pytest.importorskip("array_api_strict")
StrictArray = type(xs.asarray(0.0))


def _as_strict(model):
    for p in model.parameters():
        p._data = xs.asarray(np.asarray(p._data))
    return model


def _numpy(a):
    return np.from_dlpack(a) if isinstance(a, StrictArray) else np.asarray(a)


MODELS = {
    "mlp_relu_tanh": lambda nn: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3),
                                              nn.Tanh()),
    "mlp_smooth": lambda nn: nn.Sequential(nn.Linear(4, 5), nn.Softplus(), nn.Linear(5, 5),
                                           nn.SiLU(), nn.Linear(5, 2), nn.Sigmoid()),
    "mlp_hard": lambda nn: nn.Sequential(nn.Linear(4, 5), nn.Hardswish(), nn.Linear(5, 3),
                                         nn.LeakyReLU(0.1), nn.Linear(3, 3), nn.ELU(),
                                         nn.Hardtanh(), nn.Softmax(dim=-1)),
    "flatten_linear": lambda nn: nn.Sequential(nn.Flatten(), nn.Linear(8, 3), nn.LogSoftmax(-1)),
    "batch_norm": lambda nn: nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(),
                                           nn.Linear(6, 3), nn.BatchNorm1d(3, affine=False)),
    "small_cnn": lambda nn: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(),
                                          nn.MaxPool2d(2), nn.Conv2d(3, 4, 3, stride=1),
                                          nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Flatten(), nn.Linear(16, 3)),
    "layer_norm": lambda nn: nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.ReLU(),
                                           nn.Linear(6, 3),
                                           nn.LayerNorm(3, elementwise_affine=False)),
}


def _run(name, strict, dtype):
    cr.manual_seed(0)
    model = MODELS[name](cr.nn).to(dtype)
    shape = {"flatten_linear": (5, 2, 4), "small_cnn": (5, 2, 12, 12)}.get(name, (5, 4))
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    if strict:
        _as_strict(model)
        x = xs.asarray(x)
    xt = cr.tensor(x, requires_grad=True)
    y = model(xt)
    loss = (y * y).mean() + y.max() - y.min()
    loss.backward()
    return [y._data, loss._data, xt.grad._data] + [p.grad._data for p in model.parameters()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_layers_forward_and_backward_on_array_api_strict(name, dtype):
    expected = _run(name, False, dtype)
    got = _run(name, True, dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5     # float32: the primitive suite's 1e-5
    for i, (a, e) in enumerate(zip(got, expected)):
        assert isinstance(a, StrictArray), f"{name}: result {i} is a {type(a).__name__}"
        # atol on the O(1) scale of the values: layer norm's gradient cancels to ~1e-5 of its
        # terms, and its standard path sums in another order than NumPy's einsum
        scale = max(1.0, float(np.max(np.abs(e))))
        np.testing.assert_allclose(_numpy(a), np.asarray(e), rtol=tol, atol=tol * scale,
                                   err_msg=f"{name}: result {i}")


def test_an_sgd_training_step_keeps_the_parameters_in_their_library():
    cr.manual_seed(0)
    model = _as_strict(MODELS["mlp_relu_tanh"](cr.nn).double())
    x = cr.tensor(xs.asarray(np.random.default_rng(2).standard_normal((8, 4))))
    before = [_numpy(p._data).copy() for p in model.parameters()]
    loss = (model(x) ** 2).mean()
    loss.backward()
    with cr.no_grad():            # (in-place updates, p -= …, are not ported yet)
        for p in model.parameters():
            p.data = p.data - 0.1 * p.grad
    for p, b in zip(model.parameters(), before):
        assert isinstance(p._data, StrictArray)
        np.testing.assert_allclose(_numpy(p._data), b - 0.1 * _numpy(p.grad._data), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda ps: cr.optim.SGD(ps, lr=0.1),
    lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, maximize=True),
    lambda ps: cr.optim.Adam(ps, lr=0.01),
    lambda ps: cr.optim.Adam(ps, lr=0.01, weight_decay=0.01, amsgrad=True),
    lambda ps: cr.optim.AdamW(ps, lr=0.01),
], ids=["sgd", "sgd_momentum_dampening_decay", "sgd_nesterov_maximize", "adam",
        "adam_decay_amsgrad", "adamw"])
def test_optimizer_steps_on_array_api_strict_equal_numpy(make):
    """Three training steps: the optimizers' update rules (written with out= for NumPy) run on
    array_api_strict arrays through backend.into, and give NumPy's parameters."""
    results = []
    for strict in (False, True):
        cr.manual_seed(0)
        model = MODELS["mlp_relu_tanh"](cr.nn).double()
        x = np.random.default_rng(3).standard_normal((8, 4))
        if strict:
            _as_strict(model)
            x = xs.asarray(x)
        opt = make(model.parameters())
        for _ in range(3):
            opt.zero_grad()
            loss = (model(cr.tensor(x)) ** 2).mean()
            loss.backward()
            opt.step()
        results.append([p._data for p in model.parameters()])
    for e, a in zip(*results):
        assert isinstance(a, StrictArray)
        np.testing.assert_allclose(_numpy(a), e, rtol=1e-12, atol=1e-15)


def test_a_classifier_trains_with_cross_entropy_on_array_api_strict():
    """nn.CrossEntropyLoss (class weights, label smoothing) and Adam: five steps equal NumPy's."""
    results = []
    for strict in (False, True):
        cr.manual_seed(0)
        model = MODELS["mlp_smooth"](cr.nn).double()
        model[-1] = cr.nn.Identity()                       # logits
        rng = np.random.default_rng(4)
        x, y = rng.standard_normal((16, 4)), rng.integers(0, 2, 16)
        weight = np.array([0.3, 0.7])
        if strict:
            _as_strict(model)
            x, y, weight = xs.asarray(x), xs.asarray(y), xs.asarray(weight)
        loss_fn = cr.nn.CrossEntropyLoss(weight=cr.tensor(weight), label_smoothing=0.1)
        opt = cr.optim.Adam(model.parameters(), lr=0.05)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = loss_fn(model(cr.tensor(x)), cr.tensor(y))
            loss.backward()
            opt.step()
            losses.append(float(_numpy(loss._data)))
        results.append((losses, [p._data for p in model.parameters()]))
    (l_np, p_np), (l_xs, p_xs) = results
    np.testing.assert_allclose(l_xs, l_np, rtol=1e-12)
    assert l_xs[-1] < l_xs[0]
    for e, a in zip(p_np, p_xs):
        assert isinstance(a, StrictArray)
        np.testing.assert_allclose(_numpy(a), e, rtol=1e-12, atol=1e-15)


def test_batch_norm_running_statistics_and_evaluation_on_array_api_strict():
    """Three training forwards update the running statistics in place (in the buffers' own
    library); evaluation then normalises with them — all equal to NumPy's."""
    results = []
    for strict in (False, True):
        cr.manual_seed(0)
        model = MODELS["batch_norm"](cr.nn).double()
        if strict:
            _as_strict(model)
            for m in model.modules():
                for buf in list(m._buffers.values()):
                    if buf is not None and buf._data.dtype.kind == "f":
                        buf._data = xs.asarray(buf._data)
        rng = np.random.default_rng(5)
        for _ in range(3):
            x = rng.standard_normal((7, 4))
            model(cr.tensor(xs.asarray(x) if strict else x))
        model.eval()
        x = rng.standard_normal((3, 4))
        y = model(cr.tensor(xs.asarray(x) if strict else x))
        bn = model[1]
        results.append([y._data, bn.running_mean._data, bn.running_var._data])
    for e, a in zip(*results):
        assert isinstance(a, StrictArray)
        np.testing.assert_allclose(_numpy(a), e, rtol=1e-12, atol=1e-12)
