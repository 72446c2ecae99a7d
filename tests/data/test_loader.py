"""Dataset, TensorDataset, Subset, random_split and DataLoader: batching, drop_last, seeded
reshuffling, every sample once per epoch, dtypes, the fast path and the per-sample path."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from chainrule.data import transforms as T


def make(n=10, features=3):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    y = (np.arange(n) % 4).astype(np.uint8)
    return x, y


class CountingTensorDataset(TensorDataset):
    item_calls = 0
    batch_calls = 0

    def __getitem__(self, index):
        CountingTensorDataset.item_calls += 1
        return super().__getitem__(index)

    def get_batch(self, indices):
        CountingTensorDataset.batch_calls += 1
        return super().get_batch(indices)


class Squares(Dataset):
    """A generic dataset: no get_batch, samples made one at a time."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full((2, 2), i * i, dtype=np.float32), i


def test_tensor_dataset():
    x, y = make()
    ds = TensorDataset(cr.tensor(x), y)
    assert len(ds) == 10
    assert all(isinstance(t, cr.Tensor) and np.shares_memory(t.numpy(), a)
               for t, a in zip(ds.tensors, ds.arrays))
    xi, yi = ds[3]                    # Tensors, as torch.utils.data.TensorDataset gives
    assert isinstance(xi, cr.Tensor) and isinstance(yi, cr.Tensor)
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == y[3] and yi.dtype == np.int64      # NumPy labels (uint8) stored as int64
    with pytest.raises(ValueError, match=r"same length along axis 0, got lengths \[10, 9\]"):
        TensorDataset(x, y[:9])
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float32(1))


@pytest.mark.parametrize("n,bs,drop_last,sizes", [
    (10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (8, 4, True, [4, 4]), (3, 5, False, [3]),
    (3, 5, True, []), (10, 1, False, [1] * 10)])
def test_batch_sizes_and_len(n, bs, drop_last, sizes):
    x, y = make(n)
    loader = DataLoader(TensorDataset(x, y), batch_size=bs, drop_last=drop_last)
    got = [len(xb) for xb, _ in loader]
    assert got == sizes and len(loader) == len(sizes)


def test_sequential_order_dtypes_and_tensors():
    x, y = make(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    for xb, yb in batches:
        assert isinstance(xb, cr.Tensor) and isinstance(yb, cr.Tensor)
        assert xb.dtype == np.float32 and yb.dtype == np.int64 and not xb.requires_grad
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    # uint8 images stay uint8 (as stored), float64 stays float64
    imgs = np.zeros((4, 2, 2), np.uint8)
    xb, yb = next(iter(DataLoader(TensorDataset(imgs, np.arange(4, dtype=np.int32)),
                                  batch_size=4)))
    assert xb.dtype == np.uint8 and yb.dtype == np.int64
    xb, = next(iter(DataLoader(TensorDataset(np.zeros((3, 2))), batch_size=2)))
    assert xb.dtype == np.float64


def test_shuffle_every_sample_once_per_epoch_and_new_order_each_epoch():
    x, y = make(23)
    loader = DataLoader(TensorDataset(x, np.arange(23)), batch_size=5, shuffle=True, seed=7)
    orders = []
    for _ in range(3):
        order = np.concatenate([yb.numpy() for _, yb in loader])
        assert sorted(order.tolist()) == list(range(23))
        orders.append(order)
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    # inputs and labels stay paired
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])


def test_drop_last_with_shuffle_serves_distinct_samples():
    x, _ = make(10)
    loader = DataLoader(TensorDataset(np.arange(10)), batch_size=3, shuffle=True, drop_last=True,
                        seed=0)
    seen = np.concatenate([b.numpy() for b, in loader])
    assert len(seen) == 9 and len(set(seen.tolist())) == 9


