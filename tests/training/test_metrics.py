"""Metrics: closed forms, scikit-learn where it is installed, and streaming = all at once."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.training import metrics as M


def test_closed_forms():
    y = np.array([0, 1, 2, 2, 1, 0])
    scores = np.array([[2, 1, 0], [0, 3, 1], [0, 1, 5], [1, 4, 0], [0, 2, 1], [0, 0, 1]], float)
    pred = scores.argmax(1)                       # [0, 1, 2, 1, 1, 2]
    assert M.accuracy(y, scores) == pytest.approx(4 / 6)
    assert M.accuracy(y, pred) == pytest.approx(4 / 6)
    assert M.accuracy(cr.tensor(y), cr.tensor(scores)) == pytest.approx(4 / 6)
    cm = M.confusion_matrix(y, scores)
    np.testing.assert_array_equal(cm, [[1, 0, 1], [0, 2, 0], [0, 1, 1]])
    p, r, f = M.precision_recall_f1(y, scores, average=None)
    np.testing.assert_allclose(p, [1, 2 / 3, 1 / 2])
    np.testing.assert_allclose(r, [1 / 2, 1, 1 / 2])
    np.testing.assert_allclose(f, [2 * 1 * .5 / 1.5, 2 * (2 / 3) / (5 / 3), 0.5])
    assert M.precision(y, scores) == pytest.approx(np.mean([1, 2 / 3, 1 / 2]))
    assert M.f1_score(y, scores, average="micro") == pytest.approx(4 / 6)
    # top-k: the true class among the k best
    assert M.top_k_accuracy(y, scores, k=1) == pytest.approx(4 / 6)
    assert M.top_k_accuracy(y, scores, k=2) == pytest.approx(5 / 6)
    assert M.top_k_accuracy(y, scores, k=3) == 1.0
    # ROC-AUC: P(positive scores above negative), ties half
    assert M.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert M.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert M.roc_auc([1, 0, 1], [[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]]) == 1.0
    # binary scores: probabilities at 1/2, logits at 0
    assert M.accuracy([0, 1, 1], [0.2, 0.7, 0.4]) == pytest.approx(2 / 3)
    assert M.accuracy([0, 1, 1], [[-1.0], [2.0], [0.5]], threshold=0.0) == 1.0
    # one-hot targets
    onehot = np.eye(3)[y]
    assert M.accuracy(onehot, scores) == pytest.approx(4 / 6)
    assert M.mean_squared_error([1.0, 2.0], [1.5, 1.0]) == pytest.approx((0.25 + 1) / 2)
    assert M.mean_absolute_error([1.0, 2.0], [1.5, 1.0]) == pytest.approx(0.75)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="cannot compare"):
        M.accuracy(np.zeros(3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="only one class"):
        M.roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        M.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="unknown average"):
        M.precision([0, 1], [0, 1], average="mean")
    with pytest.raises(ValueError, match="unknown metric 'acuracy'; valid names: .*accuracy"):
        M.get("acuracy")


def _labels_and_scores(n, classes, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    scores = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[y]
    return y, scores


@pytest.mark.parametrize("seed", range(4))
def test_against_scikit_learn(seed):
    sk = pytest.importorskip("sklearn.metrics")
    classes = 4
    y, scores = _labels_and_scores(200, classes, seed)
    pred = scores.argmax(1)
    assert M.accuracy(y, scores) == pytest.approx(sk.accuracy_score(y, pred))
    np.testing.assert_array_equal(M.confusion_matrix(y, scores),
                                  sk.confusion_matrix(y, pred, labels=range(classes)))
    for average in ("macro", "micro", "weighted"):
        assert M.precision(y, scores, average) == pytest.approx(
            sk.precision_score(y, pred, average=average, zero_division=0))
        assert M.recall(y, scores, average) == pytest.approx(
            sk.recall_score(y, pred, average=average, zero_division=0))
        assert M.f1_score(y, scores, average) == pytest.approx(
            sk.f1_score(y, pred, average=average, zero_division=0))
    np.testing.assert_allclose(M.f1_score(y, scores, None),
                               sk.f1_score(y, pred, average=None, labels=range(classes),
                                           zero_division=0))
    for k in (1, 2, 3):
        assert M.top_k_accuracy(y, scores, k) == pytest.approx(
            sk.top_k_accuracy_score(y, scores, k=k, labels=range(classes)))
    binary = (y > 1).astype(int)
    score = scores[:, 2:].sum(1) - scores[:, :2].sum(1)
    score = np.round(score, 1)                  # ties
    assert M.roc_auc(binary, score) == pytest.approx(sk.roc_auc_score(binary, score))
    assert M.precision(binary, score, "binary", threshold=0.0) == pytest.approx(
        sk.precision_score(binary, (score > 0).astype(int)))


def test_macro_average_ignores_classes_absent_from_both_like_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    y, pred = np.array([0, 0, 3, 3, 1]), np.array([0, 3, 3, 3, 0])
    assert M.f1_score(y, pred) == pytest.approx(sk.f1_score(y, pred, average="macro"))
    assert M.precision(y, pred) == pytest.approx(
        sk.precision_score(y, pred, average="macro", zero_division=0))


@given(st.integers(0, 2 ** 16), st.integers(1, 5), st.integers(2, 5))
def test_streaming_equals_all_at_once(seed, batches, classes):
    y, scores = _labels_and_scores(batches * 13, classes, seed)
    streaming = [M.Accuracy(), M.TopKAccuracy(2), M.Precision(), M.Recall("weighted"),
                 M.F1Score(None), M.ConfusionMatrix(), M.MeanSquaredError()]
    for metric in streaming:
        for part in np.array_split(np.arange(len(y)), batches):
            if isinstance(metric, M.MeanSquaredError):
                metric.update(scores[part, 0], scores[part, 1])
            else:
                metric.update(y[part], scores[part])
    assert streaming[0].result() == pytest.approx(M.accuracy(y, scores))
    assert streaming[1].result() == pytest.approx(M.top_k_accuracy(y, scores, 2))
    assert streaming[2].result() == pytest.approx(M.precision(y, scores))
    assert streaming[3].result() == pytest.approx(M.recall(y, scores, "weighted"))
    np.testing.assert_allclose(streaming[4].result(), M.f1_score(y, scores, None))
    np.testing.assert_array_equal(streaming[5].result(), M.confusion_matrix(y, scores))
    assert streaming[6].result() == pytest.approx(M.mean_squared_error(scores[:, 0],
                                                                       scores[:, 1]))
    for metric in streaming:
        metric.reset()
    assert streaming[0].result() == 0.0 and streaming[5].result().sum() == 0


def test_streaming_auc_and_growing_confusion_matrix():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    s = rng.normal(size=50) + y
    auc = M.AUC()
    auc.update(y[:1], s[:1])
    assert np.isnan(auc.result())             # one class so far: undefined
    auc.update(y[1:], s[1:])
    assert auc.result() == pytest.approx(M.roc_auc(y, s))
    cm = M.ConfusionMatrix()
    cm.update([0, 1], [0, 1])
    cm.update([3], [2])
    np.testing.assert_array_equal(cm.result(), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0],
                                                [0, 0, 1, 0]])


def test_get_names_and_formulas():
    assert isinstance(M.get("accuracy"), M.Accuracy)
    assert M.get("acc").name == "acc"
    top = M.get("top_3_accuracy")
    assert isinstance(top, M.TopKAccuracy) and top.k == 3 and top.name == "top_3_accuracy"
    assert M.get("f1_per_class").average is None and not M.get("f1_per_class").per_batch
    assert M.get(M.Recall).name == "recall"
    assert M.get("mse").direction == "down" and M.get("auc").direction == "up"
    for cls in (M.Accuracy, M.Precision, M.F1Score, M.AUC, M.MeanSquaredError):
        assert str(cls.formula()) and cls.formula().to_latex()
    with pytest.raises(TypeError, match="metric"):
        M.get(3)
