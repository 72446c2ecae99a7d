"""``chainrule playground``: draw the paths of optimizers on a 2-D loss surface (PNG).

    chainrule playground                  # SGD, momentum, RMSprop and Adam on Rosenbrock
    chainrule playground --function quadratic --condition 50 --angle 30
    chainrule playground --function himmelblau --optimizers sgd adam nadam --lr adam=0.05
    chainrule playground --list           # the functions and optimizers

Each optimizer starts from the same point; every gradient comes from chainrule's autodiff. The
left panel shows the paths over log-spaced contours (start: white circle, minima: gold stars, end
of each path: a square); the right panel the loss f(θ_t) − f* against the step t.
"""
from __future__ import annotations

import argparse

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
# The names of chainrule.optim.playground.FUNCTIONS and OPTIMIZERS, kept here so that building the
# parser does not import chainrule (``chainrule --help`` stays instant); a test keeps them in step.
FUNCTIONS = ("beale", "himmelblau", "quadratic", "rosenbrock")
OPTIMIZERS = ("adadelta", "adagrad", "adam", "adamw", "momentum", "nadam", "nesterov", "rmsprop",
              "sgd")


def register(sub) -> None:
    p = sub.add_parser("playground", help="draw optimizer paths over a 2-D function (PNG)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--function", "-f", default="rosenbrock", choices=sorted(FUNCTIONS),
                   help="the test function (default rosenbrock)")
    p.add_argument("--optimizers", "-O", nargs="+", default=list(DEFAULT_OPTIMIZERS),
                   choices=sorted(OPTIMIZERS), metavar="NAME",
                   help="optimizers to compare (default: sgd momentum rmsprop adam); choose from "
                        + ", ".join(sorted(OPTIMIZERS)))
    p.add_argument("--steps", type=int, default=None,
                   help="steps per optimizer (default: the function's, e.g. 500 for rosenbrock)")
    p.add_argument("--lr", nargs="+", default=[], metavar="NAME=LR",
                   help="learning rates, e.g. --lr sgd=1e-3 adam=0.05 (default: the function's "
                        "suggested rate for each optimizer); a bare number sets all of them")
    p.add_argument("--start", nargs=2, type=float, metavar=("X", "Y"),
                   help="start point (default: the function's)")
    p.add_argument("--condition", type=float, default=20.0,
                   help="condition number κ of the quadratic (default 20)")
    p.add_argument("--angle", type=float, default=0.0,
                   help="rotation of the quadratic's axes in degrees (default 0: axis-aligned)")
    p.add_argument("--output", "-o", default="optimizer_paths.png",
                   help="PNG to write (default optimizer_paths.png)")
    p.add_argument("--list", action="store_true", help="list the functions and optimizers")
    p.set_defaults(run=run)


def parse_lrs(items: list[str], names) -> dict:
    """``['sgd=1e-3', 'adam=0.1']`` → {'sgd': 0.001, 'adam': 0.1}; a bare number applies to all."""
    lrs = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                lrs.update({n: float(name) for n in names})
            else:
                lrs[name.strip()] = float(value)
        except ValueError as err:
            raise SystemExit(f"chainrule playground: cannot read learning rate {item!r}; write "
                             "NAME=NUMBER, e.g. adam=0.05") from err
    unknown = sorted(set(lrs) - set(names))
    if unknown:
        raise SystemExit(f"chainrule playground: --lr names {unknown} are not among the chosen "
                         f"optimizers {list(names)}")
    return lrs


def run(args) -> int:
    from ..optim import playground as pg

    if args.list:
        print("functions:")
        for name in sorted(pg.FUNCTIONS):
            f = pg.FUNCTIONS[name]
            print(f"  {name:<11} {f.formula}")
            print(f"  {'':<11} minima {list(f.minima)}, start {f.start}")
        print("optimizers:", ", ".join(f"{k} ({v[0]})" for k, v in pg.OPTIMIZERS.items()))
        return 0
    function = pg.get_function(args.function, args.condition, args.angle)
    lrs = parse_lrs(args.lr, args.optimizers)
    paths = pg.compare(function, args.optimizers, args.steps, lrs, args.start)
    for path in paths:
        x, y = path.final
        loss = path.losses[~(path.losses != path.losses)]       # without NaN (divergence)
        status = "diverged" if len(loss) < len(path.losses) else f"f = {loss[-1]:.3g}"
        print(f"{path.label:<34} ends at ({x: .4f}, {y: .4f}), {status}")
    pg.plot_paths(paths, function, args.output)
    print(f"wrote {args.output}")
    return 0
