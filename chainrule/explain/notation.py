"""Notation: symbols in two notations at once, substitution into formulas, and LaTeX that
matplotlib's mathtext can draw.

``explain()`` writes no formula of its own: it takes the equations that layers, activations and
losses carry (their ``formula()``), renames their variables to the network's symbols (x → h₁,
W → W₂, G → δ₂) and composes them. This module holds the mechanics of that renaming, applied to
the Unicode text and to the LaTeX of the same equation, and two conventions, stated here once:

- **One sample.** The library's formulas are written for a batch (PyTorch's layout: a batch of
  row vectors X ∈ ℝ^{N×d}, sums Σₙ over its samples, 1/N in a mean over samples). For one sample,
  N = 1: Σₙ, the index n and the factor 1/N disappear (:func:`per_sample`).
- **Column vectors.** Textbooks write one sample as a column vector x, and a batch of rows is then
  X = xᵀ. Substituting X = xᵀ into ``Y = X Wᵀ + b`` and transposing gives ``y = W x + b``;
  ``∂L/∂X = G W`` gives ``∂L/∂x = Wᵀ δ`` (:func:`column_form`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# ------------------------------------------------------------------------------ characters
_SUBSCRIPTS = dict(zip("0123456789+-−=()aehijklmnoprstuvx",
                       "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
_FROM_SUBSCRIPT = {v: k for k, v in _SUBSCRIPTS.items() if k != "-"}

GREEK = {"α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon",
         "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "κ": r"\kappa", "λ": r"\lambda",
         "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma",
         "τ": r"\tau", "φ": r"\varphi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
         "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Σ": r"\Sigma",
         "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega", "ℓ": r"\ell"}

# Functions LaTeX knows by name; any other function name is set with \operatorname.
_TEX_FUNCTIONS = {"tanh", "exp", "log", "ln", "sin", "cos", "max", "min", "sinh", "cosh"}

# Letters that make a longer word (a symbol is a letter that stands alone).
_LETTER = "A-Za-zÀ-ÖØ-öø-ɏα-ωΑ-Ωϕℓ"


def subscript(s) -> str:
    """``s`` in Unicode subscript characters (``_{s}`` where one of them has none)."""
    s = str(s)
    if all(c in _SUBSCRIPTS for c in s):
        return "".join(_SUBSCRIPTS[c] for c in s)
    return "_" + s if len(s) == 1 else "_{" + s + "}"


_SUPERSCRIPTS = dict(zip("0123456789.", "⁰¹²³⁴⁵⁶⁷⁸⁹·"))


def superscript_path(path: str) -> str:
    """A module path of numbers as a superscript in parentheses: '0' → ⁽⁰⁾, '1.2' → ⁽¹·²⁾."""
    return "⁽" + "".join(_SUPERSCRIPTS.get(c, c) for c in path) + "⁾"


def simplify_indices(text: str) -> str:
    """Index expressions inside [ ] read as written by hand: ``2·h − 0 + i`` → ``2h + i``,
    ``1·h + 1·i`` → ``h + i`` (a layer's formula states stride, padding and dilation as
    numbers; filled in, the ones and zeros are noise)."""
    def tidy(m):
        s = re.sub(r" [−+] 0(?=[ ,\]])", "", m.group(0))                 # − 0, + 0
        s = re.sub(r"(?<![\w.·])1·(?=[A-Za-z])", "", s)                    # 1·h → h
        return re.sub(r"(?<![\w.·])(\d+)·([A-Za-z])(?![\w(])", r"\1\2", s)   # 2·h → 2h
    return re.sub(r"\[[^\[\]]*\]", tidy, text)


def simplify_indices_latex(latex: str) -> str:
    """:func:`simplify_indices` for the subscripts of LaTeX (``_{n,c,\\,2 h - 0 + i}``)."""
    def tidy(m):
        s = re.sub(r" [-+] 0(?=[ ,}])", "", m.group(0))
        s = re.sub(r"(?<=[ ,{])1 (?=[A-Za-z])", "", s)
        return re.sub(r"(?<=[ ,{])(\d+) ([A-Za-z])(?![\w])", r"\1\2", s)
    return re.sub(r"_\{[^{}]*\}", tidy, latex)


_ATOM = re.compile(rf"[{_LETTER}][\u0300-\u036f]?(?:[ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀-₉,]+|_\{{[^{{}}]*\}}|_\w)?"
                   r"[ᵀ′]*")


def atomic(text: str) -> bool:
    """True for a single symbol (W₁, h_T, δ₃ᵀ) or ∂L/∂ of one; False for products and sums."""
    text = text.strip()
    if text.startswith("∂L/∂"):
        text = text[4:]
    return _ATOM.fullmatch(text) is not None


def fmt_int(n: int) -> str:
    """12345 → '12,345'."""
    return f"{int(n):,}"


# ------------------------------------------------------------------------------ math pieces
@dataclass(frozen=True)
class M:
    """A piece of mathematics in both notations: Unicode ``text`` and ``latex``."""

    text: str
    latex: str

    def __add__(self, other: M | str) -> M:
        other = other if isinstance(other, M) else M(other, other)
        return M(self.text + other.text, self.latex + other.latex)

    def __radd__(self, other: str) -> M:
        return M(other + self.text, other + self.latex)

    @staticmethod
    def join(parts, sep: M | str) -> M:
        sep = sep if isinstance(sep, M) else M(sep, sep)
        parts = list(parts)
        if not parts:
            return M("", "")
        out = parts[0]
        for p in parts[1:]:
            out = out + sep + p
        return out

    def paren(self) -> M:
        return M(f"({self.text})", rf"\left({self.latex}\right)")

    def wrapped(self) -> M:
        """In parentheses unless it is a single symbol."""
        return self if atomic(self.text) else self.paren()


@dataclass(frozen=True)
class Sym(M):
    """A symbol: a base letter with an optional index (W₁ / W_{1}) and transpose mark."""

    base: str = ""
    base_latex: str = ""
    index: str | None = None

    @classmethod
    def of(cls, base: str, index=None, base_latex: str | None = None) -> Sym:
        tex = base_latex if base_latex is not None else GREEK.get(base, base)
        index = None if index is None else str(index)
        text = base + (subscript(index) if index is not None else "")
        latex = tex + (f"_{{{index}}}" if index is not None else "")
        if tex.startswith("\\") and tex[-1].isalpha() and index is None:
            latex = "{" + tex + "}"  # keep \delta x from becoming \deltax
        return cls(text, latex, base, tex, index)

    def indexed(self, extra: str) -> M:
        """This symbol with one more index, as in W₁ᵥ / W_{1,v}."""
        inner = ",".join(i for i in (self.index, extra) if i)
        text = self.base + (subscript(self.index) if self.index else "") + (
            ("," if self.index else "") + subscript(extra) if extra else "")
        if self.index and extra and not all(c in _SUBSCRIPTS for c in extra):
            text = self.base + "_{" + inner + "}"
        return M(text, f"{self.base_latex}_{{{inner}}}")


def T(m: M) -> M:
    """m transposed: mᵀ / m^{\\top}."""
    return M(m.text + "ᵀ", m.latex + r"^{\top}")


def function(name: str) -> M:
    """A function's name: σ → \\sigma, tanh → \\tanh, ReLU → \\operatorname{ReLU}."""
    if name in GREEK:
        return M(name, GREEK[name] + " ")
    if name in _TEX_FUNCTIONS:
        return M(name, "\\" + name)
    return M(name, r"\operatorname{" + name.replace("_", r"\_") + "}")


