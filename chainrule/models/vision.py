"""Reference vision models: MLP, LeNet-5, a small VGG, VGG-16 and ResNet-18/34/50.

VGG-16 and the ResNets follow torchvision's definitions module for module — the same attribute
names (``features.N``/``classifier.N``; ``conv1``, ``bn1``, ``layer1.0.conv1``, …,
``layer2.0.downsample.0``, ``fc``), the same registration order and the same shapes — so a
torchvision ``state_dict`` (as NumPy arrays or safetensors) loads unchanged with
``model.load_state_dict(...)``, and their initialisation is torchvision's.

The small models put a fixed layout on the same names: ``features`` (convolutions) and
``classifier`` (the dense head). Dropout layers are always present (p = 0 makes them the identity,
at no cost), so parameter names do not depend on the dropout rate.

>>> model = LeNet5()                 # (N, 1, 28, 28) → (N, 10) logits
"""
from __future__ import annotations

from collections.abc import Sequence

from .. import backend, nn
from ..nn import init
from .registry import register_model


# --------------------------------------------------------------------------- small models
@register_model("mlp")
class MLP(nn.Sequential):
    """A multilayer perceptron: Flatten, then (Linear, ReLU, Dropout) per hidden layer, then a
    Linear to the class logits. The default is 784-256-128-10 for 28×28 images.

    Layers (keys): ``0`` Flatten; ``1`` Linear(in, h₁), ``2`` ReLU, ``3`` Dropout; ``4``
    Linear(h₁, h₂), …; the last is Linear(h_last, num_classes).
    """

    def __init__(self, in_features: int = 784, hidden_sizes: Sequence[int] = (256, 128),
                 num_classes: int = 10, dropout: float = 0.0):
        layers = [nn.Flatten()]
        width = in_features
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        super().__init__(*layers)
        self.in_features, self.hidden_sizes = in_features, tuple(hidden_sizes)
        self.num_classes, self.dropout = num_classes, dropout


def _lenet_side(image_size: int) -> int:
    side = ((image_size + 2 * 2 - 5 + 1) // 2 - 5 + 1) // 2
    if side < 1:
        raise ValueError(f"LeNet5: image_size={image_size} is too small (at least 12)")
    return side


@register_model("lenet", aliases=("lenet5", "lenet-5"))
class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, for 28×28 images.

    ``features``: Conv2d(C, 6, 5, padding=2) – ReLU – MaxPool2d(2) – Conv2d(6, 16, 5) – ReLU –
    MaxPool2d(2); ``classifier``: Flatten – Linear(400, 120) – ReLU – Dropout – Linear(120, 84) –
    ReLU – Dropout – Linear(84, num_classes). 61,706 parameters with the defaults.
    ``image_size`` sets the flattened width for other square inputs (32 → 16·6·6 = 576).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, dropout: float = 0.0,
                 image_size: int = 28):
        super().__init__()
        side = _lenet_side(image_size)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * side * side, 120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model("small-vgg", aliases=("smallvgg", "vgg-small"))
