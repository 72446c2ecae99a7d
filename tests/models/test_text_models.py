"""The reference text classifiers: a task that needs memory, padding that never leaks, PyTorch.

The memory task: every sequence holds both marker tokens A and B among its first four positions,
then random distractor tokens up to its length (16…32), then padding; the label is which marker
comes first. Every sequence contains the same multiset of markers, so a bag of embeddings, which
forgets order, cannot beat chance; an LSTM must carry the order through up to 30 distractors.
"""
import numpy as np
import pytest
import threadpoolctl
import torch

import chainrule as cr
from chainrule import optim
from chainrule.models import (
    BagOfEmbeddings,
    BiGRUClassifier,
    LSTMClassifier,
    RecurrentClassifier,
    TransformerClassifier,
    get_model,
)
from chainrule.nn import functional as F

PAD, A, B, VOCAB = 0, 1, 2, 20


def marker_task(n, rng, max_len=32, min_len=16, window=4):
    ids = np.zeros((n, max_len), np.int64)
    lengths = rng.integers(min_len, max_len + 1, n)
    labels = rng.integers(0, 2, n)
    for i in range(n):
        ids[i, :lengths[i]] = rng.integers(3, VOCAB, lengths[i])
        first, second = sorted(rng.choice(window, 2, replace=False))
        ids[i, first], ids[i, second] = (A, B) if labels[i] else (B, A)
    return ids, lengths, labels


def accuracy(model, data):
    ids, lengths, y = data
    model.eval()
    with cr.no_grad():
        pred = model(ids, lengths).numpy().argmax(axis=1)
    model.train()
    return float((pred == y).mean())


