"""Intra-op parallelism: one primitive's memory-bound passes split over a few threads.

NumPy's copies and ufuncs and chainrule's numba kernels release the GIL, so the halves of one
batch can be copied, added or pooled on two cores at once — the way PyTorch's CPU kernels split
their work over its intra-op thread pool. Matrix products are *not* split here: BLAS has its own
threads, and a GEMM is always one whole-batch call.

``set_num_threads(n)`` / ``get_num_threads()`` are PyTorch's names. The count applies to this
pool and, when ``threadpoolctl`` is installed, to NumPy's BLAS as well (as PyTorch's setting
covers its BLAS). The default is the number of cores this process may use.

Splitting has a fixed cost (waking a thread: tens of microseconds on a virtual machine), so a
pass is split only when it writes enough bytes to win (``MIN_BYTES`` per part); smaller passes
run on the calling thread. A pass started while another thread is using the pool (or from inside a
part) also runs on the calling thread: the pool is never shared, so it never deadlocks.

Splitting needs the second core to be free: OpenBLAS's idle threads spin for ~0.1 s after every
matrix product unless told otherwise, so passes are split only when chainrule could shorten that
spin (``backend.BLAS_THREADS_QUIET``: chainrule imported before NumPy, or
``OPENBLAS_THREAD_TIMEOUT`` ≤ 20 set by the user); otherwise they run whole, as before.
"""
from __future__ import annotations

import os
import queue
import threading

from . import backend

MIN_BYTES = 8 << 20          # each part of a split pass writes at least this much. Measured on
                             # a 2-core virtual machine: a 75 MB im2col copy runs 1.7x faster
                             # split in two, while 1-10 MB passes (LeNet's) gain nothing reliable
                             # (waking a thread costs ~60 µs, and their timings spread out)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_state = {"threads": int(os.environ.get("CHAINRULE_NUM_THREADS", "0")) or _cores(),
          "split": backend.BLAS_THREADS_QUIET}
_busy = threading.Lock()       # held while a split pass runs: one user of the pool at a time
_workers: list = []
_local = threading.local()     # .sharing: the parts side by side while this thread runs one


class _Worker:
    """A daemon thread that runs one part at a time, handed over through two queues."""

    def __init__(self):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._loop, daemon=True, name="chainrule-intraop").start()

    def _loop(self):
        while True:
            fn = self.jobs.get()
            try:
                fn()
                result = None
            except BaseException as exc:     # handed back to the caller, which re-raises it
                result = exc
            # Drop the part before reporting: its closure holds the pass's buffers, which must
            # be freed when the pass ends, not when the next job arrives.
            fn = None
            self.results.put(result)
            result = None


def get_num_threads() -> int:
    """The number of threads a split pass uses (PyTorch's ``torch.get_num_threads``)."""
    return _state["threads"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for chainrule's split passes and, where threadpoolctl is installed,
    for NumPy's BLAS (PyTorch's ``torch.set_num_threads``)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: the number of threads must be ≥ 1, got {n}")
    _state["threads"] = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n, user_api="blas")


MIN_BYTES_WITH_BLAS = 1 << 20   # a part of a whole-primitive split (its GEMM included): one
                                # wake-up per primitive instead of one per pass, so smaller
                                # parts win (LeNet's conv1 forward: 3.7 → 2.1 ms in two halves)


class _BlasThreads:
    """NumPy's OpenBLAS thread count, through threadpoolctl (found once; None without it).

    NumPy's own library is chosen by its path: other OpenBLAS copies may be loaded later (SciPy's,
    imported by PyTorch), and holding the wrong one at one thread leaves NumPy's GEMMs running
    two threads inside each part — measured: a LeNet step 4x slower."""

    controller = False

    @classmethod
    def get(cls):
        if cls.controller is False:
            cls.controller = None
            try:
                import numpy
                from threadpoolctl import ThreadpoolController

                found = ThreadpoolController().select(internal_api="openblas").lib_controllers
                home = os.path.dirname(os.path.dirname(numpy.__file__))
                mine = [c for c in found
                        if os.path.basename(os.path.dirname(c.filepath)) == "numpy.libs"
                        and os.path.dirname(os.path.dirname(c.filepath)) == home]
                cls.controller = (mine or found or [None])[0]
            except Exception:       # threadpoolctl missing or unable to read the libraries
                cls.controller = None
        return cls.controller


