"""OnnxModule: an imported ONNX graph as a chainrule Module.

Building it (:func:`build`) decides where every tensor of the graph lives:

* each floating-point initializer, and each floating-point Constant node with at least one axis,
  becomes an ``nn.Parameter`` (named by :mod:`.naming`), so the network trains and
  ``state_dict()`` holds it — except a value used only as a BatchNormalization mean or variance
  (through Identity nodes too), which becomes a buffer, as PyTorch's ``running_mean`` and
  ``running_var`` are: in ``state_dict()``, not trained;
* integer and boolean tensors, and 0-d floating-point Constant nodes (the 2 of x², the 6 of
  ReLU6), stay constants of the graph, NumPy arrays outside ``state_dict()``;
* every other node becomes a step: its operator's kernel (see :mod:`.registry`), built and
  checked now, so an unsupported operator or attribute fails the load before anything runs —
  except that a recurrent layer in chainrule's own export pattern becomes one step on its
  stored weights, the Gather/Unsqueeze/Squeeze nodes around it folded in (see :mod:`.fusion`).

Calling the module runs the steps in the file's (topological) order. Values on the
differentiable path are chainrule Tensors and autograd records them; integer shape arithmetic
runs in NumPy beside them (see :mod:`.values`).
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from ..nn.module import Module
from ..nn.parameter import Parameter
from ..ops.creation import as_tensor
from ..tensor import Tensor
from .errors import OnnxFormatError, OnnxImportError, UnsupportedOperatorError
from .fusion import recurrent_fusions
from .naming import place
from .ops_constant import constant_value
from .ops_rnn import fused_recurrent
from .reader import default_opset, tensor_array
from .registry import OPS, Node, supported_operators
from .values import DTYPE_NAMES, DTYPES, settle

#: The module path a chainrule export recorded in the name of the node now running ('' for
#: none): chainrule's exporter names a node ``/encoder/layers/0/self_attn/MatMul_13`` after the
#: module that applied it, and reads this while it traces an imported model, so that a re-export
#: names its nodes (and their outputs) as the first export did.
NODE_SCOPE: ContextVar[str] = ContextVar("chainrule_onnx_node_scope", default="")


@dataclass(frozen=True)
class Step:
    node: Node
    kernel: object
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    frees: tuple[str, ...]
    scope: str = ""             # the module path in a chainrule export's node name, if any


@dataclass(frozen=True)
class GraphInput:
    name: str
    dtype: np.dtype | None
    dims: tuple          # ints for fixed dimensions, None for symbolic or unknown ones


@dataclass(frozen=True)
class Program:
    """A compiled (sub)graph: its steps, its outputs, and the names it reads from outside
    (``captures``: the enclosing graph's values, and weights and constants kept by the module)."""

    steps: tuple[Step, ...]
    outputs: tuple[str, ...]
    captures: tuple[str, ...]


def run_steps(steps, env: dict) -> None:
    """Run ``steps`` in order on the values of ``env`` (names → values), adding their outputs
    and dropping each value after its last use."""
    for step in steps:
        values = [env[name] if name else None for name in step.inputs]
        token = NODE_SCOPE.set(step.scope)
        try:
            out = step.kernel(*values)
        except Exception as exc:
            exc.add_note(f"(while running {step.node.where()})")
            raise
        finally:
            NODE_SCOPE.reset(token)
        outs = out if isinstance(out, tuple) else (out,)
        for name, value in zip(step.outputs, outs):
            if name:
                env[name] = settle(value)
        for name in step.frees:
            env.pop(name, None)


class OnnxModule(Module):
    """An ONNX graph imported by :func:`chainrule.onnx.load`.

    Call it with the graph's inputs (those that are not initializers) positionally in the
    graph's order, or by keyword with their ONNX names; it returns one Tensor for a one-output
    graph, else a tuple in the graph's output order. ``input_names``, ``output_names``,
    ``opset`` and ``source`` describe the model; ``onnx_names`` maps each ``state_dict()`` key
    to the ONNX name it came from.

    The graph is the model's inference graph: BatchNormalization uses the stored statistics and
    Dropout is the identity whatever ``train()``/``eval()`` says.
    """

    def forward(self, *args, **kwargs):
        env = dict(self._constants)
        for onnx_name, (owner, attr) in self._sources.items():
            env[onnx_name] = getattr(owner, attr)
        env.update(self._bind(args, kwargs))
        run_steps(self._steps, env)
        results = tuple(v if isinstance(v, Tensor) else as_tensor(np.asarray(v))
                        for v in (env[name] for name in self.output_names))
        return results[0] if len(results) == 1 else results

    def _bind(self, args, kwargs) -> dict:
        names = [i.name for i in self._inputs]
        if len(args) > len(names):
            raise TypeError(f"{self._label}: the graph takes {len(names)} input(s) {names}, "
                            f"got {len(args)} positional arguments")
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{self._label}: unknown input {key!r}; the graph's inputs are "
                                f"{names}")
            if key in given:
                raise TypeError(f"{self._label}: input {key!r} given twice")
            given[key] = value
        missing = [n for n in names if n not in given]
        if missing:
            raise TypeError(f"{self._label}: missing input(s) {missing}; the graph's inputs "
                            f"are {names}")
        return {i.name: self._convert(i, given[i.name]) for i in self._inputs}

    def _convert(self, spec: GraphInput, value):
        """Float inputs become Tensors (arrays in the declared type), others NumPy arrays;
        the rank and the fixed dimensions are checked against the graph's declaration."""
        if not isinstance(value, Tensor):
            value = np.asarray(value, dtype=spec.dtype)
        kind = np.dtype(value.dtype).kind
        if spec.dtype is not None and (kind == "f") != (spec.dtype.kind == "f"):
            raise TypeError(f"{self._label}: input {spec.name!r} must be {spec.dtype} (or "
                            f"another {'floating' if spec.dtype.kind == 'f' else 'integer'} "
                            f"type), got {np.dtype(value.dtype)}")
        shape = tuple(value.shape)
        if spec.dims and (len(shape) != len(spec.dims) or any(
                d is not None and d != s for d, s in zip(spec.dims, shape))):
            declared = "(" + ", ".join("?" if d is None else str(d) for d in spec.dims) + ")"
            raise ValueError(f"{self._label}: input {spec.name!r} must have shape {declared} "
                             f"('?' any length), got {shape}")
        if kind == "f":
            return value if isinstance(value, Tensor) else as_tensor(value)
        return value.detach().numpy() if isinstance(value, Tensor) else value

    def extra_repr(self) -> str:
        inputs = ", ".join(i.name for i in self._inputs)
        return (f"source={self.source}, opset={self.opset}, inputs=[{inputs}], "
                f"outputs={list(self.output_names)}, nodes={len(self._steps)}")


