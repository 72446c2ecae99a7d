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


# ------------------------------------------------------------------------------ data roles
_NEAR_THE_LOSS = 3      # a target meets the prediction within this many operations of the loss


def data_roles(root: Tensor) -> dict[int, str]:
    """id of each data tensor the graph of ``root`` uses → its role: ``input`` for the data
    input, ``target`` for the target (``input 2``, … when there are several). Words, not x and y,
    which the primitives' formulas use for their own arguments.

    Data tensors are constants: not computed by the graph, not requiring grad, holding at least
    one axis (or arrays that an operation holds as an argument, as cross-entropy holds its
    class indices). The rule, from the graph alone: a target is used only together with a computed
    tensor (the prediction), within a few operations of a single-number root (the loss) — as in
    ``subtract(ŷ, y)`` or ``cross_entropy(logits, y)``; the input is used with the parameters
    (``linear(x, W, b)``). A constant that is neither (a mask deep in a model) gets no role.
    """
    from collections import deque

    depth = {id(root): 0}
    queue = deque([root])
    uses: dict[int, list[tuple[int, bool]]] = {}      # constant → (depth, next to a computed)
    constants: list[Tensor] = []
    while queue:
        t = queue.popleft()
        node = t._node
        if node is None:
            continue
        every = [i for i in getattr(node, "inputs", ())
                 if isinstance(i, Tensor) or getattr(i, "ndim", 0) >= 1]
        inputs = [i for i in every if isinstance(i, Tensor)]
        for inp in every:
            if not isinstance(inp, Tensor) or (inp._node is None and not inp.requires_grad):
                data = inp._data if isinstance(inp, Tensor) else inp
                if data.ndim == 0:
                    continue
                if id(inp) not in uses:
                    uses[id(inp)] = []
                    constants.append(inp)
                computed = any(p is not inp and p._node is not None for p in inputs)
                uses[id(inp)].append((depth[id(t)], computed))
            elif id(inp) not in depth:
                depth[id(inp)] = depth[id(t)] + 1
                queue.append(inp)
    scalar_root = root._data.size == 1
    roles: dict[int, str] = {}
    counts = {"input": 0, "target": 0}
    for t in reversed(constants):                     # the forward pass's order, roughly
        seen = uses[id(t)]
        if any(not computed for _, computed in seen):
            role = "input"
        elif scalar_root and all(d <= _NEAR_THE_LOSS for d, _ in seen):
            role = "target"
        else:
            continue
        counts[role] += 1
        roles[id(t)] = role + (f" {counts[role]}" if counts[role] > 1 else "")
    return roles
