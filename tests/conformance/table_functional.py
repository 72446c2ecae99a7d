"""Conformance entries for nn.functional breadth: padding, interpolation, unfold/fold, pixel
(un)shuffle, vector functions, the extra activations (functional, in place, top-level and module
forms) and the resampling/activation modules (chainrule/ops/resample.py, unfold.py,
similarity.py, activations_extra.py; chainrule/nn/layers/upsampling.py, activations_extra.py).

Each case is one program run on PyTorch and on chainrule (see harness.py). Random functions
(rrelu in training, dropout1d/3d) compare shapes and dtypes only.
"""
from __future__ import annotations

import math

import numpy as np
from harness import Entry, case, floats, ints, shapes, value

X = floats(2, 3, 4, 5)
X3 = floats(2, 3, 5)
X34 = floats(3, 4)
DRAWN = floats(drawn=shapes(0, 3, 0, 3), low=-4.0, high=4.0)
NONEMPTY = floats(drawn=shapes(1, 3, 1, 4), low=-4.0, high=4.0)


def _F(L):
    return L.nn.functional


# ------------------------------------------------------------------------------ pad
PAD = [Entry("nn.functional.pad", [
    case(lambda L, x: _F(L).pad(x, (1, 2)), X34, grad=[0]),
    case(lambda L, x: _F(L).pad(x, (1, 2, 0, 3), value=-1.5), X34, grad=[0], label="value"),
    case(lambda L, x: _F(L).pad(x, (-1, 2, 1, -2)), X34, grad=[0], label="negative crops"),
    case(lambda L, x: _F(L).pad(x, (1, 1, 1, 1, 1, 1, 1, 1)), X, grad=[0], label="4 dims"),
    case(lambda L, x: _F(L).pad(x, ()), floats(), grad=[0], label="0-d"),
    case(lambda L, x: _F(L).pad(x, (1, 1)), floats(2, 0), grad=[0], label="empty"),
    case(lambda L, x: _F(L).pad(x, (2, 1), "reflect"), X3, grad=[0], label="reflect 1d"),
    case(lambda L, x: _F(L).pad(x, (3, 1, 2, 3), "reflect"), X, grad=[0], label="reflect 2d"),
    case(lambda L, x: _F(L).pad(x, (-1, 3), "reflect"), floats(1, 4), grad=[0],
         label="reflect reaching into the crop"),
    case(lambda L, x: _F(L).pad(x, (1, 1, 2, 0, 1, 2), "reflect"), X, grad=[0],
         label="reflect 3d"),
    case(lambda L, x: _F(L).pad(x, (3, 4, 1, 0), "replicate"), X, grad=[0], label="replicate"),
    case(lambda L, x: _F(L).pad(x, (1, 1, 1, 1, 1, 1), "replicate"), X, grad=[0],
         label="replicate 3d"),
    case(lambda L, x: _F(L).pad(x, (5, 2, 2, -1), "circular"), X, grad=[0], label="circular"),
    case(lambda L, x: _F(L).pad(x, (1, 2), "circular"), X34, grad=[0], label="circular 1d"),
    case(lambda L, x: _F(L).pad(x, (1,)), X34, raises=True, label="odd length"),
    case(lambda L, x: _F(L).pad(x, (4, 0), "reflect"), X34, raises=True, label="too wide"),
    case(lambda L, x: _F(L).pad(x, (1, 1), "reflect", value=1.0), X34, raises=True,
         label="value with reflect"),
    case(lambda L, x: _F(L).pad(x, (1, 1, 1, 1), "replicate"), X34, raises=True,
         label="2d pad of a 2-d input"),
])]


# ------------------------------------------------------------------------------ interpolate
def _interp(**kw):
    return lambda L, x: _F(L).interpolate(x, **kw)


