"""Normalization: BatchNormalization in its inference form."""
from __future__ import annotations

from ..nn import functional as F
from .registry import Node, op
from .values import is_tensor, tensor


@op("BatchNormalization")
def batch_normalization(node: Node):
    r"""BatchNormalization(X, scale, B, mean, var), inference form (training_mode = 0).

    Forward:    Y[n, c, …] = scale[c] · (X[n, c, …] − mean[c]) / √(var[c] + ε) + B[c]
    Derivative: ∂Y/∂X = scale / √(var + ε); ∂Y/∂scale = X̂; ∂Y/∂B = 1 (X̂ the normalized input).
    The statistics are constants of the graph (PyTorch's running_mean/running_var buffers) and
    the fused F.batch_norm is used; where they require grad (an exporter that wrote them as
    trainable values), the formula above is composed from primitives so they get a gradient too.
    momentum is ignored (it only matters when training statistics).
    """
    eps = float(node.attr("epsilon", 1e-5))
    if node.attr("training_mode", 0) != 0:
        raise node.refuse("training_mode=1 is not supported (the inference form only)")
    if node.n_outputs() > 1:
        raise node.refuse("the running/saved statistics outputs (training form) are not "
                          "supported")

    def run(x, scale, b, mean, var):
        x = tensor(x)
        if x.ndim < 2:
            raise ValueError(f"BatchNormalization: expected input (N, C, …), got shape "
                             f"{list(x.shape)}")
        if any(is_tensor(v) and v.requires_grad for v in (mean, var)):
            shape = (1, -1) + (1,) * (x.ndim - 2)
            mean, var = tensor(mean).reshape(shape), tensor(var).reshape(shape)
            xhat = (x - mean) / (var + eps) ** 0.5
            return xhat * tensor(scale).reshape(shape) + tensor(b).reshape(shape)
        return F.batch_norm(x, tensor(mean), tensor(var), tensor(scale), tensor(b),
                            training=False, eps=eps)

    return run
