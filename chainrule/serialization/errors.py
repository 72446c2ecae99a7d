"""The errors of ``chainrule.save`` / ``chainrule.load``; each names the file it is about.

The safe pickle interpreter's own errors are defined in :mod:`.pickle_vm` (which imports nothing
of this module) and re-exported here: :class:`PickleFormatError` (a malformed, truncated or
over-limit pickle), its subclasses :class:`PickleLimitError` (which limit, and its value) and
:class:`UnsafePickleError` (something a safe reader never builds). All are ValueErrors and
``pickle.UnpicklingError``\\ s, as PyTorch's ``weights_only`` refusals.
"""
from __future__ import annotations

from .pickle_vm import PickleFormatError, PickleLimitError, UnsafePickleError

__all__ = ["SerializationError", "UnsafeFileError", "PickleFormatError", "PickleLimitError",
           "UnsafePickleError"]


class SerializationError(ValueError):
    """A file ``chainrule.load`` cannot read: damaged, truncated, foreign or inconsistent."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


class UnsafeFileError(SerializationError, UnsafePickleError):
    """The file asks to run or build something a weights-only load never needs; nothing it names
    was executed. Also a :class:`pickle.UnpicklingError`, as PyTorch's ``weights_only`` refusals."""
