"""Conformance entries for the losses of chainrule/ops/losses_extra.py and ctc.py (functional and
module forms), the decoder side of the Transformer, nn.utils.parameters_to_vector /
vector_to_parameters, and the optimizers Adamax, ASGD, Rprop and LBFGS.
"""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, ints, positive, value

X34 = floats(3, 4)
X5 = floats(5)
SIGN5 = value(np.array([1.0, -1.0, -1.0, 1.0, 1.0]))
SIGN3 = value(np.array([1.0, -1.0, 1.0]))
COUNTS = value(np.array([[0.0, 1.0, 3.0, 2.0], [1.5, 0.0, 5.0, 1.0], [2.0, 2.0, 0.5, 4.0]]))
BINARY = value(np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0]]))
RED = ("none", "mean", "sum")


def _f(name, **kw):
    """A program calling L.nn.functional.<name>(*inputs, **kw); array keywords become tensors."""
    def run(L, *xs):
        k = {key: (L.tensor(v) if isinstance(v, np.ndarray) else v) for key, v in kw.items()}
        return getattr(L.nn.functional, name)(*xs, **k)
    return run


def _m(name, **kw):
    def run(L, *xs):
        k = {key: (L.tensor(v) if isinstance(v, np.ndarray) else v) for key, v in kw.items()}
        return getattr(L.nn, name)(**k)(*xs)
    return run


def _each_reduction(name, *inputs, grad=(), **kw):
    """One case of F.<name> per reduction."""
    return [case(_f(name, reduction=r, **kw), *inputs, grad=grad, label=f"reduction={r}")
            for r in RED]


# ------------------------------------------------------------------------------- CTC inputs
_RNG = np.random.default_rng(11)
_LOGP = np.log(_RNG.dirichlet(np.ones(5), (10, 3)))                  # (T, N, C) normalised
CTC_TARGETS = np.array([[1, 1, 2], [3, 0, 0], [4, 2, 4]])            # repeat, empty, skip
CTC_IL, CTC_TL = np.array([10, 6, 8]), np.array([3, 0, 3])
CTC_CAT = np.array([1, 1, 2, 4, 2, 4])


def _ctc(layout="padded", **kw):
    def run(L, lp):
        t = CTC_TARGETS if layout == "padded" else CTC_CAT
        return L.nn.functional.ctc_loss(lp, L.tensor(t), L.tensor(CTC_IL), L.tensor(CTC_TL),
                                        **kw)
    return run


def _ctc_module(**kw):
    def run(L, lp):
        return L.nn.CTCLoss(**kw)(lp, L.tensor(CTC_TARGETS), L.tensor(CTC_IL),
                                  L.tensor(CTC_TL))
    return run


