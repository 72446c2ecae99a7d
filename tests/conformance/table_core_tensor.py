"""Conformance entries for reductions, shape operations and indexing, as functions and as Tensor
methods (the Tensor's other methods, properties and operators are in table_core_methods.py).
"""
from __future__ import annotations

import numpy as np
from harness import Entry, bools, case, floats, ints, shapes, value

X234 = floats(2, 3, 4)
DRAWN = floats(drawn=shapes(0, 3, 0, 3))


# ------------------------------------------------------------------------------ reductions


def _reduction(name, method=False, extra=()):
    def call(*args, **kw):
        if method:
            return lambda L, x: getattr(x, name)(*args, **kw)
        return lambda L, x: getattr(L, name)(x, *args, **kw)
    out = [
        case(call(), DRAWN, grad=[0], label="all"),
        case(call(1), X234, grad=[0], label="dim"),
        case(call(-1, keepdim=True), X234, grad=[0], label="keepdim"),
        case(call((0, 2)), X234, grad=[0], label="dim tuple"),
        case(call(dim=(-1, 0), keepdim=True), X234, grad=[0], label="negative tuple"),
        case(call(0), floats(), grad=[0], label="0-d dim 0"),
        case(call(-1), floats(), grad=[0], label="0-d dim -1"),
        case(call(1), floats(2, 1, 3), grad=[0], label="size-1 dim"),
        case(call(3), X234, raises=True, label="dim out of range"),
    ]
    out += [case(call(*a, **k), X234, grad=[0], label=lab) for a, k, lab in extra]
    return out


VARIANCE = [((1,), {"correction": 0}, "correction 0"), ((1,), {"unbiased": False}, "unbiased"),
            ((), {"correction": 2}, "correction 2"), (((0, 1),), {"keepdim": True}, "tuple")]
REDUCTIONS = []
for _name, _extra in (("sum", ()), ("mean", ()), ("prod", ()), ("var", VARIANCE),
                      ("std", VARIANCE), ("logsumexp", ())):
    _cases = _reduction(_name, extra=_extra)
    _mcases = _reduction(_name, method=True, extra=_extra)
    for _list in (_cases, _mcases):
        if _name == "prod":     # torch.prod takes one dim
            _list[:] = [c for c in _list if c.label not in ("dim tuple", "negative tuple")]
        if _name == "logsumexp":
            _list[:] = [c for c in _list if c.label != "all"]
    REDUCTIONS.append(Entry(_name, _cases))
    REDUCTIONS.append(Entry("Tensor." + _name, _mcases))
REDUCTIONS += [
    Entry("sum", [case(lambda L, i: L.sum(i), ints(2, 3), label="int64"),
                  case(lambda L, b: L.sum(b, 0), bools(4, 2), label="bool counts"),
                  case(lambda L, x: L.sum(x, dtype=L.float64), floats(3, dtype="float32")),
                  case(lambda L, x: L.sum(x, 0), floats(0, 3), grad=[0], label="empty")]),
    Entry("mean", [case(lambda L, x: L.mean(x, 0), floats(0, 3), label="empty gives nan"),
                   case(lambda L, i: L.mean(i), ints(3), raises=True, label="int raises")]),
    Entry("prod", [case(lambda L, i: L.prod(i, 0), ints(2, 3), label="int64")]),
    Entry("Tensor.sum", [case(lambda L, x: x.sum(axis=1), X234, grad=[0], label="axis")]),
]


