"""Optional fast kernels (the ``fast`` extra: ``pip install 'chainrule[fast]'`` brings numba).

A primitive's readable NumPy implementation is its reference and always works; where a kernel
here computes the same function in fewer passes over memory, the primitive uses it when numba is
installed. Tests run both and require them to agree. ``CHAINRULE_FAST=0`` switches the kernels
off (the reference path everywhere); ``enabled(False)`` does the same from Python.

Kernels are compiled on first use and cached on disk (numba's ``cache=True``), so the compile
cost (seconds) is paid once per machine, not once per process.
"""
from __future__ import annotations

import os

_state = {"enabled": os.environ.get("CHAINRULE_FAST", "1") != "0", "numba": None}


def _numba():
    if _state["numba"] is None:
        try:
            import numba
        except ImportError:
            numba = False
        _state["numba"] = numba
    return _state["numba"]


def available() -> bool:
    """Whether the fast kernels are in use (numba installed and not switched off)."""
    return bool(_state["enabled"] and _numba())


def enabled(on: bool | None = None) -> bool:
    """Switch the fast kernels on or off (None: only ask); returns the previous setting."""
    previous = _state["enabled"]
    if on is not None:
        _state["enabled"] = bool(on)
    return previous


def takes(*arrays, contiguous: bool = False) -> bool:
    """Whether the kernels are in use and take these arrays: float32 or float64, all of one
    dtype, and C-contiguous when ``contiguous`` (kernels that run over flat arrays)."""
    if not all(type(a).__module__ == "numpy" for a in arrays):
        return False        # the kernels take NumPy arrays only (not CuPy's, not the array API's)
    dtype = arrays[0].dtype
    return (dtype in ("float32", "float64") and available()
            and all(a.dtype == dtype and (a.flags.c_contiguous or not contiguous)
                    for a in arrays))
