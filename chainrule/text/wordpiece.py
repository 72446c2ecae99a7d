r"""BERT's WordPiece tokenizer: text → sub-word ids, from a ``vocab.txt`` (one token a line).

    >>> tok = WordPiece.from_folder(folder)                  # vocab.txt (+ tokenizer_config.json)
    >>> tok.tokenize("Unaffable café!")
    ['una', '##ffa', '##ble', 'cafe', '!']
    >>> batch = tok(["A cat.", "A much longer sentence."])   # padded NumPy int64 arrays
    >>> batch["input_ids"].shape, batch["attention_mask"][0]
    ((2, 7), array([1, 1, 1, 1, 1, 0, 0]))

The steps, in order (those of BERT's reference tokenizer, Devlin et al. 2019, for an uncased
vocabulary; each is deterministic and depends on nothing but the text and the vocabulary):

1. **Special tokens** written literally in the text (``[CLS]``, ``[SEP]``, ``[PAD]``, ``[MASK]``,
   ``[UNK]``, exact case) are kept whole and skip the steps below.
2. **Cleanup**: U+0000, U+FFFD and control/format characters (Unicode category C*, except tab,
   newline and carriage return) are deleted; every whitespace character becomes a space.
3. **CJK**: every CJK Unified Ideograph (the blocks U+4E00–9FFF, 3400–4DBF, 20000–2A6DF,
   2A700–2B73F, 2B740–2B81F, 2B820–2CEAF, F900–FAFF, 2F800–2FA1F) gets a space on either side, so
   each ideograph is a word. Hangul, Hiragana and Katakana are not in these blocks.
4. **Lowercase** (``lowercase=True``), each character on its own (so Σ → σ also at the end of a
   word, where Python's ``str.lower`` would write ς; the ``tokenizers`` library does the same),
   and **strip accents** (``strip_accents``, by default the same as ``lowercase``): Unicode NFD,
   then the nonspacing marks (category Mn) are dropped, so ``Café`` → ``cafe``.
5. **Words**: split on whitespace; every punctuation character (ASCII ``!"#$%&'()*+,-./:;<=>?@
   [\]^_`{|}~``, which includes symbols such as ``$`` and ``^``, and Unicode category P*) is a word
   of its own.
6. **WordPiece**, per word: a word longer than ``max_chars_per_word`` (100) characters is
   ``[UNK]``; otherwise greedy longest-match-first — the longest prefix in the vocabulary, then
   the longest ``##``-prefixed continuation of the rest, and so on; a word with any part that
   matches nothing is ``[UNK]`` as a whole (``unaffable`` → ``una ##ffa ##ble``).
7. **Assemble**: ``[CLS] a [SEP]`` (token type 0), or ``[CLS] a [SEP] b [SEP]`` for a pair (type 1
   from b on); truncated to ``max_length`` ids, the longer of the pair shortened first (one
   token at a time; on a tie, the first text, as the ``tokenizers`` library does); padded
   with ``[PAD]`` (attention mask 0) to the longest in the batch or to ``max_length``.

Numerics: none — ids are exact. Where implementations differ: the Rust ``tokenizers`` library
lists the fifth CJK block as 2B920–2CEAF; this module follows BERT's original 2B820–2CEAF.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import numpy as np

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def is_cjk(cp: int) -> bool:
    """Whether code point ``cp`` is a CJK Unified Ideograph (step 3's blocks)."""
    return any(lo <= cp <= hi for lo, hi in _CJK)


def is_punctuation(ch: str) -> bool:
    """ASCII punctuation and symbols (33–47, 58–64, 91–96, 123–126), or Unicode category P*."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class _Table(dict):
    """A ``str.translate`` table that computes each character's replacement on first sight."""

    def __init__(self, rule):
        super().__init__()
        self.rule = rule

    def __missing__(self, cp: int):
        out = self[cp] = self.rule(chr(cp))
        return out


def _clean(ch: str, split_cjk: bool = True):
    """Steps 2 and 3 for one character: None deletes it."""
    if ch in "\t\n\r":
        return " "
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD or unicodedata.category(ch).startswith("C"):
        return None                              # before the test for whitespace: \x0b goes
    if ch.isspace():
        return " "
    return f" {ch} " if split_cjk and is_cjk(cp) else ch


_CLEAN = {True: _Table(_clean), False: _Table(lambda ch: _clean(ch, False))}
_LOWER = _Table(str.lower)
_STRIP_MARKS = _Table(lambda ch: None if unicodedata.category(ch) == "Mn" else ch)
_ISOLATE_PUNCT = _Table(lambda ch: f" {ch} " if is_punctuation(ch) else ch)


class Encoding(NamedTuple):
    """One encoded text (or pair): its tokens, their ids and their token types (0 or 1)."""
    tokens: list[str]
    ids: list[int]
    token_type_ids: list[int]


def read_vocab(path: str | PathLike) -> dict[str, int]:
    """token → id from a vocab.txt: the token on line i (from 0) has id i."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise FileNotFoundError(f"WordPiece: no vocabulary file at {path}") from None
    if lines and lines[-1] == "":
        lines.pop()                              # the newline that ends the last line
    vocab = {token.rstrip("\r"): i for i, token in enumerate(lines)}
    if not vocab:
        raise ValueError(f"WordPiece: the vocabulary file {path} is empty")
    return vocab


class WordPiece:
    """BERT's tokenizer over a fixed vocabulary (see the module docstring for every step).

    ``vocab``: a path to vocab.txt, a token → id mapping, or a sequence of tokens (id = index).
    ``max_length`` bounds the ids of one encoded text, [CLS] and [SEP] included.
    """

    def __init__(self, vocab: str | PathLike | Mapping[str, int] | Sequence[str], *,
                 lowercase: bool = True, strip_accents: bool | None = None,
                 split_cjk: bool = True, max_length: int = 512, max_chars_per_word: int = 100,
                 prefix: str = "##", unk_token: str = "[UNK]", cls_token: str = "[CLS]",
                 sep_token: str = "[SEP]", pad_token: str = "[PAD]"):
        if isinstance(vocab, (str, PathLike)):
            vocab = read_vocab(vocab)
        elif not isinstance(vocab, Mapping):
            vocab = {token: i for i, token in enumerate(vocab)}
        self.vocab: dict[str, int] = dict(vocab)
        self.inverse = {i: t for t, i in self.vocab.items()}
        missing = [t for t in (unk_token, cls_token, sep_token, pad_token) if t not in self.vocab]
        if missing:
            raise ValueError(f"WordPiece: the vocabulary ({len(self.vocab)} tokens) lacks the "
                             f"special tokens {missing}")
        if not isinstance(max_length, int) or max_length < 3:
            raise ValueError(f"WordPiece: max_length must be an integer ≥ 3 ([CLS], one token, "
                             f"[SEP]), got {max_length!r}")
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.split_cjk = split_cjk
        self.max_length = max_length
        self.max_chars_per_word = max_chars_per_word
        self.prefix = prefix
        self.unk_token, self.cls_token, self.sep_token = unk_token, cls_token, sep_token
        self.pad_token = pad_token
        self.pad_id = self.vocab[pad_token]
        self.specials = [t for t in SPECIALS if t in self.vocab]
        self._special_re = re.compile("(" + "|".join(map(re.escape, self.specials)) + ")")
        self._longest = max(map(len, self.vocab))
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_folder(cls, folder: str | PathLike, **overrides) -> WordPiece:
        """The tokenizer of a BERT model folder: vocab.txt, with the options of
        tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars) and the
        length limit of sentence_bert_config.json (max_seq_length) or tokenizer_config.json
        (model_max_length), where those files exist. ``overrides`` win over the files."""
        folder = Path(folder)
        options: dict = {}
        config = _read_json(folder / "tokenizer_config.json")
        if "do_lower_case" in config:
            options["lowercase"] = bool(config["do_lower_case"])
        if config.get("strip_accents") is not None:
            options["strip_accents"] = bool(config["strip_accents"])
        if "tokenize_chinese_chars" in config:
            options["split_cjk"] = bool(config["tokenize_chinese_chars"])
        limit = _read_json(folder / "sentence_bert_config.json").get("max_seq_length")
        limit = limit or config.get("model_max_length")
        if isinstance(limit, int) and 3 <= limit <= 100_000:
            options["max_length"] = limit
        options.update(overrides)
        return cls(folder / "vocab.txt", **options)

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return (f"WordPiece({len(self.vocab)} tokens, lowercase={self.lowercase}, "
                f"strip_accents={self.strip_accents}, max_length={self.max_length})")

    # ------------------------------------------------------------------ text → tokens
    def normalize(self, text: str) -> str:
        """Steps 2–4: cleanup, spaces around CJK ideographs, lowercase, accents stripped."""
        text = text.translate(_CLEAN[self.split_cjk])
        if self.lowercase:
            text = text.lower() if text.isascii() else text.translate(_LOWER)
        if self.strip_accents and not text.isascii():
            text = unicodedata.normalize("NFD", text).translate(_STRIP_MARKS)
        return text

    def words(self, text: str) -> list[str]:
        """Steps 2–5: the normalized text split into words and punctuation marks."""
        return self.normalize(text).translate(_ISOLATE_PUNCT).split()

    def wordpiece(self, word: str) -> tuple[str, ...]:
        """Step 6: one word's sub-word tokens, greedy longest-match-first (cached)."""
        pieces = self._cache.get(word)
        if pieces is not None:
            return pieces
        if len(word) > self.max_chars_per_word:
            return (self.unk_token,)
        pieces, start, n = [], 0, len(word)
        while start < n:
            lead = self.prefix if start else ""
            for end in range(min(n, start + self._longest), start, -1):
                piece = lead + word[start:end]
                if piece in self.vocab:
                    break
            else:
                pieces = [self.unk_token]
                break
            pieces.append(piece)
            start = end
        pieces = tuple(pieces)
        if len(self._cache) < 1_000_000:
            self._cache[word] = pieces
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """Steps 1–6: the sub-word tokens of ``text``, without [CLS]/[SEP]."""
        if not isinstance(text, str):
            raise TypeError(f"WordPiece.tokenize: expected a str, got {type(text).__name__}")
        out: list[str] = []
        for i, part in enumerate(self._special_re.split(text) if self.specials else [text]):
            if i % 2:
                out.append(part)                          # a special token, written literally
                continue
            for word in self.words(part):
                out.extend(self.wordpiece(word))
        return out

    # ------------------------------------------------------------------ tokens ↔ ids
    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        unk = self.vocab[self.unk_token]
        return [self.vocab.get(t, unk) for t in tokens]

    def convert_ids_to_tokens(self, ids) -> list[str]:
        try:
            return [self.inverse[int(i)] for i in ids]
        except KeyError as e:
            raise ValueError(f"WordPiece: id {e.args[0]} is not in the vocabulary (ids run from "
                             f"0 to {len(self.vocab) - 1})") from None

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        """The text of ``ids``: tokens joined by spaces, ``##`` continuations glued to the
        token before. Lowercasing, accents and the spacing around punctuation are not undone."""
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self.specials or t == self.unk_token]
        return " ".join(tokens).replace(" " + self.prefix, "")

    # ------------------------------------------------------------------ encoding
    def encode(self, text: str, pair: str | None = None, max_length: int | None = None,
               truncation: bool = True) -> Encoding:
        """Step 7 for one text (or pair): [CLS] a [SEP] (b [SEP]), at most ``max_length`` ids
        (default: the tokenizer's); ``truncation=False`` raises instead of cutting."""
        limit = self.max_length if max_length is None else max_length
        a = self.tokenize(text)
        b = self.tokenize(pair) if pair is not None else None
        budget = limit - (2 if b is None else 3)
        if budget < 0:
            raise ValueError(f"WordPiece.encode: max_length {limit} leaves no room for the "
                             "special tokens")
        total = len(a) + (len(b) if b is not None else 0)
        if total > budget:
            if not truncation:
                raise ValueError(f"WordPiece.encode: {total} tokens and the special tokens "
                                 f"exceed max_length {limit}, and truncation=False")
            if b is None:
                a = a[:budget]
            while b is not None and len(a) + len(b) > budget:
                (a if len(a) >= len(b) else b).pop()     # longest first; a tie trims a
        tokens = [self.cls_token, *a, self.sep_token]
        types = [0] * len(tokens)
        if b is not None:
            tokens += [*b, self.sep_token]
            types += [1] * (len(b) + 1)
        return Encoding(tokens, self.convert_tokens_to_ids(tokens), types)

    def __call__(self, texts: str | Sequence[str], pairs: Sequence[str] | None = None,
                 padding: bool | str = True, max_length: int | None = None,
                 truncation: bool = True) -> dict[str, np.ndarray]:
        """A batch as NumPy int64 arrays (N, L): ``input_ids``, ``token_type_ids`` and
        ``attention_mask`` (1 for a real token, 0 for padding). ``padding``: True or 'longest'
        pads to the longest text of the batch, 'max_length' to ``max_length``."""
        if isinstance(texts, str):
            texts = [texts]
        if pairs is not None and len(pairs) != len(texts):
            raise ValueError(f"WordPiece: {len(texts)} texts but {len(pairs)} pairs")
        if padding not in (True, "longest", "max_length"):
            raise ValueError(f"WordPiece: padding must be True, 'longest' or 'max_length', got "
                             f"{padding!r}")
        limit = self.max_length if max_length is None else max_length
        encoded = [self.encode(t, None if pairs is None else pairs[i], limit, truncation)
                   for i, t in enumerate(texts)]
        width = limit if padding == "max_length" else max((len(e.ids) for e in encoded),
                                                           default=2)
        ids = np.full((len(encoded), width), self.pad_id, np.int64)
        types = np.zeros((len(encoded), width), np.int64)
        mask = np.zeros((len(encoded), width), np.int64)
        for i, e in enumerate(encoded):
            ids[i, :len(e.ids)] = e.ids
            types[i, :len(e.ids)] = e.token_type_ids
            mask[i, :len(e.ids)] = 1
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"WordPiece: {path} is not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise ValueError(f"WordPiece: {path} holds a {type(value).__name__}, expected a JSON "
                         "object")
    return value
