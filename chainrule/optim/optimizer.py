"""Optimizer: the base of every update rule, with PyTorch's interface.

An optimizer holds ``param_groups`` (each a dict with its own hyperparameters and a list of
parameters) and per-parameter ``state`` (momentum buffers, moment estimates). ``step()`` applies
the update rule to every parameter that has a gradient, in place on its array.

``state`` is PyTorch's: a ``defaultdict(dict)`` keyed by the parameter Tensors, each value a dict
with PyTorch's key names per optimizer, its arrays held as Tensors (``exp_avg``,
``momentum_buffer``, …) and its step count as PyTorch's 0-d float tensor (float32, float64 when
the default dtype is float64). The update rules work on those Tensors' own arrays, in place, so
``optimizer.state[p]['exp_avg']`` is live (it shows every later step, and an in-place change of
it, ``state[p]['momentum_buffer'].zero_()``, is what the next step uses); a new dict or a new
entry put there (``optimizer.state[p] = {}``, ``optimizer.state = defaultdict(dict)``) is read
by the next step, which starts that parameter's state afresh where it is empty. One difference:
the steps' writes into state tensors are not counted by the version counters
(autograd/versions.py; that would cost about a fifth of a small Adam step), so a graph that
saved a state tensor is not refused at backward after a step, as PyTorch refuses it.

Constructors take PyTorch 2.13's signatures and build its ``param_groups`` (the same keys in the
same order, the same defaults and types: ``weight_decay=0`` is an int) and its ``repr``. The
implementation flags: ``foreach`` and ``fused`` pick one of PyTorch's implementations of the same
mathematics, so here they are stored and change nothing (chainrule has one implementation, that
of PyTorch's for-loop path: PyTorch's foreach ASGD differs from it in the last digits), with
PyTorch's refusals of ``fused`` together with ``foreach`` or ``differentiable``; ``capturable``
(CUDA graphs) is stored, and a step on NumPy (CPU) parameters with it raises AssertionError as
PyTorch's on CPU tensors; ``differentiable=True`` raises NotImplementedError (chainrule does not
differentiate through a step). ``load_state_dict`` takes a saved group as it is (its keys, its
order) and gives a key it lacks PyTorch's ``__setstate__`` default, so state dicts and JSON
checkpoints from before these keys load.
"""
from __future__ import annotations

import copy
from collections import defaultdict