LOSSES = [
    Entry("nn.functional.poisson_nll_loss",
          _each_reduction("poisson_nll_loss", X34, COUNTS, grad=[0])
          + [case(_f("poisson_nll_loss", log_input=False, full=True),
                  positive(3, 4), COUNTS, grad=[0])]),
    Entry("nn.PoissonNLLLoss", [case(_m("PoissonNLLLoss", full=True), X34, COUNTS, grad=[0])]),
    Entry("nn.functional.gaussian_nll_loss",
          _each_reduction("gaussian_nll_loss", X34, X34, positive(3, 4), grad=[0, 1, 2])
          + [case(_f("gaussian_nll_loss", full=True), X34, X34, positive(3), grad=[0, 2]),
             case(_f("gaussian_nll_loss"), X34, X34, positive(3, 1), grad=[2])]),
    Entry("nn.GaussianNLLLoss", [case(_m("GaussianNLLLoss"), X34, X34, positive(3, 4),
                                      grad=[0, 2])]),
    Entry("nn.functional.margin_ranking_loss",
          _each_reduction("margin_ranking_loss", X5, X5, SIGN5, grad=[0, 1], margin=0.3)),
    Entry("nn.MarginRankingLoss", [case(_m("MarginRankingLoss"), X5, X5, SIGN5, grad=[0, 1])]),
    Entry("nn.functional.hinge_embedding_loss",
          _each_reduction("hinge_embedding_loss", X5, SIGN5, grad=[0])
          + [case(_f("hinge_embedding_loss"), floats(), value(np.array(-1.0)), grad=[0])]),
    Entry("nn.HingeEmbeddingLoss", [case(_m("HingeEmbeddingLoss", margin=0.5), X5, SIGN5,
                                         grad=[0])]),
    Entry("nn.functional.soft_margin_loss",
          _each_reduction("soft_margin_loss", X5, SIGN5, grad=[0])),
    Entry("nn.SoftMarginLoss", [case(_m("SoftMarginLoss"), X5, SIGN5, grad=[0])]),
    Entry("nn.functional.multilabel_soft_margin_loss",
          _each_reduction("multilabel_soft_margin_loss", X34, BINARY, grad=[0])
          + [case(_f("multilabel_soft_margin_loss", weight=np.array([0.5, 1.0, 2.0, 1.5])),
                  X34, BINARY, grad=[0])]),
    Entry("nn.MultiLabelSoftMarginLoss", [case(_m("MultiLabelSoftMarginLoss"), X34, BINARY,
                                               grad=[0])]),
    Entry("nn.functional.multi_margin_loss",
          _each_reduction("multi_margin_loss", X34, ints(3, high=4), grad=[0])
          + [case(_f("multi_margin_loss", p=2, margin=0.5,
                     weight=np.array([0.5, 1.0, 2.0, 1.5])), X34, ints(3, high=4), grad=[0]),
             case(_f("multi_margin_loss"), floats(4), value(np.array(2)), grad=[0])]),
    Entry("nn.MultiMarginLoss", [case(_m("MultiMarginLoss", p=2), X34, ints(3, high=4),
                                      grad=[0])]),
    Entry("nn.functional.multilabel_margin_loss",
          _each_reduction("multilabel_margin_loss", X34,
                          value(np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 0, 0, 0]])),
                          grad=[0])),
    Entry("nn.MultiLabelMarginLoss", [case(_m("MultiLabelMarginLoss"), floats(4),
                                           value(np.array([2, -1, 0, 0])), grad=[0])]),
    Entry("nn.functional.cosine_embedding_loss",
          _each_reduction("cosine_embedding_loss", floats(3, 5), floats(3, 5),
                          SIGN3, grad=[0, 1], margin=0.2)),
    Entry("nn.CosineEmbeddingLoss", [case(_m("CosineEmbeddingLoss"), floats(3, 5), floats(3, 5),
                                          SIGN3, grad=[0, 1])]),
    Entry("nn.functional.triplet_margin_loss",
          _each_reduction("triplet_margin_loss", floats(4, 3), floats(4, 3), floats(4, 3),
                          grad=[0, 1, 2])
          + [case(_f("triplet_margin_loss", p=1, swap=True, margin=2.0), floats(4, 3),
                  floats(4, 3), floats(4, 3), grad=[0, 1, 2]),
             case(_f("triplet_margin_loss"), floats(3), floats(3), floats(3), grad=[0])]),
    Entry("nn.TripletMarginLoss", [case(_m("TripletMarginLoss", swap=True), floats(4, 3),
                                        floats(4, 3), floats(4, 3), grad=[0, 1, 2])]),
    Entry("nn.functional.triplet_margin_with_distance_loss",
          _each_reduction("triplet_margin_with_distance_loss", floats(4, 3), floats(4, 3),
                          floats(4, 3), grad=[0, 1, 2])),
    Entry("nn.TripletMarginWithDistanceLoss",
          [case(_m("TripletMarginWithDistanceLoss", swap=True), floats(4, 3), floats(4, 3),
                floats(4, 3), grad=[0, 1, 2])]),
    Entry("nn.functional.ctc_loss",
          [case(_ctc(reduction=r), value(_LOGP), grad=[0], label=f"padded {r}") for r in RED]
          + [case(_ctc("concatenated", reduction=r), value(_LOGP), grad=[0],
                  label=f"concatenated {r}") for r in RED]
          + [case(_ctc(blank=0, zero_infinity=True), value(_LOGP), grad=[0])]),
    Entry("nn.CTCLoss", [case(_ctc_module(reduction="sum"), value(_LOGP), grad=[0])]),
]


# ------------------------------------------------------------------------------- Transformer
def _seeded(L, m):
    m = m.double()
    rng = np.random.default_rng(7)
    m.load_state_dict({k: L.tensor(rng.uniform(-0.5, 0.5, tuple(v.shape)))
                       for k, v in m.state_dict().items()})
    return m


def _causal(L, n):
    return L.tensor(np.triu(np.full((n, n), -np.inf), 1))


def _decoder_layer(**kw):
    def run(L, tgt, mem):
        m = _seeded(L, L.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, **kw))
        return m(tgt, mem, tgt_mask=_causal(L, tgt.shape[1 if kw.get("batch_first") else 0]))
    return run


