"""Passes over a traced :class:`~chainrule.compile.graph.Program`, each small and separate.

- :func:`fold_constants`: a primitive whose inputs are all constants (and that no backward needs)
  gives the same value at every replay, so its traced value becomes a constant and the step goes.
  Exact: the value is the one eager computed.
- :func:`remove_dead_code`: a primitive whose output nothing reads (no later step, no output, no
  backward) and that writes nowhere else is dropped. Exact. Mask draws are never dropped: the
  generator must advance as in eager, so that seeded runs stay equal.
- :func:`fuse_elementwise`: a run of consecutive elementwise primitives (add, subtract,
  multiply, divide, negative, exp, log, sqrt, abs, sin, cos, tanh, maximum, minimum), each
  reading the one before it, whose intermediates nothing else reads and that no backward needs,
  becomes one step that writes every result into one shared buffer (NumPy ``out=``): k steps
  allocate one array instead of k. The same ufunc loops run on the same values, so results are
  equal bit for bit. A numba kernel per chain (one pass instead of k) is not generated: tried,
  compiling a generated chain takes about 0.7 s per process (numba cannot cache code made at run
  time on disk), a NumPy error model cannot be chosen for @vectorize (x/0 would raise instead of
  giving inf), and its exp/tanh differ from NumPy's in the last bit.
- :func:`pool_before_relu`: ReLU followed by max pooling becomes max pooling followed by ReLU
  when nothing else reads the ReLU's output: max(relu(x₁), …, relu(x_k)) = relu(max(x₁, …, x_k))
  because ReLU is nondecreasing, and the gradient reaches the same element (the window's first
  maximum, when it is positive; nothing, when it is not). The ReLU then runs on the pooled array
  (a quarter of the elements for 2×2 windows), forward and backward. The values are equal (a
  −0.0 where eager has 0.0 is the only possible difference in bits).
- :func:`plan_buffers`: each intermediate is released right after its last read, so a replay
  holds only the arrays still needed (plus what the backward saved). Exact.

No pass changes the arithmetic that runs (pooling before the ReLU selects the same values), so a
replay's float64 results equal eager's bit for bit on the same machine and library (the tests ask
for 1e-12).
"""
from __future__ import annotations

from ..backend import xp
from .graph import BackwardStep, FusedStep, GradTarget, PrimStep, Program, RandomStep

# primitive name -> the NumPy ufunc its forward is (forward(ctx, x[, y]) returns ufunc(x[, y]))
ELEMENTWISE = {"add": xp.add, "subtract": xp.subtract, "multiply": xp.multiply,
               "divide": xp.true_divide, "negative": xp.negative, "exp": xp.exp,
               "log": xp.log, "sqrt": xp.sqrt, "abs": xp.absolute, "sin": xp.sin, "cos": xp.cos,
               "tanh": xp.tanh, "maximum": xp.maximum, "minimum": xp.minimum}


def _schedules(program: Program) -> list:
    found = [s for s in program.steps if isinstance(s, BackwardStep)]
    return found + list(program.graphs.values())


def _backward_steps(program: Program) -> set[int]:
    needed = set()
    for step in _schedules(program):
        needed.update(e.step for e in step.schedule if e.step is not None)
    return needed


def _output_slots(program: Program) -> set[int]:
    return {v for kind, v in program.outputs[1] if kind == "slot"}


def fold_constants(program: Program, traced_values: dict) -> Program:
    """Replace steps whose inputs are all constants by their traced value."""
    needed = _backward_steps(program)
    slots = program.slots
    for i, step in enumerate(program.steps):
        if not isinstance(step, PrimStep) or i in needed or step.effectful:
            continue
        if step.param_slots or not all(slots[s].kind == "const" for s in step.inputs):
            continue
        out = slots[step.out]
        out.kind, out.payload, out.produced_by = "const", traced_values[step.out], None
        program.steps[i] = None
        program.folded.append(f"{step.fn.name} → {out.label} {_shape(out.shape)} "
                              f"(from {step.where})")
    program.steps = [s for s in program.steps if s is not None]
    _renumber(program)
    return program


def remove_dead_code(program: Program) -> Program:
    """Drop primitive steps whose results nobody reads."""
    live = set(_output_slots(program))
    for step in program.steps:
        if isinstance(step, BackwardStep):
            live.add(step.root)
    needed = _backward_steps(program)
    keep = [True] * len(program.steps)
    for i in range(len(program.steps) - 1, -1, -1):
        step = program.steps[i]
        if not isinstance(step, PrimStep):
            continue
        if step.out in live or step.effectful or i in needed:
            live.update(step.inputs)
            live.update(s for _, s in step.param_slots)
        else:
            keep[i] = False
            program.slots[step.out].produced_by = None
            program.removed.append(f"{step.fn.name} → {program.slots[step.out].label} "
                                   f"{_shape(program.slots[step.out].shape)} (from {step.where})")
    program.steps = [s for s, k in zip(program.steps, keep) if k]
    _renumber(program)
    return program


def _fusible(program: Program, step) -> bool:
    if not isinstance(step, PrimStep) or step.records or step.effectful or step.param_slots \
            or step.params or ELEMENTWISE.get(step.fn.name) is None:
        return False
    out = program.slots[step.out]
    return out.dtype is not None and out.dtype.kind == "f"


def _readers(program: Program) -> dict[int, int]:
    """How many steps (and outputs) read each slot."""
    readers: dict[int, int] = {}
    for step in program.steps:
        if isinstance(step, PrimStep):
            for s in set(step.inputs) | {s for _, s in step.param_slots}:
                readers[s] = readers.get(s, 0) + 1
        elif isinstance(step, BackwardStep):
            readers[step.root] = readers.get(step.root, 0) + 1
    for s in _output_slots(program):
        readers[s] = readers.get(s, 0) + 1
    return readers


