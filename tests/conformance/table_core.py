"""Conformance entries for chainrule's core names: creation, arithmetic and elementwise functions,
reductions, shape operations, indexing, grad-mode switches and the Tensor's own methods,
properties and operators (the nn, functional and optim names are in table_core_nn.py).

Every case is one program run on PyTorch and on chainrule (see harness.py): values, dtypes,
shapes, return types and gradients must agree.
"""
from __future__ import annotations

import io

import numpy as np
from harness import Entry, bools, case, floats, ints, positive, shapes

X23 = floats(2, 3)
DRAWN = floats(drawn=shapes(0, 3, 0, 3))
NONEMPTY = floats(drawn=shapes(0, 3, 1, 3))


def _entries(names, cases):
    return [Entry(n, cases) for n in names]


# ------------------------------------------------------------------------------ creation
CREATION = [
    Entry("tensor", [
        case(lambda L: L.tensor([[1.0, 2.0], [3.0, 4.0]]), label="float32 default"),
        case(lambda L: L.tensor(3), label="0-d int64"),
        case(lambda L: L.tensor([1, 2]), label="int64"),
        case(lambda L: L.tensor([True, False]), label="bool"),
        case(lambda L: L.tensor([]), label="empty float32"),
        case(lambda L: L.tensor(2.5, dtype=L.float64), label="dtype"),
        case(lambda L: L.tensor([[1, 2]], dtype=L.float32), label="int list to float32"),
        case(lambda L, x: L.tensor(x.tolist()), X23, label="from tolist"),
        case(lambda L: L.tensor([1.0, 2.0], requires_grad=True).requires_grad),
        case(lambda L: L.tensor([[1, 2], [3]]), raises=True, label="ragged"),
        # Python numbers that do not fit an integer dtype raise; a negative integer wraps into
        # an unsigned dtype (within ± its maximum); floating-point dtypes take anything
        case(lambda L: L.tensor([-1, -255, 255], dtype=L.uint8), label="uint8 wraps negatives"),
        case(lambda L: L.tensor([-128, 127, 3.7, -3.7], dtype=L.int8), label="in range"),
        *[case(lambda L, v=v, d=d: L.tensor([1, v], dtype=getattr(L, d)), raises=True,
               label=f"{v} into {d}")
          for v, d in ((-256, "uint8"), (256, "uint8"), (-0.5, "uint8"), (127.5, "int8"),
                       (-129, "int8"), (float("nan"), "int64"), (float("inf"), "int32"),
                       (2 ** 31, "int32"))],
        case(lambda L: L.tensor([1e300, -3.2, float("nan")], dtype=L.float32),
             label="float32 takes anything"),
    ]),
    Entry("as_tensor", [
        case(lambda L, x: L.as_tensor(x), X23),
        case(lambda L: L.as_tensor([1, 2, 3])),
        case(lambda L, x: L.as_tensor(x, dtype=L.float32), X23),
        case(lambda L: L.as_tensor(np.arange(4.0).reshape(2, 2))),
    ]),
    Entry("from_numpy", [
        case(lambda L: L.from_numpy(np.arange(6.0).reshape(2, 3))),
        case(lambda L: L.from_numpy(np.arange(3, dtype=np.int32))),
        case(lambda L: L.from_numpy(np.zeros((0, 2), dtype=np.float32))),
    ]),
    Entry("zeros", [
        case(lambda L: L.zeros(2, 3)), case(lambda L: L.zeros((2, 3))),
        case(lambda L: L.zeros([2, 3])), case(lambda L: L.zeros(0, 3), label="empty"),
        case(lambda L: L.zeros(()), label="0-d"), case(lambda L: L.zeros(2, dtype=L.int64)),
        case(lambda L: L.zeros(2, dtype=L.float64)),
    ]),
    Entry("ones", [
        case(lambda L: L.ones(2, 3)), case(lambda L: L.ones((4,))),
        case(lambda L: L.ones(0), label="empty"), case(lambda L: L.ones((), dtype=L.int64)),
        case(lambda L: L.ones(1, 2, dtype=L.bool)),
    ]),
    Entry("full", [
        case(lambda L: L.full((2, 3), 1.5)), case(lambda L: L.full((2,), 3), label="int fill"),
        case(lambda L: L.full((), True), label="bool fill"),
        case(lambda L: L.full((2, 2), 7, dtype=L.float64)),
        case(lambda L: L.full((0, 2), 1.0), label="empty"),
        # a fill value is checked against the dtype (a negative one wraps into an unsigned
        # dtype; a finite float beyond float32's range raises, an infinity does not)
        case(lambda L: L.full((2,), -1, dtype=L.uint8), label="-1 wraps into uint8"),
        case(lambda L: L.full((2,), 2.7, dtype=L.int64), label="float truncates into int64"),
        case(lambda L: L.full((2,), float("inf")), label="inf into float32"),
        *[case(lambda L, v=v, d=d: L.full((2,), v, dtype=getattr(L, d)), raises=True,
               label=f"{v} into {d}")
          for v, d in ((300, "uint8"), (float("nan"), "int64"), (1e300, "float32"),
                       (70000, "float16"))],
    ]),
    Entry("empty", [
        case(lambda L: L.empty(2, 3), compare="shape"),
        case(lambda L: L.empty((0,)), compare="shape"),
        case(lambda L: L.empty(3, dtype=L.int64), compare="shape"),
    ]),
    Entry("arange", [
        case(lambda L: L.arange(5)), case(lambda L: L.arange(1, 4)),
        case(lambda L: L.arange(0, 1, 0.1), label="float step"),
        case(lambda L: L.arange(0.0, 2.5, 0.5)),
        case(lambda L: L.arange(1, 2.5, 0.5), label="int start float step"),
        case(lambda L: L.arange(5, dtype=L.float64)),
        case(lambda L: L.arange(10, 0, -3), label="negative step"),
        case(lambda L: L.arange(0), label="empty"),
        case(lambda L: L.arange(-1.0, 1.0, 0.25, dtype=L.float64)),
    ]),
    Entry("linspace", [
        case(lambda L: L.linspace(0, 1, 5)), case(lambda L: L.linspace(-1, 1, 1)),
        case(lambda L: L.linspace(0, 1, 0), label="empty"),
        case(lambda L: L.linspace(0, 10, 4, dtype=L.int64), label="integer truncation"),
        case(lambda L: L.linspace(-3, 3, 4, dtype=L.int64), label="negative truncation"),
        case(lambda L: L.linspace(2.0, -2.0, 7, dtype=L.float64)),
    ]),
    Entry("eye", [
        case(lambda L: L.eye(3)), case(lambda L: L.eye(2, 4)), case(lambda L: L.eye(4, 2)),
        case(lambda L: L.eye(3, dtype=L.int64)), case(lambda L: L.eye(0), label="empty"),
    ]),
    Entry("zeros_like", [
        case(lambda L, x: L.zeros_like(x), DRAWN),
        case(lambda L, x: L.zeros_like(x, dtype=L.int64), X23),
        case(lambda L, i: L.zeros_like(i), ints(3)),
    ]),
    Entry("ones_like", [
        case(lambda L, x: L.ones_like(x), DRAWN),
        case(lambda L, x: L.ones_like(x, dtype=L.float32), X23),
    ]),
    Entry("full_like", [
        case(lambda L, x: L.full_like(x, 2.5), DRAWN),
        case(lambda L, i: L.full_like(i, 7), ints(2, 2)),
        case(lambda L, i: L.full_like(i, 2.7), ints(2, 2), label="int truncates"),
    ]),
    Entry("rand", [case(lambda L: L.rand(2, 3), compare="shape"),
                   case(lambda L: L.rand((4,), dtype=L.float64), compare="shape"),
                   case(lambda L: bool(((L.rand(100) >= 0) & (L.rand(100) < 1)).all()))]),
    Entry("randn", [case(lambda L: L.randn(2, 3), compare="shape"),
                    case(lambda L: L.randn((), dtype=L.float64), compare="shape")]),
    Entry("randint", [
        case(lambda L: L.randint(0, 5, (3, 2)), compare="shape"),
        case(lambda L: L.randint(5, (4,)), compare="shape", label="high only"),
        case(lambda L: bool(((L.randint(2, 4, (50,)) >= 2) & (L.randint(2, 4, (50,)) < 4))
                            .all())),
    ]),
    Entry("rand_like", [case(lambda L, x: L.rand_like(x), X23, compare="shape")]),
    Entry("randn_like", [case(lambda L, x: L.randn_like(x), X23, compare="shape")]),
]


