r"""Multi-head attention (PyTorch's ``nn.MultiheadAttention``: arguments, parameter names, layouts).

With h heads of size d = E/h, for each head i:

    Qᵢ = X_q W_qᵢᵀ + b_qᵢ,  Kᵢ = X_k W_kᵢᵀ + b_kᵢ,  Vᵢ = X_v W_vᵢᵀ + b_vᵢ,
    headᵢ = softmax(Qᵢ Kᵢᵀ/√d + B) Vᵢ,   Y = [head₁ … head_h] W_oᵀ + b_o.

W_q, W_k, W_v are the three row blocks of ``in_proj_weight`` (3E × E) — or ``q_proj_weight``,
``k_proj_weight``, ``v_proj_weight`` when kdim or vdim differ from E — and W_o, b_o are
``out_proj.weight`` and ``out_proj.bias``: PyTorch's state_dict loads unchanged. Each head's
attention is the fused primitive :class:`chainrule.ops.attention.ScaledDotProductAttention`.
"""
from __future__ import annotations

import math

from ... import backend as B
from ... import ops
from ...autograd.grad_mode import is_grad_enabled
from ...backend import asarray_like, get_default_dtype, is_foreign_array, xp
from ...mathematics import Formula
from ...ops import attention as A
from ...ops.dropout import dropout as _dropout
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import Linear


def _shape(t) -> str:
    return "(" + ", ".join(str(s) for s in getattr(t, "shape", ())) + ")"


def _add(a, b):
    """a + b for additive masks that may be arrays (constants) or Tensors (learned biases)."""
    if a is None:
        return b
    if b is None:
        return a
    # A float mask of another array library beside a NumPy bias (made from a boolean mask):
    # the NumPy one moves into the other's library.
    a_data, b_data = (t._data if isinstance(t, Tensor) else t for t in (a, b))
    if is_foreign_array(a_data) and not is_foreign_array(b_data):
        b = _in_library_of(b, a if isinstance(a, Tensor) else Tensor._make(a))
    elif is_foreign_array(b_data) and not is_foreign_array(a_data):
        a = _in_library_of(a, b if isinstance(b, Tensor) else Tensor._make(b))
    return a + b


def _pad_last(bias):
    """Append a 0 (a position that takes part) to the last axis of an additive mask."""
    if bias is None:
        return None
    width = [(0, 0)] * (bias.ndim - 1) + [(0, 1)]
    if isinstance(bias, Tensor):
        return ops.pad(bias, width)
    return xp.pad(bias, width)


def _reshape_bias(bias, shape):
    return ops.reshape(bias, shape) if isinstance(bias, Tensor) else bias.reshape(shape)



def _in_library_of(bias, like: Tensor):
    """A constant additive mask (a NumPy array, or a Tensor of one) in the array library of
    ``like`` (another array API library's, e.g. CuPy's), so that the two can be added."""
    array = bias._data if isinstance(bias, Tensor) else bias
    if is_foreign_array(like._data) and not is_foreign_array(array) \
            and not getattr(bias, "requires_grad", False):
        return Tensor._from_op(asarray_like(array, like._data), None)
    return bias


