"""Regression tests for the gaps the round-35a compat programs (tests/compat/
test_programs_round35a.py) found, each compared against PyTorch.

- ``F.interpolate(..., antialias=True)`` raised NotImplementedError: now PyTorch's antialiased
  bilinear, bicubic (Keys, A = −0.5) and lanczos kernels (Pillow's resampling), forward and
  gradient, both align_corners modes, size or scale_factor — timm's resample_abs_pos_embed and
  torchvision-style resizing use it. Where PyTorch 2.13 resamples the height of an output one
  pixel wide it repeats the first row's value; chainrule gives the filtered values (what PyTorch
  gives for the transposed image).
- ``torch.optim.swa_utils`` was missing: AveragedModel (SWA and EMA, avg_fn / multi_avg_fn,
  use_buffers), update_bn, SWALR and the four averaging-function factories.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule
from chainrule.autograd.gradcheck import gradcheck

torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- antialias
def _aa(L, x, mode, align_corners, **kw):
    return L.nn.functional.interpolate(x, mode=mode, align_corners=align_corners,
                                       antialias=True, **kw)


def _modes():
    return st.sampled_from([("bilinear", False), ("bilinear", True), ("bicubic", False),
                            ("bicubic", True), ("lanczos", False)])


@given(h=st.integers(1, 12), w=st.integers(1, 12), oh=st.integers(1, 12), ow=st.integers(2, 12),
       mode=_modes(), dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 99))
def test_antialias_matches_pytorch(h, w, oh, ow, mode, dtype, seed):
    """Forward and gradient against PyTorch on drawn sizes (output width ≥ 2: see below)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, h, w)).astype(dtype)
    g = rng.normal(size=(2, 3, oh, ow)).astype(dtype)
    results = []
    for L in (torch, chainrule):
        xt = L.tensor(x, requires_grad=True)
        y = _aa(L, xt, *mode, size=(oh, ow))
        y.backward(L.tensor(g))
        results.append((y.detach().numpy(), xt.grad.numpy()))
    (ty, tg), (cy, cg) = results
    assert cy.dtype == ty.dtype and cy.shape == ty.shape
    tol = 1e-13 if dtype == "float64" else 2e-6
    for a, e in ((cy, ty), (cg, tg)):
        np.testing.assert_allclose(a, e, rtol=0, atol=tol * max(1.0, np.abs(e).max()))


@given(h=st.integers(2, 12), w=st.integers(2, 12), sh=st.floats(0.2, 2.5),
       sw=st.floats(0.2, 2.5), mode=_modes(), recompute=st.booleans())
def test_antialias_scale_factor_matches_pytorch(h, w, sh, sw, mode, recompute):
    x = np.random.default_rng(0).normal(size=(1, 2, h, w))
    kw = dict(scale_factor=(sh, sw), recompute_scale_factor=recompute)
    outs = []
    for L in (torch, chainrule):
        try:
            outs.append(_aa(L, L.tensor(x), *mode, **kw).numpy())
        except (RuntimeError, ValueError) as error:
            outs.append(type(error))
    if isinstance(outs[0], type):
        assert outs[1] is not None and isinstance(outs[1], type)
        return
    if outs[0].shape[-1] == 1 and outs[0].shape[-2] != h:
        return          # PyTorch's one-pixel-wide case, tested below
    np.testing.assert_allclose(outs[1], outs[0], rtol=0, atol=1e-13 * np.abs(outs[0]).max())


@pytest.mark.parametrize("mode", [("bilinear", False), ("bicubic", True), ("lanczos", False)])
@pytest.mark.parametrize("shape, size", [((5, 4), (3, 1)), ((5, 1), (3, 1)), ((6, 6), (9, 1))])
def test_antialias_one_pixel_wide_output_is_filtered(mode, shape, size):
    """PyTorch 2.13 gives every row of a (h_out, 1) output the first row's value when the height
    is resampled; chainrule gives the filtered values, which PyTorch computes correctly for the
    transposed image (the same filter along the other axis)."""
    x = np.random.default_rng(1).normal(size=(2, 2) + shape)
    t = _aa(torch, torch.tensor(x).transpose(2, 3), *mode, size=size[::-1]).transpose(2, 3)
    c = _aa(chainrule, chainrule.tensor(x), *mode, size=size)
    np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=0, atol=1e-13)
    buggy = _aa(torch, torch.tensor(x), *mode, size=size).numpy()
    assert np.all(buggy == buggy[:, :, :1])          # PyTorch's repeated first row


