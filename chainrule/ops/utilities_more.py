"""More of PyTorch's top-level utilities: ``unravel_index``, ``gradient`` (finite differences),
``asarray``, DLPack exchange (``from_dlpack``, ``to_dlpack``), ``vander``, ``typename``,
``histogramdd``, the deprecated norms ``frobenius_norm`` and ``nuclear_norm``, and the run-time
switches ``get/set_num_interop_threads``, ``is/set_anomaly_enabled``,
``is_anomaly_check_nan_enabled``, ``set_warn_always``/``is_warn_always_enabled``.

Each follows PyTorch 2.13 (signatures, result dtypes, errors); the differentiable ones
(``gradient``, ``vander``, the norms) are compositions of primitives, so their derivatives are
the primitives'. ``gradient`` lives in finite_gradient.py and ``histogramdd`` in
histogram_dd.py; ``chainrule/__init__.py`` binds :data:`NAMES`.
"""
from __future__ import annotations

import builtins
import math
import os
import warnings
from collections.abc import Sequence

from .. import backend as B
from ..backend import xp
from ..tensor import Tensor
from .finite_gradient import gradient  # noqa: F401  (re-exported: NAMES)
from .histogram_dd import histogramdd  # noqa: F401  (re-exported: NAMES)

# ------------------------------------------------------------------------------ unravel_index


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in a tensor of ``shape``: a tuple of int64 tensors,
    one per dimension, each shaped as ``indices``.

    Forward:   coordᵢ = ⌊index / Πⱼ₍ⱼ>ᵢ₎ shapeⱼ⌋ mod shapeᵢ   (floor division and a modulo with
               the divisor's sign, as PyTorch: indices outside [0, Πshape) wrap, −1 is the last)

    >>> import chainrule as cr
    >>> unravel_index(cr.tensor([4, 1]), (3, 2))      # (tensor([2, 0]), tensor([0, 1]))
    """
    from .sorting import _arr, _result

    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if B.dtype_kind(indices.dtype) not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    elif not isinstance(shape, Sequence) or isinstance(shape, Tensor):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got "
                            f"{type(size)}")
    shape = tuple(shape)
    if any(size < 0 for size in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    flat = _arr(indices).astype(xp.int64)
    if 0 in shape and flat.size:
        raise RuntimeError("ZeroDivisionError")
    coefs = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    with xp.errstate(divide="ignore"):
        out = [(flat // c) % s if flat.size else flat.copy() for c, s in zip(coefs, shape)]
    return tuple(_result(xp.asarray(o, dtype=xp.int64), indices) for o in out)


# ------------------------------------------------------------------------------ asarray

_GRAD_WARNING = ("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad "
                 "instead of False. Pass requires_grad=False explicitly to get the old behavior "
                 "and silence this warning.")


def asarray(obj, *, dtype=None, device=None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """``obj`` as a tensor, sharing its memory where it can (PyTorch's ``torch.asarray``).

    - a Tensor: itself (same object) unless ``dtype`` differs (a differentiable cast) or
      ``copy=True`` (a differentiable clone); ``requires_grad`` unspecified keeps its graph (with
      PyTorch 2.13's warning when it requires grad), False detaches (a leaf is switched off in
      place, as PyTorch does), True keeps a graph and switches on what has none (a leaf input
      in place);
    - a NumPy array or scalar, or an object with ``__dlpack__``: its memory, shared, when the
      dtype fits and ``copy`` is not True; an array of another array library chainrule computes
      with (array_api_strict, CuPy) is kept as it is;
    - a buffer (bytes, bytearray, array.array, memoryview): its raw bytes read as ``dtype``
      (default float32), shared when writable;
    - numbers and (nested) sequences: a new tensor (``copy=False`` is then a ValueError).
    ``copy=False`` where a copy is needed (another dtype) is a ValueError.
    """
    import numpy

    target = None
    if device is not None:
        from ..device import check
        target = check(device, "asarray")
    dtype = None if dtype is None else B.numpy_dtype(dtype)
    if isinstance(obj, Tensor):
        result = _tensor_as(obj, dtype, copy, requires_grad)
    else:
        if isinstance(obj, (numpy.ndarray, numpy.generic)) or B.is_foreign_array(obj):
            data = obj if isinstance(obj, numpy.ndarray) or B.is_foreign_array(obj) \
                else numpy.asarray(obj)
        elif hasattr(obj, "__dlpack__") and not isinstance(obj, type):
            data = numpy.from_dlpack(obj)
        elif _is_buffer(obj):
            data = numpy.frombuffer(obj, dtype=dtype or B.get_default_dtype())
            if not data.flags.writeable or copy:
                data = data.copy()
        else:
            if copy is False:
                raise ValueError("can't alias arbitrary sequence into a tensor.")
            from .creation import tensor as _new
            result = _new(obj, dtype=dtype)
            data = None
        if data is not None:
            same = dtype is None or B.numpy_dtype(data.dtype) == dtype
            if not same and copy is False:
                raise ValueError(f"can't alias tensor with dtype '{_aten_name(data.dtype)}' into "
                                 f"dtype '{_aten_name(dtype)}'.")
            if copy or not same:
                data = B.astype(data, dtype) if not same else (
                    data.copy() if isinstance(data, numpy.ndarray) else B.copy(data))
            result = Tensor._from_op(data, None)
        if requires_grad:
            _check_differentiable(result)
            result.requires_grad_(True)
    if target is not None and target.type != "cpu":
        from ..device import move
        result._data = move(result._data, target)
    return result


def _tensor_as(t: Tensor, dtype, copy, requires_grad) -> Tensor:
    from .shape import clone

    cast = dtype is not None and B.numpy_dtype(t.dtype) != dtype
    if cast and copy is False:
        raise ValueError(f"can't alias tensor with dtype '{_aten_name(t.dtype)}' into dtype "
                         f"'{_aten_name(dtype)}'.")
    result = t.to(dtype) if cast else clone(t) if copy else t
    if requires_grad is None:
        if t.requires_grad:
            warnings.warn(_GRAD_WARNING, UserWarning, stacklevel=3)
        return result
    if requires_grad:           # kept in the graph when it is in one; else made a leaf that
        if not result.requires_grad:            # requires grad (a leaf input: in place)
            _check_differentiable(result)
            result.requires_grad_(True)
        return result
    if result is t and t._node is None:
        t.requires_grad_(False)
        return t
    return result.detach()


def _check_differentiable(t: Tensor) -> None:
    if B.dtype_kind(t.dtype) not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")


def _is_buffer(obj) -> bool:
    if isinstance(obj, (str, int, float, complex, bool, list, tuple, range)) or obj is None:
        return False
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


_ATEN_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
               "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _aten_name(dtype) -> str:
    name = str(B.numpy_dtype(dtype))
    return _ATEN_NAMES.get(name, name)


# ------------------------------------------------------------------------------ DLPack


def to_dlpack(tensor):
    """A DLPack capsule of the tensor's memory (``torch.to_dlpack``): the legacy interface;
    ``from_dlpack`` of another library reads it without a copy. As in PyTorch, a tensor that
    requires grad is exported too (its values; ``x.__dlpack__()`` refuses it)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack(): argument 'tensor' must be Tensor, not "
                        f"{type(tensor).__name__}")
    return _capsule(tensor._data)


def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """``Tensor.__dlpack__``: the capsule of the array's memory (NumPy's, or the array library's
    own); a versioned capsule where the library makes one, so that a consumer may write. A
    tensor that requires grad is refused with a BufferError (PyTorch's rule)."""
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return _capsule(self._data, max_version, dl_device, copy)


def _capsule(data, max_version=None, dl_device=None, copy=None):
    options = {k: v for k, v in (("dl_device", dl_device), ("copy", copy)) if v is not None}
    for version in (max_version or (1, 0), None):
        try:
            if version is None:
                return data.__dlpack__(**options) if options else data.__dlpack__()
            return data.__dlpack__(max_version=version, **options)
        except TypeError:
            continue
    raise BufferError("this tensor's array cannot be exported through DLPack")


def _dlpack_device(self):
    """``Tensor.__dlpack_device__``: (device type, index) of the array's memory."""
    return self._data.__dlpack_device__()


class _Capsule:
    """A DLPack capsule presented as an object with ``__dlpack__`` (what NumPy reads)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, *args, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)           # kDLCPU: NumPy reads host memory only


def from_dlpack(ext_tensor, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor sharing the memory of ``ext_tensor`` (``torch.from_dlpack``): an object with
    ``__dlpack__`` (a PyTorch tensor, a NumPy array, …) or a DLPack capsule. A chainrule Tensor
    gives a new tensor over its own array (its library kept). A legacy capsule (PyTorch's
    ``to_dlpack``) is read by NumPy as read-only memory."""
    import numpy

    if device is not None:
        from ..device import check
        if check(device, "from_dlpack").type != "cpu":
            raise RuntimeError("from_dlpack: only host (CPU) memory can be read through DLPack")
    if isinstance(ext_tensor, Tensor):
        data = ext_tensor._data
        if copy:
            data = data.copy() if isinstance(data, numpy.ndarray) else B.copy(data)
        return Tensor._from_op(data, None)
    source = ext_tensor if hasattr(ext_tensor, "__dlpack__") else _Capsule(ext_tensor)
    array = numpy.from_dlpack(source, copy=copy) if copy is not None else \
        numpy.from_dlpack(source)
    return Tensor._from_op(array, None)


# ------------------------------------------------------------------------------ vander


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-d tensor (``torch.vander``; not ``linalg.vander``):
    columns x^{N−1}, …, x, 1 (``increasing``: 1, x, …, x^{N−1}); N = len(x) by default.

    Forward:     column k (increasing order) = x·x·…·x (k factors), a running product (cumprod),
                 as PyTorch computes it; integer and bool input give int64.
    Derivative:  through cumprod: ∂(x^k)/∂x = k·x^{k−1}. (PyTorch 2.13's backward of vander
                 raises an in-place-modification error; here it is differentiable.)
    """
    from .cumulative import cumprod
    from .movement import cat
    from .shape import flip

    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    kind = B.dtype_kind(x.dtype)
    dtype = xp.dtype(xp.int64) if kind in "biu" else B.numpy_dtype(x.dtype)
    source = x.to(dtype) if B.numpy_dtype(x.dtype) != dtype else x
    ones = source.new_ones((x.shape[0], builtins.min(n, 1)), dtype=dtype)
    if n > 1:
        powers = cumprod(source.unsqueeze(1).expand(x.shape[0], n - 1), 1)
        result = cat([ones, powers], 1)
    else:
        result = ones
    return result if increasing else flip(result, [1])


# ------------------------------------------------------------------------------ typename


def typename(obj, /) -> str:
    """The type of ``obj`` spelled in full (``torch.typename``): a tensor's ``x.type()``
    ('torch.FloatTensor'), else module.qualname ('int' for builtins)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in {"", "builtins"} else f"{module}.{qualname}"


# ------------------------------------------------------------------------------ norms


def frobenius_norm(input, dim, keepdim: bool = False) -> Tensor:  # noqa: A002
    """√(Σ x²) over ``dim`` (one or two dims; [] is every dim): ``torch.frobenius_norm``,
    deprecated in PyTorch for ``linalg.vector_norm(x, 2, dim, keepdim)``, which it is."""
    from ..linalg import vector_norm

    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.vector_norm(A, 2., dim, keepdim)` instead", UserWarning, stacklevel=2)
    dims = [dim] if isinstance(dim, int) else list(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions "
                           "instead.")
    if B.dtype_kind(input.dtype) not in "fc":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {_aten_name(input.dtype)} instead.")
    return vector_norm(input, 2, dims or None, keepdim)


def nuclear_norm(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The sum of the singular values of each matrix in dims ``dim`` (the last two by default):
    ``torch.nuclear_norm(input, keepdim=False)`` or ``(input, dim, keepdim=False)``, deprecated
    in PyTorch for ``linalg.matrix_norm(x, 'nuc', dim, keepdim)``, which it is."""
    from ..linalg import matrix_norm

    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead", UserWarning,
                  stacklevel=2)
    if isinstance(dim, bool):                  # nuclear_norm(input, keepdim) positionally
        dim, keepdim = None, dim
    if dim is None:
        dim = (-2, -1)
    dims = [dim] if isinstance(dim, int) else list(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dims)}")
    return matrix_norm(input, "nuc", tuple(dims), keepdim)


# ------------------------------------------------------------------------------ switches

_interop = {"threads": None, "set": False}


def get_num_interop_threads() -> int:
    """Threads for inter-op parallelism (``torch.get_num_interop_threads``). chainrule runs
    operations one after another, so the number is only recorded: what was set, else the
    number of CPUs."""
    return _interop["threads"] or os.cpu_count() or 1


def set_num_interop_threads(num: int) -> None:
    """Record the number of inter-op threads; as in PyTorch, it must be positive and may be set
    once (a second call is a RuntimeError)."""
    if isinstance(num, bool) or not isinstance(num, int):
        raise TypeError(f"set_num_interop_threads(): argument must be int, not "
                        f"{type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _interop["set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has "
                           "started or set_num_interop_threads called")
    _interop["threads"], _interop["set"] = num, True


# Anomaly mode: chainrule's detector (autograd.detect_anomaly) checks for NaN gradients, so mode
# on with check_nan on is its switch; mode on with check_nan off is remembered here (nothing to
# check then).
_anomaly_unchecked = [False]
_check_nan = [True]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection (``torch.set_anomaly_enabled``; autograd.detect_anomaly's
    switch): during backward, the first operation that returns a NaN gradient raises."""
    from ..autograd import hooks

    for name, value in (("enabled", enabled), ("check_nan", check_nan)):
        if not isinstance(value, bool):
            raise TypeError(f"set_anomaly_enabled(): argument '{name}' must be bool, not "
                            f"{type(value).__name__}")
    hooks._anomaly[0] = enabled and check_nan
    _anomaly_unchecked[0] = enabled and not check_nan
    _check_nan[0] = check_nan


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (set_anomaly_enabled, or inside detect_anomaly)."""
    from ..autograd import hooks

    return bool(hooks._anomaly[0] or _anomaly_unchecked[0])


def is_anomaly_check_nan_enabled() -> bool:
    from ..autograd import hooks

    return bool(hooks._anomaly[0] or _check_nan[0])


_warn_always = [False]


def set_warn_always(b: bool, /) -> None:
    """PyTorch's switch for warnings that are shown once per process; recorded (chainrule's
    warnings go through Python's ``warnings`` filters)."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _warn_always[0] = b


def is_warn_always_enabled() -> bool:
    return _warn_always[0]


Tensor.__dlpack__ = _dlpack
Tensor.__dlpack_device__ = _dlpack_device

NAMES = ("unravel_index", "gradient", "asarray", "from_dlpack", "to_dlpack", "vander", "typename",
         "histogramdd", "frobenius_norm", "nuclear_norm", "get_num_interop_threads",
         "set_num_interop_threads", "set_anomaly_enabled", "is_anomaly_enabled",
         "is_anomaly_check_nan_enabled", "set_warn_always", "is_warn_always_enabled")
