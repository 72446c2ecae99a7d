"""chainrule.text: tokenizer, vocabulary, padding, and the dataset readers on files written here."""
import json
import os
import pickle

import numpy as np
import pytest

from chainrule import text
from chainrule.text import (
    UnknownTokenError,
    Vocabulary,
    decode_keras_review,
    encode_texts,
    load_csv,
    load_imdb_folder,
    load_keras_imdb,
    load_keras_word_index,
    pad_sequences,
    read_npz,
    tokenize,
)


# ------------------------------------------------------------------ tokenizer
def test_tokenize_lowercases_and_splits_on_punctuation_and_whitespace():
    review = "This movie was GREAT!!  Loved it.<br /><br />10/10,\tdon't miss—it's a must-see"
    assert tokenize(review) == ["this", "movie", "was", "great", "loved", "it", "10", "10",
                                "don't", "miss", "it's", "a", "must", "see"]
    assert tokenize("Ünïcode café, naïve") == ["ünïcode", "café", "naïve"]
    assert tokenize("snake_case and CamelCase", lower=False) == ["snake", "case", "and",
                                                                  "CamelCase"]
    assert tokenize("") == [] and tokenize("  !!! ") == []


def test_tokenize_punctuation_html_and_ngrams():
    assert tokenize("Wow!! Really?", keep_punctuation=True) == ["wow", "!", "!", "really", "?"]
    assert tokenize("a <b>bold</b> claim", strip_html=False) == ["a", "b", "bold", "b", "claim"]
    assert tokenize("not good at all", ngrams=2) == ["not", "good", "at", "all", "not good",
                                                     "good at", "at all"]
    assert tokenize("a b c", ngrams=3)[-1] == "a b c"
    assert tokenize("one", ngrams=3) == ["one"]
    tok = text.Tokenizer(ngrams=2, keep_punctuation=True)
    assert tok("Bad!") == ["bad", "!", "bad !"]
    assert tok.batch(["A", "B c"]) == [["a"], ["b", "c", "b c"]]
    with pytest.raises(ValueError, match="ngrams must be an integer ≥ 1"):
        tokenize("x", ngrams=0)
    with pytest.raises(TypeError, match="expected a str"):
        tokenize(["a list"])


# ------------------------------------------------------------------ vocabulary
CORPUS = [["a", "good", "film"], ["a", "bad", "film"], ["a", "film", "a", "plot"], ["rare"]]


def test_vocabulary_order_min_freq_and_max_size():
    vocab = Vocabulary().build(CORPUS)
    # specials, then by count (a: 4, film: 3), ties alphabetically (bad, good, plot, rare: 1)
    assert vocab.itos == ["<pad>", "<unk>", "a", "film", "bad", "good", "plot", "rare"]
    assert vocab.pad_index == 0 and vocab.unk_index == 1 and len(vocab) == 8
    assert Vocabulary(min_freq=2).build(CORPUS).itos == ["<pad>", "<unk>", "a", "film"]
    assert Vocabulary(max_size=3).build(CORPUS).itos == ["<pad>", "<unk>", "a"]
    assert Vocabulary.from_tokens(CORPUS, min_freq=3).itos == ["<pad>", "<unk>", "a", "film"]
    assert vocab.freqs["a"] == 4 and "a" in vocab and "zebra" not in vocab


def test_vocabulary_encode_decode_and_unknown_tokens():
    vocab = Vocabulary().build(CORPUS)
    ids = vocab.encode(["a", "great", "film"])
    assert ids == [2, 1, 3] and vocab["film"] == 3 and vocab["great"] == 1
    assert vocab.decode([2, 5, 3, 0, 0]) == ["a", "good", "film"]
    assert vocab.decode([2, 0], skip_pad=False) == ["a", "<pad>"]
    with pytest.raises(IndexError, match="id 99 is out of range: ids run from 0 to 7"):
        vocab.decode([99])
    strict = Vocabulary(specials=["<pad>"]).build(CORPUS)
    assert strict.unk_index is None and strict.encode(["a", "film"]) == [1, 2]
    with pytest.raises(UnknownTokenError, match="'great' is not in the vocabulary.*no '<unk>'"):
        strict.encode(["a", "great"])
    with pytest.raises(KeyError):                     # UnknownTokenError is a KeyError
        strict["great"]
    with pytest.raises(TypeError, match="tokenize first"):
        vocab.encode("a sentence")
    with pytest.raises(TypeError, match="expected lists of tokens"):
        Vocabulary().build(["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary(specials=["<pad>", "<pad>"])
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary(max_size=1)


def test_vocabulary_save_load_json(tmp_path):
    vocab = Vocabulary(min_freq=1, max_size=7, specials=["<pad>", "<unk>", "<cls>"]).build(CORPUS)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["itos"][:3] == ["<pad>", "<unk>", "<cls>"] and data["max_size"] == 7
    loaded = Vocabulary.load(path)
    assert loaded == vocab and loaded.itos == vocab.itos
    assert loaded.encode(["a", "zzz"]) == vocab.encode(["a", "zzz"])
    assert loaded.freqs == vocab.freqs
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"itos": ["a"]}))
    with pytest.raises(ValueError, match="not a saved vocabulary"):
        Vocabulary.load(bad)
    unicode = Vocabulary().build([["café", "日本"]])
    unicode.save(tmp_path / "u.json")
    assert Vocabulary.load(tmp_path / "u.json").itos == unicode.itos


