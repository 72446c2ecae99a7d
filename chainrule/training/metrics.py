r"""Classification and regression metrics: functions on arrays, and streaming Metric objects.

Every function takes ``(y_true, y_pred)`` in that order (scikit-learn's and Keras's), as NumPy
arrays, chainrule Tensors or anything NumPy converts. ``y_pred`` may be

- class labels of ``y_true``'s shape (integers);
- scores with one more axis than ``y_true``, the classes on axis 1 (PyTorch's layout: logits or
  probabilities of shape (N, C), or (N, C, d₁, …) for per-pixel labels): the class is the arg-max;
- for binary problems, one score per sample of ``y_true``'s shape (or with a trailing axis of 1):
  the class is ``score > threshold`` (0.5 for probabilities, 0 for logits);
- for one-hot or probability targets of the same shape as the scores: both are arg-maxed.

The streaming forms (:class:`Metric`: ``update(y_true, y_pred)``, ``result()``, ``reset()``)
accumulate exact counts over batches, so the result of an epoch equals the function applied to
all of the epoch's predictions at once; ``fit`` and ``evaluate`` use them.

Conventions (scikit-learn's): the confusion matrix has true classes as rows and predicted classes
as columns; precision, recall and F1 of a class with no predicted (or no true) samples are
``zero_division`` (0); the 'macro' average is over the classes that occur in ``y_true`` or
``y_pred``; 'micro' pools all samples (for single-label problems it equals accuracy); ROC-AUC is
the Mann–Whitney statistic, ties counted one half.
"""
from __future__ import annotations

import re

from ..backend import xp
from ..mathematics import Formula
from ..tensor import Tensor

AVERAGES = (None, "macro", "micro", "weighted", "binary")


# ----------------------------------------------------------------------------------- helpers
def _array(a):
    return a._data if isinstance(a, Tensor) else xp.asarray(a)


def _shape_error(op: str, y_true, y_pred) -> ValueError:
    return ValueError(f"{op}: cannot compare y_true of shape {tuple(y_true.shape)} with y_pred of "
                      f"shape {tuple(y_pred.shape)}; expected labels of the same shape, or scores "
                      f"with the classes on axis 1 (shape (N, C, …) for labels of shape (N, …))")


def _as_labels(op: str, a):
    if a.dtype.kind in "iub":
        return a.astype(xp.int64, copy=False)
    if a.dtype.kind == "f":
        if not xp.all(xp.isfinite(a)) or not xp.all(a == xp.round(a)):
            raise ValueError(f"{op}: labels must be whole numbers, got non-integer values")
        return a.astype(xp.int64)
    raise TypeError(f"{op}: labels must be numbers, got dtype {a.dtype}")


def class_predictions(y_true, y_pred, threshold: float = 0.5, op: str = "metric"):
    """``(true labels, predicted labels, number of classes or None)`` from any accepted form."""
    t, p = _array(y_true), _array(y_pred)
    if p.ndim == t.ndim + 1:                       # scores, the classes on axis 1
        axis = 1 if p.ndim >= 2 else 0
        if p.shape[axis] == 1:                     # one binary score per sample, trailing axis
            return _as_labels(op, t), (p.reshape(t.shape) > threshold).astype(xp.int64), 2
        if p.shape[:axis] + p.shape[axis + 1:] != t.shape:
            raise _shape_error(op, t, p)
        return _as_labels(op, t), xp.argmax(p, axis=axis), p.shape[axis]
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1 and t.shape[:-1] == p.shape:
        t = t.reshape(p.shape)
    if p.shape != t.shape:
        raise _shape_error(op, t, p)
    if p.dtype.kind == "f" and t.dtype.kind == "f" and p.ndim >= 2 and p.shape[1] > 1 \
            and xp.allclose(t.sum(axis=1), 1.0):   # one-hot / probability targets
        return xp.argmax(t, axis=1), xp.argmax(p, axis=1), p.shape[1]
    if p.dtype.kind == "f":                        # one binary score per sample
        return _as_labels(op, t), (p > threshold).astype(xp.int64), 2
    return _as_labels(op, t), _as_labels(op, p), None


