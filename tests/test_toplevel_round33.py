"""Top-level ``torch.*`` names added in round 33, each compared with PyTorch in float64: the
in-place functions (``torch.exp_(x) is x``), ``torch.fill``, the ``*_copy`` views, ATen's losses
with an integer reduction, the nn spellings (``torch.batch_norm``, ``torch.embedding``, the
dropout family), and the utilities (``unravel_index``, ``gradient``, ``asarray``, DLPack,
``vander``, ``typename``, ``histogramdd``, the deprecated norms, the run-time switches).

Each program ``fn(L, *tensors)`` runs on both libraries; results (values, dtypes, shapes,
Python values) and the gradients of ⟨w, outputs⟩ must agree, or both must raise.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import top_level_losses, top_level_more
from chainrule.ops import toplevel_inplace, utilities_more, view_copies

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)


def _tensors(result) -> list:
    if isinstance(result, (torch.Tensor, cr.Tensor)):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _tensors(r)]
    return []


def _plain(result):
    """Results as NumPy arrays and Python values (structure kept)."""
    if isinstance(result, (torch.Tensor, cr.Tensor)):
        return np.asarray(result.detach().numpy())
    if isinstance(result, (tuple, list)):
        return [_plain(r) for r in result]
    return result


def _equal(a, b, where, rtol=1e-12):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{where}: {type(b)}"
        assert a.shape == b.shape and a.dtype == b.dtype, f"{where}: {a.shape} {a.dtype} vs " \
                                                          f"{b.shape} {b.dtype}"
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{where}[{i}]", rtol)
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def both(fn, *arrays, grad=(), rtol=1e-12, seed=None):
    """Run ``fn(L, *tensors)`` on PyTorch and chainrule; compare results and gradients."""
    runs = {}
    for L in (torch, cr):
        args = [(torch.tensor(a) if L is torch else cr.tensor(a)) if isinstance(a, np.ndarray)
                else a for a in arrays]
        for i in grad:
            args[i].requires_grad_(True)
        if seed is not None:
            L.manual_seed(seed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn(L, *args)
        except Exception as exc:  # noqa: BLE001  (both must raise)
            runs[L] = exc
            continue
        grads = []
        outs = [t for t in _tensors(result) if t.requires_grad]
        if grad and outs:
            w = np.random.default_rng(1)
            total = sum((t * (torch.tensor if L is torch else cr.tensor)(
                w.standard_normal(tuple(t.shape)).astype(str(t.dtype).rpartition(".")[2])))
                .sum() for t in outs)
            total.backward()
            grads = [None if args[i].grad is None else np.asarray(args[i].grad.numpy())
                     for i in grad]
        runs[L] = (_plain(result), grads)
    t, c = runs[torch], runs[cr]
    if isinstance(t, Exception) or isinstance(c, Exception):
        assert isinstance(t, Exception) and isinstance(c, Exception), \
            f"PyTorch: {t!r}; chainrule: {c!r}"
        return t, c
    _equal(c[0], t[0], "result", rtol)
    for i, (gc, gt) in enumerate(zip(c[1], t[1])):
        if gt is None:
            assert gc is None or not np.any(gc), f"gradient {i}: PyTorch has none"
        else:
            assert gc is not None, f"gradient {i}: chainrule has none"
            _equal(gc, gt, f"gradient {i}", 1e-10)
    return t, c


X = RNG.standard_normal((3, 4))
U = RNG.uniform(0.1, 0.9, (3, 4))


# ----------------------------------------------------------------------------- in place
_DOMAIN = {**{n: U for n in ("acos_", "asin_", "atanh_", "arccos_", "arcsin_", "arctanh_",
                             "logit_")},
           **{n: U + 1 for n in ("acosh_", "arccosh_")},
           **{n: U * 3 for n in ("log_", "log10_", "log1p_", "log2_", "sqrt_", "rsqrt_",
                                 "reciprocal_")}}
_ARGS = {
    "addmv_": (lambda L, x, m, v: L.addmv_(x, m, v, beta=0.5, alpha=2), X[:, 0].copy(),
               RNG.standard_normal((3, 5)), RNG.standard_normal(5)),
    "clamp_": (lambda L, x: L.clamp_(x, -0.5, 0.5), X),
    "clamp_max_": (lambda L, x: L.clamp_max_(x, 0.3), X),
    "clamp_min_": (lambda L, x: L.clamp_min_(x, -0.3), X),
    "clip_": (lambda L, x: L.clip_(x, min=-0.2), X),
    "fill_": (lambda L, x: L.fill_(x, 2.5), X),
    "gcd_": (lambda L, a, b: L.gcd_(a, b), RNG.integers(1, 30, 6), RNG.integers(1, 30, 6)),
    "lcm_": (lambda L, a, b: L.lcm_(a, b), RNG.integers(1, 30, 6), RNG.integers(1, 30, 6)),
    "index_put_": (lambda L, x, i, v: L.index_put_(x, (i,), v, accumulate=True), X,
                   np.array([0, 2, 0]), RNG.standard_normal((3, 4))),
    "nan_to_num_": (lambda L, x: L.nan_to_num_(x, nan=0.5, posinf=9.0),
                    np.array([1.0, np.nan, np.inf, -np.inf])),
    "round_": (lambda L, x: L.round_(x, decimals=1), X),
    "xlogy_": (lambda L, x, y: L.xlogy_(x, y), X, U),
    "logit_": (lambda L, x: L.logit_(x, eps=0.2), U),
}
# PyTorch 2.13 has no derivative for these in-place forms; chainrule's is the function's own
_NO_TORCH_DERIVATIVE = {"acosh_", "arccosh_", "asinh_", "arcsinh_", "atanh_", "arctanh_"}


def _inplace_case(name):
    if name in _ARGS:
        return _ARGS[name]
    return (lambda L, x: getattr(L, name)(x)), _DOMAIN.get(name, X)


@pytest.mark.parametrize("name", toplevel_inplace.INPLACE)
def test_inplace_function_writes_into_input_and_returns_it(name):
    fn, *arrays = _inplace_case(name)
    both(lambda L, *a: (lambda r: (r, r is a[0], a[0]))(fn(L, *a)), *arrays)


@pytest.mark.parametrize("name", [n for n in toplevel_inplace.INPLACE
                                  if n not in ("gcd_", "lcm_")])
def test_inplace_function_on_leaf_and_in_graph(name):
    fn, *arrays = _inplace_case(name)
    both(fn, *arrays, grad=(0,))                    # a leaf requiring grad: both raise (or
    if name not in _NO_TORCH_DERIVATIVE:            # detach_/zero_/fill_: both allow it)
        both(lambda L, x, *a: fn(L, x * 1.0, *a), *arrays, grad=(0,))


def test_inplace_functions_cover_torch_and_reject_non_tensors():
    missing = [n for n in dir(torch) if n.endswith("_") and not n.startswith("_")
               and hasattr(cr.Tensor, n) and not hasattr(cr, n)]
    assert missing == []
    with pytest.raises(TypeError):
        cr.exp_(1.0)
    with pytest.raises(TypeError):
        torch.exp_(1.0)


@pytest.mark.parametrize("value", [2.7, True, -3])
@pytest.mark.parametrize("array", [X, np.array([1, 2, 3]), np.array([True, False])])
def test_fill_is_a_new_tensor_of_input_dtype(array, value):
    both(lambda L, x: (lambda y: (y, y is x, x))(L.fill(x, value)), array)


def test_fill_gradients_and_tensor_values():
    both(lambda L, x, v: L.fill(x, v), X, np.array(1.5), grad=(0, 1))
    both(lambda L, x: L.fill(x, 0.25), X, grad=(0,))
    both(lambda L, x, v: L.fill(x, v), X, np.array([1.5, 2.0]))          # raises: not 0-d


# ----------------------------------------------------------------------------- view copies
Y = RNG.standard_normal((2, 3, 4))
_COPIES = [
    ("alias_copy", lambda L, x: L.alias_copy(x)),
    ("detach_copy", lambda L, x: L.detach_copy(x)),
    ("diagonal_copy", lambda L, x: L.diagonal_copy(x, 1, 1, 2)),
    ("diagonal_copy", lambda L, x: L.diagonal_copy(x, dim1=0, dim2=2)),
    ("diagonal_copy", lambda L, x: L.diagonal_copy(x, 10)),
    ("diagonal_copy", lambda L, x: L.diagonal_copy(x, 0, 1, 1)),
    ("expand_copy", lambda L, x: L.expand_copy(x[:, :1], (2, 5, 4))),
    ("expand_copy", lambda L, x: L.expand_copy(x[:, :1], size=[3, 2, -1, 4])),
    ("expand_copy", lambda L, x: L.expand_copy(x, (3, 4))),
    ("expand_copy", lambda L, x: L.expand_copy(x, 2, 3, 4)),
    ("permute_copy", lambda L, x: L.permute_copy(x, (2, 0, 1))),
    ("permute_copy", lambda L, x: L.permute_copy(x, [-1, 0, 1])),
    ("permute_copy", lambda L, x: L.permute_copy(x, (0, 1))),
    ("permute_copy", lambda L, x: L.permute_copy(x, 2, 0, 1)),
    ("select_copy", lambda L, x: L.select_copy(x, 1, -1)),
    ("select_copy", lambda L, x: L.select_copy(x, dim=2, index=1)),
    ("select_copy", lambda L, x: L.select_copy(x, 1, 3)),
    ("slice_copy", lambda L, x: L.slice_copy(x, 2, 1, None, 2)),
    ("slice_copy", lambda L, x: L.slice_copy(x, 2, -3, 100)),
    ("slice_copy", lambda L, x: L.slice_copy(x, 2, 3, 1)),
    ("slice_copy", lambda L, x: L.slice_copy(x)),
    ("slice_copy", lambda L, x: L.slice_copy(x, 2, 0, 4, -1)),
    ("slice_copy", lambda L, x: L.slice_copy(x, dim=-1, start=1, step=2)),
    ("split_copy", lambda L, x: L.split_copy(x, 2, 1)),
    ("split_copy", lambda L, x: L.split_copy(x, split_size=3, dim=-1)),
    ("split_copy", lambda L, x: L.split_copy(x, [1, 2], 1)),
    ("split_with_sizes_copy", lambda L, x: L.split_with_sizes_copy(x, [1, 2], 1)),
    ("split_with_sizes_copy", lambda L, x: L.split_with_sizes_copy(x, [1, 1], 1)),
    ("squeeze_copy", lambda L, x: L.squeeze_copy(x.reshape(2, 1, 3, 1, 4))),
    ("squeeze_copy", lambda L, x: L.squeeze_copy(x.reshape(2, 1, 3, 1, 4), (1, 3))),
    ("squeeze_copy", lambda L, x: L.squeeze_copy(x.reshape(2, 1, 3, 1, 4), 1)),
    ("squeeze_copy", lambda L, x: L.squeeze_copy(x.reshape(2, 1, 3, 1, 4), dim=0)),
    ("t_copy", lambda L, x: L.t_copy(x[0])),
    ("t_copy", lambda L, x: L.t_copy(x[0, 0])),
    ("t_copy", lambda L, x: L.t_copy(x)),
    ("transpose_copy", lambda L, x: L.transpose_copy(x, 0, 2)),
    ("transpose_copy", lambda L, x: L.transpose_copy(x, 0, 3)),
    ("unbind_copy", lambda L, x: L.unbind_copy(x, 1)),
    ("unbind_copy", lambda L, x: L.unbind_copy(x)),
    ("unfold_copy", lambda L, x: L.unfold_copy(x, 2, 2, 1)),
    ("unfold_copy", lambda L, x: L.unfold_copy(x, 2, 5, 1)),
    ("unsqueeze_copy", lambda L, x: L.unsqueeze_copy(x, -1)),
    ("unsqueeze_copy", lambda L, x: L.unsqueeze_copy(x, dim=1)),
    ("view_copy", lambda L, x: L.view_copy(x, (4, 6))),
    ("view_copy", lambda L, x: L.view_copy(x.transpose(0, 1), (-1,))),
    ("view_copy", lambda L, x: L.view_copy(x, 24)),
    ("view_copy", lambda L, x: L.view_copy(x, (5, 5))),
]


@pytest.mark.parametrize(("name", "fn"), _COPIES, ids=[n for n, _ in _COPIES])
def test_view_copy_values_gradients_and_fresh_memory(name, fn):
    both(fn, Y, grad=() if name == "detach_copy" else (0,))

    def layout(L, x):
        r = fn(L, x)
        return [(t.is_contiguous(), np.shares_memory(t.detach().numpy(), x.numpy()))
                for t in (r if isinstance(r, (tuple, list)) else [r])]
    both(layout, Y)


def test_view_copy_dtype_and_names():
    both(lambda L, x: L.view_copy(x, L.int64), Y)
    both(lambda L, x: L.view_copy(x.transpose(0, 1), L.int32), Y)
    assert set(view_copies.NAMES) == {n for n in dir(torch) if n.endswith("_copy")
                                      and hasattr(cr, n)} - {"index_copy", "narrow_copy"}
    # PyTorch marks detach_copy's result as requiring grad, then refuses to differentiate it;
    # chainrule's is simply detached: backward raises in both
    for L in (torch, cr):
        x = L.ones(3, dtype=L.float64, requires_grad=True)
        with pytest.raises(RuntimeError):
            L.detach_copy(x).sum().backward()


# ----------------------------------------------------------------------------- losses
T01 = RNG.uniform(0, 1, (4, 3))
SIGNS = np.sign(RNG.standard_normal(4))
LOG_PROBS = RNG.standard_normal((6, 2, 5))
LOG_PROBS = LOG_PROBS - np.log(np.exp(LOG_PROBS).sum(-1, keepdims=True))
TARGETS = np.array([[1, 2, 2], [3, 4, 0]])
_LOSSES = [
    ("bce", lambda L, a, b, r: L.binary_cross_entropy_with_logits(a, b, reduction=r), (X, U)),
    ("bce weights", lambda L, a, b, r: L.binary_cross_entropy_with_logits(
        a, b, L.ones(4, dtype=L.float64) * 0.5, L.ones(4, dtype=L.float64) * 2, r), (X, U)),
    ("cosine", lambda L, a, b, y, r: L.cosine_embedding_loss(a, b, y[:3], 0.1, r), (X, U, SIGNS)),
    ("hinge", lambda L, a, y, r: L.hinge_embedding_loss(a, y, 0.5, r), (X[:, 0].copy(),
                                                                         SIGNS[:3])),
    ("kl", lambda L, a, b, r: L.kl_div(a, b, r), (X, U)),
    ("kl log_target", lambda L, a, b, r: L.kl_div(a, b, r, log_target=True), (X, X * 0.5)),
    ("margin_ranking", lambda L, a, b, y, r: L.margin_ranking_loss(a, b, y, 0.2, r),
     (X[:, 0].copy(), X[:, 1].copy(), SIGNS[:3])),
    ("poisson full", lambda L, a, b, r: L.poisson_nll_loss(a, b, True, True, 1e-8, r),
     (X, U * 3)),
    ("poisson rates", lambda L, a, b, r: L.poisson_nll_loss(a, b, False, False, 1e-3, r),
     (U, U * 3)),
    ("triplet swap", lambda L, a, b, c, r: L.triplet_margin_loss(a, b, c, 1.0, 2.0, 1e-6, True,
                                                                 r), (X, U, X * 0.3)),
    ("ctc", lambda L, lp, t, r: L.ctc_loss(lp, t, [6, 5], [3, 2], 0, r, False),
     (LOG_PROBS, TARGETS)),
    ("ctc tensor lengths", lambda L, lp, t, r: L.ctc_loss(
        lp, t, L.tensor([6, 5]), L.tensor([3, 2]), reduction=r), (LOG_PROBS, TARGETS)),
]


@pytest.mark.parametrize("reduction", [0, 1, 2, 3, -1])
@pytest.mark.parametrize(("label", "fn", "arrays"), _LOSSES, ids=[c[0] for c in _LOSSES])
def test_loss_with_integer_reduction(label, fn, arrays, reduction):
    floats = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    both(lambda L, *a: fn(L, *a, reduction), *arrays, grad=floats)


@pytest.mark.parametrize("name", top_level_losses.NAMES)
def test_loss_default_is_no_reduction_and_reduction_must_be_an_int(name):
    args = {"binary_cross_entropy_with_logits": (X, U), "cosine_embedding_loss": (X, U, SIGNS[:3]),
            "ctc_loss": (LOG_PROBS, TARGETS, [6, 5], [3, 2]), "hinge_embedding_loss": (X, U),
            "kl_div": (X, U), "margin_ranking_loss": (X, U, X), "triplet_margin_loss": (X, U, X),
            "poisson_nll_loss": (X, U, True, False, 1e-8)}[name]
    if name != "poisson_nll_loss":      # every argument of poisson_nll_loss is required
        both(lambda L, *a: getattr(L, name)(*a), *args, grad=(0,))
    for bad in ("mean", True, 1.0):
        t, c = both(lambda L, *a, r=bad: getattr(L, name)(*a, reduction=r), *args)
        assert isinstance(c, TypeError), c
    both(lambda L, *a: getattr(L, name)(*a), *args[:2])     # too few for most: both raise


# ----------------------------------------------------------------------------- nn spellings
Z = RNG.standard_normal((2, 3, 8))
W3, B3 = RNG.uniform(0.5, 1.5, 3), RNG.standard_normal(3)


def _with_stats(op, flag):
    def run(L, x, w, b):
        mean, var = L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64)
        return getattr(L, op)(x, w, b, mean, var, flag, 0.2, 1e-3, True), mean, var
    return run


@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("op", ["batch_norm", "instance_norm"])
def test_batch_norm_and_instance_norm_positional_signatures(op, flag):
    both(_with_stats(op, flag), Z, W3, B3, grad=(0, 1, 2))
    both(lambda L, x: getattr(L, op)(x, None, None, None, None, True, 0.1, 1e-5, False), Z,
         grad=(0,))
    both(lambda L, x: getattr(L, op)(x, None, None, None, None, False, 0.1, 1e-5, False), Z)
    both(lambda L, x: getattr(L, op)(x, None, None, None, None, True, 0.1, 1e-5), Z)


EMB, IDX = RNG.standard_normal((5, 3)), np.array([[0, 1, 4], [4, 4, 2]])


@pytest.mark.parametrize("call", [
    lambda L, w, i: L.embedding(w, i), lambda L, w, i: L.embedding(w, i, 4),
    lambda L, w, i: L.embedding(w, i, -2), lambda L, w, i: L.embedding(w, i, 7),
    lambda L, w, i: L.embedding(w, i + 1), lambda L, w, i: L.embedding(w, i * 1.0)],
    ids=["plain", "padding 4", "padding -2: none", "padding 7: none", "out of range",
         "float indices"])
def test_embedding_weight_first(call):
    both(call, EMB, IDX, grad=(0,))


def test_embedding_scale_grad_by_freq_matches_pytorch():
    both(lambda L, w, i: L.embedding(w, i, -1, True), EMB, IDX, grad=(0,))


@pytest.mark.parametrize("call", [
    lambda L, x: L.rms_norm(x, [8]), lambda L, x: L.rms_norm(x, (3, 8), L.ones(3, 8) * 2, 1e-2),
    lambda L, x: L.rms_norm(x, [3]),
    lambda L, x: L.constant_pad_nd(x, [1, 2], 3.0), lambda L, x: L.constant_pad_nd(x, [1, -2]),
    lambda L, x: L.constant_pad_nd(x, (1, 1, 0, 2), -1),
    lambda L, x: L.constant_pad_nd(x.long(), [1, 1], 2.5),
    lambda L, x: L.constant_pad_nd(x, [1] * 8),
    lambda L, x: L.adaptive_max_pool1d(x, 3), lambda L, x: L.adaptive_max_pool1d(x, (5,)),
    lambda L, x: L.adaptive_max_pool1d(x[0], 3),
    lambda L, x: type(L.adaptive_max_pool1d(x, 3)).__name__,
    lambda L, x: L.max_pool1d_with_indices(x, 2), lambda L, x: L.max_pool1d_with_indices(
        x, 3, 2, 1, 1, True), lambda L, x: L.max_pool1d_with_indices(x, 2, stride=1, padding=1,
                                                                       dilation=2),
    lambda L, x: type(L.max_pool1d_with_indices(x, 2)).__name__])
def test_norm_pad_and_pool_spellings(call):
    both(call, Z, grad=(0,))


def _seeded_identity(name, *args):
    return lambda L, x: (lambda y: (getattr(L, name)(y, *args) is y, y))(x.clone())


@pytest.mark.parametrize(("fn", "grad"), [
    (lambda L, x: L.feature_dropout(x, 0.4, True), (0,)),
    (lambda L, x: L.feature_dropout(x.reshape(2, 3, 2, 4), 0.4, True), (0,)),
    (lambda L, x: L.feature_dropout(x[0], 0.4, True), (0,)),
    (lambda L, x: L.feature_dropout(x, 1.0, True), (0,)),
    (lambda L, x: (lambda y: (y, y is x))(L.feature_dropout(x, 0.4, False)), ()),
    (lambda L, x: L.feature_dropout(x[0, 0], 0.4, True), ()),
    (lambda L, x: L.feature_dropout(x, 1.4, False), ()),
    (_seeded_identity("dropout_", 0.3, True), ()),
    (lambda L, x: L.dropout_(x * 1.0, 0.3, True), (0,)),
    (lambda L, x: L.dropout_(x, 0.3, True), (0,)),
    (lambda L, x: L.dropout_(x, 0.3, False) is x, (0,)),
    (lambda L, x: L.dropout_(x, -0.3, False), ()),
    (_seeded_identity("feature_dropout_", 0.3, True), ()),
    (lambda L, x: L.feature_dropout_(x * 1.0, 0.3, True), (0,)),
    (_seeded_identity("alpha_dropout_", 0.3, False), ()),
    (_seeded_identity("alpha_dropout_", 1.0, True), ()),
    (_seeded_identity("feature_alpha_dropout_", 1.0, True), ()),
    (lambda L, x: L.feature_alpha_dropout(x, 1.0, True), ()),
    (lambda L, x: L.feature_alpha_dropout(x, 0.5, False) is x, ()),
    (lambda L, x: L.feature_alpha_dropout(x[0, 0], 0.5, True), ()),
    (lambda L, x: L.alpha_dropout_(x, 0.5, True), (0,)),
])
def test_dropout_family_seeded_as_pytorch(fn, grad):
    both(fn, Z, grad=grad, seed=3)


@pytest.mark.parametrize("name", ["alpha_dropout_", "feature_alpha_dropout_"])
def test_alpha_dropout_in_place_keeps_selu_statistics(name):
    x = cr.randn(200, 50, 4, dtype=cr.float64)
    assert getattr(cr, name)(x, 0.2, True) is x
    values = x.numpy()
    assert abs(values.mean()) < 0.05 and abs(values.std() - 1) < 0.05
    if name.startswith("feature"):           # whole channels share one mask entry
        assert np.all(np.ptp(values - values[..., :1], axis=-1) >= 0)


# ----------------------------------------------------------------------------- unravel_index
FLAT = np.array([[4, 1, -1], [7, 13, 0]])


@pytest.mark.parametrize("call", [
    lambda L, i: L.unravel_index(i, (3, 2)), lambda L, i: L.unravel_index(i, 3),
    lambda L, i: L.unravel_index(i[0, 0], (3, 2)),
    lambda L, i: L.unravel_index(i * 1000, (10, 10, 10, 10)),
    lambda L, i: L.unravel_index(i, ()), lambda L, i: L.unravel_index(i, L.Size([2, 3])),
    lambda L, i: L.unravel_index(i.to(L.int32), (3, 2)),
    lambda L, i: L.unravel_index(i.abs().to(L.uint8), (3, 2)),
    lambda L, i: L.unravel_index(i * 1.0, (3, 2)), lambda L, i: L.unravel_index(i > 0, (3, 2)),
    lambda L, i: L.unravel_index(i, (3, -2)), lambda L, i: L.unravel_index(i, (0, 2)),
    lambda L, i: L.unravel_index(i, (3.0, 2)), lambda L, i: L.unravel_index(3, (3, 2))])
def test_unravel_index(call):
    both(call, FLAT)


# ----------------------------------------------------------------------------- gradient
G = np.array([[1.0, 2, 4, 8], [10, 20, 40, 80]]) + RNG.standard_normal((2, 4))
C0, C1 = np.array([0.0, 1.5]), np.array([0.0, 1, 3, 7.5])
_GRADIENT = [
    ("default", lambda L, x: L.gradient(x), [G]),
    ("dim", lambda L, x: L.gradient(x, dim=1), [G]),
    ("dim list", lambda L, x: L.gradient(x, dim=[1, 0]), [G]),
    ("spacing", lambda L, x: L.gradient(x, spacing=2.0), [G]),
    ("int spacing", lambda L, x: L.gradient(x, spacing=3), [G]),
    ("spacing list", lambda L, x: L.gradient(x, spacing=[2.0, -3.0]), [G]),
    ("spacing and dim", lambda L, x: L.gradient(x, spacing=(2,), dim=1), [G]),
    ("coordinates", lambda L, x, a, b: L.gradient(x, spacing=[a, b]), [G, C0, C1]),
    ("coordinates, dim", lambda L, x, b: L.gradient(x, spacing=(b,), dim=1), [G, C1]),
    ("edge 2", lambda L, x: L.gradient(x, dim=1, edge_order=2), [G]),
    ("edge 2 spacing", lambda L, x: L.gradient(x, dim=-1, edge_order=2, spacing=0.7), [G]),
    ("edge 2 coordinates", lambda L, x, b: L.gradient(x, dim=1, edge_order=2, spacing=[b]),
     [G, C1]),
    ("3-d edge 2", lambda L, x: L.gradient(x, spacing=[0.5, 2.0, 1.5], edge_order=2),
     [RNG.standard_normal((3, 4, 5))]),
    ("float32, float64 coordinates", lambda L, x, a, b: L.gradient(x.float(), spacing=[a, b]),
     [G, C0, C1]),
    ("integer coordinates", lambda L, x: L.gradient(x, spacing=[L.tensor([0, 1]),
                                                                 L.tensor([0, 1, 3, 7])]), [G]),
    ("integers", lambda L, x: L.gradient(x), [np.array([1, 2, 4, 9])]),
    ("integers, spacing", lambda L, x: L.gradient(x, spacing=2), [np.array([1, 2, 4, 9])]),
    ("integers, edge 2", lambda L, x: L.gradient(x, edge_order=2), [np.array([1, 2, 4, 9])]),
    ("0-d", lambda L, x: L.gradient(x[0, 0]), [G]),
    ("edge 2 too short", lambda L, x: L.gradient(x, edge_order=2), [G]),
    ("edge 3", lambda L, x: L.gradient(x, edge_order=3), [G]),
    ("spacing length", lambda L, x: L.gradient(x, spacing=[2.0]), [G]),
    ("repeated dim", lambda L, x: L.gradient(x, dim=(0, 0)), [G]),
    ("dim out of range", lambda L, x: L.gradient(x, dim=2), [G]),
    ("a tensor as spacing", lambda L, x, b: L.gradient(x, spacing=b, dim=1), [G, C1]),
    ("0-d coordinates", lambda L, x: L.gradient(x, spacing=[L.tensor(1.0), L.tensor(2.0)]), [G]),
    ("mixed spacing", lambda L, x, b: L.gradient(x, spacing=[1, b]), [G, C1]),
    ("spacing None", lambda L, x: L.gradient(x, spacing=None, dim=0), [G]),
    ("spacing True", lambda L, x: L.gradient(x, spacing=True), [G]),
]


@pytest.mark.parametrize(("label", "fn", "arrays"), _GRADIENT, ids=[c[0] for c in _GRADIENT])
def test_gradient(label, fn, arrays):
    floats = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    # values to the bit (the same operations in the same order); float32 gradients to rounding
    t, c = both(fn, *arrays, rtol=0 if "float32" not in label else 1e-6)
    if floats and not isinstance(t, Exception) and "float32" not in label:
        both(fn, *arrays, grad=floats)


# ----------------------------------------------------------------------------- vander
V = np.array([1.5, 0.0, -2.0, 3.0])


@pytest.mark.parametrize("call", [
    lambda L, x: L.vander(x), lambda L, x: L.vander(x, 2), lambda L, x: L.vander(x, N=0),
    lambda L, x: L.vander(x, 1), lambda L, x: L.vander(x, 5, True),
    lambda L, x: L.vander(x.long()), lambda L, x: L.vander(x.int(), 3),
    lambda L, x: L.vander(x > 0), lambda L, x: L.vander(x.float()),
    lambda L, x: L.vander(x.abs().to(L.uint8)), lambda L, x: L.vander(x[:0]),
    lambda L, x: L.vander(x[None]), lambda L, x: L.vander(x[0]), lambda L, x: L.vander(x, -1)])
def test_vander(call):
    both(call, V, rtol=0)


def test_vander_is_differentiable_where_pytorch_raises():
    x = cr.tensor(V, requires_grad=True)
    (cr.vander(x, 4, increasing=True) * cr.arange(16.0).reshape(4, 4).double()).sum().backward()
    # Σₖ wᵢₖ·k·x^{k−1}, wᵢₖ = 4i + k
    expected = np.array([sum((4 * i + k) * k * V[i] ** (k - 1) for k in range(1, 4))
                         for i in range(4)])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    assert cr.gradcheck(lambda t: cr.vander(t, 3), V)


# ----------------------------------------------------------------------------- histogramdd
PTS, PTS3 = RNG.uniform(0, 1, (20, 2)), RNG.uniform(0, 1, (4, 5, 3))
_HIST = [
    ("int", lambda L, x: L.histogramdd(x, 3), [PTS]),
    ("ints", lambda L, x: L.histogramdd(x, [2, 5]), [PTS]),
    ("range", lambda L, x: L.histogramdd(x, 3, range=[0.0, 1.0, 0.0, 2.0]), [PTS]),
    ("narrow range", lambda L, x: L.histogramdd(x, [4, 3], range=[0.2, 0.6, 0.1, 0.5]), [PTS]),
    ("edges", lambda L, x, a, b: L.histogramdd(x, [a, b]),
     [PTS, np.array([0.0, 0.25, 0.5, 1.0]), np.array([0.1, 0.4, 0.9])]),
    ("weight, density", lambda L, x, w: L.histogramdd(x, (2, 3), weight=w, density=True),
     [PTS, RNG.uniform(0, 2, 20)]),
    ("weight", lambda L, x, w: L.histogramdd(x, (2, 3), weight=w), [PTS, RNG.uniform(0, 2, 20)]),
    ("density", lambda L, x: L.histogramdd(x, 4, density=True), [PTS]),
    ("3-d input", lambda L, x: L.histogramdd(x, 2), [PTS3]),
    ("3-d weight", lambda L, x, w: L.histogramdd(x, [2, 3, 1], weight=w),
     [PTS3, RNG.uniform(0, 2, (4, 5))]),
    ("float32", lambda L, x: L.histogramdd(x.float(), 7), [PTS]),
    ("float32 range", lambda L, x: L.histogramdd(x.float(), 7, range=[0.1, 0.9, -1, 1.3]), [PTS]),
    ("empty", lambda L, x: L.histogramdd(x[:0], 2), [PTS]),
    ("one value", lambda L, x: L.histogramdd(x * 0 + 0.5, 2), [PTS]),
    ("outside", lambda L, x: L.histogramdd(x * 3 - 1, [3, 2], range=[0.0, 1.0, 0.0, 1.0]), [PTS]),
    ("bins per dim", lambda L, x: L.histogramdd(x, [2, 3, 4]), [PTS]),
    ("1-d", lambda L, x: L.histogramdd(x[0], 3), [PTS]),
    ("range length", lambda L, x: L.histogramdd(x, 3, range=[0.0, 1.0]), [PTS]),
    ("integers", lambda L, x: L.histogramdd(x.long(), 3), [PTS]),
    ("0 bins", lambda L, x: L.histogramdd(x, 0), [PTS]),
    ("a tensor as bins", lambda L, x, a: L.histogramdd(x, a), [PTS, np.array([0.0, 0.5, 1.0])]),
    ("edge dtype", lambda L, x, a: L.histogramdd(x.float(), [a, a]),
     [PTS, np.array([0.0, 0.5, 1.0])]),
    ("weight shape", lambda L, x: L.histogramdd(x, 3, weight=x), [PTS]),
    ("no bins", lambda L, x: L.histogramdd(x), [PTS]),
    ("min > max", lambda L, x: L.histogramdd(x, 3, range=[1.0, 0.0, 0, 1]), [PTS]),
    ("infinite range", lambda L, x: L.histogramdd(x, 3, range=[0.0, float("inf"), 0, 1]), [PTS]),
]


@pytest.mark.parametrize(("label", "fn", "arrays"), _HIST, ids=[c[0] for c in _HIST])
def test_histogramdd_to_the_bit(label, fn, arrays):
    def run(L, *a):
        r = fn(L, *a)
        return type(r).__name__, r.hist, type(r.bin_edges).__name__, r.bin_edges
    both(run, *arrays, rtol=0 if "density" not in label else 1e-12)


# ----------------------------------------------------------------------------- norms
@pytest.mark.parametrize("call", [
    lambda L, x: L.frobenius_norm(x, [1]), lambda L, x: L.frobenius_norm(x, 1),
    lambda L, x: L.frobenius_norm(x, (0, 2), True), lambda L, x: L.frobenius_norm(x, []),
    lambda L, x: L.frobenius_norm(x, dim=[-1], keepdim=True),
    lambda L, x: L.frobenius_norm(x, [0, 1, 2]), lambda L, x: L.frobenius_norm(x),
    lambda L, x: L.frobenius_norm(x.int(), [1]),
    lambda L, x: L.nuclear_norm(x[0]), lambda L, x: L.nuclear_norm(x),
    lambda L, x: L.nuclear_norm(x, (0, 2)), lambda L, x: L.nuclear_norm(x[0], True),
    lambda L, x: L.nuclear_norm(x, keepdim=True), lambda L, x: L.nuclear_norm(x, [2, 1], True),
    lambda L, x: L.nuclear_norm(x, [1])])
def test_deprecated_norms(call):
    both(call, Y, grad=(0,))


def test_deprecated_norms_warn_as_pytorch():
    # (PyTorch warns once per process, so only chainrule's warning is checked here)
    for name, args in (("frobenius_norm", ([0],)), ("nuclear_norm", ())):
        with pytest.warns(UserWarning, match="deprecated"):
            warnings.simplefilter("always")
            getattr(cr, name)(cr.ones(2, 2), *args)


# ----------------------------------------------------------------------------- asarray
def test_asarray_of_tensors_follows_pytorch():
    for L in (torch, cr):
        t = L.tensor([1.0, 2.0])
        assert L.asarray(t) is t and L.asarray(t, dtype=L.float32) is t
        assert L.asarray(t, copy=False) is t and L.asarray(t, copy=True) is not t
        assert L.asarray(t, dtype=L.float64).dtype == L.float64
        with pytest.raises(ValueError, match="alias"):
            L.asarray(t, dtype=L.float64, copy=False)
        r = L.asarray(t, requires_grad=True)             # a leaf is switched on in place
        assert r is t and t.requires_grad
        r = L.asarray(t, requires_grad=False)            # … and off
        assert r is t and not t.requires_grad
        with pytest.raises(RuntimeError):
            L.asarray(L.tensor([1, 2]), requires_grad=True)
        leaf = L.tensor([1.0, 2.0], requires_grad=True)
        y = leaf * 2
        with pytest.warns(UserWarning, match="requires_grad"):
            warnings.simplefilter("always")
            assert L.asarray(y) is y
        detached = L.asarray(y, requires_grad=False)
        assert detached is not y and not detached.requires_grad
        copied = L.asarray(leaf, copy=True, requires_grad=False)
        assert not copied.requires_grad
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kept = L.asarray(leaf, dtype=L.float32, copy=True)
        (kept * L.tensor([3.0, 4.0])).sum().backward()
        assert leaf.grad.tolist() == [3.0, 4.0]          # a cast copy stays in the graph
        fresh = L.asarray(leaf, copy=True, requires_grad=True)      # a clone in the graph
        assert fresh.requires_grad and not fresh.is_leaf
        fresh = L.asarray(L.tensor([1.0]), dtype=L.float64, requires_grad=True)
        assert fresh.requires_grad and fresh.is_leaf


def test_asarray_shares_numpy_memory_and_makes_new_tensors_of_sequences():
    for L in (torch, cr):
        a = np.array([1.0, 2.0, 3.0])
        assert np.shares_memory(L.asarray(a).numpy(), a)
        assert np.shares_memory(L.asarray(a[::2]).numpy(), a)
        assert not np.shares_memory(L.asarray(a, copy=True).numpy(), a)
        assert L.asarray(a, dtype=L.float32).dtype == L.float32
        with pytest.raises(ValueError, match="alias"):
            L.asarray(a, dtype=L.float32, copy=False)
        assert L.asarray(a, requires_grad=True).requires_grad
        with pytest.raises(ValueError, match="alias"):
            L.asarray([1, 2], copy=False)
    for obj in ([1, 2], [1.0, 2], (1, 2), 3.5, True, np.float64(3.5), range(3),
                [np.float32(1), 2], np.array(2.5, dtype=np.float32),
                np.arange(3, dtype=np.int32), bytearray(b"\x01\x02\x03\x04")):
        t, c = torch.asarray(obj), cr.asarray(obj)
        assert c.tolist() == t.tolist() and str(c.dtype) == str(t.dtype).rpartition(".")[2], obj
    assert cr.asarray([[1, 2], [3, 4.0]], dtype=cr.int32).dtype == cr.int32
    buffer = bytearray(b"\x01\x02\x03\x04")
    shared = cr.asarray(buffer, dtype=cr.uint8)
    shared[0] = 9
    assert buffer[0] == 9 and torch.asarray(buffer, dtype=torch.uint8).tolist()[0] == 9
    t = torch.tensor([1.0, 2.0])                    # another library's tensor: DLPack, shared
    c = cr.asarray(t)
    c[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


# ----------------------------------------------------------------------------- DLPack
def test_dlpack_exchanges_memory_with_pytorch_and_numpy():
    x = cr.arange(6.0).reshape(2, 3)
    t = torch.from_dlpack(x)                        # Tensor.__dlpack__
    t[0, 0] = 7.0
    assert x[0, 0].item() == 7.0
    t2 = torch.from_dlpack(cr.to_dlpack(x))         # a capsule
    t2[1, 2] = -1.0
    assert x[1, 2].item() == -1.0
    back = cr.from_dlpack(torch.arange(4.0))
    assert back.tolist() == [0.0, 1.0, 2.0, 3.0] and back.dtype == cr.float32
    source = torch.arange(3.0)
    y = cr.from_dlpack(source)
    y[0] = 4.0                                      # writes through: memory is shared
    assert source[0].item() == 4.0
    legacy = cr.from_dlpack(torch.to_dlpack(torch.arange(3)))
    assert legacy.tolist() == [0, 1, 2]             # NumPy reads a legacy capsule read-only
    a = np.arange(3.0)
    assert np.shares_memory(cr.from_dlpack(a).numpy(), a)
    assert np.shares_memory(np.from_dlpack(cr.from_dlpack(a)), a)
    z = cr.from_dlpack(x)
    assert z is not x and np.shares_memory(z.numpy(), x.numpy())
    for L in (torch, cr):       # to_dlpack exports the values; __dlpack__ refuses
        assert L.from_dlpack(L.to_dlpack(L.ones(2, requires_grad=True))).tolist() == [1, 1]
        with pytest.raises(BufferError, match="require"):
            L.ones(2, requires_grad=True).__dlpack__()
    assert cr.from_dlpack(a, copy=True).numpy() is not a


# ----------------------------------------------------------------------------- small things
@pytest.mark.parametrize("obj", [lambda L: L.tensor([1.0]), lambda L: L.tensor([1]),
                                 lambda L: L.tensor([True]), lambda L: 3, lambda L: len,
                                 lambda L: [1], lambda L: L.tensor([1.0], dtype=L.float64)])
def test_typename(obj):
    assert cr.typename(obj(cr)) == torch.typename(obj(torch))


def test_typename_of_classes_names_the_module():
    assert cr.typename(cr.nn.Linear) == f"{cr.nn.Linear.__module__}.Linear"
    assert cr.typename(cr.tensor([1.0]).double()) == "torch.DoubleTensor"


def test_interop_threads_set_once_like_pytorch(monkeypatch):
    monkeypatch.setitem(utilities_more._interop, "set", False)
    monkeypatch.setitem(utilities_more._interop, "threads", None)
    assert cr.get_num_interop_threads() >= 1
    with pytest.raises(RuntimeError, match="positive"):
        cr.set_num_interop_threads(0)
    cr.set_num_interop_threads(3)
    assert cr.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set"):
        cr.set_num_interop_threads(3)


def test_anomaly_switch_drives_detect_anomaly():
    assert cr.is_anomaly_enabled() == torch.is_anomaly_enabled() is False
    assert cr.is_anomaly_check_nan_enabled() == torch.is_anomaly_check_nan_enabled() is True
    try:
        for L in (torch, cr):
            L.set_anomaly_enabled(True, False)
            assert L.is_anomaly_enabled() and not L.is_anomaly_check_nan_enabled()
            L.set_anomaly_enabled(True)
            assert L.is_anomaly_enabled() and L.is_anomaly_check_nan_enabled()
            with pytest.raises(TypeError):
                L.set_anomaly_enabled(1)
        x = cr.tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError):           # chainrule's detector is on: NaN found
            cr.sqrt(x * 0 - 1).sum().backward()
    finally:
        for L in (torch, cr):
            L.set_anomaly_enabled(False)
    assert not cr.is_anomaly_enabled() and cr.is_anomaly_check_nan_enabled()
    with cr.autograd.detect_anomaly():
        assert cr.is_anomaly_enabled()
    assert not cr.is_anomaly_enabled()


def test_warn_always_switch():
    try:
        for L in (torch, cr):
            assert not L.is_warn_always_enabled()
            L.set_warn_always(True)
            assert L.is_warn_always_enabled()
            with pytest.raises(RuntimeError):
                L.set_warn_always(1)
    finally:
        torch.set_warn_always(False)
        cr.set_warn_always(False)


def test_every_added_name_is_exported():
    for module in (toplevel_inplace, view_copies, top_level_losses, top_level_more,
                   utilities_more):
        for name in module.NAMES:
            assert hasattr(torch, name), name
            assert getattr(cr, name) is getattr(module, name) and name in cr.__all__, name
