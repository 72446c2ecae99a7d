"""Lesson 12 — project: sentiment analysis.

Write each function below, then grade it:   chainrule learn check 12     (or check 12.2, …)
The lesson explains the project: chainrule learn show 12.
"""
import numpy as np  # noqa: F401  (you will need it)


def build_vocab(token_lists, min_freq):
    """Exercise 12.1 — a vocabulary: the index of every word the model will know.

    ``token_lists`` is a list of reviews, each a list of tokens (str). Return a dict token → index
    with "<pad>" → 0, "<unk>" → 1, then every token that occurs at least ``min_freq`` times in
    all the reviews together, numbered 2, 3, … from the most frequent to the least; tokens
    with the same count in alphabetical order.
    """
    raise NotImplementedError


def encode_pad(token_lists, vocab, length):
    """Exercise 12.2 — token ids of a fixed length L.

    Return an integer array of shape (N, L) (N = len(token_lists), L = ``length``): row n holds
    the indices of review n's tokens in ``vocab`` (a token not in it gets the index of "<unk>").
    A review longer than L keeps its LAST L tokens (the end of a review often says the verdict);
    a shorter one is padded with the index of "<pad>" at the START, so that its real tokens
    end at the last position (Keras's pad_sequences, 'pre' padding and 'pre' truncation).
    """
    raise NotImplementedError


def masked_mean(embeddings, ids, pad_index=0):
    """Exercise 12.3 — the bag-of-embeddings representation of each review.

    ``embeddings`` ∈ ℝ^{N×L×D} are the vectors e_{n,t} of the tokens ``ids`` ∈ ℕ^{N×L}. Return
    h ∈ ℝ^{N×D}, the mean of e_{n,t} over the REAL tokens of each row only,
    h_n = Σ_t m_{n,t} e_{n,t} / Σ_t m_{n,t} with m_{n,t} = 1 when ids[n, t] ≠ pad_index, else 0;
    a row with no real token gets h_n = 0. No Python loop over the reviews.
    """
    raise NotImplementedError
