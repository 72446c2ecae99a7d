"""The export registry: chainrule primitive name → the function that writes it as ONNX nodes.

An *emitter* receives an :class:`~chainrule.onnx.builder.Op` (one recorded application of the
primitive: its arguments, parameters and output, on the example inputs and on the second,
perturbed trace) and returns the ONNX name of the value it computes. Each family of primitives
lives in its own ``emit_*.py`` file; an emitter's docstring states the ONNX form and why it
computes the primitive's formula.
"""
from __future__ import annotations

from collections.abc import Callable

__all__ = ["emits", "EMITTERS", "exportable_primitives"]

EMITTERS: dict[str, Callable] = {}


def emits(*primitives: str):
    """Register the decorated emitter for each of ``primitives`` (chainrule primitive names)."""
    def register(fn):
        for name in primitives:
            if name in EMITTERS:
                raise RuntimeError(f"chainrule.onnx.export: primitive {name!r} registered twice")
            EMITTERS[name] = fn
        return fn
    return register


def exportable_primitives() -> list[str]:
    """The chainrule primitives that :func:`chainrule.onnx.export` writes as ONNX."""
    from . import exporter  # noqa: F401  (imports every emit_* module)

    return sorted(EMITTERS)
