r"""Random numbers as PyTorch's CPU generator draws them (``torch.Generator``, ``torch.random``).

A :class:`Generator` is a 32-bit Mersenne Twister (MT19937) seeded as ``std::mt19937(seed)``
is, plus PyTorch's cached second Box–Muller normal; its draws turn the raw 32- and 64-bit words
into samples by PyTorch's own transformations, so that ``chainrule.manual_seed(s)`` followed by
``rand``, ``randn``, ``randint``, ``randperm``, ``bernoulli``, ``multinomial``, dropout masks,
``Tensor.uniform_`` / ``normal_`` / ``exponential_`` / ``random_`` / ``cauchy_`` /
``log_normal_`` / ``geometric_`` (and so ``nn.init`` and every layer's initial weights) gives
PyTorch's numbers
(``aten/src/ATen/core/DistributionsHelper.h``, ``TransformationHelper.h``,
``native/cpu/DistributionTemplates.h``):

- ``random()`` is one MT19937 word; ``random64()`` two, the first the high half;
- U[0, 1) in double: (random64() mod 2⁵³)·2⁻⁵³; in float: (random() mod 2²⁴)·2⁻²⁴ (half:
  2¹¹); U[a, b): x·(b − a) + a, one fused multiply–add (as PyTorch's compiled kernel rounds),
  in float for float16, then cast; a value cast up to b becomes a;
- N(μ, σ²), a contiguous tensor of n ≥ 16: n uniforms, then Box–Muller on blocks of 16
  (u₁ = 1 − dⱼ, u₂ = dⱼ₊₈: √(−2 ln u₁)·(cos, sin)(2π u₂)), the last 16 redrawn when 16 ∤ n
  (float16: float uniforms for the whole blocks only, float arithmetic, then rounded);
  fewer (or strided): one double-precision Box–Muller pair per two values, the second kept for
  the next draw (r = √(−2 log1p(−u₂)), θ = 2π u₁; r cos θ now, r sin θ cached);
- Bernoulli(p): [u < p], u double for a number p or a double tensor, float for a float tensor;
- Exp(λ): −log1p(−u)/λ, u double; integers in [lo, hi): lo + w mod (hi − lo), w = random64()
  when hi − lo ≥ 2³², else random();
- randperm(n): Fisher–Yates forwards, swapping i with i + random() mod (n − i);
- multinomial: one sample, or without replacement: argmax / top-k of p / q, q ~ Exp(1) (the
  exponential-race form of the Gumbel trick); with replacement: per row the normalised cumulative
  sum (its last entry set to 1) searched for the first entry ≥ u, u double;
- Cauchy(m, σ): m + σ·tan(π(u − ½)); log-normal: exp(μ + σ·z), z the double Box–Muller
  normals (cache included); Geometric(p): ⌈log u / log1p(−p)⌉; u double, the result cast
  (to float16 through float32);
- the rejection samplers (``_standard_gamma``, ``poisson``, ``binomial``, ``_sample_dirichlet``,
  and so the Gamma, Beta, Dirichlet, Chi2, StudentT, Poisson and Binomial distributions): one
  element after another in row-major order, each reading as many double uniforms (and cached
  double normals) as its rejection loop takes (``kernels/samplers.py``);

Numerics: bit for bit PyTorch's. float32 normals of 16 or more contiguous values replay the
AVX2 / AVX-512 kernel that PyTorch runs on x86-64 (its float32 Cephes log, sin and cos, with the
compiler's fused multiply–adds: ``_box_muller_16_float32``); where PyTorch runs its plain C++
kernel instead (an x86 processor without AVX2, ARM), its float32 normals of 16 or more differ
from these in the last bits. Double-precision log, log1p, exp, sin, cos and tan are the C
library's (Python's ``math``, the functions PyTorch's kernels call), not NumPy's SIMD ones, which
can differ in the last bit. Every draw is the same word for word, so a stream never drifts.

The generator also answers NumPy's ``numpy.random.Generator`` methods (``random``,
``standard_normal``, ``integers``, ``permutation``, ``poisson``, …) from the same Mersenne
Twister, for chainrule's own code that draws where PyTorch has no counterpart.
"""
from __future__ import annotations

import contextlib
import math
import os
import struct

from .backend import xp

#: the seed of a new ``torch.Generator()``
DEFAULT_SEED = 67280421310721

_N = 624                                   # MT19937's state words
_STATE_BYTES = 5056                        # sizeof(CPUGeneratorImplState)
_LEGACY_BYTES = 5048                       # sizeof(THGeneratorState), accepted by set_state
_M53 = xp.uint64((1 << 53) - 1)
_DIGITS = {2: 11, 4: 24, 8: 53}           # mantissa digits of float16, float32, float64


