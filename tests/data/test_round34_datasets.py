"""IterableDataset, ChainDataset, ConcatDataset, StackDataset, get_worker_info, default_convert
and the DataLoader over iterable-style datasets, against torch.utils.data on the same data: the
same batches (values and dtypes), lengths, random streams, warnings and errors.

Each dataset is built twice by a factory taking the library (``L`` = ``torch`` or ``chainrule``)
so that both loaders read the same thing. PyTorch's workers are real processes; chainrule's are
emulated in-process, and must give the same batches in the same order with the same random
numbers."""
from __future__ import annotations

import collections
import math
import random
import types
import warnings
from collections.abc import Mapping

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.utils.data as crd
from chainrule.data.loader import collate_arrays

LIBS = {"torch": (torch, tud), "chainrule": (cr, crd)}
# PyTorch's advice about more worker processes than cores (its workers are real processes)
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")


# --------------------------------------------------------------------------- helpers
def plain(x, exact: bool = False):
    """A library-neutral form of a batch: Tensors → (dtype name, values). With ``exact`` the
    container types are kept (namedtuple/tuple/list/dict subclass), else tuples and lists are
    both "seq" (the loader's own collation gives tuples where PyTorch's gives lists)."""
    if isinstance(x, (cr.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).replace("torch.", ""), x.tolist())
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    if isinstance(x, Mapping):
        kind = type(x).__name__ if exact else "map"
        return (kind, {k: plain(v, exact) for k, v in x.items()})
    if isinstance(x, (tuple, list)):
        kind = type(x).__name__ if exact else "seq"
        return (kind, [plain(v, exact) for v in x])
    return x


def both(make, **loader_kwargs):
    """(chainrule's batches, PyTorch's) of ``make(L)`` read by each library's DataLoader."""
    out = []
    for name in ("chainrule", "torch"):
        lib, data = LIBS[name]
        out.append([plain(b) for b in data.DataLoader(make(name), **loader_kwargs)])
    return out


def same_error(fn):
    """Run ``fn(name)`` for both libraries; return both exceptions (same type asserted)."""
    errors = []
    for name in ("chainrule", "torch"):
        with pytest.raises(Exception) as info:
            fn(name)
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1]), errors
    return errors


def count_stream(name, n, with_len=True, reported=None):
    """An IterableDataset yielding ``(i, [i, i²] as float64)`` for i < n."""
    _, data = LIBS[name]

    class Count(data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            for i in range(self.n):
                yield i, np.array([i, i * i], dtype=np.float64)

    if with_len:
        Count.__len__ = lambda self: self.n if reported is None else reported
    return Count(n)


def range_stream(name, start, end, shard=True, extra=None):
    """PyTorch's documented example: range(start, end), split between workers when ``shard``
    (via get_worker_info in __iter__); ``extra(lib)`` adds random draws to each sample."""
    lib, data = LIBS[name]

    class Range(data.IterableDataset):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            lo, hi = self.start, self.end
            info = data.get_worker_info()
            if shard and info is not None:
                per = int(math.ceil((hi - lo) / float(info.num_workers)))
                lo = self.start + info.id * per
                hi = min(lo + per, self.end)
            for i in range(lo, hi):
                yield (i,) if extra is None else (i, *extra(lib))

    return Range(start, end)


def pair(name, n, offset=0):
    x = np.arange(offset, offset + 3 * n, dtype=np.float32).reshape(n, 3)
    y = np.arange(offset, offset + n, dtype=np.int64)
    lib, data = LIBS[name]
    if name == "torch":
        return data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return data.TensorDataset(x, y)


def squares(name, n, offset=0):
    """A map-style dataset without get_batch (chainrule's per-sample path)."""
    _, data = LIBS[name]

    class Squares(data.Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            if not 0 <= i < n:
                raise IndexError(i)
            v = offset + i
            return np.array([v, v * v], dtype=np.float32), np.int64(v)

    return Squares()


def per_sample(name, dataset):
    """``dataset`` behind a plain Dataset (no get_batch: chainrule reads it sample by sample)."""
    _, data = LIBS[name]

    class PerSample(data.Dataset):
        def __len__(self):
            return len(dataset)

        def __getitem__(self, i):
            return dataset[i]

    return PerSample()


# --------------------------------------------------------------------------- iterable loader
@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 17), batch_size=st.one_of(st.none(), st.integers(1, 6)),
       drop_last=st.booleans(), with_len=st.booleans())
