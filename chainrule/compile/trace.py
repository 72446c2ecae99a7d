"""Tracing: run the function once, eagerly, and record what it does as a :class:`Program`.

While a :class:`Tracer` is active, ``Function.apply`` (every primitive), ``engine.backward``,
``Optimizer.step``/``zero_grad`` and the Python-value reads of a Tensor (``item()``, ``bool()``,
``tolist()``, ``numpy()``, ``float()``, ...) report to it. The call itself runs exactly as eager
(the trace *is* an eager run), so its results are eager's; the tracer only notes, for each
primitive, where each input came from:

- a tensor argument of the call (by position), or the array of one;
- a captured tensor (a parameter, a buffer, a tensor made before the call): kept by reference;
- the output of an earlier recorded primitive;
- a dropout mask (recorded as a fresh draw, so every replay draws a new mask from the same
  seeded generator as eager);
- anything else: a constant of the program.

What a straight-line replay could not reproduce is refused instead of being baked in, with the
file and line where it happened (:class:`UntraceableError`): a tensor value read as Python data
(``if loss > 0:``), an in-place write outside the recorded primitives and calls, a random draw
other than dropout's, a tensor produced by code the tracer does not see, and backward features
this first version does not compile (``create_graph``, ``inputs=``, ``gradient=``, hooks).
"""
from __future__ import annotations

import os
import sys

from .. import backend
from ..autograd import engine, hooks
from ..autograd import function as _function
from ..autograd import versions as _versions_module
from ..autograd.grad_mode import _GradMode
from ..backend import ndarray
from ..tensor import Tensor
from .graph import (
    BackwardEntry,
    BackwardStep,
    CallStep,
    CounterStep,
    GradTarget,
    PrimStep,
    Program,
    RandomStep,
    Slot,
)

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_tensor_module = sys.modules[Tensor.__module__]


class UntraceableError(RuntimeError):
    """The function does something a compiled replay could not repeat faithfully."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(message + (f" (at {where})" if where else ""))
        self.where = where
        self.reason = message


def user_frame() -> str:
    """``file:line`` of the innermost frame outside chainrule (where the user's code is)."""
    frame = sys._getframe(1)
    inner = None
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE + os.sep):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        if inner is None and "compile" not in filename.split(os.sep)[-2:-1]:
            inner = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return inner or "?"


def _flatten(obj, leaves: list):
    """The structure of ``obj`` with each leaf replaced by its position in ``leaves``."""
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return ("tuple", tuple(_flatten(o, leaves) for o in obj))
    if isinstance(obj, list):
        return ("list", [_flatten(o, leaves) for o in obj])
    if isinstance(obj, dict):
        return ("dict", {k: _flatten(v, leaves) for k, v in obj.items()})
    leaves.append(obj)
    return ("leaf", len(leaves) - 1)


def unflatten(spec, leaves):
    kind, value = spec
    if kind == "leaf":
        return leaves[value]
    if kind == "tuple":
        return tuple(unflatten(s, leaves) for s in value)
    if kind == "list":
        return [unflatten(s, leaves) for s in value]
    return {k: unflatten(s, leaves) for k, s in value.items()}


def flatten(obj) -> tuple[object, list]:
    leaves: list = []
    return _flatten(obj, leaves), leaves


def _standin(a):
    """What ``ctx.inputs`` holds for an input at replay: a data-less Tensor with the same
    ``requires_grad`` (forwards and vjps look only at that), or the Python value itself."""
    if isinstance(a, Tensor):
        t = Tensor.__new__(Tensor)
        t._data = None
        t.grad = None
        t._node = None
        t._retains_grad = False
        t.requires_grad = a.requires_grad
        return t
    if isinstance(a, ndarray):
        return None
    return a


