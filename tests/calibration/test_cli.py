"""``chainrule evaluate RUN --calibration`` on small digits runs (scikit-learn's 8×8 digits: no
files needed, a couple of seconds to train)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chainrule.cli import main as cli_main
from tests.cli.helpers import assert_legible_png

RUN = ["train", "--dataset", "digits", "--epochs", "1", "--batch-size", "64", "--seed", "3"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two 1-epoch LeNet runs: one holding out a validation split, one without."""
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    pytest.importorskip("matplotlib", reason="the reliability diagram needs matplotlib")
    root = tmp_path_factory.mktemp("calibration-runs")
    with_val, without = root / "with-val", root / "without-val"
    assert cli_main.main([*RUN, "--val-split", "0.2", "--out", str(with_val)]) == 0
    assert cli_main.main([*RUN, "--out", str(without)]) == 0
    return with_val, without


@pytest.mark.slow
def test_evaluate_calibration_with_a_validation_split(runs, capsys):
    run_dir = runs[0]
    capsys.readouterr()
    assert cli_main.main(["evaluate", str(run_dir), "--calibration"]) == 0
    out = capsys.readouterr().out
    before = re.search(r"as trained: +ECE ([0-9.]+)% +NLL ([0-9.]+)", out)
    after = re.search(r"temperature-scaled: +ECE ([0-9.]+)% +NLL ([0-9.]+) +\(T = ([0-9.]+), "
                      r"fitted on the last \d+ training samples", out)
    assert before and after, out
    loss = float(re.search(r"test loss ([0-9.]+)", out).group(1))
    assert float(before.group(2)) == pytest.approx(loss, abs=1e-4)   # NLL at T = 1 is the loss
    for name in ("reliability.png", "reliability_calibrated.png"):
        assert_legible_png(run_dir / name)
        assert str(run_dir / name) in out
    assert cli_main.main(["evaluate", str(run_dir), "--calibration", "--json",
                          "--bins", "10"]) == 0
    cal = json.loads(capsys.readouterr().out)["calibration"]
    assert cal["n_bins"] == 10 and cal["temperature"] > 0 and cal["note"] == ""
    assert 0 <= cal["ece_calibrated"] <= 1 and cal["nll_calibrated"] <= cal["nll"] + 0.5
    assert [Path(p).name for p in cal["diagrams"]] == ["reliability.png",
                                                       "reliability_calibrated.png"]


@pytest.mark.slow
def test_evaluate_calibration_without_a_validation_split_says_so(runs, capsys):
    run_dir = runs[1]
    capsys.readouterr()
    assert cli_main.main(["evaluate", str(run_dir), "--calibration"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"as trained: +ECE [0-9.]+%", out)
    assert "temperature-scaled" not in out
    assert "no temperature scaling: the run has no validation split" in out
    assert_legible_png(run_dir / "reliability.png")
    assert not (run_dir / "reliability_calibrated.png").exists()


@pytest.mark.slow
def test_evaluate_calibration_bad_bins(runs, capsys):
    assert cli_main.main(["evaluate", str(runs[1]), "--calibration", "--bins", "0"]) == 2
    assert "n_bins must be an integer ≥ 1" in capsys.readouterr().err


def test_evaluate_calibration_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli_main.main(["evaluate", str(tmp_path), "--calibration"]) == 2
    assert "no config.json" in capsys.readouterr().err
