r"""Learning-rate schedules, with PyTorch's names and semantics (``torch.optim.lr_scheduler``).

A scheduler changes ``group["lr"]`` of every parameter group of an optimizer as training goes on.
Call ``scheduler.step()`` once per epoch (or per batch, for OneCycleLR), *after*
``optimizer.step()``; ``get_last_lr()`` gives the rates just set and ``last_epoch`` counts the
steps taken. Construction already takes step 0: it stores ``group["initial_lr"]`` (η₀, the
``base_lrs``) and sets the rate of epoch 0.

As in PyTorch, most schedules update the rate *recursively* from the current ``group["lr"]`` (the
"chainable" form, so that several schedulers can act on one optimizer and their factors multiply),
while their docstrings and ``formula()`` give the closed form η_t that the recursion follows.
``step(epoch)`` with an explicit epoch uses the closed form (deprecated in PyTorch; kept here).

Example::

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    decay = lr_scheduler.CosineAnnealingLR(opt, T_max=95)
    sched = lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[5])
    for epoch in range(100):
        train_one_epoch(model, opt)
        sched.step()
"""
from __future__ import annotations

import copy
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable

from ..mathematics import Formula
from .optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible (as in PyTorch). Please use `scheduler.step()` to step the scheduler. If epoch is "
    "given, the closed form is used instead of the chainable form, where available.")


def _per_group(name: str, optimizer: Optimizer, value) -> list:
    """One value per parameter group: a list of that length, or one value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups: "
                             f"{name} has {len(value)} values, param_groups has "
                             f"{len(optimizer.param_groups)}")
        return list(value)
    return [value] * len(optimizer.param_groups)


def _lrs(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the rate of epoch ``last_epoch``, usually
    from the current ``group["lr"]``) and may give ``_get_closed_form_lr()``.

    Each subclass states its schedule in ``text``/``latex`` (answered by ``formula()``).
    """

    text: tuple[str, ...] = ()
    latex: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    explanation: str = ""

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        f"a scheduler with last_epoch={last_epoch} ≥ 0: load the optimizer's "
                        "state_dict (which holds it) first, or use last_epoch=-1 for a fresh run")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Set the step count and take step 0 (the rates of the first epoch)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # ----------------------------------------------------------------- persistence
    def state_dict(self) -> dict:
        """Every attribute except the optimizer (as PyTorch), copied."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))

    # ----------------------------------------------------------------- rates
    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return self._last_lr

    def get_lr(self) -> list[float]:
        """The rates of epoch ``last_epoch`` (called by ``step()``; use ``get_last_lr()``)."""
        raise NotImplementedError

    def _warn_if_called_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=3)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set each group's rate. Call it after ``optimizer.step()``."""
        if self._step_count == 1 and not _stepped_before(self.optimizer):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. Call them in "
                "the opposite order: `optimizer.step()` before `lr_scheduler.step()`, otherwise "
                "the first value of the learning-rate schedule is skipped.", UserWarning,
                stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    # ----------------------------------------------------------------- mathematics
    @classmethod
    def formula(cls) -> Formula:
        """The schedule η_t as equations (text and LaTeX), with a sentence on its purpose."""
        labels = cls.labels or ("Schedule",) + tuple(f"Step {i + 1}"
                                                     for i in range(len(cls.text) - 1))
        return Formula.of(cls.__name__, list(zip(labels, cls.text)), list(cls.latex),
                          cls.explanation)


def _stepped_before(optimizer: Optimizer) -> bool:
    """Whether ``optimizer.step()`` has run (Optimizer.step records it). PyTorch wraps the
    optimizer's step method to find out; reading a flag avoids patching the instance. An
    optimizer class with its own ``step`` is given the benefit of the doubt."""
    if type(optimizer).step is not Optimizer.step:
        return True
    return getattr(optimizer, "_opt_called", False)


