"""trace(): backpropagation through a 2-2-1 sigmoid network with MSE loss, narrated with numbers
that equal what backward() computes and what the chain rule gives by hand."""
from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

W1 = np.array([[0.1, -0.2], [0.4, 0.3]])
B1 = np.array([0.05, -0.1])
W2 = np.array([[0.7, -0.5]])
B2 = np.array([0.2])
X = np.array([[0.5, -1.0]])
T = np.array([[1.0]])


def network():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid()).double()
    net.load_state_dict({"0.weight": W1, "0.bias": B1, "2.weight": W2, "2.bias": B2})
    x, y = cr.tensor(X), cr.tensor(T)
    loss = nn.MSELoss()(net(x), y)
    return net, x, y, loss


def by_hand():
    """The chain rule written out with NumPy, in the order backpropagation visits the nodes."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z1 = X @ W1.T + B1
    a1 = sig(z1)
    z2 = a1 @ W2.T + B2
    a2 = sig(z2)
    d = a2 - T
    n = d.size                                  # MSE's mean over N = 1 element
    g_sq = np.full_like(d, 1 / n)               # ∂L/∂(d²)
    g_d = g_sq * d + g_sq * d                   # d·d: two uses, each with local derivative d
    g_a2 = g_d * 1.0                            # ∂(a2 − t)/∂a2 = 1
    delta2 = g_a2 * a2 * (1 - a2)               # σ′ = σ(1 − σ)
    g_a1 = delta2 @ W2                          # ∂L/∂a1 = G W
    g_W2 = delta2.T @ a1                        # ∂L/∂W = Gᵀ x
    g_b2 = delta2.sum(axis=0)                   # ∂L/∂b = Σₙ Gₙ
    delta1 = g_a1 * a1 * (1 - a1)
    g_W1 = delta1.T @ X
    g_b1 = delta1.sum(axis=0)
    return dict(a1=a1, a2=a2, d=d, g_sq=g_sq, g_d=g_d, g_a2=g_a2, delta2=delta2, g_a1=g_a1,
                g_W2=g_W2, g_b2=g_b2, delta1=delta1, g_W1=g_W1, g_b1=g_b1)


def test_trace_steps_equal_backward_and_the_hand_computation():
    net, x, y, loss = network()
    tr = cr.explain.trace(loss, net, names={x: "x", y: "y"})
    h = by_hand()
    assert tr.mode == "full"
    assert [s.op for s in tr.steps] == ["mean", "multiply", "subtract", "sigmoid", "linear",
                                        "sigmoid", "linear"]
    L, sq, d, a2, z2, a1, z1 = tr.steps
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)  # noqa: E731

    close(L.incoming, 1.0)
    (c,) = L.contributions
    close(c.local, [[1.0]])
    close(c.gradient, h["g_sq"])                                   # 1/N

    assert [c.input for c in sq.contributions] == [d.output, d.output]   # d used twice
    for c in sq.contributions:
        assert c.elementwise
        close(c.local, h["d"])
        close(c.gradient, h["d"])

    assert d.sources == [2, 2]                                     # the sum at fan-out
    close(d.incoming, h["g_d"])
    assert [c.input for c in d.contributions] == [a2.output]       # y needs no gradient
    close(d.contributions[0].local, 1.0)

    close(a2.incoming, h["g_a2"])
    close(a2.contributions[0].local, h["a2"] * (1 - h["a2"]))
    close(a2.contributions[0].gradient, h["delta2"])

    assert [c.input for c in z2.contributions] == [a1.output, "2.weight", "2.bias"]
    to_a1, to_w2, to_b2 = z2.contributions
    close(to_a1.local, W2)                                         # ∂z2/∂a1 = W2
    close(to_a1.gradient, h["g_a1"])
    close(to_w2.local, h["a1"])                                    # ∂z2/∂W2 = a1
    close(to_w2.gradient, h["g_W2"])
    close(to_b2.gradient, h["g_b2"])

    close(a1.contributions[0].local, h["a1"] * (1 - h["a1"]))
    close(a1.contributions[0].gradient, h["delta1"])

    assert [c.input for c in z1.contributions] == ["0.weight", "0.bias"]   # not x
    close(z1.contributions[0].local, np.kron(np.eye(2), X))        # ∂z1/∂W1: x in each row
    close(z1.contributions[0].gradient, h["g_W1"])
    close(z1.contributions[1].gradient, h["g_b1"])

    # the final gradients are exactly backward()'s
    loss.backward()
    for name, p in net.named_parameters():
        assert np.array_equal(tr.gradients[name], p.grad.numpy()), name
    close(tr.gradients["0.weight"], h["g_W1"])
    close(tr.gradients["2.bias"], h["g_b2"])


_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")


def _values(text: str) -> dict[int, list[list[float]]]:
    """Per step, the numbers of each 'incoming', 'local' and 'product' line, in order."""
    steps: dict[int, list[list[float]]] = {}
    current = None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"step (\d+):", line)
        if m:
            current = int(m.group(1))
            steps[current] = []
            continue
        if current is None or not re.match(r"  (incoming|local|product) ", line):
            continue
        body = line
        j = i + 1
        while j < len(lines) and lines[j].startswith(" " * 8):
            body += lines[j]
            j += 1
        value = re.sub(r"\s{3}(→|\().*$", "", body.split(" = ", 1)[1])
        steps[current].append([float(v) for v in _NUMBER.findall(value)])
    return steps


def test_every_number_in_the_narrative_is_the_hand_computed_one():
    net, x, y, loss = network()
    text = str(cr.explain.trace(loss, net, names={x: "x", y: "y"}))
    h = by_hand()
    a1, a2 = h["a1"], h["a2"]
    expected = {
        1: [[1.0], [1.0], h["g_sq"]],
        2: [h["g_sq"], h["d"], h["d"], h["d"], h["d"]],
        3: [h["g_d"], [1.0], h["g_a2"]],
        4: [h["g_a2"], a2 * (1 - a2), h["delta2"]],
        5: [h["delta2"], W2, h["g_a1"], a1, h["g_W2"], [1.0], h["g_b2"]],
        6: [h["g_a1"], a1 * (1 - a1), h["delta1"]],
        7: [h["delta1"], np.kron(np.eye(2), X), h["g_W1"], np.eye(2), h["g_b1"]],
    }
    found = _values(text)
    assert sorted(found) == sorted(expected)
    for step, rows in expected.items():
        assert len(found[step]) == len(rows), (step, found[step])
        for got, want in zip(found[step], rows):
            np.testing.assert_allclose(got, np.ravel(want), rtol=2e-3, atol=1e-4,
                                       err_msg=f"step {step}")
    assert "formula   ∂σ/∂x = σ(x)(1 − σ(x))" in text       # the primitive's derivative
    assert "(sum of 2 contributions: steps 2, 2)" in text
    for name, shown in (("0.weight", "W⁽⁰⁾"), ("0.bias", "b⁽⁰⁾"), ("2.weight", "W⁽²⁾"),
                        ("2.bias", "b⁽²⁾")):
        assert f"∂L/∂{shown} ({name}) = " in text


def test_trace_changes_nothing_and_backward_still_works():
    net, x, y, loss = network()
    cr.explain.trace(loss, net)
    assert all(p.grad is None for p in net.parameters())
    loss.backward()                                   # the graph is intact
    assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(RuntimeError, match="before loss.backward"):
        cr.explain.trace(loss, net)                           # now freed


def test_large_graphs_get_a_summary_or_a_clear_refusal():
    cr.manual_seed(0)
    big = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 10))
    loss = big(cr.randn(4, 20)).pow(2).mean()
    with pytest.raises(ValueError, match="more than can be narrated.*mode='summary'"):
        cr.explain.trace(loss, big, mode="full")
    tr = cr.explain.trace(loss, big)
    assert tr.mode == "summary" and "showing a summary" in tr.message
    text = str(tr)
    assert "4×30" in text and "‖∂L/∂output‖" in text and "∂L/∂W⁽⁰⁾ (0.weight): shape 30×20" in text
    norms = {k: np.linalg.norm(v) for k, v in tr.gradients.items()}
    loss.backward()
    assert np.isclose(norms["0.weight"], np.linalg.norm(big[0].weight.grad.numpy()))


def test_trace_rejects_what_is_not_a_loss():
    with pytest.raises(ValueError, match="single number"):
        cr.explain.trace(cr.ones(3, requires_grad=True) * 2)
    with pytest.raises(ValueError, match="no graph"):
        cr.explain.trace(cr.ones(1))