def test_iterable_loader_batches_and_len_match_torch(n, batch_size, drop_last, with_len):
    if batch_size is None and drop_last:
        drop_last = False
    kwargs = dict(batch_size=batch_size, drop_last=drop_last)
    mine, theirs = both(lambda L: count_stream(L, n, with_len), **kwargs)
    assert mine == theirs
    if batch_size is None:      # samples through default_convert: the tuple becomes a list
        assert all(b[0] == "list" for b in
                   (plain(s, exact=True) for s in crd.DataLoader(count_stream("chainrule", n),
                                                                 batch_size=None)))
    if with_len:
        a = crd.DataLoader(count_stream("chainrule", n), **kwargs)
        b = tud.DataLoader(count_stream("torch", n), **kwargs)
        assert len(a) == len(b)
    else:
        same_error(lambda L: len(LIBS[L][1].DataLoader(count_stream(L, n, False), **kwargs)))


def test_iterable_loader_of_dicts_and_custom_collate():
    def make(name):
        _, data = LIBS[name]

        class Records(data.IterableDataset):
            def __iter__(self):
                for i in range(5):
                    yield {"x": np.full(2, i, np.float64), "y": np.int64(i)}

        return Records()

    mine, theirs = both(make, batch_size=2)
    assert mine == theirs and len(mine) == 3
    mine, theirs = both(make, batch_size=None)
    assert mine == theirs and mine[0][1]["y"][1] == "int64"
    mine, theirs = both(make, batch_size=3, collate_fn=lambda s: len(s))
    assert mine == theirs == [3, 2]
    mine, theirs = both(make, batch_size=None, collate_fn=lambda s: sorted(s))
    assert mine == theirs == [("seq", ["x", "y"])] * 5


def test_iterable_loader_refuses_what_torch_refuses():
    def build(L, **kwargs):
        return LIBS[L][1].DataLoader(count_stream(L, 4), **kwargs)

    for kwargs, words in [(dict(shuffle=True), "expected unspecified shuffle option"),
                          (dict(batch_size=None, drop_last=True), "mutually exclusive"),
                          (dict(persistent_workers=True), "needs num_workers > 0")]:
        errors = same_error(lambda L, kwargs=kwargs: build(L, **kwargs))
        assert isinstance(errors[0], ValueError) and words in str(errors[0])
        assert words in str(errors[1])
    errors = same_error(lambda L: build(L, sampler=[0, 1]))
    assert isinstance(errors[0], ValueError)
    assert all("expected unspecified sampler option" in str(e) for e in errors)
    errors = same_error(lambda L: build(L, batch_sampler=[[0, 1]]))
    assert all("expected unspecified batch_sampler option" in str(e) for e in errors)
    # shuffle=False and None are accepted, as in PyTorch
    for shuffle in (False, None):
        assert len(build("chainrule", shuffle=shuffle)) == len(build("torch", shuffle=shuffle))


def test_iterable_dataset_len_and_add():
    errors = same_error(lambda L: len(count_stream(L, 3, with_len=False)))
    assert isinstance(errors[0], TypeError) and str(errors[0]) == str(errors[1])
    for name in LIBS:
        _, data = LIBS[name]
        chained = count_stream(name, 2) + count_stream(name, 3)
        assert isinstance(chained, data.ChainDataset) and len(chained) == 5
        assert [s[0] for s in chained] == [0, 1, 0, 1, 2]
    mine, theirs = both(lambda L: count_stream(L, 2) + count_stream(L, 3), batch_size=2)
    assert mine == theirs


