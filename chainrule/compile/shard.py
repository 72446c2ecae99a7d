"""Data-parallel replay: a compiled step split over its batch, one part per core.

A training step of a network without cross-sample layers (no dropout; BatchNorm below) treats
each sample of the batch on its own until the loss averages them. So the batch
can be cut in parts, each part run through the whole forward and backward on its own thread
(NumPy, OpenBLAS and chainrule's numba kernels release the GIL), and the parts' results joined:

    L = Σᵢ (Dᵢ/D)·Lᵢ,      ∂L/∂θ = Σᵢ (Dᵢ/D)·∂Lᵢ/∂θ,      D = Σᵢ Dᵢ

where Lᵢ is part i's mean loss and Dᵢ its divisor (its number of samples, or of targets not
ignored, or their class weights' sum, as the loss defines it; Dᵢ/D = 1 for ``reduction='sum'``).
The backward of part i starts from Dᵢ/D instead of 1, so each parameter's gradient is the sum of
the parts' gradients; the gradient of a batched argument is the parts' gradients stacked. This is
what PyTorch's CPU kernels do inside each operator (split the batch over the intra-op threads);
a compiled step can do it for the whole network at once, because it knows the whole graph in
advance, so each thread runs every layer on its part with BLAS held at one thread — no join
between layers.

Numerics: a parameter's gradient becomes a sum of two partial sums, so it differs from eager's
in the last bits (float64: ~1e-16 relative); ``chainrule.set_num_threads(1)`` replays unsplit and
bit-identical to eager.

A BatchNorm in training mode is the one cross-sample layer that splits: its statistics are over
the whole batch, so the parts meet there (``parallel.Exchange``, a barrier) and each combines all
parts' counts, means and sums of squared deviations into the whole batch's μ and σ² (and in the
backward, Σg and Σg·x̂ for ∂L/∂x): ``ops.norm._whole_batch_statistics``. The first part updates
the running statistics. Parts that meet must run at once: threads of one process
(``parallel.run_together``), or the parent and its worker process (``processes._Meetings``:
shared memory and the pipe).

Which programs qualify is decided once, at trace time (:func:`shard_plan`): every step between
the leading calls (``zero_grad``) and the backward must be a primitive known to act on each
sample separately (convolution, pooling, linear, embedding, elementwise functions, reshapes that
keep the batch axis, transposes, the recurrent layers) and the backward's root must be a
cross-entropy loss whose divisor the replay can read. Anything else replays unsplit, and
``plan()`` says why.

The batch need not stay on axis 0: the plan follows it through transposes (a batch-first
sequence made time-major for an LSTM has it on axis 1) and through the packed output of the
recurrent primitives, one flat array [y (T, N, H) | h_T (N, H) | c_T (N, H)] whose segments are
each proportional to N, so a part of n samples cuts each segment to n/N of its length.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import parallel
from ..autograd.engine import _store_grad
from ..autograd.function import Node
from ..autograd.grad_mode import _GradMode
from ..backend import ndarray, xp
from .graph import BackwardStep, CallStep, CounterStep, FusedStep, PrimStep, Program
from .passes import ELEMENTWISE

# primitives that act on each sample on its own: name -> the batched input (a position, or the
# name of an array keyword); the other inputs are weights, shared by all samples
PER_SAMPLE = {"conv": 0, "conv_transpose": 0, "max_pool": 0, "avg_pool": 0, "linear": 0,
              "embedding": "indices", "softmax": 0, "log_softmax": 0, "reshape": 0,
              "group_norm": 0, "layer_norm": 0, "batch_norm": 0, "getitem": 0,
              "sum": 0, "mean": 0, "amax": 0, "amin": 0}
REDUCTIONS = {"sum", "mean", "amax", "amin"}
# elementwise primitives: each input is batched (its axis 0 is the output's) or broadcast
ELEMENTWISE_NAMES = set(ELEMENTWISE) | {
    "relu", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus", "power", "clip",
    "where", "astype", "copy", "comparison"}
LOSSES = {"softmax_cross_entropy"}
# recurrent primitives: x (T, N, I) time-major, initial states (N, H) or None; the output packs
# y (T, N, P) then the final states, each (N, ·) (see ops/rnn.py)
RECURRENT = {"rnn": 1, "gru": 1, "lstm": 2}     # name -> how many initial-state inputs follow x


@dataclass(frozen=True)
class Packed:
    """Where the batch is in a flat array of concatenated segments (a recurrent primitive's
    output): per segment, its offset and size per sample, and its shape with the batch at
    ``axis`` (the shape's entry there is the whole batch's N)."""

    segments: tuple             # ((offset per sample, size per sample, shape, axis), ...)

    def size(self, n: int) -> int:
        return n * sum(seg[1] for seg in self.segments)


@dataclass
class ShardPlan:
    """How a program is split: the batch size and the slots that carry the batch axis."""

    batch: int
    batched: dict                 # slot -> its batch axis (an int), or Packed (a flat array)
    first: int                    # index of the first step run per part
    backward: int | None          # index of the backward step (None: a forward only)
    loss_step: int | None         # index of the loss primitive (the backward's root)
    nbytes: int                   # bytes the parts' intermediates take (decides the split)
    rewrites: dict                # step index -> parameters that depend on the part's size
    shared: frozenset = frozenset()   # BatchNorms in training: the parts combine statistics
    releases: dict = field(default_factory=dict)    # step -> slots a part drops after it

    def part_shape(self, slot: int, shape: tuple, n: int) -> tuple:
        """The shape of batched ``slot`` (whole-batch ``shape``) in a part of ``n`` samples."""
        where = self.batched[slot]
        if isinstance(where, Packed):
            return (where.size(n),)
        return tuple(shape[:where]) + (n,) + tuple(shape[where + 1:])


class NotSplit(Exception):
    """Why a program replays unsplit (shown by plan())."""


def shard_plan(program: Program) -> ShardPlan | None:
    """The plan, or None with ``program.unsplit_reason`` set."""
    try:
        return _plan(program)
    except NotSplit as why:
        program.unsplit_reason = str(why)
        return None


def _plan(program: Program) -> ShardPlan:
    slots, steps = program.slots, program.steps
    if program.graphs:
        raise NotSplit("its output joins the caller's graph (a compiled forward inside an "
                       "eager training loop)")
    if not program.arg_positions:
        raise NotSplit("it has no tensor arguments")
    batch = slots[program.arg_positions[0]].shape
    batch = batch[0] if batch else None
    if not batch or batch < 2:
        raise NotSplit("its first argument has no batch axis of length ≥ 2")
    batched: dict = {}
    rewrites: dict = {}
    for s in program.arg_positions:
        shape = slots[s].shape
        if shape and shape[0] == batch:
            batched[s] = 0
        elif slots[s].shape:
            raise NotSplit(f"argument {slots[s].label} of shape {shape} has no batch axis of "
                           f"length {batch}")
    first = 0
    while first < len(steps) and isinstance(steps[first], CallStep):
        first += 1
    backward = loss_step = None
    nbytes = 0
    shared: set = set()
    for i in range(first, len(steps)):
        step = steps[i]
        if isinstance(step, BackwardStep):
            backward = i
            break
        if isinstance(step, FusedStep):
            operands = {s for _, ops in step.ops for s in ops if s >= 0}
            _elementwise(program, operands, step.out, batched, batch, "a fused chain")
        elif isinstance(step, PrimStep):
            training_bn = step.fn.name == "batch_norm" and step.params.get("training", True)
            if training_bn:         # the parts run at once and combine its statistics
                shared.add(i)
            elif step.effectful and step.fn.name != "batch_norm":
                raise NotSplit(f"{step.fn.name} updates a buffer")
            if loss_step is not None:
                raise NotSplit(f"{step.fn.name} follows the loss")
            name = step.fn.name
            if name in LOSSES:
                _loss(program, step, batched)
                loss_step = i
                continue
            if name in RECURRENT:
                _recurrent(program, step, batched, batch)
            elif name == "transpose":
                _transpose(program, step, batched, batch)
            elif name in ("stack", "concatenate"):
                _joined(program, step, batched, batch)
            elif isinstance(batched.get(step.inputs[0] if step.inputs else None), Packed):
                _unpack(program, step, i, batched, batch, rewrites)
            elif name in PER_SAMPLE:
                _per_sample(program, step, PER_SAMPLE[name], batched, batch)
            elif name in ELEMENTWISE_NAMES:
                _elementwise(program, set(step.inputs) | {s for _, s in step.param_slots},
                             step.out, batched, batch, name)
            else:
                raise NotSplit(f"{name} is not known to act on each sample separately")
        else:
            raise NotSplit(f"step {i} ({step.kind}) cannot run per part (a dropout mask is "
                           "drawn for the whole batch, in eager's order)")
        nbytes += slots[step.out].nbytes
    else:
        backward = None
    if backward is not None:
        root = steps[backward].root
        if loss_step is None or steps[loss_step].out != root:
            raise NotSplit("the backward's root is not a cross-entropy loss")
        for step in steps[backward + 1:]:
            if not isinstance(step, (CallStep, CounterStep)):
                raise NotSplit("computation follows the backward")
        for entry in steps[backward].schedule:
            if entry.step is None and slots[entry.leaf].kind not in ("ref", "arg"):
                raise NotSplit("a gradient goes to a tensor that is neither an argument nor "
                               "captured")
    elif loss_step is not None:
        raise NotSplit("a loss without backward (its value alone is cheap to compute whole)")
    if backward is None and any(isinstance(s, CallStep) for s in steps[first:]):
        raise NotSplit("a call follows the forward")
    for kind, v in program.outputs[1]:
        if kind == "value":
            continue
        if slots[v].kind in ("arg", "ref") or batched.get(v) == 0 or \
                (loss_step is not None and v == steps[loss_step].out):
            continue
        raise NotSplit(f"output {slots[v].label} is neither batched on its axis 0 nor the loss")
    # a part drops its values where the unsplit replay does (passes.py), but keeps its loss:
    # the parts' losses are weighted and summed after their forwards
    kept = {steps[loss_step].out} if loss_step is not None else set()
    releases = {i: tuple(s for s in slots_ if s not in kept)
                for i, slots_ in program.releases.items()}
    return ShardPlan(batch, batched, first, backward, loss_step, nbytes, rewrites,
                     frozenset(shared), releases)


def _axis(batched, slot):
    """The batch axis of ``slot`` (None: not batched); a packed flat array cannot be read here."""
    where = batched.get(slot)
    if isinstance(where, Packed):
        raise NotSplit("a recurrent layer's packed output is read other than by cutting out one "
                       "of its parts")
    return where


def _out_axis(program, step, batch, axis) -> int:
    out = program.slots[step.out].shape
    if not out or axis >= len(out) or out[axis] != batch:
        raise NotSplit(f"{step.fn.name}'s output {out} has no batch axis")
    return axis


def _per_sample(program, step, which, batched, batch):
    named = dict(step.param_slots)
    inputs = list(enumerate(step.inputs)) + list(named.items())
    source = named.get(which, step.inputs[which] if isinstance(which, int)
                       and which < len(step.inputs) else None)
    axis = _axis(batched, source)
    if axis is None:
        raise NotSplit(f"{step.fn.name}'s input {which} does not carry the batch")
    others = [s for k, s in inputs if k != which]
    if any(s in batched for s in others):
        raise NotSplit(f"{step.fn.name} takes a batched weight")
    name = step.fn.name
    ndim = len(program.slots[step.inputs[0]].shape or ())
    if name == "getitem":
        axis = _index_keeps(step.params.get("index"), axis)
    elif name == "embedding" or name == "linear" and axis < ndim - 1:
        pass                        # the batch axis stays where it is in the output
    elif axis != 0:
        raise NotSplit(f"{name} reads the batch on axis {axis} (only axis 0 is followed here)")
    if name in REDUCTIONS:
        reduced = step.params.get("axis")
        axes = (reduced,) if isinstance(reduced, int) else reduced
        if axes is None or any(a % ndim == 0 for a in axes):
            raise NotSplit(f"{name} over the batch axis")
    out = program.slots[step.out]
    if name in ("softmax", "log_softmax"):
        dim = step.params.get("axis", step.params.get("dim"))
        if dim is None or out.shape and dim % len(out.shape) == 0:
            raise NotSplit(f"{name} over the batch axis")
    if name == "reshape":
        target = tuple(step.params.get("shape", ()))
        if not target or target[0] not in (batch, -1) or -1 in target[1:] and target[0] == -1:
            raise NotSplit(f"reshape to {target} does not keep the batch axis first")
    if name == "layer_norm" and step.params.get("normalized_ndim", ndim) >= ndim:
        raise NotSplit("layer_norm over the batch axis")
    batched[step.out] = _out_axis(program, step, batch, axis)


def _index_keeps(index, axis: int) -> int:
    """Where the batch axis ``axis`` lands after ``x[index]``, for an index of integers, slices
    and new axes (None) that takes the whole batch axis (else NotSplit)."""
    entries = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, (ndarray, bool)) or i is Ellipsis
           or not (i is None or isinstance(i, (int, slice))) for i in entries):
        raise NotSplit(f"getitem with index {index!r} may select along the batch axis")
    source = target = 0             # the axis of x, and of the result, that the entry is at
    for entry in entries:
        if entry is None:
            target += 1
            continue
        if source == axis:
            if entry != slice(None):
                raise NotSplit(f"getitem with index {index!r} selects along the batch axis")
            return target
        source += 1
        target += not isinstance(entry, int)
    return target + axis - source


def _transpose(program, step, batched, batch):
    axis = _axis(batched, step.inputs[0])
    if axis is None:
        raise NotSplit("transpose does not read the batch")
    axes = step.params.get("axes")
    ndim = len(program.slots[step.inputs[0]].shape or ())
    order = list(range(ndim))[::-1] if axes is None else [a % ndim for a in axes]
    batched[step.out] = _out_axis(program, step, batch, order.index(axis))


def _joined(program, step, batched, batch):
    """stack and concatenate of batched arrays, along another axis than the batch's."""
    name = step.fn.name
    axes = {_axis(batched, s) for s in step.inputs}
    if None in axes or len(axes) != 1:
        raise NotSplit(f"{name} joins arrays that do not all carry the batch on one axis")
    axis = axes.pop()
    ndim = len(program.slots[step.out].shape or ())
    along = step.params.get("axis", 0) % ndim
    if name == "concatenate" and along == axis:
        raise NotSplit("concatenate along the batch axis")
    batched[step.out] = _out_axis(program, step, batch,
                                  axis + 1 if name == "stack" and along <= axis else axis)


