"""Reference text classifiers for sentiment analysis: token ids (N, L) and lengths → logits.

- :class:`RecurrentClassifier` — Embedding → LSTM or GRU (stacked, optionally bidirectional) →
  Linear on the final hidden state. The lengths go to the recurrent layer, which stops each
  sequence at its length, so the final state never sees the padding. :class:`LSTMClassifier` and
  :class:`BiGRUClassifier` are its two usual configurations.
- :class:`BagOfEmbeddings` — the mean of the token embeddings (padding excluded) → Linear: fast
  and strong on sentiment, but blind to word order by construction.
- :class:`TransformerClassifier` — Embedding·√d + positional encoding → TransformerEncoder with
  a key-padding mask → mean over the real tokens → Linear.

All take ``forward(ids, lengths=None)``: ``ids`` int (N, L), padded at the end with
``padding_idx``; ``lengths`` (N,) the number of real tokens (if None, the tokens that are not
``padding_idx`` are counted as real). A sequence of length 0 is read as one padding token.
Build the inputs with :mod:`chainrule.text` (``Vocabulary.encode_batch`` gives both).
"""
from __future__ import annotations

import math

from .. import nn, ops
from ..backend import xp
from ..mathematics import Equation, Formula
from ..tensor import Tensor
from .registry import register_model


def _ids(ids) -> Tensor:
    t = ids if isinstance(ids, Tensor) else Tensor._make(xp.asarray(ids))
    if t.ndim != 2 or t.dtype.kind not in "iu":
        raise ValueError(f"expected token ids as an integer array (N, L), got shape "
                         f"{tuple(t.shape)} and dtype {t.dtype}")
    return t


def _lengths(ids: Tensor, lengths, padding_idx) -> Tensor:
    """int64 (N,) lengths in [1, L]: given, or counted as the non-padding tokens. Tensor
    operations throughout, so that a compiled step recomputes them for every batch."""
    N, L = ids.shape
    if lengths is None:
        if padding_idx is None:
            return ops.full((N,), L, dtype=xp.int64)
        counted = (ids != padding_idx).sum(dim=1)
    else:
        counted = lengths if isinstance(lengths, Tensor) else Tensor(xp.asarray(lengths))
        if tuple(counted.shape) != (N,):
            raise ValueError(f"lengths has shape {tuple(counted.shape)}, expected ({N},): one "
                             f"length per sequence of ids {tuple(ids.shape)}")
        values = counted._data          # a check of the values only: nothing depends on them
        if (values > L).any() or (values < 0).any():
            raise ValueError(f"lengths must be in [0, {L}] (the padded length), got values from "
                             f"{values.min()} to {values.max()}")
    return ops.maximum(counted.to(xp.int64), 1)


def _valid(lengths: Tensor, L: int, dtype) -> Tensor:
    """(N, L) 1 at real tokens, 0 at padding."""
    return (ops.arange(L)[None, :] < lengths[:, None]).to(dtype)


def _masked_mean(x: Tensor, lengths: Tensor) -> Tensor:
    """Mean over the real positions of x (N, L, D) → (N, D)."""
    w = _valid(lengths, x.shape[1], x.dtype) / lengths[:, None].to(x.dtype)
    return (x * w[:, :, None]).sum(dim=1)


