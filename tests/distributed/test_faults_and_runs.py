"""Faults and runs (issue 16, Must-show): a rank killed mid-epoch, or raising, stops the whole
job within 60 s with a message naming the rank; the last checkpoint stays intact; the run then
resumes — with another number of ranks — and ends where an uninterrupted one-process run ends.

Each test launches ``chainrule train`` under mpiexec (tests/distributed/fault_train.py injects
the fault), so they are slow; MLP on 600 Fashion-MNIST (or digits) samples, 12 steps an epoch.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from chainrule.training.checkpoint import read_checkpoint

from .helpers import ROOT, WORKER, env, launch

FAULT = ROOT / "tests" / "distributed" / "fault_train.py"
OPTIONS = ["--model", "mlp", "--limit", "600", "--batch-size", "50", "--epochs", "2",
           "--dataset", "digits"]


def _cli(*args):
    return ["-m", "chainrule.cli.main", *args]


def _params(run_dir):
    doc, tensors = read_checkpoint(run_dir / "checkpoints" / "last.safetensors")
    return doc, {k: v for k, v in tensors.items() if k.startswith("model.")} or tensors


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference: the same run in one process, without --distributed."""
    import subprocess

    out = tmp_path_factory.mktemp("reference") / "run"
    proc = subprocess.run([sys.executable, *_cli("train", *OPTIONS, "--out", out)],
                          capture_output=True, text=True, env=env(), timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return _params(out)


def _same_parameters(run_dir, reference):
    doc, params = _params(run_dir)
    ref_doc, ref = reference
    assert doc["epoch"] == ref_doc["epoch"] == 2
    assert params.keys() == ref.keys()
    for k in ref:
        np.testing.assert_allclose(params[k], ref[k], rtol=1e-5, atol=1e-5, err_msg=k)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "rank", "resume_ranks"), [("kill", 1, 3), ("raise", 0, 1)])
def test_failing_rank_stops_the_job_and_the_run_resumes(tmp_path, uninterrupted, kind, rank,
                                                        resume_ranks):
    run_dir = tmp_path / "run"
    code, out, err, seconds = launch(2, [FAULT, kind, rank, 16, "train", "--distributed",
                                         *OPTIONS, "--out", run_dir], timeout=120)
    text = out + err
    assert code != 0 and seconds < 60, (code, seconds, text)
    assert f"rank {rank} (pid" in text, text
    # rank 0 alone prints: the start message with the global batch and the lr rule, the bar
    assert out.count("global batch 50 = 2 ranks × 25 samples") == 1, out
    assert "linear scaling rule" in out and out.count("Epoch 1/2") == 1, out
    if kind == "raise":
        assert "ValueError: injected failure at step 16" in text
    else:
        assert "ended without finishing" in text
    doc, _ = read_checkpoint(run_dir / "checkpoints" / "last.safetensors")   # verified, intact
    assert doc["epoch"] == 1                     # the fault came in the second epoch (step 16)
    if resume_ranks == 1:
        import subprocess

        proc = subprocess.run([sys.executable, *_cli("train", "--resume", run_dir)],
                              capture_output=True, text=True, env=env(), timeout=300, cwd=ROOT)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        code, out, err, _ = launch(resume_ranks, _cli("train", "--distributed", "--resume",
                                                      run_dir), timeout=300)
    assert code == 0, out + err
    assert "Resuming" in out and out.count("Resuming") == 1      # rank 0 alone speaks
    _same_parameters(run_dir, uninterrupted)


@pytest.mark.slow
def test_a_rank_that_hangs_is_stopped_by_the_collective_timeout():
    code, out, err, seconds = launch(2, [WORKER, "hang"], timeout=60,
                                     extra_env={"CHAINRULE_DIST_TIMEOUT": "2"})
    assert code != 0 and seconds < 30, (code, seconds, out + err)
    assert "rank 0 (pid" in err and "waited" in err and "timeout is 2 s" in err, err
