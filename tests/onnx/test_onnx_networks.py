"""Whole CNNs built in PyTorch, exported by torch.onnx.export at opsets 13 and 17, imported by
chainrule: the outputs equal onnxruntime's, backward reaches every imported parameter, the
imported network fine-tunes, and its state_dict round-trips (and is PyTorch's)."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from onnx_helpers import assert_matches_ort, export, onnx, torch
from onnx_torch_models import build

import chainrule as cr
import chainrule.onnx as cro

NETWORKS = ["resnet18", "vgg_bn", "mobilenet"]
OPSETS = [13, 17]


@functools.cache
def exported(name: str, opset: int, fold: bool = False) -> bytes:
    return export(build(name), torch.randn(1, 3, 32, 32), opset, fold=fold)


def batch(n: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 3, 32, 32)).astype(np.float32)


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("name", NETWORKS)
def test_outputs_equal_onnxruntime(name, opset):
    data = exported(name, opset)
    ops = {n.op_type for n in onnx.load_from_string(data).graph.node}
    assert "BatchNormalization" in ops
    if name == "mobilenet":
        assert "HardSigmoid" in ops and any(
            n.op_type == "Conv" and any(a.name == "group" and a.i > 1 for a in n.attribute)
            for n in onnx.load_from_string(data).graph.node)
        assert ("HardSwish" in ops) == (opset >= 14)
    if name == "vgg_bn":
        assert {"Shape", "Gather", "Concat", "Reshape"} <= ops
    (out,) = assert_matches_ort(data, {"input": batch()})
    assert out.shape == (2, 10)


@pytest.mark.parametrize("name", NETWORKS)
def test_outputs_equal_pytorch_with_folded_batchnorm(name):
    """The exporter's default (BatchNorm folded into the convolutions) imports too, and the
    imported network computes what the PyTorch network does."""
    model = cro.load(exported(name, 17, fold=True))
    x = batch(3, seed=1)
    with torch.no_grad():
        expected = build(name)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("name", NETWORKS)
def test_backward_reaches_every_parameter(name, opset):
    model = cro.load(exported(name, opset))
    params = dict(model.named_parameters())
    assert params
    out = model(batch())
    (out * cr.as_tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(2, 10))).sum() \
        .backward()
    for key, p in params.items():
        assert p.grad is not None, key
        g = p.grad.numpy()
        assert g.shape == tuple(p.shape) and np.isfinite(g).all(), key
    assert sum(float(np.abs(p.grad.numpy()).sum()) > 0 for p in params.values()) \
        >= 0.9 * len(params)


@pytest.mark.parametrize("name", NETWORKS)
def test_weight_gradients_equal_pytorch(name):
    """The gradient of every weight equals PyTorch's for the same loss (names match)."""
    net = build(name)
    model = cro.load(exported(name, 17))
    x = batch(2, seed=2)
    target = np.array([1, 7])
    loss = cr.nn.functional.cross_entropy(model(x), cr.as_tensor(target))
    loss.backward()
    torch_loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)),
                                                   torch.from_numpy(target))
    torch_loss.backward()
    np.testing.assert_allclose(float(loss.item()), torch_loss.item(), rtol=1e-4)
    theirs = dict(net.named_parameters())
    for key, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[key].grad.numpy(), rtol=1e-3,
                                   atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", NETWORKS)
def test_twenty_sgd_steps_lower_the_loss(name):
    cr.manual_seed(0)
    model = cro.load(exported(name, 17))
    x = batch(4, seed=3)
    y = cr.as_tensor(np.array([0, 3, 5, 9]))
    opt = cr.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = cr.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.9 * losses[0], losses


@pytest.mark.parametrize("name", NETWORKS)
def test_state_dict_round_trip_and_pytorch_keys(name, tmp_path):
    net = build(name)
    model = cro.load(exported(name, 17))
    state = model.state_dict()
    expected = {k: v for k, v in net.state_dict().items() if "num_batches_tracked" not in k}
    assert set(state) == set(expected)       # PyTorch's names: its weights load unchanged
    for key, value in state.items():
        np.testing.assert_array_equal(value.numpy(), expected[key].numpy(), err_msg=key)
    assert {k for k, _ in model.named_buffers()} == {k for k in expected if "running" in k}

    x = batch(2, seed=4)
    before = model(x).numpy()
    cr.save(state, tmp_path / "state.pt")
    fresh = cro.load(exported(name, 17))
    for p in fresh.parameters():
        p.data.mul_(0.5)
    assert not np.allclose(fresh(x).numpy(), before)
    fresh.load_state_dict(cr.load(tmp_path / "state.pt"))
    np.testing.assert_array_equal(fresh(x).numpy(), before)
    fresh.load_state_dict({k: v.numpy() for k, v in expected.items()})   # PyTorch's tensors
    np.testing.assert_array_equal(fresh(x).numpy(), before)


def test_names_are_stable_across_loads():
    a = cro.load(exported("resnet18", 13))
    b = cro.load(exported("resnet18", 13))
    assert list(a.state_dict()) == list(b.state_dict())
    assert a.onnx_names == b.onnx_names
    assert a.onnx_names["layer2.0.downsample.0.weight"] == "layer2.0.downsample.0.weight"
