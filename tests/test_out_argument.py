"""``out=`` on chainrule's top-level functions (chainrule/ops/out_argument.py) against PyTorch:
the values and dtype written, the identity of what is returned, the resize warning, the errors
(dtype, autograd), aliasing, views and version counters."""
from __future__ import annotations

import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import chainrule as cr
from chainrule.autograd.versions import version as cr_version
from tests.strategies import broadcast_shapes

F32, F64, I32, I64, B = "float32", "float64", "int32", "int64", "bool"
X = np.array([[1.5, -5.0, 0.25], [3.0, 2.0, -0.5]])
P = np.array([[1.5, 5.0, 0.25], [3.0, 2.0, 0.5]])          # positive: log, sqrt, pow
N = np.array([[1, -2, 7], [3, 4, -5]])
SQ = np.array([[1.0, 2.0], [3.0, -4.0]])


def _dtype(L, name):
    return getattr(L, name)


def _t(L, a, dtype):
    return L.tensor(np.asarray(a).tolist(), dtype=_dtype(L, dtype))


def _empty(L, shape, dtype, requires_grad=False):
    return L.empty(*shape, dtype=_dtype(L, dtype), requires_grad=requires_grad)


def _outcome(L, call):
    """(kind, payload, warnings): the values written and returned, or the error raised."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            result = call(L)
        except Exception as exc:  # noqa: BLE001  (the error is the thing compared)
            return "error", (type(exc).__name__, str(exc).split(" (Triggered")[0]), []
    messages = [str(w.message).split(" (Triggered")[0] for w in seen     # out='s warnings only
                if issubclass(w.category, UserWarning) and "out tensor" in str(w.message)]
    return "ok", result, messages


def _compare(call, *, random: bool = False, rtol: float = 1e-6):
    """Run ``call`` with L=torch and L=chainrule and compare. ``rtol``: the float32 cases compute
    in float32 in both libraries (a last-bit difference in their exp, cos, …), float64 ones pass
    1e-12."""
    (tk, tres, tw), (ck, cres, cw) = _outcome(torch, call), _outcome(cr, call)
    assert ck == tk, f"chainrule {ck} {cres if ck == 'error' else ''} != torch {tk} {tres}"
    if tk == "error":
        assert cres == tres
        return
    assert cw == tw
    (tret, touts), (cret, couts) = tres, cres
    if isinstance(touts, tuple):
        assert isinstance(cret, tuple) and len(cret) == 2
        assert cret[0] is couts[0] and cret[1] is couts[1]
        assert cret.values is couts[0] and cret.indices is couts[1]
        pairs = list(zip(touts, couts))
    else:
        assert tret is touts and cret is couts
        pairs = [(touts, couts)]
    for t, c in pairs:
        assert str(c.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(c.shape) == tuple(t.shape)
        if not random:
            np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=rtol, atol=0)


def _case(fn_name, make_args, out_dtype, out_shape=(0,), kwargs=None, pair=False):
    """fn(*args, out=...) with the args made in library L."""
    def call(L):
        args = make_args(L)
        if pair:
            out = (_empty(L, out_shape, out_dtype[0]), _empty(L, out_shape, out_dtype[1]))
        else:
            out = _empty(L, out_shape, out_dtype)
        return getattr(L, fn_name)(*args, out=out, **(kwargs or {})), out
    return call


def x(d=F32, a=X):
    return lambda L: (_t(L, a, d),)


def xy(d=F32, e=None, a=X, b=P):
    return lambda L: (_t(L, a, d), _t(L, b, e or d))


# name, args, out dtypes to try, kwargs
ELEMENTWISE = [
    ("add", xy(), {}), ("add", xy(I64), {}), ("add", xy(I64), {"alpha": 2}),
    ("sub", xy(), {}), ("sub", lambda L: (_t(L, N, I64), 1.5), {}),
    ("mul", xy(), {}), ("mul", xy(I64, F32, N), {}), ("mul", lambda L: (_t(L, X, F32), 2), {}),
    ("div", xy(), {}), ("div", xy(I64, a=N, b=N), {}),
    ("div", lambda L: (_t(L, N, I64), 2), {"rounding_mode": "floor"}),
    ("pow", lambda L: (_t(L, N, I64), 2), {}), ("pow", lambda L: (_t(L, P, F32), 0.5), {}),
    ("pow", lambda L: (2, _t(L, X, F32)), {}),
    ("exp", x(), {}), ("exp", x(I64, N), {}), ("log", x(a=P), {}), ("sqrt", x(a=P), {}),
    ("sqrt", x(I64, N * N), {}),
    ("sin", x(), {}), ("cos", x(), {}), ("tanh", x(), {}), ("sigmoid", x(), {}),
    ("sigmoid", x(I64, N), {}),
    ("maximum", xy(), {}), ("minimum", xy(I64, a=N, b=-N), {}),
    ("eq", xy(a=X, b=X), {}), ("ne", xy(), {}), ("lt", xy(), {}), ("le", xy(), {}),
    ("gt", xy(), {}), ("ge", xy(), {}),
    ("remainder", lambda L: (_t(L, X, F32), 2), {}), ("remainder", xy(I64, a=N, b=N * 0 + 3), {}),
    ("floor_divide", lambda L: (_t(L, N, I64), 2), {}),
    ("mean", x(), {"dim": 0}), ("mean", x(), {}), ("mean", x(F64), {"dim": 1, "keepdim": True}),
    ("max", xy(), {}), ("min", x(), {}),
]
EXACT_DTYPE = [
    ("matmul", lambda L: (_t(L, X, F32), _t(L, X.T, F32)), {}),
    ("matmul", lambda L: (_t(L, N, I64), _t(L, N.T, I64)), {}),
    ("mm", lambda L: (_t(L, X, F32), _t(L, X.T, F32)), {}),
    ("bmm", lambda L: (_t(L, X[None], F32), _t(L, X.T[None], F32)), {}),
    ("addmm", lambda L: (_t(L, SQ, F32), _t(L, SQ, F32), _t(L, SQ, F32)), {}),
    ("addmm", lambda L: (_t(L, SQ, F32), _t(L, SQ, F32), _t(L, SQ, F32)),
     {"beta": 0.5, "alpha": 2}),
    ("baddbmm", lambda L: (_t(L, SQ[None], F32), _t(L, SQ[None], F32), _t(L, SQ[None], F32)), {}),
    ("abs", x(), {}), ("abs", x(I64, N), {}), ("neg", x(), {}), ("neg", x(I64, N), {}),
    ("clamp", x(), {"min": 0.0, "max": 1.0}), ("clamp", x(I64, N), {"min": 0}),
    ("where", lambda L: (_t(L, X, F32) > 0, _t(L, X, F32), _t(L, P, F32)), {}),
    ("cat", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("cat", lambda L: ([_t(L, N, I64), _t(L, N, I64)],), {"dim": 1}),
    ("stack", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("argmax", x(), {"dim": 1}), ("argmin", x(), {"dim": 0}), ("argmax", x(), {}),
    ("sum", x(), {"dim": 0}), ("sum", x(I64, N), {"dim": 1}), ("sum", x(), {"dim": (0, 1)}),
    ("sum", x(I64, N), {"dim": 0, "dtype": torch.float64}),
    ("prod", x(), {"dim": 1}), ("prod", x(I64, N), {"dim": 0}),
    ("cumsum", x(), {"dim": 1}), ("cumsum", x(I64, N), {"dim": 0}),
]
U = np.array([[0.5, 0.9, 0.25], [0.3, 0.2, 0.5]])          # in (0, 1): atanh, logit
V2 = np.array([1.0, 2.0])
MORE = [
    ("tan", x(a=U), {}), ("asin", x(a=U), {}), ("acos", x(a=U), {}), ("atan", x(), {}),
    ("sinh", x(), {}), ("cosh", x(), {}), ("asinh", x(), {}), ("acosh", x(a=P + 1), {}),
    ("atanh", x(a=U), {}), ("exp2", x(), {}), ("expm1", x(), {}), ("log2", x(a=P), {}),
    ("log10", x(a=P), {}), ("log1p", x(a=P), {}), ("rsqrt", x(a=P), {}),
    ("reciprocal", x(), {}), ("square", x(), {}), ("square", x(I64, N), {}), ("erf", x(), {}),
    ("erfc", x(), {}), ("lgamma", x(a=P), {}), ("logit", x(a=U), {}), ("deg2rad", x(), {}),
    ("rad2deg", x(), {}), ("fmax", xy(), {}), ("fmin", xy(), {}), ("atan2", xy(), {}),
    ("hypot", xy(), {}), ("copysign", xy(), {}), ("logaddexp", xy(), {}),
    ("logaddexp2", xy(), {}), ("xlogy", xy(a=P, b=U), {}), ("true_divide", xy(), {}),
    ("lerp", lambda L: (_t(L, X, F32), _t(L, P, F32), 0.5), {}),
    ("addcmul", lambda L: (_t(L, X, F32), _t(L, P, F32), _t(L, U, F32)), {"value": 2}),
    ("addcdiv", lambda L: (_t(L, X, F32), _t(L, P, F32), _t(L, U, F32)), {}),
    ("fmod", lambda L: (_t(L, X, F32), 2.0), {}), ("gcd", xy(I64, a=N, b=N + 8), {}),
    ("lcm", xy(I64, a=N, b=N + 8), {}),
    ("greater", xy(), {}), ("less_equal", xy(), {}), ("not_equal", xy(), {}),
    ("logical_and", xy(), {}), ("logical_or", xy(), {}), ("logical_xor", xy(), {}),
    ("logical_not", x(), {}), ("bitwise_and", xy(I64, a=N, b=N + 3), {}),
    ("bitwise_or", xy(I64, a=N, b=N + 3), {}), ("bitwise_xor", xy(I64, a=N, b=N + 3), {}),
    ("bitwise_not", x(I64, N), {}),
    ("sign", x(), {}), ("sgn", x(), {}), ("ceil", x(), {}), ("floor", x(), {}),
    ("round", x(), {}), ("trunc", x(), {}), ("frac", x(), {}), ("floor", x(I64, N), {}),
    ("outer", lambda L: (_t(L, V2, F32), _t(L, V2, F32)), {}),
    ("ger", lambda L: (_t(L, V2, F32), _t(L, V2, F32)), {}),
    ("addr", lambda L: (_t(L, SQ, F32), _t(L, V2, F32), _t(L, V2, F32)), {}),
    ("kron", lambda L: (_t(L, SQ, F32), _t(L, SQ, F32)), {}),
    ("std", x(), {"dim": 1}), ("var", x(), {"dim": 0}), ("diff", x(), {}),
    ("mv", lambda L: (_t(L, SQ, F32), _t(L, V2, F32)), {}),
    ("addmv", lambda L: (_t(L, V2, F32), _t(L, SQ, F32), _t(L, V2, F32)), {}),
    ("tril", x(), {}), ("triu", x(), {"diagonal": 1}), ("diag", x(), {}),
    ("gather", lambda L: (_t(L, X, F32), 1, _t(L, [[0], [2]], I64)), {}),
    ("take_along_dim", lambda L: (_t(L, X, F32), _t(L, [[0], [2]], I64), 1), {}),
    ("msort", x(), {}), ("renorm", lambda L: (_t(L, X, F32), 2, 0, 1.0), {}),
    ("hstack", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("vstack", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("dstack", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("column_stack", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("concat", lambda L: ([_t(L, X, F32), _t(L, P, F32)],), {}),
    ("dot", lambda L: (_t(L, V2, F32), _t(L, V2, F32)), {}),
    ("vdot", lambda L: (_t(L, V2, F32), _t(L, V2, F32)), {}),
    ("inner", lambda L: (_t(L, SQ, F32), _t(L, SQ, F32)), {}),
    ("tensordot", lambda L: (_t(L, SQ, F32), _t(L, SQ, F32)), {"dims": 1}),
    ("amax", x(), {"dim": 1}), ("amin", x(I64, N), {"dim": 0}),
    ("index_select", lambda L: (_t(L, X, F32), 1, _t(L, [0, 2], I64)), {}),
    ("masked_select", lambda L: (_t(L, X, F32), _t(L, X, F32) > 0), {}),
    ("nan_to_num", x(), {}), ("logcumsumexp", x(), {"dim": 1}),
    ("all", x(), {"dim": 1}), ("any", x(), {}), ("all", x(I64, N), {}),
    ("logsumexp", x(), {"dim": 1}), ("logsumexp", x(I64, N), {"dim": 0}),
    ("cumprod", x(), {"dim": 1}), ("cumprod", x(I64, N), {"dim": 0}),
]
OUT_DTYPES = (F32, F64, I64, I32, B)


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize(("name", "make_args", "kwargs"), MORE,
                         ids=[f"{c[0]}{i}" for i, c in enumerate(MORE)])
def test_more_functions(name, make_args, kwargs, out_dtype):
    def call(L):
        out = _empty(L, (0,), out_dtype)
        return getattr(L, name)(*make_args(L), out=out, **_kw(L, kwargs)), out
    _compare(call)


def _kw(L, kwargs):
    return {k: (_dtype(L, str(v).split(".")[-1]) if isinstance(v, torch.dtype) else v)
            for k, v in kwargs.items()}


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize(("name", "make_args", "kwargs"), ELEMENTWISE + EXACT_DTYPE,
                         ids=[f"{c[0]}{i}" for i, c in enumerate(ELEMENTWISE + EXACT_DTYPE)])
def test_value_dtype_identity_and_errors(name, make_args, kwargs, out_dtype):
    def call(L):
        out = _empty(L, (0,), out_dtype)
        return getattr(L, name)(*make_args(L), out=out, **_kw(L, kwargs)), out
    _compare(call)


def _sum_no_dim(L):
    out = _empty(L, (0,), F32)
    return L.sum(_t(L, X, F32), out=out), out


def test_sum_without_dim_takes_no_out():
    with pytest.raises(TypeError):
        _sum_no_dim(torch)
    with pytest.raises(TypeError, match="needs a dim"):
        _sum_no_dim(cr)


PAIRS = [
    ("max", x(), {"dim": 1}), ("min", x(), {"dim": 0, "keepdim": True}),
    ("max", lambda L: (_t(L, X, F32), 1), {}), ("min", x(I64, N), {"dim": 1}),
    ("sort", x(), {}), ("sort", x(), {"dim": 0, "descending": True}),
    ("topk", lambda L: (_t(L, X, F32), 2), {}), ("topk", lambda L: (_t(L, N, I64), 1), {"dim": 0}),
]


@pytest.mark.parametrize("dtypes", [(F32, I64), (F64, I64), (I64, I64), (F32, I32)])
@pytest.mark.parametrize(("name", "make_args", "kwargs"), PAIRS,
                         ids=[f"{c[0]}{i}" for i, c in enumerate(PAIRS)])
def test_values_indices_pairs(name, make_args, kwargs, dtypes):
    def call(L):
        out = (_empty(L, (0,), dtypes[0]), _empty(L, (0,), dtypes[1]))
        return getattr(L, name)(*make_args(L), out=out, **kwargs), out
    _compare(call)


CREATION = [
    ("zeros", lambda L: (2, 3), {}), ("ones", lambda L: ((4,),), {}),
    ("full", lambda L: ((2,), 3), {}), ("full", lambda L: ((2,), 3.5), {}),
    ("arange", lambda L: (5,), {}), ("arange", lambda L: (0.5, 3), {}),
    ("arange", lambda L: (1, 10, 3), {}), ("linspace", lambda L: (0, 1, 5), {}),
    ("zeros", lambda L: (3,), {"dtype": torch.float64}), ("eye", lambda L: (3,), {}),
    ("eye", lambda L: (2, 3), {}), ("logspace", lambda L: (0, 2, 3), {}),
]


@pytest.mark.parametrize("out_shape", [(0,), (3,), (2, 3)])
@pytest.mark.parametrize("out_dtype", (F32, F64, I64))
@pytest.mark.parametrize(("name", "make_args", "kwargs"), CREATION,
                         ids=[f"{c[0]}{i}" for i, c in enumerate(CREATION)])
def test_creation_functions(name, make_args, kwargs, out_dtype, out_shape):
    def call(L):
        out = _empty(L, out_shape, out_dtype)
        return getattr(L, name)(*make_args(L), out=out, **_kw(L, kwargs)), out
    _compare(call)


@pytest.mark.parametrize("name", ["rand", "randn", "empty"])
@pytest.mark.parametrize("out_dtype", (F32, F64))
def test_random_creation_takes_outs_dtype_and_shape(name, out_dtype):
    def call(L):
        out = _empty(L, (5,), out_dtype)
        return getattr(L, name)(2, 3, out=out), out
    _compare(call, random=True)


@pytest.mark.parametrize("name", ["add", "matmul", "cat", "max", "sort", "zeros"])
def test_out_requiring_grad_is_refused_while_recording(name):
    calls = {
        "add": lambda L, o: L.add(_t(L, SQ, F32), 1, out=o),
        "matmul": lambda L, o: L.matmul(_t(L, SQ, F32), _t(L, SQ, F32), out=o),
        "cat": lambda L, o: L.cat([_t(L, SQ, F32)], out=o),
        "max": lambda L, o: L.max(_t(L, SQ, F32), out=o),
        "sort": lambda L, o: L.sort(_t(L, SQ, F32), out=(o, _empty(L, (0,), I64))),
        "zeros": lambda L, o: L.zeros(2, 2, out=o),
    }

    def call(L):
        out = _empty(L, (2, 2), F32, requires_grad=True)
        return calls[name](L, out), out
    _compare(call)


@pytest.mark.parametrize("name", ["add", "mul", "matmul", "cat", "max_dim", "sort", "argmax", "eq",
                                  "sum", "exp"])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_inputs_requiring_grad(name, grad_mode):
    calls = {
        "add": lambda L, a: L.add(a, a, out=_empty(L, (0,), F32)),
        "mul": lambda L, a: L.mul(a, 2, out=_empty(L, (0,), F32)),
        "matmul": lambda L, a: L.matmul(a, a, out=_empty(L, (0,), F32)),
        "cat": lambda L, a: L.cat([a, a], out=_empty(L, (0,), F32)),
        "max_dim": lambda L, a: L.max(a, 1, out=(_empty(L, (0,), F32), _empty(L, (0,), I64))),
        "sort": lambda L, a: L.sort(a, out=(_empty(L, (0,), F32), _empty(L, (0,), I64))),
        "argmax": lambda L, a: L.argmax(a, 1, out=_empty(L, (0,), I64)),
        "eq": lambda L, a: L.eq(a, 1, out=_empty(L, (0,), B)),
        "sum": lambda L, a: L.sum(a, 0, out=_empty(L, (0,), F32)),
        "exp": lambda L, a: L.exp(a, out=_empty(L, (0,), F32)),
    }

    def call(L):
        a = L.tensor(SQ.tolist(), requires_grad=True)
        with L.set_grad_enabled(grad_mode):
            r = calls[name](L, a)
        return r, (tuple(r) if isinstance(r, tuple) else r)
    _compare(call)


def test_out_not_a_tensor():
    with pytest.raises(TypeError, match="'out' must be Tensor"):
        cr.add(cr.ones(2), 1, out=np.zeros(2))
    with pytest.raises(TypeError, match="tuple of two tensors"):
        cr.max(cr.ones(2, 2), 1, out=cr.empty(0))
    with pytest.raises(TypeError):
        torch.max(torch.ones(2, 2), 1, out=torch.empty(0))


def test_the_tensors_tutorial():
    """PyTorch's "Tensors" tutorial: matmul and mul into preallocated outputs."""
    for L in (torch, cr):
        tensor = L.ones(4, 4)
        tensor[:, 1] = 0
        y3 = L.rand_like(tensor)
        assert L.matmul(tensor, tensor.T, out=y3) is y3
        z3 = L.rand_like(tensor)
        assert L.mul(tensor, tensor, out=z3) is z3
        np.testing.assert_array_equal(np.asarray(y3.tolist()), (tensor @ tensor.T).numpy())
        np.testing.assert_array_equal(np.asarray(z3.tolist()), (tensor * tensor).numpy())


