"""Tensor: array facts, dtypes, creation, indexing, operators, methods, autograd flags, grad mode
and repr, with PyTorch 2.13 (float64) as the oracle wherever it has the same thing."""
from __future__ import annotations

import operator

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from oracle import ATOL, RTOL, as_numpy, assert_close, t64, th64  # noqa: F401

import chainrule as cr


def torch_index(index):
    """The same index for a torch tensor (lists and arrays become torch tensors)."""
    if isinstance(index, tuple):
        return tuple(torch_index(i) for i in index)
    if isinstance(index, list):
        return torch.tensor(index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    if isinstance(index, cr.Tensor):
        return torch.from_numpy(index.numpy())
    return index


def weighted_loss(out, weights):
    """Σ out·w for one output or a tuple of outputs (so every output element has its own slope)."""
    outs = out if isinstance(out, tuple) else (out,)
    total = 0.0
    for o, w in zip(outs, weights):
        total = total + (o * w).sum()
    return total


def weights_for(out, rng, make):
    outs = out if isinstance(out, tuple) else (out,)
    return [make(rng.standard_normal(tuple(o.shape))) for o in outs]


# ---------------------------------------------------------------------- array facts
def test_shape_ndim_dtype_size_numel():
    x = cr.zeros(2, 3, 4)
    ref = torch.zeros(2, 3, 4)
    assert x.shape == tuple(ref.shape) == (2, 3, 4)
    assert x.ndim == ref.ndim == 3
    assert x.dim() == 3
    assert x.dtype == np.float32
    assert x.numel() == ref.numel() == 24
    assert len(x) == len(ref) == 2


def test_size_is_an_int_and_callable_like_torch():
    x = cr.ones(2, 3, 4)
    ref = torch.ones(2, 3, 4)
    assert isinstance(x.size, int)
    assert x.size == 24
    assert x.size + 1 == 25
    assert tuple(x.size()) == tuple(ref.size())
    for d in (0, 1, 2, -1, -3):
        assert x.size(d) == ref.size(d)


def test_T_transposes_a_matrix_like_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 5))
    x, xt = t64(a, True), th64(a, True)
    w = rng.standard_normal((5, 3))
    assert_close(x.T, xt.T)
    (x.T * t64(w)).sum().backward()
    (xt.T * th64(w)).sum().backward()
    assert_close(x.grad, xt.grad)


def test_item_numpy_tolist():
    x = cr.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert cr.tensor(2.5).item() == 2.5
    assert isinstance(cr.tensor(2.5).item(), float)
    assert isinstance(cr.tensor(3).item(), int)
    assert cr.tensor([[7.0]]).item() == 7.0
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    arr = x.numpy()
    assert isinstance(arr, np.ndarray)
    np.testing.assert_array_equal(arr, [[1.5, 2.0], [3.0, 4.0]])
    assert np.shares_memory(arr, x.numpy())       # as torch: numpy() shares memory
    assert float(cr.tensor(2.5)) == 2.5
    assert int(cr.tensor(3)) == 3
    np.testing.assert_array_equal(np.asarray(x), x.numpy())


def test_len_and_iteration_give_rows():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3))
    x = t64(a, True)
    rows = list(x)
    assert len(x) == 4 and len(rows) == 4
    for row, expected in zip(rows, a):
        assert isinstance(row, cr.Tensor)
        assert row.shape == (3,)
        assert_close(row, expected)
    # rows stay in the graph: Σ over rows of row·k gives gradient k to row k
    total = sum((row * float(k)).sum() for k, row in enumerate(rows))
    total.backward()
    assert_close(x.grad, np.repeat(np.arange(4.0)[:, None], 3, axis=1))


def test_bool_of_single_element_and_ambiguity():
    assert bool(cr.tensor([1.0])) is True
    assert bool(cr.tensor(0.0)) is False
    assert bool(cr.tensor([[True]])) is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        if cr.ones(3) > 0:
            pass


# ---------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("data", [
    1.5, 3, True, [1.0, 2.0], [1, 2, 3], [[1, 2], [3, 4]], [1, 2.5], [True, False],
    np.zeros(3, dtype=np.float64), np.zeros(3, dtype=np.float32), np.arange(3),
    np.arange(3, dtype=np.int32), np.array(2.0),
], ids=lambda d: f"{type(d).__name__}:{getattr(d, 'dtype', d)}")
def test_tensor_dtype_matches_torch(data):
    expected = torch.tensor(data).numpy().dtype
    assert cr.tensor(data).dtype == expected
    # torch.Tensor is the legacy constructor: sizes from ints, data in the default float dtype
    try:
        legacy = torch.Tensor(data)
    except TypeError:
        with pytest.raises(TypeError):
            cr.Tensor(data)
        return
    got = cr.Tensor(data)
    assert got.dtype == legacy.numpy().dtype and got.shape == tuple(legacy.shape)


