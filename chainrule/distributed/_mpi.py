"""The one place that imports mpi4py, lazily: ``chainrule`` itself needs only NumPy."""
from __future__ import annotations

_MISSING = ("chainrule.distributed needs mpi4py and an MPI library. Install both from PyPI with "
            "`pip install 'chainrule[distributed]'` (mpi4py and the mpich wheels), or on a "
            "cluster build mpi4py against the system MPI: `module load mpi; pip install "
            "--no-binary mpi4py mpi4py` (see docs/distributed.md).")


def mpi():
    """The ``mpi4py.MPI`` module (importing it initialises MPI), or a clear ImportError."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"{_MISSING} ({e})") from None
    return MPI


def available() -> bool:
    """Whether mpi4py can be imported (without initialising MPI)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None