def _version(t):
    return t._version if isinstance(t, torch.Tensor) else cr_version(t._data)


@pytest.mark.parametrize("L", [torch, cr], ids=["torch", "chainrule"])
def test_aliasing_views_and_versions(L):
    a = L.tensor([1.0, 2.0, 3.0])
    b = L.tensor([10.0, 20.0, 30.0])
    view_of_a = a[1:]
    assert L.add(a, b, alpha=2, out=a) is a                 # out aliases an input
    assert a.tolist() == [21.0, 42.0, 63.0] and view_of_a.tolist() == [42.0, 63.0]
    base = L.zeros(6)
    strided = base[::2]
    before = _version(base)
    assert L.mul(L.ones(3), 5, out=strided) is strided      # a view as out writes through
    assert base.tolist() == [5.0, 0.0, 5.0, 0.0, 5.0, 0.0]
    assert _version(base) == before + 1 and _version(strided) == before + 1
    with pytest.warns(UserWarning, match=r"had shape \[3\], which does not match the required "
                      r"output shape \[2, 2\]") as seen:
        assert L.matmul(L.ones(2, 3), L.ones(3, 2), out=a).shape == (2, 2)
    assert seen[0].filename == __file__                 # the warning names the caller's line
    # a documented difference (ops/out_argument.py): PyTorch's resize grows the storage that views
    # share, so its old view sees the new values; chainrule's resize gives `a` a new block
    assert view_of_a.tolist() == ([3.0, 3.0] if L is torch else [42.0, 63.0])


