"""Faults: one rank that fails stops the whole job, quickly, with the rank and its error named.

Without this, an MPI job whose rank raises keeps its other ranks waiting forever in their next
collective (the launcher sees one process exit and waits for the rest). Three mechanisms:

1. **An exception on a rank** (``sys.excepthook``): the rank prints
   ``chainrule.distributed: rank r (pid P on host H) failed: ValueError: …`` with its traceback
   and calls ``MPI_Abort``, which makes the launcher (mpiexec's Hydra, Open MPI's ORTE, Slurm)
   kill every rank. The job exits non-zero within a second or two. Code that catches its own
   errors on a rank calls :func:`abort` for the same effect.
2. **A rank that dies** (killed, out of memory, a crash in native code) cannot speak for
   itself. Each rank starts a small *sentinel* process holding one end of a pipe; when the rank
   dies, the kernel closes the pipe and the sentinel prints
   ``chainrule.distributed: rank r (pid P on host H) ended without finishing …``. The launcher,
   which sees the process vanish, tears the job down (MPICH's Hydra does so at once). The first
   sentinel on a host to report claims a marker file, so that the ranks the launcher kills
   afterwards are not reported as the cause.
3. **A rank that hangs** (a deadlock, a lost node on a cluster whose launcher does not notice): a
   watchdog thread watches how long this rank has waited in a collective; past the group's
   ``timeout`` it prints what it waited for and aborts the job. (mpi4py releases the GIL while
   MPI waits, so the thread runs.)

Checkpoints are written atomically (a temporary file renamed over the old one; see
:mod:`chainrule.training.checkpoint`), so an abort at any moment leaves the last one intact.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

_SENTINEL = r"""
import os, sys, time
rank, pid, host, marker = sys.argv[1:5]
data = b""
while True:
    chunk = os.read(0, 64)
    if not chunk:
        break
    data += chunk
if b"done" in data:
    sys.exit(0)
try:
    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
except OSError:
    sys.exit(0)
os.write(fd, rank.encode())
os.close(fd)
sys.stderr.write(f"chainrule.distributed: rank {rank} (pid {pid} on {host}) ended without "
                 "finishing: it was killed (by a signal, or for lack of memory) or crashed "
                 "outside Python. The job is being stopped; resume from the last "
                 "checkpoint.\n")
sys.stderr.flush()
os.close(1); os.close(2)
time.sleep(5)
try:
    os.unlink(marker)
except OSError:
    pass
"""

_state: dict = {"comm": None, "waiting": None, "sentinel": None, "marker": None,
                "previous_hook": None, "stop": None}


def _describe(rank) -> str:
    return f"rank {rank} (pid {os.getpid()} on {socket.gethostname()})"


def install(comm, timeout: float) -> None:
    """Set up the three mechanisms for this rank (called by ``init_process_group``)."""
    _state["comm"] = comm
    _state["timeout"] = timeout
    token = comm.bcast(f"{os.getpid()}-{int(time.time() * 1e6)}" if comm.Get_rank() == 0
                       else None, root=0)
    marker = os.path.join(tempfile.gettempdir(), f"chainrule-dist-{token}.down")
    _state["marker"] = marker
    if _state["previous_hook"] is None:
        _state["previous_hook"] = sys.excepthook
    sys.excepthook = _excepthook
    if comm.Get_size() > 1 and os.environ.get("CHAINRULE_DIST_SENTINEL", "1") != "0":
        try:
            _state["sentinel"] = subprocess.Popen(
                [sys.executable, "-c", _SENTINEL, str(comm.Get_rank()), str(os.getpid()),
                 socket.gethostname(), marker],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)
        except OSError:           # no sentinel: the launcher still stops the job
            _state["sentinel"] = None
    stop = threading.Event()
    _state["stop"] = stop
    threading.Thread(target=_watchdog, args=(stop,), name="chainrule-dist-watchdog",
                     daemon=True).start()
    import atexit

    atexit.register(_release_sentinel)


def uninstall() -> None:
    """Undo :func:`install` (``destroy_process_group``)."""
    _release_sentinel()
    if _state["stop"] is not None:
        _state["stop"].set()
    if _state["previous_hook"] is not None:
        sys.excepthook = _state["previous_hook"]
        _state["previous_hook"] = None
    _state["comm"] = None


def _release_sentinel() -> None:
    sentinel = _state.get("sentinel")
    if sentinel is not None:
        try:
            sentinel.stdin.write(b"done")
            sentinel.stdin.close()
        except OSError:
            pass
        _state["sentinel"] = None


def _claim_marker() -> None:
    try:
        fd = os.open(_state["marker"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)
    except (OSError, TypeError):
        pass


def abort(message: str, code: int = 1) -> None:
    """Print ``message`` naming this rank and stop the whole job (``MPI_Abort``); never returns.

    For code that catches an error on one rank: returning normally from one rank would leave
    the others waiting in their next collective.
    """
    comm = _state["comm"]
    rank = comm.Get_rank() if comm is not None else "?"
    _claim_marker()
    _release_sentinel()
    sys.stderr.write(f"chainrule.distributed: {_describe(rank)} failed: {message}\n"
                     f"chainrule.distributed: aborting all ranks of the job.\n")
    sys.stderr.flush()
    sys.stdout.flush()
    if comm is not None:
        # MPI_Abort makes the launcher kill every rank at once; give it a moment to forward the
        # message just written (a CI run once lost it: the job ended with an empty stderr)
        time.sleep(0.25)
        comm.Abort(code)
    os._exit(code)


def _excepthook(kind, value, tb) -> None:
    if _state["comm"] is None or kind is SystemExit:
        (_state["previous_hook"] or sys.__excepthook__)(kind, value, tb)
        return
    traceback.print_exception(kind, value, tb, file=sys.stderr)
    text = "".join(traceback.format_exception_only(kind, value)).strip()
    abort(text, 1)


@contextlib.contextmanager
def waiting(what: str):
    """Mark this rank as waiting in collective ``what`` (the watchdog times it)."""
    previous = _state["waiting"]
    _state["waiting"] = (what, time.monotonic())
    try:
        yield
    finally:
        _state["waiting"] = previous


def _watchdog(stop: threading.Event) -> None:
    while not stop.wait(0.5):
        current = _state["waiting"]
        timeout = _state.get("timeout")
        if current is None or timeout is None:
            continue
        what, since = current
        waited = time.monotonic() - since
        if waited > timeout:
            abort(f"waited {waited:.0f} s in {what} for the other ranks (the process group's "
                  f"timeout is {timeout:g} s): another rank has probably died or hangs")
