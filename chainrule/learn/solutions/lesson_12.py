"""Reference solutions of lesson 12 (the sentiment-analysis project)."""
from collections import Counter

import numpy as np


def build_vocab(token_lists, min_freq):
    counts = Counter(token for tokens in token_lists for token in tokens)
    kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    vocab = {"<pad>": 0, "<unk>": 1}
    for token in kept:
        vocab[token] = len(vocab)
    return vocab


def encode_pad(token_lists, vocab, length):
    out = np.full((len(token_lists), length), vocab["<pad>"], dtype=np.int64)
    unk = vocab["<unk>"]
    for n, tokens in enumerate(token_lists):
        kept = tokens[-length:] if length > 0 else []          # the last L tokens
        if kept:
            out[n, length - len(kept):] = [vocab.get(t, unk) for t in kept]
    return out


def masked_mean(embeddings, ids, pad_index=0):
    mask = (np.asarray(ids) != pad_index).astype(np.float64)[..., None]     # (N, L, 1)
    total = (np.asarray(embeddings) * mask).sum(axis=1)
    count = mask.sum(axis=1)
    return total / np.maximum(count, 1.0)               # a row of padding only: 0, not 0/0
