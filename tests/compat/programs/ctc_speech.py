import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
import numpy as np
# ruff: noqa  (kept in the style of the DeepSpeech-like CTC tutorials, which it follows)

# A toy speech recogniser trained with CTC (the recipe of the DeepSpeech2 / "building an end-to-
# end speech recognition model in PyTorch" tutorials, shrunk): random "spectrogram" frames
# (batch × time × n_feats) of different lengths, a linear front end, a bidirectional GRU run over
# pack_padded_sequence(enforce_sorted=False) and unpacked with pad_packed_sequence, a classifier
# with log_softmax over the characters (index 0 the CTC blank), nn.CTCLoss with
# zero_infinity=True — targets given either concatenated into one 1-D tensor or padded 2-D —,
# Adam with gradient-norm clipping, and greedy CTC decoding (argmax per frame, collapse repeats
# with torch.unique_consecutive, drop the blanks). The caller hands in the features, their
# lengths, the transcripts (lists of character ids in 1..n_class-1) and a batch size.


class SpeechRecognizer(nn.Module):
    def __init__(self, n_feats, n_class, hidden=8, rnn_layers=1):
        super().__init__()
        self.fc_in = nn.Linear(n_feats, hidden)
        self.gru = nn.GRU(hidden, hidden, num_layers=rnn_layers, batch_first=True,
                          bidirectional=True)
        self.classifier = nn.Sequential(nn.Linear(hidden * 2, hidden), nn.GELU(),
                                        nn.Linear(hidden, n_class))

    def forward(self, x, lengths):
        x = F.gelu(self.fc_in(x))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, out_lengths = pad_packed_sequence(out, batch_first=True)
        logits = self.classifier(out)                        # batch × time × n_class
        return F.log_softmax(logits, dim=2), out_lengths


def greedy_decode(log_probs, lengths, blank=0):
    """Best path: argmax per frame, repeats collapsed, blanks removed."""
    best = torch.argmax(log_probs, dim=2)                   # batch × time
    decoded = []
    for i in range(best.size(0)):
        path = best[i, :lengths[i]]
        collapsed = torch.unique_consecutive(path)
        decoded.append([c for c in collapsed.tolist() if c != blank])
    return decoded


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = d[j]
            d[j] = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev = cur
    return d[len(b)]


def batches(data, batch_size):
    feats, feat_lens, transcripts = data["features"], data["lengths"], data["transcripts"]
    for start in range(0, len(transcripts), batch_size):
        idx = range(start, min(start + batch_size, len(transcripts)))
        T = max(feat_lens[i] for i in idx)
        x = torch.tensor(np.stack([feats[i][:T] for i in idx]),
                         dtype=torch.get_default_dtype())
        lengths = torch.tensor([feat_lens[i] for i in idx], dtype=torch.long)
        targets = [transcripts[i] for i in idx]
        yield x, lengths, targets


def build(n_feats=6, n_class=5, hidden=8, rnn_layers=1):
    return SpeechRecognizer(n_feats, n_class, hidden, rnn_layers)


def run(model, data, epochs=3, batch_size=4, lr=1e-2, reduction="mean", padded_targets=False,
        clip=1.0):
    criterion = nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    losses, grad_norms, per_sample = [], [], []
    for epoch in range(epochs):
        model.train()
        for x, lengths, targets in batches(data, batch_size):
            optimizer.zero_grad()
            log_probs, out_lengths = model(x, lengths)
            # CTCLoss wants time × batch × classes
            log_probs = log_probs.transpose(0, 1)
            target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
            if padded_targets:
                S = int(target_lengths.max())
                target = torch.zeros(len(targets), S, dtype=torch.long)
                for i, t in enumerate(targets):
                    target[i, :len(t)] = torch.tensor(t)
            else:
                target = torch.cat([torch.tensor(t, dtype=torch.long) for t in targets])
            loss = criterion(log_probs, target, out_lengths, target_lengths)
            loss.backward()
            total = nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(loss.item())
            grad_norms.append(total.item())
        with torch.no_grad():
            per_sample.append(F.ctc_loss(log_probs, target, out_lengths, target_lengths,
                                         reduction="none", zero_infinity=True))
    model.eval()
    decoded, distances = [], []
    with torch.no_grad():
        for x, lengths, targets in batches(data, batch_size):
            log_probs, out_lengths = model(x, lengths)
            hyps = greedy_decode(log_probs, out_lengths)
            decoded += hyps
            distances += [edit_distance(h, t) for h, t in zip(hyps, targets)]
        x, lengths, targets = next(batches(data, batch_size))
        log_probs, out_lengths = model(x, lengths)
        target = torch.cat([torch.tensor(t, dtype=torch.long) for t in targets])
        target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
        first_batch = F.ctc_loss(log_probs.transpose(0, 1), target, out_lengths, target_lengths,
                                 reduction="none", zero_infinity=True)
        infeasible = torch.isinf(F.ctc_loss(log_probs.transpose(0, 1), target, out_lengths,
                                            target_lengths, reduction="none"))
    return {"losses": losses, "grad_norms": grad_norms, "per_sample": per_sample,
            "first_batch": first_batch, "infeasible": infeasible,
            "decoded": decoded, "distances": distances, "log_probs": log_probs,
            "out_lengths": out_lengths, "state": model.state_dict()}


if __name__ == '__main__':
    rng = np.random.default_rng(0)
    n, T, n_feats = 12, 14, 6
    lengths = [int(v) for v in rng.integers(6, T + 1, n)]
    transcripts = [[int(c) for c in rng.integers(1, 5, rng.integers(1, 5))] for _ in range(n)]
    feats = rng.normal(size=(n, T, n_feats))
    record = run(build(), {"features": feats, "lengths": lengths, "transcripts": transcripts})
    print(record["losses"], record["decoded"])
