"""Utilities for training (PyTorch's ``torch.nn.utils``): gradient clipping, parameter vectors,
parametrizations, weight and spectral normalization, pruning, BatchNorm fusion, and freezing by
name for transfer learning (``freeze``/``unfreeze``, chainrule's own)."""
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
from . import rnn  # noqa: E402  (torch.nn.utils.rnn)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: E402

__all__ += ["parameters_to_vector", "vector_to_parameters"]
from .freeze import freeze, unfreeze  # noqa: E402

__all__ += ["freeze", "unfreeze"]
from . import parametrizations, parametrize, prune  # noqa: E402
from .clip_grad import clip_grad_norm  # noqa: E402
from .fusion import (  # noqa: E402
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from .init import skip_init  # noqa: E402
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402
from .weight_norm import remove_weight_norm, weight_norm  # noqa: E402

__all__ += ["clip_grad_norm", "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
            "fuse_linear_bn_weights", "parametrizations", "parametrize", "remove_spectral_norm",
            "remove_weight_norm", "skip_init", "spectral_norm", "weight_norm"]