@register_model("rnn-classifier", aliases=("recurrent-classifier",))
class RecurrentClassifier(nn.Module):
    """Embedding → LSTM/GRU → Linear on the final hidden state (of both directions if
    bidirectional, of the top layer if stacked).

    >>> model = RecurrentClassifier(vocab_size=5000, cell="lstm")
    >>> logits = model(ids, lengths)                              # (N, num_classes)
    """

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 128,
                 num_classes: int = 2, cell: str = "lstm", num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, padding_idx: int | None = 0,
                 unit_forget_bias: bool = True):
        super().__init__()
        cells = {"lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in cells:
            raise ValueError(f"RecurrentClassifier: cell must be 'lstm' or 'gru', got {cell!r}")
        self.cell, self.padding_idx = cell, padding_idx
        self.directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = cells[cell](embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0,
                               bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * self.directions, num_classes)
        self.unit_forget_bias = unit_forget_bias and cell == "lstm"
        if self.unit_forget_bias:
            self._init_forget_bias(hidden_size)

    def _init_forget_bias(self, H: int) -> None:
        """The LSTM's forget gates start open: b_if = 1, b_hf = 0 (gate rows i, f, g, o), so the
        cell state is carried at σ(1) ≈ 0.73 per step rather than 0.5 at the start of training,
        and gradients reach early tokens (Jozefowicz et al. 2015; Keras's unit_forget_bias)."""
        for name, p in self.rnn.named_parameters():
            if name.startswith("bias_ih"):
                p._data[H:2 * H] = 1.0
            elif name.startswith("bias_hh"):
                p._data[H:2 * H] = 0.0

    def forward(self, ids, lengths=None):
        ids = _ids(ids)
        lengths = _lengths(ids, lengths, self.padding_idx)
        _, state = self.rnn(self.embedding(ids), lengths=lengths)
        h_n = state[0] if self.cell == "lstm" else state          # (layers·D, N, H)
        top = h_n[-self.directions:]                               # the last layer's directions
        features = top[0] if self.directions == 1 else ops.concatenate([top[0], top[1]], axis=1)
        return self.fc(self.dropout(features))

    def formula(self) -> Formula:
        rnn = self.rnn.formula()
        eqs = [Equation("Forward", "e_t = E[w_t];  h_t = RNN(e_t, h_{t−1}) for t ≤ length;  "
                        "logits = W h_{length} + b" + ("  (h = [h→; h←])" if self.directions == 2
                                                       else ""),
                        r"e_t = E_{w_t},\quad h_t = \mathrm{RNN}(e_t, h_{t-1}),\quad "
                        r"\mathrm{logits} = W h_{T_n} + b"),
               Equation("Derivative", "BPTT from ∂L/∂h_{length} back to each e_t, then "
                        "∂L/∂E[w] = Σ_{t: w_t = w} ∂L/∂e_t",
                        r"\frac{\partial L}{\partial E_w} = \sum_{t:\,w_t = w} "
                        r"\frac{\partial L}{\partial e_t}")]
        eqs += [Equation(f"{self.cell.upper()}: {e.label}", e.text, e.latex)
                for e in rnn.equations[:2]]
        return Formula(type(self).__name__, tuple(eqs),
                       "The recurrent state reads the review token by token and carries what it "
                       "needs to the end, where a linear layer turns it into class scores.")


@register_model("lstm-classifier")
class LSTMClassifier(RecurrentClassifier):
    """Embedding → LSTM → Linear (see :class:`RecurrentClassifier`)."""

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 128,
                 num_classes: int = 2, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, padding_idx: int | None = 0,
                 unit_forget_bias: bool = True):
        super().__init__(vocab_size, embed_dim, hidden_size, num_classes, "lstm", num_layers,
                         bidirectional, dropout, padding_idx, unit_forget_bias)


@register_model("bigru-classifier")
class BiGRUClassifier(RecurrentClassifier):
    """Embedding → bidirectional GRU → Linear on both directions' final states."""

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 128,
                 num_classes: int = 2, num_layers: int = 1, dropout: float = 0.0,
                 padding_idx: int | None = 0):
        super().__init__(vocab_size, embed_dim, hidden_size, num_classes, "gru", num_layers,
                         True, dropout, padding_idx)