def _reserved() -> frozenset:
    own = {"input_names", "output_names", "opset", "source", "onnx_names"}
    return frozenset(set(dir(OnnxModule)) | own)


def _attributes(node_proto, label: str) -> dict:
    from onnx import helper

    attrs = {}
    for a in node_proto.attribute:
        value = helper.get_attribute_value(a)
        if a.HasField("t"):
            value = tensor_array(a.t, label)
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        attrs[a.name] = value
    return attrs


def _all_nodes(graph):
    """The nodes of ``graph`` and of its subgraphs (If's branches), depth first."""
    from onnx import AttributeProto

    for node in graph.node:
        yield node
        for a in node.attribute:
            if a.type == AttributeProto.GRAPH:
                yield from _all_nodes(a.g)


# Inputs read as plain numbers, never differentiated: Resize's roi and scales.
_NUMBER_INPUTS = {("Resize", 1), ("Resize", 2)}
# Operators that pass values through unchanged in kind (a number stays a number).
_PASS_THROUGH = {"Identity", "Concat", "Cast", "Unsqueeze", "Squeeze", "Reshape"}


def _used_only_as(graph, sinks: set, through: set) -> set[str]:
    """Names whose every use is an input position in ``sinks`` ((op_type, index) pairs), directly
    or through operators of ``through`` whose outputs are all used that way too."""
    uses: dict[str, list] = {}
    for node in _all_nodes(graph):
        for i, name in enumerate(node.input):
            uses.setdefault(name, []).append((node, i))
    outputs = {o.name for o in graph.output}
    memo: dict[str, bool] = {}

    def only(name: str) -> bool:
        if name not in memo:
            memo[name] = False
            found = uses.get(name, [])
            memo[name] = bool(found) and name not in outputs and all(
                (n.op_type, i) in sinks
                or (n.op_type in through and all(only(o) for o in n.output))
                for n, i in found)
        return memo[name]

    return {name for name in uses if only(name)}


