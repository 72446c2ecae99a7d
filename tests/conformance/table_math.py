"""Conformance entries for elementwise math, division and remainders, comparisons, bitwise and
logical operations, cumulative operations and products (chainrule/ops/pointwise.py, binary.py,
division.py, comparison.py, bitwise.py, cumulative.py, products.py).

Each function also has a ``Tensor.<name>`` entry (the method) and, where PyTorch has one, an
in-place ``Tensor.<name>_`` entry. Cases cover drawn shapes (0-d, empty and size-1 dims), float32,
integer inputs (PyTorch's promotion) and gradients in float64.
"""
from __future__ import annotations

from harness import Entry, bools, case, floats, ints, shapes

X23 = floats(2, 3)
DRAWN = floats(drawn=shapes(0, 3, 0, 3))


def _unary(name: str, spec, grad: bool = True, ints_ok: bool = True) -> list:
    g = [0] if grad else []

    def fn(L, x):
        return getattr(L, name)(x)

    def method(L, x):
        return getattr(x, name)()

    def inplace(L, x):
        y = x.clone()
        getattr(y, name + "_")()
        return y

    drawn = spec(drawn=shapes(0, 3, 0, 3)) if spec is floats else spec(2, 3)
    cases = [case(fn, drawn, grad=g),
             case(fn, spec(), grad=g, label="0-d"),
             case(fn, spec(0, 2), grad=g, label="empty"),
             case(fn, spec(3, dtype="float32"), label="float32")]
    if ints_ok:
        cases.append(case(fn, ints(2, 3, low=1, high=4), label="int64"))
    return [Entry(name, cases), Entry("Tensor." + name, [case(method, spec(2, 3), grad=g)]),
            Entry("Tensor." + name + "_", [case(inplace, spec(2, 3))])]


def _bounded_spec(*shape, dtype="float64", drawn=None):
    return floats(*shape, low=-0.9, high=0.9, dtype=dtype, drawn=drawn)


def _above_one(*shape, dtype="float64", drawn=None):
    return floats(*shape, low=1.1, high=3.0, dtype=dtype, drawn=drawn)


def _positive(*shape, dtype="float64", drawn=None):
    return floats(*shape, low=0.1, high=3.0, dtype=dtype, drawn=drawn)


def _wide(*shape, dtype="float64", drawn=None):
    return floats(*shape, low=-4.0, high=4.0, dtype=dtype, drawn=drawn)


UNARY = []
for _name, _spec in [("tan", _bounded_spec), ("asin", _bounded_spec), ("arcsin", _bounded_spec),
                     ("acos", _bounded_spec), ("arccos", _bounded_spec), ("atan", floats),
                     ("arctan", floats), ("sinh", floats), ("cosh", floats), ("asinh", floats),
                     ("arcsinh", floats), ("acosh", _above_one), ("arccosh", _above_one),
                     ("atanh", _bounded_spec), ("arctanh", _bounded_spec), ("exp2", floats),
                     ("expm1", floats), ("log2", _positive), ("log10", _positive),
                     ("log1p", _positive), ("rsqrt", _positive), ("reciprocal", _positive),
                     ("erfc", floats), ("erfinv", _bounded_spec), ("square", floats),
                     ("frac", _wide), ("absolute", floats)]:
    UNARY += _unary(_name, _spec, ints_ok=_name not in ("acosh", "arccosh", "frac"))
for _name in ("floor", "ceil", "trunc", "fix", "round", "sign", "sgn"):
    UNARY += _unary(_name, _wide, grad=_name != "sgn")    # torch's sgn gradient is a ZeroTensor
