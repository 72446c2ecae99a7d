"""chainrule.save → chainrule.load: every structure, to a path and to io.BytesIO."""
from __future__ import annotations

import collections
import io
import json
import math
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule.device import device
from chainrule.serialization import SerializationError
from chainrule.tensor import Size

DTYPES = ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64", "complex64", "complex128"]


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape) * 50
    if dtype == "bool":
        return a > 0
    if dtype.startswith("complex"):
        return (a + 1j * rng.normal(size=shape)).astype(dtype)
    if dtype.startswith("uint"):
        return np.abs(a).astype(dtype)
    return a.astype(dtype)


def roundtrip(obj, where, tmp_path):
    if where == "path":
        path = tmp_path / "obj.pt"
        cr.save(obj, path)
        return cr.load(path)
    if where == "str":
        path = str(tmp_path / "obj.pt")
        cr.save(obj, path)
        return cr.load(path)
    buf = io.BytesIO()
    cr.save(obj, buf)
    buf.seek(0)
    return cr.load(buf)


def assert_same(got, want):
    """Equal structure, container types, key order, dtypes, shapes and values."""
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, cr.Tensor):
        assert got._data.dtype == want._data.dtype and got.shape == want.shape
        assert got.requires_grad == want.requires_grad
        np.testing.assert_array_equal(got._data, want._data)
        assert not np.shares_memory(got._data, want._data)
    elif isinstance(want, np.ndarray):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_same(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert_same(a, b)
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == want


@pytest.mark.parametrize("where", ["path", "str", "bytesio"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_of_every_dtype(dtype, where, tmp_path):
    for shape in [(3, 4), (), (0,), (2, 0, 3), (1,)]:
        t = cr.Tensor._make(sample(dtype, shape))
        got = roundtrip(t, where, tmp_path)
        assert_same(got, t)
        assert got._data.flags.writeable


def test_non_contiguous_and_big_endian_arrays(tmp_path):
    a = np.arange(24.0).reshape(4, 6)
    t = cr.Tensor._make(a.T[::2])                     # a strided view
    big = np.arange(5, dtype=">i4")
    got = roundtrip({"t": t, "big": big}, "path", tmp_path)
    np.testing.assert_array_equal(got["t"]._data, a.T[::2])
    assert got["big"].dtype == np.dtype("int32")
    np.testing.assert_array_equal(got["big"], big)


@pytest.mark.parametrize("where", ["path", "bytesio"])
def test_nested_structures(where, tmp_path):
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=cr.float64)
    obj = {
        "od": collections.OrderedDict([("z", t), ("a", cr.tensor(7)), ("m", None)]),
        "list": [1, 2.5, -0.0, float("inf"), float("nan"), True, False, None, "text", b"\x00\xff",
                 bytearray(b"ab"), 3 + 4j, 2 ** 80, -(2 ** 70)],
        "tuple": (cr.tensor([True, False]), (1, (2, (3,))), ()),
        "deep": [[[{"k": [cr.zeros(0, 2)]}]]],
        "keys": {0: "int key", 1.5: "float key", (1, "a"): "tuple key", None: "none key",
                 True: "bool key"},
        "np": np.arange(6, dtype=np.int16).reshape(2, 3),
        "np_scalar": np.float32(1.25),
        "empty": {}, "empty_list": [], "empty_od": collections.OrderedDict(),
        "dtype": cr.float32, "size": Size([2, 3]), "device": device("cpu"),
        "set": {1, 2, 3}, "frozenset": frozenset({"a"}),
    }
    got = roundtrip(obj, where, tmp_path)
    assert list(got) == list(obj)
    for key in ["od", "list", "tuple", "deep", "np", "empty", "empty_list", "empty_od"]:
        assert_same(got[key], obj[key])
    assert list(got["keys"].items()) == list(obj["keys"].items())
    assert type(got["np_scalar"]) is np.float32 and got["np_scalar"] == np.float32(1.25)
    assert got["dtype"] == np.float32 and type(got["size"]) is Size
    assert got["size"] == (2, 3) and str(got["device"]) == "cpu"
    assert got["set"] == {1, 2, 3} and got["frozenset"] == frozenset({"a"})
    assert math.copysign(1.0, got["list"][2]) == -1.0         # -0.0 kept exactly
    assert got["list"][1] == 2.5 and type(got["list"][9]) is bytes
    assert type(got["list"][10]) is bytearray


def test_repeated_tensor_is_stored_once_and_comes_back_as_one(tmp_path):
    t = cr.ones(3)
    got = roundtrip({"a": t, "b": [t]}, "path", tmp_path)
    assert got["a"] is got["b"][0]
    from safetensors.numpy import load_file
    assert len(load_file(tmp_path / "obj.pt")) == 1


def test_requires_grad_and_parameter(tmp_path):
    p = cr.nn.Parameter(cr.ones(2, 2))
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    got = roundtrip([p, x, cr.ones(1)], "path", tmp_path)
    assert isinstance(got[0], cr.nn.Parameter) and got[0].requires_grad
    assert got[1].requires_grad and got[1].is_leaf and not got[2].requires_grad


def test_model_state_dict_round_trip(tmp_path):
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.BatchNorm1d(4), cr.nn.ReLU(),
                             cr.nn.Linear(4, 2))
    model(cr.randn(6, 3))                          # running statistics move
    sd = model.state_dict()
    got = roundtrip(sd, "path", tmp_path)
    assert_same(got, sd)
    assert got["1.num_batches_tracked"].dtype == np.int64
    other = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.BatchNorm1d(4), cr.nn.ReLU(),
                             cr.nn.Linear(4, 2))
    other.load_state_dict(got)
    model.eval()
    other.eval()
    x = cr.randn(5, 3)
    np.testing.assert_array_equal(other(x)._data, model(x)._data)


