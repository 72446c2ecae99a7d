"""``chainrule.compile``: the public function, its guards and its cache."""
from __future__ import annotations

import warnings
from collections import OrderedDict

from .. import backend
from ..autograd import function as _function
from ..autograd.grad_mode import _GradMode
from ..tensor import Tensor
from . import passes
from .graph import BackwardStep, Program
from .replay import prepare, replay
from .trace import Tracer, UntraceableError, flatten

_BACKENDS = ("inductor", "eager", "aot_eager", "chainrule")
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


class _Eager:
    """A cache entry for a signature that runs eagerly, and why."""

    def __init__(self, reason: str):
        self.reason = reason


def _discover(fn) -> tuple[list, list]:
    """The Modules and Optimizers a function can reach: itself, the object of a bound method,
    its closure cells, its defaults and the globals its code names (nested code included), the
    same for the functions found there (three levels deep), and a scheduler's optimizer.
    (Modules reached otherwise are added while tracing, when they run.)"""
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer

    found, seen = [], set()

    def add(obj, depth):
        if id(obj) in seen or obj is None:
            return
        seen.add(id(obj))
        if isinstance(obj, (Module, Optimizer)):
            found.append(obj)
            if isinstance(obj, Module):
                visit(type(obj).forward, depth - 1)
            return
        if isinstance(getattr(obj, "optimizer", None), Optimizer):   # a scheduler
            add(obj.optimizer, depth)
        if depth > 0 and callable(obj):
            visit(obj, depth - 1)

    def visit(func, depth):
        add(getattr(func, "__self__", None), depth)
        func = getattr(func, "__func__", func)
        for cell in getattr(func, "__closure__", None) or ():
            try:
                add(cell.cell_contents, depth)
            except ValueError:
                pass
        for value in getattr(func, "__defaults__", None) or ():
            add(value, depth)
        code = getattr(func, "__code__", None)
        if code is not None:
            names, stack = set(), [code]
            while stack:
                c = stack.pop()
                names.update(c.co_names)
                stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
            g = getattr(func, "__globals__", {})
            for name in sorted(names):
                value = g.get(name)
                if not isinstance(value, type) and not hasattr(value, "__path__"):
                    add(value, depth)

    add(fn, 4)
    modules, optimizers, mseen = [], [], set()
    for obj in found:
        if isinstance(obj, Module):
            for m in obj.modules():
                if id(m) not in mseen:
                    mseen.add(id(m))
                    modules.append(m)
        else:
            optimizers.append(obj)
    return modules, optimizers


