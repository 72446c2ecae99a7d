"""BatchNorm1d/2d, LayerNorm, GroupNorm and their fused primitives, against PyTorch."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.autograd import engine, registry
from chainrule.nn import functional as F
from chainrule.ops import norm
from tests.nn.layer_harness import (
    check_against_torch,
    check_basics,
    check_gradcheck,
    to_torch_dtype,
)

FEW = settings(max_examples=20, deadline=None)


def _copy_state(cr_layer, torch_layer, dtype):
    """Load the torch layer's whole state, num_batches_tracked included, in ``dtype``.

    (The shared harness's copy_weights leaves num_batches_tracked out, which BatchNorm's own
    state_dict, like PyTorch's, contains.)
    """
    torch_layer.to(to_torch_dtype(dtype))
    cr_layer.to(dtype)
    state = {k: v.detach().numpy() for k, v in torch_layer.state_dict().items()}
    cr_layer.load_state_dict(state, strict=True)


def _randomize(torch_layer, rng):
    """Non-trivial affine parameters and running statistics."""
    with torch.no_grad():
        if torch_layer.weight is not None:
            torch_layer.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, torch_layer.weight.shape)))
        if torch_layer.bias is not None:
            torch_layer.bias.copy_(torch.tensor(rng.standard_normal(torch_layer.bias.shape)))
        if getattr(torch_layer, "running_mean", None) is not None:
            c = torch_layer.running_mean.shape[0]
            torch_layer.running_mean.copy_(torch.tensor(rng.standard_normal(c)))
            torch_layer.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, c)))
            torch_layer.num_batches_tracked.fill_(3)


def _pair(kind, c, **kw):
    ours = {"1d": nn.BatchNorm1d, "2d": nn.BatchNorm2d}[kind]
    theirs = {"1d": torch.nn.BatchNorm1d, "2d": torch.nn.BatchNorm2d}[kind]
    return ours(c, **kw), theirs(c, **kw)


# --------------------------------------------------------------------------- BatchNorm
@FEW
@given(shape=st.sampled_from([(3, 4), (2, 3, 5), (4, 1, 3), (2, 3, 4, 5), (3, 2, 1, 1),
                              (2, 4, 3, 2)]),
       affine=st.booleans(), bias=st.booleans(), track=st.booleans(),
       momentum=st.sampled_from([0.1, 0.5, None]), train=st.booleans(), steps=st.integers(1, 3),
       seed=st.integers(0, 2 ** 16))
def test_batchnorm_matches_torch(shape, affine, bias, track, momentum, train, steps, seed):
    rng = np.random.default_rng(seed)
    kind = "2d" if len(shape) == 4 else "1d"
    kw = dict(affine=affine, track_running_stats=track, momentum=momentum, eps=1e-3)
    if affine:
        kw["bias"] = bias
    ours, theirs = _pair(kind, shape[1], **kw)
    _randomize(theirs, rng)
    _copy_state(ours, theirs, np.float64)
    x = rng.standard_normal(shape) * 3 + 1
    check_against_torch(ours, theirs, x, train=train, steps=steps, copy=False)


@pytest.mark.parametrize("kind, shape", [("1d", (16, 8)), ("1d", (8, 6, 10)),
                                         ("2d", (8, 6, 7, 5))])
def test_batchnorm_float32_matches_torch(kind, shape):
    rng = np.random.default_rng(1)
    for train in (True, False):
        ours, theirs = _pair(kind, shape[1])
        _randomize(theirs, rng)
        _copy_state(ours, theirs, np.float32)
        x = (rng.standard_normal(shape) * 2 + 5).astype(np.float32)
        check_against_torch(ours, theirs, x, dtype=np.float32, train=train, steps=2, copy=False)


@pytest.mark.parametrize("momentum", [0.1, 0.9, None])
def test_batchnorm_running_statistics_after_several_steps(momentum):
    ours, theirs = _pair("2d", 3, momentum=momentum)
    _copy_state(ours, theirs, np.float64)
    x = np.random.default_rng(2).standard_normal((4, 3, 5, 5)) * 2 - 1
    check_against_torch(ours, theirs, x, steps=5, copy=False)
    assert int(ours.num_batches_tracked.item()) == 5
    ours.eval()
    theirs.eval()
    check_against_torch(ours, theirs, x, train=False, copy=False)
    assert int(ours.num_batches_tracked.item()) == 5


def test_batchnorm_running_statistics_are_the_unbiased_average():
    layer = nn.BatchNorm1d(2, momentum=None).double()
    batches = [np.random.default_rng(i).standard_normal((6, 2)) + i for i in range(4)]
    for b in batches:
        layer(cr.tensor(b))
    np.testing.assert_allclose(layer.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0))
    # momentum=None: m = 1/t, so the first batch replaces the initial values entirely
    np.testing.assert_allclose(layer.running_var.numpy(),
                               np.mean([b.var(0, ddof=1) for b in batches], 0))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("shape", [(3, 2), (2, 2, 3), (2, 2, 2, 3)])
def test_batchnorm_gradcheck(shape, train):
    layer = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(shape[1])
    rng = np.random.default_rng(3)
    layer.weight.numpy()[...] = rng.uniform(0.5, 1.5, shape[1])
    layer.bias.numpy()[...] = rng.standard_normal(shape[1])
    layer.running_mean.numpy()[...] = rng.standard_normal(shape[1])
    layer.running_var.numpy()[...] = rng.uniform(0.5, 2, shape[1])
    assert check_gradcheck(layer, rng.standard_normal(shape), train=train)


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval():
    ours, theirs = _pair("2d", 3, track_running_stats=False)
    assert "running_mean" not in ours.state_dict()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(4).standard_normal((3, 3, 2, 2))
    check_against_torch(ours, theirs, x, train=False)
    assert check_gradcheck(ours, x, train=False)


def test_batchnorm_state_dict_keys_match_torch():
    assert list(nn.BatchNorm2d(4).state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    assert nn.BatchNorm2d(4).num_batches_tracked.dtype == np.int64
    layer = nn.BatchNorm2d(4)
    layer.load_state_dict({k: v.numpy() for k, v in torch.nn.BatchNorm2d(4).state_dict().items()})


def test_batchnorm_basics_and_formula():
    x = np.random.default_rng(5).standard_normal((2, 3, 2, 2))
    check_basics(lambda: nn.BatchNorm2d(3), x, torch_factory=lambda: torch.nn.BatchNorm2d(3))
    check_basics(lambda: nn.BatchNorm1d(3, affine=False), x[:, :, 0])
    text = str(nn.BatchNorm2d(64).formula())
    assert "γ, β ∈ ℝ^{64}" in text and "N×64×H×W" in text
    assert "∂L/∂x = (γ/σ̃)·(G − mean(G) − x̂·mean(G·x̂))" in text and "∂L/∂γ" in text
    assert "m = 1/t" in str(nn.BatchNorm1d(3, momentum=None).formula())
    for kw in ({}, {"affine": False}, {"bias": False}, {"momentum": None}):
        assert repr(nn.BatchNorm2d(3, **kw)) == repr(torch.nn.BatchNorm2d(3, **kw))


def test_batchnorm_errors_say_what_was_given_and_expected():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(num_features=3\): expected 4-D input.*"
                                         r"got 3-D input of shape \(2, 3, 4\)"):
        nn.BatchNorm2d(3)(cr.ones(2, 3, 4))
    with pytest.raises(ValueError, match=r"\(2, 4, 5, 5\) has 4 channels in axis 1, expected 3"):
        nn.BatchNorm2d(3)(cr.ones(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*expected 2-D input.*got 4-D"):
        nn.BatchNorm1d(3)(cr.ones(2, 3, 1, 1))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.ones(1, 3))
    with pytest.raises(ValueError, match="needs running_mean"):
        F.batch_norm(cr.ones(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"weight has shape \(4\), expected \(3\)"):
        F.batch_norm(cr.ones(2, 3), None, None, cr.ones(4), training=True)


def test_functional_batch_norm_matches_torch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    crm, crv = cr.tensor(rm.copy()), cr.tensor(rv.copy())
    trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    for training in (True, False):
        ours = F.batch_norm(cr.tensor(x), crm, crv, training=training, momentum=0.2, eps=1e-4)
        theirs = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=training,
                                                momentum=0.2, eps=1e-4)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)
        np.testing.assert_allclose(crm.numpy(), trm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(crv.numpy(), trv.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- LayerNorm
@FEW
@given(lead=st.sampled_from([(3,), (2, 3), (1,)]), normalized=st.sampled_from([(4,), (2, 3), (1,)]),
       affine=st.booleans(), bias=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_layernorm_matches_torch(lead, normalized, affine, bias, seed):
    rng = np.random.default_rng(seed)
    ours = nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine, bias=bias)
    theirs = torch.nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine, bias=bias)
    _randomize(theirs, rng)
    x = rng.standard_normal(lead + normalized) * 2 + 1
    check_against_torch(ours, theirs, x)
    check_against_torch(ours, theirs, x.astype(np.float32), dtype=np.float32)


def test_layernorm_gradcheck_basics_and_errors():
    rng = np.random.default_rng(7)
    layer = nn.LayerNorm((2, 3))
    layer.weight.numpy()[...] = rng.uniform(0.5, 1.5, (2, 3))
    layer.bias.numpy()[...] = rng.standard_normal((2, 3))
    assert check_gradcheck(layer, rng.standard_normal((2, 2, 3)))
    check_basics(lambda: nn.LayerNorm(4), np.ones((2, 4)),
                 torch_factory=lambda: torch.nn.LayerNorm(4))
    assert "γ, β ∈ ℝ^{2×3}" in str(nn.LayerNorm((2, 3)).formula())
    assert repr(nn.LayerNorm(4, bias=False)) == repr(torch.nn.LayerNorm(4, bias=False))
    with pytest.raises(ValueError, match=r"LayerNorm\(normalized_shape=\(4,\)\): expected input "
                                         r"of shape \(\*, 4\).*got \(2, 3\)"):
        nn.LayerNorm(4)(cr.ones(2, 3))
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape=\(3\)"):
        F.layer_norm(cr.ones(2, 4), (3,))


# --------------------------------------------------------------------------- GroupNorm
@FEW
@given(n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 3),
       spatial=st.sampled_from([(), (4,), (2, 3)]), affine=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_groupnorm_matches_torch(n, groups, per_group, spatial, affine, seed):
    rng = np.random.default_rng(seed)
    c = groups * per_group
    if per_group * int(np.prod(spatial)) < 3:
        # groups of 1 or 2 elements standardize to 0 or ±1 whatever x is: the input gradient is
        # all cancellation (about ε/σ²), too ill-conditioned for a float32 comparison
        spatial = (3,)
    ours = nn.GroupNorm(groups, c, eps=1e-4, affine=affine)
    theirs = torch.nn.GroupNorm(groups, c, eps=1e-4, affine=affine)
    _randomize(theirs, rng)
    x = rng.standard_normal((n, c) + spatial) * 2 + 1
    check_against_torch(ours, theirs, x)
    check_against_torch(ours, theirs, x.astype(np.float32), dtype=np.float32)


def test_groupnorm_gradcheck_basics_and_errors():
    rng = np.random.default_rng(8)
    layer = nn.GroupNorm(2, 4)
    layer.weight.numpy()[...] = rng.uniform(0.5, 1.5, 4)
    layer.bias.numpy()[...] = rng.standard_normal(4)
    assert check_gradcheck(layer, rng.standard_normal((2, 4, 3)))
    check_basics(lambda: nn.GroupNorm(2, 4), np.ones((2, 4, 3)),
                 torch_factory=lambda: torch.nn.GroupNorm(2, 4))
    assert "2 groups of 3 channels" in str(nn.GroupNorm(2, 6).formula())
    assert repr(nn.GroupNorm(2, 4)) == repr(torch.nn.GroupNorm(2, 4))
    with pytest.raises(ValueError, match="num_channels=5 must be divisible by num_groups=2"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"expected input \(N, 4, \*\), got \(2, 6, 3\)"):
        nn.GroupNorm(2, 4)(cr.ones(2, 6, 3))


# --------------------------------------------------------------------------- the primitives
PRIMITIVE_CASES = [
    ("batch_norm", lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True),
     lambda x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, training=True),
     (3, 4, 5), 4),
    ("batch_norm eval", lambda x, w, b: norm.batch_norm(
        x, cr.tensor(np.full(4, 0.3)), cr.tensor(np.full(4, 1.7)), w, b),
     lambda x, w, b: torch.nn.functional.batch_norm(
         x, torch.full((4,), 0.3, dtype=torch.float64), torch.full((4,), 1.7,
                                                                  dtype=torch.float64), w, b),
     (3, 4), 4),
    ("layer_norm", lambda x, w, b: norm.layer_norm(x, (4, 5), w, b),
     lambda x, w, b: torch.nn.functional.layer_norm(x, (4, 5), w, b), (3, 4, 5), (4, 5)),
    ("group_norm", lambda x, w, b: norm.group_norm(x, 2, w, b),
     lambda x, w, b: torch.nn.functional.group_norm(x, 2, w, b), (3, 4, 5), 4),
]


@pytest.mark.parametrize("name, ours, theirs, shape, pshape", PRIMITIVE_CASES,
                         ids=[c[0] for c in PRIMITIVE_CASES])
def test_primitive_second_derivatives_match_torch(name, ours, theirs, shape, pshape):
    """create_graph=True runs the compact rule on Tensors: gradients of gradients are right."""
    rng = np.random.default_rng(9)
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.uniform(0.5, 1.5, pshape),
              rng.standard_normal(pshape)]
    c = [cr.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = (ours(*c) ** 3).sum(), (theirs(*t) ** 3).sum()
    gx, gw = engine.backward([y], [np.ones(())], retain_graph=True, create_graph=True,
                             inputs=c[:2])
    tgx, tgw = torch.autograd.grad(ty, t[:2], create_graph=True)
    np.testing.assert_allclose(gx.numpy(), tgx.detach().numpy(), rtol=1e-9, atol=1e-12)
    ((gx * gx).sum() + (gw * gw).sum()).backward()
    ((tgx * tgx).sum() + (tgw * tgw).sum()).backward()
    for a, b in zip(c, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["batch_norm", "layer_norm", "group_norm"])
def test_primitives_carry_their_mathematics(name):
    cls = registry.get(name)
    assert "mean(g)" in cls.text[-1] or "mean(ĝ)" in cls.text[-1]
    f = cls.formula()
    assert f.to_latex() and "VJP" in cls.__doc__ and "Numerics" in cls.__doc__


def test_primitive_forwards_equal_their_references():
    rng = np.random.default_rng(10)
    x, w, b = rng.standard_normal((3, 4, 5)), rng.standard_normal(4), rng.standard_normal(4)
    np.testing.assert_allclose(norm.batch_norm(x, None, None, w, b, training=True).numpy(),
                               norm.BatchNorm.reference(x, w, b))
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    np.testing.assert_allclose(norm.batch_norm(x, rm, rv, w, b).numpy(),
                               norm.BatchNorm.reference(x, w, b, rm, rv, training=False))
    np.testing.assert_allclose(norm.group_norm(cr.tensor(x), 2, w, b).numpy(),
                               norm.GroupNorm.reference(x, w, b, num_groups=2))
    np.testing.assert_allclose(norm.layer_norm(cr.tensor(x), 5).numpy(),
                               norm.LayerNorm.reference(x))


def test_fast_backward_equals_the_compact_rule():
    """The array path (in-place, einsum) and the written-out rule agree on arrays."""
    rng = np.random.default_rng(11)
    x, g, w = rng.standard_normal((4, 3, 6)) * 5 + 2, rng.standard_normal((4, 3, 6)), \
        rng.standard_normal(3)
    cx, cw, cb = (cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True),
                  cr.tensor(np.zeros(3), requires_grad=True))
    norm.batch_norm(cx, None, None, cw, cb, training=True, eps=1e-3).backward(g)
    gx, gw, gb = norm._compact_vjp(x, g, w, (0, 2), (0, 2), (3, 1), 1e-3)
    np.testing.assert_allclose(cx.grad.numpy(), gx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cw.grad.numpy(), gw, rtol=1e-10)
    np.testing.assert_allclose(cb.grad.numpy(), gb, rtol=1e-10)
