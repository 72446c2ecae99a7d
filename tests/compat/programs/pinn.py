import torch
import torch.nn as nn
import torch.optim as optim
from torch.autograd.functional import hessian, jacobian
# ruff: noqa  (written the way a PyTorch user writes a physics-informed network)

# A physics-informed neural network (PINN) for the 1-D Poisson problem
#     u''(x) = -sin(x) on [0, pi],  u(0) = u(pi) = 0,     exact solution u(x) = sin(x).
# A tanh MLP u_theta(x) is fitted by minimising the mean squared ODE residual at collocation
# points, where torch.autograd.grad with create_graph=True gives u' and u'', plus the mean
# squared boundary error. Training is the common two-stage recipe: Adam first, then L-BFGS
# with a strong-Wolfe line search and a closure. Afterwards torch.autograd.functional's
# jacobian and hessian are taken of the trained network at a few points.
#
# Everything is deterministic once the weights are fixed (the collocation points come from
# torch.linspace), so nothing had to be moved into the data.


class PINN(nn.Module):
    def __init__(self, hidden=16, layers=2):
        super().__init__()
        modules = [nn.Linear(1, hidden), nn.Tanh()]
        for _ in range(layers - 1):
            modules += [nn.Linear(hidden, hidden), nn.Tanh()]
        modules.append(nn.Linear(hidden, 1))
        self.net = nn.Sequential(*modules)

    def forward(self, x):
        return self.net(x)


def source(x):
    # right-hand side f in u'' = f
    return -torch.sin(x)


def derivatives(net, x):
    """u, du/dx and d2u/dx2 at the points x (N×1, requires_grad), all still on the graph."""
    u = net(x)
    du = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)[0]
    return u, du, d2u


def build(hidden=16, layers=2):
    return PINN(hidden, layers)


def run(model, data, n_collocation=32, adam_steps=15, lbfgs_steps=4, lr=1e-2, bc_weight=1.0,
        verbose=False):
    net = model
    x = torch.linspace(0, torch.pi, n_collocation).reshape(-1, 1).requires_grad_(True)
    x_bc = torch.tensor([[0.0], [torch.pi]])
    u_bc = torch.zeros(2, 1)
    mse = nn.MSELoss()

    def compute_loss():
        u, du, d2u = derivatives(net, x)
        loss_pde = mse(d2u, source(x))
        loss_bc = mse(net(x_bc), u_bc)
        return loss_pde + bc_weight * loss_bc, loss_pde, loss_bc

    record = {"losses": [], "pde": [], "bc": [], "lbfgs_losses": [], "closure_calls": 0}

    optimizer = optim.Adam(net.parameters(), lr=lr)
    for step in range(adam_steps):
        optimizer.zero_grad()
        loss, loss_pde, loss_bc = compute_loss()
        loss.backward()
        optimizer.step()
        record["losses"].append(loss.item())
        record["pde"].append(loss_pde.item())
        record["bc"].append(loss_bc.item())
        if verbose:
            print(f"adam {step:3d}  loss {loss.item():.6f}  pde {loss_pde.item():.6f}  "
                  f"bc {loss_bc.item():.6f}")

    optimizer = optim.LBFGS(net.parameters(), lr=1, max_iter=10, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss, _, _ = compute_loss()
        loss.backward()
        record["closure_calls"] += 1
        return loss

    for step in range(lbfgs_steps):
        loss = optimizer.step(closure)
        record["lbfgs_losses"].append(loss.item())
        if verbose:
            print(f"lbfgs {step:3d}  loss {loss.item():.6f}")

    # the trained solution and its derivatives on a test grid, against sin(x)
    x_test = torch.tensor(data["x_test"], dtype=torch.get_default_dtype()).reshape(-1, 1)
    x_test.requires_grad_(True)
    u, du, d2u = derivatives(net, x_test)
    record["u"] = u.detach()
    record["du"] = du.detach()
    record["d2u"] = d2u.detach()

    # jacobian / hessian of small functions of the network's output
    pts = torch.tensor(data["x_points"], dtype=torch.get_default_dtype()).reshape(-1, 1)

    def energy(p):
        # a scalar: half the sum of squares of the solution at the points
        return 0.5 * (net(p) ** 2).sum()

    record["jacobian_net"] = jacobian(net, pts)               # (k, 1, k, 1)
    record["jacobian_energy"] = jacobian(energy, pts)         # (k, 1)
    record["hessian_energy"] = hessian(energy, pts)           # (k, 1, k, 1)
    record["state"] = net.state_dict()
    return record


if __name__ == '__main__':
    import numpy as np
    torch.manual_seed(0)
    record = run(build(), {"x_test": np.linspace(0, np.pi, 9), "x_points": np.array([0.5, 1.5, 2.5])},
                 adam_steps=200, lbfgs_steps=10, verbose=True)
    x_test = torch.linspace(0, torch.pi, 9).reshape(-1, 1)
    print("max |u - sin| on the test grid:", (record["u"] - torch.sin(x_test)).abs().max().item())
    print(record["hessian_energy"].squeeze())
