"""Conv1d, Conv2d, ConvTranspose2d and the conv primitives (conv, conv_transpose,
conv_weight_grad): values, gradients and double backward against PyTorch, gradcheck, memory,
errors."""
import math
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.autograd.functional import grad as cr_grad
from chainrule.nn import functional as F
from chainrule.ops import conv as C
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

TF = torch.nn.functional
FEW = settings(max_examples=25, deadline=None)
# PyTorch warns that its own 'same' padding of even kernels copies the input; not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def _rng(seed=0):
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- drawn geometries
@st.composite
def conv2d_cases(draw, transposed=False):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if transposed:
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        output_padding = tuple(draw(st.integers(0, max(s, d) - 1))
                               for s, d in zip(stride, dilation))
        size = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
        out = [(h - 1) * s - 2 * p + d * (k - 1) + a + 1 for h, s, p, d, k, a in
               zip(size, stride, padding, dilation, kernel, output_padding)]
        if min(out) < 1:
            padding = (0, 0)
        return dict(cin=cin, cout=cout, kernel=kernel, stride=stride, padding=padding,
                    output_padding=output_padding, dilation=dilation, groups=groups,
                    size=size, bias=draw(st.booleans()), n=draw(st.integers(1, 3)))
    padding = draw(st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                             st.integers(0, 2), st.sampled_from(["same", "valid"])))
    if padding == "same":
        stride = (1, 1)
    pads = C.conv_padding(padding, kernel, stride, dilation, "test")
    reach = [d * (k - 1) + 1 - p - q for k, d, (p, q) in zip(kernel, dilation, pads)]
    size = tuple(max(r, 1) + draw(st.integers(0, 5)) for r in reach)
    return dict(cin=cin, cout=cout, kernel=kernel, stride=stride, padding=padding,
                dilation=dilation, groups=groups, size=size, bias=draw(st.booleans()),
                n=draw(st.integers(1, 3)))


def _conv2d_pair(c, padding_mode="zeros"):
    kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
              groups=c["groups"], bias=c["bias"], padding_mode=padding_mode)
    return (nn.Conv2d(c["cin"], c["cout"], c["kernel"], **kw),
            torch.nn.Conv2d(c["cin"], c["cout"], c["kernel"], **kw))


# --------------------------------------------------------------------------- Conv2d
@FEW
@given(case=conv2d_cases())
def test_conv2d_matches_torch(case):
    x = _rng(1).standard_normal((case["n"], case["cin"]) + case["size"])
    check_against_torch(*_conv2d_pair(case), x)


@settings(max_examples=10, deadline=None)
@given(case=conv2d_cases())
def test_conv2d_float32_matches_torch(case):
    x = _rng(2).standard_normal((case["n"], case["cin"]) + case["size"]).astype(np.float32)
    check_against_torch(*_conv2d_pair(case), x, dtype=np.float32)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes_match_torch(mode):
    case = dict(cin=2, cout=3, kernel=(3, 2), stride=(1, 2), padding=(2, 1), dilation=(1, 1),
                groups=1, bias=True)
    x = _rng(3).standard_normal((2, 2, 5, 6))
    check_against_torch(*_conv2d_pair(case, mode), x)
    same = dict(case, stride=(1, 1), padding="same", kernel=(4, 3))
    check_against_torch(*_conv2d_pair(same, mode), x)


def test_conv2d_unbatched_input_matches_torch():
    x = _rng(4).standard_normal((3, 7, 6))
    check_against_torch(nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1), x)


def test_conv2d_lenet_and_vgg_shapes_float32():
    x = _rng(5).standard_normal((4, 1, 28, 28)).astype(np.float32)
    check_against_torch(nn.Conv2d(1, 6, 5), torch.nn.Conv2d(1, 6, 5), x, dtype=np.float32)
    x = _rng(6).standard_normal((2, 32, 16, 16)).astype(np.float32)
    check_against_torch(nn.Conv2d(32, 64, 3, padding=1), torch.nn.Conv2d(32, 64, 3, padding=1),
                        x, dtype=np.float32)


def test_conv2d_gradcheck():
    x = _rng(7).standard_normal((2, 4, 5, 6))
    assert check_gradcheck(nn.Conv2d(4, 2, (3, 2), stride=(2, 1), padding=(1, 0),
                                     dilation=(1, 2), groups=2), x)
    assert check_gradcheck(nn.Conv2d(4, 3, 2, padding="same", bias=False), x)


