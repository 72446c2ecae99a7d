import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (Dataset, DataLoader, Subset, random_split, WeightedRandomSampler,
                              BatchSampler, SequentialSampler)
import os
import tempfile
# ruff: noqa  (kept in the style of the PyTorch "Datasets & DataLoaders" and text-classification
# tutorials, which this program follows)

# A data pipeline over variable-length token sequences, then a bag-of-embeddings classifier:
# a custom map-style Dataset returning (LongTensor of ids, int label); random_split with a seeded
# torch.Generator into train/validation Subsets, a hand-made Subset of the training part;
# class-balanced sampling with WeightedRandomSampler(replacement=True, generator); a collate_fn
# padding with nn.utils.rnn.pad_sequence(batch_first=True, padding_value=-1) and another making
# EmbeddingBag's flat input and offsets (the text-classification tutorial's collate_batch);
# a DataLoader over a BatchSampler(SequentialSampler) and one shuffling with its own generator and
# drop_last=True; a DataLoader with the default collate over a dataset of tuples (ids of a fixed
# length, label). Two epochs of every loader are recorded batch by batch (ids, lengths, labels,
# the Python type of the default-collated batch). Then nn.EmbeddingBag(mode='mean') + Linear is
# trained with SGD(momentum) for two epochs, a checkpoint dict {'model', 'optimizer', 'epoch'} is
# written with torch.save to a temporary file, read back with torch.load into a fresh model and
# optimizer, and training resumes for one more epoch. The caller hands in the token sequences
# (lists of ids) and their labels.


class SequenceDataset(Dataset):
    def __init__(self, sequences, labels):
        self.sequences = sequences
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return torch.tensor(self.sequences[idx], dtype=torch.long), int(self.labels[idx])


class FixedLengthDataset(Dataset):
    """The first `length` ids of each sequence (padded with 0), for the default collate."""
    def __init__(self, sequences, labels, length=4):
        self.items = [(torch.tensor((list(s) + [0] * length)[:length]), int(y))
                      for s, y in zip(sequences, labels)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return self.items[idx]


def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    padded = pad_sequence(sequences, batch_first=True, padding_value=-1)
    return padded, lengths, torch.tensor(labels)


def bag_collate(batch):
    label_list, text_list, offsets = [], [], [0]
    for _text, _label in batch:
        label_list.append(_label)
        text_list.append(_text)
        offsets.append(_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list, text_list, offsets


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


def record_padded(loader, epochs=2):
    out = []
    for epoch in range(epochs):
        for padded, lengths, labels in loader:
            out.append({"ids": padded, "lengths": lengths, "labels": labels})
    return out


def train_epoch(model, loader, optimizer, criterion, losses):
    model.train()
    for label, text, offsets in loader:
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        losses.append(loss.item())


def evaluate(model, loader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for label, text, offsets in loader:
            predicted_label = model(text, offsets)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


def build(vocab_size=20, embed_dim=6, num_class=3):
    return TextClassificationModel(vocab_size, embed_dim, num_class)


def run(model, data, batch_size=4, lr=2.0, seed=42):
    record = {}
    dataset = SequenceDataset(data["sequences"], data["labels"])
    split_gen = torch.Generator().manual_seed(seed)
    train_set, valid_set = random_split(dataset, [0.75, 0.25], generator=split_gen)
    record["train_indices"] = list(train_set.indices)
    record["valid_indices"] = list(valid_set.indices)
    small = Subset(train_set, list(range(0, len(train_set), 2)))
    record["small_labels"] = [small[i][1] for i in range(len(small))]

    # class-balanced sampling: weight 1 / (class count)
    train_labels = torch.tensor([label for _, label in train_set])
    class_count = torch.bincount(train_labels)
    weights = 1.0 / class_count[train_labels].double()
    sampler_gen = torch.Generator()
    sampler_gen.manual_seed(seed + 1)
    sampler = WeightedRandomSampler(weights, num_samples=len(train_set), replacement=True,
                                    generator=sampler_gen)
    record["sampled"] = [list(sampler) for _ in range(2)]
    weighted_loader = DataLoader(train_set, batch_size=batch_size, sampler=sampler,
                                 collate_fn=pad_collate)
    record["weighted"] = record_padded(weighted_loader)

    sequential = DataLoader(valid_set, batch_sampler=BatchSampler(SequentialSampler(valid_set),
                                                                  batch_size=3, drop_last=False),
                            collate_fn=pad_collate)
    record["sequential"] = record_padded(sequential)
    record["n_sequential"] = len(sequential)

    shuffle_gen = torch.Generator().manual_seed(seed + 2)
    shuffled = DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True,
                          generator=shuffle_gen, collate_fn=pad_collate)
    record["shuffled"] = record_padded(shuffled)
    record["n_shuffled"] = len(shuffled)

    fixed = FixedLengthDataset(data["sequences"], data["labels"])
    default_loader = DataLoader(fixed, batch_size=5, shuffle=True,
                                generator=torch.Generator().manual_seed(seed + 3))
    record["default"], batch_types = [], []
    for epoch in range(2):
        for batch in default_loader:
            batch_types.append(type(batch).__name__)
            ids, labels = batch
            record["default"].append({"ids": ids, "labels": labels})

    # ---- the classifier
    torch.manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              collate_fn=bag_collate)
    valid_loader = DataLoader(valid_set, batch_size=batch_size, shuffle=False,
                              collate_fn=bag_collate)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses, accuracies = [], []
    for epoch in range(1, 3):
        train_epoch(model, train_loader, optimizer, criterion, losses)
        accuracies.append(evaluate(model, valid_loader))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pt")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": 2}, path)
        checkpoint = torch.load(path)
    resumed = build(model.embedding.num_embeddings, model.embedding.embedding_dim,
                    model.fc.out_features)
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = torch.optim.SGD(resumed.parameters(), lr=lr, momentum=0.9)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    start_epoch = checkpoint["epoch"] + 1
    record["start_epoch"] = start_epoch
    record["optimizer_state"] = checkpoint["optimizer"]["state"]
    record["state_tensors"] = [isinstance(v, torch.Tensor) for s in
                               optimizer.state_dict()["state"].values() for v in s.values()]
    record["param_groups"] = [{k: g[k] for k in ("lr", "momentum", "dampening", "weight_decay",
                                                 "nesterov", "params")}
                              for g in checkpoint["optimizer"]["param_groups"]]
    record["text"] = {"checkpoint_keys": sorted(checkpoint), "batch_types": batch_types}
    record["restored_equal"] = all(torch.equal(a, b) for a, b in
                                   zip(model.state_dict().values(),
                                       resumed.state_dict().values()))
    for epoch in range(start_epoch, start_epoch + 1):
        train_epoch(resumed, train_loader, resumed_optimizer, criterion, losses)
        accuracies.append(evaluate(resumed, valid_loader))
    record.update(losses=losses, accuracies=accuracies, state=resumed.state_dict())
    return record


if __name__ == '__main__':
    import random
    random.seed(0)
    labels = [random.randrange(3) for _ in range(40)]
    sequences = [[random.randrange(1, 20) for _ in range(random.randint(1, 7))] + [3 * y + 1]
                 for y in labels]
    record = run(build(), {"sequences": sequences, "labels": labels})
    print(record["losses"], record["accuracies"], record["text"])
