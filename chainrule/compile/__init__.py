"""``chainrule.compile(fn)``: trace a function of tensors once per input signature, replay it.

What it does (the design chosen, and why)
-----------------------------------------
**Trace.** The first call with a given input signature runs ``fn`` eagerly — the trace *is* an
eager run, so that call's results are eager's — while a tracer listens at the library's choke
points: ``Function.apply`` (every primitive), ``engine.backward`` and ``Optimizer.step`` /
``zero_grad``. Each primitive application becomes a step of a straight-line program whose inputs
are *slots*: an argument of the call, a captured tensor (a parameter or buffer, read by reference
at each replay because optimizers update them in place), a constant, an earlier step's output, or
a dropout mask (drawn fresh at each replay from chainrule's generator, in eager's order, so seeded
runs match). A backward is recorded with its schedule — the reverse topological order eager
computes, which vjp to call, where each gradient is summed, which leaves get ``.grad`` — derived
once. Optimizer calls are recorded as calls and replayed as they are (they already are
whole-array code on the parameters).

**Guards.** The cache key is the input signature: shape, dtype and requires_grad of each tensor
argument, other arguments by value, grad mode, the default dtype, and the training flag of every
module the function reaches (a Module passed in, the object of a bound method, closure cells and
globals its code names, and every module that runs during the trace). A new signature traces
again. The cache holds ``cache_size_limit``
signatures (8, torch._dynamo's default); beyond it, new signatures run eagerly with a warning,
as torch.compile does.

**Never silently baked in.** A tensor value read as Python data while tracing (``bool()`` in an
``if``, ``item()``, ``tolist()``, ``numpy()``, ``float()``, ``int()``, ``format``), an in-place
write outside the recorded primitives and calls, a random draw other than dropout's, a module
buffer changed in a way the trace cannot see, forward hooks, and the backward features this
version does not compile are each detected and reported with the file and line of the user's
code: with ``fullgraph=True`` as :class:`UntraceableError`, otherwise by a warning naming the
line, after which that signature runs eagerly.

**Passes** (:mod:`chainrule.compile.passes`): constant folding, dead-code removal, buffer
planning (each intermediate freed right after its last read; the eager graph keeps every
intermediate alive until backward), and runs of consecutive elementwise steps fused into one
step that writes a shared buffer. Not yet done: reusing buffers through ``out=`` outside those
runs, and numba kernels for fused runs (see :mod:`.passes` for why they were not kept). No pass
changes the arithmetic, so float64 replays equal eager (the tests check 1e-12 after 20 training
steps).

**Replay** (:mod:`chainrule.compile.replay`) calls each primitive's own ``forward`` and ``vjp``
on arrays, with no Tensor or graph bookkeeping: what remains of eager's cost is the primitives'
arithmetic. Outputs come back as Tensors; when the traced call ran a backward, they come back
detached (the graph was consumed, as after eager's backward). When the call did not run a
backward but its output requires grad (``torch.compile``'s usual case: a compiled model, with the
loss, ``backward()`` and the optimizer outside), the output gets a single graph node,
:class:`~chainrule.compile.replay.CompiledGraph`, whose vjp runs the traced backward schedule and
hands the gradients to the call's arguments and captured tensors; ``retain_graph``, the
in-place-modification check and the refusal of ``create_graph=True`` follow eager's rules.
Several such outputs (an RNN's output and its last state) get a node each, with the schedule
from its own root; the engine sums their contributions at the inputs.

**Not replayed** (as in any tracing compiler, and stated here so that it is never a surprise):
Python side effects of the function other than the ones above — appending to a list, counting
calls in a Python variable, setting ``p.grad = None`` by hand — happen only during the trace.
``model.zero_grad()`` and ``optimizer.zero_grad()`` are recorded and replayed.

**For learners**: ``compiled.plan()`` prints each signature's steps, its buffers (size, made,
last read, freed), what was folded, removed and fused, and the cache; ``compiled.graph()`` draws
the static graph; ``compiled.explain(input_shape)`` explains a compiled Module.

Example::

    >>> import chainrule as cr
    >>> model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 2))
    >>> opt = cr.optim.SGD(model.parameters(), lr=0.1)
    >>> loss_fn = cr.nn.CrossEntropyLoss()
    >>> @cr.compile
    ... def step(x, y):
    ...     opt.zero_grad()
    ...     loss = loss_fn(model(x), y)
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
"""
import sys as _sys
import types as _types

from .api import CompiledFunction
from .api import compile as _compile
from .trace import UntraceableError


class _CompileModule(_types.ModuleType):
    """The package, callable as ``chainrule.compile(fn, ...)`` (PyTorch's ``torch.compile``)."""

    def __call__(self, model=None, **options):
        return _compile(model, **options)

    __call__.__doc__ = _compile.__doc__


_sys.modules[__name__].__class__ = _CompileModule
compile = _compile  # noqa: A001

__all__ = ["compile", "CompiledFunction", "UntraceableError"]
