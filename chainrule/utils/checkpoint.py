"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): trade compute for memory.

``y = checkpoint(f, x, use_reentrant=False)`` runs ``f`` but keeps none of the values its
operations saved for their derivatives; the graph gets a single node for the whole call, which
holds only ``f``'s inputs. When backward reaches that node it runs ``f`` again on the same inputs
(with the random state of the first run, so dropout draws the same masks), backpropagates the
incoming gradient through the recomputed graph, and hands the inputs' gradients on:

    forward:   y = f(x)               memory: x (and y), not f's intermediates
    backward:  ∂L/∂x = (∂f/∂x)ᵀ g     g = ∂L/∂y, computed on a recomputed graph of f at x

The gradients are exactly those without checkpointing (the same operations on the same values);
the price is one more forward of ``f``. ``checkpoint_sequential(model, segments, x)`` cuts a
chain of layers into segments and checkpoints all but the last, so a chain of n layers keeps
about ``segments`` activations instead of n.

Two variants, as in PyTorch, chosen by ``use_reentrant``:

- ``use_reentrant=False`` (recommended): ``f`` runs with recording on and is then cut from the
  graph; the node's inputs are ``f``'s tensor arguments *and* every tensor from outside that
  ``f`` used (its parameters, captured tensors), so they get gradients even when no argument
  requires grad. Keyword arguments, ``autograd.grad``, ``backward(inputs=…)`` and higher
  derivatives (``create_graph=True``) work; ``determinism_check='default'`` checks that the
  recomputation gives outputs of the same shapes and dtypes.
- ``use_reentrant=True`` (PyTorch's default when the argument is left out, with a warning):
  ``f`` runs under ``no_grad``; the node's inputs are the tensor arguments only, and the backward
  of the recomputed graph accumulates into the ``.grad`` of the leaves ``f`` used. So, as in
  PyTorch: no gradient flows unless an argument requires grad (a warning says so), keyword
  arguments raise, ``autograd.grad``/``backward(inputs=…)`` raise, and ``create_graph=True``
  gives gradients that are not themselves differentiable.

``context_fn`` (non-reentrant only) returns two context managers, entered around the forward
and around the recomputation. ``debug`` and ``early_stop`` are accepted (chainrule's
recomputation always runs the whole function; there is no extra debug trace).
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

from .. import random as _random
from ..autograd import engine
from ..autograd import hooks as _hooks
from ..autograd.grad_mode import _GradMode
from ..autograd.versions import saved_versions, sequence
from ..backend import dtype_kind
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]

_DETERMINISM_MODES = ("default", "none")


class CheckpointError(RuntimeError):
    """The recomputation in backward did not reproduce the forward (PyTorch's name)."""


def noop_context_fn():
    """The default ``context_fn``: two context managers that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               context_fn: Callable = noop_context_fn, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, early_stop: bool = True,
               **kwargs):
    """``function(*args, **kwargs)``, keeping only its inputs for backward, which recomputes it
    (see the module docstring for the two variants; PyTorch's signature and errors)."""
    if use_reentrant is None:
        warnings.warn(
            "chainrule.utils.checkpoint: pass use_reentrant explicitly. Left out, it means "
            "use_reentrant=True, the reentrant variant (as in PyTorch 2.13, which warns too and "
            "plans to require the argument); use_reentrant=False is the recommended one.",
            UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs)
                             + " (checkpoint with use_reentrant=True passes positional "
                             "arguments only; use use_reentrant=False for keyword arguments)")
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("checkpoint: context_fn and debug are only supported with "
                             "use_reentrant=False")
        return _reentrant(function, preserve_rng_state, args)
    if determinism_check not in _DETERMINISM_MODES:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_MODES)}, but "
                         f"got {determinism_check}")
    return _non_reentrant(function, preserve_rng_state, context_fn, determinism_check, args,
                          kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,  # noqa: A002
                          **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of callables) one after another on
    ``input``, cut into ``segments`` equal runs of len(functions) // segments; every run but the
    last is checkpointed, so only the runs' inputs are kept. Options as :func:`checkpoint`'s
    (``preserve_rng_state``; ``use_reentrant``, which warns when left out)."""
    if use_reentrant is None:
        warnings.warn(
            "chainrule.utils.checkpoint.checkpoint_sequential: pass use_reentrant explicitly. "
            "Left out, it means use_reentrant=True (as in PyTorch 2.13, which warns too); "
            "use_reentrant=False is the recommended variant.", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn.containers import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    count = len(functions)
    if segments <= 0 or count // segments == 0:
        raise ValueError(f"checkpoint_sequential: cannot cut {count} functions into "
                         f"{segments} segments; segments must be between 1 and {count}")
    size = count // segments

    def run(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,  # noqa: A001
                           preserve_rng_state=preserve)
    return run(end + 1, count - 1)(input)


# ----------------------------------------------------------------------------- the graph node
class _CheckpointBackward:
    """The engine's view of a checkpointed call: ``vjp`` recomputes and backpropagates."""

    name = "CheckpointBackward"
    twice_differentiable = True
    is_view = False

    def vjp(self, node: "_OutputNode", g):
        call = node.call
        create_graph = isinstance(g, Tensor)
        if call.reentrant and _outer_backward_has_inputs():
            raise RuntimeError(
                "checkpoint with use_reentrant=True cannot be used with autograd.grad() or "
                "backward(inputs=...): its backward accumulates into .grad. Use "
                "use_reentrant=False, or call .backward() without inputs.")
        with _forward_random_state(call):
            if call.reentrant:
                return _reentrant_grads(call, node.index, g, create_graph)
            return _non_reentrant_grads(node, g, create_graph)


