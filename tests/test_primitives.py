"""The registry-driven primitive suite: every registered primitive, checked the same way.

For each name in ``chainrule.primitives()`` (its spec in ``primitive_specs.py`` says how to draw
inputs and what the PyTorch twin is):

- metadata: formula (forward and derivative, text and LaTeX), explanation, docstring sections;
- forward equals the NumPy ``reference`` and PyTorch 2.13 in float64 (relative 1e-6);
- backward with a random upstream gradient equals PyTorch's (float64, relative 1e-6);
- ``chainrule.gradcheck`` (central differences) passes in float64 on the primitive's domain;
- double backward (the gradient of ⟨grad, v⟩, with respect to the inputs and to the upstream
  gradient, as torch.autograd.gradgradcheck does) equals PyTorch's;
- float32 inputs give float32 results and gradients that match PyTorch's float32 (relative 1e-5).

Then: scatter_add is the adjoint of getitem (a property test), and fixed cases: huge and masked
(−inf) logits, exp/log at the ends of their ranges, the accuracy of the activations far in their
tails, and the conventions at kinks and ties, each against PyTorch or an exact formula.
Hypothesis settings come from the profile chosen in ``conftest.py`` (deterministic by default).
"""
from __future__ import annotations

import inspect
import math
import os

import numpy as np
import pytest
import strategies as S
import torch
import torch.nn.functional as F
from hypothesis import given, note, settings
from hypothesis import strategies as st
from primitive_specs import SPECS, Case, torch_reduce

import chainrule as cr
import chainrule.nn  # noqa: F401  (registers the layers' fused primitives: all are enrolled)
from chainrule.autograd.functional import grad as autograd_grad
from chainrule.autograd.registry import DOMAINS

NAMES = list(cr.primitives())

RTOL, ATOL = 1e-6, 1e-12            # float64: relative 1e-6; atol only for values near zero
# float32 sanity: relative 1e-5; the atol is the rounding of sums of up to ~10³ float32 terms of
# size O(1) (n·ε₃₂ ≈ 1e-4 at worst); relative accuracy near zero is tested in the tail tests.
RTOL32, ATOL32 = 1e-5, 1e-5

_PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def profile(fraction: float = 1.0) -> settings:
    """The active profile (explicitly: other conftests may load theirs), scaled in examples."""
    return settings(_PROFILE, max_examples=max(5, int(_PROFILE.max_examples * fraction)))


def spec_for(name: str):
    if name not in SPECS:   # test_every_registered_primitive_has_a_spec fails for it (once)
        pytest.skip(f"primitive {name!r} has no spec in tests/primitive_specs.py")
    return SPECS[name]


# ------------------------------------------------------------------------------ helpers
def as_numpy(x) -> np.ndarray:
    if isinstance(x, cr.Tensor):
        return x.numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_matches(actual, expected, what: str, case: Case | None = None,
                   rtol: float = RTOL, atol: float = ATOL, check_dtype: bool = True) -> None:
    a, e = as_numpy(actual), as_numpy(expected)
    where = f"{what} ({case.describe()})" if case is not None else what
    assert a.shape == e.shape, f"{where}: shape {a.shape}, expected {e.shape}"
    if check_dtype:
        assert a.dtype == e.dtype, f"{where}: dtype {a.dtype}, expected {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=where)


def cr_inputs(case: Case) -> list[cr.Tensor]:
    return [cr.tensor(a, requires_grad=rg) for a, rg in zip(case.inputs, case.requires_grad)]


def torch_inputs(case: Case) -> list[torch.Tensor]:
    return [torch.from_numpy(a.copy()).requires_grad_(rg)
            for a, rg in zip(case.inputs, case.requires_grad)]


def upstream(rng: np.random.Generator, like) -> np.ndarray:
    """A random gradient with the shape and dtype of ``like``."""
    return np.asarray(rng.standard_normal(like.shape), dtype=as_numpy(like).dtype)


