"""Every loss with tensor arguments of different dtypes, against PyTorch 2.13.

For each loss of ``nn.functional`` and each loss module, every combination of the dtypes its
tensor arguments may have (float16, float32, float64; int64, int32, uint8 and bool targets where
PyTorch takes them) is run under PyTorch and under chainrule. Where PyTorch raises, chainrule
raises an exception of the same class; otherwise the result's dtype and values (at the precision
of the result's dtype) and every input's ``.grad`` (dtype and values) agree. A Python list or a
NumPy array as the target stays chainrule's convenience: it is taken in the input's dtype.
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import chainrule as cr

F16, F32, F64 = "float16", "float32", "float64"
FLOATS = (F16, F32, F64)
NUMBERS = FLOATS + ("int64", "bool")          # a float argument given as integers or bools
INDICES = ("int64", "int32", "int16", "int8", "uint8", "bool")
ANY = FLOATS + INDICES
N, C, T = 3, 4, 6

#: (rtol, atol) of a comparison in each result dtype: a few units in its last place
TOLERANCE = {F16: (4e-3, 4e-3), F32: (4e-6, 1e-6), F64: (1e-11, 1e-13)}


@dataclass
class Slot:
    """One tensor argument: its name, the values it draws, its shape, the dtypes it is given."""

    name: str
    domain: str
    shape: tuple
    dtypes: tuple
    grad: bool = True           # a floating one requires grad (PyTorch differentiates it)


@dataclass
class Case:
    name: str
    slots: list
    call: object                # call(L, F, args) -> the loss; L is torch or chainrule
    early: tuple = ()           # slots PyTorch computes with in their own dtype first


def _values(domain: str, shape: tuple, dtype: str, rng) -> np.ndarray:
    """Values for a slot, drawn in float64, as integers where the dtype is integer or bool."""
    integer = dtype in INDICES
    if domain == "index":
        v = rng.integers(0, 2 if dtype == "bool" else C, size=shape)
    elif domain == "multilabel":           # class indices, each row ended by -1
        v = np.stack([rng.permutation(C) for _ in range(shape[0])])
        v[:, 2] = -1
        if dtype in ("uint8", "bool"):
            v = np.where(v < 0, 0, v)
    elif domain == "labels":               # CTC labels, never the blank 0
        v = rng.integers(1, C, size=shape)
    elif domain == "lengths":
        v = np.full(shape, T if shape == (N,) and dtype != "bool" else 1)
    elif domain == "target_lengths":
        v = np.array([2, 3, 1][:shape[0]])
    elif integer:
        lo, hi = {"real": (-2, 3), "positive": (1, 4), "count": (0, 5), "sign": (-1, 2),
                  "prob": (0, 2), "logprob": (-2, 1), "distribution": (0, 2)}[domain]
        v = rng.integers(lo, hi, size=shape)
        if domain == "sign":
            v = np.where(v == 0, 1, v)
        if dtype == "bool":
            v = v != 0
        elif dtype == "uint8":
            v = np.abs(v)
    elif domain == "real":
        v = rng.uniform(-2, 2, size=shape)
    elif domain == "positive":
        v = rng.uniform(0.5, 2, size=shape)
    elif domain == "count":
        v = rng.uniform(0, 4, size=shape)
    elif domain == "prob":
        v = rng.uniform(0.05, 0.95, size=shape)
    elif domain == "logprob":
        v = np.log(rng.uniform(0.1, 1, size=shape))
    elif domain == "sign":
        v = rng.choice([-1.0, 1.0], size=shape)
    elif domain == "distribution":
        v = rng.uniform(0.1, 1, size=shape)
        v = v / v.sum(axis=-1, keepdims=True)
    else:
        raise ValueError(domain)
    return np.asarray(v).astype(dtype)


def _run(L, case: Case, dtypes: tuple, seed: int, frozen: bool, upcast: bool = False):
    """(stage, exception) or (result, {slot: grad}) of ``case`` under library L. ``frozen``:
    only the inputs (slots named x…, a, p, n) require grad, not targets and weights. ``upcast``:
    float16 arguments are given as float32 (PyTorch's answer where it has no float16 kernel)."""
    rng = np.random.default_rng(seed)
    args = {}
    for slot, dtype in zip(case.slots, dtypes):
        a = _values(slot.domain, slot.shape, dtype, rng)
        if upcast and dtype == F16:
            a = a.astype(F32)
        need = slot.grad and dtype in FLOATS and not (frozen and slot.name in _NOT_INPUTS)
        args[slot.name] = (torch.tensor(a, requires_grad=need) if L is torch
                           else cr.tensor(a, requires_grad=need))
    F = L.nn.functional
    stage = "forward"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = case.call(L, F, args)
            stage = "backward"
            if out.requires_grad:
                out.backward(L.ones_like(out))
    except Exception as e:  # noqa: BLE001  (the exception is the result being compared)
        return (stage, e), None
    grads = {k: v.grad for k, v in args.items() if v.requires_grad}
    return out, grads


_NOT_INPUTS = ("t", "w", "pw", "v")


def _numpy(x) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, torch.Tensor) else x.numpy()