def _statistics_only(graph) -> set[str]:
    """Names used only as a BatchNormalization mean or variance (directly or via Identity)."""
    return _used_only_as(graph, {("BatchNormalization", 3), ("BatchNormalization", 4)},
                         {"Identity"})


def _numbers_only(graph) -> set[str]:
    """Float names used only as numbers that are never differentiated (Resize's scales, through
    Concat and the like): constants, not parameters."""
    return _used_only_as(graph, _NUMBER_INPUTS, _PASS_THROUGH)


def build(model, label: str) -> OnnxModule:
    """The OnnxModule of a checked, in-range model."""
    graph = model.graph
    opset = default_opset(model)
    module = OnnxModule()
    reserved = _reserved()
    statistics = _statistics_only(graph)
    numbers = _numbers_only(graph)
    constants: dict[str, np.ndarray] = {}
    sources: dict[str, tuple] = {}
    onnx_names: dict[str, str] = {}

    def adopt(name: str, value: np.ndarray, trainable: bool) -> None:
        if not trainable or name in numbers:
            constants[name] = value
            return
        owner, attr, key = place(module, name, reserved)
        if name in statistics:
            owner.register_buffer(attr, as_tensor(value))
        else:
            owner.register_parameter(attr, Parameter(value))
        sources[name] = (owner, attr)
        onnx_names[key] = name

    initialized = {t.name for t in graph.initializer}
    inputs = [_graph_input(v, label) for v in graph.input if v.name not in initialized]
    counter = iter(range(1 << 62))
    scoped = model.producer_name == "chainrule"      # node names that hold module paths
    compiled = _compile(graph, opset, label, adopt, {i.name for i in inputs}, counter, scoped)
    output_names = compiled.outputs
    steps = _plan_frees(compiled.steps, set(output_names) | set(constants) | set(sources))

    object.__setattr__(module, "_constants", constants)
    object.__setattr__(module, "_sources", sources)
    object.__setattr__(module, "_steps", steps)
    object.__setattr__(module, "_inputs", tuple(inputs))
    object.__setattr__(module, "_label", f"chainrule.onnx model {label}")
    module.input_names = tuple(i.name for i in inputs)
    module.output_names = output_names
    module.opset = opset
    module.source = label
    module.onnx_names = onnx_names
    module.eval()
    return module


def _scope(node_name: str) -> str:
    """The module path in the name chainrule's exporter gives a node: ``/a/b/Op_3`` → ``a.b``."""
    if not node_name.startswith("/"):
        return ""
    return node_name[1:].rpartition("/")[0].replace("/", ".")


