"""Losses as modules, with PyTorch's names, constructor arguments, defaults and buffers.

Each module calls its function in :mod:`chainrule.ops.losses` and answers ``formula()`` with the
loss in standard notation and its gradient with respect to the input, written for the module's own
reduction and options (ℓᵢ is the loss of one element or sample, N their number).
"""
from __future__ import annotations

from ..mathematics import Formula
from ..ops import losses as F
from ..tensor import Tensor
from .module import Module

_REDUCED = {
    # reduction: (forward text, derivative text, forward LaTeX, derivative LaTeX) templates
    "mean": ("L = (1/N) Σᵢ {loss}", "∂L/∂{x}ᵢ = (1/N)·{grad}",
             r"L = \frac{{1}}{{N}}\sum_i {loss}",
             r"\frac{{\partial L}}{{\partial {x}_i}} = \frac{{1}}{{N}}\,{grad}"),
    "sum": ("L = Σᵢ {loss}", "∂L/∂{x}ᵢ = {grad}",
            r"L = \sum_i {loss}", r"\frac{{\partial L}}{{\partial {x}_i}} = {grad}"),
    "none": ("Lᵢ = {loss}", "∂Lᵢ/∂{x}ᵢ = {grad}",
             r"L_i = {loss}", r"\frac{{\partial L_i}}{{\partial {x}_i}} = {grad}"),
}
_REDUCED["batchmean"] = tuple(s.replace("(1/N)", "(1/B)").replace(r"\frac{{1}}{{N}}",
                                                                     r"\frac{{1}}{{B}}")
                              for s in _REDUCED["mean"])


def _formula(name: str, reduction: str, loss: tuple[str, str], grad: tuple[str, str],
             explanation: str, x: str = "x", notes=()) -> Formula:
    """A loss's Formula: the element loss ``loss`` and its derivative ``grad`` (text, LaTeX),
    summed and divided as ``reduction`` says."""
    text_f, text_g, tex_f, tex_g = _REDUCED[reduction]
    if reduction in ("mean", "batchmean") and grad[0].startswith("−"):
        grad = (f"({grad[0]})", rf"\left({grad[1]}\right)")
    pairs = [("Forward", text_f.format(loss=loss[0], x=x)),
             ("Derivative", text_g.format(grad=grad[0], x=x))]
    latex = [tex_f.format(loss=loss[1], x=x), tex_g.format(grad=grad[1], x=x)]
    counts = {"mean": "N = number of elements", "batchmean": "B = batch size (input.shape[0])"}
    notes = tuple(notes) + ((counts[reduction],) if reduction in counts else ())
    return Formula.of(name, pairs, latex, explanation, notes)


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = F._reduction(type(self).__name__, size_average, reduce, reduction)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error (PyTorch's nn.MSELoss): L = (1/N) Σᵢ (xᵢ − yᵢ)²."""

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)

    def formula(self) -> Formula:
        return _formula("MSELoss", self.reduction, ("(xᵢ − yᵢ)²", r"(x_i - y_i)^2"),
                        ("2(xᵢ − yᵢ)", r"2(x_i - y_i)"),
                        "The squared error punishes large errors most; its gradient is the error "
                        "itself, doubled.")


class L1Loss(_Loss):
    """Mean absolute error (PyTorch's nn.L1Loss): L = (1/N) Σᵢ |xᵢ − yᵢ|."""

    def forward(self, input, target):  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)

    def formula(self) -> Formula:
        return _formula("L1Loss", self.reduction, ("|xᵢ − yᵢ|", r"|x_i - y_i|"),
                        ("sign(xᵢ − yᵢ)", r"\operatorname{sign}(x_i - y_i)"),
                        "The absolute error grows linearly, so every error pulls with the same "
                        "force; at xᵢ = yᵢ the subgradient 0 is used.")


