"""Run every registered benchmark workload and rewrite benchmarks/RESULTS.md.

    python benchmarks/run.py                 # all workloads, RESULTS.md rewritten (~2 minutes)
    python -m benchmarks.run --only tiny     # a subset, printed only
    python benchmarks/run.py --profile       # where chainrule's time goes, per workload
    python benchmarks/run.py --openblas-both # also a run with OPENBLAS_CORETYPE/L2_SIZE unset
    python benchmarks/run.py --both-paths    # with the fast kernels and without (pure NumPy)

Workloads live in ``benchmarks/bench_*.py``, each exporting a list ``WORKLOADS`` of
:class:`benchmarks.harness.Workload`; a new file is picked up without changes here.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))   # (and measure this checkout's chainrule)

import chainrule  # noqa: E402,F401  (before NumPy: its OpenBLAS setting needs NumPy not loaded)
from benchmarks import harness  # noqa: E402

RESULTS = HERE / "RESULTS.md"


def _kept_sections(path: Path) -> str:
    """Sections other scripts own (between '<!-- NAME: begin' and '<!-- NAME: end -->' markers,
    e.g. bench_train.py's), carried over when this script rewrites the file."""
    if not path.exists():
        return ""
    text, kept, start = path.read_text(), [], 0
    while (begin := text.find("<!-- ", start)) != -1 and ": begin" in text[begin:begin + 80]:
        name = text[begin + 5:text.index(":", begin)]
        end_marker = f"<!-- {name}: end -->"
        stop = text.find(end_marker, begin)
        if stop == -1:
            break
        kept.append(text[begin:stop + len(end_marker)])
        start = stop + len(end_marker)
    return "".join("\n\n" + k + "\n" for k in kept)


def discover() -> list[harness.Workload]:
    """The workloads of every ``benchmarks/bench_*.py``: bench_foundation.py first, then the
    others by file name, each in its list's order."""
    workloads: list[harness.Workload] = []
    paths = sorted(HERE.glob("bench_*.py"), key=lambda p: (p.stem != "bench_foundation", p.name))
    for path in paths:
        module = importlib.import_module(f"benchmarks.{path.stem}")
        workloads.extend(getattr(module, "WORKLOADS", []))
    names = [w.name for w in workloads]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit(f"duplicate workload names: {', '.join(duplicates)}")
    return workloads


def select(workloads, only):
    if not only:
        return workloads
    chosen = [w for w in workloads if any(s in w.name for s in only)]
    if not chosen:
        raise SystemExit(f"no workload matches {only}; known: {[w.name for w in workloads]}")
    return chosen


def run_here(workloads, settings: harness.Settings, verbose: bool) -> dict:
    facts = harness.machine_facts()
    print(f"setting: {facts['blas_setting']}; numpy BLAS: {facts['numpy_blas']}", flush=True)
    busy = facts["busy"]
    if busy is not None and busy > 0.1:
        print(f"warning: {100 * busy:.0f}% of the cores were busy before starting: other "
              "processes are using them, multi-threaded BLAS slows down badly when it cannot have "
              "them all, and the figures will be noisy", flush=True)
    results = []
    for w in workloads:
        print(f"{w.name} ...", flush=True)
        log = (lambda m: print(m, flush=True)) if verbose else None
        result = harness.measure(w, settings, log=log)
        print(f"  chainrule {harness.format_time(result.chainrule_s)}, "
              f"torch {harness.format_time(result.torch_s)}, ratio {result.ratio:.2f}x "
              f"(target ≤ {result.target:g}x)", flush=True)
        results.append(result)
    facts["load_after"] = harness.load_average()
    facts["busy_after"] = harness.cpu_busy()
    print()
    print(harness.format_table(results))
    return {"facts": facts, "results": [r.to_dict() for r in results]}


def run_in_subprocesses(argv: list[str], envs: list[dict]) -> list[dict]:
    """The same run once per environment in ``envs``, each in a fresh process."""
    runs = []
    for env in envs:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--json", str(out),
                   "--no-write"]
            subprocess.run(cmd, env=env, check=True)
            runs.append(json.loads(out.read_text()))
    return runs


def run_both_settings(argv: list[str]) -> list[dict]:
    """The same run as-is and with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset, in subprocesses."""
    if not any(v in os.environ for v in harness.SETTING_VARS):
        print("OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are not set: one run covers both settings")
        return []
    unset = {k: v for k, v in os.environ.items() if k not in harness.SETTING_VARS}
    return run_in_subprocesses(argv, [dict(os.environ), unset])


def run_both_paths(argv: list[str]) -> list[dict]:
    """The same run with chainrule's fast kernels (the ``fast`` extra) and without them
    (``CHAINRULE_FAST=0``: the pure-NumPy reference path), in subprocesses."""
    return run_in_subprocesses(argv, [{**os.environ, "CHAINRULE_FAST": "1"},
                                      {**os.environ, "CHAINRULE_FAST": "0"}])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run workloads whose names contain any of these (RESULTS.md is then "
                             "written only if --output is given)")
    parser.add_argument("--rounds", type=int, help="rounds per workload (default 15)")
    parser.add_argument("--quick", action="store_true", help="5 rounds, short warm-up: a smoke run")
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument("--output", type=Path, help=f"where to write (default {RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, help="also write the raw results as JSON here")
    parser.add_argument("--openblas-both", action="store_true",
                        help="when OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set, also run with both "
                             "unset, and put both tables in RESULTS.md")
    parser.add_argument("--both-paths", action="store_true",
                        help="run twice, with the fast kernels and with CHAINRULE_FAST=0 (pure "
                             "NumPy), and put both tables in RESULTS.md")
    parser.add_argument("--threads", type=int,
                        help="limit NumPy's BLAS, OpenMP and PyTorch to this many threads (default "
                             "the libraries' own: normally one per core)")
    parser.add_argument("--profile", action="store_true",
                        help="profile chainrule's step of each workload instead of timing")
    parser.add_argument("--profile-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)

    workloads = select(discover(), args.only)
    if args.threads:
        import threadpoolctl
        import torch

        torch.set_num_threads(args.threads)
        _limits = threadpoolctl.threadpool_limits(args.threads)  # noqa: F841  (held for the run)
    if args.profile:
        from benchmarks import profiling

        for w in workloads:
            profiling.report(w, seconds=args.profile_seconds)
        return 0

    settings = harness.Settings()
    if args.quick:
        settings.rounds, settings.warmup_s = 5, 0.1
    if args.rounds:
        settings.rounds = args.rounds

    runs = []
    if args.openblas_both:
        passthrough = [a for a in argv if a not in ("--openblas-both", "--both-paths")]
        runs = run_both_settings(passthrough)
    elif args.both_paths:
        runs = run_both_paths([a for a in argv if a != "--both-paths"])
    if not runs:
        runs = [run_here(workloads, settings, args.verbose)]
    if args.json:
        args.json.write_text(json.dumps(runs[0] if len(runs) == 1 else runs, indent=1))
    write = not args.no_write and (args.only is None or args.output is not None)
    if write:
        output = args.output or RESULTS
        output.write_text(harness.render_markdown(runs) + _kept_sections(output))
        print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
