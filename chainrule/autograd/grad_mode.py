"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode`` — PyTorch's names, each a context manager and a decorator."""
from __future__ import annotations

import functools


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    return _GradMode.enabled


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


class inference_mode(_GradModeContext):
    """``inference_mode(mode=True)``: as ``no_grad`` (chainrule has no separate inference tensors;
    tensors made inside can later be used with autograd, which PyTorch forbids — nothing that runs
    in PyTorch behaves differently)."""

    def __new__(cls, mode=True):
        self = object.__new__(cls)
        if callable(mode):          # @inference_mode without parentheses
            self.mode = False
            return self(mode)
        self.mode = not mode
        return self

    def __init__(self, mode=True):
        pass

    def __call__(self, fn):
        return _with_mode(fn, self.mode)


def _with_mode(fn, mode: bool):
    """``fn`` run with recording set to ``mode``, the previous mode restored after."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        previous = _GradMode.enabled
        _GradMode.enabled = mode
        try:
            return fn(*args, **kwargs)
        finally:
            _GradMode.enabled = previous

    return wrapper


def is_inference_mode_enabled() -> bool:
    return not _GradMode.enabled


class set_grad_enabled:
    """Switch recording on or off: as a call it takes effect at once (and stays); as a context
    manager (``with set_grad_enabled(False):``) the previous mode is restored on exit; as a
    decorator it applies to each call of the function. PyTorch's semantics in all three uses."""

    def __init__(self, mode: bool):
        self.previous = _GradMode.enabled
        self.mode = bool(mode)
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.previous
        return False

    def __call__(self, fn):
        _GradMode.enabled = self.previous       # decorating does not switch the mode
        return _with_mode(fn, self.mode)

    def clone(self):
        return set_grad_enabled(self.mode)
