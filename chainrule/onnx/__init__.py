"""ONNX interchange: import an ONNX model as a chainrule Module (``chainrule.onnx.load``) and
write a model's forward pass as an ONNX graph (``chainrule.onnx.export``).

The ``onnx`` package is an optional dependency (``pip install 'chainrule[onnx]'``), imported
only when a model is loaded or exported. See docs/onnx.md for the supported operators and
opsets, the size limit, how imported parameters are named, and what exports.
"""
from .emitters import exportable_primitives
from .errors import (
    MissingDependencyError,
    OnnxFormatError,
    OnnxImportError,
    OnnxSizeError,
    OnnxVersionError,
    UnsupportedOperatorError,
)
from .export_errors import OnnxExportError, OnnxExportWarning, UnsupportedPrimitiveError
from .exporter import MAX_EXPORT_OPSET, MIN_EXPORT_OPSET, export
from .importer import load
from .module import OnnxModule
from .reader import MAX_BYTES, MAX_OPSET, MIN_OPSET
from .registry import supported_operators

__all__ = ["load", "export", "OnnxModule", "exportable_primitives", "MIN_EXPORT_OPSET",
           "MAX_EXPORT_OPSET", "OnnxExportError", "OnnxExportWarning",
           "UnsupportedPrimitiveError", "supported_operators", "MAX_BYTES", "MIN_OPSET",
           "MAX_OPSET",
           "OnnxImportError", "OnnxFormatError", "OnnxSizeError", "OnnxVersionError",
           "UnsupportedOperatorError", "MissingDependencyError"]
