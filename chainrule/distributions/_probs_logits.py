"""Shared by the families parameterised by exactly one of ``probs`` and ``logits`` of a binary
event (Geometric, Binomial, NegativeBinomial, the relaxed and continuous Bernoullis)."""
from __future__ import annotations

from .bernoulli import logits_to_probs, probs_to_logits
from .distribution import broadcast_all
from .transformed_distribution import checked_instance, reinit


def one_of(probs, logits, owner: str) -> str:
    """'probs' or 'logits', whichever was given; ValueError unless exactly one was (PyTorch's
    message)."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{owner}: Either `probs` or `logits` must be specified, but not both.")
    return "probs" if probs is not None else "logits"


def binary_pair(self, probs, logits, owner: str, *others, names=()):
    """Set ``self.probs`` and ``self.logits`` (the one given broadcast with ``others``, the other
    derived from it as PyTorch's lazy properties derive it: logits = log p − log(1 − p) of the
    clamped p; probs = σ(logits)) and ``self._param``; returns the broadcast ``others``."""
    given = one_of(probs, logits, owner)
    value = probs if given == "probs" else logits
    out = broadcast_all(*others, value, names=tuple(names) + (given,), owner=owner)
    if given == "probs":
        self.probs = out[-1]
        self.logits = probs_to_logits(self.probs, is_binary=True)
    else:
        self.logits = out[-1]
        self.probs = logits_to_probs(self.logits, is_binary=True)
    self._param = out[-1]
    self._given = given
    return out[:-1]


def given_params(self, always=()) -> dict:
    """The constraints to validate: ``always`` and the given one of probs/logits (PyTorch skips
    the lazily derived one)."""
    return {k: v for k, v in self.arg_constraints.items() if k in always or k == self._given}


def expand_counted(self, cls: type, batch_shape, _instance=None):
    """``expand`` of a family with ``total_count`` and one of probs/logits (Binomial,
    NegativeBinomial): every parameter expanded, the given one kept as the given one."""
    new = checked_instance(self, cls, _instance)
    batch_shape = tuple(batch_shape)
    new.total_count = self.total_count.expand(*batch_shape)
    new.probs = self.probs.expand(*batch_shape)
    new.logits = self.logits.expand(*batch_shape)
    new._given = self._given
    new._param = new.probs if self._given == "probs" else new.logits
    reinit(new, cls, batch_shape, (), self._validate_args)
    return new
