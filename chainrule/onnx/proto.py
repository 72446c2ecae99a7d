"""From the builder's records to an ``onnx.ModelProto``: the graph's outputs (renamed to the
names asked for, or copied by Identity where the value is an input, an initializer or another
output), the nodes no output needs dropped, the inputs' and outputs' types and shapes with their
symbolic dimensions, the initializers, the opset and the smallest IR version that holds it.
"""
from __future__ import annotations

import numpy as np

from ..backend import ndarray
from ..tensor import Tensor
from .builder import Builder, NodeSpec, Packed, Part, Poison, Value, onnx_type
from .export_errors import UnsupportedPrimitiveError
from .trace import Trace

__all__ = ["graph_outputs", "model_proto"]


def graph_outputs(builder: Builder, first: Trace, second: Trace, out_names) -> list:
    """[(name, Value)] of the graph's outputs; a constant output becomes an initializer."""
    outputs = []
    for k, (ta, tb) in enumerate(zip(first.outputs, second.outputs)):
        if not isinstance(ta, (Tensor, ndarray)):
            raise TypeError(f"chainrule.onnx.export: output {k} of the forward is a "
                            f"{type(ta).__name__}, not a Tensor; return Tensors (in tuples, "
                            f"lists or dicts)")
        value = builder.find(ta)
        if isinstance(value, Poison):
            raise value.error
        if isinstance(value, (Packed, Part)):
            raise UnsupportedPrimitiveError(f"chainrule.onnx.export: output {k} is the packed "
                                            f"result of a recurrent primitive, not unpacked")
        if value is None:
            data = ta._data if isinstance(ta, Tensor) else ta
            name = builder.const(data)
            value = Value(name, data.shape, np.shape(tb), data.dtype)
        outputs.append((out_names[k], value))
    return outputs


def model_proto(onnx, builder: Builder, first: Trace, in_names, outputs, axes, opset,
           keep_initializers_as_inputs):
    from onnx import helper, numpy_helper

    nodes = builder.nodes
    produced = {o: n for n in nodes for o in n.outputs}
    renames: dict[str, str] = {}
    for name, value in outputs:
        if value.name in produced and value.name not in renames and value.name not in in_names:
            renames[value.name] = name
        else:
            nodes.append(_identity(builder, value.name, name))
    for n in nodes:
        n.inputs = [renames.get(i, i) for i in n.inputs]
        n.outputs = [renames.get(o, o) for o in n.outputs]
    needed = {name for name, _ in outputs}
    kept = []
    for n in reversed(nodes):
        if any(o in needed for o in n.outputs):
            kept.append(n)
            needed.update(i for i in n.inputs if i)
    kept.reverse()
    _renumber(kept, set(in_names) | {name for name, _ in outputs} | set(builder.initializers))
    symbols = {}
    inputs_info = []
    for name, t in zip(in_names, first.inputs):
        dims = list(t.shape)
        for axis, symbol in axes.get(name, {}).items():
            dims[axis] = symbol
        inputs_info.append(helper.make_tensor_value_info(name, onnx_type(t._data.dtype), dims))
    for name, value in zip(in_names, [builder.by_tensor[id(t)] for t in first.inputs]):
        for j, (a, b) in enumerate(zip(value.shape, value.shape_b)):
            if a != b:
                symbols.setdefault((a, b), axes.get(name, {}).get(j, f"{name}_dim_{j}"))
    outputs_info = []
    for name, value in outputs:
        dims = list(value.shape)
        for j, (a, b) in enumerate(zip(value.shape, value.shape_b)):
            if a != b:
                dims[j] = symbols.get((a, b), f"{name}_dim_{j}")
        for axis, symbol in axes.get(name, {}).items():
            dims[axis] = symbol
        outputs_info.append(helper.make_tensor_value_info(name, onnx_type(value.dtype), dims))
    # in the order the nodes first read them: an order the graph alone decides (a re-export of
    # an imported export lists them as the first export did)
    first_read = list(dict.fromkeys(i for n in kept for i in n.inputs
                                    if i in builder.initializers))
    initializers = [numpy_helper.from_array(builder.initializers[name], name)
                    for name in first_read]
    if keep_initializers_as_inputs:
        inputs_info += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims))
                        for i in initializers]
    graph = helper.make_graph(
        [helper.make_node(n.op_type, n.inputs, n.outputs, name=n.name, **n.attrs) for n in kept],
        "chainrule", inputs_info, outputs_info, initializers)
    opset_ids = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opset_ids, producer_name="chainrule")
    model.ir_version = helper.find_min_ir_version_for(opset_ids)
    onnx.checker.check_model(model)
    return model


def _renumber(kept: list[NodeSpec], reserved: set) -> None:
    """Number the kept nodes 1, 2, … in graph order (``/fc/Gemm_7``), their outputs with them.

    Nodes are numbered as they are written, and those no output needs are dropped after; the
    numbers of the graph that remains depend on that graph alone, so an imported export, which
    no longer computes the dropped values, is exported again under the same names."""
    taken = set(reserved) | {n.name for n in kept if not n.base}
    renames: dict[str, str] = {}
    for k, n in enumerate(kept, 1):
        if not n.base:
            continue
        name, j = f"{n.base}_{k}", 1
        while name in taken:
            name, j = f"{n.base}_{k}_{j}", j + 1
        taken.add(name)
        for o in n.outputs:
            if o == n.name:
                renames[o] = name
            elif o.startswith(n.name + "_out") and o[len(n.name) + 4:].isdigit():
                renames[o] = name + o[len(n.name):]
        n.name = name
    for n in kept:
        n.inputs = [renames.get(i, i) for i in n.inputs]
        n.outputs = [renames.get(o, o) for o in n.outputs]


def _identity(builder: Builder, source: str, name: str):
    return NodeSpec("Identity", [source], [name], builder.fresh(f"/Identity_{name}"))
