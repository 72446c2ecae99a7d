"""The reverse-mode engine: depth, accumulation, unbroadcasting, graph freeing, gradient ownership,
seeded backward, create_graph and determinism, with PyTorch 2.13 (float64) as the oracle."""
from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import ATOL, RTOL, as_numpy, assert_close, t64, th64  # noqa: F401

import chainrule as cr
from chainrule.autograd import engine
from chainrule.autograd.functional import grad as autograd_grad


# ---------------------------------------------------------------------- depth
def test_graph_10000_ops_deep_backpropagates_without_recursion_error():
    limit = sys.getrecursionlimit()
    assert limit < 10_000        # the test means something only under the usual limit
    x = t64(0.3, True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert_close(x.grad, 1.0001 ** 10_000, rtol=1e-9)


def test_deep_chain_of_nonlinear_ops_matches_torch():
    x, xt = t64(0.7, True), th64(0.7, True)
    y, yt = x, xt
    for _ in range(10_000):
        y = cr.sin(y) + 0.01
        yt = torch.sin(yt) + 0.01
    y.backward()
    yt.backward()
    assert_close(y, yt)
    assert_close(x.grad, xt.grad)


def test_deep_graph_can_be_dropped_without_backward():
    x = t64(0.5, True)
    y = x
    for _ in range(20_000):
        y = cr.tanh(y)
    del y
    gc.collect()
    assert x.grad is None


# ---------------------------------------------------------------------- accumulation
def test_fan_out_sums_the_contributions_of_every_use():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(5)
    x, xt = t64(a, True), th64(a, True)
    y = x * x + cr.sin(x) * x - x / (x * x + 1.0) + cr.exp(x).sum() * x
    yt = xt * xt + torch.sin(xt) * xt - xt / (xt * xt + 1.0) + torch.exp(xt).sum() * xt
    y.sum().backward()
    yt.sum().backward()
    assert_close(x.grad, xt.grad)


def test_a_value_used_many_times_receives_the_sum():
    x = t64([1.0, 2.0], True)
    total = x
    for _ in range(49):
        total = total + x
    total.sum().backward()
    assert x.grad.tolist() == [50.0, 50.0]


def test_gradients_accumulate_across_two_backward_calls():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(4)
    x, xt = t64(a, True), th64(a, True)
    for _ in range(2):
        (cr.tanh(x) ** 2).sum().backward()
        (torch.tanh(xt) ** 2).sum().backward()
    assert_close(x.grad, xt.grad)
    single = t64(a, True)
    (cr.tanh(single) ** 2).sum().backward()
    assert_close(x.grad, 2 * single.grad.numpy())


def test_grad_can_be_reset_to_none_between_steps():
    x = t64([1.0, 2.0], True)
    (x * 3).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


# ---------------------------------------------------------------------- unbroadcasting
def _broadcast_pairs():
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3)


