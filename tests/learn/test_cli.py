"""``chainrule learn`` driven as a learner drives it: as a command, in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.learn import exercises

ROOT = Path(__file__).resolve().parents[2]

RIGHT_AFFINE = "    return W @ x + b\n"
WRONG_AFFINE = "    return W.T @ x + b\n"        # the transposed weight matrix


def learn(*args, cwd, timeout=180):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("CHAINRULE_LEARN_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "chainrule", "learn", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def answer(path: Path, function: str, body: str) -> None:
    """Replace the `raise NotImplementedError` of ``function`` in the learner's file."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"def {function}(")
    end = text.index("    raise NotImplementedError\n", start)
    after = end + len("    raise NotImplementedError\n")
    if f"def {function}(" in text[:start]:
        raise AssertionError("defined twice")
    text = text[:end] + body + text[after:]
    path.write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_a_learner_lists_starts_fails_then_passes(tmp_path):
    code, out, _ = learn(cwd=tmp_path)
    assert code == 0
    assert "1.1" in out and "affine" in out and "chainrule learn start" in out

    code, out, _ = learn("start", cwd=tmp_path)
    ws = tmp_path / "chainrule-learn"
    assert code == 0 and (ws / "lesson_01.py").exists() and (ws / "progress.json").exists()
    assert not any("solution" in p.name for p in ws.iterdir())
    assert "return W @ x + b" not in (ws / "lesson_01.py").read_text()

    code, out, _ = learn("check", "1.1", cwd=tmp_path)
    assert code == 1 and "not written yet" in out

    answer(ws / "lesson_01.py", "affine", WRONG_AFFINE)
    code, out, _ = learn("check", "1.1", cwd=tmp_path)
    assert code == 1
    assert "expected" in out and "received" in out and "hint" in out and "transposed" in out

    text = (ws / "lesson_01.py").read_text().replace(WRONG_AFFINE, RIGHT_AFFINE)
    (ws / "lesson_01.py").write_text(text)
    code, out, _ = learn("check", "affine", cwd=tmp_path)       # by the function's name
    assert code == 0 and "✓ 1.1" in out and "1 of 1 passed" in out

    progress = json.loads((ws / "progress.json").read_text())["exercises"]
    assert progress["1.1"]["status"] == "passed" and progress["1.1"]["attempts"] == 2
    assert "passed_at" in progress["1.1"]

    code, out, _ = learn(cwd=tmp_path)
    assert code == 0
    total = len(exercises())
    assert "✓ 1.1" in out and "1 of 4 passed" in out and f"1 of {total} exercises passed" in out

    code, out, _ = learn("start", cwd=tmp_path)                  # never overwrites
    assert code == 0 and "kept" in out and RIGHT_AFFINE in (ws / "lesson_01.py").read_text()

    code, out, _ = learn("check", "1", "--dir", str(ws), cwd=ROOT)   # a whole lesson, --dir
    assert code == 1 and "1 of 4 passed" in out


def test_usage_errors_exit_2(tmp_path):
    code, _, err = learn("show", "99", cwd=tmp_path)
    assert code == 2 and "no lesson 99" in err
    code, _, err = learn("check", "1", cwd=tmp_path)
    assert code == 2 and "chainrule learn start" in err
    learn("start", "--dir", str(tmp_path / "ws"), cwd=tmp_path)
    code, _, err = learn("check", "9.9", "--dir", str(tmp_path / "ws"), cwd=tmp_path)
    assert code == 2 and "no exercise '9.9'" in err and "1.1 (affine)" in err
    code, _, _ = learn("frobnicate", cwd=tmp_path)
    assert code == 2


def test_show_renders_the_formulas_in_unicode(tmp_path):
    code, out, _ = learn("show", "3", cwd=tmp_path)
    assert code == 0
    assert "∂L/∂W₂ = δ₂ hᵀ" in out and "ŷ = W₂ h + b₂" in out and "W₁ ∈ ℝ^{2 × 2}" in out
    prose = "\n".join(ln for ln in out.splitlines() if not ln.startswith("  │"))   # not code
    assert "$" not in prose and "\\frac" not in prose and "# %%" not in out


def test_solutions_are_printed_for_instructors(tmp_path):
    code, out, _ = learn("solutions", "3", cwd=tmp_path)
    assert code == 0 and "def backprop_221" in out and "raise NotImplementedError" not in out


def test_open_writes_a_notebook(tmp_path):
    pytest.importorskip("jupytext")
    code, out, _ = learn("open", "2", "--dir", str(tmp_path), cwd=tmp_path)
    assert code == 0 and "jupyter" in out
    nb = json.loads((tmp_path / "lesson-2.ipynb").read_text())
    kinds = {cell["cell_type"] for cell in nb["cells"]}
    assert kinds == {"markdown", "code"}