def test_chain_dataset_refuses_map_style_members_when_reached():
    def chain(L):
        return LIBS[L][1].ChainDataset([count_stream(L, 2), pair(L, 3)])

    for name in LIBS:
        ds = chain(name)            # accepted at construction, as in PyTorch
        it = iter(ds)
        assert [next(it)[0] for _ in range(2)] == [0, 1]
    errors = same_error(lambda L: list(chain(L)))
    assert isinstance(errors[0], AssertionError)
    assert all("ChainDataset only supports IterableDataset" in str(e) for e in errors)
    errors = same_error(lambda L: len(chain(L)))
    assert isinstance(errors[0], AssertionError)
    # a map-style dataset plus an iterable one: ConcatDataset refuses the stream
    errors = same_error(lambda L: pair(L, 2) + count_stream(L, 2))
    assert all("ConcatDataset does not support IterableDataset" in str(e) for e in errors)


def test_len_warning_is_pytorchs_rule():
    """PyTorch warns once per batch served beyond the dataset's reported length, and only when
    len(loader) was asked for (it compares batches with samples, as PyTorch does)."""
    def warnings_of(L, batch_size, ask_len):
        loader = LIBS[L][1].DataLoader(count_stream(L, 6, reported=2), batch_size=batch_size)
        if ask_len:
            len(loader)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            n = len(list(loader))
        messages = [str(w.message) for w in caught
                    if "Length of IterableDataset" in str(w.message)]
        return n, messages

    for batch_size, ask_len in [(1, True), (1, False), (2, True), (4, True), (None, True)]:
        (n1, mine), (n2, theirs) = (warnings_of(L, batch_size, ask_len)
                                     for L in ("chainrule", "torch"))
        assert n1 == n2 and len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            for words in ("was reported to be 2", "samples have been fetched"):
                assert words in a and words in b
    assert len(warnings_of("chainrule", 1, True)[1]) == 4


# --------------------------------------------------------------------------- workers
def test_get_worker_info_is_none_in_the_main_process():
    assert crd.get_worker_info() is None
    loader = crd.DataLoader(pair("chainrule", 4), batch_size=2, num_workers=2)
    seen = []

    class Probe(crd.Dataset):      # map-style: read in this process, no worker
        def __len__(self):
            return 3

        def __getitem__(self, i):
            seen.append(crd.get_worker_info())
            return np.int64(i)

    list(loader)
    list(crd.DataLoader(Probe(), batch_size=2, num_workers=2))
    assert seen == [None] * 3 and crd.get_worker_info() is None


@pytest.mark.parametrize("num_workers", [1, 2, 3, 5])
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (2, False), (2, True), (None, False)])
@pytest.mark.parametrize("shard", [True, False])
def test_workers_give_torchs_batches_in_torchs_order(num_workers, batch_size, drop_last, shard):
    mine, theirs = both(lambda L: range_stream(L, 3, 14, shard=shard), batch_size=batch_size,
                        drop_last=drop_last, num_workers=num_workers)
    assert mine == theirs


def test_worker_init_fn_configures_each_replica():
    """PyTorch's second documented pattern: worker_init_fn narrows each worker's replica,
    leaving the main process's dataset as it was."""
    def init(L):
        data = LIBS[L][1]

        def worker_init_fn(worker_id):
            info = data.get_worker_info()
            ds = info.dataset
            per = int(math.ceil((ds.end - ds.start) / float(info.num_workers)))
            ds.start = ds.start + worker_id * per
            ds.end = min(ds.start + per, ds.end)
        return worker_init_fn

    results = {}
    for L in LIBS:
        ds = range_stream(L, 3, 11, shard=False)
        loader = LIBS[L][1].DataLoader(ds, num_workers=3, worker_init_fn=init(L), batch_size=2)
        results[L] = [plain(b) for b in loader]
        assert (ds.start, ds.end) == (3, 11)
    assert results["chainrule"] == results["torch"]