class SmallVGG(nn.Module):
    """A small VGG-style CNN with BatchNorm for 32×32 images (CIFAR-10; 28×28 works too).

    ``features``: per entry c of ``channels`` a block Conv2d(3×3, pad 1, no bias) – BatchNorm2d –
    ReLU – Conv2d – BatchNorm2d – ReLU – MaxPool2d(2); ``classifier``: Flatten – Dropout –
    Linear(C·s·s, 256) – ReLU – Dropout – Linear(256, num_classes), s = image_size halved per block.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10,
                 channels: Sequence[int] = (32, 64, 128), dropout: float = 0.0,
                 image_size: int = 32, hidden: int = 256):
        super().__init__()
        layers, cin, side = [], in_channels, image_size
        for c in channels:
            layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.MaxPool2d(2)]
            cin, side = c, side // 2
        if side < 1:
            raise ValueError(f"SmallVGG: image_size={image_size} is too small for "
                             f"{len(channels)} blocks of 2×2 pooling")
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin * side * side, hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------- VGG (torchvision)
VGG_CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
              "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
              512, 512, 512, "M"],
}


def _normal_(tensor, std: float):
    """N(0, std²) drawn directly in the tensor's dtype (VGG's 100M-weight Linear stays cheap)."""
    rng = backend.generator()
    tensor._data[...] = rng.standard_normal(tensor.shape, dtype=tensor._data.dtype) * std
    return tensor


def make_vgg_layers(config: Sequence, batch_norm: bool = False, in_channels: int = 3):
    """torchvision's ``make_layers``: numbers are 3×3 convolutions (+BN) + ReLU, 'M' max pools."""
    layers, cin = [], in_channels
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(cin, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            cin = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision's VGG: ``features``, ``avgpool`` (adaptive, 7×7), ``classifier`` (4096-4096-C).

    Init (torchvision's): convolutions He-normal (fan_out, ReLU) with zero bias, BatchNorm γ = 1,
    β = 0, Linear N(0, 0.01²) with zero bias.
    """

    def __init__(self, features, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    init.ones_(m.weight)
                    init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    _normal_(m.weight, 0.01)
                    init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


@register_model("vgg16")
def vgg16(num_classes: int = 1000, batch_norm: bool = False, dropout: float = 0.5,
          in_channels: int = 3, init_weights: bool = True) -> VGG:
    """VGG-16 (Simonyan & Zisserman 2014, configuration D): 138,357,544 parameters for 1000
    classes; ``batch_norm=True`` is torchvision's ``vgg16_bn``. Keys and shapes are
    torchvision's, so its weights load unchanged."""
    return VGG(make_vgg_layers(VGG_CONFIGS["vgg16"], batch_norm, in_channels), num_classes,
               init_weights, dropout)


@register_model("vgg16-bn")
def vgg16_bn(num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3,
             init_weights: bool = True) -> VGG:
    """torchvision's ``vgg16_bn``: VGG-16 with BatchNorm after every convolution."""
    return vgg16(num_classes, True, dropout, in_channels, init_weights)


# --------------------------------------------------------------------------- ResNet (torchvision)
def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """ResNet-18/34's block: y = ReLU(BN(conv3×3(ReLU(BN(conv3×3(x))))) + shortcut(x)).

    The shortcut is the identity, or ``downsample`` (1×1 conv + BN) when the stride or width
    changes. Gradients reach x through both paths: ∂L/∂x = ∂L/∂y·(∂F/∂x + ∂shortcut/∂x).
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """ResNet-50's block (torchvision's "v1.5": the stride sits on the 3×3 convolution):
    1×1 conv (width) – BN – ReLU – 3×3 conv – BN – ReLU – 1×1 conv (4·width) – BN, + shortcut,
    ReLU."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        width = planes
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet: a 7×7/2 stem + 3×3/2 max pool, four stages of ``block`` (64, 128,
    256, 512 planes; the last three halve the resolution), global average pool, ``fc``.

    Init (torchvision's): convolutions He-normal (fan_out, ReLU); BatchNorm γ = 1, β = 0;
    ``zero_init_residual`` zeroes each block's last γ, so every block starts as the identity.
    """

    def __init__(self, block, layers: Sequence[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, in_channels: int = 3):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    init.zeros_(m.bn2.weight)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


@register_model("resnet18")
def resnet18(num_classes: int = 1000, zero_init_residual: bool = False,
             in_channels: int = 3) -> ResNet:
    """ResNet-18 (He et al. 2015): BasicBlocks [2, 2, 2, 2]; 11,689,512 parameters for 1000
    classes. torchvision's keys and shapes."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, zero_init_residual, in_channels)


@register_model("resnet34")
def resnet34(num_classes: int = 1000, zero_init_residual: bool = False,
             in_channels: int = 3) -> ResNet:
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 parameters for 1000 classes."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, zero_init_residual, in_channels)


@register_model("resnet50")
def resnet50(num_classes: int = 1000, zero_init_residual: bool = False,
             in_channels: int = 3) -> ResNet:
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 parameters for 1000 classes.
    torchvision's keys and shapes (its "v1.5", stride on the 3×3 convolution)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, zero_init_residual, in_channels)


def num_parameters(model) -> int:
    """The number of scalar parameters of a model."""
    return sum(p.numel() for p in model.parameters())
