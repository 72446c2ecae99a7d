r"""Recurrent layers: RNN, GRU and LSTM over whole sequences, and their single-step cells.

The layers (PyTorch's ``nn.RNN``, ``nn.GRU``, ``nn.LSTM``: same arguments, weight names, layouts
and initialisation, so PyTorch state_dicts load unchanged) run each layer and direction as one
fused primitive of :mod:`chainrule.ops.rnn` (hand-derived backpropagation through time). Stacked
layers feed each other; a bidirectional layer concatenates the forward and the reverse direction's
outputs along the features.

Variable lengths: pass ``lengths`` (one per sequence) with padded input, or a
:class:`~chainrule.nn.utils.rnn.PackedSequence` as in PyTorch (see :mod:`chainrule.nn.utils.rnn`).

The cells (``RNNCell``, ``GRUCell``, ``LSTMCell``) compute one step and are compositions of
primitives (so they are differentiable to any order).
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import ops
from ...backend import dtype_kind, get_default_dtype, namespace, xp
from ...mathematics import Formula
from ...ops import rnn as F
from ...ops.dropout import dropout as _dropout
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _pack, pad_packed_sequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _shape(t) -> tuple:
    return tuple(getattr(t, "shape", ()))


def _zeros(shape, like: Tensor) -> Tensor:
    """A zero state of ``shape`` in the dtype, array library and device of the tensor ``like``."""
    data = like._data
    if type(data) is xp.ndarray:
        return Tensor._make(xp.zeros(shape, dtype=data.dtype))
    return Tensor._make(namespace(data).zeros(shape, dtype=data.dtype, device=data.device))


def _as_tensor(x):
    return x if isinstance(x, Tensor) or x is None else Tensor._make(x)


# ------------------------------------------------------------------------------ formulas


def _gate_text(mode: str, sizes: str) -> tuple[str, str]:
    """(Unicode, LaTeX) of one step's equations."""
    if mode == "LSTM":
        return ("i_t, f_t, o_t = σ(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·),  "
                "g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg),  "
                "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,  h_t = o_t ⊙ tanh(c_t)" + sizes,
                r"\begin{aligned} i_t, f_t, o_t &= \sigma(W_{i\cdot} x_t + b_{i\cdot} + "
                r"W_{h\cdot} h_{t-1} + b_{h\cdot}),\quad g_t = \tanh(W_{ig} x_t + b_{ig} + "
                r"W_{hg} h_{t-1} + b_{hg}) \\ c_t &= f_t \odot c_{t-1} + i_t \odot g_t,\quad "
                r"h_t = o_t \odot \tanh(c_t) \end{aligned}")
    if mode == "GRU":
        return ("r_t, z_t = σ(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·),  "
                "n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn)),  "
                "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}" + sizes,
                r"\begin{aligned} r_t, z_t &= \sigma(W_{i\cdot} x_t + b_{i\cdot} + W_{h\cdot} "
                r"h_{t-1} + b_{h\cdot}),\quad n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot "
                r"(W_{hn} h_{t-1} + b_{hn})) \\ h_t &= (1-z_t)\odot n_t + z_t \odot h_{t-1} "
                r"\end{aligned}")
    phi = "tanh" if mode == "RNN_TANH" else "ReLU"
    return (f"h_t = {phi}(W_ih x_t + b_ih + W_hh h_{{t−1}} + b_hh)" + sizes,
            rf"h_t = \operatorname{{{phi}}}(W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{t-1}} + "
            r"b_{hh})")


