"""RNN, GRU, LSTM (and their cells, and the fused recurrence primitives) against PyTorch.

Every configuration the issue names — 1 and 2 layers, uni- and bidirectional, batch_first both
ways, with and without initial states, with and without variable lengths — is compared with
torch.nn.RNN/GRU/LSTM (for variable lengths: torch's pack_padded_sequence(enforce_sorted=False)
path): outputs, final states and the gradients of the input, the initial states and every weight.
"""
import itertools

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.nn.utils import rnn as utils_rnn
from chainrule.ops import rnn as R
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

T, N, I, H = 5, 3, 4, 3
LENGTHS = np.array([3, 5, 1])          # unsorted, one full, one of a single step

MODES = {
    "rnn_tanh": (lambda **k: nn.RNN(I, H, **k), lambda **k: torch.nn.RNN(I, H, **k)),
    "rnn_relu": (lambda **k: nn.RNN(I, H, nonlinearity="relu", **k),
                 lambda **k: torch.nn.RNN(I, H, nonlinearity="relu", **k)),
    "gru": (lambda **k: nn.GRU(I, H, **k), lambda **k: torch.nn.GRU(I, H, **k)),
    "lstm": (lambda **k: nn.LSTM(I, H, **k), lambda **k: torch.nn.LSTM(I, H, **k)),
}


class Flat(nn.Module):
    """Runs a chainrule recurrent layer; returns output, h_n (and c_n) flattened into one vector,
    so the standard harness compares all of them and their gradients at once."""

    def __init__(self, rnn, states: bool, lengths: bool):
        super().__init__()
        self.rnn = rnn
        self.states, self.lengths = states, lengths

    def forward(self, x, *rest):
        rest = list(rest)
        lengths = rest.pop() if self.lengths else None
        hx = None
        if self.states:
            hx = tuple(rest) if isinstance(self.rnn, nn.LSTM) else rest[0]
        out, hidden = self.rnn(x, hx, lengths=lengths)
        parts = [out] + (list(hidden) if isinstance(hidden, tuple) else [hidden])
        return cr.concatenate([p.reshape(-1) for p in parts])


class TorchFlat(torch.nn.Module):
    """The same through PyTorch; variable lengths go through pack_padded_sequence."""

    def __init__(self, rnn, states: bool, lengths: bool):
        super().__init__()
        self.rnn = rnn
        self.states, self.lengths = states, lengths

    def forward(self, x, *rest):
        rest = list(rest)
        lengths = rest.pop() if self.lengths else None
        hx = None
        if self.states:
            hx = tuple(rest) if isinstance(self.rnn, torch.nn.LSTM) else rest[0]
        bf = self.rnn.batch_first
        if lengths is not None:
            total = x.shape[1 if bf else 0]
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=bf,
                                                             enforce_sorted=False)
            out, hidden = self.rnn(packed, hx)
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf,
                                                            total_length=total)
        else:
            out, hidden = self.rnn(x, hx)
        parts = [out] + (list(hidden) if isinstance(hidden, tuple) else [hidden])
        return torch.cat([p.reshape(-1) for p in parts])


def _inputs(mode, layers, bidirectional, batch_first, states, lengths, proj=0, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, I) if batch_first else (T, N, I))
    inputs = [x]
    if states:
        L = layers * (2 if bidirectional else 1)
        inputs.append(rng.standard_normal((L, N, proj or H)))
        if mode == "lstm":
            inputs.append(rng.standard_normal((L, N, H)))
    if lengths:
        inputs.append(LENGTHS.copy())
    return inputs


def _pair(mode, states, lengths, **kwargs):
    make, make_torch = MODES[mode]
    torch.manual_seed(0)
    return (Flat(make(**kwargs), states, lengths),
            TorchFlat(make_torch(**kwargs), states, lengths))


CONFIGS = list(itertools.product(MODES, [1, 2], [False, True], [False, True], [False, True],
                                 [False, True]))


@pytest.mark.parametrize("mode, layers, bidirectional, batch_first, states, lengths", CONFIGS)
def test_recurrent_layers_match_torch(mode, layers, bidirectional, batch_first, states, lengths):
    kwargs = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    mine, theirs = _pair(mode, states, lengths, **kwargs)
    inputs = _inputs(mode, layers, bidirectional, batch_first, states, lengths)
    check_against_torch(mine, theirs, *inputs)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("lengths", [False, True])