def _seeded(L):
    L.manual_seed(7)
    a = L.rand(5)
    L.manual_seed(7)
    return bool((a == L.rand(5)).all())


def _default_dtype(L):
    L.set_default_dtype(L.float64)
    try:
        return L.get_default_dtype(), L.tensor([1.5]).dtype, L.zeros(1).dtype, L.arange(0.5).dtype
    finally:
        L.set_default_dtype(L.float32)


def _no_grad(L, x):
    with L.no_grad():
        y = x * 2
    z = x * 2
    return y.requires_grad, z.requires_grad, L.is_grad_enabled()


def _no_grad_decorator(L, x):
    @L.no_grad()
    def f(t):
        return t * 3
    return f(x).requires_grad


def _enable_grad(L, x):
    with L.no_grad():
        with L.enable_grad():
            y = x * 2
        z = x * 2
    return y.requires_grad, z.requires_grad


def _set_grad_enabled(L, x):
    with L.set_grad_enabled(False):
        y = x * 2
        inside = L.is_grad_enabled()
    L.set_grad_enabled(False)
    z = x * 2
    L.set_grad_enabled(True)
    return y.requires_grad, inside, z.requires_grad, L.is_grad_enabled()


def _autograd_grad(L, x):
    x.requires_grad_(True)
    y = (x ** 3).sum()
    (g,) = L.autograd.grad(y, x, create_graph=True)
    (h,) = L.autograd.grad(g.sum(), x)
    return g, h


