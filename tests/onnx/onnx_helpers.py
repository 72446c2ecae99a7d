"""Shared helpers of the ONNX import tests: building graphs with onnx.helper, running them in
onnxruntime (the reference), and exporting PyTorch models."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import chainrule.onnx as cro  # noqa: E402

RTOL, ATOL = 1e-3, 1e-4
FLOAT = TensorProto.FLOAT


def graph_model(nodes, inputs, outputs, initializers=(), opset=17):
    """A ModelProto from nodes; ``inputs``/``outputs`` are (name, shape[, elem type]), a shape
    given as an int meaning that many dimensions of unknown length, None as whatever ONNX's
    shape inference says."""
    def info(spec):
        name, shape, *kind = spec
        if isinstance(shape, int):
            shape = [f"{name}_{i}" for i in range(shape)]
        return helper.make_tensor_value_info(name, kind[0] if kind else FLOAT, shape)

    inits = [numpy_helper.from_array(np.asarray(a), name) for name, a in initializers]
    graph = helper.make_graph(nodes, "test", [info(i) for i in inputs],
                              [info(o) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if any(o[1] is None for o in outputs):     # the checker wants every output's shape
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    return model


def ort_outputs(model_bytes: bytes, feeds: dict) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def assert_matches_ort(model, feeds: dict, rtol=RTOL, atol=ATOL):
    """chainrule's outputs of ``model`` (a ModelProto or bytes) equal onnxruntime's."""
    data = model if isinstance(model, bytes) else model.SerializeToString()
    ours = cro.load(data)(**feeds)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = ort_outputs(data, feeds)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a = a.numpy()
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    return ours


def export(module, example, opset: int, fold: bool = False, dynamic_batch: bool = True) -> bytes:
    """``torch.onnx.export`` (the TorchScript exporter: the default one needs onnxscript, which
    is not installed) of ``module`` in eval mode; ``fold=False`` keeps BatchNormalization nodes
    and the Shape → Gather → Concat → Reshape arithmetic."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (example,), buffer, opset_version=opset, dynamo=False,
                          do_constant_folding=fold, input_names=["input"],
                          output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}} if dynamic_batch else None)
    return buffer.getvalue()
