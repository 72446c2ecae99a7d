r"""The Transformer encoder: PyTorch's ``nn.TransformerEncoderLayer`` and ``TransformerEncoder``.

One layer, post-norm (the default, as in "Attention is all you need"):

    x ← LayerNorm₁(x + Dropout(SelfAttention(x)))
    x ← LayerNorm₂(x + Dropout(W₂ Dropout(φ(W₁ x + b₁)) + b₂))

and pre-norm (``norm_first=True``, easier to train deep):

    x ← x + Dropout(SelfAttention(LayerNorm₁(x)))
    x ← x + Dropout(W₂ Dropout(φ(W₁ LayerNorm₂(x) + b₁)) + b₂)

with φ = ReLU or GELU. Submodule names are PyTorch's (self_attn, linear1, dropout, linear2, norm1,
norm2, dropout1, dropout2; the encoder's layers.0, layers.1, …), so state_dicts load unchanged.
Each piece is a layer with its own fused primitive (attention, linear, layer norm); the residual
connections add gradients at fan-out.
"""
from __future__ import annotations

import copy

from ... import backend as B
from ... import ops
from ...autograd.grad_mode import is_grad_enabled
from ...backend import get_default_dtype, xp
from ...mathematics import Equation, Formula
from ...tensor import Tensor
from ..containers import ModuleList
from ..module import Module
from .attention import MultiheadAttention
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm

_ACTIVATIONS = {"relu": ops.relu, "gelu": ops.gelu}


def _activation(activation):
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"TransformerEncoderLayer: activation should be 'relu' or 'gelu' (or "
                             f"a callable), not {activation!r}")
        return _ACTIVATIONS[activation], activation
    if not callable(activation):
        raise TypeError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a "
                        f"callable, got {type(activation).__name__}")
    name = getattr(activation, "__name__", type(activation).__name__).lower()
    return activation, name



