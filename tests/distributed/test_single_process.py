"""Without mpiexec the same code runs as a job of one rank (MPI's singleton start): a script
written for a cluster also runs on a laptop, and ``fit(distributed=True)`` equals ``fit``."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributed as dist
from chainrule.models import get_model

pytest.importorskip("mpi4py")


def _fit(distributed: bool):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 12)), rng.integers(0, 3, 50)
    default = cr.get_default_dtype()
    cr.set_default_dtype(cr.float64)
    try:
        cr.manual_seed(0)
        model = get_model("mlp", in_features=12, hidden_sizes=(8,), num_classes=3)
    finally:
        cr.set_default_dtype(default)
    model.compile(optimizer="sgd", loss="cross_entropy", metrics=["accuracy"], lr=0.1)
    history = model.fit(x, y, batch_size=16, epochs=2, seed=1, verbose=0,
                        distributed=distributed)
    return model, history.history


def test_one_rank_without_mpiexec():
    was = dist.is_initialized()
    try:
        model, logs = _fit(True)
        assert dist.is_initialized() and dist.get_world_size() == 1 and dist.get_rank() == 0
        ref, ref_logs = _fit(False)
        for a, b in zip(model.parameters(), ref.parameters()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-12)
        for key in ref_logs:
            np.testing.assert_allclose(logs[key], ref_logs[key], rtol=0, atol=1e-12)
        t = cr.tensor([1.0, 2.0])
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        dist.broadcast(t, src=0)
        assert t.tolist() == [1.0, 2.0]
        with pytest.raises(ValueError, match="src must be a rank in 0…0"):
            dist.broadcast(t, src=1)
        with pytest.raises(RuntimeError, match="twice"):
            dist.init_process_group(backend="mpi")
    finally:
        if not was:
            dist.destroy_process_group()
    assert not dist.is_initialized() or was


def test_missing_mpi4py_names_the_extra(monkeypatch):
    import sys

    from chainrule.distributed import _mpi

    monkeypatch.setitem(sys.modules, "mpi4py", None)       # as if it were not installed
    with pytest.raises(ImportError, match=r"chainrule\[distributed\]"):
        _mpi.mpi()


def test_metric_without_distributed_state_is_refused():
    from chainrule.training.metrics import Metric

    class Peak(Metric):              # a max, not a sum: it cannot be merged by adding
        name = "peak"

        def reset(self):
            self.peak = 0.0

        def update(self, y_true, y_pred):
            self.peak = max(self.peak, float(np.max(y_pred)))

        def result(self):
            return self.peak

    was = dist.is_initialized()
    model = cr.nn.Linear(3, 2)
    model.compile(optimizer="sgd", loss="cross_entropy", metrics=[Peak()])
    try:
        with pytest.raises(ValueError, match="Peak has no 'distributed_state'"):
            model.fit(np.ones((4, 3), np.float32), np.zeros(4, np.int64), distributed=True,
                      verbose=0)
    finally:
        if not was and dist.is_initialized():
            dist.destroy_process_group()
