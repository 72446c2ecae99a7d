"""Every learning-rate scheduler against PyTorch 2.13's ``torch.optim.lr_scheduler``.

Each case builds the same optimizer (two parameter groups with different rates) and scheduler in
both libraries, steps 100 times (optimizer, then scheduler), and compares the learning rates (and,
for OneCycleLR, the momentum or β₁) after every step. The state-dict case saves the optimizer and
scheduler halfway, loads them into fresh ones, and continues: the sequence must not notice.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from chainrule import nn, optim
from chainrule.mathematics import Formula
from chainrule.optim import lr_scheduler

STEPS = 100


class Lib:
    """One library's optimizer module and scheduler module, so a case is written once."""

    def __init__(self, name: str):
        self.name = name
        self.optim = optim if name == "chainrule" else torch.optim
        self.sched = lr_scheduler if name == "chainrule" else torch.optim.lr_scheduler

    def param(self, n: int):
        if self.name == "chainrule":
            return nn.Parameter(np.zeros(n))
        return torch.zeros(n, requires_grad=True)

    def optimizer(self, kind: str = "SGD"):
        groups = [{"params": [self.param(3)]}, {"params": [self.param(2)], "lr": 0.03}]
        if kind == "SGD":
            return self.optim.SGD(groups, lr=0.1, momentum=0.9)
        return getattr(self.optim, kind)(groups, lr=0.1)


def _halve(t):
    return 0.5 ** (t // 10)


class Warmup:
    """A callable object: its attributes go into LambdaLR's state_dict."""

    def __init__(self, steps: int):
        self.steps = steps

    def __call__(self, t):
        return min(1.0, (t + 1) / self.steps)


# name -> (optimizer kind, factory(scheduler module, optimizer) -> scheduler)
CASES = {
    "LambdaLR": ("SGD", lambda s, o: s.LambdaLR(o, _halve)),
    "LambdaLR-per-group": ("SGD", lambda s, o: s.LambdaLR(o, [_halve, lambda t: 0.97 ** t])),
    "LambdaLR-callable-object": ("SGD", lambda s, o: s.LambdaLR(o, Warmup(8))),
    "MultiplicativeLR": ("SGD", lambda s, o: s.MultiplicativeLR(o, lambda t: 0.98)),
    "StepLR": ("SGD", lambda s, o: s.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": ("SGD", lambda s, o: s.MultiStepLR(o, milestones=[10, 30, 30, 75], gamma=0.3)),
    "ConstantLR": ("SGD", lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=12)),
    "LinearLR": ("SGD", lambda s, o: s.LinearLR(o, start_factor=0.1, total_iters=20)),
    "LinearLR-decay": ("SGD", lambda s, o: s.LinearLR(o, 1.0, 0.05, total_iters=60)),
    "ExponentialLR": ("SGD", lambda s, o: s.ExponentialLR(o, gamma=0.95)),
    "PolynomialLR": ("SGD", lambda s, o: s.PolynomialLR(o, total_iters=70, power=2.0)),
    "CosineAnnealingLR": ("SGD", lambda s, o: s.CosineAnnealingLR(o, T_max=100)),
    "CosineAnnealingLR-periodic": ("SGD", lambda s, o: s.CosineAnnealingLR(o, T_max=30,
                                                                          eta_min=0.001)),
    "CosineAnnealingWarmRestarts": ("SGD", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=10)),
    "CosineAnnealingWarmRestarts-mult": (
        "SGD", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3)),
    "OneCycleLR-cos-SGD": ("SGD", lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=100)),
    "OneCycleLR-linear-Adam": ("Adam", lambda s, o: s.OneCycleLR(
        o, max_lr=[0.5, 0.1], total_steps=100, anneal_strategy="linear")),
    "OneCycleLR-three-phase": ("SGD", lambda s, o: s.OneCycleLR(
        o, max_lr=0.8, epochs=10, steps_per_epoch=10, pct_start=0.25, three_phase=True,
        base_momentum=0.8, max_momentum=0.9, div_factor=10.0, final_div_factor=100.0)),
    "OneCycleLR-three-phase-AdamW-linear": ("AdamW", lambda s, o: s.OneCycleLR(
        o, max_lr=0.01, total_steps=100, three_phase=True, anneal_strategy="linear")),
    "OneCycleLR-no-momentum": ("Adagrad", lambda s, o: s.OneCycleLR(
        o, max_lr=0.3, total_steps=120, cycle_momentum=False)),
    "CyclicLR-triangular-SGD": ("SGD", lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=7)),
    "CyclicLR-triangular2": ("SGD", lambda s, o: s.CyclicLR(
        o, [0.01, 0.02], 0.5, step_size_up=4, step_size_down=9, mode="triangular2",
        base_momentum=0.7, max_momentum=0.95)),
    "CyclicLR-exp-range-Adam": ("Adam", lambda s, o: s.CyclicLR(
        o, 0.001, 0.05, step_size_up=5, mode="exp_range", gamma=0.97)),
    "CyclicLR-custom-iterations": ("SGD", lambda s, o: s.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations", cycle_momentum=False)),
    "SequentialLR-warmup-cosine": ("SGD", lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.1, total_iters=5), s.CosineAnnealingLR(o, T_max=95)],
        milestones=[5])),
    "SequentialLR-three": ("SGD", lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.5, total_iters=10), s.ExponentialLR(o, gamma=0.9),
            s.StepLR(o, step_size=5, gamma=0.5)], milestones=[10, 40])),
    "ChainedScheduler": ("SGD", lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.1, total_iters=4), s.ExponentialLR(o, gamma=0.96)])),
}


