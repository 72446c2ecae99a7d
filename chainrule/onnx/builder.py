"""Building the ONNX graph from the recorded calls of three traces of the forward pass.

The forward is traced three times (see :mod:`chainrule.onnx.exporter`): on the example inputs
(trace A), on inputs whose dynamic axes are longer and whose values are shuffled (trace B),
and on inputs of the example's shapes with values shuffled another way (trace C). The graph is
written from trace A; B and C say which facts depend on the inputs:

- a parameter of a primitive that differs between A and C depends on the input *data* (with the
  same shapes): it cannot be a fixed attribute, and is refused;
- one that differs between A and B (the target shape of a reshape, a slice bound) is a function
  of the input *sizes*, and is computed in the graph from the ``Shape`` of a value with a
  dimension that takes the same two sizes (:meth:`Op.dim`);
- an array argument that is not an input, a parameter, a buffer or an output of a recorded call
  is a constant of the graph, unless it differs between the traces: then it was computed from
  the inputs outside chainrule's operations (NumPy on ``.data``, a comparison) and cannot be
  exported.

Values are looked up by the graph node a Tensor carries (so a Tensor changed in place is found as
its new value), then by the Tensor, then by its array (arrays passed as parameters: BatchNorm's
running statistics, embedding indices), then among the model's parameters and buffers, which
become initializers named by their ``state_dict`` keys.

Nodes are kept as plain records and become ONNX protos only in :meth:`Builder.graph`, so this
module does not need the ``onnx`` package until a model is written.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from .export_errors import OnnxExportError, UnsupportedPrimitiveError
from .trace import Call

__all__ = ["Builder", "Op", "Value", "Packed", "Part", "INT64_MAX", "INT64_MIN"]

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -(2 ** 63)


@dataclass
class Value:
    """An ONNX value with chainrule's shape of it in trace A and trace B, and its dtype."""

    name: str
    shape: tuple
    shape_b: tuple
    dtype: np.dtype


@dataclass
class Packed:
    """Several results packed in one flat array (what the recurrent primitives return): each
    part is its own ONNX value; the slices and reshapes that unpack it resolve to the parts."""

    parts: list[Value]


@dataclass
class Part:
    """The flat slice of ``packed.parts[k]`` (becomes the part itself when reshaped back)."""

    packed: Packed
    k: int


@dataclass
class Poison:
    """A result the exporter could not write; a node that uses it re-raises ``error``."""

    error: OnnxExportError


@dataclass
class NodeSpec:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attrs: dict = field(default_factory=dict)
    base: str = ""              # the name without its number: /module/path/OpType


def same(a, b) -> bool:
    """Whether two parameter values (numbers, tuples, slices, arrays, Tensors) are equal."""
    if isinstance(a, Tensor):
        a = a._data
    if isinstance(b, Tensor):
        b = b._data
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, slice) and isinstance(b, slice):
        return same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    if type(a) is not type(b) and not (isinstance(a, (int, float, np.number))
                                       and isinstance(b, (int, float, np.number))):
        return False
    return bool(a == b) if not isinstance(a, float) or not math.isnan(a) else \
        isinstance(b, float) and math.isnan(b)


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._" else "_" for c in text)


