"""Temperature scaling on an over-confident LeNet: the measurement in docs/calibration.md.

    nice -n 10 python docs/scripts/calibration_fashion_mnist.py          # ≈ 10 minutes on 2 cores

A LeNet-5 without dropout or weight decay is trained on only 2,000 Fashion-MNIST training images
for many epochs, so it overfits and becomes over-confident. The temperature is fitted on 5,000
other training images (the validation split, never trained on); NLL, ECE and accuracy are measured
on the 10,000 test images before and after, and the two reliability diagrams are written to
docs/images/calibration_before.png and docs/images/calibration_after.png.

The logits are cached in /tmp/chainrule_calibration_logits.npz (delete it to train again).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.data import datasets as D
from chainrule.models import LeNet5

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path("/tmp/chainrule_calibration_logits.npz")
N_TRAIN, N_VAL = 2000, 5000


def prepare(images):
    """uint8 (N, 28, 28) → normalised float32 (N, 1, 28, 28), Fashion-MNIST's mean and std."""
    x = images.astype(np.float32) / 255.0
    return ((x - 0.2860) / 0.3530)[:, None]


def train_and_predict(epochs: int, seed: int) -> dict:
    x_train_all, y_train_all = D.get_dataset("fashion-mnist", "train")
    x_test, y_test = D.get_dataset("fashion-mnist", "test")
    x_train, y_train = prepare(x_train_all[:N_TRAIN]), y_train_all[:N_TRAIN]
    x_val, y_val = prepare(x_train_all[-N_VAL:]), y_train_all[-N_VAL:]
    x_test = prepare(x_test)
    cr.manual_seed(seed)
    model = LeNet5(dropout=0.0)
    model.compile(optimizer="adam", lr=1e-3, loss="cross_entropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, seed=seed,
                        validation_data=(x_val, y_val), verbose=0)
    seconds = time.perf_counter() - start
    out = {"val_logits": model.predict(x_val, batch_size=500), "val_labels": y_val,
           "test_logits": model.predict(x_test, batch_size=500), "test_labels": y_test,
           "train_loss": np.asarray(history.history["loss"]),
           "val_loss": np.asarray(history.history["val_loss"]),
           "epochs": epochs, "seed": seed, "train_seconds": seconds}
    np.savez(CACHE, **out)
    return out


def measure(data: dict) -> str:
    from chainrule.calibration import (
        TemperatureScaling,
        expected_calibration_error,
        negative_log_likelihood,
        reliability_diagram,
        softmax,
    )

    scaler = TemperatureScaling().fit(data["val_logits"], data["val_labels"])
    z, y = data["test_logits"], data["test_labels"]
    rows = []
    for name, logits in (("before (T = 1)", z), (f"after (T = {scaler.temperature:.3f})",
                                                  scaler.transform(z))):
        probs = softmax(logits)
        rows.append((name, 100 * float((probs.argmax(1) == y).mean()),
                     negative_log_likelihood(logits, y),
                     100 * expected_calibration_error(probs, y, n_bins=15)))
    for tag, logits, row in (("before", z, rows[0]), ("after", scaler.transform(z), rows[1])):
        reliability_diagram(softmax(logits), y, n_bins=15,
                            path=ROOT / "docs" / "images" / f"calibration_{tag}.png",
                            title=f"LeNet on 2,000 Fashion-MNIST images, test set, {row[0]}")
    print(f"temperature fitted on the {len(data['val_labels'])} validation images: T = "
          f"{scaler.temperature:.4f} ({scaler.iterations} L-BFGS evaluations), validation NLL "
          f"{scaler.nll_before:.4f} → {scaler.nll_after:.4f}")
    try:                                          # the same minimisation by SciPy, if present
        import math

        from scipy.optimize import minimize_scalar

        res = minimize_scalar(lambda u: negative_log_likelihood(
            data["val_logits"], data["val_labels"], math.exp(u)), bracket=(-1, 1), tol=1e-12)
        print(f"SciPy's minimize_scalar (Brent) on the same NLL over log T: T = "
              f"{math.exp(res.x):.6f} (chainrule: {scaler.temperature:.6f})")
    except ImportError:
        pass
    lines = ["| test set (10,000 images) | accuracy | NLL | ECE (15 bins) |",
             "|---|---|---|---|"]
    lines += [f"| {n} | {a:.2f}% | {nll:.4f} | {e:.2f}% |" for n, a, nll, e in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if CACHE.is_file():
        data = dict(np.load(CACHE))
        print(f"(logits read from {CACHE})")
    else:
        data = train_and_predict(args.epochs, args.seed)
    print(f"{int(data['epochs'])} epochs, seed {int(data['seed'])}, "
          f"{float(data['train_seconds']):.0f} s of training; final training loss "
          f"{data['train_loss'][-1]:.4f}, validation loss {data['val_loss'][-1]:.4f} "
          f"(lowest {data['val_loss'].min():.4f} at epoch {int(data['val_loss'].argmin()) + 1})")
    print(measure(data))


if __name__ == "__main__":
    main()
