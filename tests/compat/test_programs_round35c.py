"""Four more PyTorch programs, run unchanged but for their imports, agree with PyTorch.

- ``denoising_autoencoder``: a convolutional denoising autoencoder (strided Conv2d encoder; a
  decoder of ConvTranspose2d with output_padding, nn.Upsample nearest or bilinear with
  align_corners either way, or Conv2d + PixelShuffle followed by ReLU(inplace=True)), noise from
  torch.randn_like under manual_seed and torch.clamp, Sigmoid + BCELoss or MSELoss,
  Adam(amsgrad) with StepLR, a shuffling DataLoader with its own generator, PSNR and an SSIM
  built on F.avg_pool2d over a ReflectionPad2d-padded image;
- ``gpt_generation``: nanoGPT written by hand (causal self-attention through
  F.scaled_dot_product_attention(is_causal=True) or spelled out with a torch.tril buffer and
  masked_fill(-inf), attention and residual dropout, weight tying), AdamW parameter groups with
  gradient accumulation and clip_grad_norm_, and generation with a key/value cache (torch.cat,
  torch.triu mask), temperature, top-k (torch.topk), top-p (sort, cumsum, scatter) and
  torch.multinomial under a torch.Generator, in no_grad or inference_mode;
- ``tabular_embeddings``: categorical embeddings in an nn.ModuleDict scaled by an
  nn.ParameterList, BatchNorm1d on continuous columns whose NaNs are filled with torch.isnan /
  nan_to_num / where, torch.bucketize over torch.quantile boundaries one-hot encoded with
  F.one_hot, dropout, BCEWithLogitsLoss(pos_weight), an argsort/cumsum ROC AUC, early stopping
  that keeps a copy.deepcopy of the best state_dict, SGD then Adagrad;
- ``gradcam_interpret``: Grad-CAM with register_forward_hook and register_full_backward_hook
  (adaptive_avg_pool2d of the gradients, ReLU of the weighted sum, bilinear F.interpolate to the
  input's size, per-image normalisation through .view), vanilla saliency with
  torch.autograd.grad, SmoothGrad with torch.randn_like noise, integrated gradients on a
  torch.linspace path in one batch, model.requires_grad_(False) and handle.remove().

What they found in chainrule (fixed, with regression tests in tests/test_round35c_gaps.py):
ReLU(inplace=True) after PixelShuffle raised (a reshape that copies was taken for a view);
Module.register_full_backward_hook / register_full_backward_pre_hook were missing; and
F.interpolate, F.adaptive_avg_pool2d and F.pad(mode='reflect'/'replicate'/'circular') returned
arrays in a memory order of their own, so ``cam.view(n, -1)`` raised where PyTorch's contiguous
result allows it.

The random draws (noise, dropout masks, shuffles, batches, sampled tokens) come from PyTorch's
generator algorithms in both runs, so they are compared too. See runner.py for how programs are
run and compared (same seed, same data, PyTorch's initial weights; to 1e-10 relative to each
array's magnitude in float64, 1e-4 in float32).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from runner import DTYPES, compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ----------------------------------------------------------------------------- data
def blobs(n=40, n_train=32, size=16, seed=0):
    """Images of one bright disc each (random centre and radius) on a dim background, in
    [0.1, 0.9]: N × size × size floats and the number of training images."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    cx, cy, r = rng.uniform(size / 4, 3 * size / 4, (3, n, 1, 1))
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < (r / 2 + 2) ** 2
    return {"images": 0.1 + 0.8 * disc.astype(np.float64), "n_train": n_train}


def token_stream(n_train=400, n_valid=64, vocab=20, seed=0):
    rng = np.random.default_rng(seed)
    n = n_train + n_valid
    ids = ((np.arange(n) * 3 + rng.integers(0, 2, n)) % vocab).astype(np.int64)
    return {"train": ids[:n_train], "valid": ids[n_train:]}


def tabular(n=160, n_train=112, missing=0.1, seed=0):
    """Three categorical columns (5, 7 and 3 levels), three continuous columns with a fraction
    ``missing`` of NaNs, and imbalanced 0/1 labels from a logistic model of both."""
    rng = np.random.default_rng(seed)
    cat = np.stack([rng.integers(0, c, n) for c in (5, 7, 3)], 1).astype(np.int64)
    cont = rng.normal(size=(n, 3))
    logit = cont[:, 0] - 0.5 * cont[:, 1] ** 2 + (cat[:, 0] == 2) * 1.5 - 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    cont[rng.random((n, 3)) < missing] = np.nan
    return {"cat_train": cat[:n_train], "cat_valid": cat[n_train:],
            "cont_train": cont[:n_train], "cont_valid": cont[n_train:],
            "y_train": y[:n_train], "y_valid": y[n_train:]}