def apply(f: M, arg: M) -> M:
    """f(arg)."""
    return M(f"{f.text}({arg.text})", f"{f.latex.rstrip()}\\left({arg.latex}\\right)")


def space(shape) -> M:
    """ℝ^{256×784} / \\mathbb{R}^{256\\times 784} for a shape (ℝ for a scalar)."""
    shape = tuple(int(s) for s in shape)
    if not shape:
        return M("ℝ", r"\mathbb{R}")
    return M("ℝ^{" + "×".join(map(str, shape)) + "}",
             r"\mathbb{R}^{" + r"\times ".join(map(str, shape)) + "}")


def member(sym: M, shape) -> M:
    """sym ∈ ℝ^{…}."""
    return sym + M(" ∈ ", r" \in ") + space(shape)


def equation(lhs: M, rhs: M) -> M:
    return lhs + M(" = ", " = ") + rhs


def grad(of: M) -> M:
    """∂L/∂of."""
    return M(f"∂L/∂{of.text}", r"\frac{\partial L}{\partial " + of.latex + "}")


# ------------------------------------------------------------------------------ substitution
def substitute_text(expr: str, mapping: dict[str, M]) -> str:
    """Rename the stand-alone letters of a Unicode formula: ``mapping`` letter → symbol.

    A letter is a symbol when no other letter touches it (the x of ``max`` is not). A combining
    accent after the letter (x̃) stays on the new symbol's base letter; a subscript that follows
    (Gₙ, W_v) becomes a further index of the new symbol.
    """
    if not mapping:
        return expr
    letters = "".join(re.escape(k) for k in mapping)
    pattern = re.compile(rf"(?<![{_LETTER}])([{letters}])([\u0300-\u036f]?)(?![{_LETTER}])"
                         r"(_\{[^{}]*\}|_[A-Za-z0-9]|[ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀-₉]+)?")

    def repl(m):
        new = mapping[m.group(1)]
        accent, sub = m.group(2), m.group(3)
        extra = ""
        if sub:
            if sub.startswith("_{"):
                extra = substitute_text(sub[2:-1], mapping)
            elif sub.startswith("_"):
                extra = substitute_text(sub[1:], mapping)
            else:
                extra = "".join(_FROM_SUBSCRIPT.get(c, c) for c in sub)
        if isinstance(new, Sym):
            if accent:
                new = Sym(new.base + accent + (subscript(new.index) if new.index else ""),
                          new.latex, new.base + accent, new.base_latex, new.index)
            if extra:
                return new.indexed(extra).text
            return new.text
        follows = m.string[m.end():m.end() + 1]
        wrap = not atomic(new.text) or extra or follows == "["
        text = f"({new.text})" if wrap else new.text
        return text + accent + (subscript(extra) if extra else "")

    out = pattern.sub(repl, expr)
    if "x" in mapping:  # eˣ: a superscript x is the same variable
        out = out.replace("ˣ", "^{" + mapping["x"].text + "}")
    return out