def _decoder(L, tgt, mem):
    layer = L.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0)
    m = _seeded(L, L.nn.TransformerDecoder(layer, 2, norm=L.nn.LayerNorm(4)))
    pad = L.tensor(np.array([[False, False, True], [False, False, False]]))
    return m(tgt, mem, tgt_mask=_causal(L, 3), memory_key_padding_mask=None,
             tgt_key_padding_mask=pad)


def _transformer(**kw):
    def run(L, src, tgt):
        m = _seeded(L, L.nn.Transformer(4, 2, 1, 1, 8, dropout=0.0, **kw))
        n = tgt.shape[1 if kw.get("batch_first") else 0]
        return m(src, tgt, tgt_mask=L.nn.Transformer.generate_square_subsequent_mask(
            n, dtype=L.float64))
    return run


TRANSFORMER = [
    Entry("nn.TransformerDecoderLayer",
          [case(_decoder_layer(), floats(3, 2, 4), floats(5, 2, 4), grad=[0, 1]),
           case(_decoder_layer(norm_first=True, batch_first=True), floats(2, 3, 4),
                floats(2, 5, 4), grad=[0, 1]),
           case(_decoder_layer(activation="gelu"), floats(3, 4), floats(5, 4), grad=[0, 1])]),
    Entry("nn.TransformerDecoder", [case(_decoder, floats(3, 2, 4), floats(5, 2, 4),
                                         grad=[0, 1])]),
    Entry("nn.Transformer",
          [case(_transformer(), floats(5, 2, 4), floats(3, 2, 4), grad=[0, 1]),
           case(_transformer(batch_first=True, norm_first=True), floats(2, 5, 4),
                floats(2, 3, 4), grad=[0, 1]),
           case(lambda L: L.nn.Transformer.generate_square_subsequent_mask(4))]),
]


# ------------------------------------------------------------------------------- nn.utils
def _to_vector(L, a, b):
    return L.nn.utils.parameters_to_vector([a, b])


def _from_vector(L, v, a, b):
    pa, pb = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    L.nn.utils.vector_to_parameters(v, [pa, pb])
    return pa.detach(), pb.detach()


UTILS = [
    Entry("nn.utils.parameters_to_vector",
          [case(_to_vector, floats(2, 3), floats(4), grad=[0, 1]),
           case(_to_vector, floats(), floats(0, 2), grad=[0])]),
    Entry("nn.utils.vector_to_parameters", [case(_from_vector, floats(10), floats(2, 3),
                                                 floats(4))]),
]


# ------------------------------------------------------------------------------- optimizers
TARGET = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])


def _optimize(name, steps: int = 6, **kw):
    def run(L, w0):
        w = w0.clone().requires_grad_()
        opt = getattr(L.optim, name)([w], **kw)
        weights = L.tensor([1.0, 3.0, 0.2], dtype=L.float64)

        def closure():
            opt.zero_grad()
            loss = ((w - L.tensor(TARGET)) ** 4 * weights).sum() + (w[0] * w[1]).sum()
            loss.backward()
            return loss
        for _ in range(steps):
            if name == "LBFGS":
                opt.step(closure)
            else:
                closure()
                opt.step()
        return w.detach(), opt.param_groups[0]["lr"]
    return case(run, floats(2, 3), label=", ".join(f"{k}={v}" for k, v in kw.items()))


OPTIMIZERS = [
    Entry("optim.Adamax", [_optimize("Adamax"), _optimize("Adamax", lr=0.05, weight_decay=0.1),
                           _optimize("Adamax", betas=(0.5, 0.9), maximize=True)]),
    Entry("optim.ASGD", [_optimize("ASGD", lr=0.01), _optimize("ASGD", lr=0.01, t0=2,
                                                                lambd=0.1, weight_decay=0.1)]),
    Entry("optim.Rprop", [_optimize("Rprop"), _optimize("Rprop", lr=0.05, etas=(0.3, 1.5),
                                                        step_sizes=(1e-3, 0.2))]),
    Entry("optim.LBFGS", [_optimize("LBFGS", steps=2, lr=0.5, max_iter=4),
                          _optimize("LBFGS", steps=2, max_iter=5,
                                    line_search_fn="strong_wolfe", history_size=3)]),
]

ENTRIES = LOSSES + TRANSFORMER + UTILS + OPTIMIZERS
