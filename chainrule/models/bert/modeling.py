r"""BERT's encoder (Devlin et al. 2019), with the module and parameter names of Hugging Face's
``BertModel``, so its state_dict keys (``encoder.layer.0.attention.self.query.weight`` …) are
those of the published checkpoints and their weights load by name.

For token ids w₁…w_L (N sequences), positions t and token types s, with the key mask m (1 for a
real token, 0 for padding):

    Embeddings:  x⁰_t = LayerNorm(E_word[w_t] + E_pos[t] + E_type[s_t])
    Each layer ℓ = 1…n (post-norm, as BERT):
      Attention: for each head h: Q = x W_Qʰ + b, K = x W_Kʰ + b, V = x W_Vʰ + b,
                 A = softmax(Q Kᵀ/√d_h + B) V,  B_{ij} = 0 if m_j = 1 else −∞,  d_h = H/heads
                 a = LayerNorm(x + concat_h(A) W_O + b_O)
      Feed-forward: xˡ = LayerNorm(a + GELU(a W₁ + b₁) W₂ + b₂),  GELU(z) = z·Φ(z) (exact, erf)
    Pooler:      p = tanh(W_P x^n_{[CLS]} + b_P)   (the first token of each sequence)

Derivative: the chain rule through these primitives — attention as one fused primitive (its
backward in chainrule.ops.attention), LayerNorm, GELU, Linear and the embedding lookups, whose
gradient adds the rows of ∂L/∂x⁰ at each token's id (none at the padding id).
LayerNorm: (z − μ)/√(σ² + ε)·γ + β with ε = ``layer_norm_eps`` (1e-12 for BERT).
Dropout (p = ``hidden_dropout_prob`` after the embeddings and each dense output,
``attention_probs_dropout_prob`` on the attention weights) acts in training mode only.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from os import PathLike
from pathlib import Path
from typing import NamedTuple

from ... import nn
from ...backend import xp
from ...mathematics import Formula
from ...nn import functional as F
from ...ops.attention import attention
from ...tensor import Tensor

ACTIVATIONS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "relu": None}


@dataclass(frozen=True)
class BertConfig:
    """The shape of a BERT encoder; the defaults are all-MiniLM-L6-v2's (config.json)."""
    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    initializer_range: float = 0.02

    def __post_init__(self):
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"BertConfig: hidden_act {self.hidden_act!r} is not supported; "
                             f"expected one of {sorted(ACTIVATIONS)}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"BertConfig: hidden_size {self.hidden_size} is not a multiple of "
                             f"num_attention_heads {self.num_attention_heads}")

    @classmethod
    def from_dict(cls, d: dict, source: str = "config") -> BertConfig:
        """From a Hugging Face config.json's keys; keys that do not shape the encoder are
        ignored. Position embeddings other than 'absolute' are refused."""
        kind = d.get("position_embedding_type", "absolute")
        if kind != "absolute":
            raise ValueError(f"BertConfig: {source} has position_embedding_type {kind!r}; only "
                             "'absolute' (BERT's learned position table) is supported")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    @classmethod
    def from_json(cls, path: str | PathLike) -> BertConfig:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"BertConfig: {path} is not valid JSON ({e})") from None
        if not isinstance(d, dict):
            raise ValueError(f"BertConfig: {path} holds a {type(d).__name__}, expected a JSON "
                             "object")
        return cls.from_dict(d, str(path))


class BertOutputs(NamedTuple):
    """``last_hidden_state`` (N, L, H): every token's vector from the last layer;
    ``pooler_output`` (N, H): tanh(W_P h_[CLS] + b_P)."""
    last_hidden_state: Tensor
    pooler_output: Tensor


class BertEmbeddings(nn.Module):
    """LayerNorm(E_word[w_t] + E_pos[t] + E_type[s_t]), then dropout."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size,
                                            padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        L = input_ids.shape[1]
        positions = xp.arange(L, dtype=xp.int64)[None, :]
        x = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
             + self.token_type_embeddings(token_type_ids))
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """softmax(Q Kᵀ/√d_h + B) V per head, heads concatenated (no output projection here)."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.num_attention_heads = c.num_attention_heads
        self.head_size = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout_p = c.attention_probs_dropout_prob

    def _heads(self, x):
        N, L, _ = x.shape
        return x.reshape(N, L, self.num_attention_heads, self.head_size).transpose(1, 2)

    def forward(self, x, bias):
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        p = self.dropout_p if self.training else 0.0
        context = attention(q, k, v, bias, p, 1 / math.sqrt(self.head_size))    # (N, h, L, d)
        N, _, L, _ = context.shape
        return context.transpose(1, 2).reshape(N, L, self.num_attention_heads * self.head_size)


