"""Real-data training, chainrule beside PyTorch: Fashion-MNIST, LeNet-5 and a 784-256-128-10 MLP.

    python benchmarks/bench_train.py                      # 3 seeds × 5 epochs × 2 models (long)
    python benchmarks/bench_train.py --seeds 1 --epochs 1 # a first look at the timings
    python benchmarks/bench_train.py --models lenet       # one model (the stored mlp stays)
    python benchmarks/bench_train.py --render             # rewrite the RESULTS.md section only
    python benchmarks/bench_train.py --models lenet --compile   # chainrule train --compile
    python benchmarks/bench_train.py --models lenet --compile processes   # … --compile processes
    python benchmarks/bench_train.py --models lenet --compile off   # … eager steps

The recipe, the same for both libraries: Adam (lr 1e-3, PyTorch's defaults otherwise), batch 128,
cross-entropy, PyTorch's default initialisation, the training set reshuffled every epoch, pixels
÷255 then normalised with the training set's mean 0.2860 and standard deviation 0.3530, batch by
batch from the uint8 arrays, trained on all 60,000 training images and tested on the 10,000 test
images after the last epoch. chainrule trains through ``chainrule train``'s own code path (the run
folder, validation after every epoch, checkpoints, metrics files: what a user runs); PyTorch in
the plain loop a PyTorch user writes (``zero_grad``, forward, loss, ``backward``, ``step``).

An epoch's wall time is the training pass alone (first batch to last update; chainrule's
``train_time_s`` in metrics.json), measured the same way for both. The two libraries run one after
the other in the same process, alternating which goes first from seed to seed, with the same
threads; the reported figure is the median over all epochs of all seeds, and the ratio is the
median of the per-seed ratios (the machine is shared, so the per-seed ratios are listed too).

Results accumulate in benchmarks/bench_train.json (one entry per model, replaced when that model
is run again), and the section between the ``bench_train`` markers of benchmarks/RESULTS.md is
rewritten from it (appended if absent; ``benchmarks/run.py`` rewrites RESULTS.md whole, so run
``--render`` after it to put the section back).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))   # (and measure this checkout's chainrule)

import chainrule  # noqa: E402,F401  (before NumPy: its OpenBLAS setting needs NumPy not loaded)

RESULTS = HERE / "RESULTS.md"
STORE = HERE / "bench_train.json"
BEGIN = "<!-- bench_train: begin (written by benchmarks/bench_train.py) -->"
END = "<!-- bench_train: end -->"
MEAN, STD = 0.2860, 0.3530
TARGETS = {"lenet": {"accuracy": 0.88, "time_ratio": 1.1}, "mlp": {"accuracy": 0.87}}
WORKLOADS: list = []      # not a benchmarks/run.py workload: a long job with its own entry point
COMPILED = "+compile"     # the store's key of a model trained with chainrule train --compile
PROCESSES = "+processes"  # … with chainrule train --compile processes
EAGER = "+eager"          # … with chainrule train --compile off (the default before auto)
SUFFIXES = {None: "", "auto": "", "threads": COMPILED, "processes": COMPILED + PROCESSES,
            "off": EAGER}
KEYS = tuple(m + k for m in ("lenet", "mlp") for k in ("", EAGER, COMPILED, COMPILED + PROCESSES))


# ----------------------------------------------------------------------------------- PyTorch
def torch_model(name: str):
    import torch.nn as tnn

    if name == "lenet":
        return tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
            tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
            tnn.Linear(84, 10))
    if name == "mlp":
        return tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 256), tnn.ReLU(),
                              tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))
    raise ValueError(f"unknown model {name!r}")


def train_torch(name: str, data, seed: int, epochs: int, batch_size: int = 128,
                log=print) -> dict:
    """The plain PyTorch loop with the recipe of the module docstring."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model = torch_model(name)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x_train = torch.from_numpy(data.x_train)            # uint8 (N, 1, 28, 28)
    y_train = torch.from_numpy(data.y_train)
    generator = torch.Generator().manual_seed(seed)
    n = len(y_train)

    def prepare(x):
        return (x.float().div_(255.0) - MEAN) / STD

    times, losses = [], []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        start = time.perf_counter()
        total, count = 0.0, 0
        for i in range(0, n, batch_size):
            index = order[i:i + batch_size]
            x, y = prepare(x_train[index]), y_train[index]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            count += len(y)
        times.append(time.perf_counter() - start)
        losses.append(total / count)
        log(f"    torch epoch {epoch + 1}/{epochs}: {times[-1]:.1f}s, loss {losses[-1]:.4f}")
    model.eval()
    with torch.no_grad():
        x_test = torch.from_numpy(data.x_test)
        correct = 0
        for i in range(0, len(x_test), 1000):
            logits = model(prepare(x_test[i:i + 1000]))
            correct += int((logits.argmax(1) == torch.from_numpy(data.y_test[i:i + 1000])).sum())
    return {"accuracy": correct / len(x_test), "epoch_times": times, "losses": losses}


