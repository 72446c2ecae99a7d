"""The static graph that a trace produces: value slots and the steps that fill them.

A compiled function is a straight-line program over numbered *slots*. Each slot holds one value
while the program runs:

=========  ==================================================================================
kind       what the slot holds at replay
=========  ==================================================================================
``arg``    the array of a tensor argument of the call (a new one each call)
``ref``    the array of a tensor the function captured (a parameter, a buffer): read from the
           Tensor object at replay, because optimizers update parameters in place
``const``  a value made inside the function that does not depend on its arguments (a Python
           number, an index array, the result of a folded step)
``node``   the output of a recorded primitive
``random`` a dropout mask, drawn fresh at each replay from chainrule's generator
=========  ==================================================================================

The steps run in the order they were recorded: primitive applications (:class:`PrimStep`), mask
draws (:class:`RandomStep`), backward passes (:class:`BackwardStep`, with their schedule derived
once), calls replayed as they are (:class:`CallStep`: ``optimizer.zero_grad()`` and
``optimizer.step()``) and counters of modules (:class:`CounterStep`: BatchNorm's
``num_batches_tracked``).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Slot:
    """One value of the program."""

    index: int
    kind: str                       # arg, ref, const, node, random
    shape: tuple | None = None
    dtype: object = None
    label: str = ""
    payload: object = None          # arg: flat position; ref: the Tensor; const: the value
    produced_by: int | None = None  # the index of the step that writes it (node, random)

    @property
    def nbytes(self) -> int:
        if self.shape is None or self.dtype is None:
            return 0
        size = 1
        for s in self.shape:
            size *= s
        return size * self.dtype.itemsize


@dataclass
class PrimStep:
    """One application of a primitive: ``out = fn.forward(ctx, *inputs, **params)``."""

    fn: type
    inputs: tuple[int, ...]          # a slot per positional argument
    params: dict                    # keyword parameters that are fixed
    param_slots: tuple[tuple[str, int], ...]  # keyword parameters that are arrays (by slot)
    standins: tuple                 # what ctx.inputs looks like (requires_grad flags)
    out: int
    records: bool                   # whether eager recorded a node (its ctx is kept for vjp)
    grad_mode: bool
    where: str = ""
    effectful: bool = False         # writes into an array parameter (BatchNorm's running stats)
    kind: str = "prim"


@dataclass
class FusedStep:
    """A chain of elementwise ufuncs writing into one buffer: ``ops`` is ((ufunc, operand
    slots), ...), where slot −1 is the chain's value so far; the first op allocates the buffer."""

    ops: tuple
    out: int
    grad_mode: bool
    where: str = ""
    kind: str = "fused"


@dataclass
class RandomStep:
    """A dropout mask m/(1 − p) of ``shape``, drawn as eager draws it."""

    shape: tuple
    p: float
    dtype: object
    out: int
    where: str = ""
    kind: str = "random"
    order: tuple | None = None      # the memory order it is drawn in (dropout.mask_order)


@dataclass
class GradTarget:
    """Where an input's gradient goes: input ``position`` of a step, summed into ``slot``."""

    position: int
    slot: int
    shape: tuple
    dtype: object


@dataclass
class BackwardEntry:
    """One tensor of the backward's reverse topological order."""

    slot: int
    step: int | None                 # the step whose vjp runs (None: a leaf)
    targets: tuple[GradTarget, ...] = ()
    leaf: int | None = None          # a leaf: the slot whose tensor receives .grad


@dataclass
class BackwardStep:
    """``root.backward()``: the schedule (reverse topological order) derived once at trace."""

    root: int
    root_shape: tuple
    root_dtype: object
    schedule: list[BackwardEntry] = field(default_factory=list)
    where: str = ""
    kind: str = "backward"


@dataclass
class CallStep:
    """A method call replayed as it is (``optimizer.step()``): whole-array code already."""

    obj: object
    method: str
    argument: object
    where: str = ""
    kind: str = "call"


@dataclass
class CounterStep:
    """An integer buffer of a module that the traced call increased by ``delta``."""

    tensor: object
    delta: object
    label: str = ""
    kind: str = "counter"


@dataclass
class Program:
    """A traced function: slots, steps, outputs, and what the passes did (for ``plan()``)."""

    slots: list[Slot]
    steps: list
    outputs: object                 # the output structure, slots where tensors were
    arg_positions: list[int]        # the arg slot of each flat tensor argument
    folded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    fused: list[str] = field(default_factory=list)
    releases: dict = field(default_factory=dict)     # step index -> slots freed after it
    last_use: dict = field(default_factory=dict)     # slot -> step index of its last read
    detached_outputs: bool = False
    graphs: dict = field(default_factory=dict)   # output slot -> BackwardStep: the backward
                                                 # of an output the caller backpropagates
    shard: object = None            # a shard.ShardPlan: the replay may split the batch
    unsplit_reason: str = ""        # why not, when it may not
    data_parallel: str = "threads"  # the parts on threads, or the second in a worker process
    worker: object = None           # that worker (processes.Worker), started at the first call
