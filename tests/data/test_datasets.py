"""Dataset readers on small files the tests write (IDX, CIFAR batches, image folders, CSV), the
registry, and the real Fashion-MNIST from Debian's package where it is installed."""
import gzip
import hashlib
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

from chainrule.data import DataLoader
from chainrule.data import datasets as D
from chainrule.data.datasets import _common, cifar, idx, mnist, safe_pickle


# --------------------------------------------------------------------------- IDX
def idx_bytes(array, code=None):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D}
    code = codes[array.dtype] if code is None else code
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_idx_reads_raw_and_gzipped(tmp_path, gz, dtype):
    a = (np.arange(2 * 3 * 4) * 7 - 20).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(a)
    path = tmp_path / ("f.idx.gz" if gz else "f.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    out = idx.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, a)
    out[0, 0, 0] = 1  # writable


def test_idx_gzip_is_recognised_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    path = tmp_path / "labels-no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(idx.read_idx(path), a)


def test_write_idx_round_trip(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    for name in ("x.idx", "x.idx.gz"):
        np.testing.assert_array_equal(idx.read_idx(idx.write_idx(tmp_path / name, a)), a)
    with pytest.raises(TypeError, match="IDX has no type"):
        idx.write_idx(tmp_path / "bad", np.zeros(3, np.uint16))


def test_idx_truncated_data_names_the_file_and_the_expected_size(tmp_path):
    raw = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(raw[:-100])
    with pytest.raises(D.DatasetFormatError) as e:
        idx.read_idx(path)
    msg = str(e.value)
    assert str(path) in msg and "truncated" in msg and "(4, 28, 28)" in msg and "3136" in msg


def test_idx_truncated_header_and_gzip(tmp_path):
    raw = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    path = tmp_path / "short"
    path.write_bytes(raw[:9])
    with pytest.raises(D.DatasetFormatError, match="truncated in the header"):
        idx.read_idx(path)
    path.write_bytes(raw[:2])
    with pytest.raises(D.DatasetFormatError, match="too short"):
        idx.read_idx(path)
    gz = tmp_path / "cut.gz"
    gz.write_bytes(gzip.compress(raw)[:-30])
    with pytest.raises(D.DatasetFormatError, match="truncated") as e:
        idx.read_idx(gz)
    assert str(gz) in str(e.value)


def _bomb(path, shape, zeros: int):
    """A gzip file: an IDX header declaring ``shape`` (uint8), then ``zeros`` zero bytes (which
    compress about a thousandfold)."""
    header = struct.pack(">HBB", 0, 0x08, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        block = bytes(1 << 20)
        for _ in range(zeros >> 20):
            f.write(block)
    return path


def test_idx_gzip_bomb_is_refused_before_inflating(tmp_path):
    """Issue 12: a small gzip file whose header declares gigabytes is refused from its header
    (nothing inflated); one whose stream runs past its declared size is inflated only to that
    size plus one byte, then refused."""
    import time

    huge = _bomb(tmp_path / "huge.gz", (4_000_000, 28, 28), 64 << 20)
    assert huge.stat().st_size < 200_000
    start = time.perf_counter()
    with pytest.raises(D.DatasetFormatError, match="over the .*-byte limit") as e:
        idx.read_idx(huge)
    assert str(huge) in str(e.value) and time.perf_counter() - start < 1.0
    longer = _bomb(tmp_path / "longer.gz", (10, 28, 28), 256 << 20)      # 256 MB inflated
    start = time.perf_counter()
    with pytest.raises(D.DatasetFormatError, match="longer than its header says"):
        idx.read_idx(longer)
    assert time.perf_counter() - start < 1.0            # 7,841 bytes inflated, not 256 MB


def test_idx_wrong_magic_dims_dtype_and_trailing_bytes(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 20)
    with pytest.raises(D.DatasetFormatError, match="bad magic number 0x12340801"):
        idx.read_idx(path)
    path.write_bytes(idx_bytes(np.zeros(3, np.uint8), code=0x07))
    with pytest.raises(D.DatasetFormatError, match="bad magic"):
        idx.read_idx(path)
    path.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8)))
    with pytest.raises(D.DatasetFormatError, match="2 dimensions, expected 3"):
        idx.read_idx(path, ndim=3)
    with pytest.raises(D.DatasetFormatError, match="expected float32"):
        idx.read_idx(path, dtype=np.float32)
    path.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8)) + b"\x00")
    with pytest.raises(D.DatasetFormatError, match="longer than its header says"):
        idx.read_idx(path)
    path.write_bytes(gzip.compress(gzip.compress(idx_bytes(np.zeros(2, np.uint8)))))
    with pytest.raises(D.DatasetFormatError, match="gzipped twice"):
        idx.read_idx(path)


