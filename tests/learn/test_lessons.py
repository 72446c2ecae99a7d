"""Every lesson executes as a notebook (jupytext + nbclient) without an error or a warning, and
its pictures are drawn."""
from __future__ import annotations

import pytest

from chainrule.learn import lessons

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("matplotlib")

WRITTEN = [item for item in lessons() if item.available]


def execute(item):
    nb = jupytext.read(str(item.path), fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    # warnings become errors inside the kernel, so that a lesson that warns fails
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import warnings\nwarnings.simplefilter('error')"))
    nb.cells.append(nbformat.v4.new_code_cell("warnings.resetwarnings()"))   # for the kernel
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(item.path.parent)}})
    client.execute()
    return nb


def problems(nb) -> list[str]:
    found = []
    for k, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {k}: {out.get('ename')}: {out.get('evalue')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {k} wrote to stderr: {out.get('text')[:300]}")
    return found


def images(nb) -> list[bytes]:
    import base64

    return [base64.b64decode(out["data"]["image/png"]) for cell in nb.cells
            for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]


def test_three_lessons_at_least_are_written():
    assert [item.number for item in WRITTEN][:3] == [1, 2, 3]


@pytest.mark.slow
@pytest.mark.parametrize("item", WRITTEN, ids=lambda item: f"lesson{item.number}")
def test_lesson_executes_without_error_or_warning(item, tmp_path):
    nb = execute(item)
    assert problems(nb) == []
    pictures = images(nb)
    assert pictures, f"lesson {item.number} draws no picture"
    for k, png in enumerate(pictures):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000   # a real, non-empty image
        (tmp_path / f"lesson{item.number}_{k}.png").write_bytes(png)