UNARY += [
    Entry("round", [case(lambda L, x: L.round(x, decimals=2), _wide(7), grad=[0]),
                    case(lambda L, x: L.round(x * 10, decimals=-1), _wide(7), grad=[0])]),
    Entry("logit", [case(lambda L, p: L.logit(p), floats(2, 3, low=0.05, high=0.95), grad=[0]),
                    case(lambda L, p: L.logit(p, eps=0.2), floats(8, low=0.0, high=1.0),
                         grad=[0], label="eps")]),
    Entry("Tensor.logit", [case(lambda L, p: p.logit(), floats(3, low=0.1, high=0.9),
                                grad=[0])]),
    Entry("nan_to_num", [case(lambda L, x: L.nan_to_num(L.log(x)), floats(6, low=-1, high=2),
                              grad=[0]),
                         case(lambda L, x: L.nan_to_num(1 / x * L.log(x), nan=1.0, posinf=5.0,
                                                        neginf=-5.0),
                              floats(7, low=-1, high=1), grad=[0])]),
    Entry("Tensor.nan_to_num", [case(lambda L, x: L.log(x).nan_to_num(), floats(4, low=-1))]),
    Entry("Tensor.nan_to_num_", [case(lambda L, x: L.log(x).nan_to_num_(), floats(4, low=-1))]),
]

BINARY = []
for _name, _a, _b in [("atan2", floats, floats), ("arctan2", floats, floats),
                      ("hypot", floats, floats), ("xlogy", floats, _positive),
                      ("fmax", floats, floats), ("fmin", floats, floats),
                      ("remainder", _wide, _positive), ("fmod", _wide, _positive),
                      ("floor_divide", _wide, _positive), ("true_divide", floats, _positive)]:
    def _fn(L, x, y, _n=_name):
        return getattr(L, _n)(x, y)

    def _method(L, x, y, _n=_name):
        return getattr(x, _n)(y)

    def _inplace(L, x, y, _n=_name):
        z = x.clone()
        getattr(z, _n + "_")(y)
        return z

    _g = [] if _name == "floor_divide" else [0, 1]
    BINARY += [
        Entry(_name, [case(_fn, _a(2, 3), _b(2, 3), grad=_g),
                      case(_fn, _a(2, 1), _b(3), grad=_g, label="broadcast"),
                      case(_fn, _a(), _b(2), grad=_g, label="0-d"),
                      case(_fn, _a(0, 3), _b(3), grad=_g, label="empty"),
                      case(_fn, _a(3, dtype="float32"), _b(3, dtype="float32"),
                           label="float32")]),
        Entry("Tensor." + _name, [case(_method, _a(2, 3), _b(3), grad=_g)]),
    ]
    if _name not in ("fmax", "fmin"):
        BINARY.append(Entry("Tensor." + _name + "_", [case(_inplace, _a(2, 3), _b(3))]))