_BACKWARD = _CheckpointBackward()


class _Call:
    """What the nodes of one checkpointed call share: the function, its arguments, the random
    state it started with, and its outputs' shapes and dtypes."""

    def __init__(self, function, args, kwargs, reentrant, preserve_rng_state):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.reentrant = reentrant
        self.rng_state = _random.get_rng_state() if preserve_rng_state else None
        self.recompute_context = None
        self.determinism_check = "none"
        self.metadata = None


class _OutputNode:
    """The node of one output (the engine visits each output's node on its own; the backward is
    linear in the output gradients, so one recomputation per used output is exact)."""

    __slots__ = ("fn", "inputs", "saved", "freed", "versions", "call", "index", "seq")

    def __init__(self, call: _Call, inputs: tuple, index: int):
        sequence[0] += 1
        self.seq = sequence[0]
        self.fn = _BACKWARD
        self.inputs = inputs
        # the arguments' arrays: the version counters catch an argument changed in place
        # between forward and backward, whose recomputation would be wrong
        self.saved = tuple(a._data for a in call.args if isinstance(a, Tensor))
        self.versions = saved_versions(self.saved)
        self.freed = False
        self.call = call
        self.index = index

    def lift_saved(self, output) -> tuple:
        return ()


# --------------------------------------------------------------------------- the two variants
def _reentrant(function, preserve_rng_state, args):
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      UserWarning, stacklevel=3)
    call = _Call(function, args, {}, True, preserve_rng_state)
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        outputs = function(*args)
    finally:
        _GradMode.enabled = previous
    if not previous or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        return outputs
    single = not isinstance(outputs, tuple)
    flat = (outputs,) if single else outputs
    inputs = tuple(args)
    linked = tuple(Tensor._from_op(o._data, _OutputNode(call, inputs, i))
                   if isinstance(o, Tensor) and dtype_kind(o._data.dtype) in "fc" else o
                   for i, o in enumerate(flat))
    return linked[0] if single else linked


def _reentrant_grads(call: _Call, index: int, g, create_graph: bool):
    detached = []
    for a in call.args:
        if isinstance(a, Tensor):
            d = Tensor._from_op(a._data, None)
            d.requires_grad = a.requires_grad
            detached.append(d)
        else:
            detached.append(a)
    previous = _GradMode.enabled
    _GradMode.enabled = True
    try:
        outputs = call.function(*detached)
    finally:
        _GradMode.enabled = previous
    flat = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    if not any(isinstance(o, Tensor) and o.requires_grad for o in flat):
        raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                           "necessary")
    out = flat[index]
    if isinstance(out, Tensor) and out.requires_grad:
        # as PyTorch's reentrant backward: an ordinary backward, without create_graph, that
        # accumulates into the leaves' .grad (the stand-ins of the arguments among them)
        engine.backward([out], [g._data if create_graph else g], False, False)
    grads = []
    for d in detached:
        gd = d.grad if isinstance(d, Tensor) else None
        if gd is None:
            grads.append(None)
        else:
            grads.append(Tensor._from_op(gd._data, None) if create_graph else gd._data)
    return tuple(grads)


def _non_reentrant(function, preserve_rng_state, context_fn, determinism_check, args, kwargs):
    call = _Call(function, args, kwargs, False, preserve_rng_state)
    forward_context, call.recompute_context = context_fn()
    call.determinism_check = determinism_check
    start = sequence[0]
    with forward_context:
        outputs = function(*args, **kwargs)
    flat = _flatten(outputs)
    call.metadata = [_meta(o) for o in flat]
    if not _GradMode.enabled:
        return outputs
    made = [o for o in flat if isinstance(o, Tensor) and o.requires_grad and _made_since(o, start)]
    if not made:
        return outputs
    inputs = tuple(_outside_tensors(made, args, start))
    linked = {}
    for i, o in enumerate(flat):
        if isinstance(o, Tensor) and o.requires_grad and _made_since(o, start):
            # the output keeps its values but forgets the graph of f (and what it saved)
            linked[id(o)] = Tensor._from_op(o._data, _OutputNode(call, inputs, i))
    return _rebuild(outputs, linked)


