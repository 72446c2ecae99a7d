"""A model and optimizer saved by PyTorch 2.13 resume training in chainrule: loading both
state_dicts and continuing gives PyTorch's own continuation (float64)."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

import chainrule as cr


@pytest.mark.parametrize("name, kwargs", [("Adam", {"lr": 1e-2}), ("SGD", {"lr": 0.1,
                                                                           "momentum": 0.9}),
                                          ("RMSprop", {"lr": 1e-2})])
def test_torch_saved_model_and_optimizer_continue_identically(name, kwargs):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 2))
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 2)).double()
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def tstep():
        topt.zero_grad()
        loss = ((tmodel(tx) - ty) ** 2).mean()
        loss.backward()
        topt.step()
        return loss.item()

    for _ in range(3):
        tstep()
    buffer = io.BytesIO()
    torch.save({"model": tmodel.state_dict(), "optimizer": topt.state_dict()}, buffer)
    buffer.seek(0)

    checkpoint = cr.load(buffer)
    cmodel = cr.nn.Sequential(cr.nn.Linear(5, 8), cr.nn.Tanh(), cr.nn.Linear(8, 2)).double()
    cmodel.load_state_dict(checkpoint["model"])
    copt = getattr(cr.optim, name)(cmodel.parameters(), **kwargs)
    copt.load_state_dict(checkpoint["optimizer"])
    cx, cy = cr.tensor(x), cr.tensor(y)
    for _ in range(4):
        expected = tstep()
        copt.zero_grad()
        loss = ((cmodel(cx) - cy) ** 2).mean()
        loss.backward()
        copt.step()
        assert loss.item() == pytest.approx(expected, rel=1e-12)
    for (_, p), q in zip(cmodel.state_dict().items(), tmodel.state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-10, atol=1e-13)
