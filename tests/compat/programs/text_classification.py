import torch
from torch import nn
from torch.utils.data import DataLoader
# ruff: noqa  (kept in the style of the PyTorch tutorial, which this program follows)

# The PyTorch tutorial "Text classification with the torchtext library", without torchtext: an
# nn.EmbeddingBag over each text's token ids (the texts of a batch concatenated, with offsets
# marking where each begins) and a linear layer, trained with SGD (lr 5), gradient clipping and a
# StepLR stepped whenever the validation accuracy drops. The dataset — (label, token ids) pairs,
# labels 1..num_class as in AG_NEWS — is handed in by the caller; the tutorial's vocab(tokenizer(x))
# is replaced by the identity on the already-tokenised ids. The tutorial shuffles the training
# set and makes the validation split with random_split; here the caller's split is used and
# shuffle=False, so both libraries see the same batches.


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
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


text_pipeline = lambda x: [int(token) for token in x]
label_pipeline = lambda x: int(x) - 1

device = torch.device("cpu")


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list.to(device), text_list.to(device), offsets.to(device)


def train(model, dataloader, optimizer, criterion, losses):
    model.train()
    total_acc, total_count = 0, 0
    for idx, (label, text, offsets) in enumerate(dataloader):
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        losses.append(loss.item())
    return total_acc / total_count


def evaluate(model, dataloader, criterion):
    model.eval()
    total_acc, total_count = 0, 0
    total_loss = 0.0

    with torch.no_grad():
        for idx, (label, text, offsets) in enumerate(dataloader):
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            total_loss += loss.item() * label.size(0)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count, total_loss / total_count


def predict(model, text, text_pipeline):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item() + 1


def build(vocab_size=60, emsize=16, num_class=4):
    return TextClassificationModel(vocab_size, emsize, num_class).to(device)


def run(model, data, epochs=3, lr=5, batch_size=8):
    """Train on data["train"], pick the lr on data["valid"], test on data["test"]."""
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.1)
    total_accu = None
    train_dataloader = DataLoader(data["train"], batch_size=batch_size, shuffle=False,
                                  collate_fn=collate_batch)
    valid_dataloader = DataLoader(data["valid"], batch_size=batch_size, shuffle=False,
                                  collate_fn=collate_batch)
    test_dataloader = DataLoader(data["test"], batch_size=batch_size, shuffle=False,
                                 collate_fn=collate_batch)
    losses, train_accs, val_accs, val_losses, lrs = [], [], [], [], []
    for epoch in range(1, epochs + 1):
        train_accs.append(train(model, train_dataloader, optimizer, criterion, losses))
        accu_val, loss_val = evaluate(model, valid_dataloader, criterion)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        val_accs.append(accu_val)
        val_losses.append(loss_val)
        lrs.append(optimizer.param_groups[0]["lr"])
    accu_test, loss_test = evaluate(model, test_dataloader, criterion)
    model.eval()
    with torch.no_grad():
        label, text, offsets = next(iter(test_dataloader))
        logits = model(text, offsets)
    predictions = [predict(model, _text, text_pipeline) for _label, _text in data["test"]]
    return {"losses": losses, "train_accs": train_accs, "val_accs": val_accs,
            "val_losses": val_losses, "lrs": lrs, "test": [accu_test, loss_test],
            "logits": logits, "predictions": predictions, "state": model.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    dataset = []
    for _ in range(240):
        label = int(rng.integers(1, 5))
        length = int(rng.integers(3, 13))
        tokens = np.where(rng.random(length) < 0.6, rng.integers(0, 15, length) + 15 * (label - 1),
                          rng.integers(0, 60, length))
        dataset.append((label, tokens))
    torch.manual_seed(0)
    record = run(build(), {"train": dataset[:160], "valid": dataset[160:200],
                           "test": dataset[200:]}, epochs=10)
    print(record["val_accs"], record["lrs"], record["test"])
