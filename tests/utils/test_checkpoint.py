"""``chainrule.utils.checkpoint`` against ``torch.utils.checkpoint`` (PyTorch 2.13, float64):
gradients of inputs and parameters equal to PyTorch's (with dropout inside, with and without
``preserve_rng_state``), non-tensor and keyword arguments, ``checkpoint_sequential``, inputs that
do not require grad, double backward, the warnings and errors a PyTorch user sees, and the
memory kept by the graph (bytes of the arrays its nodes saved) with and without checkpointing."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.utils import checkpoint as ccp

VARIANTS = [True, False]


def _close(a, b, rtol=1e-12) -> None:
    a = a.detach().numpy() if isinstance(a, (cr.Tensor, torch.Tensor)) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, (cr.Tensor, torch.Tensor)) else np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)


def _models(widths, p=0.3, seed=0):
    """The same Linear–Tanh–Dropout chain in both libraries (float64, PyTorch's weights)."""
    torch.manual_seed(seed)
    layers, ours = [], []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b, dtype=torch.float64), torch.nn.Tanh(),
                   torch.nn.Dropout(p)]
        ours += [nn.Linear(a, b), nn.Tanh(), nn.Dropout(p)]
    ref, model = torch.nn.Sequential(*layers), nn.Sequential(*ours).double()
    model.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return model, ref


def _grads(module) -> list:
    return [p.grad for p in module.parameters()]


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**31 - 1), st.sampled_from(VARIANTS),
       st.booleans())
def test_gradients_match_pytorch_with_dropout(batch, seed, reentrant, preserve):
    model, ref = _models([3, 5, 4, 2], seed=seed % 1000)
    x = np.random.default_rng(seed).standard_normal((batch, 3))
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cr.manual_seed(seed)
    torch.manual_seed(seed)
    out = ccp.checkpoint(model, cx, use_reentrant=reentrant, preserve_rng_state=preserve)
    tout = tcp.checkpoint(ref, tx, use_reentrant=reentrant, preserve_rng_state=preserve)
    _close(out, tout)
    (out ** 2).sum().backward()
    (tout ** 2).sum().backward()
    _close(cx.grad, tx.grad)
    for g, tg in zip(_grads(model), _grads(ref)):
        _close(g, tg)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_same_gradients_as_without_checkpoint(reentrant):
    """With the random state preserved, the recomputation draws the forward's dropout masks:
    the gradients are exactly those of the plain forward."""
    model, _ = _models([4, 6, 3], p=0.5)
    model.double()
    x = cr.tensor(np.random.default_rng(3).standard_normal((5, 4)), requires_grad=True)
    cr.manual_seed(7)
    plain = model(x)
    plain.sum().backward()
    expected = [x.grad.numpy().copy()] + [g.numpy().copy() for g in _grads(model)]
    x.grad = None
    model.zero_grad()
    cr.manual_seed(7)
    out = ccp.checkpoint(model, x, use_reentrant=reentrant)
    np.testing.assert_array_equal(out.numpy(), plain.numpy())
    out.sum().backward()
    got = [x.grad.numpy()] + [g.numpy() for g in _grads(model)]
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_non_tensor_arguments_and_several_outputs(reentrant):
    def f(lib, a, scale, mode, b):
        h = lib.sin(a) * scale if mode == "sin" else a * scale
        return h * b, h.sum(), 3

    xa, xb = np.linspace(-1, 1, 6).reshape(2, 3), np.arange(3.0)
    ca, cb = cr.tensor(xa, requires_grad=True), cr.tensor(xb, requires_grad=True)
    ta, tb = torch.tensor(xa, requires_grad=True), torch.tensor(xb, requires_grad=True)
    out = ccp.checkpoint(lambda *a: f(cr, *a), ca, 2.5, "sin", cb, use_reentrant=reentrant)
    ref = tcp.checkpoint(lambda *a: f(torch, *a), ta, 2.5, "sin", tb, use_reentrant=reentrant)
    assert type(out) is tuple and out[2] == 3
    (out[0].sum() * 2 + out[1] ** 2).backward()
    (ref[0].sum() * 2 + ref[1] ** 2).backward()
    _close(ca.grad, ta.grad)
    _close(cb.grad, tb.grad)


