"""chainrule.load of files written by PyTorch's torch.save (the oracle is torch itself)."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule.serialization import SerializationError

torch = pytest.importorskip("torch")


def torch_bytes(obj, **kwargs) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    buf.seek(0)
    return buf


def rewrite(buf, change) -> io.BytesIO:
    """A copy of the zip archive ``buf`` with each entry's bytes passed through ``change``."""
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in src.namelist():
            z.writestr(name, change(name, src.read(name)))
    out.seek(0)
    return out


def assert_matches_torch(got, want):
    """``got`` (chainrule) holds the values, dtypes and structure of ``want`` (torch)."""
    if isinstance(want, torch.Tensor):
        assert isinstance(got, cr.Tensor)
        w = want.detach()
        expect = w.float().numpy() if w.dtype == torch.bfloat16 else w.numpy()
        assert got._data.dtype == expect.dtype and got.shape == tuple(w.shape)
        np.testing.assert_array_equal(got._data, expect)
        assert got.requires_grad == want.requires_grad
        assert isinstance(got, cr.nn.Parameter) == isinstance(want, torch.nn.Parameter)
    elif isinstance(want, dict):
        assert type(got) is type(want) and list(got) == list(want)
        for k in want:
            assert_matches_torch(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want)
        for a, b in zip(got, want):
            assert_matches_torch(a, b)
    else:
        assert type(got) is type(want) and got == want


def torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                               torch.nn.Linear(5, 2)).double()


def chainrule_model():
    return cr.nn.Sequential(cr.nn.Linear(3, 5), cr.nn.BatchNorm1d(5), cr.nn.ReLU(),
                            cr.nn.Linear(5, 2)).double()


def test_model_state_dict_with_views_and_int64_buffers(tmp_path):
    model = torch_model()
    model(torch.randn(8, 3, dtype=torch.float64))           # running statistics move
    sd = model.state_dict()
    w = sd["0.weight"]
    sd["transposed"] = w.t()                                 # non-contiguous view of a storage
    sd["slice"] = w[1:, ::2]                                 # offset + strides into the same one
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 4)
    for dtype in [torch.float16, torch.float32, torch.int8, torch.int16, torch.int32,
                  torch.uint8, torch.bool, torch.complex64, torch.complex128, torch.uint16]:
        sd[f"d_{dtype}"] = torch.arange(6).reshape(2, 3).to(dtype)
    sd["expanded"] = torch.arange(3.0).reshape(3, 1).expand(3, 4)   # stride 0
    path = tmp_path / "model.pt"
    torch.save(sd, path)
    got = cr.load(path)
    assert_matches_torch(got, sd)
    assert got["1.num_batches_tracked"]._data.dtype == np.int64 and got["1.num_batches_tracked"] \
        .shape == ()
    assert got._metadata == sd._metadata                       # torch's module versions
    # fresh, writable memory, not shared between the views
    assert got["transposed"]._data.flags.writeable and got["transposed"]._data.flags.c_contiguous
    assert not np.shares_memory(got["transposed"]._data, got["0.weight"]._data)


def test_torch_state_dict_into_the_equivalent_chainrule_model():
    model = torch_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(8, 3, dtype=torch.float64)).pow(2).sum().backward()
        opt.step()
    model.eval()
    ours = chainrule_model()
    ours.load_state_dict(cr.load(torch_bytes(model.state_dict())))
    ours.eval()
    x = np.random.default_rng(0).normal(size=(6, 3))
    want = model(torch.from_numpy(x)).detach().numpy()
    got = ours(cr.tensor(x, dtype=cr.float64))._data
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ours[1].num_batches_tracked._data, 3)


def test_adam_state_dict():
    model = torch_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(8, 3, dtype=torch.float64)).pow(2).sum().backward()
        opt.step()
    sd = opt.state_dict()
    got = cr.load(torch_bytes(sd))
    assert_matches_torch(got, sd)
    assert got["state"][0]["step"]._data.dtype == np.float32 and got["state"][0]["step"].item() \
        == 3.0
    assert got["param_groups"][0]["betas"] == (0.9, 0.999)