def _recurrent(program, step, batched, batch):
    """rnn, gru, lstm: x (T, N, I) with the batch on axis 1, the initial states (N, ·) batched
    or absent, shared weights; the output packs y (T, N, P) and the final states."""
    name, slots = step.fn.name, program.slots
    states = RECURRENT[name]
    if _axis(batched, step.inputs[0]) != 1:
        raise NotSplit(f"{name}'s input does not carry the batch on axis 1 (time-major)")
    for s in step.inputs[1:1 + states]:
        if not (slots[s].kind == "const" and slots[s].payload is None) and \
                _axis(batched, s) != 0:
            raise NotSplit(f"{name}'s initial state is not made per sample")
    if any(s in batched for s in step.inputs[1 + states:]):
        raise NotSplit(f"{name} takes a batched weight")
    lengths = dict(step.param_slots).get("lengths")
    if step.params.get("lengths") is not None or lengths is not None and \
            _axis(batched, lengths) != 0:
        raise NotSplit(f"{name}'s sequence lengths are not an argument of the call")
    T = slots[step.inputs[0]].shape[0]
    w_ih, w_hh = (slots[s].shape for s in step.inputs[1 + states:3 + states])
    P = w_hh[1]
    H = w_ih[0] // 4 if name == "lstm" else P
    parts = [(T * P, (T, batch, P), 1), (P, (batch, P), 0)] + \
        ([(H, (batch, H), 0)] if name == "lstm" else [])
    segments, offset = [], 0
    for size, shape, axis in parts:
        segments.append((offset, size, shape, axis))
        offset += size
    packed = Packed(tuple(segments))
    if slots[step.out].shape != (packed.size(batch),):
        raise NotSplit(f"{name}'s output {slots[step.out].shape} is not packed as expected")
    batched[step.out] = packed


