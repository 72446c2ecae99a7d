"""Launching ``mpiexec -n N`` from a test, with a timeout, and reading rank 0's JSON line."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")


def mpiexec() -> str:
    pytest.importorskip("mpi4py")
    beside = Path(sys.executable).parent / "mpiexec"      # the mpich wheel's, in this env
    exe = str(beside) if beside.exists() else shutil.which("mpiexec")
    if exe is None:
        pytest.skip("mpiexec is not on PATH (pip install mpich)")
    return exe


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("OMP_NUM_THREADS", "1")
    e.setdefault("OPENBLAS_NUM_THREADS", "1")
    e.setdefault("MKL_NUM_THREADS", "1")
    e["PYTHONUNBUFFERED"] = "1"
    return e


def launch(n: int, args: list, timeout: float = 240, cwd=None, extra_env=None):
    """Run ``mpiexec -n n python args…``; returns (returncode, stdout, stderr, seconds)."""
    cmd = [mpiexec(), "-n", str(n), sys.executable, *map(str, args)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**env(), **(extra_env or {})}, cwd=cwd or ROOT)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


def run_checks(n: int, *names: str, timeout: float = 240, extra_env=None) -> dict:
    code, out, err, _ = launch(n, [WORKER, *names], timeout, extra_env=extra_env)
    assert code == 0, f"mpiexec -n {n} worker.py {' '.join(names)} failed ({code}):\n{out}\n{err}"
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result line:\n{out}\n{err}"
    return json.loads(lines[-1][len("RESULT "):])