def fit(model, train, valid, epochs, lr=1e-2, batch=64, target=0.97):
    """Adam in a plain loop; stops early once the validation accuracy reaches ``target``."""
    ids, lengths, y = train
    opt = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            b = order[start:start + batch]
            loss = F.cross_entropy(model(ids[b], lengths[b]), cr.tensor(y[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        if accuracy(model, valid) >= target:
            break
    return model


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    return marker_task(2048, rng), marker_task(256, rng), marker_task(512, rng)


def test_lstm_classifier_learns_order_that_needs_memory(task):
    train, valid, test = task
    cr.manual_seed(0)
    with threadpoolctl.threadpool_limits(1):   # small GEMMs: a second BLAS thread only waits
        model = fit(LSTMClassifier(VOCAB, embed_dim=16, hidden_size=64), train, valid, epochs=10)
    assert accuracy(model, test) >= 0.95


def test_bag_of_embeddings_cannot_learn_order(task):
    train, valid, test = task
    cr.manual_seed(0)
    model = fit(BagOfEmbeddings(VOCAB, embed_dim=16), train, valid, epochs=6)
    assert accuracy(model, train) < 0.65        # it cannot even fit the training set
    assert abs(accuracy(model, test) - 0.5) < 0.08


def _garbage_after_lengths(ids, lengths, rng):
    """The same sequences padded further with random tokens (not padding) past each length."""
    wide = rng.integers(3, VOCAB, (ids.shape[0], ids.shape[1] + 7))
    for i, n in enumerate(lengths):
        wide[i, :n] = ids[i, :n]
    return wide


@pytest.mark.parametrize("make", [
    lambda: LSTMClassifier(VOCAB, 8, 6, num_layers=2, bidirectional=True),
    lambda: BiGRUClassifier(VOCAB, 8, 6),
    lambda: RecurrentClassifier(VOCAB, 8, 6, cell="gru"),
    lambda: BagOfEmbeddings(VOCAB, 8, num_classes=3),
    lambda: TransformerClassifier(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=16),
    lambda: TransformerClassifier(VOCAB, d_model=8, nhead=2, num_layers=1, dim_feedforward=16,
                                  positional="learned", norm_first=False, activation="relu"),
])
def test_padding_never_leaks(make):
    rng = np.random.default_rng(1)
    ids, lengths, _ = marker_task(5, rng, max_len=10, min_len=3)
    cr.manual_seed(0)
    model = make().double().eval()
    reference = model(ids, lengths).numpy()
    np.testing.assert_allclose(model(_garbage_after_lengths(ids, lengths, rng), lengths).numpy(),
                               reference, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model(ids).numpy(), reference, rtol=1e-10, atol=1e-12)  # counted
    one = model(ids[2:3, :lengths[2]], lengths[2:3]).numpy()                          # unpadded
    np.testing.assert_allclose(one, reference[2:3], rtol=1e-10, atol=1e-12)
    out = model.train()(ids, lengths)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    assert str(model.formula())


def test_bigru_classifier_equals_torch_with_packed_sequences():
    rng = np.random.default_rng(2)
    ids, lengths, _ = marker_task(4, rng, max_len=9, min_len=2)
    cr.manual_seed(0)
    ours = BiGRUClassifier(VOCAB, 5, 4).double()
    emb = torch.nn.Embedding(VOCAB, 5, padding_idx=0).double()
    gru = torch.nn.GRU(5, 4, batch_first=True, bidirectional=True).double()
    fc = torch.nn.Linear(8, 2).double()
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(ours.embedding.weight.numpy()))
        for name, p in gru.named_parameters():
            p.copy_(torch.tensor(getattr(ours.rnn, name).numpy()))
        fc.weight.copy_(torch.tensor(ours.fc.weight.numpy()))
        fc.bias.copy_(torch.tensor(ours.fc.bias.numpy()))
    packed = torch.nn.utils.rnn.pack_padded_sequence(emb(torch.tensor(ids)),
                                                     torch.tensor(lengths), batch_first=True,
                                                     enforce_sorted=False)
    _, h = gru(packed)
    expected = fc(torch.cat([h[-2], h[-1]], dim=1))
    np.testing.assert_allclose(ours(ids, lengths).numpy(), expected.detach().numpy(), rtol=1e-10)


def test_transformer_classifier_trains():
    """A quick check that gradients reach everything: whether marker A occurs at all."""
    rng = np.random.default_rng(3)
    ids, lengths, _ = marker_task(96, rng, max_len=12, min_len=6)
    y = rng.integers(0, 2, len(ids))
    ids[y == 0] = np.where(ids[y == 0] == A, B, ids[y == 0])      # class 0: no A anywhere
    cr.manual_seed(0)
    model = TransformerClassifier(VOCAB, d_model=16, nhead=2, num_layers=1, dim_feedforward=32,
                                  dropout=0.0, positional="learned")
    opt = optim.Adam(model.parameters(), lr=1e-2)
    with threadpoolctl.threadpool_limits(1):
        for _ in range(40):
            loss = F.cross_entropy(model(ids, lengths), cr.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert accuracy(model, (ids, lengths, y)) >= 0.95


def test_registry_names_and_errors():
    assert isinstance(get_model("lstm-classifier", vocab_size=10), LSTMClassifier)
    assert isinstance(get_model("bag-of-embeddings", vocab_size=10), BagOfEmbeddings)
    assert isinstance(get_model("bigru-classifier", vocab_size=10), BiGRUClassifier)
    assert isinstance(get_model("transformer-classifier", vocab_size=10), TransformerClassifier)
    lstm = LSTMClassifier(10, 4, 3)
    np.testing.assert_array_equal(lstm.rnn.bias_ih_l0.numpy()[3:6], 1.0)     # open forget gates
    np.testing.assert_array_equal(lstm.rnn.bias_hh_l0.numpy()[3:6], 0.0)
    with pytest.raises(ValueError, match="cell must be 'lstm' or 'gru'"):
        RecurrentClassifier(10, cell="rnn")
    with pytest.raises(ValueError, match=r"lengths has shape \(3,\), expected \(2,\)"):
        lstm(np.ones((2, 4), np.int64), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"lengths must be in \[0, 4\]"):
        lstm(np.ones((2, 4), np.int64), np.array([1, 5]))
    with pytest.raises(ValueError, match="integer array"):
        lstm(np.ones((2, 4)))
