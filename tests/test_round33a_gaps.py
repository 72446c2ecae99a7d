"""Gaps the round-33a compat programs (tests/compat/programs/unet_segmentation.py, …) found,
each compared with PyTorch.

Memory formats: ``torch.channels_last`` and its siblings (``torch.memory_format``), which the
U-Net program (milesial/Pytorch-UNet's ``model.to(memory_format=torch.channels_last)`` and
``images.to(..., memory_format=torch.channels_last)``) uses. chainrule's arrays are strided, so
the format is a real layout: the strides, ``is_contiguous(memory_format=…)``, ``view``'s refusals
and the values all follow PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

SHAPES = [(2, 3, 4, 5), (2, 1, 4, 5), (2, 3, 1, 1), (1, 3, 4, 5), (3, 2, 1, 4)]


def _pair(shape, seed=0):
    x = np.random.default_rng(seed).normal(size=shape)
    return cr.tensor(x), torch.tensor(x)


def test_memory_format_names_exist():
    for name in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format"):
        assert isinstance(getattr(cr, name), cr.memory_format)
        assert isinstance(getattr(torch, name), torch.memory_format)
    assert isinstance(cr.strided, cr.layout)
    assert cr.channels_last is not cr.contiguous_format


@pytest.mark.parametrize("shape", SHAPES)
def test_contiguous_channels_last_matches_strides_and_flags(shape):
    a, b = _pair(shape)
    for fmt in ("contiguous_format", "channels_last"):
        assert a.is_contiguous(memory_format=getattr(cr, fmt)) == \
            b.is_contiguous(memory_format=getattr(torch, fmt)), fmt
    ca, cb = a.contiguous(memory_format=cr.channels_last), \
        b.contiguous(memory_format=torch.channels_last)
    assert ca.stride() == cb.stride()
    assert (ca is a) == (cb is b)              # already in that format: the tensor itself
    np.testing.assert_array_equal(ca.numpy(), cb.numpy())
    for fmt in ("contiguous_format", "channels_last"):
        assert ca.is_contiguous(memory_format=getattr(cr, fmt)) == \
            cb.is_contiguous(memory_format=getattr(torch, fmt)), fmt
    back_a, back_b = ca.contiguous(), cb.contiguous()
    assert back_a.stride() == back_b.stride() and back_a.is_contiguous()


def test_channels_last_3d_and_rank_errors():
    a, b = _pair((2, 3, 2, 4, 5))
    ca = a.contiguous(memory_format=cr.channels_last_3d)
    cb = b.contiguous(memory_format=torch.channels_last_3d)
    assert ca.stride() == cb.stride()
    assert ca.is_contiguous(memory_format=cr.channels_last_3d)
    assert not ca.is_contiguous(memory_format=cr.channels_last)   # rank 5: never channels_last
    for lib, x, fmt in ((cr, _pair((2, 3, 4))[0], "channels_last"),
                        (torch, _pair((2, 3, 4))[1], "channels_last"),
                        (cr, a, "channels_last"), (torch, b, "channels_last")):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            x.contiguous(memory_format=getattr(lib, fmt))
    for lib, x in ((cr, a), (torch, b)):      # preserve_format: fine where nothing is to do
        assert x.contiguous(memory_format=lib.preserve_format) is x
        with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
            x.transpose(0, 1).contiguous(memory_format=lib.preserve_format)


def test_to_and_clone_keep_or_set_the_format():
    a, b = _pair((2, 3, 4, 5))
    la = a.to(memory_format=cr.channels_last)
    lb = b.to(memory_format=torch.channels_last)
    assert la.stride() == lb.stride()
    # a dtype change keeps the layout (preserve_format), as does clone by default
    assert la.to(cr.float32).stride() == lb.to(torch.float32).stride()
    assert la.clone().stride() == lb.clone().stride()
    assert cr.clone(la).stride() == torch.clone(lb).stride()
    assert la.clone(memory_format=cr.contiguous_format).stride() == \
        lb.clone(memory_format=torch.contiguous_format).stride()
    assert la.to(memory_format=cr.contiguous_format).stride() == \
        lb.to(memory_format=torch.contiguous_format).stride()
    # a tensor already in the format comes back itself
    assert la.to(memory_format=cr.channels_last) is la
    assert lb.to(memory_format=torch.channels_last) is lb
    # view on channels_last memory: refused where PyTorch refuses, allowed where it allows
    for x in (la, lb):
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            x.view(2, -1)
    assert la.permute(0, 2, 3, 1).view(2, -1).shape == tuple(lb.permute(0, 2, 3, 1).view(2, -1)
                                                             .shape)
    np.testing.assert_array_equal(la.permute(0, 2, 3, 1).reshape(2, -1).numpy(),
                                  lb.permute(0, 2, 3, 1).reshape(2, -1).numpy())


def test_gradient_flows_through_a_change_of_format():
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5))
    grads = []
    for lib in (cr, torch):
        t = lib.tensor(x, requires_grad=True)
        y = t.contiguous(memory_format=lib.channels_last)
        z = t.to(memory_format=lib.channels_last)
        (y.sin() * z + y.clone()).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_module_to_channels_last_lays_out_4d_parameters():
    outputs, grads, state = [], [], {}
    x = np.random.default_rng(2).normal(size=(2, 3, 6, 6))
    for lib in (torch, cr):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3, padding=1), lib.nn.BatchNorm2d(4),
                                lib.nn.ConvTranspose2d(4, 2, 2, stride=2))
        net = net.double()
        if lib is cr:
            net.load_state_dict({k: cr.tensor(v) for k, v in state.items()})
        else:
            state.update({k: v.numpy() for k, v in net.state_dict().items()})
        assert net.to(memory_format=lib.channels_last) is net
        conv, bn, up = net
        assert conv.weight.is_contiguous(memory_format=lib.channels_last)
        assert not conv.weight.is_contiguous() and up.weight.is_contiguous(
            memory_format=lib.channels_last)
        assert bn.weight.is_contiguous() and conv.bias.is_contiguous()   # 1-d: untouched
        inp = lib.tensor(x).to(memory_format=lib.channels_last)
        out = net(inp)
        out.square().sum().backward()
        outputs.append(out.detach().numpy())
        grads.append(conv.weight.grad.numpy())
        shapes = [tuple(p.stride()) for p in net.parameters()]
        if lib is torch:
            torch_strides = shapes
        else:
            assert shapes == torch_strides
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12)
