"""Conformance entries for nn.utils' parametrizations (parametrize, parametrizations), the
hook-based weight_norm / spectral_norm, BatchNorm fusion, skip_init, clip_grad_norm, pruning
(nn.utils.prune), and nn.init's trunc_normal_, eye_, dirac_, sparse_ and deprecated names.

Programs build float64 layers whose weights are the inputs, and return what must agree: the
state_dict keys and parameter names, the (parametrized) weights, outputs, and the gradients a
backward pass leaves on the original tensors. Random draws (spectral_norm's u and v, random
pruning, trunc_normal_, sparse_) follow PyTorch's generator in chainrule, so a program that seeds
``L.manual_seed`` (after building its layers: their own initialisation draws differently)
compares them value for value.
"""
from __future__ import annotations

import warnings

import torch.nn.utils.prune  # noqa: F401  (makes "nn.utils.prune.…" resolve in torch)
from harness import Entry, case, floats, ints

W, B, X = floats(4, 4), floats(4), floats(3, 4)
W53, B5, X3 = floats(5, 3), floats(5), floats(2, 3)


def _linear(L, w, b):
    m = L.nn.Linear(w.shape[1], w.shape[0]).double()
    with L.no_grad():
        m.weight.copy_(w)
        m.bias.copy_(b)
    return m


def _conv(L, w, b):
    m = L.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2]).double()
    with L.no_grad():
        m.weight.copy_(w)
        m.bias.copy_(b)
    return m


def _bn(L, stats):
    """BatchNorm over stats.shape[1] channels, eval mode, γ, β, μ, σ² from the rows of stats."""
    bn = L.nn.BatchNorm2d(stats.shape[1]).double().eval()
    with L.no_grad():
        bn.weight.copy_(stats[0])
        bn.bias.copy_(stats[1])
        bn.running_mean.copy_(stats[2])
        bn.running_var.copy_(stats[3].abs() + 0.5)
    return bn


def _step(m, x):
    """Output, then the gradients of Σy² on every parameter (in named order)."""
    y = m(x)
    (y * y).sum().backward()
    return y, [p.grad for _, p in m.named_parameters()]


def _layout(m):
    return list(m.state_dict()), [n for n, _ in m.named_parameters()], type(m).__name__


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


