import torch
import torch.nn as nn
import torch.nn.functional as F
import copy
# ruff: noqa  (written the way the fastai-style "entity embeddings for tabular data" tutorials
# write it in plain PyTorch)

# A binary classifier for tabular data with categorical and continuous columns. Preprocessing,
# all in tensor ops: missing continuous values (NaN) are found with torch.isnan, counted per
# column, and filled with the column's training mean (torch.where; nan_to_num for the sums), and
# a 0/1 "was missing" indicator is kept per column; each continuous column is also bucketed with
# torch.bucketize over boundaries given by torch.quantile of the training values and one-hot encoded
# (F.one_hot). The model embeds each categorical column with its own nn.Embedding, kept in an
# nn.ModuleDict by column name and scaled by a learned per-column vector of an nn.ParameterList;
# the continuous columns go through BatchNorm1d; everything is concatenated, passed through
# embedding dropout and Linear -> ReLU -> BatchNorm1d -> Dropout layers, to one logit.
# BCEWithLogitsLoss with pos_weight = #negatives / #positives for the class imbalance; the AUC of
# the validation set from argsort and cumsum (the trapezoidal area under the ROC curve); early
# stopping on the validation loss that keeps a copy.deepcopy of the best state_dict and restores
# it at the end. Trained first with SGD (momentum), then fine-tuned with Adagrad.
# The caller hands in the categorical ids (int64), the continuous values (with NaNs) and 0/1
# labels, split into train and validation.


def emb_size(cardinality):
    return min(8, (cardinality + 1) // 2)


class TabularModel(nn.Module):
    def __init__(self, cardinalities, n_cont, n_extra, hidden=(16, 8), emb_drop=0.1, drop=0.2):
        super().__init__()
        self.cat_names = list(cardinalities)
        self.embeds = nn.ModuleDict({name: nn.Embedding(card, emb_size(card))
                                     for name, card in cardinalities.items()})
        self.emb_scales = nn.ParameterList([nn.Parameter(torch.ones(emb_size(card)))
                                            for card in cardinalities.values()])
        self.emb_drop = nn.Dropout(emb_drop)
        self.bn_cont = nn.BatchNorm1d(n_cont)
        n_emb = sum(emb_size(c) for c in cardinalities.values())
        sizes = [n_emb + n_cont + n_extra] + list(hidden)
        layers = []
        for i in range(len(hidden)):
            layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU(),
                       nn.BatchNorm1d(sizes[i + 1]), nn.Dropout(drop)]
        self.layers = nn.Sequential(*layers)
        self.out = nn.Linear(sizes[-1], 1)

    def forward(self, x_cat, x_cont, x_extra):
        embs = [self.embeds[name](x_cat[:, i]) * self.emb_scales[i]
                for i, name in enumerate(self.cat_names)]
        x = self.emb_drop(torch.cat(embs, 1))
        x = torch.cat([x, self.bn_cont(x_cont), x_extra], 1)
        return self.out(self.layers(x)).squeeze(1)


class Preprocessor:
    """Statistics taken from the training set, applied to any split."""

    def __init__(self, x_cont, n_buckets):
        missing = torch.isnan(x_cont)
        counts = (~missing).sum(0)
        self.means = torch.nan_to_num(x_cont, nan=0.0).sum(0) / counts
        filled = torch.where(missing, self.means, x_cont)
        probs = torch.linspace(0, 1, n_buckets + 1)[1:-1].to(x_cont.dtype)
        self.boundaries = [torch.quantile(filled[:, j], probs) for j in range(x_cont.size(1))]
        self.n_buckets = n_buckets
        self.missing_rate = missing.to(x_cont.dtype).mean(0)

    def __call__(self, x_cont):
        missing = torch.isnan(x_cont)
        filled = torch.where(missing, self.means, x_cont)
        onehots = []
        for j, b in enumerate(self.boundaries):
            buckets = torch.bucketize(filled[:, j].contiguous(), b)
            onehots.append(F.one_hot(buckets, self.n_buckets).to(x_cont.dtype))
        extra = torch.cat([missing.to(x_cont.dtype)] + onehots, 1)
        return filled, extra


