"""The process group and its collectives (PyTorch's ``torch.distributed`` names), on MPI.

One process per rank, started by an MPI launcher (``mpiexec -n 4 python train.py``, ``srun``).
``init_process_group(backend="mpi")`` joins ``MPI.COMM_WORLD``; every collective then works on
chainrule tensors *in place*, through their NumPy buffers (``comm.Allreduce(MPI.IN_PLACE,
array)``): arrays are never pickled.

Collectives (p ranks, xᵣ the tensor on rank r):

- ``all_reduce(x, op=SUM)``:  every rank gets  x ← ⊕ᵣ xᵣ   (⊕ = +, ×, min, max, and, or, xor;
  AVG: (1/p) Σᵣ xᵣ)
- ``broadcast(x, src)``:       every rank gets  x ← x_src
- ``all_gather(out, x)``:      every rank gets  out[r] ← xᵣ  for r = 0…p−1
- ``reduce_scatter(y, xs)``:   rank r gets      y ← ⊕ₛ xs[r] of rank s

Like PyTorch, every rank must call the same collectives in the same order with tensors of the
same shapes and dtypes; a rank that does not arrive is waited for, up to the group's
``timeout`` (then the job is stopped with a message, see :mod:`.faults`).
"""
from __future__ import annotations

import datetime
import enum
import os
import time

from ..autograd.versions import bump
from ..backend import xp
from ..tensor import Tensor
from . import faults
from ._mpi import available, mpi

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)   # PyTorch's default for CPU process groups


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce_scatter`` combine the ranks' values (PyTorch's names)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self) -> str:
        return f"<ReduceOp.{self.name}>"


ReduceOp.RedOpType = ReduceOp          # PyTorch spells the members' type this way too


class _Group:
    def __init__(self, comm, timeout: float):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout


_state: dict = {"group": None}


def is_available() -> bool:
    """Whether the distributed package can be used here (mpi4py is installed)."""
    return available()


def is_initialized() -> bool:
    """Whether ``init_process_group`` was called (and ``destroy_process_group`` not since)."""
    return _state["group"] is not None


def is_mpi_available() -> bool:
    return available()


def get_backend(group=None) -> str:
    _group(group, "get_backend")
    return "mpi"


