"""``chainrule attack RUN``: clean and robust accuracy of a trained run under FGSM or PGD.

    chainrule attack runs/lenet-fashion-mnist-20250101-120000 --method pgd --eps 0.1
    chainrule attack RUN --method fgsm --eps 0.05 --n 1000
    chainrule attack RUN --method pgd --eps 0.1 --steps 40 --alpha 0.01 --no-random-start

The attack works in pixel units: the test images scaled to [0, 1], with the run's normalisation
inside the attacked model, so ε = 0.1 means a change of at most 0.1 (about 25 of 255 grey
levels) in each pixel (L∞; ``--norm 2`` for an L2 ball). PGD takes ``--steps`` steps of size
``--alpha`` (default 2.5·ε/steps) from a random start (seeded by ``--seed``). Prints the clean and
the robust accuracy on the test set (or its first N images) and writes examples — original,
perturbation ×10, adversarial image, both predictions — to attack-<method>-eps<ε>.png in the
run folder (or ``--out``). The mathematics: ``chainrule.adversarial.pgd.formula()``.
"""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("attack", help="clean and robust accuracy of a run under FGSM/PGD, and "
                                      "a PNG of adversarial examples",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by `chainrule train`")
    p.add_argument("--method", choices=("pgd", "fgsm"), default="pgd",
                   help="the attack (default pgd)")
    p.add_argument("--eps", type=float, default=0.1,
                   help="the perturbation budget ε in pixel units of [0, 1] (default 0.1)")
    p.add_argument("--alpha", type=float, default=None,
                   help="PGD's step size (default 2.5·ε/steps)")
    p.add_argument("--steps", type=int, default=40, help="PGD's number of steps (default 40)")
    p.add_argument("--norm", choices=("inf", "2"), default="inf",
                   help="PGD's ball: L∞ (default) or L2")
    p.add_argument("--random-start", action=argparse.BooleanOptionalAction, default=True,
                   help="PGD starts at a random point of the ball (default: yes)")
    p.add_argument("--seed", type=int, default=0, help="seed of PGD's random start")
    p.add_argument("--n", type=int, default=None, metavar="N",
                   help="attack the first N test images only (default: all)")
    p.add_argument("--examples", type=int, default=6, metavar="K",
                   help="adversarial examples drawn in the PNG (default 6; 0: no PNG)")
    p.add_argument("--checkpoint", default="last", metavar="last|best|FILE",
                   help="which checkpoint to attack (default last)")
    p.add_argument("--out", default=None, metavar="PNG", help="where to write the examples")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..adversarial.runs import attack_run

    try:
        result = attack_run(args.run_dir, args.method, args.eps, args.alpha, args.steps, args.n,
                            args.checkpoint, args.random_start, args.norm, args.seed,
                            args.examples, path=args.out)
    except (ValueError, TypeError, FileNotFoundError, ImportError, RuntimeError) as e:
        print(f"chainrule attack: {e}", file=sys.stderr)
        return 2
    print(f"{result['model']} on {result['dataset']}, {result['samples']} test images, "
          f"{result['attack']}")
    print(f"clean accuracy  {100 * result['clean_accuracy']:.2f}%")
    print(f"robust accuracy {100 * result['robust_accuracy']:.2f}%   "
          f"({result['fooled']} correctly classified images fooled)")
    if result["examples_png"]:
        print(f"examples: {result['examples_png']}")
    return 0
