"""torch.norm and torch.linalg's vector_norm, matrix_norm and norm against PyTorch in float64,
including the gradient at x = 0 (PyTorch defines it as 0) and double backward."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

from ._util import array, pair, same, same_grads, shapes

ORDS = [1, 2, 3, 1.5, 0.5, math.inf, -math.inf, 0]


@given(st.data())
def test_vector_norm(data):
    shape = data.draw(shapes())
    ord_ = data.draw(st.sampled_from(ORDS))
    values = array(data, shape)
    nd = len(shape)
    dims = None
    if nd:
        dims = data.draw(st.one_of(st.none(), st.lists(st.integers(-nd, nd - 1), min_size=1,
                                                       max_size=nd).map(
            lambda ds: tuple(dict.fromkeys(d % nd for d in ds)))))
    keep = data.draw(st.booleans())
    reduced = shape if dims is None else [shape[d] for d in dims]
    x, tx = pair(values)
    try:
        tout = torch.linalg.vector_norm(tx, ord_, dims, keep)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            cr.linalg.vector_norm(x, ord_, dims, keep)
        return
    out = cr.linalg.vector_norm(x, ord_, dims, keep)
    same(out, tout, rtol=1e-9)
    if ord_ > 0 or 0 not in reduced:
        same_grads(out, tout, [x], [tx])


@pytest.mark.parametrize("ord_", [1, 2, 3, 1.5, math.inf])
def test_gradient_at_zero_is_zero(ord_):
    x, tx = pair(np.zeros((2, 3)))
    out, tout = cr.linalg.vector_norm(x, ord_, 1), torch.linalg.vector_norm(tx, ord_, 1)
    same(out, tout)
    same_grads(out, tout, [x], [tx])
    assert not np.isnan(x.grad.numpy()).any()


@pytest.mark.parametrize("ord_", ["fro", 1, -1, math.inf, -math.inf])
@given(data=st.data())
def test_matrix_norm(ord_, data):
    shape = data.draw(shapes(2, 4, 1, 4))
    nd = len(shape)
    a, b = data.draw(st.permutations(range(nd)))[:2]
    keep = data.draw(st.booleans())
    x, tx = pair(array(data, shape))
    out = cr.linalg.matrix_norm(x, ord_, (a, b - nd), keep)
    tout = torch.linalg.matrix_norm(tx, ord_, (a, b - nd), keep)
    same(out, tout, rtol=1e-9)
    same_grads(out, tout, [x], [tx])


def test_norm_forms():
    values = np.random.default_rng(0).standard_normal((2, 3, 4))
    for args, kwargs in [((), {}), ((1,), {"dim": 2}), (("fro",), {"dim": (0, 2)}),
                         ((math.inf,), {}), ((2,), {"dim": -1, "keepdim": True})]:
        x, tx = pair(values)
        out, tout = cr.norm(x, *args, **kwargs), torch.norm(tx, *args, **kwargs)
        same(out, tout, rtol=1e-9)
        same_grads(out, tout, [x], [tx])
    for args in [(), ("fro",), (1,), (math.inf,)]:
        x, tx = pair(values[0])
        same(cr.linalg.norm(x, *args), torch.linalg.norm(tx, *args), rtol=1e-9)


def test_gradcheck_and_double_backward():
    x = cr.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    for p in (1.5, 2.0, 3.0):
        assert cr.gradcheck(lambda a, p=p: cr.linalg.vector_norm(a, p, 1), x)
    tx = torch.tensor(x.numpy().copy(), requires_grad=True)
    (g,) = cr.autograd.grad(cr.linalg.vector_norm(x, 3, 1).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(torch.linalg.vector_norm(tx, 3, 1).sum(), tx, create_graph=True)
    same(g, tg, rtol=1e-9)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    same(x.grad, tx.grad, rtol=1e-8)


def test_errors():
    with pytest.raises(RuntimeError, match="matrix_norm"):
        cr.linalg.matrix_norm(cr.zeros(3))
    with pytest.raises(RuntimeError, match="vector_norm"):
        cr.linalg.vector_norm(cr.tensor([1, 2]))
