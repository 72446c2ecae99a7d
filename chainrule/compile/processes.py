"""Data-parallel replay over two processes: the batch split of ``shard.py``, its second part run
by a forked worker process instead of a second thread.

Why: the two threads of ``shard.py`` each run a few hundred NumPy calls per step, and every call
gives up Python's global interpreter lock (GIL) and must take it back. Measured on LeNet-5's
compiled step (batch 64 per part, one BLAS thread each, 2-core machine): one part alone takes
about 9 ms; two parts on two threads take 14–17 ms together — nearly one after the other — while
two processes take 9.5 ms each, side by side. A process has its own GIL.

The mathematics is ``shard.py``'s, unchanged: part i computes its mean loss Lᵢ and divisor Dᵢ,
the backward of part i starts from Dᵢ/D, and the parameter gradients are the parts' sums. The
worker runs exactly the code a thread would (``shard._Part``), so the numbers are the same as the
threaded split's, bit for bit.

How: the worker is forked once, at the first split call, and keeps the program. Each call, the
parent copies the current values of the captured tensors (the parameters, which the optimizer
updates in place) and the worker's part of the batch into memory shared with the worker (an
anonymous ``mmap``), and says go through a pipe. Both run their forward; the worker reports its
loss and divisor; the parent computes the weights Dᵢ/D and says go again; both run their
backward; the worker writes its gradients into shared memory; the parent adds them to its own
and stores ``.grad`` as eager does, then runs the optimizer step (in the parent only). At each
BatchNorm in training mode the two meet midway (:class:`_Meetings`): each writes its part's
count, mean and sum of squared deviations (in the backward, Σg and Σg·x̂) into shared memory,
says so through the pipe and reads the other's, and both combine them in the same order, so
the numbers are the threaded split's, bit for bit; the parent updates the running statistics.

Where: Linux (``os.fork``), training steps (a loss and its backward) and forwards alone
(inference) that ``shard.py`` would split, chosen with
``chainrule.compile(..., options={"data_parallel": "processes"})``.
An error in the worker is raised in the parent, naming the worker, and that program goes back to
threads. An error in the parent mid-step ends the worker (it may be waiting at a meeting); the
next call starts a new one. The worker ends when the program is released or the interpreter
exits.
"""
from __future__ import annotations

import mmap
import os
import signal
import struct
import sys
import time
import weakref
from types import SimpleNamespace

from ..backend import xp
from .graph import Program

_ALIGN = 64


