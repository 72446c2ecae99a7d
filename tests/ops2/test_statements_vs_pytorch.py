"""In-place updates, views sharing memory, indexed assignment and autograd corner cases,
statement by statement against PyTorch: each snippet runs after ``x = L.arange(12.).reshape(3, 4)``
with ``L = torch`` and ``L = chainrule`` and leaves ``x``; dtype, shape and values must agree
(or both raise). Covers writes through views (slices, transposes, view/reshape/flatten of
contiguous tensors, diagonal, narrow, unsqueeze), advanced-index copies, ``x[idx] += 1`` with
repeated indices, in-place integer arithmetic and casts, the gradient conventions at kinks and
ties (max/amax/median/sort/topk/cummax, abs/relu/clamp at 0, sqrt/norm at 0, prod with zeros),
gradient accumulation, retain_grad, double backward and in-place updates of graph outputs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

PRELUDE = "x = L.arange(12.).reshape(3, 4)\n"

SNIPPETS = [
    'x[x > 5] = 0',
    'x[:, 0] += 1',
    'x[[0, 0, 1]] += 1',
    'x[L.tensor([0, 0])] = L.tensor([[1.,2.,3.,4.],[5.,6.,7.,8.]])',
    'x[1] = 7',
    'x[..., -1] = L.tensor([1., 2., 3.])',
    'x[:, None, 1:3] = 2',
    'x[0, [1, 3]] = L.tensor([9., 8.])',
    'y = x[1]; y += 100',
    'y = x.t(); y[0, 1] = -1',
    'y = x.view(-1); y[3] = 42',
    'y = x[:, 1:3]; y.mul_(2)',
    'y = x.reshape(4, 3); y[0] = 0',
    'y = x.flatten(); y[0] = -5',
    'y = x.contiguous(); y[0,0] = -3',
    'y = x.narrow(1, 1, 2); y.zero_()',
    'y = x.unsqueeze(0); y[0, 0, 0] = 77',
    'y = x.expand(2, 3, 4); z = y.sum()',
    'y = x.diagonal(); y.fill_(0)',
    'y = x.T; y.add_(1)',
    'x.clamp_(2, 8)',
    'x.masked_fill_(x < 3, -1)',
    'x.index_fill_(1, L.tensor([0, 2]), 5)',
    'x.index_put_((L.tensor([0, 0]), L.tensor([1, 1])), L.tensor([1., 2.]), accumulate=True)',
    'x.index_put_((L.tensor([0, 0]), L.tensor([1, 1])), L.tensor([1., 2.]))',
    'x.scatter_add_(1, L.tensor([[0, 0], [1, 1], [2, 2]]), L.ones(3, 2))',
    'x.scatter_(1, L.tensor([[0], [1], [2]]), 5.0)',
    "x.scatter_(1, L.tensor([[0, 0]]), L.tensor([[1., 2.]]), reduce='add')",
    'x.copy_(L.tensor([1, 2, 3, 4]))',
    'x.copy_(L.ones(3, 1, dtype=L.int32))',
    'x[x.argmax()//4] = 0',
    'x.abs_().sqrt_()',
    'x = x.int(); x //= 2',
    'x = x.int(); x /= 2',
    'x = x.int(); x *= 1.5',
    'x = x.long(); x += L.tensor(2.5)',
    'x = x.bool(); x |= False',
    'x = x.int(); x[0] = 2.7',
    'x = x.int(); x.fill_(3.9)',
    'x = x.int(); x[0, 0] = -2.5',
    'x = x.to(L.uint8); x[0] = -1',
    'x.resize_(2, 6) if False else None',
    'x.t_()',
    'x.unsqueeze_(1)',
    'x.squeeze_()',
    'x.transpose_(0, 1)',
    "x.swapaxes_(0, 1) if hasattr(x, 'swapaxes_') else None",
    'y = x[[0, 2]]; y[0] = -9',
    'y = x[x > 3]; y[0] = -9',
    'y = x[L.tensor([True, False, True])]; y += 1',
    'x.requires_grad_(); y = (x * 2).sum(); y.backward(); x = x.grad',
    'x.requires_grad_(); y = x[:, 1:]; z = (y ** 2).sum(); z.backward(); x = x.grad',
    'x.requires_grad_(); z = x.clone(); z[0] = 0; z.sum().backward(); x = x.grad',
    'x.requires_grad_(); z = x * 1; z[x > 5] *= 3; z.sum().backward(); x = x.grad',
    'x.requires_grad_(); z = x.max(dim=1).values.sum(); z.backward(); x = x.grad',
    'x = L.tensor([[1., 5.], [5., 5.]], requires_grad=True); z = x.max(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([[1., 5.], [5., 5.]], requires_grad=True); z = x.amax(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([[1., 5.], [5., 5.]], requires_grad=True); z = x.median(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([0., 1., -1.], requires_grad=True); '
    'z = x.abs().sum() + x.relu().sum() + x.clamp(0, 0.5).sum(); z.backward(); x = x.grad',
    'x = L.tensor([0., 4.], requires_grad=True); z = x.sqrt().sum(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([0., 2.], requires_grad=True); z = x.norm(); z.backward(); x = x.grad',
    'x = L.tensor([0., 0.], requires_grad=True); z = x.norm(); z.backward(); x = x.grad',
    'x = L.tensor([0., 1.], requires_grad=True); z = (x ** 0.5).sum(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([0., 1.], requires_grad=True); z = (x ** 0).sum(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([0., 1.], requires_grad=True); z = L.pow(0., x).sum(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([2., 2.], requires_grad=True); z = L.maximum(x, L.tensor([2., 1.])).sum(); '
    'z.backward(); x = x.grad',
    'x = L.tensor([2., 2.], requires_grad=True); z = L.where(x > 1, x, L.log(x - 5)).sum(); '
    'z.backward(); x = x.grad',
    'x = L.tensor([1., 2., 3.], requires_grad=True); z = x.std(); z.backward(); x = x.grad',
    'x = L.tensor([1., 1.], requires_grad=True); z = x.std(); z.backward(); x = x.grad',
    'x = L.tensor([[1., 2.], [3., 4.]], requires_grad=True); '
    'z = x.sort(dim=1).values[:, 0].sum(); z.backward(); x = x.grad',
    'x = L.tensor([3., 1., 3.], requires_grad=True); z = x.topk(1).values.sum(); '
    'z.backward(); x = x.grad',
    'x = L.tensor([3., 1., 3.], requires_grad=True); z = x.cummax(0).values.sum(); '
    'z.backward(); x = x.grad',
    'x = L.tensor([1., 0., 3.], requires_grad=True); z = x.prod(); z.backward(); x = x.grad',
    'x = L.tensor([1., 0., 0.], requires_grad=True); z = x.prod(); z.backward(); x = x.grad',
    'x = L.tensor([1., 0., 3.], requires_grad=True); z = x.cumprod(0).sum(); z.backward(); '
    'x = x.grad',
    'x = L.tensor([-1., 0., 1.], requires_grad=True); '
    'z = (x.sign() + x.round() + x.floor()).sum(); z.backward(); x = x.grad',
    'x = L.tensor([1., 2.], requires_grad=True); y = x.detach(); y[0] = 5; x = x',
    'x = L.tensor([1., 2.], requires_grad=True); y = x.data; y[0] = 5; x = x.detach()',
    'a = L.tensor([1., 2.], requires_grad=True); b = a * 2; b.retain_grad(); '
    '(b ** 2).sum().backward(); x = b.grad',
    'a = L.tensor([1., 2.], requires_grad=True); (a * a).sum().backward(); '
    '(a * 3).sum().backward(); x = a.grad',
    'a = L.tensor([1., 2.], requires_grad=True); '
    'g, = L.autograd.grad((a ** 3).sum(), a, create_graph=True); g.sum().backward(); '
    'x = a.grad',
    'a = L.tensor(3., requires_grad=True); x = L.autograd.grad(a * a, a)[0]',
    'a = L.ones(2, requires_grad=True); b = a + 1; b.add_(1); b.sum().backward(); '
    'x = a.grad',
    'a = L.ones(2, requires_grad=True); b = a.exp(); b.add_(1); b.sum().backward(); '
    'x = a.grad',
]


def _run(snippet: str, lib):
    env = {"L": lib, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(PRELUDE + snippet, env)  # noqa: S102  (fixed snippets)
        except Exception as exc:  # noqa: BLE001
            return False, exc
    return True, env["x"]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet_matches_pytorch(snippet):
    ok_t, expected = _run(snippet, torch)
    ok_c, got = _run(snippet, cr)
    assert ok_t == ok_c, f"PyTorch {'computes' if ok_t else 'raises'} ({expected!r}); " \
                         f"chainrule {'computes' if ok_c else 'raises'} ({got!r})"
    if not ok_t:
        return
    if not isinstance(expected, torch.Tensor):
        assert expected == got
        return
    assert isinstance(got, cr.Tensor)
    assert str(expected.dtype).removeprefix("torch.") == str(got.dtype)
    assert tuple(expected.shape) == tuple(got.shape)
    np.testing.assert_allclose(np.asarray(got.detach().numpy(), dtype=float),
                               expected.detach().numpy().astype(float), rtol=1e-6, atol=1e-6)
