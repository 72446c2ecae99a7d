"""PyTorch's torch.func tutorials (per-sample gradients of a CNN, model ensembling with
stack_module_state, jacrev and hessian; and both with a BatchNorm layer in evaluation mode)
run unchanged on chainrule: the same program with ``L``
either library, the same seed, compared value for value (float64), with no vmap fallback (every
primitive the programs use has a batching rule)."""
from __future__ import annotations

import warnings

import numpy as np
import torch

import chainrule as cr


def run(L):
    nn, F = L.nn, L.nn.functional
    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.fc1 = nn.Linear(8 * 5 * 5, 16)
            self.fc2 = nn.Linear(16, 10)
        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = L.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)
    L.manual_seed(0)
    model = SimpleCNN().double()
    rng = np.random.default_rng(0)
    data = L.tensor(rng.normal(size=(8, 1, 14, 14)))
    targets = L.tensor(rng.integers(0, 10, 8))
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    def loss_fn(predictions, targets):
        return F.nll_loss(predictions, targets)
    def compute_loss(params, buffers, sample, target):
        batch = sample.unsqueeze(0)
        targets = target.unsqueeze(0)
        predictions = L.func.functional_call(model, (params, buffers), (batch,))
        return loss_fn(predictions, targets)
    ft_compute_grad = L.func.grad(compute_loss)
    ft_compute_sample_grad = L.func.vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
    g = ft_compute_sample_grad(params, buffers, data, targets)
    # ensembling
    models = [SimpleCNN().double() for _ in range(3)]
    p, b = L.func.stack_module_state(models)
    base = models[0]
    def fmodel(params, buffers, x):
        return L.func.functional_call(base, (params, buffers), (x,))
    out = L.func.vmap(fmodel, in_dims=(0, 0, None))(p, b, data[:4])
    # jacobian / hessian of a small function
    x = L.tensor(rng.normal(size=5))
    jac = L.func.jacrev(lambda v: (v.sin() * v.sum()))(x)
    hes = L.func.hessian(lambda v: (v ** 3).sum() + v.prod())(x)
    grads = {k: v.detach().numpy() for k, v in g.items()}
    return grads, out.detach().numpy(), jac.numpy(), hes.numpy()


def test_func_tutorials_match_pytorch():
    cr.func.clear_fallbacks()
    with warnings.catch_warnings():
        warnings.simplefilter("error", cr.func.VmapFallbackWarning)
        theirs = run(torch)
        mine = run(cr)
    grads_t, out_t, jac_t, hes_t = theirs
    grads_c, out_c, jac_c, hes_c = mine
    assert grads_t.keys() == grads_c.keys()
    for k in grads_t:
        assert grads_c[k].shape == grads_t[k].shape == (8,) + grads_t[k].shape[1:]
        np.testing.assert_allclose(grads_c[k], grads_t[k], rtol=1e-10, atol=1e-13, err_msg=k)
    np.testing.assert_allclose(out_c, out_t, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(jac_c, jac_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hes_c, hes_t, rtol=1e-12, atol=1e-14)
    assert cr.func.fallbacks() == {}


def run_batch_norm(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    def make():
        m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 3)).double()
        with L.no_grad():
            m[1].running_mean.copy_(L.linspace(-0.5, 0.5, 4, dtype=L.float64))
            m[1].running_var.copy_(L.linspace(0.5, 2.0, 4, dtype=L.float64))
        m.eval()
        return m
    model = make()
    rng = np.random.default_rng(0)
    x = L.tensor(rng.normal(size=(5, 1, 8, 8)))
    y = L.tensor(rng.integers(0, 3, 5))
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    def loss(p, b, xi, yi):
        out = L.func.functional_call(model, (p, b), (xi.unsqueeze(0),))
        return F.cross_entropy(out, yi.unsqueeze(0))
    g = L.func.vmap(L.func.grad(loss), in_dims=(None, None, 0, 0))(params, buffers, x, y)
    models = [make() for _ in range(3)]
    with L.no_grad():
        for i, m in enumerate(models):
            m[1].running_mean.add_(0.1 * i)
            m[1].weight.mul_(1 + i)
    P, Bf = L.func.stack_module_state(models)
    out = L.func.vmap(lambda p, b: L.func.functional_call(models[0], (p, b), (x,)))(P, Bf)
    return {k: v.detach().numpy() for k, v in g.items()}, out.detach().numpy()


def test_batch_norm_in_evaluation_mode_under_vmap():
    """Per-sample gradients through a BatchNorm2d in eval mode (its batching rule folds the
    batch into N) and an ensemble whose stacked buffers give each model its own running
    statistics (F.batch_norm composes the affine map from batched primitives)."""
    cr.func.clear_fallbacks()
    with warnings.catch_warnings():
        warnings.simplefilter("error", cr.func.VmapFallbackWarning)
        grads_t, out_t = run_batch_norm(torch)
        grads_c, out_c = run_batch_norm(cr)
    for k in grads_t:
        np.testing.assert_allclose(grads_c[k], grads_t[k], rtol=1e-10, atol=1e-13, err_msg=k)
    np.testing.assert_allclose(out_c, out_t, rtol=1e-10, atol=1e-13)
    assert cr.func.fallbacks() == {}
