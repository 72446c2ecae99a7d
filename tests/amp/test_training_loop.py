"""A whole mixed-precision training loop (float16 autocast + GradScaler, 20 steps) in chainrule
and in PyTorch from the same weights and data: the same losses, the same scale sequence (with
the same steps skipped for overflow) and the same float32 weights, to float16's precision."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule

torch = pytest.importorskip("torch")

STEPS = 20


def mlp(L):
    return L.nn.Sequential(L.nn.Linear(12, 32), L.nn.ReLU(), L.nn.Linear(32, 32), L.nn.Tanh(),
                           L.nn.Linear(32, 5))


def cnn(L):
    return L.nn.Sequential(L.nn.Conv2d(2, 6, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2),
                           L.nn.Conv2d(6, 8, 3), L.nn.ReLU(), L.nn.Flatten(),
                           L.nn.Linear(8 * 2 * 2, 4))


def _copy_weights(source, target) -> None:
    """PyTorch's initial weights into the chainrule model (same state_dict layout)."""
    state = {k: chainrule.tensor(v.detach().numpy().copy()) for k, v in
             source.state_dict().items()}
    target.load_state_dict(state)


def _run(L, model, optimizer, x, y, loss_name: str, init_scale: float, clip: bool):
    scaler = L.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=3)
    X, Y = L.tensor(x), L.tensor(y)
    losses, scales, stepped = [], [], []
    for _ in range(STEPS):
        optimizer.zero_grad()
        with L.autocast("cpu", dtype=L.float16):
            out = model(X)
            loss = getattr(L.nn.functional, loss_name)(out, Y)
        assert out.dtype == L.float16 and loss.dtype == L.float32
        scaler.scale(loss).backward()
        if clip:
            scaler.unscale_(optimizer)
            L.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        before = [p.detach().clone() for p in model.parameters()]
        scaler.step(optimizer)
        stepped.append(any(bool((p != q).any()) for p, q in zip(model.parameters(), before)))
        scaler.update()
        losses.append(float(loss))
        scales.append(scaler.get_scale())
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    assert all(p.dtype == L.float32 for p in model.parameters())
    return np.array(losses), scales, stepped, weights, scaler.state_dict()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_training_loop_matches_pytorch(kind):
    rng = np.random.default_rng(3)
    if kind == "mlp":
        x = rng.standard_normal((16, 12)).astype(np.float32)
        y = rng.standard_normal((16, 5)).astype(np.float32)
        build, loss_name, init_scale, clip = mlp, "mse_loss", 2.0**24, False
        make_opt = lambda L, m: L.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)  # noqa: E731
    else:
        x = rng.standard_normal((8, 2, 8, 8)).astype(np.float32)
        y = rng.integers(0, 4, 8)
        build, loss_name, init_scale, clip = cnn, "cross_entropy", 2.0**28, True
        make_opt = lambda L, m: L.optim.Adam(m.parameters(), lr=1e-2)  # noqa: E731
    torch.manual_seed(0)
    tmodel = build(torch)
    cmodel = build(chainrule)
    _copy_weights(tmodel, cmodel)
    t = _run(torch, tmodel, make_opt(torch, tmodel), x, y, loss_name, init_scale, clip)
    c = _run(chainrule, cmodel, make_opt(chainrule, cmodel), x, y, loss_name, init_scale, clip)
    assert c[2] == t[2], "the same steps are skipped"
    assert not all(t[2]) and any(t[2]), "the loop has both skipped and taken steps"
    assert c[1] == t[1], "the same scale sequence"
    assert c[4] == t[4]
    np.testing.assert_allclose(c[0], t[0], rtol=2e-3, atol=1e-4)
    for wc, wt in zip(c[3], t[3]):
        np.testing.assert_allclose(wc, wt, rtol=2e-3, atol=2e-4)