INT_PAIR = (ints(6, low=-7, high=8), ints(6, low=1, high=4))
BINARY += [
    Entry("remainder", [case(lambda L, i, j: L.remainder(i, j), *INT_PAIR, label="int64"),
                        case(lambda L, i, j: L.remainder(i, -j), *INT_PAIR, label="negative"),
                        case(lambda L, i: L.remainder(i, 3), ints(5, low=-5), label="scalar"),
                        case(lambda L, i: L.remainder(i, 0), ints(3), raises=True)]),
    Entry("fmod", [case(lambda L, i, j: L.fmod(i, j), *INT_PAIR, label="int64"),
                   case(lambda L, i, j: L.fmod(i, -j), *INT_PAIR, label="negative"),
                   case(lambda L, x: L.fmod(x, 1.5), _wide(5), grad=[0], label="scalar")]),
    Entry("floor_divide", [case(lambda L, i, j: L.floor_divide(i, j), *INT_PAIR, label="int"),
                           case(lambda L, i: L.floor_divide(i, 0), ints(3), raises=True)]),
    Entry("true_divide", [case(lambda L, i, j: L.true_divide(i, j), *INT_PAIR, label="int")]),
    Entry("xlogy", [case(lambda L, x, y: L.xlogy(x * (x > 0), y), floats(6), _positive(6),
                         grad=[0, 1], label="zeros"),
                    case(lambda L, x: L.xlogy(x, 2.0), floats(3), grad=[0], label="scalar")]),
    Entry("fmax", [case(lambda L, x, y: L.fmax(L.log(x), y), floats(6), floats(6),
                        label="nan")]),
    Entry("Tensor.__mod__", [case(lambda L, x, y: x % y, _wide(2, 3), _positive(3), grad=[0, 1]),
                             case(lambda L, i: i % 3, ints(5, low=-5), label="int")]),
    Entry("Tensor.__rmod__", [case(lambda L, x: 5.0 % x, _positive(3))]),
    Entry("Tensor.__floordiv__", [case(lambda L, x, y: x // y, _wide(2, 3), _positive(3)),
                                  case(lambda L, i: i // 2, ints(5, low=-5), label="int")]),
    Entry("Tensor.__rfloordiv__", [case(lambda L, i: 7 // i, ints(4, low=1, high=5))]),
    Entry("Tensor.__imod__", [case(lambda L, i: i.clone().__imod__(3), ints(4, low=-5))]),
    Entry("Tensor.__ifloordiv__", [case(lambda L, i: i.clone().__ifloordiv__(2),
                                        ints(4, low=-5))]),
    Entry("lerp", [case(lambda L, a, b: L.lerp(a, b, 0.3), X23, X23, grad=[0, 1]),
                   case(lambda L, a, b, w: L.lerp(a, b, w), X23, floats(3), X23,
                        grad=[0, 1, 2], label="tensor weight")]),
    Entry("Tensor.lerp", [case(lambda L, a, b: a.lerp(b, 0.5), X23, X23, grad=[0, 1])]),
    Entry("Tensor.lerp_", [case(lambda L, a, b: a.clone().lerp_(b, 0.5), X23, X23)]),
    Entry("clamp_min", [case(lambda L, x: L.clamp_min(x, 0.2), DRAWN, grad=[0])]),
    Entry("clamp_max", [case(lambda L, x: L.clamp_max(x, 0.2), DRAWN, grad=[0])]),
    Entry("Tensor.clamp_", [case(lambda L, x: x.clone().clamp_(-0.5, 0.5), X23)]),
    Entry("Tensor.clip_", [case(lambda L, x: x.clone().clip_(max=0.5), X23)]),
    Entry("clamp", [case(lambda L, x, lo, hi: L.clamp(x, lo, hi), X23, floats(3, low=-2, high=0),
                         floats(2, 1, low=0, high=2), grad=[0, 1, 2], label="tensor bounds"),
                    case(lambda L, i: L.clamp(i, min=0.5), ints(4), label="int with float")]),
]

# ------------------------------------------------------------------------------ in place arithmetic
INPLACE = [
    Entry("Tensor.add", [case(lambda L, x, y: x.add(y, alpha=3), X23, X23, grad=[0, 1])]),
    Entry("Tensor.add_", [case(lambda L, x, y: x.clone().add_(y, alpha=2), X23, floats(3))]),
    Entry("Tensor.sub", [case(lambda L, x, y: x.sub(y), X23, X23, grad=[0, 1])]),
    Entry("Tensor.sub_", [case(lambda L, x, y: x.clone().sub_(y, alpha=0.5), X23, X23)]),
    Entry("Tensor.mul", [case(lambda L, x, y: x.mul(y), X23, X23, grad=[0, 1])]),
    Entry("Tensor.mul_", [case(lambda L, x: x.clone().mul_(2), X23)]),
    Entry("Tensor.div", [case(lambda L, x, y: x.div(y, rounding_mode="trunc"), X23, _positive(3)),
                         case(lambda L, x, y: x.div(y), X23, _positive(3), grad=[0, 1])]),
    Entry("Tensor.div_", [case(lambda L, x: x.clone().div_(4), X23),
                          case(lambda L, i: i.clone().div_(2), ints(3), raises=True)]),
    Entry("Tensor.multiply", [case(lambda L, x, y: x.multiply(y), X23, X23)]),
    Entry("Tensor.divide", [case(lambda L, x, y: x.divide(y), X23, _positive(2, 3))]),
    Entry("Tensor.subtract", [case(lambda L, x, y: x.subtract(y, alpha=2), X23, X23)]),
    Entry("Tensor.abs_", [case(lambda L, x: x.clone().abs_(), X23)]),
    Entry("Tensor.exp_", [case(lambda L, x: x.clone().exp_(), X23)]),
    Entry("Tensor.neg_", [case(lambda L, x: x.clone().neg_(), X23)]),
    Entry("Tensor.sigmoid_", [case(lambda L, x: x.clone().sigmoid_(), X23)]),
    Entry("Tensor.pow_", [case(lambda L, x: x.clone().pow_(2), X23)]),
    Entry("sub", [case(lambda L, x: L.sub(x, 1.5), ints(3), label="int minus float")]),
    Entry("add", [case(lambda L, i, x: L.add(i, x), ints(3), floats(3, dtype="float32")),
                  case(lambda L, i: L.add(i, L.tensor(1.5, dtype=L.float64)), ints(3),
                       label="0-d float64"),
                  case(lambda L, x: L.add(x, L.tensor(1.5, dtype=L.float64)),
                       floats(3, dtype="float32"), label="float32 with 0-d float64"),
                  case(lambda L, b: L.add(b, 1), bools(3), label="bool + int"),
                  case(lambda L, b: b * 2.5, bools(3), label="bool * float")]),
    Entry("div", [case(lambda L, i, j: L.div(i, j), ints(4, low=1), ints(4, low=1),
                       label="int / int is float")]),
]

# ------------------------------------------------------------------------------ comparisons
COMPARE = []
for _name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
              "less_equal", "not_equal"):
    COMPARE += [
        Entry(_name, [case(lambda L, x, y, _n=_name: getattr(L, _n)(x, y),
                           ints(2, 3, high=3), ints(3, high=3)),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, 0.5), X23, label="scalar"),
                      case(lambda L, i, _n=_name: getattr(L, _n)(i, 1.5), ints(4),
                           label="int vs float"),
                      case(lambda L, x, y, _n=_name: getattr(L, _n)(x, y), floats(0, 2),
                           floats(2), label="empty")]),
        Entry("Tensor." + _name, [case(lambda L, x, y, _n=_name: getattr(x, _n)(y),
                                       ints(3, high=3), ints(3, high=3))]),
        Entry("Tensor." + _name + "_", [case(lambda L, x, y, _n=_name: getattr(x.clone(),
                                                                             _n + "_")(y),
                                             ints(3, high=3), ints(3, high=3))]),
    ]
COMPARE += [
    Entry("isclose", [case(lambda L, x: L.isclose(x, x + 1e-9), X23),
                      case(lambda L, x, y: L.isclose(x, y, rtol=0.5, atol=0.1), X23, X23),
                      case(lambda L, x: L.isclose(L.log(x), L.log(x), equal_nan=True),
                           floats(5))]),
    Entry("Tensor.isclose", [case(lambda L, x: x.isclose(x * 1.1), X23)]),
    Entry("allclose", [case(lambda L, x: L.allclose(x, x + 1e-9), X23),
                       case(lambda L, x: L.allclose(x, x + 1.0), X23)]),
    Entry("Tensor.allclose", [case(lambda L, x: x.allclose(x), X23)]),
    Entry("equal", [case(lambda L, x: L.equal(x, x.clone()), X23),
                    case(lambda L, x: L.equal(x, x[:1]), X23),
                    case(lambda L, x: L.equal(x, x + 1), X23)]),
    Entry("Tensor.equal", [case(lambda L, x: x.equal(x), X23)]),
]
for _name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
    COMPARE += [
        Entry(_name, [case(lambda L, x, _n=_name: getattr(L, _n)(L.log(x) * x), floats(8)),
                      case(lambda L, i, _n=_name: getattr(L, _n)(i), ints(3), label="int")]),
        Entry("Tensor." + _name, [case(lambda L, x, _n=_name: getattr(L.log(x), _n)(),
                                       floats(8))]),
    ]

# ------------------------------------------------------------------------------ bitwise, logical
BITWISE = []
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
              "bitwise_right_shift", "logical_and", "logical_or", "logical_xor"):
    _hi = 4 if "shift" in _name else 16
    BITWISE += [
        Entry(_name, [case(lambda L, i, j, _n=_name: getattr(L, _n)(i, j),
                           ints(2, 3, low=-8, high=16), ints(3, high=_hi)),
                      case(lambda L, i, j, _n=_name: getattr(L, _n)(i, j), bools(4), bools(4),
                           label="bool") if "shift" not in _name else
                      case(lambda L, i, _n=_name: getattr(L, _n)(i, 2), ints(4), label="scalar"),
                      case(lambda L, x, y, _n=_name: getattr(L, _n)(x, y), X23, X23,
                           raises="logical" not in _name, label="float")]),
        Entry("Tensor." + _name, [case(lambda L, i, j, _n=_name: getattr(i, _n)(j),
                                       ints(3, high=8), ints(3, high=3))]),
        Entry("Tensor." + _name + "_", [case(lambda L, i, j, _n=_name: getattr(i.clone(),
                                                                             _n + "_")(j),
                                             ints(3, high=8), ints(3, high=3))]),
    ]
for _name in ("bitwise_not", "logical_not"):
    BITWISE += [
        Entry(_name, [case(lambda L, i, _n=_name: getattr(L, _n)(i), ints(2, 3, low=-5)),
                      case(lambda L, b, _n=_name: getattr(L, _n)(b), bools(4), label="bool")]),
        Entry("Tensor." + _name, [case(lambda L, i, _n=_name: getattr(i, _n)(), ints(3))]),
        Entry("Tensor." + _name + "_", [case(lambda L, i, _n=_name: getattr(i.clone(),
                                                                           _n + "_")(),
                                             ints(3))]),
    ]
BITWISE += [
    Entry("Tensor.__lshift__", [case(lambda L, i: i << 2, ints(4, low=-4))]),
    Entry("Tensor.__rshift__", [case(lambda L, i: i >> 1, ints(4, low=-4))]),
    Entry("Tensor.__rlshift__", [case(lambda L, i: 1 << i, ints(4))]),
    Entry("Tensor.__rrshift__", [case(lambda L, i: 64 >> i, ints(4))]),
    Entry("Tensor.__ilshift__", [case(lambda L, i: i.clone().__ilshift__(1), ints(4))]),
    Entry("Tensor.__irshift__", [case(lambda L, i: i.clone().__irshift__(1), ints(4))]),
    Entry("Tensor.__rxor__", [case(lambda L, i: 5 ^ i, ints(4))]),
    Entry("Tensor.__iand__", [case(lambda L, i: i.clone().__iand__(3), ints(4))]),
    Entry("Tensor.__ior__", [case(lambda L, i: i.clone().__ior__(3), ints(4))]),
    Entry("Tensor.__ixor__", [case(lambda L, i: i.clone().__ixor__(3), ints(4))]),
]

# ------------------------------------------------------------------------------ cumulative
CUMULATIVE = []
for _name, _spec in [("cumsum", floats), ("cumprod", floats), ("logcumsumexp", floats)]:
    CUMULATIVE += [
        Entry(_name, [case(lambda L, x, _n=_name: getattr(L, _n)(x, 1), X23, grad=[0]),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, -1), floats(2, 1, 4),
                           grad=[0], label="negative dim"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, 0), floats(), grad=[0],
                           label="0-d"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, 0), floats(0, 3),
                           grad=[0], label="empty"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, dim=0),
                           floats(5, dtype="float32"), label="float32"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, 2), X23, raises=True,
                           label="dim out of range")]),
        Entry("Tensor." + _name, [case(lambda L, x, _n=_name: getattr(x, _n)(0), X23,
                                       grad=[0])]),
    ]