@pytest.mark.parametrize("where", ["path", "bytesio"])
def test_adam_state_dict_round_trip_and_resume(where, tmp_path):
    def make():
        cr.manual_seed(1)
        model = cr.nn.Linear(3, 2)
        return model, cr.optim.Adam(model.parameters(), lr=0.1, amsgrad=True)

    def step(model, opt, x):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        opt.step()

    x = cr.randn(4, 3)
    model, opt = make()
    for _ in range(3):
        step(model, opt, x)
    sd = opt.state_dict()
    got = roundtrip(sd, where, tmp_path)
    assert_same(got, sd)                           # int keys, tuples (betas), arrays, ints
    assert isinstance(got["param_groups"][0]["betas"], tuple)
    # resuming from the loaded state continues exactly as the original
    model2, opt2 = make()
    model2.load_state_dict(model.state_dict())
    opt2.load_state_dict(got)
    step(model, opt, x)
    step(model2, opt2, x)
    np.testing.assert_array_equal(model2.weight._data, model.weight._data)


def test_save_is_atomic_and_keeps_the_old_file_on_error(tmp_path):
    path = tmp_path / "state.pt"
    cr.save({"a": cr.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot store .*object"):
        cr.save({"a": object()}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["state.pt"]      # no temporary file left behind


def test_unsupported_objects_and_cycles_are_refused():
    with pytest.raises(TypeError, match=r"cannot store the object\['f'\]"):
        cr.save({"f": lambda: 0}, io.BytesIO())
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        cr.save(loop, io.BytesIO())
    deep: list = []
    for _ in range(500):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than"):
        cr.save(deep, io.BytesIO())


def test_the_file_is_safetensors_with_a_json_document(tmp_path):
    from safetensors import safe_open
    cr.save(collections.OrderedDict(w=cr.ones(2, 3)), tmp_path / "w.pt")
    with safe_open(tmp_path / "w.pt", "np") as f:
        doc = json.loads(f.metadata()["chainrule.serialization"])
        assert f.get_tensor("0").shape == (2, 3)
    assert doc["format"] == "chainrule.save" and doc["root"]["type"] == "ordered_dict"
    assert doc["root"]["items"][0][1] == {"type": "tensor", "key": "0", "dtype": "float32",
                                          "shape": [2, 3], "requires_grad": False,
                                          "parameter": False}


def test_map_location_and_weights_only(tmp_path):
    path = tmp_path / "t.pt"
    cr.save({"t": cr.ones(2)}, path)
    for where in [None, "cpu", device("cpu"), {"cpu": "cpu"}, lambda s, loc: s,
                  lambda s, loc: None]:
        np.testing.assert_array_equal(cr.load(path, map_location=where)["t"]._data, [1.0, 1.0])
    with pytest.raises(RuntimeError, match="cuda"):
        cr.load(path, map_location="cuda")
    with pytest.raises(RuntimeError, match="cuda:1"):
        cr.load(path, map_location={"cpu": "cuda:1"})
    with pytest.raises(ValueError, match="weights_only=False is refused"):
        cr.load(path, weights_only=False)
    assert cr.load(path, weights_only=None)["t"].shape == (2,)


def test_damaged_chainrule_files(tmp_path):
    path = tmp_path / "t.pt"
    cr.save({"t": cr.arange(10.0)}, path)
    data = path.read_bytes()
    bad = tmp_path / "bad.pt"
    for damaged in [data[:-8], data[: len(data) // 2], data[:12]]:
        bad.write_bytes(damaged)
        with pytest.raises(SerializationError, match="bad.pt"):
            cr.load(bad)
    # a hand-edited document: a shape that does not match the array
    doc = data.replace(b'\\"shape\\":[10]', b'\\"shape\\":[11]')
    assert doc != data
    bad.write_bytes(doc)
    with pytest.raises(SerializationError, match="bad.pt.*document says float32 \\[11\\]"):
        cr.load(bad)
    # plain safetensors without chainrule's document
    from safetensors.numpy import save_file
    save_file({"w": np.ones(2)}, bad)
    with pytest.raises(SerializationError, match="not one written by chainrule.save"):
        cr.load(bad)
    bad.write_bytes(b"")
    with pytest.raises(SerializationError, match="empty"):
        cr.load(bad)
    bad.write_bytes(b"hello world, not a file format")
    with pytest.raises(SerializationError, match="neither"):
        cr.load(bad)


def test_deeply_nested_document_is_a_clear_error(tmp_path):
    from safetensors.numpy import save_file
    deep = '{"type":"list","items":[' * 100_000 + "]}" * 100_000
    doc = '{"format":"chainrule.save","version":1,"root":' + deep + "}"
    save_file({}, tmp_path / "deep.pt", metadata={"chainrule.serialization": doc})
    with pytest.raises(SerializationError, match="deep.pt"):
        cr.load(tmp_path / "deep.pt")
