"""Lessons for the terminal and for Jupyter.

A lesson is a jupytext percent-format file: Markdown cells (``# %% [markdown]``, each line
commented) with LaTeX between dollars, and code cells. :func:`terminal` renders it as plain
text with the formulas in Unicode (``\\frac{\\partial L}{\\partial W}`` → ``∂L/∂W``,
``\\sigma(z)`` → ``σ(z)``, ``W_{1}`` → ``W₁``), reusing the symbol tables of
:mod:`chainrule.explain.notation`; :func:`notebook` converts it with jupytext.
"""
from __future__ import annotations

import re
import shutil
import textwrap
import unicodedata
from pathlib import Path

from ..explain.notation import GREEK, subscript

_FROM_TEX = {tex: char for char, tex in GREEK.items()}
_FROM_TEX.update({r"\epsilon": "ε", r"\varepsilon": "ε", r"\varphi": "φ", r"\phi": "ϕ"})
_SYMBOLS = {
    r"\partial": "∂", r"\nabla": "∇", r"\cdot": "·", r"\times": "×", r"\odot": "⊙",
    r"\otimes": "⊗", r"\in": "∈", r"\le": "≤", r"\leq": "≤", r"\ge": "≥", r"\geq": "≥",
    r"\ne": "≠", r"\neq": "≠", r"\approx": "≈", r"\to": "→", r"\rightarrow": "→",
    r"\mapsto": "↦", r"\leftarrow": "←", r"\gets": "←", r"\Leftarrow": "⇐",
    r"\leftrightarrow": "↔", r"\Leftrightarrow": "⇔", r"\Rightarrow": "⇒", r"\infty": "∞",
    r"\sum": "Σ", r"\prod": "Π",
    r"\ldots": "…", r"\dots": "…", r"\cdots": "⋯", r"\top": "ᵀ", r"\pm": "±", r"\mid": "|",
    r"\lVert": "‖", r"\rVert": "‖", r"\|": "‖", r"\lvert": "|", r"\rvert": "|", r"\circ": "∘",
    r"\log": "log", r"\exp": "exp", r"\tanh": "tanh", r"\max": "max", r"\min": "min",
    r"\sin": "sin", r"\cos": "cos", r"\quad": "   ", r"\qquad": "     ", r"\,": " ",
    r"\;": " ", r"\!": "", r"\ ": " ", r"\{": "{", r"\}": "}", r"\equiv": "≡", r"\sim": "∼",
    r"\propto": "∝", r"\forall": "∀", r"\ell": "ℓ", r"\prime": "′", r"\colon": ":",
}
_FUNCTION_NAMES = {"log", "exp", "tanh", "sin", "cos", "max", "min", "ln", "sinh", "cosh",
                   "det", "arg"}
# operators that keep the spaces written around them (TeX spaces them by itself)
_SPACED = {r"\in", r"\le", r"\leq", r"\ge", r"\geq", r"\ne", r"\neq", r"\approx", r"\to",
           r"\rightarrow", r"\leftarrow", r"\gets", r"\mapsto", r"\Rightarrow", r"\odot",
           r"\times", r"\cdot",
           r"\equiv", r"\sim", r"\propto", r"\otimes", r"\pm", r"\circ", r"\mid"}
_SUPER = dict(zip("0123456789+-−=()abcdefghijklmnoprstuvwxyzT",
                  "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ"))
_ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "dot": "\u0307",
            "vec": "\u20d7"}
_FONTS = {"mathbb": dict(zip("RNZQCE", "ℝℕℤℚℂ𝔼")), "mathcal": dict(zip("LNDO", "ℒ𝒩𝒟𝒪"))}


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at s[i]: a {…} group (its inside) or one character / command."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", s[i:])
        if m:
            return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def _wrap(text: str) -> str:
    """Parenthesised unless it is one term without spaces or operators (for a/b)."""
    return text if re.fullmatch(r"[^\s+\-−/·×]+", text) else f"({text})"