from .. import backend as B
from ..autograd import function as _function
from ..autograd.grad_mode import enable_grad
from ..autograd.versions import bump
from ..backend import get_default_dtype, xp
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
        self.state: defaultdict = defaultdict(dict)     # parameter Tensor -> its state dict
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
        if self.defaults.get("fused"):          # PyTorch's checks of its fused implementation
            if self.defaults.get("differentiable"):
                raise RuntimeError("`fused` does not support `differentiable`")
            if self.defaults.get("foreach"):
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in groups:
            self.add_param_group(group)

    # ----------------------------------------------------------------- groups and state
    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:                       # PyTorch 2.13's named parameters: (name, tensor) pairs
            if len(names) != len(params):
                raise ValueError(f"{type(self).__name__}: all optimizer params should be "
                                 "with/without names. Some param names are missing")
            params = [p[1] for p in params]
            group["params"] = params
            group["param_names"] = names
        if any(("param_names" in g) != bool(names) for g in self.param_groups):
            raise ValueError(f"{type(self).__name__}: all optimizer param groups should be "
                             "with/without names. cannot add param group "
                             f"{'with' if names else 'without'} names to the optimizer")
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
        _refuse_differentiable(type(self).__name__, group)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Check hyperparameters (subclasses extend); messages follow PyTorch's."""
        lr = group.get("lr")
        if isinstance(lr, Tensor):
            raise TypeError(f"{type(self).__name__}: lr as a Tensor (PyTorch's option for fused "
                            "or capturable steps) is not supported; pass a Python float "
                            f"(lr.item() = {lr.item()!r})")
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
        """``self.state[p]``: the parameter's state dict, an empty one made where it has none
        (the defaultdict's, and also where ``state`` was replaced by a plain dict)."""
        try:
            return self.state[p]
        except KeyError:
            fresh = self.state[p] = {}
            return fresh

    # ----------------------------------------------------------------- one kernel call per group
    def _group_arrays(self, group: dict, params: list, keys: tuple, scalars: tuple = ()):
        """For a rule that updates a whole group in one kernel call: (states, the flat
        parameters, per state key in ``keys`` the flat state arrays, per key in ``scalars`` the
        0-d state arrays), or None where a parameter has no state yet or its arrays do not suit
        the kernels (not all contiguous, of one float dtype and of the parameter's shape; the
        scalars NumPy 0-d arrays that can be written).

        The flat views are kept between steps while the parameters, their arrays, their state
        dicts, the Tensors in them and those Tensors' arrays stay the same objects (a
        ``load_state_dict``, a new dict or Tensor put in ``state``, or a parameter given a new
        array, makes them again): a step then flattens only the gradients."""
        state = self.state
        kept = self.__dict__.setdefault("_group_views", {})     # id(group) -> the views
        cached = kept.get(id(group))
        if cached is not None and cached["keys"] == (keys, scalars) \
                and len(cached["params"]) == len(params) \
                and all(p is q and p._data is a and state.get(p) is s
                        for p, q, a, s in zip(params, cached["params"], cached["data"],
                                              cached["states"])) \
                and all(s.get(k) is t and t._data is a for s, k, t, a in cached["held"]):
            return cached["states"], *cached["flat"]
        states = [state.get(p) for p in params]
        if not all(states):
            return None
        held = [(s, k, s.get(k)) for s in states for k in keys + scalars]
        if not all(isinstance(t, Tensor) for _, _, t in held):
            return None
        data = [p._data for p in params]
        arrays = [[s[k]._data for k in keys] for s in states]
        if any(type(b) is not type(a) or b.shape != a.shape for a, h in zip(data, arrays)
               for b in h):
            return None
        steps = [[s[k]._data for s in states] for k in scalars]
        if any(type(a) is not xp.ndarray or a.ndim != 0 or not a.flags.writeable
               for column in steps for a in column):
            return None
        from .. import kernels

        if not kernels.takes(*data, *(b for h in arrays for b in h), contiguous=True):
            return None
        columns = [data] + [[h[k] for h in arrays] for k in range(len(keys))]
        flat = tuple(tuple(a.reshape(-1) for a in column) for column in columns) + tuple(steps)
        kept[id(group)] = {"keys": (keys, scalars), "params": params, "data": data,
                           "states": states, "held": [(s, k, t, t._data) for s, k, t in held],
                           "flat": flat}
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
            if group.get("differentiable") or group.get("capturable"):
                self._check_flags_at_step(group)
            self._step_group(group)
        return loss

    def _check_flags_at_step(self, group: dict) -> None:
        """``differentiable=True`` is refused (chainrule does not differentiate through a step);
        ``capturable=True`` (CUDA graphs) is refused for NumPy (CPU) parameters with an
        AssertionError, as PyTorch's step refuses it for CPU tensors."""
        _refuse_differentiable(type(self).__name__, group)
        if any(p.grad is not None and type(p._data) is xp.ndarray for p in group["params"]):
            raise AssertionError(f"{type(self).__name__}: if capturable=True, params and "
                                 "state_steps must be on supported devices: ['cuda', 'xpu', "
                                 "'hpu', 'privateuseone', 'xla'] (chainrule's NumPy arrays are "
                                 "CPU arrays; pass capturable=False)")

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
    #: state entries PyTorch keeps as 0-d tensors of its scalar dtype (``step``; NAdam's
    #: ``mu_product``, ASGD's ``eta`` and ``mu``): a loaded plain number becomes one, as
    #: PyTorch's ``__setstate__`` makes it (state_dicts of older versions hold ints).
    _scalar_state: tuple[str, ...] = ()

    def state_dict(self) -> dict:
        """PyTorch's layout: {'state': {i: {...}}, 'param_groups': [{..., 'params': [i, ...]}]}.

        As PyTorch's, the state part holds the optimizer's own state dicts and Tensors, not
        copies: a state_dict taken earlier shows the later steps."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for key, value in self.state.items():
            if isinstance(key, Tensor):
                if id(key) not in index:
                    raise KeyError(f"{type(self).__name__}.state_dict: the state holds a tensor "
                                   f"of shape {tuple(key.shape)} that is in no parameter group")
                key = index[id(key)]
            state[key] = value
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take hyperparameters and state from ``state_dict`` (PyTorch's layout, e.g. read from
        a ``.pt`` file, or ``state_dict()``'s), as PyTorch's ``load_state_dict``: the state is
        keyed by this optimizer's parameters in order, each Tensor (or array) cast to its
        parameter's floating dtype (the same Tensor where it has that dtype already, so that it
        moves on with training; a copy where it is read-only), except ``step``, kept as it is."""
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
            params = group["params"]
            loaded = {k: (params if k == "params" else copy.deepcopy(v)) for k, v in saved.items()}
            if "param_names" in group and "param_names" not in loaded:
                loaded["param_names"] = group["param_names"]     # kept, as PyTorch keeps them
            group.clear()                   # the same dict, now holding the saved keys in their
            group.update(loaded)            # order, as PyTorch's (which replaces the group)
            self._fill_group_defaults(group)
        state: defaultdict = defaultdict(dict)
        for i, s in state_dict["state"].items():
            p = by_index.get(_as_index(i))
            if p is None:
                state[i] = s                     # as PyTorch: a key of no parameter stays
            else:
                state[p] = _loaded(p, s)
        for group in self.param_groups:
            for p in group["params"]:
                s = state.get(p)
                for key in self._scalar_state if s else ():
                    if key in s and not isinstance(s[key], Tensor):
                        s[key] = scalar_tensor(float(s[key]))
        self.state = state

    #: what a loaded group that lacks these keys gets, in this order (PyTorch's ``__setstate__``
    #: per optimizer; e.g. SGD's ``fused`` becomes False there, not the signature's None)
    _setstate_defaults: dict = {}

    def _fill_group_defaults(self, group: dict) -> None:
        """A loaded parameter group completed as PyTorch's ``__setstate__`` completes it (a
        checkpoint from an older version lacks the newer keys): ``_setstate_defaults`` in their
        order, then (where PyTorch would leave the key out and a step fail) any other
        hyperparameter of ``defaults`` with the constructor signature's default."""
        for key, default in self._setstate_defaults.items():
            group.setdefault(key, default)
        for key, default in _signature_defaults(type(self)).items():
            if key in self.defaults:
                group.setdefault(key, default)
        _refuse_differentiable(type(self).__name__, group)

    # ----------------------------------------------------------------- mathematics
    @classmethod
    def formula(cls) -> Formula:
        labels = cls.labels or tuple(f"Step {i + 1}" for i in range(len(cls.text)))
        return Formula.of(cls.__name__, list(zip(labels, cls.text)), list(cls.latex),
                          cls.explanation)

    def __repr__(self) -> str:
        text = f"{type(self).__name__} ("        # PyTorch's: a blank line between groups
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group)
                            if key != "params")
        return text + ")"