def torch_grads(outputs, inputs, grad_outputs, **kwargs) -> list[torch.Tensor]:
    """torch.autograd.grad with zeros for inputs the outputs do not depend on (also when the
    outputs are constants: PyTorch's gradient of x**0 has no graph)."""
    if not outputs.requires_grad:
        return [torch.zeros_like(x) for x in inputs]
    grads = torch.autograd.grad(outputs, inputs, grad_outputs, allow_unused=True, **kwargs)
    return [torch.zeros_like(x) if g is None or g._is_zerotensor() else g
            for g, x in zip(grads, inputs)]


def cr_grads(outputs, inputs, grad_outputs, **kwargs) -> list[cr.Tensor]:
    if not outputs.requires_grad:
        return [cr.tensor(np.zeros_like(x.numpy())) for x in inputs]
    grads = autograd_grad(outputs, inputs, grad_outputs, allow_unused=True, **kwargs)
    return [cr.tensor(np.zeros_like(x.numpy())) if g is None else g for g, x in zip(grads, inputs)]


# ------------------------------------------------------------------------------ registry & metadata
def test_every_registered_primitive_has_a_spec():
    missing = sorted(set(NAMES) - set(SPECS))
    assert not missing, f"registered primitives without a test spec: {missing}"
    stale = sorted(set(SPECS) - set(NAMES))
    assert not stale, f"specs for primitives that are not registered: {stale}"


_LATEX_ESCAPED_BRACES = ("\\{", "\\}")


def _balanced_braces(latex: str) -> bool:
    for escaped in _LATEX_ESCAPED_BRACES:
        latex = latex.replace(escaped, "")
    depth = 0
    for ch in latex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    cls = cr.primitives()[name]
    f = cls.formula()
    assert f.name == name
    assert cr.formula(name) == f
    assert [e.label for e in f.equations[:2]] == ["Forward", "Derivative"]
    for eq in (f.forward, f.derivative):
        assert eq.text.strip(), f"{name}: {eq.label} has no text form"
        assert eq.latex.strip(), f"{name}: {eq.label} has no LaTeX form"
        assert _balanced_braces(eq.latex), f"{name}: unbalanced braces in {eq.latex!r}"
    assert cls.explanation.strip(), f"{name}: no explanation"
    assert cls.domain in DOMAINS, f"{name}: domain {cls.domain!r} not in {sorted(DOMAINS)}"
    assert callable(cls.reference), f"{name}: no NumPy reference"
    rendered = (str(f), f.to_latex(), f.to_markdown(), f._repr_latex_(), f._repr_markdown_())
    assert all(name in r or f.forward.latex in r for r in rendered)

    # Docstring sections, in the order DESIGN.md fixes: Forward, Derivative, VJP, then Numerics
    # and/or Kinks (the convention at kinks and ties, required where the domain avoids them).
    doc = inspect.getdoc(cls) or ""
    positions = [doc.find(f"{section}:") for section in ("Forward", "Derivative", "VJP")]
    assert all(p >= 0 for p in positions), f"{name}: docstring lacks Forward/Derivative/VJP"
    assert positions == sorted(positions), f"{name}: docstring sections out of order"
    tail = [doc.find(s) for s in ("Numerics:", "Kinks:") if s in doc]
    assert tail and min(tail) > positions[-1], f"{name}: no Numerics:/Kinks: after VJP:"
    if cls.domain in ("away_from_zero", "distinct"):
        assert "Kinks:" in doc, f"{name}: domain {cls.domain} but no 'Kinks:' convention"


# ------------------------------------------------------------------------------ forward
@pytest.mark.parametrize("name", NAMES)
@profile()
@given(data=st.data())
def test_forward_matches_reference_and_torch(name, data):
    case = spec_for(name).case(data.draw)
    note(case.describe())
    out = case.call(*cr_inputs(case))
    assert isinstance(out, cr.Tensor)
    assert out.requires_grad
    expected = case.torch_call(*[torch.from_numpy(a.copy()) for a in case.inputs])
    assert_matches(out, expected, f"{name} forward vs PyTorch", case)
    if case.reference is not None:
        reference = np.asarray(case.reference(*[a.copy() for a in case.inputs]))
        assert_matches(out, reference, f"{name} forward vs its NumPy reference", case)


