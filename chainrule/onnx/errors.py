"""The errors of :func:`chainrule.onnx.load`; each names the model it is about.

All are ``ValueError``\\ s (the file, or the graph in it, is not something chainrule can run), so
``except ValueError`` catches every refusal. Their messages say what is wrong and what was
expected: the initializer and its declared and actual sizes, the operator with its node name and
opset, the limit and the file's size.
"""
from __future__ import annotations

__all__ = ["OnnxImportError", "OnnxFormatError", "OnnxSizeError", "OnnxVersionError",
           "UnsupportedOperatorError", "MissingDependencyError"]


class OnnxImportError(ValueError):
    """A model that :func:`chainrule.onnx.load` refuses; ``source`` names the file (or bytes)."""

    def __init__(self, source: str, problem: str):
        super().__init__(f"chainrule.onnx.load({source}): {problem}")
        self.source = source
        self.problem = problem


class OnnxFormatError(OnnxImportError):
    """Not a (complete, consistent) ONNX model: truncated or foreign bytes, a graph that
    ``onnx.checker`` rejects, a tensor whose data disagrees with its declared shape and type, or
    external data outside the model's folder."""


class OnnxSizeError(OnnxImportError):
    """The model (with its external data) is larger than the size limit in force."""


class OnnxVersionError(OnnxImportError):
    """An opset outside 11–21 that ``onnx.version_converter`` could not bring into range."""


class UnsupportedOperatorError(OnnxImportError):
    """An operator, or an attribute value of one, that this importer does not implement.

    Raised while loading, before anything runs. ``op_type``, ``node_name`` and ``opset`` say which.
    """

    def __init__(self, source: str, problem: str, op_type: str = "", node_name: str = "",
                 opset: int = 0):
        super().__init__(source, problem)
        self.op_type = op_type
        self.node_name = node_name
        self.opset = opset


class MissingDependencyError(ImportError):
    """The optional ``onnx`` package is not installed."""
