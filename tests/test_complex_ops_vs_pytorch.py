"""Every chainrule operation on complex tensors, against PyTorch 2.13: the same values and
dtypes where PyTorch computes, an error where PyTorch raises — never a silently different answer.

Two sweeps:

- **The conformance programs on complex inputs.** Every case of every tests/conformance/table_*.py
  entry that names a top-level function, a Tensor method, an ``nn.functional``, ``linalg`` or
  ``special`` function is re-run with its floating inputs made complex: all of them complex128
  (``[c128]``), all complex64 (``[c64]``), and, for programs of several floating inputs, only the
  first or only the last complex (``[first]``, ``[last]``: mixed real/complex pairs). A program
  PyTorch itself refuses in real arithmetic is skipped (``raises=True`` cases); so is a mixed
  pair that PyTorch refuses only because the dtypes differ when chainrule also accepts
  float32/float64 mixtures there (chainrule promotes mixed dtypes in ``matmul``-like products:
  a documented convenience, not a complex matter).
- **A hand-written list** of calls (the operations whose real-only implementations used to
  answer complex inputs silently) on complex64 and complex128 tensors of a few shapes.

Each call must agree: both raise (exception classes of the same family — RuntimeError,
NotImplementedError, TypeError and their subclasses — and never NumPy's own ufunc exceptions
leaking out of chainrule), or both return the same structure, dtypes and values (complex128 and
float64 at a relative 1e-12 — looser only for LAPACK results, 1e-10 — complex64 and float32 at
float32 precision). ``KNOWN`` lists the entries where chainrule still differs, each with the
reason (a strict list: an entry that agrees again fails until it is removed).
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import chainrule as cr

HERE = Path(__file__).resolve().parent
if str(HERE / "conformance") not in sys.path:
    sys.path.insert(0, str(HERE / "conformance"))

import harness  # noqa: E402
from harness import Spec, _to_lib  # noqa: E402
from test_conformance import ENTRIES  # noqa: E402

PREFIXES = ("Tensor.", "nn.functional.", "linalg.", "special.")
FAMILY = (RuntimeError, NotImplementedError, TypeError)

#: linear algebra of complex matrices still refused where PyTorch computes: the LU, LDL and
#: Householder families (geqrf/orgqr/ormqr/householder_product) have real-only kernels
_LINALG = (
    "Tensor.geqrf", "Tensor.lu", "Tensor.lu_solve", "Tensor.orgqr", "Tensor.ormqr", "geqrf",
    "linalg.householder_product", "linalg.ldl_factor", "linalg.ldl_factor_ex",
    "linalg.ldl_solve", "linalg.lu", "linalg.lu_factor", "linalg.lu_factor_ex",
    "linalg.lu_solve", "lu", "lu_solve", "lu_unpack", "orgqr", "ormqr",
)
#: real-only operations not yet refused on complex input (pooling, normalization, losses, distances,
#: incomplete gamma, zeta, …): chainrule computes where PyTorch raises
_UNREFUSED = (
    "Tensor.absolute_", "Tensor.bernoulli_", "Tensor.igamma", "Tensor.igamma_", "Tensor.igammac",
    "Tensor.igammac_", "Tensor.index_reduce_", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "autocast", "avg_pool1d", "batch_norm", "cdist", "cosine_similarity", "dropout_",
    "feature_dropout", "feature_dropout_", "group_norm", "igamma", "igammac", "index_fill",
    "index_reduce", "instance_norm", "layer_norm", "manual_seed", "masked_fill", "max_pool1d",
    "max_pool1d_with_indices", "max_pool2d", "max_pool3d", "nn.functional.adaptive_avg_pool1d",
    "nn.functional.adaptive_avg_pool2d", "nn.functional.adaptive_avg_pool3d",
    "nn.functional.adaptive_max_pool1d", "nn.functional.adaptive_max_pool1d_with_indices",
    "nn.functional.adaptive_max_pool2d", "nn.functional.adaptive_max_pool2d_with_indices",
    "nn.functional.adaptive_max_pool3d", "nn.functional.adaptive_max_pool3d_with_indices",
    "nn.functional.avg_pool1d", "nn.functional.avg_pool2d", "nn.functional.avg_pool3d",
    "nn.functional.batch_norm", "nn.functional.binary_cross_entropy",
    "nn.functional.cosine_similarity", "nn.functional.cross_entropy",
    "nn.functional.embedding_bag", "nn.functional.fractional_max_pool2d",
    "nn.functional.fractional_max_pool2d_with_indices", "nn.functional.fractional_max_pool3d",
    "nn.functional.fractional_max_pool3d_with_indices", "nn.functional.glu",
    "nn.functional.group_norm", "nn.functional.huber_loss", "nn.functional.instance_norm",
    "nn.functional.interpolate", "nn.functional.layer_norm", "nn.functional.local_response_norm",
    "nn.functional.lp_pool1d", "nn.functional.lp_pool2d", "nn.functional.lp_pool3d",
    "nn.functional.max_pool1d", "nn.functional.max_pool2d", "nn.functional.max_pool3d",
    "nn.functional.max_pool3d_with_indices", "nn.functional.max_unpool1d",
    "nn.functional.max_unpool2d", "nn.functional.max_unpool3d", "nn.functional.mse_loss",
    "nn.functional.multi_margin_loss", "nn.functional.multilabel_margin_loss",
    "nn.functional.nll_loss", "nn.functional.pdist", "nn.functional.scaled_dot_product_attention",
    "nn.functional.smooth_l1_loss", "nn.functional.upsample", "nn.functional.upsample_nearest",
    "pdist", "poisson_nll_loss", "special.entr", "special.gammainc", "special.gammaincc",
    "special.xlog1py", "special.zeta",
)
_OTHER = {
    "Tensor.index_reduce": "amax/amin/prod reductions of complex values: not refused yet",
    "index_reduce": "amax/amin/prod reductions of complex values: not refused yet",
    "scatter_reduce": "amax/amin reductions of complex values: not refused yet; NumPy's "
                      "ValueError where PyTorch raises NotImplementedError",
    "Tensor.scatter_reduce_": "amax/amin of complex values: NumPy's ValueError, not "
                              "PyTorch's NotImplementedError",
    "binomial": "complex counts: ValueError, PyTorch NotImplementedError",
    "einsum": "a real and a complex operand: chainrule refuses, PyTorch promotes",
    "binary_cross_entropy_with_logits": "mixed real/complex arguments (the loss helpers' files)",
    "nn.functional.binary_cross_entropy_with_logits": "mixed real/complex arguments (the loss "
                                                      "helpers' files)",
    "nn.functional.grid_sample": "a complex input: chainrule refuses, PyTorch interpolates",
    "rms_norm": "a complex weight with a real input: complex result, PyTorch's float64",
    "nn.functional.rms_norm": "a complex weight with a real input: complex result, PyTorch's "
                              "float64",
    "vmap": "batched programs over real-only operations (the vmap helpers' files)",
    "linalg.solve_triangular": "a complex A with a real B: chainrule raises (A and B must have "
                               "one dtype), PyTorch solves in A's dtype",
}

#: entries where chainrule still differs from PyTorch on complex inputs: name -> reason
KNOWN: dict[str, str] = {
    **{name: "complex LU/LDL/Householder not implemented (chainrule raises)" for name in _LINALG},
    **{name: "real-only operation not refused on complex input yet" for name in _UNREFUSED},
    **_OTHER,
}


# ------------------------------------------------------------------------------ the comparison
def _outcome(fn, L, arrays):
    args = [_to_lib(L, a, False) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return True, fn(L, *args)
        except Exception as exc:  # noqa: BLE001  (compared with the other library's outcome)
            return False, exc


def _compare(actual, expected, where: str, linalg: bool) -> None:
    """harness.compare at this file's tolerances (float64/complex128: 1e-12, LAPACK 1e-10)."""
    saved = harness.RTOL64, harness.ATOL64
    harness.RTOL64, harness.ATOL64 = (1e-10, 1e-12) if linalg else (1e-12, 1e-14)
    try:
        harness.compare(actual, _resolved(expected), where)
    finally:
        harness.RTOL64, harness.ATOL64 = saved


