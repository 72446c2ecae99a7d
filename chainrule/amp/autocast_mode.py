r"""Automatic mixed precision: PyTorch's ``torch.autocast`` for the CPU, in float16.

Inside ``with chainrule.autocast("cpu", dtype=chainrule.float16):`` each operation on PyTorch's
CPU autocast lists chooses its own precision, exactly as ATen's ``AutocastCPU`` kernels do
(aten/src/ATen/autocast_mode.cpp; the lists are the data below):

* **lower precision** (matrix products and convolutions: ``linear``, ``matmul``, ``mm``, ``bmm``,
  ``addmm``, ``conv2d``, …): floating inputs are cast to float16 and the result is float16;
* **float32** (losses, ``prod``, ``cdist``, the 3-D pools, reflection/replication padding, …):
  float16 inputs are cast up to float32 and the result is float32;
* **promote** (``cat``, ``stack``, ``index_copy``): inputs are cast to the widest floating type
  among them;
* everything else (``relu``, ``softmax``, ``sum``, ``layer_norm``, …) runs in the dtype of the
  inputs it is given, so a float16 activation stays float16.

float64 tensors are never cast (not "eligible", as in PyTorch). Each cast is the differentiable
:func:`chainrule.astype`, so gradients flow back through it: a float32 master weight W used by a
float16 layer receives ∂L/∂W = float32(∂L/∂W₁₆), the float16 gradient widened.

Forward:     lower precision  y = fl₁₆( f(fl₁₆(x), fl₁₆(W)) ),  f evaluated in float32
             float32          y = f(float32(x))
Derivative:  ∂L/∂W = float32( fl₁₆( J_fᵀ G ) ): the backward of a float16 op is float16 too
Numerics:    fl₁₆(x) = x(1 + δ), |δ| ≤ 2⁻¹¹ (unit roundoff, 11 significant bits); normal range
             2⁻¹⁴ ≈ 6.1e−5 … 65504, subnormals down to 2⁻²⁴ ≈ 6.0e−8; larger values become ±inf.
             PyTorch's CPU half matmul/conv accumulate in float32 and round once; chainrule
             computes the op in float32 on the float16-rounded inputs and rounds the result once
             to float16 — the same arithmetic up to float32 summation order.

PyTorch's default CPU autocast dtype is bfloat16, which NumPy (whose dtypes chainrule's are) does
not have: ``autocast("cpu")`` without ``dtype=chainrule.float16`` raises a clear error rather
than silently running in another precision.

Differences from PyTorch: ``nn.RNN``/``nn.LSTM`` and an ``einsum`` of three or more operands
raise under autocast (PyTorch's precision there depends on its kernels and contraction path);
the in-place ``addmm_``/``baddbmm_``/``addbmm_`` methods autocast like their out-of-place forms;
a backward pass run inside the region with ``create_graph=True`` may autocast the matrix
products of its rules; NumPy may warn (RuntimeWarning) when a scaled gradient overflows.
"""
from __future__ import annotations

import collections.abc
import functools
import warnings
import weakref

from ..backend import dtype_kind, xp

# --------------------------------------------------------------------------- the policy (data)
# PyTorch's AutocastCPU registrations (aten/src/ATen/autocast_mode.cpp), by ATen operator name.
# A chainrule function joins a policy by decorating its front door with autocast_op("<name>").

#: ops that run in the autocast dtype (float16): their floating inputs are cast down
LOWER_PRECISION_FP = frozenset({
    "conv1d", "conv2d", "conv3d", "bmm", "mm", "linalg_vecdot", "baddbmm", "addmm",
    "_addmm_activation", "addbmm", "linear", "_convolution", "matmul", "conv_tbc",
    "mkldnn_rnn_layer", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
    "scaled_dot_product_attention", "_native_multi_head_attention",
})