# ------------------------------------------------------------------------------ backward
@pytest.mark.parametrize("name", NAMES)
@profile()
@given(data=st.data())
def test_backward_matches_torch(name, data):
    case = spec_for(name).case(data.draw)
    note(case.describe())
    tensors = cr_inputs(case)
    out = case.call(*tensors)
    g = upstream(data.draw(S.rngs()), out)
    out.backward(g)

    t_inputs = torch_inputs(case)
    wanted = [t for t in t_inputs if t.requires_grad]
    expected = iter(torch_grads(case.torch_call(*t_inputs), wanted, torch.from_numpy(g.copy())))
    for i, (t, rg) in enumerate(zip(tensors, case.requires_grad)):
        if not rg:
            assert t.grad is None, f"{name}: input {i} does not require grad but got one"
            continue
        assert t.grad is not None, f"{name}: input {i} got no gradient"
        assert_matches(t.grad, next(expected), f"{name} gradient of input {i} vs PyTorch", case)


# ------------------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("name", NAMES)
@profile(0.5)
@given(data=st.data())
def test_gradcheck(name, data):
    case = spec_for(name).case(data.draw, small=True)
    note(case.describe())
    diff = [i for i, rg in enumerate(case.requires_grad) if rg]

    def fn(*leaves):
        args = [cr.tensor(a) for a in case.inputs]
        for i, leaf in zip(diff, leaves):
            args[i] = leaf
        return case.call(*args)

    assert cr.gradcheck(fn, *[case.inputs[i] for i in diff], eps=1e-6, atol=1e-5, rtol=1e-3)


# ------------------------------------------------------------------------------ second order
@pytest.mark.parametrize("name", NAMES)
@profile(0.5)
@given(data=st.data())
def test_double_backward_matches_torch(name, data):
    """∂⟨∂L/∂x, v⟩/∂x and ∂⟨∂L/∂x, v⟩/∂g (g the upstream gradient) against PyTorch."""
    spec = spec_for(name)
    if not spec.second_order:
        pytest.skip(f"{name}: double backward not tested (see its spec)")
    case = spec.case(data.draw)
    note(case.describe())
    rng = data.draw(S.rngs())

    tensors = cr_inputs(case)
    diff = [t for t in tensors if t.requires_grad]
    out = case.call(*tensors)
    g_np = upstream(rng, out)
    vs = [upstream(rng, t) for t in diff]
    g = cr.tensor(g_np, requires_grad=True)
    if not cr.primitives()[name].twice_differentiable:
        # A hand-written backward that is not itself differentiable must say so, not be wrong.
        with pytest.raises(RuntimeError, match=name):
            cr_grads(out, diff, g, create_graph=True)
        return
    first = cr_grads(out, diff, g, create_graph=True)
    dot = None
    for gr, v in zip(first, vs):
        term = (gr * cr.tensor(v)).sum()
        dot = term if dot is None else dot + term
    second = cr_grads(dot, diff + [g], None)

    t_inputs = torch_inputs(case)
    t_diff = [t for t in t_inputs if t.requires_grad]
    t_g = torch.from_numpy(g_np.copy()).requires_grad_(True)
    t_first = torch_grads(case.torch_call(*t_inputs), t_diff, t_g, create_graph=True)
    t_dot = sum((gr * torch.from_numpy(v)).sum() for gr, v in zip(t_first, vs))
    t_second = torch_grads(t_dot, t_diff + [t_g], None)

    for i, (a, e) in enumerate(zip(first, t_first)):
        assert_matches(a, e, f"{name} create_graph gradient {i} vs PyTorch", case)
    for i, (a, e) in enumerate(zip(second, t_second)):
        what = "upstream gradient" if i == len(diff) else f"differentiated input {i}"
        assert_matches(a, e, f"{name} double backward w.r.t. {what} vs PyTorch", case)