def _resolved(value):
    """PyTorch's result with lazy conjugation resolved (``conj`` sets a bit; chainrule copies)."""
    if isinstance(value, torch.Tensor):
        return value.resolve_conj().resolve_neg()
    if isinstance(value, tuple) and (hasattr(value, "_fields")
                                     or type(value).__module__ == "torch.return_types"):
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(_resolved(v) for v in value)
    return value


def disagreement(fn, arrays, where: str, linalg: bool = False) -> str | None:
    """None when chainrule does what PyTorch does with ``fn`` on ``arrays``; else the reason."""
    ok_t, res_t = _outcome(fn, torch, arrays)
    ok_c, res_c = _outcome(fn, cr, arrays)
    if not ok_t and not ok_c:
        if type(res_c).__module__.startswith("numpy"):
            return f"{where}: NumPy's {type(res_c).__name__} leaks out ({res_c}); PyTorch " \
                   f"raises {type(res_t).__name__}: {res_t}"
        if isinstance(res_t, FAMILY) and isinstance(res_c, FAMILY) or \
                isinstance(res_c, type(res_t)):
            return None
        return f"{where}: raises {type(res_c).__name__} ({res_c}); PyTorch " \
               f"{type(res_t).__name__} ({res_t})"
    if not ok_t:
        return f"{where}: returns a value; PyTorch raises {type(res_t).__name__}: {res_t}"
    if not ok_c:
        return f"{where}: raises {type(res_c).__name__} ({res_c}); PyTorch returns a value"
    try:
        _compare(res_c, res_t, where, linalg)
    except AssertionError as exc:
        text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
        return (text if text.startswith(where) else f"{where}: {text}")[:400]
    except Exception as exc:  # noqa: BLE001  (a result the harness cannot read is a difference)
        return f"{where}: results cannot be compared: {exc!r}"
    return None


