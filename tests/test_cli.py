"""The ``chainrule`` command (help, demo, formulas) and the Formula objects it prints."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule as cr
from chainrule.cli import main as cli_main
from chainrule.cli.demo import fit_sine
from chainrule.cli.formulas import render

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def _script() -> str:
    """The installed console script: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).with_name("chainrule")
    if beside.exists():
        return str(beside)
    found = shutil.which("chainrule")
    if found is None:
        pytest.skip("the chainrule console script is not installed")
    return found


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrule.cli.main", *args], capture_output=True,
                          text=True, encoding="utf-8", env=ENV, timeout=120)


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_script(), *args], capture_output=True, text=True, encoding="utf-8",
                          env=ENV, timeout=120)


# ---------------------------------------------------------------------- help and version
@pytest.mark.parametrize("runner", [run_module, run_script], ids=["python -m", "script"])
def test_help_lists_the_subcommands(runner):
    result = runner("--help")
    assert result.returncode == 0, result.stderr
    assert "usage: chainrule" in result.stdout
    assert "demo" in result.stdout and "formulas" in result.stdout


def test_no_command_prints_help(capsys):
    assert cli_main.main([]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "formulas" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli_main.main(["--version"])
    assert info.value.code == 0
    assert f"chainrule {cr.__version__}" in capsys.readouterr().out


def test_unknown_subcommand_fails():
    result = run_module("no-such-command")
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


# ---------------------------------------------------------------------- demo
def _losses(stdout: str) -> list[float]:
    return [float(v) for v in re.findall(r"^step\s+\d+\s+loss\s+([0-9.eE+-]+)$", stdout, re.M)]


def test_demo_prints_a_falling_loss_and_a_formula():
    result = run_script("demo", "--steps", "200")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    losses = _losses(out)
    assert len(losses) >= 3, out
    assert losses[-1] < losses[0]
    fell = re.search(r"loss fell from ([0-9.]+) to ([0-9.]+)", out)
    assert fell, out
    assert float(fell.group(2)) < float(fell.group(1))
    assert "step   200" in out
    assert "tanh" in out and "Forward" in out and "Derivative" in out
    assert "1 − tanh²x" in out


def test_demo_via_python_m_with_options():
    result = run_module("demo", "--steps", "20", "--lr", "0.05", "--hidden", "8", "--seed", "3")
    assert result.returncode == 0, result.stderr
    losses = _losses(result.stdout)
    assert losses[-1] < losses[0]


def test_fit_sine_loss_falls_and_is_reproducible():
    first = fit_sine(steps=100, log=None)
    second = fit_sine(steps=100, log=None)
    assert len(first) == 101
    assert first == second
    assert first[-1] < 0.5 * first[0]


# ---------------------------------------------------------------------- formulas
def test_formulas_relu_prints_forward_and_derivative():
    result = run_script("formulas", "relu")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("relu")
    assert re.search(r"Forward\s+y = max\(0, x\)", out)
    assert re.search(r"Derivative\s+∂y/∂x = 1\[x > 0\]", out)


def test_formulas_in_process(capsys):
    assert cli_main.main(["formulas", "relu", "tanh"]) == 0
    out = capsys.readouterr().out
    assert str(cr.formula("relu")) in out and str(cr.formula("tanh")) in out


@pytest.mark.parametrize("fmt,marker", [("latex", r"\begin{aligned}"), ("markdown", "**relu**")])
def test_formulas_formats(fmt, marker, capsys):
    assert cli_main.main(["formulas", "relu", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert marker in out
    assert r"\max(0, x)" in out


def test_formulas_without_names_prints_every_primitive():
    text = render()
    for name in cr.primitives():
        assert re.search(rf"^{re.escape(name)}$", text, re.M), name


def test_formulas_unknown_name_fails_in_words():
    # a typo on the command line deserves a one-line error, not a Python traceback
    result = run_module("formulas", "no_such_primitive")
    assert result.returncode != 0
    assert "no_such_primitive" in result.stderr
    assert "tanh" in result.stderr            # the known names are listed
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------- Formula objects
def test_formula_renders_text_latex_markdown_and_jupyter():
    f = cr.formula("sigmoid")
    assert isinstance(f, cr.Formula)
    text = str(f)
    assert text.splitlines()[0] == "sigmoid"
    assert "Forward" in text and "Derivative" in text
    assert f.forward.text in text and f.derivative.text in text
    latex = f.to_latex()
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    assert f.forward.latex in latex and f.derivative.latex in latex
    assert r"\text{Forward}" in latex
    md = f.to_markdown()
    assert md.startswith("**sigmoid**")
    assert f"- Forward: ${f.forward.latex}$" in md
    assert f"- Derivative: ${f.derivative.latex}$" in md
    assert f._repr_latex_() == "$$" + latex + "$$"
    assert f._repr_markdown_() == md
    assert "sigmoid" in repr(f)


def test_formula_lookup_by_name_alias_class_and_function():
    f = cr.formula("multiply")
    assert cr.formula("mul") == f
    assert cr.formula(cr.primitives()["multiply"]) == f
    assert cr.formula(cr.multiply) == f
    assert cr.formula(cr.tanh) == cr.formula("tanh")
    assert f["derivative"] is f.derivative
    assert f["Forward"] is f.forward
    with pytest.raises(KeyError, match="no equation labelled"):
        f["Numerics"]
    with pytest.raises(TypeError):
        cr.formula(42)


def test_formula_of_builds_equations_in_order():
    f = cr.Formula.of("square", [("Forward", "y = x²"), ("Derivative", "∂y/∂x = 2x")],
                      ["y = x^2", r"\frac{\partial y}{\partial x} = 2x"], "Squares grow.",
                      notes=["even"])
    assert [e.label for e in f.equations] == ["Forward", "Derivative"]
    assert str(f) == ("square\n  Forward     y = x²\n  Derivative  ∂y/∂x = 2x\n"
                      "  Squares grow.\n  note: even")
    assert f.to_markdown().endswith("- note: even")
    with pytest.raises(ValueError, match="2 equations but 1 LaTeX"):
        cr.Formula.of("bad", [("Forward", "a"), ("Derivative", "b")], ["a"])


def test_every_primitive_has_a_complete_formula():
    for name, cls in cr.primitives().items():
        f = cls.formula()
        assert f.name == name
        assert len(f.equations) >= 2
        assert f.forward.label == "Forward" and f.derivative.label == "Derivative"
        for eq in f.equations:
            assert eq.text.strip() and eq.latex.strip()
        assert f.explanation.strip()