def test_conv2d_basics():
    check_basics(lambda: nn.Conv2d(3, 4, 3, padding=1), np.ones((2, 3, 5, 5)),
                 torch_factory=lambda: torch.nn.Conv2d(3, 4, 3, padding=1))
    assert repr(nn.Conv2d(3, 4, 3, stride=2, padding=1, groups=1, bias=False)) == repr(
        torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False))
    layer = nn.Conv2d(4, 8, 3, groups=2)
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.weight.shape == (8, 2, 3, 3)


def test_conv2d_default_init_range():
    cr.manual_seed(0)
    layer = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert layer.weight.numpy().std() > 0.5 * bound / math.sqrt(3)
    assert layer.weight.dtype == np.float32
    t = nn.ConvTranspose2d(6, 4, 3, groups=2)
    bound = 1 / math.sqrt(2 * 9)  # fan_in from the weight (6, 2, 3, 3): 2·3·3
    assert np.abs(t.weight.numpy()).max() <= bound and np.abs(t.bias.numpy()).max() <= bound


def test_conv2d_formula_has_this_layers_shapes():
    text = str(nn.Conv2d(1, 6, 5).formula())
    assert "W ∈ ℝ^{6×1×5×5}" in text and "b ∈ ℝ^{6}" in text
    assert "(N, 1, H, W) → y: (N, 6, H′, W′)" in text
    f = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False).formula()
    assert f["Forward"].text.count("2h + i") == 1 and "b[o]" not in f["Forward"].text
    assert "flip" in f.derivative.text and "Weight gradient" in [e.label for e in f.equations]
    assert f.to_latex() and f.to_markdown()


# --------------------------------------------------------------------------- errors
def test_conv2d_given_n_h_w_says_what_was_given_and_expected():
    with pytest.raises(ValueError) as info:
        nn.Conv2d(1, 6, 5)(cr.ones(128, 28, 28))
    message = str(info.value)
    assert "(128, 28, 28)" in message and "(N, 1, H, W)" in message
    assert "in_channels = 1" in message and "unsqueeze(1)" in message


def test_conv2d_wrong_channels_says_what_was_given_and_expected():
    with pytest.raises(ValueError, match=r"\(8, 3, 32, 32\).*C = 3.*in_channels = 1"):
        nn.Conv2d(1, 6, 5)(cr.ones(8, 3, 32, 32))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\).*\(28, 28\)"):
        nn.Conv2d(3, 6, 5)(cr.ones(28, 28))
    with pytest.raises(ValueError, match=r"Conv1d.*\(N, 2, L\).*C = 5"):
        nn.Conv1d(2, 4, 3)(cr.ones(3, 5, 10))
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*C = 2.*in_channels = 4"):
        nn.ConvTranspose2d(4, 3, 3)(cr.ones(1, 2, 5, 5))


def test_conv_argument_errors():
    with pytest.raises(ValueError, match="same.*strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"smaller than the dilated kernel"):
        F.conv2d(cr.ones(1, 1, 3, 3), cr.ones(1, 1, 5, 5))
    with pytest.raises(ValueError, match=r"weight \(4×2×3×3\) with groups = 1 expects "
                                         r"in_channels = .* = 2"):
        F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"bias of shape \(4,\)"):
        F.conv2d(cr.ones(1, 2, 8, 8), cr.ones(4, 2, 3, 3), cr.ones(3))


# --------------------------------------------------------------------------- Conv1d
@FEW
@given(groups=st.sampled_from([1, 2]), k=st.integers(1, 4), s=st.integers(1, 3),
       d=st.integers(1, 2), padding=st.sampled_from([0, 1, 2, "same", "valid"]),
       extra=st.integers(0, 6), bias=st.booleans(), n=st.integers(1, 3))
def test_conv1d_matches_torch(groups, k, s, d, padding, extra, bias, n):
    if padding == "same":
        s = 1
    length = d * (k - 1) + 1 + extra
    kw = dict(stride=s, padding=padding, dilation=d, groups=groups, bias=bias)
    x = _rng(8).standard_normal((n, 2 * groups, length))
    check_against_torch(nn.Conv1d(2 * groups, 3 * groups, k, **kw),
                        torch.nn.Conv1d(2 * groups, 3 * groups, k, **kw), x)


