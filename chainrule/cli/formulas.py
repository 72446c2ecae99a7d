"""``chainrule formulas``: the forward formula and derivative of every primitive."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("formulas", help="print the mathematics of every primitive",
                       description=__doc__)
    p.add_argument("names", nargs="*", help="only these primitives (default: all)")
    p.add_argument("--format", choices=("text", "latex", "markdown"), default="text")
    p.set_defaults(run=run)


def render(names=(), fmt: str = "text") -> str:
    import chainrule as cr

    chosen = names or list(cr.primitives())
    parts = []
    for name in chosen:
        f = cr.formula(name)
        parts.append({"text": str, "latex": type(f).to_latex,
                      "markdown": type(f).to_markdown}[fmt](f))
    return "\n\n".join(parts)


def run(args) -> int:
    print(render(args.names, args.format))
    return 0
