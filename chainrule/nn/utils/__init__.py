"""Utilities for training (PyTorch's ``torch.nn.utils``): gradient clipping, parameter vectors,
and freezing by name for transfer learning (``freeze``/``unfreeze``, chainrule's own)."""
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
from . import rnn  # noqa: E402  (torch.nn.utils.rnn)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: E402

__all__ += ["parameters_to_vector", "vector_to_parameters"]
from .freeze import freeze, unfreeze  # noqa: E402

__all__ += ["freeze", "unfreeze"]
