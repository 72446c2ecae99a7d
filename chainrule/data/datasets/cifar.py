"""CIFAR-10 from its "python version" batches, read without executing pickle code.

Returns ``(images, labels)``: images uint8 of shape (N, 3, 32, 32) — channels first, the layout
Conv2d takes and the files' own (each row of a batch is 1024 red, then 1024 green, then 1024 blue
values, row-major); ``images.transpose(0, 2, 3, 1)`` gives (N, 32, 32, 3) for display. Labels are
int64 of shape (N,) in [0, 10), named by :data:`CIFAR10_CLASSES`. N = 50000 for ``split='train'``
(``data_batch_1`` … ``data_batch_5``) and 10000 for ``split='test'`` (``test_batch``).

Each batch is a pickle; it is decoded by :func:`~.safe_pickle.loads`, which builds plain data and
numeric arrays only and refuses a file that asks to call anything else — a tampered batch cannot
run code — and within limits of nesting depth, values and memo references (a small file cannot
make a value that crashes or exhausts whatever walks it); every refusal names the file and is a
ValueError (:class:`~.safe_pickle.UnsafePickleError` / ``PickleFormatError``, also
``pickle.UnpicklingError``, or :class:`DatasetFormatError`). The batches are read from the
folder ``cifar-10-batches-py`` or straight out of the archive ``cifar-10-python.tar.gz`` (never
extracted to disk), looked for in ``root`` (if given),
``$CHAINRULE_DATA/cifar10``, ``$CHAINRULE_DATA/cifar-10-batches-py`` and the user cache
``~/.cache/chainrule/cifar10``. ``download=True`` fetches the archive from its official page into
the cache, verifying its SHA-256.
"""
from __future__ import annotations

import tarfile
from pathlib import Path

from ...backend import xp
from ...serialization.pickle_vm import brief
from . import _common
from ._common import DatasetFormatError, DatasetNotFoundError, cache_dir, format_dirs, search_dirs
from .safe_pickle import loads

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
BATCHES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}


def _field(batch: dict, key: str, name: str):
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    raise DatasetFormatError(f"{name}: a CIFAR batch is a dict with '{key}'; this one has keys "
                             f"{brief(sorted(map(brief, batch)))}")


def parse_batch(raw: bytes, name: str = "<batch>"):
    """Decode one CIFAR-10 batch (the bytes of ``data_batch_1`` etc.) to (images, labels)."""
    batch = loads(raw, name)
    if not isinstance(batch, dict):
        raise DatasetFormatError(f"{name}: a CIFAR batch is a dict, this pickle holds a "
                                 f"{type(batch).__name__}")
    data, labels = _field(batch, "data", name), _field(batch, "labels", name)
    if not isinstance(data, xp.ndarray) or data.dtype != xp.uint8 or data.ndim != 2 \
            or data.shape[1] != 3072:
        what = (f"{data.dtype} array of shape {data.shape}" if isinstance(data, xp.ndarray)
                else type(data).__name__)
        raise DatasetFormatError(f"{name}: 'data' must be a uint8 array of shape (N, 3072), got "
                                 f"a {what}")
    if isinstance(labels, (list, tuple)) and all(type(v) is int for v in labels):
        if labels and (min(labels) < 0 or max(labels) >= 10):   # before int64 could overflow
            raise DatasetFormatError(f"{name}: labels must lie in [0, 10), found values from "
                                     f"{brief(min(labels))} to {brief(max(labels))}")
        labels = xp.asarray(labels, dtype=xp.int64)
    elif not isinstance(labels, xp.ndarray):
        raise DatasetFormatError(f"{name}: 'labels' must be a list of {len(data)} integers, got "
                                 f"{brief(labels)}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(data):
        raise DatasetFormatError(f"{name}: 'labels' must be {len(data)} integers, got "
                                 f"{labels.dtype} of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= 10):
        raise DatasetFormatError(f"{name}: labels must lie in [0, 10), found values from "
                                 f"{int(labels.min())} to {int(labels.max())}")
    return data.reshape(-1, 3, 32, 32), labels.astype(xp.int64)


def read_batch(path):
    """Read one batch file: (images uint8 (N, 3, 32, 32), labels int64 (N,))."""
    path = Path(path)
    return parse_batch(path.read_bytes(), str(path))


def _has_batches(folder: Path, split: str) -> bool:
    return all((folder / b).is_file() for b in BATCHES[split])


def locate(split: str = "train", root=None) -> Path | None:
    """The batch folder or archive holding ``split``, from the first place that has it."""
    for folder in search_dirs("cifar10", root, (FOLDER,)):
        for candidate in (folder, folder / FOLDER):
            if _has_batches(candidate, split):
                return candidate
        if (folder / ARCHIVE).is_file():
            return folder / ARCHIVE
    return None


def _read_archive(path: Path, names) -> dict:
    wanted, out = set(names), {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if base in wanted and member.isfile():
                    out[base] = parse_batch(tar.extractfile(member).read(), f"{path}:{member.name}")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DatasetFormatError(f"{path}: not a readable CIFAR-10 archive ({e})") from None
    missing = sorted(wanted - set(out))
    if missing:
        raise DatasetFormatError(f"{path}: the archive lacks {missing}")
    return out


def load_cifar10(split: str = "train", root=None, download: bool = False):
    """CIFAR-10: ``(images uint8 (N, 3, 32, 32), labels int64 (N,))``; see the module docstring.

    The training pixels ÷255 have per-channel means (0.4914, 0.4822, 0.4465) and standard
    deviations (0.2470, 0.2435, 0.2616).
    """
    if split not in BATCHES:
        raise ValueError(f"load_cifar10: split must be 'train' or 'test', got {split!r}")
    where = locate(split, root)
    if where is None:
        if not download:
            dirs = search_dirs("cifar10", root, (FOLDER,))
            raise DatasetNotFoundError(
                f"cifar10 ({split}): neither the folder {FOLDER}/ with "
                f"{', '.join(BATCHES[split])} nor {ARCHIVE} was found in any of:\n"
                f"{format_dirs(dirs)}\nPut one of them in $CHAINRULE_DATA/cifar10/ (set "
                f"CHAINRULE_DATA), or pass download=True to fetch {ARCHIVE} into "
                f"{cache_dir() / 'cifar10'}.")
        where = _common.download([URL], cache_dir() / "cifar10" / ARCHIVE, SHA256)
    if where.is_dir():
        parts = [read_batch(where / b) for b in BATCHES[split]]
    else:
        batches = _read_archive(where, BATCHES[split])
        parts = [batches[b] for b in BATCHES[split]]
    return (xp.concatenate([p[0] for p in parts]), xp.concatenate([p[1] for p in parts]))
