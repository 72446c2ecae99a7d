"""Readers for the forms sentiment data comes in.

- :func:`load_imdb_folder`: the Large Movie Review Dataset as distributed (``aclImdb/``):
  ``train|test/pos|neg/*.txt``, one review a file (file names ``<id>_<rating>.txt``).
- :func:`load_csv`: a CSV or TSV file with a text column and a label column.
- :func:`load_keras_imdb`: Keras's ``imdb.npz`` (reviews already as word-index lists) with the
  same options and result as ``keras.datasets.imdb.load_data``; :func:`load_keras_word_index`
  and :func:`decode_keras_review` for its ``imdb_word_index.json``.

Text readers return :class:`LabeledTexts` (texts, labels as int64, the class names, in label
order). Nothing here downloads anything: point the functions at files you have.

About ``imdb.npz`` and pickle. Keras stores each review as a Python list, so the file's x arrays
are NumPy *object* arrays, whose ``.npy`` payload is a pickle; ``np.load(allow_pickle=False)``
refuses them, and ``allow_pickle=True`` would run whatever code a tampered file contains. This
module reads the numeric arrays with ``allow_pickle=False`` and the object arrays with chainrule's
own pickle interpreter (:func:`chainrule.data.datasets.safe_pickle.loads`), which executes
nothing: it builds lists, numbers and the arrays itself, admits no global beyond NumPy's array
reconstructor, ``numpy.ndarray`` and ``numpy.dtype`` (``os.system``, ``builtins.eval``, … are
refused before anything is built), and checks an array's declared shape against the elements
actually present — a 1.3 KB file declaring 10⁹ elements is an error, not an 8 GB allocation
through NumPy's ``__setstate__``.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ..backend import xp as np


class LabeledTexts(NamedTuple):
    """Texts with integer labels; ``classes[label]`` is a label's name."""

    texts: list
    labels: object          # int64 array (N,)
    classes: tuple


# --------------------------------------------------------------------------- IMDB folders
IMDB_CLASSES = ("neg", "pos")


def load_imdb_folder(root, split: str = "train", max_per_class: int | None = None,
                     encoding: str = "utf-8") -> LabeledTexts:
    """The reviews of ``root/split/{neg,pos}/*.txt``: labels 0 = neg, 1 = pos.

    ``root`` is the folder holding ``train/`` and ``test/`` (``aclImdb``). Files are read in
    name order (deterministic); ``max_per_class`` keeps the first n of each class. Reviews are
    returned as they are (with their ``<br />`` tags; :func:`chainrule.text.tokenize` strips
    them).
    """
    root = Path(root)
    if split not in ("train", "test"):
        raise ValueError(f"load_imdb_folder: split must be 'train' or 'test', got {split!r}")
    base = root / split
    texts, labels = [], []
    for label, name in enumerate(IMDB_CLASSES):
        folder = base / name
        if not folder.is_dir():
            raise FileNotFoundError(f"load_imdb_folder: no folder {folder}; expected the layout "
                                    f"{root}/{{train,test}}/{{pos,neg}}/*.txt (the aclImdb "
                                    "folder of the Large Movie Review Dataset)")
        files = sorted(folder.glob("*.txt"), key=_review_order)
        if max_per_class is not None:
            files = files[:max_per_class]
        for f in files:
            texts.append(f.read_text(encoding=encoding, errors="replace"))
            labels.append(label)
    return LabeledTexts(texts, np.asarray(labels, dtype=np.int64), IMDB_CLASSES)


def _review_order(path: Path):
    """``<id>_<rating>.txt`` in numeric id order; other names after, alphabetically."""
    stem = path.stem.split("_")[0]
    return (0, int(stem), path.name) if stem.isdigit() else (1, 0, path.name)


