"""The stateless form of every layer (PyTorch's ``torch.nn.functional``).

Layers call these; these call primitives. Each family's functions live beside its primitives in
chainrule/ops/ and are gathered here.
"""
from ..ops import elu, gelu, leaky_relu, linear, relu, sigmoid, silu, softplus, tanh
from ..ops import log_softmax as _log_softmax
from ..ops import softmax as _softmax


def _legacy_dim(dim, input) -> int:  # noqa: A002
    """PyTorch's choice when ``dim`` is not given: 0 for 0-, 1- and 3-D input, else 1."""
    if dim is not None:
        return dim
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    """softmax along ``dim``; ``dtype``: cast the input to it first (as PyTorch)."""
    return _softmax(input if dtype is None else input.to(dtype), axis=_legacy_dim(dim, input))


def log_softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    """log-softmax along ``dim``; ``dtype``: cast the input to it first (as PyTorch)."""
    return _log_softmax(input if dtype is None else input.to(dtype),
                        axis=_legacy_dim(dim, input))


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
from ..ops.embedding import embedding, embedding_bag  # noqa: E402
from ..ops.norm import batch_norm, group_norm, layer_norm  # noqa: E402

__all__ += ["batch_norm", "layer_norm", "group_norm", "dropout", "dropout2d", "embedding",
            "embedding_bag"]
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
from ..ops.conv import conv3d, conv_transpose3d  # noqa: E402  (nn layer breadth, appended)
from ..ops.norm import instance_norm, local_response_norm, rms_norm  # noqa: E402
from ..ops.pool import (  # noqa: E402
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)

__all__ += ["conv3d", "conv_transpose3d", "instance_norm", "local_response_norm", "rms_norm",
            "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
            "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
            "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "avg_pool3d",
            "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool3d", "max_pool1d_with_indices",
            "max_pool2d_with_indices", "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d",
            "max_unpool3d"]
# -- appended: nn.functional breadth (activations with inplace=, resampling, unfold/fold,
# similarity). relu, leaky_relu, elu, silu, dropout and dropout2d are rebound to wrappers that
# accept PyTorch's inplace=True (the result is written into the input).
from ..ops import activations_extra as _ax  # noqa: E402
from ..ops.activations_extra import (  # noqa: E402
    alpha_dropout,
    celu,
    celu_,
    dropout1d,
    dropout3d,
    elu_,
    feature_alpha_dropout,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu_,
    logsigmoid,
    mish,
    prelu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from ..ops.resample import (  # noqa: E402
    interpolate,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from ..ops.similarity import cosine_similarity, normalize, one_hot, pairwise_distance  # noqa: E402
from ..ops.unfold import fold, unfold  # noqa: E402

relu, leaky_relu, elu, silu = _ax.relu, _ax.leaky_relu, _ax.elu, _ax.silu  # noqa: F811
dropout, dropout2d = _ax.dropout, _ax.dropout2d  # noqa: F811

__all__ += ["celu", "celu_", "dropout1d", "dropout3d", "elu_", "glu", "hardshrink", "hardsigmoid",
            "hardswish", "hardtanh", "hardtanh_", "leaky_relu_", "logsigmoid", "mish", "prelu",
            "relu6", "relu_", "rrelu", "rrelu_", "selu", "softmin", "softshrink", "softsign",
            "tanhshrink", "threshold", "threshold_", "interpolate", "pad", "pixel_shuffle",
            "pixel_unshuffle", "upsample", "upsample_bilinear", "upsample_nearest",
            "cosine_similarity", "normalize", "one_hot", "pairwise_distance", "fold", "unfold",
            "alpha_dropout", "feature_alpha_dropout"]
from ..ops.losses_extra import (  # noqa: E402  (more losses, appended)
    cosine_embedding_loss,
    ctc_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)

__all__ += ["cosine_embedding_loss", "ctc_loss", "gaussian_nll_loss", "hinge_embedding_loss",
            "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss",
            "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss",
            "triplet_margin_loss", "triplet_margin_with_distance_loss"]
from ..ops.grid_sample import affine_grid, grid_sample  # noqa: E402  (spatial sampling, appended)

__all__ += ["affine_grid", "grid_sample"]
from ..ops.resample import channel_shuffle  # noqa: E402
from ..ops.similarity import bilinear, pdist  # noqa: E402
from ..ops.softmax import gumbel_softmax  # noqa: E402

__all__ += ["bilinear", "channel_shuffle", "gumbel_softmax", "pdist"]
from ..ops.fractional_pool import (  # noqa: E402  (fractional max pooling, appended)
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)

__all__ += ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
            "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]
