"""Conformance entries for the Tensor's own surface: the legacy constructor, conversions
(``to``, ``type``, ``float``…), properties (``shape``, ``dtype``, ``grad``, ``is_leaf``…),
autograd methods (``backward``, ``detach``, ``retain_grad``…), in-place fills and random draws,
and the Python operators (``+``, ``@``, ``+=``, comparisons, ``len``, ``format``…).
"""
from __future__ import annotations

import operator

import numpy as np
from harness import Entry, bools, case, floats, ints, positive

X = floats(2, 3)
X32 = floats(2, 3, dtype="float32")
X4 = floats(2, 3, 4, 5)


def _layout(x, L):
    """A tensor's values, strides and contiguity in both memory formats."""
    return x, x.stride(), x.is_contiguous(), x.is_contiguous(memory_format=L.channels_last)


def _m(name, *a, **k):
    return lambda L, x: getattr(x, name)(*a, **k)


def _p(name):
    return lambda L, x: getattr(x, name)


# ------------------------------------------------------------------------------ construction
CONSTRUCTOR = [Entry("Tensor", [
    case(lambda L: L.Tensor(3).shape, label="size 3"),
    case(lambda L: (L.Tensor(2, 3).shape, L.Tensor(2, 3).dtype), label="sizes"),
    case(lambda L: L.Tensor([1, 2]), label="data list is float32"),
    case(lambda L: L.Tensor([[1.5, 2.0]]), label="nested"),
    case(lambda L: L.Tensor().shape, label="no arguments: empty"),
    case(lambda L: isinstance(L.tensor([1.0]), L.Tensor), label="isinstance"),
])]


def _legacy(name):
    """PyTorch's typed constructor ``name``: sizes, data (list, NumPy array of another dtype,
    a tensor of its own dtype), isinstance, Tensor.type(cls), and a tensor of another dtype
    refused."""
    def entry(L):
        return getattr(L, name)

    integer = name in ("LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor")
    data = [1.0, 2.0, 0.0] if name != "BoolTensor" else [True, False]
    other = "int64" if name != "LongTensor" else "float64"
    return Entry(name, [
        case(lambda L: (entry(L)(2, 3).shape, entry(L)(2, 3).dtype), label="sizes"),
        case(lambda L: entry(L)(data), label="data list"),
        case(lambda L: entry(L)(np.array([[3, 1, 0]], dtype=np.int32)), label="NumPy int32 data"),
        *([case(lambda L: entry(L)([1.7, 2.2]), label="floats truncate")] if integer else []),
        case(lambda L: entry(L)(L.ones(2, dtype=entry(L)(1).dtype)), label="own dtype tensor"),
        case(lambda L: entry(L)(L.ones(2, dtype=getattr(L, other))), raises=TypeError,
             label="other dtype tensor"),
        case(lambda L: (isinstance(entry(L)([1]), entry(L)), isinstance(L.ones(2, dtype=getattr(
            L, other)), entry(L))), label="isinstance"),
        case(lambda L: (L.zeros(2).type(entry(L)), L.zeros(2).type(entry(L)).type()),
             label="Tensor.type(cls)"),
    ])