def supported() -> bool:
    """Whether this platform can run a forked worker (Linux only: fork is unsafe elsewhere)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def eligible(program: Program, arg_tensors: list = ()) -> str:
    """Why ``program`` cannot be split over processes with these arguments ('' when it can)."""
    plan = program.shard
    if plan is None:
        return program.unsplit_reason or "the program is not split over its batch"
    if not supported():
        return "processes need os.fork on Linux"
    arrays = [t._data for t in arg_tensors] + [t._data for _, t in program.refs]
    if any(type(a) is not xp.ndarray for a in arrays):
        return "its tensors hold arrays of another library (a device's): shared memory is NumPy's"
    return ""


class _SharedArrays:
    """NumPy arrays in one anonymous shared mapping, inherited by a forked child."""

    def __init__(self, specs: dict):
        offsets, total = {}, 0
        for key, (shape, dtype) in specs.items():
            offsets[key] = total
            size = int(xp.dtype(dtype).itemsize)
            for s in shape:
                size *= int(s)
            total += -(-max(size, 1) // _ALIGN) * _ALIGN
        self.buffer = mmap.mmap(-1, max(total, _ALIGN))
        self.arrays = {key: xp.ndarray(shape, dtype=dtype, buffer=self.buffer,
                                       offset=offsets[key])
                       for key, (shape, dtype) in specs.items()}

    def __getitem__(self, key):
        return self.arrays[key]


class Worker:
    """The forked process that runs the second part of a program's batch."""

    def __init__(self, program: Program, lo: int, hi: int, arg_arrays: list):
        plan, slots = program.shard, program.slots
        self.program, self.lo, self.hi = program, lo, hi
        n = hi - lo
        specs = {}
        for s, a in zip(program.arg_positions, arg_arrays):
            shape = (n,) + tuple(a.shape[1:]) if s in plan.batched else a.shape
            specs[("arg", s)] = (shape, a.dtype)
        for s, t in program.refs:
            specs[("ref", s)] = (t._data.shape, t._data.dtype)
        self.training = plan.backward is not None       # else a forward alone (inference)
        self.leaves = [] if not self.training else [
            e.leaf for e in program.steps[plan.backward].schedule if e.step is None]
        for leaf in self.leaves:
            slot = slots[leaf]
            shape = (n,) + tuple(slot.shape[1:]) if slot.kind == "arg" and leaf in plan.batched \
                else slot.shape
            specs[("grad", leaf)] = (shape, slot.dtype)
        specs["present"] = ((max(len(self.leaves), 1),), xp.uint8)
        specs["signals"] = ((2,), xp.int64)     # messages sent: [to the worker, to the parent]
        # outputs made per sample (the model's output beside the loss): the worker's rows
        self.outputs = sorted({v for kind, v in program.outputs[1]
                               if kind == "slot" and v in plan.batched
                               and slots[v].kind not in ("arg", "ref")})
        for v in self.outputs:
            specs[("out", v)] = ((n,) + tuple(slots[v].shape[1:]), slots[v].dtype)
        if plan.shared:                 # the BatchNorms' meetings: [side, buffer, values]
            specs["mail"] = ((2, 2, _Meetings.capacity(program)), xp.float64)
        if self.training:
            specs["loss"] = ((), slots[program.steps[plan.loss_step].out].dtype)
            specs["divisor"] = ((), xp.float64)
            specs["weight"] = ((), xp.float64)
        self.shared = _SharedArrays(specs)
        from_parent, to_child = os.pipe()       # (read end, write end)
        from_child, to_parent = os.pipe()
        pid = os.fork()
        if pid == 0:                                    # the worker
            # other workers' pipe ends too: a copy held here would keep them from seeing
            # end-of-file when their program is released
            for fd in (to_child, from_child, *_PARENT_ENDS):
                _close(fd)
            _serve(self, from_parent, to_parent)        # never returns
        os.close(from_parent)
        os.close(to_parent)
        self.pid, self.to_child, self.from_child = pid, to_child, from_child
        self.channel = _Channel(from_child, to_child, self.shared["signals"], incoming=1)
        _PARENT_ENDS.update((to_child, from_child))
        self._finalizer = weakref.finalize(self, _stop, pid, to_child, from_child)

    # ------------------------------------------------------------------ parent side
    def send_inputs(self, arg_arrays: list) -> None:
        """Copy the parameters' current values and the worker's part of the batch in, and
        start the worker's forward."""
        program, plan, shared = self.program, self.program.shard, self.shared
        try:
            for s, a in zip(program.arg_positions, arg_arrays):
                xp.copyto(shared[("arg", s)], a[self.lo:self.hi] if s in plan.batched else a,
                          casting="no")
            for s, t in program.refs:
                xp.copyto(shared[("ref", s)], t._data, casting="no")
        except (ValueError, TypeError) as exc:
            raise WorkerError(f"a captured tensor changed its shape or dtype since the worker "
                              f"process {self.pid} started ({exc})") from None
        self._say(b"f")

    def forward_result(self):
        """(loss, divisor) of the worker's part, once its forward is done (None for a forward
        alone)."""
        self._expect(b"F")
        if not self.training:
            return None
        return self.shared["loss"].copy(), float(self.shared["divisor"])

    def output(self, slot: int):
        """The worker's rows of a batched output (valid until its next forward)."""
        return self.shared[("out", slot)]

    def start_backward(self, weight: float) -> None:
        self.shared["weight"][()] = weight
        self._say(b"b")

    def skip_backward(self) -> None:
        self._say(b"s")

    def gradients(self) -> dict:
        """The worker's gradients by leaf slot (copies: the shared arrays are reused)."""
        self._expect(b"B")
        present = self.shared["present"]
        return {leaf: self.shared[("grad", leaf)].copy()
                for k, leaf in enumerate(self.leaves) if present[k]}

    def close(self) -> None:
        self._finalizer()

    def _say(self, message: bytes) -> None:
        try:
            self.channel.send(message)
        except OSError as exc:
            raise WorkerError(f"the data-parallel worker process {self.pid} is gone ({exc})") \
                from None

    def _expect(self, message: bytes) -> None:
        got = self.channel.receive()
        if got == message:
            return
        if got == b"E":
            size = struct.unpack("<I", _read(self.from_child, 4))[0]
            text = _read(self.from_child, size).decode("utf-8", "replace")
            raise WorkerError(f"the data-parallel worker process {self.pid} failed: {text}")
        raise WorkerError(f"the data-parallel worker process {self.pid} ended unexpectedly")


