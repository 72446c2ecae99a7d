"""Refusals: every bad model is a chainrule.onnx error (a ValueError) that names the model and
what is wrong, raised while loading, before anything runs."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from onnx_helpers import FLOAT, TensorProto, graph_model, helper, numpy_helper, onnx

import chainrule.onnx as cro
from chainrule.onnx import (
    OnnxFormatError,
    OnnxImportError,
    OnnxSizeError,
    OnnxVersionError,
    UnsupportedOperatorError,
)


def small_model(opset=17):
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="fc"),
             helper.make_node("Relu", ["h"], ["y"], name="act")]
    inits = [("w", np.ones((3, 4), np.float32)), ("b", np.zeros(3, np.float32))]
    return graph_model(nodes, [("x", [2, 4])], [("y", [2, 3])], inits, opset=opset)


def test_every_error_is_a_value_error():
    for cls in (OnnxFormatError, OnnxSizeError, OnnxVersionError, UnsupportedOperatorError):
        assert issubclass(cls, OnnxImportError) and issubclass(cls, ValueError)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file(tmp_path, fraction):
    data = small_model().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(OnnxFormatError) as info:
        cro.load(path)
    assert "cut.onnx" in str(info.value)
    assert "truncated" in str(info.value) or "checker" in str(info.value)


@pytest.mark.parametrize("data", [b"", b"hello, this is a text file\n" * 20,
                                  b"PK\x03\x04" + bytes(range(256)) * 4,
                                  b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, bytes(1000)])
def test_not_onnx(tmp_path, data):
    path = tmp_path / "foreign.onnx"
    path.write_bytes(data)
    with pytest.raises(OnnxFormatError, match=r"foreign\.onnx.*(empty|not .*ONNX|checker)"):
        cro.load(path)


def test_over_the_size_limit(tmp_path, monkeypatch):
    data = small_model().SerializeToString()
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    with pytest.raises(OnnxSizeError, match=rf"{len(data):,} bytes, over the limit of 100 "):
        cro.load(path, max_bytes=100)
    with pytest.raises(OnnxSizeError, match="over the limit of 100 bytes"):
        cro.load(data, max_bytes=100)
    monkeypatch.setattr(cro, "MAX_BYTES", 50)
    with pytest.raises(OnnxSizeError, match="MAX_BYTES"):
        cro.load(path)
    assert cro.load(path, max_bytes=len(data)) is not None      # exactly at the limit: fine


@pytest.mark.parametrize(("op", "domain"), [("LSTMCell", ""), ("Hardmax", ""),
                                            ("FusedConv", "com.microsoft")])
def test_unsupported_operator_names_node_opset_and_path(tmp_path, op, domain):
    model = small_model(opset=17)
    model.graph.node[1].op_type = op
    model.graph.node[1].domain = domain
    if domain:
        model.opset_import.append(helper.make_opsetid(domain, 1))
    path = tmp_path / "exotic.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises((UnsupportedOperatorError, OnnxFormatError)) as info:
        cro.load(path)
    if op == "LSTMCell":       # not an ONNX operator at all: the checker refuses it
        assert "LSTMCell" in str(info.value)
        return
    error = info.value
    assert isinstance(error, UnsupportedOperatorError)
    assert (error.op_type, error.node_name, error.opset) == (op, "act", 17)
    for part in (op, "'act'", "opset 17", "exotic.onnx"):
        assert part in str(error)


@pytest.mark.parametrize(("node", "inputs", "words"), [
    (helper.make_node("MaxPool", ["x"], ["y", "idx"], kernel_shape=[2, 2], name="mp"),
     [("x", [1, 1, 4, 4])], "Indices"),
    (helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y"], training_mode=1,
                      name="bn"), [("x", [2, 2]), ("s", [2])], "training_mode=1"),
    (helper.make_node("Cast", ["x"], ["y"], to=TensorProto.STRING, name="c"),
     [("x", [2])], "to=STRING"),
    (helper.make_node("Conv", ["x", "x"], ["y"], auto_pad="SAME_MIDDLE", name="cv"),
     [("x", [1, 1, 3, 3])], "auto_pad='SAME_MIDDLE'"),
    (helper.make_node("Pad", ["x", "p"], ["y"], mode="wrap", name="pd"),
     [("x", [2]), ("p", [2], TensorProto.INT64)], "mode='wrap'"),
])
def test_unsupported_attribute_values_are_refused_at_load(node, inputs, words):
    model = graph_model([node], inputs, [(o, 1) for o in node.output if o][:1], opset=17)
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("y", FLOAT, None))
    model.graph.output[0].type.tensor_type.shape.dim.add()
    with pytest.raises(UnsupportedOperatorError) as info:
        cro.load(model.SerializeToString())
    assert words in str(info.value) and repr(node.name) in str(info.value)
    assert "opset 17" in str(info.value)


def _raw(name, shape, data: bytes):
    t = onnx.TensorProto(name=name, data_type=TensorProto.FLOAT, dims=shape)
    t.raw_data = data
    return t


@pytest.mark.parametrize("kind", ["short raw", "long raw", "float_data", "negative dims"])
def test_initializer_whose_declared_size_disagrees_with_its_data(kind):
    model = small_model()
    bad = {"short raw": _raw("w", [3, 4], bytes(40)), "long raw": _raw("w", [3, 4], bytes(52)),
           "float_data": onnx.TensorProto(name="w", data_type=FLOAT, dims=[3, 4],
                                          float_data=[1.0] * 11),
           "negative dims": _raw("w", [3, -4], bytes(48))}[kind]
    model.graph.initializer[0].CopyFrom(bad)
    with pytest.raises(OnnxFormatError) as info:
        cro.load(model.SerializeToString())
    message = str(info.value)
    assert "'w'" in message
    if kind != "negative dims":
        assert "[3, 4]" in message or "3" in message


def test_opset_outside_the_range():
    model = small_model(opset=17)
    model.opset_import[0].version = 23
    with pytest.raises(OnnxVersionError, match="opset 23 is newer than the 11–21"):
        cro.load(model.SerializeToString())


def test_old_opset_is_converted():
    model = cro.load(small_model(opset=9).SerializeToString())
    assert model.opset == 11
    np.testing.assert_array_equal(model(np.ones((2, 4), np.float32)).numpy(), np.full((2, 3), 4))


def test_failed_conversion_says_so(monkeypatch):
    from onnx import version_converter

    def refuse(model, target):
        raise RuntimeError("no adapter for op Foo")

    monkeypatch.setattr(version_converter, "convert_version", refuse)
    with pytest.raises(OnnxVersionError, match="onnx.version_converter could not convert it "
                                               "to opset 11: no adapter"):
        cro.load(small_model(opset=9).SerializeToString())


def test_missing_onnx_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[onnx\]'"):
        cro.load(b"anything")


# ------------------------------------------------------------------------------ external data
def _with_external_data(tmp_path, location: str):
    model = small_model()
    weights = numpy_helper.to_array(model.graph.initializer[0])
    (tmp_path / "weights.bin").write_bytes(weights.tobytes())
    t = model.graph.initializer[0]
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    path = tmp_path / "model" / "m.onnx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def test_external_data_from_the_model_folder(tmp_path):
    path = _with_external_data(tmp_path, "weights.bin")
    (path.parent / "weights.bin").write_bytes((tmp_path / "weights.bin").read_bytes())
    model = cro.load(path)
    np.testing.assert_array_equal(model.w.numpy(), np.ones((3, 4)))
    with pytest.raises(OnnxFormatError, match="load the model from its path"):
        cro.load(path.read_bytes())
    with pytest.raises(OnnxSizeError, match="external data"):
        cro.load(path, max_bytes=path.stat().st_size + 10)


@pytest.mark.parametrize("where", ["../weights.bin", "ABSOLUTE", "link.bin", "missing.bin"])
def test_external_data_outside_the_model_folder_is_refused(tmp_path, where):
    location = str(tmp_path / "weights.bin") if where == "ABSOLUTE" else where
    path = _with_external_data(tmp_path, location)
    if where == "link.bin":
        (path.parent / "link.bin").symlink_to(tmp_path / "weights.bin")
    with pytest.raises(OnnxFormatError, match=r"external data (location|file)") as info:
        cro.load(path)
    assert "'w'" in str(info.value)


# ------------------------------------------------------------------------------ mutants
def test_mutated_models_load_or_fail_cleanly():
    """200 seeded byte mutations of a small model: each loads and runs, or is refused with a
    chainrule.onnx error — never another exception."""
    data = bytearray(small_model().SerializeToString())
    rng = np.random.default_rng(7)
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(200):
        mutant = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(len(mutant)))
            mutant[i] = int(rng.integers(256)) if rng.random() < 0.8 else mutant[i] ^ 0x80
        try:
            model = cro.load(bytes(mutant))
        except OnnxImportError:
            outcomes["refused"] += 1
            continue
        outcomes["loaded"] += 1
        feeds = {}
        for spec in model._inputs:
            shape = [d or 1 for d in spec.dims]
            feeds[spec.name] = np.ones(shape, spec.dtype or np.float32)
        try:
            model(**feeds)
        except (ValueError, TypeError, IndexError):
            pass
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 200