# ------------------------------------------------------------------------------ sweep 1: tables
def _wanted(name: str) -> bool:
    return name.startswith(PREFIXES) or "." not in name


def _floating(spec) -> bool:
    return isinstance(spec, Spec) and spec.kind in ("float", "positive")


def _complex(spec: Spec, rng, dtype: str) -> np.ndarray:
    real = spec.draw(rng, _minimal)
    imag = rng.uniform(spec.low, spec.high, real.shape)
    return np.asarray(real + 1j * imag).astype(dtype)


_SHAPES: dict[int, tuple] = {}


def _minimal(strategy) -> tuple:
    """A drawn shape, fixed: Hypothesis' simplest example with at least two elements (or its
    simplest at all), found once per strategy (deterministic)."""
    key = id(strategy)
    if key not in _SHAPES:
        from hypothesis import find, settings
        from hypothesis.errors import NoSuchExample

        quick = settings(database=None, max_examples=200, derandomize=True)
        try:
            _SHAPES[key] = find(strategy, lambda s: len(s) >= 1 and int(np.prod(s)) >= 2,
                                settings=quick)
        except NoSuchExample:
            _SHAPES[key] = find(strategy, lambda s: True, settings=quick)
    return _SHAPES[key]


def _variants(c) -> list[tuple[str, set, str]]:
    floating = [k for k, s in enumerate(c.inputs) if _floating(s)]
    if not floating:
        return []
    out = [("c128", set(floating), "complex128"), ("c64", set(floating), "complex64")]
    if len(floating) > 1:
        out += [("first", {floating[0]}, "complex128"), ("last", {floating[-1]}, "complex128")]
    return out


def _arrays(c, which: set, dtype: str, rng, real_dtype: str | None = None) -> list:
    out = []
    for k, spec in enumerate(c.inputs):
        if not isinstance(spec, Spec):
            out.append(spec)
        elif k in which:
            out.append(_complex(spec, rng, dtype))
        else:
            a = spec.draw(rng, _minimal)
            if dtype == "complex64" and _floating(spec):
                a = a.astype("float32")
            if real_dtype is not None and _floating(spec):
                a = a.astype(real_dtype)
            out.append(a)
    return out


def _dtype_strictness(c, which: set) -> bool:
    """Whether PyTorch refuses this program for float32/float64 mixtures as well and chainrule
    accepts them (chainrule's documented promotion of mixed dtypes, not a complex matter)."""
    rng = np.random.default_rng(0)
    arrays = _arrays(c, set(), "complex128", rng)
    mixed = [a.astype("float32") if k in which and isinstance(a, np.ndarray) else a
             for k, a in enumerate(arrays)]
    ok_t, _ = _outcome(c.fn, torch, mixed)
    ok_c, _ = _outcome(c.fn, cr, mixed)
    return not ok_t and ok_c


