import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset
# ruff: noqa  (written the way a PyTorch user writes a WGAN-GP training script)

# A small WGAN with gradient penalty (Gulrajani et al. 2017) on 2-D points, in the shape of the
# usual gan_toy / wgan-gp scripts: an MLP generator and an MLP critic (LeakyReLU 0.2), the
# critic trained n_critic times per generator step with Adam(betas=(0.5, 0.9)), and the penalty
# computed on random interpolates between real and fake points with a second-order
# torch.autograd.grad (create_graph=True) so that it can be backpropagated into the critic.
#
# The usual script draws the latent noise and the interpolation weights alpha with torch.randn /
# torch.rand inside the loop; here every sample of the Dataset carries its own noise and alpha,
# because PyTorch's and chainrule's random number generators differ. Shuffling is off for the
# same reason.


class PointsDataset(Dataset):
    """Real 2-D points, each with the latent noise and penalty alpha that go with it."""

    def __init__(self, points, noise, alpha):
        dtype = torch.get_default_dtype()
        self.points = torch.from_numpy(points).to(dtype)
        self.noise = torch.from_numpy(noise).to(dtype)
        self.alpha = torch.from_numpy(alpha).to(dtype)

    def __len__(self):
        return len(self.points)

    def __getitem__(self, idx):
        return {'x': self.points[idx], 'noise': self.noise[idx], 'alpha': self.alpha[idx]}


def make_generator(nz, hidden):
    return nn.Sequential(
        nn.Linear(nz, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 2),
    )


def make_critic(hidden):
    return nn.Sequential(
        nn.Linear(2, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),
    )


def calc_gradient_penalty(netD, real_data, fake_data, alpha, LAMBDA):
    # alpha has one weight per sample (B×1), broadcast over the two coordinates
    interpolates = (alpha * real_data + ((1 - alpha) * fake_data)).requires_grad_(True)
    disc_interpolates = netD(interpolates)
    gradients = torch.autograd.grad(outputs=disc_interpolates, inputs=interpolates,
                                    grad_outputs=torch.ones_like(disc_interpolates),
                                    create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean() * LAMBDA
    return gradient_penalty


def build(nz=2, hidden=16):
    netG = make_generator(nz, hidden)
    netD = make_critic(hidden)
    return netG, netD


def run(model, data, batch_size=8, epochs=1, n_critic=3, LAMBDA=10.0, lr=1e-3, verbose=False):
    """Train on data["points"]; each generator step uses n_critic consecutive batches for the
    critic and the noise of the last of them for the generator."""
    netG, netD = model
    dataset = PointsDataset(data["points"], data["noise"], data["alpha"])
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, drop_last=True)

    optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(0.5, 0.9))
    optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(0.5, 0.9))

    record = {"D_cost": [], "G_cost": [], "W_dist": [], "penalty": []}
    for epoch in range(epochs):
        data_iter = iter(loader)
        n_gen_steps = len(loader) // n_critic
        for gen_step in range(n_gen_steps):
            # ---- critic: n_critic updates, generator frozen (its output is detached)
            for p in netD.parameters():
                p.requires_grad_(True)
            for _ in range(n_critic):
                batch = next(data_iter)
                real = batch['x']
                noise = batch['noise']
                netD.zero_grad()

                D_real = netD(real).mean()
                with torch.no_grad():
                    fake = netG(noise)
                D_fake = netD(fake).mean()
                gradient_penalty = calc_gradient_penalty(netD, real, fake, batch['alpha'], LAMBDA)

                D_cost = D_fake - D_real + gradient_penalty
                D_cost.backward()
                Wasserstein_D = D_real - D_fake
                optimizerD.step()

            record["D_cost"].append(D_cost.item())
            record["W_dist"].append(Wasserstein_D.item())
            record["penalty"].append(gradient_penalty.item())

            # ---- generator: critic parameters need no gradient for this step
            for p in netD.parameters():
                p.requires_grad_(False)
            netG.zero_grad()
            fake = netG(noise)
            G_cost = -netD(fake).mean()
            G_cost.backward()
            optimizerG.step()
            record["G_cost"].append(G_cost.item())

            if verbose:
                print('epoch %d step %d  D_cost %.4f  G_cost %.4f  W_dist %.4f  GP %.4f'
                      % (epoch, gen_step, D_cost.item(), G_cost.item(), Wasserstein_D.item(),
                         gradient_penalty.item()))

    # the critic's .grad still holds its last critic step's gradients: the frozen parameters
    # took nothing from the generator steps' backward passes
    record["netD_grads"] = [p.grad.clone() for p in netD.parameters()]
    record["netG_grads"] = [p.grad.clone() for p in netG.parameters()]
    for p in netD.parameters():
        p.requires_grad_(True)
    with torch.no_grad():
        record["samples"] = netG(dataset.noise[:8])
    record["netG"] = netG.state_dict()
    record["netD"] = netD.state_dict()
    return record


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    centers = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    n = 240
    points = centers[rng.integers(0, 4, n)] + 0.05 * rng.normal(size=(n, 2))
    torch.manual_seed(0)
    record = run(build(), {"points": points, "noise": rng.normal(size=(n, 2)),
                           "alpha": rng.uniform(size=(n, 1))}, epochs=2, verbose=True)
