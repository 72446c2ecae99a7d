"""Conformance entries for round 35 of torch.func: replace_all_batch_norm_modules_, and vmap over
batch norm in training, attention, linear algebra and random draws (randomness='same' and
'different' give PyTorch's numbers for the same seed), each program run on torch and chainrule.
"""
from __future__ import annotations

from harness import Entry, case, floats


def _replaced(L, x):
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(3, 3), L.nn.BatchNorm1d(3)).double()
    same = L.func.replace_all_batch_norm_modules_(model) is model
    bn = model[1]
    flags = (same, bn.running_mean is None, bn.running_var is None,
             bn.num_batches_tracked is None, bn.track_running_stats)
    return flags, L.func.vmap(model)(x), sorted(k for k, _ in model.named_buffers())


def _bn_running(L, x):
    rm, rv = L.zeros(2, 3, dtype=L.float64), L.ones(2, 3, dtype=L.float64)
    y = L.vmap(lambda v, m, s: L.nn.functional.batch_norm(v, m, s, training=True))(x, rm, rv)
    return y, rm, rv


def _bn_unbatched_running(L, x):
    rm, rv = L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64)
    return L.vmap(lambda v: L.nn.functional.batch_norm(v, rm, rv, training=True))(x)


def _seeded(fn):
    def run(L, x):
        L.manual_seed(7)
        return fn(L, x)
    return run


ENTRIES = [
    Entry("func.replace_all_batch_norm_modules_", [
        case(_replaced, floats(2, 4, 3), label="running statistics dropped; vmap in training"),
    ]),
    Entry("vmap", [
        case(lambda L, x: L.vmap(lambda v: L.nn.functional.batch_norm(v, None, None,
                                                                      training=True))(x),
             floats(3, 4, 2, 5), label="batch_norm in training, per-example statistics"),
        case(_bn_running, floats(2, 4, 3), label="batch_norm updating per-example statistics"),
        case(_bn_unbatched_running, floats(2, 4, 3), raises=True,
             label="batch_norm with shared running statistics raises"),
        case(lambda L, q, k: L.vmap(lambda a: L.nn.functional.scaled_dot_product_attention(
            a, k, k, is_causal=True))(q), floats(2, 3, 4), floats(3, 4),
             label="scaled_dot_product_attention, causal"),
        case(lambda L, a: L.vmap(L.linalg.inv)(a @ a.mT + 4 * L.eye(3, dtype=L.float64)),
             floats(3, 3, 3), label="linalg.inv"),
        case(lambda L, a: L.vmap(L.linalg.slogdet, in_dims=1)(a), floats(3, 2, 3),
             label="linalg.slogdet, in_dims=1"),
        case(_seeded(lambda L, x: L.vmap(lambda v: v + L.randn(4, dtype=L.float64),
                                         randomness="different")(x)), floats(3, 4),
             label="randn, randomness='different'"),
        case(_seeded(lambda L, x: L.vmap(lambda v: L.nn.functional.dropout(v, 0.3),
                                         randomness="same")(x)), floats(3, 4),
             label="dropout, randomness='same'"),
    ]),
]
