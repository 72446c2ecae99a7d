import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn
from torch.utils.data import TensorDataset, DataLoader
import io
import os
import tempfile
import numpy as np
# ruff: noqa  (kept in the style of facebookresearch/mixup-cifar10 and the OneCycle training
# scripts, which this program follows)

# mixup (Zhang et al., 2018) as facebookresearch/mixup-cifar10's train.py writes it —
# mixup_data() mixes each batch with a shuffled copy of itself (torch.randperm) by a weight λ,
# mixup_criterion() mixes the two losses by λ — for a small CNN with BatchNorm. λ is drawn as
# the original code draws it, with np.random.beta(α, α) (NumPy's global generator, seeded), or
# with torch.rand (λ ~ U(0, 1) = Beta(1, 1), mixup with α = 1), or with
# torch.distributions.Beta(α, α).sample(). As an option the targets are mixed instead of the
# losses: one-hot labels (F.one_hot) mixed by λ and CrossEntropyLoss with class-probability
# targets.
#
# Phase 1: SGD with Nesterov momentum and weight decay under OneCycleLR (stepped per batch; it
# also cycles the momentum). Phase 2: the learning rate set back by hand and ReduceLROnPlateau
# on the validation accuracy (mode='max'). The model is evaluated in model.eval() (BatchNorm's
# running statistics); the best checkpoint — {'epoch', 'model_state_dict',
# 'optimizer_state_dict', 'scheduler_state_dict', 'best_acc'} — is saved with torch.save to an
# in-memory buffer (io.BytesIO) and to a file in a temporary directory, loaded back with
# torch.load into a fresh model and optimizer, and training resumed from it.
#
# Weight averaging, as torch.optim.swa_utils' documentation writes it: an EMA of the weights and
# buffers (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True))
# updated after every phase-1 step, and (phase 3) stochastic weight averaging — SWALR annealing
# to swa_lr, AveragedModel.update_parameters once an epoch, update_bn over the loader for the
# averaged weights' BatchNorm statistics — both evaluated like the model.


class Net(nn.Module):
    def __init__(self, num_classes=4, width=8):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, width, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, 2 * width, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * width)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.max_pool2d(out, 2)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.pool(out)
        out = out.view(out.size(0), -1)
        return self.fc(out)


def mixup_data(x, y, alpha=1.0, source="numpy"):
    '''Returns mixed inputs, pairs of targets, and lambda'''
    if alpha > 0:
        if source == "numpy":
            lam = np.random.beta(alpha, alpha)
        elif source == "rand":
            lam = torch.rand(1).item()
        else:
            lam = torch.distributions.Beta(torch.tensor([alpha]),
                                           torch.tensor([alpha])).sample().item()
    else:
        lam = 1
    batch_size = x.size()[0]
    index = torch.randperm(batch_size)
    mixed_x = lam * x + (1 - lam) * x[index, :]
    y_a, y_b = y, y[index]
    return mixed_x, y_a, y_b, lam


def mixup_criterion(criterion, pred, y_a, y_b, lam):
    return lam * criterion(pred, y_a) + (1 - lam) * criterion(pred, y_b)


def train_epoch(model, loader, optimizer, criterion, alpha, source, soft_targets, scheduler,
                num_classes, log, ema_model=None):
    model.train()
    for inputs, targets in loader:
        inputs, targets_a, targets_b, lam = mixup_data(inputs, targets, alpha, source)
        outputs = model(inputs)
        if soft_targets:
            mixed = (lam * F.one_hot(targets_a, num_classes).to(outputs.dtype)
                     + (1 - lam) * F.one_hot(targets_b, num_classes).to(outputs.dtype))
            loss = criterion(outputs, mixed)
        else:
            loss = mixup_criterion(criterion, outputs, targets_a, targets_b, lam)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if ema_model is not None:
            ema_model.update_parameters(model)
        _, predicted = torch.max(outputs.data, 1)
        correct = (lam * predicted.eq(targets_a.data).cpu().sum().float()
                   + (1 - lam) * predicted.eq(targets_b.data).cpu().sum().float())
        log["losses"].append(loss.item())
        log["lams"].append(float(lam))
        log["train_correct"].append(correct.item())
        log["lrs"].append(optimizer.param_groups[0]['lr'])
        log["momentums"].append(optimizer.param_groups[0]['momentum'])


def evaluate(model, x, y, criterion):
    model.eval()
    with torch.no_grad():
        outputs = model(x)
        loss = criterion(outputs, y).item()
        preds = outputs.argmax(dim=1)
        acc = preds.eq(y).float().mean().item()
    return loss, acc, preds, outputs


def build(num_classes=4, width=8):
    return Net(num_classes, width)


def make_optimizer(model, lr, weight_decay):
    return optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                     weight_decay=weight_decay)


