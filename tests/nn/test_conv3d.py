"""Conv3d, ConvTranspose1d and ConvTranspose3d (and F.conv3d / F.conv_transpose3d): values,
input and parameter gradients against PyTorch for drawn options, padding strings and modes,
gradcheck, state_dict layouts that load PyTorch's weights."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

TF = torch.nn.functional
FEW = settings(max_examples=20, deadline=None)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _state_layout(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@st.composite
def conv_cases(draw, nd, transposed=False):
    groups = draw(st.sampled_from([1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, 1)) for _ in range(nd))
    size = tuple(d * (k - 1) + 1 + draw(st.integers(0, 2)) for k, d in zip(kernel, dilation))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              bias=draw(st.booleans()))
    if transposed:
        kw["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                     for s, d in zip(stride, dilation))
        size = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        assume(all((h - 1) * s - 2 * p + d * (k - 1) + a + 1 >= 1 for h, s, p, d, k, a in
                   zip(size, stride, padding, dilation, kernel, kw["output_padding"])))
    return cin, cout, kernel, kw, (draw(st.integers(1, 2)), cin) + size


@FEW
@given(case=conv_cases(3))
def test_conv3d_matches_torch(case):
    cin, cout, kernel, kw, shape = case
    check_against_torch(nn.Conv3d(cin, cout, kernel, **kw),
                        torch.nn.Conv3d(cin, cout, kernel, **kw), _rng(1).standard_normal(shape))


@FEW
@given(case=conv_cases(1, transposed=True))
def test_conv_transpose1d_matches_torch(case):
    cin, cout, kernel, kw, shape = case
    check_against_torch(nn.ConvTranspose1d(cin, cout, kernel, **kw),
                        torch.nn.ConvTranspose1d(cin, cout, kernel, **kw),
                        _rng(2).standard_normal(shape))


@FEW
@given(case=conv_cases(3, transposed=True))
def test_conv_transpose3d_matches_torch(case):
    cin, cout, kernel, kw, shape = case
    check_against_torch(nn.ConvTranspose3d(cin, cout, kernel, **kw),
                        torch.nn.ConvTranspose3d(cin, cout, kernel, **kw),
                        _rng(3).standard_normal(shape))


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel,dilation", [((2, 3, 1), 1), ((3, 2, 2), (1, 2, 1))])
def test_conv3d_padding_strings(padding, kernel, dilation):
    kw = dict(padding=padding, dilation=dilation)
    out = check_against_torch(nn.Conv3d(2, 3, kernel, **kw), torch.nn.Conv3d(2, 3, kernel, **kw),
                              _rng(4).standard_normal((2, 2, 5, 4, 6)))
    if padding == "same":
        assert out.shape[2:] == (5, 4, 6)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (1, 0, 2), "same"])
def test_conv3d_padding_modes(mode, padding):
    kw = dict(padding=padding, padding_mode=mode, stride=1)
    check_against_torch(nn.Conv3d(2, 2, (3, 2, 3), **kw), torch.nn.Conv3d(2, 2, (3, 2, 3), **kw),
                        _rng(5).standard_normal((2, 2, 4, 5, 4)))


def test_conv3d_unbatched_input():
    check_against_torch(nn.Conv3d(2, 3, 2, stride=(1, 2, 1)),
                        torch.nn.Conv3d(2, 3, 2, stride=(1, 2, 1)),
                        _rng(6).standard_normal((2, 4, 5, 3)))


@pytest.mark.parametrize("cls", ["Conv3d", "ConvTranspose1d", "ConvTranspose3d"])
def test_state_dict_layout_equals_torch(cls):
    args = (4, 6, 3) if cls != "ConvTranspose1d" else (4, 6, 5)
    for kw in (dict(groups=2), dict(bias=False)):
        mine, theirs = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
        assert _state_layout(mine) == _state_layout(theirs)
        mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        np.testing.assert_array_equal(mine.weight.numpy(), theirs.weight.detach().numpy())


def test_conv_transpose3d_output_size():
    layer, ref = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1), \
        torch.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    x = _rng(7).standard_normal((1, 2, 3, 2, 3))
    from tests.nn.layer_harness import copy_weights
    copy_weights(layer, ref)
    for size in [(5, 3, 5), (6, 4, 6), (1, 3, 6, 3, 5)]:
        y = layer(cr.tensor(x), output_size=size)
        t = ref(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(y.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="ConvTranspose3d.*output size"):
        layer(cr.tensor(x), output_size=(8, 3, 5))


def test_functional_conv3d_and_transpose3d():
    rng = _rng(8)
    x, w, b = rng.standard_normal((2, 4, 4, 5, 3)), rng.standard_normal((4, 2, 2, 3, 1)), \
        rng.standard_normal(4)
    kw = dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2)
    np.testing.assert_allclose(
        F.conv3d(cr.tensor(x), cr.tensor(w), cr.tensor(b), **kw).numpy(),
        TF.conv3d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw).numpy(), rtol=1e-10,
        atol=1e-12)
    kw = dict(stride=2, padding=1, output_padding=(1, 0, 1), groups=2, dilation=(1, 1, 2))
    np.testing.assert_allclose(
        F.conv_transpose3d(cr.tensor(x), cr.tensor(w), cr.tensor(b[:4]), **kw).numpy(),
        TF.conv_transpose3d(torch.tensor(x), torch.tensor(w), torch.tensor(b[:4]), **kw).numpy(),
        rtol=1e-10, atol=1e-12)


def test_gradcheck_small():
    x = _rng(9).standard_normal((1, 2, 3, 3, 2))
    assert check_gradcheck(nn.Conv3d(2, 2, (2, 2, 1), padding=(1, 0, 0), stride=(2, 1, 1)), x)
    assert check_gradcheck(nn.ConvTranspose3d(2, 2, (2, 1, 2), stride=(1, 2, 1),
                                              output_padding=(0, 1, 0)), x)
    assert check_gradcheck(nn.ConvTranspose1d(2, 4, 3, groups=2, dilation=2),
                           _rng(10).standard_normal((2, 2, 3)))
    assert check_gradcheck(nn.Conv3d(2, 2, 2, padding=1, padding_mode="circular"), x)


def test_basics_and_formulas():
    x = _rng(11).standard_normal((1, 2, 3, 4, 3))
    check_basics(lambda: nn.Conv3d(2, 3, 2), x, torch_factory=lambda: torch.nn.Conv3d(2, 3, 2))
    check_basics(lambda: nn.ConvTranspose3d(2, 3, 2, stride=2), x,
                 torch_factory=lambda: torch.nn.ConvTranspose3d(2, 3, 2, stride=2))
    check_basics(lambda: nn.ConvTranspose1d(2, 3, 2), x[:, :, 0, 0],
                 torch_factory=lambda: torch.nn.ConvTranspose1d(2, 3, 2))
    assert "conv3d(G, W)" in str(nn.ConvTranspose3d(2, 3, 2).formula())
    assert "W ∈ ℝ^{3×2×2×2×2}" in str(nn.Conv3d(2, 3, 2).formula())
    assert repr(nn.ConvTranspose1d(2, 3, 2, stride=2)) == \
        repr(torch.nn.ConvTranspose1d(2, 3, 2, stride=2))
    assert repr(nn.Conv3d(2, 4, 3, padding="same", groups=2)) == \
        repr(torch.nn.Conv3d(2, 4, 3, padding="same", groups=2))


def test_errors():
    with pytest.raises(ValueError, match="Conv3d.*channel"):
        nn.Conv3d(3, 2, 2)(cr.ones(1, 2, 3, 3, 3))
    with pytest.raises(ValueError, match="same.*strided"):
        nn.Conv3d(3, 2, 2, stride=2, padding="same")
    with pytest.raises(ValueError, match="ConvTranspose3d.*output_padding"):
        nn.ConvTranspose3d(3, 2, 2, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="ConvTranspose1d.*zeros"):
        nn.ConvTranspose1d(3, 2, 2, padding_mode="reflect")