def test_version_counter_catches_out_over_a_saved_tensor():
    """Writing with out= into a tensor that a recorded node saved is caught by backward."""
    for L in (torch, cr):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        x = L.tensor([3.0, 4.0])
        y = (w * x).sum()
        L.add(x, 1, out=x)
        with pytest.raises(RuntimeError):
            y.backward()


def test_plain_calls_are_unchanged():
    a = cr.ones(2)
    assert cr.add(a, 1).tolist() == [2.0, 2.0]
    assert cr.max(cr.tensor([[1.0, 3.0]]), 1).indices.tolist() == [1]
    assert (a + a).tolist() == [2.0, 2.0]


@settings(max_examples=40, deadline=None)
@given(shapes=broadcast_shapes(count=2, max_dims=3, max_side=4),
       out_shape=st.sampled_from([(0,), (1,), (2, 3), None]),
       name=st.sampled_from(["add", "mul", "sub", "maximum", "lt"]),
       seed=st.integers(0, 2**16))
def test_broadcasting_shapes_hypothesis(shapes, out_shape, name, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    result_shape = np.broadcast_shapes(shapes[0], shapes[1])

    def call(L):
        out = L.empty(result_shape if out_shape is None else out_shape, dtype=L.float64)
        return getattr(L, name)(L.tensor(a), L.tensor(b), out=out), out
    _compare(call, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4), batch=st.integers(0, 3),
       keep=st.booleans(), seed=st.integers(0, 2**16))
