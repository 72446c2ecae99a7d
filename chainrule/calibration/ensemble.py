r"""Deep ensembles (Lakshminarayanan et al. 2017): the average of several independently trained
models' predictive distributions.

    p̄(y | x) = (1/M) Σₘ softmax(fₘ(x))_y

LaTeX: \bar p(y \mid x) = \frac{1}{M}\sum_{m=1}^{M} \operatorname{softmax}\bigl(f_m(x)\bigr)_y
"""
from __future__ import annotations

from ..mathematics import Formula
from ..nn.containers import ModuleList
from ..nn.module import Module


class Ensemble(Module):
    r"""A module averaging its members' class probabilities.

    Forward:     p̄ = (1/M) Σₘ softmax(fₘ(x), dim=1): **probabilities** (N, K), not logits
    Derivative:  ∂p̄/∂θₘ = (1/M) ∂softmax(fₘ(x))/∂θₘ (each member's own chain rule, through
                 softmax′ = diag(p) − p pᵀ), so the forward is differentiable
    Uncertainty: :meth:`uncertainty` gives the members' disagreement, the mutual information
                 H[p̄] − (1/M) Σₘ H[pₘ] (see :mod:`chainrule.calibration.uncertainty`)

    ``members``: models returning logits (N, K) (or with the class axis 1). The members are
    held in a ModuleList, so ``parameters()``, ``state_dict()`` (keys ``members.0.…``) and
    ``.train()/.eval()`` reach them all. Because the output is probabilities, a loss on it is
    ``F.nll_loss(log(p̄), y)``, not ``cross_entropy``; deep ensembles are usually trained member
    by member and only combined here.

    >>> import chainrule as cr
    >>> ens = Ensemble([cr.nn.Linear(4, 3), cr.nn.Linear(4, 3)])
    >>> ens(cr.randn(2, 4)).sum(dim=1)     # rows of probabilities sum to 1
    """

    def __init__(self, members):
        super().__init__()
        members = list(members)
        if not members:
            raise ValueError("Ensemble: needs at least one member model, got an empty list")
        for i, m in enumerate(members):
            if not isinstance(m, Module):
                raise TypeError(f"Ensemble: member {i} must be a chainrule.nn.Module, got "
                                f"{type(m).__name__}")
        self.members = ModuleList(members)

    def __len__(self) -> int:
        return len(self.members)

    def member_probs(self, x):
        """The members' probabilities stacked: a Tensor (M, N, K) (differentiable)."""
        import chainrule as cr
        from chainrule.nn import functional as F

        return cr.stack([F.softmax(m(x), dim=1) for m in self.members])

    def forward(self, x):
        return self.member_probs(x).mean(dim=0)

    def uncertainty(self, x):
        """The members' predictive mean, variance, entropies and mutual information for ``x``
        (an :class:`~chainrule.calibration.UncertaintyEstimate` of NumPy arrays, no graph),
        in the members' current modes."""
        import chainrule as cr

        from .uncertainty import summarise

        if not isinstance(x, cr.Tensor):
            x = cr.tensor(x)
        with cr.no_grad():
            return summarise(self.member_probs(x).numpy())

    def extra_repr(self) -> str:
        return f"{len(self.members)} members, output: mean of softmax probabilities"

    def formula(self) -> Formula:
        pairs = [("Forward", f"p̄ = (1/M) Σₘ softmax(fₘ(x)),  M = {len(self.members)}"),
                 ("Derivative", "∂p̄/∂θₘ = (1/M) (diag(pₘ) − pₘ pₘᵀ) ∂fₘ(x)/∂θₘ")]
        latex = [r"\bar p = \frac{1}{M}\sum_{m=1}^{M}\operatorname{softmax}\bigl(f_m(x)\bigr)",
                 r"\frac{\partial \bar p}{\partial \theta_m} = \frac{1}{M}\bigl(\operatorname{diag}"
                 r"(p_m) - p_m p_m^\top\bigr)\frac{\partial f_m(x)}{\partial \theta_m}"]
        return Formula.of("Deep ensemble", pairs, latex,
                          "Averaging the probabilities of independently trained models gives "
                          "better calibrated predictions than any one of them, and their "
                          "disagreement measures the model uncertainty.")
