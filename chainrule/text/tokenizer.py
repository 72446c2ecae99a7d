"""Tokenization: lowercase, split on whitespace and punctuation, optionally add n-grams.

    >>> tokenize("This movie was GREAT!! Loved it.<br />10/10")
    ['this', 'movie', 'was', 'great', 'loved', 'it', '10', '10']
    >>> tokenize("not good", ngrams=2)
    ['not', 'good', 'not good']

A token is a run of letters and digits, with inner apostrophes kept (``don't``, ``it's``); every
other character (spaces, punctuation, symbols) separates tokens. With ``keep_punctuation=True``
each punctuation mark is a token of its own (``!`` and ``?`` carry sentiment). HTML line breaks,
as in the IMDB reviews (``<br />``), are removed first. n-grams are joined with a space and follow
the unigrams, as torchtext's ``ngrams_iterator`` does.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = r"[^\W_]+(?:['’][^\W_]+)*"
_WORDS = re.compile(_WORD)
_WORDS_AND_PUNCT = re.compile(_WORD + r"|[^\w\s]")
_HTML_TAG = re.compile(r"<[^>]{0,100}>")


def add_ngrams(tokens: list[str], n: int) -> list[str]:
    """``tokens`` followed by their 2-grams, …, n-grams (each joined with a space)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"ngrams must be an integer ≥ 1, got {n!r}")
    out = list(tokens)
    for k in range(2, n + 1):
        out.extend(" ".join(tokens[i:i + k]) for i in range(len(tokens) - k + 1))
    return out


def tokenize(text: str, lower: bool = True, ngrams: int = 1, keep_punctuation: bool = False,
             strip_html: bool = True) -> list[str]:
    """The tokens of ``text`` (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a str, got {type(text).__name__}")
    if strip_html:
        text = _HTML_TAG.sub(" ", text)
    if lower:
        text = text.lower()
    pattern = _WORDS_AND_PUNCT if keep_punctuation else _WORDS
    tokens = pattern.findall(text)
    return add_ngrams(tokens, ngrams) if ngrams != 1 else tokens


class Tokenizer:
    """A tokenizer with fixed options: ``Tokenizer(ngrams=2)(text) -> list[str]``."""

    def __init__(self, lower: bool = True, ngrams: int = 1, keep_punctuation: bool = False,
                 strip_html: bool = True):
        add_ngrams([], ngrams)  # validates n
        self.lower, self.ngrams = lower, ngrams
        self.keep_punctuation, self.strip_html = keep_punctuation, strip_html

    def __call__(self, text: str) -> list[str]:
        return tokenize(text, self.lower, self.ngrams, self.keep_punctuation, self.strip_html)

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        return [self(t) for t in texts]

    def __repr__(self) -> str:
        return (f"Tokenizer(lower={self.lower}, ngrams={self.ngrams}, "
                f"keep_punctuation={self.keep_punctuation}, strip_html={self.strip_html})")
