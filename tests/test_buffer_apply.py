"""nn.Buffer (registration by assignment, persistence, state_dict, to(), copies) and
Tensor.apply_ / map_ / map2_ (a Python callable element by element, in place), each compared
with PyTorch."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import chainrule as cr


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _equal(a, b):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------ nn.Buffer
def _module(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = L.nn.Buffer(L.zeros(2))
            self.b = L.nn.Buffer(L.ones(2), persistent=False)
            self.lin = L.nn.Linear(2, 2)
            self.c = L.nn.Buffer(L.arange(3))

    return M()


def test_buffer_is_a_detached_tensor_sharing_memory():
    for L in (torch, cr):
        x = L.ones(3, requires_grad=True)
        b = L.nn.Buffer(x)
        assert isinstance(b, L.nn.Buffer) and isinstance(b, L.Tensor) and b is not x
        assert b.requires_grad and b.is_leaf and b.persistent is True
        with L.no_grad():
            b.add_(1)
        assert x.detach().numpy().tolist() == [2.0, 2.0, 2.0]
        y = L.nn.Buffer(x * 2)
        assert y.requires_grad and y.is_leaf and y.grad_fn is None
        empty = L.nn.Buffer()
        assert tuple(empty.shape) == (0,) and str(empty.dtype).endswith("float32")
        assert not isinstance(L.ones(2), L.nn.Buffer)
        assert not isinstance(L.nn.Parameter(L.ones(2)), L.nn.Buffer)
        p = L.nn.Buffer(L.nn.Parameter(L.ones(2)))
        assert not isinstance(p, L.nn.Parameter) and p.requires_grad
        assert type(L.nn.Buffer(L.ones(2)) + 1) is L.Tensor
        assert repr(L.nn.Buffer(L.ones(2))) == repr(L.ones(2)).replace("torch.", "")
        with pytest.raises(AttributeError):
            L.nn.Buffer([1.0, 2.0])
        with pytest.raises(TypeError):
            L.nn.Buffer(L.ones(2), False)       # persistent is keyword-only


def _keys(m):
    return list(m.state_dict()), [n for n, _ in m.named_buffers()]


def test_buffer_assignment_registers_it():
    mc, mt = _module(cr), _module(torch)
    assert _keys(mc) == _keys(mt) == (["a", "c", "lin.weight", "lin.bias"], ["a", "b", "c"])
    assert isinstance(mc.a, cr.nn.Buffer) and mc.a is mc._buffers["a"]
    for m, L in ((mc, cr), (mt, torch)):
        m.a = L.ones(2)                     # a plain tensor: still a buffer, still persistent
        assert not isinstance(m.a, L.nn.Buffer)
        m.b = L.ones(2)                     # ... and still non-persistent
        assert list(m.state_dict()) == ["a", "c", "lin.weight", "lin.bias"]
        m.b = L.nn.Buffer(L.ones(2))        # an nn.Buffer sets the persistence
        m.a = L.nn.Buffer(L.ones(2), persistent=False)
        assert list(m.state_dict()) == ["b", "c", "lin.weight", "lin.bias"]
        m.register_buffer("z", L.nn.Buffer(L.ones(1), persistent=False))   # the argument wins
        assert "z" in m.state_dict()
        del m.c
        assert "c" not in m.state_dict()
        assert [n for n, _ in m.named_parameters()] == ["lin.weight", "lin.bias"]


@pytest.mark.parametrize(("label", "program", "error"), [
    ("to a parameter's name",
     lambda L, m: setattr(m.lin, "weight", L.nn.Buffer(L.ones(2, 2))), TypeError),
    ("to a submodule's name", lambda L, m: setattr(m, "lin", L.nn.Buffer(L.ones(2))), TypeError),
    ("to a plain attribute's name",
     lambda L, m: (setattr(m, "x", 5), setattr(m, "x", L.nn.Buffer(L.ones(1)))), KeyError),
    ("to a method's name", lambda L, m: setattr(m, "forward", L.nn.Buffer(L.ones(1))),
     KeyError),
])
def test_buffer_assignment_errors(label, program, error):
    for L in (torch, cr):
        m = _module(L)
        with pytest.raises(error):
            program(L, m)
        assert list(m.lin.state_dict()) == ["weight", "bias"]


def test_buffer_state_dict_load_to_and_copies():
    mc, mt = _module(cr), _module(torch)
    sd_c, sd_t = mc.state_dict(), mt.state_dict()
    assert [(k, type(v).__name__) for k, v in sd_c.items()] == \
        [(k, type(v).__name__) for k, v in sd_t.items()]
    assert not any(isinstance(v, cr.nn.Buffer) for v in sd_c.values())
    mc.load_state_dict({k: v.numpy() + 1 for k, v in sd_t.items()})
    mt.load_state_dict({k: v + 1 for k, v in sd_t.items()})
    for k in ("a", "b", "c"):
        _equal(getattr(mc, k), getattr(mt, k))
    for m, L in ((mc, cr), (mt, torch)):
        twin = copy.deepcopy(m)
        assert isinstance(twin.c, L.nn.Buffer) and list(twin.state_dict()) == list(
            m.state_dict())
        assert twin.b is not m.b and _keys(twin) == _keys(m)
    mc.double()
    mt.double()
    for k in ("a", "b", "c"):
        _equal(getattr(mc, k), getattr(mt, k))     # float buffers cast, the int one kept
    # (PyTorch's .double() replaces a cast buffer by a new tensor without the nn.Buffer mark;
    # chainrule's Module.to casts in place and keeps it: the one difference here)


# ------------------------------------------------------------------------------ apply_, map_
def _run(L, array, program):
    """``program(tensor)`` on a copy of ``array``; the tensor afterwards, or the error type."""
    t = L.tensor(array.copy())
    try:
        result = program(t)
    except Exception as e:      # noqa: BLE001  (compared between the libraries)
        return type(e), str(e)
    assert result is t
    return t


DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128"]

RESULTS = [
    ("double", lambda v: v * 2),
    ("plus one", lambda v: v + 1),
    ("a float", lambda v: 2.75),
    ("minus a float", lambda v: -2.75),
    ("an int", lambda v: 3),
    ("a negative int", lambda v: -1),
    ("a big int", lambda v: 300),
    ("a bool", lambda v: True),
    ("zero", lambda v: 0),
    ("None", lambda v: None),
    ("a string", lambda v: "1.5"),
    ("a complex", lambda v: 1 + 2j),
    ("a huge float", lambda v: 1e300),
    ("inf", lambda v: math.inf),
    ("nan", lambda v: math.nan),
    ("beyond int64", lambda v: 2 ** 70),
    ("a numpy float32", lambda v: np.float32(1.5)),
    ("a numpy int", lambda v: np.int64(-3)),
    ("a tensor", lambda v: 7),
]


def _array(dtype, shape=(2, 3)):
    a = np.arange(np.prod(shape)).reshape(shape) % 4
    return (a * (1 + 1j) if dtype.startswith("complex") else a).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("label", "fn"), RESULTS, ids=[r[0] for r in RESULTS])
def test_apply_converts_results_as_torch(dtype, label, fn):
    a = _array(dtype)
    results = []
    for L in (torch, cr):
        seen = []

        def record(v, seen=seen, fn=fn):
            seen.append(type(v).__name__)
            return fn(v)

        results.append((_run(L, a, lambda t: t.apply_(record)), seen))
    (t, seen_t), (c, seen_c) = results
    assert seen_c == seen_t                 # the argument types (bool, int, float, complex)
    if isinstance(t, tuple):
        assert isinstance(c, tuple) and c[0] is t[0], (c, t)
    else:
        assert not isinstance(c, tuple), c
        _equal(c, t)


def test_apply_order_views_and_partial_writes():
    for L in (torch, cr):
        base = L.arange(6.0).reshape(2, 3)
        order = []
        base.t().apply_(lambda v, order=order: order.append(v) or v * 10)  # the view's order
        assert order == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        assert base.numpy().tolist() == [[0, 10, 20], [30, 40, 50]]
        base[0].apply_(lambda v: -1.0)                           # a view writes its base
        assert base.numpy().tolist() == [[-1, -1, -1], [30, 40, 50]]

        def stop(v):
            if v > 2:
                raise KeyError(v)
            return -v

        t = L.arange(6.0)
        with pytest.raises(KeyError):
            t.apply_(stop)
        assert t.numpy().tolist() == [-0.0, -1.0, -2.0, 3.0, 4.0, 5.0]   # written so far
        assert L.tensor(3.0).apply_(lambda v: v + 1).item() == 4.0
        assert tuple(L.empty(0, 2).apply_(lambda v: 1 / 0).shape) == (0, 2)
        assert tuple(L.empty(0).apply_(3).shape) == (0,)        # never called
        with pytest.raises(TypeError):
            L.ones(2).apply_(3)
        with pytest.raises(TypeError):
            L.ones(2).apply_(callable=abs)          # positional only
        with pytest.raises(TypeError):
            L.ones(2).apply_(abs, abs)


def test_apply_refuses_a_tensor_that_requires_grad():
    for L in (torch, cr):
        x = L.ones(3, requires_grad=True)
        message = "Can't call apply_\\(\\) on Variable that requires grad"
        with pytest.raises(RuntimeError, match=message):
            x.apply_(lambda v: v)
        with L.no_grad(), pytest.raises(RuntimeError, match=message):
            x.apply_(lambda v: v)
        with pytest.raises(RuntimeError, match=message):
            (x * 2).apply_(lambda v: v)
        x.detach().apply_(lambda v: v * 3)         # the memory, not recorded
        assert x.detach().numpy().tolist() == [3.0, 3.0, 3.0] and x.requires_grad
        # no version bump: a graph that saved the memory sees the new values (PyTorch's)
        w = L.ones(3, requires_grad=True)
        z = (w * w).sum()
        w.data.apply_(lambda v: v + 1)
        z.backward()
        assert w.grad.numpy().tolist() == [4.0, 4.0, 4.0]


MAP_CASES = [
    ("same shape", (2, 3), (2, 3), "float64"),
    ("a row", (2, 3), (3,), "float32"),
    ("a column", (2, 3), (2, 1), "float64"),
    ("0-d other", (2, 3), (), "float64"),
    ("0-d self", (), (), "float64"),
    ("ints", (4,), (4,), "int64"),
    ("bools", (2, 2), (2,), "bool"),
    ("complex", (3,), (1,), "complex128"),
    ("half", (2,), (2,), "float16"),
    ("empty", (0, 3), (3,), "float64"),
    ("self smaller", (3,), (2, 3), "float64"),
    ("incompatible", (2, 3), (2,), "float64"),
    ("0-d self, 1-d other", (), (1,), "float64"),
    ("other would broadcast self", (1, 3), (2, 3), "float64"),
]


@pytest.mark.parametrize(("label", "shape", "other_shape", "dtype"), MAP_CASES,
                         ids=[m[0] for m in MAP_CASES])
def test_map_broadcasts_other_to_self(label, shape, other_shape, dtype):
    a, b = _array(dtype, shape), (_array(dtype, other_shape) + 1).astype(dtype)
    out = []
    for L in (torch, cr):
        calls = []

        def fn(x, y, calls=calls):
            calls.append((x, y))
            return x * 2 + y if not isinstance(x, bool) else x != y

        out.append((_run(L, a, lambda t, L=L, fn=fn: t.map_(L.tensor(b.copy()), fn)), calls))
    (t, calls_t), (c, calls_c) = out
    assert calls_c == calls_t
    if isinstance(t, tuple):
        assert c == t and t[0] is RuntimeError      # PyTorch's error, word for word
    else:
        _equal(c, t)


def test_map_and_map2_errors_as_torch():
    for L in (torch, cr):
        x = L.zeros(2, 3)
        with pytest.raises(TypeError, match="map_: expected .*FloatTensor for 'other' "
                                             "\\(got .*DoubleTensor\\)"):
            x.map_(L.ones(3, dtype=L.float64), lambda a, b: a)
        with pytest.raises(TypeError, match="argument 'other' \\(position 1\\) must be Tensor, "
                                             "not float"):
            x.map_(2.0, lambda a, b: a)
        with pytest.raises(TypeError):
            x.map_([1.0, 2.0, 3.0], lambda a, b: a)
        with pytest.raises(RuntimeError, match="Can't call map_\\(\\) on Variable"):
            x.map_(L.ones(3, requires_grad=True), lambda a, b: a)
        with pytest.raises(RuntimeError, match="Can't call map_\\(\\) on Variable"):
            L.ones(3, requires_grad=True).map_(L.ones(3), lambda a, b: a)
        with pytest.raises(TypeError):
            x.map_(L.ones(3))
        with pytest.raises(TypeError):
            x.map_(L.ones(3), lambda a: a)
        assert x.map_(L.ones(3), callable=lambda a, b: a + b + 5).numpy().tolist() == \
            [[6.0] * 3] * 2
        assert x.map_(other=L.ones(3), callable=lambda a, b: -b).numpy().tolist() == \
            [[-1.0] * 3] * 2
        y = L.zeros(2, 3)
        y.map2_(L.tensor([10.0, 20.0, 30.0]), L.tensor([[1.0], [2.0]]),
                lambda a, b, c: a + b * c)
        assert y.numpy().tolist() == [[10, 20, 30], [20, 40, 60]]
        with pytest.raises(TypeError, match="map2_: expected .*FloatTensor for argument 'y'"):
            y.map2_(L.ones(3), L.ones(1, dtype=L.float64), lambda a, b, c: a)
        with pytest.raises(RuntimeError, match="Can't call map2_\\(\\) on Variable"):
            y.map2_(L.ones(3), L.ones(1, requires_grad=True), lambda a, b, c: a)


def test_map_reads_memory_written_earlier():
    """Element by element: a view of the same memory sees the values written before it."""
    for L in (torch, cr):
        t = L.arange(4.0)
        t[1:].map_(t[:-1], lambda a, b: a + b)         # a running sum, as PyTorch
        assert t.numpy().tolist() == [0.0, 1.0, 3.0, 6.0]
        u = L.arange(6.0).reshape(2, 3)
        u.map_(u, lambda a, b: a + b)
        assert u.numpy().tolist() == [[0, 2, 4], [6, 8, 10]]
