"""Conformance entries for the top-level names added in round 33: PyTorch's in-place functions
(``torch.exp_(x)``: the value written and ``out is x``), ``torch.fill``, the ``*_copy`` views,
ATen's losses with an integer reduction (1 mean, 2 sum, other: none; none by default),
``torch.batch_norm``/``instance_norm``/``embedding``/``rms_norm``/``constant_pad_nd``, the
pooling spellings with indices, the dropout family (seeded: chainrule draws PyTorch's masks),
and the utilities (``unravel_index``, ``gradient``, ``asarray``, DLPack, ``vander``,
``typename``, ``histogramdd``, ``frobenius_norm``, ``nuclear_norm``, the switches).
"""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, ints, value

X = floats(3, 4)
Y = floats(2, 3, 4)
UNIT = floats(3, 4, low=0.1, high=0.9)
POS = floats(3, 4, low=0.2, high=3.0)

# the in-place functions: name -> (program, inputs); the program returns (result, result is x)
_UNARY_DOMAIN = {**{n: UNIT for n in ("acos_", "asin_", "atanh_", "arccos_", "arcsin_",
                                      "arctanh_", "logit_")},
                 **{n: floats(3, 4, low=1.1, high=3.0) for n in ("acosh_", "arccosh_")},
                 **{n: POS for n in ("log_", "log10_", "log1p_", "log2_", "sqrt_", "rsqrt_",
                                     "reciprocal_")}}
_INPLACE_ARGS = {
    "addmv_": (lambda L, x, m, v: L.addmv_(x, m, v, beta=0.5, alpha=2), floats(3), floats(3, 5),
               floats(5)),
    "clamp_": (lambda L, x: L.clamp_(x, -0.5, 0.5), X),
    "clamp_max_": (lambda L, x: L.clamp_max_(x, 0.3), X),
    "clamp_min_": (lambda L, x: L.clamp_min_(x, -0.3), X),
    "clip_": (lambda L, x: L.clip_(x, min=-0.2), X),
    "detach_": (lambda L, x: L.detach_(x), X),
    "fill_": (lambda L, x: L.fill_(x, 2.5), X),
    "gcd_": (lambda L, a, b: L.gcd_(a, b), ints(6, low=1, high=30), ints(6, low=1, high=30)),
    "lcm_": (lambda L, a, b: L.lcm_(a, b), ints(6, low=1, high=30), ints(6, low=1, high=30)),
    "index_put_": (lambda L, x, i, v: L.index_put_(x, (i,), v, accumulate=True), X,
                   ints(3, low=0, high=3), floats(3, 4)),
    "nan_to_num_": (lambda L, x: L.nan_to_num_(x, nan=0.5, posinf=9.0),
                    value(np.array([1.0, np.nan, np.inf, -np.inf]))),
    "round_": (lambda L, x: L.round_(x, decimals=1), X),
    "xlogy_": (lambda L, x, y: L.xlogy_(x, y), X, POS),
    "logit_": (lambda L, x: L.logit_(x, eps=0.2), UNIT),
    "zero_": (lambda L, x: L.zero_(x), X),
}
INPLACE = ("abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ "
           "asinh_ atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ "
           "detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ index_put_ lcm_ "
           "log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ "
           "round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ "
           "zero_").split()


def _in_place(name):
    fn, *inputs = _INPLACE_ARGS.get(name) or (lambda L, x, n=name: getattr(L, n)(x),
                                              _UNARY_DOMAIN.get(name, X))

    def program(L, x, *rest):
        y = x.clone()                       # an input of the program is not written into
        out = fn(L, y, *rest)
        return out, out is y
    return program, inputs


def _through(name):
    """The in-place function inside a graph: y = 2x changed in place, differentiated."""
    fn, *inputs = _INPLACE_ARGS.get(name) or (lambda L, x, n=name: getattr(L, n)(x),
                                              _UNARY_DOMAIN.get(name, X))
    return (lambda L, x, *rest: fn(L, x * 1.0, *rest)), inputs


# PyTorch 2.13 has no derivative for these in-place forms (chainrule has); integers have none
_NO_GRAPH = {"acosh_", "arccosh_", "asinh_", "arcsinh_", "atanh_", "arctanh_", "gcd_", "lcm_",
             "detach_"}

INPLACE_ENTRIES = [
    Entry(name, [case(_in_place(name)[0], *_in_place(name)[1]),
                 *([] if name in _NO_GRAPH else
                   [case(_through(name)[0], *_through(name)[1], grad=[0], label="in a graph")])])
    for name in INPLACE]

