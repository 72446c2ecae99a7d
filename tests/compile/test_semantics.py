"""Dropout, BatchNorm, the passes, plan() and graph() of chainrule.compile; torch's signature."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import function as _function
from chainrule.compile import passes
from tests.compile import helpers as H


def _x(*shape, seed=0):
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape))


def _dropout_net():
    nn = cr.nn
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))


def test_dropout_draws_a_fresh_mask_each_call_from_the_same_generator_as_eager():
    a, b = H.twin(_dropout_net)
    steps = H.batches("mlp", 6)
    cr.manual_seed(7)
    eager = H.training_step(a, cr.optim.Adam(a.parameters(), lr=1e-2))
    want = [eager(x, y).item() for x, y in steps]
    cr.manual_seed(7)
    compiled = cr.compile(H.training_step(b, cr.optim.Adam(b.parameters(), lr=1e-2)),
                          fullgraph=True)
    got = [compiled(x, y).item() for x, y in steps]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert H.max_difference(a, b) <= 1e-12
    forward = cr.compile(b)
    with cr.no_grad():
        x = cr.ones(4, 12, dtype=cr.float64)
        masks = [forward(x).numpy() for _ in range(3)]
    assert not np.array_equal(masks[1], masks[2])      # not one mask baked in


def _bn_net():
    nn = cr.nn
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(3 * 14 * 14, 3))


def test_batchnorm_running_statistics_and_counter_follow_eager():
    a, b = H.twin(_bn_net)
    eager = H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.05, momentum=0.9))
    compiled = cr.compile(H.training_step(b, cr.optim.SGD(b.parameters(), lr=0.05,
                                                          momentum=0.9)), fullgraph=True)
    for x, y in H.batches("lenet", 5):
        eager(x, y)
        compiled(x, y)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=0, atol=1e-12, err_msg=name)
    assert int(b[1].num_batches_tracked.numpy()) == 5
    a.eval()
    b.eval()
    forward = cr.compile(b)
    x = H.batches("lenet", 1, seed=3)[0][0]
    with cr.no_grad():
        np.testing.assert_allclose(forward(x).numpy(), a(x).numpy(), rtol=0, atol=1e-12)


def test_batchnorm_with_cumulative_momentum_is_reported():
    model = cr.nn.BatchNorm1d(3, momentum=None).to(cr.float64)
    with pytest.raises(cr.compile.UntraceableError, match="momentum=None"):
        cr.compile(model, fullgraph=True)(_x(4, 3))


def test_constant_folding_computes_constant_steps_once():
    def f(x):
        scale = cr.exp(cr.zeros(3, dtype=cr.float64) + 1.0)    # depends on no argument
        return x * scale

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(2):
        np.testing.assert_allclose(compiled(_x(3, seed=seed)).numpy(),
                                   f(_x(3, seed=seed)).numpy(), rtol=0, atol=0)
    program = compiled.program()
    assert [s.fn.name for s in program.steps] == ["multiply"]
    assert len(program.folded) == 2 and "exp" in program.folded[1]


def test_dead_code_is_removed_and_intermediates_are_released_after_their_last_read():
    def f(x):
        _ = cr.tanh(x) * 5                     # nobody reads it
        a = cr.sin(x)
        b = cr.cos(a)
        return b + a

    compiled = cr.compile(f, fullgraph=True)
    np.testing.assert_allclose(compiled(_x(4)).numpy(), f(_x(4)).numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(compiled(_x(4, seed=2)).numpy(), f(_x(4, seed=2)).numpy())
    program = compiled.program()
    # sin is read twice (by cos and by add), so only cos → add is fused
    assert [s.kind for s in program.steps] == ["prim", "fused"]
    assert program.steps[0].fn.name == "sin"
    assert any("tanh" in r for r in program.removed) and any("multiply" in r
                                                              for r in program.removed)
    sin, out = program.steps[0].out, program.steps[1].out
    assert program.releases[1] == (sin,)       # freed right after its last read
    assert program.last_use[sin] == 1 and out not in program.last_use


def test_passes_run_standalone_on_a_traced_program():
    compiled = cr.compile(lambda x: cr.relu(x) * 2, fullgraph=True)
    compiled(_x(3))
    program = compiled.program()
    before = len(program.steps)
    passes.remove_dead_code(program)
    passes.plan_buffers(program)
    assert len(program.steps) == before


def test_plan_lists_steps_buffers_passes_and_cache_entries(capsys):
    model = H.mlp().to(cr.float64)
    step = cr.compile(H.training_step(model, cr.optim.Adam(model.parameters())))
    for x, y in H.batches("mlp", 2):
        step(x, y)
    text = step.plan()
    assert capsys.readouterr().out.strip() == text.strip()
    for expected in ("1 of 8 cache entries", "signature: (8×12) <f8, (8) <i8",
                     "Adam.zero_grad()", "linear(arg0(8×12)", "relu", "softmax_cross_entropy",
                     "backward of", "Adam.step()", "freed after", "folded", "removed (dead code)",
                     "fused: none", "live at once at most"):
        assert expected in text, expected


def test_graph_of_the_compiled_function_is_dot():
    model = H.mlp().to(cr.float64)
    forward = cr.compile(model)
    with cr.no_grad():
        forward(_x(2, 12))
    g = forward.graph()
    assert g.source.startswith("digraph") and "linear" in g.source and "relu" in g.source
    assert g.nodes > 5 and g.edges > 5
    assert "Linear" in str(forward.explain((12,)))


def test_torch_signature_options():
    f = lambda x: x + 1                                                  # noqa: E731
    assert cr.compile(f, disable=True) is f
    assert isinstance(cr.compile(f, backend="eager", mode="reduce-overhead"),
                      cr.compile.CompiledFunction)
    decorated = cr.compile(fullgraph=True)(f)
    assert decorated.fullgraph and decorated(_x(2)).shape == (2,)
    with pytest.raises(NotImplementedError, match="dynamic=True"):
        cr.compile(f, dynamic=True)
    with pytest.raises(ValueError, match="backend"):
        cr.compile(f, backend="tensorrt")
    with pytest.raises(ValueError, match="mode"):
        cr.compile(f, mode="fastest")
    with pytest.raises(ValueError, match="options"):
        cr.compile(f, options={"trace.enabled": True})
    with pytest.raises(TypeError, match="function or a Module"):
        cr.compile(3)


def test_eager_has_no_tracer_outside_a_trace():
    compiled = cr.compile(lambda x: x * 2)
    compiled(_x(2))
    assert _function.tracer is None
    y = _x(2) * 3                               # eager ops are not recorded anywhere
    assert y.grad_fn is None


def test_captured_tensors_are_read_by_reference_at_each_call():
    w = cr.tensor(np.array([1.0, 2.0, 3.0]))
    compiled = cr.compile(lambda x: x * w, fullgraph=True)
    x = cr.tensor(np.ones(3))
    np.testing.assert_array_equal(compiled(x).numpy(), [1.0, 2.0, 3.0])
    with cr.no_grad():
        w.mul_(10)                              # changed in place between calls
    np.testing.assert_array_equal(compiled(x).numpy(), [10.0, 20.0, 30.0])
    w.data = cr.tensor(np.array([0.5, 0.5, 0.5]))   # or given a new array
    np.testing.assert_array_equal(compiled(x).numpy(), [0.5, 0.5, 0.5])


def test_elementwise_chains_are_fused_into_one_buffer_with_equal_results():
    def f(x, y):
        return cr.tanh(cr.exp(x * 0.5) - y) / 3.0 + x

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(3):
        x, y = _x(4, 5, seed=seed), _x(5, seed=seed + 10)
        with cr.no_grad():
            np.testing.assert_array_equal(compiled(x, y).numpy(), f(x, y).numpy())
    program = compiled.program()
    assert [s.kind for s in program.steps] == ["fused"]
    assert [u.__name__ for u, _ in program.steps[0].ops] == [
        "multiply", "exp", "subtract", "tanh", "divide", "add"]
    assert "one buffer (4×5) instead of 6" in program.fused[0]
    assert "fused[multiply → exp" in compiled.plan(file=False)


def test_steps_the_backward_needs_are_not_fused():
    def f(x):
        loss = (cr.exp(x) * 2).sum()
        loss.backward()
        return loss

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(2):
        a, b = _x(3, seed=seed), _x(3, seed=seed)
        a.requires_grad_()
        b.requires_grad_()
        np.testing.assert_array_equal(compiled(a).numpy(), f(b).numpy())
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert not compiled.program().fused


def test_a_compiled_function_called_inside_a_trace_is_inlined():
    inner = cr.compile(lambda x: cr.sin(x) * 2)
    inner(_x(3))                                # compiled (and cached) already
    outer = cr.compile(lambda x: inner(x) + 1, fullgraph=True)
    for seed in range(3):
        x = _x(3, seed=seed)
        np.testing.assert_array_equal(outer(x).numpy(), (cr.sin(x) * 2 + 1).numpy())
    (step,) = outer.program().steps             # sin → multiply → add, recorded by the outer
    assert [u.__name__ for u, _ in step.ops] == ["sin", "multiply", "add"]


def test_a_compiled_module_answers_as_the_module():
    model = H.mlp()
    compiled = cr.compile(model)
    assert compiled._orig_mod is model
    assert len(list(compiled.parameters())) == 6
    compiled.eval()
    assert not model.training


def test_attention_dropout_is_drawn_fresh_as_in_eager():
    def build():
        cr.manual_seed(3)
        return cr.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.2,
                                             batch_first=True).to(cr.float64)

    a, b = build(), build()
    compiled = cr.compile(b, fullgraph=True)
    x = _x(2, 5, 8)
    cr.manual_seed(11)
    want = [a(x).numpy() for _ in range(3)]
    cr.manual_seed(11)
    got = [compiled(x).numpy() for _ in range(3)]
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-12)
    assert not np.array_equal(got[1], got[2])


def _conv_relu_pool():
    nn = cr.nn
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3 * 3 * 3, 2))


@pytest.mark.parametrize("shift", [0.0, -3.0, 3.0])
def test_relu_then_max_pool_runs_pooled_first_with_the_same_values_and_gradients(shift):
    """max(relu(x₁), …) = relu(max(x₁, …)); the gradient reaches the same element. shift −3
    makes most windows all negative (ReLU blocks their gradient either way), +3 all positive."""
    a, b = H.twin(_conv_relu_pool)

    def f(model):
        def run(x):
            loss = model(x).square().sum()
            loss.backward()
            return loss
        return run

    compiled = cr.compile(f(b), fullgraph=True)
    for seed in range(3):
        x = cr.tensor(np.random.default_rng(seed).standard_normal((4, 2, 6, 7)) + shift)
        for p in (*a.parameters(), *b.parameters()):
            p.grad = None
        np.testing.assert_array_equal(compiled(x).numpy(), f(a)(x).numpy())
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_array_equal(q.grad.numpy(), p.grad.numpy())
    program = compiled.program()
    names = [s.fn.name for s in program.steps if s.kind == "prim"]
    assert names[:3] == ["conv", "max_pool", "relu"]
    assert "relu → max_pool: pooled first, ReLU on (4×3×3×3) instead of (4×3×6×7)" \
        in program.fused[0]


def test_a_relu_whose_output_is_read_again_is_not_moved_after_the_pool():
    nn = cr.nn
    pool = nn.MaxPool2d(2)

    def f(x):
        r = cr.relu(x)
        return pool(r).sum() + r.sum()

    compiled = cr.compile(f, fullgraph=True)
    x = _x(2, 1, 4, 4)
    np.testing.assert_array_equal(compiled(x).numpy(), f(x).numpy())
    names = [s.fn.name for s in compiled.program().steps if s.kind == "prim"]
    assert names.index("relu") < names.index("max_pool")
    assert not any("relu → max_pool" in line for line in compiled.program().fused)
