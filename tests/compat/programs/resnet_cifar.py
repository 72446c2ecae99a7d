import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of kuangliu/pytorch-cifar, which this program follows)

# A small ResNet in the style of kuangliu/pytorch-cifar (models/resnet.py and main.py): BasicBlock
# with bias-free 3x3 convolutions, BatchNorm2d, an identity or 1x1-conv shortcut, average pooling
# and a linear head; trained with label-smoothed cross-entropy, SGD with Nesterov momentum and
# weight decay, and a per-epoch MultiStepLR or CosineAnnealingLR schedule; evaluated under
# torch.no_grad() with accuracy counted through outputs.max(1). The images are CIFAR-format arrays
# (N×H×W×3 uint8) handed in by the caller, smaller than CIFAR's 32×32.
#
# Avoided so that both libraries see the same numbers: torchvision's random crop/flip transforms
# (the horizontal flips come in with the data as per-epoch boolean masks instead) and DataLoader
# shuffling (shuffle=False).


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(
            in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3,
                               stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion*planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion*planes,
                          kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion*planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, widths=(64, 128, 256), num_classes=10, pool='avg_pool2d'):
        super(ResNet, self).__init__()
        self.in_planes = widths[0]
        self.pool = pool

        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3,
                               stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.layer1 = self._make_layer(block, widths[0], num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, widths[1], num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], num_blocks[2], stride=2)
        if pool == 'adaptive':
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(widths[2]*block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1]*(num_blocks-1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        if self.pool == 'adaptive':
            out = self.avgpool(out)
        else:
            out = F.avg_pool2d(out, 4)
        out = torch.flatten(out, 1)
        out = self.linear(out)
        return out


def ResNetTiny(num_classes=10, pool='avg_pool2d'):
    return ResNet(BasicBlock, [2, 1, 1], widths=(8, 16, 32), num_classes=num_classes, pool=pool)


MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2023, 0.1994, 0.2010)


def to_tensor(images):
    """N×H×W×3 uint8 (NumPy) → normalised N×3×H×W, as transforms.ToTensor + Normalize do."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).to(torch.get_default_dtype()).div(255)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def train(epoch, net, trainloader, optimizer, criterion, device, log):
    net.train()
    train_loss = 0
    correct = 0
    total = 0
    for batch_idx, (inputs, targets, flip) in enumerate(trainloader):
        inputs, targets = inputs.to(device), targets.to(device)
        # RandomHorizontalFlip, with the coin tosses handed in
        inputs = torch.where(flip[:, None, None, None], inputs.flip(3), inputs)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()

        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
        log["losses"].append(loss.item())
    log["train_acc"].append(100.*correct/total)
    log["train_loss"].append(train_loss/(batch_idx+1))


def test(epoch, net, testloader, criterion, device, log):
    net.eval()
    test_loss = 0
    correct = 0
    total = 0
    with torch.no_grad():
        for batch_idx, (inputs, targets) in enumerate(testloader):
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = net(inputs)
            loss = criterion(outputs, targets)

            test_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
    acc = 100.*correct/total
    log["test_acc"].append(acc)
    log["test_loss"].append(test_loss/(batch_idx+1))
    return acc


def build(num_classes=4, pool='avg_pool2d'):
    return ResNetTiny(num_classes, pool)


def run(net, data, epochs=3, batch_size=8, lr=0.1, scheduler='cosine', checkpoint=None):
    device = 'cpu'
    x_train, y_train = to_tensor(data["train"][0]), torch.from_numpy(data["train"][1])
    x_test, y_test = to_tensor(data["test"][0]), torch.from_numpy(data["test"][1])
    flips = torch.from_numpy(data["flips"])          # epochs × N booleans
    testloader = DataLoader(TensorDataset(x_test, y_test), batch_size=batch_size, shuffle=False)

    net = net.to(device)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = optim.SGD(net.parameters(), lr=lr,
                          momentum=0.9, weight_decay=5e-4, nesterov=True)
    if scheduler == 'cosine':
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    else:
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.1)

    log = {"losses": [], "train_acc": [], "train_loss": [], "test_acc": [], "test_loss": [],
           "lrs": []}
    best_acc = 0
    for epoch in range(epochs):
        trainset = TensorDataset(x_train, y_train, flips[epoch])
        trainloader = DataLoader(trainset, batch_size=batch_size, shuffle=False)
        train(epoch, net, trainloader, optimizer, criterion, device, log)
        acc = test(epoch, net, testloader, criterion, device, log)
        if checkpoint is not None and acc >= best_acc:
            state = {'net': net.state_dict(), 'acc': acc, 'epoch': epoch}
            torch.save(state, checkpoint)
            best_acc = acc
        scheduler.step()
        log["lrs"].append(optimizer.param_groups[0]["lr"])

    net.eval()
    with torch.no_grad():
        log["logits"] = net(x_test)
    log["state"] = net.state_dict()
    if checkpoint is not None:
        saved = torch.load(checkpoint)
        log["best_acc"], log["best_epoch"] = saved['acc'], saved['epoch']
        net.load_state_dict(saved['net'])
        with torch.no_grad():
            log["best_logits"] = net(x_test)
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.integers(0, 256, (4, 16, 16, 3))
    labels = rng.integers(0, 4, 96).astype(np.int64)
    images = np.clip(templates[labels] + rng.normal(0, 40, (96, 16, 16, 3)), 0, 255).astype(np.uint8)
    flips = rng.random((3, 64)) < 0.5
    torch.manual_seed(0)
    record = run(build(), {"train": (images[:64], labels[:64]), "test": (images[64:], labels[64:]),
                           "flips": flips})
    print(record["losses"], record["test_acc"])
