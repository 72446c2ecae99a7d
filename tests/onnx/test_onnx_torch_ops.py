"""One PyTorch module that uses the rest of the operator set the way torch.onnx.export writes
it (ReLU6 → Clip with constant bounds, exact GELU → Erf, reflect padding → Pad, ceil-mode
average pooling, mean over axes → ReduceMean, slicing with a step → Slice, softmax, concat,
permute, …), exported at opsets 13 and 17: chainrule's outputs equal onnxruntime's and
PyTorch's, and so do the gradients of every weight."""
from __future__ import annotations

import numpy as np
import pytest
from onnx_helpers import assert_matches_ort, export, onnx, torch

import chainrule as cr
import chainrule.onnx as cro

nn, F = torch.nn, torch.nn.functional


class KitchenSink(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.dw = nn.Conv2d(6, 6, 3, stride=2, groups=6)
        self.conv1d = nn.Conv1d(6, 4, 2, dilation=2)
        self.fc = nn.Linear(28, 5)
        self.scale = nn.Parameter(torch.tensor(1.5))

    def forward(self, x):
        h = F.relu6(self.conv(x) * 3)
        h = F.pad(h, (1, 2, 2, 1), mode="reflect")
        h = F.leaky_relu(self.dw(h), 0.1)
        a = F.avg_pool2d(h, 3, 2, ceil_mode=True, count_include_pad=False)
        m = F.max_pool2d(h, 2, 2, ceil_mode=True)
        g = F.gelu(h[:, :, ::2, 1:])                                  # Slice with a step, Erf
        s = torch.sigmoid(a).mean(dim=(2, 3)) + torch.tanh(m).amax(dim=(2, 3))
        seq = g.flatten(2)                                            # (N, 6, L)
        seq = self.conv1d(seq).permute(0, 2, 1)                       # (N, L', 4)
        seq = torch.softmax(seq, dim=-1).sum(dim=1)                   # (N, 4)
        mixed = torch.cat([s, seq, torch.sqrt(s.abs() + 1), torch.exp(-s.abs()),
                           torch.log(s.abs() + 1) * self.scale], dim=1)  # (N, 28)
        return F.log_softmax(self.fc(mixed) ** 2 / 3 - 1, dim=1)


@pytest.mark.parametrize("opset", [13, 17])
def test_exported_operators_match_onnxruntime_pytorch_and_gradients(opset):
    torch.manual_seed(0)
    net = KitchenSink().eval()
    data = export(net, torch.randn(1, 3, 12, 12), opset)
    ops = {n.op_type for n in onnx.load_from_string(data).graph.node}
    assert {"Clip", "Pad", "Erf", "AveragePool", "Slice", "ReduceMean", "ReduceMax", "Softmax",
            "LogSoftmax", "Concat", "Transpose", "Sqrt", "Exp", "Log", "Pow", "LeakyRelu"} <= ops
    x = np.random.default_rng(0).standard_normal((2, 3, 12, 12)).astype(np.float32)
    (out,) = assert_matches_ort(data, {"input": x})

    model = cro.load(data)
    y = model(x)
    target = np.array([1, 3])
    loss = cr.nn.functional.nll_loss(y, cr.as_tensor(target))
    loss.backward()
    ty = net(torch.from_numpy(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-3, atol=1e-4)
    torch.nn.functional.nll_loss(ty, torch.from_numpy(target)).backward()
    theirs = dict(net.named_parameters())
    ours = dict(model.named_parameters())
    assert set(theirs) <= set(ours)
    for key, p in ours.items():
        assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), key
        if key in theirs:
            np.testing.assert_allclose(p.grad.numpy(), theirs[key].grad.numpy(), rtol=1e-3,
                                       atol=1e-5, err_msg=key)