def _dtype_name(x) -> str:
    return str(x.dtype).replace("torch.", "").replace("numpy.", "")


def _coarsest(*dtypes: str) -> str:
    return min(dtypes, key=FLOATS.index)


def _precision(case: Case, dtypes: tuple, *others: str) -> str:
    """The dtype whose precision a comparison can ask for: the result's (and the gradient's),
    coarsened by the dtypes of the arguments that PyTorch first puts through a kernel of their
    own dtype (log_sigmoid of the logits, the log of the variance …): chainrule's own kernels
    (NumPy's float32 exp and log, float16 arithmetic) may differ in the last place there."""
    early = [d for s, d in zip(case.slots, dtypes) if s.name in case.early and d in FLOATS]
    return _coarsest(*others, *early)


_LABELS = ("index", "multilabel", "labels", "lengths", "target_lengths")


def _half_kernel_missing(outcome) -> bool:
    return (isinstance(outcome, tuple) and isinstance(outcome[1], NotImplementedError)
            and "not implemented for 'Half'" in str(outcome[1]))


def compare(case: Case, dtypes: tuple, seed: int = 0, frozen: bool = False) -> str | None:
    """None where chainrule agrees with PyTorch, else what differs.

    Where PyTorch's CPU build has no float16 kernel (multi_margin_loss, multilabel_margin_loss,
    ctc_loss), chainrule computes in float16 anyway: its answer is compared with PyTorch's from
    the same values in float32, rounded to float16 (dtypes as float16 would give them)."""
    expected, expected_grads = _run(torch, case, dtypes, seed, frozen)
    low = None
    if _half_kernel_missing(expected):
        floats = {d for s, d in zip(case.slots, dtypes)
                  if d in FLOATS and s.domain not in _LABELS}
        if floats != {F16}:     # float16 beside float32 weights: PyTorch's kernels want one dtype
            expected = ("forward", RuntimeError("expected scalar type Half"))
        else:
            expected, expected_grads = _run(torch, case, dtypes, seed, frozen, upcast=True)
            low = {s.name for s, d in zip(case.slots, dtypes) if d == F16}
    actual, actual_grads = _run(cr, case, dtypes, seed, frozen)
    if isinstance(expected, tuple):
        stage, error = expected
        if not (isinstance(actual, tuple) and actual[0] == stage
                and isinstance(actual[1], type(error))):
            return (f"PyTorch raises {type(error).__name__} in the {stage}: {error}; chainrule "
                    f"gives {actual!r:.200}")
        return None
    if isinstance(actual, tuple):
        return f"chainrule raises {type(actual[1]).__name__} in the {actual[0]}: {actual[1]}"
    out_dtype = _dtype_name(expected)
    if low:
        out_dtype = F16
    if _dtype_name(actual) != out_dtype:
        return f"result dtype {_dtype_name(actual)}, PyTorch's {out_dtype}"
    rtol, atol = TOLERANCE[_precision(case, dtypes, out_dtype)]
    a, e = _numpy(actual).astype(np.float64), _numpy(expected).astype(np.float64)
    if a.shape != e.shape or not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        return f"values {a} differ from PyTorch's {e} (result {out_dtype})"
    if set(actual_grads) != set(expected_grads):
        return f"gradients of {sorted(actual_grads)}, PyTorch's of {sorted(expected_grads)}"
    for name, eg in expected_grads.items():
        ag = actual_grads[name]
        if (eg is None) != (ag is None):
            return f"{name}.grad is {ag!r:.80}, PyTorch's {eg!r:.80}"
        if eg is None:
            continue
        expected_dtype = F16 if low and name in low else _dtype_name(eg)
        if _dtype_name(ag) != expected_dtype:
            return f"{name}.grad dtype {_dtype_name(ag)}, PyTorch's {expected_dtype}"
        rtol, atol = TOLERANCE[_precision(case, dtypes, expected_dtype, out_dtype)]
        a, e = _numpy(ag).astype(np.float64), _numpy(eg).astype(np.float64)
        if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
            return f"{name}.grad {a} differs from PyTorch's {e}"
    return None


