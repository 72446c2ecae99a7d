"""Data-parallel replay over two processes (chainrule/compile/processes.py): the same numbers as
the threaded split (bit for bit), the same as eager to 1e-12; a failed or ineligible worker falls
back to threads with a warning; the worker ends with its program."""
from __future__ import annotations

import gc
import os
import signal
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import parallel
from chainrule.compile import processes
from chainrule.compile.shard import parts_of as shard_parts
from tests.compile import helpers as H

pytestmark = pytest.mark.skipif(not processes.supported(), reason="needs os.fork (Linux)")
PARTS = parallel.parts          # the real rule (the fixture below replaces it)


@pytest.fixture(autouse=True)
def two_parts(monkeypatch):
    """Split every eligible call in two, whatever the work's size and the cores."""
    monkeypatch.setattr(parallel, "parts", lambda size, nbytes=0, blas=False, **_: min(2, size))


def _compiled(model, data_parallel, loss_fn=None, optimizer=None):
    optimizer = optimizer or (lambda p: cr.optim.SGD(p, lr=0.05, momentum=0.9))
    step = H.training_step(model, optimizer(model.parameters()), loss_fn)
    return cr.compile(step, fullgraph=True, options={"data_parallel": data_parallel})


def _in_lockstep(build, kind: str, calls: int, batch: int, warm: int = 2):
    """A model twinned into an eager step and a step compiled over processes, with ``calls``
    batches, the first ``warm`` already run by both (the compiled one traced and replayed)."""
    a, b = H.twin(build)
    eager = H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.05, momentum=0.9))
    procs = _compiled(b, "processes")
    data = H.batches(kind, calls, batch=batch)
    for x, y in data[:warm]:
        eager(x, y), procs(x, y)
    return a, b, eager, procs, data


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


@pytest.mark.parametrize("spin", [processes.SPIN_SECONDS, 0.0], ids=["watching", "blocking"])
@pytest.mark.parametrize("model", ["mlp", "lenet", "lstm", "batch_normed"])
def test_processes_give_the_threaded_split_bit_for_bit_and_eager_to_1e_12(model, spin,
                                                                          monkeypatch):
    """Whether a waiting process first watches the shared message count (the default) or
    blocks on the pipe at once (SPIN_SECONDS = 0), the messages and the numbers are the same."""
    monkeypatch.setattr(processes, "SPIN_SECONDS", spin)
    build = getattr(H, model)
    a, b = H.twin(build)
    c, _ = H.twin(build)
    c.load_state_dict(a.state_dict())
    eager = H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.05, momentum=0.9))
    threads, procs = _compiled(b, "threads"), _compiled(c, "processes")
    for x, y in H.batches(model, 12, batch=7):
        le, lt, lp = eager(x, y), threads(x, y), procs(x, y)
        np.testing.assert_array_equal(lp.numpy(), lt.numpy())
        np.testing.assert_allclose(lp.numpy(), le.numpy(), rtol=0, atol=1e-12)
        for p, q in zip(b.parameters(), c.parameters()):
            np.testing.assert_array_equal(q.grad.numpy(), p.grad.numpy())
    for p, q in zip(b.parameters(), c.parameters()):
        np.testing.assert_array_equal(q.numpy(), p.numpy())
    assert H.max_difference(a, c) <= 1e-12
    worker = procs.program().worker
    assert worker is not None and _alive(worker.pid)


def test_a_part_whose_targets_are_all_ignored_runs_whole_with_eager_numbers():
    loss_fn = cr.nn.CrossEntropyLoss(ignore_index=1)
    a, b = H.twin(H.mlp)
    eager = H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.05, momentum=0.9), loss_fn)
    procs = _compiled(b, "processes", loss_fn=loss_fn)
    rng = np.random.default_rng(0)
    for k in range(4):
        y = rng.integers(0, 3, 8)
        if k % 2:
            y[4:] = 1                   # the worker's half counts no target: 0/0 there
        x = cr.tensor(rng.standard_normal((8, 12)))
        np.testing.assert_allclose(procs(x, cr.tensor(y)).numpy(),
                                   eager(x, cr.tensor(y)).numpy(), rtol=0, atol=1e-12)
    assert H.max_difference(a, b) <= 1e-12