def _grad_materialized(L, x, z):
    y = (x.requires_grad_(True) ** 2).sum()
    return L.autograd.grad(y, [x, z.requires_grad_(True)], materialize_grads=True)


def _autograd_function(L, x):
    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t ** 3

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 3 * t ** 2 * g
    return Cube.apply(x) * 2


def _inference_mode(L, x):
    with L.autograd.inference_mode():
        y = x * 2
    return y.requires_grad


def _num_threads(L):
    previous = L.get_num_threads()
    try:
        L.set_num_threads(1)
        return L.get_num_threads(), type(previous) is int and previous >= 1
    finally:
        L.set_num_threads(previous)


GRAD_MODE = [
    Entry("manual_seed", [case(_seeded)]),
    Entry("set_num_threads", [case(_num_threads)]),
    Entry("get_num_threads", [case(lambda L: type(L.get_num_threads()) is int)]),
    Entry("get_default_dtype", [case(lambda L: L.get_default_dtype())]),
    Entry("set_default_dtype", [case(_default_dtype)]),
    Entry("no_grad", [case(_no_grad, X23, grad=[0]), case(_no_grad_decorator, X23, grad=[0])]),
    Entry("enable_grad", [case(_enable_grad, X23, grad=[0])]),
    Entry("set_grad_enabled", [case(_set_grad_enabled, X23, grad=[0])]),
    Entry("is_grad_enabled", [case(lambda L: L.is_grad_enabled()), case(_no_grad, X23, grad=[0])]),
    Entry("autograd.no_grad", [case(_no_grad, X23, grad=[0])]),
    Entry("autograd.enable_grad", [case(_enable_grad, X23, grad=[0])]),
    Entry("autograd.set_grad_enabled", [case(_set_grad_enabled, X23, grad=[0])]),
    Entry("autograd.grad", [
        case(_autograd_grad, floats(3)),
        case(lambda L, x: L.autograd.grad((x.requires_grad_(True) ** 2).sum(), x,
                                          only_inputs=True), floats(3), label="only_inputs"),
        case(_grad_materialized, floats(3), floats(2), label="materialize_grads"),
        case(lambda L, x: L.autograd.grad(x.requires_grad_(True) * x, x,
                                          L.eye(3, dtype=x.dtype), is_grads_batched=True),
             floats(3), label="is_grads_batched"),
        case(lambda L, x, z: L.autograd.grad((x.requires_grad_(True) * 2).sum(),
                                             [x, z.requires_grad_(True)]), floats(3), floats(2),
             raises=True, label="unused input"),
    ]),
    Entry("pi", [case(lambda L: (L.pi, L.e, L.inf, L.nan != L.nan, L.newaxis is None),
                      label="pi, e, inf, nan, newaxis")]),
    Entry("autograd.Function", [case(_autograd_function, floats(2, 2), grad=[0])]),
    Entry("autograd.inference_mode", [case(_inference_mode, X23, grad=[0])]),
]


