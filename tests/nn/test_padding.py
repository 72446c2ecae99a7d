"""Padding layers (Zero/Constant/Reflection/Replication/CircularPad 1d/2d/3d): values and input
gradients against PyTorch for drawn paddings, batched and unbatched inputs; repr; errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

FEW = settings(max_examples=25, deadline=None)
KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]


def _make(lib, kind, nd, padding, value=1.5):
    cls = getattr(lib, f"{kind}{nd}d")
    return cls(padding, value) if kind == "ConstantPad" else cls(padding)


@FEW
@given(kind=st.sampled_from(KINDS), nd=st.sampled_from([1, 2, 3]), unbatched=st.booleans(),
       pads=st.lists(st.integers(0, 3), min_size=6, max_size=6), as_int=st.booleans())
def test_padding_layers_match_torch(kind, nd, unbatched, pads, as_int):
    size = 4
    padding = pads[0] if as_int else tuple(pads[:2 * nd])
    if kind == "ReflectionPad":     # reflection needs padding < size
        padding = min(padding, size - 1) if as_int else tuple(min(p, size - 1) for p in padding)
    shape = (2, 3) + (size,) * nd
    if unbatched:
        shape = shape[1:]
    check_against_torch(_make(nn, kind, nd, padding), _make(torch.nn, kind, nd, padding),
                        np.random.default_rng(1).standard_normal(shape))


@pytest.mark.parametrize("padding", [(-1, 2), (1, -2), (-1, -1)])
def test_constant_padding_negative_crops(padding):
    x = np.random.default_rng(2).standard_normal((2, 5))
    check_against_torch(nn.ConstantPad1d(padding, 3.0), torch.nn.ConstantPad1d(padding, 3.0), x)
    check_against_torch(nn.ZeroPad2d(padding * 2), torch.nn.ZeroPad2d(padding * 2),
                        np.random.default_rng(3).standard_normal((1, 4, 5)))


def test_constant_padding_more_axes():
    """ConstantPad2d pads the last two axes of an input with any number of leading axes."""
    x = np.random.default_rng(4).standard_normal((2, 2, 2, 3, 3))
    check_against_torch(nn.ConstantPad2d((1, 0, 2, 1), -1.0),
                        torch.nn.ConstantPad2d((1, 0, 2, 1), -1.0), x)


@pytest.mark.parametrize("kind", KINDS)
def test_repr_equals_torch(kind):
    for nd, padding in ((1, 2), (2, (1, 0, 2, 1)), (3, 1)):
        assert repr(_make(nn, kind, nd, padding)) == repr(_make(torch.nn, kind, nd, padding))
        assert list(_make(nn, kind, nd, padding).state_dict()) == []


def test_gradcheck_and_basics():
    x = np.random.default_rng(5).standard_normal((1, 2, 3, 3))
    for kind in KINDS:
        assert check_gradcheck(_make(nn, kind, 2, (1, 2, 2, 1)), x)
        check_basics(lambda kind=kind: _make(nn, kind, 2, 1), x)


def test_errors():
    with pytest.raises(ValueError, match="ReflectionPad2d.*padding"):
        nn.ReflectionPad2d((1, 2, 3))
    with pytest.raises(ValueError, match="ReplicationPad1d.*2-d or 3-d"):
        nn.ReplicationPad1d(1)(cr.ones(2, 2, 2, 2))
    with pytest.raises((ValueError, RuntimeError)):
        nn.ReflectionPad1d(3)(cr.ones(1, 2, 3))
