"""Function transforms: chainrule.grad / value_and_grad (JAX's), and jacobian, hessian, hvp, jvp,
vjp (torch.autograd.functional's signatures and return conventions), against PyTorch 2.13 in
float64 and against closed forms."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF
from oracle import ATOL, RTOL, as_numpy, assert_close, t64, th64  # noqa: F401

import chainrule as cr
from chainrule.autograd import functional as F


def assert_tree_close(actual, expected) -> None:
    """Tensors, or equally nested tuples of tensors."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_tree_close(a, e)
    else:
        assert isinstance(actual, cr.Tensor), f"expected a Tensor, got {type(actual).__name__}"
        assert_close(actual, expected)


RNG = np.random.default_rng(2024)
W = RNG.standard_normal((4, 3))
X0 = RNG.standard_normal((2, 4))
V0 = RNG.standard_normal((2, 4))
W_V = RNG.standard_normal((4, 3))


def _both(module):
    """The same scalar functions written once for chainrule and once for torch."""
    if module is cr:
        def lse(z):
            return cr.logsumexp(z)

        def wmat():
            return t64(W)
    else:
        def lse(z):
            return torch.logsumexp(z.reshape(-1), dim=0)

        def wmat():
            return th64(W)
    return {
        "matmul+tanh+logsumexp": lambda x: lse(module.tanh(x @ wmat())),
        "quartic+cross": lambda x: (x ** 4).sum() + (x[0] * x[1]).sum(),
        "neg entropy": lambda x: (module.softmax(x, -1) * module.log_softmax(x, -1)).sum(),
        "sin*exp": lambda x: (module.sin(x) * module.exp(x * 0.5)).sum(),
    }


SCALAR_FNS = list(_both(cr))


# ---------------------------------------------------------------------- grad / value_and_grad
def test_grad_returns_a_function_of_the_gradient():
    a = RNG.standard_normal(5)
    df = cr.grad(lambda x: (cr.sin(x) * x).sum())
    assert callable(df)
    g = df(t64(a))
    assert isinstance(g, cr.Tensor)
    assert_close(g, np.cos(a) * a + np.sin(a))
    assert not g.requires_grad


@pytest.mark.parametrize("name", SCALAR_FNS)
def test_grad_matches_torch(name):
    ours, ref = _both(cr)[name], _both(torch)[name]
    xt = th64(X0, True)
    (expected,) = torch.autograd.grad(ref(xt), xt)
    assert_close(cr.grad(ours)(t64(X0)), expected)


def test_grad_argnums():
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)

    def f(x, y, scale=1.0):
        return (x * y * y).sum() * scale

    gx = cr.grad(f)(t64(a), t64(b))
    gy = cr.grad(f, argnums=1)(t64(a), t64(b))
    both = cr.grad(f, argnums=(0, 1))(t64(a), t64(b), scale=2.0)
    assert_close(gx, b * b)
    assert_close(gy, 2 * a * b)
    assert isinstance(both, tuple) and len(both) == 2
    assert_close(both[0], 2 * b * b)
    assert_close(both[1], 4 * a * b)


def test_grad_accepts_numpy_arrays_and_leaves_inputs_untouched():
    a = np.array([1.0, -2.0, 3.0])
    g = cr.grad(lambda x: (x ** 2).sum())(a)
    assert_close(g, 2 * a)
    x = t64(a)
    cr.grad(lambda v: (v ** 2).sum())(x)
    assert not x.requires_grad and x.grad is None


def test_value_and_grad():
    a = RNG.standard_normal(4)
    value, g = cr.value_and_grad(lambda x: (cr.exp(x) * x).sum())(t64(a))
    assert_close(value, np.sum(np.exp(a) * a))
    assert_close(g, np.exp(a) * (1 + a))
    value, (ga, gb) = cr.value_and_grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
        t64([1.0, 2.0]), t64([3.0, 4.0]))
    assert float(value.item()) == 11.0
    assert ga.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]


def test_grad_of_an_unused_argument_is_zero():
    g = cr.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(t64([1.0, 2.0]), t64([5.0]))
    assert g[0].tolist() == [2.0, 2.0]
    assert g[1].tolist() == [0.0]