def test_worker_random_streams_match_torch_and_spare_the_main_process():
    """Each worker is seeded as PyTorch seeds its processes (base seed + id for the default
    generator and Python's random, SeedSequence words for NumPy's global), and the main
    process's generators are left as PyTorch leaves them."""
    def draws(lib):
        return (np.float64(lib.rand(()).item()), np.float64(random.random()),
                np.float64(np.random.rand()))

    results = {}
    for L in LIBS:
        lib, data = LIBS[L]
        lib.manual_seed(1234)
        random.seed(7)
        np.random.seed(7)
        infos = []

        def init(worker_id, data=data, infos=infos):
            info = data.get_worker_info()
            infos.append((info.id, info.num_workers, info.seed, type(info.dataset).__name__))

        ds = range_stream(L, 0, 7, extra=draws)
        loader = data.DataLoader(ds, batch_size=2, num_workers=3, worker_init_fn=init)
        batches = [plain(b) for b in loader]
        after = (lib.rand(3).tolist(), random.random(), np.random.rand())
        results[L] = (batches, after, infos)
    mine, theirs = results["chainrule"], results["torch"]
    assert mine[0] == theirs[0]
    assert mine[1] == theirs[1]
    # the infos come back from torch's processes only through init's side effects in them, so
    # check chainrule's against the seeds PyTorch's rule gives
    torch.manual_seed(1234)
    base = int(torch.empty((), dtype=torch.int64).random_().item())
    assert mine[2] == [(k, 3, base + k, "Range") for k in range(3)]
    assert crd.get_worker_info() is None


def test_worker_seeds_from_the_loaders_generator():
    """generator= gives the base seed (PyTorch's draw from it); the global stream is untouched."""
    def run(L):
        lib, data = LIBS[L]
        lib.manual_seed(8)
        gen = lib.Generator().manual_seed(21)
        ds = range_stream(L, 0, 4, extra=lambda lib: (np.float64(lib.rand(()).item()),))
        batches = [plain(b) for b in data.DataLoader(ds, batch_size=2, num_workers=2,
                                                    generator=gen)]
        return batches, lib.rand(2).tolist(), lib.rand(2, generator=gen).tolist()

    assert run("chainrule") == run("torch")


def test_seeded_mode_workers_are_reproducible_and_spare_the_global_stream():
    def run():
        cr.manual_seed(0)
        ds = range_stream("chainrule", 0, 6, extra=lambda lib: (np.float64(lib.rand(()).item()),))
        loader = crd.DataLoader(ds, batch_size=2, num_workers=2, seed=17)
        return [[plain(b) for b in loader] for _ in range(2)], cr.rand(2).tolist()

    (first, after), (again, after_again) = run(), run()
    assert first == again and after == after_again and first[0] != first[1]
    cr.manual_seed(0)
    assert after == cr.rand(2).tolist()


def test_workers_replicate_a_dataset_that_cannot_be_deep_copied():
    import threading

    class Locked(crd.IterableDataset):
        def __init__(self):
            self.lock = threading.Lock()        # deepcopy refuses a lock: a shallow replica

        def __iter__(self):
            with self.lock:
                info = crd.get_worker_info()
            yield np.int64(info.id)

    ds = Locked()
    assert [b.tolist() for b in crd.DataLoader(ds, batch_size=None, num_workers=3)] == [0, 1, 2]


def test_worker_info_is_read_only_and_describes_the_replica():
    seen = []

    class Look(crd.IterableDataset):
        def __iter__(self):
            info = crd.get_worker_info()
            seen.append(info)
            yield info.id

    ds = Look()
    assert [b.tolist() for b in crd.DataLoader(ds, num_workers=2)] == [[0], [1]]
    assert [i.id for i in seen] == [0, 1] and all(i.num_workers == 2 for i in seen)
    assert all(i.dataset is not ds and type(i.dataset) is Look for i in seen)
    assert seen[0].dataset is not seen[1].dataset
    with pytest.raises(AttributeError):
        seen[0].id = 5


def test_persistent_workers_keep_replicas_and_streams_across_epochs():
    """With persistent workers PyTorch draws the base seed once, runs worker_init_fn once and
    keeps each worker's replica and random state; a new epoch restarts the replicas' streams."""
    def run(L):
        lib, data = LIBS[L]
        lib.manual_seed(99)
        ds = range_stream(L, 0, 5, extra=lambda lib: (np.float64(lib.rand(()).item()),))
        loader = data.DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True)
        epochs = [[plain(b) for b in loader] for _ in range(3)]
        return epochs, lib.rand(2).tolist()

    mine, theirs = run("chainrule"), run("torch")
    assert mine == theirs
    assert mine[0][0] != mine[0][1]         # the workers' streams moved on between epochs