INTERPOLATE = [Entry("nn.functional.interpolate", [
    case(_interp(scale_factor=2), X3, grad=[0], label="nearest 1d"),
    case(_interp(size=(7, 3)), X, grad=[0], label="nearest 2d size"),
    case(_interp(scale_factor=(1.5, 0.7)), X, grad=[0], label="nearest fractional"),
    case(_interp(size=(3, 7), mode="nearest-exact"), X, grad=[0], label="nearest-exact"),
    case(_interp(size=8, mode="linear"), X3, grad=[0], label="linear"),
    case(_interp(size=8, mode="linear", align_corners=True), X3, grad=[0],
         label="linear align_corners"),
    case(_interp(scale_factor=1.7, mode="bilinear"), X, grad=[0], label="bilinear scale"),
    case(_interp(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), X, grad=[0],
         label="bilinear recompute_scale_factor"),
    case(_interp(size=(6, 2), mode="bilinear", align_corners=True), X, grad=[0],
         label="bilinear align_corners"),
    case(_interp(size=(5, 9), mode="bicubic"), X, grad=[0], label="bicubic"),
    case(_interp(size=(1, 9), mode="bicubic", align_corners=True), X, grad=[0],
         label="bicubic align_corners, size 1"),
    case(_interp(scale_factor=(2, 1, 0.5), mode="trilinear"), floats(1, 2, 2, 3, 4), grad=[0],
         label="trilinear"),
    case(_interp(size=(2, 3), mode="area"), X, grad=[0], label="area"),
    case(_interp(scale_factor=0.5, mode="area"), X, grad=[0], label="area scale"),
    case(_interp(size=4, scale_factor=2), X3, raises=True, label="both size and scale"),
    case(_interp(size=4, mode="bilinear"), X3, raises=True, label="bilinear on 3-d"),
    case(_interp(size=4, align_corners=True), X3, raises=True, label="align_corners nearest"),
])]


UPSAMPLE_FUNCTIONS = [
    Entry("nn.functional.upsample", [case(lambda L, x: _F(L).upsample(x, scale_factor=2), X,
                                          grad=[0])]),
    Entry("nn.functional.upsample_nearest", [
        case(lambda L, x: _F(L).upsample_nearest(x, size=(5, 7)), X, grad=[0])]),
    Entry("nn.functional.upsample_bilinear", [
        case(lambda L, x: _F(L).upsample_bilinear(x, scale_factor=2), X, grad=[0])]),
]


# ------------------------------------------------------------------------------ blocks, shuffles
BLOCKS = [
    Entry("nn.functional.unfold", [
        case(lambda L, x: _F(L).unfold(x, 2), X, grad=[0]),
        case(lambda L, x: _F(L).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), X,
             grad=[0], label="geometry"),
        case(lambda L, x: _F(L).unfold(x, 3, padding=1), floats(3, 4, 5), grad=[0],
             label="unbatched"),
        case(lambda L, x: _F(L).unfold(x, 5), X, raises=True, label="kernel too large"),
    ]),
    Entry("nn.functional.fold", [
        case(lambda L, y: _F(L).fold(y, (4, 5), 2), floats(2, 12, 12), grad=[0]),
        case(lambda L, y: _F(L).fold(y, (4, 5), (2, 3), dilation=(1, 2), padding=1,
                                     stride=(2, 1)), floats(1, 6, 9), grad=[0],
             label="geometry"),
        case(lambda L, y: _F(L).fold(y, (3, 3), 2), floats(8, 4), grad=[0], label="unbatched"),
        case(lambda L, y: _F(L).fold(y, (4, 5), 2), floats(2, 12, 11), raises=True,
             label="wrong block count"),
    ]),
]
SHUFFLES = [
    Entry("nn.functional." + name, [
        case(lambda L, x, n=name: getattr(_F(L), n)(x, 2), floats(2, 8, 4, 6), grad=[0]),
        case(lambda L, x, n=name: getattr(_F(L), n)(x, 1), floats(1, 3, 2, 2), grad=[0],
             label="factor 1"),
        case(lambda L, x, n=name: getattr(_F(L), n)(x, 2), floats(2, 3, 4, 4, 4), grad=[0],
             label="extra batch dim") if "un" in name else
        case(lambda L, x, n=name: getattr(_F(L), n)(x, 2), floats(2, 3, 4, 2, 2), grad=[0],
             label="extra batch dim"),
        case(lambda L, x, n=name: getattr(_F(L), n)(x, 2), floats(3, 3, 3), raises=True,
             label="not divisible"),
    ])
    for name in ("pixel_shuffle", "pixel_unshuffle")
] + [
    Entry(name, [case(lambda L, x, n=name: getattr(L, n)(x, 2), floats(1, 4, 2, 2), grad=[0])])
    for name in ("pixel_shuffle", "pixel_unshuffle")
]


