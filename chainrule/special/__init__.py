"""``chainrule.special``: PyTorch's ``torch.special`` names for functions chainrule already has
(each the same primitive or composite as its top-level twin, with its mathematics)."""
from __future__ import annotations

from ..ops import (
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    log1p,
    logit,
    polygamma,
    round,
    sigmoid,
    xlogy,
)
from ..ops import lgamma as gammaln
from ..ops import log_softmax as _log_softmax
from ..ops import logsumexp as _logsumexp
from ..ops import softmax as _softmax

expit = sigmoid
psi = digamma


def softmax(input, dim: int, dtype=None):  # noqa: A002
    return _softmax(input if dtype is None else input.to(dtype), dim=dim)


def log_softmax(input, dim: int, dtype=None):  # noqa: A002
    return _log_softmax(input if dtype is None else input.to(dtype), dim=dim)


def logsumexp(input, dim, keepdim: bool = False):  # noqa: A002
    return _logsumexp(input, dim=dim, keepdim=keepdim)


__all__ = ["erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "logit", "round", "expit", "xlogy",
           "softmax", "log_softmax", "logsumexp", "gammaln", "digamma", "psi", "polygamma"]