def test_default_dtypes():
    assert cr.tensor(1.5).dtype == np.float32          # Python floats: float32
    assert cr.tensor([1, 2]).dtype == np.int64         # Python ints: int64
    assert cr.tensor(np.ones(2)).dtype == np.float64   # float64 arrays stay float64
    assert cr.tensor([1, 2], dtype=cr.float64).dtype == np.float64
    assert cr.tensor([1.0], dtype=cr.float64).dtype == np.float64
    assert cr.tensor(np.ones(2), dtype=cr.float32).dtype == np.float32


def test_set_default_dtype_changes_new_float_tensors():
    assert cr.get_default_dtype() == np.float32
    try:
        cr.set_default_dtype(cr.float64)
        assert cr.tensor(1.5).dtype == np.float64
        assert cr.zeros(2).dtype == np.float64
        assert cr.tensor([1, 2]).dtype == np.int64
    finally:
        cr.set_default_dtype(cr.float32)
    assert cr.tensor(1.5).dtype == np.float32
    with pytest.raises(TypeError):
        cr.set_default_dtype(cr.int64)


def test_tensor_copies_and_as_tensor_shares():
    a = np.arange(3.0)
    t = cr.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [0.0, 1.0, 2.0]      # tensor() copies, as torch.tensor
    shared = cr.as_tensor(a)
    a[1] = 50.0
    assert shared.tolist() == [100.0, 50.0, 2.0]


# ---------------------------------------------------------------------- creation
CREATION = {
    "zeros varargs": lambda m: m.zeros(2, 3),
    "zeros tuple": lambda m: m.zeros((2, 3)),
    "zeros dtype": lambda m: m.zeros(2, dtype=m.float64),
    "ones": lambda m: m.ones(4),
    "ones tuple": lambda m: m.ones((1, 2)),
    "ones int": lambda m: m.ones(2, dtype=m.int64),
    "full float": lambda m: m.full((2, 2), 1.5),
    "full int": lambda m: m.full((3,), 7),
    "full bool": lambda m: m.full((2,), True),
    "full dtype": lambda m: m.full((2,), 3, dtype=m.float64),
    "arange stop": lambda m: m.arange(5),
    "arange start stop step": lambda m: m.arange(1, 10, 3),
    "arange float step": lambda m: m.arange(0, 1, 0.25),
    "arange float stop": lambda m: m.arange(2.5),
    "arange negative step": lambda m: m.arange(5, 0, -2),
    "arange dtype": lambda m: m.arange(4, dtype=m.float64),
    "linspace": lambda m: m.linspace(-1, 1, 5),
    "linspace dtype": lambda m: m.linspace(0, 2, 7, dtype=m.float64),
    "eye": lambda m: m.eye(3),
    "eye rectangular": lambda m: m.eye(2, 4),
    "eye dtype": lambda m: m.eye(2, dtype=m.float64),
    "tensor nested": lambda m: m.tensor([[1, 2], [3, 4]]),
    "tensor float dtype": lambda m: m.tensor([1, 2], dtype=m.float64),
}


@pytest.mark.parametrize("name", list(CREATION))
def test_creation_matches_torch(name):
    make = CREATION[name]
    ours, ref = make(cr), make(torch)
    assert isinstance(ours, cr.Tensor)
    assert ours.dtype == ref.numpy().dtype
    assert ours.shape == tuple(ref.shape)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: cr.zeros(2, 3, requires_grad=True),
    lambda: cr.ones((2,), requires_grad=True),
    lambda: cr.full((2,), 1.5, requires_grad=True),
    lambda: cr.arange(0.0, 3.0, requires_grad=True),
    lambda: cr.linspace(0, 1, 4, requires_grad=True),
    lambda: cr.eye(3, requires_grad=True),
    lambda: cr.rand(2, requires_grad=True),
    lambda: cr.randn(2, 2, requires_grad=True),
    lambda: cr.tensor([1.0, 2.0], requires_grad=True),
    lambda: cr.zeros(2, dtype=cr.float64, requires_grad=True),
])
def test_creation_requires_grad_gives_leaf(make):
    x = make()
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(x.shape))
    assert x.grad.dtype == x.dtype