def _seconds(timeout) -> float:
    if timeout is None:
        env = os.environ.get("CHAINRULE_DIST_TIMEOUT")
        return float(env) if env else DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, (int, float)) and timeout > 0:
        return float(timeout)
    raise TypeError(f"init_process_group: timeout must be a datetime.timedelta or seconds > 0, "
                    f"got {timeout!r}")


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout=None, world_size: int = -1, rank: int = -1, store=None,
                       group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the job's processes into the default group (``MPI.COMM_WORLD``).

    Args:
        backend: ``"mpi"`` (or None); chainrule has no other backend (gloo and NCCL are
            PyTorch's own libraries).
        init_method, store: not needed with MPI (the launcher connects the processes); only
            ``None`` and ``"env://"`` are accepted.
        timeout: how long a collective may wait for the other ranks before the job is stopped
            (a ``datetime.timedelta`` or seconds; default ``$CHAINRULE_DIST_TIMEOUT`` or 30
            minutes, PyTorch's default).
        world_size, rank: optional; when given they must equal what the MPI launcher set.

    Also installs the fault handling of :mod:`.faults`: an uncaught exception on any rank
    prints the rank and its error and aborts the whole job (instead of leaving the other
    ranks waiting forever), and a rank that dies is named.
    """
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: backend {backend!r} is not available in chainrule;"
                         " use backend='mpi' (the processes are started by mpiexec or srun)")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("init_process_group: with the MPI backend the launcher (mpiexec, srun) "
                         "connects the processes; leave init_method and store out")
    if is_initialized():
        raise RuntimeError("init_process_group: trying to initialize the default process group "
                           "twice (call destroy_process_group() first)")
    seconds = _seconds(timeout)
    MPI = mpi()
    comm = MPI.COMM_WORLD
    group = _Group(comm, seconds)
    if world_size not in (-1, None) and int(world_size) != group.size:
        raise ValueError(f"init_process_group: world_size={world_size}, but the MPI launcher "
                         f"started {group.size} processes (mpiexec -n {group.size})")
    if rank not in (-1, None) and int(rank) != group.rank:
        raise ValueError(f"init_process_group: rank={rank}, but MPI gave this process rank "
                         f"{group.rank}; leave rank out with the MPI backend")
    _state["group"] = group
    faults.install(comm, seconds)


def destroy_process_group(group=None) -> None:
    """Leave the process group (MPI itself is finalised when the process exits)."""
    if group is not None and group is not _state["group"]:
        raise ValueError("destroy_process_group: only the default group exists in chainrule")
    if _state["group"] is not None:
        faults.uninstall()
    _state["group"] = None


def _group(group, op: str) -> _Group:
    current = _state["group"]
    if current is None:
        raise ValueError(f"{op}: the default process group has not been initialized; call "
                         "chainrule.distributed.init_process_group(backend='mpi') first (and "
                         "start the script with mpiexec -n N)")
    if group is not None and group is not current and group != "WORLD":
        raise ValueError(f"{op}: chainrule has only the default group (group=None)")
    return current


def get_rank(group=None) -> int:
    """This process's rank, 0 … world_size − 1."""
    return _group(group, "get_rank").rank


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    return _group(group, "get_world_size").size


def _mpi_op(op, name: str):
    MPI = mpi()
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{name}: op must be a chainrule.distributed.ReduceOp, got {op!r}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


def _array(tensor, name: str, what: str = "tensor"):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: {what} must be a chainrule Tensor, got {type(tensor).__name__}")
    return tensor._data


def _check_op_dtype(op, array, name: str) -> None:
    if op is ReduceOp.AVG and array.dtype.kind not in "fc":
        raise TypeError(f"{name}: ReduceOp.AVG needs a floating-point tensor (the mean of "
                        f"integers is not an integer), got {array.dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and array.dtype.kind not in "biu":
        raise TypeError(f"{name}: bitwise {op.name} needs an integer or bool tensor, got "
                        f"{array.dtype}")


class Work:
    """What a collective with ``async_op=True`` returns: ``wait()`` finishes it."""

    def __init__(self, request=None, finish=None, what: str = "collective"):
        self._request = request
        self._finish = finish
        self._what = what
        self._done = request is None

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            with faults.waiting(self._what):
                self._request.Wait()
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None


def _run(request, finish, async_op: bool, what: str):
    work = Work(request, finish, what)
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks, in place: every rank ends with x ← ⊕ᵣ xᵣ.

    ``op=ReduceOp.AVG`` gives the mean (1/p) Σᵣ xᵣ. Returns None, or a :class:`Work` with
    ``async_op=True`` (the tensor holds the result after ``work.wait()``).
    """
    g = _group(group, "all_reduce")
    array = _array(tensor, "all_reduce")
    _check_op_dtype(op, array, "all_reduce")
    mop = _mpi_op(op, "all_reduce")
    MPI = mpi()
    buffer = array if array.flags.c_contiguous else xp.ascontiguousarray(array)
    request = g.comm.Iallreduce(MPI.IN_PLACE, buffer, op=mop)

    def finish():
        if op is ReduceOp.AVG:
            buffer[...] /= g.size
        if buffer is not array:
            array[...] = buffer
        bump(array)

    return _run(request, finish, async_op, "all_reduce")


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor`` (in place)."""
    g = _group(group, "broadcast")
    src = group_src if src is None else src
    if src is None or not 0 <= int(src) < g.size:
        raise ValueError(f"broadcast: src must be a rank in 0…{g.size - 1}, got {src!r}")
    array = _array(tensor, "broadcast")
    buffer = array if array.flags.c_contiguous else xp.ascontiguousarray(array)
    request = g.comm.Ibcast(buffer, root=int(src))

    def finish():
        if buffer is not array:
            array[...] = buffer
        bump(array)

    return _run(request, finish, async_op, "broadcast")


def _check_list(tensors, g, op: str, what: str, like):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != g.size:
        n = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{op}: {what} must be a list of world_size = {g.size} tensors, got "
                         f"{n}")
    for i, t in enumerate(tensors):
        a = _array(t, op, f"{what}[{i}]")
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{op}: {what}[{i}] has shape {a.shape} and dtype {a.dtype}, but "
                             f"the tensor has shape {like.shape} and dtype {like.dtype}; they "
                             "must match")


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Every rank gets every rank's ``tensor``: ``tensor_list[r] ← x_r`` (in place)."""
    g = _group(group, "all_gather")
    array = _array(tensor, "all_gather")
    _check_list(tensor_list, g, "all_gather", "tensor_list", array)
    send = xp.ascontiguousarray(array)
    received = xp.empty((g.size,) + array.shape, dtype=array.dtype)
    request = g.comm.Iallgather(send, received)

    def finish():
        for r, t in enumerate(tensor_list):
            t._data[...] = received[r]
            bump(t._data)

    return _run(request, finish, async_op, "all_gather")


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """Rank r gets ``output ← ⊕ₛ input_list[r]`` of every rank s (in place)."""
    g = _group(group, "reduce_scatter")
    out = _array(output, "reduce_scatter", "output")
    _check_list(input_list, g, "reduce_scatter", "input_list", out)
    _check_op_dtype(op, out, "reduce_scatter")
    mop = _mpi_op(op, "reduce_scatter")
    send = xp.ascontiguousarray(xp.stack([t._data for t in input_list]))
    received = xp.empty(out.shape, dtype=out.dtype)
    request = g.comm.Ireduce_scatter_block(send, received, op=mop)

    def finish():
        if op is ReduceOp.AVG:
            received[...] /= g.size
        out[...] = received
        bump(out)

    return _run(request, finish, async_op, "reduce_scatter")


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank has reached this call."""
    g = _group(group, "barrier")
    return _run(g.comm.Ibarrier(), None, async_op, "barrier")


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Every rank gets every rank's picklable ``obj`` (for small things: names, counts)."""
    g = _group(group, "all_gather_object")
    if not isinstance(object_list, list) or len(object_list) != g.size:
        raise ValueError(f"all_gather_object: object_list must be a list of world_size = "
                         f"{g.size} items")
    with faults.waiting("all_gather_object"):
        object_list[:] = g.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replace ``object_list``'s items on every rank by rank ``src``'s (pickled; small things)."""
    g = _group(group, "broadcast_object_list")
    with faults.waiting("broadcast_object_list"):
        object_list[:] = g.comm.bcast(list(object_list), root=int(src))


# ------------------------------------------------------------------ for DDP and the trainer
def _comm():
    return _group(None, "distributed").comm


def _wait_all(requests, what: str) -> None:
    """Wait for MPI requests (under the group's timeout)."""
    if requests:
        with faults.waiting(what):
            mpi().Request.Waitall(requests)


def _time() -> float:
    return time.perf_counter()
