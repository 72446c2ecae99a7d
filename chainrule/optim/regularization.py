r"""Explicit penalty terms: L1, L2 and elastic net, built from chainrule's differentiable ops.

A penalty R(w) added to the loss, L + R(w), pulls the weights towards 0; autodiff gives its
gradient like any other term. Use them as functions in a PyTorch-style loop::

    loss = criterion(model(x), y) + l1_penalty(model.parameters(), 1e-4)
    loss.backward()

or as objects, callable on a model, a tensor or an iterable of parameters (the form a Keras-style
``compile(..., regularizer=L2(1e-4))`` takes)::

    reg = ElasticNet(l1=1e-4, l2=1e-3)
    loss = loss + reg(model)

Which to choose:

- **L2**, R = (λ/2)‖w‖², gradient λw: shrinks each weight in proportion to its size. It is what
  SGD's ``weight_decay=λ`` does (SGD adds λθ to the gradient), so ``L2(λ)`` in the loss and
  ``weight_decay=λ`` give the same SGD steps. (Keras's ``L2(l2)`` means l2·Σw², without the ½;
  PyTorch's convention is used here.) With Adam the two differ from AdamW's decoupled decay.
- **L1**, R = λΣ|w|, subgradient λ·sign(w) (0 at w = 0): its pull has constant size λ however
  small w is, so a (sub)gradient or proximal step takes a weight whose data gradient is smaller
  than λ to exactly 0, and it stays there; L2's pull λw fades as w shrinks and never reaches 0.
  L1 therefore makes weights sparse (feature selection).
- **Elastic net**, R = λ₁Σ|w| + (λ₂/2)‖w‖²: sparsity from L1, and from L2 stability when
  features are correlated (L1 alone picks one of them arbitrarily).

Each penalty applies to every tensor it is given, biases included; to leave biases alone, pass
``(p for name, p in model.named_parameters() if not name.endswith("bias"))``.
"""
from __future__ import annotations

from collections.abc import Iterable

from .. import ops
from ..backend import is_foreign_array, namespace, xp
from ..mathematics import Formula
from ..tensor import Tensor


def _tensors(target) -> list[Tensor]:
    """A Module's parameters, one tensor, or the tensors of an iterable."""
    if isinstance(target, Tensor):
        return [target]
    parameters = getattr(target, "parameters", None)
    if callable(parameters):
        return list(parameters())
    tensors = list(target)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"regularization: expected tensors (parameters), got "
                            f"{type(t).__name__}")
    return tensors


def _total(terms: list[Tensor]) -> Tensor:
    if not terms:
        raise ValueError("regularization: no parameters were given, so there is nothing to "
                         "penalise (did a generator of parameters get used up already?)")
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _check(name: str, value: float) -> float:
    value = float(value)
    if value < 0:
        raise ValueError(f"{name}: the penalty weight must be ≥ 0, got {value}")
    return value


