"""TransformerEncoderLayer, TransformerEncoder and the positional encodings.

The layers against PyTorch 2.13 with the same weights — outputs and every gradient, float64
relative 1e-6 and float32 1e-4, dropout 0 (or eval mode) — over masks (causal boolean, float,
key padding), batch_first both ways, norm_first both ways, ReLU and GELU; gradcheck in float64.
"""
import copy
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck


def _pair(d, h, ff, dtype=np.float64, layers=None, final_norm=False, **kw):
    """A chainrule layer (or encoder) and PyTorch's, with PyTorch's weights copied in."""
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(d, h, ff, **kw)
    cl = nn.TransformerEncoderLayer(d, h, ff, **kw)
    if layers is not None:
        tl = torch.nn.TransformerEncoder(tl, layers, norm=torch.nn.LayerNorm(d) if final_norm
                                         else None, enable_nested_tensor=False)
        cl = nn.TransformerEncoder(cl, layers, norm=nn.LayerNorm(d) if final_norm else None)
    tl.to(torch.float64 if dtype == np.float64 else torch.float32)
    cl.to(dtype)
    assert list(cl.state_dict()) == list(tl.state_dict())
    cl.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    return cl, tl


class _WithMasks:
    """Call a layer or an encoder with fixed masks (masks are not inputs of the harness)."""

    def __init__(self, layer, encoder: bool, **masks):
        self.layer, self.encoder, self.masks = layer, encoder, masks

    def wrap(self, torch_side: bool):
        layer, masks = self.layer, dict(self.masks)
        if torch_side:
            masks = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in masks.items()}
        if not self.encoder and "mask" in masks:
            masks["src_mask"] = masks.pop("mask")
        base = torch.nn.Module if torch_side else nn.Module

        class Wrapped(base):
            def __init__(self):
                super().__init__()
                self.inner = layer

            def forward(self, x):
                return self.inner(x, **masks)

        return Wrapped()


def _masks(kind, N, S, dtype):
    rng = np.random.default_rng(3)
    causal = np.triu(np.ones((S, S), bool), 1)
    padding = np.zeros((N, S), bool)
    padding[0, S - 2:] = True
    return {
        "none": {},
        "causal": {"mask": causal, "is_causal": True},
        "causal_bool_no_hint": {"mask": causal},
        "float": {"mask": (rng.standard_normal((S, S)) * 0.5).astype(dtype)},
        "padding": {"src_key_padding_mask": padding},
        "causal_and_padding": {"mask": causal, "src_key_padding_mask": padding},
    }[kind]


