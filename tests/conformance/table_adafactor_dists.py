"""Conformance entries for ``optim.Adafactor`` and the distributions ``Wishart`` and
``LKJCholesky`` (log-densities with their gradients, moments, sample shapes, argument errors).
"""
from __future__ import annotations

import warnings

import numpy as np
from harness import Entry, case, floats, positive, value

TARGET = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)


# ------------------------------------------------------------------------------- Adafactor
def _adafactor(steps: int = 8, **kw):
    """A 2×3×4 tensor (factored over its last two axes) and a vector, trained together."""
    def run(L, w0, b0):
        w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
        opt = L.optim.Adafactor([w, b], **kw)
        target = L.tensor(TARGET)
        for _ in range(steps):
            opt.zero_grad()
            loss = ((w - target) ** 4).sum() + ((w.sum((0, 1)) - b) ** 2).sum()
            loss.backward()
            opt.step()
        return w.detach(), b.detach(), opt.param_groups[0]["eps"]
    return case(run, floats(2, 3, 4), floats(4),
                label=", ".join(f"{k}={v}" for k, v in kw.items()))


ADAFACTOR = [
    Entry("optim.Adafactor", [
        _adafactor(),
        _adafactor(lr=0.1, weight_decay=0.1),
        _adafactor(beta2_decay=-0.5, eps=(1e-3, 1e-2), d=2.0, maximize=True),
        _adafactor(lr=0.05, foreach=True),
        case(lambda L, w: L.optim.Adafactor([w.requires_grad_()], beta2_decay=0.5),
             floats(3), raises=True, label="beta2_decay > 0"),
        case(lambda L, w: L.optim.Adafactor([w.requires_grad_()], d=0.5),
             floats(3), raises=True, label="d < 1"),
    ]),
]


# ------------------------------------------------------------------------------- Wishart
def _spd(L, a, shift=3.0):
    return a @ a.transpose(-2, -1) + shift * L.eye(a.shape[-1], dtype=a.dtype)


def _wishart(L, df, a, kind):
    if kind == "scale_tril":
        matrix = L.tril(a, -1) + L.diag_embed(a.diagonal(dim1=-2, dim2=-1).exp())
    else:
        matrix = _spd(L, a)
    return L.distributions.Wishart(df, **{kind: matrix})


def _wishart_everything(kind):
    def run(L, df, a, x):
        dist = _wishart(L, df, a, kind)
        return (dist.log_prob(_spd(L, x, 1.0)), dist.mean, dist.variance, dist.mode,
                dist.covariance_matrix, dist.precision_matrix, dist.scale_tril)
    return run


def _wishart_entropy(L, df, a):
    # (∂H/∂ν holds PyTorch's trigamma, accurate to ~3e-10 only: a is differentiated, not ν)
    return _wishart(L, df, a, "precision_matrix").entropy()


def _wishart_shapes(L, df, a):
    dist = _wishart(L, df, a, "covariance_matrix")
    with warnings.catch_warnings():         # PyTorch 2.13 warns "Singular sample detected."
        warnings.simplefilter("ignore")     # at every draw (see chainrule's Wishart docstring)
        return dist.rsample((4,)), dist.sample(), dist.expand((5, 2)).rsample((3,))


def _wishart_kl(L, df1, a1, df2, a2):
    p = _wishart(L, df1, a1, "covariance_matrix")
    q = _wishart(L, df2, a2, "scale_tril")
    return L.distributions.kl_divergence(p, q)


WISHART = [
    Entry("distributions.Wishart", [
        case(_wishart_everything("covariance_matrix"), positive(low=4.0, high=8.0),
             floats(3, 3), floats(3, 3), grad=[0, 1, 2], label="covariance_matrix"),
        case(_wishart_everything("precision_matrix"), positive(2, low=3.0, high=8.0),
             floats(2, 3, 3), floats(2, 3, 3), grad=[0, 1, 2], label="precision_matrix batch"),
        case(_wishart_everything("scale_tril"), positive(low=2.5, high=6.0),
             floats(2, 4, 4), floats(4, 4), grad=[0, 1, 2], label="scale_tril"),
        case(_wishart_entropy, positive(2, low=2.5, high=6.0), floats(2, 3, 3), grad=[1],
             label="entropy"),
        case(_wishart_shapes, positive(2, low=4.0, high=6.0), floats(2, 3, 3),
             compare="shape", label="sample shapes"),
        # one pair (PyTorch's Bregman form is right for a single pair; p is detached there)
        case(_wishart_kl, positive(low=4.0, high=6.0), floats(3, 3), positive(low=4.0, high=6.0),
             floats(3, 3), grad=[2, 3], label="kl_divergence"),
        case(lambda L, a: L.distributions.Wishart(2.0, covariance_matrix=_spd(L, a),
                                                  scale_tril=_spd(L, a)),
             floats(2, 2), raises=True, label="two matrices"),
        case(lambda L, a: L.distributions.Wishart(0.5, covariance_matrix=_spd(L, a)),
             floats(2, 2), raises=True, label="df <= p - 1"),
        case(lambda L, a: L.distributions.Wishart(3.0, covariance_matrix=a),
             floats(2, 2), raises=True, label="not symmetric"),
    ]),
]


# ------------------------------------------------------------------------------- LKJCholesky
def _corr_cholesky(L, a):
    lower = L.linalg.cholesky(_spd(L, a, 1.0))
    return lower / L.linalg.norm(lower, dim=-1, keepdim=True)


def _lkj_log_prob(dim):
    def run(L, concentration, a):
        return L.distributions.LKJCholesky(dim, concentration).log_prob(_corr_cholesky(L, a))
    return run


def _lkj_shapes(L, concentration):
    dist = L.distributions.LKJCholesky(4, concentration)
    return dist.sample((5,)), dist.sample(), dist.expand((2, 3)).sample((2,))


LKJ = [
    Entry("distributions.LKJCholesky", [
        case(_lkj_log_prob(2), positive(low=0.2, high=4.0), floats(2, 2), grad=[0, 1],
             label="dim 2"),
        case(_lkj_log_prob(4), positive(3, low=0.2, high=4.0), floats(5, 3, 4, 4), grad=[0, 1],
             label="dim 4, batch"),
        case(lambda L, c: L.distributions.LKJCholesky(3, float(c)).log_prob(
            L.eye(3, dtype=L.float64)), value(2.5), label="Python-number concentration"),
        case(_lkj_shapes, positive(3, low=0.5, high=3.0), compare="shape",
             label="sample shapes"),
        case(lambda L: L.distributions.LKJCholesky(1, 1.0), raises=True, label="dim 1"),
        case(lambda L, c: L.distributions.LKJCholesky(3, c), floats(2, low=-2.0, high=-0.5),
             raises=True, label="concentration <= 0"),
    ]),
]

ENTRIES = ADAFACTOR + WISHART + LKJ
