"""Input checks shared by the calibration tools: probabilities, logits and labels as NumPy arrays.

Every tool accepts chainrule Tensors or NumPy arrays (anything ``numpy.asarray`` reads, so a
CPU ``torch.Tensor`` too) and reads them as NumPy arrays without a graph: calibration measures a
model, it is not part of one. Errors name the operation, the shapes or values and what was
expected.
"""
from __future__ import annotations

import numpy as np

SUM_TOLERANCE = 1e-3
"""How far a row of probabilities may sum from 1 (float32 softmax rounds to about 1e-7 per
class; a row off by more than 1e-3 is not a probability vector but, say, logits)."""


def as_numpy(x, op: str, what: str) -> np.ndarray:
    """``x`` (a chainrule Tensor, NumPy array or array-like) as a NumPy array, detached."""
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return np.asarray(x.detach().numpy())
    if hasattr(x, "detach") and hasattr(x, "cpu"):          # a torch.Tensor
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception as e:                                  # noqa: BLE001 (reported in words)
        raise TypeError(f"{op}: {what} must be an array or a Tensor, got "
                        f"{type(x).__name__}") from e


def check_labels(labels, n: int, k: int, op: str) -> np.ndarray:
    """Integer class indices of shape (n,), each in [0, k)."""
    y = as_numpy(labels, op, "labels")
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{op}: labels must have shape ({n},), one class index per row of the "
                         f"{n} rows given, got shape {tuple(y.shape)}")
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integer class indices, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= k):
        bad = y[(y < 0) | (y >= k)]
        raise ValueError(f"{op}: labels must be class indices in [0, {k - 1}] for {k} classes, "
                         f"got {int(bad[0])} ({len(bad)} label(s) out of range)")
    return y.astype(np.int64, copy=False)


def check_probs(probs, op: str) -> np.ndarray:
    """Class probabilities of shape (N, K): finite, in [0, 1], rows summing to 1."""
    p = as_numpy(probs, op, "probs")
    if p.ndim != 2:
        raise ValueError(f"{op}: probs must have shape (N, K), one row of K class probabilities "
                         f"per sample, got shape {tuple(p.shape)}"
                         + (" (for a binary classifier's P(y = 1) stack [1 − p, p] as two "
                            "columns)" if p.ndim == 1 else ""))
    if p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(f"{op}: probs is empty (shape {tuple(p.shape)}); need at least one "
                         "sample and one class")
    if p.dtype.kind not in "fiub":
        raise TypeError(f"{op}: probs must be real numbers, got dtype {p.dtype}")
    p = p.astype(np.float64, copy=False)
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{op}: probs holds NaN or infinite values")
    if p.min() < 0 or p.max() > 1:
        raise ValueError(f"{op}: probs must lie in [0, 1], got values from {p.min():.4g} to "
                         f"{p.max():.4g}; if these are logits, apply softmax first "
                         "(chainrule.calibration.softmax)")
    sums = p.sum(axis=1)
    worst = int(np.abs(sums - 1).argmax())
    if abs(sums[worst] - 1) > SUM_TOLERANCE:
        raise ValueError(f"{op}: each row of probs must sum to 1 (within {SUM_TOLERANCE:g}), but "
                         f"row {worst} sums to {sums[worst]:.6g}; if these are logits, apply "
                         "softmax first (chainrule.calibration.softmax)")
    return p


def check_logits(logits, op: str) -> np.ndarray:
    """Finite float64 logits of shape (N, K) with K ≥ 2."""
    z = as_numpy(logits, op, "logits")
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] < 2:
        raise ValueError(f"{op}: logits must have shape (N, K) with N ≥ 1 samples and K ≥ 2 "
                         f"classes, got shape {tuple(z.shape)}")
    if z.dtype.kind not in "fiu":
        raise TypeError(f"{op}: logits must be real numbers, got dtype {z.dtype}")
    z = z.astype(np.float64, copy=False)
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{op}: logits holds NaN or infinite values")
    return z


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Class probabilities of logits, computed stably as exp(z − max z) / Σ exp(z − max z).

    Takes a Tensor or an array; returns a NumPy array (of the input's floating dtype)."""
    z = as_numpy(logits, "softmax", "logits")
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis: z − max z − log Σ exp(z − max z)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
