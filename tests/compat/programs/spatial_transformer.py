import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of the PyTorch tutorials, which this program follows)

# The network of PyTorch's "Spatial Transformer Networks" tutorial (Jaderberg et al. 2015): a
# localization net regresses a 2×3 affine matrix per image, F.affine_grid turns it into a
# sampling grid and F.grid_sample warps the image before an ordinary classifier sees it. Trained
# with SGD on MNIST-format arrays (N×28×28 uint8 images, int64 labels) handed in by the caller.
# Dropout defaults to p=0 here, so that the two libraries' random streams play no part.


class Net(nn.Module):
    def __init__(self, dropout=0.0):
        super(Net, self).__init__()
        self.dropout = dropout
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(p=dropout)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True)
        )

        self.fc_loc = nn.Sequential(
            nn.Linear(10 * 3 * 3, 32),
            nn.ReLU(True),
            nn.Linear(32, 3 * 2)
        )

        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)

        grid = F.affine_grid(theta, x.size())
        x = F.grid_sample(x, grid)

        return x

    def forward(self, x):
        x = self.stn(x)

        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def to_dataset(images, labels):
    x = torch.from_numpy(images).unsqueeze(1).to(torch.get_default_dtype()).div(255)
    x = (x - 0.1307) / 0.3081
    return TensorDataset(x, torch.from_numpy(labels).long())


def build(dropout=0.0):
    return Net(dropout)


def run(model, data, epochs=2, batch_size=8, lr=0.01):
    train_loader = DataLoader(to_dataset(*data["train"]), batch_size=batch_size, shuffle=False)
    test_images = to_dataset(*data["test"]).tensors[0]
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        for batch_idx, (x, target) in enumerate(train_loader):
            optimizer.zero_grad()
            output = model(x)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        # the tutorial's visualization: the transformed test images, and the predictions
        transformed = model.stn(test_images)
        log_probs = model(test_images)
    return {"losses": losses, "state": model.state_dict(), "transformed": transformed,
            "log_probs": log_probs, "pred": log_probs.argmax(dim=1)}