def _minmax(name, method=False):
    fn = (lambda L, x, *a, **k: getattr(x, name)(*a, **k)) if method else \
        (lambda L, x, *a, **k: getattr(L, name)(x, *a, **k))
    out = [case(lambda L, x: fn(L, x), X234, grad=[0], label="all"),
           case(lambda L, x: fn(L, x, 1), X234, grad=[0], label="dim"),
           case(lambda L, x: fn(L, x, dim=-1, keepdim=True), X234, grad=[0], label="keepdim"),
           case(lambda L, x: fn(L, x, 0), floats(), grad=[0], label="0-d"),
           case(lambda L, x: fn(L, x, 0), value(np.array([[1.0, 3.0], [3.0, 1.0]])),
                label="ties"),
           case(lambda L, i: fn(L, i, 1), ints(3, 4), label="int64")]
    if name in ("max", "min"):
        out.append(case(lambda L, x, y: fn(L, x, y), X234, floats(3, 4), grad=[0, 1],
                        label="binary"))
    if name in ("amax", "amin"):
        out.append(case(lambda L, x: fn(L, x, (0, 2)), X234, grad=[0], label="dim tuple"))
    if name in ("argmax", "argmin"):
        out = [c for c in out if c.label != "0-d"] + [
            case(lambda L, x: fn(L, x, 0), floats(), label="0-d")]
    return out


for _name in ("max", "min", "amax", "amin", "argmax", "argmin"):
    REDUCTIONS.append(Entry(_name, _minmax(_name)))
    REDUCTIONS.append(Entry("Tensor." + _name, _minmax(_name, method=True)))
REDUCTIONS += [
    Entry("Tensor.all", [case(lambda L, b: b.all(), bools(3, 2)), case(lambda L, b: b.all(1),
                                                                       bools(3, 2)),
                         case(lambda L, x: x.all(), floats(0, 2), label="empty")]),
    Entry("Tensor.any", [case(lambda L, b: b.any(), bools(3, 2)),
                         case(lambda L, b: b.any(dim=0, keepdim=True), bools(3, 2)),
                         case(lambda L, x: x.any(), floats(0, 2), label="empty")]),
]


# ------------------------------------------------------------------------------ shape operations
def _fm(name, *a, **k):
    """The function form ``L.name(x, *a, **k)`` and the method form ``x.name(*a, **k)``."""
    return (lambda L, x: getattr(L, name)(x, *a, **k)), (lambda L, x: getattr(x, name)(*a, **k))


SHAPE_CASES = {
    "reshape": [((2, 12), X234), ((-1,), X234), ((4, -1, 2), X234), (((), ), floats(1)),
                ((0, 5), floats(0, 5)), ((5, 5), X234, True)],
    "flatten": [((), X234), ((1,), X234), ((0, 1), X234), ((), floats()), ((-2, -1), X234)],
    "permute": [((2, 0, 1), X234), ((-1, 0, 1), X234), (((1, 0, 2),), X234)],
    "transpose": [((0, 2), X234), ((-1, 0), X234), ((0, 0), X234), ((0, -1), floats())],
    "swapaxes": [((0, 2), X234)],
    "squeeze": [((), floats(1, 3, 1)), ((0,), floats(1, 3, 1)), ((1,), floats(1, 3, 1)),
                ((-1,), floats()), ((0,), floats()), (((0, 2),), floats(1, 3, 1))],
    "unsqueeze": [((0,), X234), ((-1,), X234), ((3,), X234), ((0,), floats()),
                  ((-1,), floats())],
    "broadcast_to": [(((2, 3, 4),), floats(3, 1)), (((2, -1),), floats(3)),
                     (((3, 2),), floats(3), True)],
    "split": [((2,), floats(5, 2)), (([1, 4],), floats(5, 2)), ((1, 1), floats(2, 3)),
              ((2, -1), floats(3, 5))],
    "chunk": [((2,), floats(5, 2)), ((3, 1), floats(2, 7)), ((4,), floats(3)),
              ((2,), floats(0, 2))],
}
XFAIL_F: dict = {}     # (name, repr(args)) -> reason, for known differences of the function form
XFAIL_M: dict = {}     # the same for the method form
SHAPES = []
for _name, _rows in SHAPE_CASES.items():
    _fc, _mc = [], []
    for _row in _rows:
        _args, _spec = _row[0], _row[1]
        _raises = len(_row) > 2
        f, m = _fm(_name, *_args)
        if _name in ("reshape", "permute") and not (len(_args) == 1 and
                                                     isinstance(_args[0], tuple)):
            f = _fm(_name, tuple(_args))[0]
        g = [] if _raises else [0]
        key = (_name, repr(_args))
        _fc.append(case(f, _spec, grad=g, raises=_raises, xfail=XFAIL_F.get(key, "")))
        _mc.append(case(m, _spec, grad=g, raises=_raises, xfail=XFAIL_M.get(key, "")))
    SHAPES.append(Entry(_name, _fc))
    SHAPES.append(Entry("Tensor." + _name, _mc))
