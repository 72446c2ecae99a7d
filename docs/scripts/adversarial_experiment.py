"""The adversarial measurement of docs/adversarial.md, on real Fashion-MNIST (rerunnable).

    nice -n 10 python docs/scripts/adversarial_experiment.py            # the recorded run
    python docs/scripts/adversarial_experiment.py --quick               # a small smoke run

1. A LeNet-5 (chainrule.models LeNet5, no dropout) on images in [0, 1] (no normalisation, so
   that ε is in pixel units) is trained normally with Adam (lr 1e-3, batch 128).
2. A copy of it is trained further with PGD adversarial training (Madry et al.):
   AdversarialTraining(eps=0.1, alpha=2.5·0.1/7, steps=7), random starts, same optimizer.
3. Both are attacked with PGD-40 (L∞, ε = 0.1, α = 2.5·ε/40, random start) on the test set, and
   their robustness curves (PGD-40 at several ε) are drawn in one PNG.

Prints every number and writes them as JSON (--json).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import time

import numpy as np

import chainrule as cr
from chainrule.adversarial import (
    AdversarialTraining,
    RobustnessCurve,
    plot_robustness_curve,
    robustness_curve,
)
from chainrule.data import datasets as D
from chainrule.models.vision import LeNet5


def load(split: str, n: int | None):
    x, y = D.get_dataset("fashion-mnist", split)
    if n:
        x, y = x[:n], y[:n]
    return (x.reshape(len(x), 1, 28, 28).astype(np.float32) / 255.0), y.astype(np.int64)


def replot(results: dict, image: str) -> None:
    curves = [RobustnessCurve(**c) for c in results["curves"]]
    plot_robustness_curve(curves, image,
                          title=f"LeNet-5 on Fashion-MNIST: PGD-40 (L∞, α = 2.5·ε/40, random "
                                f"start), first {curves[0].samples} test images")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=int, default=60000, help="training images used (first N)")
    p.add_argument("--test", type=int, default=10000, help="test images for the ε = 0.1 numbers")
    p.add_argument("--curve-test", type=int, default=2000,
                   help="test images (the first N) for the robustness curves")
    p.add_argument("--epochs", type=int, default=4, help="normal training epochs")
    p.add_argument("--adv-epochs", type=int, default=4, help="adversarial training epochs")
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--train-steps", type=int, default=7)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--image", default="docs/images/adversarial_robustness.png")
    p.add_argument("--json", default=None, help="write the numbers to this JSON file")
    p.add_argument("--quick", action="store_true", help="a tiny smoke run")
    p.add_argument("--replot", default=None, metavar="JSON",
                   help="only redraw --image from the curves of a --json file of an earlier run")
    args = p.parse_args()
    if args.replot:
        with open(args.replot) as f:
            saved = json.load(f)
        replot(saved, args.image)
        return
    if args.quick:
        args.train, args.test, args.curve_test, args.epochs, args.adv_epochs = 512, 256, 128, 1, 1
    started = time.time()
    cr.manual_seed(args.seed)
    x_train, y_train = load("train", args.train)
    x_test, y_test = load("test", args.test)
    print(f"Fashion-MNIST: {len(x_train)} training images (the first {len(x_train)}), "
          f"{len(x_test)} test images; load average {os.getloadavg()}", flush=True)

    model = LeNet5()
    model.compile(optimizer="adam", lr=1e-3, metrics=["accuracy"])
    t = time.time()
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs, seed=args.seed, verbose=2)
    normal_time = time.time() - t
    print(f"normal training: {args.epochs} epochs in {normal_time:.0f} s", flush=True)

    robust = copy.deepcopy(model)
    robust.compile(optimizer="adam", lr=1e-3, metrics=["accuracy"])
    alpha_train = 2.5 * args.eps / args.train_steps
    callback = AdversarialTraining(eps=args.eps, alpha=alpha_train, steps=args.train_steps)
    t = time.time()
    robust.fit(x_train, y_train, batch_size=128, epochs=args.adv_epochs, seed=args.seed + 1,
               verbose=2, callbacks=[callback])
    adv_time = time.time() - t
    print(f"adversarial training: {args.adv_epochs} epochs with {callback} in {adv_time:.0f} s",
          flush=True)

    results = {"train_images": len(x_train), "test_images": len(x_test),
               "normal_epochs": args.epochs, "adversarial_epochs": args.adv_epochs,
               "train_attack": repr(callback), "normal_train_s": normal_time,
               "adversarial_train_s": adv_time}
    steps = 40
    for name, m in (("normal", model), ("adversarial", robust)):
        t = time.time()
        cr.manual_seed(args.seed + 2)
        curve = robustness_curve(m, (x_test, y_test), [0.0, args.eps], "pgd", steps=steps,
                                 random_start=True, batch_size=250)
        results[name] = {"clean": curve.accuracy[0], "pgd40": curve.accuracy[1],
                         "seconds": time.time() - t}
        print(f"{name}: clean {100 * curve.accuracy[0]:.2f}%, PGD-40 at ε={args.eps}: "
              f"{100 * curve.accuracy[1]:.2f}% ({time.time() - t:.0f} s)", flush=True)
    n, a = results["normal"], results["adversarial"]
    results["drop_points"] = 100 * (n["clean"] - n["pgd40"])
    results["robust_gain_points"] = 100 * (a["pgd40"] - n["pgd40"])
    results["clean_cost_points"] = 100 * (n["clean"] - a["clean"])
    print(f"PGD-40 drops the normal model by {results['drop_points']:.2f} points; adversarial "
          f"training raises robust accuracy by {results['robust_gain_points']:.2f} points at a "
          f"clean-accuracy cost of {results['clean_cost_points']:.2f} points", flush=True)

    eps_values = [0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2]
    curves = []
    xc, yc = x_test[:args.curve_test], y_test[:args.curve_test]
    for label, m in (("normally trained", model),
                     (f"PGD-trained (ε={args.eps:g}, {args.train_steps} steps)", robust)):
        t = time.time()
        cr.manual_seed(args.seed + 3)
        c = robustness_curve(m, (xc, yc), eps_values, "pgd", steps=steps, random_start=True,
                             batch_size=250, label=label)
        curves.append(c)
        print(c, f"({time.time() - t:.0f} s)", flush=True)
    results["curves"] = [c.as_dict() for c in curves]
    replot(results, args.image)
    print(f"wrote {args.image}; total {time.time() - started:.0f} s; load average "
          f"{os.getloadavg()}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)


if __name__ == "__main__":
    main()