class Regularizer:
    """A penalty R(w) on weights: ``reg(model_or_parameters)`` returns a scalar Tensor.

    Subclasses implement ``penalty(w)`` (one tensor, with chainrule ops, so that autodiff
    differentiates it), ``gradient(w)`` (the closed form on an array, for checking and teaching)
    and ``proximal(w, lr)`` (the exact minimiser of R(u) + ‖u − w‖²/(2·lr), on an array).
    """

    text: tuple[str, ...] = ()
    latex: tuple[str, ...] = ()
    labels: tuple[str, ...] = ("Penalty", "Gradient", "Proximal step")
    explanation: str = ""

    def __call__(self, target) -> Tensor:
        return _total([self.penalty(w) for w in _tensors(target)])

    def penalty(self, w: Tensor) -> Tensor:
        raise NotImplementedError

    def gradient(self, w):
        raise NotImplementedError

    def proximal(self, w, lr: float):
        raise NotImplementedError

    @classmethod
    def formula(cls) -> Formula:
        return Formula.of(cls.__name__, list(zip(cls.labels, cls.text)), list(cls.latex),
                          cls.explanation)

    def get_config(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _array(w):
    """(w's array, the namespace of its library): a Tensor's own array (NumPy's, or another array
    API library's, whose functions then compute), else ``w`` read as a NumPy array."""
    w = w._data if isinstance(w, Tensor) else w
    if not is_foreign_array(w):
        w = xp.asarray(w)
    return w, namespace(w)


class L1(Regularizer):
    r"""R(w) = λ Σᵢ |wᵢ|  (the lasso penalty).

    Subgradient: ∂R/∂wᵢ = λ·sign(wᵢ), with 0 chosen at wᵢ = 0 (any value in [−λ, λ] is a
    subgradient there; 0 is the one that keeps a zero weight at zero).
    Proximal step: wᵢ ← sign(wᵢ)·max(|wᵢ| − ηλ, 0) (soft thresholding).
    Why weights become exactly 0: the subgradient has the same magnitude λ however small wᵢ is,
    so a step overshoots zero rather than slowing down near it, and the proximal step sets every
    |wᵢ| ≤ ηλ to exactly 0, where it stays while the data gradient is smaller than λ. L2's
    gradient λw shrinks with w, so L2 only ever scales weights down, never to 0.
    """

    text = ("R(w) = λ Σᵢ |wᵢ|", "∂R/∂wᵢ = λ·sign(wᵢ)   (0 at wᵢ = 0)",
            "wᵢ ← sign(wᵢ)·max(|wᵢ| − ηλ, 0)")
    latex = (r"R(w) = \lambda \sum_i |w_i|",
             r"\frac{\partial R}{\partial w_i} = \lambda\,\mathrm{sign}(w_i)\quad(0 \text{ at } "
             r"w_i = 0)",
             r"w_i \leftarrow \mathrm{sign}(w_i)\,\max(|w_i| - \eta\lambda,\ 0)")
    explanation = ("L1 drives weights to exactly zero: its subgradient has constant magnitude λ "
                   "however small w is, so proximal or subgradient steps reach 0 and stay there, "
                   "unlike L2's λw, which shrinks in proportion and never reaches 0.")

    def __init__(self, l1: float = 0.01):
        self.l1 = _check("L1", l1)

    def penalty(self, w: Tensor) -> Tensor:
        return self.l1 * ops.abs(w).sum()

    def gradient(self, w):
        w, ns = _array(w)
        return self.l1 * ns.sign(w)

    def proximal(self, w, lr: float):
        w, ns = _array(w)
        return ns.sign(w) * ns.maximum(ns.abs(w) - lr * self.l1, 0)


class L2(Regularizer):
    r"""R(w) = (λ/2) ‖w‖² = (λ/2) Σᵢ wᵢ²  (ridge, Tikhonov; "weight decay").

    Gradient: ∂R/∂w = λw, exactly what SGD's ``weight_decay=λ`` adds to the gradient, so plain
    SGD on L + R and SGD with weight_decay=λ on L take the same steps.
    Proximal step: w ← w / (1 + ηλ) (a shrink by a constant factor, never to 0).
    """

    text = ("R(w) = (λ/2) ‖w‖²", "∂R/∂w = λw   (= SGD's weight_decay λ)", "w ← w/(1 + ηλ)")
    latex = (r"R(w) = \frac{\lambda}{2}\,\|w\|_2^2",
             r"\frac{\partial R}{\partial w} = \lambda w",
             r"w \leftarrow \frac{w}{1 + \eta\lambda}")
    explanation = ("L2 pulls each weight towards 0 in proportion to its size: large weights "
                   "shrink fast, small ones slowly, and none reaches exactly 0.")

    def __init__(self, l2: float = 0.01):
        self.l2 = _check("L2", l2)

    def penalty(self, w: Tensor) -> Tensor:
        return (0.5 * self.l2) * (w * w).sum()

    def gradient(self, w):
        w, ns = _array(w)
        return self.l2 * w

    def proximal(self, w, lr: float):
        w, ns = _array(w)
        return w / (1 + lr * self.l2)


class ElasticNet(Regularizer):
    r"""R(w) = λ₁ Σᵢ |wᵢ| + (λ₂/2) ‖w‖²  (Zou & Hastie, 2005).

    Subgradient: λ₁·sign(wᵢ) + λ₂wᵢ (0 at wᵢ = 0 for the L1 part).
    Proximal step: wᵢ ← sign(wᵢ)·max(|wᵢ| − ηλ₁, 0) / (1 + ηλ₂).
    """

    text = ("R(w) = λ₁ Σᵢ |wᵢ| + (λ₂/2) ‖w‖²", "∂R/∂wᵢ = λ₁·sign(wᵢ) + λ₂wᵢ",
            "wᵢ ← sign(wᵢ)·max(|wᵢ| − ηλ₁, 0)/(1 + ηλ₂)")
    latex = (r"R(w) = \lambda_1 \sum_i |w_i| + \frac{\lambda_2}{2}\,\|w\|_2^2",
             r"\frac{\partial R}{\partial w_i} = \lambda_1\,\mathrm{sign}(w_i) + \lambda_2 w_i",
             r"w_i \leftarrow \frac{\mathrm{sign}(w_i)\max(|w_i| - \eta\lambda_1, 0)}"
             r"{1 + \eta\lambda_2}")
    explanation = ("Sparsity from the L1 term, and from the L2 term a unique, stable solution "
                   "when inputs are correlated (L1 alone would pick one of them arbitrarily).")

    def __init__(self, l1: float = 0.01, l2: float = 0.01):
        self.l1 = _check("ElasticNet l1", l1)
        self.l2 = _check("ElasticNet l2", l2)

    def penalty(self, w: Tensor) -> Tensor:
        return self.l1 * ops.abs(w).sum() + (0.5 * self.l2) * (w * w).sum()

    def gradient(self, w):
        w, ns = _array(w)
        return self.l1 * ns.sign(w) + self.l2 * w

    def proximal(self, w, lr: float):
        w, ns = _array(w)
        return ns.sign(w) * ns.maximum(ns.abs(w) - lr * self.l1, 0) / (1 + lr * self.l2)


def l1_penalty(parameters: Iterable[Tensor] | Tensor, weight: float) -> Tensor:
    """λ Σ |w| over all the given tensors (a scalar Tensor in the graph)."""
    return L1(weight)(parameters)


def l2_penalty(parameters: Iterable[Tensor] | Tensor, weight: float) -> Tensor:
    """(λ/2) Σ w² over all the given tensors; its gradient λw is SGD's weight_decay=λ."""
    return L2(weight)(parameters)


def elastic_net_penalty(parameters: Iterable[Tensor] | Tensor, l1: float, l2: float) -> Tensor:
    """λ₁ Σ |w| + (λ₂/2) Σ w² over all the given tensors."""
    return ElasticNet(l1, l2)(parameters)


def get(identifier) -> Regularizer | None:
    """A Regularizer from a name ('l1', 'l2', 'elastic_net'), a dict config or an instance."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower().replace("-", "_")
        table = {"l1": L1, "l2": L2, "elastic_net": ElasticNet, "elasticnet": ElasticNet}
        if key not in table:
            raise ValueError(f"unknown regularizer {identifier!r}; expected one of 'l1', 'l2', "
                             "'elastic_net'")
        return table[key]()
    if isinstance(identifier, dict):
        config = dict(identifier)
        return type(get(config.pop("name")))(**config)
    raise TypeError(f"cannot interpret {identifier!r} as a regularizer")


__all__ = ["Regularizer", "L1", "L2", "ElasticNet", "l1_penalty", "l2_penalty",
           "elastic_net_penalty", "get"]