class Builder:
    """The nodes, initializers and value table of the graph being written."""

    def __init__(self, opset: int, state: dict[int, tuple[str, object]], reserved=()):
        self.opset = opset
        self.state = state                      # id(tensor or array) → (state_dict name, tensor)
        self.nodes: list[NodeSpec] = []
        self.initializers: dict[str, np.ndarray] = {}
        self.by_node: dict[int, object] = {}
        self.by_tensor: dict[int, object] = {}
        self.by_array: dict[int, object] = {}
        self.known: list[Value] = []            # values with both traces' shapes, in order
        self.names = set(reserved)
        self._count = 0
        self._consts: dict[tuple, str] = {}
        self._const_index = 0
        self._shapes: dict[str, str] = {}
        self._dims: dict[tuple, str] = {}
        self.module = ""                        # module path of the call being written

    # ------------------------------------------------------------------ names
    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.names:
            name = f"{base}_{k}"
            k += 1
        self.names.add(name)
        return name

    # ------------------------------------------------------------------ nodes and constants
    def node(self, op_type: str, inputs, n_out: int = 1, **attrs):
        """Add a node; returns its output name (a list of names when ``n_out`` > 1)."""
        self._count += 1
        prefix = "/" + self.module.replace(".", "/") if self.module else ""
        name = self.fresh(f"{prefix}/{op_type}_{self._count}")
        outs = [name if n_out == 1 else self.fresh(f"{name}_out{j}") for j in range(n_out)]
        self.nodes.append(NodeSpec(op_type, list(inputs), outs, name,
                                   {k: v for k, v in attrs.items() if v is not None},
                                   f"{prefix}/{op_type}"))
        return outs[0] if n_out == 1 else outs

    def const(self, value, dtype=None) -> str:
        """An initializer holding ``value`` (shared by equal constants)."""
        array = np.asarray(value, dtype=dtype)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._consts:
            # the first free const_<k>: names of the model's weights are skipped, so a
            # re-exported model whose 0-d constants came back as parameters named const_<k>
            # numbers its other constants as the first export did
            while f"const_{self._const_index}" in self.names:
                self._const_index += 1
            name = f"const_{self._const_index}"
            self.names.add(name)
            self._const_index += 1
            self.initializers[name] = array
            self._consts[key] = name
        return self._consts[key]

    def ints(self, values) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1))

    def initializer(self, name: str, array) -> str:
        self.names.add(name)
        # np.asarray(order="C"), not np.ascontiguousarray, which turns a 0-d weight into 1-d
        self.initializers[name] = np.asarray(array, order="C")
        return name

    # ------------------------------------------------------------------ values of the trace
    def register(self, value, tensor: Tensor | None = None, array=None, node=None) -> None:
        if node is not None:
            self.by_node[id(node)] = value
        if tensor is not None:
            self.by_tensor[id(tensor)] = value
            array = tensor._data if array is None else array
        if array is not None:
            self.by_array[id(array)] = value
        if isinstance(value, Value):
            self.known.append(value)

    def find(self, obj):
        """The graph value of a Tensor or array of trace A, or None if it is not one."""
        if isinstance(obj, Tensor):
            node = obj._node
            if node is not None and id(node) in self.by_node:
                return self.by_node[id(node)]
            if id(obj) in self.by_tensor:
                return self.by_tensor[id(obj)]
            array = obj._data
        else:
            array = obj
        if id(array) in self.by_array:
            return self.by_array[id(array)]
        for key in ((id(obj), id(array)) if isinstance(obj, Tensor) else (id(array),)):
            if key in self.state:
                name, t = self.state[key]
                if name not in self.initializers:
                    self.initializer(name, t._data)
                data = t._data
                value = Value(name, data.shape, data.shape, data.dtype)
                self.register(value, t if isinstance(t, Tensor) else None, data)
                return value
        return None

    # ------------------------------------------------------------------ dimensions
    def shape_of(self, value: Value) -> str:
        if value.name not in self._shapes:
            self._shapes[value.name] = self.node("Shape", [value.name])
        return self._shapes[value.name]

    def dim(self, a: int, b: int, prefer=()) -> str | None:
        """A 1-element int64 value equal to ``a`` on trace A's inputs and ``b`` on trace B's: a
        dimension of a value (``prefer`` first, then the graph's inputs and the recorded results
        in order) that takes the sizes (a, b), or k times one, or one divided by k; None if none
        does."""
        a, b = int(a), int(b)
        if a == b:
            return self.ints([a])
        if (a, b) in self._dims:
            return self._dims[(a, b)]
        candidates = [v for v in prefer if isinstance(v, Value)] + self.known
        found = None
        for rule in ("equal", "times", "divided"):
            for v in candidates:
                if len(v.shape) != len(v.shape_b):
                    continue
                for j, (da, db) in enumerate(zip(v.shape, v.shape_b)):
                    if da == db or da <= 0 or db <= 0:
                        continue
                    if rule == "equal" and (da, db) == (a, b):
                        found = (v, j, None, None)
                    elif rule == "times" and a % da == 0 and b % db == 0 and a // da == b // db:
                        found = (v, j, "Mul", a // da)
                    elif rule == "divided" and da % a == 0 and db % b == 0 and \
                            da // a == db // b:
                        found = (v, j, "Div", da // a)
                    if found:
                        break
                if found:
                    break
            if found:
                break
        if not found:
            return None
        v, j, how, k = found
        out = self.node("Gather", [self.shape_of(v), self.ints([j])], axis=0)
        if how is not None:
            out = self.node(how, [out, self.ints([k])])
        self._dims[(a, b)] = out
        return out


class Op:
    """One recorded call of a primitive, as its emitter sees it (trace A, with trace B beside).

    ``x(i)`` is the ONNX name of positional argument i; ``param(key)`` a keyword parameter that
    must be the same in both traces; ``pair(key)`` both values; ``node(...)`` adds a node.
    """

    def __init__(self, builder: Builder, call: Call, other: Call, third: Call):
        self.b = builder
        self.call = call
        self.other = other          # trace B: dynamic axes longer, values shuffled
        self.third = third          # trace C: the example's shapes, values shuffled
        self.name = call.name
        self.opset = builder.opset

    # ------------------------------------------------------------------ errors
    def where(self) -> str:
        return f"primitive '{self.name}' in {self.call.where()}"

    def refuse(self, problem: str) -> UnsupportedPrimitiveError:
        return UnsupportedPrimitiveError(f"chainrule.onnx.export: {self.where()}: {problem}",
                                         self.name, self.call.module)

    def fail(self, problem: str) -> OnnxExportError:
        return OnnxExportError(f"chainrule.onnx.export: {self.where()}: {problem}", self.name,
                               self.call.module)

    # ------------------------------------------------------------------ arguments
    @property
    def nargs(self) -> int:
        return len(self.call.args)

    def arg(self, i: int):
        return self.call.args[i] if i < len(self.call.args) else None

    def value(self, i: int):
        """The graph value of argument i (a Value, Packed or Part), or a constant made for it."""
        def at(call):
            return call.args[i] if i < len(call.args) else None

        return self.resolve(at(self.call), at(self.other), f"argument {i}", at(self.third))

    def resolve(self, a, b, what: str, c=None):
        """The graph value of ``a`` (trace A), ``b`` and ``c`` being the same argument in traces
        B and C."""
        if a is None:
            return None
        if isinstance(a, (Tensor, np.ndarray)):
            found = self.b.find(a)
            if isinstance(found, Poison):
                raise found.error
            if found is not None:
                return found
            if isinstance(a, Tensor) and a._node is not None:
                raise self.refuse(
                    f"its {what} was computed by an operation the tracer cannot see (a custom "
                    f"autograd Function, or a primitive applied outside Function.apply); write "
                    f"it with chainrule operations to export it")
            data_a = a._data if isinstance(a, Tensor) else a
            data_b = b._data if isinstance(b, Tensor) else b
            data_c = c._data if isinstance(c, Tensor) else c
            if not (same(data_a, data_b) and same(data_a, data_c)):
                raise self.fail(
                    f"its {what} (shape {tuple(data_a.shape)}, {data_a.dtype}) is an array "
                    f"computed outside chainrule's operations (NumPy on .data or ._data, a "
                    f"comparison, argmax, a random mask…) that changes with the inputs, so it "
                    f"cannot be a constant of the graph; compute it with chainrule operations, "
                    f"or pass it to the model as an input")
            name = self.b.const(data_a)
            return Value(name, data_a.shape, data_a.shape, data_a.dtype)
        return a                         # a Python number, string, slice…: the emitter decides

    def x(self, i: int, dtype=None) -> str:
        """The ONNX name of argument i ('' for None), cast to ``dtype`` if given and different;
        a Python number becomes a 0-d constant of ``dtype`` (the output's by default)."""
        return self.as_name(self.value(i), dtype, f"argument {i}")

    def as_name(self, v, dtype=None, what: str = "a value") -> str:
        if v is None:
            return ""
        if isinstance(v, (Packed, Part)):
            raise self.refuse(f"{what} is the packed output of a recurrent layer used other than "
                              "by its unpacking (rnn/gru/lstm results sliced and reshaped)")
        if isinstance(v, Value):
            if dtype is not None and np.dtype(dtype) != v.dtype:
                return self.node("Cast", [v.name], to=onnx_type(dtype))
            return v.name
        if isinstance(v, (bool, int, float, np.number)):
            return self.b.const(v, dtype if dtype is not None else self.out_dtype)
        raise self.refuse(f"{what} is a {type(v).__name__} ({v!r}), which has no ONNX form here")

    def shape(self, i: int) -> tuple:
        v = self.value(i)
        return tuple(v.shape) if isinstance(v, Value) else tuple(np.shape(self.arg(i)))

    def shape_b(self, i: int) -> tuple:
        v = self.value(i)
        return tuple(v.shape_b) if isinstance(v, Value) else tuple(np.shape(self.other.args[i]))

    def dtype(self, i: int):
        v = self.value(i)
        return v.dtype if isinstance(v, Value) else np.asarray(self.arg(i)).dtype

    # ------------------------------------------------------------------ the result
    @property
    def out_shape(self) -> tuple:
        return tuple(self.call.output.shape)

    @property
    def out_shape_b(self) -> tuple:
        return tuple(self.other.output.shape)

    @property
    def out_dtype(self):
        return self.call.output._data.dtype

    # ------------------------------------------------------------------ parameters
    def pair(self, key: str, default=None):
        """A keyword parameter in traces A and B; it may depend on the input sizes (it differs
        between them), not on their values (it must be the same in trace C, except for arrays
        that are values of the graph)."""
        a, b = self.call.params.get(key, default), self.other.params.get(key, default)
        c = self.third.params.get(key, default)
        if not self._same_data(a, c):
            raise self.fail(f"its parameter {key} is {a!r} on the example inputs and {c!r} on "
                            f"inputs of the same shapes with other values: it depends on the "
                            f"input data, which a fixed attribute of an ONNX node cannot (compute "
                            f"it with chainrule operations, or pass it as an input)")
        return a, b

    def third_param(self, key: str, default=None):
        """The keyword parameter in trace C (the example's shapes, other values)."""
        return self.third.params.get(key, default)

    def _same_data(self, a, c) -> bool:
        if isinstance(a, (Tensor, np.ndarray)) and self.b.find(a) is not None:
            return True                               # a value of the graph, not a constant
        if isinstance(a, (tuple, list)) and isinstance(c, (tuple, list)):
            return len(a) == len(c) and all(self._same_data(x, y) for x, y in zip(a, c))
        return same(a, c)

    def param(self, key: str, default=None):
        """A keyword parameter that depends neither on the input data nor on their sizes."""
        a, b = self.pair(key, default)
        if not same(a, b):
            raise self.fail(f"its parameter {key} is {a!r} on the example inputs and {b!r} on "
                            f"the second trace's (values shuffled, dynamic axes longer): it "
                            f"depends on the input data or sizes, and its ONNX form needs a "
                            f"fixed value (fix the axes it depends on, or compute it inside the "
                            f"graph with chainrule operations)")
        return a

    def param_value(self, key: str):
        """A keyword parameter that is an array (indices, statistics) as a graph value."""
        a, b, c = (t.params.get(key) for t in (self.call, self.other, self.third))
        return self.resolve(a, b, f"parameter {key}", c)

    # ------------------------------------------------------------------ writing
    def node(self, op_type: str, inputs, n_out: int = 1, **attrs):
        return self.b.node(op_type, inputs, n_out, **attrs)

    def const(self, value, dtype=None) -> str:
        return self.b.const(value, dtype)

    def ints(self, values) -> str:
        return self.b.ints(values)

    def dim(self, a: int, b: int, what: str, prefer=()) -> str:
        out = self.b.dim(a, b, prefer)
        if out is None:
            raise self.fail(f"{what} is {a} on the example inputs and {b} with the dynamic axes "
                            f"longer, and no dimension of the graph's values (or a multiple "
                            f"or fraction of one) takes those sizes, so it cannot be computed in "
                            f"the graph")
        return out

    def unsqueeze(self, name: str, axes) -> str:
        axes = [int(a) for a in axes]
        if self.opset >= 13:
            return self.node("Unsqueeze", [name, self.ints(axes)])
        return self.node("Unsqueeze", [name], axes=axes)

    def squeeze(self, name: str, axes) -> str:
        axes = [int(a) for a in axes]
        if self.opset >= 13:
            return self.node("Squeeze", [name, self.ints(axes)])
        return self.node("Squeeze", [name], axes=axes)

    def shape_operand(self, target: tuple, target_b: tuple, source: Value | None,
                      what: str, expand: bool = False) -> str:
        """The int64 shape input of Reshape (or Expand with ``expand``) giving ``target`` on trace
        A and ``target_b`` on trace B: fixed entries as they are; an entry that follows the
        source's dimension at the same position (the aligned one for Expand) as 0 (Reshape copies
        it) or 1 (Expand keeps it); one other entry as −1 (Reshape infers it); any more computed
        from the graph's shapes (:meth:`dim`)."""
        target, target_b = tuple(int(t) for t in target), tuple(int(t) for t in target_b)
        if len(target) != len(target_b):
            raise self.fail(f"{what} has rank {len(target)} on the example inputs and "
                            f"{len(target_b)} with the dynamic axes longer")
        if target == target_b:
            return self.ints(target)
        if any(t == 0 for t in target):
            raise self.fail(f"{what} {target} has a 0-size axis while other axes are dynamic")
        entries: list = []
        src, src_b = (tuple(source.shape), tuple(source.shape_b)) if source else ((), ())
        offset = len(target) - len(src) if expand else 0
        unknown = []
        for i, (a, b) in enumerate(zip(target, target_b)):
            j = i - offset
            follows = 0 <= j < len(src) and src[j] == a and src_b[j] == b
            if a == b:
                entries.append(a)
            elif follows:
                entries.append(1 if expand else 0)
            else:
                entries.append(None)
                unknown.append(i)
        if not unknown:
            return self.ints(entries)
        if len(unknown) == 1 and not expand:
            return self.ints([-1 if e is None else e for e in entries])
        pieces = [self.ints([e]) if e is not None else
                  self.dim(target[i], target_b[i], f"axis {i} of {what}",
                           prefer=(source,) if source else ())
                  for i, e in enumerate(entries)]
        return self.node("Concat", pieces, axis=0)


def onnx_type(dtype) -> int:
    """The ONNX TensorProto element type of a NumPy dtype."""
    from onnx import helper

    return int(helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))