def _unpack(program, step, i, batched, batch, rewrites):
    """A part cut out of a packed recurrent output (getitem with one slice), or that part
    reshaped to its shape: the cut's bounds and the shape scale with the part's size."""
    packed, name = batched[step.inputs[0]], step.fn.name
    if name == "getitem":
        index = step.params.get("index")
        index = index[0] if isinstance(index, tuple) and len(index) == 1 else index
        if isinstance(index, slice) and index.step in (None, 1):
            for offset, size, shape, axis in packed.segments:
                if (index.start or 0) == offset * batch and index.stop == (offset + size) * batch:
                    batched[step.out] = Packed(((0, size, shape, axis),))
                    rewrites[i] = _cut(offset, size)
                    return
    elif name == "reshape" and len(packed.segments) == 1:
        _, _, shape, axis = packed.segments[0]
        if tuple(step.params.get("shape", ())) == shape:
            batched[step.out] = axis
            rewrites[i] = _reshape_to(shape, axis)
            return
    raise NotSplit(f"{name} reads a recurrent layer's packed output other than by cutting out "
                   "y or a final state")


def _cut(offset, size):
    return lambda params, n: dict(params, index=slice(offset * n, (offset + size) * n))


def _reshape_to(shape, axis):
    return lambda params, n: dict(params, shape=tuple(shape[:axis]) + (n,) +
                                  tuple(shape[axis + 1:]))


