"""Containers: Sequential, ModuleList, ModuleDict (PyTorch's names, indexing and key names)."""
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