# ------------------------------------------------------------------------------ vectors
# bags of a 1-D input of 7 indices: [0, 2), [2, 2) (empty), [2, 7)
_BAG_INPUT = value(np.array([1, 2, 4, 2, 0, 4, 3]))
_BAG_OFFSETS = value(np.array([0, 2, 2]))

VECTORS = [
    Entry("nn.functional.normalize", [
        case(lambda L, x: _F(L).normalize(x), X34, grad=[0]),
        case(lambda L, x: _F(L).normalize(x, 1.0, -1), X, grad=[0], label="p=1, dim -1"),
        case(lambda L, x: _F(L).normalize(x * 0, dim=0), X34, grad=[0], label="zero vectors"),
        case(lambda L, x: _F(L).normalize(x, 2.0, 0), floats(5), grad=[0], label="1-d"),
    ]),
    Entry("nn.functional.one_hot", [
        case(lambda L, i: _F(L).one_hot(i), ints(3, 4, low=0, high=5)),
        case(lambda L, i: _F(L).one_hot(i, 7), ints(5, low=0, high=5), label="num_classes"),
        case(lambda L, i: _F(L).one_hot(i, 3), ints(low=0, high=3), label="0-d"),
        case(lambda L, i: _F(L).one_hot(i, 3), ints(0, low=0, high=3), label="empty"),
        case(lambda L, i: _F(L).one_hot(i, 2), ints(4, low=2, high=5), raises=True,
             label="out of range"),
    ]),
    Entry("nn.functional.embedding", [
        case(lambda L, i, w: _F(L).embedding(i, w), ints(2, 3, low=0, high=5), floats(5, 4),
             grad=[1]),
        case(lambda L, i, w: _F(L).embedding(i, w, padding_idx=0), ints(6, low=0, high=5),
             floats(5, 4), grad=[1], label="padding_idx"),
    ]),
    Entry("nn.functional.embedding_bag", [
        *[case(lambda L, i, w, o, m=mode: _F(L).embedding_bag(i, w, o, mode=m), _BAG_INPUT,
               floats(5, 4), _BAG_OFFSETS, grad=[1], label=mode)
          for mode in ("mean", "sum", "max")],
        case(lambda L, i, w: _F(L).embedding_bag(i, w, mode="sum"), ints(3, 4, low=0, high=5),
             floats(5, 4), grad=[1], label="2-D input: one bag per row"),
        case(lambda L, i, w, o, p: _F(L).embedding_bag(i, w, o, mode="sum",
                                                       per_sample_weights=p),
             _BAG_INPUT, floats(5, 4), _BAG_OFFSETS, floats(7), grad=[1, 3],
             label="per_sample_weights"),
        *[case(lambda L, i, w, o, m=mode: _F(L).embedding_bag(i, w, o, mode=m, padding_idx=2),
               _BAG_INPUT, floats(5, 4), _BAG_OFFSETS, grad=[1], label=f"padding_idx, {mode}")
          for mode in ("mean", "sum", "max")],
        case(lambda L, i, w, o: _F(L).embedding_bag(i, w, o, include_last_offset=True),
             _BAG_INPUT, floats(5, 4), value(np.array([0, 2, 2, 7])), grad=[1],
             label="include_last_offset"),
        case(lambda L, i, w, o: _F(L).embedding_bag(i, w, o), _BAG_INPUT, floats(5, 4),
             value(np.array([1, 3])), raises=True, label="offsets[0] != 0"),
        case(lambda L, i, w, o, p: _F(L).embedding_bag(i, w, o, per_sample_weights=p),
             _BAG_INPUT, floats(5, 4), _BAG_OFFSETS, floats(7), raises=True,
             label="per_sample_weights with mode='mean'"),
        case(lambda L, i, w: _F(L).embedding_bag(i, w), _BAG_INPUT, floats(5, 4), raises=True,
             label="1-D input without offsets"),
    ]),
] + [
    Entry(prefix + "cosine_similarity", [
        case(lambda L, a, b, p=prefix: _ns(L, p).cosine_similarity(a, b), X34, X34, grad=[0, 1]),
        case(lambda L, a, b, p=prefix: _ns(L, p).cosine_similarity(a, b, -1), X, floats(4, 1),
             grad=[0, 1], label="broadcast, dim -1"),
        case(lambda L, a, b, p=prefix: _ns(L, p).cosine_similarity(a * 1e-10, b, 0), X34, X34,
             grad=[0, 1], label="norm below eps"),
    ])
    for prefix in ("", "nn.functional.")
] + [
    Entry(prefix + "pairwise_distance", [
        case(lambda L, a, b, p=prefix: _ns(L, p).pairwise_distance(a, b), X34, X34, grad=[0, 1]),
        case(lambda L, a, b, p=prefix: _ns(L, p).pairwise_distance(a, b, 1.0, keepdim=True), X34,
             floats(4), grad=[0, 1], label="p=1, broadcast, keepdim"),
        case(lambda L, a, b, p=prefix: _ns(L, p).pairwise_distance(a, b, 3.0), floats(5),
             floats(5), grad=[0, 1], label="1-d"),
    ])
    for prefix in ("", "nn.functional.")
] + [
    Entry("cdist", [
        *[case(lambda L, a, b, q=p: L.cdist(a, b, q), floats(3, 4), floats(5, 4), grad=[0, 1],
               label=f"p={p}") for p in (2.0, 1.0, 0.0, 3.0, math.inf)],
        case(lambda L, a, b: L.cdist(a, b), floats(2, 30, 3), floats(1, 4, 3), grad=[0, 1],
             label="batch broadcast, 30 rows: the matrix-product form"),
        case(lambda L, a: L.cdist(a, a), floats(4, 3), grad=[0], label="zero distances"),
        case(lambda L, a: L.cdist(a, a, compute_mode="use_mm_for_euclid_dist"), floats(4, 3),
             grad=[0], label="zero distances, matrix-product form"),
        case(lambda L, a, b: L.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
             floats(30, 3), floats(4, 3), grad=[0, 1], label="no matrix product"),
        case(lambda L, a, b: L.cdist(a, b), floats(3, 0), floats(2, 0), label="no columns"),
        case(lambda L, a, b: L.cdist(a, b), floats(3, 4), floats(2, 5), raises=True,
             label="columns differ"),
        case(lambda L, a, b: L.cdist(a, b, -1.0), floats(3, 4), floats(2, 4), raises=True,
             label="negative p"),
        case(lambda L, a, b: L.cdist(a, b), floats(4), floats(2, 4), raises=True, label="1-d"),
    ]),
    *[Entry(name, [
        case(lambda L, a, b, f=fn: f(L)(a, b), X34, X34, grad=[0, 1]),
        *[case(lambda L, a, b, q=p, f=fn: f(L)(a, b, q), X34, floats(4), grad=[0, 1],
               label=f"p={p}, broadcast") for p in (1, 3.5, math.inf)],
        # (p = 0 counts: PyTorch leaves its gradient undefined, chainrule gives zeros)
        case(lambda L, a, b, f=fn: f(L)(a, b, 0), X34, floats(4), label="p=0, broadcast"),
        case(lambda L, a, f=fn: f(L)(a, a), X34, grad=[0], label="zero difference"),
    ]) for name, fn in (("dist", lambda L: L.dist), ("Tensor.dist", lambda L: L.Tensor.dist))],
]


