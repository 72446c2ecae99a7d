r"""Stochastic weight averaging and exponential moving averages of a model
(PyTorch's ``torch.optim.swa_utils``).

- :class:`AveragedModel` keeps a deep copy of a model whose parameters are a running average of
  the trained model's: the equal-weight average of SWA (Izmailov et al., 2018) by default, or an
  exponential moving average with ``multi_avg_fn=get_ema_multi_avg_fn(decay)``;
- :func:`update_bn` recomputes BatchNorm's running statistics for the averaged weights, with one
  pass over a loader;
- :class:`SWALR` anneals each group's learning rate to a constant ``swa_lr``.

Forward:    W̄₀ = W₀;  SWA: W̄ₙ = W̄ₙ₋₁ + (Wₙ − W̄ₙ₋₁)/(n + 1);  EMA: W̄ₙ = d·W̄ₙ₋₁ + (1 − d)·Wₙ
            (the in-place "multi" forms use lerp, PyTorch's two-sided formula).
Derivative: none: the averages are updated under no_grad, outside any graph.
Numerics:   the same operations in the same order as PyTorch's CPU path (the per-tensor
            ``avg_fn`` form by default, ``lerp_`` for the multi forms), so the bits agree.

Example::

    swa_model = AveragedModel(model)
    swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=5)
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
    update_bn(loader, swa_model)
"""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

from ..autograd.grad_mode import no_grad
from ..nn.layers.normalization import _BatchNorm, _InstanceNorm
from ..nn.module import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _is_float_or_complex(t) -> bool:
    return t.is_floating_point() or t.is_complex()


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """In-place EMA of lists of tensors: W̄ ← lerp(W̄, W, 1 − decay) for floating tensors,
    W̄ ← W̄·decay + W·(1 − decay) copied back (truncated) for integer ones."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged) -> None:
        with no_grad():
            if _is_float_or_complex(ema_param_list[0]):
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    p_ema.lerp_(p_model, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """In-place equal-weight average of lists of tensors after ``num_averaged`` models:
    W̄ ← lerp(W̄, W, 1/(n + 1)) for floating tensors, W̄ ← W̄ + (W − W̄)/(n + 1) otherwise."""

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        with no_grad():
            if _is_float_or_complex(averaged_param_list[0]):
                weight = 1 / (num_averaged + 1)
                for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                    p_avg.lerp_(p_model, weight)
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                    diff = p_model - p_avg
                    if isinstance(num_averaged, Tensor):
                        p_avg.addcdiv_(diff, num_averaged + 1)
                    else:
                        p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """EMA of one tensor: returns decay·W̄ + (1 − decay)·W."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """Equal-weight average of one tensor: returns W̄ + (W − W̄)/(n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` (``self.module``) whose parameters — and buffers, with
    ``use_buffers=True`` — :meth:`update_parameters` makes a running average of ``model``'s.

    ``avg_fn(averaged, current, n)`` returns the new average of one tensor;
    ``multi_avg_fn(averaged_list, current_list, n)`` updates lists in place (one call per
    dtype); with neither, the equal-weight (SWA) average. ``n_averaged`` (a long buffer) counts
    the models averaged; the first call copies. Without ``use_buffers`` the buffers (BatchNorm's
    running statistics) are copied from ``model`` at each update: recompute them with
    :func:`update_bn`. ``forward`` calls ``self.module``.
    """

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        from .. import long, tensor
        self.register_buffer("n_averaged", tensor(0, dtype=long))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) into the
        average; copy them at the first call."""
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        averaged, current = [], []
        copy_param = bool(self.n_averaged == 0)
        with no_grad():
            for p_averaged, p_model in zip(self_params, model_params):
                p_model_ = p_model.detach()
                averaged.append(p_averaged.detach())
                current.append(p_model_)
                if copy_param:
                    p_averaged.detach().copy_(p_model_)
            if self.n_averaged > 0:
                self._average(averaged, current)
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_swa.detach().copy_(b_model.detach())
            self.n_averaged += 1

    def _average(self, averaged: list, current: list) -> None:
        if self.multi_avg_fn is None and self.avg_fn is not None:
            for p_averaged, p_model in zip(averaged, current, strict=True):
                p_averaged.copy_(self.avg_fn(p_averaged, p_model, self.n_averaged))
            return
        # PyTorch groups the tensors by (device, dtype) and calls multi_avg_fn once a group
        groups: dict = {}
        for p_averaged, p_model in zip(averaged, current, strict=True):
            pair = groups.setdefault(str(p_averaged.dtype), ([], []))
            pair[0].append(p_averaged)
            pair[1].append(p_model)
        for self_group, model_group in groups.values():
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(self_group, model_group, self.n_averaged)
            else:       # PyTorch's CPU path: the per-tensor SWA average
                avg_fn = get_swa_avg_fn()
                for p_averaged, p_model in zip(self_group, model_group, strict=True):
                    p_averaged.copy_(avg_fn(p_averaged, p_model, self.n_averaged))


def _is_batch_norm(module) -> bool:
    """PyTorch's ``isinstance(m, nn.modules.batchnorm._BatchNorm)``: BatchNorm1d/2d/3d, their
    lazy forms and SyncBatchNorm, not InstanceNorm (a subclass of _BatchNorm here only)."""
    return isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm)


def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute every BatchNorm layer's running mean and variance by one pass over ``loader``
    (a batch is a tensor, or a list/tuple whose first item is the input), as cumulative
    averages (momentum None during the pass); the model's train/eval mode is restored."""
    momenta = {}
    for module in model.modules():
        if _is_batch_norm(module):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneals each group's rate from its current value to ``swa_lr`` over ``anneal_epochs``
    steps, then holds it (PyTorch's ``SWALR``).

    α_t = t/T (``"linear"``) or (1 − cos(πt/T))/2 (``"cos"``), t = min(step, T)/T clipped to
    [0, 1]; η_t = α_t·η_swa + (1 − α_t)·η_start, with η_start recovered each step from the
    current rate and the previous α (the chainable form).
    """

    text = ("η_t = α_t η_swa + (1 − α_t) η_start,  α_t = (1 − cos(π t/T))/2 or t/T",)
    latex = (r"\eta_t = \alpha_t\,\eta_{swa} + (1-\alpha_t)\,\eta_{start}",)
    explanation = ("Move to a constant learning rate for weight averaging, smoothly over a few "
                   "epochs.")

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def get_lr(self) -> list[float]:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(groups, prev_lrs, strict=True)]

    def state_dict(self) -> dict:
        """Every attribute except the optimizer and the annealing function (as PyTorch)."""
        state = super().state_dict()
        state.pop("anneal_func", None)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._set_anneal_func(self._anneal_strategy)
