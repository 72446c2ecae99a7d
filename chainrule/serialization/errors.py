"""The errors of ``chainrule.save`` / ``chainrule.load``; each names the file it is about."""
from __future__ import annotations

from .pickle_vm import UnsafePickleError


class SerializationError(ValueError):
    """A file ``chainrule.load`` cannot read: damaged, truncated, foreign or inconsistent."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


class UnsafeFileError(SerializationError, UnsafePickleError):
    """The file asks to run or build something a weights-only load never needs; nothing it names
    was executed. Also a :class:`pickle.UnpicklingError`, as PyTorch's ``weights_only`` refusals."""