def _check_range(op: str, labels, num_classes: int, what: str) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)]
        raise ValueError(f"{op}: {what} labels must lie in [0, {num_classes}), got "
                         f"{bad[:5].tolist()}{' …' if bad.size > 5 else ''}")


def _confusion(op: str, t, p, num_classes: int | None, width: int | None):
    t, p = t.reshape(-1), p.reshape(-1)
    if num_classes is None:         # the scores' width, else the largest label seen
        num_classes = width or max(int(t.max(initial=-1)) + 1, int(p.max(initial=-1)) + 1, 1)
    _check_range(op, t, num_classes, "true")
    _check_range(op, p, num_classes, "predicted")
    counts = xp.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _divide(num, den, zero_division: float):
    num = xp.asarray(num, dtype=xp.float64)
    den = xp.asarray(den, dtype=xp.float64)
    out = xp.full(num.shape, float(zero_division))
    xp.divide(num, den, out=out, where=den != 0)
    return out


def scores_from_confusion(cm, average: str | None = "macro", zero_division: float = 0.0,
                          pos_label: int = 1):
    """Precision, recall and F1 from a confusion matrix (rows true, columns predicted).

    Per class c: P = TP/(TP + FP), R = TP/(TP + FN), F1 = 2TP/(2TP + FP + FN) (the harmonic mean
    of P and R). ``average``: None (arrays, one value per class), 'macro' (mean over the classes
    that occur), 'weighted' (mean weighted by each class's true count), 'micro' (pooled counts) or
    'binary' (the values of class ``pos_label``).
    """
    if average not in AVERAGES:
        raise ValueError(f"unknown average {average!r}; expected one of {list(AVERAGES)}")
    cm = xp.asarray(cm)
    tp = xp.diag(cm).astype(xp.float64)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    if average == "micro":
        total_tp, total = tp.sum(), cm.sum()
        value = float(_divide(total_tp, total, zero_division))
        return value, value, value
    precision = _divide(tp, predicted, zero_division)
    recall = _divide(tp, actual, zero_division)
    f1 = _divide(2 * tp, predicted + actual, zero_division)
    if average is None:
        return precision, recall, f1
    if average == "binary":
        if cm.shape[0] > 2:
            raise ValueError(f"average='binary' needs two classes, got {cm.shape[0]}; use "
                             "'macro', 'micro', 'weighted' or None")
        return float(precision[pos_label]), float(recall[pos_label]), float(f1[pos_label])
    present = (predicted + actual) > 0
    if not present.any():
        return (float(zero_division),) * 3
    if average == "macro":
        return tuple(float(v[present].mean()) for v in (precision, recall, f1))
    weights = actual / actual.sum() if actual.sum() else xp.zeros_like(tp)
    return tuple(float((v * weights).sum()) for v in (precision, recall, f1))


def _rankdata(values):
    """Ranks 1..n of ``values``, ties given the mean of the ranks they span."""
    _, inverse, counts = xp.unique(values, return_inverse=True, return_counts=True)
    upper = xp.cumsum(counts)
    mean_rank = upper - (counts - 1) / 2.0
    return mean_rank[inverse.reshape(-1)]


def _binary_scores(op: str, y_true, y_score):
    t, s = _array(y_true), _array(y_score)
    if s.ndim == 2 and s.shape[1] == 2:
        s = s[:, 1]                                 # the score of the positive class
    elif s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    t = t.reshape(-1)
    s = s.reshape(-1)
    if t.shape != s.shape:
        raise ValueError(f"{op}: y_true has {t.size} values but y_score has {s.size}; expected "
                         "one score per sample (shape (N,), (N, 1), or (N, 2) probabilities)")
    if not xp.all(xp.isfinite(s)):
        raise ValueError(f"{op}: y_score contains NaN or infinite values")
    t = _as_labels(op, t)
    if t.size and not xp.all((t == 0) | (t == 1)):
        raise ValueError(f"{op}: binary ROC-AUC needs labels 0 and 1, got "
                         f"{sorted(set(xp.unique(t).tolist()))[:6]}")
    return t, s


# ----------------------------------------------------------------------------------- functions
def accuracy(y_true, y_pred, threshold: float = 0.5) -> float:
    """Fraction of samples whose predicted class equals the true one: (1/N) Σₙ [ŷₙ = yₙ]."""
    t, p, _ = class_predictions(y_true, y_pred, threshold, "accuracy")
    return float(xp.mean(t == p)) if t.size else 0.0


