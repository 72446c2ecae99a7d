"""Four more PyTorch programs, run unchanged but for their imports, agree with PyTorch.

- ``ctc_speech``: a toy speech recogniser: a bidirectional GRU over pack_padded_sequence
  (enforce_sorted=False) / pad_packed_sequence, log_softmax, nn.CTCLoss (blank 0, 'mean' and
  'sum', zero_infinity=True with one infeasible utterance, targets concatenated 1-D or padded
  2-D), Adam with clip_grad_norm_, greedy decoding with torch.unique_consecutive;
- ``bilstm_crf_tagger``: a BiLSTM-CRF tagger: Embedding(padding_idx), a 2-layer bidirectional
  LSTM with dropout, a hand-written CRF (forward algorithm with logsumexp over a time loop, the
  gold path's score with gather, Viterbi with max(dim) and back-pointers followed in Python),
  SGD with momentum and MultiStepLR;
- ``neural_ode_rk4``: a neural ODE on a spiral: RK4 in torch ops over torch.linspace, a
  Hutchinson Jacobian-trace regulariser through torch.autograd.grad(create_graph=True) with
  torch.randn_like, autograd.functional.jacobian, LBFGS with a closure (fixed step or strong
  Wolfe) and then Adam;
- ``seq_data_pipeline``: a data pipeline: a custom Dataset of (variable-length LongTensor,
  label), random_split with a torch.Generator, Subset, WeightedRandomSampler, pad_sequence in a
  collate_fn, BatchSampler(SequentialSampler), shuffling loaders with their own generators and
  drop_last, the default collate of a dataset of tuples (a list per batch, as PyTorch), every
  batch of two epochs compared; an EmbeddingBag(mode='mean', offsets) classifier trained with
  SGD, a checkpoint {'model', 'optimizer', 'epoch'} written with torch.save to a temporary file,
  read back with torch.load (chainrule's file is safetensors + JSON: nothing is unpickled) and
  training resumed. The optimizer's state read from the checkpoint is recorded after the resumed
  epoch: in PyTorch, load_state_dict keeps the loaded tensors as the optimizer's state (no copy),
  so the record shows the buffers as training left them — chainrule does the same.

See runner.py for how programs are run and compared (same seed, same data, PyTorch's initial
weights; to 1e-10 relative to each array's magnitude in float64, 1e-4 in float32).
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
def utterances(n=12, T=16, n_feats=6, n_class=5, seed=0):
    """Learnable "spectrograms": each character is 2–3 frames of its own template (template 0 is
    silence) plus noise, characters separated by silence; frames past an utterance's length are
    noise. Utterance 3's transcript needs at least 10 frames but has at most 6: CTC's loss is +inf
    there (zero_infinity=True makes it 0)."""
    rng = np.random.default_rng(seed)
    templates = rng.normal(scale=2.0, size=(n_class, n_feats))
    feats = rng.normal(scale=0.5, size=(n, T, n_feats))
    lengths, transcripts = [], []
    for i in range(n):
        chars = [int(c) for c in rng.integers(1, n_class, rng.integers(1, 4))]
        frames = [0]
        for c in chars:
            frames += [c] * int(rng.integers(2, 4)) + [0]
        frames = frames[:T]
        feats[i, :len(frames)] += templates[frames]
        lengths.append(len(frames))
        transcripts.append(chars)
    transcripts[3] = [1, 1, 2, 2, 3, 3, 4]
    lengths[3] = min(lengths[3], 6)
    return {"features": feats, "lengths": lengths, "transcripts": transcripts}


def tagged_sentences(n=16, T=9, vocab=25, n_tags=5, seed=0):
    """Zero-padded ids (N×T), their tags and lengths: a word's tag is its id mod n_tags, except
    that a word after a tag-1 word is tagged 2 (an "inside" tag: the transitions matter)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, T + 1, n)
    lengths[0] = T
    ids = np.zeros((n, T), np.int64)
    tags = np.zeros((n, T), np.int64)
    for i, k in enumerate(lengths):
        ids[i, :k] = rng.integers(1, vocab, k)
        t = ids[i, :k] % n_tags
        t[1:][t[:-1] == 1] = 2
        tags[i, :k] = t
    return {"ids": ids, "tags": tags, "lengths": lengths.astype(np.int64)}


