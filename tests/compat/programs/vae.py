import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of pytorch/examples, which this program follows)

# pytorch/examples vae/main.py: a fully connected variational autoencoder on MNIST-format images
# (N×28×28 uint8, scaled to [0, 1] as transforms.ToTensor() does), trained with Adam on the
# summed binary cross-entropy plus the KL divergence. The reparameterization noise comes with
# the data (eps per sample, N×latent) because the two libraries' RNGs differ; without it
# (eps=None) the model draws it with torch.randn_like as the example does. The samples decoded at
# the end come from the data as well (the example's torch.randn(64, 20)).


class VAE(nn.Module):
    def __init__(self, hidden=400, latent=20):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(784, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(0.5*logvar)
        if eps is None:
            eps = torch.randn_like(std)
        return mu + eps*std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')

    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


def train(args, model, device, train_loader, optimizer, epoch, losses):
    model.train()
    train_loss = 0
    for batch_idx, (data, eps) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, eps)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(data))
        if batch_idx % args["log_interval"] == 0 and args["verbose"]:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader),
                loss.item() / len(data)))

    average = train_loss / len(train_loader.dataset)
    if args["verbose"]:
        print('====> Epoch: {} Average loss: {:.4f}'.format(epoch, average))
    return average


def test(args, model, device, test_loader, epoch):
    model.eval()
    test_loss = 0
    comparison = None
    with torch.no_grad():
        for i, (data, eps) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data, eps)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n],
                                      recon_batch.view(args["test_batch_size"], 1, 28, 28)[:n]])

    test_loss /= len(test_loader.dataset)
    if args["verbose"]:
        print('====> Test set loss: {:.4f}'.format(test_loss))
    return test_loss, comparison


def to_dataset(images, eps):
    """uint8 N×28×28 images and N×latent noise (NumPy) → TensorDataset of N×1×28×28 in [0, 1]."""
    x = torch.from_numpy(images).unsqueeze(1).to(torch.get_default_dtype()).div(255)
    return TensorDataset(x, torch.from_numpy(eps).to(torch.get_default_dtype()))


def build(hidden=400, latent=20):
    return VAE(hidden, latent)


def run(model, data, epochs=2, batch_size=8, test_batch_size=8, lr=1e-3, verbose=False):
    """Train on data["train"] = (images, eps), test on data["test"]; decode data["sample"]."""
    args = {"log_interval": 10, "verbose": verbose, "test_batch_size": test_batch_size}
    device = torch.device("cpu")
    train_loader = DataLoader(to_dataset(*data["train"]), batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(to_dataset(*data["test"]), batch_size=test_batch_size, shuffle=False)
    model = model.to(device)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses, averages, tests = [], [], []
    comparison = None
    for epoch in range(1, epochs + 1):
        averages.append(train(args, model, device, train_loader, optimizer, epoch, losses))
        test_loss, comparison = test(args, model, device, test_loader, epoch)
        tests.append(test_loss)
    with torch.no_grad():
        sample = torch.from_numpy(data["sample"]).to(torch.get_default_dtype()).to(device)
        sample = model.decode(sample).cpu()
    return {"losses": losses, "averages": averages, "tests": tests,
            "comparison": comparison, "sample": sample.view(-1, 1, 28, 28),
            "state": model.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(1)
    templates = rng.integers(0, 256, (10, 28, 28))
    labels = rng.integers(0, 10, 320)
    images = np.clip(templates[labels] + rng.normal(0, 40, (320, 28, 28)), 0, 255).astype(np.uint8)
    eps = rng.normal(size=(320, 20))
    torch.manual_seed(1)
    record = run(build(), {"train": (images[:256], eps[:256]), "test": (images[256:], eps[256:]),
                           "sample": rng.normal(size=(64, 20))}, verbose=True)
    print(record["tests"])
