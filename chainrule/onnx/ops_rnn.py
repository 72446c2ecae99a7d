r"""Recurrent layers: ONNX RNN, GRU and LSTM, onto chainrule's fused recurrence primitives.

ONNX packs each direction's weights as W (gates·H × I), R (gates·H × H) and B = [W_b | R_b]
(2·gates·H), in its own gate order — LSTM (i, o, f, c), GRU (z, r, h) — while chainrule's
primitives (:mod:`chainrule.ops.rnn`) take PyTorch's — LSTM (i, f, g, o), GRU (r, z, n). The
kernels reorder the rows of the imported parameters (a differentiable gather, so the gradient
lands on the ONNX tensors) and run one primitive per direction over the whole sequence.

Supported: direction forward/reverse/bidirectional, layout 0 (time-major) and 1 (batch-major),
sequence_lens (each between 1 and the sequence length), initial_h/initial_c, every output
(Y, Y_h, Y_c), the default activations, and GRU's linear_before_reset = 1 (PyTorch's GRU and
what it exports). Refused at load time: other activations, clip, input_forget = 1,
linear_before_reset = 0; LSTM peepholes P must be absent or zero.
"""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from ..ops import rnn as _rnn
from .registry import Node, op
from .values import array, is_tensor, tensor

_DEFAULT_ACTIVATIONS = {"RNN": ("tanh",), "GRU": ("sigmoid", "tanh"),
                        "LSTM": ("sigmoid", "tanh", "tanh")}
_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
# rows of ONNX's gate blocks, in the order chainrule's primitive wants them
_ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 2, 3, 1]}


def _read(node: Node):
    """The attributes every recurrent operator shares, checked at load time."""
    kind = node.op_type
    if kind == "GRU" and node.attr("linear_before_reset", 0) != 1:
        raise node.refuse("linear_before_reset=0 is not supported (PyTorch's GRU, and its "
                          "exports, use linear_before_reset=1)")
    if kind == "LSTM" and node.attr("input_forget", 0) != 0:
        raise node.refuse("input_forget=1 (coupled input and forget gates) is not supported")
    direction = node.choice("direction", "forward", ("forward", "reverse", "bidirectional"))
    layout = node.attr("layout", 0)
    if layout not in (0, 1):
        raise node.refuse(f"layout={layout!r}: expected 0 or 1")
    if node.attr("clip") is not None:
        raise node.refuse("clip is not supported")
    if node.attr("activation_alpha") is not None or node.attr("activation_beta") is not None:
        raise node.refuse("activation_alpha/activation_beta are not supported")
    activations = node.attr("activations")
    nonlinearity = "tanh"
    if activations is not None:
        names = tuple(a.decode() if isinstance(a, bytes) else str(a) for a in activations)
        names = tuple(a.lower() for a in names)
        defaults = _DEFAULT_ACTIVATIONS[kind]
        n_dirs = 2 if direction == "bidirectional" else 1
        if kind == "RNN" and len(set(names)) == 1 and names[0] in ("tanh", "relu") and \
                len(names) in (1, n_dirs):
            nonlinearity = names[0]
        elif names not in (defaults, defaults * n_dirs):
            raise node.refuse(f"activations={list(names)} are not supported (only the default "
                              f"{list(defaults)}{' or Relu' if kind == 'RNN' else ''})")
    hidden = node.attr("hidden_size")
    return direction, int(layout), nonlinearity, None if hidden is None else int(hidden)


def _gates(w, kind: str, H: int):
    """Rows of W/R/B (one direction) reordered from ONNX's gate order to the primitive's."""
    g = _GATES[kind]
    if g == 1:
        return w
    rest = tuple(w.shape[1:])
    blocks = w.reshape((g, H) + rest)
    return blocks[np.asarray(_ORDER[kind])].reshape((g * H,) + rest)


def _lengths(sequence_lens, T: int):
    """sequence_lens as int64, or None when every sequence runs the whole length T."""
    if sequence_lens is None:
        return None
    lengths = array(sequence_lens).astype(np.int64)
    if lengths.size and int(lengths.min()) == T == int(lengths.max()):
        return None
    return lengths


def _given(state):
    """An initial state, or None for an absent one or for zeros that are not a Tensor (computed
    from the input's shape: the default state)."""
    if state is not None and not is_tensor(state) and not np.any(array(state)):
        return None
    return state