class HuberLoss(_Loss):
    """Huber loss (PyTorch's nn.HuberLoss): quadratic below δ, linear above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def formula(self) -> Formula:
        return _formula(
            "HuberLoss", self.reduction,
            ("{½dᵢ² if |dᵢ| < δ, else δ(|dᵢ| − ½δ)}",
             r"\begin{cases} \tfrac12 d_i^2 & |d_i| < \delta \\ \delta(|d_i| - \tfrac12\delta) "
             r"& \text{otherwise} \end{cases}"),
            ("clip(dᵢ, −δ, δ)", r"\operatorname{clip}(d_i, -\delta, \delta)"),
            "Squared error near the target, absolute error far from it: an outlier's gradient is "
            "capped at δ.", notes=(f"dᵢ = xᵢ − yᵢ, δ = {self.delta}",))

    def extra_repr(self) -> str:
        return f"delta={self.delta}" if self.delta != 1.0 else ""


class SmoothL1Loss(_Loss):
    """Smooth L1 loss (PyTorch's nn.SmoothL1Loss): Huber(δ = β)/β."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def formula(self) -> Formula:
        return _formula(
            "SmoothL1Loss", self.reduction,
            ("{½dᵢ²/β if |dᵢ| < β, else |dᵢ| − ½β}",
             r"\begin{cases} \tfrac12 d_i^2/\beta & |d_i| < \beta \\ |d_i| - \tfrac12\beta "
             r"& \text{otherwise} \end{cases}"),
            ("clip(dᵢ/β, −1, 1)", r"\operatorname{clip}(d_i/\beta, -1, 1)"),
            "An L1 loss whose corner at 0 is rounded off by a parabola of width β.",
            notes=(f"dᵢ = xᵢ − yᵢ, β = {self.beta}",))

    def extra_repr(self) -> str:
        return f"beta={self.beta}" if self.beta != 1.0 else ""


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (PyTorch's nn.BCELoss); ``weight`` per element."""

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)

    def formula(self) -> Formula:
        w, wt = ("wᵢ", "w_i") if self.weight is not None else ("", "")
        return _formula(
            "BCELoss", self.reduction,
            (f"−{w}[yᵢ ln xᵢ + (1 − yᵢ) ln(1 − xᵢ)]",
             rf"-{wt}\big[y_i \ln x_i + (1-y_i)\ln(1-x_i)\big]"),
            (f"{w}(xᵢ − yᵢ)/(xᵢ(1 − xᵢ))", rf"\frac{{{wt}(x_i - y_i)}}{{x_i(1-x_i)}}"),
            "The negative log-likelihood of binary labels under predicted probabilities xᵢ.",
            notes=("logarithms clamped at −100, as PyTorch",))


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits (PyTorch's nn.BCEWithLogitsLoss), stable for any z."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)

    def formula(self) -> Formula:
        w, wt = ("wᵢ", "w_i") if self.weight is not None else ("", "")
        if self.pos_weight is None:
            loss = (f"{w}[max(zᵢ, 0) − zᵢyᵢ + ln(1 + e^{{−|zᵢ|}})]",
                    rf"{wt}\big[\max(z_i, 0) - z_i y_i + \ln(1 + e^{{-|z_i|}})\big]")
            grad = (f"{w}(σ(zᵢ) − yᵢ)", rf"{wt}\big(\sigma(z_i) - y_i\big)")
        else:
            loss = (f"−{w}[p yᵢ ln σ(zᵢ) + (1 − yᵢ) ln(1 − σ(zᵢ))]",
                    rf"-{wt}\big[p\, y_i \ln\sigma(z_i) + (1-y_i)\ln(1-\sigma(z_i))\big]")
            grad = (f"{w}((1 + (p − 1)yᵢ)σ(zᵢ) − p yᵢ)",
                    rf"{wt}\big((1 + (p-1)y_i)\,\sigma(z_i) - p\,y_i\big)")
        return _formula("BCEWithLogitsLoss", self.reduction, loss, grad,
                        "Sigmoid and binary cross-entropy in one: the logs cancel into a softplus "
                        "that cannot overflow, and the gradient is σ(z) − y.", x="z",
                        notes=("p = pos_weight of the element's class",)
                        if self.pos_weight is not None else ())


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy from logits (PyTorch's nn.CrossEntropyLoss).

    Targets are class indices of shape (N,) / (N, d₁, …), or class probabilities of the input's
    shape; ``weight`` (C,), ``ignore_index`` and ``label_smoothing`` as PyTorch.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def formula(self) -> Formula:
        plain = self.weight is None and not self.label_smoothing
        total, total_tex = ("", "") if plain else ("(Σₖ aₙₖ)·", r"(\textstyle\sum_k a_{nk})")
        a, at = ("yₙ", "y_n") if plain else ("aₙ", "a_n")
        atk = at.replace("_n", "_{nk}")
        d, dt = {"mean": ("N" if plain else "D", "N" if plain else "D"), "sum": ("", ""),
                 "none": ("", "")}[self.reduction]
        if self.reduction == "none":
            pairs = [("Forward", f"Lₙ = −Σₖ {a}ₖ log softmax(zₙ)ₖ"),
                     ("Derivative", f"∂Lₙ/∂zₙ = {total}softmax(zₙ) − {a}")]
            latex = [rf"L_n = -\sum_k {atk} \log\operatorname{{softmax}}(z_n)_k",
                     rf"\frac{{\partial L_n}}{{\partial z_n}} = "
                     rf"{total_tex}"
                     rf"\operatorname{{softmax}}(z_n) - {at}"]
        else:
            scale, tscale = (f"(1/{d}) ", rf"\frac{{1}}{{{dt}}}") if d else ("", "")
            pairs = [("Forward", f"L = −{scale}Σₙ Σₖ {a}ₖ log softmax(zₙ)ₖ"),
                     ("Derivative", f"∂L/∂zₙ = ({total}softmax(zₙ) − {a})/{d}" if d else
                      f"∂L/∂zₙ = {total}softmax(zₙ) − {a}")]
            latex = [rf"L = -{tscale}\sum_n\sum_k {atk} \log\operatorname{{softmax}}(z_n)_k",
                     rf"\frac{{\partial L}}{{\partial z_n}} = {tscale}\Big("
                     rf"{total_tex}"
                     rf"\operatorname{{softmax}}(z_n) - {at}\Big)"]
        notes = ["one sample: L = −Σₖ yₖ log softmax(z)ₖ, ∂L/∂z = softmax(z) − y; y is the one-hot "
                 "vector of the class index, or the given class probabilities"]
        if not plain:
            eps = self.label_smoothing
            smoothed = f"(1 − {eps})·yₙ + {eps}/C" if eps else "yₙ"
            weighted = "w ⊙ " if self.weight is not None else ""
            how = " and ".join(word for word, on in (("weighted by class", weighted),
                                                     ("smoothed", eps)) if on)
            notes.append(f"aₙ = {weighted}({smoothed}): the target {how}")
            if self.reduction == "mean":
                notes.append("D = Σₙ w_{yₙ} over the targets not ignored (class indices), or N "
                             "(class probabilities)")
        if self.reduction == "mean" and plain:
            notes.append("N = number of targets not ignored (class indices), or of samples")
        notes.append(f"samples with target {self.ignore_index} (ignore_index) are left out")
        return Formula.of("CrossEntropyLoss", pairs, latex,
                          "Softmax and cross-entropy fused: the chain rule through both collapses "
                          "to predicted minus target probabilities.", notes)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities (PyTorch's nn.NLLLoss)."""

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def formula(self) -> Formula:
        w, wt = ("w_{yₙ}", "w_{y_n}") if self.weight is not None else ("", "")
        if self.reduction == "none":
            pairs = [("Forward", f"Lₙ = −{w}x_{{n,yₙ}}"),
                     ("Derivative", f"∂Lₙ/∂x_{{nk}} = −{w}1[k = yₙ]")]
            latex = [rf"L_n = -{wt} x_{{n,y_n}}",
                     rf"\frac{{\partial L_n}}{{\partial x_{{nk}}}} = -{wt}\,\mathbb{{1}}[k = y_n]"]
        else:
            d, dt = ("Σₙ w_{yₙ}", r"\sum_n w_{y_n}") if w else ("N", "N")
            if self.reduction == "sum":
                d, dt = "", ""
            scale, tscale = (f"(1/{d}) ", rf"\frac{{1}}{{{dt}}}") if d else ("", "")
            pairs = [("Forward", f"L = −{scale}Σₙ {w}x_{{n,yₙ}}"),
                     ("Derivative", f"∂L/∂x_{{nk}} = −{scale}{w}1[k = yₙ]")]
            latex = [rf"L = -{tscale}\sum_n {wt} x_{{n,y_n}}",
                     rf"\frac{{\partial L}}{{\partial x_{{nk}}}} = -{tscale}{wt}\,"
                     r"\mathbb{1}[k = y_n]"]
        return Formula.of("NLLLoss", pairs, latex,
                          "Picks each sample's log-probability of its true class; the gradient is "
                          "a negated one-hot vector per sample.",
                          (f"samples with target {self.ignore_index} (ignore_index) are left out",))


class KLDivLoss(_Loss):
    """Kullback–Leibler divergence with input log q (PyTorch's nn.KLDivLoss)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def formula(self) -> Formula:
        if self.log_target:
            loss = ("e^{yᵢ}(yᵢ − xᵢ)", r"e^{y_i}(y_i - x_i)")
            grad = ("−e^{yᵢ}", r"-e^{y_i}")
        else:
            loss = ("yᵢ(ln yᵢ − xᵢ)", r"y_i(\ln y_i - x_i)")
            grad = ("−yᵢ", r"-y_i")
        return _formula("KLDivLoss", self.reduction, loss, grad,
                        "The information lost when the target distribution y is coded with the "
                        "predicted one q = eˣ; 'batchmean' gives the KL divergence per sample.",
                        notes=("x = log q (log-probabilities)",
                               "yᵢ are log-probabilities" if self.log_target else
                               "0·ln 0 = 0"))


# ------------------------------------------------------------------ more losses (losses_extra)
from ..ops import losses_extra as FX  # noqa: E402


class _SimpleFormula:
    """``formula()`` from class attributes: the element loss and its derivative (text, LaTeX)."""

    loss: tuple[str, str] = ("", "")
    grad: tuple[str, str] = ("", "")
    explanation = ""
    notes: tuple[str, ...] = ()
    variable = "x"

    def formula(self) -> Formula:
        return _formula(type(self).__name__, self.reduction, self.loss, self.grad,
                        self.explanation, x=self.variable, notes=self.notes)


class PoissonNLLLoss(_SimpleFormula, _Loss):
    """Poisson negative log-likelihood (PyTorch's nn.PoissonNLLLoss)."""

    loss = ("e^{xᵢ} − yᵢxᵢ", r"e^{x_i} - y_i x_i")
    grad = ("e^{xᵢ} − yᵢ", r"e^{x_i} - y_i")
    explanation = "−ln Poisson(y | λ = eˣ) without the constant ln y!, for count targets."

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps
        if not log_input:
            self.loss = ("xᵢ − yᵢ ln(xᵢ + ε)", r"x_i - y_i \ln(x_i + \epsilon)")
            self.grad = ("1 − yᵢ/(xᵢ + ε)", r"1 - \frac{y_i}{x_i + \epsilon}")

    def forward(self, log_input, target):
        return FX.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                   eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_SimpleFormula, _Loss):
    """Gaussian negative log-likelihood with predicted variance (PyTorch's nn.GaussianNLLLoss)."""

    loss = ("½(ln σᵢ² + (xᵢ − yᵢ)²/σᵢ²)", r"\tfrac12\left(\ln\sigma_i^2 + "
            r"\frac{(x_i - y_i)^2}{\sigma_i^2}\right)")
    grad = ("(xᵢ − yᵢ)/σᵢ²", r"\frac{x_i - y_i}{\sigma_i^2}")
    explanation = "−ln N(y | x, σ²) up to ½ln 2π; σ² is clamped at ε (value only)."

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):  # noqa: A002
        return FX.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                    reduction=self.reduction)


class MarginRankingLoss(_SimpleFormula, _Loss):
    """max(0, −y(x₁ − x₂) + margin) (PyTorch's nn.MarginRankingLoss)."""

    loss = ("max(0, −yᵢ(x₁ᵢ − x₂ᵢ) + m)", r"\max(0, -y_i(x_{1i} - x_{2i}) + m)")
    grad = ("−yᵢ·1[loss > 0]", r"-y_i\,\mathbb{1}[\ell_i > 0]")
    explanation = "Asks x₁ to rank above x₂ (y = 1) or below (y = −1) by at least the margin."
    variable = "x₁"

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return FX.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                      reduction=self.reduction)


class HingeEmbeddingLoss(_SimpleFormula, _Loss):
    """xᵢ where y = 1, max(0, margin − xᵢ) where y = −1 (PyTorch's nn.HingeEmbeddingLoss)."""

    loss = ("{xᵢ if yᵢ = 1; max(0, m − xᵢ) if yᵢ = −1}",
            r"\begin{cases} x_i & y_i = 1 \\ \max(0, m - x_i) & y_i = -1 \end{cases}")
    grad = ("{1 if yᵢ = 1; −1[xᵢ < m] if yᵢ = −1}",
            r"\begin{cases} 1 & y_i = 1 \\ -\mathbb{1}[x_i < m] & y_i = -1 \end{cases}")
    explanation = "Distances x of similar pairs are pulled down, of dissimilar pairs pushed past m."

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):  # noqa: A002
        return FX.hinge_embedding_loss(input, target, margin=self.margin,
                                       reduction=self.reduction)