def test_keyword_arguments():
    x = np.random.default_rng(1).standard_normal(4)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def f(lib):
        return lambda a, *, power=1, shift=None: lib.exp(a) ** power + shift

    ccp.checkpoint(f(cr), cx, power=3, shift=cx, use_reentrant=False).sum().backward()
    tcp.checkpoint(f(torch), tx, power=3, shift=tx, use_reentrant=False).sum().backward()
    _close(cx.grad, tx.grad)
    for lib, fn in ((ccp, f(cr)), (tcp, f(torch))):
        with pytest.raises(ValueError, match="Unexpected keyword arguments: power"):
            lib.checkpoint(fn, cx if lib is ccp else tx, power=2, use_reentrant=True)


@pytest.mark.parametrize("reentrant", VARIANTS)
@pytest.mark.parametrize("segments", [1, 2, 3, 4, 9])
def test_checkpoint_sequential(reentrant, segments):
    model, ref = _models([2, 4, 4, 3], p=0.2)           # 9 modules
    x = np.random.default_rng(segments).standard_normal((3, 2))
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cr.manual_seed(11)
    torch.manual_seed(11)
    out = ccp.checkpoint_sequential(model, segments, cx, use_reentrant=reentrant)
    tout = tcp.checkpoint_sequential(ref, segments, tx, use_reentrant=reentrant)
    _close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    _close(cx.grad, tx.grad)
    for g, tg in zip(_grads(model), _grads(ref)):
        _close(g, tg)
    # a list of functions works too
    funcs = list(model.children())
    again = ccp.checkpoint_sequential(funcs, segments, cx.detach(), use_reentrant=reentrant)
    assert again.shape == out.shape


def test_checkpoint_sequential_errors():
    model, _ = _models([2, 2])
    with pytest.raises(ValueError, match="cannot cut 3 functions into 4 segments"):
        ccp.checkpoint_sequential(model, 4, cr.ones(1, 2), use_reentrant=False)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        ccp.checkpoint_sequential(model, 1, cr.ones(1, 2), use_reentrant=False, foo=1)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_inputs_not_requiring_grad(reentrant):
    """Reentrant: the output does not require grad (with PyTorch's warning) and the parameters
    get nothing; non-reentrant: the parameters are reached and get their gradients."""
    model, ref = _models([3, 2], p=0.0)
    x = np.ones((2, 3))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        out = ccp.checkpoint(model, cr.tensor(x), use_reentrant=reentrant)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        tout = tcp.checkpoint(ref, torch.tensor(x), use_reentrant=reentrant)
    assert out.requires_grad == tout.requires_grad == (not reentrant)
    said = [str(w.message) for w in ours]
    assert ("None of the inputs have requires_grad=True. Gradients will be None" in said) \
        == reentrant == any("None of the inputs" in str(w.message) for w in theirs)
    if not reentrant:
        out.sum().backward()
        tout.sum().backward()
        for g, tg in zip(_grads(model), _grads(ref)):
            _close(g, tg)


def test_reentrant_output_that_needs_no_gradient_raises_in_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    out = ccp.checkpoint(lambda a: a.detach() * 2, x, use_reentrant=True)
    assert out.requires_grad         # as PyTorch's: the node marks it, the backward refuses
    with pytest.raises(RuntimeError, match="none of output has requires_grad=True"):
        out.sum().backward()


def test_double_backward():
    x = np.random.default_rng(2).standard_normal((2, 3))

    def f(lib):
        return lambda a: lib.tanh(a) ** 3

    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = cr.autograd.grad(ccp.checkpoint(f(cr), cx, use_reentrant=False).sum(), cx,
                            create_graph=True)
    (tg,) = torch.autograd.grad(tcp.checkpoint(f(torch), tx, use_reentrant=False).sum(), tx,
                                create_graph=True)
    _close(g, tg)
    assert g.requires_grad
    (gg,) = cr.autograd.grad((g ** 2).sum(), cx)
    (tgg,) = torch.autograd.grad((tg ** 2).sum(), tx)
    _close(gg, tgg)
    # reentrant: autograd.grad is refused, backward(create_graph=True) gives a plain gradient
    y = ccp.checkpoint(f(cr), cx, use_reentrant=True).sum()
    with pytest.raises(RuntimeError, match="use_reentrant=True cannot be used with "
                                           r"autograd.grad\(\)"):
        cr.autograd.grad(y, cx)
    cx.grad = None
    ccp.checkpoint(f(cr), cx, use_reentrant=True).sum().backward(create_graph=True)
    tx.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tcp.checkpoint(f(torch), tx, use_reentrant=True).sum().backward(create_graph=True)
    _close(cx.grad, tx.grad)
    assert cx.grad.requires_grad is tx.grad.requires_grad is False


