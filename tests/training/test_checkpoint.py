"""Checkpoints: round trip, atomic writes, damaged and foreign files, and exact resumption."""
from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import backend, nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.training import (
    CheckpointError,
    ModelCheckpoint,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from chainrule.training import checkpoint as ckpt

from .helpers import assert_same_params, blobs, mlp, params


def _trained(optimizer=optim.Adam, **kwargs):
    x, y = blobs(64)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    model.compile(optimizer=optimizer, **kwargs)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    return model


@pytest.mark.parametrize("optimizer, kwargs", [
    (optim.Adam, {}), (optim.SGD, {"momentum": 0.9}), (optim.NAdam, {}), (optim.AdamW, {}),
    (optim.Adadelta, {}), (optim.RMSprop, {"centered": True, "momentum": 0.5}),
])
def test_round_trip_model_optimizer_rng_and_meta(tmp_path, optimizer, kwargs):
    model = _trained(optimizer, **kwargs)
    path = tmp_path / "run" / "model.ckpt"
    cr.manual_seed(123)
    rng_state = backend.generator().bit_generator.state
    save_checkpoint(path, model, model.optimizer, epoch=2, step=8,
                    metrics={"loss": np.float32(0.5), "acc": [1, 2]}, config={"lr": 1e-3})
    expected = backend.generator().random(3)

    fresh = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    fresh.compile(optimizer=optimizer, lr=0.5, **kwargs)
    meta = load_checkpoint(path, fresh, fresh.optimizer)
    assert meta["epoch"] == 2 and meta["step"] == 8 and meta["config"] == {"lr": 1e-3}
    assert meta["metrics"] == {"loss": 0.5, "acc": [1, 2]}
    assert meta["optimizer"]["class"] == optimizer.__name__
    assert_same_params(params(fresh), params(model))          # buffers included
    np.testing.assert_array_equal(backend.generator().random(3), expected)
    assert backend.generator().bit_generator.state != rng_state
    saved, loaded = model.optimizer.state_dict(), fresh.optimizer.state_dict()
    assert saved["param_groups"] == loaded["param_groups"]      # tuples (betas) restored
    for i, entries in saved["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(loaded["state"][i][key], value)
            assert type(loaded["state"][i][key]) is type(value)


def test_file_is_plain_safetensors_with_the_json_inside(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    model = _trained()
    path = save_checkpoint(tmp_path / "a.ckpt", model, model.optimizer, epoch=1)
    tensors = st.load_file(path)
    assert set(tensors) >= {"model/0.weight", "model/1.running_mean",
                            "optimizer/state/0/exp_avg"}
    with safe_open(path, "np") as f:
        doc = json.loads(f.metadata()["chainrule"])
    assert doc["format"] == "chainrule.checkpoint" and doc["epoch"] == 1
    assert doc["rng"]["chainrule"]["bit_generator"] == "MT19937"     # PyTorch's generator


def test_builtin_codec_and_safetensors_read_each_other(tmp_path, monkeypatch):
    pytest.importorskip("safetensors")
    import safetensors.numpy

    model = _trained()
    by_library = save_checkpoint(tmp_path / "lib.ckpt", model, model.optimizer)
    monkeypatch.setattr(safetensors.numpy, "save", None)
    monkeypatch.setattr(safetensors.numpy, "load", None)
    monkeypatch.setitem(__import__("sys").modules, "safetensors.numpy", None)
    by_builtin = save_checkpoint(tmp_path / "own.ckpt", model, model.optimizer)
    _, own_read_by_builtin = read_checkpoint(by_builtin)
    _, lib_read_by_builtin = read_checkpoint(by_library)
    monkeypatch.undo()
    _, own_read_by_library = read_checkpoint(by_builtin)
    for name, value in own_read_by_library.items():
        np.testing.assert_array_equal(own_read_by_builtin[name], value)
        np.testing.assert_array_equal(lib_read_by_builtin[name], value)
        assert own_read_by_builtin[name].dtype == value.dtype


def test_a_crash_during_the_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    model = _trained()
    path = tmp_path / "last.ckpt"
    save_checkpoint(path, model, model.optimizer, epoch=1)
    before = path.read_bytes()
    for p in model.parameters():
        p.data += 1.0

    def crash(src, dst):
        raise OSError("simulated power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        save_checkpoint(path, model, model.optimizer, epoch=2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["last.ckpt"]          # the temporary file is gone
    assert load_checkpoint(path)["epoch"] == 1

    def crash_in_write(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash_in_write)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, epoch=3)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["last.ckpt"]


@pytest.fixture()
def saved(tmp_path):
    model = _trained()
    path = tmp_path / "good.ckpt"
    save_checkpoint(path, model, model.optimizer, epoch=2)
    return path, path.read_bytes()


def _write(tmp_path, data: bytes, name="bad.ckpt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("cut", [0, 5, 20, 300, -100, -1])
def test_truncated_files_are_rejected(tmp_path, saved, cut):
    _, data = saved
    path = _write(tmp_path, data[:cut] if cut else b"")
    with pytest.raises(CheckpointError, match=r"bad\.ckpt: .*(truncated|empty)") as e:
        load_checkpoint(path, mlp())
    assert e.value.path == str(path)


def test_corrupted_files_are_rejected(tmp_path, saved):
    _, data = saved
    flipped = bytearray(data)
    flipped[-10] ^= 0xFF                                         # a bit of a weight
    with pytest.raises(CheckpointError, match="corrupted: the SHA-256"):
        read_checkpoint(_write(tmp_path, bytes(flipped)))
    n = int.from_bytes(data[:8], "little")
    header = data[8:8 + n]
    broken = header.replace(b'"format', b'"f{rmat', 1)           # inside the JSON document
    with pytest.raises(CheckpointError, match="corrupted: (its|the SHA-256 of its) JSON"):
        read_checkpoint(_write(tmp_path, data[:8] + broken + data[8 + n:]))
    broken = header.replace(b'"data_offsets":[0,', b'"data_offsets":[8,', 1)
    with pytest.raises(CheckpointError, match="corrupted header"):
        read_checkpoint(_write(tmp_path, data[:8] + broken + data[8 + n:]))
    with pytest.raises(CheckpointError, match="unexpected bytes"):
        read_checkpoint(_write(tmp_path, data + b"junk"))


_GOOD: dict = {}


def _good_checkpoint() -> bytes:
    """One checkpoint's bytes, made once (Hypothesis runs many examples on it)."""
    if "data" not in _GOOD:
        import tempfile

        cr.manual_seed(0)
        model = _trained()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "good.ckpt")
            save_checkpoint(path, model, model.optimizer, epoch=2, config={"lr": 0.001})
            with open(path, "rb") as f:
                _GOOD["data"] = f.read()
    return _GOOD["data"]


@given(position=st.integers(0, 2**40), bit=st.integers(0, 7))
@settings(max_examples=300)
def test_any_single_bit_flip_is_detected(tmp_path_factory, position, bit):
    """Flipping any one bit of a checkpoint — a weight, the optimizer's moments, the header, or
    the JSON document with the learning rate, epoch, random state and configuration — makes
    loading fail with CheckpointError naming the file."""
    data = bytearray(_good_checkpoint())
    data[position % len(data)] ^= 1 << bit
    path = tmp_path_factory.mktemp("flip") / "flipped.ckpt"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as e:
        read_checkpoint(path)
    assert e.value.path == str(path)


def test_a_changed_learning_rate_in_the_document_is_detected(tmp_path):
    """The attack of issue 12: one digit of the document's learning rate changed, the JSON still
    valid. Version 1 loaded it and resumed at the wrong rate; the document's hash refuses it."""
    data = _good_checkpoint()
    assert data.count(b"0.001") >= 1
    path = _write(tmp_path, data.replace(b"0.001", b"0.009", 1))
    with pytest.raises(CheckpointError, match="SHA-256 of its JSON document"):
        read_checkpoint(path)


def test_foreign_files_are_rejected(tmp_path):
    with pytest.raises(CheckpointError, match="pickle"):
        read_checkpoint(_write(tmp_path, pickle.dumps({"w": [1.0] * 10}), "p.pt"))
    buffer = tmp_path / "z.pt"
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", b"x" * 100)
    with pytest.raises(CheckpointError, match="zip archive"):
        read_checkpoint(buffer)
    with pytest.raises(CheckpointError, match="not a chainrule checkpoint"):
        read_checkpoint(_write(tmp_path, b"hello, this is a text file and not weights\n"))
    np.save(tmp_path / "a.npy", np.zeros(100))
    with pytest.raises(CheckpointError, match="NumPy"):
        read_checkpoint(tmp_path / "a.npy")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.ckpt")
    st = pytest.importorskip("safetensors.numpy")
    plain = tmp_path / "plain.safetensors"
    st.save_file({"weight": np.zeros((2, 2), np.float32)}, str(plain))
    with pytest.raises(CheckpointError, match="not a chainrule checkpoint.*load_state_dict"):
        load_checkpoint(plain, mlp())


def test_mismatches_are_clear(tmp_path, saved):
    path, _ = saved
    with pytest.raises(RuntimeError, match="does not fit this model.*Sequential"):
        load_checkpoint(path, mlp())
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    with pytest.raises(ValueError, match="holds Adam state, but the optimizer is SGD"):
        load_checkpoint(path, model, optim.SGD(model.parameters()))
    with pytest.raises(ValueError, match="reserved"):
        save_checkpoint(tmp_path / "x.ckpt", model, epoch=1, rng=3)
    with pytest.raises(TypeError, match="'config' cannot be stored as JSON"):
        save_checkpoint(tmp_path / "x.ckpt", model, config={"f": object()})
    assert not (tmp_path / "x.ckpt").exists()


def test_atomic_write_replaces_whole_files(tmp_path):
    path = tmp_path / "deep" / "file.bin"
    ckpt.atomic_write(path, b"one")
    ckpt.atomic_write(path, b"two")
    assert path.read_bytes() == b"two" and os.listdir(path.parent) == ["file.bin"]


# ----------------------------------------------------------------------------------- resume
def _run(tmp_path, x, y, epochs, data="arrays", seed=None, resume_from=None):
    model = mlp(dropout=0.3, seed=0)
    model.compile(optimizer="adam", metrics=["accuracy"], lr=5e-3)
    loader = None
    if data == "loader":      # seed None: the loader's seed comes from chainrule's generator
        loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=seed)
    initial = 0
    if resume_from is not None:
        cr.manual_seed(999)                          # a different RNG state before loading
        initial = load_checkpoint(resume_from, model, model.optimizer,
                                  data_loader=loader)["epoch"]
    callbacks = [ModelCheckpoint(tmp_path / "ck-{epoch}.ckpt")]
    if loader is not None:
        model.fit(loader, epochs=epochs, initial_epoch=initial, verbose=0, callbacks=callbacks,
                  validation_data=(x[:20], y[:20]))
    else:
        model.fit(x, y, batch_size=16, epochs=epochs, initial_epoch=initial, seed=seed,
                  verbose=0, callbacks=callbacks, validation_split=0.2)
    return model


@pytest.mark.parametrize("data, seed", [("arrays", None), ("arrays", 11), ("loader", None),
                                        ("loader", 4)])
def test_resuming_equals_an_uninterrupted_run(tmp_path, data, seed):
    """Model + optimizer + RNG + epoch from the checkpoint: the same final parameters."""
    x, y = blobs(120)
    whole = _run(tmp_path / "a", x, y, 4, data, seed)
    interrupted = _run(tmp_path / "b", x, y, 2, data, seed)       # "killed" after 2 epochs
    resumed = _run(tmp_path / "c", x, y, 4, data, seed, resume_from=tmp_path / "b" / "ck-2.ckpt")
    assert_same_params(params(resumed), params(whole))
    assert not np.array_equal(params(interrupted)["3.weight"], params(whole)["3.weight"])
    assert resumed.history.epoch == [2, 3]
    assert resumed._trainer.global_step == whole._trainer.global_step
    np.testing.assert_array_equal(resumed.history.history["loss"],
                                  whole.history.history["loss"][2:])


def test_temporaries_left_by_a_killed_writer_are_removed(tmp_path):
    """A kill between creating the temporary file and renaming it leaves `.<name>.<x>.tmp`;
    the next write of that file removes it, and so does the start of training with a
    ModelCheckpoint in that folder."""
    stale = tmp_path / ".last.ckpt.k3j9x.tmp"
    stale.write_bytes(b"half a checkpoint")
    other = tmp_path / ".best.ckpt.p0q1r.tmp"
    other.write_bytes(b"half another")
    keep = tmp_path / "notes.tmp"
    keep.write_bytes(b"not ours")
    ckpt.atomic_write(tmp_path / "last.ckpt", b"new")
    assert not stale.exists() and other.exists() and keep.exists()
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer=optim.SGD)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "best.ckpt"), monitor="loss")])
    assert not other.exists() and keep.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.ckpt", "last.ckpt", "notes.tmp"]