#: ops that run in float32: their lower-precision inputs are cast up
FP32 = frozenset({
    "avg_pool3d", "binary_cross_entropy", "grid_sampler", "polar", "prod", "quantile",
    "nanquantile", "stft", "cdist", "grid_sampler_2d", "grid_sampler_3d", "trace",
    "view_as_complex", "cholesky", "cholesky_inverse", "cholesky_solve", "inverse", "lu_solve",
    "orgqr", "ormqr", "pinverse", "max_pool3d", "max_unpool2d", "max_unpool3d",
    "adaptive_avg_pool3d", "reflection_pad1d", "reflection_pad2d", "replication_pad1d",
    "replication_pad2d", "replication_pad3d", "mse_loss", "cosine_embedding_loss", "nll_loss",
    "nll_loss2d", "hinge_embedding_loss", "poisson_nll_loss", "smooth_l1_loss",
    "cross_entropy_loss", "l1_loss", "huber_loss", "margin_ranking_loss", "soft_margin_loss",
    "triplet_margin_loss", "multi_margin_loss", "ctc_loss", "kl_div", "multilabel_margin_loss",
    "binary_cross_entropy_with_logits", "fft_fft", "fft_ifft", "fft_fft2", "fft_ifft2",
    "fft_fftn", "fft_ifftn", "fft_rfft", "fft_irfft", "fft_rfft2", "fft_irfft2", "fft_rfftn",
    "fft_irfftn", "fft_hfft", "fft_ihfft", "linalg_cond", "linalg_matrix_rank", "linalg_solve",
    "linalg_cholesky", "linalg_svdvals", "linalg_eigvals", "linalg_eigvalsh", "linalg_inv",
    "linalg_householder_product", "linalg_tensorinv", "linalg_tensorsolve",
    "fake_quantize_per_tensor_affine", "geqrf", "_lu_with_info", "qr", "svd",
    "triangular_solve", "fractional_max_pool2d", "fractional_max_pool3d", "adaptive_max_pool3d",
    "multilabel_margin_loss_forward", "linalg_qr", "linalg_cholesky_ex", "linalg_svd",
    "linalg_eig", "linalg_eigh", "linalg_lstsq", "linalg_inv_ex",
})

#: ops that run in the widest floating type among their inputs
PROMOTE = frozenset({"stack", "cat", "index_copy"})

#: not on PyTorch's lists, but single ATen kernels there (``dot``, ``mv``, …) while chainrule
#: builds them from an op that is (matmul): they run on their inputs' dtypes, with autocast off
#: inside so that the matmul they use is not cast
OWN_DTYPE = frozenset({"dot", "mv"})


#: chainrule front doors that PyTorch runs as a composite or a kernel of its own, whose
#: precision under autocast chainrule does not reproduce: they raise under autocast instead
UNSUPPORTED = frozenset({"rnn", "lstm"})


def _pad_policy(input, pad, mode: str = "constant", value=None):  # noqa: A002
    """F.pad is ATen's reflection_pad1d/2d or replication_pad1d/2d/3d (on the float32 list) for
    those modes; constant, circular and 3-D reflection padding are not listed."""
    return "fp32" if mode == "replicate" or (mode == "reflect" and len(pad) <= 4) else None


