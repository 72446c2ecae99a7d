"""One harness for every layer and loss: compare with PyTorch, gradcheck, state round-trip.

Use:
    check_against_torch(cr_layer, torch_layer, x)  # outputs, input/param grads, buffers
    check_gradcheck(cr_layer, x)                    # float64 central differences, x and params
    check_basics(cr_layer_factory, x)               # state_dict round trip, repr, formula
"""
from __future__ import annotations

import numpy as np
import torch

import chainrule as cr


def to_torch_dtype(dtype):
    return {"float64": torch.float64, "float32": torch.float32}[np.dtype(dtype).name]


def copy_weights(cr_layer, torch_layer, dtype=np.float64):
    """Load the torch layer's state into the chainrule layer, both in ``dtype``."""
    torch_layer.to(to_torch_dtype(dtype))
    cr_layer.to(dtype)
    state = {k: v.detach().cpu().numpy() for k, v in torch_layer.state_dict().items()}
    own = cr_layer.state_dict()
    missing = [k for k in own if k not in state]
    assert not missing, f"chainrule keys without a torch counterpart: {missing}"
    cr_layer.load_state_dict({k: state[k] for k in own}, strict=True)


def _as_input(x, requires_grad):
    if np.issubdtype(np.asarray(x).dtype, np.floating):
        return (cr.tensor(x, requires_grad=requires_grad),
                torch.tensor(x, requires_grad=requires_grad))
    return cr.tensor(x), torch.tensor(x)


def check_against_torch(cr_layer, torch_layer, *inputs, dtype=np.float64, train=True,
                        rtol=None, atol=None, upstream=None, copy=True, steps=1):
    """Forward values, input gradients, parameter gradients and buffers equal PyTorch's.

    Tolerances: float64 relative 1e-6, float32 relative 1e-4 (the project's standard).
    Runs ``steps`` forward/backward passes (buffers such as running statistics evolve).
    """
    rtol = rtol if rtol is not None else (1e-6 if np.dtype(dtype) == np.float64 else 1e-4)
    atol = atol if atol is not None else (1e-9 if np.dtype(dtype) == np.float64 else 1e-5)
    if copy:
        copy_weights(cr_layer, torch_layer, dtype)
    cr_layer.train(train)
    torch_layer.train(train)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        cr_layer.zero_grad()
        torch_layer.zero_grad()
        pairs = [_as_input(np.asarray(x).astype(dtype) if np.issubdtype(np.asarray(x).dtype,
                                                                          np.floating) else x,
                           True) for x in inputs]
        cr_out = cr_layer(*[p[0] for p in pairs])
        t_out = torch_layer(*[p[1] for p in pairs])
        np.testing.assert_allclose(cr_out.numpy(), t_out.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg="forward differs from PyTorch")
        assert cr_out.dtype == np.dtype(dtype), f"output dtype {cr_out.dtype}, expected {dtype}"
        g = upstream if upstream is not None else rng.standard_normal(cr_out.shape).astype(dtype)
        cr_out.backward(g)
        t_out.backward(torch.tensor(g))
        for i, (c, t) in enumerate(pairs):
            if t.requires_grad:
                np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol,
                                           err_msg=f"gradient of input {i} differs from PyTorch")
        t_params = dict(torch_layer.named_parameters())
        for name, p in cr_layer.named_parameters():
            tp = t_params[name]
            if tp.grad is None:
                assert p.grad is None or not np.any(p.grad.numpy()), name
                continue
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of parameter {name} differs")
        t_buffers = dict(torch_layer.named_buffers())
        for name, b in cr_layer.named_buffers():
            np.testing.assert_allclose(b.numpy(), t_buffers[name].numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"buffer {name} differs from PyTorch")
    return cr_out


def check_gradcheck(cr_layer, *inputs, train=True, wrt_params=True, **kw):
    """gradcheck in float64 with respect to the float inputs and every parameter."""
    cr_layer.double().train(train)
    names = [n for n, _ in cr_layer.named_parameters()] if wrt_params else []
    owners = []
    for name in names:
        *path, leaf = name.split(".")
        owner = cr_layer
        for part in path:
            owner = getattr(owner, part)
        owners.append((owner, leaf))
    originals = [owner._parameters[leaf] for owner, leaf in owners]
    n_inputs = len(inputs)

    def fn(*args):
        xs, ps = args[:n_inputs], args[n_inputs:]
        for (owner, leaf), p in zip(owners, ps):
            owner._parameters[leaf] = p
        try:
            return cr_layer(*xs)
        finally:
            for (owner, leaf), p in zip(owners, originals):
                owner._parameters[leaf] = p

    arrays = [np.asarray(x, dtype=np.float64) if np.issubdtype(np.asarray(x).dtype, np.floating)
              else x for x in inputs]
    return cr.gradcheck(fn, *arrays, *[p.numpy().copy() for p in originals], **kw)


def check_basics(factory, *inputs, torch_factory=None):
    """state_dict round trip gives identical outputs; repr and formula render; param count."""
    a = factory().double().eval()
    b = factory().double().eval()
    b.load_state_dict({k: v.numpy().copy() for k, v in a.state_dict().items()})
    xs = [cr.tensor(np.asarray(x, dtype=np.float64)) if np.issubdtype(np.asarray(x).dtype,
                                                                       np.floating)
          else cr.tensor(x) for x in inputs]
    np.testing.assert_array_equal(a(*xs).numpy(), b(*xs).numpy())
    assert type(a).__name__ in repr(a)
    f = a.formula()
    assert str(f) and f.to_latex() and f.to_markdown()
    if torch_factory is not None:
        count = sum(p.numel() for p in torch_factory().parameters())
        assert sum(p.numel() for p in a.parameters()) == count