# ----------------------------------------------------------------------------------- chainrule
def train_chainrule(name: str, data, seed: int, epochs: int, folder: Path, log=print,
                    jit: str = "auto") -> dict:
    """``chainrule train --model NAME --seed SEED --epochs EPOCHS --compile JIT`` (in this
    process; ``jit``: "auto", "threads", "processes" or "off")."""
    from chainrule.training import Run

    run = Run.new(model=name, dataset="fashion-mnist", seed=seed, epochs=epochs,
                  out=folder / f"{name}-seed{seed}", data=data, progress=0,
                  log=lambda message: None, compile=jit)
    rows = run.train()["rows"]
    test = run.report()
    for row in rows:
        log(f"    chainrule epoch {row['epoch']}/{epochs}: {row['train_time_s']:.1f}s, loss "
            f"{row['loss']:.4f}, val acc {100 * row['val_accuracy']:.2f}%")
    return {"accuracy": test["test_accuracy"], "epoch_times": [r["train_time_s"] for r in rows],
            "losses": [r["loss"] for r in rows]}


# ----------------------------------------------------------------------------------- running
def run_model(name: str, seeds: int, epochs: int, data, folder: Path, log=print,
              jit: str = "auto") -> dict:
    per_seed = []
    for seed in range(seeds):
        order = ("chainrule", "torch") if seed % 2 == 0 else ("torch", "chainrule")
        result = {"seed": seed}
        for library in order:
            log(f"  {name}, seed {seed}: {library}")
            time.sleep(0.5)                   # the other library's threads go to sleep
            if library == "chainrule":
                result[library] = train_chainrule(name, data, seed, epochs, folder, log, jit)
            else:
                result[library] = train_torch(name, data, seed, epochs, log=log)
            log(f"  {name}, seed {seed}: {library} test accuracy "
                f"{100 * result[library]['accuracy']:.2f}%")
        per_seed.append(result)
    return summarize(name, per_seed, epochs)


def summarize(name: str, per_seed: list[dict], epochs: int) -> dict:
    out = {"model": name, "epochs": epochs, "seeds": len(per_seed), "per_seed": per_seed}
    for library in ("chainrule", "torch"):
        accuracies = [r[library]["accuracy"] for r in per_seed]
        times = [t for r in per_seed for t in r[library]["epoch_times"]]
        out[library] = {"accuracy_mean": statistics.mean(accuracies),
                        "accuracy_min": min(accuracies), "accuracy_max": max(accuracies),
                        "epoch_time_median": statistics.median(times)}
    ratios = [statistics.median(r["chainrule"]["epoch_times"])
              / statistics.median(r["torch"]["epoch_times"]) for r in per_seed]
    out["time_ratios"] = ratios
    out["time_ratio"] = statistics.median(ratios)
    out["accuracy_gap"] = out["chainrule"]["accuracy_mean"] - out["torch"]["accuracy_mean"]
    return out