class Tracer:
    """Records one eager call of a function (see the module docstring)."""

    def __init__(self, fullgraph: bool, modules, known_tensors, optimizers=()):
        self.fullgraph = fullgraph
        self.slots: list[Slot] = []
        self.steps: list = []
        self.by_tensor: dict[int, int] = {}
        self.by_node: dict[int, int] = {}
        self.by_array: dict[int, int] = {}
        self.keep: list = []                     # keeps ids unique while tracing
        self.traced_values: dict[int, object] = {}   # slot -> the value eager computed
        self.problems: list[UntraceableError] = []
        self.arg_tensors: list[Tensor] = []
        self.modules = list(modules)
        self.module_ids = {id(m) for m in self.modules}
        self.optimizers = list(optimizers)
        self.known = {id(t._data): t for t in known_tensors}
        self.version_deltas: dict[int, int] = {}
        self._in_mask = False
        self.made: dict[int, tuple] = {}          # tensors made during the trace (see tensor.py)

    # ------------------------------------------------------------------ slots
    def new_slot(self, kind, value=None, label="", payload=None, produced_by=None) -> int:
        shape = tuple(value.shape) if isinstance(value, ndarray) else None
        dtype = value.dtype if isinstance(value, ndarray) else None
        slot = Slot(len(self.slots), kind, shape, dtype, label, payload, produced_by)
        self.slots.append(slot)
        return slot.index

    def add_argument(self, position: int, t: Tensor) -> int:
        s = self.new_slot("arg", t._data, f"arg{position}", position)
        self.arg_tensors.append(t)
        self._bind_tensor(t, s)
        return s

    def _bind_tensor(self, t: Tensor, s: int) -> None:
        self.keep.append(t)
        self.keep.append(t._data)
        self.by_tensor[id(t)] = s
        self.by_array[id(t._data)] = s
        if t._node is not None:
            self.by_node[id(t._node)] = s

    def slot_of_tensor(self, t: Tensor) -> int:
        node = t._node
        if node is not None:
            s = self.by_node.get(id(node))
            if s is not None:
                return s
        s = self.by_tensor.get(id(t))
        if s is not None:
            return s
        if node is not None:
            raise self.problem(
                f"a tensor of shape {tuple(t.shape)} was computed by code the tracer does not see "
                "(a custom autograd Function, or a graph built before the call); compile the "
                "function that computes it too, or run this part eagerly")
        if not t.requires_grad:
            s = self.by_array.get(id(t._data))
            if s is not None:
                return s
        made = self.made.get(id(t))
        if made is not None and made[0] is t:
            owner = self.known.get(id(t._data))
            if owner is not None and owner is not t:     # .data or .detach() of a parameter
                return self.slot_of_tensor(owner)
            if made[1] is None or self._traced_array(made[1]):
                raise self.problem(
                    f"a tensor of shape {tuple(t.shape)} was made during the call by an "
                    "operation that is not a primitive (argmax, sorting, a bitwise or logical "
                    "operation, a copy of a traced value), so a replay could not recompute it "
                    "and would reuse this call's value; compute it with differentiable "
                    "operations and comparisons, or outside the compiled function")
        s = self.new_slot("ref", t._data, "", t)
        self._bind_tensor(t, s)
        return s

    def _traced_array(self, a) -> bool:
        """Whether ``a`` is (or views) an argument's or a recorded result's array."""
        while isinstance(a, ndarray):
            s = self.by_array.get(id(a))
            if s is not None and self.slots[s].kind in ("arg", "node", "random"):
                return True
            a = a.base
        return False

    def slot_of_array(self, a) -> int:
        s = self.by_array.get(id(a))
        if s is not None:
            return s
        owner = self.known.get(id(a))
        if owner is not None:
            return self.slot_of_tensor(owner)
        base = a.base
        while isinstance(base, ndarray):
            sb = self.by_array.get(id(base))
            if sb is not None and self.slots[sb].kind in ("arg", "node", "random"):
                raise self.problem(
                    f"an array of shape {tuple(a.shape)} was cut from a traced value outside the "
                    "primitives (a NumPy view of ._data), so a replay could not follow it")
            base = base.base
        s = self.new_slot("const", a, "", a)
        self.keep.append(a)
        self.by_array[id(a)] = s
        return s

    def const(self, value) -> int:
        return self.new_slot("const", value if isinstance(value, ndarray) else None, "", value)

    # ------------------------------------------------------------------ reports
    def problem(self, message: str) -> UntraceableError:
        return UntraceableError(message, user_frame())

    def report(self, error: UntraceableError) -> None:
        if self.fullgraph:
            raise error
        self.problems.append(error)

    # ------------------------------------------------------------------ hooks
    def record(self, cls, args, params, result: Tensor) -> None:
        """Function.apply: one primitive application."""
        try:
            inputs = tuple(self.slot_of_tensor(a) if isinstance(a, Tensor)
                           else self.slot_of_array(a) if isinstance(a, ndarray)
                           else self.const(a) for a in args)
            fixed, by_slot = {}, []
            for k, v in params.items():
                if isinstance(v, ndarray):
                    by_slot.append((k, self.slot_of_array(v)))
                else:
                    fixed[k] = v
        except UntraceableError as exc:
            self.report(exc)
            return
        self.made.pop(id(result), None)
        index = len(self.steps)
        out = self.new_slot("node", result._data, f"v{len(self.slots)}", None, index)
        self._bind_tensor(result, out)
        self.traced_values[out] = result._data
        effectful = any(self.slots[s].kind == "ref" for _, s in by_slot)
        self.steps.append(PrimStep(cls, inputs, fixed, tuple(by_slot),
                                   tuple(_standin(a) for a in args), out,
                                   result._node is not None, _GradMode.enabled, user_frame(),
                                   effectful))

    def on_rebound(self, t: Tensor, old: Tensor, result: Tensor) -> None:
        """A recorded in-place operation (``x.relu_()``, ``x += y`` with a graph): a primitive
        computed the new value from a copy of the old one, ``t`` now stands for that result, and
        its memory was overwritten with it. Where that memory held a value computed inside the
        call (a "node" slot), a replay needs no write: the result has its own slot, the steps
        recorded before keep reading the old slot, and the memory (and any detached view that
        shares it) now answers to the result's slot. An argument's or a captured tensor's memory
        stays a reported side effect, as a replay would not write into it."""
        s = self.by_array.get(id(t._data))
        out = self.by_node.get(id(result._node)) if result._node is not None else None
        if s is None or out is None or self.slots[s].kind != "node":
            return
        key = id(_versions_module._owner(t._data))
        self.version_deltas[key] = self.version_deltas.get(key, 0) + 1
        self.traced_values[s] = old._data       # the value the old slot had
        self.by_array[id(t._data)] = out

    def on_value_read(self, t: Tensor, how: str) -> None:
        self.report(self.problem(
            f"the function reads a tensor's value as Python data ({how} on a tensor of shape "
            f"{tuple(t.shape)}), so what it does next depends on the values: a compiled trace "
            "would bake this one value in. Keep the computation in tensor operations "
            "(chainrule.where instead of `if`), or read the value outside the compiled function"))

    def on_backward(self, roots, grads, retain_graph, create_graph, inputs) -> None:
        where = user_frame()
        try:
            if create_graph or inputs is not None:
                raise UntraceableError("backward(create_graph=True) and backward(inputs=...) are "
                                       "not compiled by this version", where)
            if hooks._hooks or hooks._post_hooks:
                raise UntraceableError("tensor hooks (register_hook) are not compiled by this "
                                       "version", where)
            if len(roots) != 1 or roots[0]._data.size != 1 or not (grads[0] == 1).all():
                raise UntraceableError("only loss.backward() on a single-number loss is compiled "
                                       "by this version (not gradient=...)", where)
            step = self.schedule(roots[0], engine.topological_order(roots[0]), where)
        except UntraceableError as exc:
            self.report(exc)
            return
        self.steps.append(step)

    def graph_schedule(self, output: Tensor) -> BackwardStep:
        """The backward of a forward whose caller backpropagates through ``output``: the graph
        between ``output`` and the call's leaves (arguments and captured tensors; the graph that
        made an argument, outside the call, is the engine's business)."""
        stop = {id(t) for t in self.arg_tensors}
        return self.schedule(output, engine.topological_order(output, stop), user_frame(),
                             graph_mode=True)

    def schedule(self, root: Tensor, order: list, where: str,
                 graph_mode: bool = False) -> BackwardStep:
        """The backward from ``root`` over ``order`` (a topological order), as slots and steps."""
        step = BackwardStep(self.slot_of_tensor(root), tuple(root._data.shape),
                            root._data.dtype, where=where)
        for t in reversed(order):
            s = self.slot_of_tensor(t)
            node = t._node
            if node is None or (graph_mode and self.slots[s].kind == "arg"):
                step.schedule.append(BackwardEntry(s, None, (), s))
                continue
            if self.slots[s].kind == "arg":
                raise UntraceableError(
                    "an argument of the call was computed by a graph outside it, and the call "
                    "runs backward() through it; compile the code that computes it too", where)
            if t._retains_grad:
                raise UntraceableError("retain_grad() is not compiled by this version", where)
            producer = self.slots[s].produced_by
            targets = []
            for i, inp in enumerate(node.inputs):
                if isinstance(inp, Tensor) and inp.requires_grad:
                    if _versions_module._rebinds:
                        inp = _versions_module.resolve(inp, node)
                    ts = self.slot_of_tensor(inp)
                    targets.append(GradTarget(i, ts, tuple(inp._data.shape),
                                              inp._data.dtype))
            step.schedule.append(BackwardEntry(s, producer, tuple(targets)))
        return step

    def on_call(self, obj, method: str, argument, original=None):
        """Optimizer.step / zero_grad, Module.zero_grad: run it untraced and record the call."""
        where = user_frame()
        if method == "step" and argument is not None:
            self.report(UntraceableError("optimizer.step(closure) re-evaluates the loss inside "
                                         "the step; it is not compiled by this version", where))
        if method == "step" and all(o is not obj for o in self.optimizers):   # watched from now
            self.optimizers.append(obj)
            self.hyperparameters_before.append(self._hyperparameters(obj))
        before = dict(_versions_module._versions)
        self.pause()
        try:
            result = (original or getattr(type(obj), method))(obj, argument)
        finally:
            self.resume()
        after = _versions_module._versions
        for key, count in after.items():
            delta = count - before.get(key, 0)
            if delta:
                self.version_deltas[key] = self.version_deltas.get(key, 0) + delta
        self.steps.append(CallStep(obj, method, argument, where))
        return result

    def masked(self, original):
        """A wrapper of dropout's mask draw that records it as a :class:`RandomStep`."""
        tracer = self

        def _scaled_mask(shape, p, dtype, like=None, order=None):
            from ..ops.dropout import mask_order

            order = mask_order(shape, like) if order is None else order
            tracer._in_mask = True
            try:
                mask = original(shape, p, dtype, like, order)
            finally:
                tracer._in_mask = False
            s = tracer.new_slot("random", mask, f"mask{len(tracer.slots)}", None,
                                len(tracer.steps))
            tracer.keep.append(mask)
            tracer.by_array[id(mask)] = s
            tracer.steps.append(RandomStep(tuple(shape), p, dtype, s, user_frame(), order=order))
            return mask

        return _scaled_mask

    def generator(self, original):
        tracer = self

        def generator():
            if not tracer._in_mask and _function.tracer is tracer:
                tracer.report(tracer.problem(
                    "the function draws random numbers other than a dropout mask; a replay "
                    "would reuse the same numbers, so this is not compiled"))
            return original()

        return generator

    # ------------------------------------------------------------------ activation
    def pause(self) -> None:
        _function.tracer = None
        _tensor_module._value_read = None
        _tensor_module._made_while_tracing = None
        _tensor_module._rebound_while_tracing = None

    def resume(self) -> None:
        _function.tracer = self
        _tensor_module._value_read = self.on_value_read
        _tensor_module._made_while_tracing = self.made
        _tensor_module._rebound_while_tracing = self.on_rebound

    def run(self, fn, args, kwargs):
        """Call ``fn`` eagerly with this tracer active; returns its result."""
        from ..ops import attention as _attention
        from ..ops import dropout as _dropout

        if _function.tracer is not None:
            raise RuntimeError("chainrule.compile: a compiled function was called while another "
                               "is being traced; nested compiled functions are not supported yet")
        from ..nn.module import Module

        original_mask, original_generator = _dropout._scaled_mask, backend.generator
        original_call, original_zero_grad = Module.__call__, Module.zero_grad
        self.versions_before = dict(_versions_module._versions)
        self.buffers_before = []
        for m in self.modules:
            self._snapshot(m)
        self.hyperparameters_before = [self._hyperparameters(o) for o in self.optimizers]
        tracer = self

        def call(module, *a, **k):      # every module that runs joins the guard's list
            if id(module) not in tracer.module_ids:
                tracer.module_ids.add(id(module))
                tracer.modules.append(module)
                tracer._snapshot(module)
            return original_call(module, *a, **k)

        def zero_grad(module, set_to_none=True):    # model.zero_grad() is recorded as a call
            if _function.tracer is not tracer:
                return original_zero_grad(module, set_to_none)
            return tracer.on_call(module, "zero_grad", set_to_none, original_zero_grad)

        _dropout._scaled_mask = _attention._scaled_mask = self.masked(original_mask)
        backend.generator = self.generator(original_generator)
        Module.__call__ = call
        Module.zero_grad = zero_grad
        self.resume()
        try:
            return fn(*args, **kwargs)
        finally:
            self.pause()
            Module.__call__ = original_call
            Module.zero_grad = original_zero_grad
            _dropout._scaled_mask = _attention._scaled_mask = original_mask
            backend.generator = original_generator

    def _snapshot(self, m) -> None:
        for t in list(m._parameters.values()) + list(m._buffers.values()):
            if t is not None:
                self.known[id(t._data)] = t
        self.buffers_before += [(m, name, b, b._data.copy()) for name, b in m._buffers.items()
                                if b is not None]

    @staticmethod
    def _hyperparameters(optimizer) -> list:
        return [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]

    # ------------------------------------------------------------------ checks after the call
    def check_side_effects(self) -> list:
        """In-place writes and buffer changes that no recorded step explains; counters."""
        counters = []
        written = {id(b._data) for m, _, b, _ in self.buffers_before}
        by_ref = set()
        for step in self.steps:
            if isinstance(step, PrimStep):
                by_ref.update(id(self.slots[s].payload._data) for _, s in step.param_slots
                              if self.slots[s].kind == "ref")
        for m, name, b, old in self.buffers_before:
            new = b._data
            if new.shape == old.shape and (new == old).all():
                continue
            if id(new) in by_ref:
                continue
            if new.dtype.kind in "iu" and new.shape == ():
                counters.append(CounterStep(b, new - old, f"{type(m).__name__}.{name}"))
                continue
            self.report(UntraceableError(
                f"the buffer {type(m).__name__}.{name} changed in a way the trace does not "
                "record, so a replay would not update it"))
        after = _versions_module._versions
        for key, count in after.items():
            delta = count - self.versions_before.get(key, 0) - self.version_deltas.get(key, 0)
            if delta > 0 and key not in written:
                self.report(UntraceableError(
                    "the function changes a tensor in place outside the recorded primitives "
                    "(x += …, x[...] = …, x.zero_() while no gradient is recorded), which a "
                    "replay would not repeat; use out-of-place operations inside a compiled "
                    "function"))
                break
        for o, before in zip(self.optimizers, self.hyperparameters_before):
            if self._hyperparameters(o) != before:
                self.report(UntraceableError(
                    f"the hyperparameters of {type(o).__name__} (lr, momentum, ...) changed during "
                    "the call (a learning-rate scheduler's step() inside the function?); a replay "
                    "would not change them: call scheduler.step() outside the compiled function"))
        for m in self.modules:
            if getattr(m, "_has_forward_hooks", False):     # (the flag covers every hook table)
                kinds = [k for k, table in (("forward pre-", "_forward_pre_hooks"),
                                            ("forward ", "_forward_hooks"),
                                            ("full backward pre-", "_backward_pre_hooks"),
                                            ("full backward ", "_backward_hooks"))
                         if getattr(m, table, None)]
                named = " and ".join(k + "hooks" for k in kinds) or "hooks"
                self.report(UntraceableError(
                    f"{type(m).__name__} has {named}, whose Python code a replay would "
                    "not run; remove them or call the model eagerly"))
            if getattr(m, "momentum", 0) is None and getattr(m, "track_running_stats", False) \
                    and m.training:
                self.report(UntraceableError(
                    f"{type(m).__name__}(momentum=None) averages with 1/num_batches_tracked, a "
                    "value read from a buffer; set a momentum to compile it"))
        return counters

    def constants_made_inside(self) -> None:
        """A captured tensor that nothing but the trace holds any more was made inside the call
        (``cr.zeros(3)``): nobody can change it later, so it is a constant (and may be folded).
        One that something else still holds (a closure, a module, a global) stays a reference."""
        known = {id(t) for t in self.known.values()}
        for slot in self.slots:
            t = slot.payload
            if slot.kind != "ref" or id(t) in known:
                continue
            held = sum(1 for k in self.keep if k is t) + 3   # keep, payload, argument, local
            if sys.getrefcount(t) <= held:
                slot.kind, slot.payload = "const", t._data

    def program(self, result) -> Program:
        self.constants_made_inside()
        spec, leaves = flatten(result)
        out_leaves = []
        for leaf in leaves:
            if isinstance(leaf, Tensor):
                out_leaves.append(("slot", self.slot_of_tensor(leaf)))
            else:
                out_leaves.append(("value", leaf))
        args = [s.index for s in self.slots if s.kind == "arg"]
        return Program(self.slots, self.steps, (spec, out_leaves), args)