def _compile(graph, opset: int, label: str, adopt, outer: set, counter,
             scoped: bool = False) -> Program:
    """Compile ``graph``'s nodes into steps; ``outer`` holds the names the enclosing graph
    defines (a subgraph may read them). Initializers and Constant nodes are handed to ``adopt``
    (parameters, buffers or constants of the module); If's branches are compiled recursively.
    ``scoped``: the model is chainrule's export, whose node names hold module paths."""
    for t in graph.initializer:
        value = tensor_array(t, label)
        adopt(t.name, value, value.dtype.kind == "f")
    own = {t.name for t in graph.initializer}
    known = set(outer) | own
    defined = set(own)              # values this graph makes (its initializers, constants, steps)
    reads: list[str] = []
    raw = []
    fusions = recurrent_fusions(graph, opset)
    absorbed = {k for f in fusions.values() for k in f.absorbed}
    for position, proto in enumerate(graph.node):
        index = next(counter)
        _check_supported(proto, index, opset, label)
        if position in absorbed:
            continue                # folded into a recurrent node's step (see .fusion)
        fused = fusions.get(position)
        attrs = _attributes(proto, label)
        branches = {}
        if proto.op_type == "If":
            for key in ("then_branch", "else_branch"):
                if not isinstance(attrs.get(key), _GraphProto()):
                    raise OnnxFormatError(label, f"If node {proto.name!r} has no {key}")
                branch = _compile(attrs[key], opset, label, adopt, known, counter, scoped)
                # a branch runs in an environment of its own: its values are dropped in it
                branches[key] = Program(_plan_frees(branch.steps, set(branch.outputs)),
                                        branch.outputs, branch.captures)
            attrs.update(branches)
        node = Node(proto.op_type, proto.name, index,
                    fused.inputs if fused else tuple(proto.input),
                    fused.outputs if fused else tuple(proto.output), attrs, opset, label)
        for name in node.inputs:
            if name and name not in known:
                raise OnnxFormatError(label, f"{node.op_type} {node.label} reads {name!r}, which "
                                             "no earlier node, input or initializer defines")
        known.update(o for o in node.outputs if o)
        defined.update(o for o in node.outputs if o)
        if proto.op_type == "Constant":
            value = constant_value(node)
            adopt(node.outputs[0], value, value.dtype.kind == "f" and value.ndim > 0)
            continue
        spec = OPS[proto.op_type]
        # the builder refuses the attribute values it does not implement
        kernel = fused_recurrent(node) if fused else spec.builder(node)
        if node.n_outputs() > spec.max_outputs:
            raise node.refuse(f"{node.n_outputs()} outputs requested; this importer computes "
                              f"{spec.max_outputs}")
        captured = tuple(sorted({c for b in branches.values() for c in b.captures}))
        step_inputs = node.inputs + captured
        reads.extend(n for n in step_inputs if n)
        raw.append((node, kernel, step_inputs, _scope(proto.name) if scoped else ""))
    outputs = tuple(o.name for o in graph.output)
    for name in outputs:
        if name not in known:
            raise OnnxFormatError(label, f"graph output {name!r} is computed by no node")
    made = {o for node, *_ in raw for o in node.outputs if o}
    captures = tuple(sorted({n for n in reads + list(outputs) if n not in made}))
    steps = tuple(Step(node, kernel, ins, node.outputs, (), scope)
                  for node, kernel, ins, scope in raw)
    return Program(steps, outputs, captures)


def _GraphProto():
    from onnx import GraphProto

    return GraphProto


def _plan_frees(steps, keep: set) -> tuple[Step, ...]:
    """Each step with the names whose last use it is (not in ``keep``), to drop after it."""
    last_use: dict[str, int] = {}
    for k, step in enumerate(steps):
        for name in step.inputs:
            last_use[name] = k
    return tuple(Step(step.node, step.kernel, step.inputs, step.outputs,
                      tuple(n for n in dict.fromkeys(step.inputs)
                            if n and last_use.get(n) == k and n not in keep), step.scope)
                 for k, step in enumerate(steps))


def _check_supported(proto, index: int, opset: int, label: str) -> None:
    if proto.domain not in ("", "ai.onnx") or proto.op_type not in OPS:
        domain = proto.domain or "ai.onnx"
        node = Node(proto.op_type, proto.name, index, (), tuple(proto.output))
        raise UnsupportedOperatorError(
            label, f"operator {proto.op_type!r} (domain {domain}) of {node.label}, opset "
                   f"{opset}, is not supported. Supported (ai.onnx): "
                   + ", ".join(supported_operators()),
            op_type=proto.op_type, node_name=proto.name, opset=opset)


def _graph_input(value_info, label: str) -> GraphInput:
    if value_info.type.WhichOneof("value") != "tensor_type":
        raise OnnxImportError(label, f"graph input {value_info.name!r} is not a tensor "
                                     f"({value_info.type.WhichOneof('value')}); chainrule imports "
                                     "tensor inputs only")
    t = value_info.type.tensor_type
    dtype = DTYPES.get(t.elem_type) if t.elem_type else None
    if t.elem_type and dtype is None:
        name = DTYPE_NAMES.get(t.elem_type, t.elem_type)
        raise OnnxImportError(label, f"graph input {value_info.name!r} has element type {name}, "
                                     "which chainrule does not compute with")
    dims = ()
    if t.HasField("shape"):
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
    return GraphInput(value_info.name, dtype, dims)
