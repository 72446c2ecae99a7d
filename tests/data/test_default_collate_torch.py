"""``default_collate`` against ``torch.utils.data.default_collate``: the same structure
(dicts, namedtuples, lists for tuples and lists, strings left as lists), Tensors, dtypes (Python
floats float64, ints int64, NumPy values their own) and values; the loader's own batches keep
their structure (tuples) and make one-integer-per-sample batches int64."""
from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr

Pair = collections.namedtuple("Pair", "a b")

BATCHES = {
    "python floats": [1.5, 2.5],
    "python ints": [1, 2, 3],
    "bools": [True, False],
    "tuples": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2.0], [3, 4.0]],
    "numpy int32 scalars": [np.int32(1), np.int32(2)],
    "numpy float64 scalars": [np.float64(1.0), np.float64(2.0)],
    "int32 arrays": [np.array([1, 2], dtype=np.int32)] * 2,
    "float32 arrays": [np.ones((2, 3), dtype=np.float32), np.zeros((2, 3), dtype=np.float32)],
    "dicts": [{"x": 1, "y": [1.0, 2.0]}, {"x": 2, "y": [3.0, 4.0]}],
    "namedtuples": [Pair(1, 2.0), Pair(3, 4.0)],
    "strings": ["a", "b"],
    "nested": [({"k": np.float32(1)}, "s", [1, 2])] * 3,
}


def _plain(value):
    if isinstance(value, (torch.Tensor, cr.Tensor)):
        dtype = str(value.dtype).removeprefix("torch.")
        return ("Tensor", dtype, np.asarray(value.numpy()).tolist())
    if isinstance(value, dict):
        return ("dict", {k: _plain(v) for k, v in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate_matches_pytorch(name):
    batch = BATCHES[name]
    assert _plain(cr.utils.data.default_collate(batch)) == _plain(tud.default_collate(batch))


def test_default_collate_of_tensors():
    batch = [np.arange(3.0), np.arange(3.0) + 1]
    got = cr.utils.data.default_collate([cr.tensor(b) for b in batch])
    expected = tud.default_collate([torch.tensor(b) for b in batch])
    assert _plain(got) == _plain(expected)


def _loader_batches(lib, dataset_for, **options):
    """The first batch of lib's DataLoader as (structure, dtypes, values), library-neutral."""
    batch = next(iter(lib.utils.data.DataLoader(dataset_for(lib), **options)))

    def plain(v):
        if isinstance(v, (list, tuple)):
            return (type(v).__name__, [plain(f) for f in v])
        if isinstance(v, dict):
            return {k: plain(f) for k, f in v.items()}
        return (str(v.dtype).split(".")[-1], v.numpy().tolist())
    return plain(batch)


def _samples(lib):
    class Samples(lib.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return (np.full(2, i, dtype=np.float32), np.int32(i), float(i), i,
                    [lib.tensor([i]), np.uint8(i)], {"a": lib.tensor(i, dtype=lib.int16)})
    return Samples()


def _tensor_dataset(lib):
    x = lib.arange(12.0).reshape(6, 2)
    return lib.utils.data.TensorDataset(x, lib.tensor([0, 1, 2, 0, 1, 2], dtype=lib.int32))


@pytest.mark.parametrize("dataset_for", [_samples, _tensor_dataset])
def test_loader_batches_have_pytorchs_structure_and_dtypes(dataset_for):
    """Batches of tuple samples are lists (nested ones too); dtypes are kept (an int32 label
    stays int32, a Python int becomes int64), on the per-sample and the fast path alike."""
    assert (_loader_batches(cr, dataset_for, batch_size=4)
            == _loader_batches(torch, dataset_for, batch_size=4))


def test_tensor_dataset_of_numpy_labels_stores_int64():
    """chainrule's extension: NumPy arrays in a TensorDataset (PyTorch takes only Tensors);
    1-D integer arrays — class labels — are stored as int64, the dtype the losses expect."""
    ds = cr.utils.data.TensorDataset(np.zeros((4, 2), np.float32), np.arange(4, dtype=np.uint8))
    xb, yb = next(iter(cr.utils.data.DataLoader(ds, batch_size=4)))
    assert xb.dtype == np.float32 and yb.dtype == np.int64 and ds[1][1].dtype == np.int64
