"""What a trained run is judged by: its test metrics, per-class report and plots."""
from __future__ import annotations

from pathlib import Path

from .data import loader
from .folder import PLOTS, TEST_METRICS, history_of, read_metrics, write_json


def softmax(logits):
    """Class probabilities of a batch of logits (rows), computed stably: exp(z − max z) / Σ."""
    import numpy

    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = numpy.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return probabilities


def evaluate_arrays(model, config: dict, x, y) -> dict:
    """Test loss, accuracy, logits, predictions, probabilities and confusion matrix of a
    model."""
    import numpy

    from ...tensor import Tensor
    from .. import metrics as M
    from ..registry import get_loss

    logits = model.predict(loader(config, x, y))
    loss_fn = getattr(model, "loss_fn", None) or get_loss(config["loss"])
    loss = float(loss_fn(Tensor._make(logits), Tensor._make(numpy.asarray(y)))._data)
    probabilities = softmax(logits)
    predicted = probabilities.argmax(axis=1)
    cm = M.confusion_matrix(y, predicted, num_classes=len(config["classes"]))
    return {"loss": loss, "accuracy": float((predicted == y).mean()), "predicted": predicted,
            "probabilities": probabilities, "confusion_matrix": cm, "logits": logits}


def write_reports(run_dir, config: dict, data, result: dict, doc: dict,
                  which: str = "last", log=print) -> dict:
    """test_metrics.json and the three PNG plots of a run (for a text run: curves and confusion
    matrix, and misclassified.md listing the misclassified reviews); returns the test
    metrics."""
    from .. import report

    run_dir = Path(run_dir)
    classes = list(config["classes"])
    text, summary = report.classification_report(result["confusion_matrix"], classes)
    metrics = {"checkpoint": which, "epoch": doc.get("epoch"), "test_loss": result["loss"],
               "test_accuracy": result["accuracy"], "test_samples": int(len(data.y_test)),
               **{k: summary[k] for k in ("per_class", "macro", "weighted")},
               "confusion_matrix": result["confusion_matrix"].tolist()}
    write_json(run_dir / TEST_METRICS, metrics)
    text_run = bool(config.get("text"))
    if text_run:                    # needs no matplotlib
        from .text import MISCLASSIFIED, write_misclassified

        write_misclassified(run_dir / MISCLASSIFIED, config, data.test_texts, data.y_test,
                            result["predicted"], result["probabilities"])
    if not report.plots_available():
        log("matplotlib is not installed, so no plots were drawn: pip install matplotlib")
        return metrics
    title = f"{config['model']} on {config['dataset']}"
    report.plot_history(history_of(read_metrics(run_dir)), run_dir / PLOTS["curves"],
                        title=f"{title}: training curves")
    report.plot_confusion_matrix(result["confusion_matrix"], classes,
                                 run_dir / PLOTS["confusion_matrix"],
                                 title=f"{title}: test confusion matrix "
                                       f"(accuracy {100 * result['accuracy']:.2f}%)")
    if text_run:
        return metrics
    predicted = result["predicted"]
    chosen = result["probabilities"][range(len(predicted)), predicted]
    report.plot_misclassified(data.x_test, data.y_test, predicted, classes,
                              run_dir / PLOTS["misclassified"], probabilities=chosen)
    return metrics


