"""Reading an ONNX model safely: size limit, parsing, external data, checker, opset range.

The steps, each refusing with an :mod:`~chainrule.onnx.errors` error that names the model:

1. size: the file (and later each external-data file) is measured before it is read; the total
   may not exceed ``max_bytes`` (default :data:`MAX_BYTES`);
2. parsing with the ``onnx`` package (a truncated or foreign file fails here, or has no graph);
3. external data: only files inside the model's own folder (no absolute paths, no ``..``, no
   symbolic link leading out), only the declared byte range, each counted against the limit;
4. ``onnx.checker.check_model``;
5. every tensor's data must match its declared shape and type (initializers and Constant
   values, recursively in attribute tensors);
6. opset: 11–21; an older model is converted with ``onnx.version_converter``.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .errors import (
    MissingDependencyError,
    OnnxFormatError,
    OnnxSizeError,
    OnnxVersionError,
)
from .values import DTYPE_NAMES, DTYPES

#: The largest model (file plus external data, in bytes) :func:`chainrule.onnx.load` reads
#: unless told otherwise with ``max_bytes=``: 1 GiB, room for VGG-16 (528 MB) twice over.
MAX_BYTES = 1 << 30

MIN_OPSET, MAX_OPSET = 11, 21


def require_onnx():
    """The ``onnx`` package, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as exc:
        raise MissingDependencyError(
            "chainrule.onnx needs the 'onnx' package to read models: "
            "pip install 'chainrule[onnx]'  (or: pip install onnx)") from exc
    return onnx


