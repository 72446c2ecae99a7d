"""Adam's and SGD's whole-group route (one kernel call for every parameter of a group, with the
flat views of parameters and state kept between steps: ``Optimizer._group_arrays``) against the
per-parameter route, bit for bit — through the events that must make the kept views again: a
``load_state_dict`` (new state arrays), a parameter given a new array, a step where one parameter
has no gradient, and two groups with their own hyperparameters."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

pytest.importorskip("numba")

OPTIMIZERS = {
    "Adam": (cr.optim.Adam, {"lr": 0.01}, ("exp_avg", "exp_avg_sq")),
    "SGD": (cr.optim.SGD, {"lr": 0.01, "momentum": 0.9}, ("momentum_buffer",)),
}


def _run(name, at_once, dtype, calls):
    cls, options, keys = OPTIMIZERS[name]
    rng = np.random.default_rng(9)
    params = [cr.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in [(3, 4), (5,), (2, 3), (4,)]]
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], **options)
    original = opt._step_group_at_once
    opt._step_group_at_once = (lambda group: calls.append(original(group)) or calls[-1]) \
        if at_once else (lambda group: False)

    def steps(n, skip=None):
        for _ in range(n):
            for i, p in enumerate(params):
                p.grad = None if i == skip else cr.tensor(
                    rng.standard_normal(p.shape).astype(dtype))
            opt.step()

    steps(3)
    saved = opt.state_dict()
    steps(2)
    opt.load_state_dict(saved)              # the state arrays are new arrays now
    steps(2)
    params[0].data = cr.tensor(rng.standard_normal((3, 4)).astype(dtype))
    steps(2)
    steps(1, skip=3)                        # a group of one parameter with a gradient
    steps(2)
    return [p.numpy().copy() for p in params] + [
        np.array(opt.state[p][k].numpy()) for p in params for k in keys]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_whole_group_route_gives_the_per_parameter_bits(name, dtype):
    calls = []
    together, apart = _run(name, True, dtype, calls), _run(name, False, dtype, [])
    for a, b in zip(together, apart):
        np.testing.assert_array_equal(a, b)
    assert True in calls and False in calls   # both routes ran (first step and the skip)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_kept_views_are_checked(name, monkeypatch):
    """A broken check of the kept views (always trusting them) must change the numbers: so the
    test above does reach the events that make them again."""
    from chainrule.optim import optimizer as O

    original = O.Optimizer._group_arrays

    def trusting(self, group, params, keys, scalars=()):
        kept = self.__dict__.get("_group_views", {}).get(id(group))
        if kept is not None and len(kept["params"]) == len(params):
            return kept["states"], *kept["flat"]
        return original(self, group, params, keys, scalars)

    monkeypatch.setattr(O.Optimizer, "_group_arrays", trusting)
    broken = _run(name, True, np.float64, [])
    monkeypatch.undo()
    right = _run(name, False, np.float64, [])
    assert any(not np.array_equal(a, b) for a, b in zip(broken, right))
