"""PyTorch's semantics where chainrule once differed silently, and the in-place / autograd API.

Each test of the first group failed on the old behaviour (the issue's list): a PyTorch line that
ran and gave a different answer. The rest check in-place updates with version counters, ``.data``,
hooks, custom autograd Functions and grad modes against PyTorch 2.13.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr


def both(array, requires_grad=False):
    return (cr.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


# ------------------------------------------------------------------ the silent differences
def test_max_with_dim_returns_values_and_indices():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5))
    c, t = both(a, True)
    cv, ci = c.max(dim=1)
    tv, ti = t.max(dim=1)
    np.testing.assert_array_equal(cv.numpy(), tv.detach().numpy())
    np.testing.assert_array_equal(ci.numpy(), ti.numpy())
    assert cr.max(c, 1)[1].dtype == np.int64
    np.testing.assert_array_equal(cr.max(c, 1)[1].numpy(), torch.max(t, 1)[1].numpy())
    np.testing.assert_array_equal(cr.min(c, 0).indices.numpy(), torch.min(t, 0).indices.numpy())
    assert type(c.max(1)).__name__ == "max" and c.max(1)._fields == ("values", "indices")
    (cv * cr.tensor(np.arange(4.0))).sum().backward()
    (tv * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), t.grad.numpy())
    # no dim: the value alone; a tensor second argument: the elementwise maximum
    assert float(c.max()) == float(t.max())
    np.testing.assert_array_equal(cr.max(c, c * 0).numpy(), torch.max(t, t * 0).detach().numpy())


def test_in_place_update_under_no_grad_changes_the_parameter():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with cr.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    assert w is same and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])


def test_set_grad_enabled_as_context_function_and_decorator():
    assert cr.is_grad_enabled()
    with cr.set_grad_enabled(False):
        assert not cr.is_grad_enabled()
        assert not (cr.ones(2, requires_grad=True) * 2).requires_grad
    assert cr.is_grad_enabled()
    cr.set_grad_enabled(False)
    try:
        assert not cr.is_grad_enabled()
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()

    @cr.set_grad_enabled(False)
    def f(x):
        return x * 2

    assert cr.is_grad_enabled()
    assert not f(cr.ones(2, requires_grad=True)).requires_grad
    assert cr.is_grad_enabled()


@pytest.mark.parametrize("index", [
    lambda i: (1, slice(None), slice(3, 11, 2), i, slice(0, 2)),
    lambda i: (i, 1),
    lambda i: (0, slice(None), 2, i),
    lambda i: (Ellipsis, i, 0),
    lambda i: (1, None, slice(None), i),
])
def test_an_int_beside_an_array_index_is_applied_first(index):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4, 12, 5, 3))
    idx = np.array([[0, 2], [1, 1]])
    c, t = both(a, True)
    cy = c[index(cr.tensor(idx))]
    ty = t[index(torch.tensor(idx))]
    assert cy.shape == tuple(ty.shape)
    np.testing.assert_array_equal(cy.numpy(), ty.detach().numpy())
    w = rng.standard_normal(tuple(ty.shape))
    (cy * cr.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), t.grad.numpy())
    # assignment follows the same rule
    c2, t2 = both(a)
    c2[index(cr.tensor(idx))] = cr.tensor(w)
    t2[index(torch.tensor(idx))] = torch.tensor(w)
    np.testing.assert_array_equal(c2.numpy(), t2.numpy())


def test_linspace_integer_truncates_tensor_sizes_and_to_none():
    np.testing.assert_array_equal(cr.linspace(5, -5, 20, dtype=cr.int32).numpy(),
                                  torch.linspace(5, -5, 20, dtype=torch.int32).numpy())
    assert cr.Tensor(3).shape == (3,) and cr.Tensor(2, 3).shape == (2, 3)
    assert cr.Tensor([1, 2]).dtype == np.float32
    x = cr.tensor([1.0, 2.0])
    assert x.to(None) is x and x.to(None).dtype == np.float32
    assert x.to("cpu") is x and x.to(cr.float32) is x
    assert x.to("cpu", cr.float64).dtype == np.float64
    assert x.to(cr.tensor([1], dtype=cr.int64)).dtype == np.int64


def test_reassigning_a_submodule_keeps_its_place():
    class Net(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = cr.nn.Linear(2, 3)
            self.conv2 = cr.nn.Linear(3, 4)
            self.fc = cr.nn.Linear(4, 5)

    net = Net()
    net.conv1 = cr.nn.Linear(2, 3)
    assert [n for n, _ in net.named_children()] == ["conv1", "conv2", "fc"]
    trunk = cr.nn.Sequential(*list(net.children())[:-1])
    assert trunk(cr.ones(1, 2)).shape == (1, 4)
    assert list(net.state_dict())[:2] == ["conv1.weight", "conv1.bias"]
    net.fc.weight = cr.nn.Parameter(cr.zeros(5, 4))
    assert list(net.fc.state_dict()) == ["weight", "bias"]


def test_empty_reductions_and_0d_dims():
    for name in ("mean", "var"):
        c, t = both(np.zeros((3, 0)), True)
        cy, ty = getattr(c, name)(dim=1), getattr(t, name)(dim=1)
        np.testing.assert_array_equal(np.isnan(cy.numpy()), np.isnan(ty.detach().numpy()))
        cy.sum().backward()
        ty.sum().backward()
        assert c.grad.shape == tuple(t.grad.shape) == (3, 0)
    one, tone = both(np.array([2.0]), True)
    one.var().backward()
    tone.var().backward()
    np.testing.assert_array_equal(np.isnan(one.grad.numpy()), np.isnan(tone.grad.numpy()))
    s = cr.tensor(3.0)
    assert float(s.sum(0)) == 3.0 and s.sum(-1).shape == ()
    assert s.squeeze(-1).shape == () and s.squeeze(0).shape == ()
    assert s.mean(0).shape == () and s.amax(-1).shape == ()


# ------------------------------------------------------------------ in place and versions
def test_in_place_on_a_non_leaf_is_differentiable():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    for L in (cr, torch):
        x = L.tensor(a.copy(), requires_grad=True)
        w = L.tensor(b.copy(), requires_grad=True)
        y = x * 2
        y += w
        y *= w
        y[0] = 7.0
        y.relu_()
        y.sum().backward()
        if L is cr:
            mine = (x.grad.numpy(), w.grad.numpy(), y.detach().numpy())
        else:
            theirs = (x.grad.numpy(), w.grad.numpy(), y.detach().numpy())
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-12)


def test_changing_a_saved_value_raises_at_backward():
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    y += 1                      # exp saved its output
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    x2 = cr.tensor([0.5, 1.0], requires_grad=True)
    z = x2 * 2
    w = z * z                   # saves z
    z.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        w.sum().backward()
    # a value no rule saved may change: add saves nothing
    x3 = cr.tensor([0.5, 1.0], requires_grad=True)
    a = x3 * 2
    b = a + 1
    a.add_(1)
    b.sum().backward()
    np.testing.assert_array_equal(x3.grad.numpy(), [2.0, 2.0])


def test_an_optimizer_step_invalidates_a_graph_that_saved_the_parameter():
    lin = cr.nn.Linear(3, 1)
    opt = cr.optim.SGD(lin.parameters(), lr=0.1)
    x = cr.ones(2, 3, requires_grad=True)
    loss = (lin(x) ** 2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_in_place_on_a_leaf_that_requires_grad_raises_while_recording():
    w = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 2.0
    with pytest.raises(RuntimeError, match="cast"):
        cr.tensor([1, 2]).add_(0.5)
    x = cr.tensor([1, 2])
    x.copy_(cr.tensor([2.7, -1.5]))       # copy_ converts, as PyTorch
    np.testing.assert_array_equal(x.numpy(), [2, -1])


def test_data_is_a_detached_view_sharing_memory():
    p = cr.nn.Parameter(cr.zeros(4))
    d = p.data
    assert isinstance(d, cr.Tensor) and not d.requires_grad and d.is_leaf
    p.data.uniform_(-0.1, 0.1)
    assert np.all(np.abs(p.numpy()) <= 0.1) and np.any(p.numpy() != 0)
    p.grad = cr.ones(4)
    p.data.add_(p.grad, alpha=-0.5)
    before = p.numpy().copy()
    p.data.mul_(2)
    np.testing.assert_allclose(p.numpy(), before * 2)
    p.data = cr.ones(4, dtype=cr.float64)
    assert p.dtype == np.float64 and isinstance(p, cr.nn.Parameter)


def test_views_share_memory_and_versions():
    x = cr.zeros(3, 4)
    row = x[1]
    row += 5
    np.testing.assert_array_equal(x.numpy()[1], [5, 5, 5, 5])
    y = cr.tensor([1.0, 2.0], requires_grad=True)
    z = y.exp()
    v = z.view(2)
    with cr.no_grad():
        v.mul_(3)               # changes z's memory too
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


# ------------------------------------------------------------------ autograd API
def test_hooks_and_retain_grad_match_torch():
    for L in (cr, torch):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        seen = []

        def hook(g, seen=seen):
            seen.append(g.numpy().copy())
            return g * 2

        h = y.register_hook(hook)
        x.register_hook(lambda g: g + 1)
        (y ** 2).sum().backward()
        result = (x.grad.numpy().copy(), y.grad.numpy().copy(), seen[0])
        h.remove()
        if L is cr:
            mine = result
        else:
            theirs = result
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m, t)


def test_custom_function_with_two_outputs_and_setup_context():
    class SinCos(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x.sin() * scale, x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() * ctx.scale - gc * x.sin(), None

    x = cr.tensor([0.3, 1.2], requires_grad=True)
    s, c = SinCos.apply(x, 2.0)
    (s * 3 + c * 5).sum().backward()
    a = np.array([0.3, 1.2])
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.cos(a) - 5 * np.sin(a), rtol=1e-6)
    assert s.grad_fn is not None and "SinCos" in s.grad_fn.name

    class Square(cr.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = cr.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()
    assert float(x.grad) == 6.0
    assert cr.gradcheck(lambda t: Square.apply(t), cr.tensor([0.7, -1.1], dtype=cr.float64,
                                                             requires_grad=True))


def test_inference_mode_and_detect_anomaly():
    with cr.inference_mode():
        assert not cr.is_grad_enabled() and cr.is_inference_mode_enabled()
        assert not (cr.ones(1, requires_grad=True) * 2).requires_grad
    assert cr.is_grad_enabled()

    @cr.inference_mode()
    def f(x):
        return x * 2

    assert not f(cr.ones(1, requires_grad=True)).requires_grad
    x = cr.tensor([-1.0, 4.0], requires_grad=True)
    with cr.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="nan"):
            x.sqrt().sum().backward()


def test_devices_and_format():
    assert cr.device("cpu") == "cpu" and str(cr.device("cuda:1")) == "cuda:1"
    x = cr.ones(2)
    assert x.device == cr.device("cpu") and x.cpu() is x
    assert not cr.cuda.is_available()
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        cr.nn.Linear(2, 2).to(cr.device("cuda", 0))
    assert cr.nn.Linear(2, 2).to("cpu").weight.dtype == np.float32
    assert f"{cr.tensor(2.0):.3f}" == "2.000" and f"{cr.tensor(5):d}" == "5"
    for lib in (cr, torch):      # a 1-element 1-D tensor is not a number to format (PyTorch)
        assert f"{lib.tensor([5])}" == "tensor([5])"
        with pytest.raises(TypeError, match="unsupported format string"):
            f"{lib.tensor([5]):d}"
    assert x.type() == "torch.FloatTensor" and x.type(cr.float64).dtype == np.float64


def test_consumers_recorded_before_an_in_place_change_see_the_old_value():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    results = []
    for L in (cr, torch):
        x = L.tensor(a.copy(), requires_grad=True)
        w = L.tensor(b.copy(), requires_grad=True)
        y = x * 1.5
        before = y * 3             # consumed y before the changes below
        y *= w
        y[:, 1] = y[:, 2] * 2      # reads y, then overwrites a column of it
        y.tanh_()
        after = y * before
        (after.sum() + before.sum()).backward()
        results.append((x.grad.numpy().copy(), w.grad.numpy().copy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def test_scatter_reduce_prod_refuses_a_second_derivative_it_cannot_give():
    x = cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64, requires_grad=True)
    src = cr.tensor([2.0, 3.0], dtype=cr.float64, requires_grad=True)
    y = cr.scatter_reduce(x, 0, cr.tensor([0, 0]), src, "prod")
    (g,) = cr.autograd.grad(y.sum(), x, retain_graph=True)
    np.testing.assert_array_equal(g.numpy(), [6.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="not itself differentiable"):
        cr.autograd.grad(y.sum(), x, create_graph=True)


_STEPS = ["mul_w", "add_v", "tanh", "imul_w", "iadd_v", "itanh", "setitem_row", "setitem_expr",
          "tap", "isub_scalar", "iclamp"]


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.sampled_from(_STEPS), min_size=1, max_size=8), seed=st.integers(0, 99))
def test_random_programs_with_in_place_steps_match_torch(steps, seed):
    """Any mix of in-place and out-of-place steps on a non-leaf tensor, with intermediate values
    consumed along the way: values and gradients equal PyTorch's wherever PyTorch runs it."""
    rng = np.random.default_rng(seed)
    a, w, v = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(4)
    results = []
    for L in (torch, cr):
        x = L.tensor(a.copy(), requires_grad=True)
        wt = L.tensor(w.copy(), requires_grad=True)
        vt = L.tensor(v.copy(), requires_grad=True)
        y = x * 1.0
        taps = []
        try:
            for step in steps:
                if step == "mul_w":
                    y = y * wt
                elif step == "add_v":
                    y = y + vt
                elif step == "tanh":
                    y = y.tanh()
                elif step == "imul_w":
                    y *= wt
                elif step == "iadd_v":
                    y += vt
                elif step == "itanh":
                    y.tanh_()
                elif step == "setitem_row":
                    y[1] = vt
                elif step == "setitem_expr":
                    y[:, 0] = y[:, 1] * 2
                elif step == "tap":
                    taps.append(y * 0.5)
                elif step == "isub_scalar":
                    y -= 0.25
                elif step == "iclamp":
                    y.clamp_(-0.5, 0.5)
            total = y.sum() + sum(t.sum() for t in taps)
            total.backward()
        except RuntimeError as exc:
            if L is torch:
                return                      # PyTorch refuses this program: nothing to compare
            raise AssertionError(f"chainrule raised where PyTorch did not: {exc}") from exc
        results.append([t.detach().numpy().copy() for t in (total, y)] +
                       [t.grad.numpy().copy() if t.grad is not None else np.zeros(t.shape)
                        for t in (x, wt, vt)])
    for mine, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_relu_backward_blocks_nonfinite_gradients_as_pytorch():
    """PyTorch's threshold_backward: 0 where y ≤ 0 (even for an infinite or NaN g, where a
    multiplication by 0 would give NaN) and g where y is NaN."""
    x = np.array([np.nan, -1.0, 2.0, 0.0, -3.0, 4.0])
    g = np.array([5.0, np.nan, 3.0, np.inf, -np.inf, np.nan])
    xt = cr.tensor(x, requires_grad=True)
    cr.relu(xt).backward(cr.tensor(g))
    tx = torch.tensor(x, requires_grad=True)
    torch.relu(tx).backward(torch.tensor(g))
    np.testing.assert_array_equal(xt.grad.numpy(), tx.grad.numpy())
