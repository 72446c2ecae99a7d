"""Which entries ``torch.topk`` picks among ties, on the CPU (used by nn.utils.prune, whose
masks must be PyTorch's bit for bit).

PyTorch's CPU kernel (``aten/src/ATen/native/TopKImpl.h``) fills a queue of (value, index) pairs
and calls ``std::partial_sort`` when 64·k ≤ n, else ``std::nth_element``, with a comparator
that puts NaN first (largest) or last (smallest); the first k pairs are the answer. Among equal
values the choice is whatever libstdc++'s algorithms leave there, so this module replays them:
the heap select of ``partial_sort`` and the introselect of ``nth_element`` (median-of-three
pivot, Hoare partition, insertion sort on ≤ 3 elements), on integer ranks that order the values
as the comparator does. The Hoare partition runs vectorized: its i-th left stop and i-th right
stop are the i-th entries ≥ / ≤ the pivot from either end, until they cross.

When the k-th value is not tied with a value left out, the set is unambiguous and NumPy's
``argpartition`` gives it directly; only ties at the boundary replay the algorithms.
"""
from __future__ import annotations

from ...backend import numpy as np  # host arrays: a sequential replay, not a device kernel


def _ranks(values, largest):
    """Integer keys k with k[i] < k[j] exactly when PyTorch's comparator puts i before j."""
    v = np.asarray(values, dtype=np.float64).ravel()
    nan = np.isnan(v)
    keys = np.empty(v.shape, np.int64)
    uniq, inv = np.unique(v[~nan], return_inverse=True)
    m = len(uniq)
    if largest:     # NaN first, then descending
        keys[~nan] = m - inv
        keys[nan] = 0
    else:           # ascending, NaN last
        keys[~nan] = inv
        keys[nan] = m
    return keys


class _Queue:
    def __init__(self, keys):
        self.k = keys.copy()
        self.i = np.arange(len(keys))

    def swap(self, a, b):
        k, i = self.k, self.i
        k[a], k[b] = k[b], k[a]
        i[a], i[b] = i[b], i[a]


def _median_to_first(q, result, a, b, c):
    k = q.k
    if k[a] < k[b]:
        if k[b] < k[c]:
            q.swap(result, b)
        elif k[a] < k[c]:
            q.swap(result, c)
        else:
            q.swap(result, a)
    elif k[a] < k[c]:
        q.swap(result, a)
    elif k[b] < k[c]:
        q.swap(result, c)
    else:
        q.swap(result, b)


def _partition_pivot(q, first, last):
    mid = first + (last - first) // 2
    _median_to_first(q, first, first + 1, mid, last - 1)
    pivot = q.k[first]
    seg = q.k[first:last]
    left = np.flatnonzero(seg[1:] >= pivot) + first + 1   # where `while comp(*first, pivot)` stops
    right = (np.flatnonzero(seg <= pivot) + first)[::-1]  # where `while comp(pivot, *last)` stops
    m = min(len(left), len(right))
    crossed = np.flatnonzero(left[:m] >= right[:m])
    j = int(crossed[0]) if len(crossed) else m
    if j:
        a, b = left[:j], right[:j]
        q.k[a], q.k[b] = q.k[b].copy(), q.k[a].copy()
        q.i[a], q.i[b] = q.i[b].copy(), q.i[a].copy()
    cut = int(left[j]) if j < len(left) else last
    return min(cut, int(right[j - 1])) if j else cut


def _insertion_sort(q, first, last):
    k, ix = q.k, q.i
    for i in range(first + 1, last):
        vk, vi = k[i], ix[i]
        if vk < k[first]:
            k[first + 1:i + 1] = k[first:i].copy()
            ix[first + 1:i + 1] = ix[first:i].copy()
            k[first], ix[first] = vk, vi
        else:
            j = i
            while vk < k[j - 1]:
                k[j], ix[j] = k[j - 1], ix[j - 1]
                j -= 1
            k[j], ix[j] = vk, vi


def _adjust_heap(q, first, hole, length, vk, vi):
    k, ix = q.k, q.i
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if k[first + child] < k[first + child - 1]:
            child -= 1
        k[first + hole], ix[first + hole] = k[first + child], ix[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        k[first + hole], ix[first + hole] = k[first + child - 1], ix[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and k[first + parent] < vk:
        k[first + hole], ix[first + hole] = k[first + parent], ix[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    k[first + hole], ix[first + hole] = vk, vi


def _make_heap(q, first, last):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(q, first, parent, length, q.k[first + parent], q.i[first + parent])
        if parent == 0:
            return
        parent -= 1


def _heap_select(q, first, middle, last, chunk=4096):
    _make_heap(q, first, middle)
    k, ix = q.k, q.i
    i = middle
    while i < last:
        stop = min(last, i + chunk)
        for j in np.flatnonzero(k[i:stop] < k[first]) + i:
            if k[j] < k[first]:                      # __pop_heap(first, middle, j)
                vk, vi = k[j], ix[j]
                k[j], ix[j] = k[first], ix[first]
                _adjust_heap(q, first, 0, middle - first, vk, vi)
        i = stop


def _introselect(q, first, nth, last, depth):
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last)
            q.swap(first, nth)
            return
        depth -= 1
        cut = _partition_pivot(q, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last)


def topk_indices(values, k: int, largest: bool = True) -> np.ndarray:
    """The indices ``torch.topk(values, k, largest=largest).indices`` holds, as a set (in no
    particular order), for a 1-d array ``values`` on PyTorch's CPU kernel."""
    keys = _ranks(values, largest)
    n = len(keys)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k >= n:
        return np.arange(n)
    kth = np.partition(keys, k - 1)[k - 1]
    if np.count_nonzero(keys <= kth) == k:          # no tie across the boundary
        return np.flatnonzero(keys <= kth)
    q = _Queue(keys)
    if k * 64 <= n:
        _heap_select(q, 0, k, n)
    else:
        _introselect(q, 0, k - 1, n, 2 * (n.bit_length() - 1))
    return q.i[:k].copy()