class _Meetings:
    """``parallel.Exchange``'s interface between the parent (part 0) and the worker (part 1),
    for the BatchNorms whose parts combine the whole batch's statistics midway (``shard.py``).

    Each side writes its values (a tuple of Python numbers and float64 vectors) into its own
    buffer of the shared ``mail``, says "m" through the pipe, and waits for the other's "m" —
    the channel's watched count, then the pipe byte, so the other's buffer is complete before it
    is read, and an error report or an exit of the other side is seen as at any other wait. Two
    buffers per side, used in turn: a side cannot write meeting k + 2 before the other has
    written meeting k + 1, which it does only after reading meeting k."""

    def __init__(self, mail, send, expect):
        self.mail, self.send, self.expect = mail, send, expect
        self.meetings = 0

    @staticmethod
    def capacity(program: Program) -> int:
        """Room for the largest message: a count, a mean and a sum of squares per channel."""
        widest = max(program.slots[program.steps[i].inputs[0]].shape[1]
                     for i in program.shard.shared)
        return 8 + 2 * widest

    def exchange(self, index: int, value: tuple) -> list:
        buffer = self.meetings & 1
        self.meetings += 1
        _pack(self.mail[index, buffer], value)
        self.send(b"m")
        self.expect(b"m")
        other = _unpack(self.mail[1 - index, buffer])
        return [value, other] if index == 0 else [other, value]


def _pack(row, value: tuple) -> None:
    """``value``'s items into the float64 ``row``: their number, then per item a tag (−1: an
    int, −2: a float, n ≥ 0: a vector of n values) and its values."""
    row[0] = len(value)
    at = 1
    for item in value:
        if isinstance(item, (int, float)):
            row[at], row[at + 1] = (-1 if isinstance(item, int) else -2), item
            at += 2
            continue
        item = xp.asarray(item, dtype=xp.float64).reshape(-1)
        row[at] = item.size
        row[at + 1:at + 1 + item.size] = item
        at += 1 + item.size


def _unpack(row) -> tuple:
    items, at = [], 1
    for _ in range(int(row[0])):
        tag = int(row[at])
        if tag < 0:
            items.append(int(row[at + 1]) if tag == -1 else float(row[at + 1]))
            at += 2
        else:
            items.append(row[at + 1:at + 1 + tag].copy())
            at += 1 + tag
    return tuple(items)


class WorkerError(RuntimeError):
    """The worker process failed or ended; the program goes back to threads."""


