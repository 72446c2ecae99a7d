"""Text loaders on damaged or foreign-encoded files (issue 12)."""
from __future__ import annotations

import pytest


def test_text_csv_latin1_and_bom(tmp_path):
    """Issue 12: a Latin-1 text CSV raised a bare UnicodeDecodeError; a byte-order mark became
    part of the first column's name."""
    from chainrule.data.datasets import DatasetFormatError
    from chainrule.text import load_csv

    path = tmp_path / "reviews.csv"
    path.write_bytes("text,label\ntr\u00e8s bien,1\nnul,0\n".encode("latin-1"))
    with pytest.raises(DatasetFormatError, match=r"reviews\.csv, line 2: .*encoding="):
        load_csv(path)
    assert load_csv(path, encoding="latin-1").texts[0] == "tr\u00e8s bien"
    path.write_bytes(b"\xef\xbb\xbftext,label\ngood,1\nbad,0\n")
    assert list(load_csv(path).texts) == ["good", "bad"]
