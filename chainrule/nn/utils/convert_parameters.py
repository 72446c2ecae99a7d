"""Parameters as one flat vector and back (PyTorch's ``torch.nn.utils.parameters_to_vector`` and
``vector_to_parameters``).

For parameters θ₁ … θₖ, ``parameters_to_vector`` returns v = [vec(θ₁); …; vec(θₖ)] (each flattened
in row-major order, then concatenated) — a differentiable function of the parameters, so
∂L/∂θᵢ is the matching slice of ∂L/∂v reshaped. ``vector_to_parameters`` is its inverse: it makes
each parameter's data the matching slice of v — a view sharing v's memory, as PyTorch's
``param.data = vec[o:o + n].view_as(param).data``.
"""
from __future__ import annotations

from ... import backend as B
from ... import ops
from ...tensor import Tensor


def _check_device(p: Tensor, device, op: str):
    here = getattr(p, "device", None)
    if device is not None and here is not None and str(here) != str(device):
        raise TypeError(f"{op}: found two parameters on different devices, {device} and {here}; "
                        "all parameters must be on one device")
    return here


def parameters_to_vector(parameters) -> Tensor:
    """v = [vec(θ₁); …; vec(θₖ)]: every parameter flattened and concatenated (differentiable)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    device = None
    flat = []
    for p in parameters:
        device = _check_device(p, device, "parameters_to_vector")
        flat.append(ops.reshape(p, (-1,)))
    if not flat:
        raise RuntimeError("parameters_to_vector: expected a non-empty list of Tensors")
    return ops.cat(flat)


def vector_to_parameters(vec, parameters) -> None:
    """θᵢ ← reshape(v[oᵢ : oᵢ + |θᵢ|], shape(θᵢ)) for each parameter in order, oᵢ = Σ_{j<i} |θⱼ|."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be one-dimensional, got shape "
                         f"{tuple(vec.shape)}")
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if total > vec.shape[0]:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.shape[0]} elements but the "
                           f"parameters have {total} in all")
    data = vec._data
    offset = 0
    device = None
    for p in parameters:
        device = _check_device(p, device, "vector_to_parameters")
        n = p.numel()
        p._data = B.reshape(data[offset:offset + n], p._data.shape)   # a view of vec, as PyTorch
        offset += n


__all__ = ["parameters_to_vector", "vector_to_parameters"]