def _run(kind: str, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse: bool,
         nonlinearity: str):
    """One direction of the recurrence on weights in chainrule's gate order: (y, h[, c])."""
    if kind == "LSTM":
        return _rnn.lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reverse=reverse)
    if kind == "GRU":
        return _rnn.gru(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reverse=reverse)
    return _rnn.rnn(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity, lengths=lengths,
                    reverse=reverse)


def _stack(values: list, axis: int):
    """The directions' results stacked along a new axis (one direction: just the new axis)."""
    if len(values) == 1:
        return _ops.expand_dims(values[0], axis)
    return _ops.stack(values, dim=axis)


def _recurrent(node: Node):
    kind = node.op_type
    direction, layout, nonlinearity, hidden = _read(node)
    g = _GATES[kind]
    n_dirs = 2 if direction == "bidirectional" else 1

    def run(x, w, r, b=None, sequence_lens=None, initial_h=None, initial_c=None, p=None):
        x, w, r = tensor(x), tensor(w), tensor(r)
        if x.ndim != 3:
            raise ValueError(f"{kind}: X must be 3-d, got shape {list(x.shape)}")
        if layout == 1:
            x = x.permute(1, 0, 2)
        T, N, I = x.shape
        H = r.shape[-1]
        if hidden is not None and hidden != H:
            raise ValueError(f"{kind}: hidden_size={hidden} but R has shape {list(r.shape)}")
        expected = {"W": (w, (n_dirs, g * H, I)), "R": (r, (n_dirs, g * H, H))}
        if b is not None:
            expected["B"] = (b, (n_dirs, 2 * g * H))
        for name, (value, shape) in expected.items():
            if tuple(value.shape) != shape:
                raise ValueError(f"{kind}: {name} must have shape {list(shape)} (directions, "
                                 f"gates·hidden, …) for X of shape {list(x.shape)}, got "
                                 f"{list(value.shape)}")
        if p is not None and np.any(array(p) != 0):
            raise ValueError(f"{kind}: peephole weights P are not supported (only absent or "
                             "zero)")
        lengths = _lengths(sequence_lens, T)
        states = []
        for state in (initial_h, initial_c):
            state = _given(state)
            if state is not None:
                state = tensor(state)
                if layout == 1:
                    state = state.permute(1, 0, 2)
                if tuple(state.shape) != (n_dirs, N, H):
                    raise ValueError(f"{kind}: initial states must have shape "
                                     f"{[n_dirs, N, H]}, got {list(state.shape)}")
            states.append(state)
        ys, hs, cs = [], [], []
        for d in range(n_dirs):
            reverse = direction == "reverse" or d == 1
            w_ih, w_hh = _gates(w[d], kind, H), _gates(r[d], kind, H)
            b_ih = b_hh = None
            if b is not None:
                b_ih, b_hh = _gates(b[d][:g * H], kind, H), _gates(b[d][g * H:], kind, H)
            h0 = None if states[0] is None else states[0][d]
            c0 = None if states[1] is None else states[1][d]
            y, h, *c = _run(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse,
                            nonlinearity)
            ys.append(y)
            hs.append(h)
            cs += c
        y = _stack(ys, 1)                             # (T, dirs, N, H)
        y_h = _stack(hs, 0)                           # (dirs, N, H)
        outs = [y, y_h] + ([_stack(cs, 0)] if kind == "LSTM" else [])
        if layout == 1:
            outs = [outs[0].permute(2, 0, 1, 3)] + [s.permute(1, 0, 2) for s in outs[1:]]
        return tuple(outs)

    return run


@op("RNN", max_outputs=2)
def rnn(node: Node):
    r"""RNN(X, W, R, B?, sequence_lens?, initial_h?): the Elman recurrence, per direction

        H_t = f(X_t Wᵀ + H_{t−1} Rᵀ + W_b + R_b),   f = tanh (default) or ReLU.

    Outputs Y (every H_t, (T, directions, N, H)) and Y_h (the last state).
    Derivative: backpropagation through time (chainrule's fused rnn primitive).
    """
    return _recurrent(node)


