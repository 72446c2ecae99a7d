"""Four more PyTorch programs, run unchanged but for their imports, agree with PyTorch.

- ``dqn_replay``: deep Q-learning on a grid world (the DQN tutorial's replay memory, a
  torch.stack buffer and a tensor ring buffer; ε-greedy from torch.rand, gather / max(1).values,
  smooth_l1_loss / HuberLoss(delta), double DQN, hard and soft target updates, deepcopy /
  load_state_dict, clip_grad_norm_ / clip_grad_value_, Adam / AdamW(amsgrad));
- ``vit_patches``: a tiny Vision Transformer (Conv2d / F.unfold / einops-style patches, class
  token, learned positions, TransformerEncoder or timm's blocks with SDPA and DropPath, an F.fold
  reconstruction head, AdamW param groups, CosineAnnealingLR, label smoothing, and inference at
  other resolutions with antialiased F.interpolate and a resampled positional embedding);
- ``mixture_density``: a mixture density network (MixtureSameFamily(Categorical, Normal)
  log_prob, the logsumexp and the sum-of-densities forms, RMSprop, gradient clipping by value,
  the mixture's moments, cdf and samples under manual_seed);
- ``mixup_schedulers``: mixup for a BatchNorm CNN (λ from np.random.beta, torch.rand or
  distributions.Beta, torch.randperm, mixed one-hot targets), OneCycleLR then
  ReduceLROnPlateau, SGD with Nesterov momentum, torch.save / torch.load checkpoints (BytesIO
  and a file) and resuming, an EMA and SWA (torch.optim.swa_utils: AveragedModel, SWALR,
  update_bn).

λ is drawn three ways: np.random.beta (the original code), torch.rand (α = 1) and
torch.distributions.Beta(α, α).sample(), whose draws are PyTorch's for the same seed.
See runner.py for how programs are run and compared (same seed, same data, PyTorch's initial
weights; to 1e-10 relative to each array's magnitude in float64, 1e-4 in float32).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import runner  # noqa: E402
from runner import DTYPES, TOLERANCE, compare  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ----------------------------------------------------------------------------- data
def images(n=48, size=8, classes=4, n_train=32, noise=0.5, seed=0):
    """Class templates plus noise (n × size × size, float64), int64 labels."""
    rng = np.random.default_rng(seed)
    templates = rng.normal(size=(classes, size, size))
    labels = rng.integers(0, classes, n).astype(np.int64)
    return {"images": templates[labels] + noise * rng.normal(size=(n, size, size)),
            "labels": labels, "n_train": n_train}


def inverse_sine(n=200, seed=0):
    """Bishop's inverse problem: y ~ U(0, 1), x = y + 0.3 sin(2πy) + U(−0.1, 0.1); (n, 1) each."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(0, 1, (n, 1))
    x = y + 0.3 * np.sin(2 * np.pi * y) + rng.uniform(-0.1, 0.1, (n, 1))
    return {"x": x, "y": y}


