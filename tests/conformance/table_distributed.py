"""Conformance entries for the names of issue 16 (data parallelism) that live in the shared
namespaces: the post-accumulate-grad hook DistributedDataParallel relies on (and
``nn.SyncBatchNorm``, whose single-process behaviour is BatchNorm's). The collectives themselves
are compared across ranks in tests/distributed/."""
from __future__ import annotations

from harness import Entry, case, floats

X23 = floats(2, 3)


def _post_hook(L, x):
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (x * x).sum().backward()
    (x.sin() * x).sum().backward()          # the hook sees the accumulated gradient
    return seen, x.grad


def _post_hook_non_leaf(L, x):
    (x * 2).register_post_accumulate_grad_hook(lambda t: None)


ENTRIES = [
    Entry("Tensor.register_post_accumulate_grad_hook", [
        case(_post_hook, X23, grad=[0]),
        case(_post_hook_non_leaf, X23, grad=[0], raises=True, label="non-leaf raises"),
    ]),
]
