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

from ... import ops
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
                 dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation, self._activation_name = _activation(activation)
        self.d_model, self.nhead, self.dim_feedforward = d_model, nhead, dim_feedforward
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src if isinstance(src, Tensor) else Tensor._make(src)
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, S, d_model)" if self.batch_first else "(S, N, d_model)"
            raise ValueError(f"TransformerEncoderLayer(d_model={self.d_model}): expected src of "
                             f"shape {layout} or unbatched (S, d_model) with d_model = "
                             f"{self.d_model}, got {tuple(x.shape)}")
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
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
    if data.shape != (size, size):
        return False
    upper = xp.triu(xp.ones((size, size), dtype=bool), 1)
    if data.dtype == xp.bool_:
        return bool((data == upper).all())
    return bool((xp.isneginf(data) == upper).all() and (data[~upper] == 0).all())


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
        # accepted for PyTorch's signature; nested tensors are a PyTorch inference fast path
        self.enable_nested_tensor = enable_nested_tensor
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
        if self.norm is not None:
            x = self.norm(x)
        return x

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