# ----------------------------------------------------------------------------- 1. DQN
DQN_VARIANTS = {
    "tutorial": dict(),
    "stack_double_huber": dict(memory="stack", double=True, loss="huber", delta=0.5,
                               copy_target="load"),
    "tensor_soft_adamw": dict(memory="tensor", loss="huber", delta=2.0, optimizer="adamw",
                              target_update="soft", clip="value"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", list(DQN_VARIANTS))
def test_dqn_replay_matches_pytorch(variant, dtype):
    expected, actual = compare("dqn_replay", {"size": 4, "max_steps": 20}, dtype,
                               run=dict(episodes=8, **DQN_VARIANTS[variant]))
    assert len(actual["actions"]) == sum(actual["lengths"]) == len(actual["epsilons"])
    assert set(actual["actions"]) <= {0, 1, 2, 3}
    assert actual["q_values"].shape == (16, 4)
    np.testing.assert_array_equal(actual["greedy"], actual["value_actions"])
    if DQN_VARIANTS[variant].get("clip", "norm") == "norm":
        assert len(actual["grad_norms"]) == len(actual["losses"])


# ----------------------------------------------------------------------------- 2. ViT
def set_key_bias_aside(record):
    """Take the key third of each attention's packed input bias out of ``record["state"]``.

    The key bias adds q·b_k to every score of a query, which softmax cancels: its gradient is
    zero analytically, so what backward gives it is rounding noise (~1e-18), different in any
    two implementations, which AdamW divides by its own running RMS into steps of up to lr in
    arbitrary directions (see test_programs_vision_attention.py). It changes no output (logits,
    losses and the other parameters are compared in full), so it is checked for size only.
    """
    state = record["state"]
    keys = {}
    for name in [k for k in state if k.endswith(("self_attn.in_proj_bias", "attn.qkv.bias"))]:
        bias = state[name]
        d = bias.shape[0] // 3
        keys[name] = bias[d:2 * d]
        state[name] = np.concatenate([bias[:d], bias[2 * d:]])
    return keys


def compare_vit(dtype, build, run=None):
    expected, actual = runner.run_program("vit_patches", images(), dtype=dtype, build=build,
                                          run=run)
    steps = len(expected["losses"])
    assert steps == 12
    for record in (expected, actual):
        key_bias = set_key_bias_aside(record)
        assert len(key_bias) == 2
        for v in key_bias.values():
            assert np.all(np.abs(v) <= 3e-3 * (steps + 1))
    runner.assert_records_close(actual, expected, TOLERANCE[dtype], where="vit_patches")
    return expected, actual


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("patch, blocks", [("conv", "torch"), ("unfold", "timm"),
                                           ("einops", "timm_explicit")])
def test_vit_patches_matches_pytorch(patch, blocks, dtype):
    expected, actual = compare_vit(dtype, build=dict(patch=patch, blocks=blocks))
    assert actual["unfold_matches"] is True and actual["fold_roundtrip"] is True
    assert actual["n_groups"] == expected["n_groups"]
    assert actual["logits_12"].shape == (16, 4) and actual["logits_4"].shape == (16, 4)
    # interior pixels of a 3×3 window with padding 1 are covered 9 times
    assert actual["counts"][0, 0, 1:-1, 1:-1].min() == 9
    assert np.abs(actual["pos_grad"]).max() > 0
    np.testing.assert_allclose(actual["probs"].sum(1), 1.0, rtol=1e-5)
    assert expected["lrs"][-1] < expected["lrs"][0]


# ----------------------------------------------------------------------------- 3. MDN
MDN_VARIANTS = {
    "distributions": (dict(), dict()),
    "logsumexp_hook_centered": (dict(single_head=True),
                                dict(loss="logsumexp", clip_mode="hook", momentum=0.9,
                                     centered=True)),
    "hardmaru": (dict(n_gaussians=5), dict(loss="hardmaru")),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", list(MDN_VARIANTS))
def test_mixture_density_matches_pytorch(variant, dtype):
    build, run = MDN_VARIANTS[variant]
    expected, actual = compare("mixture_density", inverse_sine(), dtype, build=build, run=run)
    # the three negative log-likelihoods are one number
    all_losses = np.asarray(actual["all_losses"])
    np.testing.assert_allclose(all_losses, all_losses[:, :1].repeat(3, 1),
                               rtol=1e-12 if dtype == "float64" else 1e-5, atol=1e-6)
    assert np.max(actual["grad_max"]) <= 0.5 + 1e-12       # clipped by value
    assert actual["samples_many"].shape == (4, 15) and actual["components"].shape == (4, 15)
    np.testing.assert_allclose(actual["stddev"] ** 2, actual["variance"], rtol=1e-5)
    assert np.all((actual["cdf"] >= 0) & (actual["cdf"] <= 1))


# ----------------------------------------------------------------------------- 4. mixup
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("run", [dict(), dict(source="rand", soft_targets=True, alpha=1.0),
                                 dict(source="beta", alpha=0.4)])
def test_mixup_schedulers_matches_pytorch(run, dtype):
    expected, actual = compare("mixup_schedulers", images(noise=0.8), dtype,
                               run=dict(epochs1=2, epochs2=2, epochs3=2, **run),
                               text_key="checkpoint_keys")
    assert len(actual["lams"]) == len(actual["losses"]) == 6 * 4
    assert all(0.0 <= lam <= 1.0 for lam in actual["lams"])
    lrs = expected["lrs"]
    assert max(lrs[:8]) > lrs[0] and lrs[7] < max(lrs[:8])           # the one cycle
    assert actual["same_file"] is True
    np.testing.assert_array_equal(actual["resumed_preds"], actual["preds"])
    np.testing.assert_array_equal(actual["more_losses"], actual["more_resumed_losses"])
    assert int(actual["swa_n"]) == 2
    assert actual["swa_lrs"][-1] == pytest.approx(0.02)
