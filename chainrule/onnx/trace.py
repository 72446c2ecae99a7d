"""Tracing a model's forward pass as the sequence of chainrule primitives it applies.

Every layer and function of chainrule ends in primitives (``Function.apply``), so recording each
application — the primitive, its arguments, its parameters and its output — records the whole
computation. :func:`trace` runs the model once with ``Function.apply`` wrapped (the wrapper is
installed on the base class for the duration of the call and removed after, so nothing in
chainrule's operations changes) and each module's ``forward`` wrapped to keep the stack of the
modules running, so that a recorded call knows its module path (``features.3``).

The forward runs in evaluation mode and with gradients *enabled*, inputs and parameters requiring
grad: every recorded output then carries its graph node, and a Tensor changed in place (``x +=
y``, which rebinds the tensor to the new node) is still found as the output it now holds. Inputs
are fresh Tensors over copies of the example arrays, so the caller's arrays are never changed.

Only the outermost ``apply`` is recorded (a primitive whose forward applied another would
otherwise be recorded twice), and only in the thread that traces (another thread computing with
chainrule meanwhile is not recorded, though it runs through the wrapper). A Tensor computed
during the trace that the forward turns into a Python or NumPy value (``float(x)``,
``x.item()``, ``if x.sum() > 0``, ``x.numpy()``) is noted in :attr:`Trace.conversions`: what the
forward does with that value is not an operation of the graph, which will hold the value (or the
branch taken) of the example.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

from ..autograd.function import Function, Node
from ..autograd.grad_mode import enable_grad
from ..backend import ndarray, xp
from ..tensor import Tensor
from .module import NODE_SCOPE

__all__ = ["Call", "Trace", "trace", "flatten_outputs"]


@dataclass
class Call:
    """One application of a primitive during the traced forward pass."""

    fn: type                  # the primitive (a Function subclass)
    args: tuple               # as given to apply: Tensors, arrays, numbers, None
    params: dict              # keyword parameters of apply
    output: Tensor
    module: str               # dotted path of the innermost running module ('' = the model)
    module_type: str          # its class name
    node: object = None       # the output's graph node when it was made (an in-place change
    #                           later gives the Tensor another one)

    @property
    def name(self) -> str:
        return self.fn.name

    def where(self) -> str:
        """How messages name the place: ``features.3 (Conv2d)`` or ``the model (LeNet5)``."""
        return f"{self.module} ({self.module_type})" if self.module else \
            f"the model ({self.module_type})"


@dataclass
class Trace:
    """The recorded calls, the input Tensors the forward received, and its flattened outputs."""

    calls: list[Call]
    inputs: list[Tensor]                     # one per Tensor/array example input, in order
    input_nodes: list[Node]                  # the sentinel graph node each input carries
    outputs: list = field(default_factory=list)
    conversions: list = field(default_factory=list)   # (what, where) of Tensor → Python value


class _InputFn:
    """Stands in as the ``fn`` of an input's sentinel node (what in-place checks look at)."""

    name = "input"
    is_view = False


def _as_input(value) -> tuple[Tensor, Node]:
    """A fresh Tensor over a copy of ``value``'s array, with a sentinel node (so that it is not a
    leaf: an in-place change of an input in the forward is allowed, as without tracing)."""
    array = value._data if isinstance(value, Tensor) else xp.asarray(value)
    node = Node()
    node.fn = _InputFn
    node.inputs = ()
    t = Tensor._from_op(array.copy(), node)
    t.requires_grad = array.dtype.kind == "f"
    return t, node


