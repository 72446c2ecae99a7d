r"""Positional encodings: attention is blind to order, so each position's vector gets a signature.

- :class:`SinusoidalPositionalEncoding` (Vaswani et al. 2017, fixed):
  PE(pos, 2i) = sin(pos/10000^{2i/d}), PE(pos, 2i+1) = cos(pos/10000^{2i/d}). Each pair of
  features is a rotation at its own frequency, so PE(pos + k) is a linear function of PE(pos).
- :class:`LearnedPositionalEncoding` (BERT, GPT): a learned table P ∈ ℝ^{max_len×d}.

Both return x + PE[:L] (then dropout), for x of shape (L, N, d), (N, L, d) with batch_first, or
unbatched (L, d).
"""
from __future__ import annotations

import math

from ... import backend as B
from ... import ops
from ...backend import get_default_dtype, xp
from ...mathematics import Formula
from ...ops.dropout import dropout as _dropout
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter


def sinusoidal_table(max_len: int, d_model: int, dtype=None):
    """The (max_len, d_model) array PE(pos, 2i) = sin(pos·ωᵢ), PE(pos, 2i+1) = cos(pos·ωᵢ),
    ωᵢ = 10000^{−2i/d_model} (computed in float64, then cast)."""
    pos = xp.arange(max_len, dtype=xp.float64)[:, None]
    omega = xp.exp(xp.arange(0, d_model, 2, dtype=xp.float64) * (-math.log(10000.0) / d_model))
    pe = xp.zeros((max_len, d_model), dtype=xp.float64)
    pe[:, 0::2] = xp.sin(pos * omega)
    pe[:, 1::2] = xp.cos(pos * omega[: d_model // 2])
    return pe.astype(dtype or get_default_dtype())


class _PositionalBase(Module):
    def __init__(self, d_model: int, max_len: int, dropout: float, batch_first: bool):
        super().__init__()
        for arg, value in (("d_model", d_model), ("max_len", max_len)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{type(self).__name__}: {arg} must be a positive integer, got "
                                 f"{value!r}")
        self.d_model, self.max_len = d_model, max_len
        self.p = float(dropout)
        self.batch_first = batch_first

    def _table(self):
        raise NotImplementedError

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor._make(x)
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, L, d_model)" if self.batch_first else "(L, N, d_model)"
            raise ValueError(f"{name}(d_model={self.d_model}): expected input of shape {layout} "
                             f"or unbatched (L, d_model), got {tuple(x.shape)}")
        seq_axis = 1 if (x.ndim == 3 and self.batch_first) else 0
        L = x.shape[seq_axis]
        if L > self.max_len:
            raise ValueError(f"{name}: the sequence has {L} positions but the table has max_len "
                             f"= {self.max_len}; build it with max_len ≥ {L}")
        pe = self._table()[:L]                                   # (L, d)
        if not isinstance(pe, Tensor):                           # the constant follows x:
            if type(pe) is xp.ndarray:                           # its dtype, then its library
                if pe.dtype != B.numpy_dtype(x.dtype):
                    pe = pe.astype(B.numpy_dtype(x.dtype))
                pe = B.asarray_like(pe, x._data)
            elif pe.dtype != x._data.dtype:
                pe = B.astype(pe, x._data.dtype)
        if x.ndim == 3 and not self.batch_first:
            pe = ops.expand_dims(pe, 1) if isinstance(pe, Tensor) else pe[:, None, :]
        if B.is_foreign_array(pe):                               # operators take arrays of
            pe = Tensor._make(pe)                                # other libraries as Tensors
        y = x + pe
        return _dropout(y, self.p, self.training) if self.p else y

    def extra_repr(self) -> str:
        s = f"d_model={self.d_model}, max_len={self.max_len}"
        if self.p:
            s += f", dropout={self.p}"
        return s + (", batch_first=True" if self.batch_first else "")


class SinusoidalPositionalEncoding(_PositionalBase):
    r"""x + PE[:L] with the fixed sinusoidal table (the Transformer's positional encoding).

    Forward:     y = x + PE[pos],  PE(pos, 2i) = sin(pos/10000^{2i/d}),
                 PE(pos, 2i+1) = cos(pos/10000^{2i/d})
    Derivative:  ∂L/∂x = G (the table is a constant)

    The table is a non-persistent buffer ``pe`` (max_len, d_model): it is not in the state_dict,
    since it is a function of max_len and d_model alone.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0,
                 batch_first: bool = False, dtype=None):
        super().__init__(d_model, max_len, dropout, batch_first)
        self.register_buffer("pe", Tensor._make(sinusoidal_table(max_len, d_model, dtype)),
                             persistent=False)

    def _table(self):
        return self.pe._data

    def to(self, dtype) -> SinusoidalPositionalEncoding:
        """Cast, recomputing the table in ``dtype`` (float32 → float64 would keep float32's
        rounding otherwise)."""
        super().to(dtype)
        if xp.dtype(dtype).kind == "f":
            self.pe = Tensor._make(sinusoidal_table(self.max_len, self.d_model, dtype))
        return self

    def formula(self) -> Formula:
        d = self.d_model
        pairs = [("Forward", f"y = x + PE[pos],  PE(pos, 2i) = sin(pos/10000^{{2i/{d}}}), "
                             f"PE(pos, 2i+1) = cos(pos/10000^{{2i/{d}}})"),
                 ("Derivative", "∂L/∂x = G  (PE is constant)")]
        latex = [rf"y = x + PE_{{pos}},\quad PE_{{pos,2i}} = \sin\!\left(\frac{{pos}}"
                 rf"{{10000^{{2i/{d}}}}}\right),\ PE_{{pos,2i+1}} = \cos\!\left(\frac{{pos}}"
                 rf"{{10000^{{2i/{d}}}}}\right)",
                 r"\frac{\partial L}{\partial x} = G"]
        return Formula.of("SinusoidalPositionalEncoding", pairs, latex,
                          "Each pair of features turns at its own frequency as the position "
                          "grows, so every position gets a distinct code and a shift by k "
                          "positions is the same rotation everywhere.")


class LearnedPositionalEncoding(_PositionalBase):
    r"""x + P[:L] with a learned table P ∈ ℝ^{max_len×d_model} (``weight``), as BERT and GPT.

    Forward:     y = x + P[pos]
    Derivative:  ∂L/∂x = G,  ∂L/∂P[pos] = Σ_batch G[pos]  (rows past the sequence get 0)
    Init:        P ~ N(0, 0.02²) (BERT's initialisation)
    """

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0,
                 batch_first: bool = False, dtype=None):
        super().__init__(d_model, max_len, dropout, batch_first)
        self.weight = Parameter(xp.empty((max_len, d_model), dtype=dtype or get_default_dtype()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight, 0.0, 0.02)

    def _table(self):
        return self.weight

    def formula(self) -> Formula:
        L, d = self.max_len, self.d_model
        pairs = [("Forward", f"y = x + P[pos],  P ∈ ℝ^{{{L}×{d}}}"),
                 ("Derivative", "∂L/∂x = G,  ∂L/∂P[pos] = Σ_batch G[pos]")]
        latex = [rf"y = x + P_{{pos}},\quad P \in \mathbb{{R}}^{{{L}\times{d}}}",
                 r"\frac{\partial L}{\partial x} = G,\quad \frac{\partial L}{\partial P_{pos}} = "
                 r"\textstyle\sum_{\mathrm{batch}} G_{pos}"]
        return Formula.of("LearnedPositionalEncoding", pairs, latex,
                          "Each position has its own learned vector, added to the token's; it "
                          "learns whatever positional signal the task needs, up to max_len.")
