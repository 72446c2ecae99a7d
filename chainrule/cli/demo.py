"""``chainrule demo``: fit a small network with autodiff and watch the loss fall.

A 1-16-1 tanh network learns y = sin(x) on [−π, π] by plain gradient descent,
θ ← θ − η ∂L/∂θ, with every gradient computed by chainrule's reverse mode.
"""
from __future__ import annotations

import math


def register(sub) -> None:
    p = sub.add_parser("demo", help="fit a small network with autodiff and print the loss falling",
                       description=__doc__)
    p.add_argument("--steps", type=int, default=2000, help="gradient-descent steps (default 2000)")
    p.add_argument("--lr", type=float, default=0.08, help="learning rate η (default 0.08)")
    p.add_argument("--hidden", type=int, default=16, help="hidden units (default 16)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


def fit_sine(steps: int = 2000, lr: float = 0.08, hidden: int = 16, seed: int = 0, log=print):
    """Fit y = sin(x) with a 1-hidden-layer tanh network; returns the loss at each step."""
    import chainrule as cr

    cr.manual_seed(seed)
    x = cr.linspace(-math.pi, math.pi, 128).reshape(-1, 1)
    y = cr.sin(x)
    w1 = (cr.randn(1, hidden) * 1.0).requires_grad_()
    b1 = cr.zeros(hidden, requires_grad=True)
    w2 = (cr.randn(hidden, 1) * (1.0 / math.sqrt(hidden))).requires_grad_()
    b2 = cr.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    losses = []
    for step in range(steps + 1):
        h = cr.tanh(x @ w1 + b1)
        pred = h @ w2 + b2
        loss = ((pred - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p._data -= lr * p.grad._data
        losses.append(loss.item())
        if log and (step % max(steps // 10, 1) == 0):
            log(f"step {step:5d}   loss {loss.item():.6f}")
    return losses


def run(args) -> int:
    import chainrule as cr

    print("Fitting y = sin(x) with ŷ = W₂ᵀ tanh(W₁ᵀx + b₁) + b₂ and L = mean (ŷ − y)²")
    losses = fit_sine(args.steps, args.lr, args.hidden, args.seed)
    print(f"loss fell from {losses[0]:.4f} to {losses[-1]:.4f}")
    print()
    print("The hidden layer's nonlinearity, as chainrule states it:")
    print(cr.formula("tanh"))
    return 0
