"""``chainrule.onnx.export``: a model's forward pass written as an ONNX graph.

The forward is traced as chainrule primitives (:mod:`chainrule.onnx.trace`) and each primitive is
written in its ONNX form by the emitter registered for it (:mod:`chainrule.onnx.emitters`, one
``emit_*.py`` file per family). Parameters and buffers become initializers named by their
``state_dict`` keys.

Tracing three times makes dynamic axes and data dependence visible. Trace A runs on the example
inputs; trace B on inputs whose dynamic axes are longer (the example repeated cyclically along
them; each symbol grows by its own amount, 1, 2, 3, …) and whose values are shuffled; trace C on
inputs of the example's shapes with values shuffled another way (see :func:`_perturbed`). All
must apply the same primitives in the same order, else the forward takes a path that depends on
the inputs, which a graph cannot express. A primitive parameter that differs between A and C
depends on the data and is refused; one that differs between A and B (a reshape's target shape)
is computed in the graph from a ``Shape``. An array that is not an input, a weight or a recorded
result and differs between the traces was computed from the inputs outside chainrule's
operations (a comparison, NumPy on ``.data``), and is refused rather than frozen into a wrong
constant.
"""
from __future__ import annotations

import inspect
import os
import warnings

import numpy as np

from ..backend import ndarray
from ..tensor import Tensor
from . import (  # noqa: F401  (each registers its emitters)
    emit_activation,
    emit_conv,
    emit_elementwise,
    emit_linalg,
    emit_norm,
    emit_reduce,
    emit_rnn,
    emit_shape,
)
from .builder import Builder, Op, Packed, Part, Poison, Value
from .emitters import EMITTERS
from .export_errors import OnnxExportError, OnnxExportWarning
from .module import OnnxModule
from .proto import graph_outputs, model_proto
from .trace import Trace, trace

__all__ = ["export", "MIN_EXPORT_OPSET", "MAX_EXPORT_OPSET"]

MIN_EXPORT_OPSET = 13       # axes as inputs (Squeeze, Unsqueeze, ReduceSum), Softmax on one axis
MAX_EXPORT_OPSET = 21