def test_seeded_shuffling_is_reproducible_and_resumable():
    ds = TensorDataset(np.arange(50))

    def epochs(loader, k):
        return [np.concatenate([b.numpy() for b, in loader]) for _ in range(k)]

    a = epochs(DataLoader(ds, batch_size=8, shuffle=True, seed=3), 3)
    b = epochs(DataLoader(ds, batch_size=8, shuffle=True, seed=3), 3)
    c = epochs(DataLoader(ds, batch_size=8, shuffle=True, seed=4), 1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    # resuming at epoch 2 replays the order of an uninterrupted run
    resumed = DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    resumed.set_epoch(2)
    np.testing.assert_array_equal(epochs(resumed, 1)[0], a[2])
    fresh = DataLoader(ds, batch_size=8, shuffle=True, seed=99)
    state = DataLoader(ds, batch_size=8, shuffle=True, seed=3).state_dict()
    state["epoch"] = 1
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(epochs(fresh, 1)[0], a[1])
    np.testing.assert_array_equal(resumed.order(0), a[0])


def test_seed_none_follows_manual_seed_and_generator_seed():
    ds = TensorDataset(np.arange(30))
    cr.manual_seed(5)
    a = np.concatenate([b.numpy() for b, in DataLoader(ds, batch_size=30, shuffle=True)])
    cr.manual_seed(5)
    b = np.concatenate([b.numpy() for b, in DataLoader(ds, batch_size=30, shuffle=True)])
    np.testing.assert_array_equal(a, b)
    g1 = DataLoader(ds, shuffle=True, seed=np.random.default_rng(1)).order()
    g2 = DataLoader(ds, shuffle=True, seed=np.random.default_rng(1)).order()
    np.testing.assert_array_equal(g1, g2)
    with pytest.raises(TypeError, match="seed must be"):
        DataLoader(ds, seed="abc")


def test_fast_path_takes_whole_batches_without_per_item_calls():
    x, y = make(100)
    ds = CountingTensorDataset(x, y)
    CountingTensorDataset.item_calls = CountingTensorDataset.batch_calls = 0
    loader = DataLoader(ds, batch_size=32, shuffle=True, seed=0)
    assert loader.fast
    assert sum(len(b) for b, _ in loader) == 100
    assert CountingTensorDataset.item_calls == 0 and CountingTensorDataset.batch_calls == 4
    # through a Subset too
    sub = Subset(ds, np.arange(0, 100, 2))
    CountingTensorDataset.batch_calls = 0
    xb, yb = next(iter(DataLoader(sub, batch_size=50)))
    np.testing.assert_array_equal(xb.numpy(), x[::2])
    assert CountingTensorDataset.item_calls == 0 and CountingTensorDataset.batch_calls == 1


def test_generic_dataset_uses_per_sample_collate():
    loader = DataLoader(Squares(7), batch_size=3)
    assert not loader.fast
    batches = list(loader)
    assert [tuple(b[0].shape) for b in batches] == [(3, 2, 2), (3, 2, 2), (1, 2, 2)]
    assert batches[1][1].dtype == np.int64 and batches[1][1].tolist() == [3, 4, 5]
    assert batches[1][0].numpy()[2, 0, 0] == 25 and batches[1][0].dtype == np.float32


def test_default_collate_structures():
    out = default_collate([{"a": 1.5, "b": np.ones(2)}, {"a": 2.5, "b": np.zeros(2)}])
    assert out["a"].dtype == np.float64 and out["b"].shape == (2, 2)     # PyTorch's float64
    out = default_collate([(cr.tensor([1.0, 2.0]), True), (cr.tensor([3.0, 4.0]), False)])
    assert out[0].shape == (2, 2) and out[1].dtype == np.bool_
    with pytest.raises(ValueError, match=r"different shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="different numbers of fields"):
        default_collate([(1, 2), (1,)])


def test_collate_fn_forces_per_sample_path():
    x, y = make(6)
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return default_collate(samples)

    loader = DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=collate)
    assert not loader.fast
    assert [len(b[0]) for b in loader] == [4, 2] and seen == [4, 2]


def test_transform_applies_to_whole_input_batches():
    x = np.full((6, 1, 4, 4), 255, np.uint8)
    calls = []

    def record(batch):
        calls.append(batch.shape)
        return batch

    loader = DataLoader(TensorDataset(x, np.arange(6)), batch_size=4,
                        transform=T.Compose([T.Lambda(record), T.ToFloat(),
                                             T.Normalize(0.5, 0.5)]),
                        target_transform=lambda t: t + 10)
    xb, yb = next(iter(loader))
    assert calls == [(4, 1, 4, 4)]
    assert xb.dtype == np.float32 and np.allclose(xb.numpy(), 1.0)
    assert yb.tolist() == [10, 11, 12, 13] and yb.dtype == np.int64
    # a single-array dataset: the transform gets that array
    xb, = next(iter(DataLoader(TensorDataset(x), batch_size=2, transform=T.ToFloat())))
    assert xb.dtype == np.float32


def test_loader_errors_and_repr():
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(TypeError, match="must define __len__ and __getitem__"):
        DataLoader(object())
    assert "fast path" in repr(DataLoader(TensorDataset(np.zeros(3)), batch_size=2))


def test_subset_and_random_split():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [9, 2, 4])
    assert len(sub) == 3 and sub[0][0] == 9
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        Subset(ds, [10])
    parts = random_split(ds, [0.7, 0.2, 0.1], seed=0)
    assert [len(p) for p in parts] == [7, 2, 1]
    everything = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    assert everything == list(range(10))
    again = random_split(ds, [0.7, 0.2, 0.1], generator=np.random.default_rng(0))
    for p, q in zip(parts, again):
        np.testing.assert_array_equal(p.indices, q.indices)
    parts = random_split(TensorDataset(np.arange(11)), [0.5, 0.5], generator=1)
    assert [len(p) for p in parts] == [6, 5]          # the remainder goes to the first split
    assert [len(p) for p in random_split(ds, [3, 7], seed=2)] == [3, 7]
    with pytest.raises(ValueError, match="sum to 9, but the dataset has 10"):
        random_split(ds, [3, 6])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.4])
    with pytest.raises(TypeError, match="generator must be"):
        random_split(ds, [5, 5], generator="x")
    # the splits keep the fast path
    assert DataLoader(parts[0], batch_size=2).fast