@given(shapes=_broadcast_pairs(), op=st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
def test_gradients_of_broadcast_operands_are_reduced_to_their_shapes(shapes, op):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(len(sa) * 10 + len(sb))
    a = rng.uniform(0.5, 2.0, size=sa)
    b = rng.uniform(0.5, 2.0, size=sb) + 3.0     # distinct from a: maximum has no ties
    w = rng.standard_normal(out_shape)
    fns = {
        "add": (lambda p, q: p + q, lambda p, q: p + q),
        "sub": (lambda p, q: p - q, lambda p, q: p - q),
        "mul": (lambda p, q: p * q, lambda p, q: p * q),
        "div": (lambda p, q: p / q, lambda p, q: p / q),
        "maximum": (cr.maximum, torch.maximum),
    }
    ours_fn, ref_fn = fns[op]
    x, y = t64(a, True), t64(b, True)
    xt, yt = th64(a, True), th64(b, True)
    (ours_fn(x, y) * t64(w)).sum().backward()
    (ref_fn(xt, yt) * th64(w)).sum().backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    assert_close(x.grad, xt.grad)
    assert_close(y.grad, yt.grad)


def test_unbroadcast_sums_over_added_and_stretched_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(engine.unbroadcast(g, (2, 3, 4)), g)
    np.testing.assert_array_equal(engine.unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(engine.unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(engine.unbroadcast(g, (1, 3, 1)),
                                  g.sum(axis=(0, 2), keepdims=True))
    assert engine.unbroadcast(g, ()) == g.sum()


def test_broadcast_against_a_scalar_tensor():
    s, st_ = t64(2.0, True), th64(2.0, True)
    m = np.arange(6.0).reshape(2, 3)
    (s * t64(m)).sum().backward()
    (st_ * th64(m)).sum().backward()
    assert s.grad.shape == ()
    assert_close(s.grad, st_.grad)


# ---------------------------------------------------------------------- graph freeing
def test_second_backward_raises_and_names_retain_graph():
    x = t64([1.0, 2.0], True)
    y = (cr.exp(x) * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    rng = np.random.default_rng(2)
    a = rng.standard_normal(3)
    x, xt = t64(a, True), th64(a, True)
    y, yt = (cr.exp(x) * x).sum(), (torch.exp(xt) * xt).sum()
    y.backward(retain_graph=True)
    yt.backward(retain_graph=True)
    y.backward()
    yt.backward()
    assert_close(x.grad, xt.grad)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_releases_the_memory_of_the_forward_pass():
    x = t64(np.linspace(-1, 1, 1000), True)
    hidden = cr.exp(x * 2)                 # its array is saved for exp's derivative
    probe = weakref.ref(hidden.numpy())
    loss = (hidden * hidden).sum()
    del hidden
    gc.collect()
    assert probe() is not None             # the graph holds it until backward
    loss.backward()
    gc.collect()
    assert probe() is None


def test_retain_graph_keeps_the_saved_arrays():
    x = t64(np.linspace(-1, 1, 10), True)
    hidden = cr.exp(x * 2)
    probe = weakref.ref(hidden.numpy())
    loss = (hidden * hidden).sum()
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert probe() is not None


# ---------------------------------------------------------------------- gradient ownership
def test_leaf_gradients_never_alias_each_other():
    a = t64([1.0, 2.0], True)
    b = t64([3.0, 4.0], True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.data += 100.0
    assert b.grad.tolist() == [1.0, 1.0]


def test_leaf_gradients_from_a_seeded_backward_are_independent_arrays():
    a = t64([1.0, 2.0], True)
    b = t64([3.0, 4.0], True)
    seed = np.array([1.0, 1.0])
    (a + b).backward(seed)
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.data *= 7.0
    assert b.grad.tolist() == [1.0, 1.0]
    b.grad.data *= 3.0
    assert a.grad.tolist() == [7.0, 7.0]


def test_leaf_gradients_do_not_alias_the_gradient_passed_to_backward():
    # as torch: x.grad is a new array, so updating it in place leaves the caller's seed alone
    for make in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a):
        a = t64([1.0, 2.0], True)
        b = t64([3.0, 4.0], True)
        seed = np.array([1.0, 1.0])
        make(a, b).backward(seed)
        for leaf in (a, b):
            if leaf.grad is not None:
                assert not np.shares_memory(leaf.grad.numpy(), seed)
        a.grad.data += 5.0
        assert seed.tolist() == [1.0, 1.0]


def test_leaf_gradient_does_not_alias_retained_non_leaf_gradients():
    a = t64([1.0, 2.0], True)
    h = a.reshape(2, 1)
    c = a.clone()
    h.retain_grad()
    c.retain_grad()
    (h * 2).sum().backward(retain_graph=True)
    (c * 3).sum().backward()
    for u, v in ((a.grad, h.grad), (a.grad, c.grad), (h.grad, c.grad)):
        assert not np.shares_memory(u.numpy(), v.numpy())


def test_gradients_have_the_leaf_dtype_like_torch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)          # float32
    y = (x * np.array([0.5, 0.25])).sum()                   # float64 result
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])


# ---------------------------------------------------------------------- seeded backward
@pytest.mark.parametrize("kind", ["ndarray", "tensor", "list"])
def test_backward_with_gradient_for_a_non_scalar_output(kind):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3))
    v = rng.standard_normal((3, 3))
    x, xt = t64(a, True), th64(a, True)
    y, yt = cr.tanh(x).T @ x, torch.tanh(xt).T @ xt
    seed = {"ndarray": v, "tensor": t64(v), "list": v.tolist()}[kind]
    y.backward(gradient=seed)
    yt.backward(gradient=th64(v))
    assert_close(x.grad, xt.grad)