def export(model, example_inputs=(), path=None, opset: int | None = None, input_names=None,
           output_names=None, dynamic_axes=None, *, args=None, f=None,
           opset_version: int | None = None, export_params: bool = True,
           keep_initializers_as_inputs: bool = False, do_constant_folding: bool = True,
           verbose=None, dynamo: bool = False, kwargs=None):
    """Write ``model``'s forward pass on ``example_inputs`` as an ONNX model (PyTorch's
    ``torch.onnx.export``).

    model:          a chainrule ``nn.Module``; traced in evaluation mode (Dropout is the
                    identity, BatchNorm uses its running statistics), its mode restored after.
    example_inputs: a Tensor, or a tuple of the forward's positional arguments; Tensors and
                    arrays become the graph's inputs, other values are passed as they are.
    path:           a file name, a binary file object, or None (nothing written).
    opset:          the ai.onnx opset, 13–21 (default 17); ``opset_version`` is PyTorch's name.
    input_names, output_names: names of the graph's inputs and outputs (default: the forward's
                    parameter names; ``output``, or ``output_0``, ``output_1``, … for several).
    dynamic_axes:   {name: {axis: symbol}} or {name: [axes]}: axes of inputs (and outputs)
                    whose size may differ from the example's; sizes computed from them (a
                    flatten's width, attention's reshapes) follow in the graph.

    Returns the ``onnx.ModelProto`` (valid under ``onnx.checker``). Raises
    :class:`~chainrule.onnx.UnsupportedPrimitiveError` for a primitive without an ONNX form,
    naming it and the module where it was applied, and :class:`~chainrule.onnx.OnnxExportError`
    when the forward cannot be a graph (see the module docstring). ``do_constant_folding``,
    ``verbose`` and ``dynamo`` are accepted for PyTorch's sake and change nothing.
    """
    onnx = _require_onnx()
    if args is not None:
        example_inputs = args
    if f is not None:
        path = f
    if opset is not None and opset_version is not None and opset != opset_version:
        raise TypeError(f"chainrule.onnx.export: opset={opset} and opset_version={opset_version} "
                        "disagree; give one of them")
    opset = _check_opset(opset if opset is not None else opset_version)
    if not export_params:
        raise ValueError("chainrule.onnx.export: export_params=False (weights as graph inputs) "
                         "is not supported; the weights are always written as initializers")
    if kwargs:
        raise TypeError(f"chainrule.onnx.export: keyword inputs (kwargs={sorted(kwargs)}) are "
                        "not supported; pass the forward's inputs positionally")
    from ..nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"chainrule.onnx.export: model must be a chainrule nn.Module, got "
                        f"{type(model).__name__}")
    inputs = _as_tuple(example_inputs)
    positions = [i for i, a in enumerate(inputs) if isinstance(a, (Tensor, ndarray))]
    imported = isinstance(model, OnnxModule)      # re-exported: its graph's names by default
    in_names = _input_names(model, inputs, positions, input_names,
                            model.input_names if imported else None)

    first = _run(trace, model, inputs, "on the example inputs")
    out_names = _output_names(first, output_names, model.output_names if imported else None)
    _check_distinct(in_names, out_names, model)
    axes = _dynamic_axes(dynamic_axes, in_names, out_names, first)
    # each symbol grows by its own amount, so that no two dynamic axes take the same pair of
    # sizes on traces A and B (which would make a dimension's source ambiguous)
    symbols = list(dict.fromkeys(s for name in in_names for s in axes.get(name, {}).values()))
    growth = {symbol: k + 1 for k, symbol in enumerate(symbols)}
    second_inputs, third_inputs = list(inputs), list(inputs)
    for k, i in enumerate(positions):
        grow = {axis: growth[symbol] for axis, symbol in axes.get(in_names[k], {}).items()}
        second_inputs[i] = _perturbed(inputs[i], grow, seed=1)
        third_inputs[i] = _perturbed(inputs[i], {}, seed=2)
    second = _run(trace, model, tuple(second_inputs),
                  "again on perturbed inputs (values shuffled, dynamic axes longer)")
    third = _run(trace, model, tuple(third_inputs),
                 "again on inputs of the same shapes with shuffled values")
    _check_same_path(first, third, sizes=False)
    _check_same_path(first, second, sizes=True)
    _warn_conversions(first)

    state = _state(model)
    reserved = set(in_names) | set(out_names) | {name for name, _ in state.values()}
    builder = Builder(opset, state, reserved=reserved)
    for k, (ta, tb, node) in enumerate(zip(first.inputs, second.inputs, first.input_nodes)):
        builder.register(Value(in_names[k], ta.shape, tb.shape, ta._data.dtype), ta, node=node)
    for a, b, c in zip(first.calls, second.calls, third.calls):
        builder.module = a.module
        # a Tensor later changed in place holds another value now: found by its node only
        rebound = a.output._node is not a.node
        builder.register(_emit(builder, a, b, c), None if rebound else a.output, node=a.node)
    outputs = graph_outputs(builder, first, second, out_names)
    proto = model_proto(onnx, builder, first, in_names, outputs, axes, opset,
                        keep_initializers_as_inputs)
    _write(proto, path)
    return proto


# ---------------------------------------------------------------------------- arguments
def _require_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError("chainrule.onnx.export needs the onnx package: "
                          "pip install 'chainrule[onnx]' (or pip install onnx)") from exc
    return onnx


def _check_opset(opset) -> int:
    opset = 17 if opset is None else opset
    if not isinstance(opset, int) or isinstance(opset, bool) or \
            not MIN_EXPORT_OPSET <= opset <= MAX_EXPORT_OPSET:
        raise ValueError(f"chainrule.onnx.export: opset must be an integer from "
                         f"{MIN_EXPORT_OPSET} to {MAX_EXPORT_OPSET}, got {opset!r}")
    return opset


def _as_tuple(example_inputs) -> tuple:
    if isinstance(example_inputs, (Tensor, ndarray)):
        return (example_inputs,)
    if isinstance(example_inputs, list):
        example_inputs = tuple(example_inputs)
    if not isinstance(example_inputs, tuple):
        raise TypeError(f"chainrule.onnx.export: example_inputs must be a Tensor or a tuple of "
                        f"the forward's arguments, got {type(example_inputs).__name__}")
    if example_inputs and isinstance(example_inputs[-1], dict):
        raise TypeError("chainrule.onnx.export: a dict at the end of example_inputs (keyword "
                        "arguments) is not supported; pass the forward's inputs positionally")
    for k, a in enumerate(example_inputs):
        if isinstance(a, (tuple, list, dict)) and _holds_tensors(a):
            raise TypeError(f"chainrule.onnx.export: argument {k} of example_inputs is a "
                            f"{type(a).__name__} holding Tensors; nested inputs are not "
                            f"supported, pass each Tensor as its own argument of the forward")
    return example_inputs


