"""Regression tests for the differences from PyTorch found by the round-35b compat programs
(tests/compat/test_programs_round35b.py), each compared against PyTorch.

- ``Optimizer.state_dict()`` holds Tensors (it held NumPy arrays), and they are the optimizer's
  own state, not copies: a state_dict taken earlier shows later steps, as in PyTorch;
- ``Optimizer.load_state_dict`` keeps the loaded tensors as the state where they already have
  the parameter's dtype (PyTorch's ``.to(dtype)`` returns the tensor itself): a checkpoint read
  with ``torch.load`` and loaded into an optimizer changes as training resumes, as in PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule

torch = pytest.importorskip("torch")

OPTIMIZERS = {
    "SGD": dict(lr=0.1, momentum=0.9),
    "Adam": dict(lr=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(lr=0.1),
    "AdamW": dict(lr=0.01, amsgrad=True),
}


def _problem(L, name):
    """A Linear(3, 2) with fixed weights, fixed data, and optimizer ``name`` on it."""
    rng = np.random.default_rng(0)
    model = L.nn.Linear(3, 2).double()
    with L.no_grad():
        model.weight.copy_(L.tensor(rng.normal(size=(2, 3))))
        model.bias.copy_(L.tensor(rng.normal(size=2)))
    x, y = L.tensor(rng.normal(size=(5, 3))), L.tensor(rng.normal(size=(5, 2)))
    opt = getattr(L.optim, name)(model.parameters(), **OPTIMIZERS[name])

    def step():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    return model, opt, step


def _arrays(state: dict) -> dict:
    """{(index, key): float64 array} of an optimizer state_dict's state (the step count apart)."""
    return {(int(i), k): np.asarray(v.detach().numpy(), dtype=np.float64)
            for i, s in state.items() for k, v in s.items() if k != "step"}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_holds_tensors_that_are_the_live_state(name):
    held = {}
    for L in (torch, chainrule):
        _, opt, step = _problem(L, name)
        step()
        sd = opt.state_dict()
        tensors = [v for s in sd["state"].values() for k, v in s.items() if k != "step"]
        assert tensors and all(isinstance(v, L.Tensor) for v in tensors), name
        before = _arrays(sd["state"])
        step()                              # the state_dict taken before shows this step
        held[L.__name__] = (before, _arrays(sd["state"]), _arrays(opt.state_dict()["state"]))
    (t_before, t_after, t_live), (c_before, c_after, c_live) = held["torch"], held["chainrule"]
    assert sorted(c_after) == sorted(t_after)
    for key in t_after:
        np.testing.assert_allclose(c_before[key], t_before[key], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(c_after[key], t_after[key], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(t_after[key], t_live[key])
        np.testing.assert_array_equal(c_after[key], c_live[key])
        assert not np.array_equal(c_after[key], c_before[key]) or \
            np.array_equal(t_after[key], t_before[key]), (name, key)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_a_loaded_checkpoint_is_the_state_training_resumes_with(tmp_path, name):
    results = {}
    for L in (torch, chainrule):
        model, opt, step = _problem(L, name)
        step()
        step()
        path = tmp_path / f"{L.__name__}.pt"
        L.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, path)
        checkpoint = L.load(path)
        model2, opt2, step2 = _problem(L, name)
        model2.load_state_dict(checkpoint["model"])
        opt2.load_state_dict(checkpoint["optimizer"])
        losses = [step2() for _ in range(3)]
        cont = [step() for _ in range(3)]          # the uninterrupted run
        np.testing.assert_allclose(losses, cont, rtol=1e-13)
        results[L.__name__] = (losses, _arrays(checkpoint["optimizer"]["state"]),
                               _arrays(opt2.state_dict()["state"]), checkpoint["epoch"])
    (t_losses, t_ckpt, t_live, t_epoch), (c_losses, c_ckpt, c_live, c_epoch) = \
        results["torch"], results["chainrule"]
    assert c_epoch == t_epoch == 2
    np.testing.assert_allclose(c_losses, t_losses, rtol=1e-12)
    for key in t_ckpt:
        # in PyTorch the checkpoint's tensors became the optimizer's state and moved on with it
        np.testing.assert_array_equal(t_ckpt[key], t_live[key])
        np.testing.assert_array_equal(c_ckpt[key], c_live[key])
        np.testing.assert_allclose(c_ckpt[key], t_ckpt[key], rtol=1e-12, atol=1e-15)


def test_load_state_dict_copies_where_the_dtype_differs_or_the_array_is_read_only():
    model, opt, step = _problem(chainrule, "SGD")
    step()
    sd = opt.state_dict()
    buf = sd["state"][0]["momentum_buffer"]
    _, opt2, _ = _problem(chainrule, "SGD")
    frozen = np.array(buf.numpy(), copy=True)
    frozen.flags.writeable = False
    sd["state"][0]["momentum_buffer"] = chainrule.from_numpy(frozen.astype(np.float32))
    ones = np.ones(2)
    ones.flags.writeable = False
    sd["state"][1]["momentum_buffer"] = ones
    opt2.load_state_dict(sd)
    for p in opt2.param_groups[0]["params"]:
        live = opt2.state[p]["momentum_buffer"]
        assert live.dtype == np.float64 and live._data.flags.writeable