def _read(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


SPIN_SECONDS = 0.002
"""How long a process waiting for the other's message watches shared memory before it blocks
on the pipe. A process blocked on a pipe takes ~25 µs to wake (measured here: a pipe round trip
between two idle processes 54 µs, a round trip through a watched shared counter 0.7 µs), and a
step has up to four such waits on its critical path; the waits are short (the two halves finish
within a fraction of a millisecond of each other), so the watching costs little CPU."""


_PARENT_ENDS: set = set()       # the parent's pipe ends of the live workers


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _stop(pid: int, to_child: int, from_child: int) -> None:
    """Close the worker's pipes (it reads end-of-file and exits) and reap it; a worker that has
    not ended after 2 s is killed."""
    for fd in (to_child, from_child):
        _PARENT_ENDS.discard(fd)
        _close(fd)
    for _ in range(200):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.01)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _serve(worker: Worker, inbox: int, outbox: int) -> None:
    """The worker's loop: one forward and backward of its part per "f" message."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
        from .. import parallel

        parallel.set_num_threads(1)     # one core: its own part; BLAS at one thread,
        parallel.parts = _whole          # and no pass split further (as inside a thread's part)
        channel = _Channel(inbox, outbox, worker.shared["signals"], incoming=0)
        while True:
            if channel.receive() != b"f":
                break
            try:
                if not _run_part(worker, channel):
                    break
            except BaseException as exc:    # reported to the parent, which raises it
                text = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
                channel.send(b"E" + struct.pack("<I", len(text)) + text)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _whole(size, nbytes=0, blas=False, processes=False) -> int:
    return 1


class _Channel:
    """One side of the two pipes and of the shared message counts: ``signals[incoming]`` counts
    the messages sent to this side, ``signals[1 − incoming]`` those it sends (0: to the worker,
    1: to the parent)."""

    def __init__(self, inbox: int, outbox: int, signals, incoming: int):
        self.inbox, self.outbox, self.signals = inbox, outbox, signals
        self.incoming, self.received = incoming, 0

    def send(self, message: bytes) -> None:
        """Write ``message`` to the pipe, then count it (the reader watches the count; the byte
        is in the pipe before the count changes)."""
        os.write(self.outbox, message)
        self.signals[1 - self.incoming] += 1

    def receive(self) -> bytes:
        """The next message's first byte: watch the count for up to SPIN_SECONDS, then read the
        pipe (at once if the message came; blocking otherwise, as an error report or the other
        side's exit is only ever in the pipe)."""
        signals, which, received = self.signals, self.incoming, self.received
        if signals[which] <= received:
            deadline = time.perf_counter() + SPIN_SECONDS
            while signals[which] <= received and time.perf_counter() < deadline:
                pass
        self.received += 1
        return _read(self.inbox, 1)


def _run_part(worker: Worker, channel: _Channel) -> bool:
    from ..autograd.grad_mode import _GradMode
    from .shard import _Part

    program, shared = worker.program, worker.shared
    plan, steps = program.shard, program.steps
    env = program.template[:]
    for s in program.arg_positions:
        env[s] = shared[("arg", s)]
    for s, _ in program.refs:
        env[s] = shared[("ref", s)]
    meetings = None
    if plan.shared:
        def expect(message):
            if channel.receive() != message:
                raise WorkerError("the parent process left a BatchNorm meeting")
        meetings = (_Meetings(shared["mail"], channel.send, expect), 1)
    part = _Part(program, plan, None, worker.lo, worker.hi, env=env, shared=meetings)
    _GradMode.enabled = steps[plan.first].grad_mode
    part.forward()
    if worker.training:
        shared["loss"][()] = part.env[steps[plan.loss_step].out]
        shared["divisor"][()] = float(getattr(part.ctxs[plan.loss_step], "divisor", 0.0))
    for v in worker.outputs:
        xp.copyto(shared[("out", v)], part.env[v])
    channel.send(b"F")
    if not worker.training:
        return True
    message = channel.receive()
    if message == b"s":
        return True
    if message != b"b":
        return False
    part.weight = float(shared["weight"])
    _GradMode.enabled = False
    part.backward()
    present = shared["present"]
    present[:] = 0
    for k, leaf in enumerate(worker.leaves):
        g = part.grads.get(leaf)
        if g is not None:
            xp.copyto(shared[("grad", leaf)], g)
            present[k] = 1
    channel.send(b"B")
    return True


def replay_processes(program: Program, arg_tensors: list):
    """One call of ``program`` split in two: the first half of the batch here, the second in the
    worker process (started at the first call). Returns the outputs, as ``replay`` does."""
    from ..autograd.grad_mode import _GradMode
    from .replay import run_schedule, unflatten_outputs
    from .shard import (
        _Part,
        _restore,
        _running_statistics,
        _store_joined,
        part_weights,
        run_after_backward,
    )

    plan, steps = program.shard, program.steps
    for step in steps[:plan.first]:
        getattr(step.obj, step.method)(step.argument)
    half = plan.batch // 2
    arrays = [t._data for t in arg_tensors]
    worker = program.worker
    if worker is None:
        worker = program.worker = Worker(program, half, plan.batch, arrays)
    worker.send_inputs(arrays)
    meetings = None
    if plan.shared:
        meetings = (_Meetings(worker.shared["mail"], worker._say, worker._expect), 0)
    mine = _Part(program, plan, arg_tensors, 0, half, shared=meetings)
    running = _running_statistics(program, mine.env)
    previous = _GradMode.enabled
    try:
        _GradMode.enabled = steps[plan.first].grad_mode if plan.first < len(steps) else previous
        _as_a_part(mine.forward)
        theirs = worker.forward_result()
        # the batched outputs' rows: this half's, then the worker's (copied out of shared memory)
        values = {v: xp.concatenate([mine.env[v], worker.output(v)], axis=0)
                  for v in worker.outputs}
        if plan.backward is None:       # a forward alone (inference)
            return unflatten_outputs(program, arg_tensors, values.__getitem__)
        their_loss, their_divisor = theirs
        root = steps[plan.loss_step].out
        weights = part_weights(program, [float(mine.ctxs[plan.loss_step].divisor),
                                         their_divisor])
        if weights is None:             # a part without a target counted: run it whole here
            worker.skip_backward()
            _restore(running)           # the split forward updated them
            whole = _Part(program, plan, arg_tensors, 0, plan.batch)
            whole.forward()
            values = {v: whole.env[v] for v in worker.outputs}
            values[root] = whole.env[root]
            _GradMode.enabled = False
            whole.backward()
            runs = [whole]
        else:
            worker.start_backward(weights[1])
            values[root] = xp.asarray(weights[0] * mine.env[root] + weights[1] * their_loss,
                                      dtype=mine.env[root].dtype)
            mine.weight = weights[0]
            _GradMode.enabled = False
            _as_a_part(mine.backward)
            runs = [mine, SimpleNamespace(grads=worker.gradients())]
        _store_joined(program, runs, arg_tensors, run_schedule)
    except BaseException:
        # the worker may be mid-step (waiting at a meeting, or with a reply unread): a new
        # worker starts at the next call; and the step may run again (on threads, after a
        # WorkerError), so the running statistics its forward updated are put back
        _restore(running)
        worker.close()
        program.worker = None
        raise
    finally:
        _GradMode.enabled = previous
    run_after_backward(program)
    return unflatten_outputs(program, arg_tensors, values.__getitem__)


def _as_a_part(job) -> None:
    """Run ``job`` as a thread of the threaded split runs its part: BLAS held at one thread (the
    other core is the worker's) and no nested splitting — so the same numbers."""
    from .. import parallel

    if not parallel.run_parts([job], blas=True):
        job()


__all__ = ["Worker", "WorkerError", "eligible", "replay_processes", "supported"]
