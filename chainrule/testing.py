"""``chainrule.testing``: PyTorch's ``torch.testing.assert_close`` for tensors, numbers and nested
sequences or mappings of them: the check a grader or a test writes to say "these agree".

Two values agree when, element by element,

    |actual − expected| ≤ atol + rtol·|expected|

(NaN agrees with NaN only with ``equal_nan=True``). The default tolerances follow the dtype, as
PyTorch's: float16 (rtol 1e-3, atol 1e-5), bfloat16 (1.6e-2, 1e-5), float32 (1.3e-6, 1e-5),
float64 and Python floats (1e-7, 1e-7), integers and booleans exactly.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .backend import to_numpy
from .tensor import Tensor

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7)}


def _dtype_name(dtype) -> str:
    return f"torch.{np.dtype(dtype).name}" if np.dtype(dtype).name != "bool" else "torch.bool"


def _tolerances(dtype, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    return _TOLERANCES.get(np.dtype(dtype).name, (0.0, 0.0))


def _number(x) -> bool:
    return isinstance(x, (bool, int, float, np.number)) and not isinstance(x, Tensor)


def _fail(message: str, path: list, msg):
    if msg is not None:
        raise AssertionError(msg(message) if callable(msg) else msg)
    if path:
        message += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
    raise AssertionError(message)


def _compare_arrays(a, e, scalar: bool, rtol, atol, equal_nan, path, msg):
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu"
    wide = np.promote_types(a.dtype, e.dtype)
    a, e = a.astype(wide), e.astype(wide)
    if a.dtype.kind in "biu":          # integers compared in int64: no wrap-around in a − e
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)                    # in the common dtype, as PyTorch reports it
        close = diff <= atol + rtol * np.abs(e)
        if equal_nan and a.dtype.kind == "f":
            close |= np.isnan(a) & np.isnan(e)
    if close.all():
        return
    word = "equal" if exact and rtol == 0 and atol == 0 else "close"
    with np.errstate(divide="ignore", invalid="ignore"):
        if diff.dtype.kind == "f":
            relative = diff / np.abs(e)
        else:                           # (integers: PyTorch divides in its default float32)
            relative = diff.astype(np.float32) / np.abs(e).astype(np.float32)
    allowed_abs = f" (up to {atol} allowed)" if word == "close" else ""
    allowed_rel = f" (up to {rtol} allowed)" if word == "close" else ""
    if scalar:
        got, want = a.reshape(()).item(), e.reshape(()).item()
        if np.dtype(wide).kind == "b" or isinstance(got, bool):
            got, want = bool(got), bool(want)
        _fail(f"Scalars are not {word}!\n\nExpected {want} but got {got}.\n"
              f"Absolute difference: {_item(diff.reshape(()))}{allowed_abs}\n"
              f"Relative difference: {_item(relative.reshape(()))}{allowed_rel}", path, msg)
    flat_abs, flat_rel = diff.reshape(-1), relative.reshape(-1)
    i = _greatest(flat_abs)
    j = _greatest(flat_rel)
    where_abs = tuple(int(k) for k in np.unravel_index(i, diff.shape))
    where_rel = tuple(int(k) for k in np.unravel_index(j, diff.shape))
    bad = int((~close).sum())
    _fail(f"Tensor-likes are not {word}!\n\nMismatched elements: {bad} / {close.size} "
          f"({100 * bad / close.size:.1f}%)\n"
          f"Greatest absolute difference: {_item(flat_abs[i])} at index {where_abs}{allowed_abs}\n"
          f"Greatest relative difference: {_item(flat_rel[j])} at index {where_rel}{allowed_rel}",
          path, msg)


def _greatest(values) -> int:
    """The index of the largest value, NaN counting as the largest (as torch.max)."""
    nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, bool)
    return int(np.argmax(nan)) if nan.any() else int(np.argmax(values))


def _item(x):
    value = np.asarray(x).item()
    return value


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError (with PyTorch's report) unless ``actual`` and ``expected`` agree:
    the same type, shape and (with ``check_dtype``) dtype, and values within the tolerances."""
    _assert_close(actual, expected, [], rtol, atol, equal_nan, check_dtype, check_device,
                  check_stride, msg)


def _assert_close(actual, expected, path, rtol, atol, equal_nan, check_dtype, check_device,
                  check_stride, msg):
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        a, e = to_numpy(actual._data), to_numpy(expected._data)
        if tuple(a.shape) != tuple(e.shape):
            _fail(f"The values for attribute 'shape' do not match: torch.Size({list(a.shape)}) "
                  f"!= torch.Size({list(e.shape)}).", path, msg)
        if check_dtype and a.dtype != e.dtype:
            _fail(f"The values for attribute 'dtype' do not match: {_dtype_name(a.dtype)} != "
                  f"{_dtype_name(e.dtype)}.", path, msg)
        if check_device and str(actual.device) != str(expected.device):
            _fail(f"The values for attribute 'device' do not match: {actual.device} != "
                  f"{expected.device}.", path, msg)
        if check_stride and actual.stride() != expected.stride():
            _fail(f"The values for attribute 'stride()' do not match: {actual.stride()} != "
                  f"{expected.stride()}.", path, msg)
        r, t = _tolerances(np.promote_types(a.dtype, e.dtype), rtol, atol)
        _compare_arrays(a, e, a.ndim == 0, r, t, equal_nan, path, msg)
        return
    if _number(actual) and _number(expected):
        if type(actual) is not type(expected) and check_dtype and not (
                isinstance(actual, (int, float)) and isinstance(expected, (int, float))):
            raise TypeError(f"No comparison pair was able to handle inputs of type "
                            f"{type(actual)} and {type(expected)}.")
        floating = isinstance(actual, float) or isinstance(expected, float)
        r, t = _tolerances(np.float64 if floating else np.int64, rtol, atol)
        _compare_arrays(np.asarray(actual), np.asarray(expected), True, r, t, equal_nan, path,
                        msg)
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                  f"{sorted(set(expected) - set(actual), key=repr)}\nAdditional keys in the actual "
                  f"mapping: {sorted(set(actual) - set(expected), key=repr)}", path, msg)
        for key in expected:
            _assert_close(actual[key], expected[key], path + [key], rtol, atol, equal_nan,
                          check_dtype, check_device, check_stride, msg)
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  path, msg)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_close(a, e, path + [i], rtol, atol, equal_nan, check_dtype, check_device,
                          check_stride, msg)
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


__all__ = ["assert_close"]