# ------------------------------------------------------------------ encode / pad / truncate
def test_pad_sequences_post_and_pre():
    seqs = [[5, 6, 7], [8], [], [1, 2, 3, 4, 5]]
    ids, lengths = pad_sequences(seqs, max_len=4)
    assert ids.dtype == np.int64 and lengths.dtype == np.int64 and ids.shape == (4, 4)
    assert ids.tolist() == [[5, 6, 7, 0], [8, 0, 0, 0], [0, 0, 0, 0], [1, 2, 3, 4]]
    assert lengths.tolist() == [3, 1, 0, 4]
    ids, lengths = pad_sequences(seqs, max_len=3, padding="pre", truncating="pre", pad_value=9)
    assert ids.tolist() == [[5, 6, 7], [9, 9, 8], [9, 9, 9], [3, 4, 5]]
    assert lengths.tolist() == [3, 1, 0, 3]
    ids, lengths = pad_sequences(seqs)                # the longest
    assert ids.shape == (4, 5) and lengths.tolist() == [3, 1, 0, 5]
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences(seqs, padding="left")


def test_encode_texts_end_to_end():
    texts = ["A good film!", "A bad, bad film.", "Unseen words only"]
    vocab = Vocabulary().build(tokenize(t) for t in texts[:2])
    ids, lengths = encode_texts(texts, vocab, max_len=4)
    assert ids.shape == (3, 4) and lengths.tolist() == [3, 4, 3]
    assert vocab.decode(ids[1]) == ["a", "bad", "bad", "film"]
    assert ids[2].tolist() == [1, 1, 1, 0]             # unknown → <unk>, then <pad>
    no_pad = Vocabulary(specials=["<unk>"]).build([["a"]])
    with pytest.raises(ValueError, match="no '<pad>' entry"):
        no_pad.encode_batch([["a"]])


# ------------------------------------------------------------------ IMDB folder layout
def _write_imdb(root):
    reviews = {("train", "pos"): {"10_9.txt": "Loved it<br />great", "2_8.txt": "Fine film"},
               ("train", "neg"): {"0_1.txt": "Awful.", "11_2.txt": "Bad, bad."},
               ("test", "pos"): {"0_10.txt": "Superb"},
               ("test", "neg"): {"0_3.txt": "Dull", "1_4.txt": "Weak"}}
    for (split, label), files in reviews.items():
        folder = root / split / label
        folder.mkdir(parents=True)
        for name, body in files.items():
            (folder / name).write_text(body, encoding="utf-8")
    (root / "train" / "unsup").mkdir()                  # present in aclImdb, ignored


def test_load_imdb_folder(tmp_path):
    root = tmp_path / "aclImdb"
    _write_imdb(root)
    data = load_imdb_folder(root, "train")
    assert data.texts == ["Awful.", "Bad, bad.", "Fine film", "Loved it<br />great"]
    assert data.labels.tolist() == [0, 0, 1, 1] and data.labels.dtype == np.int64
    assert data.classes == ("neg", "pos")
    texts, labels, _ = load_imdb_folder(root, "test", max_per_class=1)
    assert texts == ["Dull", "Superb"] and labels.tolist() == [0, 1]
    with pytest.raises(FileNotFoundError, match=r"train,test\}/\{pos,neg\}"):
        load_imdb_folder(tmp_path, "train")
    with pytest.raises(ValueError, match="split must be"):
        load_imdb_folder(root, "valid")


