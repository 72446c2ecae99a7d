import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of the PyTorch transfer-learning tutorial, which this follows)
import copy
import os
from collections import OrderedDict

# Fine-tuning a "pretrained" network on a new 3-class task, after the structure of the PyTorch
# "Transfer Learning for Computer Vision" tutorial. build() makes the pretrained network: a small
# convolutional nn.Sequential with named children (conv1, bn1, ..., layer1, layer2, avgpool,
# flatten, fc) whose 10-way `fc` head stands for the ImageNet classifier. run() saves that
# checkpoint, freezes every parameter, swaps in a fresh 3-way `fc` and reloads the backbone from the
# checkpoint with strict=False; trains only the head (SGD with momentum, StepLR), then unfreezes
# layer2 and hands it to the same optimizer through add_param_group; each epoch has a 'train' and
# a 'val' phase under torch.set_grad_enabled, and the best validation weights are kept with
# copy.deepcopy(model.state_dict()) and restored at the end. Finally the fine-tuned weights go
# through torch.save / torch.load(weights_only=True) into a feature extractor whose head is
# nn.Identity (strict=False again). Images (N×H×W×3 uint8) and labels come in from the caller.
#
# Avoided so that both libraries see the same numbers: DataLoader shuffling (shuffle=False) and
# random augmentation; the new head's initial weights come in with the data (data["head"]) and
# are copied in under torch.no_grad(), since the two libraries draw different random numbers.

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def build(width=8, num_classes=10):
    model = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, width, kernel_size=3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(width)),
        ("relu", nn.ReLU(inplace=True)),
        ("maxpool", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("layer1", nn.Sequential(
            nn.Conv2d(width, width, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True))),
        ("layer2", nn.Sequential(
            nn.Conv2d(width, 2 * width, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True))),
        ("avgpool", nn.AdaptiveAvgPool2d((1, 1))),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(2 * width, num_classes)),
    ]))
    return model


def to_dataset(images, labels):
    """uint8 N×H×W×3 images -> normalised N×3×H×W tensors with their int64 labels."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).to(torch.get_default_dtype()) / 255
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return TensorDataset((x - mean) / std, torch.from_numpy(labels).long())


def train_model(model, criterion, optimizer, scheduler, dataloaders, dataset_sizes, device,
                history, num_epochs=2):
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0

    for epoch in range(num_epochs):
        for phase in ['train', 'val']:
            if phase == 'train':
                model.train()
            else:
                model.eval()

            running_loss = 0.0
            running_corrects = 0

            for inputs, labels in dataloaders[phase]:
                inputs = inputs.to(device)
                labels = labels.to(device)

                optimizer.zero_grad()

                # the graph is only recorded in the training phase
                with torch.set_grad_enabled(phase == 'train'):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)

                    if phase == 'train':
                        loss.backward()
                        optimizer.step()
                        history["losses"].append(loss.item())

                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            if phase == 'train':
                scheduler.step()
                history["lrs"].append([group["lr"] for group in optimizer.param_groups])

            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            history[phase + "_loss"].append(epoch_loss)
            history[phase + "_acc"].append(epoch_acc.item())

            # keep the weights of the best validation epoch so far
            if phase == 'val' and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model.state_dict())

    history["best_acc"].append(float(best_acc))
    model.load_state_dict(best_model_wts)
    return model


def trainable(model):
    return [name for name, param in model.named_parameters() if param.requires_grad]


def run(model, data, path="finetune", batch_size=8, num_classes=3, epochs=(2, 2), lr=0.001,
        finetune_lr=0.0005):
    device = torch.device("cpu")
    os.makedirs(path, exist_ok=True)
    pretrained_path = os.path.join(path, "pretrained.pt")
    finetuned_path = os.path.join(path, "finetuned.pt")
    torch.save(model.state_dict(), pretrained_path)

    image_datasets = {x: to_dataset(*data[x]) for x in ['train', 'val']}
    dataloaders = {x: DataLoader(image_datasets[x], batch_size=batch_size, shuffle=False)
                   for x in ['train', 'val']}
    dataset_sizes = {x: len(image_datasets[x]) for x in ['train', 'val']}
    keys = {}

    # freeze the pretrained network, then give it a new head for the new classes
    for param in model.parameters():
        param.requires_grad = False
    num_ftrs = model.fc.in_features
    model.fc = nn.Linear(num_ftrs, num_classes)
    with torch.no_grad():
        model.fc.weight.copy_(torch.from_numpy(data["head"][0]))
        model.fc.bias.copy_(torch.from_numpy(data["head"][1]))
    model = model.to(device)

    # the backbone's weights from the checkpoint; the old 10-way head does not fit and stays out
    checkpoint = torch.load(pretrained_path, map_location=device, weights_only=True)
    backbone = {k: v for k, v in checkpoint.items() if not k.startswith("fc.")}
    result = model.load_state_dict(backbone, strict=False)
    keys["pretrained_missing"] = list(result.missing_keys)
    keys["pretrained_unexpected"] = list(result.unexpected_keys)
    keys["trainable_head"] = trainable(model)

    criterion = nn.CrossEntropyLoss()
    optimizer_conv = optim.SGD(model.fc.parameters(), lr=lr, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)
    history = {k: [] for k in ["losses", "lrs", "train_loss", "train_acc", "val_loss",
                               "val_acc", "best_acc"]}
    model = train_model(model, criterion, optimizer_conv, exp_lr_scheduler, dataloaders,
                        dataset_sizes, device, history, num_epochs=epochs[0])

    # second phase: let the last block learn too, at a smaller rate
    for param in model.layer2.parameters():
        param.requires_grad = True
    optimizer_conv.add_param_group({"params": model.layer2.parameters(), "lr": finetune_lr})
    keys["trainable_finetune"] = trainable(model)
    model = train_model(model, criterion, optimizer_conv, exp_lr_scheduler, dataloaders,
                        dataset_sizes, device, history, num_epochs=epochs[1])

    # save, and reload into a copy whose head is removed: a feature extractor
    torch.save(model.state_dict(), finetuned_path)
    extractor = copy.deepcopy(model)
    extractor.fc = nn.Identity()
    result = extractor.load_state_dict(torch.load(finetuned_path, weights_only=True),
                                       strict=False)
    keys["extractor_missing"] = list(result.missing_keys)
    keys["extractor_unexpected"] = list(result.unexpected_keys)

    extractor.eval()
    model.eval()
    inputs = image_datasets['val'].tensors[0]
    with torch.no_grad():
        features = extractor(inputs)
        outputs = model(inputs)
    history.update({"keys": keys, "features": features, "outputs": outputs,
                    "state": model.state_dict()})
    return history
