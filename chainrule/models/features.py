"""Feature extraction: the activations of one named layer of a model, over a dataset.

The first step of transfer learning with a frozen network: run the pretrained body once, keep
what one layer computes (the penultimate layer's vector, a block's feature maps), and train a
small model on those features instead of on the images.
"""
from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..ops import cat
from ..ops.creation import as_tensor
from ..tensor import Tensor


def _batches(data, batch_size: int):
    """The inputs of ``data`` batch by batch: a Tensor or array (split along its first axis),
    or an iterable of batches (a DataLoader) whose items are inputs or (inputs, labels, …)."""
    if isinstance(data, (Tensor, np.ndarray)):
        x = data if isinstance(data, Tensor) else as_tensor(data)
        for start in range(0, x.shape[0], batch_size):
            yield x[start:start + batch_size]
        return
    for item in data:
        batch = item[0] if isinstance(item, (tuple, list)) else item
        yield batch if isinstance(batch, Tensor) else as_tensor(np.asarray(batch))


def features(model, layer_name: str, data, batch_size: int = 256) -> Tensor:
    """The output of ``model``'s submodule ``layer_name`` for every input of ``data``.

    ``layer_name`` is a name from ``model.named_modules()`` (``"features"``, ``"layer4"``,
    ``"blocks.6"``); ``data`` a Tensor/array of inputs, or a DataLoader (each batch's first item
    is the input). The model runs in evaluation mode (dropout off, BatchNorm's running
    statistics) without a graph, and is put back in the mode it was in; the result is the layer's
    outputs concatenated along the batch axis, a Tensor that requires no grad:

        φ(x) = f_ℓ ∘ … ∘ f_1 (x)      (the network up to and including layer ℓ)

    >>> body = chainrule.models.efficientnet_lite0(weights="package")
    >>> phi = chainrule.models.features(body, "global_pool", images)   # (N, 1280)
    """
    modules = dict(model.named_modules())
    if layer_name not in modules or layer_name == "":
        names = [n for n in modules if n]
        raise ValueError(f"features: {type(model).__name__} has no layer named {layer_name!r}; "
                         f"its layers are: {', '.join(names)}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"features: batch_size must be a positive integer, got {batch_size!r}")
    captured: list[Tensor] = []

    def keep(_module, _inputs, output):
        if not isinstance(output, Tensor):
            raise TypeError(f"features: layer {layer_name!r} returns a "
                            f"{type(output).__name__}, not a Tensor")
        captured.append(output.detach())

    was_training = model.training
    handle = modules[layer_name].register_forward_hook(keep)
    try:
        model.eval()
        with no_grad():
            for batch in _batches(data, batch_size):
                model(batch)
    finally:
        handle.remove()
        model.train(was_training)
    if not captured:
        raise ValueError("features: data holds no inputs")
    return captured[0] if len(captured) == 1 else cat(captured, dim=0)