def test_grad_of_a_non_scalar_function_is_refused():
    with pytest.raises(RuntimeError, match="single-number"):
        cr.grad(lambda x: x * 2)(t64([1.0, 2.0]))


def test_nested_grad_gives_higher_derivatives():
    for a in (-1.2, 0.3, 2.0):
        x = t64(a)
        assert_close(cr.grad(cr.grad(lambda v: cr.sin(v)))(x), -np.sin(a))
        assert_close(cr.grad(cr.grad(lambda v: v ** 3))(x), 6 * a)
        assert_close(cr.grad(cr.grad(cr.grad(lambda v: v ** 4 + 2 * v ** 3)))(x), 24 * a + 12)


@pytest.mark.parametrize("shape", [(1,), ()], ids=["one element", "0-d"])
def test_nested_grad_of_functions_that_reuse_their_output(shape):
    # tanh, exp and sigmoid save their output for the derivative; grad(grad(f)) must see it
    for a in (-1.2, 0.3, 2.0):
        x = t64(np.full(shape, a))
        t = np.tanh(a)
        assert_close(cr.grad(cr.grad(lambda v: cr.tanh(v).sum()))(x),
                     np.full(shape, -2 * t * (1 - t ** 2)))
        assert_close(cr.grad(cr.grad(lambda v: (cr.exp(v) * v).sum()))(x),
                     np.full(shape, np.exp(a) * (a + 2)))
        s = 1 / (1 + np.exp(-a))
        assert_close(cr.grad(cr.grad(lambda v: cr.sigmoid(v).sum()))(x),
                     np.full(shape, s * (1 - s) * (1 - 2 * s)))
        assert_close(cr.hessian(lambda v: cr.exp(v).sum(), x),
                     np.full(shape + shape, np.exp(a)))


def test_nested_grad_matches_torch_on_a_vector_function():
    a = RNG.standard_normal(5)

    def f(x):
        return (cr.tanh(x) * x ** 2).sum()

    def inner(x):
        return (cr.grad(f)(x) ** 2).sum()

    xt = th64(a, True)
    (gt,) = torch.autograd.grad((torch.tanh(xt) * xt ** 2).sum(), xt, create_graph=True)
    (expected,) = torch.autograd.grad((gt ** 2).sum(), xt)
    assert_close(cr.grad(inner)(t64(a)), expected)


# ---------------------------------------------------------------------- hessian
def test_hessian_of_a_small_function_equals_the_analytic_hessian():
    # f(x, y) = x²y + sin(x)·y³
    def f(v):
        x, y = v[0], v[1]
        return x * x * y + cr.sin(x) * y ** 3

    for x, y in ((0.3, -1.2), (1.5, 0.7), (-2.0, 2.0)):
        H = cr.hessian(f, t64([x, y]))
        expected = np.array([
            [2 * y - np.sin(x) * y ** 3, 2 * x + 3 * np.cos(x) * y ** 2],
            [2 * x + 3 * np.cos(x) * y ** 2, 6 * np.sin(x) * y],
        ])
        assert isinstance(H, cr.Tensor)
        assert_close(H, expected)


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    A = RNG.standard_normal((4, 4))
    H = cr.hessian(lambda x: (x * (t64(A) @ x)).sum(), t64(RNG.standard_normal(4)))
    assert_close(H, A + A.T)


@pytest.mark.parametrize("name", SCALAR_FNS)
def test_hessian_matches_torch(name):
    ours, ref = _both(cr)[name], _both(torch)[name]
    H = cr.hessian(ours, t64(X0))
    assert H.shape == X0.shape + X0.shape
    assert_close(H, TF.hessian(ref, th64(X0)))


def test_hessian_with_tuple_inputs_matches_torch():
    a, b = RNG.standard_normal(3), RNG.standard_normal(2)

    def ours(x, y):
        return (cr.tanh(x[:, None] * y[None, :]) ** 2).sum() + (x ** 3).sum()

    def ref(x, y):
        return (torch.tanh(x[:, None] * y[None, :]) ** 2).sum() + (x ** 3).sum()

    H = cr.hessian(ours, (t64(a), t64(b)))
    assert_tree_close(H, TF.hessian(ref, (th64(a), th64(b))))