def _bptt_text(mode: str) -> tuple[str, str]:
    if mode == "LSTM":
        return ("δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1},  δc_t = δh_t ⊙ o_t ⊙ (1 − tanh² c_t) + "
                "f_{t+1} ⊙ δc_{t+1},  δa_i = δc_t ⊙ g_t ⊙ i_t(1−i_t),  δa_f = δc_t ⊙ c_{t−1} ⊙ "
                "f_t(1−f_t),  δa_g = δc_t ⊙ i_t ⊙ (1−g_t²),  δa_o = δh_t ⊙ tanh(c_t) ⊙ o_t(1−o_t)",
                r"\begin{aligned} \delta h_t &= \tfrac{\partial L}{\partial y_t} + "
                r"W_{hh}^{\top}\delta a_{t+1},\quad \delta c_t = \delta h_t \odot o_t \odot "
                r"(1-\tanh^2 c_t) + f_{t+1} \odot \delta c_{t+1} \\ \delta a_i &= \delta c_t "
                r"\odot g_t \odot i_t(1-i_t),\ \delta a_f = \delta c_t \odot c_{t-1} \odot "
                r"f_t(1-f_t),\ \delta a_g = \delta c_t \odot i_t \odot (1-g_t^2),\ \delta a_o = "
                r"\delta h_t \odot \tanh(c_t) \odot o_t(1-o_t) \end{aligned}")
    if mode == "GRU":
        return ("δh_{t−1} = W_hhᵀ [δa_r; δa_z; δa_n ⊙ r_t] + δh_t ⊙ z_t,  δa_n = δh_t ⊙ (1 − z_t) "
                "⊙ (1 − n_t²),  δa_z = δh_t ⊙ (h_{t−1} − n_t) ⊙ z_t(1 − z_t),  δa_r = δa_n ⊙ "
                "(W_hn h_{t−1} + b_hn) ⊙ r_t(1 − r_t)",
                r"\begin{aligned} \delta h_{t-1} &= W_{hh}^{\top}[\delta a_r; \delta a_z; "
                r"\delta a_n \odot r_t] + \delta h_t \odot z_t,\quad \delta a_n = \delta h_t "
                r"\odot (1-z_t) \odot (1-n_t^2) \\ \delta a_z &= \delta h_t \odot (h_{t-1} - n_t)"
                r" \odot z_t(1-z_t),\quad \delta a_r = \delta a_n \odot (W_{hn}h_{t-1} + b_{hn})"
                r" \odot r_t(1-r_t) \end{aligned}")
    slope = "1 − h_t²" if mode == "RNN_TANH" else "1[h_t > 0]"
    slope_tex = "1-h_t^2" if mode == "RNN_TANH" else r"\mathbb{1}[h_t > 0]"
    return (f"δh_t = ∂L/∂y_t + W_hhᵀ δa_{{t+1}},  δa_t = δh_t ⊙ ({slope})",
            r"\delta h_t = \tfrac{\partial L}{\partial y_t} + W_{hh}^{\top}\delta a_{t+1},\quad "
            rf"\delta a_t = \delta h_t \odot ({slope_tex})")


_GRADIENTS = ("∂L/∂W_ih = Σ_t δa_t x_tᵀ,  ∂L/∂W_hh = Σ_t δa_t h_{t−1}ᵀ,  ∂L/∂b = Σ_t δa_t,  "
              "∂L/∂x_t = W_ihᵀ δa_t",
              r"\frac{\partial L}{\partial W_{ih}} = \textstyle\sum_t \delta a_t x_t^{\top},\ "
              r"\frac{\partial L}{\partial W_{hh}} = \textstyle\sum_t \delta a_t h_{t-1}^{\top},\ "
              r"\frac{\partial L}{\partial b} = \textstyle\sum_t \delta a_t,\ "
              r"\frac{\partial L}{\partial x_t} = W_{ih}^{\top}\delta a_t")

_EXPLANATIONS = {
    "RNN_TANH": "The same affine map and nonlinearity update the state at every step; the gradient "
                "flows back through time by the transposed recurrent weights.",
    "GRU": "The update gate interpolates between the previous state and a candidate; the reset "
           "gate decides how much of the previous state the candidate sees.",
    "LSTM": "The cell state is carried forward additively, scaled by the forget gate, so its "
            "gradient can survive many steps; the gates decide what is written, kept and shown.",
}


