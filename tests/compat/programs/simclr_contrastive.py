import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader
from torch.optim.lr_scheduler import LambdaLR
import math
# ruff: noqa  (kept in the style of the SimCLR tutorials (UvA DL course, sthalles/SimCLR), which
# this program follows)

# SimCLR (Chen et al., 2020) on small 1-channel images: two augmented views of each image made
# with torch ops — a random horizontal flip (torch.rand(N) < 0.5 selecting torch.flip), additive
# Gaussian noise (torch.randn with a seeded torch.Generator), a random cyclic shift (torch.roll
# by a torch.randint amount) and a random brightness scale; a small CNN encoder and an MLP
# projection head; the NT-Xent loss — F.normalize, the (2N × 2N) cosine-similarity matrix over a
# temperature, the diagonal masked out with masked_fill(-inf), the positive pair's index as the
# cross-entropy target; SGD with momentum and weight decay (no LARS at this scale) under a
# LambdaLR linear warmup + cosine decay. Then the linear-probe evaluation: the frozen encoder's
# features computed under torch.no_grad(), a logistic-regression head trained on them, accuracy
# via argmax / eq / float().mean().
#
# The images and labels (NumPy) are handed in by the caller; the augmentation randomness comes
# from a torch.Generator seeded with `seed`.


class Augment:
    def __init__(self, generator, noise_std=0.1, max_shift=2, brightness=0.2):
        self.g = generator
        self.noise_std, self.max_shift, self.brightness = noise_std, max_shift, brightness

    def __call__(self, x):
        n = x.size(0)
        flip = torch.rand(n, generator=self.g) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), torch.flip(x, dims=[3]), x)
        shift = int(torch.randint(-self.max_shift, self.max_shift + 1, (1,), generator=self.g))
        x = torch.roll(x, shifts=shift, dims=2)
        scale = 1 + self.brightness * (2 * torch.rand(n, 1, 1, 1, generator=self.g) - 1)
        x = x * scale
        x = x + self.noise_std * torch.randn(x.shape, generator=self.g)
        return x


class Encoder(nn.Module):
    def __init__(self, hidden=8, feat_dim=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, hidden, 3, padding=1), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(hidden, 2 * hidden, 3, padding=1), nn.BatchNorm2d(2 * hidden), nn.ReLU(),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(2 * hidden, feat_dim),
        )

    def forward(self, x):
        return self.net(x)


class SimCLR(nn.Module):
    def __init__(self, hidden=8, feat_dim=16, proj_dim=8):
        super().__init__()
        self.encoder = Encoder(hidden, feat_dim)
        self.projector = nn.Sequential(nn.Linear(feat_dim, feat_dim), nn.ReLU(),
                                       nn.Linear(feat_dim, proj_dim))

    def forward(self, x):
        return self.projector(self.encoder(x))


def info_nce_loss(z1, z2, temperature):
    z = torch.cat([z1, z2], dim=0)
    z = F.normalize(z, dim=1)
    n = z1.shape[0]
    cos_sim = z @ z.T / temperature
    self_mask = torch.eye(cos_sim.shape[0], dtype=torch.bool)
    cos_sim = cos_sim.masked_fill(self_mask, float('-inf'))
    # the positive of row i is row i + n (and of row i + n, row i)
    labels = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    loss = F.cross_entropy(cos_sim, labels)
    # ranking metrics, as the tutorial logs them
    pos_mask = self_mask.roll(shifts=n, dims=0)
    comb_sim = torch.cat([cos_sim[pos_mask][:, None], cos_sim.masked_fill(pos_mask, -9e15)],
                         dim=-1)
    sim_argsort = comb_sim.argsort(dim=-1, descending=True).argmin(dim=-1)
    top1 = (sim_argsort == 0).float().mean()
    top5 = (sim_argsort < 5).float().mean()
    return loss, top1, top5


def warmup_cosine(warmup_steps, total_steps):
    def lr_lambda(step):
        if step < warmup_steps:
            return float(step + 1) / float(warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return lr_lambda


def linear_probe(encoder, train, test, epochs=30, lr=0.5):
    encoder.eval()
    with torch.no_grad():
        train_feats = encoder(train[0])
        test_feats = encoder(test[0])
    mean, std = train_feats.mean(0, keepdim=True), train_feats.std(0, keepdim=True) + 1e-6
    train_feats, test_feats = (train_feats - mean) / std, (test_feats - mean) / std
    num_classes = int(train[1].max()) + 1
    probe = nn.Linear(train_feats.size(1), num_classes)
    nn.init.zeros_(probe.weight)
    nn.init.zeros_(probe.bias)
    optimizer = torch.optim.SGD(probe.parameters(), lr=lr, weight_decay=1e-3)
    probe_losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.cross_entropy(probe(train_feats), train[1])
        loss.backward()
        optimizer.step()
        probe_losses.append(loss.item())
    with torch.no_grad():
        train_acc = (probe(train_feats).argmax(dim=-1) == train[1]).float().mean().item()
        test_logits = probe(test_feats)
        test_acc = test_logits.argmax(dim=-1).eq(test[1]).float().mean().item()
    return probe_losses, train_acc, test_acc, probe


def build(hidden=4, feat_dim=16, proj_dim=8):
    return SimCLR(hidden, feat_dim, proj_dim)


def run(model, data, epochs=3, batch_size=16, lr=0.3, momentum=0.9, weight_decay=1e-4,
        temperature=0.5, warmup_steps=3, seed=0, probe_epochs=30):
    g = torch.Generator().manual_seed(seed)
    augment = Augment(g)
    images = torch.tensor(data["images"], dtype=torch.get_default_dtype()).unsqueeze(1)
    labels = torch.from_numpy(data["labels"])
    loader = DataLoader(TensorDataset(images), batch_size=batch_size, shuffle=False,
                        drop_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                                weight_decay=weight_decay, nesterov=True)
    total_steps = epochs * len(loader)
    scheduler = LambdaLR(optimizer, lr_lambda=warmup_cosine(warmup_steps, total_steps))
    losses, top1s, top5s, lrs = [], [], [], []
    model.train()
    for epoch in range(epochs):
        for (x,) in loader:
            x1, x2 = augment(x), augment(x)
            z1, z2 = model(x1), model(x2)
            loss, top1, top5 = info_nce_loss(z1, z2, temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            top1s.append(top1.item())
            top5s.append(top5.item())
            lrs.append(scheduler.get_last_lr()[0])
    n_train = int(0.75 * len(images))
    probe_losses, train_acc, test_acc, probe = linear_probe(
        model.encoder, (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:]),
        epochs=probe_epochs)
    return {"losses": losses, "top1": top1s, "top5": top5s, "lrs": lrs,
            "probe_losses": probe_losses, "probe_acc": [train_acc, test_acc],
            "probe": probe.state_dict(), "state": model.state_dict(),
            "initial_seed": g.initial_seed()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(4, 8, 8))
    labels = rng.integers(0, 4, 128)
    images = templates[labels] + 0.5 * rng.normal(size=(128, 8, 8))
    torch.manual_seed(0)
    record = run(build(), {"images": images, "labels": labels}, epochs=10)
    print(record["losses"][0], record["losses"][-1], record["top1"][-1], record["probe_acc"])
