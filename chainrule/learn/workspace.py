"""The learner's workspace: a folder with the exercise stubs (``lesson_01.py``, …) that the
learner edits, and ``progress.json``, what the grader found last time for each exercise."""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from .catalog import lessons, stub_source

PROGRESS = "progress.json"
DEFAULT_NAME = "chainrule-learn"


def default_dir() -> Path:
    """$CHAINRULE_LEARN_DIR; else the current folder when it is a workspace (it holds
    progress.json); else ./chainrule-learn."""
    if os.environ.get("CHAINRULE_LEARN_DIR"):
        return Path(os.environ["CHAINRULE_LEARN_DIR"])
    here = Path.cwd()
    if (here / PROGRESS).exists():
        return here
    return here / DEFAULT_NAME


def is_workspace(folder) -> bool:
    return (Path(folder) / PROGRESS).exists()


def start(folder) -> tuple[list[Path], list[Path]]:
    """Create the workspace (or complete it): copy each written lesson's stubs into ``folder``,
    never overwriting a file the learner may have edited. Returns (files written, files kept)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for item in lessons():
        if not item.available:
            continue
        target = folder / item.stub_file
        if target.exists():
            kept.append(target)
            continue
        target.write_text(stub_source(item.number), encoding="utf-8")
        written.append(target)
    if not (folder / PROGRESS).exists():
        save(folder, {"version": 1, "exercises": {}})
    return written, kept


def load(folder) -> dict:
    """The progress record ({'exercises': {id: {...}}}); empty when there is none or when the
    file was damaged."""
    path = Path(folder) / PROGRESS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": 1, "exercises": {}}
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        return {"version": 1, "exercises": {}}
    return data


def save(folder, data: dict) -> None:
    path = Path(folder) / PROGRESS
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def record(folder, results) -> dict:
    """Add grading results to the progress record: each exercise's last status, the number of
    attempts, and when it first passed."""
    data = load(folder)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for r in results:
        entry = data["exercises"].setdefault(r.id, {"attempts": 0})
        entry["status"] = r.status
        entry["last_checked"] = now
        if r.status != "todo":
            entry["attempts"] = entry.get("attempts", 0) + 1
        if r.passed and "passed_at" not in entry:
            entry["passed_at"] = now
    save(folder, data)
    return data


def status(data: dict, exercise_id: str) -> str:
    """'passed', 'failed', 'todo', 'error', 'timeout', or 'new' (never checked)."""
    return data["exercises"].get(exercise_id, {}).get("status", "new")
