"""The errors of :func:`chainrule.onnx.export`.

Both are ``RuntimeError``\\ s, as PyTorch's ``torch.onnx.errors.OnnxExporterError``: the model is
fine, the exporter cannot express (part of) its forward pass in ONNX. Each message names the
primitive and the module whose forward applied it (``features.3 (Conv2d)``), and says why.
"""
from __future__ import annotations

__all__ = ["OnnxExportError", "UnsupportedPrimitiveError", "OnnxExportWarning"]


class OnnxExportError(RuntimeError):
    """The forward pass cannot be written as an ONNX graph (a dimension that cannot be expressed,
    a value computed outside chainrule's operations, a path that depends on the data).

    ``primitive`` and ``module`` name where it happened ('' when not at one operation).
    """

    def __init__(self, message: str, primitive: str = "", module: str = ""):
        super().__init__(message)
        self.primitive = primitive
        self.module = module


class UnsupportedPrimitiveError(OnnxExportError):
    """A primitive (or one of its argument values) that has no ONNX form in this exporter."""


class OnnxExportWarning(UserWarning):
    """Something exported that behaves as chainrule did on the example inputs but may not on
    others (e.g. recurrent-layer lengths that were all full and are dropped)."""