def _jac(L, x):
    return L.autograd.functional.jacobian(lambda t: t.sin() * t.sum(), x)


AUTOGRAD_FUNCTIONAL = [
    Entry("autograd.functional.jacobian", [case(_jac, floats(3))]),
    Entry("autograd.functional.hessian",
          [case(lambda L, x: L.autograd.functional.hessian(lambda t: (t ** 3).sum(), x),
                floats(3))]),
    Entry("autograd.functional.vjp",
          [case(lambda L, x, v: L.autograd.functional.vjp(lambda t: t.exp(), x, v),
                floats(3), floats(3))]),
    Entry("autograd.functional.jvp",
          [case(lambda L, x, v: L.autograd.functional.jvp(lambda t: t.exp() * t, x, v),
                floats(3), floats(3))]),
    Entry("autograd.functional.hvp",
          [case(lambda L, x, v: L.autograd.functional.hvp(lambda t: (t ** 3).sum(), x, v),
                floats(3), floats(3))]),
]

# ------------------------------------------------------------------------------ elementwise
UNARY = {"abs": floats, "cos": floats, "exp": floats, "sin": floats, "tanh": floats,
         "sigmoid": floats, "relu": floats, "sign": floats, "erf": floats, "neg": floats,
         "negative": floats, "log": positive, "sqrt": positive}




def _unary_cases(name, spec, method=False):
    if method:
        def call(L, x):
            return getattr(x, name)()
    else:
        def call(L, x):
            return getattr(L, name)(x)
    first = spec(drawn=shapes(0, 3, 0, 3)) if spec is floats else spec(2, 3)
    return [case(call, first, grad=[0]),
            case(call, spec(), grad=[0], label="0-d"),
            case(call, spec(0, 2), grad=[0], label="empty"),
            case(call, spec(3, dtype="float32"), grad=[0], label="float32")]


ELEMENTWISE = [Entry(n, _unary_cases(n, s)) for n, s in UNARY.items()]
ELEMENTWISE += [Entry("Tensor.erf", _unary_cases("erf", floats, method=True))]


def _erf_(L, x):
    y = x * 1
    r = y.erf_()
    return r is y, y


ELEMENTWISE += [Entry("Tensor.erf_", [case(_erf_, floats(2, 3), grad=[0]),
                                      case(lambda L, x: x.erf_(), floats(3), grad=[0],
                                           raises=True, label="leaf requiring grad")])]
ELEMENTWISE += [Entry("special.erf", [case(lambda L, x: L.special.erf(x), X23, grad=[0])])]
ELEMENTWISE += [Entry("Tensor." + n, _unary_cases(n, s, method=True)) for n, s in UNARY.items()
                if n in ("abs", "cos", "exp", "sin", "tanh", "sigmoid", "relu", "log", "sqrt")]
ELEMENTWISE += [Entry("abs", [case(lambda L, i: L.abs(i), ints(4, low=-3, high=3))])]

PAIRS = [
    (floats(2, 3), floats(2, 3), "same"), (floats(2, 3), floats(3), "broadcast"),
    (floats(2, 1), floats(1, 3), "outer"), (floats(), floats(2), "0-d"),
    (floats(0, 3), floats(3), "empty"),
]
BINARY = {"add": "add", "sub": "sub", "subtract": "subtract", "mul": "mul",
          "multiply": "multiply", "div": "div", "divide": "divide", "maximum": "maximum",
          "minimum": "minimum"}


def _binary(name):
    out = [case(lambda L, x, y: getattr(L, name)(x, y), a, b, grad=[0, 1], label=lab)
           for a, b, lab in PAIRS]
    if name not in ("maximum", "minimum"):
        out.append(case(lambda L, x: getattr(L, name)(x, 2.0), X23, grad=[0], label="scalar"))
    out.append(case(lambda L, i, j: getattr(L, name)(i, j), ints(3, low=1, high=6),
                    ints(3, low=1, high=6), label="int64"))
    out.append(case(lambda L, i, x: getattr(L, name)(i, x), ints(3, low=1), floats(3),
                    grad=[1], label="int with float promotes"))
    return out