SHAPES += [
    Entry("moveaxis", [case(lambda L, x: L.moveaxis(x, 0, -1), X234, grad=[0]),
                       case(lambda L, x: L.moveaxis(x, (0, 1), (2, 0)), X234, grad=[0])]),
    Entry("Tensor.view", [case(lambda L, x: x.view(6, 4), X234, grad=[0]),
                          case(lambda L, x: x.view(-1), X234, grad=[0]),
                          case(lambda L, x: x.view((3, 8)), X234, grad=[0]),
                          case(lambda L, x: x.transpose(0, 1).view(-1), X234, raises=True,
                               label="non-contiguous raises"),
                          case(lambda L, x: x.view(L.int64), floats(2), label="dtype view")]),
    Entry("Tensor.expand", [case(lambda L, x: x.expand(2, 3, 4), floats(3, 1), grad=[0]),
                            case(lambda L, x: x.expand(-1, 4), floats(3, 1), grad=[0]),
                            case(lambda L, x: x.expand((2, 3)), floats(3), grad=[0]),
                            case(lambda L, x: x.expand(2), floats(), grad=[0], label="0-d")]),
    Entry("Tensor.expand_as", [case(lambda L, x, y: x.expand_as(y), floats(3, 1),
                                    floats(2, 3, 4), grad=[0])]),
    Entry("cat", [case(lambda L, x, y: L.cat([x, y]), floats(2, 3), floats(1, 3), grad=[0, 1]),
                  case(lambda L, x, y: L.cat((x, y), dim=-1), floats(2, 3), floats(2, 1),
                       grad=[0, 1]),
                  case(lambda L, x, y: L.cat([x, y], 1), floats(2, 3), floats(2, 0),
                       grad=[0, 1], label="empty part"),
                  case(lambda L, x, y: L.cat([x, y]), floats(2, 3), floats(2, 4), raises=True),
                  case(lambda L, x, i: L.cat([x, i]), floats(2), ints(2), grad=[0],
                       label="promotes")]),
    Entry("concatenate", [case(lambda L, x, y: L.concatenate([x, y], axis=1), floats(2, 3),
                               floats(2, 1), grad=[0, 1])]),
    Entry("stack", [case(lambda L, x, y: L.stack([x, y]), X234, X234, grad=[0, 1]),
                    case(lambda L, x, y: L.stack((x, y), dim=-1), X234, X234, grad=[0, 1]),
                    case(lambda L, x, y: L.stack([x, y]), floats(), floats(), grad=[0, 1],
                         label="0-d"),
                    case(lambda L, x, y: L.stack([x, y]), floats(2), floats(3), raises=True)]),
    Entry("gather", [case(lambda L, x, i: L.gather(x, 1, i), floats(3, 4),
                          ints(3, 2, low=0, high=4), grad=[0]),
                     case(lambda L, x, i: L.gather(x, -2, i), floats(3, 4),
                          ints(2, 4, low=0, high=3), grad=[0]),
                     case(lambda L, x, i: L.gather(x, 0, i), floats(), ints(high=1), grad=[0],
                          label="0-d")]),
    Entry("Tensor.gather", [case(lambda L, x, i: x.gather(1, i), floats(3, 4),
                                 ints(3, 2, low=0, high=4), grad=[0]),
                            case(lambda L, x, i: x.gather(dim=-1, index=i), floats(2, 3),
                                 ints(2, 0), grad=[0], label="empty index")]),
    Entry("Tensor.take_along_dim", [case(lambda L, x, i: x.take_along_dim(i, dim=0),
                                         floats(3, 4), ints(2, 4, high=3), grad=[0])]),
    Entry("take_along_dim", [case(lambda L, x, i: L.take_along_dim(x, i, dim=1), floats(3, 4),
                                  ints(3, 2, low=0, high=4), grad=[0]),
                             case(lambda L, x, i: L.take_along_dim(x, i), floats(3, 4),
                                  ints(5, low=0, high=12), grad=[0], label="flat")]),
    Entry("index_put", [
        case(lambda L, x, i, v: L.index_put(x, (i,), v), floats(5, 2), ints(3, high=5),
             floats(3, 2), grad=[0, 2]),
        case(lambda L, x, i, v: L.index_put(x, (i,), v, accumulate=True), floats(5),
             value(np.array([0, 1, 0, 4])), floats(4), grad=[0, 2], label="accumulate")]),
    Entry("Tensor.index_put", [
        case(lambda L, x, i, v: x.index_put((i,), v), floats(5, 2), ints(3, high=5),
             floats(3, 2), grad=[0, 2]),
        case(lambda L, x, i, v: x.index_put((i,), v, True), floats(5),
             value(np.array([3, 3, 0])), floats(3), grad=[0, 2], label="accumulate")]),
    Entry("Tensor.index_put_", [
        case(lambda L, x, i, v: x.clone().index_put_((i,), v), floats(5, 2), ints(3, high=5),
             floats(3, 2)),
        case(lambda L, x, i, v: (x * 1).index_put_((i,), v, accumulate=True), floats(5),
             value(np.array([3, 3, 0])), floats(3), grad=[0, 2], label="accumulate, recorded")]),
]