# ------------------------------------------------------------------ CSV / TSV
def test_load_csv_with_quotes_string_labels_and_tsv(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,review,sentiment\n1,"Great, truly great",positive\n'
                    '2,"Line one\nline two",negative\n3,Meh,negative\n', encoding="utf-8")
    data = load_csv(path, text_column="review", label_column="sentiment")
    assert data.texts == ["Great, truly great", "Line one\nline two", "Meh"]
    assert data.labels.tolist() == [1, 0, 0] and data.classes == ("negative", "positive")
    mapped = load_csv(path, "review", "sentiment", classes=["positive", "negative"])
    assert mapped.labels.tolist() == [0, 1, 1]
    tsv = tmp_path / "reviews.tsv"
    tsv.write_text("label\ttext\n1\tgood, very good\n0\tbad\n", encoding="utf-8")
    data = load_csv(tsv)
    assert data.texts == ["good, very good", "bad"] and data.labels.tolist() == [1, 0]
    assert data.classes == ("0", "1")
    headerless = tmp_path / "plain.txt"
    headerless.write_text("0;bad\n1;good\n", encoding="utf-8")
    texts, labels, _ = load_csv(headerless, text_column=1, label_column=0, header=False)
    assert texts == ["bad", "good"] and labels.tolist() == [0, 1]


def test_load_csv_errors(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\nfine,1\nshort\n", encoding="utf-8")
    with pytest.raises(ValueError, match="column 'review' not found.*\\['text', 'label'\\]"):
        load_csv(path, text_column="review")
    with pytest.raises(ValueError, match="line 3 has 1 fields"):
        load_csv(path)
    path.write_text("text,label\nfine,pos\n", encoding="utf-8")
    with pytest.raises(ValueError, match="labels \\['pos'\\] that are not among classes"):
        load_csv(path, classes=["negative", "positive"])


# ------------------------------------------------------------------ Keras imdb.npz
def _object_array(seqs):
    a = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        a[i] = list(s)
    return a


def _keras_reference(path, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
                     oov_char=2, index_from=3):
    """keras.datasets.imdb.load_data's steps (Keras 3), on a file this test wrote itself."""
    with np.load(path, allow_pickle=True) as f:
        x_train, labels_train = f["x_train"], f["y_train"]
        x_test, labels_test = f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]
    x_train = [[start_char] + [w + index_from for w in x] for x in x_train]
    x_test = [[start_char] + [w + index_from for w in x] for x in x_test]
    if maxlen:
        keep = [i for i, x in enumerate(x_train) if len(x) < maxlen]
        x_train, labels_train = [x_train[i] for i in keep], labels_train[keep]
        keep = [i for i, x in enumerate(x_test) if len(x) < maxlen]
        x_test, labels_test = [x_test[i] for i in keep], labels_test[keep]
    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:
        num_words = max(max(x) for x in xs)
    xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    idx = len(x_train)
    return (xs[:idx], labels[:idx]), (xs[idx:], labels[idx:])


@pytest.fixture
def keras_npz(tmp_path):
    rng = np.random.default_rng(0)
    train = [rng.integers(1, 30, rng.integers(1, 12)).tolist() for _ in range(9)]
    test = [rng.integers(1, 30, rng.integers(1, 12)).tolist() for _ in range(7)]
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=_object_array(train), y_train=rng.integers(0, 2, 9),
             x_test=_object_array(test), y_test=rng.integers(0, 2, 7))
    with pytest.raises(ValueError, match="allow_pickle"):      # why a safe reader is needed
        np.load(path, allow_pickle=False)["x_train"]
    return path


@pytest.mark.parametrize("options", [{}, dict(num_words=20, skip_top=4), dict(maxlen=8),
                                     dict(seed=5, oov_char=2, index_from=2)])
def test_load_keras_imdb_matches_keras_steps(keras_npz, options):
    (x_train, y_train), (x_test, y_test) = load_keras_imdb(keras_npz, **options)
    (rx_train, ry_train), (rx_test, ry_test) = _keras_reference(keras_npz, **options)
    assert x_train == rx_train and x_test == rx_test
    np.testing.assert_array_equal(y_train, ry_train)
    np.testing.assert_array_equal(y_test, ry_test)
    assert y_train.dtype == np.int64
    ids, lengths = pad_sequences(x_train, max_len=6)
    assert ids.shape == (len(x_train), 6)


