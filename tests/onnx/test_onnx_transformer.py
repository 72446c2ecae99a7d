"""A 2-layer PyTorch Transformer encoder with a key padding mask (and a linear head), exported by
torch.onnx.export and imported: outputs equal onnxruntime's and PyTorch's, backward reaches every
imported parameter, 20 fine-tuning steps lower the loss. Opsets 14 and 17: PyTorch exports the
encoder's scaled_dot_product_attention from opset 14 on (13 is refused by its exporter); opset
17 writes LayerNormalization nodes, 14 their decomposition."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from onnx_helpers import assert_matches_ort, torch

import chainrule as cr
import chainrule.onnx as cro


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x, mask):
        return self.head(self.encoder(x, src_key_padding_mask=mask).mean(dim=1))


def _inputs(batch=3, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, 16)).astype(np.float32)
    mask = np.zeros((batch, steps), bool)       # True: a padding position, ignored
    lengths = rng.integers(2, steps + 1, batch)
    lengths[0] = steps
    mask[np.arange(steps) >= lengths[:, None]] = True
    return x, mask


def _export(opset):
    torch.manual_seed(0)
    module = Encoder().eval()
    with torch.no_grad():      # TransformerEncoder copies one layer: make every weight distinct,
        for p in module.parameters():      # or the exporter stores equal ones once
            p.copy_(torch.randn_like(p) * 0.2 + (1.0 if p.ndim == 1 and p.numel() == 16 else 0))
    x, mask = _inputs()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.from_numpy(x), torch.from_numpy(mask)), buffer,
                          opset_version=opset, dynamo=False, input_names=["x", "mask"],
                          output_names=["y"],
                          dynamic_axes={"x": {0: "batch", 1: "time"},
                                        "mask": {0: "batch", 1: "time"}})
    return buffer.getvalue(), module


@pytest.mark.parametrize("opset", [14, 17])
def test_encoder_with_padding_mask(opset):
    data, module = _export(opset)
    for batch, steps, seed in ((3, 5, 0), (2, 5, 1)):   # the batch is dynamic (the length: traced)
        x, mask = _inputs(batch, steps, seed)
        ours = assert_matches_ort(data, {"x": x, "mask": mask})[0]
        with torch.no_grad():
            theirs = module(torch.from_numpy(x), torch.from_numpy(mask))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)
    model = cro.load(data)
    x, mask = _inputs()
    model(x, mask).square().sum().backward()
    missing = [k for k, p in model.named_parameters() if p.grad is None]
    assert not missing, missing
    imported = [p.detach().numpy() for p in model.parameters()]
    for name, p in module.named_parameters():      # every PyTorch weight is a parameter here
        w = p.detach().numpy()                     # (MatMul weights are stored transposed)
        assert any(a.shape == s and np.array_equal(a, v) for a in imported
                   for s, v in ((w.shape, w), (w.T.shape, w.T))), name


def test_encoder_fine_tunes():
    data, _ = _export(17)
    model = cro.load(data)
    x, mask = _inputs(8, 5, 2)
    labels = cr.as_tensor(np.arange(8) % 3)
    opt = cr.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = cr.nn.functional.cross_entropy(model(x, mask), labels)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.5 * losses[0]
