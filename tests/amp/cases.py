"""Operations run under float16 CPU autocast in PyTorch and chainrule: each case builds its
inputs from NumPy arrays with the library ``L`` (torch or chainrule) and returns a tensor."""
from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(7)


def arr(*shape, positive: bool = False):
    a = RNG.standard_normal(shape).astype(np.float32)
    return np.abs(a) + 0.5 if positive else a


X, W, B, V = arr(4, 8), arr(3, 8), arr(3), arr(8)
IMG, K2 = arr(2, 3, 6, 6), arr(4, 3, 3, 3)
SIG, K1 = arr(2, 3, 9), arr(4, 3, 3)
VOL = arr(1, 2, 4, 4, 4)
KT2 = arr(3, 2, 3, 3)
Q = arr(2, 5, 8)
P = RNG.uniform(0.05, 0.95, (4, 8)).astype(np.float32)
LABELS = np.array([0, 2, 1, 7])
SIGNS = np.array([1.0, -1.0, 1.0, -1.0], dtype=np.float32)


def t(L, a, half: bool = False, **kw):
    out = L.tensor(a, **kw)
    return out.half() if half else out


def F(L):
    return L.nn.functional


C_2_5_5 = arr(2, 5, 5)
C_5_5 = arr(5, 5)
C_4 = arr(4)
C_3_2_2_2_2 = arr(3, 2, 2, 2, 2)
C_3_2_3 = arr(3, 2, 3)
C_2_2_2_2_2 = arr(2, 2, 2, 2, 2)
C_2_3_3_2_half = arr(2, 3, 3, 2) * 0.5