@register_model("bag-of-embeddings", aliases=("boe",))
class BagOfEmbeddings(nn.Module):
    """The mean of the real tokens' embeddings → Linear (a fastText-like baseline).

    Forward:     logits = W · (1/n) Σ_{t ≤ n} E[w_t] + b
    Derivative:  ∂L/∂E[w] = (1/n) Σ_{t: w_t = w} Wᵀ ∂L/∂logits
    """

    def __init__(self, vocab_size: int, embed_dim: int = 64, num_classes: int = 2,
                 padding_idx: int | None = 0, dropout: float = 0.0):
        super().__init__()
        self.padding_idx = padding_idx
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, ids, lengths=None):
        ids = _ids(ids)
        lengths = _lengths(ids, lengths, self.padding_idx)
        return self.fc(self.dropout(_masked_mean(self.embedding(ids), lengths)))

    def formula(self) -> Formula:
        return Formula.of("BagOfEmbeddings",
                          [("Forward", "logits = W · (1/n) Σ_{t ≤ n} E[w_t] + b"),
                           ("Derivative", "∂L/∂E[w] = (1/n) Σ_{t: w_t = w} Wᵀ ∂L/∂logits")],
                          [r"\mathrm{logits} = W\,\frac{1}{n}\sum_{t \le n} E_{w_t} + b",
                           r"\frac{\partial L}{\partial E_w} = \frac{1}{n}\sum_{t:\,w_t = w} "
                           r"W^{\top}\frac{\partial L}{\partial\,\mathrm{logits}}"],
                          "An average forgets the order of the words: 'good, not bad' and "
                          "'bad, not good' get the same features.")


@register_model("transformer-classifier")
class TransformerClassifier(nn.Module):
    """Embedding·√d + positional encoding → TransformerEncoder (padding masked) → mean over the
    real tokens → Linear."""

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128, num_classes: int = 2, max_len: int = 512,
                 dropout: float = 0.1, positional: str = "sinusoidal", norm_first: bool = True,
                 activation: str = "gelu", padding_idx: int | None = 0):
        super().__init__()
        if positional not in ("sinusoidal", "learned"):
            raise ValueError(f"TransformerClassifier: positional must be 'sinusoidal' or "
                             f"'learned', got {positional!r}")
        self.padding_idx, self.d_model = padding_idx, d_model
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        if positional == "sinusoidal":
            self.positional = nn.SinusoidalPositionalEncoding(d_model, max_len, dropout,
                                                              batch_first=True)
        else:
            self.positional = nn.LearnedPositionalEncoding(max_len, d_model, dropout,
                                                           batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           activation=activation, batch_first=True,
                                           norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, num_layers,
                                             norm=nn.LayerNorm(d_model) if norm_first else None)
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, ids, lengths=None):
        ids = _ids(ids)
        lengths = _lengths(ids, lengths, self.padding_idx)
        x = self.positional(self.embedding(ids) * math.sqrt(self.d_model))
        padding = _valid(lengths, ids.shape[1], xp.float32) == 0      # True = ignore
        x = self.encoder(x, src_key_padding_mask=padding)
        return self.fc(_masked_mean(x, lengths))

    def formula(self) -> Formula:
        eqs = [Equation("Forward", "x = √d·E[w] + PE;  z = Encoder(x, padding masked);  "
                        "logits = W mean_{t ≤ n}(z_t) + b",
                        r"x = \sqrt{d}\,E_{w} + PE,\quad z = \mathrm{Encoder}(x),\quad "
                        r"\mathrm{logits} = W\,\tfrac{1}{n}\textstyle\sum_{t\le n} z_t + b"),
               Equation("Derivative", "the chain rule through the mean, the encoder layers and "
                        "the embedding (∂L/∂E[w] = √d Σ_{t: w_t = w} ∂L/∂x_t)",
                        r"\frac{\partial L}{\partial E_w} = \sqrt{d}\sum_{t:\,w_t = w} "
                        r"\frac{\partial L}{\partial x_t}")]
        eqs += [Equation(f"encoder: {e.label}", e.text, e.latex)
                for e in self.encoder.layers[0].formula().equations[:2]]
        return Formula("TransformerClassifier", tuple(eqs),
                       "Self-attention lets every token read every other (padding masked out), "
                       "so order and context enter through the positional encoding and the "
                       "attention weights.")