# ------------------------------------------------------------------------------ getitem's adjoint
@profile(0.5)
@given(data=st.data())
def test_scatter_add_is_the_adjoint_of_getitem(data):
    """⟨x[index], v⟩ = ⟨x, scatter_add(v, index)⟩ for every x and v: scatter_add is exactly the
    transpose of the linear map x ↦ x[index] (repeated indices accumulate)."""
    shape = data.draw(S.shapes())
    index = data.draw(S.indices(shape))
    rng = data.draw(S.rngs())
    x = rng.standard_normal(shape)
    v = np.asarray(rng.standard_normal(np.asarray(x[index]).shape))
    scattered = cr.primitives()["scatter_add"].apply(
        cr.tensor(v), shape=shape, index=index, basic=S.is_basic_index(index))
    picked = cr.getitem(cr.tensor(x), index)
    lhs = float(np.sum(picked.numpy() * v))
    rhs = float(np.sum(x * scattered.numpy()))
    assert scattered.shape == shape
    np.testing.assert_allclose(lhs, rhs, rtol=RTOL, atol=ATOL, err_msg=f"index {index!r}")


# ------------------------------------------------------------------------------ float32
@pytest.mark.parametrize("name", NAMES)
@profile(0.5)
@given(data=st.data())
def test_float32_keeps_dtype_and_matches_torch(name, data):
    case = spec_for(name).case(data.draw, dtype=np.float32)
    note(case.describe())
    tensors = cr_inputs(case)
    out = case.call(*tensors)
    t_inputs = torch_inputs(case)
    t_out = case.torch_call(*t_inputs)
    assert_matches(out, t_out, f"{name} float32 forward vs PyTorch", case, RTOL32, ATOL32)

    g = upstream(data.draw(S.rngs()), out)
    out.backward(g)
    wanted = [t for t in t_inputs if t.requires_grad]
    expected = iter(torch_grads(t_out, wanted, torch.from_numpy(g.copy())))
    for i, (t, rg) in enumerate(zip(tensors, case.requires_grad)):
        if rg:
            assert t.grad.dtype == np.float32, f"{name}: float32 input {i} got {t.grad.dtype}"
            assert_matches(t.grad, next(expected), f"{name} float32 gradient {i}", case,
                           RTOL32, ATOL32)


# ------------------------------------------------------------------------------ extreme values
HUGE_LOGITS = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0],
                        [-1e4, -1e4 + 2.0, -1e4 + 1.0, -1e4],
                        [1e4, 1e4, 1e4, 1e4],
                        [-1e4, -1e4, -1e4, -1e4],
                        [-1e4, 1e4, -1e4, 5e3]])

_LOGIT_OPS = {
    "softmax": (lambda t, axis: cr.softmax(t, axis), lambda t, axis: torch.softmax(t, axis)),
    "log_softmax": (lambda t, axis: cr.log_softmax(t, axis),
                    lambda t, axis: torch.log_softmax(t, axis)),
    "logsumexp": (lambda t, axis: cr.logsumexp(t, axis),
                  lambda t, axis: torch_reduce(torch.logsumexp, t, axis, False)),
}


def _compare_with_torch(cr_fn, torch_fn, x: np.ndarray, what: str, rtol: float, atol: float,
                        seed: int = 0) -> None:
    """Forward and backward, finite and equal to PyTorch's."""
    t = cr.tensor(x, requires_grad=True)
    out = cr_fn(t)
    tt = torch.from_numpy(x.copy()).requires_grad_(True)
    t_out = torch_fn(tt)
    assert np.isfinite(out.numpy()).all(), f"{what}: non-finite forward {out.numpy()}"
    assert_matches(out, t_out, f"{what} forward", rtol=rtol, atol=atol)
    g = upstream(np.random.default_rng(seed), out)
    out.backward(g)
    (t_grad,) = torch.autograd.grad(t_out, [tt], torch.from_numpy(g.copy()))
    assert np.isfinite(t.grad.numpy()).all(), f"{what}: non-finite gradient {t.grad.numpy()}"
    assert_matches(t.grad, t_grad, f"{what} backward", rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("axis", [-1, 0, None])
@pytest.mark.parametrize("name", list(_LOGIT_OPS))
def test_huge_logits_stay_finite_and_match_torch(name, axis, dtype):
    if axis is None and name != "logsumexp":
        pytest.skip("softmax and log_softmax take one axis")
    cr_fn, torch_fn = _LOGIT_OPS[name]
    rtol, atol = (RTOL, ATOL) if dtype == np.float64 else (RTOL32, ATOL32)
    _compare_with_torch(lambda t: cr_fn(t, axis), lambda t: torch_fn(t, axis),
                        HUGE_LOGITS.astype(dtype), f"{name}(±1e4 logits, axis={axis}, "
                        f"{np.dtype(dtype).name})", rtol, atol)


@pytest.mark.parametrize("name", list(_LOGIT_OPS))
def test_masked_logits_match_torch(name):
    """−inf logits (masked positions, as in attention) give probability 0 and no nan."""
    x = np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, 2.0], [3.0, -np.inf, -1e4]])
    cr_fn, torch_fn = _LOGIT_OPS[name]
    t = cr.tensor(x, requires_grad=True)
    out = cr_fn(t, -1)
    tt = torch.from_numpy(x.copy()).requires_grad_(True)
    t_out = torch_fn(tt, -1)
    assert_matches(out, t_out, f"{name} with -inf logits")      # -inf == -inf where expected
    g = upstream(np.random.default_rng(2), out)
    out.backward(g)
    (t_grad,) = torch.autograd.grad(t_out, [tt], torch.from_numpy(g.copy()))
    assert not np.isnan(t.grad.numpy()).any(), f"{name}: nan gradient at masked logits"
    assert_matches(t.grad, t_grad, f"{name} gradient with -inf logits")


