"""The operator registry: ONNX op type → the builder that turns one node into a kernel.

A *builder* receives a :class:`Node` (the node's attributes decoded, its opset, its model) while
the model loads. It checks every attribute value it is given, refusing those it does not
implement with :meth:`Node.refuse` — so an unsupported model fails at load time, before anything
runs — and returns a *kernel*: a function of the node's input values (``None`` for an omitted
optional input) that returns its output value, or a tuple of them for a node with several.

Values are chainrule Tensors (floating point, on the differentiable path) or NumPy arrays
(integers, booleans, and constants not derived from a parameter or an input); see
:mod:`chainrule.onnx.values`.

Each family of operators lives in its own ``ops_*.py`` file and registers its builders with
:func:`op`; the builder's docstring states the formula of the operator.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import UnsupportedOperatorError

__all__ = ["Node", "OpSpec", "op", "OPS", "supported_operators"]

Kernel = Callable[..., object]


@dataclass(frozen=True)
class OpSpec:
    """A registered operator: its builder and how many outputs its kernel may produce."""

    op_type: str
    builder: Callable[[Node], Kernel]
    max_outputs: int = 1


OPS: dict[str, OpSpec] = {}


def op(*op_types: str, max_outputs: int = 1):
    """Register the decorated builder for each of ``op_types``."""
    def register(builder):
        for name in op_types:
            if name in OPS:
                raise RuntimeError(f"chainrule.onnx: operator {name!r} registered twice")
            OPS[name] = OpSpec(name, builder, max_outputs)
        return builder
    return register


def supported_operators() -> list[str]:
    """The ONNX operator names (default domain) that :func:`chainrule.onnx.load` imports."""
    return sorted(OPS)


@dataclass(frozen=True)
class Node:
    """One ONNX node as a builder sees it.

    ``inputs``/``outputs`` are the value names ('' for an omitted optional one), ``attrs`` the
    attributes decoded to Python values (ints, floats, strings, lists, NumPy arrays for tensors),
    ``opset`` the model's default-domain opset, ``source`` the model's path (or '<bytes>').
    """

    op_type: str
    name: str
    index: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict = field(default_factory=dict)
    opset: int = 0
    source: str = ""

    @property
    def label(self) -> str:
        """How messages name this node: its name, or its position and first output."""
        if self.name:
            return f"node {self.name!r}"
        first = self.outputs[0] if self.outputs else "?"
        return f"node #{self.index} (output {first!r})"

    def where(self) -> str:
        return f"{self.op_type} {self.label}, opset {self.opset}, in {self.source}"

    def refuse(self, problem: str) -> UnsupportedOperatorError:
        """The load-time error for something of this node that the importer does not implement."""
        return UnsupportedOperatorError(
            self.source, f"{self.op_type} {self.label} (opset {self.opset}): {problem}",
            op_type=self.op_type, node_name=self.name, opset=self.opset)

    def attr(self, name: str, default=None):
        return self.attrs.get(name, default)

    def ints(self, name: str, default=None) -> tuple[int, ...] | None:
        value = self.attrs.get(name)
        if value is None:
            return default
        return tuple(int(v) for v in value)

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        """A string attribute that must be one of ``allowed`` (refused at load time otherwise)."""
        value = self.attrs.get(name, default)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if value not in allowed:
            raise self.refuse(f"{name}={value!r} is not supported (supported: "
                              f"{', '.join(allowed)})")
        return value

    def flag(self, name: str, default: int = 0) -> bool:
        """A 0/1 attribute; any other value is refused."""
        value = self.attrs.get(name, default)
        if value not in (0, 1):
            raise self.refuse(f"{name}={value!r}: expected 0 or 1")
        return bool(value)

    def has_input(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] != ""

    def n_outputs(self) -> int:
        """How many outputs are used: the position of the last non-empty output name, plus one."""
        used = [i for i, name in enumerate(self.outputs) if name]
        return used[-1] + 1 if used else 0
