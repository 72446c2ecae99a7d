"""Text programs (the torchtext text-classification tutorial, a packed-sequence GRU sentiment
classifier), run unchanged but for their imports, agree with PyTorch.

See test_programs.py for how programs are run and compared: same seed, same data, PyTorch's
initial weights; to 1e-10 (relative to each array's magnitude) in float64, 1e-4 in float32.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from runner import DTYPES, compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")



# ----------------------------------------------------------------------------- data
def labelled_texts(n, vocab=60, num_class=4, signal=0.35, seed=0):
    """``n`` (label, token ids) pairs, labels 1..num_class as in AG_NEWS, 2–10 int64 ids each.

    Each id is, with probability ``signal``, drawn from its class's own slice of the vocabulary,
    otherwise from the whole vocabulary.
    """
    rng = np.random.default_rng(seed)
    per = vocab // num_class
    texts = []
    for _ in range(n):
        label = int(rng.integers(1, num_class + 1))
        length = int(rng.integers(2, 11))
        own = rng.integers(0, per, length) + per * (label - 1)
        tokens = np.where(rng.random(length) < signal, own, rng.integers(0, vocab, length))
        texts.append((label, tokens.astype(np.int64)))
    return texts


def padded_reviews(n, T=10, vocab=40, seed=0):
    """(ids N×T int64, 0-padded; lengths N int64 in 1..T, unsorted; labels N int64 in {0, 1})."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, T + 1, n).astype(np.int64)
    labels = rng.integers(0, 2, n).astype(np.int64)
    half = (vocab - 1) // 2
    text = np.zeros((n, T), np.int64)
    for i in range(n):
        own = rng.integers(1, half + 1, lengths[i]) + half * labels[i]
        text[i, :lengths[i]] = np.where(rng.random(lengths[i]) < 0.5, own,
                                        rng.integers(1, vocab, lengths[i]))
    return text, lengths, labels


def text_data():
    texts = labelled_texts(104, seed=5)
    return {"train": texts[:64], "valid": texts[64:88], "test": texts[88:]}


def review_data():
    text, lengths, labels = padded_reviews(56)
    return {"train": (text[:40], lengths[:40], labels[:40]),
            "valid": (text[40:], lengths[40:], labels[40:])}


# ----------------------------------------------------------------------------- 1. EmbeddingBag
@pytest.mark.parametrize("dtype", DTYPES)
def test_text_classification_matches_pytorch(dtype):
    expected, actual = compare("text_classification", text_data(), dtype,
                               run=dict(epochs=4, batch_size=8))
    assert len(actual["losses"]) == 4 * 8
    # the validation accuracy drops at least once, so StepLR steps (lr 5 → 0.5 → …)
    assert min(expected["lrs"]) < 5
    assert len(actual["predictions"]) == 16 and actual["logits"].shape == (8, 4)


# ----------------------------------------------------------------------------- 2. packed GRU
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scheduler", ["onecycle", "cosine"])
def test_rnn_classifier_matches_pytorch(scheduler, dtype):
    epochs = 3
    expected, actual = compare("rnn_classifier", review_data(), dtype,
                               run=dict(epochs=epochs, batch_size=8, scheduler=scheduler))
    assert len(actual["losses"]) == epochs * 5
    lengths = review_data()["valid"][1][:8]    # the first validation batch, unsorted
    assert actual["output"].shape == (8, lengths.max(), 2 * 6)   # bidirectional, hidden_dim 6
    np.testing.assert_array_equal(actual["output_lengths"], lengths)
    assert len(set(expected["lrs"])) > 1     # the schedule moves the lr
    assert actual["losses"][-1] < actual["losses"][0]
