"""benchmarks/run.py collects the ``WORKLOADS`` list of every ``benchmarks/bench_*.py``: each
entry must be a harness Workload with a unique name (a module that used the name for something
else once stopped ``python benchmarks/run.py`` before it timed anything)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_bench_module_exports_workloads_run_py_can_time(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import harness, run

    workloads = run.discover()
    assert workloads and all(isinstance(w, harness.Workload) for w in workloads)
    names = [w.name for w in workloads]
    assert len(names) == len(set(names))
    assert "step_lenet_sgd" in names
    assert "benchmarks" in sys.modules
