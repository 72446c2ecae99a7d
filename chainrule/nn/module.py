"""Module: the base class of every layer and model, with PyTorch's habits.

Parameters and submodules are registered by attribute assignment; ``parameters()``,
``named_parameters()``, ``state_dict()`` and ``load_state_dict()`` walk the tree in registration
order with PyTorch's dotted key names (``features.0.weight``), so PyTorch weights, exported as NumPy
arrays or safetensors, load unchanged.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import NamedTuple

from ..backend import xp
from ..mathematics import Formula
from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


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
            self._forget(name, keep="_parameters")
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep="_modules")
            self._modules[name] = value
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer '{name}' must be a Tensor or None, got "
                                f"{type(value).__name__}")
            self._buffers[name] = value
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
        ``to(tensor)``. Floating-point parameters and buffers are cast in place (the Parameter
        objects stay the same, so an optimizer built before still holds them); a device must be
        one chainrule computes on (the CPU)."""
        from ..tensor import _to_arguments

        kwargs.pop("non_blocking", None)
        dtype, _ = _to_arguments("Module.to", args, kwargs)
        if dtype is None:
            return self
        dtype = xp.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"Module.to only accepts floating point dtypes, but got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t._data.dtype.kind == "f":
                t._data = t._data.astype(dtype)
                if t.grad is not None:
                    t.grad = Tensor._make(t.grad._data.astype(dtype))
        return self

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        from .. import device as _device

        _device.check("cuda" if device is None else device, "Module.cuda()")
        return self

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
                    out[key] = value.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, matched by name.

        Values may be chainrule tensors, NumPy arrays, or anything NumPy can convert (a PyTorch
        CPU tensor included). Shapes must match exactly; dtypes are converted to the module's.
        """
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
            array = value._data if isinstance(value, Tensor) else xp.asarray(value)
            if array.shape != target.shape:
                errors.append(f"'{key}': checkpoint has shape {tuple(array.shape)}, the model "
                              f"expects {target.shape}")
                continue
            target._data[...] = array.astype(target._data.dtype, copy=False)
        if errors:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: size mismatch: "
                               + "; ".join(errors))
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

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

