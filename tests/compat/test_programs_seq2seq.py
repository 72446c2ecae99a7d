"""The seq2seq-with-attention tutorial, run with only its imports changed, matches PyTorch.

``programs/seq2seq_attention.py`` follows "NLP From Scratch: Translation with a Sequence to
Sequence Network and Attention": a GRU encoder, a GRU decoder with Bahdanau attention unrolled in
a Python loop (teacher forcing from ``target_tensor[:, i]``, or greedy ``topk(1)`` feedback), two
Adam optimizers on NLLLoss, and a greedy ``evaluate`` under ``no_grad``. The "translation" here is
a synthetic one — reverse the sentence and map each token — made below with a NumPy RNG.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import runner  # noqa: E402
from runner import DTYPES, TOLERANCE  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


SOS, EOS, MAX_LENGTH = 0, 1, 8
IN_VOCAB, OUT_VOCAB = 12, 10


def reverse_data(n: int = 48, n_eval: int = 3, seed: int = 0) -> dict:
    """Sentences of 2..MAX_LENGTH-2 tokens; the target is the reversed sentence with each token
    mapped ``t -> 2 + (3 t) mod (OUT_VOCAB - 2)``; EOS-terminated, zero-padded, int32 as in the
    tutorial's ``get_dataloader``. ``eval`` holds unpadded sentences of differing lengths."""
    rng = np.random.default_rng(seed)
    input_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    target_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    for idx in range(n):
        inp = [int(t) for t in rng.integers(2, IN_VOCAB, rng.integers(2, MAX_LENGTH - 1))]
        tgt = [2 + (3 * t) % (OUT_VOCAB - 2) for t in inp[::-1]]
        input_ids[idx, :len(inp) + 1] = inp + [EOS]
        target_ids[idx, :len(tgt) + 1] = tgt + [EOS]
    lengths = [2, 5, MAX_LENGTH - 1][:n_eval]
    sentences = [[int(t) for t in rng.integers(2, IN_VOCAB, k)] for k in lengths]
    return {"input_ids": input_ids, "target_ids": target_ids, "eval": sentences}


BUILD = dict(input_size=IN_VOCAB, output_size=OUT_VOCAB, hidden_size=8, dropout_p=0.0,
             max_length=MAX_LENGTH)


def compare(data, dtype, run, min_steps=10):
    expected, actual = runner.run_program("seq2seq_attention", data, dtype=dtype, build=BUILD,
                                          run=run)
    assert len(expected["losses"]) >= min_steps, expected["losses"]
    if dtype == "float32":
        # attention.Va.bias adds the same constant to every score before the softmax, so its
        # gradient is exactly 0 in exact arithmetic: what backward returns is rounding noise
        # (~3e-8 in float32, ~3e-17 in float64), which Adam (eps=1e-8) scales up to steps of
        # order lr in float32 only. That parameter cannot agree between two libraries in
        # float32 (nor between two PyTorch builds); it has no effect on any output.
        for record in (expected, actual):
            record["decoder"].pop("attention.Va.bias")
    runner.assert_records_close(actual, expected, TOLERANCE[dtype], where="seq2seq_attention")
    return expected, actual


def check_shapes(record, data):
    assert len(record["decoded"]) == len(record["attentions"]) == len(data["eval"])
    for sentence, attn, ids in zip(data["eval"], record["attentions"], record["decoded"]):
        assert attn.shape == (1, MAX_LENGTH, len(sentence) + 1)
        np.testing.assert_allclose(attn.sum(-1), 1.0, rtol=1e-5)
        assert 1 <= ids.shape[0] <= MAX_LENGTH


@pytest.mark.parametrize("dtype", DTYPES)
def test_seq2seq_attention_teacher_forcing_matches_pytorch(dtype):
    data = reverse_data()
    expected, actual = compare(data, dtype, run=dict(n_epochs=2, batch_size=8,
                                                     learning_rate=0.01))
    assert len(actual["losses"]) == 12 and np.all(np.isfinite(actual["losses"]))
    assert actual["epoch_losses"][-1] < actual["epoch_losses"][0]
    check_shapes(actual, data)


@pytest.mark.parametrize("dtype", DTYPES)
def test_seq2seq_attention_greedy_training_matches_pytorch(dtype):
    """Training without teacher forcing: the decoder feeds back ``topi.squeeze(-1).detach()``
    (``target_tensor=None``), so the argmax path is exercised with gradients on."""
    data = reverse_data(seed=1)
    expected, actual = compare(data, dtype, run=dict(n_epochs=2, batch_size=8,
                                                     learning_rate=0.01, teacher_forcing=False))
    assert len(actual["losses"]) == 12 and np.all(np.isfinite(actual["losses"]))
    check_shapes(actual, data)