ARITH = [Entry(n, _binary(n)) for n in BINARY]
ARITH += [
    Entry("add", [case(lambda L, x, y: L.add(x, y, alpha=2), X23, X23, grad=[0, 1])]),
    Entry("sub", [case(lambda L, x, y: L.sub(x, y, alpha=0.5), X23, X23, grad=[0, 1])]),
    Entry("div", [case(lambda L, x, y: L.div(x, y, rounding_mode="floor"),
                       floats(6, low=-5, high=5), floats(6, low=0.5, high=2)),
                  case(lambda L, i, j: L.div(i, j, rounding_mode="trunc"), ints(6, low=-7, high=7),
                       ints(6, low=1, high=3)),
                  case(lambda L, i, j: L.div(i, j, rounding_mode="floor"), ints(6, low=-7, high=7),
                       ints(6, low=1, high=3))]),
    Entry("pow", [case(lambda L, x, y: L.pow(x, y), positive(2, 3), floats(2, 3), grad=[0, 1]),
                  case(lambda L, x: L.pow(x, 2), X23, grad=[0]),
                  case(lambda L, x: L.pow(2.0, x), X23, grad=[0], label="scalar base"),
                  case(lambda L, i: L.pow(i, 2), ints(4), label="int"),
                  case(lambda L, x: L.pow(x, 0.5), positive(3), grad=[0]),
                  case(lambda L, b, e: L.pow(b, e), ints(8, low=-3, high=4),
                       ints(8, low=-3, high=3), label="integers, negative exponents: 0, ±1"),
                  case(lambda L, e: L.pow(2, e), ints(4, low=-2, high=3),
                       label="number base, negative integer exponents"),
                  case(lambda L, b: L.pow(b, -1), ints(3, low=1, high=4), raises=True,
                       label="a negative integer number as exponent")]),
    Entry("clamp", [case(lambda L, x: L.clamp(x, -0.5, 0.5), DRAWN, grad=[0]),
                    case(lambda L, x: L.clamp(x, min=0.0), X23, grad=[0]),
                    case(lambda L, x: L.clamp(x, max=0.1), X23, grad=[0]),
                    case(lambda L, x, lo: L.clamp(x, min=lo), X23, floats(3), grad=[0, 1],
                         label="tensor bound"),
                    case(lambda L, i: L.clamp(i, 1, 3), ints(5))]),
    Entry("clip", [case(lambda L, x: L.clip(x, -0.5, 0.5), X23, grad=[0])]),
    Entry("where", [case(lambda L, c, x, y: L.where(c, x, y), bools(2, 3), X23, floats(3),
                         grad=[1, 2]),
                    case(lambda L, x: L.where(x > 0, x, 0.0), X23, grad=[0], label="scalar"),
                    case(lambda L, c: L.where(c), bools(2, 3), label="one argument")]),
    Entry("matmul", [
        case(lambda L, a, b: L.matmul(a, b), floats(3), floats(3), grad=[0, 1], label="dot"),
        case(lambda L, a, b: L.matmul(a, b), floats(2, 3), floats(3), grad=[0, 1]),
        case(lambda L, a, b: L.matmul(a, b), floats(3), floats(3, 4), grad=[0, 1]),
        case(lambda L, a, b: L.matmul(a, b), floats(2, 2, 3), floats(3, 4), grad=[0, 1]),
        case(lambda L, a, b: L.matmul(a, b), floats(2, 1, 2, 3), floats(3, 3, 2), grad=[0, 1]),
        case(lambda L, a, b: L.matmul(a, b), floats(0, 3), floats(3, 2), grad=[0, 1]),
        case(lambda L, a, b: L.matmul(a, b), floats(2, 3), floats(2, 3), raises=True),
    ]),
    Entry("trace", [case(lambda L, x: L.trace(x), floats(3, 3), grad=[0]),
                    case(lambda L, x: L.trace(x), floats(2, 4), grad=[0]),
                    case(lambda L, i: L.trace(i), ints(3, 3), label="int")]),
]


# ------------------------------------------------------------------------------ types, I/O, hooks
def _save_load(L, x, i):
    buffer = io.BytesIO()
    L.save({"w": x, "idx": i, "n": 3, "nested": [x * 2]}, buffer)
    buffer.seek(0)
    back = L.load(buffer)
    return back["w"], back["idx"], back["n"], back["nested"], sorted(back)


