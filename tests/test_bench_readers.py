"""benchmarks/bench_readers.py at tiny size: its checked and unchecked readers return the same
arrays (no timing here; the benchmark itself records the figures in benchmarks/RESULTS.md)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_readers.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_readers_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_idx_gzip_checked_and_unchecked_agree(bench, tmp_path):
    images = bench.synthetic_images(40, seed=1)
    path = bench.write_idx_gz(tmp_path / "train-images-idx3-ubyte.gz", images)
    checked, unchecked = bench.read_idx_checked(path), bench.read_idx_unchecked(path)
    assert checked.shape == unchecked.shape == (40, 28, 28)
    assert checked.dtype == unchecked.dtype == np.uint8
    np.testing.assert_array_equal(checked, images)
    np.testing.assert_array_equal(unchecked, images)
    assert Path(path).read_bytes()[8] == 0     # XFL 0: gzip's default level, as Debian's file
    bench.assert_same_arrays(checked, unchecked)
    for step in bench.idx_workload(path, "tiny").setup():   # setup asserts the same; steps run
        np.testing.assert_array_equal(step(), images)


def test_checkpoint_checked_and_unchecked_agree(bench, tmp_path):
    path = bench.make_checkpoint(tmp_path / "tiny.safetensors", "tiny")
    checked = bench.read_checkpoint_checked(path)
    unchecked = bench.read_checkpoint_unchecked(path)
    bench.assert_same_checkpoint(checked, unchecked)
    doc, tensors = checked
    assert doc["config"] == {"model": "tiny", "lr": 1e-3}
    assert any(k.startswith("optimizer/state/") for k in tensors)   # Adam's moments are there
    assert all(a.dtype == np.float32 for a in tensors.values())
    workload = bench.checkpoint_workload(path, "tiny")
    assert workload.name == "checkpoint_tiny_adam"
    for step in workload.setup():
        bench.assert_same_checkpoint(checked, step())


def test_sameness_check_catches_a_difference(bench, tmp_path):
    path = bench.make_checkpoint(tmp_path / "tiny.safetensors", "tiny")
    doc, tensors = bench.read_checkpoint_unchecked(path)
    name = sorted(tensors)[0]
    changed = dict(tensors, **{name: tensors[name] + 1})
    with pytest.raises(AssertionError, match=name):
        bench.assert_same_checkpoint((doc, tensors), (doc, changed))
    with pytest.raises(AssertionError, match="documents"):
        bench.assert_same_checkpoint((doc, tensors), (dict(doc, epoch=2), tensors))