# --------------------------------------------------------------------------- CSV / TSV
def _delimiter(path: Path, sample: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    if path.suffix.lower() == ".csv":
        return ","
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def load_csv(path, text_column: str | int = "text", label_column: str | int = "label",
             delimiter: str | None = None, classes: Sequence[str] | None = None,
             header: bool = True, encoding: str = "utf-8") -> LabeledTexts:
    """Texts and labels from a delimited file (``.csv`` → comma, ``.tsv`` → tab, else sniffed).

    Columns are named (with a header row) or numbered from 0. Labels: if ``classes`` is given,
    each label must be one of them (its position is the id); otherwise labels that are all
    integers are kept as they are (classes are their string forms 0…max), and any other labels
    are numbered in sorted order (``negative`` → 0, ``positive`` → 1).
    """
    from ..data.datasets._common import DatasetFormatError
    from ..data.datasets.csv import read_text

    path = Path(path)
    raw = read_text(path, encoding, "load_csv")   # a BOM dropped; undecodable bytes named
    sep = delimiter or _delimiter(path, raw[:4096])
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=sep)
    try:
        rows = list(reader)
    except csv.Error as e:             # e.g. a field over the csv module's size limit
        raise DatasetFormatError(f"{path}, line {reader.line_num}: not readable as CSV ({e})"
                                 ) from None
    if not rows:
        raise ValueError(f"load_csv: {path} is empty")
    columns = rows[0] if header else None
    body = rows[1:] if header else rows

    def position(column, role: str) -> int:
        if isinstance(column, int):
            return column
        if columns is None:
            raise ValueError(f"load_csv: {role} column {column!r} is a name but header=False; "
                             "give its position (0, 1, …)")
        if column not in columns:
            raise ValueError(f"load_csv: {role} column {column!r} not found in {path}; the header "
                             f"has {columns}")
        return columns.index(column)

    ti, li = position(text_column, "text"), position(label_column, "label")
    texts, raw_labels = [], []
    for line, row in enumerate(body, start=2 if header else 1):
        if not row:
            continue
        if max(ti, li) >= len(row):
            raise ValueError(f"load_csv: {path} line {line} has {len(row)} fields, but the text "
                             f"and label columns are at positions {ti} and {li} (delimiter "
                             f"{sep!r})")
        texts.append(row[ti])
        raw_labels.append(row[li].strip())
    labels, names = _label_ids(raw_labels, classes, path)
    return LabeledTexts(texts, labels, names)


def _label_ids(raw: list[str], classes, path) -> tuple:
    if classes is not None:
        index = {str(c): i for i, c in enumerate(classes)}
        unknown = sorted({r for r in raw if r not in index})
        if unknown:
            raise ValueError(f"load_csv: {path} has labels {unknown[:5]} that are not among "
                             f"classes {list(classes)}")
        return np.asarray([index[r] for r in raw], dtype=np.int64), tuple(str(c) for c in classes)
    try:
        ints = [int(r) for r in raw]
    except ValueError:
        names = tuple(sorted(set(raw)))
        index = {c: i for i, c in enumerate(names)}
        return np.asarray([index[r] for r in raw], dtype=np.int64), names
    if ints and min(ints) < 0:
        raise ValueError(f"load_csv: {path} has negative integer labels (e.g. {min(ints)}); give "
                         "classes=[...] to map them")
    top = max(ints, default=-1)
    return np.asarray(ints, dtype=np.int64), tuple(str(i) for i in range(top + 1))


# --------------------------------------------------------------------------- Keras imdb.npz
def _read_member(data: bytes, name: str):
    f = io.BytesIO(data)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    if not dtype.hasobject:
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)
    from ..data.datasets.safe_pickle import loads

    obj = loads(f.read(), name, object_arrays=True)    # nothing in it is ever executed
    if not isinstance(obj, np.ndarray):
        raise ValueError(f"{name}: expected an array, the pickle holds a {type(obj).__name__}")
    return obj


NPZ_MAX_BYTES = 1 << 30
"""The most the arrays of one ``.npz`` may inflate to, by their declared sizes (Keras's imdb.npz:
about 75 MB); a larger total is refused before anything is inflated."""


def read_npz(path) -> dict:
    """Every array of a ``.npz`` file, object arrays included, without running pickled code
    (see the module docstring); the declared sizes are checked against :data:`NPZ_MAX_BYTES`
    first."""
    from ..data.datasets._common import DatasetFormatError
    from ..serialization.pickle_vm import PickleFormatError

    out = {}
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if i.filename.endswith(".npy")]
            total = sum(i.file_size for i in infos)
            if total > NPZ_MAX_BYTES:
                big = max(infos, key=lambda i: i.file_size)
                raise DatasetFormatError(
                    f"{path}: its arrays would inflate to {total:,} bytes ({big.filename}: "
                    f"{big.file_size:,}), over the limit chainrule.text.loaders.NPZ_MAX_BYTES = "
                    f"{NPZ_MAX_BYTES:,} (a zip bomb, or a file this reader is not meant for); "
                    "nothing was inflated")
            for info in infos:
                member = info.filename
                name = f"{path}: {member}"
                try:      # zipfile stops at the declared size (and checks the CRC there)
                    out[member[:-4]] = _read_member(zf.read(info), name)
                except PickleFormatError:
                    raise              # names the file and the byte already
                except (ValueError, EOFError, OSError) as e:
                    if str(path) in str(e):
                        raise
                    raise DatasetFormatError(f"{name}: not a valid .npy array ({e})"
                                             ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError,
            zlib.error) as e:
        if isinstance(e, FileNotFoundError) or str(path) in str(e):
            raise
        raise DatasetFormatError(f"{path}: not a valid .npz (zip) file ({type(e).__name__}: {e})"
                                 ) from None
    return out