def test_matmul_and_reductions_hypothesis(n, k, m, batch, keep, seed):
    rng = np.random.default_rng(seed)
    lead = (batch,) if batch else ()
    a, b = rng.standard_normal((*lead, n, k)), rng.standard_normal((k, m))

    def call(L):
        out = L.empty(0, dtype=L.float64)
        return L.matmul(L.tensor(a), L.tensor(b), out=out), out
    _compare(call, rtol=1e-12)
    for name in ("sum", "mean", "prod", "cumsum"):
        def reduce(L, name=name):
            out = L.empty(1, dtype=L.float64)
            kw = {} if name == "cumsum" else {"keepdim": keep}
            return getattr(L, name)(L.tensor(a), -1, out=out, **kw), out
        _compare(reduce, rtol=1e-12)
    def pair(L):
        out = (L.empty(0, dtype=L.float64), L.empty(0, dtype=L.int64))
        return L.max(L.tensor(a), -1, keep, out=out), out
    _compare(pair, rtol=1e-12)


def test_out_on_array_api_strict_arrays():
    """out= keeps an array_api_strict tensor's memory in its library (stand-in for CuPy)."""
    xs = pytest.importorskip("array_api_strict")

    def strict(values, dtype=np.float64):
        t = cr.tensor([0.0])
        t._data = xs.asarray(np.asarray(values, dtype=dtype))
        return t

    a, out = strict([1.0, 2.0, 3.0]), strict([0.0, 0.0, 0.0])
    kept = out._data
    assert cr.add(a, a, out=out) is out and out._data is kept
    assert np.from_dlpack(out._data).tolist() == [2.0, 4.0, 6.0]
    empty = strict([])
    cr.mul(a, 2, out=empty)
    assert type(empty._data) is type(kept) and np.from_dlpack(empty._data).tolist() == [2, 4, 6]
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired "
                                           "output type Long"):
        cr.add(a, a, out=strict([0, 0, 0], np.int64))