def test_recurrent_layers_float32_match_torch(mode, lengths):
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True)
    mine, theirs = _pair(mode, True, lengths, **kwargs)
    inputs = _inputs(mode, 2, True, True, True, lengths, seed=1)
    check_against_torch(mine, theirs, *inputs, dtype=np.float32)


@pytest.mark.parametrize("bidirectional, states, lengths",
                         [(False, True, False), (True, True, True), (True, False, True)])
def test_lstm_projection_matches_torch(bidirectional, states, lengths):
    kwargs = dict(num_layers=2, bidirectional=bidirectional, proj_size=2)
    mine, theirs = _pair("lstm", states, lengths, **kwargs)
    inputs = _inputs("lstm", 2, bidirectional, False, states, lengths, proj=2)
    check_against_torch(mine, theirs, *inputs)
    assert "weight_hr_l1_reverse" in mine.rnn.state_dict() or not bidirectional


@pytest.mark.parametrize("mode", list(MODES))
def test_recurrent_layers_without_bias_match_torch(mode):
    mine, theirs = _pair(mode, True, True, bias=False, num_layers=2)
    check_against_torch(mine, theirs, *_inputs(mode, 2, False, False, True, True))


@pytest.mark.parametrize("mode, layers, bidirectional, states, lengths", [
    ("rnn_tanh", 2, True, True, True),
    ("rnn_relu", 1, False, True, False),
    ("gru", 2, True, True, True),
    ("gru", 1, False, False, False),
    ("lstm", 2, True, True, True),
    ("lstm", 1, False, True, False),
])
def test_recurrent_layers_gradcheck(mode, layers, bidirectional, states, lengths):
    make, _ = MODES[mode]
    layer = Flat(make(num_layers=layers, bidirectional=bidirectional), states, lengths)
    inputs = _inputs(mode, layers, bidirectional, False, states, lengths, seed=3)
    assert check_gradcheck(layer, *inputs)


def test_lstm_projection_gradcheck():
    layer = Flat(nn.LSTM(I, H, proj_size=2, bidirectional=True), True, True)
    assert check_gradcheck(layer, *_inputs("lstm", 1, True, False, True, True, proj=2, seed=4))


# ------------------------------------------------------------------------------ lengths


@pytest.mark.parametrize("mode", list(MODES))
def test_padding_never_leaks_into_the_final_state(mode):
    make, _ = MODES[mode]
    layer = make(bidirectional=True).double()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((T, N, I))
    noisy = x.copy()
    for b, n in enumerate(LENGTHS):
        noisy[n:, b] = rng.standard_normal((T - n, I)) * 100
    out1, h1 = layer(cr.tensor(x), lengths=LENGTHS)
    out2, h2 = layer(cr.tensor(noisy), lengths=LENGTHS)
    h1, h2 = (h1[0], h2[0]) if mode == "lstm" else (h1, h2)
    np.testing.assert_array_equal(out1.numpy(), out2.numpy())
    np.testing.assert_array_equal(h1.numpy(), h2.numpy())
    for b, n in enumerate(LENGTHS):
        assert not out1.numpy()[n:, b].any()
    # each sequence alone, unpadded, gives the same final state
    for b, n in enumerate(LENGTHS):
        _, hb = layer(cr.tensor(x[:n, b:b + 1]))
        hb = hb[0] if mode == "lstm" else hb
        np.testing.assert_allclose(h1.numpy()[:, b], hb.numpy()[:, 0], rtol=1e-12, atol=1e-12)