def _einsum_policy(equation, *operands):
    """PyTorch's einsum sums the indices private to one operand, then contracts a pair with
    ``bmm`` (a lower-precision op) when they share an index absent from the output, else
    multiplies them (no autocast). With 3+ operands the precision follows the contraction path
    taken, which chainrule does not reproduce."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if len(operands) > 2:
        return "unsupported"
    if len(operands) < 2:
        return None
    equation = equation.replace(" ", "").replace("...", ".")
    lhs, arrow, out = equation.partition("->")
    terms = lhs.split(",")
    if not arrow:       # implicit output: the letters that occur once
        out = "".join(c for c in lhs if c.isalpha() and lhs.count(c) == 1)
    shared = set(terms[0]) & set(terms[-1])
    return "lower_precision_fp" if any(c.isalpha() and c not in out for c in shared) else None


#: front doors that are a listed kernel for some arguments only: a function of the call's
#: arguments that returns the policy (None: not listed, run as is)
CONDITIONAL = {"pad": _pad_policy, "einsum": _einsum_policy}

POLICIES = {**{n: "lower_precision_fp" for n in LOWER_PRECISION_FP},
            **{n: "fp32" for n in FP32}, **{n: "promote" for n in PROMOTE},
            **{n: "own_dtype" for n in OWN_DTYPE}, **{n: "unsupported" for n in UNSUPPORTED},
            **{n: "conditional" for n in CONDITIONAL}}

_DEVICE_TYPES = ("cpu", "cuda")
_BFLOAT16 = "bfloat16"      # PyTorch's CPU default; NumPy has no such dtype (see _resolve_dtype)


class _State:
    """Autocast's (process-wide) state, as ATen's thread-locals: per device type whether it is
    on and its dtype; the cast cache; the nesting depth of ``autocast`` regions. ``live`` is the
    one flag a front door reads: CPU autocast is on and no listed op is running already."""

    enabled = {"cpu": False, "cuda": False}
    dtype = {"cpu": _BFLOAT16, "cuda": xp.dtype("float16")}
    cache_enabled = True
    nesting = 0
    cache: dict = {}
    live = False


def _refresh() -> None:
    _State.live = _State.enabled["cpu"]


def _device_type(device_type, where: str) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"{where}: expected `device_type` of type `str`, got: "
                         f"`{type(device_type)}`")
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"{where}: unsupported autocast device_type {device_type!r}; "
                           f"chainrule's autocast knows {', '.join(map(repr, _DEVICE_TYPES))}")
    return device_type


def _bfloat16_error(where: str) -> RuntimeError:
    return RuntimeError(
        f"{where}: bfloat16 is PyTorch's CPU autocast dtype (its default when no dtype is "
        "given), but NumPy, whose dtypes chainrule's are, has no bfloat16. Pass "
        "dtype=chainrule.float16 (as torch.autocast('cpu', dtype=torch.float16)) and scale the "
        "loss with chainrule.amp.GradScaler('cpu'): float16 keeps 3 more significant bits than "
        "bfloat16 but overflows above 65504, where bfloat16 reaches float32's range")


def _is_bfloat16(dtype) -> bool:
    return str(dtype).rpartition(".")[2] == _BFLOAT16


def _as_dtype(dtype, where: str):
    if _is_bfloat16(dtype):
        raise _bfloat16_error(where)
    from ..backend import numpy_dtype

    return xp.dtype(numpy_dtype(dtype))


# --------------------------------------------------------------------------- PyTorch's queries
def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can run on ``device_type`` (PyTorch's ``torch.amp.is_autocast_available``):
    chainrule's autocast runs on the CPU."""
    return device_type == "cpu"


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (without one: ``'cuda'``, as PyTorch)."""
    return _State.enabled[_device_type("cuda" if device_type is None else device_type,
                                       "is_autocast_enabled")]


def set_autocast_enabled(device_type, enabled=None) -> None:
    """Turn autocast on or off for ``device_type``; ``set_autocast_enabled(bool)`` is CUDA's."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _State.enabled[_device_type(device_type, "set_autocast_enabled")] = bool(enabled)
    _refresh()


def get_autocast_dtype(device_type: str):
    """The dtype autocast casts to on ``device_type``. On the CPU it is bfloat16 until another is
    set, and chainrule cannot represent bfloat16: then this raises (see the module docstring)."""
    dtype = _State.dtype[_device_type(device_type, "get_autocast_dtype")]
    if dtype == _BFLOAT16:
        raise _bfloat16_error(f"get_autocast_dtype({device_type!r})")
    return dtype


def set_autocast_dtype(device_type: str, dtype) -> None:
    _State.dtype[_device_type(device_type, "set_autocast_dtype")] = _as_dtype(
        dtype, "set_autocast_dtype")


