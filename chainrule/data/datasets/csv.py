"""Tables from CSV files: one sample per row, numeric feature columns and one label column."""
from __future__ import annotations

import csv as _csv
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

    Features must all be numbers; a missing or non-numeric one is an error naming its row and
    column. Labels that are all integers become int64; other numbers become ``dtype`` (a
    regression target); text labels become int64 indices into the sorted class names.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"load_csv: no file {path}")
    with open(path, newline="", encoding=encoding) as f:
        rows = [row for row in _csv.reader(f, delimiter=delimiter) if row]
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
            numbers = xp.asarray([float(s) for s in labels])
            y = numbers.astype(xp.int64) if (numbers == xp.round(numbers)).all() else \
                numbers.astype(dtype)
        else:
            classes = tuple(sorted(set(labels)))
            lookup = {c: i for i, c in enumerate(classes)}
            y = xp.asarray([lookup[s] for s in labels], dtype=xp.int64)
    return (x, y, classes) if return_classes else (x, y)