# ===================================================================== multiplicative rules
class LambdaLR(LRScheduler):
    """η_t = η₀ · λ(t), with ``lr_lambda`` λ a function of the epoch (one, or one per group).

    Example: ``LambdaLR(opt, lambda t: 0.95 ** t)``.
    """

    text = ("η_t = η₀ · λ(t)",)
    latex = (r"\eta_t = \eta_0\,\lambda(t)",)
    explanation = "Any schedule: the initial rate scaled by a function of the epoch."

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1):
        self.optimizer = optimizer
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got "
                                 f"{len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict:
        """Functions and lambdas are not saved (as PyTorch); callable objects' attributes are."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else copy.deepcopy(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas")
        self.__dict__.update(copy.deepcopy(state))
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(LambdaLR):
    """η_t = η_{t−1} · λ(t) for t ≥ 1: each epoch multiplies the rate by ``lr_lambda(t)``."""

    text = ("η_t = η_{t−1} · λ(t)",)
    latex = (r"\eta_t = \eta_{t-1}\,\lambda(t)",)
    explanation = "The rate is multiplied by λ(t) at every epoch after the first."

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)]


class StepLR(LRScheduler):
    """η_t = η₀ · γ^⌊t/s⌋: decay by ``gamma`` every ``step_size`` epochs."""

    text = ("η_t = η₀ · γ^⌊t/s⌋",)
    latex = (r"\eta_t = \eta_0\,\gamma^{\lfloor t/s \rfloor}",)
    explanation = "A staircase: the rate is multiplied by γ every s epochs."

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_t = η₀ · γ^{#{m ∈ milestones : m ≤ t}}: decay by ``gamma`` at each milestone epoch."""

    text = ("η_t = η₀ · γ^{#{m ∈ M : m ≤ t}}",)
    latex = (r"\eta_t = \eta_0\,\gamma^{|\{m \in M\,:\, m \le t\}|}",)
    explanation = "A staircase with chosen steps: the rate is multiplied by γ at each milestone."

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """η_t = η₀ · f for t < T, then η₀: a constant ``factor`` for ``total_iters`` epochs."""

    text = ("η_t = η₀ · (f if t < T else 1)",)
    latex = (r"\eta_t = \eta_0 \cdot \begin{cases} f & t < T \\ 1 & t \ge T\end{cases}",)
    explanation = "A reduced rate for the first T epochs (a crude warm-up), then the full rate."

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):
        if factor > 1.0 or factor < 0:
            raise ValueError(f"Constant multiplicative factor expected to be between 0 and 1, "
                             f"got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """η_t = η₀ (f₀ + (f₁ − f₀) · min(t, T)/T): a linear ramp of the factor from
    ``start_factor`` f₀ to ``end_factor`` f₁ over ``total_iters`` T epochs (a warm-up)."""

    text = ("η_t = η₀ (f₀ + (f₁ − f₀) · min(t, T)/T)",)
    latex = (r"\eta_t = \eta_0\left(f_0 + (f_1 - f_0)\,\frac{\min(t, T)}{T}\right)",)
    explanation = ("Warm-up: start small while Adam's moment estimates and the weights settle, "
                   "then reach the full rate linearly.")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             f"less or equal to 1, got {start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1, got "
                             f"{end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        # η_t / η_{t−1} = f(t)/f(t−1), written as PyTorch writes it
        ratio = 1.0 + (self.end_factor - self.start_factor) / (
            self.total_iters * self.start_factor
            + (self.last_epoch - 1) * (self.end_factor - self.start_factor))
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * (self.start_factor + (self.end_factor - self.start_factor)
                        * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """η_t = η₀ · γ^t: decay by ``gamma`` every epoch."""

    text = ("η_t = η₀ · γ^t",)
    latex = (r"\eta_t = \eta_0\,\gamma^{t}",)
    explanation = "Geometric decay: the rate shrinks by the same factor every epoch."

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """η_t = η₀ (1 − min(t, T)/T)^p: polynomial decay to 0 over ``total_iters`` epochs."""

    text = ("η_t = η₀ (1 − min(t, T)/T)^p",)
    latex = (r"\eta_t = \eta_0\left(1 - \frac{\min(t, T)}{T}\right)^{p}",)
    explanation = "Decay to zero at epoch T; p = 1 is a straight line."

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base in self.base_lrs]


# ===================================================================== cosine schedules
class CosineAnnealingLR(LRScheduler):
    r"""η_t = η_min + ½(η₀ − η_min)(1 + cos(πt/T_max)) (Loshchilov & Hutter, SGDR).

    The rate follows half a cosine from η₀ down to ``eta_min`` over ``T_max`` epochs, then (if
    stepped further) back up, a period of 2·T_max. As PyTorch, each step computes it recursively,
    η_t = η_min + (η_{t−1} − η_min)(1 + cos(πt/T))/(1 + cos(π(t−1)/T)), which equals the closed
    form when this scheduler alone sets the rate.
    """

    text = ("η_t = η_min + ½(η₀ − η_min)(1 + cos(πt/T_max))",)
    latex = (r"\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})"
             r"\left(1 + \cos\frac{\pi t}{T_{\max}}\right)",)
    explanation = ("Large steps early to explore, a slow smooth decay to fine-tune at the end; "
                   "no staircase jumps.")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and t > 0:
            return [lo + (base - lo) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (group["lr"] - lo) + lo for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR: η_t = η_min + ½(η₀ − η_min)(1 + cos(π T_cur/T_i)), restarting at η₀.

    T_cur counts the epochs since the last restart; a restart happens when T_cur reaches T_i, and
    the period then grows, T_i ← T_i · T_mult (T_0 = ``T_0``). ``step(epoch)`` accepts fractional
    epochs (e.g. ``epoch + i/iters`` inside an epoch).
    """

    text = ("η_t = η_min + ½(η₀ − η_min)(1 + cos(π T_cur/T_i))",
            "T_cur ← 0 and T_i ← T_i · T_mult when T_cur reaches T_i")
    latex = (r"\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})"
             r"\left(1 + \cos\frac{\pi T_{cur}}{T_i}\right)",
             r"T_{cur} \leftarrow 0,\; T_i \leftarrow T_i\,T_{mult}\ \text{when } T_{cur} = T_i")
    labels = ("Schedule", "Restart")
    explanation = ("Warm restarts jump back to a large rate, which can carry the weights out of "
                   "a sharp minimum into a wider one; each cycle ends at a small rate.")

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min).__name__}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2018): up to ``max_lr``, then far below the start.

    With T = ``total_steps`` (or ``epochs · steps_per_epoch``), η_start = max_lr/div_factor and
    η_end = η_start/final_div_factor, the rate is annealed by a(s, e, p) — cosine,
    a = e + ½(s − e)(1 + cos πp), or linear, a = s + (e − s)p — in phases:

    - two phases: η_start → max_lr over the first ``pct_start``·T steps, then max_lr → η_end;
    - ``three_phase``: η_start → max_lr → η_start (symmetrically), then η_start → η_end.

    With ``cycle_momentum`` the momentum (SGD's ``momentum``, or β₁ of Adam-like ``betas``) moves
    inversely, max_momentum → base_momentum → max_momentum. Step it once per *batch*.
    """

    text = ("a(s, e, p) = e + ½(s − e)(1 + cos πp)   (linear: s + (e − s)p)",
            "η: max_lr/d → max_lr → max_lr/(d·d_final),  momentum: m_max → m_base → m_max")
    latex = (r"a(s, e, p) = e + \tfrac12(s - e)(1 + \cos \pi p)",
             r"\eta: \tfrac{\eta_{\max}}{d} \to \eta_{\max} \to \tfrac{\eta_{\max}}{d\,d_f},"
             r"\quad \mu: \mu_{\max} \to \mu_{\mathrm{base}} \to \mu_{\max}")
    labels = ("Anneal", "Phases")
    explanation = ("A large learning rate in mid-training acts as a regulariser and speeds "
                   "training ('super-convergence'); lower momentum while the rate is high keeps "
                   "the effective step in check.")

    def __init__(self, optimizer: Optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got "
                                 f"{steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        T = self.total_steps
        if three_phase:
            self._schedule_phases = [
                _phase(float(pct_start * T) - 1, "initial_lr", "max_lr",
                       "max_momentum", "base_momentum"),
                _phase(float(2 * pct_start * T) - 2, "max_lr", "initial_lr",
                       "base_momentum", "max_momentum"),
                _phase(T - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._schedule_phases = [
                _phase(float(pct_start * T) - 1, "initial_lr", "max_lr",
                       "max_momentum", "base_momentum"),
                _phase(T - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        _cycle_momentum_setup(self, optimizer, cycle_momentum, base_momentum, max_momentum,
                              last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps "
                             f"is {self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == last:
                    pct = (step - start) / (end - start)
                    lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal_func(group[phase["start_momentum"]],
                                                     group[phase["end_momentum"]], pct)
                    break
                start = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(self, group, momentum)
        return lrs


def _cycle_momentum_setup(scheduler, optimizer, cycle_momentum: bool, base_momentum,
                          max_momentum, last_epoch: int) -> list:
    """OneCycleLR's and CyclicLR's momentum cycling: checks that the optimizer has a momentum
    (SGD's ``momentum`` or β₁ of ``betas``), records which, and on a fresh start sets each group's
    momentum to its maximum and keeps both bounds in the group. Returns (bases, tops)."""
    scheduler.cycle_momentum = cycle_momentum
    if not cycle_momentum:
        return [], []
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option "
                         "enabled")
    scheduler.use_beta1 = "betas" in optimizer.defaults
    tops = _per_group("max_momentum", optimizer, max_momentum)
    bases = _per_group("base_momentum", optimizer, base_momentum)
    if last_epoch == -1:
        for top, base, group in zip(tops, bases, optimizer.param_groups):
            _set_momentum(scheduler, group, top)
            group["max_momentum"] = top
            group["base_momentum"] = base
    return bases, tops


def _set_momentum(scheduler, group: dict, momentum: float) -> None:
    if scheduler.use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, 2017): the rate climbs from ``base_lr`` to ``max_lr`` over
    ``step_size_up`` steps and back over ``step_size_down``, again and again. Step it once per
    *batch*. With c the cycle (from 1), x ∈ [0, 1) the position in it and r its rising share:

        c = ⌊1 + t/T⌋,  x = 1 + t/T − c,  s = x/r (rising) or (x − 1)/(r − 1) (falling)
        η_t = η_base + (η_max − η_base)·s·f(c)     (f(t) for scale_mode 'iterations')

    with f = 1 ('triangular'), 1/2^{c−1} ('triangular2': the height halves each cycle), γᵗ
    ('exp_range'), or ``scale_fn``. With ``cycle_momentum`` the momentum moves inversely,
    max_momentum − (max − base)·s·f.
    """

    text = ("c = ⌊1 + t/T⌋,  x = 1 + t/T − c,  s = x/r or (x − 1)/(r − 1)",
            "η_t = η_base + (η_max − η_base) · s · f(c)")
    latex = (r"c = \lfloor 1 + t/T \rfloor,\quad x = 1 + t/T - c,\quad "
             r"s = x/r \ \text{or}\ (x-1)/(r-1)",
             r"\eta_t = \eta_{\mathrm{base}} + (\eta_{\max} - \eta_{\mathrm{base}})\,s\,f(c)")
    labels = ("Position", "Schedule")
    explanation = ("Sweeping the rate up and down lets training escape saddle points and sharp "
                   "minima without a hand-tuned decay; the triangle's height may shrink from "
                   "cycle to cycle.")

    def __init__(self, optimizer: Optimizer, base_lr, max_lr, step_size_up=2000,
                 step_size_down=None, mode: str = "triangular", gamma: float = 1.0,
                 scale_fn=None, scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum=0.8, max_momentum=0.9, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.base_momentums, self.max_momentums = _cycle_momentum_setup(
            self, optimizer, cycle_momentum, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref, self.scale_mode = _scale_one, "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref, self.scale_mode = _scale_halving, "cycle"
        else:
            self._scale_fn_ref = _ScaleExp(self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x) -> float:
        """f: the height factor of cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self) -> list[float]:
        self._warn_if_called_outside_step()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [base + (top - base) * scale_factor * self.scale_fn(at)
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, base, top in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                _set_momentum(self, group, top - (top - base) * scale_factor * self.scale_fn(at))
        return lrs

    def state_dict(self) -> dict:
        """As PyTorch: the built-in scale function is rebuilt on loading, and a custom one is
        kept only when it is an object with attributes (its ``__dict__``), not a function."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = copy.deepcopy(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _scale_one(x) -> float:
    return 1.0


def _scale_halving(x) -> float:
    return 1 / (2.0 ** (x - 1))


class _ScaleExp:
    def __init__(self, gamma: float):
        self.gamma = gamma

    def __call__(self, x) -> float:
        return self.gamma ** x


def _phase(end_step, start_lr, end_lr, start_momentum, end_momentum) -> dict:
    return dict(end_step=end_step, start_lr=start_lr, end_lr=end_lr,
                start_momentum=start_momentum, end_momentum=end_momentum)


# ===================================================================== combinations
def _check_schedulers(owner: str, optimizer, schedulers) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{owner} does not support `ReduceLROnPlateau` scheduler as it "
                             "requires additional kwargs to be specified when calling `step`, "
                             f"but got one at index {i} in the given schedulers sequence.")
        if optimizer is not scheduler.optimizer:
            raise ValueError(f"{owner} expects all schedulers to belong to the same optimizer, "
                             f"but got scheduler {type(scheduler).__name__} at index {i} with "
                             "another optimizer")


class _SchedulerList(LRScheduler):
    """Holds other schedulers; its state_dict nests theirs (PyTorch's layout)."""

    _schedulers: list

    def state_dict(self) -> dict:
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(copy.deepcopy(state))
        for scheduler, s in zip(self._schedulers, saved):
            scheduler.load_state_dict(s)


class SequentialLR(_SchedulerList):
    """Run ``schedulers`` one after another, switching at the ``milestones`` epochs.

    η_t = schedulerᵢ's rate at epoch t − m_{i−1}, for m_{i−1} ≤ t < mᵢ. The classic use is a
    warm-up then a decay: ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=95)], milestones=[5])``. At a milestone the next scheduler
    starts from its epoch 0 (its closed form), as in PyTorch.
    """

    text = ("η_t = sᵢ(t − m_{i−1})  for m_{i−1} ≤ t < mᵢ",)
    latex = (r"\eta_t = s_i(t - m_{i-1}),\quad m_{i-1} \le t < m_i",)
    explanation = "Schedules in sequence: e.g. a linear warm-up, then a cosine decay."

    def __init__(self, optimizer: Optimizer, schedulers: list, milestones: list[int],
                 last_epoch: int = -1):
        _check_schedulers(type(self).__name__, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than "
                f"the number of milestone points, but got number of schedulers {len(schedulers)} "
                f"and the number of milestones to be equal to {len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:   # back to the initial rates ...
            group["lr"] = group["initial_lr"]
        self._undo(self)                       # ... and undo the schedulers' initial steps
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def _undo(self, scheduler) -> None:
        if hasattr(scheduler, "_schedulers"):
            for s in scheduler._schedulers:
                self._undo(s)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    recursive_undo = _undo

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_SchedulerList):
    """Step several chainable schedulers together, so their factors multiply:
    η_t = η₀ · Πᵢ fᵢ(t) (e.g. ConstantLR warm-up times ExponentialLR decay)."""

    text = ("η_t = η₀ · Πᵢ fᵢ(t)",)
    latex = (r"\eta_t = \eta_0 \prod_i f_i(t)",)
    explanation = "Schedules at the same time: every scheduler's factor applies."

    def __init__(self, schedulers: list, optimizer: Optimizer | None = None):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be "
                             "chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(type(self).__name__, optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _lrs(self._schedulers[-1].optimizer)

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _lrs(self._schedulers[-1].optimizer)


# ===================================================================== driven by a metric
class ReduceLROnPlateau(LRScheduler):
    r"""Divide the rate when a metric stops improving: ``step(metric)`` once per epoch.

    With mode 'min' and threshold_mode 'rel', a value a is an improvement when
    a < best · (1 − threshold) ('abs': a < best − threshold; mode 'max' mirrors both). After more
    than ``patience`` epochs without improvement, η ← max(η · factor, min_lr) (the change is
    skipped if it is smaller than ``eps``), and the next ``cooldown`` epochs are not counted.
    """

    text = ("improved ⇔ a < best·(1 − θ)   (abs: a < best − θ; mode max: >)",
            "after > patience bad epochs:  η ← max(η·factor, η_min),  then cooldown")
    latex = (r"\text{improved} \iff a < \mathrm{best}\,(1-\theta)",
             r"\eta \leftarrow \max(\eta \cdot \mathrm{factor},\ \eta_{\min})")
    labels = ("Improvement", "Reduction")
    explanation = ("The schedule follows the training itself: when the validation loss "
                   "plateaus, a smaller step lets the weights settle deeper into the valley.")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr=0, eps: float = 1e-8):
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got "
                                 f"{len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch: int | None = None) -> None:
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown are not counted
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self, epoch: int) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the optimizer "
                    f"({len(self.optimizer.param_groups)}) differs from when ReduceLROnPlateau "
                    f"was initialized ({len(self.min_lrs)}), usually because a param group was "
                    "added to the optimizer. Set the `min_lrs` field to match.")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown! (expected 'rel' or "
                             "'abs')")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


_LRScheduler = LRScheduler  # PyTorch's old name

__all__ = ["CyclicLR", "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR", "ChainedScheduler",
           "ReduceLROnPlateau"]