def _warned(fn, *args, **kwargs):
    """fn's result, with the categories and messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, [(c.category.__name__, str(c.message)) for c in caught]


def _symmetric(L):
    class Symmetric(L.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


# ------------------------------------------------------------------------------ parametrize
def _register(L, w, b, x):
    m = _linear(L, w, b)
    L.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(L))
    return _layout(m), m.weight, m.parametrizations.weight.original, _step(m, x)


def _assign(L, w, b, a):
    m = _linear(L, w, b)
    L.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(L))
    m.weight = a + a.T
    return m.weight, m.parametrizations.weight.original


def _remove(leave):
    def run(L, w, b):
        m = _linear(L, w, b)
        P = L.nn.utils.parametrize
        P.register_parametrization(m, "weight", _symmetric(L))
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        return _layout(m), m.weight
    return run


def _is_parametrized(L, w, b):
    m = _linear(L, w, b)
    P = L.nn.utils.parametrize
    before = P.is_parametrized(m)
    P.register_parametrization(m, "weight", _symmetric(L))
    return before, P.is_parametrized(m), P.is_parametrized(m, "weight"), \
        P.is_parametrized(m, "bias")


def _cached(L, w, b):
    m = _linear(L, w, b)
    P = L.nn.utils.parametrize
    P.register_parametrization(m, "weight", _symmetric(L))
    with P.cached():
        same = m.weight is m.weight
    return same, m.weight is m.weight


def _type_before(L, w, b):
    m = _linear(L, w, b)
    P = L.nn.utils.parametrize
    P.register_parametrization(m, "weight", _symmetric(L))
    return P.type_before_parametrizations(m).__name__, type(m).__name__


def _transfer(L, w, b, w2, b2):
    src, dst = _linear(L, w, b), _linear(L, w2, b2)
    P = L.nn.utils.parametrize
    P.register_parametrization(src, "weight", _symmetric(L))
    P.transfer_parametrizations_and_params(src, dst)
    return _layout(dst), dst.weight


def _bad_shape(L, w, b):
    class Crop(L.nn.Module):
        def forward(self, X):
            return X[:2]

    L.nn.utils.parametrize.register_parametrization(_linear(L, w, b), "weight", Crop())


PARAMETRIZE = [
    Entry("nn.utils.parametrize.register_parametrization", [
        case(_register, W, B, X), case(_assign, W, B, floats(4, 4), label="right_inverse"),
        case(_bad_shape, W, B, raises=True, label="shape changed")]),
    Entry("nn.utils.parametrize.remove_parametrizations", [
        case(_remove(True), W, B), case(_remove(False), W, B, label="unparametrized")]),
    Entry("nn.utils.parametrize.is_parametrized", [case(_is_parametrized, W, B)]),
    Entry("nn.utils.parametrize.cached", [case(_cached, W, B)]),
    Entry("nn.utils.parametrize.type_before_parametrizations", [case(_type_before, W, B)]),
    Entry("nn.utils.parametrize.transfer_parametrizations_and_params", [
        case(_transfer, W, B, W, B)]),
]


# ------------------------------------------------------------------------------ parametrizations
def _pweight_norm(dim):
    def run(L, w, b, x):
        m = L.nn.utils.parametrizations.weight_norm(_linear(L, w, b), dim=dim)
        g = m.parametrizations.weight.original0
        return _layout(m), g, m.weight, _step(m, x)
    return run


def _pspectral_norm(L, w, b, x):
    m = _linear(L, w, b)
    L.manual_seed(0)            # after the layer's own initialisation
    m = L.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=2)
    sn = m.parametrizations.weight[0]
    out = _layout(m), sn._u, sn._v, m.weight, _step(m, x)
    m.eval()
    return out, m.weight, sn._u


def _orthogonal(orthogonal_map, triv=True):
    def run(L, w, b, x):
        m = _linear(L, w, b)
        L.manual_seed(0)        # a tall base is completed with N(0, 1) draws
        m = L.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                                   use_trivialization=triv)
        return _layout(m), m.weight, _step(m, x)
    return run


PARAMETRIZATIONS = [
    Entry("nn.utils.parametrizations.weight_norm", [
        case(_pweight_norm(0), W53, B5, X3), case(_pweight_norm(None), W53, B5, X3,
                                                  label="dim=None")]),
    Entry("nn.utils.parametrizations.spectral_norm", [case(_pspectral_norm, W53, B5, X3)]),
    Entry("nn.utils.parametrizations.orthogonal", [
        case(_orthogonal(None), W53, B5, X3, label="householder"),
        case(_orthogonal(None), W, B, X, label="matrix_exp"),
        case(_orthogonal("cayley"), W, B, X, label="cayley"),
        case(_orthogonal("householder", False), W53, B5, X3, label="no trivialization")]),
]


# ------------------------------------------------------------------------------ hook-based
def _weight_norm(L, w, b, x):
    m, warned = _warned(L.nn.utils.weight_norm, _linear(L, w, b))
    return _layout(m), [c for c, _ in warned], m.weight_g, m.weight, _step(m, x)


def _remove_weight_norm(L, w, b, x):
    m = _quiet(L.nn.utils.weight_norm, _linear(L, w, b), dim=None)
    _step(m, x)
    L.nn.utils.remove_weight_norm(m)
    return _layout(m), m.weight, len(m._forward_pre_hooks)


def _spectral_norm(L, w, b, x):
    m = _linear(L, w, b)
    L.manual_seed(1)
    m = L.nn.utils.spectral_norm(m)
    first = _layout(m), m.weight_u, m.weight_v, m.weight
    return first, _step(m, x), m.weight_u, m.weight_v


def _remove_spectral_norm(L, w, b, x):
    m = _linear(L, w, b)
    L.manual_seed(2)
    m = L.nn.utils.spectral_norm(m)
    _step(m, x)
    L.nn.utils.remove_spectral_norm(m)
    return _layout(m), m.weight


HOOKS = [
    Entry("nn.utils.weight_norm", [case(_weight_norm, W53, B5, X3)]),
    Entry("nn.utils.remove_weight_norm", [case(_remove_weight_norm, W53, B5, X3)]),
    Entry("nn.utils.spectral_norm", [case(_spectral_norm, W53, B5, X3)]),
    Entry("nn.utils.remove_spectral_norm", [case(_remove_spectral_norm, W53, B5, X3)]),
]


# ------------------------------------------------------------------------------ fusion and the rest
def _fuse_conv(L, w, b, stats, x):
    conv = _conv(L, w, b).eval()
    bn = _bn(L, stats)
    fused = L.nn.utils.fuse_conv_bn_eval(conv, bn)
    return fused.weight, fused.bias, fused(x), bn(conv(x))


def _fuse_conv_weights(L, w, b, stats):
    return L.nn.utils.fuse_conv_bn_weights(w, b, stats[2], stats[3].abs() + 0.5, 1e-5,
                                           stats[0], stats[1], transpose=True)


def _fuse_linear(L, w, b, stats, x):
    lin = _linear(L, w, b).eval()
    bn = L.nn.BatchNorm1d(stats.shape[1]).double().eval()
    with L.no_grad():
        bn.weight.copy_(stats[0])
        bn.running_var.copy_(stats[3].abs() + 0.5)
    fused = L.nn.utils.fuse_linear_bn_eval(lin, bn)
    return fused.weight, fused.bias, fused(x), bn(lin(x))


def _fuse_linear_weights(L, w, stats):
    return L.nn.utils.fuse_linear_bn_weights(w, None, stats[2], stats[3].abs() + 0.5, 1e-5,
                                             stats[0], stats[1])


def _clip_grad_norm(L, a):
    a.requires_grad_(True)
    (a * a).sum().backward()
    total, warned = _warned(L.nn.utils.clip_grad_norm, [a], 1.0)
    return total, a.grad, [c for c, _ in warned]


MISC = [
    Entry("nn.utils.fuse_conv_bn_eval", [
        case(_fuse_conv, floats(4, 3, 2, 2), floats(4), floats(4, 4), floats(2, 3, 5, 5))]),
    Entry("nn.utils.fuse_conv_bn_weights", [
        case(_fuse_conv_weights, floats(3, 4, 2, 2), floats(4), floats(4, 4))]),
    Entry("nn.utils.fuse_linear_bn_eval", [
        case(_fuse_linear, W53, B5, floats(4, 5), X3)]),
    Entry("nn.utils.fuse_linear_bn_weights", [case(_fuse_linear_weights, W53, floats(4, 5))]),
    Entry("nn.utils.skip_init", [
        case(lambda L: tuple(L.nn.utils.skip_init(L.nn.Linear, 5, 3).weight.shape)),
        case(lambda L: L.nn.utils.skip_init(int, 3), raises=True, label="not a Module")]),
    Entry("nn.utils.clip_grad_norm", [case(_clip_grad_norm, floats(3, 4))]),
]


# ------------------------------------------------------------------------------ prune
def _pruned(L, m, name="weight"):
    return _layout(m), getattr(m, name + "_mask"), getattr(m, name)


def _l1(amount):
    def run(L, w, b):
        m = L.nn.utils.prune.l1_unstructured(_linear(L, w.to(L.float64), b), "weight", amount)
        return _pruned(L, m)
    return run


def _ln(amount, n, dim):
    def run(L, w, b):
        m = L.nn.utils.prune.ln_structured(_linear(L, w.to(L.float64), b), "weight", amount, n,
                                           dim)
        return _pruned(L, m)
    return run


def _random_unstructured(L, w, b):
    m = _linear(L, w, b)
    L.manual_seed(3)
    return _pruned(L, L.nn.utils.prune.random_unstructured(m, "weight", 0.4))


def _random_structured(L, w, b):
    m = _linear(L, w, b)
    L.manual_seed(4)
    return _pruned(L, L.nn.utils.prune.random_structured(m, "weight", 2, dim=1))


def _global(L, w, b, w2, b2):
    a, c = _linear(L, w.to(L.float64), b), _linear(L, w2.to(L.float64), b2)
    P = L.nn.utils.prune
    P.global_unstructured([(a, "weight"), (c, "weight"), (c, "bias")], P.L1Unstructured,
                          amount=9)
    return _pruned(L, a), _pruned(L, c), _pruned(L, c, "bias")


def _custom(L, w, b, mask):
    return _pruned(L, L.nn.utils.prune.custom_from_mask(_linear(L, w, b), "weight", mask))


def _identity(L, w, b):
    return _pruned(L, L.nn.utils.prune.identity(_linear(L, w, b), "bias"), "bias")


def _prune_remove(L, w, b, x):
    m = L.nn.utils.prune.l1_unstructured(_linear(L, w.to(L.float64), b), "weight", 5)
    L.nn.utils.prune.ln_structured(m, "weight", 1, 2, 0)
    step = _step(m, x)
    L.nn.utils.prune.remove(m, "weight")
    return step, _layout(m), m.weight, L.nn.utils.prune.is_pruned(m)


def _is_pruned(L, w, b):
    m = _linear(L, w, b)
    before = L.nn.utils.prune.is_pruned(m)
    L.nn.utils.prune.identity(m, "weight")
    return before, L.nn.utils.prune.is_pruned(L.nn.Sequential(m))


def _container(L, w, b):
    m = L.nn.utils.prune.l1_unstructured(_linear(L, w.to(L.float64), b), "weight", 3)
    L.nn.utils.prune.random_unstructured(m, "weight", 2)
    hook = next(iter(m._forward_pre_hooks.values()))
    return type(hook).__name__, [type(h).__name__ for h in hook], len(hook)


def _method_mask(method):
    def run(L, t):
        t = t.to(L.float64)
        return method(L).compute_mask(t, L.ones_like(t)), method(L).prune(t)
    return run


IW = ints(4, 4, low=-2, high=3)          # integer weights: ties among |w| and channel norms
IW2 = ints(3, 4, low=-2, high=3)
MASK = ints(4, 4, low=0, high=2)
PRUNE = [
    Entry("nn.utils.prune.l1_unstructured", [
        case(_l1(0.5), IW, B), case(_l1(7), IW, B, label="count"),
        case(_l1(0), IW, B, label="none")]),
    Entry("nn.utils.prune.ln_structured", [
        case(_ln(2, 1, 0), IW, B), case(_ln(0.5, 2, 1), IW, B, label="L2, dim 1"),
        case(_ln(1, float("inf"), -1), IW, B, label="inf")]),
    Entry("nn.utils.prune.random_unstructured", [case(_random_unstructured, W, B)]),
    Entry("nn.utils.prune.random_structured", [case(_random_structured, W, B)]),
    Entry("nn.utils.prune.global_unstructured", [case(_global, IW, B, IW2, floats(3))]),
    Entry("nn.utils.prune.custom_from_mask", [
        case(lambda L, w, b, mask: _custom(L, w, b, mask), W, B, MASK)]),
    Entry("nn.utils.prune.identity", [case(_identity, W, B)]),
    Entry("nn.utils.prune.remove", [case(_prune_remove, IW, B, X)]),
    Entry("nn.utils.prune.is_pruned", [case(_is_pruned, W, B)]),
    Entry("nn.utils.prune.PruningContainer", [case(_container, IW, B)]),
    Entry("nn.utils.prune.L1Unstructured", [
        case(_method_mask(lambda L: L.nn.utils.prune.L1Unstructured(6)), IW)]),
    Entry("nn.utils.prune.LnStructured", [
        case(_method_mask(lambda L: L.nn.utils.prune.LnStructured(0.5, n=1, dim=0)), IW)]),
    Entry("nn.utils.prune.Identity", [
        case(_method_mask(lambda L: L.nn.utils.prune.Identity()), IW)]),
]


# ------------------------------------------------------------------------------ nn.init
def _seeded(name, *args, **kwargs):
    def run(L, w):
        L.manual_seed(5)
        return getattr(L.nn.init, name)(w, *args, **kwargs) is w, w
    return run


def _deprecated(name, *args):
    """The deprecated name: filled in place, one FutureWarning with PyTorch's message."""
    def run(L, w):
        out, warned = _warned(getattr(L.nn.init, name), w, *args)
        return out is w, warned, tuple(w.shape)
    return run


