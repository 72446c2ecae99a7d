"""Grading: run an exercise's hidden checks on the learner's function and report the result.

:func:`grade` runs them in a child process with a time limit, so that a learner's function that
loops forever, crashes the interpreter or prints without end cannot hang or flood the command:
the child loads the learner's file, runs the checks with the function's printing captured (only
the beginning is kept), and writes a :class:`Result` as JSON. :func:`grade_function` runs the
same checks in this process, on a function object (in a notebook, in the tests).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .catalog import Exercise, exercise
from .checks._tools import Failure

OUTPUT_LIMIT = 2000          # characters of the learner's printing kept in a result
DEFAULT_TIMEOUT = 30.0       # seconds for all the checks of one exercise


@dataclass
class Result:
    """The outcome of grading one exercise.

    ``status``: 'passed', 'failed' (a wrong answer), 'todo' (still the stub), 'error' (the
    function or its file raised), 'timeout'."""

    id: str
    name: str
    status: str
    case: str = ""
    message: str = ""
    expected: str | None = None
    received: str | None = None
    hint: str = ""
    output: str = ""             # the beginning of what the learner's code printed
    output_chars: int = 0        # how much it printed in all
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Result:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def __str__(self) -> str:
        return self.render()

    def render(self, title: str = "") -> str:
        """The result as a learner reads it in a terminal."""
        mark = {"passed": "✓", "todo": "·"}.get(self.status, "✗")
        label = {"passed": "passed", "failed": "not yet right", "todo": "not written yet",
                 "error": "raised an error", "timeout": "ran out of time"}[self.status]
        head = f"{mark} {self.id} {self.name}" + (f" — {title}" if title else "")
        lines = [f"{head}: {label}"]
        if self.status == "todo":
            lines.append("    it still raises NotImplementedError: write the function, then "
                         "check again")
        elif not self.passed:
            rows = [("case", self.case), ("problem", self.message),
                    ("expected", self.expected), ("received", self.received),
                    ("hint", self.hint)]
            for key, value in rows:
                if value:
                    lines.append(_row(key, str(value)))
        if self.output_chars:
            shown = self.output.rstrip("\n").splitlines()[:5]
            more = self.output_chars - sum(len(s) + 1 for s in shown)
            lines.append(_row("printed", "\n".join(shown) + (
                f"\n… and {more:,} more characters" if more > 0 else "")))
        for w in self.warnings:
            lines.append(_row("warning", w))
        return "\n".join(lines)


def _row(key: str, value: str, width: int = 88) -> str:
    pad = " " * 14
    lines = []
    for line in value.splitlines() or [""]:
        if len(line) + 14 > width and not line.startswith((" ", "[")):
            lines += textwrap.wrap(line, width - 14) or [""]
        else:
            lines.append(line)
    return f"    {key:<9} " + ("\n" + pad).join(lines)


class _Bounded(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = OUTPUT_LIMIT):
        self.limit, self.kept, self.count = limit, [], 0

    def write(self, s: str) -> int:
        room = self.limit - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(s[:room])
        self.count += len(s)
        return len(s)

    def text(self) -> str:
        return "".join(self.kept)


def grade_function(e: Exercise | str, f) -> Result:
    """Run exercise ``e``'s hidden checks on the function ``f`` here, in this process."""
    e = exercise(e) if isinstance(e, str) else e
    out = _Bounded()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(out):
        warnings.simplefilter("always")
        try:
            e.check(f)
            result = Result(e.id, e.name, "passed")
        except Failure as fail:
            status = {"todo": "todo", "error": "error"}.get(fail.kind, "failed")
            result = Result(e.id, e.name, status, fail.case, fail.message,
                            fail.expected, fail.received, fail.hint)
        except Exception as exc:     # an answer of a kind the checks did not foresee
            result = Result(e.id, e.name, "error", "",
                            f"your answer could not be checked: {type(exc).__name__}: {exc}",
                            hint="return what the docstring asks for: the types and shapes it "
                                 "names")
    result.seconds = round(time.perf_counter() - start, 3)
    result.output, result.output_chars = out.text(), out.count
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in seen:
            seen.append(text)
    result.warnings = seen[:3]
    return result