def test_the_split_over_processes_does_not_need_numpy_imported_after_chainrule(monkeypatch):
    """With NumPy imported first, chainrule cannot shorten OpenBLAS's idle spin, so passes are
    not split over threads (``_state["split"]`` false); the split over processes holds BLAS at
    one thread in each process, wakes no BLAS thread, and still runs."""
    monkeypatch.setattr(parallel, "parts", PARTS)
    monkeypatch.setitem(parallel._state, "split", False)
    monkeypatch.setitem(parallel._state, "threads", 2)
    monkeypatch.setattr(parallel, "MIN_BYTES_WITH_BLAS", 1)
    model = H.mlp()
    procs, threads = _compiled(model, "processes"), _compiled(H.mlp(), "threads")
    for x, y in H.batches("mlp", 2, batch=8):     # the first call traces, the second replays
        procs(x, y)
        threads(x, y)
    assert procs.program().worker is not None
    assert threads.program().worker is None and shard_parts(threads.program()) == 1


def test_a_dead_worker_is_reported_and_the_step_runs_on_threads():
    a, b, eager, procs, data = _in_lockstep(H.lenet, "lenet", 4, batch=6)
    worker = procs.program().worker
    os.kill(worker.pid, signal.SIGKILL)
    os.waitpid(worker.pid, 0)
    with pytest.warns(UserWarning, match="on threads instead of processes: the data-parallel "
                                         "worker process"):
        lp, le = procs(*data[2]), eager(*data[2])
    np.testing.assert_allclose(lp.numpy(), le.numpy(), rtol=0, atol=1e-12)
    assert procs.program().data_parallel == "threads" and procs.program().worker is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no second warning: threads from now on
        procs(*data[3]), eager(*data[3])
    assert H.max_difference(a, b) <= 1e-12


def test_an_error_in_the_worker_names_it_and_the_step_then_raises_it_on_threads():
    """A label out of range in the worker's half: the worker reports the loss's error, the
    parent warns and runs the step on threads, where the same error reaches the caller."""
    a, _ = H.twin(H.mlp)
    procs = _compiled(a, "processes")
    x, y = H.batches("mlp", 1, batch=6)[0]
    procs(x, y)
    procs(x, y)
    bad = y.numpy().copy()
    bad[-1] = 9
    with pytest.warns(UserWarning, match="worker process .* failed: IndexError: .*9"):
        with pytest.raises(IndexError, match="9"):
            procs(x, cr.tensor(bad))
    assert procs.program().data_parallel == "threads"


def test_inference_joins_the_workers_rows_and_equals_eager():
    model = H.lenet().to(cr.float64)
    model.eval()
    fast = cr.compile(model, options={"data_parallel": "processes"})
    rng = np.random.default_rng(0)
    with cr.no_grad():
        for _ in range(3):
            x = cr.tensor(rng.standard_normal((9, 1, 16, 16)))
            np.testing.assert_allclose(fast(x).numpy(), model(x).numpy(), rtol=0, atol=1e-13)
    program = fast.program()
    assert program.worker is not None and program.data_parallel == "processes"


def test_where_processes_cannot_run_the_step_says_why_and_uses_threads(monkeypatch):
    monkeypatch.setattr(processes, "supported", lambda: False)
    a, b = H.twin(H.mlp)
    eager = H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.05, momentum=0.9))
    procs = _compiled(b, "processes")
    data = H.batches("mlp", 3, batch=6)
    eager(*data[0]), procs(*data[0])
    with pytest.warns(UserWarning, match="processes need os.fork on Linux"):
        lp, le = procs(*data[1]), eager(*data[1])
    np.testing.assert_allclose(lp.numpy(), le.numpy(), rtol=0, atol=1e-12)
    assert procs.program().worker is None


def test_the_worker_ends_with_its_program():
    a, _ = H.twin(H.mlp)
    procs = _compiled(a, "processes")
    x, y = H.batches("mlp", 1, batch=6)[0]
    procs(x, y)
    procs(x, y)
    pid = procs.program().worker.pid
    assert _alive(pid)
    procs.reset()
    del procs
    gc.collect()
    assert not _alive(pid)


def test_options_are_checked():
    with pytest.raises(ValueError, match="'threads' or 'processes'"):
        cr.compile(lambda x: x, options={"data_parallel": "gpus"})
    with pytest.raises(ValueError, match="unknown option"):
        cr.compile(lambda x: x, options={"triton.cudagraphs": True})


