"""The stateless form of every layer (PyTorch's ``torch.nn.functional``).

Layers call these; these call primitives. Each family's functions live beside its primitives in
chainrule/ops/ and are gathered here.
"""
from ..ops import elu, gelu, leaky_relu, linear, relu, sigmoid, silu, softplus, tanh
from ..ops import log_softmax as _log_softmax
from ..ops import softmax as _softmax


def softmax(input, dim: int = -1):  # noqa: A002  (PyTorch's argument name)
    return _softmax(input, axis=dim)


def log_softmax(input, dim: int = -1):  # noqa: A002
    return _log_softmax(input, axis=dim)


__all__ = ["elu", "gelu", "leaky_relu", "linear", "relu", "sigmoid", "silu", "softplus", "tanh",
           "softmax", "log_softmax"]
from ..ops.losses import (  # noqa: E402  (losses, appended)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

__all__ += ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div"]
from ..ops.dropout import dropout, dropout2d  # noqa: E402  (normalization etc., appended)
from ..ops.embedding import embedding  # noqa: E402
from ..ops.norm import batch_norm, group_norm, layer_norm  # noqa: E402

__all__ += ["batch_norm", "layer_norm", "group_norm", "dropout", "dropout2d", "embedding"]
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402
from ..ops.pool import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ += ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
            "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]
from ..ops.attention import scaled_dot_product_attention  # noqa: E402  (attention, appended)

__all__ += ["scaled_dot_product_attention"]