@op("GRU", max_outputs=2)
def gru(node: Node):
    r"""GRU(X, W, R, B?, sequence_lens?, initial_h?) with linear_before_reset = 1, per direction

        z_t = σ(X_t W_zᵀ + H_{t−1} R_zᵀ + W_bz + R_bz)
        r_t = σ(X_t W_rᵀ + H_{t−1} R_rᵀ + W_br + R_br)
        h̃_t = tanh(X_t W_hᵀ + W_bh + r_t ⊙ (H_{t−1} R_hᵀ + R_bh))
        H_t = (1 − z_t) ⊙ h̃_t + z_t ⊙ H_{t−1}

    Derivative: backpropagation through time (chainrule's fused gru primitive).
    """
    return _recurrent(node)


@op("LSTM", max_outputs=3)
def lstm(node: Node):
    r"""LSTM(X, W, R, B?, sequence_lens?, initial_h?, initial_c?, P?), per direction

        i_t = σ(X_t W_iᵀ + H_{t−1} R_iᵀ + W_bi + R_bi)      (input gate)
        f_t = σ(X_t W_fᵀ + H_{t−1} R_fᵀ + W_bf + R_bf)      (forget gate)
        c̃_t = tanh(X_t W_cᵀ + H_{t−1} R_cᵀ + W_bc + R_bc)   (candidate)
        o_t = σ(X_t W_oᵀ + H_{t−1} R_oᵀ + W_bo + R_bo)      (output gate)
        C_t = f_t ⊙ C_{t−1} + i_t ⊙ c̃_t,   H_t = o_t ⊙ tanh(C_t)

    Outputs Y, Y_h and Y_c (the last cell state).
    Derivative: backpropagation through time (chainrule's fused lstm primitive).
    """
    return _recurrent(node)


def fused_recurrent(node: Node):
    """The kernel of a recurrent node that :mod:`chainrule.onnx.fusion` recognised as chainrule's
    own export pattern: one direction, layout 0, run on the weights in chainrule's (PyTorch's)
    layout and gate order — weight_ih (gates·H × I), weight_hh (gates·H × H), bias_ih and
    bias_hh (gates·H), h0 and c0 (N × H) — returning y (T, N, H), h and c (N, H) without the
    direction axes. The same formulas as the node's (see :func:`lstm`, :func:`gru`,
    :func:`rnn`); the weights reach the primitive without a gather, so their gradients are the
    primitive's own."""
    kind = node.op_type
    direction, _, nonlinearity, hidden = _read(node)
    g = _GATES[kind]

    def run(x, w_ih, w_hh, b_ih=None, b_hh=None, sequence_lens=None, h0=None, c0=None):
        x, w_ih, w_hh = tensor(x), tensor(w_ih), tensor(w_hh)
        if x.ndim != 3:
            raise ValueError(f"{kind}: X must be 3-d (T, N, input size), got shape "
                             f"{list(x.shape)}")
        T, N, I = x.shape
        H = hidden if hidden is not None else w_hh.shape[-1]
        expected = {"the input weights (W's gathered rows)": (w_ih, (g * H, I)),
                    "the recurrent weights (R's gathered rows)": (w_hh, (g * H, H)),
                    "the input bias (B's first half)": (b_ih, (g * H,)),
                    "the recurrent bias (B's second half)": (b_hh, (g * H,))}
        for what, (value, shape) in expected.items():
            if value is not None and tuple(value.shape) != shape:
                raise ValueError(f"{kind}: {what} must have shape {list(shape)} (gates·hidden, "
                                 f"…) for X of shape {list(x.shape)} and hidden_size {H}, got "
                                 f"{list(value.shape)}")
        states = []
        for state in (h0, c0):
            state = _given(state)
            if state is not None:
                state = tensor(state)
                if tuple(state.shape) != (N, H):
                    raise ValueError(f"{kind}: the initial states (before their Unsqueeze) "
                                     f"must have shape {[N, H]}, got {list(state.shape)}")
            states.append(state)
        b_ih = None if b_ih is None else tensor(b_ih)
        b_hh = None if b_hh is None else tensor(b_hh)
        return tuple(_run(kind, x, states[0], states[1], w_ih, w_hh, b_ih, b_hh,
                          _lengths(sequence_lens, T), direction == "reverse", nonlinearity))

    return run
