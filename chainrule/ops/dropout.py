r"""Dropout: inverted dropout of units (``dropout``) and of whole channels (``dropout2d``).

Forward:     y = m ⊙ x / (1 − p),  mᵢ ~ Bernoulli(1 − p) independently (for dropout2d one m per
             (sample, channel), shared by all its positions)
Derivative:  ∂yᵢ/∂xᵢ = mᵢ/(1 − p), so ∂L/∂x = m ⊙ g / (1 − p)  (the same mask as the forward)
Numerics:    "inverted": kept units are scaled up during training so that E[y] = x and nothing
             needs rescaling at evaluation, where dropout is the identity. p = 1 drops everything
             (y = 0, no division by zero).

Dropout is not a primitive of its own: it is ``multiply(x, m/(1 − p))`` with the scaled mask a
constant, so its derivative (and every higher one) is multiply's. The mask is drawn from
chainrule's seeded generator as PyTorch draws it (:func:`chainrule.manual_seed` makes it
reproducible, and PyTorch's with the same seed).
"""
from __future__ import annotations

import warnings

from .. import backend
from .. import random as _random
from ..autograd import function as _function
from ..backend import xp
from ..tensor import Tensor
from .arithmetic import multiply


def _check_p(op: str, p) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return p


def _scaled_mask(shape, p: float, dtype, like=None, order=None):
    """m/(1 − p) with m ~ Bernoulli(1 − p), drawn as PyTorch's dropout draws it
    (``noise.bernoulli_(1 − p).div_(1 − p)``: m = [u < 1 − p], u ~ U[0, 1) in double), so a
    seeded run drops the units PyTorch drops.

    The mask is always drawn on the host from chainrule's seeded generator (so a seeded run
    drops the same units whatever the array library); ``like`` (the input, a Tensor or array)
    moves it into the input's library and device (:func:`backend.asarray_like`). PyTorch draws
    the mask for a transposed input in its memory order: ``order`` gives those axes (default:
    :func:`mask_order` of ``like``)."""
    if _function.batching is not None and p != 1.0:
        # inside chainrule.func.vmap: a mask per its randomness mode
        from ..func.randomness import scaled_mask

        return scaled_mask(shape, p, dtype, _scaled_mask)
    dtype = backend.numpy_dtype(dtype)
    dtype = dtype if dtype.kind == "f" else backend.get_default_dtype()
    if p == 1.0:
        mask = xp.zeros(shape, dtype=dtype)
    else:
        draw = backend.generator().bernoulli_
        order = mask_order(shape, like) if order is None else order
        keep = _random.drawn_in_order(tuple(shape), order, lambda s: draw(s, 1.0 - p))
        mask = keep * (dtype.type(1.0) / dtype.type(1.0 - p))
    if like is None:
        return mask
    return backend.asarray_like(mask, getattr(like, "_data", like))


def mask_order(shape, like):
    """The memory order (axes, outermost first) in which PyTorch draws the mask of ``shape`` for
    the input ``like``: its noise is ``empty_like(input)``, which keeps a transposed input's
    layout; None (row-major) for a row-major input or a mask of another shape."""
    data = getattr(like, "_data", like)
    if data is None or tuple(data.shape) != tuple(shape):
        return None
    return _random.memory_order(backend.host_layout(data))


def _constant(mask):
    """A mask as multiply takes it: NumPy arrays as they are, other libraries' as a Tensor."""
    if isinstance(mask, Tensor):        # a per-example mask inside vmap
        return mask
    return mask if type(mask) is xp.ndarray else Tensor._make(mask)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Inverted dropout (PyTorch's ``F.dropout``): y = m ⊙ x/(1 − p), m ~ Bernoulli(1 − p).

    The identity when ``training`` is False or p = 0. ``inplace`` is accepted for PyTorch's
    signature; the result is always a new tensor (the graph keeps x's values).

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> y = dropout(cr.ones(2, 4), p=0.5)   # entries are 0 or 2
    """
    p = _check_p("dropout", p)
    if not training or p == 0.0:
        return input
    return multiply(input, _constant(_scaled_mask(input.shape, p, input.dtype, input)))


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Channel dropout (PyTorch's ``F.dropout2d``): each (sample, channel) of (N, C, H, W) input
    is kept whole, scaled by 1/(1 − p), or zeroed whole, with probability p.

    As in PyTorch 2.13, 3-D input is read as (N, C, L) (channel-wise 1-D dropout, with a
    warning), and other ranks ≥ 2 drop (N, C) slices with a warning.
    """
    p = _check_p("dropout2d", p)
    if input.ndim < 2:
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    if input.ndim == 3:
        warnings.warn("dropout2d: received 3-D input; it is read as (N, C, L) and whole channels "
                      "of length L are dropped (PyTorch's behaviour). Use dropout1d-style input "
                      "or 4-D (N, C, H, W) to silence this.", stacklevel=2)
    elif input.ndim != 4:
        warnings.warn(f"dropout2d: received {input.ndim}-D input; expected 4-D (N, C, H, W). "
                      f"Whole (sample, channel) slices are dropped.", stacklevel=2)
    if not training or p == 0.0:
        return input
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return multiply(input, _constant(_scaled_mask(shape, p, input.dtype, input)))
