"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict (PyTorch's names,
indexing and key names)."""
from __future__ import annotations

from collections import OrderedDict

from .module import Module


class Sequential(Module):
    """Modules applied in order: ``Sequential(a, b, c)(x) = c(b(a(x)))``; keys '0', '1', …"""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.register_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.register_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(self, index)][1]

    def __setitem__(self, index: int, module: Module) -> None:
        """``seq[i] = module`` replaces the i-th module, keeping its key (PyTorch's rule)."""
        key = list(self._modules)[_position(self, index)]
        self.register_module(key, module)

    def __delitem__(self, index) -> None:
        """``del seq[i]`` (or a slice) removes modules; the rest are renumbered '0', '1', … when
        the keys were numbers, as in PyTorch."""
        _delete(self, index)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.register_module(str(len(self._modules)), module)
        return self


def _position(container, index) -> int:
    """A module's position from an int index (negative counts from the end), as a list's."""
    n = len(container._modules)
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {index} is out of range for "
                         f"{n} modules")
    return i % n


def _delete(container, index) -> None:
    keys = list(container._modules)
    doomed = keys[index] if isinstance(index, slice) else [keys[_position(container, index)]]
    for key in doomed:
        del container._modules[key]
    if all(k.isdigit() for k in keys):              # renumber, as PyTorch does
        modules = list(container._modules.values())
        container._modules.clear()
        for i, module in enumerate(modules):
            container._modules[str(i)] = module


class ModuleList(Module):
    """A list of modules whose parameters are registered (keys '0', '1', …)."""

    def __init__(self, modules=None):
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.register_module(str(len(self._modules)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[_position(self, index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self.register_module(str(_position(self, index)), module)

    def __delitem__(self, index) -> None:
        _delete(self, index)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in (modules or {}).items():
            self.register_module(name, module)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.register_module(key, module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


def _as_parameter(value):
    """A tensor as a Parameter (PyTorch wraps a plain tensor put in a ParameterList/-Dict);
    anything else (None, a number, a module) as it is."""
    from ..tensor import Tensor
    from .parameter import Parameter

    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value._data)
    return value


def _describe(value) -> str:
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        size = "x".join(str(s) for s in value.shape)
        return f"Parameter containing: [{value._data.dtype} of size {size}]"
    return type(value).__name__


class ParameterList(Module):
    """A list of parameters, registered under '0', '1', … (PyTorch's ``nn.ParameterList``): a
    plain tensor appended is made a Parameter."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        for value in values or ():
            self.append(value)

    def _key(self, index) -> str:
        i = int(index)
        if not -self._size <= i < self._size:
            raise IndexError(f"ParameterList: index {index} is out of range for {self._size} "
                             "parameters")
        return str(i % self._size)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList([getattr(self, str(i)) for i in range(self._size)[index]])
        return getattr(self, self._key(index))

    def __setitem__(self, index, value) -> None:
        setattr(self, self._key(index), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (getattr(self, str(i)) for i in range(self._size))

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def append(self, value) -> ParameterList:
        self._size += 1
        setattr(self, str(self._size - 1), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): {_describe(v)}" for i, v in enumerate(self))


class ParameterDict(Module):
    """A dict of parameters registered under their keys (PyTorch's ``nn.ParameterDict``): a
    plain tensor stored is made a Parameter; the dict's order is the insertion order."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(key, None)
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def values(self):
        return [self[k] for k in self._keys]

    def items(self):
        return [(k, self[k]) for k in self._keys]

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = list(self._keys)[-1]
        return key, self.pop(key)

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def update(self, parameters) -> None:
        """Add the (key, value) pairs in order; from a plain dict in sorted key order (as
        PyTorch: only an OrderedDict, a ParameterDict or a sequence of pairs keeps its order)."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif hasattr(parameters, "items"):
            pairs = sorted(parameters.items())
        else:
            pairs = list(parameters)
        for key, value in pairs:
            self[key] = value

    def copy(self) -> ParameterDict:
        return ParameterDict(self.items())

    def fromkeys(self, keys, default=None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def __or__(self, other) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(v)}" for k, v in self.items())