LEGACY_CONSTRUCTORS = [_legacy(name) for name in (
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor")]


# ------------------------------------------------------------------------------ conversions
def _to_none(L, x):
    return x.to(None) is x, x.to(None).dtype


def _to_same(L, x):
    return x.to(L.float64) is x, x.to("cpu") is x, x.to(x.dtype).dtype


def _to_grad(L, x):
    return x.to(L.float32) * 2


CONVERSIONS = [
    Entry("Tensor.to", [
        case(_to_none, X, label="None is self"),
        case(_to_same, X, label="no-op returns self"),
        case(lambda L, x: x.to(L.float32), X, label="dtype"),
        case(lambda L, x: x.to(dtype=L.int64), X, label="dtype keyword"),
        case(lambda L, x: x.to("cpu"), X, label="device"),
        case(lambda L, x, y: x.to(y), X, X32, label="like other"),
        case(lambda L, x: x.to("cpu", L.float32), X, label="device and dtype"),
        case(_to_grad, X, grad=[0], label="differentiable"),
    ]),
    Entry("Tensor.type", [
        case(lambda L, x: x.type(L.float32), X),
        case(lambda L, x: x.type(L.int64), X),
        case(lambda L, x: x.type(), X, label="name"),
        case(lambda L, i: i.type(), ints(2), label="name int"),
        case(lambda L, x: x.type("torch.FloatTensor"), X),
    ]),
    Entry("Tensor.type_as", [case(lambda L, x, i: x.type_as(i), X, ints(2)),
                             case(lambda L, x, y: x.type_as(y), X, X32, grad=[0])]),
    Entry("Tensor.float", [case(_m("float"), X, grad=[0]), case(_m("float"), ints(3))]),
    Entry("Tensor.double", [case(_m("double"), X32, grad=[0]), case(_m("double"), ints(3))]),
    Entry("Tensor.half", [case(lambda L, x: x.half().float(), floats(3, low=-1, high=1))]),
    Entry("Tensor.long", [case(_m("long"), floats(5, low=-3, high=3), label="truncates")]),
    Entry("Tensor.int", [case(_m("int"), floats(5, low=-3, high=3))]),
    Entry("Tensor.short", [case(_m("short"), floats(5, low=-3, high=3))]),
    Entry("Tensor.char", [case(_m("char"), floats(5, low=-3, high=3))]),
    Entry("Tensor.byte", [case(_m("byte"), floats(5, low=0, high=9))]),
    Entry("Tensor.bool", [case(_m("bool"), ints(5, low=-1, high=2)), case(_m("bool"), X)]),
    Entry("Tensor.cpu", [case(lambda L, x: x.cpu() is x, X), case(_m("cpu"), X, grad=[0])]),
    Entry("Tensor.cuda", [case(_m("cuda"), X, raises=True, label="no CUDA: raises")]),
    Entry("Tensor.numpy", [case(lambda L, x: x.numpy().tolist(), X),
                           case(lambda L, x: x.numpy().dtype.name, ints(2)),
                           case(lambda L, x: x.numpy(), X, grad=[0], raises=True,
                                label="requires grad: raises",
                                xfail="numpy() of a tensor that requires grad returns the "
                                      "array; PyTorch raises (use detach().numpy())")]),
    Entry("Tensor.item", [case(_m("item"), floats()), case(_m("item"), ints(1, 1)),
                          case(_m("item"), bools()), case(_m("item"), X, raises=True)]),
    Entry("Tensor.tolist", [case(_m("tolist"), X), case(_m("tolist"), ints(2, 0)),
                            case(_m("tolist"), floats()), case(_m("tolist"), bools(3))]),
    Entry("Tensor.__format__", [
        case(lambda L, x: f"{x:.4f}", floats(), label="0-d"),
        case(lambda L, x: f"{x[0, 0]:8.3e}|{x.sum():g}", X, label="specs"),
        case(lambda L, x: f"{x:.2f}", X, raises=True, label="n-d with a spec raises"),
    ]),
    Entry("Tensor.__float__", [case(lambda L, x: float(x), floats()),
                               case(lambda L, x: float(x), floats(1, 1)),
                               case(lambda L, x: float(x), X, raises=True)]),
    Entry("Tensor.__int__", [case(lambda L, x: int(x), floats(low=-3, high=3)),
                             case(lambda L, i: int(i), ints(1))]),
    Entry("Tensor.__index__", [case(lambda L, i: [10, 20, 30, 40, 50][i], ints()),
                               case(lambda L, x: [1][x], floats(), raises=True)]),
    Entry("Tensor.__bool__", [case(lambda L, x: bool(x), floats()),
                              case(lambda L, x: bool(x > 0), floats(1)),
                              case(lambda L, x: bool(x), X, raises=True)]),
    Entry("Tensor.__len__", [case(lambda L, x: len(x), X), case(lambda L, x: len(x), floats(),
                                                                raises=True)]),
    Entry("Tensor.__iter__", [case(lambda L, x: list(x), X, grad=[0]),
                              case(lambda L, x: [float(r.sum()) for r in x], floats(3, 2)),
                              case(lambda L, x: list(x), floats(), raises=True)]),
]


# ------------------------------------------------------------------------------ properties
PROPERTIES = [
    Entry("Tensor.shape", [case(_p("shape"), floats(2, 0, 3)), case(_p("shape"), floats())]),
    Entry("Tensor.size", [case(_m("size"), X), case(_m("size", 1), X), case(_m("size", -1), X),
                          case(_m("size"), floats()), case(_m("size", 2), X, raises=True)]),
    Entry("Tensor.dtype", [case(_p("dtype"), X), case(_p("dtype"), ints(2)),
                           case(_p("dtype"), bools(2)), case(_p("dtype"), X32)]),
    Entry("Tensor.device", [case(_p("device"), X)]),
    Entry("Tensor.dim", [case(_m("dim"), X), case(_m("dim"), floats())]),
    Entry("Tensor.ndim", [case(_p("ndim"), X), case(_p("ndim"), floats())]),
    Entry("Tensor.numel", [case(_m("numel"), X), case(_m("numel"), floats()),
                           case(_m("numel"), floats(3, 0))]),
    Entry("Tensor.element_size", [case(_m("element_size"), X), case(_m("element_size"), X32),
                                  case(_m("element_size"), bools(2))]),
    Entry("Tensor.itemsize", [case(_p("itemsize"), X), case(_p("itemsize"), ints(2))]),
    Entry("Tensor.nbytes", [case(_p("nbytes"), X), case(_p("nbytes"), X32)]),
    Entry("Tensor.T", [case(_p("T"), X, grad=[0]), case(_p("T"), floats(3), grad=[0])]),
    Entry("Tensor.mT", [case(_p("mT"), floats(2, 3, 4), grad=[0])]),
    Entry("Tensor.is_floating_point", [case(_m("is_floating_point"), X),
                                       case(_m("is_floating_point"), ints(2))]),
    Entry("Tensor.is_complex", [case(_m("is_complex"), X)]),
    Entry("Tensor.is_contiguous", [case(_m("is_contiguous"), X),
                                   case(lambda L, x: x.T.is_contiguous(), X),
                                   case(lambda L, x: x.is_contiguous(
                                       memory_format=L.channels_last), X4, label="channels_last"),
                                   case(lambda L, x: x.is_contiguous(
                                       memory_format=L.channels_last), floats(2, 1, 3, 4),
                                       label="channels_last, C = 1")]),
    Entry("Tensor.contiguous", [case(lambda L, x: x.T.contiguous(), X, grad=[0]),
                                case(lambda L, x: x.T.contiguous().is_contiguous(), X),
                                case(lambda L, x: _layout(x.contiguous(
                                    memory_format=L.channels_last), L), X4, grad=[0],
                                    label="channels_last"),
                                case(lambda L, x: x.contiguous(memory_format=L.channels_last),
                                     floats(2, 3), raises=True, label="channels_last needs 4-d"),
                                case(lambda L, x: x.T.contiguous(memory_format=L.preserve_format),
                                     X, raises=True, label="preserve_format refused")]),
    Entry("memory_format", [
        case(lambda L: [isinstance(getattr(L, n), L.memory_format) for n in (
            "contiguous_format", "channels_last", "channels_last_3d", "preserve_format")]),
        case(lambda L, x: _layout(x.to(memory_format=L.channels_last).to(L.float32), L), X4,
             label="to() keeps it"),
        case(lambda L, x: _layout(x.contiguous(memory_format=L.channels_last).clone(), L), X4,
             label="clone preserves it"),
        case(lambda L, x: _layout(x.contiguous(memory_format=L.channels_last_3d), L),
             floats(2, 3, 2, 3, 4), label="channels_last_3d")]),
    Entry("layout", [case(lambda L: isinstance(L.strided, L.layout))]),
    Entry("Tensor.layout", [case(lambda L, x: x.layout == L.strided, X),
                            case(lambda L, x: x.T.layout is L.strided, X)]),
    Entry("Tensor.is_cpu", [case(_p("is_cpu"), X)]),
    Entry("Tensor.is_cuda", [case(_p("is_cuda"), X)]),
    Entry("Tensor.is_pinned", [case(_m("is_pinned"), X)]),
    Entry("Tensor.data_ptr", [
        case(lambda L, x: x.data_ptr() == x.view(-1).data_ptr(), X, label="views share"),
        case(lambda L, x: x.data_ptr() == x.clone().data_ptr(), X, label="clone differs"),
        case(lambda L, x: type(x.data_ptr()).__name__, X)]),
]


# ------------------------------------------------------------------------------ autograd surface
def _backward(L, x):
    y = (x * x).sum()
    y.backward()
    return x.grad


def _backward_gradient(L, x, g):
    (x * 3).backward(g)
    return x.grad


def _backward_accumulates(L, x):
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return x.grad


def _backward_nonscalar(L, x):
    (x * 2).backward()


def _retain(L, x):
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    return y.grad, x.grad, y.is_leaf, y.requires_grad


def _grad_none(L, x):
    y = x * 2
    return x.grad, y.grad_fn is not None, x.grad_fn is None


def _data(L, x):
    d = x.data
    d.mul_(2)
    return x.detach(), d.requires_grad, d.is_leaf


def _detach(L, x):
    d = x.detach()
    d.add_(1)
    return x.detach(), d.requires_grad


def _detach_(L, x):
    y = x * 2
    y.detach_()
    return y, y.requires_grad, y.is_leaf


def _requires_grad_(L, x):
    y = x.requires_grad_()
    return y is x, x.requires_grad, x.is_leaf


def _requires_grad_nonfloat(L, i):
    i.requires_grad_()


def _clone(L, x):
    c = x.clone()
    return c * 2, c.is_leaf, c.requires_grad


def _copy(L, x, src):
    y = x * 1
    y.copy_(src)
    return y * 2


def _fill(L, x):
    y = x.clone()
    y.fill_(2.5)
    return y + x


def _zero(L, x):
    y = x * 1
    r = y.zero_()
    return y + x, r is y


def _draw(name, *a, **k):
    def run(L, x):
        y = x.clone()
        r = getattr(y, name)(*a, **k)
        return r is y, y
    return run


def _uniform_range(L, x):
    y = x.clone().uniform_(2, 3)
    return bool(((y >= 2) & (y < 3)).all())


def _random_range(L, x):
    y = x.clone().random_(0, 4)
    return bool(((y >= 0) & (y < 4) & (y == y.long())).all())


def _bernoulli_values(L, x):
    y = x.clone().bernoulli_(0.5)
    return bool(((y == 0) | (y == 1)).all())


AUTOGRAD = [
    Entry("Tensor.backward", [
        case(_backward, X, grad=[0]), case(_backward_gradient, X, X, grad=[0]),
        case(_backward_accumulates, X, grad=[0]),
        case(_backward_nonscalar, X, grad=[0], raises=True, label="non-scalar needs gradient"),
        case(lambda L, x: (x * 2).sum().backward(), X, raises=True, label="no graph"),
    ]),
    Entry("Tensor.grad", [case(_grad_none, X, grad=[0]), case(_backward, floats(), grad=[0])]),
    Entry("Tensor.grad_fn", [case(_grad_none, X, grad=[0])]),
    Entry("Tensor.retain_grad", [case(_retain, X, grad=[0])]),
    Entry("Tensor.is_leaf", [case(_retain, X, grad=[0]), case(_p("is_leaf"), X)]),
    Entry("Tensor.requires_grad", [case(_p("requires_grad"), X),
                                   case(_p("requires_grad"), X, grad=[0]),
                                   case(lambda L, x: (x * 2).requires_grad, X, grad=[0])]),
    Entry("Tensor.requires_grad_", [case(_requires_grad_, X),
                                    case(_requires_grad_nonfloat, ints(2), raises=True,
                                         label="integer raises")]),
    Entry("Tensor.data", [case(_data, X, grad=[0])]),
    Entry("Tensor.detach", [case(_detach, X, grad=[0])]),
    Entry("Tensor.detach_", [case(_detach_, X, grad=[0])]),
    Entry("Tensor.clone", [case(_clone, X, grad=[0]), case(_m("clone"), ints(3))]),
    Entry("Tensor.copy_", [case(_copy, X, floats(3), grad=[0, 1], label="broadcast"),
                           case(_copy, X, ints(2, 3), grad=[0], label="casts")]),
    Entry("Tensor.fill_", [
        case(_fill, X, grad=[0]),
        case(lambda L: L.zeros(2, dtype=L.uint8).fill_(-1), label="-1 wraps into uint8"),
        *[case(lambda L, v=v, d=d: L.zeros(2, dtype=getattr(L, d)).fill_(v), raises=True,
               label=f"{v} into {d}")
          for v, d in ((300, "uint8"), (float("nan"), "int32"), (1e300, "float32"))],
    ]),
    Entry("Tensor.zero_", [case(_zero, X, grad=[0])]),
    Entry("Tensor.uniform_", [case(_draw("uniform_"), X, compare="shape"),
                              case(_uniform_range, X)]),
    Entry("Tensor.normal_", [case(_draw("normal_", 1.0, 2.0), X, compare="shape")]),
    Entry("Tensor.exponential_", [case(_draw("exponential_"), X, compare="shape")]),
    Entry("Tensor.random_", [case(_draw("random_", 0, 4), X, compare="shape"),
                             case(_random_range, X)]),
    Entry("Tensor.bernoulli_", [case(_draw("bernoulli_", 0.3), X, compare="shape"),
                                case(_bernoulli_values, X)]),
]


# ------------------------------------------------------------------------------ other methods
METHODS = [
    Entry("Tensor.pow", [case(_m("pow", 2), X, grad=[0]),
                         case(lambda L, x, y: x.pow(y), positive(2, 3), X, grad=[0, 1])]),
    Entry("Tensor.clamp", [case(_m("clamp", -0.5, 0.5), X, grad=[0]),
                           case(_m("clamp", min=0), X, grad=[0])]),
    Entry("Tensor.clip", [case(_m("clip", max=0.2), X, grad=[0])]),
    Entry("Tensor.swapaxes", [case(_m("swapaxes", 0, 1), X, grad=[0])]),
    Entry("Tensor.softmax", [case(_m("softmax", -1), X, grad=[0]),
                             case(_m("softmax", dim=0), X, grad=[0])]),
    Entry("Tensor.log_softmax", [case(_m("log_softmax", -1), X, grad=[0]),
                                 case(_m("log_softmax", 0), floats(3, 0), grad=[0])]),
]


# ------------------------------------------------------------------------------ operators
BINARY_OPS = {"__add__": operator.add, "__sub__": operator.sub, "__mul__": operator.mul,
              "__truediv__": operator.truediv, "__pow__": operator.pow,
              "__matmul__": operator.matmul}
REFLECTED = {"__radd__": operator.add, "__rsub__": operator.sub, "__rmul__": operator.mul,
             "__rtruediv__": operator.truediv, "__rpow__": operator.pow}
COMPARISONS = {"__eq__": operator.eq, "__ne__": operator.ne, "__lt__": operator.lt,
               "__le__": operator.le, "__gt__": operator.gt, "__ge__": operator.ge}
BITWISE = {"__and__": operator.and_, "__or__": operator.or_, "__xor__": operator.xor}
INPLACE = {"__iadd__": operator.iadd, "__isub__": operator.isub, "__imul__": operator.imul,
           "__itruediv__": operator.itruediv, "__ipow__": operator.ipow}


def _binary_op(op):
    def run(L, x, y):
        return op(x, y)
    return run


def _scalar_left(op):
    def run(L, x):
        return op(2.0, x)
    return run


def _inplace(op):
    def run(L, x, y):
        z = x * 1
        z = op(z, y)
        return z * 2
    return run


def _inplace_leaf(op):
    def run(L, x):
        return op(x, 1.0)
    return run


def _inplace_int_float(op):
    def run(L, i):
        return op(i, 1.5)
    return run


OPERATORS = []
for _n, _op in BINARY_OPS.items():
    if _n == "__matmul__":
        _cs = [case(_binary_op(_op), floats(2, 3), floats(3, 4), grad=[0, 1]),
               case(_binary_op(_op), floats(3), floats(3), grad=[0, 1])]
    else:
        _y = positive if _n in ("__truediv__", "__pow__") else floats
        _x = positive if _n == "__pow__" else floats
        _cs = [case(_binary_op(_op), _x(2, 3), _y(3), grad=[0, 1]),
               case(_binary_op(_op), _x(), _y(2, 1), grad=[0, 1], label="0-d"),
               case(lambda L, x, o=_op: o(x, 2), _x(2, 3), grad=[0], label="int scalar"),
               case(_binary_op(_op), ints(3, low=1), ints(3, low=1), label="int64"),
               case(lambda L, i, o=_op: o(i, 2.5), ints(3, low=1), label="int and float")]
    OPERATORS.append(Entry("Tensor." + _n, _cs))
for _n, _op in REFLECTED.items():
    _x = positive if _n in ("__rtruediv__", "__rpow__") else floats
    OPERATORS.append(Entry("Tensor." + _n, [
        case(_scalar_left(_op), _x(2, 3), grad=[0]),
        case(lambda L, i, o=_op: o(3, i), ints(3, low=1), label="int"),
    ]))
OPERATORS.append(Entry("Tensor.__rmatmul__", [
    case(lambda L, x: x.__rmatmul__(x.T), floats(2, 3), grad=[0])]))
for _n, _op in COMPARISONS.items():
    OPERATORS.append(Entry("Tensor." + _n, [
        case(_binary_op(_op), ints(2, 3, high=3), ints(3, high=3)),
        case(_binary_op(_op), X, floats(3)), case(lambda L, x, o=_op: o(x, 0.5), X),
        case(_binary_op(_op), ints(4, high=3), floats(4, low=0, high=3), label="mixed dtype"),
    ]))
for _n, _op in BITWISE.items():
    _r = "__r" + _n[2:]
    OPERATORS.append(Entry("Tensor." + _n, [
        case(_binary_op(_op), bools(2, 3), bools(3)),
        case(_binary_op(_op), ints(4, high=8), ints(4, high=8), label="int"),
        case(_binary_op(_op), X, X, raises=True, label="float raises"),
    ]))
    OPERATORS.append(Entry("Tensor." + _r, [case(lambda L, b, o=_op: o(True, b), bools(3))]))
for _n, _op in INPLACE.items():
    _y = positive if _n in ("__itruediv__", "__ipow__") else floats
    OPERATORS.append(Entry("Tensor." + _n, [
        case(_inplace(_op), X if _n != "__ipow__" else positive(2, 3), _y(3), grad=[0, 1]),
        case(_inplace_leaf(_op), X, grad=[0], raises=True, label="leaf requiring grad"),
        case(_inplace_int_float(_op), ints(3, low=1), raises=True,
             label="float result into int raises"),
    ]))
OPERATORS += [
    Entry("Tensor.__neg__", [case(lambda L, x: -x, X, grad=[0]), case(lambda L, i: -i, ints(3)),
                             case(lambda L, b: -b, bools(3), raises=True)]),
    Entry("Tensor.__pos__", [case(lambda L, x: +x, X, grad=[0])]),
    Entry("Tensor.__abs__", [case(lambda L, x: abs(x), X, grad=[0]),
                             case(lambda L, i: abs(i), ints(3, low=-3))]),
    Entry("Tensor.__invert__", [case(lambda L, b: ~b, bools(2, 3)),
                                case(lambda L, i: ~i, ints(3)),
                                case(lambda L, x: ~x, X, raises=True)]),
]

ENTRIES = (CONSTRUCTOR + LEGACY_CONSTRUCTORS + CONVERSIONS + PROPERTIES + AUTOGRAD + METHODS
           + OPERATORS)
