import torch
import torch.nn as nn
import torch.optim as optim
import math
# ruff: noqa  (kept in the style of pytorch/examples, which this program follows)

# Custom autograd Functions, as in PyTorch's "Defining new autograd functions" tutorial:
# the Legendre polynomial P3 with a hand-written backward fitted to sin(x) by manual gradient
# descent, and a straight-through clamp used inside a small nn.Module trained with optim.SGD.


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = ½(5x³ − 3x), P3'(x) = 1.5(5x² − 1)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class StraightThroughClamp(torch.autograd.Function):
    """Forward clamps to [lo, hi]; backward passes the gradient through unchanged."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None, None


class ClampNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        h = StraightThroughClamp.apply(self.fc1(x), -1.0, 1.0)
        return self.fc2(h).squeeze(-1)


def build():
    params = [torch.full((), 0.0, requires_grad=True), torch.full((), -1.0, requires_grad=True),
              torch.full((), 0.0, requires_grad=True), torch.full((), 0.3, requires_grad=True)]
    return params, ClampNet()


def run(model, data, steps=50, learning_rate=5e-6, net_steps=10):
    (a, b, c, d), net = model
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    poly_losses = []
    for t in range(steps):
        # To apply our Function, we use Function.apply method. We alias this as 'P3'.
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        poly_losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None

    inputs = torch.from_numpy(data["x"]).to(torch.get_default_dtype())
    targets = torch.from_numpy(data["y"]).to(torch.get_default_dtype())
    optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.MSELoss()
    net_losses = []
    for step in range(net_steps):
        optimizer.zero_grad()
        loss = loss_fn(net(inputs), targets)
        loss.backward()
        optimizer.step()
        net_losses.append(loss.item())
    return {"poly_losses": poly_losses, "coefficients": torch.stack([a, b, c, d]).detach(),
            "net_losses": net_losses, "state": net.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(64, 4))
    record = run(build(), {"x": xs, "y": np.tanh(xs.sum(1))}, steps=2000)
    print(record["poly_losses"][0], record["poly_losses"][-1], record["net_losses"])
