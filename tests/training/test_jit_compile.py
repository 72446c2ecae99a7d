"""model.compile(jit_compile=True): fit's step through chainrule.compile gives eager's training."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

from .helpers import blobs, mlp


def _fit(build, jit, **fit_options):
    cr.manual_seed(0)
    model = build()
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"], lr=1e-2,
                  jit_compile=jit)
    x, y = blobs(150)
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=0, **fit_options)
    return model, history.history


@pytest.mark.parametrize("build", [mlp, lambda: mlp(dropout=0.3)], ids=["mlp", "with dropout"])
def test_a_compiled_fit_trains_as_the_eager_fit(build):
    """The same losses, metrics and weights (150 samples in batches of 32: a last batch of 22
    is a second signature, traced once)."""
    eager, h_eager = _fit(build, False, validation_data=(blobs(40)[0], blobs(40)[1]))
    jit, h_jit = _fit(build, True, validation_data=(blobs(40)[0], blobs(40)[1]))
    assert h_jit.keys() == h_eager.keys()
    for key in h_eager:
        np.testing.assert_allclose(h_jit[key], h_eager[key], rtol=1e-6, err_msg=key)
    for p, q in zip(eager.parameters(), jit.parameters()):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-5, atol=1e-6)
    step = jit._trainer._compiled_step
    assert len(step.cache) == 2                 # batches of 32 and the last one of 22


def test_a_non_finite_loss_is_not_applied_and_reported():
    model = mlp()
    model.compile(optimizer="sgd", loss="cross_entropy", lr=0.1, jit_compile=True)
    x, y = blobs(64)
    x = x.copy()
    x[:] = np.inf
    before = [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(FloatingPointError):
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_processes_fit_as_threads_do(monkeypatch):
    """jit_compile="processes": the batch's second half in a worker process; the same numbers
    as the threaded split (every batch split in two here, whatever its size)."""
    from chainrule import parallel
    from chainrule.compile import processes

    if not processes.supported():
        pytest.skip("needs os.fork (Linux)")
    monkeypatch.setattr(parallel, "parts", lambda size, nbytes=0, blas=False, **_: min(2, size))
    threads, h_threads = _fit(mlp, True)
    procs, h_procs = _fit(mlp, "processes")
    for key in h_threads:
        np.testing.assert_array_equal(h_procs[key], h_threads[key], err_msg=key)
    for p, q in zip(threads.parameters(), procs.parameters()):
        np.testing.assert_array_equal(q.numpy(), p.numpy())
    programs = [procs._trainer._compiled_step.program(i) for i in range(2)]
    assert all(p.data_parallel == "processes" and p.worker is not None for p in programs)


def test_jit_compile_takes_true_false_or_processes():
    with pytest.raises(ValueError, match="'processes'"):
        mlp().compile(optimizer="sgd", loss="cross_entropy", jit_compile="threads-please")