# --------------------------------------------------------------------------- MNIST-style loaders
def write_mnist(folder, n_train=6, n_test=4, gz=True, label_max=9):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = (np.arange(n) % (label_max + 1)).astype(np.uint8)
        stem_i, stem_l = mnist.FILES[split]
        for stem, a in ((stem_i, images), (stem_l, labels)):
            raw = idx_bytes(a)
            (folder / (stem + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz
                                                                  else raw)
        out[split] = (images, labels)
    return out


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """No $CHAINRULE_DATA, an empty cache, and no system folders: a machine without datasets."""
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for source in mnist._SOURCES.values():
        monkeypatch.setitem(source, "system", (tmp_path / "nowhere",))
    return tmp_path


@pytest.mark.parametrize("gz", [True, False])
def test_load_fashion_mnist_from_root(tmp_path, gz):
    written = write_mnist(tmp_path / "fm", gz=gz)
    for split in ("train", "test"):
        x, y = D.load_fashion_mnist(split, root=tmp_path / "fm")
        assert x.dtype == np.uint8 and x.shape == (len(written[split][0]), 28, 28)
        assert y.dtype == np.int64 and y.shape == (len(x),)
        np.testing.assert_array_equal(x, written[split][0])
        np.testing.assert_array_equal(y, written[split][1])
    # root/<name> also counts
    write_mnist(tmp_path / "r" / "mnist", n_train=3)
    assert D.load_mnist("train", root=tmp_path / "r")[0].shape == (3, 28, 28)


def test_lookup_order_env_then_cache(no_data_env, monkeypatch):
    tmp = no_data_env
    write_mnist(tmp / "cache" / "chainrule" / "fashion-mnist", n_train=5)
    assert D.load_fashion_mnist()[0].shape[0] == 5
    write_mnist(tmp / "env" / "fashion-mnist", n_train=7)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp / "env"))
    assert D.load_fashion_mnist()[0].shape[0] == 7           # $CHAINRULE_DATA comes first
    write_mnist(tmp / "env" / "MNIST" / "raw", n_train=2)     # torchvision's layout
    assert D.load_mnist()[0].shape[0] == 2
    assert D.available()["fashion-mnist"] == tmp / "env" / "fashion-mnist"


def test_missing_dataset_gives_install_hint(no_data_env):
    with pytest.raises(D.DatasetNotFoundError) as e:
        D.load_fashion_mnist("test")
    msg = str(e.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "CHAINRULE_DATA" in msg
    assert "t10k-images-idx3-ubyte" in msg and "download=True" in msg
    assert isinstance(e.value, FileNotFoundError)
    assert D.available()["fashion-mnist"] is None and D.available()["mnist"] is None
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        D.load_fashion_mnist("val")


def test_inconsistent_mnist_files_are_errors(tmp_path):
    write_mnist(tmp_path, n_train=13, label_max=12)
    with pytest.raises(D.DatasetFormatError, match=r"labels must lie in \[0, 10\), found 12"):
        D.load_mnist(root=tmp_path)
    write_mnist(tmp_path, n_train=6)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros(5, np.uint8))))
    with pytest.raises(D.DatasetFormatError, match="6 images but .* 5 labels"):
        D.load_mnist(root=tmp_path)


def test_download_verifies_sha256_and_writes_atomically(no_data_env, monkeypatch):
    """The download path, served from file:// URLs (no network)."""
    tmp = no_data_env
    server = tmp / "server"
    write_mnist(server, n_train=4)
    sums = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in server.iterdir()}
    source = mnist._SOURCES["fashion-mnist"]
    monkeypatch.setitem(source, "urls", ("file:///nonexistent/", server.as_uri() + "/"))
    monkeypatch.setitem(source, "sha256", sums)
    x, _ = D.load_fashion_mnist("train", download=True)
    assert x.shape == (4, 28, 28)
    cached = tmp / "cache" / "chainrule" / "fashion-mnist"
    assert sorted(p.name for p in cached.iterdir()) == ["train-images-idx3-ubyte.gz",
                                                        "train-labels-idx1-ubyte.gz"]
    bad = dict(sums, **{"t10k-labels-idx1-ubyte.gz": "0" * 64})
    monkeypatch.setitem(source, "sha256", bad)
    with pytest.raises(OSError, match="SHA-256 .* is not the expected 0000"):
        D.load_fashion_mnist("test", download=True)
    assert not any(p.name.startswith("t10k-labels") for p in cached.iterdir())  # nothing left