def test_jacobian_of_grad_equals_hessian():
    f = _both(cr)["matmul+tanh+logsumexp"]
    a = RNG.standard_normal(4)
    assert_close(cr.jacobian(cr.grad(f), t64(a)), cr.hessian(f, t64(a)))


# ---------------------------------------------------------------------- hvp
@pytest.mark.parametrize("name", SCALAR_FNS)
def test_hvp_matches_torch_double_backward(name):
    ours, ref = _both(cr)[name], _both(torch)[name]
    value, hv = cr.hvp(ours, t64(X0), t64(V0))
    value_t, hv_t = TF.hvp(ref, th64(X0), th64(V0))
    assert_close(value, value_t)
    assert isinstance(hv, cr.Tensor)
    assert_close(hv, hv_t)
    assert not value.requires_grad and not hv.requires_grad


def test_hvp_with_tuple_inputs_matches_torch():
    x0, w0 = RNG.standard_normal((2, 4)), W

    def ours(x, w):
        return cr.logsumexp(cr.tanh(x @ w))

    def ref(x, w):
        return torch.logsumexp(torch.tanh(x @ w).reshape(-1), dim=0)

    value, hv = cr.hvp(ours, (t64(x0), t64(w0)), (t64(V0), t64(W_V)))
    value_t, hv_t = TF.hvp(ref, (th64(x0), th64(w0)), (th64(V0), th64(W_V)))
    assert_close(value, value_t)
    assert_tree_close(hv, hv_t)


def test_hvp_equals_hessian_times_v():
    f = _both(cr)["sin*exp"]
    a, v = RNG.standard_normal(5), RNG.standard_normal(5)
    _, hv = cr.hvp(f, t64(a), t64(v))
    assert_close(hv, cr.hessian(f, t64(a)).numpy() @ v)


# ---------------------------------------------------------------------- jvp / vjp / jacobian
def _vector_fns(module):
    if module is cr:
        def mat(a):
            return t64(a)
    else:
        def mat(a):
            return th64(a)
    return {
        "tanh(xW)": lambda x: module.tanh(x @ mat(W)),
        "softmax": lambda x: module.softmax(x * 2.0, -1),
        "indexing": lambda x: module.exp(x[:, [0, 0, 3]]) * x.sum(),
    }


VECTOR_FNS = list(_vector_fns(cr))


@pytest.mark.parametrize("name", VECTOR_FNS)
def test_vjp_matches_torch(name):
    ours, ref = _vector_fns(cr)[name], _vector_fns(torch)[name]
    out_t = ref(th64(X0))
    v = RNG.standard_normal(tuple(out_t.shape))
    value, result = cr.vjp(ours, t64(X0), t64(v))
    value_t, result_t = TF.vjp(ref, th64(X0), th64(v))
    assert_close(value, value_t)
    assert isinstance(result, cr.Tensor)
    assert_close(result, result_t)
    assert not value.requires_grad


@pytest.mark.parametrize("name", VECTOR_FNS)
def test_jvp_matches_torch(name):
    ours, ref = _vector_fns(cr)[name], _vector_fns(torch)[name]
    value, result = cr.jvp(ours, t64(X0), t64(V0))
    value_t, result_t = TF.jvp(ref, th64(X0), th64(V0))
    assert_close(value, value_t)
    assert isinstance(result, cr.Tensor)
    assert_close(result, result_t)


@pytest.mark.parametrize("name", VECTOR_FNS)
def test_jacobian_matches_torch(name):
    ours, ref = _vector_fns(cr)[name], _vector_fns(torch)[name]
    J = cr.jacobian(ours, t64(X0))
    J_t = TF.jacobian(ref, th64(X0))
    assert isinstance(J, cr.Tensor)
    assert_close(J, J_t)
    assert not J.requires_grad


def _pair(module):
    def f(x, y):
        return module.tanh(x[:, None] * y[None, :]) + (x ** 2)[:, None]
    return f