# ------------------------------------------------------------------------------ layers


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the weights of every layer and direction, the checks of the
    input and initial states, and the loop over layers and directions."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, dtype=None):
        super().__init__()
        name = self._name(mode)
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(
                dropout, bool):
            raise ValueError(f"{name}: dropout should be a number in [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        for arg, value, least in (("input_size", input_size, 0), ("hidden_size", hidden_size, 1),
                                  ("num_layers", num_layers, 1), ("proj_size", proj_size, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name}: {arg} must be an integer ≥ {least}, got {value!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported by LSTM")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size ({proj_size}) has to be smaller than hidden_size "
                             f"({hidden_size})")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout is applied between stacked layers (after all but the "
                          f"last), so dropout={dropout} has no effect with num_layers=1",
                          stacklevel=3)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        dtype = dtype or get_default_dtype()
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for base, shape in shapes:
                    setattr(self, base + suffix, Parameter(xp.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(base + suffix)
        self.reset_parameters()

    @staticmethod
    def _name(mode: str) -> str:
        return "RNN" if mode.startswith("RNN") else mode

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(−1/√hidden_size, 1/√hidden_size), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for name in self._flat_weights_names:
            init.uniform_(getattr(self, name), -bound, bound)

    def flatten_parameters(self) -> None:
        """Accepted for PyTorch compatibility (cuDNN's weight layout); nothing to do here."""

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction, as PyTorch's ``all_weights``."""
        per = len(self._flat_weights_names) // (self.num_layers * self._directions)
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[k:k + per]] for k in range(0, len(names), per)]

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _weights(self, layer: int, direction: int):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of one layer and direction (None where absent)."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return (get("weight_ih" + suffix), get("weight_hh" + suffix), get("bias_ih" + suffix),
                get("bias_hh" + suffix), get("weight_hr" + suffix))

    # ----------------------------------------------------------------- checks
    def _describe(self) -> str:
        return f"{self._name(self.mode)}({self.extra_repr()})"

    def _check_input(self, x):
        if x.ndim not in (2, 3):
            layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
            raise ValueError(f"{self._describe()}: expected a 3-D input {layout} = "
                             f"{layout.replace('input_size', str(self.input_size))} or a 2-D "
                             f"unbatched input (T, {self.input_size}), got shape {_shape(x)} "
                             f"({x.ndim}-D)")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{self._describe()}: input has {x.shape[-1]} features in its last "
                             f"axis, expected input_size = {self.input_size} (input shape "
                             f"{_shape(x)})")
        if dtype_kind(x.dtype) != "f":
            raise TypeError(f"{self._describe()}: input must be floating point, got {x.dtype}")
        weight_dtype = self.weight_ih_l0.dtype
        if x.dtype != weight_dtype:
            raise TypeError(f"{self._describe()}: input has dtype {x.dtype} but the weights are "
                            f"{weight_dtype}; convert one of them (x.astype(...) or .to(dtype))")

    def _check_state(self, h, what: str, size: int, batch: int | None):
        layers = self.num_layers * self._directions
        expected = (layers, size) if batch is None else (layers, batch, size)
        if h is None:
            return None
        h = _as_tensor(h)
        if _shape(h) != expected:
            explain = ("(num_layers·num_directions, hidden_size) for unbatched input"
                       if batch is None else "(num_layers·num_directions, batch, hidden_size)")
            if what == "h0" and self.proj_size:
                explain = explain.replace("hidden_size", "proj_size")
            raise ValueError(f"{self._describe()}: {what} must have shape {expected} = {explain}, "
                             f"got {_shape(h)}")
        if h.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{self._describe()}: {what} has dtype {h.dtype} but the weights are "
                            f"{self.weight_ih_l0.dtype}")
        return h

    def _split_hx(self, hx, batch):
        real_hidden = self.proj_size or self.hidden_size
        if self.mode == "LSTM":
            if hx is None:
                return None, None
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._describe()}: hx must be a tuple (h0, c0), got "
                                f"{type(hx).__name__}")
            return (self._check_state(hx[0], "h0", real_hidden, batch),
                    self._check_state(hx[1], "c0", self.hidden_size, batch))
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._describe()}: hx must be a tensor h0, not a "
                            f"{type(hx).__name__} (only LSTM takes (h0, c0))")
        return self._check_state(hx, "h0", real_hidden, batch), None

    # ----------------------------------------------------------------- forward
    def forward(self, input, hx=None, lengths=None):  # noqa: A002  (PyTorch's argument name)
        """Run the layers over ``input``: returns (output, h_n), or (output, (h_n, c_n)).

        input:   (T, N, input_size), (N, T, input_size) with batch_first, (T, input_size)
                 unbatched, or a PackedSequence
        hx:      h0 (num_layers·num_directions, N, H_out), for LSTM (h0, c0); zeros if None
        lengths: optional (N,) sequence lengths of padded input (1 ≤ length ≤ T): each sequence
                 stops at its length, outputs past it are 0, h_n/c_n are the states at its end
        output:  (T, N, num_directions·H_out) (batch_first: (N, T, …)); H_out = proj_size or
                 hidden_size
        """
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError(f"{self._describe()}: a PackedSequence carries its own lengths; "
                                 "do not pass lengths as well")
            padded, lens = pad_packed_sequence(input)
            output, hidden = self._forward_padded(padded, hx, lens._data, time_major=True)
            packed = _pack(output, lens._data, input.sorted_indices)
            return packed, hidden
        return self._forward_padded(_as_tensor(input), hx, lengths, time_major=False)

    def _forward_padded(self, x, hx, lengths, time_major: bool):
        self._check_input(x)
        batched = x.ndim == 3
        if not batched:
            x = ops.expand_dims(x, 1)
        elif self.batch_first and not time_major:
            x = ops.swapaxes(x, 0, 1)
        T, N = x.shape[0], x.shape[1]
        h0, c0 = self._split_hx(hx, N if batched else None)
        if not batched:
            h0 = None if h0 is None else ops.expand_dims(h0, 1)
            c0 = None if c0 is None else ops.expand_dims(c0, 1)
        if lengths is not None:
            lengths = F.check_lengths(lengths, T, N, self._describe())
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self._directions):
                k = layer * self._directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                hk = None if h0 is None else h0[k]
                reverse = direction == 1
                if self.mode == "LSTM":
                    ck = None if c0 is None else c0[k]
                    y, h, c = F.lstm(x, hk, ck, w_ih, w_hh, b_ih, b_hh, w_hr, lengths=lengths,
                                     reverse=reverse)
                    c_n.append(c)
                elif self.mode == "GRU":
                    y, h = F.gru(x, hk, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reverse=reverse)
                else:
                    y, h = F.rnn(x, hk, w_ih, w_hh, b_ih, b_hh,
                                 nonlinearity="tanh" if self.mode == "RNN_TANH" else "relu",
                                 lengths=lengths, reverse=reverse)
                outputs.append(y)
                h_n.append(h)
            x = outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        output = x
        h_n = ops.stack(h_n, axis=0)
        c_n = ops.stack(c_n, axis=0) if c_n else None
        if not batched:
            output = ops.squeeze(output, 1)
            h_n = ops.squeeze(h_n, 1)
            c_n = None if c_n is None else ops.squeeze(c_n, 1)
        elif self.batch_first and not time_major:
            output = ops.swapaxes(output, 0, 1)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    # ----------------------------------------------------------------- mathematics
    def formula(self) -> Formula:
        mode = self.mode
        G = _GATES[self.mode]
        H, P, D = self.hidden_size, self.proj_size or self.hidden_size, self._directions
        layers = []
        for layer in range(self.num_layers):
            I = self.input_size if layer == 0 else P * D
            shapes = f"W_ih ∈ ℝ^{{{G * H}×{I}}}, W_hh ∈ ℝ^{{{G * H}×{P}}}"
            if self.bias:
                shapes += f", b_ih, b_hh ∈ ℝ^{{{G * H}}}"
            if self.proj_size:
                shapes += f", W_hr ∈ ℝ^{{{P}×{H}}}"
            layers.append(f"layer {layer}: {shapes}")
        sizes = (f";  x_t ∈ ℝ^{{{self.input_size}}}, h_t ∈ ℝ^{{{P}}}"
                 + (f", c_t ∈ ℝ^{{{H}}}" if self.mode == "LSTM" else ""))
        forward, forward_tex = _gate_text(mode, sizes)
        if self.proj_size:
            forward = forward.replace("h_t = o_t ⊙ tanh(c_t)", "h_t = W_hr (o_t ⊙ tanh(c_t))")
            forward_tex = forward_tex.replace(r"h_t = o_t \odot \tanh(c_t)",
                                              r"h_t = W_{hr}(o_t \odot \tanh(c_t))")
        bptt, bptt_tex = _bptt_text(mode)
        direction = ("each layer runs forward and backward in time; y_t = [h_t^→ ; h_t^←]"
                     if D == 2 else "y_t = h_t; layer k + 1 reads layer k's outputs")
        pairs = [("Forward", forward), ("Derivative", bptt), ("Gradients", _GRADIENTS[0]),
                 ("Layers", "; ".join(layers) + f"; {direction}")]
        latex = [forward_tex, bptt_tex, _GRADIENTS[1],
                 r"\text{" + "; ".join(layers).replace("ℝ^", "R^") + "}"]
        return Formula.of(self._name(self.mode), pairs, latex,
                          _EXPLANATIONS.get(mode, _EXPLANATIONS["RNN_TANH"]))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        return s


