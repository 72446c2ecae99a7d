"""``chainrule sweep``: train several runs over a grid (or a random search) of hyperparameters.

    chainrule sweep --lr 1e-4 3e-4 1e-3 3e-3                    # 4 runs, LeNet on Fashion-MNIST
    chainrule sweep --lr 1e-3 3e-3 --batch-size 64 128 --epochs 3   # a 2×2 grid
    chainrule sweep --lr 1e-4 1e-2 --weight-decay 0 1e-4 --dropout 0 0.3 --trials 6   # random

Each of --lr, --batch-size, --optimizer, --weight-decay and --dropout takes one or more values;
the other options (--model, --dataset, --epochs, --seed, --limit, …) are as in ``chainrule
train`` and shared by every run. Without --trials the runs are the whole grid (every
combination). With ``--trials N``, N random combinations: for --lr and --weight-decay given as
two or more positive values, a value drawn log-uniformly between the smallest and the largest;
for everything else one of the values given, uniformly (the draws are seeded by --seed).

The sweep folder (``--out``, by default ``runs/sweep-<model>-<dataset>-<date>-<time>``) holds one
run folder per trial (each a complete ``chainrule train`` run), sweep.json (the search),
results.csv (one row per run, sorted by best validation accuracy) and comparison.png (the
validation accuracy and loss curves of all runs). The runs are compared on a validation split
carved from the training data; the test set is read once, after the choice, for the chosen run
only (at its best epoch) — choosing on test accuracy would make it an optimistic estimate.
Every run starts from the same initial weights (the same --seed), so the curves differ only by
the hyperparameters. A run whose loss turns NaN is recorded as such and the sweep goes on.
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

from . import _runs
from .train import OPTIONS, add_option

SWEPT = {"lr": float, "batch_size": int, "optimizer": str, "weight_decay": float,
         "dropout": float}
SHORT = {"lr": "lr", "batch_size": "bs", "optimizer": "opt", "weight_decay": "wd",
         "dropout": "drop"}
RESULTS_CSV = "results.csv"
COMPARISON = "comparison.png"
COLUMNS = ("rank", "trial", "lr", "batch_size", "optimizer", "weight_decay", "dropout",
           "best_val_accuracy", "best_epoch", "final_val_accuracy", "final_val_loss",
           "test_accuracy", "time_s", "status", "run")


def register(sub) -> None:
    p = sub.add_parser("sweep", help="train runs over a grid or random search of "
                                     "hyperparameters; a results table and comparison plot",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for dest in OPTIONS:
        add_option(p, dest, many=dest in SWEPT)
    p.add_argument("--trials", type=int, default=None, metavar="N",
                   help="random search: N random combinations instead of the whole grid")
    p.add_argument("--out", metavar="FOLDER", help="the sweep folder (default runs/sweep-<model>-"
                                                   "<dataset>-<date>-<time>)")
    p.add_argument("--verbose", action="store_true", help="print every run's full output")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        sweep(args)
    except KeyboardInterrupt:
        print("\nchainrule sweep: interrupted", file=sys.stderr)
        return 130
    except (_runs.RunError, ValueError, TypeError, FileNotFoundError, ImportError) as e:
        print(f"chainrule sweep: {e}", file=sys.stderr)
        return 2
    return 0


# ----------------------------------------------------------------------------------- the search
def trials(space: dict[str, list], n: int | None, seed: int) -> list[dict]:
    """The hyperparameter combinations: the grid of ``space``, or ``n`` random draws."""
    keys = list(space)
    if n is None:
        return [dict(zip(keys, values)) for values in itertools.product(*space.values())]
    if n < 1:
        raise ValueError(f"--trials must be ≥ 1, got {n}")
    import numpy

    rng = numpy.random.default_rng(seed)
    out = []
    for _ in range(n):
        trial = {}
        for key, values in space.items():
            positive = len(values) > 1 and all(isinstance(v, float) and v > 0 for v in values)
            if key in ("lr", "weight_decay") and positive:
                lo, hi = math.log(min(values)), math.log(max(values))
                trial[key] = float(f"{math.exp(rng.uniform(lo, hi)):.3g}")
            else:
                trial[key] = values[int(rng.integers(len(values)))]
        out.append(trial)
    return out


def _label(trial: dict, varying: list[str]) -> str:
    keys = varying or ["lr"]
    return " ".join(f"{SHORT[k]}={_fmt(trial[k])}" for k in keys)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def sweep(args) -> dict:
    """Run the sweep that ``args`` describes; returns ``{"dir", "results"}``."""
    base = dict(_runs.DEFAULTS)
    for dest in OPTIONS:
        value = getattr(args, dest, None)
        if value is not None and dest not in SWEPT:
            base[dest] = value
    space = {}
    for key in SWEPT:
        given = getattr(args, key, None)
        space[key] = list(dict.fromkeys(given)) if given else [base[key]]
    combos = trials(space, args.trials, int(base["seed"]))
    varying = [k for k in SWEPT if len({_fmt(t[k]) for t in combos}) > 1]
    for combo in combos:                          # every name and range checked before any run
        config = {**base, **combo}
        _runs.check_options(config)
        _runs.validate_names(config)
    out = Path(args.out) if args.out else _sweep_dir(base)
    if (out / "sweep.json").exists():
        raise _runs.RunError(f"{out} already holds a sweep; choose another --out")
    data = _runs.load_data(base, explicit_dataset=args.dataset is not None)
    base["dataset"] = data.name
    out.mkdir(parents=True, exist_ok=True)
    spec = {"base": base, "space": space, "trials": args.trials, "combinations": combos,
            "created": _runs.now_iso()}
    _runs.write_json(out / "sweep.json", spec)
    kind = f"random search, {len(combos)} trials" if args.trials else \
        f"grid of {len(combos)} runs"
    print(f"Sweep over {', '.join(varying) or 'one configuration'} ({kind}): {base['model']} on "
          f"{data.name}, {base['epochs']} epochs each → {_runs.relative(out)}")

    results, curves = [], {}
    for i, combo in enumerate(combos, 1):
        label = _label(combo, varying)
        name = f"trial-{i:02d}"
        print(f"\n[{i}/{len(combos)}] {label}", flush=True)
        config = {**base, **combo}
        start = time.perf_counter()
        row = {"trial": i, **combo, "status": "ok", "run": name}
        log = print if args.verbose else _quiet
        try:
            from .train import new_run

            summary = new_run(config, out / name, explicit_dataset=True, verbose=args.verbose,
                              data=data, log=log, test=False)
            history = summary["history"]
        except FloatingPointError as e:           # NonFiniteLossError: the loss turned NaN
            print(f"  the loss became {getattr(e, 'loss', 'NaN')} at step "
                  f"{getattr(e, 'step', '?')}: this run stops here", flush=True)
            row["status"] = "nan"
            history = _runs.history_of(_runs.read_metrics(out / name))
        row["time_s"] = round(time.perf_counter() - start, 1)
        val = history.get("val_accuracy") or []
        if val:
            best = max(range(len(val)), key=lambda e: val[e])
            row.update(best_val_accuracy=val[best], best_epoch=best + 1,
                       final_val_accuracy=val[-1],
                       final_val_loss=(history.get("val_loss") or [None])[-1])
            print(f"  best validation accuracy {100 * val[best]:.2f}% (epoch {best + 1})",
                  flush=True)
        results.append(row)
        curves[label] = history

    results.sort(key=lambda r: -(r.get("best_val_accuracy") or -1.0))
    for rank, row in enumerate(results, 1):
        row["rank"] = rank
    chosen = next((r for r in results if r.get("best_val_accuracy") is not None), None)
    if chosen is not None:
        _test_chosen(out / chosen["run"], chosen, data)
    _write_csv(out / RESULTS_CSV, results)
    print()
    print(format_table(results))
    from ..training import report

    if report.plots_available():
        report.plot_sweep(curves, out / COMPARISON,
                          title=f"{base['model']} on {data.name}: validation curves")
    written = [RESULTS_CSV, "sweep.json"] + ([COMPARISON] if (out / COMPARISON).is_file() else [])
    print(f"\nSweep folder {_runs.relative(out)}: {', '.join(written)}, and one run folder per "
          "trial")
    return {"dir": str(out), "results": results}


def _test_chosen(run_dir: Path, row: dict, data) -> None:
    """The one look at the test set: the run chosen on validation accuracy, at its best epoch
    (its best checkpoint), evaluated and reported; the other trials never read test labels."""
    config, model, doc = _runs.restore(run_dir, "best")
    result = _runs.evaluate_arrays(model, config, data.x_test, data.y_test)
    metrics = _runs.write_reports(run_dir, config, data, result, doc, "best", _quiet)
    row["test_accuracy"] = metrics["test_accuracy"]
    print(f"\nChosen on validation accuracy ({data.validation}; the test set was not read "
          f"before): {row['run']}, epoch {doc.get('epoch')}. Its test "
          f"accuracy: {100 * metrics['test_accuracy']:.2f}% (the only test evaluation of the "
          "sweep)", flush=True)


def _quiet(message: str) -> None:
    """Trial output when not --verbose: only the lines that matter (the test accuracy)."""
    if message.startswith("Test accuracy"):
        print("  " + message, flush=True)


def _sweep_dir(base: dict) -> Path:
    folder = _runs.default_run_dir(base["model"], base["dataset"])
    return folder.with_name("sweep-" + folder.name)


def _write_csv(path: Path, results: list[dict]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in results:
        writer.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
    _runs.write_text(path, buffer.getvalue())


def format_table(results: list[dict]) -> str:
    """The results as a text table, in the order given (best first)."""
    head = ("rank", "lr", "batch", "optimizer", "w.decay", "dropout", "best val acc", "epoch",
            "final val acc", "test acc", "time", "run")
    rows = []
    for r in results:
        def pct(key, r=r):
            return "—" if r.get(key) is None else f"{100 * r[key]:.2f}%"

        rows.append((str(r["rank"]), _fmt(r["lr"]), str(r["batch_size"]), str(r["optimizer"]),
                     _fmt(r["weight_decay"]), "—" if r["dropout"] is None else _fmt(r["dropout"]),
                     pct("best_val_accuracy") + (" (NaN)" if r["status"] == "nan" else ""),
                     str(r.get("best_epoch", "—")), pct("final_val_accuracy"),
                     pct("test_accuracy"), f"{r['time_s']:.0f}s", r["run"]))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
