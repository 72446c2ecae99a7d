import torch
import torch.nn as nn
import numpy as np
# ruff: noqa  (kept in the style of the torchdiffeq "ode_demo" example and the FFJORD/RNODE
# regularisation recipes, which this program follows without the torchdiffeq dependency)

# A neural ODE fitted to a 2-D spiral (torchdiffeq's ode_demo, with its solver written out):
# dy/dt = f_θ(t, y) where f_θ is an MLP on y**3 (as the demo) plus a time feature, integrated by
# a fixed-step classical Runge–Kutta (RK4) scheme in plain torch ops over torch.linspace times;
# the loss is the mean absolute error along random sub-trajectories (batches of start times
# drawn with torch.randint from the global generator) plus a Jacobian-trace regulariser
# (FFJORD / RNODE): the Hutchinson estimator εᵀ (∂f/∂y) ε with ε = torch.randn_like(y), taken
# with torch.autograd.grad(create_graph=True) so that its own gradient flows to θ. Training
# starts with a few LBFGS steps (a closure re-evaluating the loss) and goes on with Adam.
# The caller hands in the true trajectory (T×2) and its time grid's end points.


class ODEFunc(nn.Module):
    def __init__(self, hidden=16):
        super(ODEFunc, self).__init__()
        self.net = nn.Sequential(
            nn.Linear(3, hidden),
            nn.Tanh(),
            nn.Linear(hidden, 2),
        )
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0, std=0.1)
                nn.init.constant_(m.bias, val=0)

    def forward(self, t, y):
        tt = torch.ones_like(y[..., :1]) * t
        return self.net(torch.cat([y ** 3, tt], dim=-1))


def rk4_step(func, t, dt, y):
    k1 = func(t, y)
    k2 = func(t + dt / 2, y + dt * k1 / 2)
    k3 = func(t + dt / 2, y + dt * k2 / 2)
    k4 = func(t + dt, y + dt * k3)
    return y + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6


def odeint(func, y0, t, substeps=2):
    """Fixed-step RK4 with `substeps` steps between consecutive output times."""
    ys = [y0]
    y = y0
    for i in range(len(t) - 1):
        t0, t1 = t[i], t[i + 1]
        dt = (t1 - t0) / substeps
        for k in range(substeps):
            y = rk4_step(func, t0 + k * dt, dt, y)
        ys.append(y)
    return torch.stack(ys, dim=0)


def jacobian_trace_hutchinson(func, t, y):
    """εᵀ (∂f/∂y) ε averaged over the batch, differentiable w.r.t. θ (create_graph=True)."""
    y = y.detach().requires_grad_(True)
    f = func(t, y)
    eps = torch.randn_like(y)
    vjp, = torch.autograd.grad(f, y, grad_outputs=eps, create_graph=True)
    return (vjp * eps).sum(-1).mean()


def get_batch(true_y, t, batch_size, batch_time):
    s = torch.randint(0, len(t) - batch_time, (batch_size,))
    batch_y0 = true_y[s]                                         # M × 2
    batch_t = t[:batch_time]                                     # T
    batch_y = torch.stack([true_y[s + i] for i in range(batch_time)], dim=0)   # T × M × 2
    return batch_y0, batch_t, batch_y


def build(hidden=16):
    return ODEFunc(hidden)


def run(model, data, lbfgs_steps=3, adam_steps=8, batch_size=6, batch_time=5, reg=0.01,
        seed=1, line_search=None):
    torch.manual_seed(seed)
    true_y = torch.tensor(data["y"], dtype=torch.get_default_dtype())
    t = torch.linspace(data["t0"], data["t1"], true_y.shape[0])
    y0 = true_y[0]
    losses, regs, lbfgs_losses = [], [], []

    def trajectory_loss():
        pred_y = odeint(model, y0, t)
        return torch.mean(torch.abs(pred_y - true_y))

    optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=4, history_size=5,
                                  line_search_fn=line_search)
    for step in range(lbfgs_steps):
        def closure():
            optimizer.zero_grad()
            loss = trajectory_loss()
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        lbfgs_losses.append(loss.item())

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for itr in range(adam_steps):
        optimizer.zero_grad()
        batch_y0, batch_t, batch_y = get_batch(true_y, t, batch_size, batch_time)
        pred_y = odeint(model, batch_y0, batch_t)
        fit = torch.mean(torch.abs(pred_y - batch_y))
        trace = jacobian_trace_hutchinson(model, batch_t[0], pred_y[1:].reshape(-1, 2))
        loss = fit + reg * trace ** 2
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        regs.append(trace.item())

    with torch.no_grad():
        pred_y = odeint(model, y0, t)
        final = torch.mean(torch.abs(pred_y - true_y))
    # the exact Jacobian of the field at a few points, through autograd.functional
    jac = torch.autograd.functional.jacobian(lambda y: model(t[0], y), true_y[0])
    return {"losses": lbfgs_losses + losses, "regs": regs, "final": final.item(),
            "pred": pred_y, "jacobian": jac, "t": t, "state": model.state_dict()}


if __name__ == '__main__':
    t = np.linspace(0.0, 2.0, 20)
    A = np.array([[-0.1, 2.0], [-2.0, -0.1]])
    y = [np.array([2.0, 0.0])]
    for i in range(19):
        y.append(y[-1] + (t[1] - t[0]) * (y[-1] ** 3) @ A)
    record = run(build(), {"y": np.stack(y), "t0": 0.0, "t1": 2.0})
    print(record["losses"], record["final"])
