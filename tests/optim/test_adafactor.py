"""optim.Adafactor against PyTorch 2.13's ``torch.optim.Adafactor``.

Parameters of 0, 1, 2 and 3 dimensions (the ≥ 2-d ones get the factored second moment) take the
same random float64 gradients in both libraries for 25 steps; the parameters must then agree to
relative 1e-12 (float32: 1e-5). Every option alone and combined, two parameter groups, shapes
drawn by Hypothesis, the state_dict layout (keys, shapes, values) and its round trip, loading
PyTorch's own state_dict (as ``torch.save`` writes it, read back by ``chainrule.load``), argument
validation with PyTorch's messages, and the same steps on array_api_strict arrays.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import optim
from tests.strategies import shapes as drawn_shapes

STEPS = 25
SHAPES = [(7,), (4, 6), (2, 3, 5), (), (1, 3), (3, 1)]
TOL = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}

CASES = [
    dict(),
    dict(lr=0.05),
    dict(lr=0.3),                                   # ρ = 1/√t from the first steps
    dict(beta2_decay=-0.5),
    dict(beta2_decay=0.0),                          # β̂₂ = 0: the last G² only
    dict(eps=(1e-3, 1e-3)),                         # ε₁ large enough to bite
    dict(eps=(None, 0.5)),                          # ε₂ above the RMS of θ
    dict(d=1.0, lr=0.5),
    dict(d=3.0),
    dict(weight_decay=0.1),
    dict(weight_decay=0.5, lr=0.2),
    dict(maximize=True),
    dict(foreach=True),
    dict(lr=0.03, beta2_decay=-0.6, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.05,
         maximize=True),
]


def _id(kw: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


class Problem:
    """The same parameters in both libraries, and the same random gradients at each step."""

    def __init__(self, shapes=SHAPES, dtype=np.float64, seed: int = 0, scale: float = 1.0):
        self.rng = np.random.default_rng(seed)
        self.shapes, self.dtype = list(shapes), dtype
        arrays = [np.asarray(self.rng.standard_normal(s) * scale, dtype) for s in self.shapes]
        self.mine = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
        self.theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]

    def grads(self, step: int) -> None:
        for p, t, s in zip(self.mine, self.theirs, self.shapes):
            # growing and shrinking scales, so that ε₁, ε₂ and the clipping all take part
            g = np.asarray(self.rng.standard_normal(s) * 10.0 ** ((step % 5) - 2), self.dtype)
            p.grad = cr.tensor(g.copy())
            t.grad = torch.from_numpy(g.copy())

    def assert_equal(self) -> None:
        for i, (p, t) in enumerate(zip(self.mine, self.theirs)):
            np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(),
                                       **TOL[self.dtype], err_msg=f"parameter {i}")


def _state_layout_matches(mine: dict, theirs: dict, dtype) -> None:
    assert sorted(mine["state"]) == sorted(theirs["state"])
    for i, state in theirs["state"].items():
        assert set(mine["state"][i]) == set(state), f"state keys of parameter {i}"
        for key, value in state.items():
            ours = mine["state"][i][key]
            assert isinstance(ours, cr.Tensor), key          # PyTorch's types: Tensors
            if key == "step":                                 # a 0-d float tensor, as PyTorch's
                assert ours.shape == () and f"torch.{ours.dtype}" == str(value.dtype)
                assert ours.item() == value.item()
                continue
            assert ours.shape == tuple(value.shape) and ours.dtype == dtype, key
            np.testing.assert_allclose(ours, value.numpy(), **TOL[dtype], err_msg=key)
    for g_mine, g_theirs in zip(mine["param_groups"], theirs["param_groups"]):
        assert g_mine == g_theirs


def _run(kwargs: dict, problem: Problem, mine_groups=None, theirs_groups=None,
         reload_at: int | None = None):
    mine = optim.Adafactor(mine_groups or problem.mine, **kwargs)
    theirs = torch.optim.Adafactor(theirs_groups or problem.theirs, **kwargs)
    for step in range(STEPS):
        if step == reload_at:
            saved = mine.state_dict()
            _state_layout_matches(saved, theirs.state_dict(), problem.dtype)
            mine = optim.Adafactor(mine_groups or problem.mine)
            mine.load_state_dict(saved)
        problem.grads(step)
        mine.step()
        theirs.step()
    problem.assert_equal()
    return mine, theirs


@pytest.mark.parametrize("kwargs", CASES, ids=_id)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_matches_pytorch(kwargs, dtype):
    mine, theirs = _run(kwargs, Problem(dtype=dtype))
    _state_layout_matches(mine.state_dict(), theirs.state_dict(), dtype)


@pytest.mark.parametrize("scale", [1e-6, 1e3])
def test_tiny_and_large_parameters_match_pytorch(scale):
    """RMS(θ) below ε₂ (the floor decides the step) and far above it."""
    _run(dict(weight_decay=0.01), Problem(scale=scale))


@given(shapes=st.lists(drawn_shapes(max_dims=4, max_side=6, max_elements=300), min_size=1,
                       max_size=3), seed=st.integers(0, 2 ** 31 - 1),
       kwargs=st.sampled_from(CASES))
@settings(max_examples=20, deadline=None)
def test_drawn_shapes_match_pytorch(shapes, seed, kwargs):
    _run(kwargs, Problem(shapes, seed=seed))


def test_two_param_groups_match_pytorch():
    problem = Problem()
    second = dict(lr=0.1, beta2_decay=-0.5, weight_decay=0.2, d=2.0, eps=(1e-6, 1e-2))
    mine = [{"params": problem.mine[:3]}, {"params": problem.mine[3:], **second}]
    theirs = [{"params": problem.theirs[:3]}, {"params": problem.theirs[3:], **second}]
    _run(dict(lr=0.02), problem, mine, theirs, reload_at=STEPS // 2)


@pytest.mark.parametrize("kwargs", [dict(), dict(weight_decay=0.1, maximize=True, d=2.0)],
                         ids=_id)
def test_state_dict_halfway_into_a_fresh_optimizer(kwargs):
    _run(kwargs, Problem(), reload_at=STEPS // 2)


def test_loading_pytorchs_state_dict(tmp_path):
    """PyTorch's own state_dict (``step`` a 0-d float tensor, the factors as tensors), written by
    ``torch.save`` and read by ``chainrule.load``, continues the run exactly."""
    problem = Problem()
    kwargs = dict(lr=0.05, weight_decay=0.05)
    theirs = torch.optim.Adafactor(problem.theirs, **kwargs)
    for step in range(10):
        problem.grads(step)
        theirs.step()
    for p, t in zip(problem.mine, problem.theirs):      # the same parameters in chainrule
        p.data = cr.tensor(t.detach().numpy().copy())
    path = tmp_path / "adafactor.pt"
    torch.save(theirs.state_dict(), path)
    mine = optim.Adafactor(problem.mine)
    mine.load_state_dict(cr.load(path))
    assert mine.param_groups[0]["lr"] == 0.05 and mine.param_groups[0]["eps"] == (None, 1e-3)
    _state_layout_matches(mine.state_dict(), theirs.state_dict(), np.float64)
    for step in range(10, STEPS):
        problem.grads(step)
        mine.step()
        theirs.step()
    problem.assert_equal()


def test_loaded_state_takes_the_parameters_dtype():
    problem = Problem(dtype=np.float32)
    theirs = torch.optim.Adafactor(problem.theirs)
    problem.grads(0)
    theirs.step()
    saved = theirs.state_dict()
    as_float64 = {"param_groups": saved["param_groups"],
                  "state": {i: {k: cr.tensor(v.double().numpy()) for k, v in s.items()}
                            for i, s in saved["state"].items()}}
    mine = optim.Adafactor(problem.mine)
    mine.load_state_dict(as_float64)
    for s in mine.state_dict()["state"].values():
        assert s["step"] == 1
        assert all(v.dtype == np.float32 for k, v in s.items() if k != "step")


def test_parameters_without_gradients_are_skipped():
    problem = Problem()
    opt = optim.Adafactor(problem.mine)
    before = problem.mine[1].detach().numpy().copy()
    problem.grads(0)
    problem.mine[1].grad = None
    opt.step()
    np.testing.assert_array_equal(problem.mine[1].detach().numpy(), before)
    assert sorted(opt.state_dict()["state"]) == [0, 2, 3, 4, 5]


def test_machine_epsilon_comes_from_the_groups_first_parameter():
    """ε₁ = None: PyTorch takes the first parameter's dtype's epsilon for the whole group."""
    for first in (np.float32, np.float64):
        other = np.float64 if first is np.float32 else np.float32
        arrays = [np.full((2, 3), 1e-3, dtype=first), np.full((3,), 1e-3, dtype=other)]
        mine = [cr.tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        opt_m, opt_t = optim.Adafactor(mine), torch.optim.Adafactor(theirs)
        for p, t, a in zip(mine, theirs, arrays):
            g = np.full(a.shape, 1e-9, dtype=a.dtype)      # G² far below float32's ε²
            p.grad, t.grad = cr.tensor(g), torch.from_numpy(g.copy())
        opt_m.step()
        opt_t.step()
        for p, t in zip(mine, theirs):
            np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(lr=-1.0), dict(beta2_decay=0.5),
                                    dict(eps=(-1.0, 1e-3)), dict(eps=(None, -1e-3)),
                                    dict(d=0.5), dict(weight_decay=-0.1)], ids=_id)
def test_invalid_arguments_raise_as_pytorch(kwargs):
    with pytest.raises(ValueError) as theirs:
        torch.optim.Adafactor([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=str(theirs.value).split(":")[0]):
        optim.Adafactor([cr.zeros(2, requires_grad=True)], **kwargs)


def test_defaults_and_repr():
    opt = optim.Adafactor([cr.zeros(2, 2, requires_grad=True)])
    theirs = torch.optim.Adafactor([torch.zeros(2, 2, requires_grad=True)])
    assert opt.defaults == theirs.defaults
    assert "beta2_decay: -0.8" in repr(opt)


def test_states_its_mathematics():
    f = optim.Adafactor.formula()
    assert f.name == "Adafactor" and len(f.equations) == 4 and f.explanation
    assert "θ" in str(f) and "R C" in str(f).replace("RC", "R C") and f.to_latex()


def test_steps_on_array_api_strict_equal_numpy():
    xs = pytest.importorskip("array_api_strict")
    results = []
    for strict in (False, True):
        problem = Problem(shapes=[(4, 6), (5,), (2, 3, 2)], seed=3)
        if strict:
            for p in problem.mine:
                p._data = xs.asarray(p._data)
        opt = optim.Adafactor(problem.mine, weight_decay=0.1, maximize=True)
        for _ in range(5):
            for p, s in zip(problem.mine, problem.shapes):
                g = np.asarray(problem.rng.standard_normal(s))
                p.grad = cr.tensor(xs.asarray(g) if strict else g)
            opt.step()
        results.append([p._data for p in problem.mine])
    for expected, got in zip(*results):
        assert not isinstance(got, np.ndarray)
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-13, atol=1e-15)