def images(n=40, size=8, channels=2, classes=4, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    templates = rng.normal(size=(classes, channels, size, size))
    labels = rng.integers(0, classes, n).astype(np.int64)
    return {"images": templates[labels] + noise * rng.normal(size=(n, channels, size, size)),
            "labels": labels}


# ----------------------------------------------------------------------------- 1. autoencoder
AUTOENCODER_VARIANTS = {
    "transpose_bce": (dict(), dict()),
    "nearest_mse": (dict(decoder="nearest"), dict(loss="mse")),
    "bilinear_align": (dict(decoder="bilinear", align_corners=True), dict()),
    "bilinear_noalign_mse": (dict(decoder="bilinear", align_corners=False), dict(loss="mse")),
    "pixelshuffle": (dict(decoder="pixelshuffle"), dict(noise_factor=0.5)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", list(AUTOENCODER_VARIANTS))
def test_denoising_autoencoder_matches_pytorch(variant, dtype):
    build, run = AUTOENCODER_VARIANTS[variant]
    expected, actual = compare("denoising_autoencoder", blobs(), dtype, build=build,
                               run=dict(epochs=3, **run))
    assert len(actual["losses"]) == 3 * 4
    assert actual["lrs"] == pytest.approx([5e-3, 2.5e-3, 2.5e-3])
    assert actual["recon"].shape == (4, 1, 16, 16) and actual["code"].shape == (2, 16, 4, 4)
    assert np.all((actual["recon"] > 0) & (actual["recon"] < 1))
    assert np.all(actual["recon_ssim"] <= 1.0 + 1e-6)


# ----------------------------------------------------------------------------- 2. GPT
GPT_VARIANTS = {
    "flash": (dict(), dict()),
    "manual_dropout_topk": (dict(flash=False, dropout=0.1), dict(top_k=5)),
    "flash_dropout_topp_inference": (dict(dropout=0.1),
                                     dict(top_p=0.9, use_inference_mode=True)),
    "topk_topp_hot": (dict(), dict(top_k=6, top_p=0.8, temperature=1.3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", list(GPT_VARIANTS))
def test_gpt_generation_matches_pytorch(variant, dtype):
    build, run = GPT_VARIANTS[variant]
    expected, actual = compare("gpt_generation", token_stream(), dtype, build=build,
                               run=dict(max_iters=6, **run), min_steps=6)
    assert actual["tied"] is True
    # the cache changes nothing: cached and uncached decoding give the same tokens
    np.testing.assert_array_equal(actual["greedy_cached"], actual["greedy_plain"])
    np.testing.assert_array_equal(actual["sampled"], actual["sampled_plain"])
    assert actual["sampled"].shape == (3, 12) and actual["sampled_global"].shape == (1, 12)
    assert actual["val_loss_flash"] == pytest.approx(actual["val_loss_manual"], rel=1e-5)


# ----------------------------------------------------------------------------- 3. tabular
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build, run", [
    (dict(), dict()),
    (dict(n_buckets=3, drop=0.0), dict(n_buckets=3, patience=2)),
])
def test_tabular_embeddings_matches_pytorch(build, run, dtype):
    expected, actual = compare("tabular_embeddings", tabular(), dtype, build=build, run=run)
    n_buckets = run.get("n_buckets", 4)
    assert actual["boundaries"].shape == (3, n_buckets - 1)
    assert actual["extra"].shape == (5, 3 + 3 * n_buckets)
    assert 0.0 < actual["missing_rate"].min() and actual["missing_rate"].max() < 0.3
    assert all(0.0 <= a <= 1.0 for a in actual["aucs"])
    assert actual["final_val_loss"] == pytest.approx(min(actual["val_losses"]), rel=1e-5)


# ----------------------------------------------------------------------------- 4. Grad-CAM
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build, run", [
    (dict(), dict()),
    (dict(pool="avg", width=4), dict(ig_steps=8, n_samples=4)),
])
def test_gradcam_interpret_matches_pytorch(build, run, dtype):
    expected, actual = compare("gradcam_interpret", images(), dtype, build=build, run=run,
                               min_steps=8)
    assert actual["n_hooks"] == 0 and actual["frozen"] is True
    cam = actual["cam"]
    assert cam.shape == (4, 1, 8, 8) and cam.min() >= 0.0 and cam.max() <= 1.0
    assert actual["grad_inputs"][0].shape == actual["activations"].shape[:1] + (
        build.get("width", 6), 4, 4)
    # integrated gradients' completeness, up to the path's discretisation
    tol = 0.05 if run.get("ig_steps", 16) >= 16 else 0.2
    np.testing.assert_allclose(actual["ig_sum"], actual["delta"],
                               atol=tol * np.abs(actual["delta"]).max())
