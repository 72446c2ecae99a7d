"""``chainrule train``: train an image classifier and write a run folder with its report.

    chainrule train                               # LeNet-5 on Fashion-MNIST, Adam 1e-3, 5 epochs
    chainrule train --model mlp --epochs 10 --lr 3e-4 --dropout 0.2
    chainrule train --dataset digits --epochs 20  # scikit-learn's 8×8 digits: no files needed
    chainrule train --limit 2000 --epochs 1       # a quick run on the first 2000 samples
    chainrule train --resume runs/lenet-fashion-mnist-20250101-120000

Plain ``chainrule train`` trains LeNet-5 on Fashion-MNIST (pixels ÷255, then normalised with the
training set's mean 0.2860 and standard deviation 0.3530; PyTorch's default initialisation),
validating on the test set after every epoch, with a live progress bar. When Fashion-MNIST is
not on the machine it says so and trains on scikit-learn's 8×8 digits instead (``apt-get install
dataset-fashion-mnist`` gets the real thing).

The run folder (``--out``, by default ``runs/<model>-<dataset>-<date>-<time>``) holds
config.json, metrics.csv and metrics.json (one row per epoch), checkpoints/last.safetensors and
checkpoints/best.safetensors, test_metrics.json, and the plots curves.png, confusion_matrix.png
and misclassified.png. ``--resume RUN`` continues from the last checkpoint (the end of the last
finished epoch) to the configured epochs, and reaches exactly the parameters an uninterrupted
run reaches. A loss that turns NaN stops training with the step and the layer where it began;
the checkpoints already written are untouched.
"""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import _runs

# dest → (flags, type, help); every default is None so that what the user gave can be told apart
OPTIONS = {
    "model": (("--model",), str, "model name (default lenet; see `chainrule info` or the error "
                                 "for the list: mlp, lenet, small-vgg, resnet18, …)"),
    "dataset": (("--dataset",), str, "fashion-mnist (default), mnist, digits or cifar10"),
    "epochs": (("--epochs",), int, "epochs to train (default 5)"),
    "optimizer": (("--optimizer",), str, "adam (default), adamw, sgd, rmsprop, adagrad, "
                                         "adadelta, nadam"),
    "lr": (("--lr",), float, "learning rate (default 1e-3)"),
    "batch_size": (("--batch-size",), int, "samples per batch (default 128)"),
    "weight_decay": (("--weight-decay",), float, "weight decay (default 0)"),
    "dropout": (("--dropout",), float, "dropout rate of the model's dense layers (default: the "
                                       "model's own, 0 for lenet and mlp)"),
    "seed": (("--seed",), int, "seed of the initialisation, shuffling and dropout (default 0)"),
    "loss": (("--loss",), str, "loss name (default cross_entropy)"),
    "limit": (("--limit",), int, "train on the first N training samples (and evaluate on the "
                                 "first N test samples): for quick runs and tests"),
    "val_split": (("--val-split",), float, "hold out this fraction of the training samples "
                                           "(the last ones) for validation; default 0: validate "
                                           "on the test set"),
    "data_dir": (("--data-dir",), str, "read the dataset's files from this folder only (default: "
                                       "$CHAINRULE_DATA, ~/.cache/chainrule, then Debian's "
                                       "/usr/share/datasets)"),
    "download": (("--download",), None, "download the dataset from its official source (SHA-256 "
                                        "checked) into ~/.cache/chainrule when it is not found"),
}


def _metavar(dest: str) -> str:
    if dest in ("model", "dataset", "optimizer", "loss"):
        return "NAME"
    return "DIR" if dest == "data_dir" else dest.upper()


def add_option(parser, dest: str, many: bool = False) -> None:
    """Add the option ``dest`` of OPTIONS to ``parser`` (``many``: one or more values)."""
    flags, kind, text = OPTIONS[dest]
    if kind is None:
        parser.add_argument(*flags, dest=dest, action="store_const", const=True, default=None,
                            help=text)
    elif many:
        parser.add_argument(*flags, dest=dest, type=kind, nargs="+", default=None,
                            metavar=_metavar(dest), help=f"one or more values: {text}")
    else:
        parser.add_argument(*flags, dest=dest, type=kind, default=None, help=text,
                            metavar=_metavar(dest))


def add_options(parser) -> None:
    for dest in OPTIONS:
        add_option(parser, dest)