# ------------------------------------------------------------------------------ indexing
IDX = value(np.array([2, 0, 2]))
GETITEM = Entry("Tensor.__getitem__", [
    case(lambda L, x: x[1], X234, grad=[0], label="int"),
    case(lambda L, x: x[-1, 2], X234, grad=[0], label="negative int"),
    case(lambda L, x: x[:, 1:3], X234, grad=[0], label="slice"),
    case(lambda L, x: x[..., ::2], X234, grad=[0], label="ellipsis step"),
    case(lambda L, x: x[None, 0, ..., None], X234, grad=[0], label="None"),
    case(lambda L, x: x[1, 2, 3], X234, grad=[0], label="all ints 0-d"),
    case(lambda L, x: x[()], floats(), grad=[0], label="0-d empty tuple"),
    case(lambda L, x: x[...], floats(), grad=[0], label="0-d ellipsis"),
    case(lambda L, x: x[None], floats(), grad=[0], label="0-d None"),
    case(lambda L, x, i: x[i], floats(3, 4), IDX, grad=[0], label="int array"),
    case(lambda L, x, i: x[:, i], floats(3, 3, 2), IDX, grad=[0], label="array after slice"),
    case(lambda L, x, b: x[b], floats(3, 4), bools(3, 4), grad=[0], label="bool mask"),
    case(lambda L, x, b: x[b], floats(3, 4), bools(3), grad=[0], label="row mask"),
    case(lambda L, x: x[[0, 1], [1, 2]], X234, grad=[0], label="two lists"),
    case(lambda L, x, i: x[i, :, i], floats(3, 2, 3), IDX, grad=[0],
         label="separated arrays go first"),
    case(lambda L, x, i: x[1, :, i], floats(2, 3, 4), IDX, grad=[0],
         label="int beside array is basic"),
    case(lambda L, x, i: x[1, :, 3:11:2, i, 0:2], floats(2, 3, 12, 4, 3), IDX, grad=[0],
         label="mixed int slice array"),
    case(lambda L, x, i: x[:, i, None], floats(2, 3), IDX, grad=[0], label="array then None"),
    case(lambda L, x: x[5], floats(3), raises=True, label="out of range"),
    case(lambda L, x: x[0:0], X234, grad=[0], label="empty slice"),
    case(lambda L, x, i: x[i], floats(4), value(np.zeros((0,), dtype=np.int64)), grad=[0],
         label="empty index"),
    case(lambda L, x, t: x[t], floats(4), value(np.array(2)), grad=[0], label="0-d index"),
    case(lambda L, x: x[2:100], floats(4), grad=[0], label="clipped slice"),
    case(lambda L, x: x[::-1], floats(4), raises=True, label="negative step raises"),
    case(lambda L, x, i: x[i], floats(5, 2), value(np.array([[0, 4], [3, 3]])), grad=[0],
         label="2-d int index"),
    case(lambda L, x, i, j: x[i, :, j], floats(3, 2, 4), value(np.array([[0], [2]])),
         value(np.array([1, 3, 0])), grad=[0], label="broadcast arrays around a slice"),
    case(lambda L, x: x[[True, False, True]], floats(3, 2), grad=[0], label="bool list"),
    case(lambda L, x, b: x[b, 1:], floats(3, 4), bools(3), grad=[0], label="mask then slice"),
    case(lambda L, x: x[..., None, 1], floats(2, 3), grad=[0], label="ellipsis None int"),
    case(lambda L, x: x[-4], floats(3), raises=True, label="negative out of range"),
    case(lambda L, i: i[i > 2], ints(6), label="int mask select"),
])