def spiral(n=20, t1=2.0):
    """torchdiffeq's ode_demo spiral dy/dt = (y**3) A from (2, 0), integrated finely (explicit
    Euler, 50 substeps) and sampled at n times in [0, t1]."""
    A = np.array([[-0.1, 2.0], [-2.0, -0.1]])
    y = np.array([2.0, 0.0])
    dt = t1 / (n - 1) / 50
    ys = [y]
    for _ in range(n - 1):
        for _ in range(50):
            y = y + dt * (y ** 3) @ A
        ys.append(y)
    return {"y": np.stack(ys), "t0": 0.0, "t1": t1}


def token_sequences(n=40, vocab=20, classes=3, seed=0):
    """Lists of 1–8 ids whose last id tells the class (3·label + 1); imbalanced labels (class 0
    about three times as frequent as class 2), for the weighted sampler."""
    rng = np.random.default_rng(seed)
    labels = [int(v) for v in rng.choice(classes, n, p=[0.5, 0.33, 0.17])]
    seqs = [[int(v) for v in rng.integers(1, vocab, rng.integers(0, 8))] + [3 * y + 1]
            for y in labels]
    return {"sequences": seqs, "labels": labels}


# ----------------------------------------------------------------------------- 1. CTC
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", [dict(), dict(reduction="sum", padded_targets=True),
                                     dict(reduction="mean", padded_targets=True)])
def test_ctc_speech_matches_pytorch(variant, dtype):
    data = utterances()
    expected, actual = compare("ctc_speech", data, dtype,
                               run=dict(epochs=10, lr=3e-2, **variant))
    assert len(actual["losses"]) == 10 * 3 and np.all(np.isfinite(actual["losses"]))
    # the infeasible utterance (index 3, in the first batch) has a zeroed loss
    assert actual["first_batch"][3] == 0.0
    np.testing.assert_array_equal(actual["infeasible"], [False, False, False, True])
    assert len(actual["decoded"]) == 12 and all(0 not in d for d in actual["decoded"])
    assert sum(d == 0 for d in actual["distances"]) >= 2     # some transcripts are learnt


def test_ctc_speech_two_gru_layers_matches_pytorch():
    compare("ctc_speech", utterances(seed=1), "float64", build=dict(rnn_layers=2, hidden=6),
            run=dict(epochs=4, lr=2e-2))


# ----------------------------------------------------------------------------- 2. BiLSTM-CRF
@pytest.mark.parametrize("dtype", DTYPES)
def test_bilstm_crf_tagger_matches_pytorch(dtype):
    data = tagged_sentences()
    expected, actual = compare("bilstm_crf_tagger", data, dtype, run=dict(epochs=4))
    assert len(actual["losses"]) == 4 * 4
    assert actual["lrs"] == pytest.approx([0.05, 0.025, 0.0125, 0.0125])
    assert [len(p) for p in actual["paths"]] == list(data["lengths"])
    assert actual["losses"][-1] < actual["losses"][0]


# ----------------------------------------------------------------------------- 3. neural ODE
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_neural_ode_rk4_matches_pytorch(line_search, dtype):
    # In float32, L-BFGS with a fixed step of 0.5 is unstable in PyTorch itself: moving its
    # initial weights by one ulp moves the weights after three steps by ~3e-4 of their scale,
    # more than float32's tolerance. One L-BFGS step there (the strong-Wolfe search is stable).
    steps = 1 if dtype == "float32" and line_search is None else 3
    expected, actual = compare("neural_ode_rk4", spiral(), dtype,
                               run=dict(line_search=line_search, lbfgs_steps=steps),
                               min_steps=steps + 8)
    assert actual["final"] < actual["losses"][0]
    assert actual["pred"].shape == (20, 2) and actual["jacobian"].shape == (2, 2)


# ----------------------------------------------------------------------------- 4. data pipeline
@pytest.mark.parametrize("dtype", DTYPES)
def test_seq_data_pipeline_matches_pytorch(dtype):
    expected, actual = compare("seq_data_pipeline", token_sequences(), dtype, min_steps=20,
                               text_key="text")
    assert len(actual["train_indices"]) == 30 and len(actual["valid_indices"]) == 10
    assert actual["n_shuffled"] == 30 // 4 and len(actual["shuffled"]) == 2 * (30 // 4)
    assert actual["n_sequential"] == 4
    assert actual["restored_equal"] is True and actual["start_epoch"] == 3
    assert all(actual["state_tensors"])
    # pad_sequence's padding value
    first = actual["weighted"][0]
    short = int(np.argmin(first["lengths"]))
    np.testing.assert_array_equal(first["ids"][short, first["lengths"][short]:], -1)
