"""ONNX interchange: import an ONNX model as a chainrule Module (``chainrule.onnx.load``).

The ``onnx`` package is an optional dependency (``pip install 'chainrule[onnx]'``), imported
only when a model is loaded. See docs/onnx.md for the supported operators and opsets, the size
limit, and how imported parameters are named.
"""
from .errors import (
    MissingDependencyError,
    OnnxFormatError,
    OnnxImportError,
    OnnxSizeError,
    OnnxVersionError,
    UnsupportedOperatorError,
)
from .importer import load
from .module import OnnxModule
from .reader import MAX_BYTES, MAX_OPSET, MIN_OPSET
from .registry import supported_operators

__all__ = ["load", "OnnxModule", "supported_operators", "MAX_BYTES", "MIN_OPSET", "MAX_OPSET",
           "OnnxImportError", "OnnxFormatError", "OnnxSizeError", "OnnxVersionError",
           "UnsupportedOperatorError", "MissingDependencyError"]
