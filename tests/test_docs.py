"""Generated documentation is never stale, and the documented examples run.

Primitives register themselves when their module is imported, so which primitives a process
knows depends on what it has imported. The page must list every primitive of the whole library:
it is compared with what ``docs_page()`` generates in a fresh process that has imported every
module of chainrule, and with what ``chainrule formulas --write-docs`` writes in a fresh process.
"""
from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.formulas import docs_page

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "primitives.md"
REGENERATE = "regenerate it with: chainrule formulas --write-docs docs/primitives.md"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}

_GENERATE_WITH_EVERYTHING_IMPORTED = """
import importlib, json, pkgutil, sys
from pathlib import Path
import chainrule
for info in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
    importlib.import_module(info.name)
from chainrule.cli.formulas import docs_page
Path(sys.argv[1]).write_text(docs_page(), encoding="utf-8")
Path(sys.argv[2]).write_text(json.dumps(list(chainrule.primitives())), encoding="utf-8")
"""


def assert_same_page(actual: str, expected: str, what: str) -> None:
    """Equal pages, or a failure showing a short diff and how to regenerate."""
    if actual == expected:
        return
    diff = list(difflib.unified_diff(actual.splitlines(), expected.splitlines(),
                                     "docs/primitives.md", what, lineterm="", n=0))
    shown = "\n".join(line[:160] for line in diff[:20])
    raise AssertionError(f"docs/primitives.md differs from {what}; {REGENERATE}\n{shown}")


@pytest.fixture(scope="module")
def whole_library(tmp_path_factory):
    """(page, primitive names) generated in a fresh process with every module imported."""
    folder = tmp_path_factory.mktemp("docs")
    page, names = folder / "page.md", folder / "names.json"
    result = subprocess.run([sys.executable, "-c", _GENERATE_WITH_EVERYTHING_IMPORTED, str(page),
                             str(names)], capture_output=True, text=True, encoding="utf-8",
                            env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr
    return page.read_text(encoding="utf-8"), json.loads(names.read_text(encoding="utf-8"))


def test_primitives_page_equals_what_the_registry_generates(whole_library):
    page, _ = whole_library
    assert_same_page(DOCS.read_text(encoding="utf-8"), page,
                     "docs_page() with every chainrule module imported")


def test_primitives_page_lists_every_registered_primitive(whole_library):
    _, names = whole_library
    text = DOCS.read_text(encoding="utf-8")
    listed = [line.split("`")[1] for line in text.splitlines() if line.startswith("| `")]
    missing = [name for name in names if name not in listed]
    assert not missing, (f"docs/primitives.md lacks {missing}; {REGENERATE} (the command must "
                         "import every module that registers primitives)")
    assert len(listed) == len(set(listed))
    for name in names:
        assert f"**{name}**" in text, name


def test_write_docs_command_writes_the_same_page(tmp_path):
    target = tmp_path / "primitives.md"
    result = subprocess.run(
        [sys.executable, "-m", "chainrule.cli.main", "formulas", "--write-docs", str(target)],
        capture_output=True, text=True, encoding="utf-8", timeout=120, env=ENV)
    assert result.returncode == 0, result.stderr
    assert f"wrote {target}" in result.stdout
    assert_same_page(DOCS.read_text(encoding="utf-8"), target.read_text(encoding="utf-8"),
                     "chainrule formulas --write-docs")


def test_docs_page_structure():
    page = docs_page()
    assert page.startswith("# The primitives of chainrule and their derivatives\n")
    assert "do not edit by hand" in page
    assert "| primitive | forward | derivative | why |" in page
    assert "## Each primitive" in page
    for name, cls in cr.primitives().items():
        f = cls.formula()
        assert f"| `{name}` | ${f.forward.latex.replace('|', chr(92) + '|')}$" in page, name
        assert f.to_markdown() in page, name


def test_readme_first_look_example_runs():
    x = cr.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (cr.sigmoid(x) * x).sum()
    y.backward()
    a = np.array([0.5, -1.0, 2.0])
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(x.grad.numpy(), s + a * s * (1 - s), rtol=1e-6)
    text = str(cr.formula("sigmoid"))
    assert text.splitlines()[0] == "sigmoid"
    assert "Forward" in text and "Derivative" in text
