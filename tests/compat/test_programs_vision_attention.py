"""A CIFAR-style ResNet and a Transformer-encoder sequence classifier agree with PyTorch.

Both programs (``programs/resnet_cifar.py``, ``programs/transformer_classifier.py``) are run by
:mod:`runner` on PyTorch and on chainrule (imports rewritten, PyTorch's initial weights), and their
records — losses per step, accuracies, learning rates, eval logits, final state_dicts (BatchNorm
running statistics and ``num_batches_tracked`` included) — are compared to 1e-10 in float64 and
1e-4 in float32. The data are made here from a fixed NumPy generator.
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
def cifar_like(n_train=32, n_test=16, size=16, classes=4, epochs=3, seed=0) -> dict:
    """CIFAR-format N×size×size×3 uint8 images (class template + noise), int64 labels, and
    per-epoch horizontal-flip coin tosses (epochs × n_train booleans)."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    templates = rng.integers(0, 256, (classes, size, size, 3))
    labels = rng.integers(0, classes, n).astype(np.int64)
    noise = rng.normal(0.0, 50.0, (n, size, size, 3))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    flips = rng.random((epochs, n_train)) < 0.5
    return {"train": (images[:n_train], labels[:n_train]),
            "test": (images[n_train:], labels[n_train:]), "flips": flips}


def token_sequences(n_train=48, n_test=16, seq=10, ntoken=20, classes=3, seed=0) -> dict:
    """Right-padded (pad id 0) int64 token ids of lengths 3..seq; class c draws its tokens mostly
    from its own band of ids, so the label is learnable."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    labels = rng.integers(0, classes, n).astype(np.int64)
    lengths = rng.integers(3, seq + 1, n)
    tokens = np.minimum(1 + labels[:, None] * 6 + rng.integers(0, 7, (n, seq)), ntoken - 1)
    tokens = np.where(np.arange(seq) < lengths[:, None], tokens, 0).astype(np.int64)
    assert (tokens[:, :3] != 0).all()
    return {"train": (tokens[:n_train], labels[:n_train]),
            "test": (tokens[n_train:], labels[n_train:])}


# ----------------------------------------------------------------------------- 1. ResNet
@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pool, scheduler", [("avg_pool2d", "cosine"),
                                             ("adaptive", "multistep")])
def test_resnet_cifar_matches_pytorch(pool, scheduler, dtype):
    expected, actual = compare("resnet_cifar", cifar_like(), dtype, build=dict(pool=pool),
                               run=dict(scheduler=scheduler))
    assert len(actual["losses"]) == 12
    state = actual["state"]
    # 3 epochs × 4 batches of BatchNorm updates, recorded in every BatchNorm layer
    assert state["bn1.num_batches_tracked"] == 12
    assert state["layer2.0.shortcut.1.num_batches_tracked"] == 12
    assert "layer1.0.shortcut.0.weight" not in state   # the identity shortcut has no state
    assert state["layer1.0.bn1.running_var"].dtype == np.dtype(dtype)
    if scheduler == "multistep":
        assert expected["lrs"] == [pytest.approx(0.01), pytest.approx(0.001),
                                   pytest.approx(0.001)]
    else:
        assert expected["lrs"][-1] == pytest.approx(0.0)
    assert actual["losses"][-1] < actual["losses"][0]


@pytest.mark.slow
def test_resnet_cifar_checkpoint_round_trip(tmp_path):
    """kuangliu's best-accuracy checkpoint ({'net', 'acc', 'epoch'}) saved and loaded back."""
    path = tmp_path / "ckpt.pth"
    compare("resnet_cifar", cifar_like(), "float32", run=dict(checkpoint=str(path)))


# ----------------------------------------------------------------------------- 2. Transformer
def set_key_bias_aside(record, d_model=16):
    """Take the key third of each ``in_proj_bias`` out of ``record["state"]``; return those slices.

    The gradient of the key bias is zero analytically (it adds q·b_k to every score of a query,
    which softmax cancels), so what it gets is rounding noise (~1e-18 in float64), different in
    the two libraries as any reordering of the sums makes it; Adam divides that noise by its own
    running RMS (eps=1e-9), so each step moves the key bias by up to ``lr`` in an arbitrary
    direction, in both libraries alike. It has no effect on the outputs (the logits and losses
    are compared in full), so it is checked for size only; the query and value thirds are
    compared as usual.
    """
    state = record["state"]
    keys = {}
    for name in [k for k in state if k.endswith("self_attn.in_proj_bias")]:
        bias = state[name]
        keys[name] = bias[d_model:2 * d_model]
        state[name] = np.concatenate([bias[:d_model], bias[2 * d_model:]])
    return keys


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first, causal", [(False, False), (True, False), (False, True)])
def test_transformer_classifier_matches_pytorch(norm_first, causal, dtype):
    expected, actual = runner.run_program("transformer_classifier", token_sequences(), dtype=dtype,
                                          build=dict(norm_first=norm_first, causal=causal))
    steps = len(expected["losses"])
    assert steps == 12
    for key_bias in (set_key_bias_aside(expected), set_key_bias_aside(actual)):
        assert len(key_bias) == 2
        for v in key_bias.values():
            assert v.dtype == np.dtype(dtype) and np.all(np.abs(v) <= 1e-3 * steps)
    runner.assert_records_close(actual, expected, TOLERANCE[dtype], where="transformer_classifier")
    assert expected["lrs"][:4] == [pytest.approx(v) for v in (5e-4, 7.5e-4, 1e-3, 1e-3)]
    assert actual["logits"].shape == (16, 3)
    assert np.all(np.isfinite(actual["logits"]))
    assert actual["losses"][-1] < actual["losses"][0]
    # padding_idx's embedding row is zero and receives no gradient
    np.testing.assert_array_equal(actual["state"]["embedding.weight"][0], 0.0)


def test_transformer_encoder_eval_output_at_padded_positions():
    """In inference PyTorch's encoder packs the unpadded positions into a nested tensor and
    returns 0 at the padded ones; chainrule gives the same output."""
    tokens = token_sequences()["test"][0]
    outs = []
    for lib, _, model in runner.eval_models("transformer_classifier"):
        src = lib.from_numpy(tokens)
        with lib.no_grad():
            x = model.pos_encoder(model.embedding(src))
            outs.append(runner.to_numpy(
                model.transformer_encoder(x, src_key_padding_mask=src == 0)))
    assert (outs[0][tokens == 0] == 0).all()          # PyTorch: zeros where the padding is
    runner.assert_records_close(outs[1], outs[0], 1e-10, where="encoder output")
