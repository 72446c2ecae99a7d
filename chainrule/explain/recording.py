"""Which module computed what: temporary instrumentation of a model's modules.

``with record_modules(model) as rec: model(x)`` wraps the ``forward`` of every module of the
model for the duration of the block (as an attribute of the instance, which ``Module.__call__``
finds first; nothing in chainrule.nn is changed, and the wrappers are removed on exit). It records
each call in order (module, its dotted name, inputs, outputs, whether it is a leaf), and, when the
forward builds a graph, the module that produced each graph node: after a call returns, the nodes
between its outputs and its inputs that no inner call has claimed are its own. ``owner(node)``
answers that question later, for as long as the node lives.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from ..tensor import Tensor

# node → (dotted module name, module): filled while recording, read by graph(collapse_layers=True)
_OWNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class Call:
    """One call of one module during a recorded forward pass."""

    name: str                 # dotted name in the model ('' for the model itself)
    module: object
    inputs: tuple
    output: object
    leaf: bool                # the module has no submodules
    depth: int                # nesting depth of the call
    index: int = 0            # position among all recorded calls (completion order)
    extra: dict = field(default_factory=dict)

    @property
    def input_tensors(self) -> list[Tensor]:
        return tensors_in(self.inputs)

    @property
    def output_tensors(self) -> list[Tensor]:
        return tensors_in(self.output)


def tensors_in(value) -> list[Tensor]:
    """Every Tensor inside ``value`` (nested tuples, lists, dicts), in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v)]
    return []


def owner(node):
    """(dotted name, module) of the module whose forward created ``node``, or None."""
    try:
        return _OWNERS.get(node)
    except TypeError:
        return None


class record_modules:
    """Context manager: record the calls of every module of ``roots`` (see the module docstring).

    ``roots`` are modules (the model, and e.g. the loss); extra roots are named by their class
    unless ``names`` gives their names. ``on_call(call)`` is called after each call;
    ``keep=False`` calls are not stored (for long training runs); ``claim=False`` skips finding
    the graph nodes of each call (when only the calls are wanted).
    """

    def __init__(self, *roots, names: tuple[str, ...] | None = None,
                 on_call: Callable[[Call], None] | None = None, keep: bool = True,
                 claim: bool = True):
        self.roots = [r for r in roots if r is not None]
        self.names = names
        self.on_call = on_call
        self.keep = keep
        self.claim = claim
        self.calls: list[Call] = []
        self._patched: list[tuple[object, object]] = []
        self._depth = 0
        self._count = 0

    # ------------------------------------------------------------------ entering and leaving
    def __enter__(self) -> record_modules:
        seen: set[int] = set()
        for i, root in enumerate(self.roots):
            prefix = ""
            if i > 0:
                prefix = self.names[i] if self.names and i < len(self.names) else \
                    type(root).__name__
            for name, module in root.named_modules(prefix):
                if id(module) in seen:
                    continue
                seen.add(id(module))
                self._patch(name, module)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the instrumentation (idempotent)."""
        for module, previous in reversed(self._patched):
            if previous is None:
                module.__dict__.pop("forward", None)
            else:
                object.__setattr__(module, "forward", previous)
        self._patched.clear()

    def _patch(self, name: str, module) -> None:
        previous = module.__dict__.get("forward")
        inner = previous if previous is not None else type(module).forward
        bound = previous is not None
        leaf = not any(True for _ in module.children())
        recorder = self

        def forward(*args, **kwargs):
            recorder._depth += 1
            try:
                out = inner(*args, **kwargs) if bound else inner(module, *args, **kwargs)
            finally:
                recorder._depth -= 1
            recorder._record(name, module, args + tuple(kwargs.values()), out, leaf)
            return out

        forward.__wrapped__ = inner
        object.__setattr__(module, "forward", forward)
        self._patched.append((module, previous))

    # ------------------------------------------------------------------ recording
    def _record(self, name, module, inputs, output, leaf) -> None:
        call = Call(name, module, inputs, output, leaf, self._depth, self._count)
        self._count += 1
        if self.claim:
            self._claim(call)
        if self.on_call is not None:
            self.on_call(call)
        if self.keep:
            self.calls.append(call)

    @staticmethod
    def _claim(call: Call) -> None:
        """Mark the graph nodes this call created (those no inner call claimed) as its own."""
        stop = {id(t) for t in call.input_tensors}
        stack = [t for t in call.output_tensors if t._node is not None]
        visited: set[int] = set()
        while stack:
            t = stack.pop()
            if id(t) in stop or id(t) in visited or t._node is None:
                continue
            visited.add(id(t))
            node = t._node
            try:
                if node not in _OWNERS:
                    _OWNERS[node] = (call.name, call.module)
            except TypeError:       # a node type that cannot be weakly referenced
                return
            stack.extend(i for i in getattr(node, "inputs", ()) if isinstance(i, Tensor))

    # ------------------------------------------------------------------ queries
    @property
    def leaf_calls(self) -> list[Call]:
        return [c for c in self.calls if c.leaf]