def test_load_keras_imdb_plain_numeric_arrays(tmp_path):
    path = tmp_path / "padded.npz"
    np.savez(path, x_train=np.array([[1, 2], [3, 4]]), y_train=np.array([0, 1]),
             x_test=np.array([[5, 6]]), y_test=np.array([1]))
    (x_train, _), (x_test, _) = load_keras_imdb(path, seed=None)
    # num_words defaults to the largest id (9), and ids ≥ num_words become oov_char: Keras's rule
    assert x_train == [[1, 4, 5], [1, 6, 7]] and x_test == [[1, 8, 2]]


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_read_npz_refuses_code_in_pickles(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _Evil(marker)
    path = tmp_path / "evil.npz"
    np.savez(path, x_train=evil, y_train=np.zeros(1))
    with pytest.raises(pickle.UnpicklingError, match="refusing the global posix.system|refusing"):
        read_npz(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):
        load_keras_imdb(path)
    assert not marker.exists()


def test_read_npz_object_array_declaring_a_billion_elements_is_refused(tmp_path):
    """Issue 12: a 1.3 KB imdb.npz whose object array's header declared 10⁹ elements made the
    reader allocate ~8 GB (NumPy's __setstate__ allocates the declared shape) and crash. The
    declared shape is now checked against the elements the pickle actually holds."""
    import io
    import zipfile

    small = np.empty(2, dtype=object)
    small[0], small[1] = [1, 2, 3], [4, 5]
    buffer = io.BytesIO()
    np.save(buffer, small, allow_pickle=True)
    data = buffer.getvalue()
    payload = data.find(b"\x80")                 # the pickle after the .npy header
    lying = data[:payload] + data[payload:].replace(b"K\x02\x85", b"J\x00\xca\x9a\x3b\x85", 1)
    assert lying != data
    path = tmp_path / "imdb.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", lying)
    with pytest.raises(pickle.UnpicklingError, match="needs 1000000000 items, the pickle holds 2"):
        read_npz(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", data)
    (x,) = read_npz(path).values()
    assert x.dtype == object and x.shape == (2,) and x[0] == [1, 2, 3] and x[1] == [4, 5]


def test_keras_word_index_and_decode(tmp_path):
    path = tmp_path / "imdb_word_index.json"
    path.write_text(json.dumps({"the": 1, "film": 2, "good": 3}), encoding="utf-8")
    index = load_keras_word_index(path)
    assert decode_keras_review([0, 0, 1, 4, 6, 5, 2, 99], index) == \
        "<start> the good film <unk> <unk>"
    path.write_text(json.dumps(["not", "a", "dict"]), encoding="utf-8")
    with pytest.raises(ValueError, match="word → integer"):
        load_keras_word_index(path)
    from chainrule.data.datasets import DatasetFormatError

    for damaged, problem in ((b'{"the": 1, "fi', "not valid JSON"), (b"[" * 100_000, "JSON"),
                             ('{"café": 1}'.encode("latin-1"), "not UTF-8")):
        path.write_bytes(damaged)                   # issue 12: the file named, no raw traceback
        with pytest.raises(DatasetFormatError, match=problem) as info:
            load_keras_word_index(path)
        assert str(path) in str(info.value)
    path.write_bytes(b'\xef\xbb\xbf{"the": 1}')       # a byte-order mark is read past
    assert load_keras_word_index(path) == {"the": 1}


def _npz_with_declared_size(tmp_path, declared: int):
    """An imdb-style .npz whose x_train.npy member declares ``declared`` inflated bytes (its
    real data is small): the central directory's and the local header's size fields patched."""
    path = tmp_path / "imdb.npz"
    np.savez_compressed(path, x_train=np.zeros(1000, np.int64), y_train=np.zeros(10, np.int64))
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22:local + 26] = declared.to_bytes(4, "little")
    data[central + 24:central + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def test_read_npz_zip_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    """Issue 12: a 1.3 KB imdb.npz inflating to 2.1 GB. The declared sizes are checked against
    NPZ_MAX_BYTES before anything is inflated; a member lying about its size is cut at the
    declared size by zipfile, whose CRC check then fails: a DatasetFormatError either way."""
    import tracemalloc

    from chainrule.data.datasets import DatasetFormatError
    from chainrule.text import loaders

    bomb = _npz_with_declared_size(tmp_path, 2_100_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetFormatError, match="would inflate to 2,100,000,"):
            read_npz(bomb)
        assert tracemalloc.get_traced_memory()[1] < 16 << 20
    finally:
        tracemalloc.stop()
    honest = tmp_path / "honest.npz"           # 64 MB of zeros, a few hundred KB compressed
    np.savez_compressed(honest, x_train=np.zeros(16 << 20, np.float32))
    monkeypatch.setattr(loaders, "NPZ_MAX_BYTES", 32 << 20)
    with pytest.raises(DatasetFormatError, match="NPZ_MAX_BYTES"):
        read_npz(honest)
    monkeypatch.undo()
    liar = _npz_with_declared_size(tmp_path, 100)       # declares less than it holds
    with pytest.raises(DatasetFormatError, match="imdb.npz"):
        read_npz(liar)
