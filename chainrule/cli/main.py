"""Entry point of the ``chainrule`` command."""
from __future__ import annotations

import argparse
import os
import sys

from . import (
    attack,
    demo,
    evaluate,
    explain,
    explain_prediction,
    finetune,
    formulas,
    info,
    learn,
    playground,
    predict,
    sweep,
    train,
)

SUBCOMMANDS = (train, finetune, evaluate, predict, sweep, info, demo, formulas, explain, playground,
               attack, explain_prediction, learn)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Deep learning from the mathematics up: NumPy, its own autodiff, and the "
                    "formula of every operation beside its code.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return f"chainrule {__version__}"


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit:            # --help, --version, a usage error: argparse has printed
            sys.stdout.flush()
            raise
        if args.command is None:
            parser.print_help()
            code = 0
        else:
            code = int(args.run(args) or 0)
        sys.stdout.flush()            # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """The reader of our output went away (``chainrule explain resnet18 | head``): stop quietly,
    as shell tools do, with 128 + SIGPIPE. Standard output is pointed at the null device so that
    the interpreter's final flush of what is still buffered cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # no real file behind sys.stdout (a test)
        pass
    return 128 + 13


if __name__ == "__main__":
    sys.exit(main())
