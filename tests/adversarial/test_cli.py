"""``chainrule attack RUN`` on a tiny digits run."""
from __future__ import annotations

import re

import numpy as np
import pytest

from chainrule.cli import main as cli_main


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    folder = tmp_path_factory.mktemp("runs") / "lenet-digits"
    assert cli_main.main(["train", "--dataset", "digits", "--epochs", "2", "--batch-size", "64",
                          "--seed", "3", "--out", str(folder)]) == 0
    return folder


@pytest.mark.slow
def test_attack_prints_clean_and_robust_accuracy_and_writes_examples(tiny_run, capsys):
    from chainrule.training import Run

    capsys.readouterr()
    assert cli_main.main(["attack", str(tiny_run), "--method", "pgd", "--eps", "0.2",
                          "--steps", "5", "--n", "60"]) == 0
    out = capsys.readouterr().out
    clean = float(re.search(r"clean accuracy\s+([0-9.]+)%", out).group(1))
    robust = float(re.search(r"robust accuracy\s+([0-9.]+)%", out).group(1))
    run = Run.open(tiny_run)
    data = run.data
    expected = run.evaluate(data.x_test[:60], data.y_test[:60])["accuracy"]
    assert clean == pytest.approx(100 * expected, abs=0.006)   # the pixel-space model = the run's
    assert robust < clean
    png = tiny_run / "attack-pgd-eps0.2.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert f"examples: {png}" in out

    assert cli_main.main(["attack", str(tiny_run), "--method", "fgsm", "--eps", "0.0",
                          "--n", "60", "--examples", "0"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"robust accuracy\s+([0-9.]+)%", out).group(1) == f"{clean:.2f}"


def test_pixel_model_is_the_run_pipeline(tiny_run):
    import chainrule as cr
    from chainrule.adversarial.runs import PixelModel
    from chainrule.training import Run
    from chainrule.training.runs.data import transform

    run = Run.open(tiny_run)
    x = run.data.x_test[:5]
    pixels = x.astype(np.float32) / run.config["normalize"]["max_value"]
    with cr.no_grad():
        ours = PixelModel(run.model, run.config)(cr.tensor(pixels)).numpy()
        theirs = run.model(transform(run.config)(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("args, message", [
    (["--eps", "-0.1"], "eps must be ≥ 0"),
    (["--method", "pgd", "--alpha", "0"], "alpha must be > 0"),
    (["--steps", "0"], "--steps must be ≥ 1"),
    (["--n", "0"], "--n must be ≥ 1"),
])
def test_attack_bad_options(tiny_run, capsys, args, message):
    assert cli_main.main(["attack", str(tiny_run), "--n", "5", *args]) == 2
    assert message in capsys.readouterr().err


def test_attack_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli_main.main(["attack", str(tmp_path)]) == 2
    assert "chainrule attack:" in capsys.readouterr().err