def test_persistent_workers_draw_the_base_seed_once_for_map_style_too():
    def run(L):
        lib, data = LIBS[L]
        lib.manual_seed(5)
        loader = data.DataLoader(pair(L, 6), batch_size=4, shuffle=True, num_workers=1,
                                 persistent_workers=True)
        orders = [[b[1].tolist() for b in loader] for _ in range(3)]
        return orders, lib.rand(2).tolist()

    assert run("chainrule") == run("torch")


def test_worker_errors_propagate_with_their_type():
    def make(L):
        _, data = LIBS[L]

        class Broken(data.IterableDataset):
            def __iter__(self):
                yield np.int64(1)
                raise KeyError("boom")

        return Broken()

    for workers in (0, 2):
        errors = same_error(lambda L, w=workers: list(LIBS[L][1].DataLoader(
            make(L), batch_size=2, num_workers=w)))
        assert isinstance(errors[0], KeyError) and "boom" in str(errors[0])
    assert cr.random.default_generator is cr.random.default_generator   # still usable
    assert crd.get_worker_info() is None


# --------------------------------------------------------------------------- ConcatDataset
def test_concat_dataset_indexing_and_sizes_match_torch():
    def make(L):
        return LIBS[L][1].ConcatDataset([pair(L, 3), pair(L, 0), squares(L, 2, 100),
                                         pair(L, 4, 50)])

    mine, theirs = make("chainrule"), make("torch")
    assert len(mine) == len(theirs) == 9
    assert mine.cumulative_sizes == theirs.cumulative_sizes == [3, 3, 5, 9]
    assert crd.ConcatDataset.cumsum([[1, 2], [], [3]]) == tud.ConcatDataset.cumsum([[1, 2], [],
                                                                                   [3]])
    for i in range(-9, 9):
        assert plain(mine[i]) == plain(theirs[i]), i
    assert plain(mine[np.int64(4)]) == plain(theirs[np.int64(4)])
    with pytest.warns(FutureWarning, match="cumulative_sizes"):
        assert mine.cummulative_sizes == [3, 3, 5, 9]


def test_concat_dataset_errors_match_torch():
    def make(L):
        return LIBS[L][1].ConcatDataset([pair(L, 3), pair(L, 2)])

    errors = same_error(lambda L: make(L)[-6])
    assert isinstance(errors[0], ValueError)
    assert all("absolute value of index should not exceed dataset length" in str(e)
               for e in errors)
    errors = same_error(lambda L: make(L)[5])
    assert isinstance(errors[0], IndexError)
    assert "out of range" in str(errors[0]) and "out of range" in str(errors[1])
    errors = same_error(lambda L: LIBS[L][1].ConcatDataset([]))
    assert isinstance(errors[0], AssertionError)
    assert all("should not be an empty iterable" in str(e) for e in errors)
    errors = same_error(lambda L: LIBS[L][1].ConcatDataset([pair(L, 2), count_stream(L, 2)]))
    assert all("ConcatDataset does not support IterableDataset" in str(e) for e in errors)


def test_dataset_add_is_concat():
    for L in LIBS:
        ds = pair(L, 2) + squares(L, 3) + pair(L, 1)
        assert isinstance(ds, LIBS[L][1].ConcatDataset) and len(ds) == 6
    assert plain(list(pair("chainrule", 2) + pair("chainrule", 1, 9))) == plain(
        list(pair("torch", 2) + pair("torch", 1, 9)))


@pytest.mark.parametrize("members", ["tensor", "generic", "mixed", "subset"])
@pytest.mark.parametrize("batch_size,drop_last", [(4, False), (3, True), (1, False), (None, False)])
def test_shuffled_concat_loader_gives_torchs_order(members, batch_size, drop_last):
    """The same manual_seed gives PyTorch's shuffled order over a ConcatDataset, on the fast
    path (TensorDataset members), the per-sample path and a mix, and leaves the generator
    where PyTorch leaves it."""
    def make(L):
        data = LIBS[L][1]
        if members == "tensor":
            parts = [pair(L, 5), pair(L, 0), pair(L, 7, 100), pair(L, 2, 200)]
        elif members == "generic":
            parts = [squares(L, 5), squares(L, 6, 100)]
        elif members == "mixed":
            parts = [per_sample(L, pair(L, 5)), pair(L, 6, 100)]
        else:
            parts = [data.Subset(pair(L, 8), [7, 1, 3]), pair(L, 5, 100)]
        return data.ConcatDataset(parts)

    results = {}
    for L in LIBS:
        lib, data = LIBS[L]
        lib.manual_seed(2024)
        loader = data.DataLoader(make(L), batch_size=batch_size, shuffle=True,
                                 drop_last=drop_last)
        epochs = [[plain(b) for b in loader] for _ in range(2)]
        results[L] = (epochs, len(loader), lib.rand(2).tolist())
    assert results["chainrule"] == results["torch"]
    loader = crd.DataLoader(make("chainrule"), batch_size=4)
    assert loader.fast == (members in ("tensor", "subset"))


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 6), min_size=1, max_size=4),
       data=st.data())
