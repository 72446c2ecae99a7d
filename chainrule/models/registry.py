"""The registry of named models: ``get_model('lenet', dropout=0.2)``.

Model families register their constructors here (``register_model``), so the training command
and the sweeps find every model by name, and an unknown name gets the list of valid ones.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

_MODELS: dict[str, Callable] = {}
_ALIASES: dict[str, str] = {}


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def register_model(name: str, factory: Callable | None = None, *, aliases=()):
    """Register ``factory`` (a class or function returning a Module) under ``name``.

    Usable as a decorator: ``@register_model('mlp')``. Names are case-insensitive and '_' and '-'
    are the same.
    """
    def add(f: Callable) -> Callable:
        key = _key(name)
        if key in _MODELS and _MODELS[key] is not f:
            raise ValueError(f"register_model: the name {name!r} is already taken by "
                             f"{_MODELS[key].__name__}")
        _MODELS[key] = f
        for alias in aliases:
            _ALIASES[_key(alias)] = key
        return f

    return add if factory is None else add(factory)


def model_names() -> list[str]:
    """The names :func:`get_model` accepts (aliases not included)."""
    return list(_MODELS)


def get_model(name: str, **kwargs):
    """Build the model registered as ``name`` with keyword arguments ``kwargs``.

    >>> model = get_model("lenet", dropout=0.2)
    """
    key = _key(name)
    key = _ALIASES.get(key, key)
    if key not in _MODELS:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(_MODELS)}")
    factory = _MODELS[key]
    try:
        inspect.signature(factory).bind(**kwargs)
    except TypeError as e:
        raise TypeError(f"get_model({name!r}): {e}; {factory.__name__} takes "
                        f"{inspect.signature(factory)}") from None
    return factory(**kwargs)