def _table_cases() -> dict[str, list]:
    by_name: dict[str, list] = {}
    for _, entry in ENTRIES:
        if not _wanted(entry.name):
            continue
        for i, c in enumerate(entry.cases):
            if c.raises or c.compare != "values":
                continue
            for tag, which, dtype in _variants(c):
                label = f"{entry.name}#{i}{'-' + c.label if c.label else ''}[{tag}]"
                by_name.setdefault(entry.name, []).append((label, c, which, dtype))
    return by_name


TABLE_CASES = _table_cases()
LINALG = ("linalg.", "det", "inverse", "slogdet", "logdet", "svd", "qr", "pinverse", "lu",
          "cholesky", "matrix_exp", "triangular_solve", "Tensor.det", "Tensor.inverse", "geqrf",
          "orgqr", "ormqr", "nuclear_norm", "matrix_power", "eig")


def table_disagreements(name: str) -> list[str]:
    linalg = name.removeprefix("Tensor.").startswith(LINALG) or name.startswith(LINALG)
    out = []
    for label, c, which, dtype in TABLE_CASES[name]:
        rng = np.random.default_rng(0)
        try:
            arrays = _arrays(c, which, dtype, rng)
        except Exception:  # noqa: BLE001  (a spec that cannot be drawn as complex: none today)
            continue
        reason = disagreement(c.fn, arrays, label, linalg)
        if reason is None:
            continue
        if "raises" in reason and "PyTorch raises" in reason and len(which) == 1 \
                and _dtype_strictness(c, which):
            continue
        out.append(reason)
    return out


@pytest.mark.parametrize("name", sorted(TABLE_CASES))
def test_conformance_programs_on_complex(name):
    found = table_disagreements(name)
    if name in KNOWN:
        assert found, f"{name} agrees with PyTorch on complex inputs now: remove it from KNOWN " \
                      f"({KNOWN[name]})"
        return
    assert not found, f"{name} on complex inputs differs from PyTorch:\n  " + "\n  ".join(found)


# ------------------------------------------------------------------------------ sweep 2: by hand
def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-2, 2, shape) + 1j * rng.uniform(-2, 2, shape)).astype(dtype)