def _elementwise(program, operands, out_slot, batched, batch, name):
    out = program.slots[out_slot]
    axes = {_axis(batched, s) for s in operands} - {None}
    if not axes:
        raise NotSplit(f"{name} does not read the batch (it would run once per part)")
    if len(axes) > 1:
        raise NotSplit(f"{name} reads inputs with the batch on different axes")
    axis = axes.pop()
    if not out.shape or axis >= len(out.shape) or out.shape[axis] != batch:
        raise NotSplit(f"{name}'s output {out.shape} has no batch axis")
    ndim = len(out.shape)
    for s in operands:
        shape = program.slots[s].shape or ()
        if s in batched:
            if len(shape) != ndim:
                raise NotSplit(f"{name} broadcasts a batched input")
        elif axis - (ndim - len(shape)) >= 0 and shape[axis - (ndim - len(shape))] != 1:
            raise NotSplit(f"{name} reads an array of shape {shape} made without the batch")
    batched[out_slot] = axis


def _loss(program, step, batched):
    logits, target = step.inputs[0], step.inputs[1]
    if batched.get(logits) != 0 or batched.get(target) != 0:
        raise NotSplit("the loss's logits and targets must both carry the batch on axis 0")
    if any(s in batched for _, s in step.param_slots):
        raise NotSplit("the loss's class weights carry the batch")
    if step.params.get("reduction", "mean") not in ("mean", "sum"):
        raise NotSplit("reduction='none' (a loss per sample)")