def test_tuple_inputs_follow_torch_return_conventions():
    a, b = RNG.standard_normal(3), RNG.standard_normal(2)
    u = RNG.standard_normal((3, 2))
    da, db = RNG.standard_normal(3), RNG.standard_normal(2)
    ours, ref = _pair(cr), _pair(torch)

    J = cr.jacobian(ours, (t64(a), t64(b)))
    J_t = TF.jacobian(ref, (th64(a), th64(b)))
    assert_tree_close(J, J_t)
    assert J[0].shape == (3, 2, 3) and J[1].shape == (3, 2, 2)

    value, result = cr.vjp(ours, (t64(a), t64(b)), t64(u))
    value_t, result_t = TF.vjp(ref, (th64(a), th64(b)), th64(u))
    assert_close(value, value_t)
    assert_tree_close(result, result_t)

    value, result = cr.jvp(ours, (t64(a), t64(b)), (t64(da), t64(db)))
    value_t, result_t = TF.jvp(ref, (th64(a), th64(b)), (th64(da), th64(db)))
    assert_close(value, value_t)
    assert_tree_close(result, result_t)      # one output: a single tensor, as torch


def test_vjp_of_a_scalar_function_needs_no_v():
    a = RNG.standard_normal(4)
    value, g = cr.vjp(lambda x: (x ** 3).sum(), t64(a))
    value_t, g_t = TF.vjp(lambda x: (x ** 3).sum(), th64(a))
    assert_close(value, value_t)
    assert_close(g, g_t)


def test_jvp_through_an_input_that_is_not_used_is_zero():
    value, result = cr.jvp(lambda x, y: x * 2, (t64([1.0, 2.0]), t64([3.0, 4.0])),
                           (t64([1.0, 1.0]), t64([5.0, 5.0])))
    assert result.tolist() == [2.0, 2.0]
    value, result = cr.vjp(lambda x, y: x * 2, (t64([1.0, 2.0]), t64([3.0, 4.0])),
                           t64([1.0, 1.0]))
    assert result[1].tolist() == [0.0, 0.0]


def test_jacobian_with_create_graph_is_differentiable():
    a = RNG.standard_normal(3)
    x = t64(a, True)
    J = cr.jacobian(lambda v: v ** 3, x, create_graph=True)
    assert J.requires_grad
    J.sum().backward()              # Σᵢⱼ ∂(3xᵢ²δᵢⱼ)/∂x = 6x
    assert_close(x.grad, 6 * a)


def test_functional_transforms_leave_the_inputs_grad_alone():
    x = t64(RNG.standard_normal(3), True)
    cr.jacobian(lambda v: v ** 2, x)
    cr.hessian(lambda v: (v ** 3).sum(), x)
    cr.vjp(lambda v: v ** 2, x, t64(np.ones(3)))
    cr.jvp(lambda v: v ** 2, x, t64(np.ones(3)))
    cr.hvp(lambda v: (v ** 3).sum(), x, t64(np.ones(3)))
    assert x.grad is None


# ---------------------------------------------------------------------- autograd.grad (PyTorch's)
def test_autograd_grad_matches_torch():
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    x, y = t64(a, True), t64(b, True)
    xt, yt = th64(a, True), th64(b, True)
    v = RNG.standard_normal(3)
    gx, gy = F.grad(cr.exp(x) * y, (x, y), grad_outputs=t64(v))
    gx_t, gy_t = torch.autograd.grad(torch.exp(xt) * yt, (xt, yt), grad_outputs=th64(v))
    assert_close(gx, gx_t)
    assert_close(gy, gy_t)
    assert x.grad is None and y.grad is None


def test_autograd_grad_unused_inputs():
    x, y = t64([1.0, 2.0], True), t64([3.0], True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        F.grad((x * 2).sum(), (x, y))
    gx, gy = F.grad((x * 2).sum(), (x, y), allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gy is None


def test_autograd_grad_is_exported_as_documented():
    # chainrule/autograd/functional.py documents it as chainrule.autograd.grad (torch's name)
    import chainrule.autograd

    assert chainrule.autograd.grad is F.grad