@pytest.mark.parametrize("masks", ["none", "causal", "float", "padding", "causal_and_padding"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(masks, batch_first, norm_first, activation):
    d, h, ff, N, S = 8, 2, 16, 3, 5
    cl, tl = _pair(d, h, ff, dropout=0.0, activation=activation, batch_first=batch_first,
                   norm_first=norm_first)
    m = _masks(masks, N, S, np.float64)
    if "is_causal" in m:
        m["is_causal"] = True
    w = _WithMasks(cl, False, **m).wrap(False), _WithMasks(tl, False, **m).wrap(True)
    x = np.random.default_rng(1).standard_normal((N, S, d) if batch_first else (S, N, d))
    check_against_torch(*w, x, copy=False)


@pytest.mark.parametrize("masks", ["none", "causal_bool_no_hint", "causal_and_padding"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_matches_torch(masks, norm_first):
    d, h, ff, N, S = 8, 4, 12, 2, 6
    cl, tl = _pair(d, h, ff, layers=2, final_norm=True, dropout=0.0, batch_first=True,
                   norm_first=norm_first, activation="gelu")
    m = _masks(masks, N, S, np.float64)
    w = _WithMasks(cl, True, **m).wrap(False), _WithMasks(tl, True, **m).wrap(True)
    x = np.random.default_rng(2).standard_normal((N, S, d))
    check_against_torch(*w, x, copy=False)


def test_encoder_float32_matches_torch():
    cl, tl = _pair(16, 4, 32, np.float32, layers=2, dropout=0.0)
    m = _masks("causal_and_padding", 4, 10, np.float32)
    w = _WithMasks(cl, True, **m).wrap(False), _WithMasks(tl, True, **m).wrap(True)
    x = np.random.default_rng(4).standard_normal((10, 4, 16)).astype(np.float32)
    out = check_against_torch(*w, x, dtype=np.float32, copy=False)
    assert out.dtype == np.float32


def test_eval_mode_with_dropout_matches_torch_and_training_is_stochastic():
    cl, tl = _pair(8, 2, 16, dropout=0.3, batch_first=True)
    x = np.random.default_rng(5).standard_normal((2, 4, 8))
    check_against_torch(cl, tl, x, train=False, copy=False)
    cl.train()
    cr.manual_seed(0)
    a, b = cl(cr.tensor(x)).numpy(), cl(cr.tensor(x)).numpy()
    assert not np.allclose(a, b)


def test_unbatched_input_matches_torch():
    cl, tl = _pair(6, 3, 10, dropout=0.0, norm_first=True)
    x = np.random.default_rng(6).standard_normal((4, 6))
    check_against_torch(cl, tl, x, copy=False)


def test_encoder_layer_gradcheck():
    cr.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", batch_first=True)
    x = np.random.default_rng(7).standard_normal((2, 3, 4))
    assert check_gradcheck(layer, x)
    padded = _WithMasks(nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True),
                        False, src_key_padding_mask=np.array([[False, False, True]]),
                        mask=np.triu(np.ones((3, 3), bool), 1)).wrap(False)
    assert check_gradcheck(padded, np.random.default_rng(8).standard_normal((3, 1, 4)))


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    enc = nn.TransformerEncoder(layer, 3)
    keys = list(enc.state_dict())
    assert keys[0] == "layers.0.self_attn.in_proj_weight" and "layers.2.norm2.bias" in keys
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.numpy(),
                                  enc.layers[2].linear1.weight.numpy())
    enc.layers[0].linear1.weight.numpy()[...] = 0
    assert enc.layers[1].linear1.weight.numpy().any()
    clone = copy.deepcopy(enc)
    assert clone.layers[1].linear1.weight is not enc.layers[1].linear1.weight


def test_basics_and_formulas():
    x = np.ones((3, 2, 8))
    check_basics(lambda: nn.TransformerEncoderLayer(8, 2, 16),
                 x, torch_factory=lambda: torch.nn.TransformerEncoderLayer(8, 2, 16))
    check_basics(lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2,
                                               norm=nn.LayerNorm(8)), x)
    post = str(nn.TransformerEncoderLayer(8, 2, 16).formula())
    pre = str(nn.TransformerEncoderLayer(8, 2, 16, norm_first=True, activation="gelu").formula())
    assert "LN₁(x + Dropout(SelfAttention(x)))" in post and "ReLU" in post
    assert "x + Dropout(SelfAttention(LN₁(x)))" in pre and "GELU" in pre
    assert "softmax" in post


def test_errors_are_clear():
    with pytest.raises(ValueError, match="activation should be 'relu' or 'gelu'"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"embed_dim \(8\) must be divisible by num_heads \(3\)"):
        nn.TransformerEncoderLayer(8, 3)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    with pytest.raises(ValueError, match=r"d_model = 8, got \(2, 3, 5\)"):
        layer(cr.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"attn_mask has shape \(4, 4\), expected \(3, 3\)"):
        layer(cr.randn(2, 3, 8), src_mask=np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        nn.TransformerEncoder(layer, 0)


# ------------------------------------------------------------------ positional encodings
def _tutorial_pe(max_len, d):
    """The sinusoidal table as PyTorch's Transformer tutorial computes it (in float64)."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div)
    return pe.numpy()


def test_sinusoidal_encoding_values_and_gradient():
    enc = nn.SinusoidalPositionalEncoding(6, max_len=50).double()
    np.testing.assert_allclose(enc.pe.numpy(), _tutorial_pe(50, 6), rtol=1e-12, atol=1e-12)
    assert "pe" not in enc.state_dict()
    x = cr.tensor(np.random.default_rng(9).standard_normal((7, 3, 6)), requires_grad=True)
    y = enc(x)
    np.testing.assert_allclose(y.numpy() - x.numpy(), np.broadcast_to(_tutorial_pe(7, 6)[:, None],
                                                                (7, 3, 6)), atol=1e-12)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((7, 3, 6)))
    odd = nn.SinusoidalPositionalEncoding(5, max_len=4, batch_first=True)
    assert odd(cr.zeros(2, 4, 5)).shape == (2, 4, 5)
    assert odd(cr.zeros(2, 4, 5)).dtype == np.float32
    assert "sin" in str(enc.formula())


def test_learned_encoding_gradient_and_errors():
    cr.manual_seed(0)
    enc = nn.LearnedPositionalEncoding(10, 4, batch_first=True).double()
    assert list(enc.state_dict()) == ["weight"] and abs(enc.weight.numpy().std() - 0.02) < 0.01
    x = np.random.default_rng(10).standard_normal((2, 3, 4))
    assert check_gradcheck(enc, x)
    y = enc(cr.tensor(x))
    y.sum().backward()
    np.testing.assert_array_equal(enc.weight.grad.numpy()[:3], 2 * np.ones((3, 4)))
    assert not enc.weight.grad.numpy()[3:].any()
    with pytest.raises(ValueError, match="11 positions but the table has max_len = 10"):
        enc(cr.zeros(1, 11, 4))
    with pytest.raises(ValueError, match=r"d_model=4.*got \(1, 3, 5\)"):
        enc(cr.zeros(1, 3, 5))
    assert "P ∈ ℝ^{10×4}" in str(enc.formula())


def test_square_subsequent_mask_and_causal_detection_match_torch():
    mask = nn.generate_square_subsequent_mask(5)
    np.testing.assert_array_equal(mask, torch.nn.Transformer.generate_square_subsequent_mask(5))
    cl, tl = _pair(8, 2, 16, layers=2, dropout=0.0)
    w = (_WithMasks(cl, True, mask=mask.astype(np.float64)).wrap(False),
         _WithMasks(tl, True, mask=mask.astype(np.float64)).wrap(True))
    check_against_torch(*w, np.random.default_rng(11).standard_normal((5, 2, 8)), copy=False)


def _encoder_pair(h=2, norm_first=False, batch_first=True, final_norm=False):
    """An encoder of 2 layers in both libraries with PyTorch's weights, nested tensors enabled
    (PyTorch's default), in eval mode."""
    torch.manual_seed(0)
    kw = dict(dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tl = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, h, 16, **kw), 2,
                                     norm=torch.nn.LayerNorm(8) if final_norm else None)
    cl = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, h, 16, **kw), 2,
                               norm=nn.LayerNorm(8) if final_norm else None)
    tl.double().eval()
    cl.to(np.float64).eval()
    cl.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    return cl, tl