CUMULATIVE += [
    Entry("cumsum", [case(lambda L, i: L.cumsum(i, 0), ints(4, dtype="int32"), label="int32"),
                     case(lambda L, b: L.cumsum(b, 0), bools(4), label="bool"),
                     case(lambda L, i: L.cumsum(i, 0, dtype=L.float64), ints(4), label="dtype")]),
    Entry("cumprod", [case(lambda L, x: L.cumprod(x * (x > 0), 0), floats(6), grad=[0],
                           label="zeros"),
                      case(lambda L, x: L.cumprod(x * (x.abs() > 0.5), 1), floats(3, 5),
                           grad=[0], label="several zeros"),
                      case(lambda L, i: L.cumprod(i, 0), ints(4, low=1), label="int")]),
    Entry("Tensor.cumsum_", [case(lambda L, x: x.clone().cumsum_(0), X23)]),
    Entry("Tensor.cumprod_", [case(lambda L, x: x.clone().cumprod_(1), X23)]),
]
for _name in ("cummax", "cummin"):
    CUMULATIVE += [
        Entry(_name, [case(lambda L, x, _n=_name: getattr(L, _n)(x, 1), X23, grad=[0]),
                      case(lambda L, i, _n=_name: getattr(L, _n)(i, 0), ints(8, high=3),
                           label="ties"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, -1), floats(2, 0),
                           label="empty"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(x, 0), floats(), grad=[0],
                           label="0-d"),
                      case(lambda L, x, _n=_name: getattr(L, _n)(L.log(x), 0), floats(8),
                           label="nan")]),
        Entry("Tensor." + _name, [case(lambda L, x, _n=_name: getattr(x, _n)(0), X23,
                                       grad=[0])]),
    ]