def _swappable(program: Program, relu, pool, readers) -> bool:
    if not (isinstance(relu, PrimStep) and isinstance(pool, PrimStep)
            and relu.fn.name == "relu" and pool.fn.name == "max_pool"):
        return False
    out = program.slots[relu.out]
    return (pool.inputs == (relu.out,) and readers.get(relu.out) == 1
            and not (relu.param_slots or pool.param_slots or relu.effectful or pool.effectful)
            and relu.records == pool.records and relu.grad_mode == pool.grad_mode
            and out.dtype is not None and out.dtype.kind == "f")


def pool_before_relu(program: Program) -> Program:
    """Swap each ReLU → max-pool pair into max-pool → ReLU (see the module's docstring)."""
    readers = _readers(program)
    steps = program.steps
    for i in range(len(steps) - 1):
        relu, pool = steps[i], steps[i + 1]
        if not _swappable(program, relu, pool, readers):
            continue
        middle = program.slots[relu.out]
        before = middle.shape
        middle.shape = program.slots[pool.out].shape
        # The steps keep their places and output slots, so the backward schedules' entries
        # (slot, step) stay right; only the middle slot's shape changes.
        steps[i] = PrimStep(pool.fn, relu.inputs, pool.params, (), relu.standins, relu.out,
                            relu.records, relu.grad_mode, pool.where)
        steps[i + 1] = PrimStep(relu.fn, (relu.out,), relu.params, (), pool.standins, pool.out,
                                pool.records, pool.grad_mode, relu.where)
        for schedule in _schedules(program):
            for entry in schedule.schedule:
                entry.targets = tuple(
                    GradTarget(t.position, t.slot, middle.shape, t.dtype)
                    if t.slot == relu.out else t for t in entry.targets)
        program.fused.append(f"relu → max_pool: pooled first, ReLU on {_shape(middle.shape)} "
                             f"instead of {_shape(before)} (from {relu.where})")
    return program


def fuse_elementwise(program: Program) -> Program:
    """Fuse runs of consecutive elementwise steps into one step with a shared buffer."""
    readers = _readers(program)
    steps, i = program.steps, 0
    fused_steps = []
    while i < len(steps):
        chain = [i]
        if _fusible(program, steps[i]):
            shape = program.slots[steps[i].out].shape
            while chain[-1] + 1 < len(steps):
                prev, nxt = steps[chain[-1]], steps[chain[-1] + 1]
                if not (_fusible(program, nxt) and readers.get(prev.out) == 1
                        and prev.out in nxt.inputs and nxt.inputs.count(prev.out) == 1
                        and program.slots[nxt.out].shape == shape
                        and program.slots[nxt.out].dtype == program.slots[prev.out].dtype):
                    break
                chain.append(chain[-1] + 1)
        if len(chain) == 1:
            fused_steps.append(steps[i])
            i += 1
            continue
        ops, previous_out = [], None
        for j in chain:
            step = steps[j]
            operands = tuple(-1 if s == previous_out else s for s in step.inputs)
            ops.append((ELEMENTWISE[step.fn.name], operands))
            previous_out = step.out
            if j != chain[-1]:
                program.slots[step.out].produced_by = None
        last = steps[chain[-1]]
        fused_steps.append(FusedStep(tuple(ops), last.out, last.grad_mode, last.where))
        names = " → ".join(steps[j].fn.name for j in chain)
        program.fused.append(f"{names}: one buffer {_shape(program.slots[last.out].shape)} "
                             f"instead of {len(chain)} (from {last.where})")
        i = chain[-1] + 1
    program.steps = fused_steps
    _renumber(program)
    return program


def plan_buffers(program: Program) -> Program:
    """Note each slot's last read; a replay frees intermediates right after it."""
    last: dict[int, int] = {}
    for i, step in enumerate(program.steps):
        if isinstance(step, PrimStep):
            for s in step.inputs:
                last[s] = i
            for _, s in step.param_slots:
                last[s] = i
        elif isinstance(step, FusedStep):
            for _, operands in step.ops:
                for s in operands:
                    if s >= 0:
                        last[s] = i
    outputs = _output_slots(program)
    releases: dict[int, list[int]] = {}
    for s, i in last.items():
        if program.slots[s].kind in ("node", "random") and s not in outputs:
            releases.setdefault(i, []).append(s)
    # a value that nothing reads is released right after the step that made it
    for i, step in enumerate(program.steps):
        if isinstance(step, (PrimStep, RandomStep, FusedStep)) and step.out not in last \
                and step.out not in outputs:
            releases.setdefault(i, []).append(step.out)
            last[step.out] = i
    program.last_use = last
    program.releases = {i: tuple(v) for i, v in releases.items()}
    return program


def _renumber(program: Program) -> None:
    """After steps were removed: the step index that produces each slot, and the backward's."""
    old_to_new = {}
    for new, step in enumerate(program.steps):
        if isinstance(step, (PrimStep, RandomStep, FusedStep)):
            old = program.slots[step.out].produced_by
            old_to_new[old] = new
    for new, step in enumerate(program.steps):
        if isinstance(step, (PrimStep, RandomStep, FusedStep)):
            program.slots[step.out].produced_by = new
    for step in _schedules(program):
        for e in step.schedule:
            if e.step is not None:
                e.step = old_to_new[e.step]


def _shape(shape) -> str:
    if shape is None:
        return ""
    return "(" + "×".join(str(s) for s in shape) + ")" if shape else "scalar"
