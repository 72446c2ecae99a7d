"""Module: the base class of every layer and model, with PyTorch's habits.

Parameters and submodules are registered by attribute assignment; ``parameters()``,
``named_parameters()``, ``state_dict()`` and ``load_state_dict()`` walk the tree in registration
order with PyTorch's dotted key names (``features.0.weight``), so PyTorch weights, exported as NumPy
arrays or safetensors, load unchanged.
"""
from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from types import MappingProxyType
from typing import NamedTuple

from ..backend import astype, dtype_kind, xp
from ..mathematics import Formula
from ..tensor import Tensor
from .backward_hooks import BackwardHook
from .parameter import SHAPE_MESSAGE, Buffer, Parameter, is_lazy


class RemovableHandle:
    """What ``register_forward_hook`` and ``register_forward_pre_hook`` return (as PyTorch's
    ``torch.utils.hooks.RemovableHandle``): ``remove()`` unregisters the hook (again: no effect);
    ``with handle: ...`` removes it on leaving the block; ``id`` is its key in the hook table."""

    next_id = 0

    def __init__(self, hooks_dict: dict, *extra_dicts: dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.extra_dicts = extra_dicts
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        hooks = self.hooks_dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)
        for extra in self.extra_dicts:
            extra.pop(self.id, None)

    # pickling and deepcopy (a lazy module holds its initialisation hook's handle): the hook
    # table itself, so that the copy's handle removes the copy's hook (PyTorch's)
    def __getstate__(self):
        return self.hooks_dict_ref(), self.id, self.extra_dicts

    def __setstate__(self, state) -> None:
        hooks, self.id, self.extra_dicts = state
        self.hooks_dict_ref = weakref.ref(OrderedDict() if hooks is None else hooks)
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


def _is_lazy_module(module) -> bool:
    """Whether ``module`` is a lazy module not yet initialised (nn.layers.lazy.LazyModuleMixin;
    its class changes at the first call)."""
    return hasattr(type(module), "_lazy_load_hook")