OVERLAPS = {
    "add in place": lambda L, a: L.add(a, a, out=a),
    "add into a row view": lambda L, a: L.add(a[0], 1, out=a[1]),
    "add, partial overlap": lambda L, a: L.add(a[:, :1], a[:1], out=a),
    "mul, transposed self": lambda L, a: L.mul(a.t(), 2, out=a),
    "where, partial overlap": lambda L, a: L.where(a > 2, a[:1], a, out=a),
    "maximum in place": lambda L, a: L.maximum(a, a.t(), out=a),
    "cat of itself": lambda L, a: L.cat([a, a], out=a),
    "stack into a fresh tensor": lambda L, a: L.stack([a, a], out=L.empty(0)),
    "mm into an input": lambda L, a: L.mm(a, a, out=a),
    "cumsum into its input": lambda L, a: L.cumsum(a, 0, out=a),
    "sort into its input": lambda L, a: L.sort(a, out=(a, L.empty(0, dtype=L.int64))),
    "expanded out": lambda L, a: L.add(a[0], 1, out=L.zeros(1).expand(2)),
    "clamp in place": lambda L, a: L.clamp(a, 1.5, 3.5, out=a),
}


@pytest.mark.parametrize("name", sorted(OVERLAPS))
def test_memory_overlap(name):
    def call(L):
        a = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        r = OVERLAPS[name](L, a)
        return r, (tuple(r) if isinstance(r, tuple) else r)
    _compare(call)