def is_autocast_cache_enabled() -> bool:
    return _State.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    _State.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Forget the cached float16 copies of float32 weights (done when the outermost region
    exits)."""
    _State.cache.clear()


def autocast_increment_nesting() -> int:
    _State.nesting += 1
    return _State.nesting


def autocast_decrement_nesting() -> int:
    _State.nesting -= 1
    return _State.nesting


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"chainrule.{old}() is deprecated. Please use chainrule.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return _State.enabled["cpu"]


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


# --------------------------------------------------------------------------- the region
class autocast:  # noqa: N801  (PyTorch's name)
    r"""A region (``with`` block or decorated function) in which the listed operations choose
    their precision: PyTorch's ``torch.autocast(device_type, dtype=None, enabled=True,
    cache_enabled=None)``, also ``chainrule.amp.autocast``.

    Forward:     lower-precision op  y = fl₁₆(f(fl₁₆(x)))   (f in float32, rounded once)
                 float32 op          y = f(float32(x))
    Derivative:  the casts are differentiable: ∂L/∂x = cast back(∂L/∂x₁₆)
    Numerics:    fl₁₆: 11 significant bits (relative error ≤ 2⁻¹¹ ≈ 4.9e−4), largest finite
                 65504; gradients below 2⁻²⁴ flush to 0 — hence loss scaling (GradScaler).

    ``device_type`` is ``'cpu'`` (``'cuda'`` without a GPU is disabled with a warning, as in
    PyTorch). On the CPU, ``dtype`` must be ``chainrule.float16``: PyTorch's default there is
    bfloat16, which NumPy lacks (a clear error says so). A float32 or float64 ``dtype`` disables
    the region with PyTorch's warning.

    >>> with chainrule.autocast("cpu", dtype=chainrule.float16):
    ...     y = model(x)                       # Linear layers compute in float16
    ...     loss = F.cross_entropy(y, labels)  # a loss computes in float32
    """

    text = ("y = fl₁₆( f(fl₁₆(x), fl₁₆(W)) ),  f evaluated in float32",
            "y = f(float32(x))",
            "∂L/∂W = float32( fl₁₆(∂L/∂W₁₆) )",
            "fl₁₆(x) = x (1 + δ),  |δ| ≤ 2⁻¹¹;  |x| ≤ 65504")
    latex = (r"y = \mathrm{fl}_{16}\left(f(\mathrm{fl}_{16}(x), \mathrm{fl}_{16}(W))\right)",
             r"y = f(\mathrm{fp32}(x))",
             r"\frac{\partial L}{\partial W} = \mathrm{fp32}\left(\mathrm{fl}_{16}"
             r"\left(\frac{\partial L}{\partial W_{16}}\right)\right)",
             r"\mathrm{fl}_{16}(x) = x(1+\delta),\ |\delta| \leq 2^{-11},\ |x| \leq 65504")
    labels = ("Lower precision", "Float32", "Gradient", "Rounding")
    explanation = ("Matrix products and convolutions run on float16-rounded inputs and round "
                   "their result to float16; losses and other range-sensitive ops run in "
                   "float32; the casts are differentiable, so the float32 master weights receive "
                   "the float16 gradients widened to float32.")

    @classmethod
    def formula(cls):
        from ..mathematics import Formula

        return Formula.of("autocast", list(zip(cls.labels, cls.text)), list(cls.latex),
                          cls.explanation)

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        self.device = _device_type(device_type, "autocast")
        where = f"autocast(device_type={device_type!r})"
        stored = _State.dtype[self.device] if dtype is None else dtype
        if enabled and self.device == "cuda":
            from .. import cuda

            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", stacklevel=2)
                enabled = False
            else:
                raise NotImplementedError(
                    f"{where}: chainrule implements PyTorch's CPU autocast policy only; run the "
                    "region with device_type='cpu' (tensors on the GPU are left uncast)")
        if _is_bfloat16(stored):
            if enabled:
                raise _bfloat16_error(where)
            self.fast_dtype = _BFLOAT16
        else:
            self.fast_dtype = _as_dtype(stored, where)
            if enabled and self.device == "cpu" and self.fast_dtype != xp.dtype("float16"):
                warnings.warn("In CPU autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCPU Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", stacklevel=2)
                enabled = False
        self._cache_enabled = _State.cache_enabled if cache_enabled is None else cache_enabled
        self._enabled = bool(enabled)

    def __enter__(self):
        self.prev_cache_enabled = _State.cache_enabled
        self.prev = _State.enabled[self.device]
        self.prev_fastdtype = _State.dtype[self.device]
        _State.enabled[self.device] = self._enabled
        _State.dtype[self.device] = self.fast_dtype
        autocast_increment_nesting()
        _State.cache_enabled = bool(self._cache_enabled)
        _refresh()
        return self

    def __exit__(self, *exc) -> bool:
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        _State.enabled[self.device] = self.prev
        _State.dtype[self.device] = self.prev_fastdtype
        _State.cache_enabled = self.prev_cache_enabled
        _refresh()
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. Did you "
                "mean to use autocast as a context manager? For example:\n"
                "    with chainrule.autocast(device_type=...):\n        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


# --------------------------------------------------------------------------- the casting hook
def autocast_op(op: str):
    """Decorator for an operation's front door: under CPU autocast, run it with ATen's policy for
    ``op`` (a name in :data:`POLICIES`; for one in :data:`CONDITIONAL` the policy its function
    chooses from the call's arguments). Outside autocast the cost is one attribute read."""
    policy = POLICIES[op]
    choose = CONDITIONAL.get(op)

    def decorate(fn):
        @functools.wraps(fn)
        def front_door(*args, **kwargs):
            if not _State.live:
                return fn(*args, **kwargs)
            chosen = policy if choose is None else choose(*args, **kwargs)
            if chosen is None:
                return fn(*args, **kwargs)
            return _run(op, chosen, fn, args, kwargs)

        front_door.autocast_policy = (op, policy)
        return front_door

    return decorate


def _run(op: str, policy: str, fn, args, kwargs):
    """Cast the eligible inputs by ``policy``, run ``fn`` with autocast off inside (as ATen
    excludes the Autocast key while the kernel runs), cast a lower-precision result."""
    if policy == "unsupported":
        raise NotImplementedError(
            f"{op} under autocast: PyTorch runs it in a precision chainrule does not reproduce "
            "(a composite of float16 and float32 steps, or a float16 kernel); call it outside "
            "the autocast region (with chainrule.autocast('cpu', enabled=False): ...), on "
            "float32 inputs (x.float())")
    _State.live = False
    try:
        if policy == "own_dtype":
            return fn(*args, **kwargs)
        if policy == "fp32":
            args, kwargs = _cast((args, kwargs), xp.dtype("float32"))
            return fn(*args, **kwargs)
        if policy == "promote":
            args, kwargs = _cast((args, kwargs), _widest((args, kwargs)))
            return fn(*args, **kwargs)
        return _lower_precision(op, fn, args, kwargs, _State.dtype["cpu"])
    finally:
        _refresh()


def _lower_precision(op, fn, args, kwargs, low):
    args, kwargs = _cast((args, kwargs), low, cache=True)
    dtypes = {t._data.dtype for t in _tensors((args, kwargs)) if _floating(t)}
    if low != xp.dtype("float16") or low not in dtypes:    # nothing to run in float16
        return fn(*args, **kwargs)
    others = sorted(str(d) for d in dtypes if d != low)
    if others:
        raise RuntimeError(f"{op} (autocast): the float32 inputs were cast to float16, but others "
                           f"are {', '.join(others)}; expected all operands to have the "
                           "same dtype (cast them, e.g. .float(), before the op)")
    # PyTorch's CPU half kernels accumulate in float32 and round once: the same arithmetic
    args, kwargs = _cast((args, kwargs), xp.dtype("float32"), every=True)
    return _cast(fn(*args, **kwargs), low, every=True)


def _floating(t) -> bool:
    return dtype_kind(t._data.dtype) == "f"


def _eligible(t) -> bool:
    """PyTorch's is_eligible: a floating CPU tensor that is not float64."""
    return _floating(t) and t._data.dtype != xp.float64 and t.device.type == "cpu"


def _tensors(value):
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, collections.abc.Mapping):
        for v in value.values():
            yield from _tensors(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)


