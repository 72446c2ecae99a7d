import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader
import numpy as np
# ruff: noqa  (kept in the style of the PyTorch text tutorials and Kim's CNN ports, which this
# program follows)

# Yoon Kim, "Convolutional Neural Networks for Sentence Classification" (2014), as its PyTorch
# ports write it: a "multichannel" embedding — one channel the frozen pretrained vectors
# (nn.Embedding.from_pretrained, freeze=True), one a copy fine-tuned with the network
# (freeze=False) — with padding_idx 0; Conv1d filters of several widths over time, ReLU, max-over-
# time pooling (F.max_pool1d with the whole length as kernel for one width, nn.AdaptiveMaxPool1d
# / F.adaptive_max_pool1d for the others), dropout before the classifier (train mode: masks from
# the global generator seeded with torch.manual_seed) and a multi-label head trained with
# BCEWithLogitsLoss(pos_weight) on Adagrad or RMSprop, with ReduceLROnPlateau on the validation
# loss.
#
# The caller hands in the "pretrained" vectors (a NumPy array, row 0 the padding token) and
# zero-padded token ids with their 0/1 labels (one column a tag).


class KimCNN(nn.Module):
    def __init__(self, vectors, n_labels, filter_sizes=(2, 3, 4), num_filters=4,
                 dropout=0.5, mode="multichannel"):
        super(KimCNN, self).__init__()
        weights = torch.tensor(vectors, dtype=torch.get_default_dtype())
        vocab_size, embed_dim = weights.shape
        self.mode = mode
        if mode == "rand":
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            in_channels = embed_dim
        else:
            self.embedding = nn.Embedding.from_pretrained(weights.clone(), freeze=False,
                                                          padding_idx=0)
            in_channels = embed_dim
        if mode == "multichannel":
            self.static_embedding = nn.Embedding.from_pretrained(weights, freeze=True,
                                                                 padding_idx=0)
            in_channels = 2 * embed_dim
        self.convs = nn.ModuleList([
            nn.Conv1d(in_channels, num_filters, kernel_size=k, padding=k // 2 if k > 3 else 0)
            for k in filter_sizes
        ])
        self.adaptive_pool = nn.AdaptiveMaxPool1d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(len(filter_sizes) * num_filters, n_labels)

    def forward(self, text):
        # text: batch × seq_len
        embedded = self.embedding(text)                      # batch × seq_len × emb
        if self.mode == "multichannel":
            embedded = torch.cat([embedded, self.static_embedding(text)], dim=2)
        embedded = embedded.permute(0, 2, 1)                 # batch × channels × seq_len
        pooled = []
        for i, conv in enumerate(self.convs):
            conved = F.relu(conv(embedded))                  # batch × filters × (len - k + 1)
            if i == 0:
                out = F.max_pool1d(conved, conved.shape[2]).squeeze(2)
            elif i == 1:
                out = self.adaptive_pool(conved).squeeze(-1)
            else:
                out = F.adaptive_max_pool1d(conved, 1).view(conved.size(0), -1)
            pooled.append(out)
        cat = self.dropout(torch.cat(pooled, dim=1))
        return self.fc(cat)


def binary_accuracy(logits, y):
    preds = (torch.sigmoid(logits) > 0.5).float()
    return (preds == y).float().mean()


def train(model, loader, optimizer, criterion, losses, clip=None):
    model.train()
    epoch_loss, epoch_acc = 0.0, 0.0
    for text, labels in loader:
        optimizer.zero_grad()
        logits = model(text)
        loss = criterion(logits, labels)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_value_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
        epoch_loss += loss.item()
        epoch_acc += binary_accuracy(logits, labels).item()
    return epoch_loss / len(loader), epoch_acc / len(loader)


def evaluate(model, loader, criterion):
    model.eval()
    epoch_loss, epoch_acc = 0.0, 0.0
    with torch.no_grad():
        for text, labels in loader:
            logits = model(text)
            epoch_loss += criterion(logits, labels).item()
            epoch_acc += binary_accuracy(logits, labels).item()
    return epoch_loss / len(loader), epoch_acc / len(loader)


def build(vectors=None, n_labels=3, filter_sizes=(2, 3, 4), num_filters=4, dropout=0.5,
          mode="multichannel"):
    if vectors is None:
        vectors = np.random.default_rng(0).normal(size=(30, 6))
        vectors[0] = 0
    return KimCNN(vectors, n_labels, filter_sizes, num_filters, dropout, mode)


def run(model, data, epochs=4, batch_size=8, optimizer="adagrad", lr=0.1, seed=1):
    torch.manual_seed(seed)
    train_x, train_y = data["train"]
    valid_x, valid_y = data["valid"]
    train_loader = DataLoader(TensorDataset(torch.from_numpy(train_x),
                                            torch.tensor(train_y, dtype=torch.get_default_dtype())),
                              batch_size=batch_size, shuffle=False)
    valid_loader = DataLoader(TensorDataset(torch.from_numpy(valid_x),
                                            torch.tensor(valid_y, dtype=torch.get_default_dtype())),
                              batch_size=batch_size)
    # positives are rare for some tags: weight them by #neg / #pos
    y = torch.tensor(train_y, dtype=torch.get_default_dtype())
    pos = y.sum(0)
    pos_weight = (y.size(0) - pos) / pos.clamp(min=1)
    criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    params = filter(lambda p: p.requires_grad, model.parameters())
    if optimizer == "adagrad":
        opt = torch.optim.Adagrad(params, lr=lr, lr_decay=1e-3, initial_accumulator_value=0.1)
    else:
        opt = torch.optim.RMSprop(params, lr=lr, alpha=0.9, momentum=0.5, centered=True)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5,
                                                           patience=0, threshold=1e-3)
    losses, history, lrs = [], [], []
    static_before = model.static_embedding.weight.clone() if model.mode == "multichannel" else None
    for epoch in range(epochs):
        train_loss, train_acc = train(model, train_loader, opt, criterion, losses,
                                      clip=None if optimizer == "adagrad" else 1.0)
        valid_loss, valid_acc = evaluate(model, valid_loader, criterion)
        scheduler.step(valid_loss)
        history.append([train_loss, train_acc, valid_loss, valid_acc])
        lrs.append(opt.param_groups[0]["lr"])
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(valid_x))
        probs = torch.sigmoid(logits)
    record = {"losses": losses, "history": history, "lrs": lrs, "probs": probs,
              "predicted": (probs > 0.5).long(), "state": model.state_dict(),
              "padding_row": model.embedding.weight[0].clone()}
    if static_before is not None:
        record["static_unchanged"] = bool(torch.equal(static_before,
                                                      model.static_embedding.weight))
    return record


if __name__ == '__main__':
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 6))
    vectors[0] = 0
    x = np.zeros((64, 12), dtype=np.int64)
    for i in range(64):
        n = rng.integers(4, 13)
        x[i, :n] = rng.integers(1, 30, n)
    y = np.stack([(x == 3).any(1), (x == 7).any(1), (x >= 20).sum(1) > 3], 1).astype(np.float64)
    torch.manual_seed(0)
    record = run(build(vectors), {"train": (x[:48], y[:48]), "valid": (x[48:], y[48:])}, epochs=8)
    print(record["history"][0], record["history"][-1], record["lrs"])
