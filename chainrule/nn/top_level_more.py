"""More of PyTorch's top-level spellings of ``torch.nn.functional`` operations, with ATen's
signatures (which differ from F's):

- ``torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
  cudnn_enabled)`` and ``torch.instance_norm(…, use_input_stats, momentum, eps,
  cudnn_enabled)``: every argument positional and required (the cuDNN flag is meaningless here);
- ``torch.embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False)``:
  weight first; a padding index outside [0, num_embeddings) means no padding row;
- ``torch.rms_norm``, ``torch.constant_pad_nd(input, pad, value=0)`` (negative pads crop);
- ``torch.adaptive_max_pool1d(input, output_size)`` and ``torch.max_pool1d_with_indices``:
  always (values, indices), a plain tuple;
- the dropout family with ``(input, p, train)``: ``feature_dropout`` (one mask entry per
  (sample, channel), as dropout2d), ``feature_alpha_dropout``, and the in-place
  ``dropout_``, ``feature_dropout_``, ``alpha_dropout_``, ``feature_alpha_dropout_`` (they write
  into input and return it; a probability outside [0, 1] is a RuntimeError, as ATen's).

Each is the F function it names, so values and derivatives are F's. ``chainrule/__init__.py``
binds :data:`NAMES`.
"""
from __future__ import annotations

from ..ops import dropout as _drop
from ..ops.arithmetic import multiply
from ..tensor import Tensor
from . import functional as F


def batch_norm(input, weight, bias, running_mean, running_var, training: bool,  # noqa: A002
               momentum: float, eps: float, cudnn_enabled: bool):
    """``torch.batch_norm``: F.batch_norm with ATen's argument order."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var,  # noqa: A002
                  use_input_stats: bool, momentum: float, eps: float, cudnn_enabled: bool):
    """``torch.instance_norm``: F.instance_norm with ATen's argument order."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False):
    """``torch.embedding``: rows of ``weight``; the row ``padding_idx`` (when it is one of
    weight's rows, 0 ≤ padding_idx < num_embeddings) gets no gradient."""
    padding = padding_idx if 0 <= padding_idx < weight.shape[0] else None
    return F.embedding(indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq,
                       sparse=sparse)


def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):  # noqa: A002
    return F.rms_norm(input, normalized_shape, weight, eps)


def constant_pad_nd(input, pad, value=0):  # noqa: A002
    """``torch.constant_pad_nd``: F.pad in constant mode (pairs from the last dim backwards;
    negative amounts crop)."""
    return F.pad(input, tuple(pad), "constant", value)


def adaptive_max_pool1d(input, output_size):  # noqa: A002
    """(values, indices) of F.adaptive_max_pool1d."""
    return tuple(F.adaptive_max_pool1d(input, output_size, return_indices=True))


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
                            ceil_mode: bool = False):
    """(values, indices) of F.max_pool1d (an empty stride means the kernel size)."""
    return tuple(F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                              return_indices=True))


# ------------------------------------------------------------------------------------ dropout
def _check(p) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def _need_features(input) -> None:  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")


def _feature_mask_dropout(x, p: float):
    """x ⊙ m/(1 − p), one m ~ Bernoulli(1 − p) per (sample, channel): dropout2d's draw."""
    shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    return multiply(x, _drop._constant(_drop._scaled_mask(shape, p, x.dtype, x)))


def feature_dropout(input, p: float, train: bool):  # noqa: A002
    """``torch.feature_dropout``: whole (sample, channel) slices zeroed with probability p, the
    rest scaled by 1/(1 − p); input itself when not ``train`` or p = 0."""
    p = _check(p)
    _need_features(input)
    if not train or p == 0.0:
        return input
    return _feature_mask_dropout(input, p)


def feature_alpha_dropout(input, p: float, train: bool):  # noqa: A002
    """``torch.feature_alpha_dropout``: F.feature_alpha_dropout with ``train`` positional."""
    p = _check(p)
    _need_features(input)
    return F.feature_alpha_dropout(input, p, train)


def _in_place(name: str, out_of_place, features: bool):
    def fn(input, p: float, train: bool):  # noqa: A002
        p = _check(p)
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        if features:
            _need_features(input)
        if not train or p == 0.0:
            return input

        def drop(x):
            return out_of_place(x, p, True)

        drop.__name__ = name.removesuffix("_")
        return input._inplace(drop)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``torch.{name}(input, p, train)``: ``{name.removesuffix('_')}`` written "
                  "into input (returned).")
    return fn


dropout_ = _in_place("dropout_", F.dropout, False)
feature_dropout_ = _in_place("feature_dropout_", feature_dropout, True)
alpha_dropout_ = _in_place("alpha_dropout_", F.alpha_dropout, False)
feature_alpha_dropout_ = _in_place("feature_alpha_dropout_", F.feature_alpha_dropout, True)


NAMES = ("batch_norm", "instance_norm", "embedding", "rms_norm", "constant_pad_nd",
         "adaptive_max_pool1d", "max_pool1d_with_indices", "feature_dropout",
         "feature_alpha_dropout", "dropout_", "feature_dropout_", "alpha_dropout_",
         "feature_alpha_dropout_")