FILL = [Entry("fill", [
    case(lambda L, x: L.fill(x, 2.7), X, grad=[0]),
    case(lambda L, x: L.fill(x, 2.7), ints(4), label="integers: the value truncated"),
    case(lambda L, x, v: L.fill(x, v), X, floats(), grad=[0, 1], label="a 0-d tensor value"),
    case(lambda L, x, v: L.fill(x, v), X, floats(2), raises=True, label="a 1-d value")])]

# ------------------------------------------------------------------------------ view copies
_COPIES = {
    "alias_copy": [lambda L, x: L.alias_copy(x)],
    "detach_copy": [lambda L, x: L.detach_copy(x)],
    "diagonal_copy": [lambda L, x: L.diagonal_copy(x, 1, 1, 2),
                      lambda L, x: L.diagonal_copy(x, dim1=0, dim2=2)],
    "expand_copy": [lambda L, x: L.expand_copy(x[:, :1], (2, 5, 4)),
                    lambda L, x: L.expand_copy(x[:, :1], size=[3, 2, -1, 4])],
    "permute_copy": [lambda L, x: L.permute_copy(x, (2, 0, 1))],
    "select_copy": [lambda L, x: L.select_copy(x, 1, -1)],
    "slice_copy": [lambda L, x: L.slice_copy(x, 2, 1, None, 2),
                   lambda L, x: L.slice_copy(x, -1, -3, 100)],
    "split_copy": [lambda L, x: L.split_copy(x, 2, 1)],
    "split_with_sizes_copy": [lambda L, x: L.split_with_sizes_copy(x, [1, 2], 1)],
    "squeeze_copy": [lambda L, x: L.squeeze_copy(x.reshape(2, 1, 3, 1, 4)),
                     lambda L, x: L.squeeze_copy(x.reshape(2, 1, 3, 1, 4), (1, 3))],
    "t_copy": [lambda L, x: L.t_copy(x[0])],
    "transpose_copy": [lambda L, x: L.transpose_copy(x, 0, 2)],
    "unbind_copy": [lambda L, x: L.unbind_copy(x, 1)],
    "unfold_copy": [lambda L, x: L.unfold_copy(x, 2, 2, 1)],
    "unsqueeze_copy": [lambda L, x: L.unsqueeze_copy(x, -1)],
    "view_copy": [lambda L, x: L.view_copy(x, (4, 6)),
                  lambda L, x: L.view_copy(x.transpose(0, 1), (-1,))],
}
_COPY_ERRORS = {
    "expand_copy": lambda L, x: L.expand_copy(x, (3, 4)),
    "permute_copy": lambda L, x: L.permute_copy(x, (0, 1)),
    "select_copy": lambda L, x: L.select_copy(x, 1, 3),
    "slice_copy": lambda L, x: L.slice_copy(x, 2, 0, 4, -1),
    "split_copy": lambda L, x: L.split_copy(x, [1, 2], 1),
    "t_copy": lambda L, x: L.t_copy(x),
    "transpose_copy": lambda L, x: L.transpose_copy(x, 0, 3),
    "view_copy": lambda L, x: L.view_copy(x, (5, 5)),
}


def _fresh(fn):
    """(result, contiguous?) of a copy: a new contiguous tensor."""
    def program(L, x):
        r = fn(L, x)
        return r, [t.is_contiguous() for t in (r if isinstance(r, (tuple, list)) else [r])]
    return program


COPIES = [
    Entry(name, [*[case(_fresh(fn), Y, grad=[] if name == "detach_copy" else [0],
                        label=f"form {k}") for k, fn in enumerate(fns)],
                 *([case(_COPY_ERRORS[name], Y, raises=True, label="error")]
                   if name in _COPY_ERRORS else [])])
    for name, fns in _COPIES.items()]