def _add_feed_forward_and_norms(layer, count, d_model, nhead, dim_feedforward, dropout,
                                activation, layer_norm_eps, batch_first, norm_first, bias, dtype):
    """The parts an encoder layer (count = 2) and a decoder layer (count = 3) share, registered
    after their attention blocks in PyTorch's order (so state_dict keys match):
    linear1, dropout, linear2, norm1…norm{count}, dropout1…dropout{count}."""
    layer.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
    layer.dropout = Dropout(dropout)
    layer.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
    layer.norm_first = norm_first
    for i in range(1, count + 1):
        setattr(layer, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
    for i in range(1, count + 1):
        setattr(layer, f"dropout{i}", Dropout(dropout))
    layer.activation, layer._activation_name = _activation(activation)
    layer.d_model, layer.nhead, layer.dim_feedforward = d_model, nhead, dim_feedforward
    layer.batch_first = batch_first

class TransformerEncoderLayer(Module):
    r"""Self-attention and a position-wise feed-forward network, each with a residual connection
    and layer normalization (PyTorch's layer: arguments, defaults, submodule names).

    Forward:     post-norm: x ← LN₁(x + SA(x)), x ← LN₂(x + FF(x)); pre-norm (norm_first):
                 x ← x + SA(LN₁(x)), x ← x + FF(LN₂(x)); FF(x) = W₂ φ(W₁ x + b₁) + b₂
    Derivative:  the residual passes G unchanged beside the branch: ∂L/∂x = G + (∂branch/∂x)ᵀ G,
                 through layer norm, the feed-forward layers and attention (see their formulas)

    src: (S, N, E), (N, S, E) with batch_first, or unbatched (S, E). ``src_mask`` (S, S) or
    (N·nhead, S, S) and ``src_key_padding_mask`` (N, S) follow MultiheadAttention's conventions
    (boolean True = masked out).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        _add_feed_forward_and_norms(self, 2, d_model, nhead, dim_feedforward, dropout,
                                    activation, layer_norm_eps, batch_first, norm_first, bias,
                                    dtype)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src if isinstance(src, Tensor) else Tensor._make(src)
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, S, d_model)" if self.batch_first else "(S, N, d_model)"
            raise ValueError(f"TransformerEncoderLayer(d_model={self.d_model}): expected src of "
                             f"shape {layout} or unbatched (S, d_model) with d_model = "
                             f"{self.d_model}, got {tuple(x.shape)}")
        # PyTorch's fused inference kernel (which this layer's inference takes) normalises the
        # scores with a plain softmax: a query whose keys are all masked gets NaN, where its
        # ordinary path (scaled_dot_product_attention) gets 0 — the same choice here
        plain = _inference_fast_path(self, x)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal,
                                   plain)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal,
                                              plain))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal, plain_softmax=False):
        # need_weights=True is MultiheadAttention's route with an explicit (plain) softmax
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=plain_softmax and (attn_mask is not None
                                                           or key_padding_mask is not None),
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)

    def formula(self) -> Formula:
        phi = {"relu": "ReLU", "gelu": "GELU"}.get(self._activation_name, self._activation_name)
        if self.norm_first:
            text = ("x ← x + Dropout(SelfAttention(LN₁(x))),  x ← x + Dropout(FF(LN₂(x))),  "
                    f"FF(x) = W₂ Dropout({phi}(W₁ x + b₁)) + b₂")
            latex = (r"x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\quad x \leftarrow x + "
                     r"\mathrm{FF}(\mathrm{LN}_2(x))")
        else:
            text = ("x ← LN₁(x + Dropout(SelfAttention(x))),  x ← LN₂(x + Dropout(FF(x))),  "
                    f"FF(x) = W₂ Dropout({phi}(W₁ x + b₁)) + b₂")
            latex = (r"x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\quad x \leftarrow "
                     r"\mathrm{LN}_2(x + \mathrm{FF}(x))")
        latex += (rf",\quad \mathrm{{FF}}(x) = W_2\,\mathrm{{{phi}}}(W_1 x + b_1) + b_2,\ "
                  rf"W_1 \in \mathbb{{R}}^{{{self.dim_feedforward}\times{self.d_model}}}")
        derivative = ("∂L/∂x = G + (∂ branch/∂x)ᵀ G at each residual connection (the identity "
                      "path carries G unchanged), then layer norm, feed-forward and attention")
        derivative_tex = (r"\frac{\partial L}{\partial x} = G + \left(\frac{\partial\,"
                          r"\mathrm{branch}}{\partial x}\right)^{\!\top} G")
        eqs = [Equation("Forward", text + f",  W₁ ∈ ℝ^{{{self.dim_feedforward}×{self.d_model}}}",
                        latex),
               Equation("Derivative", derivative, derivative_tex)]
        for name in ("self_attn", "norm1"):
            eqs.extend(Equation(f"{name}: {e.label}", e.text, e.latex)
                       for e in getattr(self, name).formula().equations)
        return Formula("TransformerEncoderLayer", tuple(eqs),
                       "Attention lets every position read every other; the feed-forward network "
                       "transforms each position alone; residual connections keep a direct path "
                       "for the gradient through a deep stack.")

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward="
                f"{self.dim_feedforward}, activation={self._activation_name}, "
                f"norm_first={self.norm_first}")


def generate_square_subsequent_mask(size: int, dtype=None):
    """The (size × size) causal mask as PyTorch's ``nn.Transformer.generate_square_subsequent_mask``
    makes it: 0 on and below the diagonal, −∞ above (position i attends to positions 0…i)."""
    dtype = dtype or get_default_dtype()
    return xp.triu(xp.full((size, size), -xp.inf, dtype=dtype), 1)


def _is_causal_mask(mask, size: int) -> bool:
    """Whether ``mask`` is the (size × size) causal mask (−∞ or True strictly above the
    diagonal, 0 or False elsewhere): PyTorch's ``_detect_is_causal_mask``."""
    data = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if B.is_foreign_array(data):            # a check, not a computation: read on the host
        data = B.to_numpy(data)
    if data.shape != (size, size):
        return False
    upper = xp.triu(xp.ones((size, size), dtype=bool), 1)
    if data.dtype == xp.bool_:
        return bool((data == upper).all())
    return bool((xp.isneginf(data) == upper).all() and (data[~upper] == 0).all())


def _inference_fast_path(layer, x) -> bool:
    """Whether PyTorch's encoder layer takes its fused inference kernel for input ``x``: a
    batched input, eval mode, a layer of the form :func:`_nested_tensor_layer` asks for (bar
    norm_first, which the kernel handles), no forward hooks on it or its parts, and no gradient
    to record (grad mode off, or neither x nor the layer's weights require one)."""
    attention = layer.self_attn
    if (x.ndim != 3 or layer.training or not attention.batch_first
            or attention.in_proj_bias is None or not attention._qkv_same_embed_dim
            or layer._activation_name not in ("relu", "gelu") or layer.norm1.eps != layer.norm2.eps
            or attention.num_heads % 2 == 1):
        return False
    if any(m._forward_hooks or m._forward_pre_hooks for m in layer.modules()):
        return False
    return not (is_grad_enabled() and (x.requires_grad or any(
        p.requires_grad for p in layer.parameters())))


def _nested_tensor_layer(layer) -> bool:
    """Whether PyTorch's TransformerEncoder would use nested tensors with this layer: a
    post-norm, batch-first TransformerEncoderLayer with one input projection and its bias, a
    ReLU or GELU activation, equal eps in its two norms and an even number of heads."""
    attention = getattr(layer, "self_attn", None)
    return (isinstance(layer, TransformerEncoderLayer) and not layer.norm_first
            and attention.batch_first and attention._qkv_same_embed_dim
            and attention.in_proj_bias is not None
            and layer._activation_name in ("relu", "gelu")
            and layer.norm1.eps == layer.norm2.eps and attention.num_heads % 2 == 0)


class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` copies of ``encoder_layer`` (deep copies: each has its own
    weights), then ``norm`` if given (PyTorch's ``nn.TransformerEncoder``; keys layers.0.…).

    Forward:     x₀ = src,  x_{k+1} = layer_k(x_k, mask, src_key_padding_mask),  y = norm(x_L)
    Derivative:  the chain rule through the layers in reverse order
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm=None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"TransformerEncoder: num_layers must be a positive integer, got "
                             f"{num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        if norm is not None:
            self.norm = norm
        else:
            self.register_module("norm", None)
        self.enable_nested_tensor = enable_nested_tensor
        # PyTorch's inference path over nested tensors, which leaves a padded position of the
        # output at 0, is taken only for a layer of this form (see _padded_positions_zeroed)
        self.use_nested_tensor = enable_nested_tensor and _nested_tensor_layer(encoder_layer)
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        x = src if isinstance(src, Tensor) else Tensor._make(src)
        if is_causal is None:
            first = self.layers[0]
            seq_axis = 1 if (x.ndim == 3 and first.batch_first) else 0
            is_causal = mask is not None and _is_causal_mask(mask, x.shape[seq_axis])
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=is_causal)
        padded = self._padded_positions_zeroed(src, x, mask, src_key_padding_mask)
        if padded is not None:
            x = ops.where(Tensor._from_op(B.asarray_like(padded[..., None], x._data), None),
                          ops.zeros_like(x), x)
        if self.norm is not None:
            x = self.norm(x)
        return x

    def _padded_positions_zeroed(self, src, x, mask, src_key_padding_mask):
        """The (N, S) padded positions that PyTorch's encoder returns as 0, or None.

        In inference (first layer in eval mode, and no gradient to record: grad mode off or
        neither src nor the first layer's weights require one), with a batch-first 3-D src, a
        key padding mask and no attention mask, PyTorch packs each sequence's unpadded positions
        into a nested tensor (when every row's padding is at its end, the check ``mask_check``
        makes) and pads the result back with zeros, before ``norm``. The unpadded positions are
        those of the ordinary computation (the padded keys are masked out either way)."""
        first = self.layers[0]
        if (not getattr(self, "use_nested_tensor", False) or first.training or x.ndim != 3
                or src_key_padding_mask is None or mask is not None):
            return None
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in (
                src, *(p for _, p in first.named_parameters()))):
            return None
        pad = src_key_padding_mask
        pad = B.to_numpy(pad._data if isinstance(pad, Tensor) else xp.asarray(pad))
        padded = pad if pad.dtype == xp.bool_ else pad != 0     # an additive mask: nonzero
        if padded.shape != tuple(x.shape[:2]):
            return None
        if getattr(self, "mask_check", True) and (padded[:, :-1] & ~padded[:, 1:]).any():
            return None                 # some row's padding is not at its end
        return padded

    def formula(self) -> Formula:
        eqs = [Equation("Forward", f"x_{{k+1}} = layer_k(x_k), k = 0…{self.num_layers - 1}"
                        + (", y = norm(x)" if self.norm is not None else ", y = x"),
                        r"x_{k+1} = \mathrm{layer}_k(x_k)"),
               Equation("Derivative", "∂L/∂x_k = (∂x_{k+1}/∂x_k)ᵀ ∂L/∂x_{k+1}",
                        r"\frac{\partial L}{\partial x_k} = \left(\frac{\partial x_{k+1}}"
                        r"{\partial x_k}\right)^{\!\top} \frac{\partial L}{\partial x_{k+1}}")]
        eqs.extend(Equation(f"layer: {e.label}", e.text, e.latex)
                   for e in self.layers[0].formula().equations[:2])
        return Formula("TransformerEncoder", tuple(eqs),
                       f"{self.num_layers} encoder layers applied in turn, each with its own "
                       "weights.")


# ------------------------------------------------------------------------------------ decoder
class TransformerDecoderLayer(Module):
    r"""Masked self-attention, attention over the encoder's output (memory), and a position-wise
    feed-forward network, each with a residual connection and layer normalization (PyTorch's
    ``nn.TransformerDecoderLayer``: arguments, defaults and submodule names self_attn,
    multihead_attn, linear1, dropout, linear2, norm1–3, dropout1–3).

    Forward:     post-norm: x ← LN₁(x + SA(x)), x ← LN₂(x + CA(x, m)), x ← LN₃(x + FF(x));
                 pre-norm (norm_first): x ← x + SA(LN₁(x)), x ← x + CA(LN₂(x), m),
                 x ← x + FF(LN₃(x)); CA(x, m) = MultiheadAttention(query x, key = value = m)
    Derivative:  each residual passes G unchanged beside its branch; the memory m receives the
                 gradient of the cross-attention's keys and values, summed over the layers

    tgt: (T, N, E), (N, T, E) with batch_first, or unbatched (T, E); memory: (S, N, E) likewise.
    ``tgt_mask`` (T, T) (commonly causal), ``memory_mask`` (T, S) and the key padding masks
    (N, T) / (N, S) follow MultiheadAttention's conventions (boolean True = masked out).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype)
        _add_feed_forward_and_norms(self, 3, d_model, nhead, dim_feedforward, dropout,
                                    activation, layer_norm_eps, batch_first, norm_first, bias,
                                    dtype)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt if isinstance(tgt, Tensor) else Tensor._make(tgt)
        m = memory if isinstance(memory, Tensor) else Tensor._make(memory)
        layout = "(N, T, d_model)" if self.batch_first else "(T, N, d_model)"
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"TransformerDecoderLayer(d_model={self.d_model}): expected tgt of "
                             f"shape {layout} or unbatched (T, d_model), got {tuple(x.shape)}")
        if m.ndim != x.ndim or m.shape[-1] != self.d_model:
            raise ValueError(f"TransformerDecoderLayer(d_model={self.d_model}): memory of shape "
                             f"{tuple(m.shape)} does not match tgt of shape {tuple(x.shape)}: "
                             f"expected the same layout with d_model = {self.d_model} features")
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), m, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, m, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)

    def formula(self) -> Formula:
        phi = {"relu": "ReLU", "gelu": "GELU"}.get(self._activation_name, self._activation_name)
        ff = f"FF(x) = W₂ Dropout({phi}(W₁ x + b₁)) + b₂"
        if self.norm_first:
            text = ("x ← x + SA(LN₁(x)),  x ← x + CA(LN₂(x), m),  x ← x + FF(LN₃(x)),  " + ff)
            latex = (r"x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\ x \leftarrow x + "
                     r"\mathrm{CA}(\mathrm{LN}_2(x), m),\ x \leftarrow x + "
                     r"\mathrm{FF}(\mathrm{LN}_3(x))")
        else:
            text = ("x ← LN₁(x + SA(x)),  x ← LN₂(x + CA(x, m)),  x ← LN₃(x + FF(x)),  " + ff)
            latex = (r"x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\ x \leftarrow "
                     r"\mathrm{LN}_2(x + \mathrm{CA}(x, m)),\ x \leftarrow "
                     r"\mathrm{LN}_3(x + \mathrm{FF}(x))")
        eqs = [Equation("Forward", text, latex),
               Equation("Derivative",
                        "∂L/∂x = G + (∂ branch/∂x)ᵀ G at each residual connection; "
                        "∂L/∂m = Σ (∂CA/∂m)ᵀ G through the cross-attention's keys and values",
                        r"\frac{\partial L}{\partial x} = G + \left(\frac{\partial\,"
                        r"\mathrm{branch}}{\partial x}\right)^{\!\top} G")]
        eqs.extend(Equation(f"self_attn: {e.label}", e.text, e.latex)
                   for e in self.self_attn.formula().equations)
        return Formula("TransformerDecoderLayer", tuple(eqs),
                       "Each target position reads the earlier target positions (masked "
                       "self-attention), then the whole source through the encoder's memory "
                       "(cross-attention), then is transformed alone by the feed-forward "
                       "network.")

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward="
                f"{self.dim_feedforward}, activation={self._activation_name}, "
                f"norm_first={self.norm_first}")


class TransformerDecoder(Module):
    r"""A stack of ``num_layers`` copies of ``decoder_layer``, then ``norm`` if given
    (PyTorch's ``nn.TransformerDecoder``; keys layers.0.…, norm.…).

    Forward:     x₀ = tgt,  x_{k+1} = layer_k(x_k, memory, masks),  y = norm(x_L)
    Derivative:  the chain rule through the layers in reverse; memory's gradient is the sum of
                 what every layer's cross-attention sends it
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm=None):
        super().__init__()
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"TransformerDecoder: num_layers must be a positive integer, got "
                             f"{num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        if norm is not None:
            self.norm = norm
        else:
            self.register_module("norm", None)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False):
        x = tgt if isinstance(tgt, Tensor) else Tensor._make(tgt)
        if tgt_is_causal is None:
            first = self.layers[0]
            seq_axis = 1 if (x.ndim == 3 and first.batch_first) else 0
            tgt_is_causal = tgt_mask is not None and _is_causal_mask(tgt_mask, x.shape[seq_axis])
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            x = self.norm(x)
        return x

    def formula(self) -> Formula:
        eqs = [Equation("Forward", f"x_{{k+1}} = layer_k(x_k, m), k = 0…{self.num_layers - 1}"
                        + (", y = norm(x)" if self.norm is not None else ", y = x"),
                        r"x_{k+1} = \mathrm{layer}_k(x_k, m)"),
               Equation("Derivative", "∂L/∂x_k = (∂x_{k+1}/∂x_k)ᵀ ∂L/∂x_{k+1},  "
                        "∂L/∂m = Σ_k (∂x_{k+1}/∂m)ᵀ ∂L/∂x_{k+1}",
                        r"\frac{\partial L}{\partial m} = \sum_k \left(\frac{\partial x_{k+1}}"
                        r"{\partial m}\right)^{\!\top} \frac{\partial L}{\partial x_{k+1}}")]
        return Formula("TransformerDecoder", tuple(eqs),
                       f"{self.num_layers} decoder layers applied in turn, each reading the same "
                       "encoder memory.")


class Transformer(Module):
    r"""The encoder–decoder Transformer (Vaswani et al., 2017), as PyTorch's ``nn.Transformer``:
    arguments, defaults, parameter names (encoder.layers.k.…, encoder.norm, decoder.layers.k.…,
    decoder.norm) and initialisation (Xavier-uniform for every parameter with more than one
    axis).

    Forward:     m = Encoder(src, src_mask, src_key_padding_mask),
                 y = Decoder(tgt, m, tgt_mask, memory_mask, tgt_key_padding_mask,
                 memory_key_padding_mask); both stacks end with a LayerNorm
    Derivative:  through the decoder to tgt and to m, then through the encoder to src
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", custom_encoder=None, custom_decoder=None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        common = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                      layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                      norm_first=norm_first, bias=bias, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **common), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **common), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        from .. import init
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        src = src if isinstance(src, Tensor) else Tensor._make(src)
        tgt = tgt if isinstance(tgt, Tensor) else Tensor._make(tgt)
        batched = src.ndim == 3
        batch_axis = 0 if self.batch_first else 1
        if batched and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, got "
                               f"src {tuple(src.shape)} and tgt {tuple(tgt.shape)} (batch axis "
                               f"{batch_axis}, batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal to "
                               f"d_model={self.d_model}, got src {tuple(src.shape)} and tgt "
                               f"{tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The (sz × sz) causal mask as a Tensor: 0 on and below the diagonal, −∞ above; on
        ``device`` if given (made on the host, then moved, as the other factories)."""
        mask = Tensor._from_op(generate_square_subsequent_mask(sz, dtype), None)
        return mask if device is None else mask.to(device)

    def formula(self) -> Formula:
        eqs = [Equation("Forward", "m = Encoder(src),  y = Decoder(tgt, m)",
                        r"m = \mathrm{Encoder}(\mathrm{src}),\quad y = "
                        r"\mathrm{Decoder}(\mathrm{tgt}, m)"),
               Equation("Derivative", "∂L/∂src = (∂m/∂src)ᵀ (∂y/∂m)ᵀ G,  ∂L/∂tgt = (∂y/∂tgt)ᵀ G",
                        r"\frac{\partial L}{\partial \mathrm{src}} = \left(\frac{\partial m}"
                        r"{\partial \mathrm{src}}\right)^{\!\top}\left(\frac{\partial y}"
                        r"{\partial m}\right)^{\!\top} G")]
        return Formula("Transformer", tuple(eqs),
                       "The encoder turns the source into a memory that every decoder layer "
                       "attends to while producing the target sequence.")