def test_real_fashion_mnist():
    if mnist.locate("fashion-mnist", "train") is None or mnist.locate("fashion-mnist",
                                                                      "test") is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install dataset-fashion-mnist)")
    x, y = D.load_fashion_mnist("train")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and y.dtype == np.int64
    assert y.min() == 0 and y.max() == 9 and np.all(np.bincount(y) == 6000)
    # the mean and std of pixels/255, from exact integer sums of x and x²
    n = x.size
    mean = int(x.sum(dtype=np.uint64)) / n / 255
    std = np.sqrt(int(np.square(x, dtype=np.uint16).sum(dtype=np.uint64)) / n / 255**2 - mean**2)
    assert abs(mean - 0.2860) < 5e-4 and abs(std - 0.3530) < 5e-4
    xt, yt = D.get_dataset("fashion-mnist", split="test")
    assert xt.shape == (10000, 28, 28) and xt.dtype == np.uint8 and yt.dtype == np.int64
    assert set(np.unique(yt)) == set(range(10))
    assert len(D.FASHION_MNIST_CLASSES) == 10


# --------------------------------------------------------------------------- CIFAR-10
def cifar_arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
    return data, [int(v) for v in rng.integers(0, 10, n)]


def py3_batch(n, protocol, seed=0):
    data, labels = cifar_arrays(n, seed)
    batch = {b"batch_label": b"training batch", b"labels": labels, b"data": data,
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    return pickle.dumps(batch, protocol=protocol), data, labels


def py2_batch(n, seed=0):
    """A batch pickled the way the original files are (Python 2 cPickle, protocol 2: str keys as
    SHORT_BINSTRING, the array's raw bytes as BINSTRING), written opcode by opcode."""
    data, labels = cifar_arrays(n, seed)

    def s(b):
        if len(b) < 256:
            return b"U" + bytes([len(b)]) + b
        return b"T" + struct.pack("<I", len(b)) + b

    out = b"\x80\x02}q\x01(" + s(b"batch_label") + s(b"training batch 1 of 5")
    out += s(b"labels") + b"]q\x02(" + b"".join(b"K" + bytes([v]) for v in labels) + b"e"
    out += s(b"data") + b"cnumpy.core.multiarray\n_reconstruct\nq\x03cnumpy\nndarray\nq\x04"
    out += b"K\x00\x85" + s(b"b") + b"\x87Rq\x05(K\x01K" + bytes([n]) + b"M\x00\x0c\x86"
    out += b"cnumpy\ndtype\nq\x06" + s(b"u1") + b"K\x00K\x01\x87Rq\x07(K\x03" + s(b"|")
    out += b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" + s(data.tobytes()) + b"tb"
    out += s(b"filenames") + b"]q\x08(" + b"".join(s(f"f{i}.png".encode()) for i in range(n))
    out += b"eu."
    return out, data, labels


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batch_python3_pickles(protocol):
    raw, data, labels = py3_batch(7, protocol)
    x, y = cifar.parse_batch(raw)
    assert x.shape == (7, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(x.reshape(7, -1), data)
    np.testing.assert_array_equal(y, labels)


def test_cifar_batch_python2_pickle_is_read_like_the_original_files():
    raw, data, labels = py2_batch(5)
    ref = pickle.loads(raw, encoding="bytes")          # what the unsafe reader would make
    np.testing.assert_array_equal(ref[b"data"], data)
    got = safe_pickle.loads(raw)
    assert set(got) == set(ref) and got[b"labels"] == labels
    assert got[b"filenames"] == ref[b"filenames"] and got[b"batch_label"] == ref[b"batch_label"]
    x, y = cifar.parse_batch(raw)
    np.testing.assert_array_equal(x.reshape(5, -1), data)
    # channels first: row = 1024 red, 1024 green, 1024 blue values
    np.testing.assert_array_equal(x[:, 1].reshape(5, -1), data[:, 1024:2048])


def write_cifar_folder(folder, n=4):
    folder.mkdir(parents=True)
    expect = {}
    for i, name in enumerate([*cifar.BATCHES["train"], "test_batch"]):
        raw, data, labels = py2_batch(n, seed=i) if i % 2 else py3_batch(n, 2, seed=i)
        (folder / name).write_bytes(raw)
        expect[name] = (data, labels)
    return expect


def test_load_cifar10_from_folder_and_archive(tmp_path, no_data_env, monkeypatch):
    expect = write_cifar_folder(tmp_path / "a" / "cifar-10-batches-py")
    x, y = D.load_cifar10("train", root=tmp_path / "a")
    assert x.shape == (20, 3, 32, 32) and x.dtype == np.uint8 and y.shape == (20,)
    np.testing.assert_array_equal(x[4:8].reshape(4, -1), expect["data_batch_2"][0])
    xt, yt = D.get_dataset("cifar10", split="test", root=tmp_path / "a")
    np.testing.assert_array_equal(yt, expect["test_batch"][1])
    archive = tmp_path / "b" / "cifar10" / cifar.ARCHIVE
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "a" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "b"))
    assert D.available()["cifar10"] == archive
    x2, y2 = D.load_cifar10("train")
    monkeypatch.delenv("CHAINRULE_DATA")
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)
    with pytest.raises(D.DatasetNotFoundError, match="cifar-10-python.tar.gz"):
        D.load_cifar10("train")


