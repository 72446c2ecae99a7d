"""Compiled training steps equal eager ones: the same parameters after 20 steps (float64)."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.compile import helpers as H

OPTIMIZERS = {
    "sgd_momentum": lambda params: cr.optim.SGD(params, lr=0.05, momentum=0.9),
    "adam": lambda params: cr.optim.Adam(params, lr=1e-2),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("model", ["mlp", "lenet", "lstm"])
def test_compiled_step_equals_eager_after_20_steps(model, optimizer):
    eager_model, compiled_model = H.twin(getattr(H, model))
    eager = H.training_step(eager_model, OPTIMIZERS[optimizer](eager_model.parameters()))
    compiled = cr.compile(H.training_step(compiled_model,
                                          OPTIMIZERS[optimizer](compiled_model.parameters())),
                          fullgraph=True)
    for x, y in H.batches(model, 20):          # a new batch each step: nothing is baked in
        a, b = eager(x, y), compiled(x, y)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=0, atol=1e-12)
    assert len(compiled.cache) == 1            # traced once, replayed 19 times
    assert H.max_difference(eager_model, compiled_model) <= 1e-12
    assert all(p.grad is not None for p in compiled_model.parameters())
    for p, q in zip(eager_model.parameters(), compiled_model.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=0, atol=1e-12)


def test_compiled_forward_under_no_grad_equals_eager():
    model = H.lenet().to(cr.float64)
    model.eval()
    forward = cr.compile(model)
    for x, _ in H.batches("lenet", 3):
        with cr.no_grad():
            got = forward(x)
            want = model(x)
        assert not got.requires_grad
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-12)
    assert len(forward.cache) == 1


@pytest.mark.parametrize("model", ["mlp", "lenet", "lstm"])
def test_compiled_model_in_an_eager_training_loop_equals_eager(model):
    """torch.compile's common use: the model compiled, loss, backward and step outside."""
    a, b = H.twin(getattr(H, model))
    compiled = cr.compile(b, fullgraph=True)
    opts = [cr.optim.Adam(m.parameters(), lr=1e-2) for m in (a, b)]
    loss_fn = cr.nn.CrossEntropyLoss()
    for x, y in H.batches(model, 20):
        for forward, opt in ((a, opts[0]), (compiled, opts[1])):
            opt.zero_grad()
            out = forward(x)
            assert out.requires_grad and out.grad_fn is not None
            loss_fn(out, y).backward()
            opt.step()
    assert len(compiled.cache) == 1 and compiled.program().graphs
    assert "joins the caller's graph as one node (CompiledGraph)" in compiled.plan(file=False)
    assert H.max_difference(a, b) <= 1e-12


def test_compiled_block_passes_gradients_to_the_graph_outside_it():
    rng = np.random.default_rng(0)
    w = cr.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    block = cr.compile(lambda h: cr.tanh(h @ w) * 2, fullgraph=True)
    for seed in range(3):
        data = np.random.default_rng(seed).standard_normal((3, 4))
        grads = []
        for f in (block.fn, block):
            w.grad = None
            x = cr.tensor(data, requires_grad=True)
            h = cr.sin(x)                        # the argument has a graph of its own
            f(h).sum().backward()
            grads.append((x.grad.numpy().copy(), w.grad.numpy().copy()))
        for eager, compiled in zip(*grads):
            np.testing.assert_allclose(compiled, eager, rtol=0, atol=1e-12)


def test_compiled_graph_keeps_eager_rules_retain_graph_and_in_place_checks():
    model = H.mlp().to(cr.float64)
    forward = cr.compile(model)
    x, _ = H.batches("mlp", 1)[0]
    forward(x)                                    # the trace
    out = forward(x).sum()
    out.backward(retain_graph=True)
    first = model[0].weight.grad.numpy().copy()
    out.backward()                                # twice: the saved values were kept
    np.testing.assert_allclose(model[0].weight.grad.numpy(), 2 * first, rtol=1e-12)
    out = forward(x).sum()
    with cr.no_grad():
        model[0].weight.mul_(2)                   # changed in place before backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()
    with pytest.raises(RuntimeError, match="create_graph"):
        forward(x).sum().backward(create_graph=True)


def test_gradient_accumulation_without_zero_grad_matches_eager():
    a, b = H.twin(H.mlp)
    loss_fn = cr.nn.CrossEntropyLoss()

    def accumulate(model):
        def step(x, y):
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        return step

    eager, compiled = accumulate(a), cr.compile(accumulate(b), fullgraph=True)
    for x, y in H.batches("mlp", 3):
        eager(x, y)
        compiled(x, y)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=0, atol=1e-12)


def test_arguments_that_require_grad_receive_their_gradient():
    w = cr.tensor(np.random.default_rng(0).standard_normal((4, 3)))

    def f(x):
        loss = (cr.tanh(x @ w) ** 2).sum()
        loss.backward()
        return loss

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(3):
        data = np.random.default_rng(seed).standard_normal((5, 4))
        x1, x2 = cr.tensor(data, requires_grad=True), cr.tensor(data, requires_grad=True)
        a, b = f(x1), compiled(x2)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(x2.grad.numpy(), x1.grad.numpy(), rtol=0, atol=1e-12)


def test_model_zero_grad_inside_the_step_is_replayed():
    a, b = H.twin(H.mlp)

    def make(model, opt):
        def step(x, y):
            model.zero_grad()                   # the Module's zero_grad, not the optimizer's
            loss = cr.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return step

    eager = make(a, cr.optim.SGD(a.parameters(), lr=0.1))
    compiled = cr.compile(make(b, cr.optim.SGD(b.parameters(), lr=0.1)), fullgraph=True)
    for x, y in H.batches("mlp", 5):
        eager(x, y)
        compiled(x, y)
    assert H.max_difference(a, b) <= 1e-12
    assert "Sequential.zero_grad()" in compiled.plan(file=False)


def test_recurrent_module_with_two_outputs_backpropagates_through_each():
    a, b = H.twin(lambda: cr.nn.GRU(4, 6, batch_first=True))
    compiled = cr.compile(b, fullgraph=True)
    x = cr.tensor(np.random.default_rng(0).standard_normal((3, 5, 4)))
    for which in ("out", "h", "both", "out"):
        for model in (a, b):
            model.zero_grad()
        for f in (a, compiled):
            out, h = f(x)
            loss = {"out": out.sum(), "h": (h ** 2).sum(), "both": out.mean() + h.sum()}[which]
            loss.backward()
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=0, atol=1e-12)
    assert len(compiled.program().graphs) == 2