def test_captured_tensor_of_the_graph_and_hooks_run_once():
    """A tensor with a history, used by the function from outside (non-reentrant): its gradient
    flows on into that history, the graph before it stays usable, and hooks run once."""
    x = np.random.default_rng(4).standard_normal(3)
    calls = {"cr": 0, "torch": 0}
    results = {}
    for name, lib, module in (("cr", cr, ccp), ("torch", torch, tcp)):
        w = lib.tensor(x, requires_grad=True)
        h = w * 2                                     # outside, with a history
        h.register_hook(lambda g, n=name: calls.__setitem__(n, calls[n] + 1))
        a = lib.tensor(x[::-1].copy(), requires_grad=True)
        out = module.checkpoint(lambda t, lib=lib, h=h: lib.sin(t * h), a, use_reentrant=False)
        (out.sum() + h.sum()).backward()
        results[name] = (w.grad, a.grad)
    assert calls == {"cr": 1, "torch": 1}
    _close(results["cr"][0], results["torch"][0])
    _close(results["cr"][1], results["torch"][1])


def test_use_reentrant_left_out_warns_and_means_true():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="pass use_reentrant explicitly"):
        y = ccp.checkpoint(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="use_reentrant=True"):
        cr.autograd.grad(y, x)                        # the reentrant variant
    model, _ = _models([1, 1])
    with pytest.warns(UserWarning, match="pass use_reentrant explicitly"):
        ccp.checkpoint_sequential(model, 1, x)


def test_option_errors():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"determinism_check should be one of \['default', "
                                         r"'none'\], but got bad"):
        ccp.checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="bad")
    for kwargs in ({"debug": True}, {"context_fn": lambda: (None, None)}):
        with pytest.raises(ValueError, match="only supported with use_reentrant=False"):
            ccp.checkpoint(lambda a: a, x, use_reentrant=True, **kwargs)


def test_determinism_check_and_context_fn():
    import contextlib

    runs = []

    def f(a):
        runs.append(1)
        return a[: len(runs)] * 2                    # a different shape when run again

    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ccp.checkpoint(f, x, use_reentrant=False)
    with pytest.raises(ccp.CheckpointError, match="other shapes or dtypes"):
        y.sum().backward()
    assert issubclass(ccp.CheckpointError, RuntimeError)
    entered = []

    @contextlib.contextmanager
    def mark(what):
        entered.append(what)
        yield

    y = ccp.checkpoint(lambda a: a * a, x, use_reentrant=False,
                       context_fn=lambda: (mark("forward"), mark("recompute")))
    y.sum().backward()
    assert entered == ["forward", "recompute"]


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_backward_twice_and_input_changed_in_place(reentrant):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = ccp.checkpoint(lambda a: a.exp(), x, use_reentrant=reentrant).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()
    a = x * 1
    y = ccp.checkpoint(lambda t: t.exp(), a, use_reentrant=reentrant).sum()
    with cr.no_grad():
        a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def _saved_bytes(root: cr.Tensor, parameters=()) -> int:
    """Bytes of the arrays saved by the nodes of the graph behind ``root`` (each array once),
    leaving out the ``parameters``' own arrays (kept by the model anyway)."""
    skip = {id(p._data) for p in parameters}
    seen, arrays, stack = set(), {}, [root]
    while stack:
        t = stack.pop()
        node = t._node
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for value in node.saved or ():
            if isinstance(value, np.ndarray) and id(value) not in skip:
                arrays[id(value)] = value.nbytes
        stack.extend(i for i in node.inputs if isinstance(i, cr.Tensor))
    return sum(arrays.values())


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_a_long_chain_keeps_less_memory(reentrant):
    depth, width = 16, 64
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    model = nn.Sequential(*layers)
    x = cr.randn(32, width, requires_grad=True)
    plain = _saved_bytes(model(x), model.parameters())
    out = ccp.checkpoint_sequential(model, 4, x, use_reentrant=reentrant)
    kept = _saved_bytes(out, model.parameters())
    # the plain chain saves each Linear's input, which is the Tanh before's output: 17
    # activations of 32×64 floats; the checkpointed one the 3 checkpointed segments' inputs,
    # and the last segment's input and its 4 Tanh outputs
    activation = 32 * width * 4
    assert plain == 17 * activation
    assert kept == (3 + 1 + 4) * activation, (kept, plain)
    out.sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for a, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6, atol=1e-7)