class _RunsCode:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


class _Evals:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, protocol):
    marker = tmp_path / "pwned"
    raw = pickle.dumps({b"data": _RunsCode(marker), b"labels": [0]}, protocol=protocol)
    path = tmp_path / "data_batch_1"
    path.write_bytes(raw)
    with pytest.raises(D.UnsafePickleError, match="refusing the global .*system") as e:
        cifar.read_batch(path)
    assert isinstance(e.value, pickle.UnpicklingError)
    assert not marker.exists()
    with pytest.raises(D.UnsafePickleError, match=r"refusing the global (__)?builtin(s|__)\.eval"):
        safe_pickle.loads(pickle.dumps([_Evals()], protocol=protocol))


class _Plain:
    pass


def test_refused_pickle_constructs():
    with pytest.raises(D.UnsafePickleError, match="_Plain"):
        safe_pickle.loads(pickle.dumps(_Plain(), protocol=2))
    # object arrays carry arbitrary pickled objects: refused
    with pytest.raises(D.UnsafePickleError):
        safe_pickle.loads(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2))
    # an allowed name used for something else (numpy.dtype on an object dtype)
    with pytest.raises(D.UnsafePickleError, match="only numeric arrays"):
        safe_pickle.loads(pickle.dumps(np.dtype(object), protocol=2))
    # INST (protocol 0's instance opcode) is not plain data
    with pytest.raises(D.UnsafePickleError, match="opcode INST"):
        safe_pickle.loads(b"(ios\nsystem\nS'echo hi'\no.")
    # a truncated pickle
    raw, _, _ = py3_batch(3, 4)
    with pytest.raises(pickle.UnpicklingError, match="truncated|malformed"):
        safe_pickle.loads(raw[: len(raw) // 2])
    # plain data round-trips
    data = {"a": [1, 2.5, None, True, b"x", "y", (1, (2,))], "b": np.arange(6.0).reshape(2, 3)}
    for protocol in range(6):
        got = safe_pickle.loads(pickle.dumps(data, protocol=protocol))
        assert got["a"] == data["a"]
        np.testing.assert_array_equal(got["b"], data["b"])


def test_cifar_batch_contents_validated():
    raw = pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, protocol=2)
    with pytest.raises(D.DatasetFormatError, match=r"shape \(N, 3072\)"):
        cifar.parse_batch(raw)
    raw = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, protocol=2)
    with pytest.raises(D.DatasetFormatError, match=r"labels must lie in \[0, 10\)"):
        cifar.parse_batch(raw)
    raw = pickle.dumps([1, 2], protocol=2)
    with pytest.raises(D.DatasetFormatError, match="is a dict"):
        cifar.parse_batch(raw)


