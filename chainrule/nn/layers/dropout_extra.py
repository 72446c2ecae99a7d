"""More dropout layers (PyTorch's names): Dropout1d, Dropout3d (whole channels), AlphaDropout and
FeatureAlphaDropout (for SELU networks). Each is active in training mode only and calls a function
of chainrule/ops/activations_extra.py, where the mathematics is stated."""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import activations_extra as A
from ...ops import dropout as _drop
from ..module import Module


class _Dropout(Module):
    function = ""
    math: tuple = ()

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = _drop._check_p(type(self).__name__, p)
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return getattr(A, self.function)(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"

    def formula(self) -> Formula:
        forward, derivative, forward_tex, derivative_tex, why = self.math
        return Formula.of(type(self).__name__, [("Forward", forward), ("Derivative", derivative)],
                          [forward_tex, derivative_tex], why)


_CHANNEL = ("y = m ⊙ x/(1 − p), one m ~ Bernoulli(1 − p) per (sample, channel) (training)",
            "∂L/∂x = m ⊙ G/(1 − p)", r"y = \frac{m \odot x}{1 - p}",
            r"\frac{\partial L}{\partial x} = \frac{m \odot G}{1 - p}",
            "Whole channels are silenced, for features that are correlated within a channel.")
_ALPHA = ("y = a·(m ⊙ x + (1 − m)(−λα)) + b,  a = ((1 − p)(1 + pλ²α²))^{−½}, b = aλαp",
          "∂L/∂x = a·m ⊙ G", r"y = a\,(m \odot x + (1 - m)(-\lambda\alpha)) + b",
          r"\frac{\partial L}{\partial x} = a\, m \odot G",
          "Dropped units take SELU's saturation value, and an affine map restores zero mean and "
          "unit variance, so self-normalization survives dropout.")


class Dropout1d(_Dropout):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""

    function, math = "dropout1d", _CHANNEL


class Dropout3d(_Dropout):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p."""

    function, math = "dropout3d", _CHANNEL


class AlphaDropout(_Dropout):
    """Alpha dropout: keeps SELU activations at zero mean and unit variance."""

    function, math = "alpha_dropout", _ALPHA


class FeatureAlphaDropout(_Dropout):
    """Alpha dropout of whole channels."""

    function, math = "feature_alpha_dropout", _ALPHA