class RNN(RNNBase):
    r"""Elman RNN (PyTorch's ``nn.RNN``): h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh).

    Forward:     φ = tanh (default) or ReLU (``nonlinearity='relu'``); y_t = h_t
    Derivative:  BPTT: δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1}, δa_t = δh_t ⊙ φ′(a_t)
    Init:        every weight and bias ~ U(−1/√H, 1/√H)

    >>> rnn = RNN(10, 20, num_layers=2)
    >>> out, h_n = rnn(chainrule.randn(5, 3, 10))   # out (5, 3, 20), h_n (2, 3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; choose 'tanh' or "
                             f"'relu'")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)
        self.nonlinearity = nonlinearity


class GRU(RNNBase):
    r"""Gated recurrent unit (PyTorch's ``nn.GRU``), gate rows of W ordered (r, z, n).

    Forward:     r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr),
                 z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz),
                 n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn)),
                 h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
    Derivative:  BPTT: δh_{t−1} = W_hhᵀ [δa_r; δa_z; δa_n ⊙ r_t] + δh_t ⊙ z_t
    Init:        every weight and bias ~ U(−1/√H, 1/√H)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)


class LSTM(RNNBase):
    r"""Long short-term memory (PyTorch's ``nn.LSTM``), gate rows of W ordered (i, f, g, o).

    Forward:     i, f, o = σ(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·), g = tanh(…),
                 c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)  (W_hr (o ⊙ tanh c_t) with
                 proj_size > 0)
    Derivative:  BPTT: δh_t = ∂L/∂y_t + W_hhᵀ δa_{t+1},
                 δc_t = δh_t ⊙ o ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ δc_{t+1}
    Init:        every weight and bias ~ U(−1/√H, 1/√H)

    Returns (output, (h_n, c_n)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, dtype=dtype)


# ------------------------------------------------------------------------------ cells


class RNNCellBase(Module):
    """What the single-step cells share: weight_ih (G·H, I), weight_hh (G·H, H), biases."""

    _kind = ""
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = dtype or get_default_dtype()
        G = self._gates * hidden_size
        self.weight_ih = Parameter(xp.empty((G, input_size), dtype=dtype))
        self.weight_hh = Parameter(xp.empty((G, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(xp.empty(G, dtype=dtype))
            self.bias_hh = Parameter(xp.empty(G, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _check(self, x, hx, what: str = "hx"):
        name = f"{self._kind}({self.input_size}, {self.hidden_size})"
        x = _as_tensor(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {_shape(x)} ({x.ndim}-D)")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has {x.shape[-1]} features in its last axis, "
                             f"expected input_size = {self.input_size} (input shape {_shape(x)})")
        expected = x.shape[:-1] + (self.hidden_size,)
        if hx is None:
            hx = _zeros(expected, x)
        hx = _as_tensor(hx)
        if _shape(hx) != expected:
            raise ValueError(f"{name}: {what} must have shape {expected} (batch, hidden_size), "
                             f"got {_shape(hx)}")
        return x, hx

    def _gates_of(self, x, h):
        return (ops.linear(x, self.weight_ih, self.bias_ih),
                ops.linear(h, self.weight_hh, self.bias_hh))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s

    def formula(self) -> Formula:
        mode = {"RNNCell": getattr(self, "_mode", "RNN_TANH"), "GRUCell": "GRU",
                "LSTMCell": "LSTM"}[self._kind]
        G, H, I = self._gates, self.hidden_size, self.input_size
        sizes = f";  W_ih ∈ ℝ^{{{G * H}×{I}}}, W_hh ∈ ℝ^{{{G * H}×{H}}}"
        forward, forward_tex = _gate_text(mode, sizes)
        bptt, bptt_tex = _bptt_text(mode)
        return Formula.of(self._kind, [("Forward", forward), ("Derivative", bptt)],
                          [forward_tex, bptt_tex], "One step of the recurrence; "
                          + _EXPLANATIONS.get(mode, _EXPLANATIONS["RNN_TANH"]))


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h′ = φ(W_ih x + b_ih + W_hh h + b_hh), φ = tanh or ReLU."""

    _kind = "RNNCell"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; choose 'tanh' or "
                             f"'relu'")
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):  # noqa: A002
        x, h = self._check(input, hx)
        gi, gh = self._gates_of(x, h)
        a = gi + gh
        return ops.tanh(a) if self.nonlinearity == "tanh" else ops.relu(a)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity=relu" if self.nonlinearity == "relu" else "")