# ------------------------------------------------------------------------------ losses
_SIGNS = value(np.array([1.0, -1.0, 1.0]))
_LOG_PROBS = value(np.log(np.random.default_rng(3).dirichlet(np.ones(5), size=(6, 2))))
_TARGETS = value(np.array([[1, 2, 2], [3, 4, 0]]))
_LOSS_CASES = {
    "binary_cross_entropy_with_logits": (
        lambda L, a, b, r: L.binary_cross_entropy_with_logits(a, b, None, None, r), (X, UNIT)),
    "cosine_embedding_loss": (lambda L, a, b, y, r: L.cosine_embedding_loss(a, b, y, 0.1, r),
                              (X, UNIT, _SIGNS)),
    "hinge_embedding_loss": (lambda L, a, y, r: L.hinge_embedding_loss(a, y, 0.5, r),
                             (floats(3), _SIGNS)),
    "kl_div": (lambda L, a, b, r: L.kl_div(a, b, r), (X, UNIT)),
    "margin_ranking_loss": (lambda L, a, b, y, r: L.margin_ranking_loss(a, b, y, 0.2, r),
                            (floats(3), floats(3), _SIGNS)),
    "poisson_nll_loss": (lambda L, a, b, r: L.poisson_nll_loss(a, b, True, True, 1e-8, r),
                         (X, POS)),
    "triplet_margin_loss": (lambda L, a, b, c, r: L.triplet_margin_loss(a, b, c, 1.0, 2.0,
                                                                        1e-6, True, r),
                            (X, UNIT, floats(3, 4, low=-0.5, high=0.5))),
    "ctc_loss": (lambda L, lp, t, r: L.ctc_loss(lp, t.long(), [6, 5], [3, 2], 0, r),
                 (_LOG_PROBS, _TARGETS)),
}


def _loss_cases(name, fn, inputs):
    floats_at = [i for i, s in enumerate(inputs) if getattr(s, "kind", "") == "float"]
    if name == "ctc_loss":
        floats_at = [0]
    grad_of = floats_at

    def wrap(r):
        return lambda L, *a: fn(L, *a, r)
    cases = [case(wrap(r), *inputs, grad=grad_of, label=f"reduction {r}") for r in (0, 1, 2, 3)]
    if name != "poisson_nll_loss":
        n = len(inputs)
        cases.append(case(lambda L, *a: getattr(L, name)(*a[:n]) if name != "ctc_loss" else
                          getattr(L, name)(a[0], a[1].long(), [6, 5], [3, 2]), *inputs,
                          label="default: no reduction"))
    cases.append(case(wrap("mean"), *inputs, raises=True, label="a string reduction"))
    return cases


LOSSES = [Entry(name, _loss_cases(name, fn, inputs)) for name, (fn, inputs) in
          _LOSS_CASES.items()]

# ------------------------------------------------------------------------------ nn spellings
Z = floats(2, 3, 8)
W3 = floats(3, low=0.5, high=1.5)


def _with_stats(op, flag):
    def run(L, x, w, b):
        mean, var = L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64)
        return getattr(L, op)(x, w, b, mean, var, flag, 0.2, 1e-3, True), mean, var
    return run


def _seeded(fn):
    def run(L, *a):
        L.manual_seed(3)
        return fn(L, *a)
    return run


def _same_object(name, *args):
    def run(L, x):
        y = x.clone()
        return getattr(L, name)(y, *args) is y, y
    return run