# ----------------------------------------------------------------------------------- report
def render(store: dict) -> str:
    lines = [BEGIN, "", "## Training on Fashion-MNIST: `chainrule train` beside PyTorch", "",
             "Written by `python benchmarks/bench_train.py`; do not edit by hand. Recipe: Adam "
             "1e-3, batch 128, cross-entropy, PyTorch's default initialisation, pixels ÷255 then "
             f"normalised with mean {MEAN:.4f} and std {STD:.4f}, all 60,000 training images, test "
             "accuracy on the 10,000 test images after the last epoch (mean of the seeds, range "
             "in brackets). Epoch time: the training pass alone, median over all epochs and "
             "seeds; ratio: median over seeds of chainrule's median epoch / PyTorch's.", "",
             "| model | epochs | seeds | chainrule test acc | PyTorch test acc | gap | "
             "chainrule epoch | PyTorch epoch | ratio | per-seed ratios | targets | met |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in KEYS:
        r = store.get("models", {}).get(key)
        if r is None:
            continue
        name = key.removesuffix(PROCESSES).removesuffix(COMPILED).removesuffix(EAGER)
        c, t = r["chainrule"], r["torch"]
        target = TARGETS[name]
        checks = [c["accuracy_mean"] >= target["accuracy"], abs(r["accuracy_gap"]) <= 0.005]
        text = [f"acc ≥ {100 * target['accuracy']:.0f}%", "gap within ±0.5 pt"]
        if "time_ratio" in target:
            checks.append(r["time_ratio"] <= target["time_ratio"])
            text.append(f"time ≤ {target['time_ratio']}x")
        label = {"lenet": "LeNet-5", "mlp": "MLP 784-256-128-10"}[name] + (
            " (`--compile processes`)" if key.endswith(PROCESSES)
            else " (`--compile`)" if key.endswith(COMPILED)
            else " (`--compile off`: eager)" if key.endswith(EAGER)
            else " (`chainrule train`, its default `--compile auto`)")
        lines.append(
            f"| {label} | {r['epochs']} | {r['seeds']} | {_acc(c)} | {_acc(t)} | "
            f"{100 * r['accuracy_gap']:+.2f} pt | {c['epoch_time_median']:.1f} s | "
            f"{t['epoch_time_median']:.1f} s | {r['time_ratio']:.2f}x | "
            f"{', '.join(f'{x:.2f}' for x in r['time_ratios'])} | {'; '.join(text)} | "
            f"{'yes' if all(checks) else 'NO'} |")
    lines.append("")
    for key in KEYS:
        facts = store.get("models", {}).get(key, {}).get("facts")
        if facts:
            lines.append(
                f"- {key}: measured {facts.get('date')} ({facts.get('duration_min', '?')} min); "
                f"load average before: {facts.get('load')}, after: {facts.get('load_after')}. "
                f"CPU: {facts.get('cpu')}; cores: {facts.get('cores')}. NumPy "
                f"{facts.get('numpy')} ({facts.get('numpy_blas')}); PyTorch {facts.get('torch')} "
                f"({facts.get('torch_threads')}). chainrule {facts.get('chainrule')}, malloc "
                f"tuned: {facts.get('malloc_tuned')}.")
    notes = store.get("notes")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    lines += ["", END]
    return "\n".join(lines)


def _acc(r: dict) -> str:
    return (f"{100 * r['accuracy_mean']:.2f}% [{100 * r['accuracy_min']:.2f}–"
            f"{100 * r['accuracy_max']:.2f}]")


def load_store() -> dict:
    if STORE.exists():
        return json.loads(STORE.read_text(encoding="utf-8"))
    return {"models": {}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per model (default 3)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5)")
    parser.add_argument("--models", nargs="+", default=["lenet", "mlp"],
                        choices=["lenet", "mlp"])
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the RESULTS.md section from bench_train.json")
    parser.add_argument("--no-write", action="store_true", help="print only; store nothing")
    parser.add_argument("--compile", nargs="?", const="threads",
                        choices=["threads", "processes", "auto", "off"],
                        help="chainrule trains with this --compile (default: chainrule train's "
                             "own, auto; each is stored as its own row)")
    args = parser.parse_args(argv)

    from benchmarks import harness

    store = load_store()
    if args.render:
        harness.write_section("bench_train", render(store))
        print(f"wrote the training section of {RESULTS}")
        return 0

    from chainrule.training.runs.data import load_data
    from chainrule.training.runs.options import DEFAULTS

    facts = harness.machine_facts()
    start = time.perf_counter()
    data = load_data({**DEFAULTS, "dataset": "fashion-mnist"}, explicit_dataset=True)
    print(f"Fashion-MNIST from {data.where}; load average {facts['load']}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench_train-") as tmp:
        for model in args.models:
            name = model + SUFFIXES[args.compile]
            model_start = time.perf_counter()
            results[name] = run_model(model, args.seeds, args.epochs, data, Path(tmp),
                                      log=lambda m: print(m, flush=True),
                                      jit=args.compile or "auto")
            r = results[name]
            r["facts"] = {**{k: v for k, v in facts.items() if k != "environment"},
                          "load_after": harness.load_average(),
                          "duration_min": round((time.perf_counter() - model_start) / 60, 1)}
            print(f"{name}: chainrule {100 * r['chainrule']['accuracy_mean']:.2f}%, torch "
                  f"{100 * r['torch']['accuracy_mean']:.2f}%; epoch "
                  f"{r['chainrule']['epoch_time_median']:.1f}s vs "
                  f"{r['torch']['epoch_time_median']:.1f}s, ratio {r['time_ratio']:.2f}x",
                  flush=True)
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min")
    if args.no_write:
        return 0
    store.setdefault("models", {}).update(results)
    STORE.write_text(json.dumps(store, indent=1), encoding="utf-8")
    harness.write_section("bench_train", render(store))
    print(f"\nwrote {STORE.name} and the training section of {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