def _setitem_basic(L, x, v):
    y = x * 1.0
    y[1, :2] = v
    return y * 2


def _setitem_array(L, x, v, i):
    y = x.clone()
    y[i] = v
    return (y ** 2).sum(0)


def _setitem_mask(L, x):
    y = x + 0
    y[y > 0] = 0.0
    return y.exp()


def _setitem_scalar_bcast(L, x):
    y = x * 3
    y[:, 1] = 5
    return y


def _setitem_int_tensor(L, i):
    i = i.clone()
    i[0] = 2.7
    return i


def _setitem_leaf_raises(L, x):
    x[0] = 1.0
    return x


def _setitem_chain(L, x, v):
    y = x.exp()
    z = y * 1
    z[0] = v
    z[:, 1] = z[:, 2] * 2
    return z.sum(1) + y.sum(0)[:3]


def _setitem_ellipsis(L, x, v):
    y = x * 1
    y[..., 1:] = v
    return y


def _setitem_no_grad_leaf(L, x):
    x[1] = 7.0
    x[x < 0] = -1
    return x


SETITEM = Entry("Tensor.__setitem__", [
    case(_setitem_basic, floats(3, 4), floats(2), grad=[0, 1], label="basic"),
    case(_setitem_array, floats(4, 2), floats(2, 2), value(np.array([3, 0])), grad=[0, 1],
         label="int array"),
    case(_setitem_mask, floats(3, 3), grad=[0], label="mask"),
    case(_setitem_scalar_bcast, floats(2, 3), grad=[0], label="scalar broadcast"),
    case(_setitem_int_tensor, ints(3), label="float into int truncates"),
    case(_setitem_leaf_raises, floats(3), grad=[0], raises=True, label="leaf requiring grad"),
    case(_setitem_chain, floats(3, 4), floats(4), grad=[0, 1], label="twice, then reused"),
    case(_setitem_ellipsis, floats(2, 3), floats(2, 1), grad=[0, 1], label="ellipsis broadcast"),
    case(_setitem_no_grad_leaf, floats(3), label="leaf without grad"),
])

ENTRIES = REDUCTIONS + SHAPES + [GETITEM, SETITEM]