@pytest.mark.parametrize("mode", [("bilinear", False), ("bicubic", True), ("lanczos", False)])
def test_antialias_gradcheck(mode):
    x = chainrule.tensor(np.random.default_rng(2).normal(size=(1, 2, 7, 5)), requires_grad=True)
    assert gradcheck(lambda t: _aa(chainrule, t, *mode, size=(3, 8)), x)


@pytest.mark.parametrize("call, message", [
    (dict(mode="nearest", size=(2, 2)), "restricted to bilinear, bicubic, and lanczos"),
    (dict(mode="bilinear", size=2, x=(1, 2, 3)), "4-D"),
    (dict(mode="lanczos", size=(2, 2), align_corners=True), "align_corners"),
    (dict(mode="lanczos", size=(2, 2), antialias=False), "requires antialias"),
])
def test_antialias_errors(call, message):
    shape = call.pop("x", (1, 1, 4, 4))
    kw = dict(antialias=True) | call
    for L in (torch, chainrule):
        with pytest.raises(ValueError, match=message):
            L.nn.functional.interpolate(L.zeros(shape), **kw)


# ----------------------------------------------------------------------------- swa_utils
def _net(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 5), L.nn.BatchNorm1d(5), L.nn.ReLU(),
                           L.nn.Linear(5, 2)).double()


def _train_and_average(L, make_avg, steps=5):
    model = _net(L)
    avg = make_avg(L, model)
    opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = L.tensor(np.random.default_rng(3).normal(size=(12, 3)))
    for _ in range(steps):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        avg.update_parameters(model)
    chainrule_like = {k: v.detach().numpy().copy() for k, v in avg.state_dict().items()}
    avg.eval()
    with L.no_grad():
        out = avg(x).numpy()
    return chainrule_like, out


AVERAGES = {
    "swa": lambda L, m: L.optim.swa_utils.AveragedModel(m),
    "swa_buffers": lambda L, m: L.optim.swa_utils.AveragedModel(m, use_buffers=True),
    "ema_multi_buffers": lambda L, m: L.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=L.optim.swa_utils.get_ema_multi_avg_fn(0.9), use_buffers=True),
    "ema_fn": lambda L, m: L.optim.swa_utils.AveragedModel(
        m, avg_fn=L.optim.swa_utils.get_ema_avg_fn(0.75)),
    "swa_multi": lambda L, m: L.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=L.optim.swa_utils.get_swa_multi_avg_fn()),
}


@pytest.mark.parametrize("kind", list(AVERAGES))
def test_averaged_model_matches_pytorch(kind):
    (ts, to), (cs, co) = (_train_and_average(L, AVERAGES[kind]) for L in (torch, chainrule))
    assert list(cs) == list(ts)          # 'n_averaged', then 'module.…', in PyTorch's order
    for k in ts:
        assert cs[k].dtype == ts[k].dtype, k
        np.testing.assert_allclose(cs[k], ts[k], rtol=1e-12, atol=1e-14, err_msg=k)
    np.testing.assert_allclose(co, to, rtol=1e-12, atol=1e-14)
    assert int(cs["n_averaged"]) == 5


def test_averaged_model_is_a_deep_copy_and_first_update_copies():
    model = _net(chainrule)
    avg = chainrule.optim.swa_utils.AveragedModel(model)
    assert avg.module is not model and avg.module[0].weight is not model[0].weight
    with chainrule.no_grad():
        model[0].weight.add_(1.0)
    np.testing.assert_array_equal(avg.module[0].weight.numpy() + 1.0, model[0].weight.numpy())
    avg.update_parameters(model)
    np.testing.assert_array_equal(avg.module[0].weight.numpy(), model[0].weight.numpy())
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        chainrule.optim.swa_utils.AveragedModel(model, avg_fn=lambda *a: a[0],
                                                multi_avg_fn=lambda *a: None)


