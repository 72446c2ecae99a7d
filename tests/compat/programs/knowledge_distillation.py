import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
import io
# ruff: noqa  (kept in the style of the PyTorch tutorial it follows)

# The PyTorch tutorial "Knowledge Distillation" (beginner/knowledge_distillation_tutorial.py): a
# deeper teacher CNN (DeepNN) and a lighter student CNN (LightNN) on CIFAR-format images. The
# teacher (given BatchNorm2d layers here, so that it learns in a few steps) is trained with
# label-smoothed cross-entropy, SGD (Nesterov momentum, weight decay) and MultiStepLR; its
# weights go through torch.save into an io.BytesIO buffer and back with
# torch.load(weights_only=True) into a fresh teacher, which is then frozen (requires_grad=False)
# and kept in eval mode. The student is trained on a weighted sum of the soft-target loss —
# nn.KLDivLoss(reduction='batchmean') between log_softmax(student / T) and softmax(teacher / T),
# scaled by T² — and the hard-label cross-entropy, with the same optimizer and schedule. A second
# student of the same architecture, trained on the labels alone from the same initial weights
# (copied through load_state_dict), is the baseline. All are tested under torch.no_grad() in eval
# mode. The dropout of the tutorial's classifiers has p=0 here: the two libraries' random streams
# differ.
#
# The images are arrays handed in by the caller; DataLoader shuffling is off, so both libraries
# see the same batches.


