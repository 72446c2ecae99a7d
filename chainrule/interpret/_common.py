"""What every attribution method shares: checking the inputs and the target, running the model
on a (possibly large) batch in chunks, and differentiating the target's score.

The score of sample i is the model's output for its target class, f_{t_i}(x_i); the gradient of
Σ_i f_{t_i}(x_i) with respect to the batch gives every sample's ∂f_{t_i}/∂x_i at once, because
sample i's score does not depend on sample j's input (the model is used in the mode it is in:
call ``model.eval()`` first, or BatchNorm's batch statistics couple the samples).
"""
from __future__ import annotations

import contextlib
import contextvars

import numpy as np

from ..mathematics import Formula
from ..tensor import Tensor

# The shape of the x being explained, for error messages about the (expanded) batches built from it
_X_SHAPE: contextvars.ContextVar = contextvars.ContextVar("interpret_x_shape", default=None)


def with_formula(formula: Formula):
    """Attach ``formula()`` to an attribution function (each method states its mathematics)."""
    def attach(fn):
        fn.formula = lambda: formula
        fn.formula.__doc__ = f"The mathematics of {fn.__name__} as a chainrule.Formula."
        return fn
    return attach


def as_array(op: str, x) -> np.ndarray:
    """The input batch as a floating-point NumPy array (N, …) with N ≥ 1."""
    if isinstance(x, Tensor):
        x = x.detach().numpy()
    elif hasattr(x, "detach") and hasattr(x, "numpy"):          # a PyTorch tensor
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"interpret.{op}: x must be a numeric array or Tensor, got dtype "
                        f"{a.dtype}")
    if a.dtype.kind != "f":
        a = a.astype(np.float32)
    if a.ndim < 2 or a.shape[0] < 1:
        raise ValueError(f"interpret.{op}: x must be a batch (N, …) with at least one sample, "
                         f"e.g. images (N, C, H, W); got shape {a.shape}. Add the batch "
                         "dimension with x[None] for a single image.")
    _X_SHAPE.set(a.shape)
    return np.ascontiguousarray(a)


def forward(op: str, model, x: np.ndarray, requires_grad: bool = False):
    """``(input Tensor, model output)``; the output must be scores (N, K)."""
    t = Tensor._make(x, requires_grad=requires_grad) if requires_grad else Tensor._make(x)
    try:
        out = model(t)
    except (ValueError, RuntimeError, TypeError, IndexError) as e:
        shown = _X_SHAPE.get() or x.shape
        batch = "" if tuple(shown) == x.shape else f", run as a batch of shape {x.shape}"
        raise ValueError(f"interpret.{op}: the model cannot take x of shape {tuple(shown)}"
                         f"{batch} ({type(e).__name__}: {e}). Give x in the shape the model was "
                         "built for, with the batch first, e.g. (N, C, H, W).") from e
    if not isinstance(out, Tensor) or out.ndim != 2 or out.shape[0] != x.shape[0]:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"interpret.{op}: the model must return scores of shape (N, classes) "
                         f"= ({x.shape[0]}, K) for a batch of {x.shape[0]}; it returned {shape}")
    return t, out


def targets(op: str, target, n: int, classes: int) -> np.ndarray:
    """The target class of each of n samples, checked against the number of classes."""
    if isinstance(target, Tensor):
        target = target.numpy()
    elif hasattr(target, "detach") and hasattr(target, "numpy"):
        target = target.detach().cpu().numpy()
    t = np.asarray(target)
    if t.dtype.kind not in "iu" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise TypeError(f"interpret.{op}: target must be a class index (int) or one per sample, "
                        f"got {target!r}")
    t = t.astype(np.int64)
    if t.ndim == 0:
        t = np.full(n, int(t))
    elif t.shape != (n,):
        raise ValueError(f"interpret.{op}: target must be one int or one class per sample "
                         f"({n} of them), got shape {t.shape}")
    bad = (t < 0) | (t >= classes)
    if bad.any():
        raise ValueError(f"interpret.{op}: target {int(t[bad][0])} is out of range: the model "
                         f"has {classes} classes, so a target must be in 0…{classes - 1}")
    return t


def one_hot(t: np.ndarray, classes: int, dtype) -> np.ndarray:
    out = np.zeros((t.size, classes), dtype)
    out[np.arange(t.size), t] = 1
    return out


def scores(op: str, model, x: np.ndarray, target, batch_size: int | None = None):
    """``f_{t_i}(x_i)`` for every sample (no graph), and the checked targets."""
    from .. import no_grad

    values, checked = [], None
    with no_grad():
        for lo in range(0, x.shape[0], batch_size or x.shape[0]):
            _, out = forward(op, model, x[lo:lo + (batch_size or x.shape[0])])
            out = out.numpy()
            if checked is None:
                checked = targets(op, target, x.shape[0], out.shape[1])
            values.append(out[np.arange(out.shape[0]), checked[lo:lo + out.shape[0]]])
    return np.concatenate(values), checked


@contextlib.contextmanager
def parameters_frozen(model):
    """Parameters stop requiring grad for the duration (restored after): the backward pass then
    computes only the input's gradient, not the weights' as well (about half of the work for a
    CNN). Gradients with respect to the input are unchanged."""
    frozen = [p for p in model.parameters() if p.requires_grad] \
        if hasattr(model, "parameters") else []
    for p in frozen:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in frozen:
            p.requires_grad_(True)


def gradients(op: str, model, x: np.ndarray, target, batch_size: int | None = None,
              weights: np.ndarray | None = None):
    """``(∂f_{t_i}/∂x_i for every sample i, checked targets)``, in chunks of ``batch_size``
    samples (default: all at once). ``target`` may be one int or one per sample."""
    from .. import autograd

    n = x.shape[0]
    step = batch_size or n
    grads = np.empty_like(x)
    checked = None
    with parameters_frozen(model):
        for lo in range(0, n, step):
            chunk = x[lo:lo + step]
            t, out = forward(op, model, chunk, requires_grad=True)
            if checked is None:
                checked = targets(op, target, n, out.shape[1])
            picks = one_hot(checked[lo:lo + chunk.shape[0]], out.shape[1], out.numpy().dtype)
            if weights is not None:
                picks *= weights[lo:lo + chunk.shape[0], None]
            (g,) = autograd.grad((out * Tensor._make(picks)).sum(), [t])
            grads[lo:lo + chunk.shape[0]] = g.numpy()
    return grads, checked


def check_batch_size(op: str, internal_batch_size) -> int | None:
    if internal_batch_size is None:
        return None
    if isinstance(internal_batch_size, bool) or not isinstance(internal_batch_size,
                                                               (int, np.integer)) \
            or internal_batch_size < 1:
        raise ValueError(f"interpret.{op}: internal_batch_size must be an int ≥ 1 (inputs per "
                         f"forward pass) or None, got {internal_batch_size!r}")
    return int(internal_batch_size)


def like(x_in, values: np.ndarray) -> Tensor:
    """The attributions as a Tensor of x's dtype."""
    return Tensor._make(np.ascontiguousarray(values))