PAD_AT_END = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)


@pytest.mark.filterwarnings("ignore::UserWarning")     # PyTorch's warnings about the fast path
@pytest.mark.parametrize("case", ["inference", "float mask", "final norm", "train", "grad",
                                  "padding not at the end", "norm_first", "odd heads",
                                  "with attention mask", "sequence first"])
def test_encoder_inference_zeros_padded_positions_as_pytorch(case):
    """PyTorch's encoder, in inference with a key padding mask, returns 0 at the padded
    positions (its nested-tensor path); in every other case the layers' own values."""
    cl, tl = _encoder_pair(h=1 if case == "odd heads" else 2, norm_first=case == "norm_first",
                           batch_first=case != "sequence first", final_norm=case == "final norm")
    x = np.random.default_rng(0).standard_normal((3, 5, 8))
    pad = PAD_AT_END if case != "padding not at the end" else PAD_AT_END[:, ::-1].copy()
    pad_t, pad_c = torch.tensor(pad), cr.tensor(pad)
    if case == "float mask":
        additive = np.where(pad, -np.inf, 0.0)
        pad_t, pad_c = torch.tensor(additive), cr.tensor(additive)
    kw_t, kw_c = {}, {}
    if case == "with attention mask":
        kw_t["mask"] = torch.zeros(5, 5, dtype=torch.float64)
        kw_c["mask"] = cr.zeros(5, 5)
    if case == "train":
        tl.train()
        cl.train()
    if case == "sequence first":
        x = x.transpose(1, 0, 2).copy()
    outs = []
    for lib, model, p, kw in ((torch, tl, pad_t, kw_t), (cr, cl, pad_c, kw_c)):
        src = lib.tensor(x, requires_grad=case == "grad")
        if case == "grad":
            outs.append(model(src, src_key_padding_mask=p, **kw).detach().numpy())
        else:
            with lib.no_grad():
                outs.append(model(src, src_key_padding_mask=p, **kw).numpy())
    theirs, ours = outs
    valid = ~pad if case != "sequence first" else ~pad.T
    np.testing.assert_allclose(ours[valid], theirs[valid], rtol=1e-9, atol=1e-12)
    zeroed = case in ("inference", "float mask", "final norm")
    assert (theirs[~valid] == 0).all() == zeroed        # the oracle takes the path we expect
    if zeroed:
        assert (ours[~valid] == 0).all()
    else:               # the ordinary path: its values, NaN where a whole row is padded
        np.testing.assert_allclose(ours[~valid], theirs[~valid], rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("mode", ["inference", "eval with grad", "train", "hooked"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_fully_masked_queries_as_pytorch(mode, norm_first):
    """A query whose keys are all masked: NaN in PyTorch's fused inference kernel (a plain
    softmax), the residual alone in its ordinary path (attention weights 0); chainrule gives
    the same in each mode."""
    torch.manual_seed(0)
    kw = dict(dropout=0.0, batch_first=True, norm_first=norm_first)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, **kw).double()
    cl = nn.TransformerEncoderLayer(8, 2, 16, **kw).to(np.float64)
    cl.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    tl.train(mode == "train")
    cl.train(mode == "train")
    if mode == "hooked":
        tl.linear1.register_forward_hook(lambda m, i, o: None)
        cl.linear1.register_forward_hook(lambda m, i, o: None)
    x = np.random.default_rng(1).standard_normal((2, 4, 8))
    attn = np.zeros((4, 4))
    attn[1] = -np.inf                                   # query 1 sees no key
    pad = np.array([[False, False, True, True], [True, True, True, True]])
    outs = []
    for lib, layer in ((torch, tl), (cr, cl)):
        with lib.set_grad_enabled(mode == "eval with grad"):
            y = layer(lib.tensor(x), src_mask=lib.tensor(attn), src_key_padding_mask=lib.tensor(
                pad))
        outs.append(y.detach().numpy())
    theirs, ours = outs
    assert np.isnan(theirs).any() == (mode == "inference")     # the oracle's path, as expected
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)      # NaN where PyTorch's
