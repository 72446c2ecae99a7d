"""Looking up the mathematics of the primitives: ``chainrule.formula`` and the formula table."""
from __future__ import annotations

from .autograd import registry
from .mathematics import Formula

ALIASES = {"sub": "subtract", "mul": "multiply", "div": "divide", "neg": "negative",
           "pow": "power", "unsqueeze": "expand_dims", "permute": "transpose", "cat": "concatenate",
           "clamp": "clip", "expand": "broadcast_to", "amax": "max", "amin": "min",
           "index": "getitem", "swish": "silu"}


def primitives() -> dict[str, type]:
    """Every registered primitive, name → class."""
    return registry.all_primitives()


def formula(name_or_op) -> Formula:
    """The mathematics of a primitive, given its name, its class or its function.

    >>> print(formula("tanh"))
    tanh
      Forward     y = tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ)
      Derivative  ∂y/∂x = 1 − tanh²x = 1 − y²
      ...
    """
    if isinstance(name_or_op, str):
        name = ALIASES.get(name_or_op, name_or_op)
        return registry.get(name).formula()
    if isinstance(name_or_op, type) and hasattr(name_or_op, "formula"):
        return name_or_op.formula()
    if hasattr(name_or_op, "formula") and callable(name_or_op.formula):
        return name_or_op.formula()
    name = getattr(name_or_op, "__name__", None)
    if name is not None:
        return formula(name)
    raise TypeError(f"formula: expected a primitive's name, class or function, got "
                    f"{type(name_or_op).__name__}")


def formula_table() -> str:
    """A Markdown table of every primitive: forward, derivative and one sentence (generated)."""
    lines = ["| primitive | forward | derivative | why |", "|---|---|---|---|"]
    for name, cls in primitives().items():
        f = cls.formula()
        derivative = f.equations[-1] if len(f.equations) > 2 else f.derivative
        cells = (f"`{name}`", f"${f.forward.latex}$", f"${derivative.latex}$", f.explanation)
        lines.append("| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |")
    return "\n".join(lines)
