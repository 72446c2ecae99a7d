"""``chainrule.onnx.load``: an ONNX file → a chainrule Module that runs, trains and saves."""
from __future__ import annotations

import os
from typing import IO

from . import (  # noqa: F401  (importing the families registers their operators)
    ops_activation,
    ops_constant,
    ops_control,
    ops_conv,
    ops_elementwise,
    ops_index,
    ops_layout,
    ops_linalg,
    ops_norm,
    ops_pad,
    ops_pool,
    ops_reduce,
    ops_resize,
    ops_rnn,
    ops_shape,
)
from .module import OnnxModule, build
from .reader import read_model


def load(source: str | os.PathLike | bytes | IO[bytes], *,
         max_bytes: int | None = None) -> OnnxModule:
    """Import an ONNX model as a chainrule Module.

    ``source`` is a path, the file's bytes, a binary file object or an ``onnx.ModelProto``.
    The model is size-checked (``max_bytes``, default :data:`chainrule.onnx.MAX_BYTES` = 1 GiB,
    external data included), parsed, checked by ``onnx.checker``, converted to opset 11 with
    ``onnx.version_converter`` if older, and every node is checked against the operators this
    importer implements — all before anything runs. Each failure is a ValueError subclass from
    :mod:`chainrule.onnx.errors` naming the model and what is wrong.

    >>> model = chainrule.onnx.load("resnet18.onnx")
    >>> logits = model(images)                     # or model(input=images): the ONNX input name
    >>> logits.sum().backward()                    # gradients reach every imported parameter
    >>> model.state_dict().keys()                  # 'conv1.weight', 'bn1.running_mean', …
    """
    if max_bytes is None:
        from .. import onnx as package  # the limit in force: chainrule.onnx.MAX_BYTES

        max_bytes = package.MAX_BYTES
    model, label, _ = read_model(source, max_bytes)
    return build(model, label)