def _ns(L, prefix):
    return _F(L) if prefix else L


# ------------------------------------------------------------------------------ activations
def _act(name, *args, cases=None, **kw):
    """Entries for nn.functional.name: drawn shapes (0-d, empty, size-1), and in place."""
    fn = lambda L, x: getattr(_F(L), name)(x, *args, **kw)  # noqa: E731
    out = [case(fn, DRAWN, grad=[0]), case(fn, floats(4, low=-8, high=8), grad=[0],
                                           label="wide range")]
    return Entry("nn.functional." + name, out + (cases or []))


def _inplace(name, *args):
    return case(lambda L, x: getattr(_F(L), name)(x * 1.0, *args, inplace=True), X34, grad=[0],
                label="inplace")


KINKS = [-3.0, -1.0, 0.0, 0.5, 1.0, 3.0, 6.0, -0.5, 2.0, -2.0]


def _at_kinks(name, *args, **kw):
    return case(lambda L: getattr(_F(L), name)(L.tensor(KINKS, dtype=L.float64,
                                                        requires_grad=True), *args, **kw),
                label="values at the kinks")


ACTIVATIONS = [
    _act("hardtanh", cases=[_inplace("hardtanh", -0.5, 2.0)]),
    _act("hardtanh", -0.5, 2.0),
    _act("relu6", cases=[_inplace("relu6")]),
    _act("hardsigmoid", cases=[_inplace("hardsigmoid")]),
    _act("hardswish", cases=[_inplace("hardswish")]),
    _act("logsigmoid", cases=[case(lambda L, x: _F(L).logsigmoid(x * 300), floats(5),
                                   grad=[0], label="tails")]),
    _act("celu", cases=[_inplace("celu", 2.0)]),
    _act("celu", 0.5),
    _act("selu", cases=[_inplace("selu")]),
    _act("mish", cases=[_inplace("mish")]),
    _act("softsign"),
    _act("tanhshrink"),
    _act("softshrink", cases=[case(lambda L, x: _F(L).softshrink(x, 1.0), X34, grad=[0])]),
    _act("hardshrink", cases=[case(lambda L, x: _F(L).hardshrink(x, 1.0), X34, grad=[0])]),
    _act("threshold", 0.5, -3.0, cases=[_inplace("threshold", 0.1, 2.0)]),
    _act("rrelu", cases=[_inplace("rrelu"),
                         case(lambda L, x: _F(L).rrelu(x, training=True), X34,
                              compare="shape", label="training (random slopes)")]),
    _act("relu", cases=[_inplace("relu")]),
    _act("leaky_relu", 0.2, cases=[_inplace("leaky_relu", 0.2)]),
    _act("elu", cases=[_inplace("elu", 0.5)]),
    _act("silu", cases=[_inplace("silu")]),
    Entry("nn.functional.glu", [
        case(lambda L, x: _F(L).glu(x), floats(3, 4), grad=[0]),
        case(lambda L, x: _F(L).glu(x, 0), floats(4, 3), grad=[0], label="dim 0"),
        case(lambda L, x: _F(L).glu(x, 1), floats(2, 0, 3), grad=[0], label="empty"),
        case(lambda L, x: _F(L).glu(x, 1), floats(3, 3), raises=True, label="odd"),
    ]),
    Entry("nn.functional.softmin", [
        case(lambda L, x: _F(L).softmin(x, -1), X, grad=[0]),
        case(lambda L, x: _F(L).softmin(x, 0), floats(4), grad=[0], label="1-d"),
        case(lambda L, x: _F(L).softmin(x, 1, dtype=L.float64), X34, grad=[0], label="dtype"),
    ]),
    Entry("nn.functional.prelu", [
        case(lambda L, x: _F(L).prelu(x, L.tensor([0.2], dtype=L.float64)), X, grad=[0]),
        case(lambda L, x, w: _F(L).prelu(x, w), X, floats(3), grad=[0, 1], label="per channel"),
        case(lambda L, x, w: _F(L).prelu(x, w), floats(5), floats(1), grad=[0, 1],
             label="1-d"),
        case(lambda L, x, w: _F(L).prelu(x, w), X, floats(2), raises=True, label="mismatch"),
    ]),
    Entry("nn.functional.dropout1d", [
        case(lambda L, x: _F(L).dropout1d(x, 0.5), X3, compare="shape"),
        case(lambda L, x: _F(L).dropout1d(x, 0.5, training=False), X3, grad=[0], label="eval"),
    ]),
    Entry("nn.functional.dropout3d", [
        case(lambda L, x: _F(L).dropout3d(x, 0.5), floats(2, 3, 2, 2, 2), compare="shape"),
        case(lambda L, x: _F(L).dropout3d(x, 0.5, training=False), floats(3, 2, 2, 2),
             grad=[0], label="eval, unbatched"),
    ]),
    Entry("nn.functional.alpha_dropout", [
        case(lambda L, x: _F(L).alpha_dropout(x, 0.5), X34, grad=[0], label="eval default"),
        case(lambda L, x: _F(L).alpha_dropout(x, 0.2, training=True), X34, compare="shape",
             label="training"),
    ]),
    Entry("nn.functional.feature_alpha_dropout", [
        case(lambda L, x: _F(L).feature_alpha_dropout(x, 0.5), X, grad=[0], label="eval"),
        case(lambda L, x: _F(L).feature_alpha_dropout(x, 0.2, training=True), X,
             compare="shape", label="training"),
    ]),
    Entry("nn.functional.dropout", [
        case(lambda L, x: _F(L).dropout(x * 1.0, 0.3, training=False, inplace=True), X34,
             grad=[0], label="inplace, eval"),
        case(lambda L, x: _F(L).dropout(x * 1.0, 0.3, inplace=True), X34, compare="shape",
             label="inplace"),
    ]),
    Entry("nn.functional.dropout2d", [
        case(lambda L, x: _F(L).dropout2d(x * 1.0, 0.3, inplace=True), X, compare="shape",
             label="inplace"),
    ]),
]
for _name, _args in [("hardtanh_", ()), ("relu_", ()), ("elu_", ()), ("leaky_relu_", (0.3,)),
                     ("celu_", (1.5,)), ("rrelu_", ()), ("threshold_", (0.2, 9.0))]:
    ACTIVATIONS.append(Entry("nn.functional." + _name, [
        case(lambda L, x, n=_name, a=_args: getattr(_F(L), n)(x * 1.0, *a), X34, grad=[0])]))