@pytest.mark.parametrize("dtype, values", [
    (np.float64, [-745.0, -700.0, -100.0, -1.0, 0.0, 1.0, 100.0, 600.0, 700.0, 709.0]),
    (np.float32, [-103.0, -87.0, -10.0, 0.0, 10.0, 80.0, 88.0]),
])
def test_exp_large_inputs_match_torch(dtype, values):
    rtol, atol = (RTOL, 0.0) if dtype == np.float64 else (RTOL32, 0.0)
    _compare_with_torch(cr.exp, torch.exp, np.array(values, dtype=dtype),
                        f"exp({np.dtype(dtype).name})", rtol, atol)


@pytest.mark.parametrize("dtype, values", [
    (np.float64, [1e-300, 1e-100, 1e-10, 1.0, 1e10, 1e100, 1e300]),
    (np.float32, [1e-37, 1e-10, 1.0, 1e10, 1e37]),
])
def test_log_extreme_inputs_match_torch(dtype, values):
    rtol, atol = (RTOL, 0.0) if dtype == np.float64 else (RTOL32, 0.0)
    _compare_with_torch(cr.log, torch.log, np.array(values, dtype=dtype),
                        f"log({np.dtype(dtype).name})", rtol, atol)


SATURATING = {
    "sigmoid": (cr.sigmoid, torch.sigmoid),
    "tanh": (cr.tanh, torch.tanh),
    "silu": (cr.silu, F.silu),
    "softplus": (cr.softplus, F.softplus),
    "gelu": (cr.gelu, F.gelu),
    "gelu_tanh": (lambda t: cr.gelu(t, approximate="tanh"),
                  lambda t: F.gelu(t, approximate="tanh")),
    "elu": (cr.elu, F.elu),
    "erf": (cr.erf, torch.erf),
    "relu": (cr.relu, torch.relu),
    "leaky_relu": (cr.leaky_relu, F.leaky_relu),
}
FAR = np.array([-1e4, -800.0, -100.0, -40.0, -30.0, -20.0, -10.0,
                10.0, 20.0, 30.0, 40.0, 100.0, 800.0, 1e4])


@pytest.mark.parametrize("name", list(SATURATING))
def test_activations_at_huge_inputs_are_finite_and_match_torch(name):
    cr_fn, torch_fn = SATURATING[name]
    _compare_with_torch(cr_fn, torch_fn, FAR.copy(), f"{name} at ±1e4", RTOL, ATOL)


def _sigmoid_exact(x):
    e = np.exp(-np.abs(x))                               # ≤ 1: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_ERFC = np.vectorize(math.erfc)
_ERF = np.vectorize(math.erf)