# --------------------------------------------------------------------------------------- replay
def parts_of(program: Program) -> int:
    """How many parts a replay of ``program`` splits into now (1: unsplit)."""
    plan = program.shard
    if plan is None:
        return 1
    return parallel.parts(plan.batch, plan.nbytes, blas=True,
                          processes=program.data_parallel == "processes")


def replay_sharded(program: Program, arg_tensors: list, parts: int):
    """Run ``program`` split into ``parts`` parts of its batch (see the module docstring)."""
    from .replay import run_schedule, unflatten_outputs

    plan, steps = program.shard, program.steps
    for step in steps[:plan.first]:
        getattr(step.obj, step.method)(step.argument)
    bounds = [plan.batch * k // parts for k in range(parts + 1)]
    exchange = parallel.Exchange(parts) if plan.shared else None
    runs = [_Part(program, plan, arg_tensors, lo, hi,
                  shared=None if exchange is None else (exchange, k))
            for k, (lo, hi) in enumerate(zip(bounds, bounds[1:]))]
    running = _running_statistics(program, runs[0].env)
    previous = _GradMode.enabled
    try:
        _GradMode.enabled = steps[plan.first].grad_mode if plan.first < len(steps) else previous
        _run_all([r.forward for r in runs], exchange)
        loss = None
        if plan.loss_step is not None:
            weights = part_weights(program, [float(r.ctxs[plan.loss_step].divisor)
                                             for r in runs])
            if weights is None:     # a part without a target counted: its mean is 0/0
                _restore(running)                   # the split forward updated them
                runs, exchange = [_Part(program, plan, arg_tensors, 0, plan.batch)], None
                runs[0].forward()
                weights = [1.0]
            root = steps[plan.loss_step].out
            loss = sum(w * r.env[root] for w, r in zip(weights, runs))
            loss = xp.asarray(loss, dtype=runs[0].env[root].dtype)
            for w, r in zip(weights, runs):
                r.weight = w
        if plan.backward is not None:
            _GradMode.enabled = False
            _run_all([r.backward for r in runs], exchange)
            _store_joined(program, runs, arg_tensors, run_schedule)
    finally:
        _GradMode.enabled = previous
    run_after_backward(program)

    def value(slot):
        if plan.loss_step is not None and slot == steps[plan.loss_step].out:
            return loss
        if len(runs) == 1:
            return runs[0].env[slot]
        return xp.concatenate([r.env[slot] for r in runs], axis=0)
    return unflatten_outputs(program, arg_tensors, value)


def part_weights(program: Program, divisors: list) -> list | None:
    """Dᵢ/D for each part from the parts' loss divisors Dᵢ (1 each for ``reduction='sum'``);
    None when a part counted no target (its mean would be 0/0: the call runs unsplit)."""
    if program.steps[program.shard.loss_step].params.get("reduction", "mean") == "sum":
        return [1.0] * len(divisors)
    total = sum(divisors)
    return [d / total for d in divisors] if all(divisors) else None


def run_after_backward(program: Program) -> None:
    """The calls (``optimizer.step()``) and module counters that follow the backward."""
    plan, steps = program.shard, program.steps
    for step in steps[(plan.backward if plan.backward is not None else len(steps)) + 1:]:
        if isinstance(step, CallStep):
            getattr(step.obj, step.method)(step.argument)
        else:
            step.tensor._data += step.delta


def _running_statistics(program, env) -> list:
    """(array, copy) for the running statistics of the BatchNorms whose parts share
    statistics: what a replay that starts again unsplit puts back."""
    from .replay import step_params

    kept = []
    for i in sorted(program.shard.shared):
        params = step_params(program.steps[i], env)
        for name in ("running_mean", "running_var"):
            if params.get(name) is not None:
                kept.append((params[name], params[name].copy()))
    return kept


def _restore(running: list) -> None:
    """Put back the running statistics copied by :func:`_running_statistics`."""
    for array, before in running:
        array[...] = before


def _run_all(jobs: list, exchange=None) -> None:
    """The parts at once on the pool, or one after the other when the pool is busy; parts that
    meet at an ``exchange`` always at once (``parallel.run_together``)."""
    if exchange is not None:
        parallel.run_together(jobs, exchange)
    elif not parallel.run_parts(jobs, blas=True):
        for job in jobs:
            job()


def _store_joined(program, runs, arg_tensors, run_schedule):
    slots = program.slots
    stored: set[int] = set()
    order = [entry.leaf for entry in program.steps[program.shard.backward].schedule
             if entry.step is None]
    for leaf in order:
        grads = [r.grads[leaf] for r in runs if leaf in r.grads]
        if not grads:
            continue
        slot = slots[leaf]
        if slot.kind == "arg":
            g = grads[0] if len(grads) == 1 else xp.concatenate(grads, axis=0)
            tensor = arg_tensors[slot.payload]
        else:
            g = grads[0]
            for more in grads[1:]:
                g = g + more
            tensor = slot.payload
        _store_grad(tensor, g, False, stored)


class _Part:
    """One part of the batch: its own slots, contexts and gradients."""

    def __init__(self, program, plan, arg_tensors, lo, hi, env=None, shared=None):
        self.program, self.plan, self.lo, self.hi = program, plan, lo, hi
        self.shared = shared            # (parallel.Exchange, this part's index) or None
        if env is None:     # else: the slots' arrays given (a worker process's shared copies)
            env = program.template[:]
            whole = hi - lo == plan.batch
            for s, t in zip(program.arg_positions, arg_tensors):
                env[s] = t._data if whole or s not in plan.batched else t._data[lo:hi]
            for s, t in program.refs:
                env[s] = t._data
        self.env = env
        self.ctxs: dict[int, Node] = {}
        self.grads: dict[int, object] = {}
        self.weight = 1.0

    def forward(self):
        from .replay import apply_fused, apply_prim, step_params

        env, ctxs, plan = self.env, self.ctxs, self.plan
        steps, releases = self.program.steps, plan.releases
        end = plan.backward if plan.backward is not None else len(steps)
        n = self.hi - self.lo
        for i in range(plan.first, end):
            step = steps[i]
            if isinstance(step, FusedStep):
                apply_fused(step, env)
            else:
                params = step_params(step, env)
                if i in plan.rewrites:
                    params = plan.rewrites[i](params, n)
                elif step.fn.name == "reshape" and params["shape"][0] == plan.batch:
                    params = dict(params, shape=(n,) + tuple(params["shape"][1:]))
                elif i in plan.shared and self.shared is not None:
                    params = dict(params, shared=self.shared)
                ctx = apply_prim(step, env, params)
                if step.records:
                    ctxs[i] = ctx
            for s in releases.get(i, ()):
                env[s] = None

    def backward(self):
        from .replay import run_schedule

        step = self.program.steps[self.plan.backward]
        g = xp.full(step.root_shape, self.weight, dtype=step.root_dtype)
        schedule = _part_schedule(step, self.plan, self.hi - self.lo)
        for slot, gi in run_schedule(schedule, self.ctxs, g, free=True):
            self.grads[slot] = gi


def _part_schedule(step: BackwardStep, plan: ShardPlan, n: int) -> BackwardStep:
    """The backward schedule with the batched targets' shapes cut to the part's ``n``."""
    if n == plan.batch:
        return step
    cache = step.__dict__.setdefault("_parts", {})
    found = cache.get(n)
    if found is None:
        from dataclasses import replace

        entries = []
        for entry in step.schedule:
            targets = tuple(replace(t, shape=plan.part_shape(t.slot, t.shape, n))
                            if t.slot in plan.batched else t for t in entry.targets)
            entries.append(replace(entry, targets=targets))
        found = cache[n] = replace(step, schedule=entries)
    return found


__all__ = ["ShardPlan", "shard_plan", "parts_of", "replay_sharded"]