def _mt_key(seed32: int):
    """MT19937's initial state for a 32-bit seed (``init_genrand``, as ``std::mt19937``)."""
    key = [seed32]
    for i in range(1, _N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return xp.array(key, dtype=xp.uint32)


def _fma_in(dtype, a, b: float, c: float):
    """a·b + c rounded once in ``dtype``, as PyTorch's compiled kernels (ops/rounding.py)."""
    from .ops.rounding import fused_multiply_add

    return fused_multiply_add(a, float(b), float(c), dtype).astype(dtype, copy=False)


def _libm(function, x):
    """``function`` (one of Python's ``math`` functions, which are the C library's: those
    PyTorch's CPU kernels call through ``std::log`` and the like) on every value of the float64
    array ``x``. NumPy's own float64 log, log1p, exp, sin, cos and tan are SIMD approximations
    that can differ from the C library's in the last bit; one call per value costs about 0.1 µs."""
    return xp.frompyfunc(function, 1, 1)(x).astype(xp.float64)


def _cast(values, dtype):
    """Double-precision samples cast to ``dtype`` as C++ casts them: to float16 through float32
    (c10::Half is made from a float), so they can round twice."""
    if xp.dtype(dtype) == xp.float16:
        values = values.astype(xp.float32)
    return values.astype(dtype)


def _log(v: float) -> float:
    """C's log: −inf at 0 (Python's math.log raises there)."""
    return math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)


def _exp(v: float) -> float:
    """C's exp: inf past the largest double (Python's math.exp raises there)."""
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


# ---------------------------------------------------------------------- float32 Box–Muller
# PyTorch's float32 normal_ of 16 or more contiguous values, on x86-64 with AVX2 or AVX-512 (the
# CPU capability PyTorch picks on current x86 processors), evaluates log, sin and cos with the
# Cephes float32 polynomials of its avx_mathfun.h, eight lanes at a time, and its compiler (GCC)
# fuses each product whose only use is a sum into one FMA instruction. The functions below
# repeat that arithmetic operation for operation in NumPy float32 (an FMA rounded once, as
# ops/rounding.py computes it), which gives PyTorch's values bit for bit.
_F32 = xp.float32
_LOG_POLY = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
             1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
             3.3333331174e-1)
_LN2_LO, _LN2_HI = -2.12194440e-4, 0.693359375       # ln 2 = _LN2_HI + _LN2_LO
_SQRT_HALF = 0.707106781186547524
_SIN_POLY = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
_COS_POLY = (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)
_PI_4_PARTS = (0.78515625, 2.4187564849853515625e-4, 3.77489497744594108e-8)   # Σ = π/4
_FOUR_OVER_PI = 1.27323954473516


def _fma32(a, b, c):
    """a·b + c rounded once to float32 (float32 operands; ops/rounding.py)."""
    from .ops.rounding import fused_multiply_add

    return fused_multiply_add(a, b, c, xp.float32).astype(xp.float32, copy=False)


def _log_float32(x):
    """ln x of positive normal float32 values, rounded as avx_mathfun's ``log256_ps``.

    x = m·2ᵉ with m ∈ [½, 1); when m < √½, m ← 2m and e ← e − 1; with t = m − 1 and z = t²:
    ln x ≈ t + t·z·P(t) + e·ln2_lo − z/2 + e·ln2_hi (P a Cephes polynomial of degree 8)."""
    bits = xp.ascontiguousarray(x, dtype=_F32).view(xp.uint32)
    e = ((bits >> xp.uint32(23)).astype(xp.int32) - 126).astype(_F32)
    m = ((bits & xp.uint32(0x807FFFFF)) | xp.uint32(0x3F000000)).view(_F32)
    small = m < _F32(_SQRT_HALF)
    e = e - small.astype(_F32)
    t = (m - _F32(1)) + xp.where(small, m, _F32(0))
    z = t * t
    y = xp.full_like(t, _F32(_LOG_POLY[0]))
    for coefficient in _LOG_POLY[1:]:
        y = _fma32(y, t, _F32(coefficient))
    y = _fma32(y * t, z, e * _F32(_LN2_LO))
    y = _fma32(-z, _F32(0.5), y)
    return _fma32(e, _F32(_LN2_HI), t + y)


def _sincos_float32(x):
    """(sin x, cos x) of float32 values, rounded as avx_mathfun's ``sincos256_ps``.

    j = the even integer nearest above ⌊|x|·4/π⌋, r = |x| − j·π/4 (π/4 in three parts);
    with z = r²: sin r ≈ r + r·z·S(z), cos r ≈ 1 − z/2 + z²·C(z); the octant j picks which of
    the two is sin x and which cos x, and their signs."""
    x = xp.asarray(x, dtype=_F32)
    negative = xp.signbit(x)
    r = xp.abs(x)
    j = (r * _F32(_FOUR_OVER_PI)).astype(xp.int32)
    j = (j + 1) & ~1
    y = j.astype(_F32)
    for part in _PI_4_PARTS:
        r = _fma32(y, _F32(-part), r)
    sin_negative = negative ^ ((j & 4) != 0)
    cos_negative = ((j - 2) & 4) == 0
    sine_first = (j & 2) == 0
    z = r * r
    c = _fma32(_fma32(_F32(_COS_POLY[0]), z, _F32(_COS_POLY[1])), z, _F32(_COS_POLY[2]))
    c = _fma32(c * z, z, -(z * _F32(0.5))) + _F32(1)
    s = _fma32(_fma32(_F32(_SIN_POLY[0]), z, _F32(_SIN_POLY[1])), z, _F32(_SIN_POLY[2]))
    s = _fma32(s * z, r, r)
    zero = _F32(0)
    sin_part, cos_part = xp.where(sine_first, s, zero), xp.where(sine_first, zero, c)
    sin = cos_part + sin_part
    cos = (c - cos_part) + (s - sin_part)
    return xp.where(sin_negative, -sin, sin), xp.where(cos_negative, -cos, cos)


