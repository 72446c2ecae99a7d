"""``chainrule learn``: the lessons, the exercises and the learner's progress.

    chainrule learn                       list the lessons and your progress
    chainrule learn show N                read lesson N in the terminal
    chainrule learn open N [--dir DIR]    write lesson-N.ipynb, to run in Jupyter
    chainrule learn start [--dir DIR]     create your workspace: the exercise files to edit
    chainrule learn check [N | ID]        grade lesson N, one exercise (1.2), or everything
    chainrule learn solutions N           the reference solutions of lesson N (instructors)

Exit status: 0 when every graded exercise passed, 1 when some did not, 2 for a usage error.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

EXAMPLES = """examples:
  chainrule learn show 1          read lesson 1
  chainrule learn start           create ./chainrule-learn with the exercise files
  chainrule learn check 1         grade lesson 1's exercises (after editing lesson_01.py)
  chainrule learn check 1.2       grade one exercise
  chainrule learn open 1          write lesson-1.ipynb for Jupyter
"""


def register(sub) -> None:
    p = sub.add_parser("learn", help="lessons on the mathematics of deep learning, with "
                       "exercises that grade themselves",
                       description="Lessons on the mathematics of deep learning, exercises "
                       "that grade themselves, and your progress. Without an ACTION: list the "
                       "lessons and your progress.", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path, default=None, metavar="DIR",
                   help="the workspace (default: the current folder if it is one, else "
                        "./chainrule-learn)")
    p.set_defaults(run=run_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    def add(name, help_text, func):
        q = actions.add_parser(name, help=help_text, description=help_text + ".")
        q.add_argument("--dir", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                       help="the workspace (default: the current folder if it is one, else "
                            "./chainrule-learn)")
        q.set_defaults(run=func)
        return q

    q = add("show", "print a lesson in the terminal", run_show)
    q.add_argument("lesson", type=int, metavar="N")
    q = add("open", "write the lesson as a Jupyter notebook (lesson-N.ipynb)", run_open)
    q.add_argument("lesson", type=int, metavar="N")
    add("start", "create the workspace: copy the exercise files you will edit", run_start)
    q = add("check", "grade your exercises (all, lesson N, or one exercise like 1.2)", run_check)
    q.add_argument("target", nargs="?", metavar="N | ID",
                   help="a lesson number (2), an exercise id (2.3) or its function's name")
    q.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="time limit of each exercise's checks (default 30)")
    q = add("solutions", "print the reference solutions of lesson N (for instructors)",
            run_solutions)
    q.add_argument("lesson", type=int, metavar="N")


def _workspace(args) -> Path:
    from ..learn.workspace import default_dir

    return Path(args.dir) if getattr(args, "dir", None) else default_dir()


def _usage(message: str) -> int:
    print(f"chainrule learn: {message}", file=sys.stderr)
    return 2


def run_list(args) -> int:
    from ..learn import catalog, workspace

    folder = _workspace(args)
    data = workspace.load(folder) if workspace.is_workspace(folder) else None
    marks = {"passed": "✓", "failed": "✗", "error": "✗", "timeout": "✗", "todo": "·",
             "new": "·"}
    print("chainrule learn — the mathematics of deep learning, lesson by lesson\n")
    total = done = 0
    later = []
    for item in catalog.lessons():
        if not item.available:
            later.append(item)
            continue
        exercises = item.exercises()
        states = [workspace.status(data, e.id) if data else "new" for e in exercises]
        passed = states.count("passed")
        total, done = total + len(exercises), done + passed
        print(f"{item.number:>3}  {item.title}")
        for e, state in zip(exercises, states):
            print(f"       {marks[state]} {e.id:<5} {e.name:<24} {e.title}")
        print(f"       {passed} of {len(exercises)} passed\n")
    if later:
        import textwrap

        print(textwrap.fill("Not written yet: " + "; ".join(f"{x.number}. {x.title}"
                                                             for x in later) + ".",
                            width=88, subsequent_indent="  ") + "\n")
    if data is None:
        print(f"No workspace at {folder} yet. Begin with:\n"
              "  chainrule learn show 1      read lesson 1 here (or: chainrule learn open 1, "
              "for Jupyter)\n"
              "  chainrule learn start       create the workspace with the exercise files\n"
              "  chainrule learn check 1     grade your answers to lesson 1")
    else:
        print(f"Workspace {folder}: {done} of {total} exercises passed  (✓ passed, ✗ not yet "
              "right, · not tried)\nGrade with: chainrule learn check [N | ID]")
        missing = [x.stub_file for x in catalog.lessons()
                   if x.available and not (folder / x.stub_file).exists()]
        if missing:
            print(f"New lessons since you started: {', '.join(missing)} not in your workspace "
                  "yet; add them (your files are kept) with: chainrule learn start")
    return 0


def run_show(args) -> int:
    from ..learn import catalog, render

    try:
        item = catalog.lesson(args.lesson)
    except ValueError as exc:
        return _usage(str(exc))
    width = min(100, shutil.get_terminal_size((90, 24)).columns) - 2 if sys.stdout.isatty() \
        else 88
    sys.stdout.write(render.terminal(item.path.read_text(encoding="utf-8"), width))
    print(f"\n(Run this lesson's code in Jupyter: chainrule learn open {item.number}. "
          f"Exercises: chainrule learn start, then chainrule learn check {item.number}.)")
    return 0


def run_open(args) -> int:
    from ..learn import catalog, render

    try:
        item = catalog.lesson(args.lesson)
    except ValueError as exc:
        return _usage(str(exc))
    folder = Path(args.dir) if getattr(args, "dir", None) else Path.cwd()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"lesson-{item.number}.ipynb"
    try:
        render.notebook(item.path, target)
    except ImportError as exc:
        return _usage(str(exc))
    print(f"wrote {target}")
    import importlib.util

    if importlib.util.find_spec("jupyterlab") is not None:
        how = f"jupyter lab {target}"
    elif importlib.util.find_spec("notebook") is not None:
        how = f"jupyter notebook {target}"
    else:
        how = f"pip install jupyterlab   and then:   jupyter lab {target}"
    print(f"open it with:  {how}\n(or any editor that opens notebooks, such as VS Code)")
    return 0


def run_start(args) -> int:
    from ..learn import catalog, workspace

    folder = _workspace(args)
    written, kept = workspace.start(folder)
    for path in written:
        print(f"created {path}")
    for path in kept:
        print(f"kept    {path} (already there: your work is never overwritten)")
    first = catalog.lessons()[0]
    option = f" --dir {args.dir}" if getattr(args, "dir", None) else ""
    print(f"\nYour workspace is {folder}. Open {folder / first.stub_file} in an editor, write "
          "each function (its docstring states the task; the lesson explains the mathematics: "
          f"chainrule learn show {first.number}), then grade your work:\n"
          f"  chainrule learn check {first.number}{option}")
    return 0


def run_check(args) -> int:
    from ..learn import catalog, grader, workspace

    folder = _workspace(args)
    if not workspace.is_workspace(folder):
        return _usage(f"no workspace at {folder}; create it with: chainrule learn start"
                      + (f" --dir {args.dir}" if getattr(args, "dir", None) else ""))
    try:
        if args.target is None:
            chosen = catalog.exercises()
        elif args.target.isdigit():
            chosen = catalog.lesson(int(args.target)).exercises()
        else:
            chosen = [catalog.exercise(args.target)]
    except ValueError as exc:
        return _usage(str(exc))
    if args.timeout <= 0:
        return _usage(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    titles = {e.id: e.title for e in chosen}
    jobs = [(e, folder / catalog.lesson(e.lesson).stub_file) for e in chosen]
    results = grader.grade_many(
        jobs, timeout=args.timeout,
        on_result=lambda r: print(r.render(titles[r.id]), flush=True))
    workspace.record(folder, results)
    passed = sum(r.passed for r in results)
    print(f"\n{passed} of {len(results)} passed. Progress saved in "
          f"{folder / workspace.PROGRESS}; see it with: chainrule learn"
          + (f" --dir {args.dir}" if getattr(args, "dir", None) else ""))
    return 0 if passed == len(results) else 1


def run_solutions(args) -> int:
    from ..learn import catalog

    try:
        item = catalog.lesson(args.lesson)
    except ValueError as exc:
        return _usage(str(exc))
    print(f"# Reference solutions of lesson {item.number} — for instructors. Learners: try "
          "first, and read the hints of `chainrule learn check`.\n")
    sys.stdout.write(catalog.solution_source(item.number))
    return 0