def test_random_creation_shapes_dtypes_and_ranges():
    cr.manual_seed(0)
    u = cr.rand(200, 50)
    assert u.shape == (200, 50) and u.dtype == np.float32
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    assert cr.rand((3, 4)).shape == (3, 4)
    assert cr.rand(3, dtype=cr.float64).dtype == np.float64
    n = cr.randn(200, 100)
    assert n.shape == (200, 100) and n.dtype == np.float32
    assert abs(float(n.numpy().mean())) < 0.05 and abs(float(n.numpy().std()) - 1.0) < 0.05
    assert cr.randn((2, 2), dtype=cr.float64).dtype == np.float64
    i = cr.randint(3, 9, (1000,))
    assert i.dtype == np.int64 and i.shape == (1000,)
    assert i.numpy().min() >= 3 and i.numpy().max() <= 8
    assert set(np.unique(i.numpy())) == set(range(3, 9))
    assert cr.randint(0, 5, (2, 3), dtype=cr.int32).dtype == np.int32
    assert cr.randint(4, size=(10,)).numpy().max() < 4


def test_randint_high_and_size_positionally_like_torch():
    # torch.randint(high, size): low defaults to 0
    ref = torch.randint(10, (3,))
    x = cr.randint(10, (3,))
    assert x.shape == tuple(ref.shape) == (3,)
    assert x.dtype == ref.numpy().dtype
    assert 0 <= x.numpy().min() and x.numpy().max() < 10


@pytest.mark.parametrize("like", ["zeros_like", "ones_like", "rand_like", "randn_like",
                                  "full_like"])
def test_like_functions_follow_shape_and_dtype(like):
    fn = getattr(cr, like)
    args = (2.5,) if like == "full_like" else ()
    for base in (cr.zeros(2, 3), cr.zeros(4, dtype=cr.float64)):
        out = fn(base, *args)
        ref = getattr(torch, like)(torch.from_numpy(base.numpy()), *args)
        assert out.shape == base.shape and out.dtype == base.dtype == ref.numpy().dtype
        assert not out.requires_grad
    out = fn(cr.zeros(3), *args, dtype=cr.float64, requires_grad=True)
    assert out.dtype == np.float64 and out.requires_grad and out.is_leaf
    if like == "zeros_like":
        np.testing.assert_array_equal(out.numpy(), 0.0)
    elif like == "ones_like":
        np.testing.assert_array_equal(out.numpy(), 1.0)
    elif like == "full_like":
        np.testing.assert_array_equal(out.numpy(), 2.5)
    assert cr.zeros_like(cr.tensor([1, 2])).dtype == np.int64


def test_manual_seed_makes_random_reproducible():
    def draw():
        return (cr.rand(5).numpy(), cr.randn(3, 2).numpy(), cr.randint(0, 100, (6,)).numpy(),
                cr.rand_like(cr.zeros(4)).numpy(), cr.randn_like(cr.zeros(4)).numpy())

    cr.manual_seed(1234)
    first = draw()
    cr.manual_seed(1234)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    cr.manual_seed(4321)
    third = draw()
    assert not np.array_equal(first[0], third[0])
    assert not np.array_equal(first[1], third[1])


# ---------------------------------------------------------------------- indexing
INDEXES = {
    "int": 1,
    "negative int": -1,
    "slice": np.s_[1:3],
    "step slice": np.s_[::2],
    "int and slice": np.s_[1, 1:],
    "ellipsis": np.s_[..., 0],
    "newaxis": np.s_[None, 1],
    "int list with repeats": [0, 0, 2, 0],
    "int array with repeats": np.array([3, 1, 1, -1]),
    "two int arrays with repeats": (np.array([0, 0, 2, 0]), np.array([1, 1, 0, 1])),
    "slice and int list": np.s_[1:, [0, 0, 2]],
    "2-d int array": np.array([[0, 1], [1, 1]]),
    "row mask": np.array([True, False, True, True]),
    "element mask": "mask",
}


