"""Replay: run a :class:`~chainrule.compile.graph.Program` on arrays, without building a graph.

Each primitive step calls the primitive's own ``forward`` on the arrays of its input slots (the
same code eager runs, so the same numbers); steps that eager recorded keep their context (what
the forward saved) for the backward, and nothing else is kept: no Tensor, no graph node, and each
intermediate array is dropped after its last read. A backward step walks its schedule (the
reverse topological order eager would compute, derived once at trace time) calling each ``vjp``
and summing gradients at fan-out in eager's order, then stores the leaves' ``.grad`` exactly as
the engine does. Calls (``optimizer.step()``) run as they are.
"""
from __future__ import annotations

import warnings

from ..autograd.engine import _store_grad, unbroadcast
from ..autograd.function import Function, Node
from ..autograd.grad_mode import _GradMode
from ..autograd.versions import _versions, saved_versions, sequence
from ..backend import astype, is_foreign_array, ndarray, numpy_dtype, xp
from ..ops import dropout as _dropout
from ..tensor import Tensor
from .graph import BackwardStep, CallStep, CounterStep, PrimStep, Program, RandomStep
from .shard import parts_of, replay_sharded, shard_plan
from .trace import unflatten


def replay(program: Program, arg_tensors: list):
    """Run ``program`` with the flat tensor arguments ``arg_tensors``; returns the outputs.
    A program that can be split over its batch runs in parts on the cores (``shard.py``)."""
    if program.shard is not None:
        parts = parts_of(program)
        if parts > 1 and program.data_parallel == "processes":
            result = _replay_processes(program, arg_tensors)
            if result is not None:
                return result
            parts = parts_of(program)       # on threads from now on: their own condition
        if parts > 1:
            return replay_sharded(program, arg_tensors, parts)
    env = program.template[:]          # constants in place, the rest None
    for s, t in zip(program.arg_positions, arg_tensors):
        env[s] = t._data
    refs = program.refs
    for s, t in refs:
        env[s] = t._data
    ctxs: dict[int, Node] = {}
    releases = program.releases
    previous = _GradMode.enabled
    try:
        for i, step in enumerate(program.steps):
            kind = step.kind
            if kind == "prim":
                if _GradMode.enabled is not step.grad_mode:
                    _GradMode.enabled = step.grad_mode
                ctx = apply_prim(step, env, step_params(step, env))
                if step.records:
                    ctxs[i] = ctx
            elif kind == "fused":
                apply_fused(step, env)
            elif kind == "random":
                env[step.out] = _dropout._scaled_mask(step.shape, step.p, step.dtype,
                                                      order=step.order)
            elif kind == "backward":
                _backward(step, ctxs, env, arg_tensors, program)
            elif kind == "call":
                getattr(step.obj, step.method)(step.argument)
                for s, t in refs:         # the call may have rebound a captured tensor's array
                    env[s] = t._data
            elif kind == "counter":
                step.tensor._data += step.delta
            released = releases.get(i)
            if released is not None:
                for s in released:
                    env[s] = None
    finally:
        _GradMode.enabled = previous
    return unflatten_outputs(program, arg_tensors, env.__getitem__, ctxs)


def _replay_processes(program: Program, arg_tensors: list):
    """The call split over two processes, or None (with a warning the first time) where it
    cannot be: the program then runs its parts on threads from now on."""
    from . import processes

    why = processes.eligible(program, arg_tensors)
    if not why:
        try:
            return processes.replay_processes(program, arg_tensors)
        except processes.WorkerError as exc:
            why = str(exc)
            if program.worker is not None:
                program.worker.close()
                program.worker = None
    program.data_parallel = "threads"
    warnings.warn(f"chainrule.compile: this step runs its batch split on threads instead of "
                  f"processes: {why}", stacklevel=4)
    return None


def step_params(step: PrimStep, env: list) -> dict:
    """A primitive step's keyword parameters, the array ones read from their slots."""
    if not step.param_slots:
        return step.params
    params = dict(step.params)
    for k, s in step.param_slots:
        params[k] = env[s]
    return params


def apply_prim(step: PrimStep, env: list, params: dict) -> Node:
    """Run one primitive step on the arrays of ``env``: its output is stored in its slot, and
    its context (what the forward saved for the vjp) is returned."""
    ctx = Node()
    ctx.inputs = step.standins
    arrays = [env[s] for s in step.inputs]
    try:
        out = step.fn.forward(ctx, *arrays, **params)
    except (ValueError, IndexError, TypeError) as exc:     # as Function.apply explains it
        raise step.fn.explain_error(exc, arrays, params) from None
    if type(out) is not ndarray and not is_foreign_array(out):     # a NumPy scalar
        scalar, out = out, xp.asarray(out)
        if any(v is scalar for v in ctx.saved):
            ctx.saved = tuple(out if v is scalar else v for v in ctx.saved)
    env[step.out] = out
    ctx.fn = step.fn
    return ctx


def apply_fused(step, env: list) -> None:
    """Run a fused elementwise chain: the first ufunc allocates, the others write into it."""
    ufunc, operands = step.ops[0]
    buffer = ufunc(*[env[s] for s in operands])
    if type(buffer) is not ndarray and not is_foreign_array(buffer):
        buffer = xp.asarray(buffer)
    for ufunc, operands in step.ops[1:]:
        ufunc(*[buffer if s < 0 else env[s] for s in operands], out=buffer)
    env[step.out] = buffer


