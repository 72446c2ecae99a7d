r"""Gradient clipping, in place, with PyTorch's semantics (``torch.nn.utils.clip_grad``).

Clipping by norm rescales all gradients together, so the direction of the update is kept and only
its length is limited:

.. code-block:: text

    ‖g‖_p = (Σᵢ ‖gᵢ‖_p^p)^{1/p}          the norm of all gradients as one vector (p = ∞: max |g|)
    c = min(1, max_norm / (‖g‖_p + 10⁻⁶))
    gᵢ ← c · gᵢ

Clipping by value clamps each component, gᵢ ← clip(gᵢ, −v, v), which can change the direction.
Both guard against the rare huge gradient (exploding gradients in RNNs, a bad batch) that would
throw the weights far from where training had brought them.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

from ...backend import xp
from ...mathematics import Formula
from ...tensor import Tensor

EPS = 1e-6  # added to the norm (PyTorch's constant): no division by 0 when all gradients vanish


def _as_list(parameters) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(array, p: float):
    """‖a‖_p of all the entries of one array, in the array's dtype (0-d array)."""
    a = xp.abs(array).ravel()
    if a.size == 0:
        return xp.zeros((), dtype=array.dtype)
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return xp.asarray(xp.count_nonzero(a), dtype=array.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return xp.sqrt(xp.dot(a, a))
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors: Iterable[Tensor] | Tensor, norm_type: float | str = 2.0,
                   error_if_nonfinite: bool = False) -> Tensor:
    """‖(g₁, g₂, …)‖_p: the p-norm of the norms of the given gradient tensors (a 0-d Tensor)."""
    arrays = [t._data if isinstance(t, Tensor) else xp.asarray(t) for t in _as_list(tensors)]
    p = float(norm_type)
    if not arrays:
        return Tensor._make(xp.zeros((), dtype=xp.float32))
    norms = xp.stack([_norm(a, p) for a in arrays])
    total = _norm(norms, p)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                          total_norm: Tensor | float) -> None:
    """Scale every ``p.grad`` in place by c = min(1, max_norm / (total_norm + 10⁻⁶))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    coef = xp.minimum(xp.asarray(max_norm / (total + EPS)), 1.0)
    with xp.errstate(invalid="ignore"):  # a NaN/∞ norm makes NaN gradients, as in PyTorch
        for g in grads:
            g._data *= coef.astype(g._data.dtype)


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float | str = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients in place so that their total p-norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d Tensor), as PyTorch. ``norm_type`` may be
    ``inf`` (or ``'inf'``): the largest |gᵢ|. With ``error_if_nonfinite``, a NaN or infinite total
    norm raises RuntimeError instead of turning every gradient into NaN.

    Example::

        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                   norm_type: float | str = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_` (PyTorch's: it warns FutureWarning)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient component in place to [−clip_value, clip_value]."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            xp.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def formula() -> Formula:
    """The mathematics of clipping by norm and by value."""
    return Formula.of(
        "clip_grad_norm_",
        [("Total norm", "‖g‖_p = (Σᵢ ‖gᵢ‖_p^p)^{1/p}   (p = ∞: maxᵢ |gᵢ|)"),
         ("Coefficient", "c = min(1, max_norm / (‖g‖_p + 10⁻⁶))"),
         ("Update", "gᵢ ← c·gᵢ   (clip_grad_value_: gᵢ ← clip(gᵢ, −v, v))")],
        [r"\|g\|_p = \Big(\sum_i \|g_i\|_p^p\Big)^{1/p}",
         r"c = \min\!\Big(1, \frac{\mathrm{max\_norm}}{\|g\|_p + 10^{-6}}\Big)",
         r"g_i \leftarrow c\, g_i"],
        "Scaling all gradients by one factor limits the step's length and keeps its direction.")


__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "formula"]