def _box_muller_16_float32(blocks, dtype, mean, std) -> None:
    """PyTorch's ``normal_fill_16_AVX2`` on float32 blocks (k × 2 × 8) of uniforms, in place:
    u₁ = 1 − dⱼ, u₂ = dⱼ₊₈, r = √(−2 ln u₁), θ = 2π·u₂, dⱼ = fma(r·cos θ, σ, μ),
    dⱼ₊₈ = fma(r·sin θ, σ, μ), every step in float32 (in chunks that stay in the cache)."""
    std, mean = _F32(std), _F32(mean)
    for start in range(0, blocks.shape[0], _CHUNK_BLOCKS):
        chunk = blocks[start:start + _CHUNK_BLOCKS]
        radius = xp.sqrt(_F32(-2) * _log_float32(_F32(1) - chunk[:, 0]))
        sin, cos = _sincos_float32(_F32(2.0 * math.pi) * chunk[:, 1])
        chunk[:, 0] = _fma32(radius * cos, std, mean)
        chunk[:, 1] = _fma32(radius * sin, std, mean)


_CHUNK_BLOCKS = 2048          # 16 384 values a chunk


# ---------------------------------------------------------------------- rejection samplers
def _check_sampler_dtype(dtype, kernel: str) -> None:
    """PyTorch's gamma, Poisson, binomial and Dirichlet CPU kernels take float and double."""
    if xp.dtype(dtype) not in (xp.float32, xp.float64):
        name = {"float16": "Half", "bfloat16": "BFloat16"}.get(xp.dtype(dtype).name,
                                                              xp.dtype(dtype).name)
        raise RuntimeError(f'"{kernel}" not implemented for \'{name}\'')


def _check_finite_nonnegative(values, op: str, what: str) -> None:
    """PyTorch's gamma sampler loops forever on a nan, infinite or negative α; refuse them."""
    if values.size and not ((values >= 0) & (values < xp.inf)).all():
        bad = values[~((values >= 0) & (values < xp.inf))][0]
        raise ValueError(f"{op}: expected every {what} to be finite and >= 0, got {bad}")