def _save_load_module(L, w):
    m = L.nn.Linear(3, 2).double()
    with L.no_grad():
        m.weight.copy_(w)
    buffer = io.BytesIO()
    L.save(m.state_dict(), buffer)
    buffer.seek(0)
    sd = L.load(buffer)
    return sd["weight"], list(sd)


def _hook(L, x):
    seen = []
    y = x * 2
    handle = y.register_hook(lambda g: seen.append(g.clone()) or g * 3)
    (y * y).sum().backward()
    handle.remove()
    return seen, x.grad


def _hook_leaf(L, x):
    x.register_hook(lambda g: g + 1)
    (x * x).sum().backward()
    return x.grad


def _retains_grad(L, x):
    y = x * 2
    before = y.retains_grad
    y.retain_grad()
    return before, y.retains_grad, x.retains_grad


def _anomaly(L, x):
    with L.autograd.detect_anomaly():
        y = (x * x).sum()
        y.backward()
    return x.grad


def _set_anomaly(L, x):
    with L.autograd.set_detect_anomaly(True):
        (x * 3).sum().backward()
    with L.autograd.set_detect_anomaly(False):
        (x * 3).sum().backward()
    return x.grad


def _inference_enabled(L):
    with L.inference_mode():
        inside = L.is_inference_mode_enabled()
    with L.inference_mode(False):
        off = L.is_inference_mode_enabled()
    return inside, off, L.is_inference_mode_enabled()


def _default_device(L, x):
    L.set_default_device("cpu")
    try:
        return L.zeros(2).device, (x * 1).device
    finally:
        L.set_default_device(None)


MISC = [
    Entry("Size", [case(lambda L: L.Size([2, 3])), case(lambda L: L.Size()),
                   case(lambda L, x: x.shape == L.Size([2, 3]), X23),
                   case(lambda L, x: L.zeros(L.Size([2, 1])), X23),
                   case(lambda L, x: x.shape[1:], X23, label="slice is a Size")]),
    Entry("device", [case(lambda L: L.device("cpu")), case(lambda L: L.device("cpu").type),
                     case(lambda L, x: x.device == L.device("cpu"), X23),
                     case(lambda L: L.zeros(2, device=L.device("cpu")))]),
    Entry("dtype", [case(lambda L: isinstance(L.float32, L.dtype)),
                    case(lambda L, x: x.dtype == L.float64, X23)]),
    Entry("is_tensor", [case(lambda L, x: L.is_tensor(x), X23), case(lambda L: L.is_tensor(1.0)),
                        case(lambda L: L.is_tensor([1]))]),
    Entry("is_floating_point", [case(lambda L, x: L.is_floating_point(x), X23),
                                case(lambda L, i: L.is_floating_point(i), ints(2))]),
    Entry("save", [case(_save_load, X23, ints(3)), case(_save_load_module, floats(2, 3))]),
    Entry("load", [case(_save_load, floats(), ints(2, 0))]),
    Entry("set_default_device", [case(_default_device, X23)]),
    Entry("inference_mode", [case(_inference_mode, X23, grad=[0])]),
    Entry("is_inference_mode_enabled", [case(_inference_enabled)]),
    Entry("softmax", [case(lambda L, x: L.softmax(x, 1), X23, grad=[0]),
                      case(lambda L, x: L.softmax(x, dim=0), X23, grad=[0]),
                      case(lambda L, x: L.softmax(x, -1, dtype=L.float64),
                           floats(2, 3, dtype="float32"), grad=[0])]),
    Entry("log_softmax", [case(lambda L, x: L.log_softmax(x, 1), X23, grad=[0]),
                          case(lambda L, x: L.log_softmax(x, dim=0), X23, grad=[0])]),
    Entry("Tensor.register_hook", [case(_hook, X23, grad=[0]), case(_hook_leaf, X23, grad=[0])]),
    Entry("Tensor.retains_grad", [case(_retains_grad, X23, grad=[0])]),
    Entry("autograd.detect_anomaly", [case(_anomaly, X23, grad=[0])]),
    Entry("autograd.set_detect_anomaly", [case(_set_anomaly, X23, grad=[0])]),
]

ENTRIES = CREATION + GRAD_MODE + AUTOGRAD_FUNCTIONAL + ELEMENTWISE + ARITH + MISC