def test_a_parameter_that_changes_shape_sends_the_step_back_to_threads():
    """The worker's shared copies have the shapes of its first call: a parameter replaced by
    one of another shape is reported, and the threaded replay takes over (here it fails too, as
    eager's would, with the shapes named)."""
    a, _ = H.twin(H.mlp)
    procs = _compiled(a, "processes")
    x, y = H.batches("mlp", 1, batch=6)[0]
    procs(x, y)
    procs(x, y)
    a[0].weight.data = cr.tensor(np.zeros((16, 13)))
    with pytest.warns(UserWarning, match="changed its shape or dtype"):
        with pytest.raises(ValueError):
            procs(x, y)
    assert procs.program().data_parallel == "threads"


def test_the_batchnorms_meet_through_shared_memory_and_stay_on_processes():
    """Training BatchNorms split over processes: the parent and the worker meet at each one
    (forward and backward) and keep eager's numbers, running statistics included."""
    a, b, eager, procs, data = _in_lockstep(H.batch_normed, "batch_normed", 6, batch=7,
                                            warm=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in data:
            np.testing.assert_allclose(procs(x, y).numpy(), eager(x, y).numpy(), rtol=0,
                                       atol=1e-12)
    program = procs.program()
    assert program.data_parallel == "processes" and program.worker is not None
    assert len(program.shard.shared) == 2
    assert H.max_difference(a, b) <= 1e-12       # the running statistics are in the state


def _failing_meeting(monkeypatch, in_worker: bool):
    """Make the BatchNorm statistics fail on one side of the split (the worker is forked after
    this, so it inherits the patch and checks which process it is in)."""
    from chainrule.ops import norm

    parent, real = os.getpid(), norm._whole_batch_statistics

    def statistics(x3, axes, shared):
        if (os.getpid() != parent) == in_worker:
            raise FloatingPointError("statistics failed")
        return real(x3, axes, shared)

    monkeypatch.setattr(norm, "_whole_batch_statistics", statistics)


def test_a_worker_failing_at_a_meeting_sends_the_step_to_threads_with_eager_numbers(
        monkeypatch):
    """The parent, waiting at the meeting, reads the worker's error report; the step runs again
    on threads, after the running statistics its first forward updated are put back."""
    _failing_meeting(monkeypatch, in_worker=True)
    a, b, eager, procs, data = _in_lockstep(H.batch_normed, "batch_normed", 4, batch=7, warm=1)
    with pytest.warns(UserWarning, match="worker process .* failed: FloatingPointError"):
        np.testing.assert_allclose(procs(*data[1]).numpy(), eager(*data[1]).numpy(), rtol=0,
                                   atol=1e-12)
    for x, y in data[2:]:
        eager(x, y), procs(x, y)
    assert procs.program().data_parallel == "threads"
    assert H.max_difference(a, b) <= 1e-12


def test_the_parent_failing_at_a_meeting_raises_and_the_next_step_starts_a_new_worker(
        monkeypatch):
    """The worker, left waiting at a meeting, is ended; the failed call changed no state (the
    running statistics are put back), so the next calls keep eager's numbers."""
    a, b, eager, procs, data = _in_lockstep(H.batch_normed, "batch_normed", 5, batch=7)
    first = procs.program().worker
    from chainrule.ops import norm

    real = norm._whole_batch_statistics
    _failing_meeting(monkeypatch, in_worker=False)
    with pytest.raises(FloatingPointError, match="statistics failed"):
        procs(*data[2])
    assert procs.program().worker is None
    monkeypatch.setattr(norm, "_whole_batch_statistics", real)
    assert not _alive(first.pid)                    # ended, not left waiting
    for x, y in data[3:]:
        np.testing.assert_allclose(procs(x, y).numpy(), eager(x, y).numpy(), rtol=0,
                                   atol=1e-12)
    assert procs.program().worker is not None and procs.program().worker.pid != first.pid
    assert H.max_difference(a, b) <= 1e-12


def test_meeting_messages_carry_numbers_and_vectors_exactly():
    row = np.zeros(32)
    value = (7, 0.1, np.array([1 / 3, -2.5e-300, 4.0]), np.array([]))
    processes._pack(row, value)
    back = processes._unpack(row)
    assert back[0] == 7 and isinstance(back[0], int)
    assert back[1] == 0.1 and isinstance(back[1], float)
    np.testing.assert_array_equal(back[2], value[2])
    assert back[3].shape == (0,)
