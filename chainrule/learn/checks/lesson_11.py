"""Hidden checks of lesson 11: standardization by its definition, a training epoch against the
same loop run on a copy of the model, the confusion matrix against scikit-learn's definition
(computed with NumPy here)."""
from __future__ import annotations

import copy

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, as_array, call, compare, rng, show


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def check_standardize(f) -> None:
    g = rng(1101)
    hint = ("μ and σ are computed per feature (axis 0) on the TRAINING rows only, and then applied "
            "to both sets: the test set is transformed exactly as new data will be, never used "
            "to fit anything (that would leak information from it)")
    for N, M, D in ((50, 20, 3), (10, 40, 5), (7, 3, 1)):
        train = g.normal(loc=g.normal(size=D) * 5, scale=g.uniform(0.5, 3, size=D), size=(N, D))
        test = g.normal(loc=1.0, scale=2.0, size=(M, D))
        case = f"train of shape {N}×{D}, test of shape {M}×{D}"
        mu, sd = train.mean(0), train.std(0)
        received = call(case, hint, f, train.copy(), test.copy())
        if not isinstance(received, (tuple, list)) or len(received) != 2:
            raise Failure(case, "expected a pair (train standardized, test standardized)",
                          hint="return both arrays")
        compare(case, (train - mu) / (sd + 1e-8), received[0], hint=hint, what="train",
                rtol=1e-7, transposable=False,
                mistakes=[((train - train.mean(1, keepdims=True)) / train.std(1, keepdims=True)
                           if D > 1 else np.nan, "it standardizes each ROW (sample), not each "
                           "feature")])
        own = (test - test.mean(0)) / (test.std(0) + 1e-8)
        both = np.vstack([train, test])
        pooled = (test - both.mean(0)) / (both.std(0) + 1e-8)
        compare(case, (test - mu) / (sd + 1e-8), received[1], hint=hint, what="test", rtol=1e-7,
                transposable=False,
                mistakes=[(own, "the test set used its own statistics"),
                          (pooled, "the statistics include the test set: leakage")])


def check_train_epoch(f) -> None:
    cr, F = _cr()
    g = rng(1102)
    hint = ("for each mini-batch in order: optimizer.zero_grad() (otherwise gradients of earlier "
            "batches add up), loss = F.cross_entropy(model(xb), yb), loss.backward(), "
            "optimizer.step(); one step per batch, the last batch possibly smaller; return the "
            "mean of the batch losses")
    for N, D, K, bs in ((32, 5, 3, 8), (30, 4, 2, 7), (10, 3, 4, 32)):
        cr.manual_seed(int(g.integers(1000)))
        model = cr.nn.Sequential(cr.nn.Linear(D, 6), cr.nn.ReLU(), cr.nn.Linear(6, K)).double()
        reference = copy.deepcopy(model)
        X, y = g.normal(size=(N, D)), g.integers(0, K, size=N)
        case = f"{N} samples, batch size {bs}" + (" (the last batch is smaller)" if N % bs else "")
        ref_opt = cr.optim.SGD(reference.parameters(), lr=0.1, momentum=0.5)
        losses = []
        for s in range(0, N, bs):
            ref_opt.zero_grad()
            loss = F.cross_entropy(reference(cr.tensor(X[s:s + bs])), cr.tensor(y[s:s + bs]))
            loss.backward()
            ref_opt.step()
            losses.append(loss.item())
        opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        received = call(case, hint, f, model, opt, X.copy(), y.copy(), bs)
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            compare(case, q.detach().numpy(), p.detach().numpy(), hint=hint,
                    what=f"the parameter {name} after the epoch", rtol=1e-9, atol=1e-12,
                    transposable=False)
        try:
            value = float(np.asarray(as_array(case, received, "the mean loss")).reshape(()))
        except ValueError:
            raise Failure(case, f"expected one number, got {show(received)}",
                          hint="return the mean of the batch losses as a float") from None
        compare(case, np.mean(losses), value, hint=hint, what="the mean loss")


def check_confusion_matrix(f) -> None:
    g = rng(1103)
    hint = ("C[i, j] counts the samples whose TRUE class is i and PREDICTED class is j; every "
            "sample adds 1 to exactly one entry, so C sums to N; classes that never occur still "
            "get their row and column (of zeros)")
    cases = [("20 samples, 3 classes", g.integers(0, 3, size=20), g.integers(0, 3, size=20), 3),
             ("100 samples, 10 classes", g.integers(0, 10, size=100), g.integers(0, 10, size=100),
              10),
             ("classes 3 and 4 never occur", g.integers(0, 3, size=15), g.integers(0, 3, size=15),
              5)]
    for case, predicted, labels, K in cases:
        expected = np.zeros((K, K), dtype=np.int64)
        np.add.at(expected, (labels, predicted), 1)
        received = call(case, hint, f, predicted.copy(), labels.copy(), K)
        compare(case, expected, received, hint=hint, what="C", rtol=0, atol=0,
                mistakes=[(expected.T, "rows are the predictions and columns the truth: the "
                           "transpose")])


EXERCISES = (
    Exercise("11.1", "standardize", "standardizing with training statistics only",
             check_standardize),
    Exercise("11.2", "train_epoch", "one epoch of mini-batch training", check_train_epoch),
    Exercise("11.3", "confusion_matrix", "the confusion matrix", check_confusion_matrix),
)
