"""PyTorch's top-level loss functions (``torch.kl_div``, ``torch.margin_ranking_loss`` …): the
ATen operators behind ``torch.nn.functional``'s losses, which take the reduction as an INTEGER
(PyTorch's ``Reduction`` enum): 1 is the mean, 2 the sum, and any other integer no reduction
(ATen's ``apply_loss_reduction``); a string or a bool is a TypeError, as in PyTorch. Each is
``nn.functional``'s loss with that reduction, so values and derivatives are F's.

The DEFAULT is no reduction: the schemas say ``int reduction=Mean``, but PyTorch 2.13's Python
binding reads that default as 0, so ``torch.kl_div(x, y)`` returns the unreduced losses (checked
for every function here); chainrule does the same.

The positional orders are ATen's, which differ from F's: ``torch.binary_cross_entropy_with_logits
(input, target, weight, pos_weight, reduction)``, ``torch.poisson_nll_loss(input, target,
log_input, full, eps, reduction)`` (every argument required), ``torch.kl_div(input, target,
reduction=1, *, log_target=False)`` (reduction 1: the mean over every element, without F's warning).
``chainrule/__init__.py`` binds :data:`NAMES`.
"""
from __future__ import annotations

import warnings

from . import functional as F

_REDUCTIONS = {1: "mean", 2: "sum"}


def _reduction(op: str, reduction, position: int) -> str:
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{op}(): argument 'reduction' (position {position}) must be int, not "
                        f"{type(reduction).__name__}")
    return _REDUCTIONS.get(reduction, "none")


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,  # noqa: A002
                                     reduction: int = 0):
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction("binary_cross_entropy_with_logits",
                                                    reduction, 5), pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction, 5))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: int = 0, zero_infinity: bool = False):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction("ctc_loss", reduction, 6), zero_infinity)


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: int = 0):  # noqa: A002
    return F.hinge_embedding_loss(input, target, margin,
                                  reduction=_reduction("hinge_embedding_loss", reduction, 4))


def kl_div(input, target, reduction: int = 0, *, log_target: bool = False):  # noqa: A002
    mode = _reduction("kl_div", reduction, 3)
    with warnings.catch_warnings():     # F's 'mean' warns that it is not batchmean; ATen's not
        warnings.simplefilter("ignore")
        return F.kl_div(input, target, reduction=mode, log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction("margin_ranking_loss", reduction, 5))


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float,  # noqa: A002
                     reduction: int):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction, 6))


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: int = 0):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction, 8))


NAMES = ("binary_cross_entropy_with_logits", "cosine_embedding_loss", "ctc_loss",
         "hinge_embedding_loss", "kl_div", "margin_ranking_loss", "poisson_nll_loss",
         "triplet_margin_loss")
