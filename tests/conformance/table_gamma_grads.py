"""Conformance entries for PyTorch's reparameterisation gradients of the Gamma and the Dirichlet
(chainrule/distributions/_gamma_grads.py): ``torch._standard_gamma_grad`` and
``torch._dirichlet_grad`` on points in every branch of their formulas, and the gradients of the
seeded draws ``_standard_gamma`` and ``Dirichlet.rsample`` that use them.
"""
from __future__ import annotations

from harness import Entry, case, positive

# (α, x) pairs on both sides of each switch of standard_gamma_grad_one: x < 0.8 (series),
# α > 8 inside and outside [0.9α, 1.1α] (Rice), and the rational fit in between
_GAMMA_ALPHA = [1e-3, 0.05, 0.5, 1.0, 2.0, 7.9, 8.1, 9.0, 20.0, 20.0, 20.0, 300.0, 3.0, 0.3]
_GAMMA_X = [1e-30, 0.3, 0.79, 0.81, 1.5, 7.0, 2.0, 8.5, 17.5, 18.5, 22.5, 250.0, 12.0, 0.9]

# (x, α, α₀) in each branch of dirichlet_grad_one: x near 0, x near 1, α and α₀ − α > 6, rest
_DIR_X = [1e-4, 0.05, 0.3, 0.999, 0.9, 0.45, 0.52, 0.35, 0.6, 0.2]
_DIR_ALPHA = [0.5, 2.0, 1.0, 5.0, 0.7, 10.0, 30.0, 2.0, 3.0, 7.0]
_DIR_TOTAL = [3.0, 9.0, 5.0, 5.5, 1.0, 22.0, 60.0, 6.0, 5.0, 40.0]


def _gamma_points(L, dtype):
    dt = getattr(L, dtype)
    return L.tensor(_GAMMA_ALPHA, dtype=dt), L.tensor(_GAMMA_X, dtype=dt)


def _dirichlet_points(L, dtype):
    dt = getattr(L, dtype)
    return tuple(L.tensor(v, dtype=dt) for v in (_DIR_X, _DIR_ALPHA, _DIR_TOTAL))


def _seeded_gamma(L, alpha):
    L.manual_seed(11)
    return L._standard_gamma(alpha.expand(40, *alpha.shape))


def _dirichlet_rsample(L, alpha):
    L.manual_seed(12)
    return L.distributions.Dirichlet(alpha).rsample((30,))


def _beta_rsample(L, a, b):
    L.manual_seed(13)
    return L.distributions.Beta(a, b).rsample((30,))


def _sample_dirichlet_backward(L):
    a = L.tensor([1.0, 2.0], requires_grad=True)
    L._sample_dirichlet(a).sum().backward()


def _standard_gamma_grad_backward(L):
    a = L.tensor([1.5], requires_grad=True)
    L._standard_gamma_grad(a, L.tensor([0.3])).sum().backward()


ENTRIES = [
    Entry("_standard_gamma_grad", [
        case(lambda L: L._standard_gamma_grad(*_gamma_points(L, "float64")),
             label="every branch, float64"),
        case(lambda L: L._standard_gamma_grad(*_gamma_points(L, "float32")),
             label="every branch, float32"),
        case(lambda L, a, x: L._standard_gamma_grad(a, x),
             positive(3, 4, low=0.05, high=12.0), positive(3, 4, low=0.01, high=15.0),
             label="drawn points"),
        case(lambda L: L._standard_gamma_grad(L.tensor([1.5]), L.tensor([0.3], dtype=L.float64)),
             raises=True, label="dtypes differ"),
        case(lambda L: L._standard_gamma_grad(L.ones(2), L.ones(3)), raises=True,
             label="shapes do not broadcast"),
        case(_standard_gamma_grad_backward, raises=True, label="no derivative in alpha"),
    ]),
    Entry("_dirichlet_grad", [
        case(lambda L: L._dirichlet_grad(*_dirichlet_points(L, "float64")),
             label="every branch, float64"),
        case(lambda L: L._dirichlet_grad(*_dirichlet_points(L, "float32")),
             label="every branch, float32"),
        case(lambda L: L._dirichlet_grad(L.tensor([0.3]), L.tensor([1.0]),
                                         L.tensor([3.0], dtype=L.float64)),
             raises=True, label="dtypes differ"),
    ]),
    Entry("_standard_gamma", [
        case(_seeded_gamma, positive(5, low=0.05, high=15.0), grad=[0],
             label="seeded draws and their gradient, float64"),
        case(_seeded_gamma, positive(2, 3, low=0.05, high=15.0, dtype="float32"), grad=[0],
             label="seeded draws and their gradient, float32"),
    ]),
    Entry("_sample_dirichlet", [
        case(_sample_dirichlet_backward, raises=True, label="no derivative"),
    ]),
    Entry("distributions.Dirichlet.rsample", [
        case(_dirichlet_rsample, positive(2, 4, low=0.1, high=12.0), grad=[0],
             label="seeded draws and their gradient"),
    ]),
    Entry("distributions.Beta.rsample", [
        case(_beta_rsample, positive(3, low=0.1, high=12.0), positive(3, low=0.1, high=12.0),
             grad=[0, 1], label="seeded draws and their gradient"),
    ]),
]
