"""Hidden checks of lesson 13: the names a freeze leaves trainable against fnmatch's rules (a
pattern crossing dots, a pattern that must not match a longer index), one step of a linear head
against chainrule's autograd, parameter groups checked tensor by tensor (a frozen parameter, a
module whose name begins like the head's)."""
from __future__ import annotations

import fnmatch

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng, show

NAMES = ["_conv_stem.weight", "_bn0.weight", "_bn0.bias", "_blocks.0._depthwise_conv.weight",
         "_blocks.0._bn1.weight", "_blocks.0._bn1.bias", "_blocks.1._project_conv.weight",
         "_blocks.10._project_conv.weight", "_blocks.10._bn2.weight", "_blocks.10._bn2.bias",
         "_conv_head.weight", "_bn1.weight", "_bn1.bias", "_fc.weight", "_fc.bias"]


def check_trainable_after_freeze(f) -> None:
    hint = ("a parameter is frozen when its name matches ANY of the patterns, as a glob "
            "(fnmatch.fnmatchcase): '*' matches any characters, dots included, and the pattern "
            "must match the whole name; the others stay trainable, in their order")
    cases = [("the body frozen: '_conv_stem.*', '_bn0.*', '_blocks.*'",
              ["_conv_stem.*", "_bn0.*", "_blocks.*"]),
             ("'_blocks.1.*' must not freeze _blocks.10", ["_blocks.1.*"]),
             ("'*.bias': every bias, whatever its module", ["*.bias"]),
             ("'*bn*' across the dots, and '_fc.weight' exactly", ["*bn*", "_fc.weight"])]
    for case, patterns in cases:
        expected = [n for n in NAMES if not any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        received = call(case, hint, f, list(NAMES), list(patterns))
        if not isinstance(received, (list, tuple)) or list(received) != expected:
            frozen = [n for n in NAMES if n not in expected]
            saying = ("these are the FROZEN names, not the trainable ones"
                      if isinstance(received, (list, tuple)) and list(received) == frozen
                      else "the trainable names differ")
            raise Failure(case, saying, expected=show(expected), received=show(received),
                          hint=hint)


def check_linear_head_step(f) -> None:
    import chainrule as cr
    import chainrule.nn.functional as F

    g = rng(1302)
    hint = ("with δ = (ŷ − onehot(y))/N (N × K, the 1/N of the mean loss), ∂L/∂W = δᵀ φ (K × D, "
            "the shape of W) and ∂L/∂b = Σ_n δ_n; the step goes DOWN the gradient: W − lr ∂L/∂W")
    for N, D, K, scale in ((8, 5, 3, 1.0), (6, 4, 4, 1.0), (5, 3, 2, 40.0)):
        W, b = g.normal(size=(K, D)) * scale, g.normal(size=K)
        phi, y = g.normal(size=(N, D)), g.integers(0, K, size=N)
        y[:K] = np.arange(K) if N >= K else y[:K]
        case = f"N = {N}, D = {D}, K = {K}" + (" (large logits)" if scale > 1 else "")
        Wt, bt = cr.tensor(W, requires_grad=True), cr.tensor(b, requires_grad=True)
        F.cross_entropy(cr.tensor(phi) @ Wt.T + bt, cr.tensor(y)).backward()
        gW, gb = Wt.grad.numpy(), bt.grad.numpy()
        lr = 0.5
        received = call(case, hint, f, W.copy(), b.copy(), phi.copy(), y.copy(), lr)
        if not isinstance(received, (tuple, list)) or len(received) != 2:
            raise Failure(case, f"expected a pair (W, b), got {show(received)}",
                          hint="return both updated arrays: (W_new, b_new)")
        compare(case, W - lr * gW, received[0], hint=hint, what="the new W", rtol=1e-8,
                transposable=False,
                mistakes=[(W + lr * gW, "the step goes UP the gradient: a sign error"),
                          (W - lr * N * gW, "the gradient of the SUM of the losses: the 1/N of "
                           "the mean is missing")])
        compare(case, b - lr * gb, received[1], hint=hint, what="the new b", rtol=1e-8,
                mistakes=[(b, "b did not change: the bias needs its step too")])


def _model():
    import chainrule as cr

    class Net(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = cr.nn.Linear(4, 6)
            self.bn = cr.nn.BatchNorm1d(6)
            self.header = cr.nn.Linear(6, 6)          # begins like "head", is the body
            self.head = cr.nn.Linear(6, 3)

        def forward(self, x):
            return self.head(self.header(self.bn(self.stem(x))))

    return Net()


def check_discriminative_groups(f) -> None:
    hint = ("two groups: the body first, with lr / 10 (pretrained weights need small changes), "
            "then the head with lr; a parameter is the head's when its name is 'head.…' (the "
            "module's name and a dot); parameters with requires_grad False go in no group")
    for case, frozen, lr in (("nothing frozen, lr = 0.01", (), 0.01),
                             ("the stem frozen, lr = 0.003", ("stem.weight", "stem.bias"), 0.003)):
        model = _model()
        params = dict(model.named_parameters())
        for name in frozen:
            params[name].requires_grad_(False)
        body = [n for n in params if not n.startswith("head.") and n not in frozen]
        head = [n for n in params if n.startswith("head.")]
        received = call(case, hint, f, model, "head", lr)
        if not isinstance(received, (list, tuple)) or len(received) != 2 or not all(
                isinstance(g, dict) and "params" in g and "lr" in g for g in received):
            raise Failure(case, "expected a list of two dicts with keys 'params' and 'lr'",
                          received=show(received), hint=hint)
        by_id = {id(p): n for n, p in params.items()}
        for k, (what, names, rate) in enumerate((("body", body, lr / 10), ("head", head, lr))):
            got = [by_id.get(id(p), "(a tensor that is not the model's parameter)")
                   for p in received[k]["params"]]
            if got != names:
                raise Failure(case, f"group {k} (the {what}) holds the wrong parameters",
                              expected=show(names), received=show(got), hint=hint)
            compare(case, rate, received[k]["lr"], hint=hint, what=f"the {what}'s lr",
                    mistakes=[(lr * 10, "the body's rate is 10 × larger, not 10 × smaller")])


EXERCISES = (
    Exercise("13.1", "trainable_after_freeze", "what a freeze leaves trainable",
             check_trainable_after_freeze),
    Exercise("13.2", "linear_head_step", "one step of a linear head on fixed features",
             check_linear_head_step),
    Exercise("13.3", "discriminative_groups", "parameter groups with a 10× smaller body rate",
             check_discriminative_groups),
)
