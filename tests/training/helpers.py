"""Small synthetic problems and models shared by the training tests."""
from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn


def blobs(n: int = 240, classes: int = 3, features: int = 4, seed: int = 0):
    """Well separated Gaussian blobs: (x float32 (n, features), y int64 (n,))."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = centers[y] + rng.normal(scale=0.7, size=(n, features))
    return x.astype(np.float32), y.astype(np.int64)


def mlp(features: int = 4, classes: int = 3, hidden: int = 16, dropout: float = 0.0,
        seed: int = 0) -> nn.Module:
    cr.manual_seed(seed)
    layers = [nn.Linear(features, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, classes))
    return nn.Sequential(*layers)


def params(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same_params(a: dict, b: dict, exact: bool = True) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if exact:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-7, err_msg=k)


TIMES = ("train_time_s", "epoch_time_s")


def run_files(run_dir) -> list[str]:
    """The files of a run folder, relative to it, sorted."""
    from pathlib import Path

    run_dir = Path(run_dir)
    return sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file())


def assert_same_run(a, b, same_bytes: tuple = ()) -> None:
    """Two run folders hold the same run: the same files, config (but its creation time),
    checkpoints bit for bit, metrics (but timings) and test report; ``same_bytes``: files that
    must also be equal byte for byte."""
    import json
    from pathlib import Path

    from chainrule.training import read_checkpoint
    from chainrule.training.runs import folder

    a, b = Path(a), Path(b)
    assert run_files(a) == run_files(b)
    for name in same_bytes:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    config_a, config_b = (json.loads((d / "config.json").read_text()) for d in (a, b))
    for config in (config_a, config_b):
        config.pop("created")
    assert config_a == config_b
    for which in ("last", "best"):
        doc_a, tensors_a = read_checkpoint(a / "checkpoints" / f"{which}.safetensors")
        doc_b, tensors_b = read_checkpoint(b / "checkpoints" / f"{which}.safetensors")
        assert (doc_a["epoch"], doc_a["step"]) == (doc_b["epoch"], doc_b["step"])
        assert sorted(tensors_a) == sorted(tensors_b)
        for key in tensors_a:
            np.testing.assert_array_equal(tensors_a[key], tensors_b[key], err_msg=key)
    rows_a, rows_b = (folder.read_metrics(d) for d in (a, b))
    assert [{k: v for k, v in r.items() if k not in TIMES} for r in rows_a] == \
        [{k: v for k, v in r.items() if k not in TIMES} for r in rows_b]
    test_a, test_b = (json.loads((d / "test_metrics.json").read_text()) for d in (a, b))
    assert test_a == test_b