#: (name, program, shapes it runs on): the probe's calls, each on complex64 and complex128
CALLS = [
    ("maximum", lambda L, a: L.maximum(a, a)), ("minimum", lambda L, a: L.minimum(a, a)),
    ("fmax", lambda L, a: L.fmax(a, a)), ("fmin", lambda L, a: L.fmin(a, a)),
    ("amax", lambda L, a: L.amax(a)), ("amin", lambda L, a: L.amin(a)),
    ("max", lambda L, a: L.max(a)), ("min", lambda L, a: L.min(a)),
    ("max dim", lambda L, a: L.max(a, 0)), ("min dim", lambda L, a: a.min(0)),
    ("argmax", lambda L, a: L.argmax(a)), ("argmin", lambda L, a: a.argmin(0)),
    ("sort", lambda L, a: L.sort(a)), ("argsort", lambda L, a: L.argsort(a)),
    ("msort", lambda L, a: L.msort(a)), ("topk", lambda L, a: L.topk(a, 1)),
    ("kthvalue", lambda L, a: L.kthvalue(a, 1)), ("median", lambda L, a: L.median(a)),
    ("nanmedian", lambda L, a: L.nanmedian(a)), ("mode", lambda L, a: L.mode(a)),
    ("cummax", lambda L, a: L.cummax(a, 0)), ("cummin", lambda L, a: L.cummin(a, 0)),
    ("clamp", lambda L, a: L.clamp(a, 0, 1)), ("clamp_min", lambda L, a: L.clamp(a, min=0)),
    ("clamp method", lambda L, a: a.clamp(max=1)), ("clip", lambda L, a: L.clip(a, -1, 1)),
    ("<", lambda L, a: a < a), (">=", lambda L, a: a >= 0), ("gt", lambda L, a: L.gt(a, 1)),
    ("==", lambda L, a: a == a), ("ne", lambda L, a: L.ne(a, 1j)),
    ("relu", lambda L, a: L.relu(a)), ("relu method", lambda L, a: a.relu()),
    ("F.relu", lambda L, a: L.nn.functional.relu(a)),
    ("F.leaky_relu", lambda L, a: L.nn.functional.leaky_relu(a)),
    ("F.elu", lambda L, a: L.nn.functional.elu(a)),
    ("F.gelu", lambda L, a: L.nn.functional.gelu(a)),
    ("F.softplus", lambda L, a: L.nn.functional.softplus(a)),
    ("F.hardtanh", lambda L, a: L.nn.functional.hardtanh(a)),
    ("F.silu", lambda L, a: L.nn.functional.silu(a)),
    ("sigmoid", lambda L, a: L.sigmoid(a)), ("special.expit", lambda L, a: L.special.expit(a)),
    ("sigmoid method", lambda L, a: a.sigmoid()),
    ("floor", lambda L, a: L.floor(a)), ("ceil", lambda L, a: L.ceil(a)),
    ("trunc", lambda L, a: L.trunc(a)), ("frac", lambda L, a: L.frac(a)),
    ("round", lambda L, a: L.round(a)), ("sign", lambda L, a: L.sign(a)),
    ("sgn", lambda L, a: L.sgn(a)),
    ("remainder", lambda L, a: a % 2), ("floor_divide", lambda L, a: a // 2),
    ("atan2", lambda L, a: L.atan2(a, a)), ("hypot", lambda L, a: L.hypot(a, a)),
    ("copysign", lambda L, a: L.copysign(a, a)), ("heaviside", lambda L, a: L.heaviside(a, a)),
    ("erf", lambda L, a: L.erf(a)), ("erfc", lambda L, a: L.erfc(a)),
    ("erfinv", lambda L, a: L.erfinv(a)), ("lgamma", lambda L, a: L.lgamma(a)),
    ("digamma", lambda L, a: L.digamma(a)), ("special.i0e", lambda L, a: L.special.i0e(a)),
    ("special.ndtr", lambda L, a: L.special.ndtr(a)), ("xlogy", lambda L, a: L.xlogy(a, a)),
    ("logit", lambda L, a: L.logit(a)), ("deg2rad", lambda L, a: L.deg2rad(a)),
    ("nansum", lambda L, a: L.nansum(a)), ("nanmean", lambda L, a: L.nanmean(a)),
    ("softmax", lambda L, a: L.softmax(a, 0)), ("log_softmax", lambda L, a: a.log_softmax(0)),
    ("unique", lambda L, a: L.unique(a)),
    ("searchsorted", lambda L, a: L.searchsorted(a.reshape(-1), a.reshape(-1))),
    ("bucketize", lambda L, a: L.bucketize(a, a.reshape(-1))),
    ("histc", lambda L, a: L.histc(a)),
    ("vdot", lambda L, a: L.vdot(a.reshape(-1), a.reshape(-1) * 2 - 1j)),
    ("linalg.vecdot", lambda L, a: L.linalg.vecdot(a, a + 1j)),
    ("dot", lambda L, a: L.dot(a.reshape(-1), a.reshape(-1))),
    ("logaddexp", lambda L, a: L.logaddexp(a, a.flip(0))),
    ("logaddexp2", lambda L, a: L.logaddexp2(a, a)),
    ("logcumsumexp", lambda L, a: L.logcumsumexp(a, 0)),
    ("logsumexp", lambda L, a: L.logsumexp(a, 0)),
    ("cov", lambda L, a: L.cov(a.reshape(a.shape[0], -1))),
    ("corrcoef", lambda L, a: L.corrcoef(a.reshape(a.shape[0], -1))),
    ("norm p=0", lambda L, a: L.norm(a, 0)), ("dist p=0", lambda L, a: L.dist(a, a + 1, 0)),
    ("ldexp", lambda L, a: L.ldexp(a, L.full(a.shape, 2))),
    ("mH", lambda L, a: a.reshape(a.shape[0], -1).mH),
    ("adjoint", lambda L, a: L.adjoint(a.reshape(a.shape[0], -1))),
    ("mean", lambda L, a: L.mean(a)), ("var", lambda L, a: L.var(a)),
    ("std", lambda L, a: L.std(a)), ("prod", lambda L, a: L.prod(a)),
    ("cumprod", lambda L, a: L.cumprod(a, 0)), ("exp", lambda L, a: L.exp(a)),
    ("tanh", lambda L, a: L.tanh(a)), ("isfinite", lambda L, a: L.isfinite(a)),
    ("isclose", lambda L, a: L.isclose(a, a)), ("abs", lambda L, a: L.abs(a)),
    ("abs_", lambda L, a: a.clone().abs_()),
]
SHAPES = [(4,), (2, 3)]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("label", "program"), CALLS, ids=[c[0] for c in CALLS])
def test_calls_on_complex(label, program, shape, dtype):
    reason = disagreement(program, [_values(shape, dtype)], f"{label} {dtype}{shape}")
    assert reason is None, reason