@pytest.mark.parametrize("name", list(INDEXES))
def test_indexing_forward_and_scatter_add_gradient_match_torch(name):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 3))
    index = INDEXES[name]
    if isinstance(index, str):
        index = a > 0
    x, xt = t64(a, True), th64(a, True)
    y, yt = x[index], xt[torch_index(index)]
    assert_close(y, yt)
    w = rng.standard_normal(tuple(yt.shape))
    (y * t64(w)).sum().backward()
    (yt * th64(w)).sum().backward()
    assert_close(x.grad, xt.grad)


def test_negative_step_slice_raises_and_flip_reverses():
    # PyTorch refuses negative steps (ValueError); flip reverses, with the reversed gradient
    x = t64([1.0, 2.0, 3.0, 4.0], True)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1] = 0.0
    y = x.flip(0)
    assert y.tolist() == [4.0, 3.0, 2.0, 1.0]
    (y * t64([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    assert x.grad.tolist() == [1000.0, 100.0, 10.0, 1.0]


def test_indexing_with_tensors_as_indices():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 2))
    x, xt = t64(a, True), th64(a, True)
    idx = cr.tensor([4, 0, 4, 4])
    mask = x[:, 0] > 0
    assert mask.dtype == np.bool_
    y = x[idx].sum() + (x[mask] ** 2).sum()
    yt = xt[torch.tensor([4, 0, 4, 4])].sum() + (xt[xt[:, 0] > 0] ** 2).sum()
    assert_close(y, yt)
    y.backward()
    yt.backward()
    assert_close(x.grad, xt.grad)


@given(n=st.integers(1, 6), m=st.integers(1, 4), data=st.data())
def test_repeated_integer_indices_accumulate_like_torch(n, m, data):
    rows = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=10))
    cols = data.draw(st.lists(st.integers(-m, m - 1), min_size=len(rows), max_size=len(rows)))
    rng = np.random.default_rng(len(rows))
    a = rng.standard_normal((n, m))
    w = rng.standard_normal(len(rows))
    for index in (np.array(rows), (np.array(rows), np.array(cols))):
        x, xt = t64(a, True), th64(a, True)
        y, yt = x[index], xt[torch_index(index)]
        assert_close(y, yt)
        wy = w if y.ndim == 1 else w[:, None] * np.ones(y.shape)
        (y * t64(wy)).sum().backward()
        (yt * th64(wy)).sum().backward()
        assert_close(x.grad, xt.grad)


def test_setitem_is_refused_on_a_tensor_requiring_grad_but_allowed_under_no_grad():
    x = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 1.0
    with cr.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]
    c = cr.zeros(3)
    c[cr.tensor([1, 2])] = cr.tensor([5.0, 6.0])
    assert c.tolist() == [0.0, 5.0, 6.0]


# ---------------------------------------------------------------------- arithmetic operators
BINARY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "pow": operator.pow,
}


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_operator_tensor_tensor_with_broadcasting(op):
    fn = BINARY[op]
    rng = np.random.default_rng(4)
    a, b = _positive(rng, (3, 1)), _positive(rng, (4,))
    x, y = t64(a, True), t64(b, True)
    xt, yt = th64(a, True), th64(b, True)
    out, ref = fn(x, y), fn(xt, yt)
    assert isinstance(out, cr.Tensor)
    assert_close(out, ref)
    w = rng.standard_normal((3, 4))
    (out * t64(w)).sum().backward()
    (ref * th64(w)).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(y.grad, yt.grad)


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("scalar", [1.7, 2, -0.5])
@pytest.mark.parametrize("side", ["left", "right"])
def test_binary_operator_with_python_scalar(op, scalar, side):
    fn = BINARY[op]
    rng = np.random.default_rng(5)
    a = _positive(rng, (2, 3))
    x, xt = t64(a, True), th64(a, True)
    if side == "left":           # reflected: scalar ∘ tensor
        if op == "pow" and scalar < 0:
            scalar = 0.5
        out, ref = fn(scalar, x), fn(scalar, xt)
    else:
        out, ref = fn(x, scalar), fn(xt, scalar)
    assert isinstance(out, cr.Tensor)
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    assert_close(x.grad, xt.grad)