def _as_int_lists(x, what: str) -> list:
    try:
        return [[int(w) for w in seq] for seq in x]
    except (TypeError, ValueError):
        raise ValueError(f"load_keras_imdb: {what} should hold sequences of word indices") from None


def load_keras_imdb(path, num_words: int | None = None, skip_top: int = 0,
                    maxlen: int | None = None, seed: int | None = 113, start_char: int | None = 1,
                    oov_char: int | None = 2, index_from: int = 3):
    """``((x_train, y_train), (x_test, y_test))`` from Keras's ``imdb.npz``, as
    ``keras.datasets.imdb.load_data`` gives them (same arguments, same transformations).

    Each x is a list of reviews, each a list of int word ids: a word's id is its frequency rank
    (1 = most frequent) + ``index_from``; 0 is left for padding, ``start_char`` begins every
    review, words outside [skip_top, num_words) become ``oov_char`` (or are dropped if it is
    None). ``maxlen`` drops longer reviews; ``seed`` shuffles each split as Keras does (None: file
    order). y are int64 arrays of 0 (negative) and 1 (positive). (Keras returns each x as an
    object array of lists; here it is a plain list of lists, ready for
    :func:`chainrule.text.pad_sequences`.)
    """
    arrays = read_npz(path)
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise ValueError(f"load_keras_imdb: {path} lacks {missing}; it has {sorted(arrays)} "
                         "(expected Keras's imdb.npz)")
    splits = []
    rng = np.random.RandomState(seed) if seed is not None else None   # one stream, as Keras
    for part in ("train", "test"):
        xs = _as_int_lists(arrays[f"x_{part}"], f"x_{part}")
        ys = np.asarray(arrays[f"y_{part}"]).astype(np.int64)
        if len(xs) != len(ys):
            raise ValueError(f"load_keras_imdb: x_{part} has {len(xs)} reviews but y_{part} "
                             f"{len(ys)} labels")
        if rng is not None:
            order = np.arange(len(xs))
            rng.shuffle(order)
            xs, ys = [xs[i] for i in order], ys[order]
        splits.append((xs, ys))
    xs = splits[0][0] + splits[1][0]
    labels = np.concatenate([splits[0][1], splits[1][1]])
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    n_train = len(splits[0][0])
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        n_train = sum(1 for i in keep if i < len(splits[0][0]))
        xs, labels = [xs[i] for i in keep], labels[keep]
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return (xs[:n_train], labels[:n_train]), (xs[n_train:], labels[n_train:])


def load_keras_word_index(path) -> dict:
    """Keras's ``imdb_word_index.json``: word → frequency rank (1 = most frequent)."""
    from ..data.datasets import DatasetFormatError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise DatasetFormatError(f"load_keras_word_index: {path} is not UTF-8 text ({e})"
                                 ) from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise DatasetFormatError(f"load_keras_word_index: {path} is not valid JSON ({e})"
                                 ) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and type(v) is int
                                             for k, v in data.items()):
        raise DatasetFormatError(f"load_keras_word_index: {path} is not a JSON object of word → "
                                 "integer rank")
    return data


def decode_keras_review(ids, word_index: dict, index_from: int = 3, start_char: int | None = 1,
                        oov_char: int | None = 2) -> str:
    """The words of a review encoded by :func:`load_keras_imdb` (ids shifted by ``index_from``);
    padding (0) is dropped, the start mark is ``<start>`` and out-of-vocabulary ids ``<unk>``."""
    words = {rank + index_from: w for w, rank in word_index.items()}
    out = []
    for i in ids:
        i = int(i)
        if i == 0:
            continue
        if start_char is not None and i == start_char:
            out.append("<start>")
        elif oov_char is not None and i == oov_char:
            out.append("<unk>")
        else:
            out.append(words.get(i, "<unk>"))
    return " ".join(out)
