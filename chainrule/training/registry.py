"""Optimizers and losses by name, for ``compile(optimizer='adam', loss='cross_entropy')``.

Names are case-insensitive; '-' and ' ' count as '_'. An unknown name is a ValueError that lists
the valid ones. Metric names live in :func:`chainrule.training.metrics.get`.
"""
from __future__ import annotations

from collections.abc import Callable

from .. import nn, optim


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


OPTIMIZERS: dict[str, type] = {
    "sgd": optim.SGD,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "rmsprop": optim.RMSprop,
    "adagrad": optim.Adagrad,
    "adadelta": optim.Adadelta,
    "nadam": optim.NAdam,
}

# name → a function making the loss module. Losses take (output, target) as PyTorch's do: the
# classification losses take logits (as PyTorch), except 'bce'/'binary_crossentropy', which takes
# probabilities (as Keras's default and PyTorch's BCELoss).
LOSSES: dict[str, Callable[[], nn.Module]] = {
    "cross_entropy": nn.CrossEntropyLoss,
    "crossentropy": nn.CrossEntropyLoss,
    "categorical_crossentropy": nn.CrossEntropyLoss,
    "sparse_categorical_crossentropy": nn.CrossEntropyLoss,
    "mse": nn.MSELoss,
    "mean_squared_error": nn.MSELoss,
    "mae": nn.L1Loss,
    "l1": nn.L1Loss,
    "mean_absolute_error": nn.L1Loss,
    "bce": nn.BCELoss,
    "binary_crossentropy": nn.BCELoss,
    "binary_cross_entropy": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss,
    "nll": nn.NLLLoss,
    "nll_loss": nn.NLLLoss,
    "huber": nn.HuberLoss,
    "smooth_l1": nn.SmoothL1Loss,
    "kl_div": lambda: nn.KLDivLoss(reduction="batchmean"),
    "kld": lambda: nn.KLDivLoss(reduction="batchmean"),
}


def get_optimizer_class(name: str) -> type:
    key = _key(name)
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid names: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key]


def get_loss(identifier):
    """A loss module from a name, or the module/callable itself (called as loss(output, target))."""
    if isinstance(identifier, str):
        key = _key(identifier)
        if key not in LOSSES:
            raise ValueError(f"unknown loss {identifier!r}; valid names: {', '.join(LOSSES)}")
        return LOSSES[key]()
    if isinstance(identifier, type) and issubclass(identifier, nn.Module):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"cannot interpret {identifier!r} ({type(identifier).__name__}) as a loss: "
                    "give a name, a loss Module or a function (output, target) → scalar Tensor")


def binary_threshold(loss) -> float:
    """The score above which a binary prediction is class 1: 0 for logits, ½ for probabilities."""
    return 0.0 if isinstance(loss, nn.BCEWithLogitsLoss) else 0.5


__all__ = ["OPTIMIZERS", "LOSSES", "get_optimizer_class", "get_loss", "binary_threshold"]