def _holds_tensors(value) -> bool:
    if isinstance(value, (Tensor, ndarray)):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (tuple, list)) and any(_holds_tensors(v) for v in value)


def _input_names(model, inputs, positions, given, own=None) -> list[str]:
    if own is not None and len(own) == len(positions):
        return _names(given, list(own), "input_names", "inputs")
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    defaults = []
    for k, i in enumerate(positions):
        if i < len(params):
            defaults.append(params[i].name)
        else:
            defaults.append("input" if len(positions) == 1 else f"input_{k}")
    return _names(given, defaults, "input_names", "inputs (Tensors and arrays in "
                                                  "example_inputs)")


def _output_names(first: Trace, given, own=None) -> list[str]:
    n = len(first.outputs)
    defaults = ["output"] if n == 1 else [f"output_{k}" for k in range(n)]
    if own is not None and len(own) == n:
        defaults = list(own)
    return _names(given, defaults, "output_names", "outputs of the forward")


def _names(given, defaults, what, of) -> list[str]:
    if given is None:
        return list(defaults)
    if isinstance(given, str) or not all(isinstance(n, str) and n for n in given):
        raise TypeError(f"chainrule.onnx.export: {what} must be a list of non-empty strings, "
                        f"got {given!r}")
    given = list(given)
    if len(given) > len(defaults):
        raise ValueError(f"chainrule.onnx.export: {len(given)} {what} given ({given}) for "
                         f"{len(defaults)} {of}")
    names = given + defaults[len(given):]
    if len(set(names)) != len(names):
        raise ValueError(f"chainrule.onnx.export: {what} must be distinct, got {names}")
    return names


def _check_distinct(in_names, out_names, model) -> None:
    both = sorted(set(in_names) & set(out_names))
    if both:
        raise ValueError(f"chainrule.onnx.export: names must be distinct: {both} name both an "
                         f"input and an output")
    state = {name for name, _ in list(model.named_parameters()) + list(model.named_buffers())}
    taken = sorted((set(in_names) | set(out_names)) & state)
    if taken:
        raise ValueError(f"chainrule.onnx.export: input or output names {taken} are the "
                         f"state_dict keys of weights, which name the graph's initializers; "
                         f"choose other names")


def _dynamic_axes(spec, in_names, out_names, first: Trace) -> dict[str, dict[int, str]]:
    if not spec:
        return {}
    if not isinstance(spec, dict):
        raise TypeError(f"chainrule.onnx.export: dynamic_axes must be a dict {{name: {{axis: "
                        f"symbol}}}} or {{name: [axes]}}, got {type(spec).__name__}")
    ranks = {n: t.ndim for n, t in zip(in_names, first.inputs)}
    ranks.update({n: getattr(t, "ndim", 0) for n, t in zip(out_names, first.outputs)})
    out = {}
    for name, axes in spec.items():
        if name not in ranks:
            raise ValueError(f"chainrule.onnx.export: dynamic_axes names {name!r}, which is "
                             f"neither an input ({in_names}) nor an output ({out_names})")
        if isinstance(axes, dict):
            items = list(axes.items())
        elif isinstance(axes, (list, tuple)):
            items = [(a, f"{name}_dynamic_axes_{k + 1}") for k, a in enumerate(axes)]
        else:
            raise TypeError(f"chainrule.onnx.export: dynamic_axes[{name!r}] must be a dict "
                            f"{{axis: symbol}} or a list of axes, got {axes!r}")
        rank, axes_out = ranks[name], {}
        for axis, symbol in items:
            if not isinstance(axis, int) or not -rank <= axis < rank:
                raise ValueError(f"chainrule.onnx.export: dynamic_axes[{name!r}] has axis "
                                 f"{axis!r}, out of range for {name!r} of rank {rank}")
            axes_out[axis % rank] = str(symbol)
        out[name] = axes_out
    return out


def _perturbed(value, grow: dict[int, int], seed: int):
    """The example input with each dynamic axis in ``grow`` longer by the amount given (its
    slices repeated cyclically) and its values shuffled: a seeded permutation of its elements
    (integers stay valid token ids or indices, and a mask or a count computed from them moves),
    floats also multiplied by random factors in [½, 1½] with random signs (so comparisons and
    sums change)."""
    array = value._data if isinstance(value, Tensor) else np.asarray(value)
    for axis, extra in sorted(grow.items()):
        n = array.shape[axis]
        if n == 0:
            raise ValueError(f"chainrule.onnx.export: dynamic axis {axis} of an input has size "
                             f"0 in the example; give an example with at least one element there")
        array = np.take(array, np.arange(n + extra) % n, axis=axis)
    rng = np.random.default_rng(seed)
    array = rng.permutation(array.reshape(-1)).reshape(array.shape)
    if array.dtype.kind in "fc":
        factors = rng.uniform(0.5, 1.5, array.shape) * rng.choice([-1.0, 1.0], array.shape)
        array = (array * factors).astype(array.dtype)
    array = np.ascontiguousarray(array)
    return Tensor._make(array) if isinstance(value, Tensor) else array


