import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
import math
# ruff: noqa  (kept in the style of the PyTorch Transformer tutorials, which this program follows)

# A sequence classifier on nn.TransformerEncoder, as the PyTorch tutorials build one: token
# embeddings (padding_idx) scaled by sqrt(d_model), a sinusoidal PositionalEncoding buffer,
# batch-first encoder layers fed a key-padding mask (tokens == pad), mean pooling over the
# non-padded positions and a linear head; trained with Adam under a LambdaLR warmup, gradient
# clipping and cross-entropy. build(causal=True) adds the causal mask of
# nn.Transformer.generate_square_subsequent_mask. The token ids (N×S int64, right-padded with
# the pad id) and labels are handed in by the caller.
#
# Avoided so that both libraries see the same numbers: dropout (p=0.0 throughout) and DataLoader
# shuffling (shuffle=False).


class PositionalEncoding(nn.Module):

    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)

        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0)  # 1 × max_len × d_model, for batch-first inputs
        self.register_buffer('pe', pe)

    def forward(self, x):
        """x: batch × seq_len × d_model"""
        x = x + self.pe[:, :x.size(1)]
        return self.dropout(x)


class TransformerClassifier(nn.Module):

    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, nclass, pad_idx=0, dropout=0.0,
                 norm_first=False, causal=False, max_len=64):
        super().__init__()
        self.model_type = 'Transformer'
        self.d_model = d_model
        self.pad_idx = pad_idx
        self.causal = causal
        self.embedding = nn.Embedding(ntoken, d_model, padding_idx=pad_idx)
        self.pos_encoder = PositionalEncoding(d_model, dropout, max_len)
        encoder_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=d_hid,
                                                   dropout=dropout, batch_first=True,
                                                   norm_first=norm_first)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layer, num_layers=nlayers)
        self.classifier = nn.Linear(d_model, nclass)

    def forward(self, src):
        """src: batch × seq_len token ids → batch × nclass logits"""
        padding_mask = (src == self.pad_idx)               # True where there is no token
        x = self.embedding(src) * math.sqrt(self.d_model)
        x = self.pos_encoder(x)
        src_mask = None
        if self.causal:
            src_mask = nn.Transformer.generate_square_subsequent_mask(src.size(1))
        x = self.transformer_encoder(x, mask=src_mask, src_key_padding_mask=padding_mask)
        # mean over the real tokens only
        x = x.masked_fill(padding_mask.unsqueeze(-1), 0.0)
        lengths = (~padding_mask).sum(dim=1, keepdim=True).clamp(min=1)
        pooled = x.sum(dim=1) / lengths
        return self.classifier(pooled)


def build(ntoken=20, d_model=16, nhead=2, d_hid=32, nlayers=2, nclass=3, norm_first=False,
          causal=False):
    return TransformerClassifier(ntoken, d_model, nhead, d_hid, nlayers, nclass, pad_idx=0,
                                 dropout=0.0, norm_first=norm_first, causal=causal)


def train_epoch(model, loader, criterion, optimizer, scheduler, clip, log):
    model.train()
    total_loss = 0.
    for tokens, labels in loader:
        optimizer.zero_grad()
        output = model(tokens)
        loss = criterion(output, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        scheduler.step()
        total_loss += loss.item()
        log["losses"].append(loss.item())
        log["lrs"].append(scheduler.get_last_lr()[0])
    return total_loss / len(loader)


def evaluate(model, loader, criterion):
    model.eval()
    total_loss = 0.
    correct = 0
    with torch.no_grad():
        for tokens, labels in loader:
            output = model(tokens)
            total_loss += criterion(output, labels).item() * len(labels)
            correct += (output.argmax(1) == labels).sum().item()
    return total_loss / len(loader.dataset), correct / len(loader.dataset)


def run(model, data, epochs=2, batch_size=8, lr=1e-3, warmup=4, clip=0.5):
    train_set = TensorDataset(torch.from_numpy(data["train"][0]), torch.from_numpy(data["train"][1]))
    test_set = TensorDataset(torch.from_numpy(data["test"][0]), torch.from_numpy(data["test"][1]))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=False)

    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))

    log = {"losses": [], "lrs": [], "train_loss": [], "val_loss": [], "val_acc": []}
    for epoch in range(1, epochs + 1):
        log["train_loss"].append(train_epoch(model, train_loader, criterion, optimizer,
                                             scheduler, clip, log))
        val_loss, val_acc = evaluate(model, test_loader, criterion)
        log["val_loss"].append(val_loss)
        log["val_acc"].append(val_acc)

    model.eval()
    with torch.no_grad():
        log["logits"] = model(test_set.tensors[0])
    log["state"] = model.state_dict()
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    n, seq, ntoken = 96, 10, 20
    labels = rng.integers(0, 3, n)
    lengths = rng.integers(3, seq + 1, n)
    tokens = 1 + labels[:, None] * 6 + rng.integers(0, 7, (n, seq))
    tokens = np.where(np.arange(seq) < lengths[:, None], np.minimum(tokens, ntoken - 1), 0)
    for causal in (False, True):
        torch.manual_seed(0)
        record = run(build(causal=causal), {"train": (tokens[:64], labels[:64]),
                                            "test": (tokens[64:], labels[64:])}, epochs=4)
        print(causal, record["losses"][0], record["losses"][-1], record["val_acc"])
