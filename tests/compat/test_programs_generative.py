"""Generative PyTorch programs (pytorch/examples vae and dcgan), run unchanged but for their
imports, agree with PyTorch.

Same method as ``test_programs.py``: :mod:`runner` runs each program's text on PyTorch and on
chainrule (same seed, same data, PyTorch's initial weights) and compares the records to 1e-10
(relative to each array's magnitude) in float64 and 1e-4 in float32. All randomness the examples
draw inside the training loop (the VAE's reparameterization noise, the DCGAN's latent noise and
fixed_noise) comes with the data, since the two libraries' RNGs differ.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import runner  # noqa: E402
from runner import DTYPES, compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")



# ----------------------------------------------------------------------------- 1. VAE
VAE_BUILD = dict(hidden=32, latent=4)
VAE_RUN = dict(epochs=2, batch_size=8, test_batch_size=8)   # 48 samples: 12 Adam steps


def vae_data(n_train=48, n_test=16, latent=4, seed=0):
    images, _ = runner.mnist_like(n_train + n_test, seed)
    eps = np.random.default_rng(seed + 1).normal(size=(n_train + n_test + 6, latent))
    return {"train": (images[:n_train], eps[:n_train]),
            "test": (images[n_train:], eps[n_train:n_train + n_test]),
            "sample": eps[n_train + n_test:]}


@pytest.mark.parametrize("dtype", DTYPES)
def test_vae_matches_pytorch(dtype):
    expected, actual = compare("vae", vae_data(), dtype, build=VAE_BUILD, run=VAE_RUN)
    assert np.all(np.isfinite(actual["losses"]))
    assert actual["comparison"].shape == (16, 1, 28, 28)
    assert actual["sample"].shape == (6, 1, 28, 28)
    assert np.mean(expected["losses"][-3:]) < expected["losses"][0]   # it learns


@pytest.mark.parametrize("lib_name", ["torch", "chainrule"])
def test_vae_draws_its_own_noise_with_randn_like(lib_name):
    """With eps=None the model calls torch.randn_like: only shapes and a finite loss are checked
    (the libraries' random streams differ)."""
    lib = runner.library(lib_name)
    program = runner.load_program("vae", lib_name)
    lib.manual_seed(0)
    model = program.build(**VAE_BUILD)
    images, _ = runner.mnist_like(5)
    x = lib.from_numpy(images).unsqueeze(1).float().div(255)
    recon, mu, logvar = model(x)
    assert tuple(recon.shape) == (5, 784)
    assert tuple(mu.shape) == tuple(logvar.shape) == (5, 4)
    loss = program.loss_function(recon, x, mu, logvar)
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() > 0
    assert np.all(np.isfinite(model.fc1.weight.grad.numpy()))
    # two calls draw different noise, so the reconstructions differ
    with lib.no_grad():
        a, _, _ = model(x)
        b, _, _ = model(x)
    assert not np.array_equal(a.numpy(), b.numpy())


# ----------------------------------------------------------------------------- 2. DCGAN
DCGAN_BUILD = dict(nz=8, ngf=8, ndf=8, nc=1)
DCGAN_RUN = dict(niter=2, batchSize=8)   # 40 images: 5 batches × 2 epochs = 10 steps


def dcgan_data(n=40, nz=8, seed=0):
    """16×16 images in [-1, 1]: one of four smooth templates plus a little noise; latent noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    templates = np.stack([np.sin(np.pi * xx), np.cos(np.pi * yy), xx * yy, (xx - yy) ** 2])
    templates = 2 * (templates - templates.min()) / (templates.max() - templates.min()) - 1
    images = templates[rng.integers(0, 4, n)] + 0.1 * rng.normal(size=(n, 16, 16))
    return {"images": np.clip(images, -1, 1)[:, None],
            "noise": rng.normal(size=(n, nz, 1, 1)),
            "fixed_noise": rng.normal(size=(8, nz, 1, 1))}


@pytest.mark.parametrize("dtype", DTYPES)
def test_dcgan_matches_pytorch(dtype):
    expected, actual = compare("dcgan", dcgan_data(), dtype, build=DCGAN_BUILD, run=DCGAN_RUN,
                               loss_key="errD")
    assert len(actual["errG"]) == len(actual["D_x"]) == 10
    assert actual["fake"].shape == (8, 1, 16, 16)
    assert np.all(np.abs(actual["fake"]) <= 1)
    assert int(actual["netD"]["main.3.num_batches_tracked"]) == 30   # real, fake, G pass × 10


def test_dcgan_weights_init_is_applied():
    """weights_init (through Module.apply) reinitialises Conv and BatchNorm layers on chainrule."""
    import chainrule
    program = runner.load_program("dcgan", "chainrule")
    chainrule.manual_seed(0)
    netG, netD = program.build(**DCGAN_BUILD)
    w = netD.main[0].weight.detach().numpy()
    assert abs(w.std() - 0.02) < 0.01 and abs(w.mean()) < 0.01
    bn = netG.main[1]
    assert np.all(bn.bias.detach().numpy() == 0)
    assert np.all(np.abs(bn.weight.detach().numpy() - 1) < 0.1)


def test_dcgan_checkpoints_reload_into_fresh_networks(tmp_path):
    """The example's per-epoch torch.save of both state_dicts, read back by build(netG=, netD=)
    (torch.load + load_state_dict after weights_init), on chainrule."""
    _, record = runner.run_once("dcgan", "chainrule", dcgan_data(), dtype="float32",
                                build=DCGAN_BUILD, run=dict(DCGAN_RUN, outf=str(tmp_path)))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "netD_epoch_0.pth", "netD_epoch_1.pth", "netG_epoch_0.pth", "netG_epoch_1.pth"]
    program = runner.load_program("dcgan", "chainrule")
    netG, netD = program.build(**DCGAN_BUILD, netG=str(tmp_path / "netG_epoch_1.pth"),
                               netD=str(tmp_path / "netD_epoch_1.pth"))
    for name, net in (("netG", netG), ("netD", netD)):
        state = runner.get_state(net)
        assert sorted(state) == sorted(record[name])
        for k, v in state.items():
            if name == "netG" and "running" in k:
                continue   # netG(fixed_noise) after the last checkpoint, in train mode, moved them
            if name == "netG" and k.endswith("num_batches_tracked"):
                assert v + 1 == record[name][k]
                continue
            np.testing.assert_array_equal(v, record[name][k], err_msg=f"{name}.{k}")
