"""Optimizer: the base of every update rule, with PyTorch's interface.

An optimizer holds ``param_groups`` (each a dict with its own hyperparameters and a list of
parameters) and per-parameter ``state`` (momentum buffers, moment estimates). ``step()`` applies
the update rule to every parameter that has a gradient, in place on its array.
"""
from __future__ import annotations

import copy

from .. import backend as B
from ..autograd import function as _function
from ..autograd.grad_mode import enable_grad
from ..autograd.versions import bump
from ..backend import xp
from ..mathematics import Formula
from ..tensor import Tensor

required = object()  # marks a hyperparameter that has no default (SGD's lr in old PyTorch)


class Optimizer:
    """Base class. Subclasses set ``text``, ``latex`` and ``explanation`` (their mathematics) and
    implement ``_update(group, param, grad, state)``."""

    text: tuple[str, ...] = ()
    latex: tuple[str, ...] = ()
    explanation: str = ""
    labels: tuple[str, ...] = ()

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict[int, dict] = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or of "
                            "dicts (parameter groups), not a single tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list: pass "
                             "model.parameters() of a model that has parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----------------------------------------------------------------- groups and state
    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize tensors, got "
                                f"{type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} does not "
                                 "require grad, so it can never be updated")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a parameter group contains the same "
                             "parameter twice; pass each parameter once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one "
                             "parameter group; each parameter may belong to one group only")
        group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{type(self).__name__}: parameter group didn't specify a value "
                                 f"of required optimization parameter {key}")
            group.setdefault(key, default)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Check hyperparameters (subclasses extend); messages follow PyTorch's."""
        lr = group.get("lr")
        if lr is not None and not (isinstance(lr, (int, float)) and lr >= 0):
            raise ValueError(f"Invalid learning rate: {lr} (it must be a number ≥ 0)")
        for key in ("eps", "weight_decay", "momentum"):
            value = group.get(key)
            if value is not None and value < 0:
                raise ValueError(f"Invalid {key} value: {value} (it must be ≥ 0)")
        betas = group.get("betas")
        if betas is not None:
            for i, b in enumerate(betas):
                if not 0.0 <= b < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {b} "
                                     "(betas must lie in [0, 1))")

    def _state_for(self, p: Tensor) -> dict:
        return self.state.setdefault(id(p), {})

    # ----------------------------------------------------------------- one kernel call per group
    def _group_arrays(self, group: dict, params: list, keys: tuple):
        """For a rule that updates a whole group in one kernel call: (states, the flat
        parameters, and per state key in ``keys`` the flat state arrays), or None where a
        parameter has no state yet or its arrays do not suit the kernels (not all contiguous,
        of one float dtype and of the parameter's shape).

        The flat views are kept between steps while the parameters, their arrays, their states
        and those state arrays stay the same objects (a ``load_state_dict``, or a parameter given
        a new array, makes them again): a step then flattens only the gradients."""
        state = self.state
        kept = self.__dict__.setdefault("_group_views", {})     # id(group) -> the views
        cached = kept.get(id(group))
        if cached is not None and cached["keys"] == keys and len(cached["params"]) == len(params) \
                and all(p is q and p._data is a and state.get(id(p)) is s
                        and all(s.get(k) is b for k, b in zip(keys, held))
                        for p, q, a, s, held in zip(params, cached["params"], cached["data"],
                                                    cached["states"], cached["held"])):
            return cached["states"], *cached["flat"]
        states = [state.get(id(p)) for p in params]
        if not all(states):
            return None
        held = [tuple(s.get(k) for k in keys) for s in states]
        data = [p._data for p in params]
        if any(type(b) is not type(a) or b.shape != a.shape for a, h in zip(data, held)
               for b in h):
            return None
        from .. import kernels

        if not kernels.takes(*data, *(b for h in held for b in h), contiguous=True):
            return None
        columns = [data] + [[h[k] for h in held] for k in range(len(keys))]
        flat = tuple(tuple(a.reshape(-1) for a in column) for column in columns)
        kept[id(group)] = {"keys": keys, "params": params, "data": data, "states": states,
                           "held": held, "flat": flat}
        return (states, *flat)

    # ----------------------------------------------------------------- work arrays
    def _work(self, like, slot: int = 1):
        """A scratch array shaped like ``like``, reused from step to step and from parameter to
        parameter (one flat buffer per dtype and slot, not part of the state), so that an update
        rule runs with ``out=`` and in-place operations and allocates nothing. Slot 0 is taken by
        :meth:`_grad`; rules use slots 1 and up."""
        work = self.__dict__.setdefault("_work_arrays", {})
        key = (like.dtype, slot)
        buf = work.get(key)
        if buf is None or buf.size < like.size:
            buf = work[key] = B.empty((like.size,), like)
        return B.reshape(buf[:like.size], like.shape)

    def _grad(self, group: dict, param, grad, decoupled: bool = False):
        """The gradient the rule uses: −g if ``maximize``, plus λθ for (coupled) weight decay.

        Returns ``grad`` itself when neither applies; otherwise a work array (slot 0), so the
        parameter's own ``.grad`` is never changed.
        """
        wd = group.get("weight_decay", 0)
        coupled = wd != 0 and not decoupled
        if not group.get("maximize", False):
            if not coupled:
                return grad
            g = self._work(param, 0)
            B.into("multiply", param, wd, out=g)
            g += grad
            return g
        g = self._work(param, 0)
        if coupled:
            B.into("multiply", param, wd, out=g)
            g -= grad
        else:
            B.into("negative", grad, out=g)
        return g

    def zero_grad(self, set_to_none: bool = True) -> None:
        if _function.tracer is not None:    # chainrule.compile records the call
            return _function.tracer.on_call(self, "zero_grad", set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data[...] = 0
                    bump(p.grad._data)

    # ----------------------------------------------------------------- stepping
    def step(self, closure=None):
        """One update of every parameter with a gradient; ``closure`` re-evaluates the loss."""
        if _function.tracer is not None:    # chainrule.compile records the call
            return _function.tracer.on_call(self, "step", closure)
        self._opt_called = True   # lets a learning-rate scheduler check the order of calls
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict) -> None:
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad._data
            if grad.shape != p._data.shape:
                raise RuntimeError(f"{type(self).__name__}: gradient of shape {grad.shape} for a "
                                   f"parameter of shape {p._data.shape}")
            self._update(group, p._data, grad, self._state_for(p))
            bump(p._data)   # an in-place change, as in PyTorch: a graph saved before refuses it

    def _update(self, group: dict, param, grad, state: dict) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- persistence
    def state_dict(self) -> dict:
        """PyTorch's layout: {'state': {i: {...}}, 'param_groups': [{..., 'params': [i, ...]}]}."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[pid]: {k: (v.copy() if isinstance(v, xp.ndarray) else v)
                              for k, v in s.items()}
                 for pid, s in self.state.items() if pid in index and s}  # as torch: no {}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the saved state has {len(groups)} parameter groups "
                             f"but this optimizer has {len(self.param_groups)}")
        by_index = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("load_state_dict: a saved parameter group has "
                                 f"{len(saved['params'])} parameters, this one "
                                 f"{len(group['params'])}")
            for i, p in zip(saved["params"], group["params"]):
                by_index[i] = p
            for key, value in saved.items():
                if key != "params":
                    group[key] = copy.deepcopy(value)
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[id(p)] = {k: _state_value(k, v, p) for k, v in s.items()}

    # ----------------------------------------------------------------- mathematics
    @classmethod
    def formula(cls) -> Formula:
        labels = cls.labels or tuple(f"Step {i + 1}" for i in range(len(cls.text)))
        return Formula.of(cls.__name__, list(zip(labels, cls.text)), list(cls.latex),
                          cls.explanation)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _state_value(key: str, value, param):
    """One entry of a loaded optimizer state: arrays of the parameter's shape in its dtype.

    Tensors (as PyTorch's state_dict holds them, e.g. read from a ``.pt`` file by
    ``chainrule.load``) become arrays; PyTorch's 0-d float ``step`` tensor becomes the int count.
    """
    if isinstance(value, Tensor):
        value = value._data
        if key == "step" and value.ndim == 0:
            return int(value.item())
    if isinstance(value, xp.ndarray) and value.shape == param._data.shape:
        return xp.array(value, dtype=param._data.dtype)
    if isinstance(value, xp.ndarray) and value.ndim == 0 and key == "step":
        return int(value.item())
    return copy.deepcopy(value)


def lerp_(avg, target, weight: float, work) -> None:
    """avg ← avg + w·(target − avg) in place (an exponential moving average with weight w),
    rounded as PyTorch's ``lerp_`` (which writes target − (target − avg)(1 − w) when w ≥ ½)."""
    B.into("subtract", target, avg, out=work)
    if weight < 0.5:
        work *= weight
        avg += work
    else:
        work *= 1.0 - weight
        B.into("subtract", target, work, out=avg)


def adam_moments_(m, v, grad, beta1: float, beta2: float, work) -> None:
    """Adam's two moving averages in place, rounded as PyTorch's:
    m ← β₁m + (1 − β₁)g (its lerp_), v ← β₂v + (1 − β₂)g² (``work``: scratch of g's shape)."""
    lerp_(m, grad, 1 - beta1, work)
    v *= beta2
    B.into("multiply", grad, grad, out=work)
    work *= 1 - beta2
    v += work


def full_like(a, value: float):
    """A state array filled with ``value``, shaped like the parameter array ``a``, in its
    library, dtype and device (NumPy's ``full_like``; the array API's for other libraries)."""
    if type(a) is xp.ndarray:
        return xp.full_like(a, value)
    return B.namespace(a).full_like(a, value)


def bias_correction(beta: float, step: int) -> float:
    """1 − βᵗ: the factor by which an exponential average started at 0 underestimates its mean."""
    return 1.0 - beta ** step


__all__ = ["Optimizer", "required", "bias_correction", "lerp_", "adam_moments_"]
