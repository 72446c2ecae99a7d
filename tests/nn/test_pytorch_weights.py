"""PyTorch models' weights, exported as NumPy arrays, load into the same chainrule models and give
the same outputs and gradients (issue 3: LeNet-5 and a ResNet basic block)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def lenet(lib):
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(16 * 5 * 5, 120), lib.ReLU(),
        lib.Linear(120, 84), lib.ReLU(),
        lib.Linear(84, 10),
    )


def basic_block(lib, base):
    """ResNet's BasicBlock with a downsampling shortcut, written once for both libraries."""

    class BasicBlock(base):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = lib.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = lib.BatchNorm2d(cout)
            self.relu = lib.ReLU()
            self.conv2 = lib.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = lib.BatchNorm2d(cout)
            self.downsample = lib.Sequential(lib.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                             lib.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.downsample(x))

    return BasicBlock(4, 8, 2)


def _compare(cr_model, torch_model, x, train):
    torch_model.double().train(train)
    state = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    cr_model.double().train(train)
    cr_model.load_state_dict(state)
    assert list(cr_model.state_dict()) == list(state)
    xt = torch.tensor(x, requires_grad=True)
    xc = cr.tensor(x, requires_grad=True)
    out_t, out_c = torch_model(xt), cr_model(xc)
    np.testing.assert_allclose(out_c.numpy(), out_t.detach().numpy(), rtol=1e-6, atol=1e-9)
    g = np.random.default_rng(1).standard_normal(out_c.shape)
    out_t.backward(torch.tensor(g))
    out_c.backward(g)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-9)
    t_params = dict(torch_model.named_parameters())
    for name, p in cr_model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-6,
                                   atol=1e-9, err_msg=name)
    t_buffers = dict(torch_model.named_buffers())
    for name, b in cr_model.named_buffers():
        np.testing.assert_allclose(b.numpy(), t_buffers[name].numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


@pytest.mark.parametrize("train", [True, False])
def test_lenet5_weights_from_pytorch(train):
    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28))
    _compare(lenet(nn), lenet(torch.nn), x, train)
    assert sum(p.numel() for p in lenet(nn).parameters()) == sum(
        p.numel() for p in lenet(torch.nn).parameters())


@pytest.mark.parametrize("train", [True, False])
def test_resnet_basic_block_weights_from_pytorch(train):
    torch.manual_seed(0)
    tblock = basic_block(torch.nn, torch.nn.Module)
    if not train:  # give the running statistics non-trivial values first
        tblock.train()
        with torch.no_grad():
            tblock(torch.randn(6, 4, 8, 8))
    x = np.random.default_rng(0).standard_normal((2, 4, 8, 8))
    _compare(basic_block(nn, nn.Module), tblock, x, train)
