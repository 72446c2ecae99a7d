"""``chainrule explain-prediction`` on a tiny run (LeNet, one epoch on scikit-learn's digits)."""
from __future__ import annotations

import numpy as np
import pytest

from chainrule.cli import main as cli_main


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    folder = tmp_path_factory.mktemp("runs") / "lenet-digits"
    assert cli_main.main(["train", "--dataset", "digits", "--epochs", "1", "--batch-size", "64",
                          "--seed", "3", "--out", str(folder)]) == 0
    return folder


def _png(path):
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        grey = im.convert("L").getextrema()
        assert im.size[0] >= 300 and im.size[1] >= 300 and grey[0] < grey[1]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ig", "gradcam", "saliency", "occlusion"])
def test_explain_prediction_writes_the_overlay_and_prints_top_classes(tiny_run, method,
                                                                        tmp_path, capsys):
    out = tmp_path / f"{method}.png"
    assert cli_main.main(["explain-prediction", str(tiny_run), "0", "7", "--method", method,
                          "--out", str(out), "--top", "2", "--steps", "8"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("test[0]: ") and printed[0].count("%") == 2
    assert printed[1].startswith("test[7]: ")
    assert printed[2].endswith(f"written to {out}")
    if method == "gradcam":
        assert "(layer features.3)" in printed[2]          # LeNet's last convolution
    _png(out)


@pytest.mark.slow
def test_explain_prediction_of_an_image_file_matches_the_library(tiny_run, tmp_path, capsys):
    from chainrule import interpret
    from chainrule.interpret.runs import explain_prediction
    from chainrule.training import Run

    image = np.random.default_rng(0).integers(0, 17, (8, 8))
    np.save(tmp_path / "digit.npy", image)
    assert cli_main.main(["explain-prediction", str(tiny_run), str(tmp_path / "digit.npy"),
                          "--method", "saliency", "--target", "3"]) == 0
    assert (tiny_run / "explanations" / "digit-saliency.png").is_file()
    result = explain_prediction(tiny_run, [str(tmp_path / "digit.npy")], "saliency", target=3,
                                out=tmp_path / "lib.png")
    run = Run.open(tiny_run, compile=False)
    _, x, _ = interpret.runs.load_inputs(run, [str(tmp_path / "digit.npy")])
    np.testing.assert_array_equal(result["attributions"].numpy(),
                                  interpret.saliency(run.model, x, 3).numpy())
    assert result["targets"] == [3]


@pytest.mark.slow
def test_explain_prediction_bad_input_is_a_clear_error(tiny_run, capsys):
    assert cli_main.main(["explain-prediction", str(tiny_run), "100000"]) == 2
    assert "index 100000 is out of range: the run's test set has" in capsys.readouterr().err
    assert cli_main.main(["explain-prediction", str(tiny_run), "1", "--method", "gradcam",
                          "--layer", "conv9"]) == 2
    err = capsys.readouterr().err
    assert "no layer named 'conv9'" in err and "features.3" in err
    assert cli_main.main(["explain-prediction", str(tiny_run), "1", "--target", "11"]) == 2
    assert "target 11 is out of range: the model has 10 classes" in capsys.readouterr().err
    assert cli_main.main(["explain-prediction", str(tiny_run), "1", "--target", "cat"]) == 2
    assert "'cat' is neither a class index nor one of the run's classes" in \
        capsys.readouterr().err
    assert cli_main.main(["explain-prediction", str(tiny_run), "missing.png"]) == 2
    assert "no such image file" in capsys.readouterr().err