def splits_blas() -> bool:
    """Whether a part of a split primitive may run its own GEMM: NumPy's BLAS can be held at one
    thread meanwhile (threadpoolctl installed, OpenBLAS found)."""
    return _BlasThreads.get() is not None


def parts(size: int, nbytes: int = 0, blas: bool = False, processes: bool = False) -> int:
    """How many parts :func:`parallel_for` would split ``range(size)`` into now (1: none).

    ``processes=True``: parts that run in processes of their own (``chainrule.compile``'s
    ``data_parallel="processes"``), each with NumPy's BLAS held at one thread while its part
    runs. No BLAS thread is woken there, so none spins after it: such a split does not need
    the spin shortened (NumPy imported before chainrule is fine)."""
    least = MIN_BYTES_WITH_BLAS if blas else MIN_BYTES
    split = _state["split"] or processes
    n = min(_state["threads"], size, max(1, nbytes // least)) if split else 1
    if n > 1 and blas and not splits_blas():
        return 1
    return n


def parallel_for(size: int, fn, nbytes: int = 0, blas: bool = False) -> None:
    """Run ``fn(lo, hi)`` over the parts of range(size) — the first on this thread, the others
    on the pool's workers — and return when all are done (re-raising a part's exception).

    ``nbytes``: the bytes the whole pass writes; the number of parts is limited so that each
    writes at least ``MIN_BYTES``. ``fn`` must write disjoint outputs for disjoint ranges.
    ``blas=True``: the parts run matrix products, so NumPy's BLAS is held at one thread while
    they run (two parts × two BLAS threads would oversubscribe the cores); parts may then be as
    small as ``MIN_BYTES_WITH_BLAS``. Without a way to hold BLAS (``splits_blas()`` false) such
    a region runs whole.
    """
    n = parts(size, nbytes, blas)
    if n <= 1:
        fn(0, size)
        return
    bounds = [size * k // n for k in range(n + 1)]
    if not run_parts([lambda lo=lo, hi=hi: fn(lo, hi) for lo, hi in zip(bounds, bounds[1:])],
                     blas):
        fn(0, size)


def run_parts(jobs: list, blas: bool = True) -> bool:
    """Run the callables ``jobs`` at once — the first on this thread, the others on the pool's
    workers (BLAS held at one thread when ``blas``) — and return True when all are done,
    re-raising a job's exception. When the pool is in use (a call from inside a part, or from
    another thread) nothing runs and False is returned: the caller runs the work itself."""
    if not _busy.acquire(blocking=False):
        return False
    controller = _BlasThreads.get() if blas else None
    previous = controller.num_threads if controller is not None else None
    if controller is not None:
        controller.set_num_threads(1)
    try:
        while len(_workers) < len(jobs) - 1:
            _workers.append(_Worker())
        for worker, job in zip(_workers, jobs[1:]):
            worker.jobs.put(_shared_by(job, len(jobs)))
        error = None
        try:
            _shared_by(jobs[0], len(jobs))()
        except BaseException as exc:
            error = exc
        for worker in _workers[:len(jobs) - 1]:
            result = worker.results.get()
            if error is None and result is not None:
                error = result
        if error is not None:
            raise error
    finally:
        if controller is not None:
            controller.set_num_threads(previous)
        _busy.release()
    return True


class Exchange:
    """Where the parts of one split pass meet midway to combine values that need the whole
    batch (a BatchNorm's statistics): each part posts its value and waits until every part has
    posted; then each reads all the values, in the parts' order, so every part combines them
    into the same bits. Parts that meet must run at once (:func:`run_together`).

    One ``threading.Barrier`` per meeting; the values sit in two alternating lists, enough
    because no part can post to meeting k + 2 before every part has left meeting k + 1."""

    def __init__(self, parts: int):
        self.parts = parts
        self._barrier = threading.Barrier(parts)
        self._posted = ([None] * parts, [None] * parts)
        self._meetings = [0] * parts

    def exchange(self, index: int, value) -> list:
        """Post part ``index``'s value; return every part's, once all have posted."""
        posted = self._posted[self._meetings[index] & 1]
        self._meetings[index] += 1
        posted[index] = value
        self._barrier.wait()
        return list(posted)

    def abort(self) -> None:
        """Release the parts waiting (they raise ``threading.BrokenBarrierError``)."""
        self._barrier.abort()


def run_together(jobs: list, exchange: Exchange, blas: bool = True) -> None:
    """Run ``jobs`` (parts that meet at ``exchange``) at once, never one after the other (the
    first would wait for the second forever): on the pool when it is free, else each on a thread
    of its own. A job's error breaks the exchange, so the others stop waiting, and it is that
    error, not theirs, that is raised."""
    errors: list = [None] * len(jobs)

    def guarded(k, job):
        def run():
            try:
                job()
            except BaseException as exc:        # noqa: BLE001 - re-raised below, in order
                errors[k] = exc
                exchange.abort()
        return run

    guarded_jobs = [guarded(k, job) for k, job in enumerate(jobs)]
    if not run_parts(guarded_jobs, blas=blas):
        threads = [threading.Thread(target=_shared_by(job, len(jobs)), daemon=True)
                   for job in guarded_jobs[1:]]
        for thread in threads:
            thread.start()
        _shared_by(guarded_jobs[0], len(jobs))()
        for thread in threads:
            thread.join()
    raised = [e for e in errors if e is not None]
    if raised:
        real = [e for e in raised if not isinstance(e, threading.BrokenBarrierError)]
        raise (real or raised)[0]


def sharing() -> int:
    """How many parts of one split pass run side by side in this process, seen from the calling
    thread (1 outside a split pass). A budget meant per process (the convolution's kept columns,
    ``ops.conv.KEEP_COLUMNS_BYTES``) is divided among them."""
    return getattr(_local, "sharing", 1)


def _shared_by(job, count: int):
    def run():
        previous = sharing()
        _local.sharing = count
        try:
            job()
        finally:
            _local.sharing = previous
    return run


def sum_parts(partials: dict):
    """The sum of the parts' partial results ``{lo: array}`` (see :func:`parallel_for`), added
    in the order of the parts' ranges so that the result does not depend on which finished
    first; None when there are none."""
    if not partials:
        return None
    ordered = [partials[lo] for lo in sorted(partials)]
    total = ordered[0]
    for extra in ordered[1:]:
        total += extra
    return total


def map_flat(fn, out, *arrays):
    """``fn(*arrays, out=out)`` for an elementwise ``fn`` (a ufunc, or a function of slices
    with ``out=``), its flat range split over the threads when the arrays are large and all
    C-contiguous with one shape; returns ``out``."""
    if all(a.flags.c_contiguous and a.shape == out.shape for a in arrays) and \
            out.flags.c_contiguous:
        flats = [a.reshape(-1) for a in arrays]
        target = out.reshape(-1)
        if out.nbytes < 2 * MIN_BYTES:      # too small to split: no closure, no pool check
            fn(*flats, out=target)
            return out
        parallel_for(target.size,
                     lambda lo, hi: fn(*[f[lo:hi] for f in flats], out=target[lo:hi]),
                     out.nbytes)
    else:
        fn(*arrays, out=out)
    return out