class SoftMarginLoss(_SimpleFormula, _Loss):
    """ln(1 + e^{−yx}) (PyTorch's nn.SoftMarginLoss)."""

    loss = ("ln(1 + e^{−yᵢxᵢ})", r"\ln(1 + e^{-y_i x_i})")
    grad = ("−yᵢ σ(−yᵢxᵢ)", r"-y_i\,\sigma(-y_i x_i)")
    explanation = "Logistic loss of a ±1 label: a smooth hinge."

    def forward(self, input, target):  # noqa: A002
        return FX.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_SimpleFormula, _WeightedLoss):
    """Per-class logistic loss averaged over classes (PyTorch's nn.MultiLabelSoftMarginLoss)."""

    loss = ("−(1/C) Σ_c w_c[y_c ln σ(x_c) + (1 − y_c) ln σ(−x_c)]",
            r"-\frac{1}{C}\sum_c w_c\big[y_c\ln\sigma(x_c) + (1-y_c)\ln\sigma(-x_c)\big]")
    grad = ("(w_c/C)(σ(x_c) − y_c)", r"\frac{w_c}{C}\big(\sigma(x_c) - y_c\big)")
    explanation = "Independent binary cross-entropies of each class from logits."

    def forward(self, input, target):  # noqa: A002
        return FX.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                              reduction=self.reduction)