def _record(opt, sched, steps: int, kind: str) -> list:
    seq = []
    for _ in range(steps):
        opt.step()
        sched.step()
        row = list(sched.get_last_lr())
        row += [g["lr"] for g in opt.param_groups]
        for g in opt.param_groups:
            row.append(g["betas"][0] if "betas" in g else g.get("momentum", 0.0))
        seq.append([float(v) for v in row])
    return seq


def _assert_same(mine, theirs):
    np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-12, atol=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_matches_pytorch(name):
    kind, make = CASES[name]
    seqs = []
    for lib in (Lib("chainrule"), Lib("torch")):
        opt = lib.optimizer(kind)
        sched = make(lib.sched, opt)
        first = [float(v) for v in sched.get_last_lr()]
        last = getattr(sched, "last_epoch", None)  # ChainedScheduler has none
        seqs.append((first, _record(opt, sched, STEPS, kind), last))
    assert seqs[0][0] == pytest.approx(seqs[1][0], rel=1e-12)
    _assert_same(seqs[0][1], seqs[1][1])
    assert seqs[0][2] == seqs[1][2]


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_round_trip_matches_pytorch(name):
    kind, make = CASES[name]
    lib, ref = Lib("chainrule"), Lib("torch")
    t_opt = ref.optimizer(kind)
    expected = _record(t_opt, make(ref.sched, t_opt), STEPS, kind)

    opt = lib.optimizer(kind)
    sched = make(lib.sched, opt)
    first = _record(opt, sched, STEPS // 2, kind)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    fresh_opt = lib.optimizer(kind)
    fresh = make(lib.sched, fresh_opt)           # scheduler first: it overwrites the rates ...
    fresh_opt.load_state_dict(opt_state)         # ... which the optimizer's state restores
    fresh.load_state_dict(sched_state)
    second = _record(fresh_opt, fresh, STEPS - STEPS // 2, kind)
    _assert_same(first + second, expected)


PLATEAU_METRICS = [max(0.2, 1.0 - 0.05 * t) + 0.01 * ((t * 7) % 5) for t in range(STEPS)]

PLATEAU_CASES = {
    "default": dict(),
    "min-rel": dict(mode="min", factor=0.5, patience=3, threshold=0.01),
    "min-abs-cooldown": dict(mode="min", factor=0.5, patience=2, threshold=0.02,
                             threshold_mode="abs", cooldown=3),
    "max-rel": dict(mode="max", factor=0.7, patience=1, threshold=0.001),
    "max-abs-min_lr": dict(mode="max", factor=0.2, patience=0, threshold_mode="abs",
                           min_lr=[1e-3, 2e-3]),
    "min_lr-eps": dict(factor=0.5, patience=1, min_lr=0.01, eps=0.02),
}


@pytest.mark.parametrize("name", sorted(PLATEAU_CASES))
@pytest.mark.parametrize("metrics", ["falling", "rising"])
def test_reduce_on_plateau_matches_pytorch(name, metrics):
    values = PLATEAU_METRICS if metrics == "falling" else [-m for m in PLATEAU_METRICS]
    runs = []
    for lib in (Lib("chainrule"), Lib("torch")):
        opt = lib.optimizer("SGD")
        sched = lib.sched.ReduceLROnPlateau(opt, **PLATEAU_CASES[name])
        seq = []
        for t, m in enumerate(values):
            opt.step()
            sched.step(m)
            seq.append(list(sched.get_last_lr()) + [sched.num_bad_epochs, sched.cooldown_counter])
            if t == STEPS // 2 and lib.name == "chainrule":  # round trip halfway
                state = sched.state_dict()
                sched = lib.sched.ReduceLROnPlateau(opt)
                sched.load_state_dict(state)
        runs.append(seq)
    _assert_same(runs[0], runs[1])


@pytest.mark.parametrize("name, epochs", [
    ("StepLR", [3, 14, 21, 40]), ("MultiStepLR", [5, 10, 31, 80]), ("ExponentialLR", [0, 4, 9]),
    ("CosineAnnealingLR", [10, 50, 99]), ("LinearLR", [2, 10, 30]),
    ("CosineAnnealingWarmRestarts", [0.5, 3, 9.25, 10, 17.5]),
    ("CosineAnnealingWarmRestarts-mult", [2, 5.5, 14, 15, 40.75]),
    ("ConstantLR", [3, 12, 20]), ("PolynomialLR", [10, 69, 90])])
def test_step_with_epoch_uses_the_closed_form(name, epochs):
    kind, make = CASES[name]
    runs = []
    for lib in (Lib("chainrule"), Lib("torch")):
        opt = lib.optimizer(kind)
        sched = make(lib.sched, opt)
        runs.append([list(map(float, (sched.step(e), sched.get_last_lr())[1])) for e in epochs])
    _assert_same(runs[0], runs[1])


def test_closed_forms_state_the_schedule():
    """The docstring formulas are the sequences: cosine annealing and step decay by hand."""
    lib = Lib("chainrule")
    opt = lib.optimizer("SGD")
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=0.01)
    for t in range(1, 41):
        opt.step()
        sched.step()
        expected = 0.01 + 0.5 * (0.1 - 0.01) * (1 + math.cos(math.pi * t / 40))
        assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)
    opt = lib.optimizer("SGD")
    sched = lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    for t in range(1, 20):
        opt.step()
        sched.step()
        assert sched.get_last_lr()[1] == pytest.approx(0.03 * 0.5 ** (t // 4), rel=1e-12)


SCHEDULERS = [lr_scheduler.LambdaLR, lr_scheduler.MultiplicativeLR, lr_scheduler.StepLR,
              lr_scheduler.MultiStepLR, lr_scheduler.ConstantLR, lr_scheduler.LinearLR,
              lr_scheduler.ExponentialLR, lr_scheduler.PolynomialLR,
              lr_scheduler.CosineAnnealingLR, lr_scheduler.CosineAnnealingWarmRestarts,
              lr_scheduler.OneCycleLR, lr_scheduler.SequentialLR, lr_scheduler.ChainedScheduler,
              lr_scheduler.ReduceLROnPlateau, lr_scheduler.CyclicLR]


@pytest.mark.parametrize("cls", SCHEDULERS, ids=lambda c: c.__name__)
def test_every_scheduler_states_its_formula(cls):
    f = cls.formula()
    assert isinstance(f, Formula) and f.name == cls.__name__
    assert "η" in str(f) and f.explanation
    assert f.to_latex().startswith("\\begin{aligned}")


def test_cosine_formula_text():
    text = str(lr_scheduler.CosineAnnealingLR.formula())
    assert "η_t = η_min + ½(η₀ − η_min)(1 + cos(πt/T_max))" in text


def test_bad_arguments_raise_clear_errors():
    opt = Lib("chainrule").optimizer("SGD")
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=3)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode sideways is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [_halve])
    with pytest.raises(ValueError, match="positive integer T_0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="cubic")
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(Lib("chainrule").optimizer("Adagrad"), 0.1, total_steps=10)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(Lib("chainrule").optimizer("SGD"), step_size=3, last_epoch=5)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ExponentialLR(opt, 0.9)], milestones=[3])
    sched = lr_scheduler.OneCycleLR(Lib("chainrule").optimizer("SGD"), 0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_warns_when_stepped_before_the_optimizer():
    opt = Lib("chainrule").optimizer("SGD")
    sched = lr_scheduler.StepLR(opt, step_size=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step()
    assert any("before `optimizer.step()`" in str(w.message) for w in caught)
    opt2 = Lib("chainrule").optimizer("SGD")
    sched2 = lr_scheduler.StepLR(opt2, step_size=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt2.step()
        sched2.step()
    assert not caught