def unflatten_outputs(program: Program, arg_tensors: list, value, ctxs=None):
    """The call's return value: its structure rebuilt around the output slots' arrays
    (``value(slot)``) as Tensors; arguments and captured tensors returned as themselves."""
    slots = program.slots
    spec, leaves = program.outputs
    values = []
    for kind, v in leaves:
        if kind == "value":
            values.append(v)
            continue
        slot = slots[v]
        if slot.kind == "arg":
            values.append(arg_tensors[slot.payload])
        elif slot.kind == "ref":
            values.append(slot.payload)
        elif v in program.graphs:
            values.append(Tensor._from_op(value(v), _graph_node(program, v, ctxs, arg_tensors)))
        else:
            values.append(Tensor._from_op(value(v), None))
    return unflatten(spec, values)


def _backward(step: BackwardStep, ctxs: dict, env: list, arg_tensors: list,
              program: Program) -> None:
    """``loss.backward()`` inside the call: the leaves' ``.grad`` stored as the engine does."""
    slots = program.slots
    stored: set[int] = set()
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        for slot, g in run_schedule(step, ctxs, xp.ones(step.root_shape, dtype=step.root_dtype),
                                    free=True):
            slot = slots[slot]
            tensor = arg_tensors[slot.payload] if slot.kind == "arg" else slot.payload
            _store_grad(tensor, g, False, stored)
    finally:
        _GradMode.enabled = previous


def run_schedule(step: BackwardStep, ctxs: dict, g, free: bool):
    """Walk a backward schedule from the root's gradient ``g``: each node's vjp, gradients
    summed at fan-out in eager's order; yields (leaf slot, gradient) as eager stores them."""
    pending = {step.root: g}
    for entry in step.schedule:
        g = pending.pop(entry.slot, None)
        if g is None:
            continue
        if entry.step is None:
            yield entry.leaf, g
            continue
        ctx = ctxs.pop(entry.step) if free else ctxs[entry.step]
        if free and type(ctx) is Node:      # dropped right after: the vjp may reuse its saves
            ctx.consumable = True
            try:
                grads = ctx.fn.vjp(ctx, g)
            finally:
                ctx.consumable = False
        else:
            grads = ctx.fn.vjp(ctx, g)
        if type(grads) is not tuple:
            grads = (grads,)
        for target in entry.targets:
            gi = grads[target.position]
            if gi is None:
                continue
            if gi.shape != target.shape:
                gi = unbroadcast(gi, target.shape)
            if type(gi) is ndarray:
                if gi.dtype != target.dtype:
                    gi = gi.astype(target.dtype)
            elif numpy_dtype(gi.dtype) != target.dtype:     # another array library's
                gi = astype(gi, target.dtype)
            before = pending.get(target.slot)
            pending[target.slot] = gi if before is None else before + gi
        if free:
            ctx.saved = None


class CompiledGraph(Function):
    """The backward of a compiled forward, as one node of the caller's graph.

    Forward:     the replayed program (its steps are the primitives of the traced call)
    VJP:         the traced call's backward schedule: each step's vjp in reverse topological
                 order, gradients summed at fan-out; returns ∂L/∂(each argument and captured
                 tensor that requires grad)
    Numerics:    the primitives' own vjps, so the same numbers as eager's backward.
    """

    name = "compiled"
    twice_differentiable = False

    @staticmethod
    def vjp(ctx, g):
        grads = dict.fromkeys(ctx.leaf_slots)
        for slot, gi in run_schedule(ctx.graph, ctx.ctxs, g, free=False):
            grads[slot] = gi
        return tuple(grads[s] for s in ctx.leaf_slots)


def _graph_node(program: Program, root: int, ctxs: dict, arg_tensors: list) -> Node:
    """The node of output ``root``: several outputs share the replay's contexts, each with the
    schedule from its own root (the engine sums their contributions at the inputs)."""
    slots = program.slots
    graph, leaves, steps = program.graph_leaves[root]
    node = Node()
    node.fn = CompiledGraph
    node.graph = graph
    node.ctxs = ctxs
    node.leaf_slots = leaves
    node.inputs = tuple(arg_tensors[slots[s].payload] if slots[s].kind == "arg"
                        else slots[s].payload for s in leaves)
    node.saved = tuple(a for i in steps for a in ctxs[i].saved if type(a) is ndarray)
    sequence[0] += 1
    node.seq = sequence[0]
    if _versions:
        node.versions = saved_versions(node.saved)
    return node


def prepare(program: Program) -> Program:
    """The replay's lookup tables: constants pre-placed, captured tensors listed."""
    template = [None] * len(program.slots)
    refs = []
    for slot in program.slots:
        if slot.kind == "const":
            template[slot.index] = slot.payload
        elif slot.kind == "ref":
            refs.append((slot.index, slot.payload))
    program.template = template
    program.refs = tuple(refs)
    program.shard = shard_plan(program)
    program.graph_leaves = {
        root: (g, tuple(e.leaf for e in g.schedule if e.step is None),
               tuple(e.step for e in g.schedule if e.step is not None))
        for root, g in program.graphs.items()}
    return program


__all__ = ["replay", "prepare", "CallStep", "CounterStep", "PrimStep", "RandomStep"]