def _signature_defaults(cls) -> dict:
    """The keyword defaults of ``cls.__init__`` (without ``params``), in the signature's order."""
    import inspect

    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if name not in ("self", "params") and p.default is not inspect.Parameter.empty}


def _refuse_differentiable(name: str, group: dict) -> None:
    if group.get("differentiable"):
        raise NotImplementedError(
            f"{name}(differentiable=True): chainrule does not differentiate through an "
            "optimizer step (its updates are in-place array operations outside autograd); "
            "pass differentiable=False (the default)")


def _as_index(key):
    """A saved state key as the index it names (JSON files write the indices as strings)."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return key


def _loaded(param: Tensor, value, key=None):
    """One value of a loaded state, as PyTorch's ``load_state_dict`` casts it: Tensors (and
    arrays) to the parameter's floating dtype and array library, ``step`` as it is, dicts, lists
    and tuples entry by entry, anything else unchanged."""
    if isinstance(value, Tensor) or B.is_array(value) or B.is_foreign_array(value):
        return _loaded_tensor(param, value, key)
    if isinstance(value, dict):
        return {k: _loaded(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_loaded(param, v) for v in value)
    return value


def _loaded_tensor(param: Tensor, value, key) -> Tensor:
    """A loaded Tensor or array as the state's Tensor: the same Tensor where nothing needs to
    change (PyTorch's ``.to`` returns the tensor itself: the loaded tensor and the state are
    one), else a Tensor over a converted copy. A read-only array (a file mapped into memory) is
    copied, since the steps write into the state."""
    data = value._data if isinstance(value, Tensor) else value
    like = param._data
    dtype = like.dtype if key != "step" and B.dtype_kind(like.dtype) == "f" else data.dtype
    writeable = getattr(getattr(data, "flags", None), "writeable", True)
    same_library = type(data) is type(like) or key == "step"
    if data.dtype == dtype and writeable and same_library:
        return value if isinstance(value, Tensor) else Tensor._from_op(data, None)
    if not same_library:
        data = B.asarray_like(B.to_numpy(data), like)
    return Tensor._from_op(B.astype(data, dtype) if data.dtype != dtype else B.copy(data), None)


def scalar_dtype():
    """The dtype of PyTorch's 0-d optimizer scalars (``step``, NAdam's ``mu_product``, ASGD's
    ``eta`` and ``mu``): float64 where the default dtype is float64, else float32."""
    return xp.dtype(xp.float64) if xp.dtype(get_default_dtype()) == xp.float64 \
        else xp.dtype(xp.float32)


def scalar_tensor(value: float) -> Tensor:
    """A 0-d state tensor of :func:`scalar_dtype` holding ``value`` (rounded to it)."""
    return Tensor._from_op(xp.array(value, dtype=scalar_dtype()), None)


def state_tensor(array) -> Tensor:
    """A state array as the Tensor the state holds (no copy: the rules update the array)."""
    return Tensor._from_op(array, None)


def advance(state: dict) -> float:
    """``state['step'] += 1`` in place (PyTorch's ``step_t += 1`` on its 0-d tensor, rounded to
    that tensor's dtype); returns the new count as a Python float, as PyTorch reads it."""
    try:
        step = state["step"]._data
        step[...] = step.item() + 1
    except AttributeError:
        raise TypeError("optimizer.state[p]['step'] must be a 0-d Tensor (as PyTorch keeps it), "
                        f"got {type(state['step']).__name__}") from None
    return step.item()


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