def test_update_bn_matches_pytorch():
    states = []
    for L in (torch, chainrule):
        model = _net(L)
        x = L.tensor(np.random.default_rng(4).normal(size=(20, 3)))
        model.eval()
        loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, x[:, 0]), batch_size=6)
        L.optim.swa_utils.update_bn(loader, model)
        L.optim.swa_utils.update_bn([x[:7], x[7:]], model)      # bare tensors as batches
        bn = model[1]
        states.append((bn.running_mean.numpy(), bn.running_var.numpy(),
                       int(bn.num_batches_tracked), model.training, bn.momentum))
    (tm, tv, tn, tt, tmo), (cm, cv, cn, ct, cmo) = states
    np.testing.assert_allclose(cm, tm, rtol=1e-12)
    np.testing.assert_allclose(cv, tv, rtol=1e-12)
    assert (cn, ct, cmo) == (tn, tt, tmo) == (2, False, 0.1)


def test_update_bn_leaves_instance_norm_alone():
    model = chainrule.nn.Sequential(chainrule.nn.InstanceNorm1d(3, track_running_stats=True))
    model[0].running_mean.fill_(5.0)
    chainrule.optim.swa_utils.update_bn([chainrule.ones(2, 3, 4)], model)
    np.testing.assert_array_equal(model[0].running_mean.numpy(), 5.0)


@pytest.mark.parametrize("strategy, anneal_epochs, swa_lr", [
    ("cos", 4, 0.05), ("linear", 3, [0.05, 0.3]), ("cos", 0, 0.01), ("linear", 1, 0.2)])
def test_swalr_matches_pytorch(strategy, anneal_epochs, swa_lr):
    runs = []
    for L in (torch, chainrule):
        opt = L.optim.SGD([L.nn.Parameter(L.zeros(2))], lr=0.5)
        opt.add_param_group({"params": [L.nn.Parameter(L.zeros(1))], "lr": 0.1})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = L.optim.swa_utils.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs,
                                            anneal_strategy=strategy)
            lrs = [sched.get_last_lr()]
            for _ in range(anneal_epochs + 3):
                opt.step()
                sched.step()
                lrs.append(sched.get_last_lr())
            state = sched.state_dict()
            # a fresh scheduler given the state continues the same way
            again = L.optim.swa_utils.SWALR(opt, swa_lr=0.9, anneal_strategy="linear")
            again.load_state_dict(state)
            opt.step()
            again.step()
        runs.append((lrs, again.get_last_lr(), sorted(state), again.anneal_func(0.5),
                     [g["swa_lr"] for g in opt.param_groups]))
    (tl, ta, tk, tf, tg), (cl, ca, ck, cf, cg) = runs
    np.testing.assert_allclose(cl, tl, rtol=1e-14)
    np.testing.assert_allclose(ca, ta, rtol=1e-14)
    assert "anneal_func" not in ck and "optimizer" not in ck and "_anneal_strategy" in ck
    assert set(tk) - {"_is_initial", "_get_lr_called_within_step"} <= set(ck)
    assert cf == tf and cg == tg


def test_swalr_and_decay_errors():
    opt = chainrule.optim.SGD([chainrule.nn.Parameter(chainrule.zeros(2))], lr=0.5)
    swa = chainrule.optim.swa_utils
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        swa.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        swa.SWALR(opt, swa_lr=0.1, anneal_epochs=1.5)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        swa.SWALR(opt, swa_lr=[0.1, 0.2])
    for factory in (swa.get_ema_avg_fn, swa.get_ema_multi_avg_fn):
        with pytest.raises(ValueError, match=r"Invalid decay value 1.5 .* \[0,1\] range"):
            factory(1.5)


def test_swa_multi_avg_fn_weight_is_one_over_n_plus_one():
    """lerp by 1/(n + 1), in PyTorch's two-sided form (exact at the endpoints)."""
    for n in (0, 1, 3):
        got = []
        for L in (torch, chainrule):
            a, b = L.tensor([1.0, -2.0, 3.5]), L.tensor([0.5, 7.0, 3.5])
            L.optim.swa_utils.get_swa_multi_avg_fn()([a], [b], L.tensor(n))
            got.append(a.numpy())
        np.testing.assert_array_equal(got[1], got[0])
