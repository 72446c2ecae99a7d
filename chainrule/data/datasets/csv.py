"""Tables from CSV files: one sample per row, numeric feature columns and one label column."""
from __future__ import annotations

import csv as _csv
import io
from pathlib import Path

from ... import backend
from ...backend import xp
from ._common import DatasetFormatError, DatasetNotFoundError


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _label_index(label_column, header, width: int, path) -> int | None:
    if label_column is None:
        return None
    if isinstance(label_column, str):
        if header is None:
            raise ValueError(f"load_csv: label_column={label_column!r} names a column, but "
                             f"{path} has no header row; give the column's index instead")
        if label_column not in header:
            raise ValueError(f"load_csv: {path} has no column {label_column!r}; its columns are "
                             f"{header}")
        return header.index(label_column)
    index = int(label_column)
    if not -width <= index < width:
        raise ValueError(f"load_csv: label_column={index} is out of range for {width} columns "
                         f"in {path}")
    return index % width


def read_text(path, encoding: str, what: str) -> str:
    """The text of ``path``, decoded; a byte-order mark is dropped (utf-8-sig), and bytes the
    encoding cannot decode are an error naming the file, the line and the ``encoding=`` option
    to use instead (rather than a bare UnicodeDecodeError)."""
    raw = Path(path).read_bytes()
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        encoding = "utf-8-sig"           # UTF-8, and a leading byte-order mark is not data
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise DatasetFormatError(
            f"{path}, line {line}: byte 0x{raw[e.start]:02X} is not valid {e.encoding}; the "
            f"file is in another encoding: give it to {what} with encoding=... (e.g. "
            f"encoding='latin-1' or 'cp1252')") from None


_EXACT_INTEGERS = 2 ** 53       # float64 holds every integer up to this magnitude exactly


def _numeric_labels(labels, dtype, path, line0):
    """Integer labels (all integral) as int64, other numbers as ``dtype``; a label that is not
    finite, or integral but too large to be a class or count, is an error naming its line."""
    numbers = xp.asarray([float(s) for s in labels])
    bad = ~xp.isfinite(numbers)
    integral = not bad.any() and bool((numbers == xp.round(numbers)).all())
    if integral:
        bad = xp.abs(numbers) > _EXACT_INTEGERS
    if bad.any():
        r = int(xp.argmax(bad))
        raise DatasetFormatError(f"{path}, line {r + line0}: label {labels[r]!r} is "
                                 + ("not a finite number" if not integral else
                                    "too large for an integer label (over 2**53)"))
    return numbers.astype(xp.int64) if integral else numbers.astype(dtype)


def load_csv(path, label_column: int | str | None = -1, *, delimiter: str = ",",
             header: bool | None = None, dtype=None, return_classes: bool = False,
             encoding: str = "utf-8"):
    """Read a CSV file: ``(features (N, F), labels (N,))``.

    Args:
        path: the file.
        label_column: the label's column, by index (default: the last) or by header name; None
            for a table without labels (then labels is None).
        delimiter: the field separator.
        header: whether the first row names the columns; None decides from the data (a first
            row with a non-numeric feature field is a header).
        dtype: the features' dtype (default: chainrule's default float, float32).
        return_classes: also return the class names (see below), as a third value.
        encoding: the text encoding (UTF-8 by default, with or without a byte-order mark).

    Features must all be numbers; a missing or non-numeric one is an error naming its row and
    column. Labels that are all integers become int64; other numbers become ``dtype`` (a
    regression target); text labels become int64 indices into the sorted class names. A label
    that is not finite, or an integer too large to be exact (like ``1e30``), is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"load_csv: no file {path}")
    reader = _csv.reader(io.StringIO(read_text(path, encoding, "load_csv"), newline=""),
                         delimiter=delimiter)
    try:
        rows = [row for row in reader if row]
    except _csv.Error as e:            # e.g. a field over the csv module's size limit
        raise DatasetFormatError(f"{path}, line {reader.line_num}: not readable as CSV ({e})"
                                 ) from None
    if not rows:
        raise DatasetFormatError(f"{path}: the file has no rows")
    width = len(rows[0])
    first = [s.strip() for s in rows[0]]
    names = None
    if header is None:
        guess = _label_index(label_column if isinstance(label_column, int) or label_column is None
                             else -1, None, width, path)
        header = any(not _is_number(s) for i, s in enumerate(first) if i != guess) \
            or isinstance(label_column, str)
    if header:
        names, rows = first, rows[1:]
    label = _label_index(label_column, names, width, path)
    if not rows:
        raise DatasetFormatError(f"{path}: the file has a header but no data rows")
    feature_cols = [i for i in range(width) if i != label]
    line0 = 2 if header else 1
    features, labels = [], []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise DatasetFormatError(f"{path}, line {r + line0}: {len(row)} fields, expected "
                                     f"{width} (as in the first row)")
        values = []
        for i in feature_cols:
            s = row[i].strip()
            try:
                values.append(float(s))
            except ValueError:
                col = repr(names[i]) if names else str(i)
                what = "a missing value" if s == "" else f"{s!r} is not a number"
                raise DatasetFormatError(f"{path}, line {r + line0}, column {col}: {what}; "
                                         f"feature columns must be numeric") from None
        features.append(values)
        if label is not None:
            labels.append(row[label].strip())
    dtype = backend.get_default_dtype() if dtype is None else xp.dtype(dtype)
    x = xp.asarray(features, dtype=dtype).reshape(len(rows), len(feature_cols))
    y, classes = None, None
    if label is not None:
        if all(_is_number(s) for s in labels):
            y = _numeric_labels(labels, dtype, path, line0)
        else:
            classes = tuple(sorted(set(labels)))
            lookup = {c: i for i, c in enumerate(classes)}
            y = xp.asarray([lookup[s] for s in labels], dtype=xp.int64)
    return (x, y, classes) if return_classes else (x, y)
