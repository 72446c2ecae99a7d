"""``chainrule.training.Run``: what ``chainrule train`` and ``--resume`` do, from a notebook.

The notebook-style test does through the library API alone what the two commands do, and must
write the same run folder: the same files, the same config, checkpoints equal bit for bit, the
same metrics and test report. The others cover the atomic creation of the folder (a kill before
its config exists leaves no half-made run) and resuming a run stopped before its first
checkpoint.
"""
from __future__ import annotations

import numpy as np
import pytest

from chainrule.cli import main as cli_main
from chainrule.training import Run, RunError, read_checkpoint
from chainrule.training.runs import folder

from .helpers import assert_same_run

OPTIONS = {"dataset": "digits", "limit": 400, "batch_size": 32, "seed": 3, "dropout": 0.2}
ARGS = ["--dataset", "digits", "--limit", "400", "--batch-size", "32", "--seed", "3",
        "--dropout", "0.2"]


def test_the_library_api_does_what_train_and_resume_do(tmp_path):
    pytest.importorskip("sklearn")
    by_command = tmp_path / "command"
    assert cli_main.main(["train", *ARGS, "--epochs", "1", "--out", str(by_command)]) == 0
    assert cli_main.main(["train", "--resume", str(by_command), "--epochs", "2"]) == 0

    messages = []
    by_library = tmp_path / "library"
    run = Run.new(OPTIONS, epochs=1, out=by_library, progress=0, log=messages.append)
    first = run.train()
    assert first["epoch"] == 1 and len(first["history"]["loss"]) == 1
    assert run.report()["test_accuracy"] == run.evaluate()["accuracy"]
    run = Run.resume(by_library, epochs=2, progress=0, log=messages.append)
    summary = run.train()
    report = run.report()

    assert summary["epoch"] == 2 and [r["epoch"] for r in summary["rows"]] == [1, 2]
    assert 0.0 <= report["test_accuracy"] <= 1.0
    assert any(m.startswith("Resuming") for m in messages)
    assert_same_run(by_command, by_library)
    opened = Run.open(by_library, "best")
    assert opened.checkpoint["epoch"] in (1, 2) and not opened.model.training


def test_a_kill_before_the_config_exists_leaves_no_run_folder(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    out = tmp_path / "run"

    class Killed(BaseException):
        pass

    def dying_write(path, value):
        raise Killed

    monkeypatch.setattr(folder, "write_json", dying_write)
    with pytest.raises(Killed):
        Run.new(OPTIONS, epochs=1, out=out, progress=0, log=lambda m: None)
    monkeypatch.undo()
    assert not out.exists()                    # no half-made run: nothing to resume
    assert (tmp_path / ".run.partial").is_dir()
    with pytest.raises(RunError, match="no such run folder"):
        Run.resume(out)
    Run.new(OPTIONS, epochs=1, out=out, progress=0, log=lambda m: None)
    assert (out / "config.json").is_file()
    assert not (tmp_path / ".run.partial").exists()      # the next start cleans up


def test_resuming_a_run_stopped_before_its_first_checkpoint_starts_it_cleanly(tmp_path):
    pytest.importorskip("sklearn")
    straight = Run.new(OPTIONS, epochs=1, out=tmp_path / "straight", progress=0,
                       log=lambda m: None)
    straight.train()
    stopped = Run.new(OPTIONS, epochs=1, out=tmp_path / "stopped", progress=0,
                      log=lambda m: None)
    assert not (stopped.dir / "checkpoints").exists()   # "killed" before any checkpoint
    messages = []
    resumed = Run.resume(stopped.dir, progress=0, log=messages.append)
    assert "has no checkpoint yet" in messages[0]
    resumed.train()
    _, a = read_checkpoint(straight.dir / "checkpoints" / "last.safetensors")
    _, b = read_checkpoint(stopped.dir / "checkpoints" / "last.safetensors")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_options_are_checked_before_anything_is_written(tmp_path):
    with pytest.raises(RunError, match="unknown run option.*learning_rate"):
        Run.new(learning_rate=0.1, out=tmp_path / "a")
    with pytest.raises(ValueError, match="--epochs must be an integer"):
        Run.new(epochs=0, out=tmp_path / "b")
    with pytest.raises(ValueError, match="unknown model"):
        Run.new(model="nope", out=tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_a_trained_run_ends_its_worker_processes(tmp_path, monkeypatch):
    """`chainrule train`'s compiled step forks a worker per batch shape; they end with the
    training, not when the Run object is collected (a sweep keeps its runs)."""
    pytest.importorskip("sklearn")
    import os

    from chainrule import parallel
    from chainrule.compile import processes

    if not processes.supported():
        pytest.skip("needs os.fork (Linux)")
    monkeypatch.setattr(parallel, "parts", lambda size, nbytes=0, blas=False, **_: min(2, size))
    started = []
    real = processes.Worker.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        started.append(self.pid)

    monkeypatch.setattr(processes.Worker, "__init__", init)
    run = Run.new({**OPTIONS, "dropout": 0.0, "compile": "processes"}, epochs=1,
                  out=tmp_path / "run", progress=0, log=lambda m: None)
    run.train()
    assert started                                  # the step was split over a worker
    assert run.model.__dict__["_trainer"]._compiled_step is None
    for pid in started:
        with pytest.raises(ChildProcessError):      # reaped
            os.waitpid(pid, os.WNOHANG)