def top_k_accuracy(y_true, y_score, k: int = 5) -> float:
    """Fraction of samples whose true class is among the k highest scores (classes on axis 1)."""
    t, s = _array(y_true), _array(y_score)
    if s.ndim != t.ndim + 1 or s.ndim < 2:
        raise ValueError(f"top_k_accuracy: y_score must have the classes on axis 1, one more axis "
                         f"than y_true; got y_true {tuple(t.shape)}, y_score {tuple(s.shape)}")
    num_classes = s.shape[1]
    if not 1 <= k:
        raise ValueError(f"top_k_accuracy: k must be ≥ 1, got {k}")
    t = _as_labels("top_k_accuracy", t)
    _check_range("top_k_accuracy", t, num_classes, "true")
    if k >= num_classes:
        return 1.0 if t.size else 0.0
    true_score = xp.take_along_axis(s, xp.expand_dims(t, 1), axis=1)
    # rank of the true class: the number of classes scoring strictly higher (ties favour it)
    higher = (s > true_score).sum(axis=1)
    return float(xp.mean(higher < k)) if t.size else 0.0


def confusion_matrix(y_true, y_pred, num_classes: int | None = None, threshold: float = 0.5):
    """C[i, j] = number of samples of true class i predicted as class j (an int64 array)."""
    t, p, width = class_predictions(y_true, y_pred, threshold, "confusion_matrix")
    return _confusion("confusion_matrix", t, p, num_classes, width)


def precision_recall_f1(y_true, y_pred, average: str | None = "macro",
                        num_classes: int | None = None, zero_division: float = 0.0,
                        threshold: float = 0.5):
    """``(precision, recall, f1)``; see :func:`scores_from_confusion` for ``average``."""
    return scores_from_confusion(confusion_matrix(y_true, y_pred, num_classes, threshold),
                                 average, zero_division)


def precision(y_true, y_pred, average: str | None = "macro", num_classes: int | None = None,
              zero_division: float = 0.0, threshold: float = 0.5):
    """TP/(TP + FP): of the samples predicted as a class, the fraction that belong to it."""
    return precision_recall_f1(y_true, y_pred, average, num_classes, zero_division, threshold)[0]


def recall(y_true, y_pred, average: str | None = "macro", num_classes: int | None = None,
           zero_division: float = 0.0, threshold: float = 0.5):
    """TP/(TP + FN): of the samples of a class, the fraction predicted as it."""
    return precision_recall_f1(y_true, y_pred, average, num_classes, zero_division, threshold)[1]


def f1_score(y_true, y_pred, average: str | None = "macro", num_classes: int | None = None,
             zero_division: float = 0.0, threshold: float = 0.5):
    """2TP/(2TP + FP + FN): the harmonic mean of precision and recall."""
    return precision_recall_f1(y_true, y_pred, average, num_classes, zero_division, threshold)[2]


