"""PyTorch's top-level spellings of ``torch.nn.functional`` operations (``torch.conv2d``,
``torch.max_pool2d``, ``torch.layer_norm``, ``torch.dropout`` …): the same functions where the
signatures agree, small wrappers where PyTorch's top-level form differs (``torch.dropout(input,
p, train)`` takes ``train`` positionally; ``torch.layer_norm`` and ``torch.group_norm`` take a
trailing cuDNN flag, meaningless here). ``chainrule/__init__.py`` binds them."""
from __future__ import annotations

from . import functional as F

conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = (F.conv_transpose1d, F.conv_transpose2d,
                                                        F.conv_transpose3d)
avg_pool1d, adaptive_avg_pool1d = F.avg_pool1d, F.adaptive_avg_pool1d


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False):
    """``torch.max_pool1d``: F.max_pool1d's values (an empty stride means the kernel size)."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False):
    """``torch.max_pool2d``: F.max_pool2d's values (an empty stride means the kernel size)."""
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False):
    """``torch.max_pool3d``: F.max_pool3d's values (an empty stride means the kernel size)."""
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5,  # noqa: A002
               cudnn_enable: bool = True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5,  # noqa: A002
               cudnn_enabled: bool = True):
    return F.group_norm(input, num_groups, weight, bias, eps)


def dropout(input, p: float, train: bool):  # noqa: A002
    """``torch.dropout(input, p, train)``: F.dropout with ``train`` as ``training``."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p: float, train: bool):  # noqa: A002
    return F.alpha_dropout(input, p, train)


NAMES = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
         "conv_transpose3d", "avg_pool1d", "adaptive_avg_pool1d", "max_pool1d", "max_pool2d",
         "max_pool3d", "layer_norm", "group_norm", "dropout", "alpha_dropout")
