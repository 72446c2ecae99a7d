import torch
import torch.nn as nn
import torch.optim as optim
# ruff: noqa  (kept in the style of the PyTorch "Advanced: Making Dynamic Decisions and the
# Bi-LSTM CRF" tutorial and the batched NER ports of it, which this program follows)

# A BiLSTM-CRF named-entity tagger, batched: token ids (0 the padding index of the embedding)
# → nn.LSTM(bidirectional=True, num_layers=2, dropout between the layers) → emission scores per
# tag; a linear-chain CRF written by hand on top: a transition matrix (nn.Parameter,
# transitions[i, j] = score of moving from tag i to tag j) with START/STOP tags, the forward
# algorithm (torch.logsumexp over the previous tag, in a Python loop over time, masked by the
# sentence lengths), the gold path's score (gather of emissions and transitions), the negative
# log-likelihood as the loss, and Viterbi decoding (max(dim) returning values and back-pointers,
# backtracking in a Python loop with .tolist()). SGD with momentum and weight decay, MultiStepLR.
# Dropout is on in training, its masks drawn from the global generator (torch.manual_seed).
# The caller hands in padded ids (N×T int64), padded tags and lengths.

START_TAG, STOP_TAG = "<START>", "<STOP>"


class BiLSTM_CRF(nn.Module):
    def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim, dropout=0.3):
        super(BiLSTM_CRF, self).__init__()
        self.tag_to_ix = tag_to_ix
        self.tagset_size = len(tag_to_ix)
        self.word_embeds = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=2, bidirectional=True,
                            batch_first=True, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
        # transitions[i, j]: the score of transitioning *from* i *to* j
        self.transitions = nn.Parameter(torch.randn(self.tagset_size, self.tagset_size))
        # never transition to the start tag, never transition from the stop tag
        self.transitions.data[:, tag_to_ix[START_TAG]] = -10000
        self.transitions.data[tag_to_ix[STOP_TAG], :] = -10000

    def _get_lstm_features(self, sentences):
        embeds = self.dropout(self.word_embeds(sentences))
        lstm_out, _ = self.lstm(embeds)
        return self.hidden2tag(self.dropout(lstm_out))          # batch × T × tags

    def _forward_alg(self, feats, mask):
        batch_size, seq_len, _ = feats.shape
        start, stop = self.tag_to_ix[START_TAG], self.tag_to_ix[STOP_TAG]
        alpha = torch.full((batch_size, self.tagset_size), -10000.0)
        alpha[:, start] = 0.0
        for t in range(seq_len):
            # score[b, i, j] = alpha[b, i] + transitions[i, j] + emission[b, j]
            score = alpha.unsqueeze(2) + self.transitions.unsqueeze(0) + feats[:, t].unsqueeze(1)
            next_alpha = torch.logsumexp(score, dim=1)
            m = mask[:, t].unsqueeze(1)
            alpha = torch.where(m, next_alpha, alpha)
        terminal = alpha + self.transitions[:, stop]
        return torch.logsumexp(terminal, dim=1)

    def _score_sentence(self, feats, tags, mask):
        batch_size, seq_len, _ = feats.shape
        start, stop = self.tag_to_ix[START_TAG], self.tag_to_ix[STOP_TAG]
        emissions = feats.gather(2, tags.unsqueeze(2)).squeeze(2)        # batch × T
        prev = torch.cat([torch.full((batch_size, 1), start, dtype=torch.long), tags[:, :-1]], 1)
        trans = self.transitions[prev, tags]                              # batch × T
        maskf = mask.to(feats.dtype)
        score = ((emissions + trans) * maskf).sum(1)
        lengths = mask.long().sum(1)
        last_tags = tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
        return score + self.transitions[last_tags, stop]

    def neg_log_likelihood(self, sentences, tags, mask):
        feats = self._get_lstm_features(sentences)
        forward_score = self._forward_alg(feats, mask)
        gold_score = self._score_sentence(feats, tags, mask)
        return (forward_score - gold_score).mean()

    def _viterbi_decode(self, feats, mask):
        batch_size, seq_len, _ = feats.shape
        start, stop = self.tag_to_ix[START_TAG], self.tag_to_ix[STOP_TAG]
        score = torch.full((batch_size, self.tagset_size), -10000.0)
        score[:, start] = 0
        backpointers = []
        for t in range(seq_len):
            next_score = score.unsqueeze(2) + self.transitions.unsqueeze(0)
            best_score, best_tag = next_score.max(dim=1)
            best_score = best_score + feats[:, t]
            m = mask[:, t].unsqueeze(1)
            score = torch.where(m, best_score, score)
            backpointers.append(best_tag)
        score = score + self.transitions[:, stop]
        path_score, best_last = score.max(1)
        lengths = mask.long().sum(1).tolist()
        best_paths = []
        for b in range(batch_size):
            best_tag_id = best_last[b].item()
            path = [best_tag_id]
            for bptrs_t in reversed(backpointers[:lengths[b]]):
                best_tag_id = bptrs_t[b][best_tag_id].item()
                path.append(best_tag_id)
            assert path.pop() == start
            path.reverse()
            best_paths.append(path)
        return path_score, best_paths

    def forward(self, sentences, mask):
        lstm_feats = self._get_lstm_features(sentences)
        return self._viterbi_decode(lstm_feats, mask)


