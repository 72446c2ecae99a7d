"""Calibration of a trained run (``chainrule evaluate RUN --calibration``).

Measures the test-set ECE and NLL of a run's model as trained; when the run holds out a
validation split (``--val-split``), fits a :class:`TemperatureScaling` on the validation logits
and measures the test set again after it. Writes the reliability diagram(s) into the run folder.
A run trained without ``--val-split`` validates on its test set, and fitting T on the test set
would grade the calibration on the data it was fitted to, so it is not done (the result says
so).
"""
from __future__ import annotations

from pathlib import Path

from ._arrays import softmax
from .ece import expected_calibration_error
from .temperature import TemperatureScaling, negative_log_likelihood

DIAGRAM = "reliability.png"
DIAGRAM_CALIBRATED = "reliability_calibrated.png"


def calibrate_run(run, test_result: dict | None = None, n_bins: int = 15) -> dict:
    """The calibration of an opened :class:`~chainrule.training.Run` on its test set.

    ``test_result``: ``run.evaluate()``'s result if already computed (it holds the logits).
    Returns ``{"n_bins", "ece", "nll", "temperature", "ece_calibrated", "nll_calibrated",
    "validation", "note", "diagrams"}`` (the calibrated entries None when there is no validation
    split; ``diagrams``: the PNG paths written, empty without matplotlib).
    """
    from ..training import report

    result = test_result if test_result is not None else run.evaluate()
    logits, y = result["logits"], run.data.y_test
    probs = softmax(logits)
    out = {"n_bins": n_bins, "ece": expected_calibration_error(probs, y, n_bins),
           "nll": negative_log_likelihood(logits, y), "temperature": None,
           "ece_calibrated": None, "nll_calibrated": None, "validation": None, "note": "",
           "diagrams": []}
    title = f"{run.config['model']} on {run.config['dataset']}, test set"
    calibrated = None
    if run.config.get("val_split"):
        val = run.evaluate(run.data.x_val, run.data.y_val)
        scaler = TemperatureScaling().fit(val["logits"], run.data.y_val)
        calibrated = softmax(scaler.transform(logits))
        out.update(temperature=scaler.temperature, validation=run.data.validation,
                   ece_calibrated=expected_calibration_error(calibrated, y, n_bins),
                   nll_calibrated=negative_log_likelihood(logits, y, scaler.temperature))
    else:
        out["note"] = ("no temperature scaling: the run has no validation split (it was "
                       "trained without --val-split, so it validated on the test set), and a "
                       "temperature fitted on the test set would be graded on its own data")
    if not report.plots_available():
        out["note"] += ("; " if out["note"] else "") + ("matplotlib is not installed, so no "
                                                        "reliability diagram was drawn")
        return out
    from .diagram import reliability_diagram

    folder = Path(run.dir)
    out["diagrams"].append(reliability_diagram(probs, y, n_bins, folder / DIAGRAM,
                                               title=f"{title}, as trained (T = 1)"))
    if calibrated is not None:
        out["diagrams"].append(reliability_diagram(
            calibrated, y, n_bins, folder / DIAGRAM_CALIBRATED,
            title=f"{title}, temperature-scaled (T = {out['temperature']:.3f})"))
    return out


def calibration_text(cal: dict) -> str:
    """The calibration lines of ``chainrule evaluate --calibration``."""
    lines = [f"calibration on the test set ({cal['n_bins']} equal-width confidence bins):",
             f"  as trained:              ECE {100 * cal['ece']:.2f}%   NLL {cal['nll']:.4f}"]
    if cal["temperature"] is not None:
        lines.append(f"  temperature-scaled:      ECE {100 * cal['ece_calibrated']:.2f}%   NLL "
                     f"{cal['nll_calibrated']:.4f}   (T = {cal['temperature']:.4f}, fitted on "
                     f"{cal['validation']})")
    if cal["note"]:
        lines.append(f"  ({cal['note']})")
    if cal["diagrams"]:
        lines.append(f"  reliability diagram{'s' if len(cal['diagrams']) > 1 else ''}: "
                     + ", ".join(cal["diagrams"]))
    return "\n".join(lines)