def test_packed_sequence_path_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.GRU(I, H, num_layers=2, bidirectional=True, batch_first=True).double()
    mine = nn.GRU(I, H, num_layers=2, bidirectional=True, batch_first=True).double()
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(6)
    x = rng.standard_normal((N, T, I))
    h0 = rng.standard_normal((4, N, H))
    cx, ch0 = cr.tensor(x, requires_grad=True), cr.tensor(h0, requires_grad=True)
    tx, th0 = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    packed = utils_rnn.pack_padded_sequence(cx, LENGTHS, batch_first=True, enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(LENGTHS), batch_first=True,
                                                      enforce_sorted=False)
    np.testing.assert_array_equal(packed.batch_sizes, tpacked.batch_sizes.numpy())
    np.testing.assert_allclose(packed.data.numpy(), tpacked.data.detach().numpy())
    out, h = mine(packed, ch0)
    tout, th = theirs(tpacked, th0)
    assert isinstance(out, utils_rnn.PackedSequence)
    np.testing.assert_allclose(out.data.numpy(), tout.data.detach().numpy(), rtol=1e-10)
    padded, lens = utils_rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
    tpadded, tlens = torch.nn.utils.rnn.pad_packed_sequence(tout, batch_first=True,
                                                            total_length=T)
    np.testing.assert_allclose(padded.numpy(), tpadded.detach().numpy(), rtol=1e-10)
    np.testing.assert_array_equal(lens.numpy(), tlens.numpy())
    g = rng.standard_normal(padded.shape)
    gh = rng.standard_normal(h.shape)
    ((padded * cr.tensor(g)).sum() + (h * cr.tensor(gh)).sum()).backward()
    ((tpadded * torch.tensor(g)).sum() + (th * torch.tensor(gh)).sum()).backward()
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ch0.grad.numpy(), th0.grad.numpy(), rtol=1e-8, atol=1e-12)
    for name, p in mine.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), dict(theirs.named_parameters())[name].grad,
                                   rtol=1e-8, atol=1e-12, err_msg=name)


def test_pad_and_pack_sequence_match_torch():
    rng = np.random.default_rng(7)
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 3)]
    for bf in (False, True):
        np.testing.assert_array_equal(
            utils_rnn.pad_sequence([cr.tensor(s) for s in seqs], batch_first=bf,
                                   padding_value=-1.0).numpy(),
            torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=bf,
                                            padding_value=-1.0).numpy())
    packed = utils_rnn.pack_sequence([cr.tensor(s) for s in seqs], enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs],
                                               enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.numpy(), tpacked.data.numpy())
    np.testing.assert_array_equal(packed.unsorted_indices, tpacked.unsorted_indices.numpy())
    with pytest.raises(ValueError, match="not sorted in decreasing order"):
        utils_rnn.pack_padded_sequence(cr.zeros(4, 3, 2), [2, 4, 3])
    with pytest.raises(ValueError, match="total_length 2 is shorter"):
        utils_rnn.pad_packed_sequence(packed, total_length=2)


# ------------------------------------------------------------------------------ cells


def _cell_inputs(states, lstm, seed=8):
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((N, I))]
    if states:
        inputs += [rng.standard_normal((N, H)) for _ in range(2 if lstm else 1)]
    return inputs


class CellFlat(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, *hx):
        h, c = self.cell(x, tuple(hx) if hx else None)
        return cr.concatenate([h, c], axis=-1)


class TorchCellFlat(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, *hx):
        return torch.cat(self.cell(x, tuple(hx) if hx else None), dim=-1)