def load_function(e: Exercise, path: Path):
    """The learner's function for ``e`` from the file ``path`` (or a Result saying why not)."""
    path = Path(path)
    if not path.exists():
        return Result(e.id, e.name, "error", message=f"{path} does not exist",
                      hint="run `chainrule learn start` to create the workspace's files")
    spec = importlib.util.spec_from_file_location(f"learner_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    out = _Bounded()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            spec.loader.exec_module(module)
    except Exception as exc:      # a syntax error or a crash at import: the learner's to fix
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
        return Result(e.id, e.name, "error",
                      message=f"{path.name} could not be loaded: {type(exc).__name__}: "
                              f"{exc}{where}",
                      hint=f"run `python {path.name}` to see the whole traceback")
    finally:
        sys.path.remove(str(path.parent))
    f = getattr(module, e.name, None)
    if not callable(f):
        return Result(e.id, e.name, "error", message=f"{path.name} has no function {e.name}",
                      hint=f"keep the name and the arguments of the stub: def {e.name}(…)")
    return f


def grade_file(e: Exercise | str, path) -> Result:
    """Grade the function for ``e`` in the file ``path``, in this process (no time limit)."""
    e = exercise(e) if isinstance(e, str) else e
    f = load_function(e, Path(path))
    return f if isinstance(f, Result) else grade_function(e, f)


def grade(e: Exercise | str, path, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Grade the function for ``e`` in the file ``path`` in a child process, within
    ``timeout`` seconds."""
    return grade_many([(e, path)], timeout)[0]


def grade_many(jobs, timeout: float = DEFAULT_TIMEOUT, on_result=None) -> list[Result]:
    """Grade several exercises, ``jobs`` = [(exercise, path of the learner's file)], in one
    child process (one import of chainrule for all), each within ``timeout`` seconds: when one
    runs out of time or ends the process, it is reported and the rest go on in a new child.
    ``on_result(result)`` is called as each result arrives (to print it at once)."""
    pending = [(exercise(e) if isinstance(e, str) else e, Path(p).resolve()) for e, p in jobs]
    results: list[Result] = []
    while pending:
        done, pending = _child(pending, timeout)
        for r in done:
            results.append(r)
            if on_result is not None:
                on_result(r)
    order = {e.id: k for k, (e, _) in enumerate(
        (exercise(e) if isinstance(e, str) else e, p) for e, p in jobs)}
    return sorted(results, key=lambda r: order[r.id])


_HINT_TIMEOUT = ("does a loop never end? (a while loop whose condition stays true, a counter "
                 "never incremented)")


def _child(jobs, timeout):
    """Run ``jobs`` in one child process; (the results it gave, the jobs still to do)."""
    root = str(Path(__file__).resolve().parents[2])     # the folder that holds chainrule/
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    done: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        report, log = Path(tmp) / "results.jsonl", Path(tmp) / "log.txt"
        argv = [sys.executable, "-m", "chainrule.learn.grader", str(report)]
        argv += [x for e, p in jobs for x in (e.id, str(p))]
        names = {e.id: e.name for e, _ in jobs}
        current, started, seen = None, time.perf_counter(), 0
        with open(log, "wb") as sink:
            proc = subprocess.Popen(argv, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL,
                                    cwd=str(jobs[0][1].parent), env=env)
            while True:
                code = proc.poll()
                lines = _complete_lines(report)
                for line in lines[seen:]:
                    if "start" in line:
                        current, started = line["start"], time.perf_counter()
                    else:
                        done.append(Result.from_dict(line["result"]))
                        current = None
                seen = len(lines)
                if code is not None:
                    break
                if current is not None and time.perf_counter() - started > timeout:
                    proc.kill()
                    proc.wait()
                    done.append(Result(current, names[current], "timeout",
                                       message=f"the checks did not finish within {timeout:g} s",
                                       hint=_HINT_TIMEOUT, seconds=round(timeout, 3)))
                    current = None
                    break
                time.sleep(0.02)
        finished = {r.id for r in done}
        remaining = [(e, p) for e, p in jobs if e.id not in finished]
        if proc.returncode not in (0, None) and remaining and not any(
                r.status == "timeout" for r in done[-1:]):
            # the process ended inside the learner's code (exit(), a crash): blame the exercise
            # it was running, and go on with the others
            e = next((e for e, _ in remaining if e.id == current), remaining[0][0])
            with open(log, encoding="utf-8", errors="replace") as fh:
                tail = fh.read(OUTPUT_LIMIT)
            done.append(Result(e.id, e.name, "error",
                               message=f"Python stopped while running your function (exit "
                                       f"status {proc.returncode})",
                               hint="does it call exit(), or recurse without end?", output=tail,
                               output_chars=len(tail)))
            remaining = [(x, p) for x, p in remaining if x.id != e.id]
    return done, remaining


def _complete_lines(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]


def _main(argv: list[str]) -> int:
    """The child process: ``python -m chainrule.learn.grader REPORT ID PATH [ID PATH …]``;
    writes one JSON line when it starts an exercise and one with its result."""
    report, pairs = argv[0], argv[1:]
    sys.setrecursionlimit(5000)
    with open(report, "a", encoding="utf-8") as out:
        for exercise_id, path in zip(pairs[0::2], pairs[1::2]):
            out.write(json.dumps({"start": exercise_id}) + "\n")
            out.flush()
            result = grade_file(exercise_id, path)
            out.write(json.dumps({"result": result.to_dict()}) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
