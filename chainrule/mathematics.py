"""Mathematics as data: the :class:`Formula` that every primitive, layer, loss and optimizer
returns.

A Formula holds equations in two notations, plain Unicode for the terminal and LaTeX for documents,
plus a sentence of explanation. It renders as text (``str``), LaTeX (``to_latex``), Markdown
(``to_markdown``) and in Jupyter (``_repr_latex_``, ``_repr_markdown_``). Docs pages, ``explain()``
and lessons are generated from these objects, never written out a second time by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Equation:
    """One named equation, e.g. ("Forward", "σ(x) = 1/(1+e^{−x})",
                                 r"\\sigma(x)=\\frac{1}{1+e^{-x}}")."""

    label: str
    text: str
    latex: str


@dataclass(frozen=True)
class Formula:
    """The mathematics of one operation: its equations in order and why they hold."""

    name: str
    equations: tuple[Equation, ...]
    explanation: str = ""
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, name: str, pairs, latex, explanation: str = "", notes=()) -> "Formula":
        """Build from parallel sequences: ``pairs`` of (label, text) and ``latex`` strings."""
        if len(pairs) != len(latex):
            raise ValueError(f"Formula {name!r}: {len(pairs)} equations but {len(latex)} LaTeX "
                             f"forms")
        eqs = tuple(Equation(label, text, tex) for (label, text), tex in zip(pairs, latex))
        return cls(name, eqs, explanation, tuple(notes))

    def __getitem__(self, label: str) -> Equation:
        for eq in self.equations:
            if eq.label.lower() == label.lower():
                return eq
        raise KeyError(f"{self.name} has no equation labelled {label!r}; it has "
                       f"{[e.label for e in self.equations]}")

    @property
    def forward(self) -> Equation:
        return self.equations[0]

    @property
    def derivative(self) -> Equation:
        return self.equations[1]

    def __str__(self) -> str:
        width = max(len(e.label) for e in self.equations)
        lines = [self.name]
        lines += [f"  {e.label:<{width}}  {e.text}" for e in self.equations]
        if self.explanation:
            lines.append(f"  {self.explanation}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Formula({self.name!r}: {self.forward.text})"

    def to_latex(self) -> str:
        rows = [f"\\text{{{e.label}}} &\\quad {e.latex}" for e in self.equations]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def to_markdown(self) -> str:
        lines = [f"**{self.name}**", ""]
        lines += [f"- {e.label}: ${e.latex}$" for e in self.equations]
        if self.explanation:
            lines += ["", self.explanation]
        lines += [f"- note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()
