"""Text tools for sentiment analysis: tokenize, build a vocabulary, encode and pad, read datasets.

    >>> from chainrule import text
    >>> tokens = [text.tokenize(t) for t in ["A fine film!", "A dull film."]]
    >>> vocab = text.Vocabulary(min_freq=1).build(tokens)
    >>> ids, lengths = vocab.encode_batch(tokens, max_len=4)   # (2, 4) int64, lengths [3, 3]
"""
from .loaders import (
    LabeledTexts,
    decode_keras_review,
    load_csv,
    load_imdb_folder,
    load_keras_imdb,
    load_keras_word_index,
    read_npz,
)
from .sequences import encode_texts, pad_sequences
from .tokenizer import Tokenizer, add_ngrams, tokenize
from .vocab import PAD, UNK, UnknownTokenError, Vocabulary

__all__ = ["tokenize", "Tokenizer", "add_ngrams", "Vocabulary", "UnknownTokenError", "PAD", "UNK",
           "pad_sequences", "encode_texts", "LabeledTexts", "load_imdb_folder", "load_csv",
           "load_keras_imdb", "load_keras_word_index", "decode_keras_review", "read_npz"]
from .wordpiece import WordPiece  # noqa: E402  (BERT's tokenizer, appended)

__all__ += ["WordPiece"]
