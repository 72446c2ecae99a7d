import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of milesial/Pytorch-UNet, which this program follows)

# A small U-Net for semantic segmentation in the style of milesial/Pytorch-UNet (unet/unet_parts.py,
# unet/unet_model.py, utils/dice_score.py, train.py, evaluate.py): DoubleConv blocks
# (Conv2d-BatchNorm2d-ReLU twice), MaxPool2d down-sampling, up-sampling by ConvTranspose2d or by
# nn.Upsample(bilinear, align_corners=True), F.pad to the skip connection's size (the images are
# 14×14, so 7 → 3 → 6 must be padded back to 7) and torch.cat skip connections, a 1×1 output
# convolution. Trained on per-pixel CrossEntropyLoss with class weights and ignore_index (pixels
# labelled 255 are "void", as in PASCAL VOC) plus a multiclass Dice loss computed by hand from
# softmax and F.one_hot; AdamW with OneCycleLR (stepped per batch) or CosineAnnealingLR (per epoch);
# gradients clipped with torch.nn.utils.clip_grad_norm_. Evaluated under torch.no_grad() with the
# Dice coefficient of the argmax prediction, the pixel accuracy and the per-class IoU.
#
# The images and masks are arrays handed in by the caller; DataLoader shuffling is off so that
# both libraries see the same batches.

IGNORE_INDEX = 255


class DoubleConv(nn.Module):
    """(convolution => [BN] => ReLU) * 2"""

    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        if not mid_channels:
            mid_channels = out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True)
        )

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    """Downscaling with maxpool then double conv"""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(
            nn.MaxPool2d(2),
            DoubleConv(in_channels, out_channels)
        )

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    """Upscaling then double conv"""

    def __init__(self, in_channels, out_channels, bilinear=True):
        super().__init__()

        # if bilinear, use the normal convolutions to reduce the number of channels
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        # input is CHW
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]

        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2,
                        diffY // 2, diffY - diffY // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)


class OutConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super(OutConv, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, bilinear=False, base=8):
        super(UNet, self).__init__()
        self.n_channels = n_channels
        self.n_classes = n_classes
        self.bilinear = bilinear

        factor = 2 if bilinear else 1
        self.inc = DoubleConv(n_channels, base)
        self.down1 = Down(base, base * 2)
        self.down2 = Down(base * 2, base * 4 // factor)
        self.up1 = Up(base * 4, base * 2 // factor, bilinear)
        self.up2 = Up(base * 2, base, bilinear)
        self.outc = OutConv(base, n_classes)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.up1(x3, x2)
        x = self.up2(x, x1)
        logits = self.outc(x)
        return logits


def dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
    # Average of Dice coefficient for all batches, or for a single mask
    assert input.size() == target.size()
    assert input.dim() == 3 or not reduce_batch_first

    sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)

    inter = 2 * (input * target).sum(dim=sum_dim)
    sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
    sets_sum = torch.where(sets_sum == 0, inter, sets_sum)

    dice = (inter + epsilon) / (sets_sum + epsilon)
    return dice.mean()


def multiclass_dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
    # Average of Dice coefficient for all classes
    return dice_coeff(input.flatten(0, 1), target.flatten(0, 1), reduce_batch_first, epsilon)


def dice_loss(input, target, multiclass=False):
    # Dice loss (objective to minimize) between 0 and 1
    fn = multiclass_dice_coeff if multiclass else dice_coeff
    return 1 - fn(input, target, reduce_batch_first=True)


def one_hot_valid(mask_true, n_classes):
    """The one-hot masks (N×C×H×W) with void pixels all zero, and the valid-pixel mask."""
    valid = mask_true != IGNORE_INDEX
    labels = mask_true.masked_fill(~valid, 0)
    one_hot = F.one_hot(labels, n_classes).permute(0, 3, 1, 2).to(torch.get_default_dtype())
    return one_hot * valid.unsqueeze(1), valid


@torch.inference_mode()
def evaluate(net, dataloader, device):
    net.eval()
    num_val_batches = len(dataloader)
    dice_score = 0
    correct = 0
    total = 0
    intersection = torch.zeros(net.n_classes, dtype=torch.long)
    union = torch.zeros(net.n_classes, dtype=torch.long)

    # iterate over the validation set
    for image, mask_true in dataloader:
        image = image.to(device=device, dtype=torch.get_default_dtype())
        mask_true = mask_true.to(device=device, dtype=torch.long)

        # predict the mask
        mask_pred = net(image)
        pred = mask_pred.argmax(dim=1)
        mask_true_1h, valid = one_hot_valid(mask_true, net.n_classes)
        mask_pred_1h = F.one_hot(pred, net.n_classes).permute(0, 3, 1, 2).float()
        mask_pred_1h = mask_pred_1h.to(mask_true_1h.dtype) * valid.unsqueeze(1)
        # compute the Dice score, ignoring background
        dice_score += multiclass_dice_coeff(mask_pred_1h[:, 1:], mask_true_1h[:, 1:],
                                            reduce_batch_first=False)
        correct += (pred[valid] == mask_true[valid]).sum().item()
        total += valid.sum().item()
        for c in range(net.n_classes):
            p, t = (pred == c) & valid, mask_true == c
            intersection[c] += (p & t).sum()
            union[c] += (p | t).sum()

    net.train()
    iou = intersection.double() / union.clamp(min=1).double()
    return dice_score / max(num_val_batches, 1), correct / total, iou


def train_model(model, device, data, epochs=3, batch_size=4, learning_rate=1e-2,
                weight_decay=1e-4, gradient_clipping=1.0, scheduler='onecycle',
                class_weights=(0.5, 1.0, 2.0)):
    x_train, y_train = data["train"]
    x_val, y_val = data["val"]
    train_set = TensorDataset(torch.from_numpy(x_train).to(torch.get_default_dtype()),
                              torch.from_numpy(y_train))
    val_set = TensorDataset(torch.from_numpy(x_val).to(torch.get_default_dtype()),
                            torch.from_numpy(y_val))
    train_loader = DataLoader(train_set, shuffle=False, batch_size=batch_size)
    val_loader = DataLoader(val_set, shuffle=False, drop_last=True, batch_size=batch_size)

    optimizer = optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    if scheduler == 'onecycle':
        lr_scheduler = optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=learning_rate, epochs=epochs, steps_per_epoch=len(train_loader))
    else:
        lr_scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs,
                                                            eta_min=1e-4)
    weight = torch.tensor(class_weights, dtype=torch.get_default_dtype())
    criterion = nn.CrossEntropyLoss(weight=weight, ignore_index=IGNORE_INDEX)

    log = {"losses": [], "ce": [], "dice": [], "grad_norms": [], "lrs": [], "val_dice": [],
           "val_acc": [], "val_iou": []}
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_loss = 0
        for images, true_masks in train_loader:
            assert images.shape[1] == model.n_channels
            images = images.to(device=device, dtype=torch.get_default_dtype(),
                               memory_format=torch.channels_last)
            true_masks = true_masks.to(device=device, dtype=torch.long)

            masks_pred = model(images)
            ce = criterion(masks_pred, true_masks)
            one_hot, _ = one_hot_valid(true_masks, model.n_classes)
            probs = F.softmax(masks_pred, dim=1) * (true_masks != IGNORE_INDEX).unsqueeze(1)
            dice = dice_loss(probs, one_hot, multiclass=True)
            loss = ce + dice

            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), gradient_clipping)
            optimizer.step()
            if scheduler == 'onecycle':
                lr_scheduler.step()

            epoch_loss += loss.item()
            log["losses"].append(loss.item())
            log["ce"].append(ce.item())
            log["dice"].append(dice.item())
            log["grad_norms"].append(grad_norm.item())
            log["lrs"].append(optimizer.param_groups[0]['lr'])
        if scheduler != 'onecycle':
            lr_scheduler.step()

        val_score, val_acc, iou = evaluate(model, val_loader, device)
        log["val_dice"].append(float(val_score))
        log["val_acc"].append(val_acc)
        log["val_iou"].append(iou)
    return log


def build(n_channels=3, n_classes=3, bilinear=False, base=8):
    model = UNet(n_channels=n_channels, n_classes=n_classes, bilinear=bilinear, base=base)
    model = model.to(memory_format=torch.channels_last)
    return model


def run(model, data, **kw):
    device = torch.device('cpu')
    model.to(device=device)
    log = train_model(model, device, data, **kw)
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(data["val"][0]).to(torch.get_default_dtype())
        logits = model(x)
        # the probabilities at the input's resolution and at twice it (bilinear resize)
        log["probs"] = F.softmax(logits, dim=1)
        log["probs_x2"] = F.interpolate(log["probs"], scale_factor=2, mode='bilinear',
                                        align_corners=False)
        log["pred"] = logits.argmax(1)
    log["state"] = model.state_dict()
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    n, h, w = 24, 14, 14
    yy, xx = np.mgrid[0:h, 0:w]
    masks = np.zeros((n, h, w), dtype=np.int64)
    images = rng.normal(0, 0.3, (n, 3, h, w))
    for i in range(n):
        cy, cx, r = rng.integers(3, 11), rng.integers(3, 11), rng.integers(2, 5)
        masks[i][(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1 + i % 2
        images[i, 1 + i % 2] += 2.0 * (masks[i] > 0)
    masks[rng.random((n, h, w)) < 0.05] = 255
    torch.manual_seed(0)
    record = run(build(), {"train": (images[:16], masks[:16]), "val": (images[16:], masks[16:])})
    print(record["losses"], record["val_dice"], record["val_iou"])