def test_conv1d_gradcheck_and_basics():
    x = _rng(9).standard_normal((2, 2, 7))
    assert check_gradcheck(nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2), x)
    check_basics(lambda: nn.Conv1d(2, 3, 3), x, torch_factory=lambda: torch.nn.Conv1d(2, 3, 3))
    assert "W ∈ ℝ^{3×2×3}" in str(nn.Conv1d(2, 3, 3).formula())


# --------------------------------------------------------------------------- ConvTranspose2d
@FEW
@given(case=conv2d_cases(transposed=True))
def test_conv_transpose2d_matches_torch(case):
    kw = dict(stride=case["stride"], padding=case["padding"],
              output_padding=case["output_padding"], groups=case["groups"], bias=case["bias"],
              dilation=case["dilation"])
    x = _rng(10).standard_normal((case["n"], case["cin"]) + case["size"])
    check_against_torch(nn.ConvTranspose2d(case["cin"], case["cout"], case["kernel"], **kw),
                        torch.nn.ConvTranspose2d(case["cin"], case["cout"], case["kernel"], **kw),
                        x)


def test_conv_transpose2d_float32_and_output_size():
    x = _rng(11).standard_normal((2, 8, 7, 7)).astype(np.float32)
    check_against_torch(nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
                        torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), x,
                        dtype=np.float32)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    torch_layer = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = _rng(12).standard_normal((1, 3, 5, 5))
    for size in [(9, 9), (10, 10), (1, 2, 9, 10)]:
        y = layer.double()(cr.tensor(x), output_size=size)
        assert y.shape == tuple(torch_layer(torch.tensor(x).float(), output_size=size).shape)
    with pytest.raises(ValueError, match="valid sizes range from"):
        layer(cr.tensor(x), output_size=(12, 12))


def test_conv_transpose2d_gradcheck_and_basics():
    x = _rng(13).standard_normal((2, 4, 3, 3))
    assert check_gradcheck(nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 1), padding=(1, 0),
                                              output_padding=(1, 0), dilation=(1, 2), groups=2),
                           x)
    check_basics(lambda: nn.ConvTranspose2d(4, 2, 3, stride=2), x,
                 torch_factory=lambda: torch.nn.ConvTranspose2d(4, 2, 3, stride=2))
    text = str(nn.ConvTranspose2d(4, 2, 3, stride=2).formula())
    assert "W ∈ ℝ^{4×2×3×3}" in text and "conv2d(G, W)" in text


