"""Freezing parameters by name, for transfer learning: train a new head on a pretrained body.

``freeze(model, "features.*")`` stops the gradients of every parameter whose name matches a glob
pattern (``fnmatch``: ``*`` also crosses dots): ``requires_grad`` becomes False, so backward
leaves their ``.grad`` at None and an optimizer step leaves them as they are. A BatchNorm layer
whose parameters are all frozen (or, without parameters, whose name matches) is also kept in
evaluation mode — its running statistics used, not updated — even through ``model.train()``,
as Keras does for a frozen layer: a frozen body then computes exactly what it computed when it
was trained. ``unfreeze`` undoes both. In PyTorch the same is ``p.requires_grad_(False)`` for
each parameter and ``bn.eval()`` after every ``model.train()``.
"""
from __future__ import annotations

import fnmatch


def _batchnorms(model):
    from ..layers.normalization import _BatchNorm

    return [(name, m) for name, m in model.named_modules() if isinstance(m, _BatchNorm)]


def _select(op: str, model, patterns) -> list[str]:
    names = [name for name, _ in model.named_parameters()]
    if not patterns:
        return names
    bare = [f"{name}.weight" for name, bn in _batchnorms(model)     # BatchNorm(affine=False)
            if not any(True for _ in bn.parameters())]
    chosen = []
    for pattern in patterns:
        found = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not found and not any(fnmatch.fnmatchcase(b, pattern) for b in bare):
            shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
            raise ValueError(f"{op}: no parameter name matches {pattern!r}; the model's "
                             f"parameters are named like {shown}")
        chosen += [n for n in found if n not in chosen]
    return chosen


def _set(model, names, frozen: bool, patterns) -> None:
    params = dict(model.named_parameters())
    for name in names:
        params[name].requires_grad_(not frozen)
    for name, bn in _batchnorms(model):
        own = [f"{name}.{n}" if name else n for n, _ in bn.named_parameters()]
        was = getattr(bn, "_frozen_eval", False)
        if own:
            hold = all(not params[n].requires_grad for n in own)
        else:                                  # affine=False: by its name
            matched = not patterns or any(fnmatch.fnmatchcase(f"{name}.weight", p)
                                          for p in patterns)
            hold = frozen if matched else was
        object.__setattr__(bn, "_frozen_eval", hold)
        if hold:
            object.__setattr__(bn, "training", False)
        elif was:                              # released: follow the model again
            object.__setattr__(bn, "training", model.training)


def freeze(model, *patterns: str) -> list[str]:
    """Freeze the parameters whose names match any of ``patterns`` (every parameter when none is
    given), and keep fully frozen BatchNorm layers in evaluation mode; returns the names frozen.
    A pattern that matches no parameter is an error (a typo would silently freeze nothing)."""
    names = _select("freeze", model, patterns)
    _set(model, names, True, patterns)
    return names


def unfreeze(model, *patterns: str) -> list[str]:
    """Let the parameters matching ``patterns`` (all when none is given) train again, and their
    BatchNorm layers follow ``model.train()``/``eval()`` again; returns the names unfrozen."""
    names = _select("unfreeze", model, patterns)
    _set(model, names, False, patterns)
    return names