# ------------------------------------------------------------------------------ products
PRODUCTS = [
    Entry("mm", [case(lambda L, a, b: L.mm(a, b), floats(2, 3), floats(3, 4), grad=[0, 1]),
                 case(lambda L, a, b: L.mm(a, b), floats(0, 3), floats(3, 2), grad=[0, 1]),
                 case(lambda L, a, b: L.mm(a, b), floats(3), floats(3, 2), raises=True),
                 case(lambda L, a, b: L.mm(a, b), floats(2, 3), floats(2, 3), raises=True)]),
    Entry("Tensor.mm", [case(lambda L, a, b: a.mm(b), floats(2, 3), floats(3, 1), grad=[0, 1])]),
    Entry("bmm", [case(lambda L, a, b: L.bmm(a, b), floats(2, 2, 3), floats(2, 3, 4),
                       grad=[0, 1]),
                  case(lambda L, a, b: L.bmm(a, b), floats(2, 2, 3), floats(1, 3, 4),
                       raises=True)]),
    Entry("Tensor.bmm", [case(lambda L, a, b: a.bmm(b), floats(1, 2, 3), floats(1, 3, 2))]),
    Entry("mv", [case(lambda L, a, v: L.mv(a, v), floats(2, 3), floats(3), grad=[0, 1])]),
    Entry("Tensor.mv", [case(lambda L, a, v: a.mv(v), floats(2, 3), floats(3), grad=[0, 1])]),
    Entry("dot", [case(lambda L, a, b: L.dot(a, b), floats(4), floats(4), grad=[0, 1]),
                  case(lambda L, a, b: L.dot(a, b), floats(0), floats(0), label="empty"),
                  case(lambda L, a, b: L.dot(a, b), floats(2, 2), floats(2, 2), raises=True)]),
    Entry("Tensor.dot", [case(lambda L, a, b: a.dot(b), floats(3), floats(3), grad=[0, 1])]),
    Entry("vdot", [case(lambda L, a, b: L.vdot(a, b), floats(4), floats(4), grad=[0, 1])]),
    Entry("Tensor.vdot", [case(lambda L, a, b: a.vdot(b), floats(4), floats(4))]),
    Entry("inner", [case(lambda L, a, b: L.inner(a, b), floats(2, 3), floats(4, 3),
                         grad=[0, 1]),
                    case(lambda L, a, b: L.inner(a, b), floats(3), floats(3), grad=[0, 1]),
                    case(lambda L, a, b: L.inner(a, b), floats(), floats(2, 3), grad=[0, 1])]),
    Entry("Tensor.inner", [case(lambda L, a, b: a.inner(b), floats(3), floats(2, 3))]),
    Entry("outer", [case(lambda L, a, b: L.outer(a, b), floats(3), floats(2), grad=[0, 1]),
                    case(lambda L, i, j: L.outer(i, j), ints(3), ints(2), label="int")]),
    Entry("Tensor.outer", [case(lambda L, a, b: a.outer(b), floats(3), floats(2))]),
    Entry("ger", [case(lambda L, a, b: L.ger(a, b), floats(3), floats(2), grad=[0, 1])]),
    Entry("Tensor.ger", [case(lambda L, a, b: a.ger(b), floats(3), floats(2))]),
    Entry("addmm", [case(lambda L, c, a, b: L.addmm(c, a, b), floats(2, 4), floats(2, 3),
                         floats(3, 4), grad=[0, 1, 2]),
                    case(lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2), floats(4),
                         floats(2, 3), floats(3, 4), grad=[0, 1, 2], label="broadcast input"),
                    case(lambda L, c, a, b: L.addmm(L.log(c), a, b, beta=0), floats(2, 4),
                         floats(2, 3), floats(3, 4), grad=[0, 1, 2], label="beta 0, nan")]),
    Entry("Tensor.addmm", [case(lambda L, c, a, b: c.addmm(a, b, alpha=3), floats(2, 4),
                                floats(2, 3), floats(3, 4), grad=[0, 1, 2])]),
    Entry("Tensor.addmm_", [case(lambda L, c, a, b: c.clone().addmm_(a, b), floats(2, 4),
                                 floats(2, 3), floats(3, 4))]),
    Entry("baddbmm", [case(lambda L, c, a, b: L.baddbmm(c, a, b, beta=2), floats(2, 2, 4),
                           floats(2, 2, 3), floats(2, 3, 4), grad=[0, 1, 2])]),
    Entry("Tensor.baddbmm", [case(lambda L, c, a, b: c.baddbmm(a, b), floats(2, 4),
                                  floats(2, 2, 3), floats(2, 3, 4), grad=[0, 1, 2])]),
    Entry("addbmm", [case(lambda L, c, a, b: L.addbmm(c, a, b, alpha=0.5), floats(2, 4),
                          floats(3, 2, 3), floats(3, 3, 4), grad=[0, 1, 2])]),
    Entry("Tensor.addbmm", [case(lambda L, c, a, b: c.addbmm(a, b), floats(2, 4),
                                 floats(3, 2, 3), floats(3, 3, 4))]),
    Entry("addmv", [case(lambda L, c, a, v: L.addmv(c, a, v, beta=3), floats(2), floats(2, 3),
                         floats(3), grad=[0, 1, 2])]),
    Entry("Tensor.addmv", [case(lambda L, c, a, v: c.addmv(a, v), floats(2), floats(2, 3),
                                floats(3))]),
    Entry("addr", [case(lambda L, c, a, b: L.addr(c, a, b), floats(3, 2), floats(3), floats(2),
                        grad=[0, 1, 2])]),
    Entry("Tensor.addr", [case(lambda L, c, a, b: c.addr(a, b), floats(3, 2), floats(3),
                               floats(2))]),
    Entry("trace", [case(lambda L, x: L.trace(x), floats(0, 0), grad=[0], label="empty")]),
    Entry("Tensor.trace", [case(lambda L, x: x.trace(), floats(3, 2), grad=[0])]),
    Entry("tensordot", [case(lambda L, a, b: L.tensordot(a, b), floats(2, 3, 4), floats(3, 4, 2),
                             grad=[0, 1]),
                        case(lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 0])),
                             floats(2, 3, 4), floats(4, 5, 2), grad=[0, 1]),
                        case(lambda L, a, b: L.tensordot(a, b, dims=0), floats(2), floats(3),
                             grad=[0, 1], label="outer"),
                        case(lambda L, a, b: L.tensordot(a, b, dims=1), floats(2, 3),
                             floats(3), grad=[0, 1])]),
    Entry("kron", [case(lambda L, a, b: L.kron(a, b), floats(2, 3), floats(2, 2), grad=[0, 1]),
                   case(lambda L, a, b: L.kron(a, b), floats(3), floats(2, 2), grad=[0, 1]),
                   case(lambda L, a, b: L.kron(a, b), floats(2), floats(3), grad=[0, 1])]),
    Entry("Tensor.kron", [case(lambda L, a, b: a.kron(b), floats(2), floats(2, 1))]),
    Entry("einsum", [
        case(lambda L, a, b: L.einsum("ij,jk->ik", a, b), floats(2, 3), floats(3, 4),
             grad=[0, 1]),
        case(lambda L, a, b: L.einsum("ij,jk", a, b), floats(2, 3), floats(3, 4), grad=[0, 1],
             label="implicit"),
        case(lambda L, a: L.einsum("ii->i", a), floats(3, 3), grad=[0], label="diagonal"),
        case(lambda L, a: L.einsum("ii", a), floats(3, 3), grad=[0], label="trace"),
        case(lambda L, a: L.einsum("ij->", a), floats(3, 3), grad=[0], label="sum"),
        case(lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b), floats(2, 2, 3),
             floats(3, 2), grad=[0, 1], label="ellipsis"),
        case(lambda L, a, b: L.einsum("b i d, b j d -> b i j", a, b), floats(2, 3, 4),
             floats(2, 2, 4), grad=[0, 1], label="spaces"),
        case(lambda L, a, b: L.einsum("i,j", a, b), floats(3), floats(2), grad=[0, 1]),
        case(lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c), floats(2, 3), floats(3, 4),
             floats(4, 2), grad=[0, 1, 2], label="three operands"),
        case(lambda L, a, b: L.einsum("ij,jk->ik", [a, b]), floats(2, 3), floats(3, 4),
             label="list"),
        case(lambda L, a: L.einsum("...->...", a), floats(), grad=[0], label="0-d"),
        case(lambda L, a, b: L.einsum("ij,jk->ik", a, b), floats(2, 3), floats(2, 3),
             raises=True),
    ]),
]

