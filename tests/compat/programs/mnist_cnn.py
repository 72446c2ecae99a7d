import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of pytorch/examples, which this program follows)

# The CNN of pytorch/examples mnist/main.py, on MNIST-format arrays (N×28×28 uint8 images,
# int64 labels) handed in by the caller. Runs as is on PyTorch.


class Net(nn.Module):
    def __init__(self, dropout1=0.25, dropout2=0.5):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(dropout1)
        self.dropout2 = nn.Dropout(dropout2)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args["log_interval"] == 0 and args["verbose"]:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct


def to_dataset(images, labels):
    """uint8 N×28×28 images and int labels (NumPy) → a normalised N×1×28×28 TensorDataset."""
    x = torch.from_numpy(images).unsqueeze(1).to(torch.get_default_dtype()).div(255)
    x = (x - 0.1307) / 0.3081
    return TensorDataset(x, torch.from_numpy(labels).long())


def build(dropout1=0.25, dropout2=0.5):
    return Net(dropout1, dropout2)


def run(model, data, epochs=1, batch_size=16, test_batch_size=50, lr=1.0, gamma=0.7,
        save_model=False, path="mnist_cnn.pt", verbose=False):
    """Train ``model`` on data["train"], test on data["test"]; return what was recorded."""
    args = {"log_interval": 10, "verbose": verbose}
    device = torch.device("cpu")
    train_loader = DataLoader(to_dataset(*data["train"]), batch_size=batch_size)
    test_loader = DataLoader(to_dataset(*data["test"]), batch_size=test_batch_size)
    model = model.to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    losses, tests, lrs = [], [], []
    for epoch in range(1, epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch, losses)
        tests.append(test(model, device, test_loader))
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    if save_model:
        torch.save(model.state_dict(), path)
    with torch.no_grad():
        model.eval()
        first = next(iter(test_loader))[0]
        log_probs = model(first)
    return {"losses": losses, "tests": tests, "lrs": lrs, "log_probs": log_probs,
            "state": model.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(1)
    templates = rng.integers(0, 256, (10, 28, 28))
    labels = rng.integers(0, 10, 320)
    images = np.clip(templates[labels] + rng.normal(0, 40, (320, 28, 28)), 0, 255).astype(np.uint8)
    torch.manual_seed(1)
    record = run(build(), {"train": (images[:256], labels[:256]), "test": (images[256:], labels[256:])},
                 epochs=2, verbose=True)
    print(record["tests"])
