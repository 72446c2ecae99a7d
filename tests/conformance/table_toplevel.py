"""Conformance entries for top-level functions PyTorch programs reach for beside the core:
all/any, predicates and type rules, differences and integrals (diff, trapezoid), covariance and
correlation, structured matrices and index sets, the elementwise extras (logaddexp, sinc,
deg2rad, float_power, gcd, heaviside, isin) and the run-time switches
(use_deterministic_algorithms, set_float32_matmul_precision). Their Tensor methods too.
"""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, ints, value

X = floats(3, 4)
V = floats(5)


def _dtype_name(d):
    return str(d).rpartition(".")[2]


def _in_graph(change):
    """A program: y = 2x in the graph, changed in place by ``change``, then differentiated."""
    def run(L, x):
        x.requires_grad_(True)
        y = x * 2
        change(y)
        (y * L.arange(y.numel(), dtype=y.dtype).reshape(tuple(y.shape))).sum().backward()
        return y, x.grad
    return run


def _ns(L, prefix):
    return L.nn.functional if prefix else L


def _method(name, *args, **kwargs):
    return lambda L, x, *rest: getattr(x, name)(*rest, *args, **kwargs)


ENTRIES = [
    Entry("all", [case(lambda L, x: L.all(x > -1.5), X),
                  case(lambda L, x: L.all(x > -1.5, 1), X, label="dim"),
                  case(lambda L, x: L.all(x > 0, dim=(0, 1), keepdim=True), X,
                       label="dim tuple, keepdim")]),
    Entry("any", [case(lambda L, x: L.any(x > 1.5), X),
                  case(lambda L, x: L.any(x > 1.5, 0, keepdim=True), X, label="dim")]),
    Entry("detach", [case(lambda L, x: L.detach(x * 2).requires_grad, X, grad=[])]),
    *[Entry(prefix + name, [case(lambda L, *a, n=name, p=prefix: (
        getattr(L, n)(*a) if not p else getattr(a[0], n)(*a[1:])), *inputs, label=label)
        for label, inputs in cases])
      for prefix in ("", "Tensor.")
      for name, cases in (
          ("is_complex", [("float", (X,))]),
          ("is_signed", [("float", (X,)), ("uint8", (ints(3, dtype="uint8"),)),
                         ("int32", (ints(3, dtype="int32"),))]),
          ("is_nonzero", [("one element", (floats(1),))]),
          ("is_same_size", [("same", (X, X)), ("transposed", (X, floats(4, 3)))]),
          ("signbit", [("zeros, NaN, infinity",
                        (value(np.array([-0.0, 0.0, -1.0, np.nan, -np.inf])),)),
                       ("integers", (ints(5, low=-3, high=3),))]))],
    Entry("isin", [case(lambda L, a, b: L.isin(a, b), ints(3, 4), ints(3)),
                   case(lambda L, a, b: L.isin(a, b, invert=True), ints(3, 4), ints(3),
                        label="invert")]),
    Entry("is_nonzero", [case(lambda L, x: L.is_nonzero(x), floats(2), raises=True,
                              label="two elements")]),
    Entry("scalar_tensor", [case(lambda L: L.scalar_tensor(3)),
                            case(lambda L: L.scalar_tensor(2, dtype=L.int64), label="dtype")]),
    *[Entry(name, [case(lambda L, x, n=name: getattr(L, n)(x), X, grad=[0]),
                   case(lambda L, x, n=name: getattr(L, n)(x), ints(3), label="integers")])
      for name in ("deg2rad", "rad2deg")],
    *[Entry("Tensor." + name, [case(_method(name), X, grad=[0])]) for name in ("deg2rad",
                                                                               "rad2deg")],
    *[Entry("Tensor." + name + "_", [case(lambda L, x, n=name: getattr(x.clone(), n + "_")(), X)])
      for name in ("deg2rad", "rad2deg")],
    Entry("rsub", [case(lambda L, a, b: L.rsub(a, b), X, X, grad=[0, 1]),
                   case(lambda L, a, b: L.rsub(a, b, alpha=2), X, floats(4), grad=[0, 1],
                        label="alpha, broadcast"),
                   case(lambda L, a: L.rsub(a, 1.5), X, grad=[0], label="number")]),
    *[Entry(prefix + "float_power", [
        case((lambda L, a, b: L.float_power(a, b)) if not prefix else
             (lambda L, a, b: a.float_power(b)), floats(3, low=0.5), floats(3), grad=[0, 1]),
        case((lambda L, a: L.float_power(a, 2)) if not prefix else (lambda L, a: a.float_power(2)),
             ints(3), label="integers, a number: float64")]) for prefix in ("", "Tensor.")],
    Entry("Tensor.float_power_", [case(lambda L, a: a.clone().float_power_(2.0), X)]),
    *[Entry(prefix + op, [case((lambda L, a, b, o=op: getattr(L, o)(a, b)) if not prefix else
                               (lambda L, a, b, o=op: getattr(a, o)(b)),
                               ints(6, low=-20, high=20), ints(6, low=1, high=12))])
      for op in ("gcd", "lcm") for prefix in ("", "Tensor.")],
    *[Entry("Tensor." + op + "_", [case(lambda L, a, b, o=op: getattr(a.clone(), o + "_")(b),
                                        ints(6, low=1, high=20), ints(6, low=1, high=12))])
      for op in ("gcd", "lcm")],
    Entry("heaviside", [
        case(lambda L, x, v: L.heaviside(x, v), value(np.array([-1.5, 0.0, -0.0, 2.0, np.nan])),
             floats(1)),
        case(lambda L, x, v: L.heaviside(x, v), X, floats(3, 4), label="elementwise values"),
        case(lambda L, x: L.heaviside(x, 0.5), X, raises=True, label="a number as values"),
        case(lambda L, x, v: L.heaviside(x.requires_grad_(True), v).sum().backward(), X,
             floats(1), raises=True, label="no derivative")]),
    Entry("Tensor.heaviside", [case(lambda L, x, v: x.heaviside(v), X, floats(4))]),
    Entry("Tensor.heaviside_", [case(lambda L, x, v: x.clone().heaviside_(v), X, floats(4))]),
    *[Entry(prefix + op, [case((lambda L, a, b, o=op: getattr(L, o)(a, b)) if not prefix else
                               (lambda L, a, b, o=op: getattr(a, o)(b)), X, floats(4),
                               grad=[0, 1])])
      for op in ("logaddexp", "logaddexp2") for prefix in ("", "Tensor.")],
    Entry("logaddexp", [case(lambda L, a, b: L.logaddexp(a, b),
                             value(np.array([-np.inf, np.inf, -np.inf, 1.0, np.nan])),
                             value(np.array([-np.inf, np.inf, 2.0, np.inf, 0.0])),
                             label="infinities and NaN")]),
    *[Entry(name, [case(fn, V, grad=[0]),
                   case(fn, value(np.array([0.0, 1.0, -2.0, 0.5, 1e-200])), grad=[0],
                        label="0, integers, tiny")])
      for name, fn in (("sinc", lambda L, x: L.sinc(x)), ("Tensor.sinc", lambda L, x: x.sinc()))],
    Entry("Tensor.sinc_", [case(lambda L, x: x.clone().sinc_(), V)]),
    *[Entry(prefix + "diff", [
        case(fn, X, grad=[0]),
        case(lambda L, x, p=prefix: (L.diff if not p else L.Tensor.diff)(x, 2, 0), X,
             grad=[0], label="n=2, dim 0"),
        case(lambda L, x, a, b, p=prefix: (L.diff if not p else L.Tensor.diff)(
            x, dim=1, prepend=a, append=b), X, floats(3, 1), floats(3, 2), grad=[0, 1, 2],
            label="prepend, append"),
        case(lambda L, x, p=prefix: (L.diff if not p else L.Tensor.diff)(x > 0), X,
             label="bools"),
        case(lambda L, x, p=prefix: (L.diff if not p else L.Tensor.diff)(x, 7), V,
             label="n past the length: empty"),
        case(lambda L, x, p=prefix: (L.diff if not p else L.Tensor.diff)(x), floats(),
             raises=True, label="0-d")])
      for prefix, fn in (("", lambda L, x: L.diff(x)), ("Tensor.", lambda L, x: x.diff()))],
    *[Entry(name, [
        case(lambda L, y, n=name: getattr(L, n)(y), X, grad=[0]),
        case(lambda L, y, x, n=name: getattr(L, n)(y, x), X, floats(4), grad=[0, 1],
             label="1-d sample points"),
        case(lambda L, y, x, n=name: getattr(L, n)(y, x, dim=0), X, X, grad=[0, 1],
             label="sample points shaped as y, dim 0"),
        case(lambda L, y, n=name: getattr(L, n)(y, dx=0.5), X, grad=[0], label="dx")])
      for name in ("trapezoid", "trapz", "cumulative_trapezoid")],
    *[Entry(prefix + "cov", [
        case(fn, X, grad=[0]),
        case(lambda L, x, p=prefix: (L.cov if not p else L.Tensor.cov)(x, correction=0), X,
             grad=[0], label="correction 0"),
        case(lambda L, x, f, a, p=prefix: (L.cov if not p else L.Tensor.cov)(
            x, fweights=f, aweights=a), X, ints(4, low=1, high=4), floats(4, low=0.1, high=2.0),
            grad=[0, 2], label="fweights, aweights"),
        case(lambda L, x, p=prefix: (L.cov if not p else L.Tensor.cov)(x), V, grad=[0],
             label="one variable: 0-d")])
      for prefix, fn in (("", lambda L, x: L.cov(x)), ("Tensor.", lambda L, x: x.cov()))],
    *[Entry(prefix + "corrcoef", [case(fn, X, grad=[0]), case(fn, V, grad=[0], label="1-d")])
      for prefix, fn in (("", lambda L, x: L.corrcoef(x)), ("Tensor.", lambda L, x: x.corrcoef()))],
    Entry("block_diag", [
        case(lambda L, a, b, c: L.block_diag(a, b, c), floats(2, 3), floats(), floats(4),
             grad=[0, 1, 2]),
        case(lambda L, a, b: L.block_diag(a, b), floats(2, 2), ints(1, 3), label="dtypes"),
        case(lambda L, a: L.block_diag(a), floats(2, 2, 2), raises=True, label="3-d")]),
    Entry("cartesian_prod", [
        case(lambda L, a, b: L.cartesian_prod(a, b), floats(3), floats(2), grad=[0, 1]),
        case(lambda L, a, b, c: L.cartesian_prod(a, b, c), ints(2), ints(3), ints(2),
             label="three"),
        case(lambda L, a: L.cartesian_prod(a), floats(3), label="one")]),
    Entry("combinations", [
        case(lambda L, a: L.combinations(a), floats(4), grad=[0]),
        case(lambda L, a: L.combinations(a, 3, with_replacement=True), floats(3), grad=[0],
             label="r=3, with replacement"),
        case(lambda L, a: L.combinations(a, 5), floats(3), label="r past the length: empty")]),
    *[Entry(name, [case(lambda L, n=name: getattr(L, n)(4, 5)),
                   case(lambda L, n=name: getattr(L, n)(4, 3, -1), label="offset -1"),
                   case(lambda L, n=name: getattr(L, n)(3, 3, 2, dtype=L.int32),
                        label="offset 2, int32")])
      for name in ("tril_indices", "triu_indices")],
    Entry("promote_types", [case(lambda L, a, b: _dtype_name(L.promote_types(
        getattr(L, a), getattr(L, b))), value(a), value(b), label=f"{a}, {b}")
        for a, b in (("int64", "float32"), ("uint8", "int8"), ("bool", "int32"),
                     ("float32", "float64"), ("int32", "complex64"))]),
    Entry("result_type", [
        case(lambda L, a, b: _dtype_name(L.result_type(a, b)), ints(3), floats(3, dtype="float32")),
        case(lambda L, a: _dtype_name(L.result_type(a, 2.5)), ints(3), label="a number")]),
    Entry("can_cast", [case(lambda L, a, b: L.can_cast(getattr(L, a), getattr(L, b)), value(a),
                            value(b), label=f"{a} to {b}")
                       for a, b in (("float32", "int32"), ("int32", "float32"),
                                    ("bool", "uint8"), ("float64", "float16"),
                                    ("complex64", "float64"))]),
    Entry("use_deterministic_algorithms", [case(
        lambda L: (L.use_deterministic_algorithms(True, warn_only=True),
                   L.are_deterministic_algorithms_enabled(),
                   L.is_deterministic_algorithms_warn_only_enabled(),
                   L.use_deterministic_algorithms(False),
                   L.are_deterministic_algorithms_enabled()))]),
    Entry("are_deterministic_algorithms_enabled",
          [case(lambda L: L.are_deterministic_algorithms_enabled())]),
    Entry("is_deterministic_algorithms_warn_only_enabled",
          [case(lambda L: L.is_deterministic_algorithms_warn_only_enabled())]),
    Entry("set_float32_matmul_precision", [
        case(lambda L: (L.set_float32_matmul_precision("high"), L.get_float32_matmul_precision(),
                        L.set_float32_matmul_precision("highest"))),
        case(lambda L: (L.set_float32_matmul_precision("fastest"),
                        L.get_float32_matmul_precision()),
             label="unknown precision: a warning, no effect")]),
    Entry("get_float32_matmul_precision", [case(lambda L: L.get_float32_matmul_precision())]),
    Entry("get_default_device", [case(lambda L: str(L.get_default_device()))]),
    *[Entry(name, [case(lambda L, n=name: getattr(L, n)(8)),
                   case(lambda L, n=name: getattr(L, n)(7, False, dtype=L.float64),
                        label="symmetric, float64"),
                   case(lambda L, n=name: getattr(L, n)(1), label="one point"),
                   case(lambda L, n=name: getattr(L, n)(0), label="empty")])
      for name in ("hann_window", "hamming_window", "blackman_window", "bartlett_window",
                   "kaiser_window")],
    Entry("hamming_window", [case(lambda L: L.hamming_window(6, True, 0.5, 0.4),
                                  label="alpha, beta")]),
    Entry("kaiser_window", [case(lambda L: L.kaiser_window(9, False, 5.0, dtype=L.float64),
                                 label="beta")]),
    # torch's top-level spellings of nn.functional operations
    Entry("conv1d", [case(lambda L, x, w, b: L.conv1d(x, w, b, 2, 1), floats(2, 3, 7),
                          floats(4, 3, 3), floats(4), grad=[0, 1, 2])]),
    Entry("conv2d", [case(lambda L, x, w: L.conv2d(x, w, padding=1, groups=2), floats(1, 4, 5, 5),
                          floats(6, 2, 3, 3), grad=[0, 1])]),
    Entry("conv3d", [case(lambda L, x, w: L.conv3d(x, w), floats(1, 2, 4, 4, 4),
                          floats(3, 2, 2, 2, 2), grad=[0, 1])]),
    Entry("conv_transpose1d", [case(lambda L, x, w: L.conv_transpose1d(x, w, stride=2),
                                    floats(2, 3, 5), floats(3, 2, 3), grad=[0, 1])]),
    Entry("conv_transpose2d", [case(lambda L, x, w: L.conv_transpose2d(x, w, stride=2),
                                    floats(1, 3, 3, 3), floats(3, 2, 3, 3), grad=[0, 1])]),
    Entry("conv_transpose3d", [case(lambda L, x, w: L.conv_transpose3d(x, w),
                                    floats(1, 2, 3, 3, 3), floats(2, 2, 2, 2, 2), grad=[0, 1])]),
    Entry("max_pool1d", [case(lambda L, x: L.max_pool1d(x, 2), floats(2, 3, 8), grad=[0]),
                         case(lambda L, x: L.max_pool1d(x, 3, 2, 1), floats(2, 3, 8), grad=[0],
                              label="stride, padding")]),
    Entry("max_pool2d", [case(lambda L, x: L.max_pool2d(x, 2), floats(1, 2, 6, 6), grad=[0]),
                         case(lambda L, x: L.max_pool2d(x, 3, 1, 1, 1, True), floats(1, 2, 5, 5),
                              grad=[0], label="all arguments")]),
    Entry("max_pool3d", [case(lambda L, x: L.max_pool3d(x, 2), floats(1, 1, 4, 4, 4),
                              grad=[0])]),
    Entry("avg_pool1d", [case(lambda L, x: L.avg_pool1d(x, 3, 2, 1), floats(2, 3, 8),
                              grad=[0])]),
    Entry("adaptive_avg_pool1d", [case(lambda L, x: L.adaptive_avg_pool1d(x, 3), floats(2, 3, 7),
                                       grad=[0])]),
    Entry("layer_norm", [case(lambda L, x, w, b: L.layer_norm(x, (4,), w, b, 1e-5, True),
                              floats(2, 3, 4), floats(4), floats(4), grad=[0, 1, 2])]),
    Entry("group_norm", [case(lambda L, x: L.group_norm(x, 2), floats(2, 4, 3), grad=[0])]),
    Entry("dropout", [case(lambda L, x: L.dropout(x, 0.5, False), X, grad=[0],
                           label="train=False: identity"),
                      case(lambda L, x: L.dropout(x, 0.5, True), X, compare="shape",
                           label="train=True")]),
    Entry("alpha_dropout", [case(lambda L, x: L.alpha_dropout(x, 0.5, False), X, grad=[0])]),
    *[Entry(prefix + "copysign", [
        case(fn, X, X, grad=[0, 1]),
        case(fn, value(np.array([0.0, -0.0, 2.0, -3.0, np.inf, np.nan])),
             value(np.array([-1.0, 1.0, -0.0, np.nan, -2.0, -1.0])), grad=[0, 1],
             label="zeros, signed zeros, NaN"),
        case(fn, ints(4, low=-3, high=3), floats(4), label="integers become floats")])
      for prefix, fn in (("", lambda L, a, b: L.copysign(a, b)),
                         ("Tensor.", lambda L, a, b: a.copysign(b)))],
    Entry("Tensor.copysign_", [case(lambda L, a, b: a.clone().copysign_(b), X, X)]),
    *[Entry(prefix + "positive", [case(fn, X, grad=[0]),
                                  case(fn, floats(3), label="1-d"),
                                  case(lambda L, x, f=fn: f(L, x > 0), X, raises=True,
                                       label="bool")])
      for prefix, fn in (("", lambda L, x: L.positive(x)),
                         ("Tensor.", lambda L, x: x.positive()))],
    *[Entry("Tensor." + name, [case(fn, *inputs, label=label) for label, fn, inputs in cases])
      for name, cases in (
          ("squeeze_", [("all", lambda L, x: x.clone().squeeze_(), (floats(1, 3, 1),)),
                        ("dim", lambda L, x: x.clone().squeeze_(0), (floats(1, 3, 1),))]),
          ("unsqueeze_", [("", lambda L, x: x.clone().unsqueeze_(1), (X,)),
                          ("in the graph", _in_graph(lambda t: t.unsqueeze_(0)), (X,))]),
          ("t_", [("", lambda L, x: x.clone().t_(), (X,)),
                  ("in the graph", _in_graph(lambda t: t.t_()), (X,))]),
          ("transpose_", [("", lambda L, x: x.clone().transpose_(0, 2), (floats(2, 3, 4),))]),
          ("swapaxes_", [("", lambda L, x: x.clone().swapaxes_(0, 1), (X,))]),
          ("swapdims_", [("", lambda L, x: x.clone().swapdims_(0, 1), (X,))]),
          ("fill_diagonal_", [("wide", lambda L, x: x.clone().fill_diagonal_(5.0), (X,)),
                              ("tall, wrap", lambda L, x: x.clone().fill_diagonal_(-1.0, wrap=True),
                               (floats(9, 3),)),
                              ("tall", lambda L, x: x.clone().fill_diagonal_(2.0), (floats(9, 3),)),
                              ("3-d cube", lambda L, x: x.clone().fill_diagonal_(1.0),
                               (floats(3, 3, 3),))]),
          ("get_device", [("", lambda L, x: x.get_device(), (X,))]),
          ("is_inference", [("", lambda L, x: x.is_inference(), (X,))]),
          ("is_shared", [("", lambda L, x: x.is_shared(), (X,))]),
          ("share_memory_", [("", lambda L, x: x.share_memory_() is x, (X,))]),
          ("new", [("sizes", lambda L, x: x.new(2, 3).shape, (X,)),
                   ("data, its dtype", lambda L, x: x.new([1.5, 2.0]), (ints(3),))]),
          ("sum_to_size", [("", lambda L, x: x.sum_to_size(1, 4), (X,)),
                           ("leading", lambda L, x: x.sum_to_size(3, 1), (floats(2, 3, 4),))]))],
    Entry("Tensor.sum_to_size", [case(lambda L, x: x.sum_to_size(2, 4), X, raises=True,
                                      label="not expandable")]),
    Entry("Tensor.unsqueeze_", [case(lambda L, x: x.requires_grad_(True).unsqueeze_(0), X,
                                     raises=True, label="a leaf that requires grad")]),
    *[Entry(name, [
        case(fn, floats(4, 3), value(2), value(0), value(1.0), grad=[0]),
        case(fn, floats(3, 5), value(1), value(1), value(0.5), grad=[0], label="p=1, dim 1"),
        case(fn, floats(2, 3, 2), value(3), value(2), value(0.8), grad=[0], label="3-d"),
        case(fn, floats(4), value(2), value(0), value(1.0), raises=True, label="1-d")])
      for name, fn in (("renorm", lambda L, x, p, d, m: L.renorm(x, p, d, m)),
                       ("Tensor.renorm", lambda L, x, p, d, m: x.renorm(p, d, m)))],
    Entry("Tensor.renorm_", [case(lambda L, x: x.clone().renorm_(2, 0, 1.0), floats(4, 3))]),
    *[Entry(prefix + "pdist", [
        *[case(lambda L, x, q=p, f=prefix: _ns(L, f).pdist(x, q), floats(5, 3), grad=[0],
               label=f"p={p}") for p in (2.0, 1.0, 0.0, 3.0, float("inf"))],
        case(lambda L, x, f=prefix: _ns(L, f).pdist(L.cat([x, x[:1]])), floats(3, 2), grad=[0],
             label="a repeated row: zero distance"),
        case(lambda L, x, f=prefix: _ns(L, f).pdist(x), floats(3), raises=True, label="1-d")])
      for prefix in ("", "nn.functional.")],
    *[Entry(prefix + "bilinear", [
        case(lambda L, a, b, w, c, f=prefix: _ns(L, f).bilinear(a, b, w, c), floats(4, 3),
             floats(4, 2), floats(5, 3, 2), floats(5), grad=[0, 1, 2, 3]),
        case(lambda L, a, b, w, f=prefix: _ns(L, f).bilinear(a, b, w), floats(2, 4, 3),
             floats(2, 4, 2), floats(5, 3, 2), grad=[0, 1, 2], label="leading dims, no bias"),
        case(lambda L, a, b, w, f=prefix: _ns(L, f).bilinear(a, b, w), floats(4, 3),
             floats(4, 2), floats(5, 2, 2), raises=True, label="weight mismatch")])
      for prefix in ("", "nn.functional.")],
    Entry("nn.functional.gumbel_softmax", [
        case(lambda L, x: L.nn.functional.gumbel_softmax(x, tau=0.5), floats(4, 3),
             compare="shape"),
        case(lambda L, x: L.nn.functional.gumbel_softmax(x, hard=True, dim=0).sum(0), floats(4, 3),
             label="hard: one-hot along dim 0")]),
    *[Entry(prefix + "channel_shuffle", [
        case(lambda L, x, f=prefix: _ns(L, f).channel_shuffle(x, 3), floats(2, 6, 2, 2),
             grad=[0]),
        case(lambda L, x, f=prefix: _ns(L, f).channel_shuffle(x, 4), floats(2, 6, 2),
             raises=True, label="channels not divisible")])
      for prefix in ("", "nn.functional.")],
    Entry("set_printoptions", [
        case(lambda L: (L.set_printoptions(precision=2, sci_mode=False),
                        L.set_printoptions(profile="short"), L.set_printoptions(threshold=5),
                        L.set_printoptions(profile="default"))),
        case(lambda L: L.set_printoptions(profile="long"), label="unknown profile: ignored")]),
    # copies with a part replaced (scatter_views.py), as functions and Tensor methods
    *[Entry(prefix + name, cases) for prefix in ("", "Tensor.") for name, cases in (
        ("select_scatter", [
            case(lambda L, x, s, p=prefix: (L.select_scatter(x, s, 1, -1) if not p
                                            else x.select_scatter(s, 1, -1)),
                 floats(3, 4, 2), floats(3, 2), grad=[0, 1]),
            case(lambda L, x, s, p=prefix: (L.select_scatter(x, s, 0, 0) if not p
                                            else x.select_scatter(s, 0, 0)),
                 floats(3, 4), floats(5), raises=True, label="src of the wrong shape")]),
        ("slice_scatter", [
            case(lambda L, x, s, p=prefix: (L.slice_scatter(x, s, 1, 1, None, 2) if not p
                                            else x.slice_scatter(s, 1, 1, None, 2)),
                 floats(3, 5), floats(3, 2), grad=[0, 1]),
            case(lambda L, x, s, p=prefix: (L.slice_scatter(x, s, end=-1) if not p
                                            else x.slice_scatter(s, end=-1)),
                 floats(3, 5), floats(2, 5), grad=[0, 1], label="end=-1")]),
        ("diagonal_scatter", [
            case(lambda L, x, s, p=prefix: (L.diagonal_scatter(x, s, 1) if not p
                                            else x.diagonal_scatter(s, 1)),
                 floats(3, 4), floats(3), grad=[0, 1]),
            case(lambda L, x, s, p=prefix: (L.diagonal_scatter(x, s, -1, 2, 0) if not p
                                            else x.diagonal_scatter(s, -1, 2, 0)),
                 floats(3, 2, 4), floats(2, 3), grad=[0, 1], label="dims 2, 0, offset -1")]),
        ("diagflat", [
            case(lambda L, x, p=prefix: L.diagflat(x, 1) if not p else x.diagflat(1),
                 floats(2, 2), grad=[0])]),
        ("narrow_copy", [
            case(lambda L, x, p=prefix: (L.narrow_copy(x, 1, 1, 2) if not p
                                         else x.narrow_copy(1, 1, 2)), X, grad=[0])]),
        ("split_with_sizes", [
            case(lambda L, x, p=prefix: (L.split_with_sizes(x, [1, 3], 1) if not p
                                         else x.split_with_sizes([1, 3], 1)), X, grad=[0]),
            case(lambda L, x, p=prefix: (L.split_with_sizes(x, [1, 1]) if not p
                                         else x.split_with_sizes([1, 1])), X, raises=True,
                 label="sizes that do not add up")]),
        ("adjoint", [case(lambda L, x, p=prefix: L.adjoint(x) if not p else x.adjoint(),
                          floats(2, 3, 4), grad=[0])]),
        ("nonzero_static", [
            case(lambda L, x, p=prefix: (L.nonzero_static(x > 0, size=5, fill_value=-2) if not p
                                         else (x > 0).nonzero_static(size=5, fill_value=-2)),
                 X, grad=[])]),
        ("real", [case(lambda L, x, p=prefix: L.real(x) if not p else x.real, X, grad=[0])]),
        ("conj", [case(lambda L, x, p=prefix: L.conj(x) if not p else x.conj(), X, grad=[0])]),
        ("resolve_conj", [case(lambda L, x, p=prefix: (L.resolve_conj(x) if not p
                                                        else x.resolve_conj()), X, grad=[0])]),
        ("is_conj", [case(lambda L, x, p=prefix: L.is_conj(x) if not p else x.is_conj(), X,
                          grad=[])]),
    )],
    Entry("Tensor.mH", [case(lambda L, x: x.mH, floats(2, 3, 4), grad=[0])]),
    Entry("Tensor.H", [case(lambda L, x: x.H, X, grad=[0]),
                       case(lambda L, x: x.H, floats(2, 3, 4), raises=True, label="3-d")]),
    Entry("imag", [case(lambda L, x: L.imag(x), X, raises=True, label="real tensor")]),
    Entry("Tensor.imag", [case(lambda L, x: x.imag, X, raises=True, label="real tensor")]),
    Entry("histogram", [
        case(lambda L, x: tuple(L.histogram(x, 4)), floats(20), grad=[]),
        case(lambda L, x: tuple(x.histogram(3, range=(-1.0, 1.0), density=True)), floats(20),
             grad=[], label="range, density"),
        case(lambda L, x: tuple(L.histogram(x, L.tensor([-1.0, 0.0, 2.0], dtype=x.dtype))),
             floats(20), grad=[], label="given edges"),
        case(lambda L, x: L.histogram(x, 0), floats(5), raises=True, label="no bins")]),
    *[Entry(prefix + "index_reduce", [
        case(lambda L, x, s, r=reduce, p=prefix: (
            L.index_reduce(x, 0, L.tensor([0, 2, 0]), s, r) if not p
            else x.index_reduce(0, L.tensor([0, 2, 0]), s, r, include_self=False)),
            floats(4, 2), floats(3, 2), grad=[0, 1], label=reduce)
        for reduce in ("prod", "mean", "amax", "amin")])
      for prefix in ("", "Tensor.")],
    Entry("triangular_solve", [
        case(lambda L, b, a: tuple(L.triangular_solve(b, a + 3 * L.eye(3, dtype=a.dtype))),
             floats(3, 2), floats(3, 3), grad=[0, 1])]),
    Entry("Tensor.hardshrink", [case(lambda L, x: x.hardshrink(0.4), X, grad=[0])]),
    Entry("Tensor.unsafe_chunk", [case(lambda L, x: x.unsafe_chunk(2, 1), X, grad=[0])]),
    *[Entry(f"nn.functional.fractional_max_pool{d}d", [
        case(lambda L, x, s, d=d: getattr(L.nn.functional, f"fractional_max_pool{d}d")(
            x, 2, output_size=(2,) * d, return_indices=True, _random_samples=s),
            floats(2, 3, *(5,) * d), floats(2, 3, d, low=0.0, high=0.99), grad=[0])])
      for d in (2, 3)],
    Entry("nn.FractionalMaxPool2d", [
        case(lambda L, x, s: L.nn.FractionalMaxPool2d((2, 3), output_size=(3, 2),
                                                      _random_samples=s)(x),
             floats(1, 2, 6, 7), floats(1, 2, 2, low=0.0, high=0.99), grad=[0])]),
    *[Entry(prefix + name, [case(lambda L, x, p=prefix, n=name: (
        getattr(L, n)(x) if not p else getattr(x, n)()), X, grad=grad)])
      for prefix in ("", "Tensor.")
      for name, grad in (("conj_physical", [0]), ("is_neg", []), ("resolve_neg", [0]))],
    Entry("Tensor.histogram", [case(lambda L, x: tuple(x.histogram(5)), floats(12), grad=[])]),
    Entry("Tensor.index_reduce_", [
        case(lambda L, x, s: x.clone().index_reduce_(1, L.tensor([1, 1, 0]), s, "amax"), X,
             floats(3, 3), grad=[0, 1])]),
    Entry("Tensor.prelu", [case(lambda L, x, w: x.prelu(w), X, floats(1), grad=[0, 1])]),
    Entry("Tensor.triangular_solve", [
        case(lambda L, b, a: tuple(b.triangular_solve(a + 3 * L.eye(3, dtype=a.dtype), False)),
             floats(3, 2), floats(3, 3), grad=[0, 1])]),
    Entry("Tensor.unsafe_split", [case(lambda L, x: x.unsafe_split(3, 1), X, grad=[0])]),
    Entry("Tensor.unsafe_split_with_sizes", [
        case(lambda L, x: x.unsafe_split_with_sizes([1, 2]), X, grad=[0])]),
    Entry("nn.AdaptiveLogSoftmaxWithLoss", [
        case(lambda L, x: tuple(L.nn.AdaptiveLogSoftmaxWithLoss(4, 9, [3, 6], div_value=2.0,
                                                                dtype=x.dtype)(
            x, L.tensor([0, 4, 8]))), floats(3, 4), compare="shape",
            label="initialised from each library's generator: shapes")]),
    Entry("nn.FractionalMaxPool3d", [
        case(lambda L, x, s: L.nn.FractionalMaxPool3d(2, output_size=(2, 2, 2),
                                                      _random_samples=s)(x),
             floats(1, 2, 5, 5, 5), floats(1, 2, 3, low=0.0, high=0.99), grad=[0])]),
    *[Entry(f"nn.functional.fractional_max_pool{d}d_with_indices", [
        case(lambda L, x, s, d=d: getattr(L.nn.functional,
                                          f"fractional_max_pool{d}d_with_indices")(
            x, 2, output_size=(2,) * d, _random_samples=s),
            floats(1, 2, *(5,) * d), floats(1, 2, d, low=0.0, high=0.99), grad=[0])])
      for d in (2, 3)],
    *[Entry(f"nn.{name}", [case(lambda L, n=name, c=child: issubclass(getattr(L.nn, c),
                                                                         getattr(L.nn, n)),
                                grad=[])])
      for name, child in (("RNNBase", "LSTM"), ("RNNCellBase", "GRUCell"))],
]