def test_concat_get_batch_equals_per_sample_collation(sizes, data):
    parts = [pair("chainrule", n, 10 * k) for k, n in enumerate(sizes)]
    ds = crd.ConcatDataset(parts)
    n = len(ds)
    if n == 0:
        return
    indices = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=12))
    fast = ds.get_batch(np.asarray(indices))
    slow = collate_arrays([ds[i] for i in indices])
    assert plain(fast, exact=True) == plain(slow, exact=True)
    with pytest.raises(IndexError, match="must lie in"):
        ds.get_batch(np.asarray([n]))


def test_concat_get_batch_only_when_every_member_has_one():
    assert hasattr(crd.ConcatDataset([pair("chainrule", 2)] * 2), "get_batch")
    assert not hasattr(crd.ConcatDataset([pair("chainrule", 2), squares("chainrule", 2)]),
                       "get_batch")
    wide = crd.TensorDataset(np.zeros((2, 5)), np.arange(2))
    ds = crd.ConcatDataset([pair("chainrule", 2), wide])
    with pytest.raises(ValueError, match="different shapes"):
        ds.get_batch(np.arange(4))


# --------------------------------------------------------------------------- StackDataset
def test_stack_dataset_tuple_and_dict_forms_match_torch():
    for form in ("tuple", "dict"):
        def make(L, form=form):
            data = LIBS[L][1]
            if form == "tuple":
                return data.StackDataset(pair(L, 5), squares(L, 5, 10))
            return data.StackDataset(image=pair(L, 5), label=squares(L, 5, 10))

        mine, theirs = make("chainrule"), make("torch")
        assert len(mine) == len(theirs) == 5
        assert isinstance(mine.datasets, type(theirs.datasets))
        for i in range(5):
            assert plain(mine[i], exact=True) == plain(theirs[i], exact=True)
        a, b = both(make, batch_size=2)
        assert a == b and len(a) == 3
        for L in LIBS:
            LIBS[L][0].manual_seed(3)
        a, b = both(make, batch_size=3, shuffle=True)
        assert a == b


def test_stack_dataset_errors_match_torch():
    for build in (lambda L: LIBS[L][1].StackDataset(pair(L, 2), pair(L, 3)),
                  lambda L: LIBS[L][1].StackDataset(a=pair(L, 2), b=pair(L, 3))):
        errors = same_error(build)
        assert isinstance(errors[0], ValueError)
        assert all("size mismatch between datasets" in str(e).lower() for e in errors)
    errors = same_error(lambda L: LIBS[L][1].StackDataset())
    assert all("at least one dataset should be passed" in str(e).lower() for e in errors)
    errors = same_error(lambda L: LIBS[L][1].StackDataset(pair(L, 2), b=pair(L, 2)))
    assert isinstance(errors[0], ValueError)
    assert all("both types are given" in str(e) for e in errors)


def test_stack_dataset_fast_path():
    tuple_ds = crd.StackDataset(pair("chainrule", 6), pair("chainrule", 6, 40))
    dict_ds = crd.StackDataset(a=pair("chainrule", 6), b=pair("chainrule", 6, 40))
    mixed = crd.StackDataset(pair("chainrule", 6), squares("chainrule", 6))
    assert hasattr(tuple_ds, "get_batch") and hasattr(dict_ds, "get_batch")
    assert not hasattr(mixed, "get_batch")
    idx = np.array([5, 0, 3])
    for ds in (tuple_ds, dict_ds):
        assert plain(ds.get_batch(idx), exact=True) == plain(
            collate_arrays([ds[int(i)] for i in idx]), exact=True)
        assert crd.DataLoader(ds, batch_size=2).fast


