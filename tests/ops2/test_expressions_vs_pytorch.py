"""Tensor creation, dtype inference, arithmetic promotion, indexing and everyday Tensor
methods, expression by expression against PyTorch: each expression is evaluated with
``L = torch`` and ``L = chainrule``; where PyTorch gives a result, chainrule must give the same
(types, dtypes, shapes, values; floats to a few units in the last place), and where PyTorch raises,
chainrule must raise too. Found: ``tensor([np.float64(1.0), 2])`` was float32 (PyTorch keeps a
NumPy scalar's floating dtype), ``Tensor.softmax/log_softmax`` lacked ``dtype``."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

EXPRESSIONS = [
    'L.tensor([1, 2.0])',
    'L.tensor(True)',
    'L.tensor([True, 1])',
    'L.tensor(3)',
    'L.tensor([])',
    'L.tensor([[1],[2]], dtype=L.float64)',
    'L.arange(5)',
    'L.arange(5.0)',
    'L.arange(0, 1, 0.25)',
    'L.arange(0, 5, 2, dtype=L.float32)',
    'L.arange(L.tensor(4))',
    'L.full((2,), 3)',
    'L.full((2,), True)',
    'L.full((2,), 3.0)',
    'L.full((2,), 3, dtype=L.float64)',
    'L.zeros(2, dtype=L.int32)',
    'L.ones((2,3))',
    'L.ones(2, 3, dtype=L.bool)',
    'L.zeros([])',
    'L.zeros(())',
    'L.linspace(0, 1, 5)',
    'L.logspace(0, 2, 3)',
    'L.eye(3, 2)',
    'L.eye(2, dtype=L.int64)',
    'L.as_tensor([1, 2])',
    'L.as_tensor(np.arange(3))',
    'L.from_numpy(np.arange(3, dtype=np.float64))',
    'L.tensor(np.float32(2.5))',
    'L.tensor(np.int16(3))',
    'L.tensor([np.float64(1.0), 2])',
    'L.zeros_like(L.tensor([1, 2]))',
    'L.ones_like(L.tensor([1., 2.]), dtype=L.int64)',
    'L.full_like(L.tensor([1, 2]), 2.7)',
    'L.empty(0, 3).shape',
    'L.tensor([1, 2]).new_tensor([1.5])',
    'L.tensor([1., 2.]).new_zeros(2)',
    'L.tensor([1, 2]).new_ones(3)',
    'L.tensor([1, 2]).new_full((2,), 1.5)',
    'L.tensor([1, 2]) / 2',
    'L.tensor([1, 2]) // 2',
    'L.tensor([1, 2]) * 1.5',
    'L.tensor([1, 2], dtype=L.uint8) - 3',
    'L.tensor([1, 2], dtype=L.int8) + 200',
    'L.tensor([1., 2.]) ** 2',
    '2 ** L.tensor([1, 2])',
    'L.tensor([1, 2]) ** -1.0',
    'L.tensor([True]) + True',
    'L.tensor([True]) * 2',
    '-L.tensor([1, 2], dtype=L.uint8)',
    'L.tensor([1., 2.]).sum()',
    'L.tensor([1, 2]).sum()',
    'L.tensor([True, True]).sum()',
    'L.tensor([1, 2], dtype=L.int32).sum()',
    'L.tensor([1, 2], dtype=L.int32).cumsum(0)',
    'L.tensor([1, 2], dtype=L.uint8).prod()',
    'L.tensor([1, 2]).float().mean()',
    'L.tensor([[1, 2], [3, 4]])[L.tensor([True, False])]',
    'L.tensor([1, 2, 3])[[0, 2]]',
    'L.tensor([1, 2, 3])[L.tensor(1)]',
    'L.tensor([1, 2, 3])[None, 1:]',
    'L.tensor([[1, 2], [3, 4]])[..., 0]',
    'L.tensor([1, 2, 3])[-1]',
    'L.tensor([[1,2],[3,4]])[[0,1],[1,0]]',
    'L.tensor([[1,2],[3,4]])[:, [True, False]]',
    'L.tensor([1.5, 2.5]).int()',
    'L.tensor([-1.5, 2.5]).long()',
    'L.tensor([300.]).to(L.uint8)',
    'L.tensor([1.7]).to(L.int64)',
    'L.tensor([1, 0]).bool()',
    'L.tensor([0.1]).half()',
    'L.tensor([1, 2]).to(L.float64).dtype',
    'L.tensor([1, 2]).tolist()',
    'L.tensor(2.5).item()',
    'L.tensor([1.5]).item()',
    'int(L.tensor(2.7))',
    'float(L.tensor(3))',
    'bool(L.tensor([0.0]))',
    'L.cat([L.tensor([1]), L.tensor([1.5])])',
    'L.stack([L.tensor([1], dtype=L.int32), L.tensor([2], dtype=L.int64)])',
    'L.where(L.tensor([True, False]), L.tensor([1, 2]), 0.5)',
    'L.where(L.tensor([True, False]), 1, 0)',
    'L.where(L.tensor([True, False]), 1.0, 0)',
    'L.clamp(L.tensor([1, 5]), 0.5, 3)',
    'L.clamp(L.tensor([1, 5]), max=3)',
    'L.tensor([1, 5]).clamp(min=L.tensor(2.5))',
    'L.maximum(L.tensor([1, 5]), L.tensor(2.5))',
    'L.tensor([3, 1, 2]).sort()',
    'L.tensor([3, 1, 2]).max(0)',
    'L.tensor([[3, 1], [2, 2]]).max(1)',
    'L.tensor([3, 1, 2]).topk(2)',
    'L.tensor([1, 2, 2, 3]).unique(return_counts=True)',
    'L.tensor([[1.,2.],[3.,4.]]).norm()',
    'L.tensor([1, 2, 3]).float().std()',
    'L.tensor([1., 2., 3.]).var(unbiased=False)',
    'L.tensor([1., 2., 3.]).var(correction=0)',
    'L.tensor([1,2,3]).argmax()',
    'L.tensor([[1,2],[3,4]]).T',
    'L.tensor([[1,2],[3,4]]).mT',
    'L.tensor([1,2,3]).flip(0)',
    'L.tensor([1,2,3]).roll(1)',
    'L.tensor([1,2,3]).repeat(2)',
    'L.tensor([1,2,3]).view(3, 1).expand(3, 2)',
    'L.tensor([1,2,3]).unsqueeze(-1).shape',
    'L.tensor([[1],[2]]).squeeze()',
    'L.tensor([[1],[2]]).squeeze((0, 1))',
    'L.tensor([1., 2.]).softmax(0)',
    'L.tensor([1, 2]).softmax(0, dtype=L.float64)',
    'L.nn.functional.one_hot(L.tensor([0, 2]))',
    'L.nn.functional.one_hot(L.tensor([0, 2]), 4)',
    'L.tensor([5, 3]).bincount()',
    'L.tensor([1.5, 2.5, -0.5]).round()',
    'L.tensor([1.25]).round(decimals=1)',
    'L.tensor([7, -7]) % 3',
    'L.tensor([7., -7.]) % 3',
    'L.tensor([7, -7]) // -2',
    'L.fmod(L.tensor([7, -7]), 3)',
    'L.tensor([1, 2]) == 1.0',
    'L.tensor([1, 2]) < L.tensor([1.5])',
    'L.tensor([1, 2]).eq(1).sum()',
    'L.tensor([1, 2]) & 1',
    'L.tensor([True]) | False',
    '~L.tensor([1, 2])',
    'L.tensor([1, 2]) << 1',
    'L.tensor([[1, 2], [3, 4]]) @ L.tensor([1, 1])',
    'L.tensor([1., 2.]) @ L.tensor([3., 4.])',
    'L.tensor([[1, 2]]).matmul(L.tensor([[1.], [2.]]).long())',
    'L.tensor([0.5]).log().exp()',
    'L.tensor([4]).sqrt()',
    'L.tensor([4]).pow(0.5)',
    'L.tensor([4]).pow(2)',
    'L.tensor([2]).float_power(2)',
    'L.tensor([1, 2]).true_divide(2)',
    "L.tensor([1, 2]).div(2, rounding_mode='floor')",
    "L.tensor([-1, 2]).div(2, rounding_mode='trunc')",
    "L.tensor([-1., 2.]).div(2, rounding_mode='trunc')",
    'L.tensor([[1., 2.], [3., 4.]]).diagonal()',
    'L.tensor([[1., 2.], [3., 4.]]).det()',
    'L.tensor([1., 2.]).dot(L.tensor([1., 1.]))',
    "L.tensor([1.0, float('nan')]).nan_to_num()",
    "L.tensor([1.0, float('nan')]).isnan().any()",
    "L.tensor([float('inf')]).isfinite()",
    'L.tensor([-0.0]).signbit()',
    'L.tensor([1, 2, 3]).numel()',
    'L.tensor([[1, 2, 3]]).size()',
    'L.tensor([[1, 2, 3]]).size(1)',
    'L.tensor([[1, 2, 3]]).dim()',
    'L.tensor([[1, 2, 3]]).stride()',
    'L.tensor([[1, 2, 3]]).t().is_contiguous()',
    'L.tensor([1, 2]).element_size()',
    'L.tensor([1., 2.]).nbytes',
    'L.float32.itemsize',
    'L.tensor([1.]).dtype == L.float',
    'L.get_default_dtype()',
    'L.tensor([1,2]).ndimension()',
    'L.tensor([[1,2]]).shape[1]',
    'L.tensor([3., 1.]).kthvalue(1)',
    'L.tensor([1., 2., 4.]).diff()',
    'L.tensor([1., 2., 4.]).cumsum(0).dtype',
    'L.tensor([[1, 2], [3, 4]]).chunk(2)',
    'L.tensor([1, 2, 3, 4]).split(3)',
    'L.tensor([1, 2, 3, 4]).tensor_split(3)',
    'L.tensor([[1, 2], [3, 4]]).unbind(1)',
    'L.tensor([1., 2.]).requires_grad_().sum().requires_grad',
    'L.tensor([1., 2.], requires_grad=True).detach().requires_grad',
    'L.tensor([1., 2.], requires_grad=True).grad',
    'L.tensor([1, 2]).masked_fill(L.tensor([True, False]), 5.7)',
    'L.tensor([1., 2.]).index_select(0, L.tensor([1]))',
    'L.tensor([[1, 2], [3, 4]]).gather(1, L.tensor([[0], [1]]))',
    'L.zeros(3).scatter_(0, L.tensor([0, 2]), L.tensor([1., 2.]))',
    'L.zeros(3).index_add_(0, L.tensor([0, 0]), L.tensor([1., 2.]))',
    'L.tensor([1, 2]).type(L.float64)',
    'L.tensor([1, 2]).type()',
    'L.tensor([1., 2.]).type()',
    'L.tensor([1, 2]).to(L.tensor([1.]))',
    "L.tensor([1., 2.]).to('cpu').device.type",
    'str(L.tensor([1.]).device)',
]


def _evaluate(expression: str, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return True, eval(expression, {"L": lib, "np": np})  # noqa: S307  (fixed strings)
        except Exception as exc:  # noqa: BLE001
            return False, exc


def _plain(value):
    """A comparable form: Tensors as (dtype name, shape, values), sequences element-wise."""
    if isinstance(value, (torch.Tensor, cr.Tensor)):
        return ("Tensor", str(value.dtype).removeprefix("torch."), tuple(value.shape),
                np.asarray(value.detach().numpy()))
    if isinstance(value, (torch.Size, cr.Size)):
        return tuple(value)
    if isinstance(value, (tuple, list)):
        return type(value) if not hasattr(value, "_fields") else tuple, [_plain(v) for v in value]
    if isinstance(value, torch.dtype):
        return str(value).removeprefix("torch.")
    if isinstance(value, np.dtype):
        return str(value)
    return value


def _assert_same(expected, got, where):
    if isinstance(expected, tuple) and expected and expected[0] == "Tensor":
        assert isinstance(got, tuple) and got[0] == "Tensor", f"{where}: not a Tensor: {got!r}"
        assert expected[1:3] == got[1:3], f"{where}: dtype/shape {expected[1:3]} vs {got[1:3]}"
        e, g = expected[3], got[3]
        if e.dtype.kind == "f":
            ulp = np.finfo(e.dtype).eps * 4
            np.testing.assert_allclose(g, e, rtol=ulp, atol=ulp, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(g, e, err_msg=where)
    elif isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[1], list):
        assert len(expected[1]) == len(got[1]), f"{where}: lengths differ"
        for i, (e, g) in enumerate(zip(expected[1], got[1], strict=True)):
            _assert_same(e, g, f"{where}[{i}]")
    else:
        assert expected == got, f"{where}: PyTorch {expected!r}, chainrule {got!r}"


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_expression_matches_pytorch(expression):
    ok_t, expected = _evaluate(expression, torch)
    ok_c, got = _evaluate(expression, cr)
    if not ok_t:
        assert not ok_c, f"PyTorch raises {expected!r}; chainrule gives {got!r}"
        return
    assert ok_c, f"PyTorch computes; chainrule raises {got!r}"
    _assert_same(_plain(expected), _plain(got), expression)