def _deprecated_values(name, *args):
    def run(L, w):
        out, warned = _warned(getattr(L.nn.init, name), w, *args)
        return out is w, warned, w
    return run


INIT = [
    Entry("nn.init.trunc_normal_", [
        case(_seeded("trunc_normal_"), floats(20, 30)),
        case(_seeded("trunc_normal_", 0.0, 1.0, 0.5, 1.5), floats(20, 30), label="narrow"),
        case(_seeded("trunc_normal_", 0.0, 0.02, -0.04, 0.04), floats(40), label="std 0.02")]),
    Entry("nn.init.eye_", [case(_seeded("eye_"), floats(3, 5)),
                           case(_seeded("eye_"), floats(2, 3, 4), raises=True, label="3-d")]),
    Entry("nn.init.dirac_", [case(_seeded("dirac_"), floats(4, 3, 3, 3)),
                             case(_seeded("dirac_", 2), floats(6, 2, 3), label="groups"),
                             case(_seeded("dirac_"), floats(3, 4), raises=True, label="2-d")]),
    Entry("nn.init.sparse_", [case(_seeded("sparse_", 0.3), floats(10, 4)),
                              case(_seeded("sparse_", 0.5, 2.0), floats(3, 6), label="std")]),
    Entry("nn.init.uniform", [case(_deprecated("uniform"), floats(3, 4))]),
    Entry("nn.init.normal", [case(_deprecated("normal"), floats(3, 4))]),
    Entry("nn.init.constant", [case(_deprecated_values("constant", 0.25), floats(3, 4))]),
    Entry("nn.init.eye", [case(_deprecated_values("eye"), floats(3, 4))]),
    Entry("nn.init.dirac", [case(_deprecated_values("dirac"), floats(3, 2, 3))]),
    Entry("nn.init.xavier_uniform", [case(_deprecated("xavier_uniform"), floats(3, 4))]),
    Entry("nn.init.xavier_normal", [case(_deprecated("xavier_normal"), floats(3, 4))]),
    Entry("nn.init.kaiming_uniform", [case(_deprecated("kaiming_uniform"), floats(3, 4))]),
    Entry("nn.init.kaiming_normal", [case(_deprecated("kaiming_normal"), floats(3, 4))]),
    Entry("nn.init.orthogonal", [case(_deprecated("orthogonal"), floats(3, 4))]),
    Entry("nn.init.sparse", [case(_deprecated("sparse", 0.5), floats(4, 3))]),
]

ENTRIES = PARAMETRIZE + PARAMETRIZATIONS + HOOKS + MISC + PRUNE + INIT