class MultiMarginLoss(_SimpleFormula, _WeightedLoss):
    """Multi-class hinge loss (PyTorch's nn.MultiMarginLoss)."""

    loss = ("(1/C) Σ_{i≠y} w_y max(0, m − x_y + x_i)^p",
            r"\frac{1}{C}\sum_{i \ne y} w_y \max(0, m - x_y + x_i)^p")
    grad = ("∂/∂x_i = (p/C) w_y max(0, m − x_y + x_i)^{p−1}, ∂/∂x_y = −Σ_{i≠y} ∂/∂x_i",
            r"\frac{\partial \ell}{\partial x_i} = \frac{p}{C} w_y \max(0, m - x_y + x_i)^{p-1}")
    explanation = "Every wrong class scoring within the margin of the right one is penalised."

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got {p}")
        self.p, self.margin = p, margin

    def forward(self, input, target):  # noqa: A002
        return FX.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                    weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_SimpleFormula, _Loss):
    """Multi-label hinge loss (PyTorch's nn.MultiLabelMarginLoss)."""

    loss = ("(1/C) Σ_{j∈J} Σ_{i∉J} max(0, 1 − (x_j − x_i))",
            r"\frac{1}{C}\sum_{j\in J}\sum_{i\notin J}\max(0, 1 - (x_j - x_i))")
    grad = ("∂/∂x_i = (1/C)·#{j: active}, ∂/∂x_j = −(1/C)·#{i: active}",
            r"\frac{\partial\ell}{\partial x_i} = \frac{1}{C}\#\{j \text{ active}\}")
    explanation = "Each target class must score 1 above every non-target class."

    def forward(self, input, target):  # noqa: A002
        return FX.multilabel_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_SimpleFormula, _Loss):
    """1 − cos(x₁, x₂) for y = 1, max(0, cos − margin) for y = −1 (nn.CosineEmbeddingLoss)."""

    loss = ("{1 − cos(x₁, x₂) if y = 1; max(0, cos(x₁, x₂) − m) if y = −1}",
            r"\begin{cases} 1 - \cos(x_1, x_2) & y = 1 \\ \max(0, \cos(x_1, x_2) - m) & y = -1"
            r"\end{cases}")
    grad = ("∓(x₂/(‖x₁‖‖x₂‖) − cos·x₁/‖x₁‖²)", r"\mp\left(\frac{x_2}{\|x_1\|\|x_2\|} - "
            r"\cos\,\frac{x_1}{\|x_1\|^2}\right)")
    explanation = "Aligns the directions of similar pairs and separates those of dissimilar ones."
    variable = "x₁"

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return FX.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                        reduction=self.reduction)


