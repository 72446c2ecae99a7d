"""A hyperparameter sweep: one run per combination, compared on validation data, and the
chosen run alone evaluated on the test set (``chainrule sweep``; see its help for the search).

Choosing among runs by their test accuracy would make that accuracy an optimistic estimate: the
runs are ranked on a validation split carved from the training data, and only after the choice
is the test set read, once, for the chosen run at its best epoch.
"""
from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

from .data import load_data
from .folder import (
    RunError,
    default_run_dir,
    history_of,
    now_iso,
    read_metrics,
    relative,
    write_json,
    write_text,
)
from .options import DEFAULTS, check_options, validate_names
from .run import Run

SWEPT = {"lr": float, "batch_size": int, "optimizer": str, "weight_decay": float,
         "dropout": float}
"""The options a sweep varies, and their types."""
SHORT = {"lr": "lr", "batch_size": "bs", "optimizer": "opt", "weight_decay": "wd",
         "dropout": "drop"}
VAL_SPLIT = 0.1
"""The fraction of the training data held out for validation when none is given."""
RESULTS_CSV = "results.csv"
COMPARISON = "comparison.png"
COLUMNS = ("rank", "trial", "lr", "batch_size", "optimizer", "weight_decay", "dropout",
           "best_val_accuracy", "best_epoch", "final_val_accuracy", "final_val_loss",
           "test_accuracy", "time_s", "status", "run")


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


def sweep(base: dict, space: dict[str, list], trials_n: int | None = None, out=None, *,
          explicit_dataset: bool = True, verbose: bool = False, log=print) -> dict:
    """Train one run per combination of ``space`` (the grid, or ``trials_n`` random draws) with
    the options ``base``; rank them on validation accuracy; evaluate the chosen run alone on the
    test set. Returns ``{"dir", "results", "validation"}``.

    The validation data is carved from the training data (``val_split``, default
    :data:`VAL_SPLIT`): a sweep refuses ``val_split`` 0, which would validate, and so choose, on
    the test set."""
    if base.get("val_split") is None:
        base = {**base, "val_split": VAL_SPLIT}
    elif not base["val_split"] > 0:
        raise RunError(f"a sweep compares its runs on validation data carved from the training "
                       f"data, so --val-split must be > 0 (default {VAL_SPLIT}), not "
                       f"{base['val_split']!r}: validating on the test set would choose on it")
    base = {**DEFAULTS, **base}
    unknown = sorted(set(space) - set(SWEPT))
    if unknown:
        raise RunError(f"a sweep varies {', '.join(SWEPT)}, not {', '.join(unknown)}")
    space = {key: list(dict.fromkeys(space.get(key) or [base[key]])) for key in SWEPT}
    combos = trials(space, trials_n, int(base["seed"]))
    varying = [k for k in SWEPT if len({_fmt(t[k]) for t in combos}) > 1]
    for combo in combos:                          # every name and range checked before any run
        config = {**base, **combo}
        check_options(config)
        validate_names(config)
    out = Path(out) if out is not None else _sweep_dir(base)
    if (out / "sweep.json").exists():
        raise RunError(f"{out} already holds a sweep; choose another --out")
    data = load_data(base, explicit_dataset=explicit_dataset, log=log)
    base["dataset"] = data.name
    out.mkdir(parents=True, exist_ok=True)
    spec = {"base": base, "space": space, "trials": trials_n, "combinations": combos,
            "validation": data.validation, "created": now_iso()}
    write_json(out / "sweep.json", spec)
    kind = f"random search, {len(combos)} trials" if trials_n else f"grid of {len(combos)} runs"
    log(f"Sweep over {', '.join(varying) or 'one configuration'} ({kind}): {base['model']} on "
        f"{data.name}, {base['epochs']} epochs each → {relative(out)}")
    log(f"Runs are compared on validation data: {data.validation}; the test set is read once, "
        "for the chosen run.")

    results, curves = [], {}
    for i, combo in enumerate(combos, 1):
        label = _label(combo, varying)
        name = f"trial-{i:02d}"
        log(f"\n[{i}/{len(combos)}] {label}")
        start = time.perf_counter()
        row = {"trial": i, **combo, "status": "ok", "run": name}
        try:
            run = Run.new({**base, **combo}, out / name, data=data, log=log if verbose else _mute,
                          progress=1 if verbose else 0)
            history = run.train()["history"]
        except FloatingPointError as e:           # NonFiniteLossError: the loss turned NaN
            log(f"  the loss became {getattr(e, 'loss', 'NaN')} at step "
                f"{getattr(e, 'step', '?')}: this run stops here")
            row["status"] = "nan"
            history = history_of(read_metrics(out / name))
        row["time_s"] = round(time.perf_counter() - start, 1)
        val = history.get("val_accuracy") or []
        if val:
            best = max(range(len(val)), key=lambda e: val[e])
            row.update(best_val_accuracy=val[best], best_epoch=best + 1,
                       final_val_accuracy=val[-1],
                       final_val_loss=(history.get("val_loss") or [None])[-1])
            log(f"  best validation accuracy {100 * val[best]:.2f}% (epoch {best + 1})")
        results.append(row)
        curves[label] = history

    results.sort(key=lambda r: -(r.get("best_val_accuracy") or -1.0))
    for rank, row in enumerate(results, 1):
        row["rank"] = rank
    chosen = next((r for r in results if r.get("best_val_accuracy") is not None), None)
    if chosen is not None:
        _test_chosen(out / chosen["run"], chosen, data, log)
    _write_csv(out / RESULTS_CSV, results)
    log("")
    log(format_table(results))
    from .. import report

    if report.plots_available():
        report.plot_sweep(curves, out / COMPARISON,
                          title=f"{base['model']} on {data.name}: validation curves")
    written = [RESULTS_CSV, "sweep.json"] + ([COMPARISON] if (out / COMPARISON).is_file() else [])
    log(f"\nSweep folder {relative(out)}: {', '.join(written)}, and one run folder per trial")
    return {"dir": str(out), "results": results, "validation": data.validation}


def _test_chosen(run_dir: Path, row: dict, data, log) -> None:
    """The one look at the test set: the run chosen on validation accuracy, at its best epoch
    (its best checkpoint), evaluated and reported; the other trials never read test labels."""
    run = Run.open(run_dir, "best", data=data, log=_mute)
    metrics = run.report()
    row["test_accuracy"] = metrics["test_accuracy"]
    log(f"\nChosen on validation accuracy ({data.validation}; the test set was not read "
        f"before): {row['run']}, epoch {run.checkpoint.get('epoch')}. Its test "
        f"accuracy: {100 * metrics['test_accuracy']:.2f}% (the only test evaluation of the "
        "sweep)")


def _mute(message: str) -> None:
    """A trial's own messages when the sweep is not verbose."""


def _sweep_dir(base: dict) -> Path:
    folder = default_run_dir(base["model"], base["dataset"])
    return folder.with_name("sweep-" + folder.name)


def _write_csv(path: Path, results: list[dict]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in results:
        writer.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
    write_text(path, buffer.getvalue())


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
