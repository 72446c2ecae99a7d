"""Where each imported tensor lives in the Module tree, and under which name.

An ONNX name whose dot-separated parts are all plain (letters, digits, ``_``) keeps its
hierarchy: ``layer1.0.conv1.weight`` becomes the parameter ``weight`` of the submodule
``layer1.0.conv1``, so ``state_dict()`` has the key ``layer1.0.conv1.weight`` — the key PyTorch
used when it exported the model, and its weights load unchanged. Any other name becomes one
attribute of the top module, each character outside ``[A-Za-z0-9_]`` replaced by ``_`` and
leading underscores dropped (``onnx::Conv_25`` → ``onnx__Conv_25``, ``/fc/Constant_output_0`` →
``fc_Constant_output_0``). A name already taken (or one of Module's own attributes, such as
``forward``) gets the first free suffix ``_1``, ``_2``, … on its last part. The names depend only
on the ONNX names and their order in the file, so they are stable from one load to the next.
"""
from __future__ import annotations

import re

from ..nn.module import Module

_PLAIN = re.compile(r"^[A-Za-z0-9_]+$")
_OTHER = re.compile(r"[^A-Za-z0-9_]")


class Scope(Module):
    """A submodule that only holds imported tensors (the ``layer1.0.conv1`` of a dotted name)."""

    def forward(self, *args, **kwargs):
        raise TypeError("this submodule only holds parameters of an imported ONNX graph; call "
                        "the top-level module")

    def extra_repr(self) -> str:
        items = list(self._parameters.items()) + list(self._buffers.items())
        return ", ".join(f"{k}: {tuple(v.shape)}" for k, v in items if v is not None)


def _taken(module: Module, name: str, reserved: frozenset) -> bool:
    return (name in reserved or name in module._parameters or name in module._buffers
            or name in module._modules or name in module.__dict__)


def _flat(onnx_name: str) -> str:
    return _OTHER.sub("_", onnx_name).lstrip("_") or "value"


def place(root: Module, onnx_name: str, reserved: frozenset) -> tuple[Module, str, str]:
    """``(owner, attribute, state_dict key)`` for a new tensor named ``onnx_name`` in ``root``;
    intermediate submodules are created as needed."""
    parts = onnx_name.split(".")
    if len(parts) > 1 and all(_PLAIN.match(p) for p in parts) and _reachable(root, parts,
                                                                               reserved):
        owner = root
        for p in parts[:-1]:
            if p not in owner._modules:
                owner.register_module(p, Scope())
            owner = owner._modules[p]
        attr = _free(owner, parts[-1], reserved)
        return owner, attr, ".".join(parts[:-1] + [attr])
    attr = _free(root, _flat(onnx_name), reserved)
    return root, attr, attr


def _reachable(root: Module, parts: list[str], reserved: frozenset) -> bool:
    """Whether the submodule path ``parts[:-1]`` exists as Scopes or can be created."""
    owner = root
    for p in parts[:-1]:
        child = owner._modules.get(p) if owner is not None else None
        if isinstance(child, Scope):
            owner = child
        elif child is not None or p in reserved or (owner is not None and _taken(owner, p,
                                                                                   reserved)):
            return False
        else:
            owner = None   # new from here on: only reserved names can collide
    return True


def _free(module: Module, name: str, reserved: frozenset) -> str:
    if not _taken(module, name, reserved):
        return name
    i = 1
    while _taken(module, f"{name}_{i}", reserved):
        i += 1
    return f"{name}_{i}"