@pytest.mark.parametrize("op", list(BINARY) + ["matmul"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_binary_operator_with_numpy_array(op, side):
    fn = operator.matmul if op == "matmul" else BINARY[op]
    rng = np.random.default_rng(6)
    a = _positive(rng, (3, 3))
    arr = _positive(rng, (3, 3))
    x, xt = t64(a, True), th64(a, True)
    if side == "left":
        out, ref = fn(arr, x), fn(torch.from_numpy(arr), xt)
    else:
        out, ref = fn(x, arr), fn(xt, torch.from_numpy(arr))
    assert isinstance(out, cr.Tensor), f"ndarray {op} Tensor gave {type(out).__name__}"
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    assert_close(x.grad, xt.grad)


def test_unary_operators():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 3)) + 0.1
    x, xt = t64(a, True), th64(a, True)
    out = -x + abs(x) * 2 + (+x) * 3
    ref = -xt + abs(xt) * 2 + (+xt) * 3
    assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    assert_close(x.grad, xt.grad)


def test_python_scalars_keep_float32():
    x = cr.ones(3)
    for out in (x * 2.5, 2.5 * x, x + 1, 1 - x, x / 3.0, 3.0 / x, x ** 2, 2.0 ** x):
        assert out.dtype == np.float32


def test_float64_array_promotes_like_torch():
    x = cr.ones(3)
    ref = torch.ones(3) * torch.ones(3, dtype=torch.float64)
    assert (x * np.ones(3)).dtype == ref.numpy().dtype == np.float64
    assert (np.ones(3) * x).dtype == np.float64


def test_integer_tensor_with_python_float_gives_default_float_like_torch():
    exprs = {"t / 2": lambda t: t / 2, "t + 0.5": lambda t: t + 0.5,
             "0.5 * t": lambda t: 0.5 * t, "t * 1.5": lambda t: t * 1.5}
    wrong = {}
    for label, expr in exprs.items():
        ours = expr(cr.tensor([1, 2, 3]))
        ref = expr(torch.tensor([1, 2, 3]))
        np.testing.assert_allclose(ours.numpy(), ref.numpy())
        if ours.dtype != ref.numpy().dtype:
            wrong[label] = (str(ours.dtype), str(ref.numpy().dtype))
    assert not wrong, f"dtype (ours, torch): {wrong}"


def test_integer_tensor_arithmetic_stays_integer():
    i = cr.tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64
    assert (i * i).dtype == np.int64
    assert (i * 2).tolist() == [2, 4, 6]


# ---------------------------------------------------------------------- matmul operator
@pytest.mark.parametrize("sa,sb", [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
], ids=lambda s: "x".join(map(str, s)))
def test_matmul_operator_matches_torch(sa, sb):
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    x, y = t64(a, True), t64(b, True)
    xt, yt = th64(a, True), th64(b, True)
    out, ref = x @ y, xt @ yt
    assert_close(out, ref)
    w = rng.standard_normal(tuple(ref.shape))
    (out * t64(w)).sum().backward()
    (ref * th64(w)).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(y.grad, yt.grad)
    assert_close(cr.matmul(x, y), ref)


# ---------------------------------------------------------------------- comparisons and logic
COMPARISONS = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "eq": operator.eq, "ne": operator.ne,
}


@pytest.mark.parametrize("op", list(COMPARISONS))
def test_comparisons_give_bool_tensors_without_grad(op):
    fn = COMPARISONS[op]
    a = np.array([1.0, 2.0, 3.0, 2.0])
    b = np.array([2.0, 2.0, 1.0, 5.0])
    x, y = t64(a, True), t64(b, True)
    cases = [
        (fn(x, y), fn(a, b)),
        (fn(x, 2.0), fn(a, 2.0)),
        (fn(2.0, x), fn(2.0, a)),
        (fn(b, x), fn(b, a)),      # ndarray on the left
        (fn(x, b), fn(a, b)),
    ]
    for out, expected in cases:
        assert isinstance(out, cr.Tensor)
        assert out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), expected)
        ref = fn(th64(a), th64(b))
        assert ref.dtype == torch.bool
    np.testing.assert_array_equal(fn(x, y).numpy(), fn(th64(a), th64(b)).numpy())


def test_logical_operators_on_bool_tensors():
    p = cr.tensor([True, True, False, False])
    q = cr.tensor([True, False, True, False])
    np.testing.assert_array_equal((p & q).numpy(), [True, False, False, False])
    np.testing.assert_array_equal((p | q).numpy(), [True, True, True, False])
    np.testing.assert_array_equal((p ^ q).numpy(), [False, True, True, False])
    np.testing.assert_array_equal((~p).numpy(), [False, False, True, True])
    assert (p & q).dtype == np.bool_


