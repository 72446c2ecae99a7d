"""The array namespace: the one module that imports NumPy.

Everything else in chainrule asks this module for its arrays (``xp``), its default dtype and its
random generator, so that moving to another array library with NumPy's API (CuPy) is a change in
this file alone.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys


def _quiet_blas_threads() -> bool:
    """Ask OpenBLAS's idle threads to sleep after ~2¹⁶ cycles (~30 µs) instead of its default
    2²⁸ (~0.1 s) of spinning.

    A spinning BLAS thread holds a core for a tenth of a second after every matrix product, so
    the passes that chainrule splits over the cores (chainrule.parallel) would find the second
    core taken: measured here, an im2col copy split in two ran 16 ms right after a GEMM and 8 ms
    with the shorter spin. OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` once, when NumPy loads it,
    so this works only if chainrule is imported before NumPy; a value the user set is kept.
    Returns whether the setting is in force (``parallel`` splits passes only then).
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")
    value = os.environ.get("OPENBLAS_THREAD_TIMEOUT", os.environ.get("GOTO_THREAD_TIMEOUT", ""))
    return value.strip().isdigit() and int(value) <= 20


BLAS_THREADS_QUIET = _quiet_blas_threads()

import numpy  # noqa: E402  (after the OpenBLAS setting above)

xp = numpy
ndarray = numpy.ndarray
float32 = numpy.float32
float64 = numpy.float64
int64 = numpy.int64
bool_ = numpy.bool_

_default_dtype = numpy.dtype(numpy.float32)


def get_default_dtype() -> numpy.dtype:
    """The floating-point dtype that new tensors made from Python numbers get (float32)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (float32 or float64) the default for tensors made from Python numbers."""
    global _default_dtype
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating-point dtype, got {dtype}")
    _default_dtype = dtype


def manual_seed(seed: int):
    """Seed chainrule's default generator (used by rand, randn, randint, dropout, init, ...);
    returns it (``chainrule.random.default_generator``)."""
    from .random import default_generator

    return default_generator.manual_seed(seed)


# PyTorch's run-time switches that chainrule keeps but has no use for: every chainrule
# algorithm is deterministic (for a fixed thread count), and its float32 products are plain float32
_settings = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """PyTorch's switch to deterministic algorithms: recorded (chainrule's are already
    deterministic for a fixed number of threads, so nothing changes)."""
    _settings["deterministic"], _settings["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _settings["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's hint for float32 matrix products ('highest', 'high', 'medium'): recorded;
    chainrule's float32 products are always plain float32 ('highest')."""
    if precision not in ("highest", "high", "medium"):
        import warnings

        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', "
                      "'high' or 'medium'; the call has no effect (as in PyTorch)", stacklevel=2)
        return
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["matmul_precision"]


def generator():
    """The default generator (``chainrule.random.default_generator``, PyTorch's algorithms;
    NumPy's ``Generator`` methods too, on the same stream); reseed it with :func:`manual_seed`."""
    from .random import default_generator

    return default_generator


def is_array(x) -> bool:
    return isinstance(x, numpy.ndarray)


def namespace(x):
    """The module of NumPy-named functions that operates on ``x``.

    For a backend array this is NumPy itself; for a chainrule Tensor it is ``chainrule.ops``, whose
    functions record a graph; for an array of another library that implements the array API
    standard (CuPy, array_api_strict) it is that library's namespace (``x.__array_namespace__()``).
    Derivative rules are written against this namespace, so one rule serves plain first-order
    backward (on arrays) and differentiable backward (on Tensors).
    """
    ns = getattr(type(x), "_array_namespace", None)
    if ns is not None:
        return ns
    if isinstance(x, (numpy.ndarray, numpy.generic)):
        return xp
    return _foreign_namespace(x) or xp


_NAMESPACES: dict = {}      # array type -> its namespace (cleared when a device backend changes)


def _foreign_namespace(x):
    """The namespace chainrule computes with on an array of another library: the one its device
    backend supplies (CuPy: array-api-compat's wrapper), else the one the array names
    (``__array_namespace__``); None for an object that is neither."""
    kind = type(x)
    if kind in _NAMESPACES:
        return _NAMESPACES[kind]
    from .device import namespace_of

    ns = namespace_of(x)
    if ns is None:
        get = getattr(x, "__array_namespace__", None)
        ns = get() if get is not None else None
    _NAMESPACES[kind] = ns
    return ns


def array_namespace(*arrays):
    """The array library of a primitive's input arrays: NumPy for NumPy arrays and Python numbers,
    else the namespace of the first array that names one (``__array_namespace__``, the array API
    standard's protocol: CuPy, array_api_strict). A primitive's forward computes with this, so the
    same code runs on any array library that implements the standard."""
    for a in arrays:
        if type(a) is numpy.ndarray or a is None or isinstance(a, (int, float, numpy.generic)):
            continue
        ns = _foreign_namespace(a)
        if ns is not None:
            return ns
    return xp


def is_foreign_array(x) -> bool:
    """Whether ``x`` is an array of another library that implements the array API standard
    (CuPy, array_api_strict): not a NumPy array or scalar, and a device backend owns it or it
    names its namespace."""
    return (not isinstance(x, (numpy.ndarray, numpy.generic))
            and getattr(type(x), "_array_namespace", None) is None
            and _foreign_namespace(x) is not None)


def numpy_dtype(dtype) -> numpy.dtype:
    """The NumPy dtype of a dtype of any array library: NumPy's and CuPy's are NumPy dtypes;
    another library's is read by its name (``array_api_strict.float32`` → float32). chainrule's
    dtype rules (PyTorch's promotion) are computed on these."""
    if isinstance(dtype, numpy.dtype):
        return dtype
    try:
        return numpy.dtype(dtype)
    except TypeError:
        return numpy.dtype(str(dtype).rsplit(".", 1)[-1])


def dtype_kind(dtype) -> str:
    """NumPy's one-letter kind of a dtype ('b' bool, 'i'/'u' integers, 'f' real and 'c' complex
    floating point), for the dtypes of any array library."""
    try:
        return dtype.kind
    except AttributeError:
        return numpy_dtype(dtype).kind


def sgn(x):
    """sign(x) with PyTorch's sgn(NaN) = 0 (NumPy's sign gives NaN), in ``x``'s own namespace
    (arrays of any library, or Tensors inside a differentiable backward); a boolean array is its
    own sign, as in PyTorch."""
    ns = namespace(x)
    if str(getattr(x, "dtype", "")) == "bool":
        return x.copy() if hasattr(x, "copy") else ns.asarray(x, copy=True)
    if hasattr(ns, "sgn") and str(getattr(x, "dtype", "")).startswith("complex"):
        return ns.sgn(x)        # a complex Tensor: z/|z|, with its gradient
    s = ns.sign(x)
    return ns.where(ns.isnan(x), ns.zeros_like(s), s)


def astype(a, dtype):
    """``a`` converted to ``dtype`` (a NumPy dtype or the array library's own): the array's method
    for NumPy arrays and Tensors, the namespace's ``astype`` with its dtype of the same name for
    array API libraries."""
    if hasattr(a, "astype"):
        return a.astype(dtype)
    ns = namespace(a)
    return ns.astype(a, getattr(ns, numpy_dtype(dtype).name))


def to_numpy(a):
    """A NumPy copy (or the array itself) of an array of any library: CuPy's ``get()`` copies
    from the GPU; array API libraries on the CPU hand their memory over through DLPack. For
    messages and checks, not for computing."""
    if isinstance(a, numpy.ndarray):
        return a
    if not is_foreign_array(a):             # NumPy scalars, Python numbers
        return numpy.asarray(a)
    get = getattr(a, "get", None)
    if callable(get):
        return get()
    return numpy.from_dlpack(a)


def errstate(ns, **settings):
    """NumPy's ``errstate(**settings)`` for NumPy arrays; for other array libraries (which have
    no floating-point warnings to silence) a context that does nothing."""
    if ns is xp:
        return numpy.errstate(**settings)
    import contextlib

    return contextlib.nullcontext()


def into(name: str, *args, out):
    """The elementwise function ``name`` of ``args`` written into ``out`` (NumPy's ``out=``: no
    new array). The array API has no ``out=``: another library's result is computed and then
    assigned into ``out`` — the same values, one temporary more."""
    if type(out) is numpy.ndarray:
        return getattr(numpy, name)(*args, out=out)
    out[...] = getattr(namespace(out), name)(*args)
    return out


def empty(shape, like):
    """An uninitialised array of ``shape`` in the library and dtype of the array ``like``."""
    if type(like) is numpy.ndarray:
        return numpy.empty(shape, dtype=like.dtype)
    return namespace(like).empty(shape, dtype=like.dtype)


def copy(a):
    """A copy of the array ``a`` in its own library."""
    return a.copy() if hasattr(a, "copy") else namespace(a).asarray(a, copy=True)


def zeros_like(a):
    """Zeros shaped like ``a``, in ``a``'s library."""
    return numpy.zeros_like(a) if type(a) is numpy.ndarray else namespace(a).zeros_like(a)


def reshape(a, shape):
    """``a.reshape(shape)`` for NumPy arrays and Tensors; the namespace's ``reshape`` for array
    API libraries, whose arrays have no methods."""
    if type(a) is numpy.ndarray or hasattr(a, "reshape"):
        return a.reshape(shape)
    return namespace(a).reshape(a, shape)


def permute(a, axes):
    """``a`` with its axes in the order ``axes``: NumPy's and chainrule's ``transpose``, the array
    API's ``permute_dims``."""
    if type(a) is numpy.ndarray:
        return a.transpose(axes)
    ns = namespace(a)
    if ns is xp or getattr(type(a), "_array_namespace", None) is not None:
        return ns.transpose(a, axes)
    return ns.permute_dims(a, tuple(axes))


def matrix_transpose(a):
    """``a`` with its last two axes swapped (NumPy's and chainrule's ``swapaxes(a, -1, -2)``, the
    array API's ``matrix_transpose``)."""
    if is_foreign_array(a):
        return namespace(a).matrix_transpose(a)
    return namespace(a).swapaxes(a, -1, -2)


def total(a, axis=None, keepdims: bool = False):
    """``a.sum(axis, keepdims)``, or the namespace's ``sum`` for array API libraries."""
    if type(a) is numpy.ndarray or hasattr(a, "sum"):
        return a.sum(axis=axis, keepdims=keepdims)
    return namespace(a).sum(a, axis=axis, keepdims=keepdims)


def pass_where(mask, g):
    """``g`` where ``mask`` holds, else 0: the gradient through a function that is flat outside
    ``mask`` (a clamp, hardtanh, hardsigmoid). The product g·1[mask] would give ∞·0 = NaN where
    an infinite upstream gradient meets the flat part; PyTorch's backward kernels select
    instead, so the gradient there is 0."""
    if isinstance(g, numpy.ndarray):
        return numpy.where(mask, g, g.dtype.type(0))
    return namespace(g).where(mask, g, 0.0)


def as_float_mask(mask, like):
    """A boolean ``mask`` ready to multiply an array ``like``: NumPy promotes booleans itself
    (kept as they are, for speed and the same bits); the array API standard does not mix
    booleans with floats, so elsewhere the mask is converted to ``like``'s dtype (1.0 / 0.0)."""
    if isinstance(mask, numpy.ndarray) or getattr(type(mask), "_array_namespace", None):
        return mask
    ns = namespace(like)
    return ns.astype(mask, like.dtype)


def pad_constant(x, widths, value=0):
    """``x`` with ``value`` around it, ``widths`` = (before, after) per axis: NumPy's
    ``pad(mode="constant")`` in one copy of x and one fill per border slab, without its
    per-call overhead (36 µs against 5 µs for a 13×1×28×28 batch: convolutions pad every chunk)."""
    widths = [(int(a), int(b)) for a, b in widths]
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, widths))
    out = numpy.empty(shape, dtype=x.dtype)
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, widths))] = x
    for axis, (a, b) in enumerate(widths):
        lead = (slice(None),) * axis
        if a:
            out[lead + (slice(0, a),)] = value
        if b:
            out[lead + (slice(shape[axis] - b, None),)] = value
    return out


def tune_malloc(threshold: int = 1 << 30) -> bool:
    """Keep glibc's malloc from returning large freed blocks to the OS between training steps.

    Without this, each step's large temporaries are fresh ``mmap`` regions whose first touch costs
    page faults (measured here: a NumPy MLP step 1.34x slower than PyTorch; 0.81x with it). The
    effect is process-wide. Set ``CHAINRULE_TUNE_MALLOC=0`` to leave malloc alone. Returns whether
    the settings were applied.
    """
    if os.environ.get("CHAINRULE_TUNE_MALLOC", "1") == "0":
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = mallopt(m_mmap_threshold, ctypes.c_int(min(threshold, 1 << 30)))
    ok &= mallopt(m_trim_threshold, ctypes.c_int(min(threshold, 1 << 30)))
    return bool(ok)


MALLOC_TUNED = tune_malloc()


# ------------------------------------------------------------------ special functions (issue 17)
# The array API standard has no special functions; chainrule computes them in NumPy
# (ops/special.py, ops/pointwise.py, ops/gamma.py). Other array libraries reach them here.

_SPECIAL_NAMES = {"lgamma": ("lgamma", "gammaln")}       # scipy.special's name for ln|Γ|


def _library_special(ns, name: str):
    """The array library's own special function ``name``, or None: a function of the namespace
    itself, of its ``special`` submodule, or, for CuPy, of ``cupyx.scipy.special``."""
    homes = [ns, getattr(ns, "special", None)]
    if getattr(ns, "__name__", "").split(".")[0] == "cupy":
        import importlib

        try:
            homes.append(importlib.import_module("cupyx.scipy.special"))
        except ImportError:
            pass
    for home in homes:
        for alias in _SPECIAL_NAMES.get(name, (name,)):
            f = getattr(home, alias, None) if home is not None else None
            if callable(f):
                return f
    return None


def special_function(name: str, host, x, *lead):
    """The special function ``name`` (erf, erfc, erfinv, lgamma, digamma, polygamma) of the array
    ``x``, as ``host(*lead, x)`` computes it on NumPy arrays (``lead``: integer arguments before
    x, as polygamma's order n).

    NumPy arrays (and chainrule's Tensors) go straight to ``host``, chainrule's own NumPy
    implementation: the same call and bits as before. An array of another library uses that
    library's own function of the name when it has one (``ns.erf``, ``ns.special.erf``, CuPy's
    ``cupyx.scipy.special.erf``); otherwise — array_api_strict, which has only the standard —
    it makes an explicit round trip through the host: ``to_numpy(x)`` → ``host`` →
    ``ns.asarray(…, device=x.device)``. The values are then exactly NumPy's; on a GPU the round
    trip costs two copies over the bus, so a library with its own function is preferred.
    """
    if not is_foreign_array(x):
        return host(*lead, x)
    ns = namespace(x)
    own = _library_special(ns, name)
    if own is not None:
        return own(*lead, x)
    return ns.asarray(host(*lead, to_numpy(x)), device=x.device)


def asarray_like(a, like):
    """The NumPy array ``a`` in the array library and on the device of the array ``like``:
    ``a`` itself when ``like`` is a NumPy array (or a number), else one copy into ``like``'s
    library (onto its GPU, for CuPy). Constants that chainrule builds on the host with NumPy
    (index grids, averaging matrices, dropout masks drawn from its seeded generator) reach other
    libraries through this one function."""
    if not is_foreign_array(like):
        return a
    ns = namespace(like)
    if getattr(ns, "__name__", "").split(".")[0] == "cupy":
        with like.device:                   # CuPy's asarray has no device argument
            return ns.asarray(a)
    return ns.asarray(a, device=like.device)


def host_layout(a):
    """The array whose ``strides``, ``flags`` and memory address describe ``a``'s memory: ``a``
    itself where it has them (NumPy, CuPy); for a library without strides (the array API
    standard has none: array_api_strict) the NumPy array that DLPack hands over, which shares
    the memory and keeps its strides. For layout questions (``stride()``, ``is_contiguous()``,
    ``view``), not for computing."""
    if isinstance(a, numpy.ndarray) or hasattr(a, "strides"):
        return a
    return to_numpy(a)


def drawn_like(values, like, copy: bool = True):
    """NumPy ``values`` drawn on the host from the seeded generator, in the dtype and the array
    library of the array ``like`` (``values.astype(like.dtype)`` for NumPy): every library gets
    the same draws (``Tensor.uniform_``, ``normal_``, ``bernoulli_``, ``random_``...)."""
    if type(like) is numpy.ndarray:
        return values.astype(like.dtype, copy=copy)
    return asarray_like(values.astype(numpy_dtype(like.dtype)), like)
