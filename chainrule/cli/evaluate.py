"""``chainrule evaluate RUN``: a trained run's test accuracy, loss and per-class report.

    chainrule evaluate runs/lenet-fashion-mnist-20250101-120000
    chainrule evaluate RUN --checkpoint best      # the epoch with the best validation accuracy
    chainrule evaluate RUN --json                 # the numbers as JSON
    chainrule evaluate RUN --calibration          # + ECE, temperature scaling, reliability.png

The model is rebuilt from the run's config.json and loaded from its last checkpoint (or
``--checkpoint best``, or a checkpoint file); the test set is the run's dataset's, prepared as in
training. Prints accuracy and loss, precision/recall/F1/support per class, and the confusion
matrix (rows: true class, columns: predicted). ``--calibration`` adds the test set's expected
calibration error and NLL, before and after temperature scaling fitted on the run's validation
split (a run trained with --val-split; otherwise it says why not), and writes the reliability
diagram(s) reliability.png (and reliability_calibrated.png) into the run folder
(chainrule.calibration.runs).
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="test accuracy, loss and per-class report of a run",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by `chainrule train`")
    p.add_argument("--checkpoint", default="last", metavar="last|best|FILE",
                   help="which checkpoint to evaluate (default last)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="evaluate on the first N test samples only (default: the run's own "
                        "--limit, else all)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--calibration", action="store_true",
                   help="add the ECE and NLL before/after temperature scaling and write the "
                        "reliability diagram into the run folder")
    p.add_argument("--bins", type=int, default=15, metavar="B",
                   help="equal-width confidence bins of --calibration's ECE (default 15)")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        results = evaluate_run(args.run_dir, args.checkpoint, args.limit,
                               calibration=args.calibration, n_bins=args.bins)
    except (ValueError, TypeError, FileNotFoundError, ImportError,
            RuntimeError) as e:
        print(f"chainrule evaluate: {e}", file=sys.stderr)
        return 2
    if args.json:
        shown = {k: v for k, v in results.items() if k != "report"}
        print(json.dumps(shown, indent=2))
        return 0
    print(f"{results['model']} on {results['dataset']} ({results['checkpoint']} checkpoint, "
          f"epoch {results['epoch']}), {results['test_samples']} test images")
    print(f"test accuracy {100 * results['test_accuracy']:.2f}%   test loss "
          f"{results['test_loss']:.4f}")
    print()
    print(results["report"])
    print()
    print("confusion matrix (rows: true class, columns: predicted class)")
    from ..training.report import confusion_text

    print(confusion_text(results["confusion_matrix"], results["classes"]))
    if "calibration" in results:
        from ..calibration.runs import calibration_text

        print()
        print(calibration_text(results["calibration"]))
    return 0


def evaluate_run(run_dir, checkpoint: str = "last", limit: int | None = None,
                 calibration: bool = False, n_bins: int = 15) -> dict:
    """Evaluate a run folder's model on its test set; returns the numbers and the text report
    (with ``calibration``, also ``"calibration"``: chainrule.calibration.runs.calibrate_run's)."""
    from ..training import Run
    from ..training.report import classification_report

    run = Run.open(run_dir, checkpoint)
    if limit is not None:
        if limit < 1:
            raise ValueError(f"--limit must be ≥ 1, got {limit}")
        run.config = {**run.config, "limit": limit}
    result = run.evaluate()
    config = run.config
    text, summary = classification_report(result["confusion_matrix"], config["classes"])
    extra = {}
    if calibration:
        from ..calibration.runs import calibrate_run

        extra["calibration"] = calibrate_run(run, result, n_bins)
    return {"model": config["model"], "dataset": config["dataset"], "checkpoint": checkpoint,
            "epoch": run.checkpoint.get("epoch"), "test_samples": int(len(run.data.y_test)),
            "test_accuracy": result["accuracy"], "test_loss": result["loss"],
            "classes": list(config["classes"]), **{k: summary[k] for k in
                                                   ("per_class", "macro", "weighted")},
            "confusion_matrix": result["confusion_matrix"].tolist(), "report": text, **extra}