#: Forward values computed without cancellation (Python's math.erf/erfc are correctly rounded to
#: about one ulp; the logistic function is formed from e^{−|x|} ≤ 1).
TAIL_TRUTH = {
    "sigmoid": (cr.sigmoid, _sigmoid_exact),
    "silu": (cr.silu, lambda x: x * _sigmoid_exact(x)),
    "softplus": (cr.softplus, lambda x: np.where(
        x > 20.0, x, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))),
    "gelu": (cr.gelu, lambda x: x * 0.5 * _ERFC(-x / math.sqrt(2.0))),
    "erf": (cr.erf, _ERF),
    "elu": (cr.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "exp": (cr.exp, np.exp),
}


#: Per dtype: how far out the tails are probed, and the smallest normal number (a result below it
#: may be subnormal, i.e. has lost relative precision legitimately).
TAIL_RANGE = {np.float64: (700.0, np.finfo(np.float64).tiny, RTOL),
              np.float32: (80.0, np.finfo(np.float32).tiny, RTOL32)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(TAIL_TRUTH))
def test_activation_tails_are_relatively_accurate(name, dtype):
    """Far in a tail a result should still carry its dtype's relative precision wherever the
    exact value is a normal number (in float32, x = −10 is already such a tail for σ)."""
    cr_fn, truth = TAIL_TRUTH[name]
    reach, tiny, rtol = TAIL_RANGE[dtype]
    x = np.concatenate([-np.geomspace(reach, 1.0, 12), np.geomspace(1.0, reach, 12)])
    x = x.astype(dtype)
    if name == "exp":
        x = x[x < np.log(np.finfo(dtype).max)]
    out = cr_fn(cr.tensor(x))
    expected = truth(x.astype(np.float64)).astype(dtype)        # exact, rounded once
    assert_matches(out, expected, f"{name} in its tails ({np.dtype(dtype).name})", rtol=rtol,
                   atol=float(tiny))


# ------------------------------------------------------------------------------ kinks and ties
def _kink_case(cr_fn, torch_fn, *arrays):
    tensors = [cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = cr_fn(*tensors)
    g = upstream(np.random.default_rng(1), out)
    out.backward(g)
    t_in = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    t_out = torch_fn(*t_in)
    assert_matches(out, t_out, "forward at a kink")
    for i, (t, e) in enumerate(zip(tensors, torch_grads(t_out, t_in, torch.from_numpy(g)))):
        assert_matches(t.grad, e, f"gradient of input {i} at a kink (PyTorch's convention)")


KINKS = {
    "relu at 0": (cr.relu, torch.relu, [[-1.0, 0.0, 1.0]]),
    "abs at 0": (cr.abs, torch.abs, [[-1.0, 0.0, 1.0]]),
    "leaky_relu at 0": (lambda t: cr.leaky_relu(t, 0.1), lambda t: F.leaky_relu(t, 0.1),
                        [[-1.0, 0.0, 1.0]]),
    "elu at 0": (lambda t: cr.elu(t, 0.5), lambda t: F.elu(t, 0.5), [[-1.0, 0.0, 1.0]]),
    "maximum tie": (cr.maximum, torch.maximum, [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    "minimum tie": (cr.minimum, torch.minimum, [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    "clip at bounds": (lambda t: cr.clip(t, -1.0, 1.0), lambda t: torch.clamp(t, -1.0, 1.0),
                       [[-2.0, -1.0, 0.0, 1.0, 2.0]]),
    "max ties": (lambda t: cr.amax(t, 1), lambda t: torch.amax(t, 1),
                 [[[3.0, 1.0, 3.0, 3.0], [0.0, 2.0, 2.0, -1.0]]]),
    "min ties": (lambda t: cr.min(t), lambda t: torch.amin(t),
                 [[[0.0, 1.0, 0.0], [5.0, 0.0, 2.0]]]),
    "prod with zeros": (lambda t: cr.prod(t, 1), lambda t: torch.prod(t, 1),
                        [[[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]]]),
    "power at base 0": (cr.power, torch.pow,
                        [[0.0, 0.0, 0.0, 0.0, 2.0], [0.0, 1.0, 2.0, 3.0, 0.0]]),
}


@pytest.mark.parametrize("label", list(KINKS))
def test_conventions_at_kinks_and_ties_match_torch(label):
    cr_fn, torch_fn, arrays = KINKS[label]
    _kink_case(cr_fn, torch_fn, *arrays)
