"""More activation modules (PyTorch's names and arguments), each a thin wrapper of a function of
chainrule/ops/activations_extra.py; ``formula()`` states its mathematics (the primitive's, where
the function is one). ``inplace=True`` writes the result into the input, as PyTorch."""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import activations_extra as A
from ...primitives import formula as primitive_formula
from ..module import Module
from ..parameter import Parameter


class _Act(Module):
    function = ""        # the name of the function in ops.activations_extra
    options: tuple = ()  # constructor arguments passed on to it
    primitive = None     # the registry name of its primitive, if it is one
    math = None          # (forward, derivative, forward LaTeX, derivative LaTeX, why) otherwise

    def forward(self, input):  # noqa: A002
        kwargs = {k: getattr(self, k) for k in self.options}
        if getattr(self, "inplace", False):
            kwargs["inplace"] = True
        return getattr(A, self.function)(input, **kwargs)

    def extra_repr(self) -> str:
        parts = [f"{k}={getattr(self, k)!r}" for k in self.options]
        if getattr(self, "inplace", False):
            parts.append("inplace=True")
        return ", ".join(parts)

    def formula(self) -> Formula:
        if self.primitive is not None:
            return primitive_formula(self.primitive)
        forward, derivative, forward_tex, derivative_tex, why = self.math
        return Formula.of(type(self).__name__, [("Forward", forward), ("Derivative", derivative)],
                          [forward_tex, derivative_tex], why)


class Hardtanh(_Act):
    """y = min(max(x, min_val), max_val)."""

    function, options, primitive = "hardtanh", ("min_val", "max_val"), "hardtanh"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace


class ReLU6(_Act):
    """y = min(max(x, 0), 6)."""

    function, primitive = "relu6", "hardtanh"

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class Hardsigmoid(_Act):
    """y = min(max(x + 3, 0), 6)/6."""

    function, primitive = "hardsigmoid", "hardsigmoid"

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:   # PyTorch does not show inplace here
        return ""


class Hardswish(_Act):
    """y = x·min(max(x + 3, 0), 6)/6."""

    function, primitive = "hardswish", "hardswish"

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:   # PyTorch does not show inplace here
        return ""


class LogSigmoid(_Act):
    """y = ln σ(x)."""

    function, primitive = "logsigmoid", "logsigmoid"


class CELU(_Act):
    """y = max(0, x) + min(0, α(e^{x/α} − 1))."""

    function, options = "celu", ("alpha",)
    math = ("y = max(0, x) + min(0, α(e^{x/α} − 1))", "∂y/∂x = 1 (x > 0), e^{x/α} (x ≤ 0)",
            r"y = \max(0, x) + \min(0, \alpha(e^{x/\alpha} - 1))",
            r"\frac{\partial y}{\partial x} = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0"
            r"\end{cases}",
            "CELU is ELU rescaled so that its derivative is continuous for every α.")

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class SELU(_Act):
    """y = λ·elu(x, α), λ ≈ 1.0507, α ≈ 1.6733."""

    function = "selu"
    math = ("y = λ·(max(0, x) + min(0, α(eˣ − 1)))", "∂y/∂x = λ (x > 0), λαeˣ (x ≤ 0)",
            r"y = \lambda\left(\max(0, x) + \min(0, \alpha(e^{x} - 1))\right)",
            r"\frac{\partial y}{\partial x} = \begin{cases} \lambda & x > 0 \\ \lambda\alpha e^{x}"
            r" & x \le 0 \end{cases}",
            "SELU's constants make activations converge to zero mean and unit variance.")

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class GLU(_Act):
    """y = a ⊙ σ(b), (a, b) the halves of x along ``dim``."""

    function, options = "glu", ("dim",)
    math = ("y = a ⊙ σ(b)", "∂y/∂a = σ(b),  ∂y/∂b = a ⊙ σ(b)(1 − σ(b))",
            r"y = a \odot \sigma(b)",
            r"\frac{\partial y}{\partial a} = \sigma(b),\ \frac{\partial y}{\partial b} = a\,"
            r"\sigma(b)(1-\sigma(b))",
            "A gated linear unit: one half of the input gates the other.")

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim


