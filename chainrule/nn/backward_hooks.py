"""Module backward hooks: ``register_full_backward_hook`` and ``register_full_backward_pre_hook``.

A full backward hook sees, once per backward pass through one call of the module, the gradients
with respect to the module's positional inputs and to its outputs, ``hook(module, grad_input,
grad_output)``, and may return replacements for ``grad_input``; a backward pre-hook sees
``grad_output`` before the module's own backward runs and may return replacements for it. The
firing rules are PyTorch's (``torch.utils.hooks.BackwardHook``):

- the hook fires when the gradients with respect to the inputs are known; when no input requires
  grad it fires when those with respect to the outputs are known, with ``grad_input`` all None
  (and a warning), and may then return nothing but None;
- ``grad_output`` has one entry per output (a Tensor or a tuple's items): the gradient, or None
  for a non-Tensor and for an output no gradient reached; ``grad_input`` has one entry per
  positional argument: the gradient for a Tensor (zeros where none reached it), None otherwise;
- a gradient that reaches the inputs without passing through the outputs fires nothing.

How. The graph of chainrule gives each node one output, so the several tensors of one call are
joined through a *gate*: a scalar tensor whose node takes all of them as inputs. Each tensor the
module receives (or returns) is replaced by an *alias*, a view of its values whose only
differentiable input is the gate. Backward reaches every alias before the gate (each alias
depends on it), so each alias's rule just files its gradient with the call's record and sends the
gate a zero; when the gate is reached, every gradient that will come is filed, and its rule runs
the hooks and hands each original tensor its (possibly replaced) gradient. An alias also lists
its original tensor as an input that receives no gradient, so that changing it in place, which
PyTorch refuses ("a view created inside a custom Function"), is refused as a change of a view.
"""
from __future__ import annotations

import warnings

from ..autograd.custom import GraphNode
from ..backend import namespace
from ..tensor import Tensor


class _Node(GraphNode):
    """A graph node of the gate or of one alias (the engine's ``ctx``)."""

    __slots__ = ("record",)

    def __init__(self, fn, inputs, record, index=-1):
        super().__init__(fn, inputs, index)
        self.record = record


def _zero_like_gate(gate_data, g):
    zero = namespace(gate_data).zeros((), dtype=gate_data.dtype)
    return Tensor._make(zero) if isinstance(g, Tensor) else zero


class _Alias:
    """Backward of an alias: file the gradient, send the gate a zero."""

    name = "BackwardHookFunction"
    is_view = True
    twice_differentiable = True

    @staticmethod
    def vjp(node, g):
        node.record.grads[node.index] = g
        gate = node.inputs[0]
        return _zero_like_gate(gate._data, g), None


class _Gate:
    """Backward of a gate: every alias has filed its gradient; run the hooks."""

    name = "BackwardHookFunctionBackward"
    is_view = False
    twice_differentiable = True

    @staticmethod
    def vjp(node, g):
        return node.record.released()


class _Call:
    """The gradients filed by one side (inputs or outputs) of one call of a hooked module."""

    def __init__(self, hook, tensors):
        self.hook = hook
        self.tensors = tensors
        self.grads = [None] * len(tensors)
        self.released = None


def _linked(tensors, record: _Call, hook_side):
    """Aliases of ``tensors`` joined by one gate whose rule is ``hook_side``."""
    datas = [t._data for t in tensors]
    ns = namespace(datas[0])
    gate = Tensor._from_op(ns.zeros((), dtype=datas[0].dtype), _Node(_Gate, tuple(tensors),
                                                                        record))
    record.released = hook_side
    aliases = []
    for i, t in enumerate(tensors):
        aliases.append(Tensor._from_op(t._data[...], _Node(_Alias, (gate, t), record, i)))
    return aliases


