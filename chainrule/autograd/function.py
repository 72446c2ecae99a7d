"""The primitive: a forward on arrays, its vector-Jacobian product, and its mathematics as data.

A primitive subclasses :class:`Function` and defines

- ``forward(ctx, *arrays, **params)`` on backend arrays, saving what the derivative needs with
  ``ctx.save(...)`` (only its inputs or its output, so that the rule can be re-run on Tensors) and
  any non-array facts (axes, shapes) as attributes of ``ctx``;
- ``vjp(ctx, g)``: given g = ∂L/∂out, the gradient ∂L/∂input for each input (``None`` where an
  input is not differentiable), written with operators, shared array methods and the functions of
  ``namespace(g)`` so the same rule runs on arrays (fast first-order backward) or on Tensors
  (``create_graph=True``: a differentiable backward, hence higher derivatives);
- its mathematics: ``name``, ``text`` and ``latex`` (forward, derivative), ``explanation`` and the
  ``domain`` its tests draw inputs from;
- ``complex_grad``: what its vjp does with complex values (PyTorch's convention): ``None``
  (refused: recording it on a complex input or result raises), ``"real_linear"``,
  ``"holomorphic"`` (the engine conjugates around the real rule) or ``"explicit"``; see
  chainrule/autograd/complex.py.

Broadcasting is never undone here: the engine reduces every gradient to its input's shape.
"""
from __future__ import annotations

from .. import layouts as _layouts
from ..backend import is_foreign_array, ndarray, xp
from ..mathematics import Formula
from ..tensor import Tensor
from . import complex as _complex
from . import registry
from .grad_mode import _GradMode
from .versions import _versions, saved_versions, sequence


class Node:
    """One recorded application of a primitive: its inputs and what its forward saved.

    It is also the ``ctx`` that forward and vjp receive. After a backward without
    ``retain_graph=True`` the saved arrays and the links to the inputs are dropped, so the memory
    of the forward pass is given back at once.
    """

    consumable = False
    """Set while a vjp runs whose node is dropped right after (a backward without
    ``retain_graph``): the vjp may then overwrite its own saved buffers with its results (the
    LSTM writes δa over the gates' slopes) instead of allocating new ones."""

    def __init__(self):
        self.saved = ()
        self.freed = False
        self.versions = None

    def save(self, *values) -> None:
        """Keep ``values`` (the forward's inputs or output) for the derivative."""
        self.saved = values

    def needs(self, i: int) -> bool:
        """Whether input ``i`` is a tensor that requires grad (usable during forward)."""
        a = self.inputs[i]
        return isinstance(a, Tensor) and a.requires_grad

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        return tuple(isinstance(a, Tensor) and a.requires_grad for a in self.inputs)

    def lift_saved(self, output) -> tuple:
        """The saved values as Tensors connected to the graph, for a differentiable backward.

        A saved array that *is* an input's or the output's array becomes that Tensor; any other
        array (a mask, an index) becomes a constant.
        """
        lifted = []
        for value in self.saved:
            if isinstance(value, ndarray) or is_foreign_array(value):
                match = None
                if value is output._data:
                    match = output
                else:
                    for inp in self.inputs:
                        if isinstance(inp, Tensor) and inp._data is value:
                            match = inp
                            break
                lifted.append(match if match is not None else Tensor._make(value))
            else:
                lifted.append(value)
        return tuple(lifted)


_EQUATION_LABELS = ("Forward", "Derivative", "VJP")

# The tracer of chainrule.compile while it records a function (chainrule/compile/trace.py), else
# None. Function.apply, engine.backward and Optimizer.step/zero_grad tell it what they do.
tracer = None

# chainrule.func.vmap's dispatcher while a vmap runs (chainrule/func/vmap.py), else None: given
# (primitive, args, params) it applies the primitive's batching rule, or answers NotImplemented.
batching = None