_TEX_ACCENTS = r"\\(?:tilde|hat|bar|overline)\{"


def substitute_latex(expr: str, mapping: dict[str, M]) -> str:
    """Rename the stand-alone letters of a LaTeX formula (not letters of commands or words).

    A subscript that follows a renamed letter is merged into the new symbol's index
    (``b_o`` with b → b₁ gives ``b_{1,o}``), so no double subscripts arise.
    """
    if not mapping:
        return expr
    letters = "".join(re.escape(k) for k in mapping)
    pattern = re.compile(rf"(?<![\\A-Za-z])([{letters}])(?![A-Za-z])"
                         r"(\}?)(_\{(?:[^{}]|\{[^{}]*\})*\}|_[A-Za-z0-9])?")

    def repl(m):
        new = mapping[m.group(1)]
        close, sub = m.group(2), m.group(3)
        extra = ""
        if sub:
            extra = sub[2:-1] if sub.startswith("_{") else sub[1:]
            extra = substitute_latex(extra, mapping)
        start = m.start()
        accented = close == "}" and re.search(_TEX_ACCENTS + "$", expr[:start]) is not None
        if isinstance(new, Sym):
            if accented:  # \tilde{x}_{n} → \tilde{h}_{1,n}
                index = ",".join(i for i in (new.index, extra) if i)
                return new.base_latex + "}" + (f"_{{{index}}}" if index else "")
            if extra:
                return new.indexed(extra).latex + close
            return new.latex + close
        follows = m.string[m.end():m.end() + 1]
        wrap = not atomic(new.text) or extra or follows == "["
        body = rf"\left({new.latex}\right)" if wrap else new.latex
        return body + close + (f"_{{{extra}}}" if extra else "")

    return pattern.sub(repl, expr)