for _name, _args in [("celu", (1.5,)), ("selu", ()), ("hardshrink", (0.3,)),
                     ("threshold", (0.2, 9.0)), ("rrelu", ()), ("relu_", ()), ("celu_", ()),
                     ("selu_", ()), ("rrelu_", ()), ("threshold_", (0.2, 9.0))]:
    def _fn(L, x, n=_name, a=_args):
        return getattr(L, n)(x * 1.0, *a)
    ACTIVATIONS.append(Entry(_name, [case(_fn, NONEMPTY, grad=[0])]))
ACTIVATIONS.append(Entry("prelu", [
    case(lambda L, x, w: L.prelu(x, w), X, floats(3), grad=[0, 1])]))
ACTIVATIONS += [Entry(e.name, [_at_kinks(e.name.split(".")[-1], *args)])
                for e, args in [(Entry("nn.functional.hardtanh"), ()),
                                (Entry("nn.functional.relu6"), ()),
                                (Entry("nn.functional.hardswish"), ()),
                                (Entry("nn.functional.hardsigmoid"), ()),
                                (Entry("nn.functional.softshrink"), (0.5,)),
                                (Entry("nn.functional.hardshrink"), (0.5,)),
                                (Entry("nn.functional.threshold"), (1.0, 5.0)),
                                (Entry("nn.functional.rrelu"), ())]]