@pytest.mark.parametrize("states", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_cells_match_torch(states, bias):
    for nonlinearity in ("tanh", "relu"):
        torch.manual_seed(0)
        check_against_torch(nn.RNNCell(I, H, bias, nonlinearity),
                            torch.nn.RNNCell(I, H, bias, nonlinearity),
                            *_cell_inputs(states, False))
    torch.manual_seed(0)
    check_against_torch(nn.GRUCell(I, H, bias), torch.nn.GRUCell(I, H, bias),
                        *_cell_inputs(states, False))
    torch.manual_seed(0)
    check_against_torch(CellFlat(nn.LSTMCell(I, H, bias)), TorchCellFlat(torch.nn.LSTMCell(I, H,
                                                                                       bias)),
                        *_cell_inputs(states, True))
    check_against_torch(nn.GRUCell(I, H, bias), torch.nn.GRUCell(I, H, bias),
                        np.random.default_rng(9).standard_normal(I), dtype=np.float32)


def test_cells_gradcheck():
    assert check_gradcheck(nn.RNNCell(I, H), *_cell_inputs(True, False))
    assert check_gradcheck(nn.GRUCell(I, H), *_cell_inputs(True, False))
    assert check_gradcheck(CellFlat(nn.LSTMCell(I, H)), *_cell_inputs(True, True))


def test_lstm_cell_unrolled_equals_lstm_layer():
    cr.manual_seed(1)
    layer = nn.LSTM(I, H).double()
    cell = nn.LSTMCell(I, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = cr.tensor(np.random.default_rng(10).standard_normal((T, N, I)))
    out, (h_n, c_n) = layer(x)
    hx = None
    for t in range(T):
        hx = cell(x[t], hx)
        np.testing.assert_allclose(hx[0].numpy(), out.numpy()[t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hx[1].numpy(), c_n.numpy()[0], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------ the layers' API


@pytest.mark.parametrize("mode", list(MODES))
def test_recurrent_basics(mode):
    make, make_torch = MODES[mode]
    x = np.random.default_rng(11).standard_normal((T, N, I))
    check_basics(lambda: Flat(make(num_layers=2, bidirectional=True), False, False), x,
                 torch_factory=lambda: make_torch(num_layers=2, bidirectional=True))
    mine, theirs = make(num_layers=2, bidirectional=True), make_torch(num_layers=2,
                                                                      bidirectional=True)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    for (name, p), (_, tp) in zip(mine.named_parameters(), theirs.named_parameters()):
        assert p.shape == tuple(tp.shape), name
    assert repr(mine).replace(", nonlinearity=relu", "") == repr(theirs)
    cell, tcell = nn.RNNCell(4, 3, False, "relu"), torch.nn.RNNCell(4, 3, False, "relu")
    assert repr(cell) == repr(tcell)


@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_input_matches_torch(mode):
    make, make_torch = MODES[mode]
    torch.manual_seed(0)
    mine, theirs = make(num_layers=2, bidirectional=True), make_torch(num_layers=2,
                                                                      bidirectional=True)
    check_against_torch(Flat(mine, False, False), TorchFlat(theirs, False, False),
                        np.random.default_rng(12).standard_normal((T, I)))


def test_default_init_range_and_dtype():
    cr.manual_seed(0)
    lstm = nn.LSTM(10, 16, num_layers=2, bidirectional=True)
    bound = 1 / np.sqrt(16)
    for name, p in lstm.named_parameters():
        assert p.dtype == np.float32, name
        assert np.abs(p.numpy()).max() <= bound and np.abs(p.numpy()).max() > 0.9 * bound, name
    assert nn.GRU(3, 4, dtype=np.float64).weight_hh_l0.dtype == np.float64


def test_formula_states_gate_equations_with_sizes():
    text = str(nn.LSTM(128, 64, num_layers=2).formula())
    assert "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t" in text and "W_ih ∈ ℝ^{256×128}" in text
    assert "W_ih ∈ ℝ^{256×64}" in text and "δc_t" in text
    gru = str(nn.GRU(8, 5, bidirectional=True).formula())
    assert "r_t ⊙ (W_hn h_{t−1} + b_hn)" in gru and "W_hh ∈ ℝ^{15×5}" in gru
    assert "W_hr (o_t ⊙ tanh(c_t))" in str(nn.LSTM(4, 6, proj_size=3).formula())
    assert "ReLU" in str(nn.RNN(2, 3, nonlinearity="relu").formula())
    for cell in (nn.RNNCell(2, 3), nn.GRUCell(2, 3), nn.LSTMCell(2, 3)):
        f = cell.formula()
        assert str(f) and f.to_latex() and f.to_markdown()


def test_dropout_between_layers():
    layer = nn.LSTM(I, H, num_layers=2, dropout=0.5).double()
    x = cr.tensor(np.random.default_rng(13).standard_normal((T, N, I)))
    layer.eval()
    a, _ = layer(x)
    b, _ = layer(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    layer.train()
    cr.manual_seed(1)
    c, _ = layer(x)
    cr.manual_seed(1)
    d, _ = layer(x)
    np.testing.assert_array_equal(c.numpy(), d.numpy())
    assert not np.allclose(a.numpy(), c.numpy())
    with pytest.warns(UserWarning, match="no effect with num_layers=1"):
        nn.GRU(I, H, dropout=0.3)


def test_torch_state_dict_loads_unchanged():
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=2)
    mine = nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=2)
    result = mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys


# ------------------------------------------------------------------------------ errors


def test_shape_errors_say_what_was_given_and_expected():
    lstm = nn.LSTM(I, H, num_layers=2)
    with pytest.raises(ValueError, match=r"3-D input.*got shape \(2, 3, 4, 4\) \(4-D\)"):
        lstm(cr.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"input has 7 features.*input_size = 4"):
        lstm(cr.zeros(T, N, 7))
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 3, 3\).*got \(1, 3, 3\)"):
        lstm(cr.zeros(T, N, I), (cr.zeros(1, N, H), cr.zeros(2, N, H)))
    with pytest.raises(ValueError, match=r"c0 must have shape \(2, 3, 3\).*got \(2, 3, 4\)"):
        lstm(cr.zeros(T, N, I), (cr.zeros(2, N, H), cr.zeros(2, N, 4)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h0, c0\)"):
        lstm(cr.zeros(T, N, I), cr.zeros(2, N, H))
    with pytest.raises(ValueError, match=r"between 1 and the sequence length 5, got 6"):
        lstm(cr.zeros(T, N, I), lengths=[6, 2, 1])
    with pytest.raises(ValueError, match=r"one length per sequence, shape \(3,\)"):
        lstm(cr.zeros(T, N, I), lengths=[2, 1])
    with pytest.raises(TypeError, match="dtype float64 but the weights are float32"):
        lstm(cr.zeros(T, N, I, dtype=np.float64))
    with pytest.raises(ValueError, match=r"proj_size \(3\) has to be smaller"):
        nn.LSTM(I, 3, proj_size=3)
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        nn.RNN(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 3, 3\)"):
        nn.GRU(I, H)(cr.zeros(T, N, I), cr.zeros(1, 2, H))
    with pytest.raises(ValueError, match=r"input has 5 features.*input_size = 4"):
        nn.GRUCell(I, H)(cr.zeros(2, 5))


def test_primitive_errors_name_the_operation_and_shapes():
    x, w_ih, w_hh = np.zeros((T, N, I)), np.zeros((3 * H, I + 1)), np.zeros((3 * H, H))
    with pytest.raises(ValueError, match=r"gru: input of shape \(5×3×4\) has 4 features"):
        R.Gru.apply(x, None, w_ih, w_hh)
    with pytest.raises(ValueError, match=r"lstm: the initial state h0 must have shape \(3×3\)"):
        R.Lstm.apply(x, np.zeros((2, H)), None, np.zeros((4 * H, I)), np.zeros((4 * H, H)))


# ------------------------------------------------------------------------------ primitives


def _primitive_args(kind, rng, lengths, proj=False):
    x = rng.standard_normal((T, N, I))
    G = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    P = 2 if proj else H
    w = [rng.standard_normal((G * H, I)) * 0.6, rng.standard_normal((G * H, P)) * 0.6,
         rng.standard_normal(G * H), rng.standard_normal(G * H)]
    if kind == "lstm":
        return [x, rng.standard_normal((N, P)), rng.standard_normal((N, H)), *w,
                rng.standard_normal((P, H)) if proj else None]
    return [x, rng.standard_normal((N, H)), *w]


PRIMITIVE_CASES = [(kind, params) for kind in ("rnn", "gru", "lstm") for params in (
    {}, {"reverse": True}, {"lengths": LENGTHS}, {"lengths": LENGTHS, "reverse": True},
    {"lengths": np.array([5, 4, 2])})] + [
    ("rnn", {"nonlinearity": "relu", "lengths": LENGTHS}), ("lstm", {"proj": True}),
    ("lstm", {"proj": True, "lengths": LENGTHS, "reverse": True})]
PRIMITIVES = {"rnn": R.Rnn, "gru": R.Gru, "lstm": R.Lstm}


@pytest.mark.parametrize("kind, params", PRIMITIVE_CASES)
def test_primitive_forward_matches_reference_and_gradcheck(kind, params):
    params = dict(params)
    proj = params.pop("proj", False)
    rng = np.random.default_rng(14)
    args = _primitive_args(kind, rng, params.get("lengths"), proj)
    prim = PRIMITIVES[kind]
    np.testing.assert_allclose(prim.apply(*args, **params).numpy(), prim.reference(*args, **params),
                               rtol=1e-12, atol=1e-12)
    present = [i for i, a in enumerate(args) if a is not None]

    def fn(*arrays):
        full = list(args)
        for i, a in zip(present, arrays):
            full[i] = a
        return prim.apply(*full, **params)

    assert cr.gradcheck(fn, *[args[i] for i in present])


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_primitive_float32_and_only_some_gradients(kind):
    rng = np.random.default_rng(15)
    args = _primitive_args(kind, rng, None)
    prim = PRIMITIVES[kind]
    ref = prim.reference(*args)
    args32 = [a.astype(np.float32) if a is not None else None for a in args]
    out = prim.apply(*args32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)
    # only the weights need gradients: x's gradient is not computed
    w = cr.tensor(args[-3], requires_grad=True) if kind != "lstm" else cr.tensor(
        args[-4], requires_grad=True)
    full = list(args)
    full[-3 if kind != "lstm" else -4] = w
    prim.apply(*full).sum().backward()
    assert w.grad is not None and w.grad.shape == w.shape


def test_primitives_metadata_and_no_second_derivative():
    for prim in PRIMITIVES.values():
        assert prim.twice_differentiable is False
        f = prim.formula()
        assert "δ" in f.derivative.text and f.to_latex()
        assert "Forward:" in prim.__doc__ and "Derivative:" in prim.__doc__
        assert cr.primitives()[prim.name] is prim
    x = cr.tensor(np.ones((2, 1, 2)), requires_grad=True)
    _, h = R.gru(x, None, np.ones((6, 2)), np.ones((6, 2)))
    with pytest.raises(RuntimeError, match="'gru' has a hand-written backward"):
        h.sum().backward(create_graph=True)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_primitive_without_optional_inputs(kind):
    rng = np.random.default_rng(16)
    x, h0, *rest = _primitive_args(kind, rng, None)
    w_ih, w_hh = (rest[1], rest[2]) if kind == "lstm" else (rest[0], rest[1])
    args = [cr.tensor(x, requires_grad=True), None] + ([None] if kind == "lstm" else []) + [
        cr.tensor(w_ih, requires_grad=True), cr.tensor(w_hh, requires_grad=True)]
    out = PRIMITIVES[kind].apply(*args)
    ref = PRIMITIVES[kind].reference(*[a.numpy() if a is not None else None for a in args])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    out.sum().backward()
    assert all(a.grad is not None for a in args if a is not None)


@pytest.mark.parametrize("lengths", [None, [5, 3, 4]])
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("layer", ["lstm", "lstm_proj", "gru"])
def test_recurrent_backward_that_drops_its_graph_reuses_its_saves_with_the_same_bits(
        lengths, fast, layer, monkeypatch):
    """A backward without retain_graph lets the LSTM write δa over its saved gate slopes and the
    GRU its gate deltas over its saved gates (ctx.consumable): the gradients are bit for bit
    those of a backward that keeps the graph, and a kept graph's second backward still gives
    them (its saves were not touched)."""
    from chainrule import kernels

    if fast and not kernels.available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(kernels, "_state", {**kernels._state, "enabled": fast})
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 4))

    def grads(retain: bool, times: int):
        cr.manual_seed(0)
        lstm = (nn.GRU(4, 6) if layer == "gru" else
                nn.LSTM(4, 6, proj_size=2 if layer == "lstm_proj" else 0)).double()
        xt = cr.tensor(x, requires_grad=True)
        if lengths is None:
            out, _ = lstm(xt)
        else:
            packed = utils_rnn.pack_padded_sequence(xt, lengths, enforce_sorted=False)
            out, _ = utils_rnn.pad_packed_sequence(lstm(packed)[0])
        loss = (out * out).sum()
        result = []
        for _ in range(times):
            loss.backward(retain_graph=retain)
            result.append([xt.grad.numpy().copy()] + [p.grad.numpy().copy()
                                                      for p in lstm.parameters()])
            xt.grad = None
            lstm.zero_grad()
        return result

    dropped = grads(retain=False, times=1)[0]
    first, second = grads(retain=True, times=2)
    for a, b, c in zip(dropped, first, second):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)
