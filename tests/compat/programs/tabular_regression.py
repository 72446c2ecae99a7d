import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (written the way a user writes a small tabular-regression training script)

# An MLP regressor for tabular data: features standardized with the training set's mean and std,
# Linear → BatchNorm1d → ReLU → Dropout → Linear, initialised through model.apply (Kaiming-uniform
# for the hidden layer, Xavier-normal for the output layer, zero biases). The hidden Linear has
# no bias: the BatchNorm1d after it would cancel one, leaving it a gradient of pure rounding
# noise that Adam would scale up into full-size steps, different in every library. MSE plus an
# L1 penalty on every parameter; gradients accumulated over two micro-batches per Adam (amsgrad,
# weight decay) step; ReduceLROnPlateau on the validation loss; early stopping that keeps a copy
# of the best state_dict and restores it at the end; R² on the validation set from tensor ops.
# The caller hands in train/validation arrays. Dropout is p=0 and the loader does not shuffle,
# so neither library draws random numbers inside run().


def init_fn(m):
    if isinstance(m, nn.Linear):
        if m.out_features == 1:
            nn.init.xavier_normal_(m.weight)
        else:
            nn.init.kaiming_uniform_(m.weight, nonlinearity='relu')
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def build(in_features=6, hidden=16, dropout=0.0):
    model = nn.Sequential(
        nn.Linear(in_features, hidden, bias=False),   # BatchNorm1d supplies the shift
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, 1),
    )
    model.apply(init_fn)
    return model


def r2_score(y, p):
    return 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def run(model, data, epochs=12, batch_size=8, lr=3e-2, accum_steps=2, l1_lambda=1e-4,
        patience=4):
    dtype = torch.get_default_dtype()
    x_train = torch.from_numpy(data["x_train"]).to(dtype)
    y_train = torch.from_numpy(data["y_train"]).to(dtype)
    x_val = torch.from_numpy(data["x_val"]).to(dtype)
    y_val = torch.from_numpy(data["y_val"]).to(dtype)

    # standardize with the training statistics only
    mean = x_train.mean(0)
    std = x_train.std(0, keepdim=True)
    x_train = (x_train - mean) / std
    x_val = (x_val - mean) / std

    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size,
                              shuffle=False)

    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4, amsgrad=True)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5,
                                                           patience=1)

    record = {"losses": [], "val_losses": [], "lrs": [], "r2": []}
    best_val = float('inf')
    best_state = None
    bad_epochs = 0
    stopped_at = epochs
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad(set_to_none=True)
        for i, (xb, yb) in enumerate(train_loader):
            pred = model(xb).squeeze(-1)
            mse = criterion(pred, yb)
            l1 = sum(p.abs().sum() for p in model.parameters())
            loss = mse + l1_lambda * l1
            (loss / accum_steps).backward()
            if (i + 1) % accum_steps == 0:
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            record["losses"].append(loss.item())

        model.eval()
        with torch.no_grad():
            val_pred = model(x_val).squeeze(-1)
            val_loss = criterion(val_pred, y_val).item()
            r2 = r2_score(y_val, val_pred).item()
        scheduler.step(val_loss)
        record["val_losses"].append(val_loss)
        record["r2"].append(r2)
        record["lrs"].append(optimizer.param_groups[0]['lr'])

        if val_loss < best_val:
            best_val = val_loss
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            bad_epochs = 0
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                stopped_at = epoch + 1
                break

    record["stopped_at"] = stopped_at
    record["last_state"] = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        pred = model(x_val).squeeze(-1)
        record["best_val"] = best_val
        record["predictions"] = pred
        record["best_r2"] = r2_score(y_val, pred).item()
    record["mean"] = mean
    record["std"] = std
    record["state"] = model.state_dict()
    return record


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)) * np.array([1, 10, 0.1, 5, 2, 100]) + 3
    y = np.sin(x[:, 0]) + 0.1 * x[:, 1] + 0.01 * x[:, 5] + 0.1 * rng.normal(size=200)
    torch.manual_seed(0)
    record = run(build(), {"x_train": x[:160], "y_train": y[:160], "x_val": x[160:],
                           "y_val": y[160:]}, epochs=40)
    print(record["stopped_at"], record["val_losses"][-1], record["best_r2"], record["lrs"][-1])