def test_comparison_mask_selects_like_torch():
    a = np.array([-1.0, 2.0, -3.0, 4.0])
    x = t64(a, True)
    kept = x[x > 0]
    assert kept.tolist() == [2.0, 4.0]
    kept.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]


# ---------------------------------------------------------------------- reductions
def _torch_reduce(name, xt, dim, keepdim, **kw):
    if dim is None:
        dim = tuple(range(xt.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if name == "max":
        return torch.amax(xt, dim=dims, keepdim=keepdim)
    if name == "min":
        return torch.amin(xt, dim=dims, keepdim=keepdim)
    if name == "prod":
        out = xt
        for d in sorted((d % xt.ndim for d in dims), reverse=True):
            out = out.prod(dim=d, keepdim=keepdim)
        return out
    if name == "logsumexp":
        return torch.logsumexp(xt, dim=dims, keepdim=keepdim)
    return getattr(torch, name)(xt, dim=dims, keepdim=keepdim, **kw)


REDUCTIONS = ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_methods_match_torch(name, dim, keepdim):
    rng = np.random.default_rng(9)
    a = rng.uniform(0.5, 1.5, size=(2, 3, 4)) * rng.choice([-1, 1], size=(2, 3, 4))
    ref_in = th64(a, True)
    ref = _torch_reduce(name, ref_in, dim, keepdim)
    w = rng.standard_normal(tuple(ref.shape))
    ref_grad = torch.autograd.grad((ref * th64(w)).sum(), ref_in)[0]
    method = {"max": "amax", "min": "amin"}.get(name, name)   # max(dim) returns (values, indices)
    calls = [
        lambda x: getattr(x, method)(dim=dim, keepdim=keepdim),
        lambda x: getattr(x, method)(axis=dim, keepdims=keepdim),
        lambda x: getattr(x, method)(dim, keepdim),
    ]
    if dim is None and not keepdim:
        calls.append(lambda x: getattr(x, name)())
    for call in calls:
        x = t64(a, True)
        out = call(x)
        assert_close(out, ref)
        (out * t64(w)).sum().backward()
        assert_close(x.grad, ref_grad)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_corrections_match_torch(name):
    rng = np.random.default_rng(10)
    a = rng.standard_normal((3, 5))
    xt = th64(a)
    biased = getattr(torch, name)(xt, dim=1, correction=0)
    unbiased = getattr(torch, name)(xt, dim=1)
    x = t64(a)
    assert_close(getattr(x, name)(dim=1), unbiased)
    assert_close(getattr(x, name)(dim=1, correction=0), biased)
    assert_close(getattr(x, name)(dim=1, unbiased=False), biased)
    assert_close(getattr(x, name)(axis=1, ddof=0), biased)
    assert_close(getattr(x, name)(), getattr(torch, name)(xt))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_methods_match_torch(name, dim):
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 4, 2)) * 3
    xt = th64(a, True)
    ref = getattr(torch, name)(xt, dim=dim)
    w = rng.standard_normal(tuple(ref.shape))
    ref_grad = torch.autograd.grad((ref * th64(w)).sum(), xt)[0]
    for call in (lambda x: getattr(x, name)(dim=dim), lambda x: getattr(x, name)(dim),
                 lambda x: getattr(x, name)(axis=dim)):
        x = t64(a, True)
        out = call(x)
        assert_close(out, ref)
        (out * t64(w)).sum().backward()
        assert_close(x.grad, ref_grad)
    x = t64(a)
    assert_close(getattr(x, name)(), getattr(torch, name)(xt, dim=-1))