class BackwardHook:
    """One call of a module with backward hooks: links its inputs and outputs to the hooks."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_index = None
        self.input_shapes = ()
        self.n_outputs = 0
        self.output_index = None

    # ----------------------------------------------------------------- forward
    @staticmethod
    def _tensor_positions(args):
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        from ..autograd.grad_mode import _GradMode

        if not (_GradMode.enabled and any(args[i].requires_grad for i in index)):
            return None
        return index

    def setup_input_hook(self, args: tuple) -> tuple:
        """The positional arguments, each Tensor that requires grad replaced by an alias."""
        self.n_inputs = len(args)
        index = self._tensor_positions(args)
        self.input_index = index
        if index is None:
            return args
        self.input_shapes = [(args[i]._data, args[i].requires_grad) for i in index]
        linked = [i for i in index if args[i].requires_grad]
        self.inputs_record = _Call(self, [args[i] for i in linked])
        aliases = _linked(self.inputs_record.tensors, self.inputs_record, self._input_released)
        out = list(args)
        for i, alias in zip(linked, aliases):
            out[i] = alias
        self.input_linked = linked
        return tuple(out)

    def setup_output_hook(self, result):
        """The module's result with each output Tensor that requires grad replaced by an
        alias (a Tensor or the items of a tuple; other results are returned unchanged)."""
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        self.n_outputs = len(outputs)
        index = self._tensor_positions(outputs)
        self.output_index = index
        if index is None:
            return result
        linked = [i for i in index if outputs[i].requires_grad]
        self.outputs_record = _Call(self, [outputs[i] for i in linked])
        aliases = _linked(self.outputs_record.tensors, self.outputs_record,
                          self._output_released)
        out = list(outputs)
        for i, alias in zip(linked, aliases):
            out[i] = alias
        self.output_linked = linked
        if single:
            return out[0]
        return tuple(out) if type(result) is tuple else type(result)(*out)

    # ----------------------------------------------------------------- backward
    def _output_released(self):
        """The gradients of the outputs are known: run the pre-hooks (and, when no input
        requires grad, the hooks); return the outputs' gradients."""
        record = self.outputs_record
        full = [None] * self.n_outputs
        for i, g in zip(self.output_linked, record.grads):
            full[i] = g
        grad_outputs = _as_tensors(tuple(full))
        for hook in list(self.pre_hooks):
            replaced = hook(self.module, grad_outputs)
            if replaced is None:
                continue
            replaced = tuple(replaced) if isinstance(replaced, (tuple, list)) else (replaced,)
            if len(replaced) != len(grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(replaced)}, but expected "
                                   f"{len(grad_outputs)}")
            grad_outputs = replaced
        self.grad_outputs = grad_outputs
        if self.input_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "the documentation of torch.nn.Module.register_full_backward_hook "
                          "for more details.", stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in list(self.hooks):
                res = hook(self.module, grad_inputs, grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        graph = _records_graph(record.grads)
        return tuple(_as_grad(grad_outputs[i], graph, record.tensors[k], "grad_output")
                     for k, i in enumerate(self.output_linked))

    def _input_released(self):
        """The gradients of the inputs are known: run the hooks; return the inputs' gradients."""
        record = self.inputs_record
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing through the outputs
            return tuple(record.grads)
        filed = dict(zip(self.input_linked, record.grads))
        graph = _records_graph(record.grads)
        full = [None] * self.n_inputs
        for i, (data, _) in zip(self.input_index, self.input_shapes):
            g = filed.get(i)
            if g is None:
                zero = namespace(data).zeros(data.shape, dtype=data.dtype)
                g = Tensor._make(zero) if graph else zero
            full[i] = g
        grad_inputs = _as_tensors(tuple(full))
        for hook in list(self.hooks):
            out = hook(self.module, grad_inputs, self.grad_outputs)
            if out is None:
                continue
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            if len(out) != len(grad_inputs):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(grad_inputs)}")
            grad_inputs = out
        self.grad_outputs = None
        return tuple(_as_grad(grad_inputs[i], graph, record.tensors[k], "grad_input")
                     for k, i in enumerate(self.input_linked))


def _as_tensors(grads: tuple) -> tuple:
    """The gradients as the hooks see them: Tensors (a first-order backward files arrays)."""
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in grads)


def _records_graph(grads) -> bool:
    """Whether the backward now running records a graph (its gradients are Tensors)."""
    return any(isinstance(g, Tensor) for g in grads)


def _as_grad(g, graph: bool, tensor: Tensor, what: str):
    """A gradient a hook handed back, in the form the engine carries (an array, or a Tensor in
    a backward that records a graph), checked against the shape of ``tensor``."""
    if g is None:
        return None
    if not isinstance(g, Tensor):
        raise TypeError(f"backward hook: expected a Tensor or None in the returned {what}, got "
                        f"{type(g).__name__}")
    if tuple(g.shape) != tuple(tensor.shape):
        raise RuntimeError(f"backward hook: the returned {what} has shape {tuple(g.shape)}, but "
                           f"the tensor it is the gradient of has shape {tuple(tensor.shape)}")
    return g if graph else g._data