# ------------------------------------------------------------------------------ modules
def _module(name, *args, x=X, train=False, **kw):
    def program(L, x):
        m = getattr(L.nn, name)(*args, **kw).double()
        m.train(train)
        if train:
            return m(x)
        return m(x * 1.0), sum(p.numel() for p in m.parameters())
    return case(program, x, grad=[] if train else [0], compare="shape" if train else "values")


MODULES = [
    Entry("nn.CELU", [_module("CELU", 1.5)]), Entry("nn.SELU", [_module("SELU")]),
    Entry("nn.GLU", [_module("GLU", 1, x=floats(2, 4, 3))]),
    Entry("nn.Hardtanh", [_module("Hardtanh", -2.0, 0.5)]), Entry("nn.ReLU6", [_module("ReLU6")]),
    Entry("nn.Hardswish", [_module("Hardswish")]),
    Entry("nn.Hardsigmoid", [_module("Hardsigmoid")]),
    Entry("nn.Mish", [_module("Mish")]), Entry("nn.Softsign", [_module("Softsign")]),
    Entry("nn.Softmin", [_module("Softmin", 1)]), Entry("nn.Tanhshrink", [_module("Tanhshrink")]),
    Entry("nn.Softshrink", [_module("Softshrink", 0.3)]),
    Entry("nn.Hardshrink", [_module("Hardshrink", 0.3)]),
    Entry("nn.LogSigmoid", [_module("LogSigmoid")]),
    Entry("nn.Threshold", [_module("Threshold", 0.1, 20.0)]),
    Entry("nn.RReLU", [_module("RReLU", 0.1, 0.3), _module("RReLU", train=True)]),
    Entry("nn.PReLU", [_module("PReLU"), _module("PReLU", 3, 0.1)]),
    Entry("nn.ReLU", [_module("ReLU", inplace=True, x=X34)]),
    Entry("nn.Upsample", [_module("Upsample", scale_factor=2),
                          _module("Upsample", size=(3, 7), mode="bilinear", align_corners=True),
                          _module("Upsample", scale_factor=1.5, mode="bicubic")]),
    Entry("nn.UpsamplingNearest2d", [_module("UpsamplingNearest2d", scale_factor=2)]),
    Entry("nn.UpsamplingBilinear2d", [_module("UpsamplingBilinear2d", size=(5, 4))]),
    Entry("nn.PixelShuffle", [_module("PixelShuffle", 1)]),
    Entry("nn.PixelUnshuffle", [_module("PixelUnshuffle", 2, x=floats(1, 2, 4, 6))]),
    Entry("nn.Unfold", [_module("Unfold", (2, 3), padding=1)]),
    Entry("nn.Fold", [_module("Fold", (4, 5), 2, x=floats(2, 12, 12))]),
]
MODULES += [
    Entry("nn." + name, [_module(name, 0.3, x=x), _module(name, 0.3, x=x, train=True)])
    for name, x in [("Dropout1d", X3), ("Dropout3d", floats(2, 3, 2, 2, 2)),
                    ("AlphaDropout", X34), ("FeatureAlphaDropout", X)]
]
MODULES += [
    Entry("nn.CosineSimilarity", [case(lambda L, a, b: L.nn.CosineSimilarity(0)(a, b), X34, X34,
                                       grad=[0, 1])]),
    Entry("nn.PairwiseDistance", [case(lambda L, a, b: L.nn.PairwiseDistance(1.0)(a, b), X34,
                                       X34, grad=[0, 1])]),
]

ENTRIES = (PAD + INTERPOLATE + UPSAMPLE_FUNCTIONS + BLOCKS + SHUFFLES + VECTORS + ACTIVATIONS
           + MODULES)
