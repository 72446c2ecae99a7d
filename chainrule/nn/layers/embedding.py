"""Embedding: a lookup table of learned vectors (PyTorch's ``nn.Embedding``)."""
from __future__ import annotations

from ...backend import get_default_dtype, xp
from ...mathematics import Formula
from ...ops import embedding as F
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter


class _Table(Module):
    """What Embedding and EmbeddingBag share: the (V, D) table ``weight``, drawn N(0, 1) with the
    padding row at 0 unless given (``_weight``), and the 2-D check of pretrained tables."""

    def _init_table(self, num_embeddings: int, embedding_dim: int, padding_idx, _weight, dtype,
                    trainable: bool = True) -> None:
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = F._padding(padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(xp.empty((num_embeddings, embedding_dim),
                                             dtype=dtype or get_default_dtype()))
            self.reset_parameters()
            return
        data = _weight._data if isinstance(_weight, Tensor) else xp.asarray(_weight)
        if data.shape != (num_embeddings, embedding_dim):
            raise ValueError(f"{type(self).__name__}: _weight has shape {data.shape}, expected "
                             f"({num_embeddings}, {embedding_dim})")
        self.weight = Parameter(data.copy(), requires_grad=trainable)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def _pretrained(cls, embeddings):
        data = embeddings._data if isinstance(embeddings, Tensor) else xp.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(f"{cls.__name__}.from_pretrained: embeddings must be 2-D, got shape "
                             f"{data.shape}")
        return data


class Embedding(_Table):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    Forward:     y = W[i],  W ∈ ℝ^{V×D}; input of any shape of indices, output input.shape × D
    Derivative:  ∂L/∂W_v = Σ_{k : i_k = v} G_k (repeated indices add up; 0 for padding_idx)
    Init:        W ~ N(0, 1) (PyTorch's default), the padding_idx row set to 0
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, dtype=None):
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse=True (sparse gradients) is not "
                                      "supported; leave it at its default, False")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self._init_table(num_embeddings, embedding_dim, padding_idx, _weight, dtype,
                         trainable=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False):
        """An Embedding whose table is ``embeddings`` (2-D), frozen unless freeze=False."""
        data = cls._pretrained(embeddings)
        return cls(data.shape[0], data.shape[1], padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
                   _weight=data, _freeze=freeze, dtype=data.dtype)

    def forward(self, input):  # noqa: A002  (PyTorch's argument name)
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def formula(self) -> Formula:
        v, d = self.num_embeddings, self.embedding_dim
        pad = (f"; row {self.padding_idx} (padding) gets 0" if self.padding_idx is not None
               else "")
        pairs = [("Forward", f"y = W[i],  W ∈ ℝ^{{{v}×{d}}}"),
                 ("Derivative", f"∂L/∂W_v = Σ_{{k : i_k = v}} G_k{pad}")]
        latex = [rf"y = W_{{i}},\quad W \in \mathbb{{R}}^{{{v}\times{d}}}",
                 r"\frac{\partial L}{\partial W_v} = \sum_{k:\,i_k = v} G_k"]
        return Formula.of("Embedding", pairs, latex,
                          "A lookup is a product with a one-hot vector: only the rows that were "
                          "looked up receive gradient, each the sum over the places it was used.")

    def extra_repr(self) -> str:
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        if self.max_norm is not None:
            pad += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            pad += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            pad += ", scale_grad_by_freq=True"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class EmbeddingBag(_Table):
    """Sums, means or maxima of bags of embedding vectors (PyTorch's ``nn.EmbeddingBag``), as
    :func:`chainrule.nn.functional.embedding_bag` with this layer's table W ∈ ℝ^{V×D}.

    Forward:     y_b = Σ_{k ∈ bag b} w_k W[i_k] (sum), its mean over the bag (mean), or the
                 per-dimension max over the bag (max); bags are the rows of a 2-D input, or cut
                 from a 1-D input at ``offsets``
    Derivative:  ∂L/∂W_v = Σ_b g_b · (Σ_{k ∈ b : i_k = v} w_k, or 1/|b| each, or the maximum's
                 entry only)
    Init:        W ~ N(0, 1) (PyTorch's default), the padding_idx row set to 0
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight=None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device=None, dtype=None):
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("EmbeddingBag: max_norm, scale_grad_by_freq and sparse are "
                                      "not supported; leave them at their defaults")
        if mode not in F._BAG_MODES:
            raise ValueError(f"EmbeddingBag: mode has to be one of {F._BAG_MODES}, got {mode!r}")
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, False
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        self._init_table(num_embeddings, embedding_dim, padding_idx, _weight, dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx: int | None = None):
        """An EmbeddingBag whose table is ``embeddings`` (2-D), frozen unless freeze=False."""
        data = cls._pretrained(embeddings)
        bag = cls(data.shape[0], data.shape[1], max_norm, norm_type, scale_grad_by_freq, mode,
                  sparse, data, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):  # noqa: A002
        return F.embedding_bag(input, self.weight, offsets, mode=self.mode,
                               per_sample_weights=per_sample_weights,
                               include_last_offset=self.include_last_offset,
                               padding_idx=self.padding_idx)

    def formula(self) -> Formula:
        v, d = self.num_embeddings, self.embedding_dim
        forward = {"sum": "y_b = Σ_{k ∈ b} w_k W[i_k]", "mean": "y_b = (1/|b|) Σ_{k ∈ b} W[i_k]",
                   "max": "y_b = max_{k ∈ b} W[i_k]"}[self.mode]
        latex = {"sum": r"y_b = \sum_{k \in b} w_k W_{i_k}",
                 "mean": r"y_b = \frac{1}{|b|}\sum_{k \in b} W_{i_k}",
                 "max": r"y_b = \max_{k \in b} W_{i_k}"}[self.mode]
        pairs = [("Forward", f"{forward},  W ∈ ℝ^{{{v}×{d}}}"),
                 ("Derivative", "∂L/∂W_v = Σ_b g_b · (the share of v's entries in bag b)")]
        return Formula.of("EmbeddingBag", pairs,
                          [latex, r"\frac{\partial L}{\partial W_v} = \sum_b g_b\,"
                                  r"\frac{\partial y_b}{\partial W_v}"],
                          "A bag of words as one vector: the lookups of a bag are pooled "
                          "without being stored one by one, and each looked-up row receives its "
                          "share of the bag's gradient.")

    def extra_repr(self) -> str:
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}{pad}"
