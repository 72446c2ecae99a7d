"""Gradient checking: compare backward's derivatives with central differences, in float64.

For each input element xₖ the numerical derivative is

    ∂f/∂xₖ ≈ (f(x + ε eₖ) − f(x − ε eₖ)) / 2ε,

whose error is O(ε²) (the first-order terms of the two Taylor expansions cancel). The analytic
Jacobian comes from one backward pass per output element. They must agree within
atol + rtol·|numeric| everywhere; the report names the first input and element that does not.

Complex inputs and outputs (complex128) are checked as PyTorch's gradcheck does, as real
functions of their real and imaginary parts: each complex input element is nudged by ±ε and
±iε, each complex output element gives two rows (its real and imaginary part), and the backward
pass seeded with 1 (the real part) or i (the imaginary part) must give ∂L/∂x + i·∂L/∂y
(PyTorch's convention, chainrule/autograd/complex.py) for every input element z = x + iy.
"""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from . import engine
from .grad_mode import no_grad


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree (the message says where and by how much)."""


def _parts(a) -> int:
    """Real numbers per element: 2 for a complex array (real, imaginary), else 1."""
    return 2 if a.dtype.kind == "c" else 1


def _flat_real(a):
    """The real numbers of ``a`` in order (a complex element as its real, then imaginary part)."""
    a = xp.ascontiguousarray(a)
    return (a.view(xp.float64) if a.dtype == xp.complex128 else a.astype(xp.float64)).reshape(-1)


def _jacobians(fn, leaves, out):
    """Analytic Jacobians, one (out reals × xᵢ reals) matrix per input, by backward passes."""
    parts = _parts(out._data)
    jac = [xp.zeros((out._data.size * parts, leaf._data.size * _parts(leaf._data)))
           for leaf in leaves]
    for j in range(out._data.size):
        for part, unit in enumerate((1.0, 1j)[:parts]):
            seed = xp.zeros(out._data.size, dtype=out._data.dtype)
            seed[j] = unit
            grads = engine.backward([out], [seed.reshape(out.shape)], True, False, leaves)
            for i, g in enumerate(grads):
                if g is not None:
                    jac[i][j * parts + part] = _flat_real(g._data)
    return jac


def _numeric(fn, arrays, index, eps, out_size):
    x = arrays[index]
    flat = x.reshape(-1)
    columns = []
    with no_grad():
        for k in range(flat.size):
            for step in (eps, 1j * eps)[:_parts(x)]:
                saved = flat[k]
                flat[k] = saved + step
                plus = _call(fn, arrays)
                flat[k] = saved - step
                minus = _call(fn, arrays)
                flat[k] = saved
                columns.append((plus - minus) / (2 * eps))
    return xp.stack(columns, axis=1) if columns else xp.zeros((out_size, 0))


def _call(fn, arrays):
    out = fn(*[Tensor._make(a) if isinstance(a, xp.ndarray) else a for a in arrays])
    # a copy: fn may return its input itself (identity), whose array we perturb in place next
    out = out._data if isinstance(out, Tensor) else xp.asarray(out)
    return _flat_real(xp.array(out, dtype=xp.complex128 if out.dtype.kind == "c" else xp.float64))


def gradcheck(fn, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check ``fn``'s backward against central differences at ``inputs`` (cast to float64).

    Complex inputs (cast to complex128) are checked through their real and imaginary parts (see
    the module). Non-floating inputs (indices, Python numbers) are passed through unchanged.
    Returns True when every derivative agrees; otherwise raises :class:`GradcheckError` with a
    report (or returns False with ``raise_exception=False``).
    """
    arrays, leaves, positions = [], [], []
    for i, a in enumerate(inputs):
        data = a._data if isinstance(a, Tensor) else a
        if isinstance(data, xp.ndarray) and data.dtype.kind in "fc":
            data = xp.array(data, dtype=xp.float64 if data.dtype.kind == "f" else xp.complex128,
                            order="C")                          # (the nudges write in place)
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
    if out._data.dtype not in (xp.float64, xp.complex128):
        raise ValueError(f"gradcheck: fn returned dtype {out.dtype}; with float64 (complex128) "
                         "inputs it must return float64 or complex128 (a cast inside fn would "
                         "hide rounding errors)")
    rows = out._data.size * _parts(out._data)
    if not out.requires_grad:
        analytic = [xp.zeros((rows, arrays[i].size * _parts(arrays[i]))) for i in positions]
    else:
        analytic = _jacobians(fn, leaves, out)
    for n, i in enumerate(positions):
        numeric = _numeric(fn, arrays, i, eps, rows)
        a = analytic[n]
        gap = xp.abs(a - numeric)
        bad = ~(gap <= atol + rtol * xp.abs(numeric))  # a nan on either side counts as bad
        if not bad.any():
            continue
        j, k = xp.unravel_index(int(xp.argmax(xp.where(bad, xp.nan_to_num(gap, nan=xp.inf),
                                                           -xp.inf))), gap.shape)
        a_val, n_val = a[j, k], numeric[j, k]
        in_parts, out_parts = _parts(arrays[i]), _parts(out._data)
        element = xp.unravel_index(k // in_parts, arrays[i].shape) if arrays[i].shape else ()
        out_element = xp.unravel_index(j // out_parts, out.shape) if out.shape else ()
        report = (f"gradcheck failed: derivative of {_part(j, out_parts)}output"
                  f"{_at(out_element)} with respect to {_part(k, in_parts)}input {i}"
                  f"{_at(element)} (input shape {arrays[i].shape}): backward gives "
                  f"{a_val:.10g}, central differences give {n_val:.10g} (difference "
                  f"{abs(a_val - n_val):.3g}; allowed {atol + rtol * abs(n_val):.3g} = atol "
                  f"{atol:g} + rtol {rtol:g}·|numeric|); {int(bad.sum())} of {bad.size} "
                  f"derivatives of this input disagree")
        if raise_exception:
            raise GradcheckError(report)
        return False
    return True


def _part(index: int, parts: int) -> str:
    """'the real part of ' / 'the imaginary part of ' for a complex value's row or column."""
    if parts == 1:
        return ""
    return "the real part of " if index % 2 == 0 else "the imaginary part of "


def _at(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if len(index) else ""