# ------------------------------------------------------------------------------ the losses
def _x(shape=(N, C), domain="real", name="x"):
    return Slot(name, domain, shape, FLOATS)


def _t(domain="real", shape=(N, C), dtypes=NUMBERS, grad=True, name="t"):
    return Slot(name, domain, shape, dtypes, grad)


def _w(shape=(N, C), dtypes=FLOATS + ("int64",), name="w", grad=True):
    return Slot(name, "positive", shape, dtypes, grad)


def _pair(fn, module, **kw):
    """The functional form and the module of a loss of (input, target)."""
    return (lambda L, F, a: getattr(F, fn)(a["x"], a["t"], **kw),
            lambda L, F, a: getattr(L.nn, module)(**kw)(a["x"], a["t"]))


CASES: list[Case] = []


def _add(name: str, slots: list, functional, module=None, early: tuple = ()) -> None:
    CASES.append(Case(name, slots, functional, early))
    if module is not None:
        CASES.append(Case(name + "[module]", slots, module, early))


for _fn, _mod, _kw, _dom in [
        ("mse_loss", "MSELoss", {}, "real"),
        ("l1_loss", "L1Loss", {}, "real"),
        ("smooth_l1_loss", "SmoothL1Loss", {}, "real"),
        ("smooth_l1_loss", "SmoothL1Loss", {"beta": 0.0}, "real"),
        ("huber_loss", "HuberLoss", {"delta": 0.5}, "real"),
        ("soft_margin_loss", "SoftMarginLoss", {}, "sign"),
        ("hinge_embedding_loss", "HingeEmbeddingLoss", {}, "sign"),
        ("multilabel_soft_margin_loss", "MultiLabelSoftMarginLoss", {}, "prob"),
        ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss", {}, "prob"),
        ("poisson_nll_loss", "PoissonNLLLoss", {}, "count"),
        ("poisson_nll_loss", "PoissonNLLLoss", {"log_input": False, "full": True}, "count")]:
    _xdom = "positive" if _kw.get("log_input") is False else "real"
    _target = _t(_dom, grad=_fn != "soft_margin_loss")      # PyTorch: no target gradient
    _early = {"multilabel_soft_margin_loss": ("x",), "binary_cross_entropy_with_logits": ("x",),
              "poisson_nll_loss": ("x", "t")}.get(_fn, ())
    _add(f"{_fn}{_kw or ''}", [_x(domain=_xdom), _target], *_pair(_fn, _mod, **_kw),
         early=_early)

for _fn in ("mse_loss", "l1_loss", "huber_loss"):
    _add(f"{_fn}(weight)", [_x(), _t(), _w()],
         lambda L, F, a, _fn=_fn: getattr(F, _fn)(a["x"], a["t"], weight=a["w"]))
    _add(f"{_fn}(weight, 'none')", [_x(), _t(dtypes=FLOATS), _w(dtypes=FLOATS)],
         lambda L, F, a, _fn=_fn: getattr(F, _fn)(a["x"], a["t"], weight=a["w"],
                                                 reduction="none"))

_add("mse_loss('none')", [_x(), _t()],
     lambda L, F, a: F.mse_loss(a["x"], a["t"], reduction="none"),
     lambda L, F, a: L.nn.MSELoss(reduction="sum")(a["x"], a["t"]))
_add("binary_cross_entropy", [_x(domain="prob"), _t("prob")],
     *_pair("binary_cross_entropy", "BCELoss"))
