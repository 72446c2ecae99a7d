"""A tutorial's printed output is PyTorch's, line for line.

Each script in ``printed/`` is written as a PyTorch user writes one (PyTorch's "Tensors" and
"Autograd" tutorials, and the like: tensors made, changed and printed, gradients printed). It runs
twice in a subprocess — as it is, and with its imports changed to chainrule's as
``runner.to_chainrule`` changes them (nothing else) — and the two outputs must be the same text
once the documented differences (docs/pytorch.md) are set aside: the library's name in front of
dtypes and type names
(``torch.float32`` / ``float32``), the backward node's name in ``grad_fn=<…>`` (chainrule names its
primitive) and a shape's text (``torch.Size([2, 3])`` / ``(2, 3)``).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from runner import to_chainrule  # noqa: E402

pytest.importorskip("torch")

PRINTED = Path(__file__).parent / "printed"
ROOT = Path(__file__).resolve().parents[2]


def _normalised(text: str) -> str:
    text = re.sub(r"grad_fn=<[^>]*>", "grad_fn=<…>", text)
    text = re.sub(r"\b(?:torch|chainrule)\.Size\(\[([^\]]*)\]\)",
                  lambda m: "(" + m[1] + ("," if m[1] and "," not in m[1] else "") + ")", text)
    return re.sub(r"\b(?:torch|chainrule)\.", "", text)


def _run(source: str, tmp_path: Path, name: str) -> str:
    script = tmp_path / name
    script.write_text(source)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize("path", sorted(PRINTED.glob("*.py")), ids=lambda p: p.stem)
def test_printed_output_is_pytorchs(path, tmp_path):
    source = path.read_text()
    changed = to_chainrule(source)
    assert "torch" not in changed.replace("as torch", "").split("\n\n")[0], changed[:500]
    theirs = _run(source, tmp_path, "with_torch.py")
    ours = _run(changed, tmp_path, "with_chainrule.py")
    assert _normalised(ours).splitlines() == _normalised(theirs).splitlines()
