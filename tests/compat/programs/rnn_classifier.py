import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of the PyTorch sentiment-analysis tutorials, which it follows)

# A sentiment-style binary classifier over padded, variable-length token-id sequences (the
# "packed padded sequences" recipe of the PyTorch sentiment-analysis tutorials): an embedding
# with a padding index, a bidirectional GRU fed with pack_padded_sequence (unsorted batch,
# enforce_sorted=False), the final forward and backward hidden states concatenated into one
# logit; BCEWithLogitsLoss, AdamW and a per-batch OneCycleLR (or a per-epoch CosineAnnealingLR).
# Data (N×T int64 ids, 0-padded; lengths; 0/1 labels) come from the caller. Dropout is p=0 and
# the loader does not shuffle, so both libraries draw no random numbers inside run().


class RNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, dropout, pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.rnn = nn.GRU(embedding_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)
        self.dropout = nn.Dropout(p=dropout)

    def encode(self, text, text_lengths):
        embedded = self.dropout(self.embedding(text))
        packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded, text_lengths.to('cpu'),
                                                            batch_first=True,
                                                            enforce_sorted=False)
        packed_output, hidden = self.rnn(packed_embedded)
        output, output_lengths = nn.utils.rnn.pad_packed_sequence(packed_output,
                                                                  batch_first=True)
        hidden = self.dropout(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
        return output, output_lengths, hidden

    def forward(self, text, text_lengths):
        output, output_lengths, hidden = self.encode(text, text_lengths)
        return self.fc(hidden)


def binary_accuracy(preds, y):
    """Returns accuracy per batch, i.e. if you get 8/10 right, this returns 0.8, NOT 8."""
    rounded_preds = torch.round(torch.sigmoid(preds))
    correct = (rounded_preds == y).float()
    acc = correct.sum() / len(correct)
    return acc


def train(model, iterator, optimizer, criterion, scheduler, per_batch, record):
    epoch_loss = 0
    epoch_acc = 0
    model.train()
    for text, text_lengths, label in iterator:
        optimizer.zero_grad()
        predictions = model(text, text_lengths).squeeze(1)
        loss = criterion(predictions, label)
        acc = binary_accuracy(predictions, label)
        loss.backward()
        optimizer.step()
        if per_batch:
            scheduler.step()
        record["losses"].append(loss.item())
        record["accs"].append(acc.item())
        record["lrs"].append(scheduler.get_last_lr()[0])
        epoch_loss += loss.item()
        epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def evaluate(model, iterator, criterion):
    epoch_loss = 0
    epoch_acc = 0
    model.eval()
    with torch.no_grad():
        for text, text_lengths, label in iterator:
            predictions = model(text, text_lengths).squeeze(1)
            loss = criterion(predictions, label)
            acc = binary_accuracy(predictions, label)
            epoch_loss += loss.item()
            epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def to_dataset(text, lengths, labels):
    return TensorDataset(torch.from_numpy(text), torch.from_numpy(lengths),
                         torch.from_numpy(labels).to(torch.get_default_dtype()))


def build(vocab_size=40, embedding_dim=8, hidden_dim=6, dropout=0.0, pad_idx=0):
    return RNN(vocab_size, embedding_dim, hidden_dim, 1, dropout, pad_idx)


def run(model, data, epochs=2, batch_size=8, lr=1e-2, scheduler="onecycle"):
    train_iterator = DataLoader(to_dataset(*data["train"]), batch_size=batch_size)
    valid_iterator = DataLoader(to_dataset(*data["valid"]), batch_size=batch_size)
    optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    criterion = nn.BCEWithLogitsLoss()
    if scheduler == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                    steps_per_epoch=len(train_iterator))
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    per_batch = scheduler == "onecycle"
    record = {"losses": [], "accs": [], "lrs": [], "valid": []}
    for epoch in range(epochs):
        train_loss, train_acc = train(model, train_iterator, optimizer, criterion, sched,
                                      per_batch, record)
        if not per_batch:
            sched.step()
        valid_loss, valid_acc = evaluate(model, valid_iterator, criterion)
        record["valid"].append([valid_loss, valid_acc])
    model.eval()
    with torch.no_grad():
        text, text_lengths, label = next(iter(valid_iterator))
        output, output_lengths, hidden = model.encode(text, text_lengths)
        record["output"] = output
        record["output_lengths"] = output_lengths
        record["probs"] = torch.sigmoid(model(text, text_lengths))
    record["state"] = model.state_dict()
    return record


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    n, T = 96, 12
    lengths = rng.integers(2, T + 1, n)
    labels = rng.integers(0, 2, n)
    text = np.zeros((n, T), np.int64)
    for i in range(n):
        text[i, :lengths[i]] = np.where(rng.random(lengths[i]) < 0.5,
                                        rng.integers(1, 20, lengths[i]) + 19 * labels[i],
                                        rng.integers(1, 40, lengths[i]))
    torch.manual_seed(0)
    record = run(build(), {"train": (text[:64], lengths[:64], labels[:64]),
                           "valid": (text[64:], lengths[64:], labels[64:])}, epochs=10)
    print(record["losses"][0], record["losses"][-1], record["valid"][-1])