def test_backward_on_a_scalar_defaults_to_a_gradient_of_one():
    x = t64([1.0, -2.0], True)
    y = (x ** 3).sum()
    y.backward(gradient=np.array(2.0))
    assert x.grad.tolist() == [6.0, 24.0]


def test_backward_with_inputs_accumulates_only_into_those_like_torch():
    a, b = t64([1.0, 2.0], True), t64([3.0, 4.0], True)
    at, bt = th64([1.0, 2.0], True), th64([3.0, 4.0], True)
    (a * b).sum().backward(inputs=[a])
    (at * bt).sum().backward(inputs=[at])
    assert_close(a.grad, at.grad)
    assert b.grad is None and bt.grad is None


# ---------------------------------------------------------------------- create_graph
def _tanh_second_derivative(x):
    t = np.tanh(x)
    return -2 * t * (1 - t ** 2)


def test_create_graph_gives_the_second_derivative_of_tanh_via_backward():
    # torch.Tensor.backward: retain_graph defaults to the value of create_graph
    a = np.array([-1.5, -0.2, 0.0, 0.4, 2.0])
    x = t64(a, True)
    cr.tanh(x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    assert_close(first, 1 - np.tanh(a) ** 2)
    x.grad = None
    first.sum().backward()
    assert_close(x.grad, _tanh_second_derivative(a))


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_create_graph_with_retain_graph_gives_the_second_derivative_of_tanh():
    a = np.array([-1.5, -0.2, 0.0, 0.4, 2.0])
    x, xt = t64(a, True), th64(a, True)
    cr.tanh(x).sum().backward(create_graph=True, retain_graph=True)
    torch.tanh(xt).sum().backward(create_graph=True)
    first, first_t = x.grad, xt.grad
    x.grad, xt.grad = None, None
    first.sum().backward()
    first_t.sum().backward()
    assert_close(x.grad, _tanh_second_derivative(a))
    assert_close(x.grad, xt.grad)


def test_autograd_grad_with_create_graph_gives_the_second_derivative_of_tanh():
    a = np.linspace(-2, 2, 9)
    x = t64(a, True)
    (g,) = autograd_grad(cr.tanh(x).sum(), x, create_graph=True)
    assert_close(g, 1 - np.tanh(a) ** 2)
    (h,) = autograd_grad(g.sum(), x)
    assert_close(h, _tanh_second_derivative(a))


def test_third_derivative_of_a_polynomial():
    # p(x) = 3x⁵ − 2x³ + x:  p‴(x) = 180x² − 12
    a = np.array([-1.3, -0.5, 0.0, 0.7, 2.0])
    x, xt = t64(a, True), th64(a, True)

    def p(v):
        return 3 * v ** 5 - 2 * v ** 3 + v

    (d1,) = autograd_grad(p(x).sum(), x, create_graph=True)
    (d2,) = autograd_grad(d1.sum(), x, create_graph=True)
    (d3,) = autograd_grad(d2.sum(), x)
    assert_close(d1, 15 * a ** 4 - 6 * a ** 2 + 1)
    assert_close(d2, 60 * a ** 3 - 12 * a)
    assert_close(d3, 180 * a ** 2 - 12)
    (t1,) = torch.autograd.grad(p(xt).sum(), xt, create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), xt, create_graph=True)
    (t3,) = torch.autograd.grad(t2.sum(), xt)
    assert_close(d3, t3)


