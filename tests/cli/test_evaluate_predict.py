"""``chainrule evaluate RUN`` and ``chainrule predict RUN IMAGE…``."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main as cli_main
from chainrule.data.datasets import load_digits


def test_evaluate_prints_accuracy_loss_and_a_per_class_report(digits_run: Path, capsys):
    assert cli_main.main(["evaluate", str(digits_run)]) == 0
    out = capsys.readouterr().out
    saved = json.loads((digits_run / "test_metrics.json").read_text())
    shown = float(re.search(r"test accuracy ([0-9.]+)%", out).group(1))
    assert shown == pytest.approx(100 * saved["test_accuracy"], abs=0.006)
    assert "test loss" in out and "precision" in out and "recall" in out and "f1-score" in out
    assert "macro avg" in out and "confusion matrix" in out
    assert len(re.findall(r"^\s+\d\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+\d+$", out, re.M)) == 10


def test_evaluate_json_and_the_best_checkpoint(digits_run: Path, capsys):
    assert cli_main.main(["evaluate", str(digits_run), "--json", "--checkpoint", "best"]) == 0
    result = json.loads(capsys.readouterr().out)
    rows = json.loads((digits_run / "metrics.json").read_text())
    best = max(rows, key=lambda r: r["val_accuracy"])
    assert result["checkpoint"] == "best" and result["epoch"] == best["epoch"]
    assert math.isclose(result["test_accuracy"], best["val_accuracy"])
    assert math.isclose(result["test_loss"], best["val_loss"], rel_tol=1e-5)
    assert set(result["per_class"]) == {str(d) for d in range(10)}


def test_evaluate_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli_main.main(["evaluate", str(tmp_path)]) == 2
    assert "no config.json" in capsys.readouterr().err


def _digit_images(n: int = 3):
    images, labels = load_digits("test")
    return images[:n], labels[:n]


def test_predict_png_jpeg_and_npy(digits_run: Path, tmp_path, capsys):
    from PIL import Image

    images, _ = _digit_images()
    images[0] = np.where(images[0] >= 8, 16, 0)    # 0 and 16 only: exact as 0 and 255 in a PNG
    png = tmp_path / "digit.png"
    Image.fromarray((images[0].astype(int) * 255 // 16).astype(np.uint8)).save(png)
    jpeg = tmp_path / "big.jpg"                 # colour and 64×64: greyscaled and resized
    big = Image.fromarray((images[1].astype(int) * 255 // 16).astype(np.uint8)).resize((64, 64))
    big.convert("RGB").save(jpeg, quality=95)
    npy = tmp_path / "batch.npy"
    np.save(npy, images)                        # (3, 8, 8) counts 0…16: a batch
    assert cli_main.main(["predict", str(digits_run), str(png), str(jpeg), str(npy),
                          "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5
    pattern = re.compile(r"^(.+): (\d) \(([0-9.]+)%\)   then (\d) \(([0-9.]+)%\)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed), lines
    assert parsed[0].group(1) == str(png) and parsed[2].group(1) == f"{npy}[0]"
    for m in parsed:
        assert 0 < float(m.group(5)) <= float(m.group(3)) <= 100
    assert parsed[0].groups()[1:] == parsed[2].groups()[1:]    # the PNG and the array agree


def test_predict_agrees_with_evaluate(digits_run: Path, tmp_path):
    from chainrule.cli.predict import predict_files
    from chainrule.training import Run

    images, labels = load_digits("test")
    np.save(tmp_path / "all.npy", images)
    predicted = [int(ranked[0][0]) for _, ranked in
                 predict_files(digits_run, [tmp_path / "all.npy"])]
    result = Run.open(digits_run).evaluate(images[:, None], labels)
    assert predicted == result["predicted"].tolist()


def test_predict_errors_are_clear(digits_run: Path, tmp_path, capsys):
    assert cli_main.main(["predict", str(digits_run), str(tmp_path / "missing.png")]) == 2
    assert "no such image file" in capsys.readouterr().err
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    assert cli_main.main(["predict", str(digits_run), str(fake)]) == 2
    assert "cannot be read as an image" in capsys.readouterr().err