NN = [
    *[Entry(op, [case(_with_stats(op, True), Z, W3, floats(3), grad=[0, 1, 2],
                      label="statistics of the batch, running ones updated"),
                 case(_with_stats(op, False), Z, W3, floats(3), grad=[0, 1, 2],
                      label="running statistics"),
                 case(lambda L, x, o=op: getattr(L, o)(x, None, None, None, None, True, 0.1,
                                                       1e-5, False), Z, grad=[0],
                      label="no affine, no running statistics"),
                 case(lambda L, x, o=op: getattr(L, o)(x, None, None, None, None, True, 0.1,
                                                       1e-5), Z, raises=True,
                      label="cudnn flag required")])
      for op in ("batch_norm", "instance_norm")],
    Entry("embedding", [
        case(lambda L, w, i: L.embedding(w, i), floats(5, 3), ints(2, 3, high=5), grad=[0]),
        case(lambda L, w, i: L.embedding(w, i, 4), floats(5, 3), value(np.array([[0, 4], [4, 2]])),
             grad=[0], label="padding row"),
        case(lambda L, w, i: L.embedding(w, i, -2), floats(5, 3), value(np.array([3, 4])),
             grad=[0], label="negative padding index: none"),
        case(lambda L, w, i: L.embedding(w, i + 5), floats(5, 3), ints(2, high=5),
             raises=True, label="index out of range")]),
    Entry("rms_norm", [case(lambda L, x: L.rms_norm(x, [8]), Z, grad=[0]),
                       case(lambda L, x, w: L.rms_norm(x, (3, 8), w, 1e-2), Z, floats(3, 8),
                            grad=[0, 1], label="weight, eps")]),
    Entry("constant_pad_nd", [
        case(lambda L, x: L.constant_pad_nd(x, [1, 2], 3.0), Z, grad=[0]),
        case(lambda L, x: L.constant_pad_nd(x, (1, -2, 0, 2)), Z, grad=[0],
             label="negative: cropped"),
        case(lambda L, x: L.constant_pad_nd(x, [1, 1], 2.5), ints(4), label="integers")]),
    Entry("adaptive_max_pool1d", [case(lambda L, x: L.adaptive_max_pool1d(x, 3), Z, grad=[0]),
                                  case(lambda L, x: L.adaptive_max_pool1d(x[0], (5,)), Z,
                                       grad=[0], label="unbatched")]),
    Entry("max_pool1d_with_indices", [
        case(lambda L, x: L.max_pool1d_with_indices(x, 2), Z, grad=[0]),
        case(lambda L, x: L.max_pool1d_with_indices(x, 3, 2, 1, 1, True), Z, grad=[0],
             label="padding, ceil_mode"),
        case(lambda L, x: L.max_pool1d_with_indices(x, 2, stride=1, padding=1, dilation=2), Z,
             grad=[0], label="dilation")]),
    Entry("feature_dropout", [
        case(_seeded(lambda L, x: L.feature_dropout(x, 0.4, True)), Z, grad=[0]),
        case(_seeded(lambda L, x: L.feature_dropout(x, 1.0, True)), Z, grad=[0], label="p = 1"),
        case(lambda L, x: L.feature_dropout(x, 0.4, False), Z, grad=[0], label="not training"),
        case(lambda L, x: L.feature_dropout(x[0, 0], 0.4, True), Z, raises=True, label="1-d")]),
    Entry("feature_alpha_dropout", [
        case(lambda L, x: L.feature_alpha_dropout(x, 0.4, True), Z, compare="shape"),
        case(lambda L, x: L.feature_alpha_dropout(x, 1.0, True), Z, label="p = 1"),
        case(lambda L, x: L.feature_alpha_dropout(x, 1.5, False), Z, raises=True,
             label="p > 1")]),
    Entry("dropout_", [
        case(_seeded(_same_object("dropout_", 0.3, True)), Z),
        case(_seeded(lambda L, x: L.dropout_(x * 1.0, 0.3, True)), Z, grad=[0],
             label="in a graph"),
        case(lambda L, x: L.dropout_(x.requires_grad_(True), 0.3, True), Z, raises=True,
             label="a leaf that requires grad")]),
    Entry("feature_dropout_", [case(_seeded(_same_object("feature_dropout_", 0.3, True)), Z),
                               case(_seeded(lambda L, x: L.feature_dropout_(x * 1.0, 0.3, True)),
                                    Z, grad=[0], label="in a graph")]),
    *[Entry(name, [case(_same_object(name, 0.3, True), Z, compare="shape"),
                   case(_same_object(name, 1.0, True), Z, label="p = 1"),
                   case(_same_object(name, 0.3, False), Z, label="not training")])
      for name in ("alpha_dropout_", "feature_alpha_dropout_")],
]

# ------------------------------------------------------------------------------ utilities
_FLAT = value(np.array([[4, 1, -1], [7, 13, 0]]))
_G = floats(3, 4)
_C0, _C1 = value(np.array([0.0, 0.5, 1.5])), value(np.array([0.0, 1.0, 3.0, 7.5]))
_PTS = floats(20, 2, low=0.0, high=1.0)