@pytest.mark.parametrize("name", ["exp", "sin", "cos", "tanh", "sigmoid", "log", "sqrt"])
@pytest.mark.parametrize("shape", [(3,), (1,), ()], ids=["vector", "one element", "0-d"])
def test_second_derivatives_of_elementwise_functions_match_torch(name, shape):
    a = np.array([0.3, 0.9, 1.7])[: int(np.prod(shape))].reshape(shape)
    x, xt = t64(a, True), th64(a, True)
    (g,) = autograd_grad(getattr(cr, name)(x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(getattr(torch, name)(xt).sum(), xt, create_graph=True)
    (h,) = autograd_grad((g * g).sum(), x)
    (ht,) = torch.autograd.grad((gt * gt).sum(), xt)
    assert_close(g, gt)
    assert_close(h, ht)


def test_second_derivative_through_matmul_indexing_and_softmax_matches_torch():
    rng = np.random.default_rng(4)
    a, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    x, xt = t64(a, True), th64(a, True)
    idx = np.array([0, 2, 2, 1])
    y = (cr.log_softmax(x @ t64(w), axis=-1)[idx] ** 2).sum()
    yt = (torch.log_softmax(xt @ th64(w), dim=-1)[torch.from_numpy(idx)] ** 2).sum()
    (g,) = autograd_grad(y, x, create_graph=True)
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (h,) = autograd_grad((g ** 2).sum(), x)
    (ht,) = torch.autograd.grad((gt ** 2).sum(), xt)
    assert_close(g, gt)
    assert_close(h, ht)


# ---------------------------------------------------------------------- determinism and errors
def _mixed_graph(a, b):
    x, y = t64(a, True), t64(b, True)
    h = cr.tanh(x @ y)
    loss = (cr.logsumexp(h, axis=1) + h.amax(axis=1) * h.mean(axis=1)).sum() + (x ** 2).sum()
    loss.backward()
    return loss.numpy().copy(), x.grad.numpy().copy(), y.grad.numpy().copy()


def test_results_are_deterministic():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((6, 7)), rng.standard_normal((7, 5))
    first = _mixed_graph(a, b)
    for _ in range(3):
        again = _mixed_graph(a, b)
        for u, v in zip(first, again):
            np.testing.assert_array_equal(u, v)   # bitwise


def test_topological_order_is_deterministic_and_respects_dependencies():
    x = t64([1.0, 2.0], True)
    y = t64([3.0, 4.0], True)
    a = x * y
    b = a + x
    c = (b * a).sum()
    order = engine.topological_order(c)
    assert [id(t) for t in order] == [id(t) for t in engine.topological_order(c)]
    position = {id(t): i for i, t in enumerate(order)}
    for t in order:
        if t._node is not None:
            for inp in t._node.inputs:
                if isinstance(inp, cr.Tensor) and inp.requires_grad:
                    assert position[id(inp)] < position[id(t)]
    assert order[-1] is c
    assert {id(t) for t in order} == {id(x), id(y), id(a), id(b), id(c), id(c._node.inputs[0])}


def test_backward_on_a_tensor_without_a_graph_is_refused():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        cr.tensor([1.0]).sum().backward()
    x = t64([1.0], True)
    with cr.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError):
        y.backward()


def test_backward_with_a_wrongly_shaped_gradient_is_refused():
    x = t64([1.0, 2.0], True)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_only_leaves_that_require_grad_receive_gradients():
    x = t64([1.0, 2.0], True)
    c = t64([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    assert x.grad.tolist() == [3.0, 4.0]