def substitute(eq: M, mapping: dict[str, M]) -> M:
    """Rename the letters of both notations of ``eq``."""
    return M(substitute_text(eq.text, mapping), substitute_latex(eq.latex, mapping))


def main_clause(text: str) -> str:
    """The formula without its comment: cut before a spaced '(note)' or ': words'."""
    text = re.split(r"\s{2,}\(", text, maxsplit=1)[0]
    text = re.split(r":\s+(?=[a-z]{3,}\b)", text, maxsplit=1)[0]
    text = re.split(r";\s+(?=[a-z]{3,}\b)", text, maxsplit=1)[0]
    return text.strip()


def split_equations(text: str) -> list[str]:
    """'a = b,  c = d' → ['a = b', 'c = d'] (equations listed with a comma and two spaces)."""
    return [p.strip() for p in re.split(r",\s{2,}|;\s{2,}", text) if p.strip()]


def split_equations_latex(latex: str) -> list[str]:
    return [p.strip() for p in re.split(r",\s*\\quad\s*|,\\;|,\\ ", latex) if p.strip()]


def rhs(text: str) -> str:
    """The right-hand side of the first '=' (the whole text where there is none)."""
    return text.split(" = ", 1)[1] if " = " in text else text


def lhs(text: str) -> str:
    return text.split(" = ", 1)[0] if " = " in text else ""


# ------------------------------------------------------------------------------ one sample
def uses_batch_index(text: str) -> bool:
    return "Σₙ" in text or "ₙ" in text


def per_sample(eq: M) -> M:
    """The formula for one sample: N = 1, so Σₙ, the sample index n and 1/N drop out."""
    text, latex = eq.text, eq.latex
    if not uses_batch_index(text):
        return eq
    text = re.sub(r"\(1/N\)\s*·?\s*", "", text)
    text = text.replace("Σₙ ", "").replace("Σₙ", "").replace("ₙ", "")
    text = re.sub(r"\)/N\b", ")", text)
    text = _strip_outer_parens_rhs(text)
    latex = re.sub(r"\\frac\{1\}\{N\}\s*(\\,)?", "", latex)
    latex = re.sub(r"\\sum_n\s*", "", latex)
    latex = re.sub(r"_\{n,?([^{}]*)\}", lambda m: f"_{{{m.group(1)}}}" if m.group(1) else "",
                   latex)
    latex = re.sub(r"_n(?![A-Za-z])", "", latex)
    latex = re.sub(r"\\[Bb]ig\(", "(", latex)
    latex = re.sub(r"\\[Bb]ig\)", ")", latex)
    left, sep, right = latex.partition(" = ")
    right = right.strip()
    if sep and right.startswith("(") and right.endswith(")") and _balanced(right[1:-1]):
        latex = f"{left} = {right[1:-1]}"
    return M(text, latex)


def _strip_outer_parens_rhs(text: str) -> str:
    left, sep, right = text.partition(" = ")
    if not sep:
        return text
    r = right.strip()
    if r.startswith("(") and r.endswith(")") and _balanced(r[1:-1]):
        r = r[1:-1]
    return f"{left} = {r}"


def top_level_sum(text: str) -> bool:
    """True when ``text`` has a + or − outside parentheses and brackets (a sum)."""
    depth = 0
    for i, c in enumerate(text):
        depth += (c in "([{") - (c in ")]}")
        if depth == 0 and c in "+−-" and i > 0:
            return True
    return False


def _balanced(s: str) -> bool:
    depth = 0
    for c in s:
        depth += (c == "(") - (c == ")")
        if depth < 0:
            return False
    return depth == 0


# ------------------------------------------------------------------------------ column vectors
@dataclass(frozen=True)
class _Factor:
    name: str        # the letter in the layer's formula (x, W, b, G)
    transposed: bool


_BATCH = {"x", "y", "G", "b"}   # rows of a batch in the layer's formula (b is added to each row)