class DeepNN(nn.Module):
    def __init__(self, num_classes=10, width=16):
        super(DeepNN, self).__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width // 2, kernel_size=3, padding=1),
            nn.BatchNorm2d(width // 2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(width // 2, width // 2, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width // 2, width // 4, kernel_size=3, padding=1),
            nn.BatchNorm2d(width // 4),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(width // 4 * 4 * 4, 32),
            nn.ReLU(),
            nn.Dropout(0.0),
            nn.Linear(32, num_classes)
        )

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


class LightNN(nn.Module):
    def __init__(self, num_classes=10, width=8):
        super(LightNN, self).__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(width, width // 2, kernel_size=3, padding=1),
            nn.BatchNorm2d(width // 2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(width // 2 * 4 * 4, 16),
            nn.ReLU(),
            nn.Dropout(0.0),
            nn.Linear(16, num_classes)
        )

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


def make_optimizer(model, learning_rate, epochs):
    optimizer = optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    milestones = [max(1, epochs // 2), max(2, 3 * epochs // 4)]
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.5)
    return optimizer, scheduler


def train(model, train_loader, epochs, learning_rate, device, losses):
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer, scheduler = make_optimizer(model, learning_rate, epochs)

    model.train()

    for epoch in range(epochs):
        running_loss = 0.0
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device), labels.to(device)

            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            running_loss += loss.item()
            losses.append(loss.item())
        scheduler.step()


def test(model, test_loader, device):
    model.to(device)
    model.eval()

    correct = 0
    total = 0
    test_loss = 0.0
    with torch.no_grad():
        for inputs, labels in test_loader:
            inputs, labels = inputs.to(device), labels.to(device)

            outputs = model(inputs)
            test_loss += nn.functional.cross_entropy(outputs, labels, reduction='sum').item()
            _, predicted = torch.max(outputs.data, 1)

            total += labels.size(0)
            correct += (predicted == labels).sum().item()

    accuracy = 100 * correct / total
    return accuracy, test_loss / total


def train_knowledge_distillation(teacher, student, train_loader, epochs, learning_rate, T,
                                 soft_target_loss_weight, ce_loss_weight, device, log):
    ce_loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    kl_loss = nn.KLDivLoss(reduction='batchmean')
    optimizer, scheduler = make_optimizer(student, learning_rate, epochs)

    teacher.eval()  # Teacher set to evaluation mode
    student.train()  # Student to train mode

    for epoch in range(epochs):
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device), labels.to(device)

            optimizer.zero_grad()

            # Forward pass with the teacher model - do not save gradients here as we do not
            # change the teacher's weights
            with torch.no_grad():
                teacher_logits = teacher(inputs)

            # Forward pass with the student model
            student_logits = student(inputs)

            # Soften the student logits by applying softmax first and log() second
            soft_targets = nn.functional.softmax(teacher_logits / T, dim=-1)
            soft_prob = nn.functional.log_softmax(student_logits / T, dim=-1)

            # The KL divergence, scaled by T**2 as suggested by the authors of the paper
            # "Distilling the knowledge in a neural network"
            soft_targets_loss = kl_loss(soft_prob, soft_targets) * (T ** 2)
            # the same, written out as the tutorial does
            by_hand = torch.sum(soft_targets * (soft_targets.log() - soft_prob)) \
                / soft_prob.size()[0] * (T ** 2)

            # Calculate the true label loss
            label_loss = ce_loss(student_logits, labels)

            # Weighted sum of the two losses
            loss = soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss

            loss.backward()
            optimizer.step()

            log["losses"].append(loss.item())
            log["soft_losses"].append(soft_targets_loss.item())
            log["by_hand"].append(by_hand.item())
        scheduler.step()
        log["lrs"].append(optimizer.param_groups[0]["lr"])


def to_tensor(images):
    """N×H×W×3 uint8 → N×3×H×W in [-1, 1] (ToTensor then Normalize(0.5, 0.5))."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).to(torch.get_default_dtype()) / 255.0
    return (x - 0.5) / 0.5


def build(num_classes=4):
    nn_deep = DeepNN(num_classes=num_classes)
    nn_light = LightNN(num_classes=num_classes)
    return nn_deep, nn_light


def run(models, data, epochs=3, teacher_epochs=6, batch_size=8, learning_rate=0.05,
        teacher_lr=0.02, T=2.0, soft_target_loss_weight=0.25, ce_loss_weight=0.75):
    nn_deep, new_nn_light = models
    device = torch.device("cpu")
    train_set = TensorDataset(to_tensor(data["train"][0]), torch.from_numpy(data["train"][1]))
    test_set = TensorDataset(to_tensor(data["test"][0]), torch.from_numpy(data["test"][1]))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=False)
    log = {"teacher_losses": [], "student_ce_losses": [], "losses": [], "soft_losses": [],
           "by_hand": [], "lrs": []}

    # the baseline student starts from the distilled student's initial weights
    nn_light = LightNN(num_classes=new_nn_light.classifier[-1].out_features)
    nn_light.load_state_dict(new_nn_light.state_dict())

    train(nn_deep, train_loader, teacher_epochs, teacher_lr, device, log["teacher_losses"])
    log["teacher_acc"], log["teacher_loss"] = test(nn_deep, test_loader, device)

    # checkpoint the teacher in memory and reload it into a fresh network
    buffer = io.BytesIO()
    torch.save(nn_deep.state_dict(), buffer)
    buffer.seek(0)
    teacher = DeepNN(num_classes=nn_deep.classifier[-1].out_features)
    missing = teacher.load_state_dict(torch.load(buffer, weights_only=True))
    log["missing_keys"], log["unexpected_keys"] = len(missing.missing_keys), \
        len(missing.unexpected_keys)
    for p in teacher.parameters():
        p.requires_grad = False
    log["trainable_teacher"] = sum(p.numel() for p in teacher.parameters() if p.requires_grad)
    log["teacher_params"] = sum(p.numel() for p in teacher.parameters())
    log["student_params"] = sum(p.numel() for p in new_nn_light.parameters())

    train(nn_light, train_loader, epochs, learning_rate, device, log["student_ce_losses"])
    log["student_ce_acc"], log["student_ce_loss"] = test(nn_light, test_loader, device)

    train_knowledge_distillation(teacher=teacher, student=new_nn_light,
                                 train_loader=train_loader, epochs=epochs,
                                 learning_rate=learning_rate, T=T,
                                 soft_target_loss_weight=soft_target_loss_weight,
                                 ce_loss_weight=ce_loss_weight, device=device, log=log)
    log["student_kd_acc"], log["student_kd_loss"] = test(new_nn_light, test_loader, device)

    with torch.no_grad():
        x_test = test_set.tensors[0]
        log["teacher_probs"] = torch.softmax(teacher(x_test), dim=1)
        log["student_probs"] = torch.softmax(new_nn_light(x_test), dim=1)
    log["teacher_state"] = teacher.state_dict()
    log["student_state"] = new_nn_light.state_dict()
    log["baseline_state"] = nn_light.state_dict()
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.integers(0, 256, (4, 16, 16, 3))
    labels = rng.integers(0, 4, 64).astype(np.int64)
    noise = rng.normal(0, 60, (64, 16, 16, 3))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    torch.manual_seed(0)
    record = run(build(), {"train": (images[:48], labels[:48]), "test": (images[48:], labels[48:])})
    print(record["teacher_losses"], record["losses"], record["teacher_acc"],
          record["student_ce_acc"], record["student_kd_acc"])