def roc_auc(scores, labels):
    order = torch.argsort(scores, descending=True)
    y = labels[order]
    tps = torch.cumsum(y, 0)
    fps = torch.cumsum(1 - y, 0)
    tpr = torch.cat([torch.zeros(1, dtype=tps.dtype), tps / tps[-1]])
    fpr = torch.cat([torch.zeros(1, dtype=fps.dtype), fps / fps[-1]])
    return torch.trapezoid(tpr, fpr)


def build(cardinalities=None, n_cont=3, n_buckets=4, emb_drop=0.1, drop=0.2):
    cardinalities = cardinalities or {"color": 5, "city": 7, "kind": 3}
    return TabularModel(cardinalities, n_cont, n_cont + n_cont * n_buckets, emb_drop=emb_drop,
                        drop=drop)


def run(model, data, n_buckets=4, sgd_epochs=6, adagrad_epochs=4, batch_size=16, lr=0.05,
        adagrad_lr=0.05, patience=3, seed=0):
    torch.manual_seed(seed)
    dtype = torch.get_default_dtype()
    cat_tr, cat_va = torch.from_numpy(data["cat_train"]), torch.from_numpy(data["cat_valid"])
    cont_tr = torch.from_numpy(data["cont_train"]).to(dtype)
    cont_va = torch.from_numpy(data["cont_valid"]).to(dtype)
    y_tr = torch.from_numpy(data["y_train"]).to(dtype)
    y_va = torch.from_numpy(data["y_valid"]).to(dtype)

    prep = Preprocessor(cont_tr, n_buckets)
    cont_tr, extra_tr = prep(cont_tr)
    cont_va, extra_va = prep(cont_va)

    pos = y_tr.sum()
    criterion = nn.BCEWithLogitsLoss(pos_weight=((len(y_tr) - pos) / pos).reshape(1))

    def evaluate():
        model.eval()
        with torch.no_grad():
            logits = model(cat_va, cont_va, extra_va)
            loss = criterion(logits, y_va).item()
            auc = roc_auc(torch.sigmoid(logits), y_va).item()
        return loss, auc, logits

    losses, val_losses, aucs = [], [], []
    best_loss, best_state, bad_epochs, best_epoch = float('inf'), None, 0, -1
    n = len(y_tr)
    epoch = 0
    for phase, epochs in (("sgd", sgd_epochs), ("adagrad", adagrad_epochs)):
        if phase == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        else:
            model.load_state_dict(best_state)
            optimizer = torch.optim.Adagrad(model.parameters(), lr=adagrad_lr)
            bad_epochs = 0
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(n)
            for i in range(0, n, batch_size):
                idx = perm[i:i + batch_size]
                logits = model(cat_tr[idx], cont_tr[idx], extra_tr[idx])
                loss = criterion(logits, y_tr[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            val_loss, auc, _ = evaluate()
            val_losses.append(val_loss)
            aucs.append(auc)
            if val_loss < best_loss:
                best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
            epoch += 1
            if bad_epochs >= patience:
                break

    model.load_state_dict(best_state)
    val_loss, auc, logits = evaluate()
    return {"losses": losses, "val_losses": val_losses, "aucs": aucs, "best_epoch": best_epoch,
            "final_val_loss": val_loss, "final_auc": auc, "logits": logits,
            "means": prep.means, "boundaries": torch.stack(prep.boundaries),
            "missing_rate": prep.missing_rate, "extra": extra_va[:5],
            "state": model.state_dict()}


if __name__ == "__main__":
    import numpy as np
    rng = np.random.default_rng(0)
    n = 400
    cat = np.stack([rng.integers(0, c, n) for c in (5, 7, 3)], 1)
    cont = rng.normal(size=(n, 3))
    logit = cont[:, 0] - 0.5 * cont[:, 1] ** 2 + (cat[:, 0] == 2) * 1.5 - 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    cont[rng.random((n, 3)) < 0.1] = np.nan
    torch.manual_seed(0)
    model = build()
    record = run(model, {"cat_train": cat[:300], "cat_valid": cat[300:], "cont_train": cont[:300],
                         "cont_valid": cont[300:], "y_train": y[:300], "y_valid": y[300:]},
                 sgd_epochs=15, adagrad_epochs=10, patience=5)
    print(record["losses"][0], record["losses"][-1], record["aucs"], record["best_epoch"])