def _run(tracer, model, inputs, when: str) -> Trace:
    try:
        return tracer(model, inputs)
    except (OnnxExportError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        if when.startswith("on the example"):
            raise
        raise OnnxExportError(f"chainrule.onnx.export: the forward failed when run {when} (to "
                              f"find what depends on the inputs): {type(exc).__name__}: "
                              f"{exc}") from exc


def _check_same_path(first: Trace, other: Trace, sizes: bool) -> None:
    """The other trace applied the same primitives in the same modules, and returned as many
    values (``sizes``: it is trace B, with the dynamic axes longer)."""
    what = ("inputs with the dynamic axes longer and shuffled values" if sizes else
            "inputs of the same shapes with shuffled values")
    hint = ("the input data or sizes" if sizes else "the input data")
    for k, (a, b) in enumerate(zip(first.calls, other.calls)):
        if a.fn is not b.fn or a.module != b.module:
            raise OnnxExportError(
                f"chainrule.onnx.export: the forward applies different operations on different "
                f"inputs (operation {k}: '{a.name}' in {a.where()} on the example inputs, "
                f"'{b.name}' in {b.where()} on {what}): its path depends on {hint} through "
                f"Python (an if, a loop, a conversion to a number), which a graph cannot "
                f"express", a.name, a.module)
    if len(first.calls) != len(other.calls) or len(first.outputs) != len(other.outputs):
        raise OnnxExportError(
            f"chainrule.onnx.export: the forward applies {len(first.calls)} operations and "
            f"returns {len(first.outputs)} values on the example inputs but {len(other.calls)} "
            f"and {len(other.outputs)} on {what}: its path depends on {hint} through Python")


def _warn_conversions(first: Trace) -> None:
    if not first.conversions:
        return
    seen = list(dict.fromkeys(f"{what} in {where}" for what, where in first.conversions))
    warnings.warn(f"chainrule.onnx.export: the forward turned Tensors computed from its inputs "
                  f"into Python or NumPy values ({'; '.join(seen[:5])}"
                  f"{'; …' if len(seen) > 5 else ''}); what it computed with them is not in the "
                  f"graph, which holds their values (and any branch taken) on the example "
                  f"inputs", OnnxExportWarning, stacklevel=3)


# ---------------------------------------------------------------------------- the graph
def _state(model) -> dict:
    """id(parameter or buffer, and of its array) → (state_dict name, tensor)."""
    state = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            t = Tensor._make(np.asarray(t))
        state.setdefault(id(t), (name, t))
        state.setdefault(id(t._data), (name, t))
    return state


def _emit(builder: Builder, a, b, c):
    emitter = EMITTERS.get(a.name)
    op = Op(builder, a, b, c)
    if emitter is None:
        return Poison(op.refuse(
            "this primitive has no ONNX form in chainrule's exporter (see "
            "chainrule.onnx.exportable_primitives() for those that do)"))
    if tuple(a.output.shape) != tuple(c.output.shape):
        return Poison(op.fail(f"the shape of its result depends on the input data "
                              f"({tuple(a.output.shape)} on the example inputs, "
                              f"{tuple(c.output.shape)} on inputs of the same shapes with other "
                              f"values)"))
    try:
        out = emitter(op)
    except OnnxExportError as exc:
        return Poison(exc)
    if isinstance(out, str):
        return Value(out, tuple(a.output.shape), tuple(b.output.shape), a.output._data.dtype)
    if isinstance(out, (Value, Packed, Part)):
        return out
    raise RuntimeError(f"chainrule.onnx.export: the emitter of {a.name!r} returned "
                       f"{type(out).__name__}")


def _write(model, path) -> None:
    if path is None:
        return
    data = model.SerializeToString()
    if hasattr(path, "write"):
        path.write(data)
    elif isinstance(path, (str, os.PathLike)):
        with open(path, "wb") as fh:
            fh.write(data)
    else:
        raise TypeError(f"chainrule.onnx.export: path must be a file name or a binary file "
                        f"object, got {type(path).__name__}")