def _script(text: str, table) -> str | None:
    if all(c in table for c in text):
        return "".join(table[c] for c in text)
    return None


def latex_to_unicode(tex: str) -> str:
    """A LaTeX formula as plain Unicode text, as a person would write it by hand."""
    out, i = [], 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name = m.group(0)
            i += len(name)
            word = name[1:]
            if word in _FUNCTION_NAMES and re.match(r" *[\w\\]", tex[i:]):
                out.append(word + " ")           # log x, tanh z: a space before the argument
                i += len(tex[i:]) - len(tex[i:].lstrip(" "))
                continue
            follows = re.match(r" +(\\[A-Za-z]+|\w)", tex[i:])
            if word.isalpha() and follows and name not in _SPACED and \
                    follows.group(1) not in _SPACED:
                i += 1                      # TeX ignores the space after a control word
            if word in ("frac", "dfrac", "tfrac"):
                num, i = _group(tex, i)
                den, i = _group(tex, i)
                num, den = latex_to_unicode(num), latex_to_unicode(den)
                out.append(f"{num}/{den}" if num.startswith("∂") else
                           f"{_wrap(num)}/{_wrap(den)}")
            elif word == "sqrt":
                arg, i = _group(tex, i)
                arg = latex_to_unicode(arg)
                out.append("√" + _wrap(arg))
            elif word in _ACCENTS:
                arg, i = _group(tex, i)
                arg = latex_to_unicode(arg)
                out.append(arg + _ACCENTS[word] if len(arg) == 1 else arg)
            elif word in _FONTS:
                arg, i = _group(tex, i)
                out.append("".join(_FONTS[word].get(ch, ch) for ch in arg))
            elif word in ("mathbf", "mathrm", "text", "textrm", "operatorname", "boldsymbol",
                          "mathit", "textbf", "mathsf", "textit"):
                arg, i = _group(tex, i)
                out.append(latex_to_unicode(arg) if word not in ("text", "textrm") else arg)
            elif word in ("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr",
                          "Bigl", "Bigr", "displaystyle", "textstyle", "limits"):
                if word in ("left", "right") and tex[i:i + 1] == ".":
                    i += 1
            elif word == "operatorname*":
                pass
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name in _FROM_TEX:
                out.append(_FROM_TEX[name])
            elif word == "begin" or word == "end":
                _, i = _group(tex, i)
            elif name == "\\\\":
                out.append("; ")
            else:
                out.append(word)
        elif c in "_^":
            arg, i = _group(tex, i + 1)
            text = latex_to_unicode(arg)
            if c == "_":
                out.append(subscript(text))
            else:
                sup = _script(text, _SUPER) if text != "ᵀ" else "ᵀ"
                out.append(sup if sup is not None else
                           "^" + (text if len(text) == 1 else "{" + text + "}"))
        elif c in "{}":
            i += 1
        elif c == "&":
            i += 1
        else:
            out.append(c)
            i += 1
    text = unicodedata.normalize("NFC", "".join(out))      # y + ̂  → ŷ where one exists
    return re.sub(r"[ \t]{2,}(?=\S)", lambda m: m.group(0) if len(m.group(0)) >= 3 else " ",
                  text)


def math_in_text(markdown: str) -> str:
    """Every $…$ and $$…$$ of a Markdown text in Unicode ($$ blocks on lines of their own)."""
    markdown = re.sub(r"\$\$(.+?)\$\$",
                      lambda m: "\n\n    " + _math(re.sub(r"\s+", " ", m.group(1).strip()))
                      + "\n\n", markdown, flags=re.S)
    # inline formulas: their spaces are non-breaking, so that wrapping never splits one
    return re.sub(r"(?<![\\$])\$([^$]+?)\$",
                  lambda m: _math(re.sub(r"\s+", " ", m.group(1))).replace(" ", NBSP),
                  markdown)


NBSP = "\u00a0"


def _math(tex: str) -> str:
    """A formula in Unicode, with a true minus sign and prime."""
    text = latex_to_unicode(tex)
    return re.sub(r"(?<![A-Za-z])-|-(?![A-Za-z])", "−", text).replace("'", "′")


