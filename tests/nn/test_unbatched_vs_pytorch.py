"""Layers on unbatched and unusual inputs against PyTorch: each module is built in both
libraries, chainrule's given PyTorch's weights, and called on the same float64 input (an unbatched
(C, L) / (C, H, W) / (L, H_in) sequence, index tensors, pairs); output shapes and values must
agree (1e-9), or both raise. Covers convolutions, pooling, normalizations, recurrent layers and
cells, attention and Transformer layers, interpolation modes, paddings, folds, softmax with
dim=None (PyTorch's legacy dim choice), embeddings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

CASES = [
    ('nn.Conv2d(2, 3, 3)', (2, 5, 5)),
    ('nn.Conv1d(2, 3, 3)', (2, 5)),
    ('nn.Conv3d(1, 2, 2)', (1, 3, 3, 3)),
    ('nn.ConvTranspose2d(2, 3, 3)', (2, 4, 4)),
    ('nn.MaxPool2d(2)', (3, 4, 4)),
    ('nn.AvgPool1d(2)', (3, 4)),
    ('nn.AdaptiveAvgPool2d(2)', (3, 5, 5)),
    ('nn.AdaptiveMaxPool1d(2)', (3, 5)),
    ('nn.BatchNorm1d(3)', (4, 3)),
    ('nn.BatchNorm1d(3)', (4, 3, 5)),
    ('nn.InstanceNorm1d(3)', (3, 5)),
    ('nn.InstanceNorm2d(3)', (3, 4, 4)),
    ('nn.GroupNorm(1, 3)', (2, 3)),
    ('nn.LayerNorm(4)', (4,)),
    ('nn.LSTM(3, 4)', (5, 3)),
    ('nn.GRU(3, 4, batch_first=True)', (5, 3)),
    ('nn.RNN(3, 4)', (5, 3)),
    ('nn.LSTMCell(3, 4)', (3,)),
    ('nn.GRUCell(3, 4)', (3,)),
    ('nn.RNNCell(3, 4)', (3,)),
    ('nn.MultiheadAttention(4, 2)', (5, 4)),
    ('nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)', (5, 4)),
    ('nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)', (2, 5, 4)),
    ('nn.Linear(3, 2)', (3,)),
    ('nn.Linear(3, 2)', (2, 4, 3)),
    ('nn.Bilinear(3, 3, 2)', (3,)),
    ('nn.Flatten()', (2, 3, 4)),
    ('nn.Flatten(0)', (2, 3)),
    ('nn.Unflatten(0, (2, 2))', (4, 3)),
    ('nn.Softmax(dim=None)', (2, 3)),
    ('nn.Softmax(dim=None)', (2, 3, 4)),
    ('nn.LogSoftmax()', (3,)),
    ('nn.Softmin(1)', (2, 3)),
    ('nn.Softmax2d()', (2, 3, 3)),
    ('nn.Dropout(0.0)', (2, 3)),
    ('nn.Upsample(scale_factor=2)', (1, 2, 3)),
    ("nn.Upsample(scale_factor=2, mode='bilinear')", (1, 1, 2, 3)),
    ("nn.Upsample(scale_factor=1.5, mode='nearest')", (1, 1, 4, 4)),
    ("nn.Upsample(size=5, mode='linear', align_corners=True)", (1, 2, 3)),
    ("nn.Upsample(scale_factor=2, mode='bicubic')", (1, 1, 3, 3)),
    ("nn.Upsample(scale_factor=2, mode='nearest-exact')", (1, 1, 3)),
    ('nn.PixelShuffle(2)', (4, 2, 2)),
    ('nn.PixelUnshuffle(2)', (1, 4, 4)),
    ('nn.ZeroPad2d(1)', (1, 2, 2)),
    ('nn.ReflectionPad1d(2)', (2, 4)),
    ('nn.ReplicationPad2d(1)', (2, 2, 2)),
    ('nn.CircularPad1d(1)', (1, 3)),
    ('nn.Embedding(5, 2)', 'idx'),
    ('nn.EmbeddingBag(5, 2)', 'idx2'),
    ('nn.PReLU(3)', (2, 3, 4)),
    ('nn.PReLU()', (3,)),
    ('nn.Fold((3, 3), 2)', (4, 4)),
    ('nn.Unfold(2)', (1, 3, 3)),
    ('nn.CosineSimilarity(dim=0)', 'pair'),
    ('nn.PairwiseDistance()', 'pair'),
    ('nn.ChannelShuffle(2)', (4, 2, 2)),
    ('nn.LocalResponseNorm(2)', (1, 3, 4)),
    ('nn.RMSNorm(4)', (2, 4)),
    ('nn.RMSNorm([2, 4], eps=None)', (2, 4)),
    ('nn.GLU()', (2, 4)),
    ('nn.Hardtanh()', (3,)),
    ('nn.Threshold(0.1, 5.)', (3,)),
    ('nn.MaxPool2d(2, return_indices=True)', (1, 1, 4, 4)),
    ('nn.LPPool2d(2, 2)', (1, 4, 4)),
    ('nn.LPPool1d(2, 2)', (1, 4)),
]


def _input(lib, spec: str, shape):
    def drawn(shape, seed=0):
        return lib.tensor(np.random.default_rng(seed).normal(size=shape))
    if shape in ("idx", "idx2"):
        return (lib.tensor([[1, 2], [3, 4]]),)
    if shape == "pair":
        return drawn((3, 4)), drawn((3, 4), 1)
    if "MultiheadAttention" in spec:
        return (drawn(shape),) * 3
    if "Bilinear" in spec:
        return drawn(shape), drawn(shape, 1)
    return (drawn(shape),)


def _first(y):
    while isinstance(y, tuple):
        y = y[0]
    return y


def _run(lib, spec: str, shape, weights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = eval(spec, {"nn": lib.nn}).double()  # noqa: S307  (fixed strings)
            if weights is None:
                weights = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
            else:
                module.load_state_dict({k: cr.tensor(v) for k, v in weights.items()})
            y = _first(module(*_input(lib, spec, shape)))
        except Exception as exc:  # noqa: BLE001
            return False, exc, weights
    return True, y, weights


@pytest.mark.parametrize(("spec", "shape"), CASES, ids=[f"{s}-{x}" for s, x in CASES])
def test_layer_matches_pytorch(spec, shape):
    ok_t, expected, weights = _run(torch, spec, shape)
    ok_c, got, _ = _run(cr, spec, shape, weights if ok_t else None)
    assert ok_t == ok_c, f"PyTorch: {expected!r}; chainrule: {got!r}"
    if ok_t:
        assert tuple(expected.shape) == tuple(got.shape)
        np.testing.assert_allclose(np.asarray(got.detach().numpy()), expected.detach().numpy(),
                                   rtol=1e-9, atol=1e-9)
