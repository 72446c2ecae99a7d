"""Hidden checks of lesson 12: the vocabulary and the padded ids against their definitions (with
ties, unknown words, reviews longer and shorter than L, empty reviews), the masked mean against
a direct computation (rows of padding only included)."""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng, show

WORDS = ("good", "bad", "film", "plot", "great", "awful", "the", "a", "actor", "boring", "fun",
         "ending")


def _reviews(g, n, lo, hi, words=WORDS):
    return [[str(w) for w in g.choice(words, size=int(g.integers(lo, hi + 1)))]
            for _ in range(n)]


def _vocab(token_lists, min_freq):
    counts = Counter(t for tokens in token_lists for t in tokens)
    vocab = {"<pad>": 0, "<unk>": 1}
    for t in sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t)):
        vocab[t] = len(vocab)
    return vocab


def check_build_vocab(f) -> None:
    g = rng(1201)
    hint = ("index 0 is <pad> and 1 is <unk>; then the tokens whose count over ALL reviews is at "
            "least min_freq (≥, not >), the most frequent first, equal counts in alphabetical "
            "order, numbered 2, 3, … without gaps")
    tied = [["b", "a", "c"], ["c", "a", "b"], ["d"]]            # a, b, c twice each: a tie
    cases = [("12 reviews of 3–8 words, min_freq 2", _reviews(g, 12, 3, 8), 2),
             ("three words tied at 2 occurrences, min_freq 2", tied, 2),
             ("min_freq 1 keeps every word", _reviews(g, 5, 1, 4), 1),
             ("min_freq above every count: only the two special tokens",
              [["x", "y"], ["y"]], 5)]
    for case, reviews, min_freq in cases:
        expected = _vocab(reviews, min_freq)
        received = call(case, hint, f, [list(r) for r in reviews], min_freq)
        if not isinstance(received, dict):
            raise Failure(case, f"expected a dict token → index, got {show(received)}",
                          hint="return a dict such as {'<pad>': 0, '<unk>': 1, 'good': 2, …}")
        if received != expected:
            missing = [t for t in expected if t not in received]
            extra = [t for t in received if t not in expected]
            if missing or extra:
                what = (f"missing {missing[:5]}" if missing else "") + \
                       (" and " if missing and extra else "") + \
                       (f"should not contain {extra[:5]}" if extra else "")
            else:
                what = "the right tokens, numbered in a different order"
            raise Failure(case, f"the vocabulary differs: {what}", expected=show(expected),
                          received=show(received), hint=hint)


def _encode(reviews, vocab, length):
    out = np.full((len(reviews), length), vocab["<pad>"], dtype=np.int64)
    for n, tokens in enumerate(reviews):
        kept = tokens[-length:] if length else []
        if kept:
            out[n, length - len(kept):] = [vocab.get(t, vocab["<unk>"]) for t in kept]
    return out


def check_encode_pad(f) -> None:
    g = rng(1202)
    hint = ("one row of L ids per review; a word not in the vocabulary gets the id of <unk>; a "
            "long review keeps its LAST L tokens, a short one is padded with the id of <pad> "
            "at the START so that its words end at position L − 1")
    vocab = _vocab(_reviews(g, 10, 3, 8, WORDS[:8]), 2)            # some words stay unknown
    cases = [("reviews of 2–12 words, L = 6", _reviews(g, 6, 2, 12), 6),
             ("every review longer than L = 3", _reviews(g, 4, 5, 9), 3),
             ("an empty review and a review of exactly L = 4 words", [[], ["good", "bad", "the",
                                                                        "film"]], 4)]
    for case, reviews, length in cases:
        expected = _encode(reviews, vocab, length)
        received = call(case, hint, f, [list(r) for r in reviews], dict(vocab), length)
        first = np.full_like(expected, vocab["<pad>"])
        end = np.full_like(expected, vocab["<pad>"])
        for n, tokens in enumerate(reviews):
            ids = [vocab.get(t, 1) for t in tokens]
            if ids:
                first[n, length - len(ids[:length]):] = ids[:length]
                end[n, :len(ids[-length:])] = ids[-length:]
        compare(case, expected, received, hint=hint, what="the ids", rtol=0, atol=0,
                transposable=False,
                mistakes=[(first, "a long review kept its FIRST L tokens"),
                          (end, "the padding is at the end, not at the start")])
        if not np.issubdtype(np.asarray(received).dtype, np.integer):
            raise Failure(case, f"the ids have dtype {np.asarray(received).dtype}, expected "
                          "integers", hint="ids index an embedding table: np.int64")


def check_masked_mean(f) -> None:
    g = rng(1203)
    hint = ("mask m = (ids ≠ pad_index); h_n = Σ_t m_{n,t} e_{n,t} / Σ_t m_{n,t}: the padding "
            "positions count neither in the sum nor in the number of tokens; a row with no "
            "real token has h_n = 0 (no division by zero)")
    for N, L, D, pad in ((4, 6, 3, 0), (3, 5, 2, 0), (2, 4, 3, 7)):
        ids = g.integers(1, 9, size=(N, L))
        lengths = g.integers(1, L + 1, size=N)
        ids[np.arange(L)[None, :] < (L - lengths)[:, None]] = pad       # front padding
        case = f"N = {N}, L = {L}, D = {D}, pad_index = {pad}"
        if N == 2:
            ids[0] = pad
            case += ", the first row is only padding"
        E = g.normal(size=(N, L, D))
        m = (ids != pad)[..., None]
        expected = (E * m).sum(1) / np.maximum(m.sum(1), 1)
        received = call(case, hint, f, E.copy(), ids.copy(), pad)
        compare(case, expected, received, hint=hint, what="h", rtol=1e-9, transposable=False,
                mistakes=[(E.mean(axis=1), "it is the mean over all L positions, padding "
                           "included"),
                          ((E * m).sum(1) / L, "it divides by L, not by the number of real "
                           "tokens")])


EXERCISES = (
    Exercise("12.1", "build_vocab", "a vocabulary with min_freq, <pad> and <unk>",
             check_build_vocab),
    Exercise("12.2", "encode_pad", "ids padded and truncated to length L", check_encode_pad),
    Exercise("12.3", "masked_mean", "the mean of embeddings over real tokens", check_masked_mean),
)
