"""Conformance entries for the names of issue 16 (data parallelism) that live in the shared
namespaces: the post-accumulate-grad hook DistributedDataParallel relies on (and
``nn.SyncBatchNorm``, whose single-process behaviour is BatchNorm's). The collectives themselves
are compared across ranks in tests/distributed/."""
from __future__ import annotations

from harness import Entry, case, floats
from table_core_nn import _module, _state

X23 = floats(2, 3)


def _post_hook(L, x):
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (x * x).sum().backward()
    (x.sin() * x).sum().backward()          # the hook sees the accumulated gradient
    return seen, x.grad


def _post_hook_non_leaf(L, x):
    (x * 2).register_post_accumulate_grad_hook(lambda t: None)


def _convert(L, x):
    model = L.nn.Sequential(L.nn.Identity(), L.nn.BatchNorm2d(2)).double()
    model[1].running_mean.fill_(0.5)
    model = L.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return type(model[1]).__name__, model.eval()(x), [n for n, _ in model.named_buffers()]


ENTRIES = [
    # one process: SyncBatchNorm is BatchNorm (the cross-rank statistics: tests/distributed)
    Entry("nn.SyncBatchNorm", [
        case(_module(lambda L: L.nn.SyncBatchNorm(3), train=True), floats(4, 3), label="train"),
        case(_module(lambda L: L.nn.SyncBatchNorm(2)), floats(2, 2, 3, 3), label="eval"),
        case(_state(lambda L: L.nn.SyncBatchNorm(2, momentum=0.3)), floats(3, 2, 4),
             label="running stats"),
        case(_convert, floats(2, 2, 3, 3), label="convert_sync_batchnorm"),
        case(lambda L, x: L.nn.SyncBatchNorm(3)(x), floats(3), raises=True, label="1-D input"),
    ]),
    Entry("Tensor.register_post_accumulate_grad_hook", [
        case(_post_hook, X23, grad=[0]),
        case(_post_hook_non_leaf, X23, grad=[0], raises=True, label="non-leaf raises"),
    ]),
]
