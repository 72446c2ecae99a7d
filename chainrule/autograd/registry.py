"""Every primitive by name, with its mathematics and the input domain its tests draw from.

Registering a primitive enrols it in the test suite: ``tests/test_primitives.py`` iterates this
registry, checking each forward against its NumPy reference and PyTorch, and each derivative by
central differences. A primitive that lacks its mathematics cannot be registered.
"""
from __future__ import annotations

DOMAINS = {
    "real": "any real number",
    "positive": "x > 0 (log, sqrt, the base of a real power)",
    "nonzero": "x ≠ 0 (a divisor)",
    "away_from_zero": "|x| bounded away from 0, where the function has a kink (relu, abs)",
    "distinct": "values that do not tie, where ties change the derivative (max, min, maximum)",
    "bounded": "|x| < 1 away from ±1 (functions whose derivative blows up at ±1)",
    "probability": "0 < x < 1 away from 0 and 1 (probabilities: binary cross-entropy)",
}

_REGISTRY: dict[str, type] = {}

_REQUIRED_TEXT = ("Forward", "Derivative")


def register(cls: type) -> type:
    """Add ``cls`` to the registry after checking that it carries its mathematics."""
    name = getattr(cls, "name", None)
    problems = []
    if not name:
        problems.append("a `name`")
    for attr in ("text", "latex"):
        value = getattr(cls, attr, None)
        if not (isinstance(value, tuple) and len(value) >= 2 and all(value)):
            problems.append(f"`{attr}` = (forward, derivative, ...) strings")
    if not getattr(cls, "explanation", ""):
        problems.append("a one-sentence `explanation`")
    if getattr(cls, "domain", None) not in DOMAINS:
        problems.append(f"a `domain` among {sorted(DOMAINS)}")
    doc = cls.__doc__ or ""
    problems += [f"a docstring section '{s}:'" for s in _REQUIRED_TEXT if f"{s}:" not in doc]
    if problems:
        raise TypeError(f"primitive {cls.__name__} cannot be registered: it needs "
                        + ", ".join(problems))
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"primitive name {name!r} is already taken by {_REGISTRY[name].__name__}")
    _REGISTRY[name] = cls
    return cls


def get(name: str) -> type:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"no primitive named {name!r}; known: {known}") from None


def all_primitives() -> dict[str, type]:
    """Name → primitive class, in registration order."""
    return dict(_REGISTRY)