# --------------------------------------------------------------------------- default_convert
Point = collections.namedtuple("Point", ["x", "y"])


class Frozen(Mapping):
    """An immutable mapping that cannot be built from a dict (default_convert falls back to a
    dict)."""

    def __init__(self, **items):
        self._d = items

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


CONVERT_CASES = [
    0, 1.5, "text", b"bytes", None, True,
    np.array([0, 1]), np.array([[1.5, 2.5]], np.float32), np.array(5), np.arange(3, dtype=np.uint8),
    np.array([True, False]), np.array([1 + 2j], np.complex64), np.array([1], np.uint16),
    np.float32(2.5), np.int16(3), np.bool_(True), np.float64(-1.0),
    np.str_("s"), np.array(["a", "b"]), np.array([b"a"]), np.array([{}, 1], dtype=object),
    (1, np.array([2.0])), [np.array([0, 1]), np.array([2, 3])], Point(np.array(0), 1),
    Point(np.array([1.5]), (np.int64(2), "z")), {"a": np.float64(1), "b": [np.int32(2)]},
    collections.OrderedDict([("k", np.zeros(2))]),
    collections.defaultdict(list, {"k": np.ones(1)}),
    types.MappingProxyType({"m": np.int8(4)}), Frozen(f=np.arange(2)),
    range(3), "", [], (), [[np.float16(1.0)]],
]


@pytest.mark.parametrize("value", CONVERT_CASES, ids=lambda v: type(v).__name__)
def test_default_convert_matches_torch(value):
    mine, theirs = crd.default_convert(value), tud.default_convert(value)
    assert plain(mine, exact=True) == plain(theirs, exact=True)
    assert type(mine) is type(theirs) or isinstance(mine, cr.Tensor)


def test_default_convert_shares_memory_and_keeps_tensors():
    a = np.arange(4.0)
    t = crd.default_convert(a)
    assert isinstance(t, cr.Tensor) and np.shares_memory(t.numpy(), a)
    same = cr.tensor([1.0])
    assert crd.default_convert(same) is same
    strings = np.array(["x"])
    assert crd.default_convert(strings) is strings
    d = collections.defaultdict(int, {"k": np.ones(1)})
    out = crd.default_convert(d)
    assert type(out) is collections.defaultdict and out is not d and out.default_factory is int


def test_default_convert_refuses_what_torch_cannot_hold():
    for value in (np.datetime64("2020-01-01"), np.array([1], dtype="M8[D]"), np.bytes_(b"a"),
                  [np.array([1], dtype=np.longdouble)]):
        errors = same_error(lambda L, value=value: LIBS[L][1].default_convert(value))
        assert isinstance(errors[0], TypeError)
        assert "default_convert" in str(errors[0])


# --------------------------------------------------------------------------- map-style, no batch
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("use_generator", [False, True])
def test_map_style_batch_size_none_matches_torch(shuffle, use_generator):
    results = {}
    for L in LIBS:
        lib, data = LIBS[L]
        lib.manual_seed(11)
        gen = lib.Generator().manual_seed(4) if use_generator else None
        loader = data.DataLoader(pair(L, 5), batch_size=None, shuffle=shuffle, generator=gen)
        samples = [plain(s, exact=True) for s in loader]
        results[L] = (samples, len(loader), lib.rand(2).tolist(),
                      None if gen is None else lib.rand(2, generator=gen).tolist())
    assert results["chainrule"] == results["torch"]
    assert results["chainrule"][0][0][0] == "list"        # a tuple sample becomes a list


def test_map_style_batch_size_none_with_sampler_and_collate_fn():
    def make(L):
        return pair(L, 6)

    mine, theirs = both(make, batch_size=None, sampler=[4, 0, 2])
    assert mine == theirs and len(mine) == 3
    mine, theirs = both(make, batch_size=None, collate_fn=lambda s: len(s))
    assert mine == theirs == [2] * 6
    with pytest.raises(ValueError, match="transform"):
        crd.DataLoader(make("chainrule"), batch_size=None, transform=lambda x: x)