_add("binary_cross_entropy(weight)",
     [_x(domain="prob"), _t("prob", dtypes=FLOATS), _w(grad=False)],
     lambda L, F, a: F.binary_cross_entropy(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.BCELoss(weight=a["w"])(a["x"], a["t"]))
_add("binary_cross_entropy_with_logits(weight)",
     [_x(), _t("prob", dtypes=FLOATS), _w(grad=False)],
     lambda L, F, a: F.binary_cross_entropy_with_logits(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.BCEWithLogitsLoss(weight=a["w"])(a["x"], a["t"]), early=("x",))
_add("binary_cross_entropy_with_logits(pos_weight)",
     [_x(), _t("prob", dtypes=FLOATS), _w((C,), name="pw", grad=False)],
     lambda L, F, a: F.binary_cross_entropy_with_logits(a["x"], a["t"], pos_weight=a["pw"]),
     lambda L, F, a: L.nn.BCEWithLogitsLoss(pos_weight=a["pw"], reduction="none")(
         a["x"], a["t"]), early=("x",))
_add("binary_cross_entropy_with_logits(weight, pos_weight)",
     [_x(), _t("prob", dtypes=FLOATS), _w(dtypes=FLOATS, grad=False),
      _w((C,), FLOATS, "pw", grad=False)],
     lambda L, F, a: F.binary_cross_entropy_with_logits(a["x"], a["t"], weight=a["w"],
                                                        pos_weight=a["pw"], reduction="sum"),
     early=("x",))
for _log_target in (False, True):
    _add(f"kl_div(log_target={_log_target})",
         [_x(domain="logprob"), _t("logprob" if _log_target else "prob")],
         lambda L, F, a, lt=_log_target: F.kl_div(a["x"], a["t"], reduction="batchmean",
                                                  log_target=lt),
         lambda L, F, a, lt=_log_target: L.nn.KLDivLoss(reduction="none", log_target=lt)(
             a["x"], a["t"]), early=("t",))
_add("poisson_nll_loss(full)", [_x(), _t("count")],
     lambda L, F, a: F.poisson_nll_loss(a["x"], a["t"], full=True, reduction="none"),
     early=("x", "t"))
_add("gaussian_nll_loss", [_x(), _t(), _w(name="v")],
     lambda L, F, a: F.gaussian_nll_loss(a["x"], a["t"], a["v"]),
     lambda L, F, a: L.nn.GaussianNLLLoss(full=True, reduction="none")(a["x"], a["t"], a["v"]),
     early=("v",))
_add("gaussian_nll_loss(var per sample)", [_x(), _t(dtypes=FLOATS), _w((N,), FLOATS, "v")],
     lambda L, F, a: F.gaussian_nll_loss(a["x"], a["t"], a["v"], reduction="sum"),
     early=("v",))
_add("gaussian_nll_loss(var float)", [_x(), _t()],
     lambda L, F, a: F.gaussian_nll_loss(a["x"], a["t"], 0.5))
_add("multilabel_soft_margin_loss(weight)", [_x(), _t("prob"), _w((C,))],
     lambda L, F, a: F.multilabel_soft_margin_loss(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.MultiLabelSoftMarginLoss(weight=a["w"], reduction="none")(
         a["x"], a["t"]), early=("x",))
_add("margin_ranking_loss", [_x((N,), name="x1"), _x((N,), name="x2"), _t("sign", (N,))],
     lambda L, F, a: F.margin_ranking_loss(a["x1"], a["x2"], a["t"], margin=0.5),
     lambda L, F, a: L.nn.MarginRankingLoss(margin=0.5, reduction="none")(a["x1"], a["x2"],
                                                                           a["t"]))
_add("cosine_embedding_loss",
     [_x(name="x1"), _x(name="x2"), _t("sign", (N,), ("float32", "float64", "int64"))],
     lambda L, F, a: F.cosine_embedding_loss(a["x1"], a["x2"], a["t"], margin=0.1),
     lambda L, F, a: L.nn.CosineEmbeddingLoss(margin=0.1, reduction="none")(a["x1"], a["x2"],
                                                                             a["t"]))
_add("triplet_margin_loss", [_x(name="a"), _x(name="p"), _x(name="n")],
     lambda L, F, a: F.triplet_margin_loss(a["a"], a["p"], a["n"], margin=2.0),
     lambda L, F, a: L.nn.TripletMarginLoss(margin=2.0, swap=True, reduction="none")(
         a["a"], a["p"], a["n"]), early=("a", "p", "n"))
_add("triplet_margin_with_distance_loss", [_x(name="a"), _x(name="p"), _x(name="n")],
     lambda L, F, a: F.triplet_margin_with_distance_loss(a["a"], a["p"], a["n"], margin=2.0),
     lambda L, F, a: L.nn.TripletMarginWithDistanceLoss(margin=2.0, reduction="none")(
         a["a"], a["p"], a["n"]), early=("a", "p", "n"))
# class probabilities and class indices
_add("cross_entropy(probabilities)", [_x(), _t("distribution", dtypes=FLOATS + ("int64",))],
     lambda L, F, a: F.cross_entropy(a["x"], a["t"]),
     lambda L, F, a: L.nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none")(a["x"],
                                                                                  a["t"]),
     early=("x", "t"))
_add("cross_entropy(probabilities, weight)",
     [_x(), _t("distribution", dtypes=FLOATS), _w((C,), FLOATS)],
     lambda L, F, a: F.cross_entropy(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.CrossEntropyLoss(weight=a["w"], reduction="sum")(a["x"], a["t"]),
     early=("x",))
_add("cross_entropy(indices)", [_x(), _t("index", (N,), INDICES)],
     lambda L, F, a: F.cross_entropy(a["x"], a["t"]),
     lambda L, F, a: L.nn.CrossEntropyLoss(label_smoothing=0.2)(a["x"], a["t"]))
_add("cross_entropy(indices, weight)", [_x(), _t("index", (N,), ("int64", "int32", "uint8")),
                                        _w((C,), FLOATS + ("int64",), grad=False)],
     lambda L, F, a: F.cross_entropy(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.CrossEntropyLoss(weight=a["w"], label_smoothing=0.1,
                                           reduction="none")(a["x"], a["t"]))
_add("nll_loss", [_x(domain="logprob"), _t("index", (N,), INDICES)],
     lambda L, F, a: F.nll_loss(a["x"], a["t"]),
     lambda L, F, a: L.nn.NLLLoss(reduction="none")(a["x"], a["t"]))
_add("nll_loss(weight)", [_x(domain="logprob"), _t("index", (N,), ("int64", "int32", "uint8")),
                          _w((C,), FLOATS + ("int64",), grad=False)],
     lambda L, F, a: F.nll_loss(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.NLLLoss(weight=a["w"], reduction="sum")(a["x"], a["t"]))
_add("multi_margin_loss", [_x(), _t("index", (N,), INDICES)],
     lambda L, F, a: F.multi_margin_loss(a["x"], a["t"]),
     lambda L, F, a: L.nn.MultiMarginLoss(p=2, reduction="none")(a["x"], a["t"]))
_add("multi_margin_loss(weight)", [_x(), _t("index", (N,), ("int64", "int32")),
                                   _w((C,), FLOATS + ("int64",), grad=False)],
     lambda L, F, a: F.multi_margin_loss(a["x"], a["t"], weight=a["w"]),
     lambda L, F, a: L.nn.MultiMarginLoss(weight=a["w"], reduction="sum")(a["x"], a["t"]))
_add("multilabel_margin_loss", [_x(), _t("multilabel", (N, C), INDICES)],
     lambda L, F, a: F.multilabel_margin_loss(a["x"], a["t"]),
     lambda L, F, a: L.nn.MultiLabelMarginLoss(reduction="none")(a["x"], a["t"]))
_add("ctc_loss",
     [_x((T, N, C), "logprob"),
      _t("labels", (N, 3), ("int64", "int32", "uint8", "float32"), grad=False),
      _t("lengths", (N,), ("int64", "int32", "float32"), name="il", grad=False),
      _t("target_lengths", (N,), ("int64", "int32"), name="tl")],
     lambda L, F, a: F.ctc_loss(a["x"].log_softmax(2), a["t"], a["il"], a["tl"]),
     lambda L, F, a: L.nn.CTCLoss(reduction="sum")(a["x"].log_softmax(2), a["t"], a["il"],
                                                   a["tl"]))


def _combinations():
    """Each case with its targets and weights requiring grad (where PyTorch differentiates them)
    and not (chainrule once kept a target that requires grad as it was but converted one that
    does not to the input's dtype): a loss with a module, the functional form one way and the
    module the other."""
    with_module = {c.name[:-len("[module]")] for c in CASES if c.name.endswith("[module]")}
    for case in CASES:
        module = case.name.endswith("[module]")
        for dtypes in itertools.product(*(s.dtypes for s in case.slots)):
            for frozen in (True,) if module else (False,) if case.name in with_module else (
                    False, True):
                label = f"{case.name}-{'/'.join(dtypes)}" + ("-frozen" if frozen else "")
                yield pytest.param(case, dtypes, frozen, id=label)


@pytest.mark.parametrize(("case", "dtypes", "frozen"), list(_combinations()))
def test_loss_dtypes_match_pytorch(case: Case, dtypes: tuple, frozen: bool) -> None:
    difference = compare(case, dtypes, frozen=frozen)
    assert difference is None, difference


# ------------------------------------------------------------- chainrule's conveniences kept
@pytest.mark.parametrize("dtype", FLOATS)
def test_a_list_or_numpy_target_is_taken_in_the_inputs_dtype(dtype: str) -> None:
    """Not a Tensor, so no dtype of its own in PyTorch's sense: the input's dtype (as before)."""
    x = cr.tensor(np.array([[0.2, 0.7], [0.4, 0.9]], dtype=dtype), requires_grad=True)
    F = cr.nn.functional
    for target in ([[0.0, 1.0], [1.0, 0.0]], np.array([[0.0, 1.0], [1.0, 0.0]])):
        for loss in (F.mse_loss(x, target), F.l1_loss(x, target), F.huber_loss(x, target),
                     F.binary_cross_entropy(x, target), F.kl_div(x, target),
                     F.binary_cross_entropy_with_logits(x, target, weight=np.ones(2),
                                                        pos_weight=[2.0, 1.0]),
                     F.poisson_nll_loss(x, target, full=True), F.soft_margin_loss(x, target),
                     F.gaussian_nll_loss(x, target, np.full((2, 2), 0.5)),
                     F.multilabel_soft_margin_loss(x, target, weight=[1.0, 2.0]),
                     F.cross_entropy(x, target), F.cross_entropy(x, target, weight=[1.0, 2.0])):
            assert loss.dtype == np.dtype(dtype)
            loss.backward()
            assert x.grad.dtype == np.dtype(dtype)
    # class indices of any integer dtype, and class weights, as lists or NumPy arrays
    for indices in ([0, 1], np.array([0, 1], dtype=np.int32), np.array([0, 1], np.int16)):
        for loss in (F.cross_entropy(x, indices, weight=np.array([1.0, 2.0])),
                     F.nll_loss(x, indices, weight=[1.0, 2.0]),
                     F.multi_margin_loss(x, indices, weight=np.array([1.0, 2.0]))):
            assert loss.dtype == np.dtype(dtype)


def test_ctc_lengths_as_lists_stay_accepted() -> None:
    lp = cr.tensor(np.log(np.full((4, 2, 3), 1 / 3)), requires_grad=True)
    loss = cr.nn.functional.ctc_loss(lp, [[1, 2], [1, 1]], [4, 4], [2, 2])
    expected = torch.nn.functional.ctc_loss(torch.tensor(lp.numpy()),
                                            torch.tensor([[1, 2], [1, 1]]), [4, 4], [2, 2])
    assert np.allclose(loss.item(), expected.item(), rtol=1e-12)


@pytest.mark.parametrize(("name", "args", "kwargs", "kernel"), [
    ("binary_cross_entropy_with_logits", lambda x: (x, x.detach().sigmoid()), {},
     "binary_cross_entropy_with_logits"),
    ("binary_cross_entropy_with_logits", lambda x: (x, x.detach().sigmoid()),
     {"pos_weight": True}, "binary_cross_entropy_with_logits"),
    ("cross_entropy", lambda x: (x, x.detach().softmax(1)), {}, "softmax_cross_entropy"),
    ("cross_entropy", lambda x: (x, x.detach().softmax(1)), {"weight": True},
     "softmax_cross_entropy"),
    ("kl_div", lambda x: (x, x.detach().exp()), {}, "kl_div"),
    ("huber_loss", lambda x: (x, x.detach() * 2), {}, "huber_loss"),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_agreeing_dtypes_keep_the_fused_kernels(name, args, kwargs, kernel, dtype) -> None:
    """Only a mixture of dtypes takes PyTorch's composites; one dtype runs the fused primitive."""
    x = cr.tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype(dtype), requires_grad=True)
    kwargs = {k: cr.ones(3, dtype=x.dtype) for k in kwargs}
    out = getattr(cr.nn.functional, name)(*args(x), reduction="none", **kwargs)
    assert out.dtype == np.dtype(dtype)
    assert f"grad_fn=<{kernel}>" in repr(out), repr(out)


def test_huber_loss_of_mixed_dtypes_has_no_derivative_as_in_pytorch() -> None:
    x = cr.tensor(np.array([0.5, 2.0], np.float32), requires_grad=True)
    loss = cr.nn.functional.huber_loss(x, cr.tensor(np.array([0.0, 0.0])))
    assert loss.dtype == np.float32
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        loss.backward()
