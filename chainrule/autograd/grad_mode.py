"""Whether operations record the graph: ``no_grad()`` and ``enable_grad()``."""
from __future__ import annotations

import functools


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    return _GradMode.enabled


def set_grad_enabled(mode: bool) -> None:
    _GradMode.enabled = bool(mode)


class _GradModeContext:
    """Sets grad mode for a ``with`` block, restoring it after; also usable as a decorator."""

    mode = True

    def __new__(cls, func=None):
        # `@no_grad` (no parentheses) passes the function straight to the class
        self = super().__new__(cls)
        return self(func) if callable(func) else self

    def __init__(self, func=None):
        pass

    def __enter__(self):
        self._previous = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Operations inside ``with no_grad():`` record no graph (evaluation, optimizer updates)."""

    mode = False


class enable_grad(_GradModeContext):
    """Operations inside ``with enable_grad():`` record the graph even within ``no_grad``."""

    mode = True
