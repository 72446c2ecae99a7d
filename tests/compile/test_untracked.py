"""Values made from a call's arguments outside the autograd primitives must never be baked into
a compiled replay: comparisons and integer casts are primitives (recorded, recomputed at every
call); anything else made during the call by an operation the tracer does not record (argmax, a
bitwise operation, a copy of a traced value) is reported, and the call runs eagerly."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import parallel
from chainrule.compile import UntraceableError
from chainrule.models import text
from tests.compile import helpers as H


def _x(*shape, seed=0):
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape))


def test_a_comparison_mask_is_recomputed_at_every_call():
    def f(x):
        return (x * (x > 0.1)).sum(dim=1) + (x != 0).sum(dim=1) * 1.0

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(4):
        x = _x(5, 3, seed=seed)
        np.testing.assert_array_equal(compiled(x).numpy(), f(x).numpy())
    assert "comparison" in compiled.plan(file=False)


@pytest.mark.parametrize("make", [lambda x: x.argmax(dim=1, keepdim=True) == 0,
                                  lambda x: (x > 0) & (x < 1),
                                  lambda x: cr.tensor(x) > 0])
def test_values_made_outside_the_primitives_are_reported(make):
    def f(x):
        return x * make(x)

    with pytest.raises(UntraceableError, match="not a primitive"):
        cr.compile(f, fullgraph=True)(_x(4, 3))
    compiled = cr.compile(f)
    with pytest.warns(UserWarning, match="runs eagerly"):
        compiled(_x(4, 3))
    for seed in (1, 2):
        np.testing.assert_array_equal(compiled(_x(4, 3, seed=seed)).numpy(),
                                      f(_x(4, 3, seed=seed)).numpy())


def test_constants_made_inside_the_function_still_compile():
    table = np.arange(3.0)

    def f(x):
        return x * cr.tensor(table) + cr.ones(3) + cr.arange(3) + x.detach() * 0.5

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(3):
        np.testing.assert_array_equal(compiled(_x(2, 3, seed=seed)).numpy(),
                                      f(_x(2, 3, seed=seed)).numpy())


@pytest.mark.parametrize("model", ["LSTMClassifier", "BiGRUClassifier", "BagOfEmbeddings",
                                   "TransformerClassifier"])
def test_text_models_count_each_batchs_lengths_when_compiled(monkeypatch, model):
    """The lengths (and masks) come from the padding of each batch: a compiled step equals
    eager on batches padded differently, and the recurrent and bag models split the batch."""
    monkeypatch.setattr(parallel, "parts", lambda size, nbytes=0, blas=False, **_: min(2, size))
    options = {"dropout": 0.0} if model == "TransformerClassifier" else {}
    a, b = H.twin(lambda: getattr(text, model)(vocab_size=40, **options))
    eager = H.training_step(a, cr.optim.Adam(a.parameters(), lr=1e-2))
    compiled = cr.compile(H.training_step(b, cr.optim.Adam(b.parameters(), lr=1e-2)),
                          fullgraph=True)
    rng = np.random.default_rng(0)
    for k in range(5):
        ids = rng.integers(1, 40, (6, 9))
        ids[:3, 9 - 2 * k - 1:] = 0                 # a new padding pattern each batch
        x, y = cr.tensor(ids), cr.tensor(rng.integers(0, 2, 6))
        np.testing.assert_allclose(compiled(x, y).numpy(), eager(x, y).numpy(),
                                   rtol=0, atol=1e-12)
    assert H.max_difference(a, b) <= 1e-12
    if model != "TransformerClassifier":            # attention's mask draw: not split
        assert compiled.program().shard is not None, compiled.program().unsplit_reason