def register(sub) -> None:
    p = sub.add_parser("train", help="train an image classifier; write a run folder with metrics, "
                                     "checkpoints and plots",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    p.add_argument("--out", metavar="RUN", help="the run folder to write (default runs/<model>-"
                                                "<dataset>-<date>-<time>)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in this folder from its "
                                                   "last checkpoint (only --epochs may change)")
    p.add_argument("--verbose", action="store_true",
                   help="also print the model, the data's location and the full config; show "
                        "tracebacks on errors")
    p.set_defaults(run=run)


# ----------------------------------------------------------------------------------- command
def run(args) -> int:
    from ..training.nan_guard import NonFiniteLossError

    try:
        if args.resume:
            given = [OPTIONS[d][0][0] for d in OPTIONS if d != "epochs"
                     and getattr(args, d, None) is not None]
            if args.out:
                given.append("--out")
            if given:
                raise _runs.RunError(f"--resume continues a run with its own config; "
                                     f"{', '.join(given)} cannot be given with it (only --epochs, "
                                     "to train to a new number of epochs)")
            resume_run(args.resume, epochs=args.epochs, verbose=args.verbose)
        else:
            config = config_from_args(args)
            new_run(config, args.out, explicit_dataset=args.dataset is not None,
                    verbose=args.verbose)
    except NonFiniteLossError as e:
        print(f"chainrule train: {e}", file=sys.stderr)
        print(getattr(e, "run_note", ""), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        run_dir = getattr(run, "current", None)
        hint = f" Resume with: chainrule train --resume {run_dir}" if run_dir else ""
        print(f"\nchainrule train: interrupted; the checkpoint of the last finished epoch is "
              f"intact.{hint}", file=sys.stderr)
        return 130
    except (_runs.RunError, ValueError, TypeError, FileNotFoundError, ImportError,
            RuntimeError) as e:
        if args.verbose:
            traceback.print_exc()
        print(f"chainrule train: {e}", file=sys.stderr)
        return 2
    return 0


def config_from_args(args) -> dict:
    config = dict(_runs.DEFAULTS)
    for dest in OPTIONS:
        value = getattr(args, dest, None)
        if value is not None:
            config[dest] = value
    return config


def new_run(config: dict, out=None, explicit_dataset: bool = True, verbose: bool = False,
            data=None, progress=1, log=print, test: bool = True) -> dict:
    """Start a run from ``config`` (the options; see ``_runs.DEFAULTS``) in folder ``out``."""
    _runs.check_options(config)
    _runs.validate_names(config)
    if out is not None:
        _check_new_folder(Path(out))
    if data is None:
        data = _runs.load_data(config, explicit_dataset, log)
    _runs.model_setup(config, data)
    run_dir = Path(out) if out is not None else _runs.default_run_dir(config["model"],
                                                                      config["dataset"])
    from .. import __version__

    config["created"] = _runs.now_iso()
    config["chainrule_version"] = __version__
    return train_run(config, run_dir, data=data, verbose=verbose, progress=progress, log=log,
                     test=test)


def _check_new_folder(path: Path) -> None:
    if (path / _runs.CONFIG).exists():
        raise _runs.RunError(f"{path} already holds a run; continue it with `chainrule train "
                             f"--resume {path}`, or choose another --out")
    if path.exists() and not path.is_dir():
        raise _runs.RunError(f"--out {path} is a file, not a folder")


def resume_run(run_dir, epochs: int | None = None, verbose: bool = False, progress=1,
               log=print) -> dict:
    """Continue the run in ``run_dir`` from its last checkpoint, to ``epochs`` if given."""
    from ..training.checkpoint import CheckpointError, read_checkpoint

    run_dir = Path(run_dir)
    config = _runs.read_config(run_dir)
    last = _runs.checkpoint_path(run_dir, "last")
    resume = last.is_file()
    if resume:
        try:
            doc, _ = read_checkpoint(last)
        except CheckpointError as e:
            best = _runs.checkpoint_path(run_dir, "best")
            hint = (f"; {_runs.relative(best)} may be intact: copy it over the damaged file to "
                    "resume from the best epoch instead" if best.is_file() else "")
            raise _runs.RunError(f"cannot resume: the last checkpoint is damaged: {e}{hint}"
                                 ) from None
        log(f"Resuming {_runs.relative(run_dir)} from the end of epoch {doc.get('epoch')} "
            f"(step {doc.get('step')})")
    else:
        log(f"{_runs.relative(run_dir)} has no checkpoint yet (stopped during its first epoch): "
            "starting it again from the beginning")
    if epochs is not None:
        if epochs < 1:
            raise ValueError(f"--epochs must be an integer ≥ 1, got {epochs}")
        config["epochs"] = epochs
        _runs.write_json(run_dir / _runs.CONFIG, config)
    data = _runs.load_data(config, explicit_dataset=True, log=log)
    if list(data.image_shape) != list(config["image_shape"]):
        raise _runs.RunError(f"the {config['dataset']} images are now {data.image_shape}, but "
                             f"the run was trained on {tuple(config['image_shape'])}")
    return train_run(config, run_dir, resume=resume, data=data, verbose=verbose,
                     progress=progress, log=log)


# ----------------------------------------------------------------------------------- training
def train_run(config: dict, run_dir, *, resume: bool = False, data=None, verbose: bool = False,
              progress=1, log=print, test: bool = True) -> dict:
    """Train the run described by ``config`` in ``run_dir`` and write its reports.

    With ``resume``, the model, optimizer, RNG and data order come from the last checkpoint and
    training continues from its epoch. ``test=False`` (a sweep's trials) trains without reading
    the test set: no test metrics, no report. Returns ``{"run_dir", "test_accuracy", "test_loss",
    "history", …}``. Raises NonFiniteLossError (with ``run_note`` saying which checkpoint is
    intact) when the loss turns NaN.
    """
    import chainrule as cr

    from ..models import num_parameters
    from ..training import ModelCheckpoint
    from ..training.checkpoint import CheckpointError, load_checkpoint, read_checkpoint
    from ..training.nan_guard import NonFiniteLossError

    run_dir = Path(run_dir)
    run.current = run_dir
    if data is None:
        data = _runs.load_data(config, explicit_dataset=True, log=log)
    cr.manual_seed(int(config["seed"]))
    model = _runs.build_model(config)
    _runs.compile_model(model, config)
    train_loader = _runs.loader(config, data.x_train, data.y_train, train=True)
    val_loader = _runs.loader(config, data.x_val, data.y_val)
    last = _runs.checkpoint_path(run_dir, "last")
    best = _runs.checkpoint_path(run_dir, "best")
    rows: list[dict] = []
    initial_epoch = 0
    best_value = None
    if resume:
        doc = load_checkpoint(last, model, model.optimizer, data_loader=train_loader)
        initial_epoch = int(doc.get("epoch") or 0)
        rows = [r for r in _runs.read_metrics(run_dir) if r.get("epoch", 0) <= initial_epoch]
        if best.is_file():
            try:
                best_value = read_checkpoint(best)[0].get("monitor", {}).get("best")
            except CheckpointError as e:
                log(f"warning: {e}; it will be replaced by the next best epoch")
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        _runs.write_json(run_dir / _runs.CONFIG, config)

    epochs = int(config["epochs"])
    opt = type(model.optimizer).__name__
    log(f"Training {config['model']} ({num_parameters(model):,} parameters) on {data.name}: "
        f"{len(data.y_train)} training and {len(data.y_test)} test images, validation on "
        f"{data.validation}.")
    log(f"{opt} lr={config['lr']:g}, weight decay {config['weight_decay']:g}, batch size "
        f"{config['batch_size']}, {epochs} epoch{'s' if epochs != 1 else ''}, seed "
        f"{config['seed']} → "
        f"{_runs.relative(run_dir)}")
    if verbose:
        import json

        log(f"data: {data.where or data.name}")
        log(repr(model))
        log(json.dumps(config, indent=2))
    # best before last: a kill between the two writes then leaves last one epoch behind, and
    # resuming redoes that epoch exactly (and finds best already holding it). In the other
    # order, a kill there would leave best on an older epoch for good.
    callbacks = [
        _runs.make_run_logger(run_dir, rows),
        ModelCheckpoint(best, monitor="val_accuracy", save_best_only=True,
                        initial_value_threshold=best_value, metadata={"config": config}),
        ModelCheckpoint(last, metadata={"config": config}),
    ]
    if initial_epoch < epochs:
        try:
            model.fit(train_loader, epochs=epochs, initial_epoch=initial_epoch,
                      validation_data=val_loader, callbacks=callbacks, verbose=progress)
        except NonFiniteLossError as e:
            if last.is_file():
                epoch = read_checkpoint(last)[0].get("epoch")
                e.run_note = (f"The last good checkpoint, {_runs.relative(last)} (end of epoch "
                              f"{epoch}), is intact.")
            else:
                e.run_note = "No checkpoint had been written yet (the first epoch did not end)."
            raise
    else:
        log(f"The run already reached epoch {initial_epoch} of {epochs}: writing its reports.")

    doc = read_checkpoint(last)[0]
    if not test:        # a sweep's trial: the test set is not read until a run is chosen
        rows = _runs.read_metrics(run_dir)
        log(f"Trained {doc.get('epoch')} epochs; the test set was not read.")
        return {"run_dir": str(run_dir), "config": config, "test_accuracy": None,
                "test_loss": None, "history": _runs.history_of(rows), "rows": rows}
    result = _runs.evaluate_arrays(model, config, data.x_test, data.y_test)
    metrics = _runs.write_reports(run_dir, config, data, result, doc, "last", log)
    rows = _runs.read_metrics(run_dir)
    done = doc.get("epoch")
    log(f"Test accuracy {100 * metrics['test_accuracy']:.2f}%, test loss "
        f"{metrics['test_loss']:.4f} after {done} epoch{'s' if done != 1 else ''}.")
    written = [_runs.CONFIG, _runs.METRICS_CSV, _runs.METRICS_JSON, _runs.TEST_METRICS,
               f"{_runs.CHECKPOINTS}/last.safetensors"]
    if best.is_file():
        written.append(f"{_runs.CHECKPOINTS}/best.safetensors")
    written += [name for name in _runs.PLOTS.values() if (run_dir / name).is_file()]
    log(f"Run folder {_runs.relative(run_dir)}: {', '.join(written)}")
    return {"run_dir": str(run_dir), "config": config, "test_accuracy": metrics["test_accuracy"],
            "test_loss": metrics["test_loss"], "history": _runs.history_of(rows), "rows": rows}


run.current = None