# in-place forms of functions whose methods tensor.py defines, and remaining method spellings
MORE = [Entry("Tensor." + n + "_", [case(lambda L, x, _n=n: getattr(x.clone(), _n + "_")(),
                                         floats(2, 3, low=0.1, high=2.0))])
        for n in ("cos", "sin", "log", "sqrt", "tanh", "relu", "neg", "negative")]
MORE += [
    Entry("Tensor.neg", [case(lambda L, x: x.neg(), X23, grad=[0])]),
    Entry("Tensor.negative", [case(lambda L, x: x.negative(), X23, grad=[0])]),
    Entry("Tensor.logit_", [case(lambda L, p: p.clone().logit_(), floats(3, low=0.1, high=0.9))]),
    Entry("Tensor.divide_", [case(lambda L, x: x.clone().divide_(2.0), X23)]),
    Entry("Tensor.multiply_", [case(lambda L, x: x.clone().multiply_(2.0), X23)]),
    Entry("Tensor.subtract_", [case(lambda L, x: x.clone().subtract_(2.0, alpha=2), X23)]),
    Entry("Tensor.clamp_min", [case(lambda L, x: x.clamp_min(0.1), X23, grad=[0])]),
    Entry("Tensor.clamp_max", [case(lambda L, x: x.clamp_max(0.1), X23, grad=[0])]),
    Entry("Tensor.clamp_min_", [case(lambda L, x: x.clone().clamp_min_(0.1), X23)]),
    Entry("Tensor.clamp_max_", [case(lambda L, x: x.clone().clamp_max_(0.1), X23)]),
    Entry("isreal", [case(lambda L, x: L.isreal(x), X23)]),
    Entry("Tensor.isreal", [case(lambda L, x: x.isreal(), X23)]),
    Entry("Tensor.addbmm_", [case(lambda L, c, a, b: c.clone().addbmm_(a, b), floats(2, 4),
                                  floats(3, 2, 3), floats(3, 3, 4))]),
    Entry("Tensor.baddbmm_", [case(lambda L, c, a, b: c.clone().baddbmm_(a, b, beta=0.5),
                                   floats(2, 2, 4), floats(2, 2, 3), floats(2, 3, 4))]),
    Entry("Tensor.addmv_", [case(lambda L, c, a, v: c.clone().addmv_(a, v), floats(2),
                                 floats(2, 3), floats(3))]),
    Entry("Tensor.addr_", [case(lambda L, c, a, b: c.clone().addr_(a, b, alpha=2), floats(3, 2),
                                floats(3), floats(2))]),
]

ENTRIES = MORE + UNARY + BINARY + INPLACE + COMPARE + BITWISE + CUMULATIVE + PRODUCTS