@pytest.mark.parametrize(("label", "program"), [
    ("maximum", lambda L, a, b: L.maximum(a, b)), ("atan2", lambda L, a, b: L.atan2(a, b)),
    ("logaddexp", lambda L, a, b: L.logaddexp(a, b)), ("<", lambda L, a, b: a < b),
    ("clamp", lambda L, a, b: L.clamp(b, min=a)), ("fmin", lambda L, a, b: L.fmin(b, a)),
    ("vdot", lambda L, a, b: L.vdot(a.reshape(-1), b.reshape(-1).to(a.dtype))),
    ("xlogy", lambda L, a, b: L.xlogy(b, a)), ("hypot", lambda L, a, b: L.hypot(b, a)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_mixed_real_and_complex(label, program):
    """A complex128 tensor with a float64 one (both orders where the function has two)."""
    z = _values((2, 3), "complex128")
    x = np.random.default_rng(1).uniform(-2, 2, (2, 3))
    assert disagreement(program, [z, x], label) is None
    assert disagreement(lambda L, a, b: program(L, b, a), [z, x], label + " swapped") is None


# ------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize(("label", "program"), [
    ("sigmoid", lambda L, z, w: (L.sigmoid(z) * w).real.sum()),
    ("logaddexp", lambda L, z, w: (L.logaddexp(z, z.flip(0) * 0.5) * w).imag.sum()),
    ("logaddexp real other", lambda L, z, w: (L.logaddexp(z, w.real) * w).real.sum()),
    ("vdot", lambda L, z, w: L.vdot(z.reshape(-1), w.reshape(-1)).abs()),
    ("linalg.vecdot", lambda L, z, w: L.linalg.vecdot(z, w).real.sum()),
    ("mH", lambda L, z, w: (z.mH @ w).real.sum()),
    ("cov", lambda L, z, w: (L.cov(z) * w[:, :2]).real.sum()),
])
def test_complex_gradients_match(label, program):
    """PyTorch's complex gradient convention through the operations given complex rules here."""
    z, w = _values((2, 3), "complex128"), _values((2, 3), "complex128", seed=2)
    grads = []
    for L in (torch, cr):
        zt = _to_lib(L, z, True)
        program(L, zt, _to_lib(L, w, False)).backward()
        grads.append(zt.grad)
    np.testing.assert_allclose(grads[1].numpy(), grads[0].resolve_conj().numpy(), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize(("label", "program"), [
    ("silu", lambda L, z: L.nn.functional.silu(z).real.sum()),
    ("logcumsumexp", lambda L, z: L.logcumsumexp(z, 0).real.sum()),
])
def test_complex_gradients_refused(label, program):
    """Values only: a complex input that requires grad is refused, never a wrong gradient."""
    z = _to_lib(cr, _values((2, 3), "complex128"), True)
    with pytest.raises((NotImplementedError, RuntimeError)):
        program(cr, z).backward()


def test_real_paths_unchanged():
    """The complex checks leave real results alone (bit for bit against PyTorch's in float64)."""
    x = np.random.default_rng(3).uniform(-3, 3, (3, 4))
    for program in (lambda L, a: L.sigmoid(a), lambda L, a: L.maximum(a, a.flip(0)),
                    lambda L, a: L.sort(a).values, lambda L, a: L.clamp(a, -1, 1),
                    lambda L, a: L.logaddexp(a, a.flip(1)), lambda L, a: a < 0.5,
                    lambda L, a: L.amax(a, 1)):
        assert disagreement(program, [x], "real") is None


if __name__ == "__main__":      # a report of every disagreement: python tests/test_...py
    for name in sorted(TABLE_CASES):
        for line in table_disagreements(name):
            print(("KNOWN " if name in KNOWN else "") + line)