def test_parameters_sizes_devices_dtypes_bfloat16_and_bytes():
    obj = {"p": torch.nn.Parameter(torch.ones(2, 2)), "frozen": torch.nn.Parameter(
        torch.ones(1), requires_grad=False), "grad": torch.ones(3, requires_grad=True),
        "size": torch.Size([2, 3]), "device": torch.device("cpu"), "dtype": torch.float64,
        "bytes": b"\x00\xff", "set": {1, 2}, "complex": 1 + 2j, "nested": [(1, [2.5, None])]}
    got = cr.load(torch_bytes(obj))
    assert isinstance(got["p"], cr.nn.Parameter) and got["p"].requires_grad
    assert isinstance(got["frozen"], cr.nn.Parameter) and not got["frozen"].requires_grad
    assert got["grad"].requires_grad and got["grad"].is_leaf
    assert got["size"] == (2, 3) and str(got["device"]) == "cpu" and got["dtype"] == np.float64
    assert got["bytes"] == b"\x00\xff" and got["set"] == {1, 2} and got["complex"] == 1 + 2j
    assert got["nested"] == [(1, [2.5, None])]
    bf = torch.tensor([1.5, -2.25, 3e38, 1e-30]).to(torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16 tensors are read as float32"):
        got = cr.load(torch_bytes({"bf": bf}))
    np.testing.assert_array_equal(got["bf"]._data, bf.float().numpy())


def test_map_location_for_tensors_saved_elsewhere():
    data = rewrite(torch_bytes({"w": torch.ones(2)}), lambda name, raw: raw.replace(
        b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")).getvalue()
    assert b"cuda:0" in data
    with pytest.raises(RuntimeError, match="saved on 'cuda:0'.*map_location='cpu'"):
        cr.load(io.BytesIO(data))
    for where in ["cpu", {"cuda:0": "cpu"}, lambda storage, loc: storage,
                  torch.device("cpu")]:
        np.testing.assert_array_equal(cr.load(io.BytesIO(data), map_location=where)["w"]._data,
                                      [1.0, 1.0])
    with pytest.raises(RuntimeError, match="cuda"):
        cr.load(io.BytesIO(data), map_location=lambda storage, loc: None)
    with pytest.raises(RuntimeError, match="cuda"):
        cr.load(torch_bytes({"w": torch.ones(2)}), map_location=torch.device("cuda"))


def test_big_endian_files():
    def big(name, raw):
        if name.endswith("byteorder"):
            return b"big"
        if "/data/" in name:
            dtype = "f4" if name.endswith("/0") else "i8"
            return np.frombuffer(raw, dtype="<" + dtype).astype(">" + dtype).tobytes()
        return raw

    got = cr.load(rewrite(torch_bytes({"w": torch.arange(4.0), "i": torch.arange(3)}), big))
    np.testing.assert_array_equal(got["w"]._data, [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(got["i"]._data, [0, 1, 2])
    assert got["w"]._data.dtype.isnative


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_legacy_files_are_read_as_torch_load_reads_them(tmp_path):
    """PyTorch's pre-1.6 format (still written with _use_new_zipfile_serialization=False):
    the same tensors as torch.load, shared storages and views included, nothing unpickled."""
    path = tmp_path / "legacy.pt"
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    state = {"w": base, "view": base[1:, ::2], "i": torch.tensor([1, 2], dtype=torch.int64),
             "nested": [torch.ones(2, dtype=torch.float64), {"b": torch.tensor(True)}]}
    torch.save(state, path, _use_new_zipfile_serialization=False)
    got = cr.load(path)
    expected = torch.load(path, weights_only=True)
    np.testing.assert_array_equal(got["w"].numpy(), expected["w"].numpy())
    np.testing.assert_array_equal(got["view"].numpy(), expected["view"].numpy())
    np.testing.assert_array_equal(got["i"].numpy(), expected["i"].numpy())
    assert got["i"].dtype == cr.int64 and got["nested"][0].dtype == cr.float64
    np.testing.assert_array_equal(got["nested"][0].numpy(), [1.0, 1.0])
    assert bool(got["nested"][1]["b"].item()) is True


def test_torchscript_and_raw_pickle_files_are_refused(tmp_path):
    script = tmp_path / "script.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), script)
    with pytest.raises(SerializationError, match="script.pt.*TorchScript"):
        cr.load(script)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    with pytest.raises(SerializationError, match="raw.pkl"):
        cr.load(raw)
