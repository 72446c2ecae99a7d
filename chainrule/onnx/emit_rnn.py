"""Recurrent layers: rnn, gru and lstm (one layer, one direction each) as ONNX RNN, GRU, LSTM.

chainrule's primitives are PyTorch's recurrences, time-major x (T, N, I); ONNX's operators with
``layout = 0`` take the same x and return Y (T, 1, N, H), Y_h (1, N, H) (and Y_c). The weights
keep their state_dict names and layouts; the graph reorders their gate blocks with a Gather of
rows and adds the direction axis with Unsqueeze (onnxruntime folds both into constants):

- LSTM: PyTorch's rows (i, f, g, o) → ONNX's (i, o, f, c) — blocks [0, 3, 1, 2];
- GRU: PyTorch's (r, z, n) → ONNX's (z, r, h) — blocks [1, 0, 2], with ``linear_before_reset =
  1``: PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) applies the reset gate after the
  recurrent product, ONNX's default before it;
- RNN: one block; the nonlinearity as ``activations = [Tanh]`` or ``[Relu]``.

B is [b_ih; b_hh] (reordered), both as ONNX has (Wb, Rb). A bidirectional layer is two
primitives (forward, then ``reverse``), hence two nodes with ``direction = forward`` and
``reverse``. The primitive packs its results into one flat array; the emitter returns the parts
(:class:`~chainrule.onnx.builder.Packed`) that the unpacking slices and reshapes resolve to.

The importer recognises exactly this pattern (:mod:`chainrule.onnx.fusion`) and runs it as one
primitive on the stored weights, so that exporting an imported export writes it again unchanged.
"""
from __future__ import annotations

import warnings

import numpy as np

from .builder import Op, Packed, Value
from .emitters import emits
from .export_errors import OnnxExportWarning

_BLOCKS = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}


def _rows(blocks, hidden: int) -> np.ndarray:
    return np.concatenate([np.arange(b * hidden, (b + 1) * hidden) for b in blocks])


def _weights(op: Op, i: int, rows) -> str:
    return op.unsqueeze(op.node("Gather", [op.x(i, op.out_dtype), op.ints(rows)], axis=0), [0])


def _lengths(op: Op, T: int, T_b: int) -> str:
    """sequence_lens (int32) or '' when every sequence runs the whole length."""
    lengths = op.call.params.get("lengths")
    if lengths is None:
        return ""
    la, lb = (np.asarray(v) for v in op.pair("lengths"))
    full = bool((la == T).all() and (lb == T_b).all())
    if full:
        warnings.warn(f"chainrule.onnx.export: {op.where()} was given lengths, all equal to the "
                      f"sequence length on the traced inputs; the graph runs every sequence to "
                      f"its end (no sequence_lens). If the model derives lengths from padding in "
                      f"its inputs, the exported graph does not.", OnnxExportWarning,
                      stacklevel=2)
        return ""
    value = op.param("lengths")
    warnings.warn(f"chainrule.onnx.export: {op.where()} was given lengths {value.tolist()}, the "
                  f"same on both traces; they are exported as constant sequence_lens",
                  OnnxExportWarning, stacklevel=2)
    return op.const(value.astype(np.int32))


def _state(op: Op, i: int) -> str:
    return "" if op.arg(i) is None else op.unsqueeze(op.x(i, op.out_dtype), [0])


def _recurrence(op: Op, kind: str, x_i: int, w_i: int, states: list[int], **attrs):
    hidden = op.shape(w_i + 1)[1]                    # W_hh is (gates·H, H)
    rows = _rows(_BLOCKS[kind], hidden)
    W, R = _weights(op, w_i, rows), _weights(op, w_i + 1, rows)
    b_ih, b_hh = op.arg(w_i + 2), op.arg(w_i + 3)
    B = ""
    if b_ih is not None or b_hh is not None:
        parts = []
        for j in (w_i + 2, w_i + 3):
            if op.arg(j) is None:
                parts.append(op.const(np.zeros(len(rows), dtype=op.out_dtype)))
            else:
                parts.append(op.node("Gather", [op.x(j, op.out_dtype), op.ints(rows)], axis=0))
        B = op.unsqueeze(op.node("Concat", parts, axis=0), [0])
    x_shape, x_shape_b = op.shape(x_i), op.shape_b(x_i)
    seq = _lengths(op, x_shape[0], x_shape_b[0])
    inputs = [op.x(x_i, op.out_dtype), W, R, B, seq] + [_state(op, i) for i in states]
    while inputs and inputs[-1] == "":
        inputs.pop()
    n_out = 3 if kind == "lstm" else 2
    direction = "reverse" if op.param("reverse", False) else "forward"
    outs = op.node(kind.upper(), inputs, n_out, hidden_size=hidden, direction=direction,
                   **attrs)
    T, N = x_shape[0], x_shape[1]
    T_b, N_b = x_shape_b[0], x_shape_b[1]
    dt = op.out_dtype
    parts = [Value(op.squeeze(outs[0], [1]), (T, N, hidden), (T_b, N_b, hidden), dt)]
    for out in outs[1:]:
        parts.append(Value(op.squeeze(out, [0]), (N, hidden), (N_b, hidden), dt))
    for part in parts:
        op.b.known.append(part)
    return Packed(parts)


@emits("lstm")
def lstm(op: Op) -> Packed:
    """c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t), gates from W x_t + R h_{t−1} + b: LSTM
    (outputs Y, Y_h, Y_c; initial_h and initial_c from h0 and c0 when given)."""
    if op.arg(7) is not None:
        raise op.refuse("an LSTM with proj_size > 0 (a projected state h_t = W_hr m_t) has no "
                        "ONNX LSTM form")
    return _recurrence(op, "lstm", 0, 3, [1, 2])


@emits("gru")
def gru(op: Op) -> Packed:
    """h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}, n = tanh(W_n x + b_in + r ⊙ (R_n h + b_hn)): GRU with
    linear_before_reset = 1."""
    return _recurrence(op, "gru", 0, 2, [1], linear_before_reset=1)


@emits("rnn")
def rnn(op: Op) -> Packed:
    """h_t = φ(W x_t + b_ih + R h_{t−1} + b_hh), φ = tanh or ReLU: RNN(activations = [φ])."""
    act = "Relu" if op.param("nonlinearity", "tanh") == "relu" else "Tanh"
    return _recurrence(op, "rnn", 0, 2, [1], activations=[act])
