"""Five more PyTorch programs, run unchanged but for their imports, agree with PyTorch.

- ``text_cnn``: Kim's CNN for sentence classification (multichannel pretrained embeddings,
  Conv1d widths, max-over-time pooling, dropout in train mode, BCEWithLogitsLoss(pos_weight),
  Adagrad / RMSprop, ReduceLROnPlateau);
- ``gnn_message_passing``: GCN, GraphSAGE and GAT layers written by hand on an edge list
  (index_select, index_add_, scatter_add_, scatter_reduce mean/amax, bincount, pow(-0.5)),
  node classification with masks and early stopping;
- ``policy_gradient``: REINFORCE on a deterministic toy environment, actions drawn from
  distributions.Categorical under torch.manual_seed, discounted returns, gradient accumulation;
- ``simclr_contrastive``: SimCLR's NT-Xent loss on augmentations drawn from a torch.Generator,
  SGD with a LambdaLR warmup, a linear probe;
- ``transformer_lm``: a GPT-style decoder (TransformerEncoderLayer + causal mask, tied output
  weights), AdamW with a warmup schedule, perplexity, greedy and top-k multinomial sampling.

The random draws (dropout masks, Categorical samples, augmentations, batches, sampled tokens)
come from PyTorch's generator algorithms in both runs, so they are compared too. See runner.py
for how programs are run and compared (same seed, same data, PyTorch's initial weights; to 1e-10
relative to each array's magnitude in float64, 1e-4 in float32).
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
def sentences(n=40, vocab=30, dim=6, T=12, seed=0):
    """Pretrained vectors (row 0 the padding token, zeros), zero-padded ids N×T and 3 tags."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(vocab, dim))
    vectors[0] = 0.0
    ids = np.zeros((n, T), dtype=np.int64)
    for i in range(n):
        k = int(rng.integers(3, T + 1))
        ids[i, :k] = rng.integers(1, vocab, k)
    tags = np.stack([(ids == 3).any(1), (ids == 7).any(1) | (ids == 8).any(1),
                     (ids >= 20).sum(1) > 3], 1).astype(np.float64)
    return vectors, {"train": (ids[:32], tags[:32]), "valid": (ids[32:], tags[32:])}