def _widest(value):
    """ATen's promote rule: float32 if any eligible input is float32, else the lower dtype."""
    found = {t._data.dtype for t in _tensors(value) if _eligible(t)}
    return xp.dtype("float32") if xp.dtype("float32") in found or not found else found.pop()


def _cast(value, dtype, cache: bool = False, every: bool = False):
    """``value`` with its eligible tensors (inside tuples, lists and dicts) cast to ``dtype``;
    ``every``: every floating tensor (the float32 detour of a float16 op)."""
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        if value._data.dtype == dtype or not (_floating(value) if every else _eligible(value)):
            return value
        return _cached_cast(value, dtype) if cache else _astype(value, dtype)
    if isinstance(value, collections.abc.Mapping):
        return {k: _cast(v, dtype, cache, every) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_cast(v, dtype, cache, every) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    return value


def _astype(t, dtype):
    from .. import ops

    return ops.astype(t, dtype)


def _cached_cast(t, dtype):
    """As ATen's cached_cast: the float16 copy of a float32 leaf that requires grad (a weight) is
    made once per outermost region, so that every use shares one cast (and its gradient sums
    in float16 there, as in PyTorch)."""
    if not (_State.cache_enabled and t.requires_grad and t.is_leaf
            and t._data.dtype == xp.float32):
        return _astype(t, dtype)
    entry = _State.cache.get(id(t))
    if entry is not None and entry[0]() is t and entry[1].dtype == dtype:
        return entry[1]
    out = _astype(t, dtype)
    _State.cache[id(t)] = (weakref.ref(t), out)
    return out


__all__ = ["autocast", "autocast_op", "is_autocast_available", "is_autocast_enabled",
           "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
           "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
           "autocast_increment_nesting", "autocast_decrement_nesting", "is_autocast_cpu_enabled",
           "set_autocast_cpu_enabled", "get_autocast_cpu_dtype", "set_autocast_cpu_dtype",
           "get_autocast_gpu_dtype", "set_autocast_gpu_dtype", "LOWER_PRECISION_FP", "FP32",
           "PROMOTE", "POLICIES"]