def _parse_product(term: str) -> list[_Factor] | None:
    factors = []
    for token in term.split():
        if token == "Σₙ":
            continue                 # one sample: the sum over the batch has one term
        token = token.rstrip("ₙ")    # row n of a batch: the sample itself, a row like the batch
        transposed = token.endswith("ᵀ")
        token = token.rstrip("ᵀ")
        if not re.fullmatch(rf"[{_LETTER}]", token):
            return None
        factors.append(_Factor(token, transposed))
    return factors


def column_form(text: str, mapping: dict[str, M]) -> tuple[M, M] | None:
    """A batch formula of the form ``lhs = products`` rewritten for one column-vector sample.

    Each batch quantity X (rows: x, y, G, b) is xᵀ; when the left side is a batch quantity the
    whole equation is transposed, reversing each product and toggling its transposes. Returns
    (left side, right side) with the letters renamed by ``mapping``, or None if ``text`` is not
    a sum of products of single letters.
    """
    left, sep, right = text.partition(" = ")
    if not sep:
        return None
    m = re.fullmatch(rf"∂L/∂([{_LETTER}])", left.strip())
    target = m.group(1) if m else left.strip()
    if not re.fullmatch(rf"[{_LETTER}]", target):
        return None
    terms = []
    for term in right.split(" + "):
        factors = _parse_product(term)
        if factors is None:
            return None
        # X = xᵀ for every batch quantity
        factors = [_Factor(f.name, f.transposed != (f.name in _BATCH)) for f in factors]
        if target in _BATCH:
            factors = [_Factor(f.name, not f.transposed) for f in reversed(factors)]
        terms.append(factors)
    rendered = []
    for factors in terms:
        parts = []
        for f in factors:
            sym = mapping.get(f.name, M(f.name, f.name))
            parts.append(T(sym) if f.transposed else sym)
        rendered.append(M.join(parts, M("", " ")))
    out_rhs = M.join(rendered, " + ")
    target_sym = mapping.get(target, M(target, target))
    out_lhs = grad(target_sym) if m else target_sym
    return out_lhs, out_rhs


# ------------------------------------------------------------------------------ mathtext
def _cases(body: str) -> str:
    rows = [r.strip() for r in re.split(r"\\\\", body) if r.strip()]
    out = []
    for row in rows:
        value, _, cond = row.partition("&")
        value, cond = value.strip(), cond.strip()
        if not cond:
            out.append(value)
        elif cond.startswith(r"\text{"):
            out.append(rf"{value}\ \ ({cond[6:-1]})" if cond.endswith("}") else value)
        else:
            out.append(rf"{value}\ \ \mathrm{{if}}\ {cond}")
    return r"\left\{" + r",\quad ".join(out) + r"\right."


def mathtext(latex: str) -> str:
    """``latex`` rewritten in the subset of LaTeX that matplotlib's mathtext draws (and that is
    still LaTeX): cases and aligned become one line, sizing commands (\\big, \\textstyle) go,
    \\tfrac becomes \\frac, \\le becomes \\leq, \\mathrel{X} becomes X, \\lvert and \\rvert
    become |."""
    s = latex
    s = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", lambda m: _cases(m.group(1)), s,
               flags=re.S)
    if r"\begin{aligned}" in s:
        s = re.sub(r"\\(begin|end)\{aligned\}", "", s)
        s = re.sub(r"\s*\\\\\s*", r",\\quad ", s).replace("&", "")
    s = re.sub(r"\\(textstyle|displaystyle|scriptstyle|nolimits|limits)\b\s*", "", s)
    s = re.sub(r"\\(big|Big|bigg|Bigg)[lr]?(?=[\[\]()|.\\])", "", s)
    s = re.sub(r"\\tfrac\s*([0-9A-Za-z])\s*([0-9A-Za-z])", r"\\frac{\1}{\2}", s)
    s = s.replace(r"\tfrac", r"\frac")
    s = re.sub(r"\\mathrel\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\[lr]vert(?![A-Za-z])", "|", s)             # \lvert x \rvert → |x|
    s = re.sub(r"\\(le|ge|ne)(?![A-Za-z])", r"\\\1q", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"(,\\quad\s*)+$", "", s)
    return s