class Function:
    """Base class of every primitive (see the module docstring)."""

    name: str = ""
    text: tuple[str, ...] = ()
    latex: tuple[str, ...] = ()
    explanation: str = ""
    domain: str = "real"
    reference = None            # NumPy reference for the forward, used by the tests
    twice_differentiable = True  # False: vjp cannot run on Tensors; create_graph raises
    is_view = False             # True: the result may share the input's memory (reshape, slices)
    array_api = False           # True: forward and vjp run on any array API library's arrays
                                # (tests/array_api checks it on array_api_strict)
    differentiable = True       # False: the output never requires grad (a comparison's bools)
    complex_grad = None         # what vjp does with complex values: None (refused),
                                # "real_linear", "holomorphic" or "explicit" (autograd/complex.py)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A subclass that writes PyTorch's ``backward(ctx, *grads)`` (a user's custom function,
        # on Tensors) instead of ``vjp`` (a primitive, on arrays) gets PyTorch's ``apply``.
        if "backward" in cls.__dict__ and "vjp" not in cls.__dict__:
            from . import custom

            cls.apply = classmethod(custom.apply)

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch's optional split of forward: ``forward(*args)`` then this (see custom.py)."""

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def vjp(ctx, g):
        raise NotImplementedError

    @classmethod
    def formula(cls) -> Formula:
        pairs = list(zip(_EQUATION_LABELS, cls.text))
        return Formula.of(cls.name, pairs, cls.latex[: len(pairs)], cls.explanation)

    @classmethod
    def apply(cls, *args, **params):
        """Run the forward on the arrays of ``args`` and record a node if a gradient is needed."""
        if batching is not None:     # inside chainrule.func.vmap: batched tensors take a rule
            batched = batching(cls, args, params)
            if batched is not NotImplemented:
                return batched
        arrays = []
        needs_grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                needs_grad = needs_grad or a.requires_grad
            else:
                arrays.append(a)
        ctx = Node()
        ctx.inputs = args       # lets a forward save only what the needed gradients use
        try:
            out = cls.forward(ctx, *arrays, **params)
        except (ValueError, IndexError, TypeError) as exc:
            raise cls.explain_error(exc, arrays, params) from None
        if type(out) is not ndarray and not is_foreign_array(out):
            # NumPy returns scalars for 0-d results; keep arrays
            scalar, out = out, xp.asarray(out)
            if any(v is scalar for v in ctx.saved):
                ctx.saved = tuple(out if v is scalar else v for v in ctx.saved)
        elif cls.name in _layouts.RULES:
            # the result in the memory layout PyTorch's kernel gives it (chainrule/layouts.py)
            laid = _layouts.RULES[cls.name](out, arrays)
            if laid is not out:
                ctx.saved = tuple(laid if v is out else v for v in ctx.saved)
                out = laid
        if needs_grad and _GradMode.enabled and cls.differentiable:
            # complex values take the primitive's declared complex rule, or are refused
            ctx.fn = _complex.rule_for(cls) if _complex.involves_complex(arrays, out) else cls
            sequence[0] += 1
            ctx.seq = sequence[0]
            if _versions:
                ctx.versions = saved_versions(ctx.saved)
            result = Tensor._from_op(out, ctx)
        else:
            result = Tensor._from_op(out, None)
        if tracer is not None:      # chainrule.compile is tracing: one check when it is not
            tracer.record(cls, args, params, result)
        return result

    @classmethod
    def explain_error(cls, exc: Exception, arrays, params) -> Exception:
        """Turn a backend error into one that names the operation and the shapes involved."""
        shapes = ", ".join(_shape_text(a) for a in arrays)
        message = f"{cls.name}: {exc} (input shapes: {shapes})"
        if isinstance(exc, ValueError) and "broadcast" in str(exc):
            message = broadcast_message(cls.name, arrays)
        return type(exc)(message)


def _shape_text(a) -> str:
    shape = getattr(a, "shape", None)
    if shape is None:
        return type(a).__name__
    return "(" + "×".join(str(s) for s in shape) + ")" if shape else "scalar"


def broadcast_message(op: str, arrays) -> str:
    shapes = [getattr(a, "shape", ()) for a in arrays]
    return (f"{op}: cannot broadcast shapes {' and '.join(_shape_text(a) for a in arrays)}: "
            f"aligned from the right, each pair of sizes must be equal or one of them 1 "
            f"(shapes {', '.join(str(tuple(s)) for s in shapes)})")


def records(ctx) -> bool:
    """Inside a primitive's forward: whether this call will record a node (grad mode is on and
    an input requires grad) — when not, the forward may skip what only the backward needs. A
    forward called directly (not through ``apply``) is assumed to record."""
    inputs = getattr(ctx, "inputs", None)
    if inputs is None:
        return True
    return _GradMode.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in inputs)


def primitive(cls: type) -> type:
    """Class decorator: register ``cls`` as a primitive (checks its mathematics is present)."""
    return registry.register(cls)