class Module:
    """Base class: subclass it, assign parameters and submodules in ``__init__``, define forward."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(f"cannot assign '{name}' before Module.__init__() is called; "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        # Re-assigning a name keeps its place in the registration order (PyTorch's rule), so
        # children() and state_dict() keep their order after `model.fc = nn.Linear(...)`.
        if isinstance(value, Parameter):
            if name not in self._parameters and isinstance(getattr(type(self), name, None),
                                                            property):   # (a parametrized one)
                raise KeyError(f"attribute '{name}' already exists")
            self._forget(name, keep="_parameters")
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep="_modules")
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter '{name}': "
                                "wrap it in nn.Parameter(...) or assign None")
            self._parameters[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to submodule '{name}': "
                                "assign a Module or None")
            self._modules[name] = None
        elif isinstance(value, Buffer):     # nn.Buffer: registered, with its persistence
            if name not in self._buffers and hasattr(self, name):
                raise KeyError(f"attribute '{name}' already exists")
            self.register_buffer(name, value, value.persistent)
        elif name in self._buffers:         # a plain tensor keeps the buffer's persistence
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer '{name}' must be a Tensor or None, got "
                                f"{type(value).__name__}")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str = "") -> None:
        self.__dict__.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            if table != keep:
                getattr(self, table).pop(name, None)

    def __getattr__(self, name: str):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = d.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be an nn.Parameter or None, got "
                            f"{type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that belongs to the module's state but is not learned (running statistics)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor._make(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def register_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    add_module = register_module

    # ----------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "", memo=None) -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, table: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> Module:
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes and gradients
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():     # (a BatchNorm frozen by nn.utils.freeze stays in eval)
            object.__setattr__(m, "training", bool(mode) and not getattr(m, "_frozen_eval",
                                                                          False))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter, e.g. for transfer learning."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs) -> Module:
        """PyTorch's ``Module.to``: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)``, ``to(memory_format=chainrule.channels_last)`` (4-d and 5-d parameters
        and buffers laid out so). Parameters and buffers are moved (to the device) and
        floating-point ones cast (to the dtype) in place: the Parameter objects stay the same,
        so an optimizer built before still holds them. A device must be one chainrule computes
        on (chainrule.device)."""
        from ..device import move
        from ..layouts import laid_out
        from ..tensor import _to_arguments

        kwargs.pop("non_blocking", None)
        fmt = kwargs.pop("memory_format", None)
        dtype, _, where = _to_arguments("Module.to", args, kwargs)
        if dtype is not None:
            dtype = xp.dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError(f"Module.to only accepts floating point dtypes, but got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if is_lazy(t):          # a lazy module's placeholder: the tensor it will become
                t._retarget(dtype, where)
                continue
            if where is not None:
                t._data = move(t._data, where)
                if t.grad is not None:
                    t.grad = Tensor._make(move(t.grad._data, where))
            if dtype is not None and dtype_kind(t._data.dtype) == "f":
                t._data = astype(t._data, dtype)
                if t.grad is not None:
                    t.grad = Tensor._make(astype(t.grad._data, dtype))
            if fmt is not None and t.ndim in (4, 5):   # PyTorch converts 4-d and 5-d ones only
                t._data = laid_out(t._data, fmt)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        from ..device import device as _device

        return self.to(_device("cuda" if device is None else device))

    def half(self) -> Module:
        return self.to(xp.float16)

    def float(self) -> Module:
        return self.to(xp.float32)

    def double(self) -> Module:
        return self.to(xp.float64)

    # ----------------------------------------------------------------- state
    def state_dict(self, prefix: str = "") -> OrderedDict:
        """Name → tensor for every parameter and persistent buffer (PyTorch's key names)."""
        out = OrderedDict()
        for module_prefix, module in self.named_modules(prefix.rstrip(".")):
            for table in ("_parameters", "_buffers"):
                for name, value in getattr(module, table).items():
                    if value is None or (table == "_buffers" and name in module._non_persistent):
                        continue
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    # a lazy module's placeholders go in as they are (PyTorch's); elsewhere
                    # detach() of a placeholder raises
                    out[key] = value if is_lazy(value) and _is_lazy_module(module) \
                        else value.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, matched by name.

        Values may be chainrule tensors, NumPy arrays, or anything NumPy can convert (a PyTorch
        CPU tensor included). Shapes must match exactly; dtypes are converted to the module's.
        A lazy layer (nn.LazyLinear, nn.LazyConv2d, …) not yet run takes its shapes from the
        checkpoint first (and stays lazy until its first call, as in PyTorch); an uninitialized
        tensor in the checkpoint loads into an uninitialized one only.
        """
        state_dict, hook_missing, hook_unexpected = self._run_load_pre_hooks(state_dict, strict)
        for prefix, module in self.named_modules():
            if _is_lazy_module(module):
                module._lazy_load_hook(state_dict, f"{prefix}." if prefix else "")
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts)
                               + ". Key names follow PyTorch's (e.g. 'layer.0.weight').")
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if is_lazy(target):         # an uninitialized checkpoint entry: nothing to copy
                continue
            if is_lazy(value):          # into an initialized one: PyTorch's error
                raise RuntimeError(SHAPE_MESSAGE)
            array = value._data if isinstance(value, Tensor) else xp.asarray(value)
            if array.shape != target.shape:
                errors.append(f"'{key}': checkpoint has shape {tuple(array.shape)}, the model "
                              f"expects {target.shape}")
                continue
            if type(array) is type(target._data) is xp.ndarray:
                target._data[...] = array.astype(target._data.dtype, copy=False)
            else:       # across devices or array libraries: moved to the parameter's device
                from ..device import move
                target._data[...] = astype(move(array, target.device), target._data.dtype)
        if errors:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: size mismatch: "
                               + "; ".join(errors))
        return IncompatibleKeys(hook_missing + missing, hook_unexpected + unexpected)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """PyTorch's private hook: ``hook(state_dict, prefix, local_metadata, strict,
        missing_keys, unexpected_keys, error_msgs)`` (``with_module``: the module first) runs
        before ``load_state_dict`` reads the checkpoint, and may rename its keys (the
        parametrized ``weight_norm`` loads the older ``weight_g``/``weight_v`` keys so)."""
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = (lambda *a: hook(self, *a)) if with_module else hook
        return handle

    def _run_load_pre_hooks(self, state_dict, strict: bool):
        """A copy of ``state_dict`` after every module's load pre-hooks (the same dict when
        none has one), and the keys the hooks reported missing and unexpected."""
        hooked = [(p, m) for p, m in self.named_modules()
                  if m.__dict__.get("_load_state_dict_pre_hooks")]
        if not hooked:
            return state_dict, [], []
        state_dict = OrderedDict(state_dict)
        missing, unexpected, errors = [], [], []
        for prefix, module in hooked:
            for hook in list(module._load_state_dict_pre_hooks.values()):
                hook(state_dict, f"{prefix}." if prefix else "", {}, strict, missing,
                     unexpected, errors)
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return state_dict, missing, unexpected

    # ----------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # Forward hooks (PyTorch's): the class holds empty tables and a False flag, so a module
    # without hooks calls forward() after one attribute test; register_forward_(pre_)hook gives
    # the instance its own tables and sets its flag (cleared on a call once all are removed).
    _forward_pre_hooks = MappingProxyType({})
    _forward_hooks = MappingProxyType({})
    _backward_pre_hooks = MappingProxyType({})
    _backward_hooks = MappingProxyType({})
    _has_forward_hooks = False

    def __call__(self, *args, **kwargs):
        if self._has_forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward (``hook(module, args, kwargs)`` with
        ``with_kwargs=True``). Returning None keeps the inputs; returning a value replaces the
        positional inputs (a non-tuple is wrapped in one), or with ``with_kwargs`` a pair
        ``(args, kwargs)`` replaces both. Hooks run in registration order (``prepend=True``: this
        one first). Returns a handle whose ``remove()`` unregisters the hook."""
        return self._add_hook("_forward_pre_hooks", hook, prepend,
                              {"_forward_pre_hooks_with_kwargs": with_kwargs})

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward (``hook(module, args, kwargs,
        output)`` with ``with_kwargs=True``); ``args`` are the inputs forward received (after
        the pre-hooks). Returning None keeps the output; returning a value replaces it, and the
        next hook sees the replacement. Hooks run in registration order (``prepend=True``: this
        one first); ``always_call=True`` runs the hook even when forward raises (with output
        None), before the error propagates. Returns a handle whose ``remove()`` unregisters it."""
        return self._add_hook("_forward_hooks", hook, prepend,
                              {"_forward_hooks_with_kwargs": with_kwargs,
                               "_forward_hooks_always_called": always_call})

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when backward has computed the
        gradients with respect to this module's positional inputs (or, when none requires
        grad, to its outputs); a tuple it returns replaces ``grad_input``. PyTorch's firing
        rules and arguments: chainrule/nn/backward_hooks.py. Returns a handle with
        ``remove()``."""
        return self._add_hook("_backward_hooks", hook, prepend, {})

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when backward has computed the gradients with
        respect to this module's outputs, before they flow into it; a tuple it returns
        replaces ``grad_output``. Returns a handle with ``remove()``."""
        return self._add_hook("_backward_pre_hooks", hook, prepend, {})

    def _add_hook(self, table: str, hook, prepend: bool, flags: dict) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.register{table[:-1]}: the hook must be "
                            f"callable, got {type(hook).__name__}")
        d = self.__dict__
        hooks = d.get(table)
        if hooks is None:
            hooks = d[table] = OrderedDict()
        extras = [d.setdefault(name, {}) for name in flags]
        handle = RemovableHandle(hooks, *extras)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        for extra, on in zip(extras, flags.values()):
            if on:
                extra[handle.id] = True
        d["_has_forward_hooks"] = True
        return handle

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        d = self.__dict__
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):     # all removed
            d["_has_forward_hooks"] = False
            return self.forward(*args, **kwargs)
        backward_hook = None
        pre_kwargs = d.get("_forward_pre_hooks_with_kwargs", {})
        with_kwargs = d.get("_forward_hooks_with_kwargs", {})
        always = d.get("_forward_hooks_always_called", {})
        called = set()
        result = None
        try:            # as PyTorch: an error in a pre-hook, forward or a hook runs always_call
            for hook_id, hook in tuple(self._forward_pre_hooks.items()):
                if hook_id in pre_kwargs:
                    replaced = hook(self, args, kwargs)
                    if replaced is not None:
                        if not (isinstance(replaced, tuple) and len(replaced) == 2):
                            raise RuntimeError("forward pre-hook registered with_kwargs=True must "
                                               "return None or a tuple (new_args, new_kwargs), "
                                               f"but got {replaced!r}")
                        args, kwargs = replaced
                else:
                    replaced = hook(self, args)
                    if replaced is not None:
                        args = replaced if isinstance(replaced, tuple) else (replaced,)
            if self._backward_hooks or self._backward_pre_hooks:
                backward_hook = BackwardHook(self, list(self._backward_hooks.values()),
                                             list(self._backward_pre_hooks.values()))
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in tuple(self._forward_hooks.items()):   # as they are after forward
                called.add(hook_id)
                out = (hook(self, args, kwargs, result) if hook_id in with_kwargs
                       else hook(self, args, result))
                if out is not None:
                    result = out
            if backward_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a "
                                  "Tensor or a tuple of Tensors but received "
                                  f"{type(result)}", stacklevel=2)
                result = backward_hook.setup_output_hook(result)
        except Exception:
            for hook_id, hook in tuple(self._forward_hooks.items()):
                if hook_id in always and hook_id not in called:   # not yet run; then re-raise
                    try:
                        out = (hook(self, args, kwargs, result) if hook_id in with_kwargs
                               else hook(self, args, result))
                        if out is not None:
                            result = out
                    except Exception as e:   # noqa: BLE001 (PyTorch silences it with a warning)
                        warnings.warn("module forward hook with always_call=True raised an "
                                      f"exception that was silenced as another error was raised "
                                      f"in forward: {e}", stacklevel=2)
            raise
        return result

    # ----------------------------------------------------------------- Keras-style training
    # The training loop lives in chainrule.training; these methods let every model use it the way
    # Keras users expect (model.compile(...); model.fit(...)), while the same model still trains
    # in a plain PyTorch-style loop.
    def compile(self, *args, **kwargs):
        """Choose the optimizer, loss and metrics that fit() uses (chainrule.training.compile)."""
        from ..training import model as keras

        return keras.compile(self, *args, **kwargs)

    def fit(self, *args, **kwargs):
        """Train on arrays or DataLoaders; returns a History (chainrule.training.fit)."""
        from ..training import model as keras

        return keras.fit(self, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        """Loss and metrics on data, without training (chainrule.training.evaluate)."""
        from ..training import model as keras

        return keras.evaluate(self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        """Outputs for inputs, in batches, without a graph (chainrule.training.predict)."""
        from ..training import model as keras

        return keras.predict(self, *args, **kwargs)

    # ----------------------------------------------------------------- mathematics
    def formula(self) -> Formula:
        """This module's mathematics; containers list their children's."""
        children = list(self.named_children())
        if not children:
            raise NotImplementedError(f"{type(self).__name__} does not state its formula")
        equations = []
        for _, child in children:
            equations.extend(child.formula().equations)
        return Formula(type(self).__name__, tuple(equations),
                       "Each layer's output is the next layer's input: the composition of the "
                       "functions below, differentiated by the chain rule in reverse order.")

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