def _ilp4_sum(columns: list):
    """PyTorch's ``row_sum``: the terms (arrays) summed as rows of 4, in four running partial
    sums, cascaded in levels of 2^max(4, ⌈log₂ m⌉/4) rows (m = the number of rows of 4) so that
    only sums of similar size meet, the leftover terms added to the first partial sum, then
    the four partial sums added in turn."""
    rows = len(columns) // 4
    power = max(4, (int(rows - 1).bit_length() if rows > 1 else 0) // 4)
    step = 1 << power
    zero = xp.zeros_like(columns[0])
    acc = [[zero] * 4 for _ in range(4)]
    i = 0
    while i + step <= rows:
        for _ in range(step):
            acc[0] = [acc[0][k] + columns[4 * i + k] for k in range(4)]
            i += 1
        for j in range(1, 4):
            acc[j] = [acc[j][k] + acc[j - 1][k] for k in range(4)]
            acc[j - 1] = [zero] * 4
            if i & ((step - 1) << (j * power)):
                break
    while i < rows:
        acc[0] = [acc[0][k] + columns[4 * i + k] for k in range(4)]
        i += 1
    partial = [acc[0][k] + acc[1][k] + acc[2][k] + acc[3][k] for k in range(4)]
    for t in range(4 * rows, len(columns)):
        partial[0] = partial[0] + columns[t]
    return partial[0] + partial[1] + partial[2] + partial[3]


def _torch_row_sum(values):
    """Row sums of a float64 matrix in the order of PyTorch's CPU ``sum(-1)`` (its cascade sum
    over a contiguous last dimension, four doubles a vector): rows of fewer than 4 values
    through :func:`_ilp4_sum` directly; longer ones as vectors of 4 summed by it, then the
    leftover values in turn from 0, then the 4 lanes."""
    k = values.shape[-1]
    if k < 4:
        return _ilp4_sum([values[:, t] for t in range(k)]) + 0.0
    vectors = k // 4
    lanes = _ilp4_sum([values[:, 4 * v:4 * v + 4] for v in range(vectors)])
    total = xp.zeros(values.shape[0])
    for t in range(4 * vectors, k):
        total = total + values[:, t]
    for lane in range(4):
        total = total + lanes[:, lane]
    return total


class _StateView:
    """``Generator.bit_generator``: the generator's whole state as ``.state`` (get and set)."""

    def __init__(self, generator: Generator):
        self._generator = generator

    @property
    def state(self) -> dict:
        g = self._generator
        mt = g._mt.state["state"]
        return {"bit_generator": "MT19937",
                "state": {"key": [int(k) for k in mt["key"]], "pos": int(mt["pos"])},
                "initial_seed": g._initial_seed, "next_double_normal": g._next_double_normal,
                "next_float_normal": g._next_float_normal}

    @state.setter
    def state(self, value: dict) -> None:
        if not isinstance(value, dict) or value.get("bit_generator") != "MT19937":
            kind = value.get("bit_generator") if isinstance(value, dict) else type(value)
            raise ValueError(f"Generator state: expected the state of an MT19937 generator "
                             f"(chainrule's, as bit_generator.state gives it), got {kind!r}")
        g = self._generator
        mt = value["state"]
        g._mt.state = {"bit_generator": "MT19937",
                       "state": {"key": xp.asarray(mt["key"], dtype=xp.uint32),
                                 "pos": int(mt["pos"])}}
        g._initial_seed = int(value.get("initial_seed", g._initial_seed))
        g._next_double_normal = value.get("next_double_normal")
        g._next_float_normal = value.get("next_float_normal")


def memory_order(array):
    """The axes of ``array`` from the outermost in memory to the innermost, when the array is a
    dense permutation of a row-major block that is not itself row-major (a transposed view);
    else None. PyTorch's ``empty_like`` keeps such a layout, and its kernels visit the elements
    in memory order, so a mask or an in-place draw for such a tensor is drawn in that order."""
    strides = getattr(array, "strides", None)
    shape = tuple(getattr(array, "shape", ()))
    if strides is None or len(shape) < 2 or math.prod(shape) == 0:
        return None
    axes = sorted(range(len(shape)), key=lambda d: (shape[d] == 1, -abs(strides[d])))
    step = array.dtype.itemsize
    for d in reversed(axes):
        if shape[d] != 1:
            if strides[d] != step:
                return None
            step *= shape[d]
    in_c_order = [d for d in range(len(shape)) if shape[d] != 1]
    if [d for d in axes if shape[d] != 1] == in_c_order:
        return None
    return tuple(axes)


def drawn_in_memory_order(array, draw):
    """``draw(shape)`` (an array of ``array``'s shape) with its values laid out in ``array``'s
    memory order (:func:`memory_order`)."""
    return drawn_in_order(tuple(array.shape), memory_order(array), draw)


def drawn_in_order(shape, axes, draw):
    """``draw`` of ``shape``, its values laid out along ``axes`` (outermost first; None: row-major
    order)."""
    if axes is None:
        return draw(tuple(shape))
    values = draw(tuple(shape[d] for d in axes))
    return values.transpose([axes.index(d) for d in range(len(axes))])


class Generator:
    """PyTorch's ``torch.Generator``: a seeded stream of random numbers (CPU).

    >>> import chainrule as cr
    >>> g = cr.Generator().manual_seed(42)
    >>> x = cr.randn(3, generator=g)      # the numbers torch.randn(3, generator=g) gives
    """

    def __init__(self, device="cpu"):
        from .device import check

        self.device = check(device, "Generator")
        self._mt = xp.random.MT19937(0)
        self._np = xp.random.Generator(self._mt)
        self.manual_seed(DEFAULT_SEED)

    def _numpy(self):
        """A ``numpy.random.Generator`` on this generator's Mersenne Twister (NumPy's
        transformations; the words it uses are gone from this stream too)."""
        return self._np

    # ------------------------------------------------------------------ seeding and state
    def manual_seed(self, seed) -> Generator:
        """Seed with ``seed`` (an int in [−2⁶³, 2⁶⁴)); returns the generator."""
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"manual_seed: seed must be within the range of uint64 "
                               f"[-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got {seed}")
        seed %= 1 << 64
        self._initial_seed = seed
        self._mt.state = {"bit_generator": "MT19937",
                          "state": {"key": _mt_key(seed & 0xFFFFFFFF), "pos": _N}}
        self._next_double_normal = None
        self._next_float_normal = None
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed."""
        seed = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        """The state as PyTorch lays it out (a uint8 tensor of 5056 bytes:
        ``CPUGeneratorImplState``), so it can be handed to either library's ``set_state``."""
        from .ops.creation import tensor

        state = self._mt.state["state"]
        key, pos = state["key"], int(state["pos"])
        k0 = int(key[0])
        fresh = pos == _N and int(key[1]) == (1812433253 * (k0 ^ (k0 >> 30)) + 1) & 0xFFFFFFFF
        buf = bytearray(_STATE_BYTES)
        struct.pack_into("<QiiQ", buf, 0, self._initial_seed, _N + 1 - pos, 1,
                         0 if fresh else pos)
        buf[24:24 + 8 * _N] = key.astype("<u8").tobytes()
        cached = self._next_double_normal
        struct.pack_into("<dddi", buf, 24 + 8 * _N, 0.0, 0.0 if cached is None else cached, 0.0,
                         cached is not None)
        cached = self._next_float_normal
        struct.pack_into("<f?", buf, _LEGACY_BYTES, 0.0 if cached is None else cached,
                         cached is not None)
        return tensor(list(buf), dtype=xp.uint8)

    def set_state(self, new_state) -> Generator:
        """Restore a state from :meth:`get_state` (or PyTorch's ``get_state()``)."""
        data = getattr(new_state, "_data", new_state)
        raw = bytes(xp.asarray(data, dtype=xp.uint8).reshape(-1))
        if len(raw) not in (_STATE_BYTES, _LEGACY_BYTES):
            raise RuntimeError(f"Expected either a THGeneratorState of size {_LEGACY_BYTES} or a "
                               f"CPUGeneratorImplState of size {_STATE_BYTES} but found the "
                               f"input RNG state size to be {len(raw)}")
        seed, left, _seeded, _next = struct.unpack_from("<QiiQ", raw, 0)
        if not 1 <= left <= _N:
            raise RuntimeError(f"set_state: invalid mt19937 state (left = {left})")
        key = xp.frombuffer(raw, dtype="<u8", count=_N, offset=24).astype(xp.uint32)
        self._mt.state = {"bit_generator": "MT19937",
                          "state": {"key": key, "pos": _N + 1 - left}}
        self._initial_seed = seed
        _x, normal_y, _rho, valid = struct.unpack_from("<dddi", raw, 24 + 8 * _N)
        self._next_double_normal = normal_y if valid else None
        self._next_float_normal = None
        if len(raw) == _STATE_BYTES:
            value, valid = struct.unpack_from("<f?", raw, _LEGACY_BYTES)
            self._next_float_normal = value if valid else None
        return self

    @property
    def bit_generator(self) -> _StateView:
        """NumPy's spelling of the state, ``generator.bit_generator.state``: a dict of plain
        Python values (the Mersenne Twister's key and position, the cached normals, the seed)
        that JSON can hold and ``==`` can compare; assigning one restores the generator."""
        return _StateView(self)

    def clone_state(self) -> Generator:
        twin = Generator(self.device)
        twin.set_state(self.get_state())
        return twin

    def __repr__(self) -> str:
        return f"<chainrule.Generator (device={self.device.type}) at {id(self):#x}>"

    # ------------------------------------------------------------------ raw words
    def _words32(self, n: int):
        """``n`` draws of ``random()`` (uint64 array holding 32-bit words)."""
        return self._mt.random_raw(int(n))

    def _words64(self, n: int):
        """``n`` draws of ``random64()``: two words each, the first the high half."""
        w = self._mt.random_raw(2 * int(n))
        return (w[0::2] << xp.uint64(32)) | w[1::2]

    def _unit(self, n: int, dtype):
        """``n`` draws of ``uniform_real_distribution<dtype>(0, 1)``, in ``dtype``'s
        accumulation type (float64 for float64, else float32)."""
        dtype = xp.dtype(dtype)
        if dtype == xp.float64:
            return (self._words64(n) & _M53).astype(xp.float64) * 2.0 ** -53
        digits = _DIGITS.get(dtype.itemsize, 24)
        mask = xp.uint64((1 << digits) - 1)
        return (self._words32(n) & mask).astype(xp.float32) * xp.float32(2.0 ** -digits)

    # ------------------------------------------------------------------ PyTorch's draws
    def uniform_(self, shape, dtype, low: float = 0.0, high: float = 1.0):
        """``Tensor.uniform_(low, high)``: an array of ``shape`` and ``dtype``, computed in the
        dtype's opmath type (float64 for float64, else float32: float16 too), then cast; a value
        the cast rounds up to ``high`` becomes ``low``, so that it lies in [low, high)."""
        dtype = xp.dtype(dtype)
        acc = xp.float64 if dtype == xp.float64 else xp.float32
        x = self._unit(math.prod(shape), acc)
        lo, hi = acc(low), acc(high)
        if lo == 0 and hi == 1:
            out = x
        else:
            out = _fma_in(acc, x, float(acc(hi - lo)), float(lo))
        out = out.astype(dtype, copy=False)
        top = dtype.type(hi)
        if (out == top).any():
            out = xp.where(out == top, dtype.type(lo), out)
        return out.reshape(shape)

    def normal_(self, shape, dtype, mean: float = 0.0, std: float = 1.0,
                contiguous: bool = True):
        """``Tensor.normal_(mean, std)``: the 16-block Box–Muller fill for a contiguous tensor
        of 16 or more values, else the double-precision Box–Muller pairs with a cache."""
        dtype = xp.dtype(dtype)
        n = math.prod(shape)
        if n >= 16 and contiguous:
            full = n // 16 * 16
            if dtype == xp.float64:
                d, fill = self._unit(n, dtype), self._box_muller_16
            elif dtype == xp.float32:
                d, fill = self._unit(n, dtype), _box_muller_16_float32
            else:       # float16: float32 uniforms for the whole blocks only, float32 arithmetic
                d, fill = xp.empty(n, dtype=xp.float32), _box_muller_16_float32
                d[:full] = self._unit(full, xp.float32)
            blocks = d[:full].reshape(-1, 2, 8)
            fill(blocks, dtype, mean, std)
            d[:full] = blocks.reshape(-1)
            if n % 16:
                tail = self._unit(16, d.dtype).reshape(1, 2, 8)
                fill(tail, dtype, mean, std)
                d[n - 16:] = tail.reshape(-1)
            return d.astype(dtype).reshape(shape)
        out = self._standard_normals(n)
        return _cast(_fma_in(xp.float64, out, float(std), float(mean)), dtype).reshape(shape)

    @staticmethod
    def _box_muller_16(blocks, dtype, mean, std) -> None:
        """``normal_fill_16`` on float64 blocks (k × 2 × 8) of uniforms, in place, with the C
        library's log, cos and sin, as PyTorch's kernel calls them."""
        radius = xp.sqrt(-2.0 * _libm(_log, 1.0 - blocks[:, 0]))
        theta = 2.0 * math.pi * blocks[:, 1]
        std, mean = float(std), float(mean)
        blocks[:, 0] = _fma_in(xp.float64, radius * _libm(math.cos, theta), std, mean)
        blocks[:, 1] = _fma_in(xp.float64, radius * _libm(math.sin, theta), std, mean)

    def _normal_double(self) -> float:
        """One draw of ``normal_distribution<double>`` (0, 1), using and refilling the cache."""
        return float(self._standard_normals(1)[0])

    def _standard_normals(self, n: int):
        """``n`` draws of ``normal_distribution<double>`` (0, 1) in turn (float64 array): the
        cached value first if there is one, then Box–Muller pairs from two uniforms u₁, u₂
        (r = √(−2 log1p(−u₂)), θ = 2π u₁): r cos θ, then r sin θ, which is cached when the
        count is odd."""
        n = int(n)
        out = xp.empty(n, dtype=xp.float64)
        start = 0
        if n and self._next_double_normal is not None:
            out[0], self._next_double_normal = self._next_double_normal, None
            start = 1
        left = n - start
        pairs = (left + 1) // 2
        if pairs:
            u = self._unit(2 * pairs, xp.float64).reshape(pairs, 2)
            radius = xp.sqrt(-2.0 * _libm(math.log1p, -u[:, 1]))
            theta = 2.0 * math.pi * u[:, 0]
            values = xp.stack([radius * _libm(math.cos, theta),
                               radius * _libm(math.sin, theta)], axis=1).reshape(-1)
            out[start:] = values[:left]
            if left % 2:
                self._next_double_normal = float(values[-1])
        return out

    def bernoulli_(self, shape, p: float):
        """``Tensor.bernoulli_(p)`` for a number p: [u < p], u ~ U[0, 1) in double (bool)."""
        return (self._unit(math.prod(shape), xp.float64) < float(p)).reshape(shape)

    def bernoulli(self, probs):
        """``torch.bernoulli(probs)``: [u < p] element-wise, u in double for float64 probs,
        else in float (bool array of probs' shape)."""
        probs = xp.asarray(probs)
        kind = xp.float64 if probs.dtype == xp.float64 else xp.float32
        u = self._unit(probs.size, kind).reshape(probs.shape)
        return u < probs.astype(kind, copy=False)

    def exponential_(self, shape, dtype, lambd: float = 1.0):
        """``Tensor.exponential_(lambd)``: (−1/λ)·log1p(−u), u ~ U[0, 1) in double."""
        u = self._unit(math.prod(shape), xp.float64)
        return _cast((-1.0 / lambd) * _libm(math.log1p, -u), dtype).reshape(shape)

    def cauchy_(self, shape, dtype, median: float = 0.0, sigma: float = 1.0):
        """``Tensor.cauchy_(median, sigma)``: median + σ·tan(π(u − ½)), u ~ U[0, 1), in double
        (the product and the sum rounded once, an FMA), then cast."""
        u = self._unit(math.prod(shape), xp.float64)
        tangent = _libm(math.tan, math.pi * (u - 0.5))
        return _cast(_fma_in(xp.float64, tangent, float(sigma), float(median)), dtype) \
            .reshape(shape)

    def log_normal_(self, shape, dtype, mean: float = 1.0, std: float = 2.0):
        """``Tensor.log_normal_(mean, std)``: exp(μ + σ·z), z one ``normal_distribution<double>``
        draw per value (the cached Box–Muller pairs, not the 16-block fill), then cast."""
        z = self._standard_normals(math.prod(shape))
        return _cast(_libm(_exp, _fma_in(xp.float64, z, float(std), float(mean))), dtype) \
            .reshape(shape)

    def geometric_(self, shape, dtype, p: float):
        """``Tensor.geometric_(p)``: ⌈log u / log1p(−p)⌉, u ~ U[0, 1) in double: the number
        of Bernoulli(p) trials up to the first success (1, 2, …), then cast."""
        u = self._unit(math.prod(shape), xp.float64)
        with xp.errstate(divide="ignore"):
            trials = xp.ceil(_libm(_log, u) / math.log1p(-float(p)))
        return trials.astype(dtype).reshape(shape)

    def random_(self, shape, dtype, low: int | None = None, high: int | None = None):
        """``Tensor.random_(low, high)``: lo + w mod (hi − lo); with no bounds, PyTorch's
        ``random_()``: w mod (max + 1) of the dtype (2^mantissa + 1 for a float dtype)."""
        dtype = xp.dtype(dtype)
        n = math.prod(shape)
        if low is None:
            if dtype == xp.bool_:
                return (self._words32(n) & xp.uint64(1)).astype(dtype).reshape(shape)
            if dtype.kind == "f":
                span = (1 << _DIGITS[dtype.itemsize]) + 1
            else:
                span = int(xp.iinfo(dtype).max) + 1
            wide = dtype in (xp.int64, xp.float64)
            words = self._words64(n) if wide else self._words32(n)
            return (words % xp.uint64(span)).astype(dtype).reshape(shape)
        span = int(high) - int(low)
        if span <= 0:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={high}")
        wide = dtype in (xp.int64, xp.float64, xp.float32) and span >= 1 << 32
        words = self._words64(n) if wide else self._words32(n)
        values = (words % xp.uint64(span)).astype(xp.int64) + int(low)
        return values.astype(dtype).reshape(shape)

    def randperm(self, n: int):
        """``torch.randperm(n)``: Fisher–Yates forwards (int64 array)."""
        n = int(n)
        perm = list(range(n))
        if n > 1:
            z = (self._words32(n - 1) % xp.arange(n, 1, -1, dtype=xp.uint64)).tolist()
            for i, k in enumerate(z):
                j = i + k
                perm[i], perm[j] = perm[j], perm[i]
        return xp.array(perm, dtype=xp.int64)

    def multinomial(self, rows, num_samples: int, replacement: bool):
        """``torch.multinomial`` on a 2-d array of non-negative weights (checked by the caller):
        int64 indices (rows × num_samples)."""
        rows = xp.asarray(rows)
        if not replacement or num_samples == 1:
            q = self.exponential_(rows.shape, rows.dtype)
            keys = rows / q
            if num_samples == 1:
                return xp.argmax(keys, axis=-1).reshape(-1, 1).astype(xp.int64)
            order = xp.argsort(-keys, axis=-1, kind="stable")
            return order[:, :num_samples].astype(xp.int64)
        cdf = xp.cumsum(rows, axis=-1, dtype=rows.dtype)
        cdf = cdf / cdf[:, -1:]
        cdf[:, -1] = 1
        u = self._unit(rows.shape[0] * num_samples, xp.float64).reshape(-1, num_samples)
        out = xp.empty(u.shape, dtype=xp.int64)
        for i in range(rows.shape[0]):
            out[i] = xp.searchsorted(cdf[i].astype(xp.float64), u[i], side="left")
        return out

    # ------------------------------------------------------------------ rejection samplers
    def _replay(self, name: str, args: tuple, n: int, expected, normals: bool = False):
        """Run the sequential sampler ``name`` (kernels/samplers.py) over n elements: uniforms
        drawn in rounds of about the expected count (``expected``: uniforms per element), the
        generator rewound afterwards over those the sampler did not read, so the stream moves
        on by exactly what PyTorch's serial kernel reads (and the normal cache with it)."""
        from .kernels.samplers import kernel

        run = kernel(name)
        out = xp.zeros(n, dtype=xp.float64)
        need = xp.cumsum(xp.asarray(expected, dtype=xp.float64)[::-1])[::-1]  # still to read
        cache = self._next_double_normal
        cached = cache is not None
        i, extra = 0, 64
        while i < n:
            size = int(need[i] * 1.05) + extra
            before = self._mt.state
            buf = self._unit(size, xp.float64)
            if normals:
                j, used, cache, cached = run(*args, out, i, buf, float(cache or 0.0), cached)
            else:
                j, used = run(*args, out, i, buf)
            extra = extra * 2 if j == i else 64       # an element that wants many uniforms
            if used < size:                           # give back the uniforms left unread
                self._mt.state = before
                self._mt.random_raw(2 * int(used))
            i = j
        if normals:
            self._next_double_normal = float(cache) if cached else None
        return out

    def sample_gamma(self, alpha, dtype=None):
        """``torch._standard_gamma``: Gamma(α, 1) per element of ``alpha`` (float32 or float64:
        PyTorch's ``sample_gamma`` with float or double parameters), in row-major order:
        Marsaglia–Tsang with α < 1 boosted (scale (1 − u)^{1/α}, α + 1), normals from the cached
        Box–Muller pairs, u in double; the result at least the dtype's smallest normal."""
        alpha = xp.asarray(alpha)
        dtype = xp.dtype(alpha.dtype if dtype is None else dtype)
        _check_sampler_dtype(dtype, "gamma_cpu")
        flat = xp.ascontiguousarray(alpha, dtype=xp.float64).reshape(-1)
        _check_finite_nonnegative(flat, "_standard_gamma", "concentration")
        expected = xp.where(flat < 1, 3.1, 2.1)
        out = self._replay("gamma_run", (flat, dtype == xp.float32), flat.size, expected, True)
        out = out.astype(dtype)
        return xp.maximum(out, xp.finfo(dtype).tiny).reshape(alpha.shape)

    def sample_dirichlet(self, alpha, gammas: bool = False):
        """``torch._sample_dirichlet``: gammas in double (at least the smallest normal double),
        each row divided by its sum (summed in PyTorch's order), cast, and clamped to
        [smallest normal, largest value below 1] (with ``gammas``: and the gammas)."""
        alpha = xp.asarray(alpha)
        dtype = xp.dtype(alpha.dtype)
        _check_sampler_dtype(dtype, "dirichlet")
        flat = xp.ascontiguousarray(alpha, dtype=xp.float64).reshape(-1)
        _check_finite_nonnegative(flat, "_sample_dirichlet", "concentration")
        expected = xp.where(flat < 1, 3.1, 2.1)
        gamma = self._replay("gamma_run", (flat, False), flat.size, expected, True)
        gamma = xp.maximum(gamma, xp.finfo(xp.float64).tiny).reshape(alpha.shape)
        total = _torch_row_sum(gamma.reshape(-1, alpha.shape[-1])).reshape(alpha.shape[:-1])
        with xp.errstate(invalid="ignore", divide="ignore"):
            ratio = (gamma / total[..., None]).astype(dtype)
        tiny, below_one = xp.finfo(dtype).tiny, xp.nextafter(dtype.type(1), dtype.type(0))
        out = xp.where(xp.isnan(ratio), tiny, xp.clip(ratio, tiny, below_one))
        return (out, gamma) if gammas else out

    def sample_poisson(self, rate):
        """``torch.poisson``: Poisson(λ) per element (in λ's dtype, row-major order), λ in
        double: for λ ≥ 10 Hörmann's transformed rejection (two uniforms a try), below the
        product of uniforms until it falls to e^{−λ}; λ = 0 draws nothing."""
        rate = xp.asarray(rate)
        dtype = xp.dtype(rate.dtype)
        _check_sampler_dtype(dtype, "poisson_cpu")
        flat = xp.ascontiguousarray(rate, dtype=xp.float64).reshape(-1)
        if flat.size and not (flat >= 0).all():
            raise RuntimeError("poisson(): invalid Poisson rate, expected rate to be "
                               "non-negative (got nan or a negative value)")
        if flat.size and not xp.isfinite(flat).all():
            raise RuntimeError("poisson(): the rate must be finite (got inf)")
        expected = xp.where(flat < 10, flat + 1.0, 2.5)
        out = self._replay("poisson_run", (flat,), flat.size, expected)
        return out.astype(dtype).reshape(rate.shape)

    def sample_binomial(self, count, prob):
        """``torch.binomial``: Binomial(n, p) per element (n's dtype, row-major order): for
        min(p, 1 − p)·n ≥ 10 BTRS (Hörmann's transformed rejection), else the inversion by
        geometric waiting times; p > ½ by symmetry, n − Binomial(n, 1 − p)."""
        count, prob = xp.asarray(count), xp.asarray(prob)
        dtype = xp.dtype(count.dtype)
        _check_sampler_dtype(dtype, "binomial_cpu")
        if prob.shape != count.shape:
            prob = xp.broadcast_to(prob, count.shape)
        n = xp.ascontiguousarray(count, dtype=xp.float64).reshape(-1)
        p = xp.ascontiguousarray(prob.astype(dtype), dtype=xp.float64).reshape(-1)
        if n.size and not xp.isfinite(n).all():
            raise RuntimeError("binomial(): the counts must be finite (got nan or inf)")
        q = xp.minimum(p, 1 - p)
        expected = xp.where(n * q >= 10, 2.8, xp.clip(n * q, 0, None) + 1.0)
        out = self._replay("binomial_run", (n, p, dtype == xp.float32), n.size, expected)
        return out.astype(dtype).reshape(count.shape)

    # ------------------------------------------------------------------ NumPy's methods
    def __getattr__(self, name: str):
        """NumPy ``Generator`` methods (``random``, ``standard_normal``, ``integers``, …) on the
        same Mersenne Twister: NumPy's transformations, for draws PyTorch has no counterpart
        of."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._np, name)


# ---------------------------------------------------------------------- torch.random
#: the generator that draws when no ``generator=`` is given (``torch.default_generator``),
#: seeded from the operating system's entropy until ``manual_seed``, as PyTorch's is
default_generator = Generator()
default_generator.seed()


def manual_seed(seed) -> Generator:
    """Seed the default generator (``torch.manual_seed``); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (``torch.get_rng_state``: a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda"):
    """Run a block and restore the default generator's state afterwards
    (``torch.random.fork_rng``)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def resolve(generator=None) -> Generator:
    """``generator`` if given, else the default generator (the ``generator=`` keyword)."""
    if generator is None:       # through the backend, whose hook chainrule.compile watches
        from . import backend

        return backend.generator()
    if not isinstance(generator, Generator):
        raise TypeError(f"generator: expected a chainrule.Generator, got "
                        f"{type(generator).__name__}")
    return generator


def numpy_generator(generator=None):
    """The ``numpy.random.Generator`` to draw from for ``generator=`` (None: the default
    generator's; a chainrule.Generator: its own; a NumPy Generator: itself), for draws that use
    NumPy's transformations."""
    if isinstance(generator, xp.random.Generator):
        return generator
    return resolve(generator)._numpy()


__all__ = ["Generator", "DEFAULT_SEED", "default_generator", "manual_seed", "seed",
           "initial_seed", "get_rng_state", "set_rng_state", "fork_rng"]