class BertSelfOutput(nn.Module):
    """LayerNorm(x + dropout(W_O a + b_O)): the attention's projection and residual."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertAttention(nn.Module):
    """Self-attention (``self``, Hugging Face's attribute name) and its output block."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, bias):
        return self.output(self.self(x, bias), x)


class BertIntermediate(nn.Module):
    """act(W₁ a + b₁), H → intermediate_size; act is BERT's exact GELU z·Φ(z) by default."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.approximate = ACTIVATIONS[c.hidden_act]

    def forward(self, a):
        z = self.dense(a)
        return F.relu(z) if self.approximate is None else F.gelu(z, self.approximate)


class BertOutput(nn.Module):
    """LayerNorm(a + dropout(W₂ f + b₂)): the feed-forward's projection and residual."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, f, a):
        return self.LayerNorm(self.dropout(self.dense(f)) + a)


class BertLayer(nn.Module):
    """One post-norm encoder layer: attention block, then feed-forward block."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, bias):
        a = self.attention(x, bias)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, x, bias):
        for layer in self.layer:
            x = layer(x, bias)
        return x


class BertPooler(nn.Module):
    """tanh(W_P h_[CLS] + b_P), the first token's vector through a dense layer."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, h):
        return F.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    """BERT's encoder: ``forward(input_ids, attention_mask=None, token_type_ids=None)`` →
    :class:`BertOutputs` (last_hidden_state (N, L, H), pooler_output (N, H)).

    ``input_ids`` int (N, L); ``attention_mask`` (N, L), 1 for a real token and 0 for padding
    (default: all 1); ``token_type_ids`` (N, L) in [0, type_vocab_size) (default: all 0). Arrays,
    lists or Tensors. Padding keys get weight 0 in every attention row; a sequence whose mask is
    all 0 has no key to attend to, and its attention outputs are 0. Random initialisation (BERT's):
    weights N(0, initializer_range²), biases 0, LayerNorm γ = 1, β = 0, the padding row 0.
    """

    def __init__(self, config: BertConfig | None = None):
        super().__init__()
        self.config = config = config or BertConfig()
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = self.config.initializer_range
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                module.weight._data[module.padding_idx] = 0
            if isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def inputs(self, input_ids, attention_mask=None, token_type_ids=None):
        """The checked int64 arrays (ids, mask, types), each (N, L)."""
        c = self.config
        ids = _int_array(input_ids, "input_ids")
        if ids.ndim != 2 or ids.shape[1] == 0:
            raise ValueError(f"{type(self).__name__}: input_ids must be (N, L) with L ≥ 1, got "
                             f"shape {ids.shape}")
        if ids.shape[1] > c.max_position_embeddings:
            raise ValueError(f"{type(self).__name__}: {ids.shape[1]} tokens, but the position "
                             f"table has {c.max_position_embeddings} rows; truncate the input")
        if ids.size and (ids.min() < 0 or ids.max() >= c.vocab_size):
            raise ValueError(f"{type(self).__name__}: input_ids must lie in [0, "
                             f"{c.vocab_size}), got values from {ids.min()} to {ids.max()}")
        out = [ids]
        for name, value, bound in (("attention_mask", attention_mask, 2),
                                   ("token_type_ids", token_type_ids, c.type_vocab_size)):
            a = (xp.ones_like(ids) if name == "attention_mask" else xp.zeros_like(ids)) \
                if value is None else _int_array(value, name)
            if a.shape != ids.shape:
                raise ValueError(f"{type(self).__name__}: {name} has shape {a.shape}, expected "
                                 f"input_ids' {ids.shape}")
            if a.size and (a.min() < 0 or a.max() >= bound):
                raise ValueError(f"{type(self).__name__}: {name} must lie in [0, {bound}), got "
                                 f"values from {a.min()} to {a.max()}")
            out.append(a)
        return tuple(out)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None) -> BertOutputs:
        ids, mask, types = self.inputs(input_ids, attention_mask, token_type_ids)
        x = self.embeddings(ids, types)
        bias = xp.where(mask[:, None, None, :] == 1, 0.0, -xp.inf).astype(x.dtype)  # (N,1,1,L)
        h = self.encoder(x, bias)
        return BertOutputs(h, self.pooler(h))

    def formula(self) -> Formula:
        return Formula.of(
            type(self).__name__,
            [("Forward", "x⁰ = LN(E_w + E_pos + E_type);  a = LN(x + MHA(x) W_O);  "
                         "xˡ = LN(a + GELU(a W₁) W₂);  p = tanh(W_P x_[CLS])"),
             ("Derivative", "the chain rule through attention, LayerNorm, GELU and Linear; "
                            "∂L/∂E_w[v] = Σ_{t: w_t = v} ∂L/∂(embedding sum)_t")],
            [r"x^0 = \mathrm{LN}(E_w + E_{pos} + E_{type}),\; a = \mathrm{LN}(x + "
             r"\mathrm{MHA}(x)W_O),\; x^{\ell} = \mathrm{LN}(a + \mathrm{GELU}(aW_1)W_2)",
             r"\frac{\partial L}{\partial E_{w,v}} = \sum_{t:\,w_t = v} "
             r"\frac{\partial L}{\partial e_t}"],
            "Every token reads every other through attention; the residual connections and "
            "LayerNorm after each block keep the vectors on one scale through the layers.")


def _int_array(value, name: str):
    a = value._data if isinstance(value, Tensor) else xp.asarray(value)
    if a.dtype.kind == "b":
        a = a.astype(xp.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"BertModel: {name} must hold integers, got dtype {a.dtype}")
    return a.astype(xp.int64, copy=False)