def run(model, data, epochs1=3, epochs2=3, epochs3=3, batch_size=8, alpha=1.0, source="numpy",
        soft_targets=False, max_lr=0.1, lr2=0.01, swa_lr=0.02, weight_decay=5e-4, seed=0):
    torch.manual_seed(seed)
    np.random.seed(seed)
    dtype = torch.get_default_dtype()
    x = torch.tensor(data["images"], dtype=dtype).unsqueeze(1)
    y = torch.from_numpy(data["labels"])
    n_train = data.get("n_train", 32)
    num_classes = model.fc.out_features
    loader = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=batch_size,
                        shuffle=True)
    x_val, y_val = x[n_train:], y[n_train:]
    criterion = nn.CrossEntropyLoss()
    optimizer = make_optimizer(model, max_lr, weight_decay)
    log = {"losses": [], "lams": [], "train_correct": [], "lrs": [], "momentums": []}

    # phase 1: one cycle
    scheduler = OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs1,
                           steps_per_epoch=len(loader))
    ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
    val = []
    for epoch in range(epochs1):
        train_epoch(model, loader, optimizer, criterion, alpha, source, soft_targets, scheduler,
                    num_classes, log, ema_model)
        val.append(evaluate(model, x_val, y_val, criterion)[:2])

    # phase 2: plateau
    for g in optimizer.param_groups:
        g['lr'] = lr2
    plateau = ReduceLROnPlateau(optimizer, mode='max', factor=0.5, patience=0)
    best_acc, best = -1.0, None
    plateau_lrs = []
    buffer = io.BytesIO()
    tmpdir = tempfile.TemporaryDirectory()
    path = os.path.join(tmpdir.name, 'ckpt.pth')
    for epoch in range(epochs2):
        train_epoch(model, loader, optimizer, criterion, alpha, source, soft_targets, None,
                    num_classes, log)
        val_loss, val_acc = evaluate(model, x_val, y_val, criterion)[:2]
        val.append((val_loss, val_acc))
        plateau.step(val_acc)
        plateau_lrs.append(optimizer.param_groups[0]['lr'])
        if val_acc > best_acc or epoch == epochs2 - 1:
            best_acc = max(best_acc, val_acc)
            state = {'epoch': epochs1 + epoch, 'model_state_dict': model.state_dict(),
                     'optimizer_state_dict': optimizer.state_dict(),
                     'scheduler_state_dict': plateau.state_dict(), 'best_acc': best_acc}
            buffer.seek(0)
            buffer.truncate()
            torch.save(state, buffer)
            torch.save(state, path)
    val_loss, val_acc, preds, logits = evaluate(model, x_val, y_val, criterion)

    # resume from the last checkpoint, in memory and from the file
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    from_file = torch.load(path)
    tmpdir.cleanup()
    resumed = build(num_classes, model.conv1.out_channels)
    resumed.load_state_dict(checkpoint['model_state_dict'])
    resumed_opt = make_optimizer(resumed, lr2, weight_decay)
    resumed_opt.load_state_dict(checkpoint['optimizer_state_dict'])
    resumed_sched = ReduceLROnPlateau(resumed_opt, mode='max', factor=0.5, patience=0)
    resumed_sched.load_state_dict(checkpoint['scheduler_state_dict'])
    same_file = all(torch.equal(v, from_file['model_state_dict'][k])
                    for k, v in checkpoint['model_state_dict'].items())
    _, resumed_acc, resumed_preds, resumed_logits = evaluate(resumed, x_val, y_val, criterion)
    # one more epoch on both: the resumed run continues as the original would have
    torch.manual_seed(seed + 1)
    np.random.seed(seed + 1)
    more = {k: [] for k in log}
    train_epoch(model, loader, optimizer, criterion, alpha, source, soft_targets, None,
                num_classes, more)
    torch.manual_seed(seed + 1)
    np.random.seed(seed + 1)
    more_resumed = {k: [] for k in log}
    train_epoch(resumed, loader, resumed_opt, criterion, alpha, source, soft_targets, None,
                num_classes, more_resumed)

    # phase 3: stochastic weight averaging
    swa_model = AveragedModel(model)
    swa_scheduler = SWALR(optimizer, swa_lr=swa_lr, anneal_epochs=2, anneal_strategy='cos')
    swa_lrs = []
    for epoch in range(epochs3):
        train_epoch(model, loader, optimizer, criterion, alpha, source, soft_targets, None,
                    num_classes, log)
        swa_model.update_parameters(model)
        swa_scheduler.step()
        swa_lrs.append(swa_scheduler.get_last_lr()[0])
    update_bn(loader, swa_model)
    swa_loss, swa_acc, swa_preds, swa_logits = evaluate(swa_model, x_val, y_val, criterion)
    ema_loss, ema_acc, ema_preds, ema_logits = evaluate(ema_model, x_val, y_val, criterion)
    bn = model.bn1
    return dict(log, val=val, plateau_lrs=plateau_lrs, best_acc=best_acc, val_acc=val_acc,
                preds=preds, logits=logits, epoch=checkpoint['epoch'],
                checkpoint_keys=sorted(checkpoint), same_file=same_file,
                resumed_logits=resumed_logits, resumed_preds=resumed_preds,
                scheduler_best=resumed_sched.best, num_bad=resumed_sched.num_bad_epochs,
                more_losses=more["losses"], more_resumed_losses=more_resumed["losses"],
                running_mean=bn.running_mean, running_var=bn.running_var,
                swa_lrs=swa_lrs, swa_logits=swa_logits, swa_preds=swa_preds,
                swa_state=swa_model.state_dict(), swa_n=swa_model.n_averaged,
                ema_logits=ema_logits, ema_state=ema_model.state_dict(),
                state=model.state_dict(), resumed_state=resumed.state_dict())


if __name__ == '__main__':
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(4, 8, 8))
    labels = rng.integers(0, 4, 200)
    data = {"images": templates[labels] + 0.8 * rng.normal(size=(200, 8, 8)), "labels": labels,
            "n_train": 160}
    record = run(build(), data, epochs1=5, epochs2=5)
    print(record["losses"][:3], record["losses"][-3:], record["val"], record["plateau_lrs"])