# ---------------------------------------------------------------------- movement methods
MOVEMENT = {
    "reshape varargs": ((2, 3, 4), lambda x: x.reshape(6, 4), lambda t: t.reshape(6, 4)),
    "reshape tuple": ((2, 3, 4), lambda x: x.reshape((4, 6)), lambda t: t.reshape((4, 6))),
    "reshape -1": ((2, 3, 4), lambda x: x.reshape(-1), lambda t: t.reshape(-1)),
    "reshape -1 inner": ((2, 3, 4), lambda x: x.reshape(2, -1, 2), lambda t: t.reshape(2, -1, 2)),
    "view": ((2, 3, 4), lambda x: x.view(4, -1), lambda t: t.view(4, -1)),
    "view tuple": ((2, 3, 4), lambda x: x.view((3, 8)), lambda t: t.view((3, 8))),
    "transpose torch 3-d": ((2, 3, 4), lambda x: x.transpose(0, 2), lambda t: t.transpose(0, 2)),
    "transpose torch negative": ((2, 3, 4), lambda x: x.transpose(-1, -2),
                                 lambda t: t.transpose(-1, -2)),
    "transpose torch 2-d": ((3, 4), lambda x: x.transpose(0, 1), lambda t: t.transpose(0, 1)),
    "transpose torch 2-d reversed": ((3, 4), lambda x: x.transpose(1, 0),
                                     lambda t: t.transpose(1, 0)),
    "transpose 2-d same dim": ((3, 4), lambda x: x.transpose(1, 1), lambda t: t.transpose(1, 1)),
    "transpose numpy perm varargs": ((2, 3, 4), lambda x: x.transpose(2, 0, 1),
                                     lambda t: t.permute(2, 0, 1)),
    "transpose numpy perm tuple": ((2, 3, 4), lambda x: x.transpose((1, 2, 0)),
                                   lambda t: t.permute(1, 2, 0)),
    "transpose numpy reverse": ((2, 3, 4), lambda x: x.transpose(), lambda t: t.permute(2, 1, 0)),
    "permute varargs": ((2, 3, 4), lambda x: x.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    "permute tuple": ((2, 3, 4), lambda x: x.permute((1, 2, 0)), lambda t: t.permute((1, 2, 0))),
    "permute negative": ((2, 3, 4), lambda x: x.permute(-1, 0, 1), lambda t: t.permute(-1, 0, 1)),
    "flatten": ((2, 3, 4), lambda x: x.flatten(), lambda t: t.flatten()),
    "flatten start": ((2, 3, 4), lambda x: x.flatten(1), lambda t: t.flatten(1)),
    "flatten start end": ((2, 3, 4, 5), lambda x: x.flatten(1, 2), lambda t: t.flatten(1, 2)),
    "squeeze all": ((2, 1, 3, 1), lambda x: x.squeeze(), lambda t: t.squeeze()),
    "squeeze dim": ((2, 1, 3, 1), lambda x: x.squeeze(1), lambda t: t.squeeze(1)),
    "squeeze dim keyword": ((2, 1, 3, 1), lambda x: x.squeeze(dim=-1),
                            lambda t: t.squeeze(dim=-1)),
    "squeeze non-1 dim": ((2, 1, 3, 1), lambda x: x.squeeze(0), lambda t: t.squeeze(0)),
    "unsqueeze 0": ((2, 3), lambda x: x.unsqueeze(0), lambda t: t.unsqueeze(0)),
    "unsqueeze middle": ((2, 3), lambda x: x.unsqueeze(1), lambda t: t.unsqueeze(1)),
    "unsqueeze -1": ((2, 3), lambda x: x.unsqueeze(-1), lambda t: t.unsqueeze(-1)),
    "expand": ((3, 1), lambda x: x.expand(3, 4), lambda t: t.expand(3, 4)),
    "expand -1": ((3, 1), lambda x: x.expand(-1, 4), lambda t: t.expand(-1, 4)),
    "expand new leading": ((3, 1), lambda x: x.expand(2, 3, 4), lambda t: t.expand(2, 3, 4)),
    "expand tuple": ((1, 3), lambda x: x.expand((2, -1)), lambda t: t.expand((2, -1))),
    "expand_as": ((3, 1), lambda x: x.expand_as(cr.zeros(3, 5)),
                  lambda t: t.expand_as(torch.zeros(3, 5))),
    "split int": ((5, 2), lambda x: x.split(2), lambda t: t.split(2)),
    "split int dim": ((2, 3, 4), lambda x: x.split(3, dim=2), lambda t: t.split(3, dim=2)),
    "split sections": ((2, 5), lambda x: x.split([1, 4], dim=1), lambda t: t.split([1, 4], dim=1)),
    "split negative dim": ((2, 5), lambda x: x.split([2, 3], -1), lambda t: t.split([2, 3], -1)),
    "chunk": ((5, 2), lambda x: x.chunk(3), lambda t: t.chunk(3)),
    "chunk dim": ((2, 6), lambda x: x.chunk(4, dim=1), lambda t: t.chunk(4, dim=1)),
    "chunk even": ((2, 6), lambda x: x.chunk(2, 1), lambda t: t.chunk(2, 1)),
}


@pytest.mark.parametrize("name", list(MOVEMENT))
def test_movement_methods_match_torch(name):
    shape, ours_fn, ref_fn = MOVEMENT[name]
    rng = np.random.default_rng(12)
    a = rng.standard_normal(shape)
    x, xt = t64(a, True), th64(a, True)
    out, ref = ours_fn(x), ref_fn(xt)
    if isinstance(ref, tuple):
        assert isinstance(out, tuple) and len(out) == len(ref)
        for o, r in zip(out, ref):
            assert_close(o, r)
    else:
        assert isinstance(out, cr.Tensor)
        assert_close(out, ref)
    weights = weights_for(ref, rng, lambda w: w)
    weighted_loss(out, [t64(w) for w in weights]).backward()
    weighted_loss(ref, [th64(w) for w in weights]).backward()
    assert_close(x.grad, xt.grad)


def test_swapaxes_and_mT():
    rng = np.random.default_rng(13)
    a = rng.standard_normal((2, 3, 4))
    x = t64(a)
    assert_close(x.swapaxes(0, 2), np.swapaxes(a, 0, 2))
    assert_close(x.mT, th64(a).mT)


# ---------------------------------------------------------------------- autograd flags
def test_leaf_and_grad_fn():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf and x.grad_fn is None and x.grad is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    assert y.grad_fn is not None and y.grad_fn.name == "multiply"
    assert (x + 1).grad_fn.name == "add"
    assert x.sum().grad_fn.name == "sum"
    c = cr.tensor([1.0, 2.0])
    z = c * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None   # as torch


def test_detach_shares_data_and_cuts_the_graph():
    rng = np.random.default_rng(14)
    a = rng.standard_normal(4)
    x, xt = t64(a, True), th64(a, True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y.numpy())
    (x.detach() * x).sum().backward()
    (xt.detach() * xt).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(x.grad, a)


def test_requires_grad_():
    x = cr.tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x
    assert x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = x.requires_grad_(True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_retain_grad_keeps_a_non_leaf_gradient_like_torch():
    rng = np.random.default_rng(15)
    a = rng.standard_normal(3)
    x, xt = t64(a, True), th64(a, True)
    h, ht = cr.tanh(x) * 2, torch.tanh(xt) * 2
    h.retain_grad()
    ht.retain_grad()
    other = x * 5           # not retained
    (h ** 3 + other).sum().backward()
    (ht ** 3 + xt * 5).sum().backward()
    assert_close(h.grad, ht.grad)
    assert_close(x.grad, xt.grad)
    assert other.grad is None


# ---------------------------------------------------------------------- grad mode
def test_no_grad_and_enable_grad_as_context_managers():
    x = cr.tensor([1.0], requires_grad=True)
    assert cr.is_grad_enabled()
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            z = x * 2
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(KeyError):
        with cr.no_grad():
            raise KeyError("inside no_grad")
    assert cr.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators_with_parentheses():
    x = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad()
    def frozen(t):
        return t * 2

    @cr.enable_grad()
    def tracked(t):
        return t * 2

    assert frozen.__name__ == "frozen"
    assert not frozen(x).requires_grad
    assert cr.is_grad_enabled()
    with cr.no_grad():
        assert tracked(x).requires_grad
        assert not cr.is_grad_enabled()


def test_no_grad_and_enable_grad_as_bare_decorators_like_torch():
    # torch 2.x accepts @torch.no_grad and @torch.enable_grad without parentheses
    x = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad
    def frozen(t):
        return t * 2

    @cr.enable_grad
    def tracked(t):
        return t * 2

    assert not frozen(x).requires_grad
    with cr.no_grad():
        assert tracked(x).requires_grad


def test_set_grad_enabled():
    x = cr.tensor([1.0], requires_grad=True)
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert (x * 2).requires_grad


# ---------------------------------------------------------------------- repr
def test_repr_is_readable():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    r = repr(x)
    assert r.startswith("tensor(") and "1.5" in r and "-2." in r
    assert "requires_grad=True" in r
    y = x * 2
    ry = repr(y)
    assert "3." in ry and "-4." in ry
    assert "grad_fn=<multiply>" in ry
    assert str(y) == ry
    plain = repr(cr.tensor([1.0, 2.0]))
    assert "requires_grad" not in plain and "grad_fn" not in plain and "dtype" not in plain
    assert "dtype=float64" in repr(cr.zeros(2, dtype=cr.float64))
    assert "7" in repr(cr.tensor(7))
    assert "[[" in repr(cr.zeros(2, 2))