def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve of a binary problem: P(score of a positive > score of a negative).

    Computed exactly as the Mann–Whitney U statistic, AUC = (R₊ − n₊(n₊ + 1)/2)/(n₊ n₋), with R₊
    the sum of the positives' ranks among all scores (ties share the mean rank, i.e. count ½).
    ``y_score``: one score per sample (probabilities or logits: only the order matters), or (N, 2)
    class probabilities (column 1 is used).
    """
    t, s = _binary_scores("roc_auc", y_true, y_score)
    n_pos = int(t.sum())
    n_neg = t.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc: only one class is present in y_true, so ROC-AUC is not defined "
                         f"({n_pos} positives, {n_neg} negatives)")
    ranks = _rankdata(s)
    return float((ranks[t == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def mean_squared_error(y_true, y_pred) -> float:
    """(1/N) Σ (ŷ − y)²."""
    t, p = _array(y_true), _array(y_pred)
    return float(xp.mean((p.astype(xp.float64) - t.reshape(p.shape)) ** 2))


def mean_absolute_error(y_true, y_pred) -> float:
    """(1/N) Σ |ŷ − y|."""
    t, p = _array(y_true), _array(y_pred)
    return float(xp.mean(xp.abs(p.astype(xp.float64) - t.reshape(p.shape))))


# ----------------------------------------------------------------------------------- streaming
class Metric:
    """A metric accumulated over batches: ``update(y_true, y_pred)``, ``result()``, ``reset()``.

    ``name`` is its key in ``fit``'s logs and History (``val_`` + name for validation data);
    ``direction`` ('up' or 'down') tells EarlyStopping and ModelCheckpoint in mode 'auto' which way
    is better; ``per_batch`` False keeps a metric out of the per-batch logs and the progress bar
    (array-valued results, or ones that are costly to compute after every batch).
    """

    name: str = "metric"
    direction: str = "up"
    per_batch: bool = True
    text: tuple[str, ...] = ()
    latex: tuple[str, ...] = ()
    explanation: str = ""

    def __init__(self, name: str | None = None):
        if name is not None:
            self.name = name
        self.reset()

    def update(self, y_true, y_pred) -> None:
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def __call__(self, y_true, y_pred):
        """Update with one batch and return the result so far (Keras's habit)."""
        self.update(y_true, y_pred)
        return self.result()

    @classmethod
    def formula(cls) -> Formula:
        labels = tuple(f"Step {i + 1}" for i in range(len(cls.text)))
        if len(cls.text) == 1:
            labels = ("Definition",)
        return Formula.of(cls.__name__, list(zip(labels, cls.text)), list(cls.latex),
                          cls.explanation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """A weighted running mean of values: ``update(value, weight=1)`` (the loss in ``fit``)."""

    name = "mean"
    direction = "down"
    text = ("m = Σᵢ wᵢ vᵢ / Σᵢ wᵢ",)
    latex = (r"m = \frac{\sum_i w_i v_i}{\sum_i w_i}",)
    explanation = "The average of per-batch values, each weighted by its batch's size."

    def reset(self) -> None:
        self.total = 0.0
        self.weight = 0.0

    def update(self, value, weight: float = 1.0) -> None:     # a value, not (y_true, y_pred)
        self.total += float(value) * weight
        self.weight += weight

    def result(self) -> float:
        return self.total / self.weight if self.weight else 0.0


class Accuracy(Metric):
    """Streaming :func:`accuracy`: correct predictions / samples seen."""

    name = "accuracy"
    text = ("acc = (1/N) Σₙ [ŷₙ = yₙ]",)
    latex = (r"\mathrm{acc} = \frac{1}{N}\sum_n [\hat y_n = y_n]",)
    explanation = "The fraction of samples classified correctly."

    def __init__(self, name: str | None = None, threshold: float = 0.5):
        self.threshold = threshold
        super().__init__(name)

    def reset(self) -> None:
        self.correct = 0
        self.count = 0

    def update(self, y_true, y_pred) -> None:
        t, p, _ = class_predictions(y_true, y_pred, self.threshold, self.name)
        self.correct += int((t == p).sum())
        self.count += int(t.size)

    def result(self) -> float:
        return self.correct / self.count if self.count else 0.0


class TopKAccuracy(Metric):
    """Streaming :func:`top_k_accuracy` (name ``top_{k}_accuracy``)."""

    text = ("acc@k = (1/N) Σₙ [yₙ ∈ top-k(sₙ)]",)
    latex = (r"\mathrm{acc}@k = \frac{1}{N}\sum_n [y_n \in \operatorname{top}_k(s_n)]",)
    explanation = "The fraction of samples whose true class is among the k highest scores."

    def __init__(self, k: int = 5, name: str | None = None):
        self.k = int(k)
        super().__init__(name or f"top_{self.k}_accuracy")

    def reset(self) -> None:
        self.correct = 0.0
        self.count = 0

    def update(self, y_true, y_pred) -> None:
        n = int(_array(y_true).size)
        self.correct += top_k_accuracy(y_true, y_pred, self.k) * n
        self.count += n

    def result(self) -> float:
        return self.correct / self.count if self.count else 0.0


class ConfusionMatrix(Metric):
    """Streaming :func:`confusion_matrix`; grows when a larger class label appears."""

    name = "confusion_matrix"
    per_batch = False
    text = ("Cᵢⱼ = #{n : yₙ = i, ŷₙ = j}",)
    latex = (r"C_{ij} = \#\{n : y_n = i,\ \hat y_n = j\}",)
    explanation = "Rows are true classes, columns predicted ones; the diagonal is correct."

    def __init__(self, num_classes: int | None = None, name: str | None = None,
                 threshold: float = 0.5):
        self.num_classes = num_classes
        self.threshold = threshold
        super().__init__(name)

    def reset(self) -> None:
        size = self.num_classes or 0
        self.matrix = xp.zeros((size, size), dtype=xp.int64)

    def update(self, y_true, y_pred) -> None:
        t, p, width = class_predictions(y_true, y_pred, self.threshold, self.name)
        size = self.num_classes
        if size is None:
            size = max(self.matrix.shape[0], width or max(int(t.max(initial=-1)) + 1,
                                                         int(p.max(initial=-1)) + 1))
            if size > self.matrix.shape[0]:
                grown = xp.zeros((size, size), dtype=xp.int64)
                k = self.matrix.shape[0]
                grown[:k, :k] = self.matrix
                self.matrix = grown
        self.matrix += _confusion(self.name, t, p, size, width)

    def result(self):
        return self.matrix.copy()


class _ConfusionScore(ConfusionMatrix):
    """Precision, recall or F1 from an accumulated confusion matrix."""

    index = 0
    per_batch = True

    def __init__(self, average: str | None = "macro", num_classes: int | None = None,
                 name: str | None = None, zero_division: float = 0.0, threshold: float = 0.5):
        if average not in AVERAGES:
            raise ValueError(f"{type(self).__name__}: unknown average {average!r}; expected one "
                             f"of {list(AVERAGES)}")
        self.average = average
        self.zero_division = zero_division
        if average is None:
            self.per_batch = False
        default = type(self).name + ("_per_class" if average is None else "")
        super().__init__(num_classes, name or default, threshold)

    def result(self):
        if self.matrix.size == 0:
            return float(self.zero_division) if self.average is not None else xp.zeros(0)
        return scores_from_confusion(self.matrix, self.average, self.zero_division)[self.index]


class Precision(_ConfusionScore):
    """Streaming :func:`precision` ('macro' by default; average=None gives one per class)."""

    name = "precision"
    index = 0
    text = ("P_c = TP_c / (TP_c + FP_c)",)
    latex = (r"P_c = \frac{TP_c}{TP_c + FP_c}",)
    explanation = "Of the samples predicted as class c, the fraction that are c."


class Recall(_ConfusionScore):
    """Streaming :func:`recall`."""

    name = "recall"
    index = 1
    text = ("R_c = TP_c / (TP_c + FN_c)",)
    latex = (r"R_c = \frac{TP_c}{TP_c + FN_c}",)
    explanation = "Of the samples of class c, the fraction predicted as c."


class F1Score(_ConfusionScore):
    """Streaming :func:`f1_score`."""

    name = "f1"
    index = 2
    text = ("F1_c = 2 P_c R_c / (P_c + R_c) = 2TP_c / (2TP_c + FP_c + FN_c)",)
    latex = (r"F_1 = \frac{2PR}{P + R} = \frac{2TP}{2TP + FP + FN}",)
    explanation = "The harmonic mean of precision and recall: high only when both are."


class AUC(Metric):
    """Streaming binary :func:`roc_auc`; keeps every score (exact, no threshold buckets)."""

    name = "auc"
    per_batch = False
    text = ("AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋)",)
    latex = (r"\mathrm{AUC} = \frac{R_+ - n_+(n_+ + 1)/2}{n_+ n_-}",)
    explanation = ("The probability that a random positive scores above a random negative "
                   "(R₊: the positives' rank sum).")

    def reset(self) -> None:
        self.labels: list = []
        self.scores: list = []

    def update(self, y_true, y_pred) -> None:
        t, s = _binary_scores(self.name, y_true, y_pred)
        self.labels.append(t)
        self.scores.append(s)

    def result(self) -> float:
        if not self.labels:
            return float("nan")
        t, s = xp.concatenate(self.labels), xp.concatenate(self.scores)
        if t.min() == t.max():
            return float("nan")     # one class only so far: undefined (roc_auc raises)
        return roc_auc(t, s)


class MeanSquaredError(Metric):
    """Streaming :func:`mean_squared_error`."""

    name = "mse"
    direction = "down"
    text = ("MSE = (1/N) Σ (ŷ − y)²",)
    latex = (r"\mathrm{MSE} = \frac{1}{N}\sum (\hat y - y)^2",)

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0

    def _errors(self, y_true, y_pred):
        t, p = _array(y_true), _array(y_pred)
        if t.size != p.size:
            raise _shape_error(self.name, t, p)
        return p.astype(xp.float64).reshape(-1) - t.reshape(-1)

    def update(self, y_true, y_pred) -> None:
        e = self._errors(y_true, y_pred)
        self.total += float((e * e).sum())
        self.count += e.size

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanAbsoluteError(MeanSquaredError):
    """Streaming :func:`mean_absolute_error`."""

    name = "mae"
    text = ("MAE = (1/N) Σ |ŷ − y|",)
    latex = (r"\mathrm{MAE} = \frac{1}{N}\sum |\hat y - y|",)

    def update(self, y_true, y_pred) -> None:
        e = self._errors(y_true, y_pred)
        self.total += float(xp.abs(e).sum())
        self.count += e.size


# ----------------------------------------------------------------------------------- names
_FACTORIES = {
    "accuracy": lambda threshold: Accuracy(threshold=threshold),
    "acc": lambda threshold: Accuracy(threshold=threshold),
    "precision": lambda threshold: Precision(threshold=threshold),
    "recall": lambda threshold: Recall(threshold=threshold),
    "f1": lambda threshold: F1Score(threshold=threshold),
    "f1_score": lambda threshold: F1Score(threshold=threshold),
    "precision_per_class": lambda threshold: Precision(None, threshold=threshold),
    "recall_per_class": lambda threshold: Recall(None, threshold=threshold),
    "f1_per_class": lambda threshold: F1Score(None, threshold=threshold),
    "confusion_matrix": lambda threshold: ConfusionMatrix(threshold=threshold),
    "auc": lambda threshold: AUC(),
    "roc_auc": lambda threshold: AUC(),
    "mse": lambda threshold: MeanSquaredError(),
    "mean_squared_error": lambda threshold: MeanSquaredError(),
    "mae": lambda threshold: MeanAbsoluteError(),
    "mean_absolute_error": lambda threshold: MeanAbsoluteError(),
}
_TOP_K = re.compile(r"^(?:top_?(\d+)(?:_accuracy)?|top_k_accuracy|top_k)$")


def names() -> list[str]:
    """The metric names :func:`get` accepts (besides ``top_{k}_accuracy`` for any k)."""
    return sorted(_FACTORIES) + ["top_k_accuracy", "top_{k}_accuracy (e.g. top_5_accuracy)"]


def get(identifier, threshold: float = 0.5) -> Metric:
    """A Metric from a name ('accuracy', 'f1', 'top_5_accuracy', …), a Metric, or a Metric class.

    ``threshold`` is used by classification metrics on binary scores (0.5 for probabilities; 0
    when the model outputs logits, which ``compile`` chooses from the loss).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.strip().lower().replace("-", "_").replace(" ", "_")
        if key in _FACTORIES:
            metric = _FACTORIES[key](threshold)
            metric.name = key              # the log key is the name the user wrote
            return metric
        match = _TOP_K.match(key)
        if match:
            return TopKAccuracy(int(match.group(1) or 5), name=key)
        raise ValueError(f"unknown metric {identifier!r}; valid names: {', '.join(names())}")
    raise TypeError(f"cannot interpret {identifier!r} ({type(identifier).__name__}) as a metric: "
                    "give a name, a Metric instance or a Metric subclass")


__all__ = ["Metric", "Mean", "Accuracy", "TopKAccuracy", "ConfusionMatrix", "Precision", "Recall",
           "F1Score", "AUC", "MeanSquaredError", "MeanAbsoluteError", "accuracy",
           "top_k_accuracy", "confusion_matrix", "precision", "recall", "f1_score",
           "precision_recall_f1", "scores_from_confusion", "roc_auc", "mean_squared_error",
           "mean_absolute_error", "class_predictions", "get", "names"]