class GRUCell(RNNCellBase):
    """One step of a GRU: r, z = σ(…), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    h′ = (1 − z) ⊙ n + z ⊙ h."""

    _kind = "GRUCell"
    _gates = 3

    def forward(self, input, hx=None):  # noqa: A002
        x, h = self._check(input, hx)
        gi, gh = self._gates_of(x, h)
        H = self.hidden_size
        i_r, i_z, i_n = ops.split(gi, H, dim=-1)
        h_r, h_z, h_n = ops.split(gh, H, dim=-1)
        r = ops.sigmoid(i_r + h_r)
        z = ops.sigmoid(i_z + h_z)
        n = ops.tanh(i_n + r * h_n)
        return n + z * (h - n)


class LSTMCell(RNNCellBase):
    """One step of an LSTM: (i, f, g, o) gates, c′ = f ⊙ c + i ⊙ g, h′ = o ⊙ tanh(c′).

    ``hx`` is (h, c) (zeros if None); returns (h′, c′).
    """

    _kind = "LSTMCell"
    _gates = 4

    def forward(self, input, hx=None):  # noqa: A002
        if hx is None:
            x, h = self._check(input, None)
            c = _zeros(h.shape, h)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
            x, h = self._check(input, hx[0], "h")
            _, c = self._check(input, hx[1], "c")
        gi, gh = self._gates_of(x, h)
        i, f, g, o = ops.split(gi + gh, self.hidden_size, dim=-1)
        c_next = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        h_next = ops.sigmoid(o) * ops.tanh(c_next)
        return h_next, c_next


__all__ = ["RNNBase", "RNN", "GRU", "LSTM", "RNNCellBase", "RNNCell", "GRUCell", "LSTMCell"]