CASES = {
    # lower precision
    "linear": lambda L: F(L).linear(t(L, X), t(L, W), t(L, B)),
    "linear_nobias": lambda L: F(L).linear(t(L, X), t(L, W)),
    "linear_half_in": lambda L: F(L).linear(t(L, X, True), t(L, W), t(L, B)),
    "matmul": lambda L: t(L, X) @ t(L, W).T,
    "matmul_2d1d": lambda L: t(L, X) @ t(L, V),
    "matmul_1d1d": lambda L: L.matmul(t(L, V), t(L, V)),
    "mm": lambda L: L.mm(t(L, X), t(L, W).T),
    "bmm": lambda L: L.bmm(t(L, Q), t(L, Q).transpose(1, 2)),
    "addmm": lambda L: L.addmm(t(L, B), t(L, X), t(L, W).T),
    "addmm_scaled": lambda L: L.addmm(t(L, B), t(L, X), t(L, W).T, beta=0.5, alpha=2.0),
    "baddbmm": lambda L: L.baddbmm(t(L, C_2_5_5), t(L, Q), t(L, Q).transpose(1, 2)),
    "addbmm": lambda L: L.addbmm(t(L, C_5_5), t(L, Q), t(L, Q).transpose(1, 2)),
    "vecdot": lambda L: L.linalg.vecdot(t(L, X), t(L, X)),
    "conv1d": lambda L: F(L).conv1d(t(L, SIG), t(L, K1), t(L, C_4), padding=1),
    "conv2d": lambda L: F(L).conv2d(t(L, IMG), t(L, K2), t(L, C_4), stride=2),
    "conv3d": lambda L: F(L).conv3d(t(L, VOL), t(L, C_3_2_2_2_2)),
    "conv_transpose1d": lambda L: F(L).conv_transpose1d(t(L, SIG), t(L, C_3_2_3)),
    "conv_transpose2d": lambda L: F(L).conv_transpose2d(t(L, IMG), t(L, KT2), stride=2),
    "conv_transpose3d": lambda L: F(L).conv_transpose3d(t(L, VOL), t(L, C_2_2_2_2_2)),
    "prelu": lambda L: F(L).prelu(t(L, X), t(L, np.array([0.25], np.float32))),
    "sdpa": lambda L: F(L).scaled_dot_product_attention(t(L, Q), t(L, Q), t(L, Q)),
    "tensordot": lambda L: L.tensordot(t(L, X), t(L, W), dims=([1], [1])),
    "inner": lambda L: L.inner(t(L, X), t(L, W)),
    "multi_dot": lambda L: L.linalg.multi_dot([t(L, X), t(L, W).T]),
    # float32
    "mse_loss": lambda L: F(L).mse_loss(t(L, X, True), t(L, X, True)),
    "mse_loss_mixed": lambda L: F(L).mse_loss(t(L, X, True), t(L, X)),
    "l1_loss": lambda L: F(L).l1_loss(t(L, X, True), t(L, P, True)),
    "huber_loss": lambda L: F(L).huber_loss(t(L, X, True), t(L, P, True)),
    "smooth_l1_loss": lambda L: F(L).smooth_l1_loss(t(L, X, True), t(L, P, True)),
    "cross_entropy": lambda L: F(L).cross_entropy(t(L, X, True), L.tensor(LABELS)),
    "cross_entropy_probs": lambda L: F(L).cross_entropy(t(L, X, True), t(L, P, True)),
    "nll_loss": lambda L: F(L).nll_loss(t(L, X, True), L.tensor(LABELS)),
    "kl_div": lambda L: F(L).kl_div(t(L, X, True), t(L, P, True), reduction="batchmean"),
    "bce": lambda L: F(L).binary_cross_entropy(t(L, P, True), t(L, P, True)),
    "bce_logits": lambda L: F(L).binary_cross_entropy_with_logits(t(L, X, True), t(L, P, True)),
    "poisson_nll": lambda L: F(L).poisson_nll_loss(t(L, X, True), t(L, P, True)),
    "margin_ranking": lambda L: F(L).margin_ranking_loss(t(L, V[:4], True), t(L, B.repeat(2)[:4],
                                                         True), t(L, SIGNS)),
    "hinge_embedding": lambda L: F(L).hinge_embedding_loss(t(L, V[:4], True), t(L, SIGNS)),
    "soft_margin": lambda L: F(L).soft_margin_loss(t(L, V[:4], True), t(L, SIGNS)),
    "multi_margin": lambda L: F(L).multi_margin_loss(t(L, X, True), L.tensor(LABELS)),
    "cosine_embedding": lambda L: F(L).cosine_embedding_loss(t(L, X, True), t(L, P, True),
                                                             t(L, SIGNS)),
    "triplet_margin": lambda L: F(L).triplet_margin_loss(t(L, X, True), t(L, P, True),
                                                         t(L, X[::-1].copy(), True)),
    "prod": lambda L: t(L, P, True).prod(),
    "prod_dim": lambda L: L.prod(t(L, P, True), 1),
    "trace": lambda L: L.trace(t(L, X[:, :4], True)),
    "cdist": lambda L: L.cdist(t(L, X, True), t(L, P, True)),
    "avg_pool3d": lambda L: F(L).avg_pool3d(t(L, VOL, True), 2),
    "max_pool3d": lambda L: F(L).max_pool3d(t(L, VOL, True), 2),
    "adaptive_avg_pool3d": lambda L: F(L).adaptive_avg_pool3d(t(L, VOL, True), 1),
    "adaptive_max_pool3d": lambda L: F(L).adaptive_max_pool3d(t(L, VOL, True), 1),
    "pad_reflect1d": lambda L: F(L).pad(t(L, SIG, True), (1, 1), mode="reflect"),
    "pad_reflect2d": lambda L: F(L).pad(t(L, IMG, True), (1, 1, 1, 1), mode="reflect"),
    "pad_reflect3d": lambda L: F(L).pad(t(L, VOL, True), (1, 1, 1, 1, 1, 1), mode="reflect"),
    "pad_replicate": lambda L: F(L).pad(t(L, IMG, True), (1, 2, 2, 1), mode="replicate"),
    "pad_circular": lambda L: F(L).pad(t(L, SIG, True), (1, 1), mode="circular"),
    "pad_constant": lambda L: F(L).pad(t(L, X, True), (1, 1)),
    "grid_sample": lambda L: F(L).grid_sample(t(L, IMG, True), t(L, C_2_3_3_2_half, True),
                                              align_corners=False),
    # promote
    "cat": lambda L: L.cat([t(L, X, True), t(L, X)]),
    "cat_half": lambda L: L.cat([t(L, X, True), t(L, X, True)]),
    "cat_double": lambda L: L.cat([t(L, X, True), t(L, X).double()]),
    "stack": lambda L: L.stack([t(L, X, True), t(L, X)]),
    "index_copy": lambda L: L.zeros(4, 8).index_copy(0, L.tensor([1]), t(L, X[:1], True)),
    # neither: the inputs' dtype
    "relu_half": lambda L: F(L).relu(t(L, X, True)),
    "relu_float": lambda L: F(L).relu(t(L, X)),
    "softmax_half": lambda L: F(L).softmax(t(L, X, True), dim=1),
    "log_softmax_half": lambda L: F(L).log_softmax(t(L, X, True), dim=1),
    "sum_half": lambda L: t(L, X, True).sum(),
    "exp_half": lambda L: t(L, X, True).exp(),
    "add_mixed": lambda L: t(L, X, True) + t(L, X),
    "dot": lambda L: L.dot(t(L, V), t(L, V)),
    "mv": lambda L: L.mv(t(L, X), t(L, V)),
    "addmv": lambda L: L.addmv(t(L, X[:, 0].copy()), t(L, X), t(L, V)),
    "outer": lambda L: L.outer(t(L, V), t(L, V)),
    "max_pool2d_half": lambda L: F(L).max_pool2d(t(L, IMG, True), 2),
    "linear_double": lambda L: F(L).linear(t(L, X).double(), t(L, W).double()),
    "prod_double": lambda L: t(L, P).double().prod(),
}

CASES.update({
    "einsum_mm": lambda L: L.einsum("ij,kj->ik", t(L, X), t(L, W)),
    "einsum_dot": lambda L: L.einsum("i,i->", t(L, V), t(L, V)),
    "einsum_implicit": lambda L: L.einsum("ij,jk", t(L, X), t(L, W).T),
    "einsum_batch": lambda L: L.einsum("bij,bkj->bik", t(L, Q), t(L, Q)),
    "einsum_mul": lambda L: L.einsum("i,i->i", t(L, V), t(L, V)),
    "einsum_outer": lambda L: L.einsum("i,j->ij", t(L, V), t(L, V)),
    "einsum_sum": lambda L: L.einsum("ij->i", t(L, X)),
    "einsum_private_sum": lambda L: L.einsum("ij,k->k", t(L, X), t(L, V)),
})