def _non_reentrant_grads(node: _OutputNode, g, create_graph: bool):
    call, index, inputs = node.call, node.index, node.inputs
    # The recomputed graph ends at the node's inputs: those that have a node of their own get a
    # dead-end one for the inner backward (which would otherwise run on into, and free, the
    # graph before them), and their hooks wait for the outer backward, which runs them once.
    swapped, hidden = [], []
    try:
        for t in inputs:
            if t._node is not None:
                swapped.append((t, t._node))
                t._node = _DeadEnd()
            entries = _hooks._hooks.pop(id(t), None)
            if entries is not None:
                hidden.append((id(t), entries))
        previous = _GradMode.enabled
        _GradMode.enabled = True
        try:
            with call.recompute_context:
                outputs = call.function(*call.args, **call.kwargs)
        finally:
            _GradMode.enabled = previous
        flat = _flatten(outputs)
        if call.determinism_check == "default":
            _check_same(call, flat)
        out = flat[index]
        if not (isinstance(out, Tensor) and out.requires_grad):
            return (None,) * len(inputs)
        wanted = [t for t in inputs if t.requires_grad]
        results = engine.backward([out], [g], create_graph, create_graph, wanted)
    finally:
        for t, original in swapped:
            t._node = original
        for key, entries in hidden:
            _hooks._hooks[key] = entries
    by_id = {id(t): r for t, r in zip(wanted, results)}
    grads = []
    for t in inputs:
        r = by_id.get(id(t))
        grads.append(None if r is None else (r if create_graph else r._data))
    return tuple(grads)


class _DeadEnd:
    """A stand-in node with no inputs: the inner backward stops at the tensor that has it."""

    fn = None
    saved = ()
    versions = None
    seq = 0

    def __init__(self):
        self.inputs = ()
        self.freed = False

    def lift_saved(self, output) -> tuple:
        return ()


class _Stop:
    name = "CheckpointInput"
    twice_differentiable = True
    is_view = False

    @staticmethod
    def vjp(node, g):
        return ()


_DeadEnd.fn = _Stop()


# ------------------------------------------------------------------------------------- helpers
def _outer_backward_has_inputs() -> bool:
    """Whether the backward pass running this node was asked for given inputs only
    (``autograd.grad`` or ``backward(inputs=…)``), which the reentrant variant refuses."""
    return bool(engine.passes_for_inputs) and engine.passes_for_inputs[-1]


@contextlib.contextmanager
def _forward_random_state(call: _Call):
    """Run the recomputation with the random state of the forward, restoring the current one."""
    if call.rng_state is None:
        yield
        return
    current = _random.get_rng_state()
    _random.set_rng_state(call.rng_state)
    try:
        yield
    finally:
        _random.set_rng_state(current)


def _made_since(t: Tensor, start: int) -> bool:
    node = t._node
    return node is not None and getattr(node, "seq", 0) > start


def _outside_tensors(made, args, start: int) -> list:
    """The tensors from before the call that the outputs depend on (requiring grad), in a
    deterministic order: the arguments first, then what the function used from elsewhere."""
    found: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = list(reversed(made))
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if not _made_since(t, start):
            found[id(t)] = t
            continue
        for inp in reversed(t._node.inputs):
            if isinstance(inp, Tensor) and inp.requires_grad and id(inp) not in seen:
                stack.append(inp)
    ordered = [a for a in args if isinstance(a, Tensor) and id(a) in found]
    ids = {id(a) for a in ordered}
    ordered += [t for key, t in found.items() if key not in ids]
    return ordered


def _flatten(value) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _flatten(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _flatten(v)]
    return [value]


def _rebuild(value, linked: dict):
    if isinstance(value, Tensor):
        return linked.get(id(value), value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):        # a namedtuple
        return type(value)(*(_rebuild(v, linked) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_rebuild(v, linked) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _rebuild(v, linked)) for k, v in value.items())
    return value


def _meta(value):
    if isinstance(value, Tensor):
        return tuple(value.shape), value._data.dtype
    return None


def _check_same(call: _Call, flat) -> None:
    now = [_meta(o) for o in flat]
    if now != call.metadata:
        raise CheckpointError(
            "chainrule.utils.checkpoint: the recomputation in backward gave outputs of other "
            f"shapes or dtypes than the forward did (forward: {call.metadata}, recomputed: "
            f"{now}); the checkpointed function must compute the same thing when run again "
            "(pass determinism_check='none' to skip this check)")