def flatten_outputs(value) -> list:
    """The leaves of a (nested) tuple/list/dict output, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in flatten_outputs(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in flatten_outputs(v)]
    return [value]


@contextlib.contextmanager
def _recording(calls: list[Call], stack: list):
    original = Function.__dict__["apply"]
    depth = [0]
    tracing = threading.get_ident()

    def apply(cls, *args, **params):
        if threading.get_ident() != tracing:
            return original.__func__(cls, *args, **params)
        depth[0] += 1
        try:
            out = original.__func__(cls, *args, **params)
        finally:
            depth[0] -= 1
        if depth[0] == 0:
            module, module_type = stack[-1]
            scope = NODE_SCOPE.get()          # an imported chainrule export: the node's module
            if scope:
                module = f"{module}.{scope}" if module else scope
            calls.append(Call(cls, args, params, out, module, module_type, out._node))
        return out

    Function.apply = classmethod(apply)
    try:
        yield
    finally:
        Function.apply = original


_CONVERSIONS = {"__bool__": "bool()", "__float__": "float()", "__int__": "int()",
                "__index__": "use as an index", "item": ".item()", "tolist": ".tolist()",
                "numpy": ".numpy()", "__array__": "NumPy conversion"}


@contextlib.contextmanager
def _noting_conversions(events: list, stack: list):
    """Wrap Tensor's conversions to Python/NumPy values to note those of traced Tensors (ones
    that carry a graph node: inputs and results, not parameters)."""
    originals = {name: Tensor.__dict__[name] for name in _CONVERSIONS if name in Tensor.__dict__}

    tracing = threading.get_ident()

    def wrap(name, original):
        def method(self, *args, **kwargs):
            if self._node is not None and threading.get_ident() == tracing:
                module, module_type = stack[-1]
                where = f"{module} ({module_type})" if module else f"the model ({module_type})"
                events.append((_CONVERSIONS[name], where))
            return original(self, *args, **kwargs)
        return method

    for name, original in originals.items():
        setattr(Tensor, name, wrap(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(Tensor, name, original)


@contextlib.contextmanager
def _module_stack(model, stack: list):
    """Wrap every module's forward (as an instance attribute) to push its name while it runs."""
    patched = []

    def wrap(name, module):
        previous = module.__dict__.get("forward")
        inner = previous if previous is not None else type(module).forward
        bound = previous is not None
        entry = (name, type(module).__name__)

        def forward(*args, **kwargs):
            stack.append(entry)
            try:
                return inner(*args, **kwargs) if bound else inner(module, *args, **kwargs)
            finally:
                stack.pop()

        object.__setattr__(module, "forward", forward)
        patched.append((module, previous))

    try:
        for name, module in model.named_modules():
            if name:
                wrap(name, module)
        yield
    finally:
        for module, previous in reversed(patched):
            if previous is None:
                module.__dict__.pop("forward", None)
            else:
                object.__setattr__(module, "forward", previous)


@contextlib.contextmanager
def _inference_state(model):
    """Evaluation mode and parameters requiring grad while tracing; both restored after."""
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    try:
        for p, _ in flags:
            if p.dtype.kind == "f":
                p.requires_grad = True
        yield
    finally:
        for p, flag in flags:
            p.requires_grad = flag
        for m, mode in modes:
            m.training = mode


def trace(model, args: tuple) -> Trace:
    """Run ``model(*args)`` once and record every primitive it applies.

    ``args``: the forward's positional arguments; Tensors and arrays become inputs of the graph
    (fresh Tensors over copies), anything else (numbers, None, strings) is passed unchanged.
    """
    calls: list[Call] = []
    conversions: list = []
    stack = [("", type(model).__name__)]
    inputs, nodes, call_args = [], [], []
    for a in args:
        if isinstance(a, (Tensor, ndarray)):
            t, node = _as_input(a)
            inputs.append(t)
            nodes.append(node)
            call_args.append(t)
        else:
            call_args.append(a)
    with _inference_state(model), enable_grad(), _module_stack(model, stack), \
            _recording(calls, stack), _noting_conversions(conversions, stack), \
            xp.errstate(all="ignore"):
        out = model(*call_args)
    return Trace(calls, inputs, nodes, flatten_outputs(out), conversions)