# --------------------------------------------------------------------------- the primitives
def _geometry(nd, rng):
    stride = tuple(int(v) for v in rng.integers(1, 3, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    padding = tuple((int(a), int(b)) for a, b in rng.integers(0, 2, (nd, 2)))
    return stride, padding, dilation


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_primitives_match_their_references(nd):
    rng = _rng(14 + nd)
    stride, padding, dilation = _geometry(nd, rng)
    groups = 2
    x = rng.standard_normal((2, 4) + (6,) * nd)
    w = rng.standard_normal((6, 2) + (2,) * nd)
    b = rng.standard_normal(6)
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y = C.Conv.apply(cr.tensor(x), cr.tensor(w), cr.tensor(b), **params)
    np.testing.assert_allclose(y.numpy(), C.Conv.reference(x, w, b, **params), rtol=1e-10)
    g = rng.standard_normal(y.shape)
    gw = C.ConvWeightGrad.apply(cr.tensor(x), cr.tensor(g), kernel_size=(2,) * nd, **params)
    np.testing.assert_allclose(gw.numpy(), C.ConvWeightGrad.reference(
        x, g, kernel_size=(2,) * nd, **params), rtol=1e-10)
    out = tuple(x.shape[2:])
    xt = C.ConvTranspose.apply(cr.tensor(g), cr.tensor(w), **params, out=out)
    np.testing.assert_allclose(xt.numpy(), C.ConvTranspose.reference(g, w, **params, out=out),
                               rtol=1e-10, atol=1e-12)


def test_conv_primitives_gradcheck():
    rng = _rng(20)
    params = dict(stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2), groups=2)
    x = rng.standard_normal((1, 4, 4, 5))
    w = rng.standard_normal((2, 2, 2, 2))
    b = rng.standard_normal(2)
    assert cr.gradcheck(lambda x, w, b: C.Conv.apply(x, w, b, **params), x, w, b)
    y = C.Conv.reference(x, w, b, **params)
    g = rng.standard_normal(y.shape)
    assert cr.gradcheck(lambda x, g: C.ConvWeightGrad.apply(x, g, kernel_size=(2, 2), **params),
                        x, g)
    wt = rng.standard_normal((4, 1, 2, 2))
    assert cr.gradcheck(lambda g, w, b: C.ConvTranspose.apply(g, w, b, **params, out=(4, 5)),
                        rng.standard_normal((1, 4, 2, 2)), wt, rng.standard_normal(2))


def _double_backward(fn_cr, fn_torch, arrays, seed=0):
    """∂/∂(inputs) of ⟨∂L/∂inputs, v⟩ + Σ y³ against PyTorch (create_graph through the rules)."""
    rng = _rng(seed)
    cts = [cr.tensor(a, requires_grad=True) for a in arrays]
    tts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = fn_cr(*cts), fn_torch(*tts)
    g = rng.standard_normal(ty.shape)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    first = cr_grad(y, cts, grad_outputs=cr.tensor(g), create_graph=True)
    t_first = torch.autograd.grad(ty, tts, grad_outputs=torch.tensor(g), create_graph=True)
    for a, e in zip(first, t_first):
        np.testing.assert_allclose(a.numpy(), e.detach().numpy(), rtol=1e-7, atol=1e-9)
    total = sum((gr * cr.tensor(v)).sum() for gr, v in zip(first, vs)) + (y * y * y).sum()
    t_total = sum((gr * torch.tensor(v)).sum() for gr, v in zip(t_first, vs)) + (ty ** 3).sum()
    total.backward()
    t_total.backward()
    for c, t in zip(cts, tts):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_conv_double_backward_matches_torch():
    rng = _rng(21)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 2, 3, 2))
    b = rng.standard_normal(6)
    _double_backward(lambda x, w, b: F.conv2d(x, w, b, 2, 1, (1, 2), 2),
                     lambda x, w, b: TF.conv2d(x, w, b, 2, 1, (1, 2), 2), [x, w, b])
    wt = rng.standard_normal((4, 3, 3, 2))
    _double_backward(lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 1, (1, 2)),
                     lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1, 1, (1, 2)),
                     [x, wt, b[:3]])


def test_functional_forms_match_torch():
    rng = _rng(22)
    x = rng.standard_normal((2, 4, 9))
    w = rng.standard_normal((4, 2, 4))
    for kw in [dict(padding="same", dilation=2, groups=2), dict(stride=2, padding=1, groups=2)]:
        np.testing.assert_allclose(F.conv1d(cr.tensor(x), cr.tensor(w), **kw).numpy(),
                                   TF.conv1d(torch.tensor(x), torch.tensor(w), **kw).numpy(),
                                   rtol=1e-10)
    wt = rng.standard_normal((4, 3, 3))
    np.testing.assert_allclose(
        F.conv_transpose1d(cr.tensor(x), cr.tensor(wt), None, 2, 1, 1).numpy(),
        TF.conv_transpose1d(torch.tensor(x), torch.tensor(wt), None, 2, 1, 1).numpy(),
        rtol=1e-10)
    x2 = rng.standard_normal((3, 6, 5))  # unbatched (C, H, W)
    w2 = rng.standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(F.conv2d(cr.tensor(x2), cr.tensor(w2), padding="same").numpy(),
                               TF.conv2d(torch.tensor(x2), torch.tensor(w2),
                                         padding="same").numpy(), rtol=1e-10)


# --------------------------------------------------------------------------- memory
@pytest.mark.parametrize("shape", [(8, 1, 28, 28, 6, 5, 0), (4, 16, 16, 16, 32, 3, 1)])
def test_conv_backward_peak_memory_within_twice_im2col(shape):
    n, c, h, w_, o, k, p = shape
    rng = _rng(23)
    x = cr.tensor(rng.standard_normal((n, c, h, w_)).astype(np.float32), requires_grad=True)
    layer = nn.Conv2d(c, o, k, padding=p)
    y = layer(x)
    g = np.ones(y.shape, dtype=np.float32)
    im2col = n * c * k * k * y.shape[2] * y.shape[3] * 4
    tracemalloc.start()
    try:
        y.backward(g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Everything allocated during backward, gradients of x, W and b included.
    assert peak <= 2 * im2col, f"backward peak {peak} bytes > 2 × im2col buffer {im2col}"