def read_model(source, max_bytes: int | None = None):
    """``(ModelProto, label, folder)`` for a path, bytes, a binary file object or a ModelProto."""
    onnx = require_onnx()
    limit = MAX_BYTES if max_bytes is None else int(max_bytes)
    folder = None
    if isinstance(source, onnx.ModelProto):
        label, data = "<ModelProto>", source.SerializeToString()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        label, data = "<bytes>", bytes(source)
    elif hasattr(source, "read"):
        label = repr(getattr(source, "name", "<file object>"))
        data = source.read(limit + 1)
    else:
        path = Path(os.fspath(source))
        label = repr(str(path))
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise FileNotFoundError(f"chainrule.onnx.load: cannot read {str(path)!r}: "
                                    f"{exc.strerror or exc}") from exc
        _check_size(label, size, limit, "the file")
        data = path.read_bytes()
        folder = path.resolve().parent
    _check_size(label, len(data), limit, "the model")
    model = _parse(onnx, data, label)
    _load_external_data(model, label, folder, limit - len(data))
    check_tensors(model, label)     # before the checker: its message names shape and sizes
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001  (onnx's ValidationError and protobuf errors)
        raise OnnxFormatError(label, f"onnx.checker rejects the model: {exc}") from exc
    return _in_opset_range(onnx, model, label), label, folder


def _check_size(label: str, size: int, limit: int, what: str) -> None:
    if size > limit:
        raise OnnxSizeError(label, f"{what} is {size:,} bytes, over the limit of {limit:,} "
                                   "bytes (chainrule.onnx.MAX_BYTES; pass max_bytes= to raise it)")


def _parse(onnx, data: bytes, label: str):
    if not data:
        raise OnnxFormatError(label, "the file is empty, not an ONNX model")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:  # noqa: BLE001  (protobuf's DecodeError, and RuntimeError variants)
        raise OnnxFormatError(label, f"not a valid ONNX model (truncated, or not ONNX at all): "
                                     f"the protobuf parser says {exc}") from exc
    if not model.HasField("graph"):
        raise OnnxFormatError(label, "not an ONNX model: the bytes parse as protobuf but hold "
                                     "no graph")
    if model.ir_version < 1:
        raise OnnxFormatError(label, "not an ONNX model: no IR version")
    return model


# --------------------------------------------------------------------------- external data
def all_tensors(graph):
    """Every TensorProto of a graph: initializers and attribute tensors, subgraphs included."""
    yield from graph.initializer
    for node in graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("g"):
                yield from all_tensors(a.g)
            for g in a.graphs:
                yield from all_tensors(g)


def _external_tensors(model):
    return [t for t in all_tensors(model.graph) if t.data_location == 1]   # EXTERNAL


def _load_external_data(model, label: str, folder: Path | None, room: int) -> int:
    """Read each external tensor's bytes into it; returns the bytes read."""
    tensors = _external_tensors(model)
    if not tensors:
        return 0
    if folder is None:
        raise OnnxFormatError(label, f"tensor {tensors[0].name!r} keeps its data in an external "
                                     "file; load the model from its path so that the file can "
                                     "be found in the model's folder")
    read = 0
    for t in tensors:
        info = {e.key: e.value for e in t.external_data}
        location = info.get("location", "")
        target = _inside(folder, location, label, t.name)
        size = target.stat().st_size
        try:
            offset = int(info.get("offset", 0) or 0)
            length = int(info["length"]) if info.get("length") else size - offset
        except ValueError as exc:
            raise OnnxFormatError(label, f"tensor {t.name!r}: external data offset/length "
                                         f"{info.get('offset')!r}/{info.get('length')!r} are "
                                         "not integers") from exc
        if offset < 0 or length < 0 or offset + length > size:
            raise OnnxFormatError(label, f"tensor {t.name!r}: external data range "
                                         f"[{offset}, {offset + length}) lies outside "
                                         f"{location!r} ({size} bytes)")
        read += length
        if read > room:
            raise OnnxSizeError(label, f"the model with its external data is over the limit of "
                                       f"{room:,} bytes left for external data "
                                       "(chainrule.onnx.MAX_BYTES; pass max_bytes= to raise it)")
        with open(target, "rb") as f:
            f.seek(offset)
            t.raw_data = f.read(length)
        del t.external_data[:]
        t.data_location = 0   # TensorProto.DEFAULT
    return read


def _inside(folder: Path, location: str, label: str, name: str) -> Path:
    """The external file ``location`` names, refused unless it lies in ``folder`` itself."""
    rel = Path(location)
    if not location or rel.is_absolute() or ".." in rel.parts or rel.drive:
        raise OnnxFormatError(label, f"tensor {name!r}: external data location {location!r} "
                                     "must be a file name relative to the model's folder")
    target = (folder / rel).resolve()
    if folder not in target.parents:
        raise OnnxFormatError(label, f"tensor {name!r}: external data location {location!r} "
                                     f"leads outside the model's folder {str(folder)!r}")
    if not target.is_file():
        raise OnnxFormatError(label, f"tensor {name!r}: external data file {location!r} is not "
                                     f"in the model's folder {str(folder)!r}")
    return target


# --------------------------------------------------------------------------- tensors
_FIELDS = {1: "float_data", 11: "double_data", 7: "int64_data", 12: "uint64_data",
           13: "uint64_data"}   # every other numeric type keeps its values in int32_data


def check_tensors(model, label: str) -> None:
    """Every tensor's data agrees with its declared dims and type (refused otherwise)."""
    initializers = {id(t) for t in model.graph.initializer}
    for t in all_tensors(model.graph):
        check_tensor(t, label, "initializer" if id(t) in initializers else "tensor")


def check_tensor(t, label: str, what: str = "tensor") -> None:
    dims = list(t.dims)
    if any(d < 0 for d in dims):
        raise OnnxFormatError(label, f"{what} {t.name!r} declares negative dimensions {dims}")
    count = math.prod(dims)
    kind = DTYPE_NAMES.get(t.data_type, str(t.data_type))
    if t.data_type == 8:   # strings: one entry per element
        if len(t.string_data) != count:
            raise OnnxFormatError(label, f"{what} {t.name!r} declares shape {dims} "
                                         f"({count} strings) but holds {len(t.string_data)}")
        return
    if t.HasField("raw_data"):
        itemsize = DTYPES[t.data_type].itemsize if t.data_type in DTYPES else None
        if itemsize is not None and len(t.raw_data) != count * itemsize:
            raise OnnxFormatError(label, f"{what} {t.name!r} declares shape {dims} "
                                         f"of {kind} ({count} elements, {count * itemsize} "
                                         f"bytes) but its data holds {len(t.raw_data)} bytes")
        return
    field = _FIELDS.get(t.data_type, "int32_data")
    held = len(getattr(t, field))
    if t.data_type in (14, 15):
        held //= 2   # complex numbers are stored as (real, imaginary) pairs
    if held != count:
        raise OnnxFormatError(label, f"{what} {t.name!r} declares shape {dims} of "
                                     f"{kind} ({count} elements) but its {field} holds {held}")


def tensor_array(t, label: str) -> np.ndarray:
    """A checked TensorProto as a NumPy array (writable, owning its memory)."""
    from onnx import numpy_helper

    if t.data_type not in DTYPES:
        raise OnnxFormatError(label, f"tensor {t.name!r} has element type "
                                     f"{DTYPE_NAMES.get(t.data_type, t.data_type)}, which "
                                     "chainrule does not compute with")
    return np.array(numpy_helper.to_array(t), dtype=DTYPES[t.data_type], copy=True)


# --------------------------------------------------------------------------- opsets
def default_opset(model) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 0


def _in_opset_range(onnx, model, label: str):
    opset = default_opset(model)
    if opset == 0:
        raise OnnxVersionError(label, "the model imports no default-domain (ai.onnx) opset")
    if opset > MAX_OPSET:
        raise OnnxVersionError(label, f"opset {opset} is newer than the {MIN_OPSET}–{MAX_OPSET} "
                                      f"this importer implements; export with opset ≤ "
                                      f"{MAX_OPSET}")
    if opset >= MIN_OPSET:
        return model
    from onnx import version_converter

    try:
        converted = version_converter.convert_version(model, MIN_OPSET)
        onnx.checker.check_model(converted)
    except Exception as exc:  # noqa: BLE001  (the converter raises several kinds)
        raise OnnxVersionError(label, f"opset {opset} is older than {MIN_OPSET} and "
                                      f"onnx.version_converter could not convert it to opset "
                                      f"{MIN_OPSET}: {exc}") from exc
    return converted
