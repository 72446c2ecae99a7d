"""Vocabulary: tokens ↔ integer ids, built from token lists, saved and loaded as JSON.

    >>> vocab = Vocabulary(min_freq=1).build([["a", "good", "film"], ["a", "bad", "film"]])
    >>> vocab.itos
    ['<pad>', '<unk>', 'a', 'film', 'bad', 'good']
    >>> vocab.encode(["a", "great", "film"])           # unknown → <unk> = 1
    [2, 1, 3]

Ids are assigned in a fixed order: the specials first (``<pad>`` = 0, ``<unk>`` = 1 by default),
then the tokens by decreasing count, ties broken alphabetically, so the same corpus always gives
the same ids. ``min_freq`` drops rarer tokens; ``max_size`` caps the total size, specials
included (the most frequent tokens are kept).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

PAD, UNK = "<pad>", "<unk>"
_FORMAT = "chainrule.text.Vocabulary"


class UnknownTokenError(KeyError):
    """A token that is not in a vocabulary which has no ``<unk>`` entry to stand for it."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class Vocabulary:
    """A mapping between tokens and ids (see the module docstring).

    ``Vocabulary(min_freq=1, max_size=None, specials=("<pad>", "<unk>"))``, then ``build(token
    lists)``. ``pad_token`` / ``unk_token`` name the specials that mean padding and unknown (they
    must be among ``specials`` to be used; either may be left out of ``specials``).
    """

    def __init__(self, min_freq: int = 1, max_size: int | None = None,
                 specials: Sequence[str] = (PAD, UNK), pad_token: str = PAD,
                 unk_token: str = UNK):
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"Vocabulary: min_freq must be an integer ≥ 1, got {min_freq!r}")
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocabulary: specials {specials} contain a duplicate")
        if max_size is not None and (not isinstance(max_size, int) or max_size < len(specials)):
            raise ValueError(f"Vocabulary: max_size must be an integer ≥ the number of specials "
                             f"({len(specials)}), got {max_size!r}")
        self.min_freq, self.max_size = min_freq, max_size
        self.specials = specials
        self.pad_token, self.unk_token = pad_token, unk_token
        self.freqs: Counter = Counter()
        self._set_itos(list(specials))

    def _set_itos(self, itos: list[str]) -> None:
        self.itos = itos
        self.stoi = {t: i for i, t in enumerate(itos)}
        if len(self.stoi) != len(itos):
            seen, dup = set(), None
            for t in itos:
                if t in seen:
                    dup = t
                    break
                seen.add(t)
            raise ValueError(f"Vocabulary: token {dup!r} appears twice")
        self.pad_index = self.stoi.get(self.pad_token) if self.pad_token in self.specials else None
        self.unk_index = self.stoi.get(self.unk_token) if self.unk_token in self.specials else None

    # ----------------------------------------------------------------- building
    def build(self, token_lists: Iterable[Iterable[str]]) -> Vocabulary:
        """Count the tokens of every list and assign ids (replacing any earlier build)."""
        counts: Counter = Counter()
        for tokens in token_lists:
            if isinstance(tokens, str):
                raise TypeError("Vocabulary.build: expected lists of tokens, got a str; tokenize "
                                "first (chainrule.text.tokenize) or wrap a single list in a list")
            counts.update(tokens)
        specials = set(self.specials)
        ranked = sorted(((t, c) for t, c in counts.items()
                         if c >= self.min_freq and t not in specials),
                        key=lambda tc: (-tc[1], tc[0]))
        if self.max_size is not None:
            ranked = ranked[: self.max_size - len(self.specials)]
        self.freqs = Counter(dict(ranked))
        self._set_itos(self.specials + [t for t, _ in ranked])
        return self

    @classmethod
    def from_tokens(cls, token_lists: Iterable[Iterable[str]], **kwargs) -> Vocabulary:
        """``Vocabulary(**kwargs).build(token_lists)``."""
        return cls(**kwargs).build(token_lists)

    # ----------------------------------------------------------------- lookups
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.index(token)

    def index(self, token: str) -> int:
        """The id of ``token``: ``<unk>``'s for an unknown token, or an error without one."""
        i = self.stoi.get(token)
        if i is not None:
            return i
        if self.unk_index is not None:
            return self.unk_index
        raise UnknownTokenError(
            f"Vocabulary: token {token!r} is not in the vocabulary ({len(self)} entries), and it "
            f"has no {self.unk_token!r} entry to stand for unknown tokens; build it with "
            f"specials including {self.unk_token!r}, or remove unknown tokens first")

    def token(self, index: int) -> str:
        if not 0 <= int(index) < len(self.itos):
            raise IndexError(f"Vocabulary: id {index} is out of range: ids run from 0 to "
                             f"{len(self.itos) - 1}")
        return self.itos[int(index)]

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """The ids of ``tokens`` (unknown ones → ``<unk>``, or an error without it)."""
        if isinstance(tokens, str):
            raise TypeError("Vocabulary.encode: expected a list of tokens, got a str; tokenize "
                            "first (chainrule.text.tokenize)")
        stoi, unk = self.stoi, self.unk_index
        if unk is not None:
            return [stoi.get(t, unk) for t in tokens]
        return [self.index(t) for t in tokens]

    def decode(self, ids: Iterable[int], skip_pad: bool = True) -> list[str]:
        """The tokens of ``ids``; padding ids are dropped unless ``skip_pad=False``."""
        pad = self.pad_index if skip_pad else None
        return [self.token(i) for i in ids if pad is None or int(i) != pad]

    def encode_batch(self, token_lists: Iterable[Sequence[str]], max_len: int | None = None,
                     padding: str = "post", truncating: str = "post"):
        """Encode, truncate and pad to one length: (ids int64 (N, L), lengths int64 (N,)).

        See :func:`chainrule.text.pad_sequences`; padding uses ``<pad>``'s id."""
        from .sequences import pad_sequences

        if self.pad_index is None:
            raise ValueError(f"Vocabulary.encode_batch: the vocabulary has no {self.pad_token!r} "
                             "entry to pad with; build it with that special, or call "
                             "pad_sequences(...) with an explicit pad_value")
        return pad_sequences([self.encode(t) for t in token_lists], max_len=max_len,
                             pad_value=self.pad_index, padding=padding, truncating=truncating)

    # ----------------------------------------------------------------- saving
    def to_dict(self) -> dict:
        return {"format": _FORMAT, "version": 1, "itos": list(self.itos),
                "specials": list(self.specials), "pad_token": self.pad_token,
                "unk_token": self.unk_token, "min_freq": self.min_freq,
                "max_size": self.max_size, "freqs": dict(self.freqs)}

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        """The vocabulary :meth:`to_dict` describes; anything else raises ValueError."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"Vocabulary: not a saved vocabulary (expected a JSON object with "
                             f"\"format\": \"{_FORMAT}\")")
        itos, specials = data.get("itos"), data.get("specials", [])
        if not isinstance(itos, list) or not all(isinstance(t, str) for t in itos):
            raise ValueError("Vocabulary: \"itos\" must be a list of strings")
        if not isinstance(specials, list) or not all(isinstance(t, str) for t in specials):
            raise ValueError("Vocabulary: \"specials\" must be a list of strings")
        if itos[: len(specials)] != specials:
            raise ValueError(f"Vocabulary: the saved specials {specials[:10]} are not the first "
                             f"entries of itos {itos[: min(len(specials), 10)]}")
        tokens = {k: data.get(k, d) for k, d in (("pad_token", PAD), ("unk_token", UNK))}
        for key, token in tokens.items():
            if token is not None and not isinstance(token, str):
                raise ValueError(f"Vocabulary: \"{key}\" must be a string, got "
                                 f"{type(token).__name__}")
        freqs = data.get("freqs", {})
        if not isinstance(freqs, dict) or not all(
                isinstance(c, int) and not isinstance(c, bool) for c in freqs.values()):
            raise ValueError("Vocabulary: \"freqs\" must be an object of token → integer count")
        vocab = cls(min_freq=data.get("min_freq", 1), max_size=data.get("max_size"),
                    specials=specials, **tokens)
        vocab._set_itos(list(itos))
        vocab.freqs = Counter(freqs)
        return vocab

    def save(self, path) -> None:
        """Write the vocabulary as JSON (UTF-8): ids, specials, options and counts."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path) -> Vocabulary:
        """Read a vocabulary written by :meth:`save` (UTF-8 JSON; a byte-order mark is allowed).

        A file that is not one — not UTF-8, not JSON, not a saved vocabulary, or inconsistent —
        raises :class:`~chainrule.data.datasets.DatasetFormatError` (a ValueError) naming it."""
        from ..data.datasets._common import DatasetFormatError

        path = Path(path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise DatasetFormatError(f"{path}: not UTF-8 text (byte {e.start}, line {line}: "
                                     f"{e.reason}); Vocabulary.save writes UTF-8 JSON") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise DatasetFormatError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}, "
                                     f"column {e.colno})") from None
        except (ValueError, RecursionError) as e:    # e.g. an integer of over 4300 digits
            raise DatasetFormatError(f"{path}: not JSON that a saved vocabulary can be "
                                     f"({type(e).__name__}: {str(e)[:200]})") from None
        try:
            return cls.from_dict(data)
        except ValueError as e:
            raise DatasetFormatError(f"{path}: {e}") from None

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and self.to_dict() == other.to_dict()

    __hash__ = None

    def __repr__(self) -> str:
        return (f"Vocabulary({len(self)} tokens, specials={self.specials}, "
                f"min_freq={self.min_freq}, max_size={self.max_size})")
