"""Reverse-mode differentiation: the chain rule applied over the recorded graph.

For a scalar loss L and every tensor t that L depends on, backward computes ∂L/∂t by visiting the
graph from L towards the leaves in reverse topological order. At each node with output y and
inputs x₁…xₙ it applies the node's vector-Jacobian product,

    ∂L/∂xᵢ += (∂y/∂xᵢ)ᵀ · ∂L/∂y,

where ``+=`` is the multivariable chain rule at fan-out: a tensor used twice receives the sum of
both contributions. Gradients of broadcast operands are summed back to the operand's shape here,
in one place (:func:`unbroadcast`).

The order is found with an explicit stack (no recursion), so graphs of any depth work, and inputs
are visited in argument order, so the order is deterministic.
"""
from __future__ import annotations

from .. import layouts as _layouts
from ..backend import (
    astype,
    dtype_kind,
    is_foreign_array,
    namespace,
    ndarray,
    reshape,
    total,
    xp,
)
from ..tensor import Tensor
from . import function as _function
from . import hooks
from .complex import real_part
from .grad_mode import _GradMode
from .versions import _rebinds, _versions, check, resolve


def unbroadcast(g, shape: tuple):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving an array of ``shape``.

    If y = x broadcast to a larger shape, each element of x fed several elements of y, so
    ∂L/∂x is the sum of ∂L/∂y over those elements.
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and gshape[lead + i] != 1)
    if axes:
        g = total(g, axis=axes, keepdims=True)
    return reshape(g, shape)


