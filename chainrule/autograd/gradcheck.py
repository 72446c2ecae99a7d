"""Gradient checking: compare backward's derivatives with central differences, in float64.

For each input element xₖ the numerical derivative is

    ∂f/∂xₖ ≈ (f(x + ε eₖ) − f(x − ε eₖ)) / 2ε,

whose error is O(ε²) (the first-order terms of the two Taylor expansions cancel). The analytic
Jacobian comes from one backward pass per output element. They must agree within
atol + rtol·|numeric| everywhere; the report names the first input and element that does not.
"""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from . import engine
from .grad_mode import no_grad


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree (the message says where and by how much)."""


def _jacobians(fn, leaves, out):
    """Analytic Jacobians, one (out.size × xᵢ.size) matrix per input, by backward passes."""
    jac = [xp.zeros((out._data.size, leaf._data.size)) for leaf in leaves]
    for j in range(out._data.size):
        seed = xp.zeros(out._data.size)
        seed[j] = 1.0
        grads = engine.backward([out], [seed.reshape(out.shape)], True, False, leaves)
        for i, g in enumerate(grads):
            if g is not None:
                jac[i][j] = g._data.reshape(-1)
    return jac


def _numeric(fn, arrays, index, eps, out_size):
    x = arrays[index]
    flat = x.reshape(-1)
    columns = []
    with no_grad():
        for k in range(flat.size):
            saved = flat[k]
            flat[k] = saved + eps
            plus = _call(fn, arrays)
            flat[k] = saved - eps
            minus = _call(fn, arrays)
            flat[k] = saved
            columns.append(((plus - minus) / (2 * eps)).reshape(-1))
    return xp.stack(columns, axis=1) if columns else xp.zeros((out_size, 0))


def _call(fn, arrays):
    out = fn(*[Tensor._make(a) if isinstance(a, xp.ndarray) else a for a in arrays])
    # a copy: fn may return its input itself (identity), whose array we perturb in place next
    return xp.array(out._data if isinstance(out, Tensor) else out, dtype=xp.float64)


def gradcheck(fn, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check ``fn``'s backward against central differences at ``inputs`` (cast to float64).

    Non-floating inputs (indices, Python numbers) are passed through unchanged. Returns True when
    every derivative agrees; otherwise raises :class:`GradcheckError` with a report (or returns
    False with ``raise_exception=False``).
    """
    arrays, leaves, positions = [], [], []
    for i, a in enumerate(inputs):
        data = a._data if isinstance(a, Tensor) else a
        if isinstance(data, xp.ndarray) and data.dtype.kind == "f":
            data = xp.array(data, dtype=xp.float64, order="C")   # (the nudges write in place)
            positions.append(i)
        arrays.append(data)
    if not positions:
        raise ValueError("gradcheck: no floating-point input to differentiate")
    args = list(arrays)
    for i in positions:
        leaf = Tensor._make(arrays[i]).requires_grad_(True)
        leaves.append(leaf)
        args[i] = leaf
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise ValueError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out._data.dtype != xp.float64:
        raise ValueError(f"gradcheck: fn returned dtype {out.dtype}; with float64 inputs it must "
                         "return float64 (a cast inside fn would hide rounding errors)")
    if not out.requires_grad:
        analytic = [xp.zeros((out._data.size, arrays[i].size)) for i in positions]
    else:
        analytic = _jacobians(fn, leaves, out)
    for n, i in enumerate(positions):
        numeric = _numeric(fn, arrays, i, eps, out._data.size)
        a = analytic[n]
        gap = xp.abs(a - numeric)
        bad = ~(gap <= atol + rtol * xp.abs(numeric))  # a nan on either side counts as bad
        if not bad.any():
            continue
        j, k = xp.unravel_index(int(xp.argmax(xp.where(bad, xp.nan_to_num(gap, nan=xp.inf),
                                                           -xp.inf))), gap.shape)
        a_val, n_val = a[j, k], numeric[j, k]
        element = xp.unravel_index(k, arrays[i].shape) if arrays[i].shape else ()
        out_element = xp.unravel_index(j, out.shape) if out.shape else ()
        report = (f"gradcheck failed: derivative of output{_at(out_element)} with respect to "
                  f"input {i}{_at(element)} (input shape {arrays[i].shape}): backward gives "
                  f"{a_val:.10g}, central differences give {n_val:.10g} (difference "
                  f"{abs(a_val - n_val):.3g}; allowed {atol + rtol * abs(n_val):.3g} = atol "
                  f"{atol:g} + rtol {rtol:g}·|numeric|); {int(bad.sum())} of {bad.size} "
                  f"derivatives of this input disagree")
        if raise_exception:
            raise GradcheckError(report)
        return False
    return True


def _at(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if len(index) else ""