def test_resizing_an_input_is_refused():
    """PyTorch resizes out before reading it when out is also the input (torch.sum(a, 0, out=a)
    gives zeros); chainrule refuses that case instead of returning other values."""
    a = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match=r"sum\(\): out= is also an input and would be resized"):
        cr.sum(a, 0, out=a)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("out_dtype", ["float32", "float64", "complex64", "complex128", "float16"])
@pytest.mark.parametrize("in_dtype", ["complex64", "float16", "float32"])
@pytest.mark.parametrize("name", ["add", "mul", "exp", "abs", "matmul", "sum"])
def test_complex_and_half_dtypes(name, in_dtype, out_dtype):
    calls = {
        "add": lambda L, a: L.add(a, a, out=_empty(L, (0,), out_dtype)),
        "mul": lambda L, a: L.mul(a, 2, out=_empty(L, (0,), out_dtype)),
        "exp": lambda L, a: L.exp(a, out=_empty(L, (0,), out_dtype)),
        "abs": lambda L, a: L.abs(a, out=_empty(L, (0,), out_dtype)),
        "matmul": lambda L, a: L.matmul(a, a, out=_empty(L, (0,), out_dtype)),
        "sum": lambda L, a: L.sum(a, 1, out=_empty(L, (0,), out_dtype)),
    }

    def call(L):
        a = L.tensor(SQ.tolist(), dtype=_dtype(L, in_dtype))
        if "complex" in in_dtype:
            a = a * (1 + 0.5j)
        r = calls[name](L, a)
        return r, r
    _compare(call, rtol=1e-3 if "16" in in_dtype + out_dtype else 1e-6)