def mask_from_lengths(lengths, max_len):
    return torch.arange(max_len).unsqueeze(0) < lengths.unsqueeze(1)


def build(vocab_size=25, n_tags=5, embedding_dim=6, hidden_dim=8, dropout=0.3):
    tag_to_ix = {f"T{i}": i for i in range(n_tags)}
    tag_to_ix[START_TAG] = n_tags
    tag_to_ix[STOP_TAG] = n_tags + 1
    return BiLSTM_CRF(vocab_size, tag_to_ix, embedding_dim, hidden_dim, dropout)


def run(model, data, epochs=4, batch_size=4, lr=0.05, seed=1):
    torch.manual_seed(seed)
    ids = torch.from_numpy(data["ids"])
    tags = torch.from_numpy(data["tags"])
    lengths = torch.from_numpy(data["lengths"])
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 3], gamma=0.5)
    losses, lrs = [], []
    n = ids.size(0)
    for epoch in range(epochs):
        model.train()
        for start in range(0, n, batch_size):
            x, y, l = ids[start:start + batch_size], tags[start:start + batch_size], \
                lengths[start:start + batch_size]
            T = int(l.max())
            x, y = x[:, :T], y[:, :T]
            mask = mask_from_lengths(l, T)
            model.zero_grad()
            loss = model.neg_log_likelihood(x, y, mask)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    model.eval()
    with torch.no_grad():
        mask = mask_from_lengths(lengths, ids.size(1))
        scores, paths = model(ids, mask)
        nll = model.neg_log_likelihood(ids, tags, mask)
    gold = [tags[b, :lengths[b]].tolist() for b in range(n)]
    correct = sum(p == g for path, gpath in zip(paths, gold) for p, g in zip(path, gpath))
    return {"losses": losses, "lrs": lrs, "scores": scores, "paths": paths,
            "accuracy": correct / int(lengths.sum()), "nll": nll.item(),
            "state": model.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    n, T = 16, 9
    lengths = rng.integers(3, T + 1, n)
    ids = np.zeros((n, T), np.int64)
    tags = np.zeros((n, T), np.int64)
    for i, k in enumerate(lengths):
        ids[i, :k] = rng.integers(1, 25, k)
        tags[i, :k] = ids[i, :k] % 5
    record = run(build(), {"ids": ids, "tags": tags, "lengths": lengths})
    print(record["losses"][::4], record["accuracy"])