class Mish(_Act):
    """y = x·tanh(softplus(x))."""

    function = "mish"
    math = ("y = x·tanh(ln(1 + eˣ))", "∂y/∂x = tanh(sp(x)) + x·σ(x)(1 − tanh²(sp(x)))",
            r"y = x \tanh(\ln(1 + e^{x}))",
            r"\frac{\partial y}{\partial x} = \tanh(s) + x\,\sigma(x)(1 - \tanh^2 s),\ "
            r"s = \ln(1+e^x)",
            "Mish is a smooth, non-monotonic ReLU-like curve.")

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class Softsign(_Act):
    """y = x/(1 + |x|)."""

    function = "softsign"
    math = ("y = x/(1 + |x|)", "∂y/∂x = 1/(1 + |x|)²", r"y = \frac{x}{1 + |x|}",
            r"\frac{\partial y}{\partial x} = \frac{1}{(1 + |x|)^2}",
            "Softsign squashes to (−1, 1) with polynomial rather than exponential tails.")


class Softmin(_Act):
    """y = softmax(−x) along ``dim``."""

    function, options = "softmin", ("dim",)
    math = ("yᵢ = e^{−xᵢ}/Σⱼ e^{−xⱼ}", "∂yᵢ/∂xⱼ = −yᵢ(δᵢⱼ − yⱼ)",
            r"y_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}",
            r"\frac{\partial y_i}{\partial x_j} = -y_i(\delta_{ij} - y_j)",
            "Softmin puts the most weight on the smallest entries.")

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim


class Tanhshrink(_Act):
    """y = x − tanh x."""

    function = "tanhshrink"
    math = ("y = x − tanh x", "∂y/∂x = tanh² x", r"y = x - \tanh x",
            r"\frac{\partial y}{\partial x} = \tanh^2 x", "What tanh leaves of x.")


class Softshrink(_Act):
    """y = x − λ (x > λ), x + λ (x < −λ), 0 otherwise."""

    function, options = "softshrink", ("lambd",)
    math = ("y = x − clamp(x, −λ, λ)", "∂y/∂x = 1[|x| > λ]", r"y = x - \mathrm{clamp}(x, -\lambda,"
            r" \lambda)", r"\frac{\partial y}{\partial x} = \mathbb{1}[|x| > \lambda]",
            "Soft thresholding: the proximal operator of λ‖x‖₁.")

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(_Act):
    """y = x where |x| > λ, else 0."""

    function, options = "hardshrink", ("lambd",)
    math = ("y = x·1[|x| > λ]", "∂y/∂x = 1[|x| > λ]", r"y = x\,\mathbb{1}[|x| > \lambda]",
            r"\frac{\partial y}{\partial x} = \mathbb{1}[|x| > \lambda]",
            "Hard thresholding: small entries are set to zero.")

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Threshold(_Act):
    """y = x where x > threshold, else value."""

    function, options = "threshold", ("threshold", "value")
    math = ("y = x if x > t, v otherwise", "∂y/∂x = 1[x > t]",
            r"y = \begin{cases} x & x > t \\ v & x \le t \end{cases}",
            r"\frac{\partial y}{\partial x} = \mathbb{1}[x > t]",
            "Entries at or below the threshold are replaced by a constant.")

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace


class RReLU(_Act):
    """Randomized leaky ReLU: slope a ~ U(lower, upper) per element when training, (l + u)/2 in
    evaluation."""

    function, options = "rrelu", ("lower", "upper")
    math = ("y = x if x > 0, a·x otherwise; a ~ U(l, u) (training), (l + u)/2 (eval)",
            "∂y/∂x = 1 (x > 0), a (x ≤ 0)",
            r"y = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases},\ a \sim U(l, u)",
            r"\frac{\partial y}{\partial x} = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}",
            "Random negative slopes act as a regulariser during training.")

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):  # noqa: A002
        return A.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class PReLU(Module):
    """y = x where x > 0, else a·x, with learnable slopes a: one (``num_parameters=1``) or one
    per channel (dim 1), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        from ... import ops
        self.num_parameters = num_parameters
        self.init = init
        kw = {} if dtype is None else {"dtype": dtype}
        self.weight = Parameter(ops.full((num_parameters,), float(init), **kw))

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init

    def forward(self, input):  # noqa: A002
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"

    def formula(self) -> Formula:
        return Formula.of("PReLU", [("Forward", "y = x if x > 0, a·x otherwise"),
                                    ("Derivative", "∂y/∂x = 1 (x > 0), a (x ≤ 0); ∂y/∂a = "
                                                   "min(x, 0)")],
                          [r"y = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}",
                           r"\frac{\partial y}{\partial a} = \min(x, 0)"],
                          "A leaky ReLU whose negative slope is learned.")