# --------------------------------------------------------------------------- digits
def test_digits():
    if not D.digits.available():
        pytest.skip("scikit-learn (the 'digits' extra) is not installed")
    x, y = D.load_digits()
    assert x.shape == (1797, 8, 8) and x.dtype == np.uint8 and x.max() == 16
    assert y.shape == (1797,) and y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    xtr, ytr = D.get_dataset("digits", split="train")
    xte, yte = D.load_digits("test")
    assert len(xtr) == 1438 and len(xte) == 359
    # the split is a partition of the whole, the same every time
    rows = {r.tobytes() for r in np.concatenate([xtr, xte]).reshape(1797, -1)}
    assert rows == {r.tobytes() for r in x.reshape(1797, -1)}
    np.testing.assert_array_equal(D.load_digits("test")[1], yte)
    info = D.dataset_info("digits")
    assert info.max_value == 16 and abs((xtr / 16).mean() - info.mean) < 1e-3
    assert D.available()["digits"] == "scikit-learn"


def test_digits_values():
    """Known entries of scikit-learn's digits (its first image is a 0), read without importing
    scikit-learn."""
    if not D.digits.available():
        pytest.skip("scikit-learn (the 'digits' extra) is not installed")
    x, y = D.load_digits()
    assert x[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert y[:10].tolist() == list(range(10)) and np.bincount(y).tolist()[:3] == [178, 182, 177]


def test_digits_without_sklearn(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name.startswith("sklearn") else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        D.load_digits()
    assert D.available()["digits"] is None


# --------------------------------------------------------------------------- image folders
def test_image_folder(tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow (the 'images' extra) is not installed")
    rng = np.random.default_rng(0)
    pictures = {}
    for c, count in (("cat", 3), ("dog", 2)):
        (tmp_path / c).mkdir()
        for i in range(count):
            a = rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)
            Image.fromarray(a).save(tmp_path / c / f"{i}.png")
            pictures[(c, i)] = a
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = D.ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 5 and ds.targets == [0, 0, 0, 1, 1]
    image, label = ds[3]
    assert image.shape == (3, 6, 5) and image.dtype == np.uint8 and label == 1
    np.testing.assert_array_equal(image, pictures[("dog", 0)].transpose(2, 0, 1))
    x, y, classes = D.load_image_folder(tmp_path, mode="L", size=(4, 4))
    assert x.shape == (5, 1, 4, 4) and y.dtype == np.int64 and classes == ("cat", "dog")
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 3, 6, 5) and yb.dtype == np.int64
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DatasetNotFoundError, match="empty"):
        D.ImageFolder(tmp_path)
    (tmp_path / "empty" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(D.DatasetFormatError, match="broken.png"):
        D.ImageFolder(tmp_path)[5]


@pytest.mark.parametrize("limit", [150, 300])     # 400 pixels: over twice the limit, or between
def test_image_decompression_bomb_is_our_error(tmp_path, monkeypatch, limit):
    """Issue 12: Pillow's DecompressionBombError escaped raw (and its warning, for images
    between the limit and twice it, let the image through)."""
    Image = pytest.importorskip("PIL.Image", reason="Pillow (the 'images' extra) is not installed")
    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(D.DatasetFormatError, match=r"big\.png: refused as a possible "
                                                   "decompression bomb"):
        D.image_folder.read_image(path)


# --------------------------------------------------------------------------- CSV
def test_load_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,species\n1.5,2,setosa\n3,4.25,virginica\n5,6,setosa\n")
    x, y, classes = D.load_csv(path, return_classes=True)
    assert x.dtype == np.float32 and x.shape == (3, 2)
    np.testing.assert_allclose(x, [[1.5, 2], [3, 4.25], [5, 6]])
    assert classes == ("setosa", "virginica") and y.tolist() == [0, 1, 0] and y.dtype == np.int64
    path.write_text("a,b,c\n1.5,2,0\n3,4.25,1\n5,6,1\n")
    x, y = D.load_csv(path, label_column="a")          # by name; 1.5 makes it a float target
    assert x.tolist() == [[2, 0], [4.25, 1], [6, 1]]
    assert y.dtype == np.float32 and y.tolist() == [1.5, 3, 5]
    path.write_text("0.5;1;2\n0.25;3;0\n")
    x, y = D.load_csv(path, delimiter=";", label_column=1, dtype=np.float64)
    assert x.dtype == np.float64 and x.tolist() == [[0.5, 2], [0.25, 0]] and y.tolist() == [1, 3]
    x, y = D.load_csv(path, delimiter=";", label_column=None)
    assert x.shape == (2, 3) and y is None
    x, y = D.load_csv(path, delimiter=";", label_column=0)
    assert y.dtype == np.float32                                 # a regression target
    path.write_text("a,b,y\n1,,0\n")
    with pytest.raises(D.DatasetFormatError, match="line 2, column 'b': a missing value"):
        D.load_csv(path)
    path.write_text("1,2,0\n1,2\n")
    with pytest.raises(D.DatasetFormatError, match="line 2: 2 fields, expected 3"):
        D.load_csv(path)
    with pytest.raises(ValueError, match="has no column 'zzz'"):
        path.write_text("a,b,y\n1,2,0\n")
        D.load_csv(path, label_column="zzz")


def test_load_csv_encodings_and_byte_order_mark(tmp_path):
    """Issue 12: a UTF-8 byte-order mark made the first data row of a headerless file look
    like a header (silently dropped); a Latin-1 file raised a bare UnicodeDecodeError."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf1,2,0\n3,4,1\n")
    x, y = D.load_csv(path)
    assert x.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b,esp\u00e8ce\n1,2,caf\u00e9\n3,4,th\u00e9\n".encode("latin-1"))
    with pytest.raises(D.DatasetFormatError) as e:
        D.load_csv(path)
    message = str(e.value)
    assert str(path) in message and "line 1" in message and "encoding=" in message
    x, y, classes = D.load_csv(path, encoding="latin-1", return_classes=True)
    assert classes == ("caf\u00e9", "th\u00e9") and y.tolist() == [0, 1]


@pytest.mark.parametrize("label, words", [("1e30", "too large for an integer label"),
                                          ("inf", "not a finite number"),
                                          ("nan", "not a finite number")])
def test_load_csv_refuses_labels_that_cannot_be_right(tmp_path, label, words):
    """Issue 12: the label 1e30 became -9223372036854775808 without a word."""
    path = tmp_path / "t.csv"
    path.write_text(f"1,2,0\n3,4,{label}\n5,6,1\n")
    with pytest.raises(D.DatasetFormatError, match=f"line 2: label '{label}' is {words}"):
        D.load_csv(path)


def test_load_csv_field_over_the_csv_limit_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1,2,0\n" + "3," + '"' + "4" * 200_000 + '",1\n')
    with pytest.raises(D.DatasetFormatError, match=r"t\.csv, line 2: not readable as CSV"):
        D.load_csv(path)


# --------------------------------------------------------------------------- registry
def test_registry():
    assert D.names() == ["fashion-mnist", "mnist", "digits", "cifar10", "imdb"]
    assert D.names("image") == ["fashion-mnist", "mnist", "digits", "cifar10"]
    assert D.names("text") == ["imdb"]
    with pytest.raises(ValueError) as e:
        D.get_dataset("imagenet")
    assert "valid names: fashion-mnist, mnist, digits, cifar10, imdb" in str(e.value)
    with pytest.raises(ValueError, match=r"splits \['train', 'test'\], not 'validation'"):
        D.get_dataset("fashion-mnist", split="validation")
    info = D.dataset_info("Fashion_MNIST")
    assert info.name == "fashion-mnist" and info.num_classes == 10 and info.in_channels == 1
    assert (info.mean, info.std, info.max_value) == (0.2860, 0.3530, 255)
    assert D.dataset_info("cifar10").in_channels == 3
    assert set(D.available()) == set(D.names())


def test_search_dirs_with_root_only(tmp_path):
    dirs = _common.search_dirs("mnist", tmp_path, ("MNIST/raw",))
    assert dirs == [tmp_path, tmp_path / "mnist", tmp_path / "MNIST/raw"]


def test_safe_unpickler_memo_updates_are_linear():
    """Issue 12 (memo references): every BUILD used to scan the whole memo for the stub it
    replaced, so a pickle of n arrays cost O(n²): 20,000 small arrays (1 MB) took 23 s. Now a
    reverse index makes each BUILD O(1): the same file reads well within the 10 s hang limit
    the fuzzing harness applies."""
    import time

    data = pickle.dumps([np.zeros(1, np.uint8) for _ in range(20000)], protocol=2)
    start = time.perf_counter()
    arrays = safe_pickle.loads(data)
    assert time.perf_counter() - start < 10
    assert len(arrays) == 20000 and all(a.shape == (1,) and a[0] == 0 for a in arrays[:5])
