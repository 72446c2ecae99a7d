"""Dropout and Dropout2d: inverted dropout, active in training mode only."""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import dropout as F
from ..module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = F._check_p(type(self).__name__, p)
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout (PyTorch's ``nn.Dropout``): in training each element is zeroed with
    probability p and the kept ones scaled by 1/(1 − p); in evaluation the identity.

    Forward:     y = m ⊙ x/(1 − p),  mᵢ ~ Bernoulli(1 − p)  (training);  y = x (evaluation)
    Derivative:  ∂L/∂x = m ⊙ G/(1 − p), with the forward's mask m
    """

    def forward(self, x):
        if self.inplace and self.training:       # PyTorch's inplace=True: the result is x itself
            return x._inplace(F.dropout, self.p, True)
        return F.dropout(x, self.p, self.training)

    def formula(self) -> Formula:
        p = self.p
        pairs = [("Forward", f"y = m ⊙ x/(1 − p),  mᵢ ~ Bernoulli(1 − p), p = {p:g} (training); "
                             "y = x (evaluation)"),
                 ("Derivative", "∂L/∂x = m ⊙ G/(1 − p)")]
        latex = [r"y = \frac{m \odot x}{1 - p},\quad m_i \sim \operatorname{Bernoulli}(1 - p),"
                 rf"\quad p = {p:g}",
                 r"\frac{\partial L}{\partial x} = \frac{m \odot G}{1 - p}"]
        return Formula.of("Dropout", pairs, latex,
                          "Random units are silenced during training, so the network cannot rely "
                          "on any one of them; scaling the survivors by 1/(1 − p) keeps E[y] = x, "
                          "so evaluation needs no rescaling.")


class Dropout2d(_DropoutNd):
    """Channel dropout (PyTorch's ``nn.Dropout2d``): in training each channel of each sample of
    (N, C, H, W) input is zeroed whole with probability p, the rest scaled by 1/(1 − p).

    Forward:     y_{n,c} = m_{n,c} x_{n,c}/(1 − p),  m_{n,c} ~ Bernoulli(1 − p) (training)
    Derivative:  ∂L/∂x_{n,c} = m_{n,c} G_{n,c}/(1 − p)
    """

    def forward(self, x):
        if self.inplace and self.training:
            return x._inplace(F.dropout2d, self.p, True)
        return F.dropout2d(x, self.p, self.training)

    def formula(self) -> Formula:
        p = self.p
        pairs = [("Forward", f"y_{{n,c}} = m_{{n,c}} x_{{n,c}}/(1 − p),  m_{{n,c}} ~ "
                             f"Bernoulli(1 − p), p = {p:g} (training); y = x (evaluation)"),
                 ("Derivative", "∂L/∂x_{n,c} = m_{n,c} G_{n,c}/(1 − p)")]
        latex = [r"y_{n,c} = \frac{m_{n,c}\, x_{n,c}}{1 - p},\quad m_{n,c} \sim "
                 rf"\operatorname{{Bernoulli}}(1 - p),\quad p = {p:g}",
                 r"\frac{\partial L}{\partial x_{n,c}} = \frac{m_{n,c}\, G_{n,c}}{1 - p}"]
        return Formula.of("Dropout2d", pairs, latex,
                          "Whole feature maps are dropped: neighbouring pixels are strongly "
                          "correlated, so dropping single pixels would regularize little.")