class TripletMarginLoss(_SimpleFormula, _Loss):
    """max(0, d(a, p) − d(a, n) + margin) with the p-norm distance (nn.TripletMarginLoss)."""

    loss = ("max(0, ‖a − p‖ − ‖a − n‖ + m)", r"\max(0, \|a - p\| - \|a - n\| + m)")
    grad = ("(a − p)/‖a − p‖ − (a − n)/‖a − n‖ where active (p = 2)",
            r"\frac{a - p}{\|a - p\|} - \frac{a - n}{\|a - n\|}")
    explanation = "The anchor must be closer to the positive than to the negative by the margin."
    variable = "a"

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return FX.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                      eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_SimpleFormula, _Loss):
    """Triplet loss with any distance function (PyTorch's nn.TripletMarginWithDistanceLoss)."""

    loss = ("max(0, d(a, p) − d(a, n) + m)", r"\max(0, d(a, p) - d(a, n) + m)")
    grad = ("∂d(a, p)/∂a − ∂d(a, n)/∂a where active", r"\partial_a d(a,p) - \partial_a d(a,n)")
    explanation = "The anchor must be closer to the positive than to the negative by the margin."
    variable = "a"

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, "
                             f"got {margin}")
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return FX.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (PyTorch's nn.CTCLoss)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return FX.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                           reduction=self.reduction, zero_infinity=self.zero_infinity)

    def formula(self) -> Formula:
        from ..ops.ctc import CTCLoss as _Primitive
        pairs = [("Forward", _Primitive.text[0]), ("Derivative", _Primitive.text[1])]
        notes = ["α, β: forward and backward variables over the extended label b l₁ b … l_L b",
                 "'mean': each loss divided by its target length, then averaged"]
        return Formula.of("CTCLoss", pairs, list(_Primitive.latex), _Primitive.explanation,
                          notes)
