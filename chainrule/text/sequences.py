"""Encode, truncate and pad token-id sequences to one length, keeping each true length.

    >>> ids, lengths = pad_sequences([[5, 6, 7], [8]], max_len=2)
    >>> ids.tolist(), lengths.tolist()
    ([[5, 6], [8, 0]], [2, 1])

Padding and truncation default to ``"post"`` (keep the beginning, pad at the end): the layout that
recurrent layers with ``lengths`` expect (the real tokens first). Keras's ``pad_sequences``
defaults to ``"pre"`` for both; pass ``padding="pre"``/``truncating="pre"`` for that layout (and
then do not pass the lengths to a recurrent layer, which would read the padding).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..backend import xp as np
from .tokenizer import tokenize


def pad_sequences(sequences: Iterable[Sequence[int]], max_len: int | None = None,
                  pad_value: int = 0, padding: str = "post", truncating: str = "post",
                  dtype=np.int64):
    """(ids (N, L) of ``dtype``, lengths int64 (N,)): each sequence cut to ``max_len`` (default:
    the longest) and padded with ``pad_value``. lengths are the kept lengths (≤ L; 0 for an
    empty sequence)."""
    for name, value in (("padding", padding), ("truncating", truncating)):
        if value not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {value!r}")
    seqs = [list(s) for s in sequences]
    if max_len is None:
        max_len = max((len(s) for s in seqs), default=0)
    if not isinstance(max_len, (int, np.integer)) or max_len < 0:
        raise ValueError(f"pad_sequences: max_len must be a non-negative integer, got {max_len!r}")
    ids = np.full((len(seqs), max_len), pad_value, dtype=dtype)
    lengths = np.zeros(len(seqs), dtype=np.int64)
    for i, s in enumerate(seqs):
        s = s[:max_len] if truncating == "post" else s[max(0, len(s) - max_len):]
        n = len(s)
        lengths[i] = n
        if n:
            if padding == "post":
                ids[i, :n] = s
            else:
                ids[i, max_len - n:] = s
    return ids, lengths


def encode_texts(texts: Iterable[str], vocab, max_len: int | None = None,
                 tokenizer: Callable[[str], list[str]] = tokenize, padding: str = "post",
                 truncating: str = "post"):
    """Tokenize, encode with ``vocab`` and pad: (ids int64 (N, L), lengths int64 (N,))."""
    return vocab.encode_batch([tokenizer(t) for t in texts], max_len=max_len, padding=padding,
                              truncating=truncating)
