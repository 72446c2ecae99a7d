"""PyTorch-style custom functions: subclass ``chainrule.autograd.Function`` with
``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` written on Tensors, call
``MyFn.apply(*args)``.

This is the user-facing twin of chainrule's primitives (which work on raw arrays and define
``vjp``): the forward runs with recording off, ``ctx.save_for_backward(...)`` keeps tensors for the
backward, and the backward returns one gradient (or None) per forward argument. A function with
several outputs gets one graph node per output; since a backward is linear in the output
gradients, running it once per output (the other gradients zero) and summing is exact.
"""
from __future__ import annotations

from ..backend import dtype_kind, xp
from ..tensor import Tensor
from .grad_mode import _GradMode
from .versions import sequence


class FunctionCtx:
    """What ``forward`` and ``backward`` receive as ``ctx`` (PyTorch's names)."""

    def __init__(self, args):
        self.inputs = args
        self.saved_for_backward = ()
        self.non_differentiable = set()
        self.dirty = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: expected tensors (or None), got "
                                f"{type(t).__name__}; keep other values as attributes of ctx")
        self.saved_for_backward = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self.saved_for_backward

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        return tuple(isinstance(a, Tensor) and a.requires_grad for a in self.inputs)

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        self.dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class GraphNode:
    """A graph node whose backward is written by hand outside the primitives (a custom
    function's output, a module's backward-hook gate): what the engine reads of a node, with
    nothing saved for a create_graph backward to lift."""

    __slots__ = ("fn", "inputs", "saved", "freed", "versions", "index", "seq")

    def __init__(self, fn, inputs, index=-1):
        sequence[0] += 1
        self.seq = sequence[0]
        self.fn = fn
        self.inputs = inputs
        self.saved = ()
        self.freed = False
        self.versions = None
        self.index = index

    def lift_saved(self, output) -> tuple:
        return ()


class _OutputNode(GraphNode):
    """The graph node of one output of a custom function (the engine's ``ctx``)."""

    __slots__ = ("ctx", "shapes")

    def __init__(self, fn, inputs, ctx, index, shapes):
        super().__init__(fn, inputs, index)
        self.ctx = ctx
        self.shapes = shapes


class _Backward:
    """The engine's view of a custom function: ``vjp`` calls the user's ``backward``."""

    twice_differentiable = True
    is_view = False

    def __init__(self, user_cls):
        self.user_cls = user_cls
        self.name = user_cls.__name__ + "Backward"

    def vjp(self, node: _OutputNode, g):
        first_order = not isinstance(g, Tensor)
        grads = []
        for i, (shape, dtype) in enumerate(node.shapes):
            if i == node.index:
                grads.append(Tensor._from_op(g, None) if first_order else g)
            elif node.ctx.materialize_grads:
                grads.append(Tensor._from_op(xp.zeros(shape, dtype=dtype), None))
            else:
                grads.append(None)
        result = self.user_cls.backward(node.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < len(node.inputs):
            raise RuntimeError(
                f"{self.user_cls.__name__}.backward returned {len(result)} gradients, but "
                f"forward took {len(node.inputs)} arguments; return one per argument (None for "
                "those that need none)")
        out = []
        for inp, gi in zip(node.inputs, result):
            if gi is None or not isinstance(inp, Tensor):
                out.append(None)
                continue
            if not isinstance(gi, Tensor):
                gi = Tensor._make(gi)
            if tuple(gi.shape) != tuple(inp.shape):
                raise RuntimeError(
                    f"{self.user_cls.__name__}.backward returned a gradient of shape "
                    f"{tuple(gi.shape)} for an input of shape {tuple(inp.shape)}")
            out.append(gi._data if first_order else gi)
        return tuple(out)


_BACKWARDS: dict[type, _Backward] = {}


def apply(cls, *args, **kwargs):
    """Run ``cls.forward`` with recording off and connect its outputs to the graph."""
    ctx = FunctionCtx(args)
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        if _has_setup_context(cls):
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args, **kwargs)
    finally:
        _GradMode.enabled = previous
    single = not isinstance(output, tuple)
    outputs = (output,) if single else output
    needs = previous and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    if not needs:
        return output
    fn = _BACKWARDS.get(cls)
    if fn is None:
        fn = _BACKWARDS[cls] = _Backward(cls)
    shapes = [(tuple(o.shape), o.dtype) if isinstance(o, Tensor) else ((), xp.float64)
              for o in outputs]
    linked = []
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor) or id(o) in ctx.non_differentiable \
                or dtype_kind(o._data.dtype) not in "fc":
            linked.append(o)
            continue
        node = _OutputNode(fn, args, ctx, i, shapes)
        if any(o is d for d in ctx.dirty):     # an input changed in place: it takes the node
            o._node = node
            o.requires_grad = True
            linked.append(o)
        else:
            linked.append(Tensor._from_op(o._data, node))
    return linked[0] if single else tuple(linked)


def _has_setup_context(cls) -> bool:
    from .function import Function

    own = getattr(cls, "setup_context", None)
    return own is not None and own is not getattr(Function, "setup_context", None)


def once_differentiable(fn):
    """Accepted for PyTorch compatibility (chainrule runs the backward as written)."""
    return fn
