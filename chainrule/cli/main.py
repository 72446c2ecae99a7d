"""Entry point of the ``chainrule`` command."""
from __future__ import annotations

import argparse
import sys

from . import demo, evaluate, explain, formulas, info, playground, predict, sweep, train

SUBCOMMANDS = (train, evaluate, predict, sweep, info, demo, formulas, explain, playground)


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
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