UTILITIES = [
    Entry("unravel_index", [
        case(lambda L, i: L.unravel_index(i, (3, 2)), _FLAT),
        case(lambda L, i: L.unravel_index(i * 1000, (10, 10, 10, 10)), _FLAT, label="4 dims"),
        case(lambda L, i: L.unravel_index(i, 3), _FLAT, label="an int shape"),
        case(lambda L, i: L.unravel_index(i * 1.0, (3, 2)), _FLAT, raises=True,
             label="float indices")]),
    Entry("gradient", [
        case(lambda L, x: L.gradient(x), _G, grad=[0]),
        case(lambda L, x: L.gradient(x, spacing=[2.0, -3.0], dim=(1, 0)), _G, grad=[0],
             label="spacing, dims"),
        case(lambda L, x, a, b: L.gradient(x, spacing=[a, b]), _G, _C0,
             _C1, grad=[0], label="coordinates"),
        case(lambda L, x: L.gradient(x, dim=1, edge_order=2, spacing=0.7), _G, grad=[0],
             label="edge order 2"),
        case(lambda L, x, b: L.gradient(x, spacing=[b], dim=-1, edge_order=2), _G,
             _C1, grad=[0], label="edge order 2, coordinates"),
        case(lambda L, x: L.gradient(x), ints(5), label="integers"),
        case(lambda L, x: L.gradient(x, edge_order=3), _G, raises=True, label="edge order 3")]),
    Entry("asarray", [
        case(lambda L, x: (lambda y: (y, y is x))(L.asarray(x)), X, label="a tensor: itself"),
        case(lambda L, x: L.asarray(x, dtype=L.float32), X, label="a cast"),
        case(lambda L, x: (lambda y: (y, y is x))(L.asarray(x, copy=True)), X, label="a copy"),
        case(lambda L: L.asarray([[1, 2], [3, 4]]), label="a list"),
        case(lambda L, x: L.asarray(x, dtype=L.float32, copy=False), X, raises=True,
             label="no copy allowed")]),
    Entry("from_dlpack", [case(lambda L, x: L.from_dlpack(x), X),
                          case(lambda L, x: L.from_dlpack(L.to_dlpack(x)), X,
                               label="through a capsule")]),
    Entry("to_dlpack", [case(lambda L, x: L.from_dlpack(L.to_dlpack(x)) * 2, X)]),
    Entry("vander", [
        case(lambda L, x: L.vander(x), floats(4)),
        case(lambda L, x: L.vander(x, 5, True), floats(4), label="N, increasing"),
        case(lambda L, x: L.vander(x, N=2), ints(3), label="integers: int64"),
        case(lambda L, x: L.vander(x), floats(2, 2), raises=True, label="2-d")]),
    Entry("typename", [case(lambda L, x: L.typename(x), X),
                       case(lambda L, x: L.typename(x.long()), X, label="int64"),
                       case(lambda L: L.typename(3), label="an int")]),
    Entry("histogramdd", [
        case(lambda L, x: L.histogramdd(x, 3), _PTS),
        case(lambda L, x: L.histogramdd(x, [2, 5], range=[0.2, 0.6, 0.1, 0.5]), _PTS,
             label="bins, range"),
        case(lambda L, x, w: L.histogramdd(x, (2, 3), weight=w, density=True), _PTS,
             floats(20, low=0.0, high=2.0), label="weight, density"),
        case(lambda L, x, a, b: L.histogramdd(x, [a, b]), _PTS,
             value(np.array([0.0, 0.25, 0.5, 1.0])), value(np.array([0.1, 0.4, 0.9])),
             label="edges"),
        case(lambda L, x: L.histogramdd(x, [2, 3, 4]), _PTS, raises=True,
             label="bins per dim")]),
    Entry("frobenius_norm", [case(lambda L, x: L.frobenius_norm(x, [1]), Y, grad=[0]),
                             case(lambda L, x: L.frobenius_norm(x, (0, 2), True), Y, grad=[0],
                                  label="two dims, keepdim"),
                             case(lambda L, x: L.frobenius_norm(x, [0, 1, 2]), Y, raises=True,
                                  label="three dims")]),
    Entry("nuclear_norm", [case(lambda L, x: L.nuclear_norm(x), Y, grad=[0]),
                           case(lambda L, x: L.nuclear_norm(x, (0, 2), True), Y, grad=[0],
                                label="dims, keepdim")]),
    Entry("get_num_interop_threads", [case(lambda L: L.get_num_interop_threads() >= 1)]),
    Entry("set_num_interop_threads", [case(lambda L: L.set_num_interop_threads(0), raises=True,
                                           label="not positive")]),
    Entry("set_anomaly_enabled", [case(lambda L: (L.set_anomaly_enabled(True, False),
                                                  L.is_anomaly_enabled(),
                                                  L.is_anomaly_check_nan_enabled(),
                                                  L.set_anomaly_enabled(False),
                                                  L.is_anomaly_enabled()))]),
    Entry("is_anomaly_enabled", [case(lambda L: L.is_anomaly_enabled())]),
    Entry("is_anomaly_check_nan_enabled", [case(lambda L: L.is_anomaly_check_nan_enabled())]),
    Entry("set_warn_always", [case(lambda L: (L.set_warn_always(True), L.is_warn_always_enabled(),
                                              L.set_warn_always(False)))]),
    Entry("is_warn_always_enabled", [case(lambda L: L.is_warn_always_enabled())]),
]

ENTRIES = [*INPLACE_ENTRIES, *FILL, *COPIES, *LOSSES, *NN, *UTILITIES]
