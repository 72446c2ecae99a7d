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
carved from the training data (--val-split, default 0.1; 0 is refused); the test set is read
once, after the choice, for the chosen run only (at its best epoch) — choosing on test accuracy
would make it an optimistic estimate.
Every run starts from the same initial weights (the same --seed), so the curves differ only by
the hyperparameters. A run whose loss turns NaN is recorded as such and the sweep goes on.
"""
from __future__ import annotations

import argparse
import functools
import sys

from ..training.runs.search import SWEPT
from .train import OPTIONS, add_option


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
    """``chainrule sweep``: the options given → :func:`chainrule.training.sweep`."""
    from ..training import RunError, sweep

    base = {d: getattr(args, d) for d in OPTIONS
            if d not in SWEPT and getattr(args, d, None) is not None}
    space = {d: getattr(args, d) for d in SWEPT if getattr(args, d, None)}
    try:
        sweep(base, space, args.trials, args.out, explicit_dataset=args.dataset is not None,
              verbose=args.verbose, log=functools.partial(print, flush=True))
    except KeyboardInterrupt:
        print("\nchainrule sweep: interrupted", file=sys.stderr)
        return 130
    except (RunError, ValueError, TypeError, FileNotFoundError, ImportError) as e:
        print(f"chainrule sweep: {e}", file=sys.stderr)
        return 2
    return 0