def cells(source: str) -> list[tuple[str, str]]:
    """The cells of a percent-format file: [('markdown' | 'code', text)]."""
    found, kind, lines = [], None, []
    for line in source.splitlines():
        m = re.match(r"^# %%(.*)$", line)
        if m:
            if kind is not None:
                found.append((kind, "\n".join(lines).strip("\n")))
            kind = "markdown" if "[markdown]" in m.group(1) else "code"
            lines = []
            continue
        if kind == "markdown":
            line = line[2:] if line.startswith("# ") else line.lstrip("#")
        if kind is not None:
            lines.append(line)
    if kind is not None:
        found.append((kind, "\n".join(lines).strip("\n")))
    return [(k, t) for k, t in found if t.strip()]


def _markdown_block(text: str, width: int) -> list[str]:
    text = math_in_text(text)
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        if not para.strip():
            continue
        first = para.lstrip()
        heading = re.match(r"^(#{1,4})\s+(.*)", first)
        if heading:
            title = re.sub(r"[*`]", "", heading.group(2)).strip()
            rule = "═" if len(heading.group(1)) == 1 else "─"
            out += ["", title, rule * min(len(title), width)]
            continue
        if first.startswith("|"):
            out += [""] + _table(para)
            continue
        if para.startswith("    ") and "\n" not in para.strip("\n"):
            out += ["", para.rstrip()]                    # a display formula, kept as is
            continue
        if re.match(r"^\s*([-*]|\d+\.)\s", first):         # a list: one item per line
            out.append("")
            for item in re.split(r"\n(?=\s*(?:[-*]|\d+\.)\s)", para):
                item = re.sub(r"[ \t\n]+", " ", item.strip())
                m = re.match(r"^([-*]|\d+\.)\s+(.*)", item)
                bullet = "•" if m.group(1) in "-*" else m.group(1)
                out += textwrap.wrap(_inline(m.group(2)), width,
                                     initial_indent=f"  {bullet} ",
                                     subsequent_indent=" " * (len(bullet) + 3))
            continue
        if para.lstrip().startswith("```"):
            body = [ln for ln in para.strip().splitlines() if not ln.startswith("```")]
            out += [""] + ["    " + ln for ln in body]
            continue
        out.append("")
        out += textwrap.wrap(_inline(re.sub(r"[ \t\n]+", " ", para.strip())), width)
    return out


def _table(para: str) -> list[str]:
    rows = []
    for line in para.strip().splitlines():
        cols = [_inline(c.strip()) for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", c) for c in cols if c):
            continue
        rows.append(cols)
    widths = [max(len(r[k]) if k < len(r) else 0 for r in rows) for k in range(len(rows[0]))]
    out = []
    for j, r in enumerate(rows):
        out.append("  " + "   ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if j == 0:
            out.append("  " + "   ".join("─" * w for w in widths))
    return out


def _inline(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<!\w)\*(.+?)\*(?!\w)", r"\1", text)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)


def terminal(source: str, width: int | None = None) -> str:
    """A lesson (percent-format text) rendered for a terminal: Markdown as wrapped text with
    Unicode formulas, code cells indented behind a bar."""
    width = width or min(100, shutil.get_terminal_size((88, 24)).columns) - 2
    out: list[str] = []
    for kind, text in cells(source):
        if kind == "markdown":
            out += _markdown_block(text, width)
        else:
            out.append("")
            out += ["  │ " + ln for ln in text.splitlines()]
    return "\n".join(out).strip("\n").replace(NBSP, " ") + "\n"


def notebook(path: Path, target: Path) -> Path:
    """Convert the lesson at ``path`` to a notebook at ``target`` with jupytext."""
    try:
        import jupytext
    except ImportError:
        raise ImportError("writing a notebook needs jupytext: pip install jupytext") from None
    nb = jupytext.read(str(path), fmt="py:percent")
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    jupytext.write(nb, str(target), fmt="ipynb")
    return target
