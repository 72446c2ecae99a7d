import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of the PyTorch adversarial-example tutorial, which this follows)

# Adversarial examples and input gradients, after the structure of the PyTorch "Adversarial
# Example Generation" (FGSM) tutorial: a small MNIST CNN is trained for a few steps, then attacked
# one test image at a time with the fast gradient sign method for each epsilon of a list (the
# gradient taken with respect to the input through data.requires_grad = True and loss.backward());
# a vanilla-gradient saliency map is taken for a batch; and the model is trained for a few steps
# on projected-gradient-descent (PGD) examples built with torch.autograd.grad, then attacked
# again. MNIST-format arrays (N×28×28 uint8 images, int64 labels) come in from the caller.
#
# Avoided so that both libraries see the same numbers: DataLoader shuffling (shuffle=False), a
# dropout rate above 0 while training (the caller builds with dropout=0), and torch.rand for the
# PGD random start (the start offsets come in with the data, data["starts"]).

MEAN, STD = 0.1307, 0.3081


class Net(nn.Module):
    def __init__(self, dropout=0.25):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 5)      # 28 -> 24, pooled to 12
        self.conv2 = nn.Conv2d(8, 16, 5)     # 12 -> 8, pooled to 4
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(256, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def normalize(batch, mean=[MEAN], std=[STD]):
    """Pixel values in [0, 1] -> the standardised inputs the network was trained on."""
    mean = torch.tensor(mean).view(1, -1, 1, 1)
    std = torch.tensor(std).view(1, -1, 1, 1)
    return (batch - mean) / std


def denorm(batch, mean=[MEAN], std=[STD]):
    """The inverse of normalize: standardised inputs back to pixel values."""
    if isinstance(mean, list):
        mean = torch.tensor(mean)
    if isinstance(std, list):
        std = torch.tensor(std)
    return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)


def fgsm_attack(image, epsilon, data_grad):
    # one step of size epsilon along the sign of the loss gradient, kept inside the pixel range
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def test(model, device, test_loader, epsilon, max_examples=3):
    """Accuracy under an FGSM attack of size ``epsilon``, and a few of the perturbed images."""
    correct = 0
    adv_examples = []
    for data, target in test_loader:
        data, target = data.to(device), target.to(device)
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue   # already misclassified: nothing to attack
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        data_denorm = denorm(data)
        perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
        output = model(normalize(perturbed_data))
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
            if epsilon == 0 and len(adv_examples) < max_examples:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
        else:
            if len(adv_examples) < max_examples:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
    final_acc = correct / float(len(test_loader))
    return final_acc, adv_examples


def saliency_map(model, x, labels):
    """|d score_y / d x|, the largest over channels, for each image of the batch."""
    model.eval()
    x = x.clone()
    x.requires_grad_()
    scores = model(x)
    score = scores[range(x.shape[0]), labels]
    score.sum().backward()
    saliency = x.grad.abs().amax(dim=1)
    return saliency, score.detach()


def pgd_attack(model, images, labels, start, eps=0.1, alpha=0.04, steps=3):
    """L-infinity PGD in pixel space from images + start, projected back into the eps-ball."""
    x = images.detach()
    x_adv = torch.clamp(x + start, 0, 1)
    for _ in range(steps):
        x_adv = x_adv.detach().requires_grad_(True)
        loss = F.nll_loss(model(normalize(x_adv)), labels)
        grad = torch.autograd.grad(loss, x_adv)[0]
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.max(torch.min(x_adv, x + eps), x - eps)
        x_adv = torch.clamp(x_adv, 0.0, 1.0)
    return x_adv.detach()


def train(model, device, train_loader, optimizer, losses):
    model.train()
    for data, target, _ in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(normalize(data))
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def adversarial_train(model, device, train_loader, optimizer, losses, eps, alpha, steps):
    for data, target, start in train_loader:
        data, target, start = data.to(device), target.to(device), start.to(device)
        model.eval()   # craft the attack against the current weights, no dropout
        x_adv = pgd_attack(model, data, target, start, eps=eps, alpha=alpha, steps=steps)
        model.train()
        optimizer.zero_grad()
        loss = F.nll_loss(model(normalize(x_adv)), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def build(dropout=0.25):
    return Net(dropout)


def run(model, data, batch_size=8, n_attack=12, epsilons=(0, .05, .1, .2), lr=1.0,
        adv_lr=0.01, pgd_eps=0.1, pgd_alpha=0.04, pgd_steps=3):
    device = torch.device("cpu")
    dtype = torch.get_default_dtype()
    images, labels = data["train"]
    pixels = torch.from_numpy(images).unsqueeze(1).to(dtype) / 255
    starts = torch.from_numpy(data["starts"]).to(dtype)
    train_set = TensorDataset(pixels, torch.from_numpy(labels).long(), starts)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=False)

    test_images, test_labels = data["test"]
    test_x = normalize(torch.from_numpy(test_images).unsqueeze(1).to(dtype) / 255)
    test_y = torch.from_numpy(test_labels).long()
    test_loader = DataLoader(TensorDataset(test_x[:n_attack], test_y[:n_attack]), batch_size=1,
                             shuffle=False)

    model = model.to(device)
    losses = []
    train(model, device, train_loader, optim.Adadelta(model.parameters(), lr=lr), losses)

    # FGSM against the ordinarily trained network
    model.eval()
    accuracies, examples = [], []
    for eps in epsilons:
        acc, ex = test(model, device, test_loader, eps)
        accuracies.append(acc)
        examples.append(ex)

    saliency, scores = saliency_map(model, test_x[:6], test_y[:6])

    # a few steps of PGD adversarial training, then the same attack again
    adv_losses = []
    optimizer = optim.SGD(model.parameters(), lr=adv_lr, momentum=0.9)
    adversarial_train(model, device, train_loader, optimizer, adv_losses, pgd_eps, pgd_alpha,
                      pgd_steps)
    model.eval()
    robust_accuracies = [test(model, device, test_loader, eps)[0] for eps in epsilons]
    with torch.no_grad():
        log_probs = model(test_x[:6])
    return {"losses": losses, "accuracies": accuracies, "examples": examples,
            "saliency": saliency, "scores": scores, "adv_losses": adv_losses,
            "robust_accuracies": robust_accuracies, "log_probs": log_probs,
            "state": model.state_dict()}