def topological_order(root: Tensor, stop=frozenset()) -> list[Tensor]:
    """Tensors that ``root`` depends on (and that require grad), each after all of its inputs;
    the tensors whose ids are in ``stop`` are listed but not expanded (chainrule.compile's
    graph of a compiled call ends at the call's inputs)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        node = tensor._node
        if node is not None and id(tensor) not in stop:
            if node.freed:
                raise RuntimeError(
                    f"backward: the graph through '{node.fn.name}' was already freed by an earlier "
                    "backward(). Intermediate results are released after backward to save memory; "
                    "to backpropagate through the same graph twice, pass retain_graph=True to the "
                    "first backward(), or recompute the forward pass.")
            for inp in reversed(node.inputs):
                if isinstance(inp, Tensor) and inp.requires_grad:
                    if _rebinds:
                        inp = resolve(inp, node)
                    if id(inp) not in visited:
                        stack.append((inp, False))
    return order


# One entry per backward pass now running (nested passes: a recomputation inside a backward):
# whether it was asked for given inputs only (autograd.grad, backward(inputs=…)).
passes_for_inputs: list[bool] = []


def backward(roots, grads, retain_graph: bool = False, create_graph: bool = False,
             inputs=None):
    """Accumulate ∂(Σ rootᵢ·gradᵢ)/∂t into ``t.grad`` for every leaf t (or only ``inputs``).

    With ``inputs`` given, returns their gradients instead of accumulating into ``.grad``.
    """
    if create_graph:
        grads = [g if isinstance(g, Tensor) else Tensor._make(g) for g in grads]
    else:
        grads = [g._data if isinstance(g, Tensor) else g for g in grads]
    if _function.tracer is not None:    # chainrule.compile records this backward
        _function.tracer.on_backward(roots, grads, retain_graph, create_graph, inputs)
    previous = _GradMode.enabled
    _GradMode.enabled = create_graph
    hooks._in_backward[0] += 1
    passes_for_inputs.append(inputs is not None)
    try:
        results = _run(roots, grads, retain_graph, create_graph, inputs)
    except BaseException:
        if hooks._in_backward[0] == 1:
            hooks._final_callbacks.clear()
        raise
    finally:
        _GradMode.enabled = previous
        hooks._in_backward[0] -= 1
        passes_for_inputs.pop()
    if hooks._final_callbacks and not hooks._in_backward[0]:
        # callbacks queued during this pass (by hooks), in order; they may queue no more
        callbacks, hooks._final_callbacks[:] = list(hooks._final_callbacks), []
        for fn in callbacks:
            fn()
    return results


def _run(roots, root_grads, retain_graph, create_graph, inputs):
    pending: dict[int, object] = {}
    for root, g in zip(roots, root_grads):
        _accumulate(pending, root, g)
    order = topological_order(roots[0]) if len(roots) == 1 else _merged_order(roots)
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    needed = None if wanted is None else _on_paths_to(order, wanted)
    results = [None] * (0 if inputs is None else len(inputs))
    stored: set[int] = set()

    for tensor in reversed(order):
        g = pending.pop(id(tensor), None)
        if g is None or (needed is not None and id(tensor) not in needed):
            continue
        if hooks._hooks:
            g = hooks.run(tensor, g, create_graph)
        node = tensor._node
        if wanted is not None:
            index = wanted.get(id(tensor))
            if index is not None:
                results[index] = g if create_graph else Tensor._make(g)
            if node is not None and tensor._retains_grad:   # as PyTorch: on the way, kept
                _store_grad(tensor, g, create_graph, stored)
        elif node is None or tensor._retains_grad:
            _store_grad(tensor, g, create_graph, stored)
            if node is None and hooks._post_hooks:
                hooks.run_post(tensor)
        if node is None:
            continue
        fn = node.fn
        if _versions:
            check(node, fn.name)
        if create_graph:
            if not fn.twice_differentiable:
                raise RuntimeError(
                    f"backward(create_graph=True): '{fn.name}' has a hand-written backward that is "
                    "not itself differentiable, so derivatives of order two and higher through it "
                    "are not available.")
            arrays = node.saved
            node.saved = node.lift_saved(tensor)
            try:
                input_grads = fn.vjp(node, g)
            finally:
                node.saved = arrays
        elif retain_graph or type(node) is not _function.Node:
            input_grads = fn.vjp(node, g)
        else:                       # the node is dropped right after: its vjp may reuse saves
            node.consumable = True
            try:
                input_grads = fn.vjp(node, g)
            finally:
                node.consumable = False
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if hooks.anomaly_enabled():
            hooks.check_finite(fn.name, input_grads)
        for inp, gi in zip(node.inputs, input_grads):
            if gi is None or not isinstance(inp, Tensor) or not inp.requires_grad:
                continue
            if _rebinds:
                inp = resolve(inp, node)
            _accumulate(pending, inp, gi)
        if not retain_graph:
            node.saved = None
            node.inputs = ()
            node.freed = True
    return results


def _on_paths_to(order: list[Tensor], wanted: dict) -> set[int]:
    """The ids of the tensors of ``order`` (inputs before results) that lie on a path from the
    roots to a wanted input: the inputs themselves and every tensor computed from one. PyTorch's
    engine runs only these nodes when it is asked for given inputs (autograd.grad,
    backward(inputs=…)): hooks and retain_grad of the others do not fire."""
    needed: set[int] = set()
    for tensor in order:
        if id(tensor) in wanted:
            needed.add(id(tensor))
            continue
        node = tensor._node
        if node is None:
            continue
        for inp in node.inputs:
            if isinstance(inp, Tensor) and inp.requires_grad:
                if _rebinds:
                    inp = resolve(inp, node)
                if id(inp) in needed:
                    needed.add(id(tensor))
                    break
    return needed


def _merged_order(roots) -> list[Tensor]:
    virtual = Tensor._make(xp.zeros(()))
    virtual.requires_grad = True

    class _Join:
        freed = False
        inputs = tuple(roots)

    virtual._node = _Join()
    return topological_order(virtual)[:-1]


def _accumulate(pending: dict, tensor: Tensor, g) -> None:
    if g.dtype != tensor._data.dtype and dtype_kind(g.dtype) == "c" and \
            dtype_kind(tensor._data.dtype) != "c":
        g = real_part(g)    # a real input's gradient is the real part (PyTorch's handle_r_to_c)
    if not isinstance(g, Tensor):
        if g.shape != tensor._data.shape:
            g = unbroadcast(g, tensor._data.shape)
        if g.dtype != tensor._data.dtype:
            g = g.astype(tensor._data.dtype) if hasattr(g, "astype") else \
                astype(g, tensor._data.dtype)
    else:
        if g.shape != tensor.shape:
            g = unbroadcast(g, tensor.shape)
        if g.dtype != tensor.dtype:
            g = g.astype(tensor.dtype)
    key = id(tensor)
    previous = pending.get(key)
    pending[key] = g if previous is None else previous + g


def _store_grad(tensor: Tensor, g, create_graph: bool, stored: set) -> None:
    if create_graph:
        tensor.grad = g if tensor.grad is None else tensor.grad + g
    elif tensor.grad is None:
        # A rule may hand back its incoming gradient itself (add) or a view of it (reshape,
        # broadcast): copy such arrays, so that .grad owns its memory and in-place updates of
        # one parameter's gradient can never change another's.
        if type(g) is ndarray:
            if not g.flags.owndata or id(g) in stored:
                g = xp.array(g)
        elif is_foreign_array(g):   # another array library: a copy of its own
            g = namespace(g).asarray(g, copy=True)
        else:
            g = xp.array(g)
        g = _layouts.grad_layout(g, tensor._data)   # PyTorch's layout contract for .grad
        stored.add(id(g))
        tensor.grad = Tensor._from_op(g, None)
    else:       # (PyTorch adds in place: the sum keeps the stored gradient's layout)
        total = tensor.grad._data + g
        tensor.grad = Tensor._from_op(_layouts.grad_layout(total, tensor.grad._data), None)