def _key_of(value):
    if isinstance(value, Tensor):
        data = value._data
        dtype = data.dtype if type(data) is backend.ndarray else backend.numpy_dtype(data.dtype)
        return ("T", data.shape, dtype.str, value.requires_grad)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_key_of(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return ("V", type(value).__name__, value)


class CompiledFunction:
    """A function traced once per input signature and replayed (see :func:`compile`)."""

    def __init__(self, fn, fullgraph: bool, cache_size_limit: int,
                 data_parallel: str = "threads"):
        self.fn = fn
        self.data_parallel = data_parallel
        self.fullgraph = fullgraph
        self.cache_size_limit = cache_size_limit
        self.cache: OrderedDict = OrderedDict()
        self.modules, self.optimizers = _discover(fn)
        self._warned_full = False
        self.__wrapped__ = self._orig_mod = fn
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    # ------------------------------------------------------------------ calling
    def signature(self, args, kwargs) -> tuple:
        """The guard: shapes, dtypes and requires_grad of tensor arguments, other arguments by
        value, grad mode, the default dtype and the training flags of the modules involved."""
        return self._signature(args, kwargs)[0]

    def _signature(self, args, kwargs) -> tuple[tuple, list]:
        """(the cache key, the flat tensor arguments)."""
        if kwargs or any(type(a) in (list, tuple, dict) for a in args):
            spec, leaves = flatten((args, kwargs))
            structure = repr(spec)
        else:
            structure, leaves = len(args), args
        return ((structure, tuple(_key_of(v) for v in leaves), _GradMode.enabled,
                 backend.get_default_dtype().str, tuple(m.training for m in self.modules)),
                [v for v in leaves if isinstance(v, Tensor)])

    def __getattr__(self, name: str):
        # a compiled Module still answers as the Module (parameters(), train(), state_dict()),
        # as torch.compile's OptimizedModule does
        fn = self.__dict__.get("fn")
        if fn is None:
            raise AttributeError(name)
        return getattr(fn, name)

    def __call__(self, *args, **kwargs):
        if _function.tracer is not None:
            # called inside a function being traced: inlined, so that the outer trace records
            # its primitives (a replay would be invisible to it)
            return self.fn(*args, **kwargs)
        key, tensors = self._signature(args, kwargs)
        entry = self.cache.get(key)
        if entry is not None:
            self.cache.move_to_end(key)
            if isinstance(entry, _Eager):
                return self.fn(*args, **kwargs)
            return replay(entry, tensors)
        if len(self.cache) >= self.cache_size_limit:
            if not self._warned_full:
                self._warned_full = True
                warnings.warn(
                    f"chainrule.compile({self.__name__}): cache_size_limit "
                    f"({self.cache_size_limit}) reached: {len(self.cache)} input signatures are "
                    "compiled already, so calls with a new signature run eagerly (as "
                    "torch.compile does). Raise cache_size_limit, call .reset(), or keep shapes "
                    "fixed (pad the last batch or drop it).", stacklevel=2)
            return self.fn(*args, **kwargs)
        return self._trace(key, args, kwargs)

    def _trace(self, key, args, kwargs):
        _, leaves = flatten((args, kwargs))
        known = [t for m in self.modules for t in list(m._parameters.values())
                 + list(m._buffers.values()) if t is not None]
        tracer = Tracer(self.fullgraph, self.modules, known, self.optimizers)
        for i, t in enumerate(v for v in leaves if isinstance(v, Tensor)):
            tracer.add_argument(i, t)
        result = tracer.run(self.fn, args, kwargs)
        if len(tracer.modules) > len(self.modules):
            # modules the call ran that discovery did not find (reached through an attribute):
            # their training flags join the guard, so the key is computed again and the
            # entries keyed without them are dropped
            self.modules = list(tracer.modules)
            self._end_workers()
            self.cache.clear()
            key = self.signature(args, kwargs)
        counters = []
        program = None
        try:
            counters = tracer.check_side_effects()
            program = tracer.program(result)
        except UntraceableError as exc:
            tracer.report(exc)
        if program is not None and not tracer.problems:
            has_backward = any(isinstance(s, BackwardStep) for s in program.steps)
            needs_graph = [v for v in flatten(result)[1]
                           if isinstance(v, Tensor) and v.requires_grad and v._node is not None]
            if needs_graph and not has_backward:
                try:
                    for t in needs_graph:
                        g = tracer.graph_schedule(t)
                        if program.slots[g.root].kind == "node":
                            program.graphs[g.root] = g
                except UntraceableError as exc:
                    tracer.report(exc)
                    self.cache[key] = _Eager(exc.reason)
                    return result
            program.detached_outputs = has_backward
            program.steps.extend(counters)
            passes.fold_constants(program, tracer.traced_values)
            passes.remove_dead_code(program)
            passes.pool_before_relu(program)
            passes.fuse_elementwise(program)
            passes.plan_buffers(program)
            program.data_parallel = self.data_parallel
            self.cache[key] = prepare(program)
            return result
        first = tracer.problems[0]
        message = (f"chainrule.compile({self.__name__}): this call cannot be compiled and runs "
                   f"eagerly: {first.reason} (at {first.where})")
        if len(tracer.problems) > 1:
            message += f"; and {len(tracer.problems) - 1} more such place(s)"
        warnings.warn(message, stacklevel=3)
        self.cache[key] = _Eager(f"{first.reason} (at {first.where})")
        return result

    # ------------------------------------------------------------------ for learners
    def reset(self) -> None:
        """Forget every compiled signature (the next call traces again) and end their worker
        processes (a split over processes)."""
        self._end_workers()
        self.cache.clear()
        self._warned_full = False

    def _end_workers(self) -> None:
        # (a program and its worker refer to each other: without this the worker would wait
        # for the garbage collector)
        for entry in self.cache.values():
            worker = getattr(entry, "worker", None)
            if worker is not None:
                worker.close()
                entry.worker = None

    def plan(self, file=None) -> str:
        """The compiled programs, for learners: each step, each buffer's size and lifetime, what
        was folded, removed and fused, and the cache's entries. Printed and returned."""
        from .explain import plan_text

        text = plan_text(self)
        if file is not False:
            print(text, file=file)
        return text

    def graph(self, signature: int = -1):
        """The static graph of one compiled signature (default: the latest) as a
        :class:`chainrule.explain.Graph` (DOT source; ``save_svg``/``save_png`` with Graphviz)."""
        from .explain import static_graph

        return static_graph(self, self.program(signature))

    def explain(self, input_shape, **options):
        """The model as mathematics (:func:`chainrule.explain`) for a compiled Module."""
        from ..explain import explain as _explain
        from ..nn.module import Module

        if not isinstance(self.fn, Module):
            raise TypeError("compiled.explain(input_shape): explain() describes a Module; this "
                            f"compiled function wraps {type(self.fn).__name__}. Use "
                            "compiled.plan() or compiled.graph() for its static graph")
        return _explain(self.fn, input_shape, **options)

    def program(self, signature: int = -1) -> Program:
        programs = [e for e in self.cache.values() if isinstance(e, Program)]
        if not programs:
            raise RuntimeError(f"chainrule.compile({self.__name__}): nothing compiled yet; call "
                               "the compiled function once first (tracing happens on a call)")
        return programs[signature]

    def __repr__(self) -> str:
        return (f"CompiledFunction({self.__name__}, {len(self.cache)} signature(s), "
                f"fullgraph={self.fullgraph})")


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, disable: bool = False, cache_size_limit: int = 8):
    """Trace ``model`` (a function of tensors, or a Module: its forward) once per input
    signature into a static graph of primitives and replay it (PyTorch's ``torch.compile``).

    See :mod:`chainrule.compile` for what happens. PyTorch's keywords: ``fullgraph=True``
    raises :class:`UntraceableError` where the function cannot be compiled (otherwise it warns,
    naming the line, and runs that signature eagerly); ``dynamic=None``/``False`` (shapes are
    specialised: a new shape traces again; ``True`` raises, symbolic shapes are not supported);
    ``backend`` and ``mode`` are accepted and change nothing (chainrule has one backend, its
    replay); ``disable=True`` returns ``model`` itself. ``options`` holds chainrule's one
    backend option: ``{"data_parallel": "threads"}`` (the default: a training step split over
    its batch runs its parts on threads) or ``"processes"`` (the second part runs in a forked
    worker process, which has its own GIL: Linux; see ``chainrule/compile/processes.py``).
    ``cache_size_limit`` (torch._dynamo.config's name, default 8) bounds the signatures kept.

    Used as ``@chainrule.compile`` or ``@chainrule.compile(fullgraph=True)`` too.
    """
    if dynamic:
        raise NotImplementedError("chainrule.compile(dynamic=True): symbolic shapes are not "
                                  "supported; every new input shape is traced again "
                                  "(dynamic=None or False)")
    if isinstance(backend, str):
        if backend not in _BACKENDS:
            raise ValueError(f"chainrule.compile(backend={backend!r}): chainrule has one backend "
                             f"(its replay of the traced graph); accepted names: {_BACKENDS}")
    else:
        raise TypeError("chainrule.compile(backend=...): custom backend callables are not "
                        "supported; chainrule replays its own static graph")
    if mode not in _MODES:
        raise ValueError(f"chainrule.compile(mode={mode!r}): expected one of {_MODES}")
    options = dict(options or {})
    data_parallel = options.pop("data_parallel", "threads")
    if options:
        raise ValueError(f"chainrule.compile(options=...): unknown option(s) {sorted(options)}; "
                         "the one backend option is 'data_parallel'")
    if data_parallel not in ("threads", "processes"):
        raise ValueError(f"chainrule.compile(options={{'data_parallel': {data_parallel!r}}}): "
                         "expected 'threads' or 'processes'")
    if cache_size_limit < 1:
        raise ValueError(f"chainrule.compile: cache_size_limit must be ≥ 1, got "
                         f"{cache_size_limit}")

    def wrap(fn):
        if disable:
            return fn
        if not callable(fn):
            raise TypeError(f"chainrule.compile: expected a function or a Module, got "
                            f"{type(fn).__name__}")
        return CompiledFunction(fn, fullgraph, cache_size_limit, data_parallel)

    return wrap if model is None else wrap(model)