class MultiheadAttention(Module):
    r"""Attention with ``num_heads`` heads over ``embed_dim`` features (PyTorch's layer).

    Forward:     headᵢ = softmax(Qᵢ Kᵢᵀ/√d + B) Vᵢ,  Qᵢ = X_q W_qᵢᵀ + b_qᵢ (likewise K, V),
                 Y = [head₁ … head_h] W_oᵀ + b_o,  d = embed_dim/num_heads
    Derivative:  per head, ∂L/∂S = P ⊙ (∂L/∂P − rowsum(∂L/∂P ⊙ P)) with ∂L/∂P = G Vᵀ,
                 ∂L/∂Q = (∂L/∂S) K/√d, ∂L/∂K = (∂L/∂S)ᵀ Q/√d, ∂L/∂V = Pᵀ G; then the linear maps
    Init:        in_proj_weight (or q/k/v_proj_weight) Xavier-uniform, in-projection and
                 out_proj biases 0, out_proj.weight as nn.Linear (PyTorch's initialisation)

    Masks (PyTorch's conventions for this layer): ``key_padding_mask`` (N, S), boolean True where
    a key is padding (ignored), or float, added; ``attn_mask`` (L, S) or (N·num_heads, L, S),
    boolean True where attention is NOT allowed, or float, added. Note that
    :func:`~chainrule.nn.functional.scaled_dot_product_attention` reads a boolean mask the other
    way round (True = takes part), as PyTorch's does.

    >>> mha = MultiheadAttention(16, 4, batch_first=True)
    >>> x = chainrule.randn(2, 5, 16)
    >>> y, w = mha(x, x, x)                 # y (2, 5, 16), w (2, 5, 5) averaged over heads
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if device is not None:
            from ...device import check
            check(device, "MultiheadAttention")
        for arg, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"MultiheadAttention: {arg} must be a positive integer, got "
                                 f"{value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads}): each head gets embed_dim/num_heads "
                             f"features; e.g. num_heads in "
                             f"{[h for h in range(1, embed_dim + 1) if embed_dim % h == 0][:8]}")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        dtype = dtype or get_default_dtype()
        E = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(xp.empty((3 * E, E), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(xp.empty((E, E), dtype=dtype))
            self.k_proj_weight = Parameter(xp.empty((E, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(xp.empty((E, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(xp.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(xp.empty((1, 1, E), dtype=dtype))
            self.bias_v = Parameter(xp.empty((1, 1, E), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # ----------------------------------------------------------------- checks
    def _describe(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _check_inputs(self, query, key, value, key_padding_mask, attn_mask):
        name = self._describe()
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if query.ndim not in (2, 3):
            raise ValueError(f"{name}: query must be 3-D {layout} or 2-D unbatched (L, E), got "
                             f"shape {_shape(query)}")
        batched = query.ndim == 3
        for what, t, size in (("key", key, self.kdim), ("value", value, self.vdim)):
            if t.ndim != query.ndim:
                raise ValueError(f"{name}: query is {query.ndim}-D {_shape(query)} but {what} is "
                                 f"{t.ndim}-D {_shape(t)}; they must have the same rank")
            if t.shape[-1] != size:
                raise ValueError(f"{name}: {what} has {t.shape[-1]} features in its last axis, "
                                 f"expected {'kdim' if what == 'key' else 'vdim'} = {size} "
                                 f"({what} shape {_shape(t)})")
        if query.shape[-1] != self.embed_dim:
            raise ValueError(f"{name}: query has {query.shape[-1]} features in its last axis, "
                             f"expected embed_dim = {self.embed_dim} (query shape {_shape(query)})")
        seq_axis = 1 if (batched and self.batch_first) else 0
        if key.shape[seq_axis] != value.shape[seq_axis]:
            raise ValueError(f"{name}: key {_shape(key)} and value {_shape(value)} must have the "
                             f"same number of positions (source length)")
        if batched:
            batch_axis = 0 if self.batch_first else 1
            sizes = {t.shape[batch_axis] for t in (query, key, value)}
            if len(sizes) != 1:
                raise ValueError(f"{name}: query {_shape(query)}, key {_shape(key)} and value "
                                 f"{_shape(value)} must have the same batch size (layout "
                                 f"{layout}, batch_first={self.batch_first})")
        N = query.shape[0 if self.batch_first else 1] if batched else None
        L, S = query.shape[seq_axis], key.shape[seq_axis]
        if key_padding_mask is not None:
            expected = (N, S) if batched else (S,)
            if tuple(key_padding_mask.shape) != expected:
                raise ValueError(f"{name}: key_padding_mask has shape {_shape(key_padding_mask)}, "
                                 f"expected {expected} = (batch, source length)"
                                 if batched else f"{name}: key_padding_mask has shape "
                                 f"{_shape(key_padding_mask)}, expected {expected} = (source "
                                 f"length,) for unbatched input")
        if attn_mask is not None:
            H = self.num_heads
            three = (N * H, L, S) if batched else (H, L, S)
            if tuple(attn_mask.shape) not in ((L, S), three):
                raise ValueError(f"{name}: attn_mask has shape {_shape(attn_mask)}, expected "
                                 f"({L}, {S}) = (target length L, source length S) or {three} = "
                                 f"({'batch·num_heads' if batched else 'num_heads'}, L, S)")
        return batched, N, L, S

    def _inference_fast_path(self, query, key_padding_mask, attn_mask) -> bool:
        """Whether PyTorch would run this self-attention call through its fused inference
        kernel: batched input, eval mode, an even number of heads, batch_first, one input
        projection with its bias, no bias_k/bias_v or zero attention, no floating-point mask,
        and no gradient to record (grad mode off, or neither the input nor the projections
        require one)."""
        masks = [m for m in (key_padding_mask, attn_mask) if m is not None]
        if (query.ndim != 3 or self.training or self.num_heads % 2 or not self.batch_first
                or not self._qkv_same_embed_dim or self.in_proj_bias is None
                or self.bias_k is not None or self.add_zero_attn
                or any(B.dtype_kind(getattr(m, "dtype", xp.asarray(m).dtype)) == "f"
                       for m in masks)):
            return False
        return not (is_grad_enabled() and any(t.requires_grad for t in (
            query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
            self.out_proj.bias)))

    # ----------------------------------------------------------------- forward
    def _projections(self):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[0:E], w[E:2 * E], w[2 * E:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None, None, None) if b is None else (b[0:E], b[E:2 * E], b[2 * E:])
        return ws, bs

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        """Returns (attn_output, attn_weights).

        query (L, N, E) — (N, L, E) with batch_first — or unbatched (L, E); key (S, N, kdim),
        value (S, N, vdim) likewise. attn_output has query's layout; attn_weights are
        (N, L, S) averaged over heads, (N, num_heads, L, S) with average_attn_weights=False, or
        None with need_weights=False (the fused attention is used then). ``is_causal`` is a hint
        that attn_mask is the causal mask, as in PyTorch (attn_mask is required with it).
        """
        same = query is key and key is value
        query, key, value = (t if isinstance(t, Tensor) else Tensor._make(t)
                             for t in (query, key, value))
        batched, N, L, S = self._check_inputs(query, key, value, key_padding_mask, attn_mask)
        # PyTorch's fused inference kernel normalises with a plain softmax (a query whose keys
        # are all masked gets NaN; its scaled_dot_product_attention route gets 0): the same here
        plain = need_weights or (same and self._inference_fast_path(
            query, key_padding_mask, attn_mask))
        if is_causal and attn_mask is None:
            raise RuntimeError(f"{self._describe()}: is_causal=True is a hint that attn_mask is "
                               "causal and needs attn_mask (e.g. "
                               "nn.generate_square_subsequent_mask(L))")
        dtype = query.dtype
        H, d = self.num_heads, self.head_dim
        if not batched:
            query, key, value = (ops.expand_dims(t, 1) for t in (query, key, value))
            N = 1
            if key_padding_mask is not None:
                key_padding_mask = _unsqueeze0(key_padding_mask)
        time_major = not (batched and self.batch_first)   # (L, N, E) rather than (N, L, E)

        (wq, wk, wv), (bq, bk, bv) = self._projections()
        q = ops.linear(query, wq, bq)
        k = ops.linear(key, wk, bk)
        v = ops.linear(value, wv, bv)

        kpm = A.mask_to_bias(key_padding_mask, dtype, take_part_when=False,
                             op="MultiheadAttention key_padding_mask")
        use_causal = is_causal and kpm is None and not plain
        am = None if use_causal else A.mask_to_bias(attn_mask, dtype, take_part_when=False,
                                                    op="MultiheadAttention attn_mask")
        if self.bias_k is not None:   # one more key and value, learned, for every sequence
            E = self.embed_dim
            shape, axis = ((1, N, E), 0) if time_major else ((N, 1, E), 1)
            k = ops.concatenate([k, ops.broadcast_to(self.bias_k, shape)], axis=axis)
            v = ops.concatenate([v, ops.broadcast_to(self.bias_v, shape)], axis=axis)
            am, kpm = _pad_last(am), _pad_last(kpm)

        q, k, v = (_heads(t, N, H, d, time_major) for t in (q, k, v))   # (N, H, ·, d)
        if self.add_zero_attn:
            zeros = Tensor._make(xp.zeros((N, H, 1, d), dtype=dtype)
                                 if type(q._data) is xp.ndarray else
                                 B.namespace(q._data).zeros((N, H, 1, d), dtype=q._data.dtype,
                                                            device=q._data.device))
            k, v = ops.concatenate([k, zeros], axis=2), ops.concatenate([v, zeros], axis=2)
            am, kpm = _pad_last(am), _pad_last(kpm)
        S = k.shape[2]

        if am is not None and am.ndim == 3:
            am = _reshape_bias(am, (N, H, L, S) if batched else (1, H, L, S))
        if kpm is not None:
            kpm = _reshape_bias(kpm, (N, 1, 1, S))
        bias = _add(am, kpm)
        p = self.dropout if self.training else 0.0

        if plain:
            scores = ops.matmul(q * (1.0 / math.sqrt(d)), ops.swapaxes(k, -1, -2))
            if bias is not None:
                scores = scores + _in_library_of(bias, scores)
            with xp.errstate(invalid="ignore"):   # a fully masked row gives nan, as PyTorch's
                weights = ops.softmax(scores, axis=-1)
            if p > 0:
                weights = _dropout(weights, p)
            o = ops.matmul(weights, v)
        else:
            if use_causal:
                bias = A.causal_bias(L, S, dtype)
            o = A.attention(q, k, v, bias, dropout_p=p)
            weights = None

        o = _merge_heads(o, N, L, self.embed_dim, time_major)
        out = self.out_proj(o)
        if self.training and batched and not time_major:
            # PyTorch computes in (L, N, E) and returns a transposed view; the same memory
            # layout here, so that a dropout mask drawn for the output in training (drawn in
            # memory order, as PyTorch's empty_like keeps the layout) takes PyTorch's numbers
            out = ops.swapaxes(ops.swapaxes(out, 0, 1).contiguous(), 0, 1)
        if not batched:
            out = ops.squeeze(out, 1)
        if not need_weights:
            weights = None
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(axis=1)
            if not batched:
                weights = ops.squeeze(weights, 0)
        return out, weights

    # ----------------------------------------------------------------- mathematics
    def formula(self) -> Formula:
        E, h, d = self.embed_dim, self.num_heads, self.head_dim
        pairs = [("Forward", f"headᵢ = softmax(Qᵢ Kᵢᵀ/√{d} + B) Vᵢ,  Qᵢ = X_q W_qᵢᵀ + b_qᵢ, "
                             f"Kᵢ = X_k W_kᵢᵀ + b_kᵢ, Vᵢ = X_v W_vᵢᵀ + b_vᵢ (i = 1…{h}),  "
                             f"Y = [head₁ … head_{h}] W_oᵀ + b_o,  W_o ∈ ℝ^{{{E}×{E}}}"),
                 ("Derivative", "∂L/∂Sᵢ = Pᵢ ⊙ (Gᵢ Vᵢᵀ − rowsum(Gᵢ Vᵢᵀ ⊙ Pᵢ)),  "
                                f"∂L/∂Qᵢ = (∂L/∂Sᵢ) Kᵢ/√{d},  ∂L/∂Kᵢ = (∂L/∂Sᵢ)ᵀ Qᵢ/√{d},  "
                                "∂L/∂Vᵢ = Pᵢᵀ Gᵢ  (Gᵢ = ∂L/∂headᵢ)")]
        latex = [r"\mathrm{head}_i = \operatorname{softmax}\!\left(\frac{Q_i K_i^{\top}}"
                 rf"{{\sqrt{{{d}}}}} + B\right) V_i,\quad Y = [\mathrm{{head}}_1 \cdots "
                 rf"\mathrm{{head}}_{{{h}}}]\, W_o^{{\top}} + b_o",
                 r"\frac{\partial L}{\partial S_i} = P_i \odot \left(G_i V_i^{\top} - "
                 r"\operatorname{rowsum}(G_i V_i^{\top} \odot P_i)\right),\quad "
                 rf"\frac{{\partial L}}{{\partial Q_i}} = \frac{{1}}{{\sqrt{{{d}}}}}"
                 r"\frac{\partial L}{\partial S_i} K_i,\quad \frac{\partial L}{\partial V_i} = "
                 r"P_i^{\top} G_i"]
        return Formula.of("MultiheadAttention", pairs, latex,
                          "Each head compares every query with every key, turns the similarities "
                          "into weights with a softmax, and averages the values with them; the "
                          "heads' results are concatenated and mixed by the output projection.")

    def extra_repr(self) -> str:
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            s += ", bias=False"
        if not self._qkv_same_embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            s += ", batch_first=True"
        return s


def _unsqueeze0(mask):
    if isinstance(mask, Tensor):
        return ops.expand_dims(mask, 0)
    return mask[None, ...] if is_foreign_array(mask) else xp.asarray(mask)[None]


def _heads(t, N: int, H: int, d: int, time_major: bool):
    """(L, N, E) or (N, L, E) → (N, H, L, d), a view: head i holds features i·d … (i+1)·d − 1."""
    if time_major:
        return ops.transpose(ops.reshape(t, (t.shape[0], N, H, d)), (1, 2, 0, 3))
    return ops.transpose(ops.reshape(t, (N, t.shape[1], H, d)), (0, 2, 1, 3))


def _merge_heads(o, N: int, L: int, E: int, time_major: bool):
    """(N, H, L, d) → (L, N, E) or (N, L, E): the heads' outputs side by side."""
    if time_major:
        return ops.reshape(ops.transpose(o, (2, 0, 1, 3)), (L, N, E))
    return ops.reshape(ops.transpose(o, (0, 2, 1, 3)), (N, L, E))