def graph(num_nodes=30, num_classes=3, in_channels=8, p_in=0.3, p_out=0.04, seed=0):
    """A stochastic block model, one block per class; features = class centre + noise; a few
    isolated nodes (no edges); boolean train/val masks."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, num_nodes)
    same = y[:, None] == y[None, :]
    adj = rng.random((num_nodes, num_nodes)) < np.where(same, p_in, p_out)
    adj = np.triu(adj, 1)
    adj[:, :2] = adj[:2, :] = False          # nodes 0 and 1 are isolated
    adj = adj | adj.T
    src, dst = np.nonzero(adj)
    centres = rng.normal(size=(num_classes, in_channels))
    x = centres[y] + rng.normal(scale=1.5, size=(num_nodes, in_channels))
    perm = rng.permutation(num_nodes)
    train_mask = np.zeros(num_nodes, bool)
    val_mask = np.zeros(num_nodes, bool)
    train_mask[perm[:num_nodes // 3]] = True
    val_mask[perm[num_nodes // 3: num_nodes // 2]] = True
    return {"x": x, "edge_index": np.stack([src, dst]).astype(np.int64), "y": y.astype(np.int64),
            "train_mask": train_mask, "val_mask": val_mask}


def images(n=48, size=8, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    templates = rng.normal(size=(classes, size, size))
    labels = rng.integers(0, classes, n).astype(np.int64)
    return {"images": templates[labels] + 0.5 * rng.normal(size=(n, size, size)),
            "labels": labels}


def token_stream(n_train=400, n_valid=64, vocab=20, seed=0):
    rng = np.random.default_rng(seed)
    n = n_train + n_valid
    ids = ((np.arange(n) * 3 + rng.integers(0, 2, n)) % vocab).astype(np.int64)
    return {"train": ids[:n_train], "valid": ids[n_train:]}


# ----------------------------------------------------------------------------- 1. Kim's CNN
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer, mode", [("adagrad", "multichannel"), ("rmsprop", "rand")])
def test_text_cnn_matches_pytorch(optimizer, mode, dtype):
    vectors, data = sentences()
    expected, actual = compare("text_cnn", data, dtype,
                               build=dict(vectors=vectors, mode=mode, dropout=0.5),
                               run=dict(epochs=3, batch_size=8, optimizer=optimizer,
                                        lr=0.1 if optimizer == "adagrad" else 0.01))
    assert len(actual["losses"]) == 3 * 4 and np.all(np.isfinite(actual["losses"]))
    # the padding row has no gradient, so it stays as loaded (zeros) or initialised (zeros)
    np.testing.assert_array_equal(actual["padding_row"], 0)
    if mode == "multichannel":
        assert actual["static_unchanged"] is True
    assert actual["probs"].shape == (8, 3)


# ----------------------------------------------------------------------------- 2. GNNs
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["gcn", "sage", "gat"])
def test_gnn_message_passing_matches_pytorch(kind, dtype):
    data = graph()
    expected, actual = compare("gnn_message_passing", data, dtype,
                               build=dict(kind=kind, dropout=0.5, att_dropout=0.2),
                               run=dict(epochs=12, lr=0.02, patience=20))
    assert actual["epochs_run"] == 12
    np.testing.assert_allclose(np.exp(actual["log_probs"]).sum(1), 1.0, rtol=1e-5)
    if kind == "gat":
        assert actual["attention"].shape == (data["edge_index"].shape[1] + 30, 2)


# ----------------------------------------------------------------------------- 3. REINFORCE
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", [dict(), dict(use_logits=True, normalize=True,
                                                  use_baseline=False, batch_episodes=2)])
def test_policy_gradient_matches_pytorch(variant, dtype):
    expected, actual = compare("policy_gradient", {"size": 5, "max_steps": 8}, dtype,
                               run=dict(episodes=12, **variant))
    assert len(actual["actions"]) == sum(actual["lengths"])
    assert set(actual["actions"]) <= {0, 1, 2}
    assert actual["samples"].shape == (3, 5)


# ----------------------------------------------------------------------------- 4. SimCLR
@pytest.mark.parametrize("dtype", DTYPES)
def test_simclr_contrastive_matches_pytorch(dtype):
    expected, actual = compare("simclr_contrastive", images(), dtype,
                               run=dict(epochs=4, batch_size=16, probe_epochs=10))
    assert len(actual["losses"]) == 4 * 3
    assert len(actual["lrs"]) == 12 and actual["lrs"][0] < actual["lrs"][2]   # the warmup
    assert 0.0 <= actual["top1"][-1] <= actual["top5"][-1] <= 1.0


# ----------------------------------------------------------------------------- 5. GPT
def compare_lm(data, dtype, build=None, run=None):
    """As runner.compare, but in float32 without the attention's key bias: it adds the same
    constant to every score of a query, so its gradient is 0 in exact arithmetic and what
    backward returns is rounding noise (~1e-9 in float32) that AdamW scales up to steps of
    order lr; it cannot agree between two libraries (nor two PyTorch builds) and changes no
    output (see test_programs_seq2seq.py for the same with Bahdanau attention)."""
    expected, actual = runner.run_program("transformer_lm", data, dtype=dtype, build=build,
                                          run=run)
    assert len(expected["losses"]) >= 10
    if dtype == "float32":
        for record in (expected, actual):
            for name, value in record["state"].items():
                if name.endswith("self_attn.in_proj_bias"):
                    E = value.shape[0] // 3
                    value[E:2 * E] = 0.0
    runner.assert_records_close(actual, expected, TOLERANCE[dtype], where="transformer_lm")
    return expected, actual


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformer_lm_matches_pytorch(dtype):
    expected, actual = compare_lm(token_stream(), dtype, run=dict(max_iters=10, eval_interval=5))
    assert actual["tied"] is True
    assert actual["greedy"].shape == (1, 10) and actual["sampled"].shape == (3, 10)
    np.testing.assert_allclose(actual["perplexities"], np.exp(actual["val_losses"]))


def test_transformer_lm_post_norm_matches_pytorch():
    compare_lm(token_stream(seed=1), "float64", build=dict(norm_first=False),
               run=dict(max_iters=10, eval_interval=5, top_k=3, temperature=1.2))
