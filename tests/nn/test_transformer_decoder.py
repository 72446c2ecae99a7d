"""TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch 2.13.

PyTorch's weights are copied in through ``load_state_dict`` (float64, dropout 0), then outputs and
the gradients of the inputs (tgt, memory / src) and of every parameter are compared at relative
1e-9, over causal target masks (float and boolean), memory masks, key padding masks,
batch_first both ways, norm_first both ways, ReLU and GELU, batched and unbatched inputs.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

RTOL, ATOL = 1e-9, 1e-11
D, H, FF = 8, 2, 16
T, S, N = 5, 6, 3


def _copy(cl, tl):
    tl.double()
    cl.to(np.float64)
    assert list(cl.state_dict()) == list(tl.state_dict())
    cl.load_state_dict({k: v.detach().numpy().copy() for k, v in tl.state_dict().items()})
    return cl, tl


def _masks(rng, batch_first, kind):
    """Masks of both libraries: (chainrule kwargs, torch kwargs)."""
    masks = {}
    if kind in ("causal", "all"):
        masks["tgt_mask"] = np.triu(np.full((T, T), -np.inf), 1)
    if kind == "bool_causal":
        masks["tgt_mask"] = np.triu(np.ones((T, T), dtype=bool), 1)
    if kind in ("padding", "all"):
        tpad = np.zeros((N, T), dtype=bool)
        tpad[0, -2:] = True
        mpad = np.zeros((N, S), dtype=bool)
        mpad[1, -3:] = True
        masks["tgt_key_padding_mask"] = tpad
        masks["memory_key_padding_mask"] = mpad
    if kind in ("memory", "all"):
        mm = rng.standard_normal((T, S)) * 0.5
        masks["memory_mask"] = mm
    return ({k: cr.tensor(v) for k, v in masks.items()},
            {k: torch.tensor(v) for k, v in masks.items()})


def _inputs(rng, batch_first, batched=True):
    tgt_shape = ((N, T, D) if batch_first else (T, N, D)) if batched else (T, D)
    mem_shape = ((N, S, D) if batch_first else (S, N, D)) if batched else (S, D)
    return rng.standard_normal(tgt_shape), rng.standard_normal(mem_shape)


def _check(cl, tl, arrays, call, torch_call):
    mine = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out = call(cl, *mine)
    expected = torch_call(tl, *theirs)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=RTOL,
                               atol=ATOL)
    w = np.random.default_rng(5).standard_normal(tuple(expected.shape))
    (out * cr.tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for i, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of input {i}")
    grads = dict(tl.named_parameters())
    for name, p in cl.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=f"gradient of {name}")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal", "bool_causal", "padding", "memory", "all"])
def test_decoder_layer_matches_torch(batch_first, norm_first, masks):
    torch.manual_seed(0)
    kw = dict(dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tl = torch.nn.TransformerDecoderLayer(D, H, FF, **kw)
    cl, tl = _copy(nn.TransformerDecoderLayer(D, H, FF, **kw), tl)
    rng = np.random.default_rng(1)
    cm, tm = _masks(rng, batch_first, masks)
    _check(cl, tl, _inputs(rng, batch_first),
           lambda m, x, mem: m(x, mem, **cm), lambda m, x, mem: m(x, mem, **tm))


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_decoder_layer_unbatched_and_activation(activation):
    torch.manual_seed(1)
    tl = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, activation=activation)
    cl, tl = _copy(nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, activation=activation), tl)
    rng = np.random.default_rng(2)
    mask = np.triu(np.full((T, T), -np.inf), 1)
    _check(cl, tl, _inputs(rng, False, batched=False),
           lambda m, x, mem: m(x, mem, tgt_mask=cr.tensor(mask)),
           lambda m, x, mem: m(x, mem, tgt_mask=torch.tensor(mask)))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("final_norm", [False, True])
def test_decoder_stack_matches_torch(batch_first, norm_first, final_norm):
    torch.manual_seed(2)
    kw = dict(dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tl = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF, **kw), 2,
                                     norm=torch.nn.LayerNorm(D) if final_norm else None)
    cl = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF, **kw), 2,
                               norm=nn.LayerNorm(D) if final_norm else None)
    cl, tl = _copy(cl, tl)
    rng = np.random.default_rng(3)
    cm, tm = _masks(rng, batch_first, "all")
    _check(cl, tl, _inputs(rng, batch_first),
           lambda m, x, mem: m(x, mem, **cm), lambda m, x, mem: m(x, mem, **tm))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(batch_first, norm_first):
    torch.manual_seed(3)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=FF, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tl = torch.nn.Transformer(**kw)
    cl, tl = _copy(nn.Transformer(**kw), tl)
    rng = np.random.default_rng(4)
    src_shape = (N, S, D) if batch_first else (S, N, D)
    tgt_shape = (N, T, D) if batch_first else (T, N, D)
    src, tgt = rng.standard_normal(src_shape), rng.standard_normal(tgt_shape)
    spad = np.zeros((N, S), dtype=bool)
    spad[2, -2:] = True
    tpad = np.zeros((N, T), dtype=bool)
    tpad[0, -1] = True
    src_mask = rng.standard_normal((S, S)) * 0.3
    masks = dict(src_mask=src_mask, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
        T, dtype=cr.float64).numpy(), src_key_padding_mask=spad, tgt_key_padding_mask=tpad,
                 memory_key_padding_mask=spad)
    cm = {k: cr.tensor(v) for k, v in masks.items()}
    tm = {k: torch.tensor(v) for k, v in masks.items()}
    _check(cl, tl, [src, tgt], lambda m, s, t: m(s, t, **cm), lambda m, s, t: m(s, t, **tm))
    _check(cl, tl, [src, tgt], lambda m, s, t: m(s, t), lambda m, s, t: m(s, t))


def test_transformer_parameter_names_init_and_mask():
    m = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16)
    t = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                             dim_feedforward=16)
    assert list(m.state_dict()) == list(t.state_dict())
    for name, p in m.named_parameters():                    # xavier-uniform bound √(6/(fi+fo))
        if p.ndim > 1:
            bound = np.sqrt(6 / sum(p.shape[:2]))
            assert np.abs(p.detach().numpy()).max() <= bound, name
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), expected.numpy())
    assert isinstance(mask, cr.Tensor)


def test_transformer_custom_encoder_decoder_and_errors():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 1)
    m = nn.Transformer(d_model=8, nhead=2, custom_encoder=enc, custom_decoder=dec)
    assert m.encoder is enc and m.decoder is dec
    with pytest.raises(RuntimeError, match="batch number"):
        m(cr.zeros(4, 2, 8), cr.zeros(3, 3, 8))
    with pytest.raises(RuntimeError, match="feature number"):
        m(cr.zeros(4, 2, 8), cr.zeros(3, 2, 6))
    with pytest.raises(ValueError, match="memory"):
        nn.TransformerDecoderLayer(8, 2)(cr.zeros(3, 2, 8), cr.zeros(4, 2, 6))
    assert "TransformerDecoderLayer" in str(dec.layers[0].formula().name)
    assert m.formula().equations and dec.formula().equations
