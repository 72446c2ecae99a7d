"""Where chainrule's time goes in a workload: ``python benchmarks/run.py --profile``.

First, where the workload gives its NumPy kernels alone (``Workload.kernels``), chainrule's step
is timed against them without a profiler: the difference is chainrule's own (Python) overhead.
Then two views of chainrule's step (PyTorch's is not profiled):

- cProfile, grouped: the step's own time (tottime) split into chainrule's Python by file, NumPy
  (C functions and NumPy's Python wrappers) and the rest, plus the functions that cost the most.
  cProfile adds a fixed cost to every Python call, so it overstates Python overhead relative to
  C kernels; read the split as an upper bound on the Python share.
- pyinstrument, if installed (``pip install pyinstrument``): a sampling profile, whose shares are
  closer to the truth for fine-grained Python code.

(This module is not named ``profile``: run.py puts benchmarks/ first on sys.path, and a
``profile.py`` there would shadow the standard library's, which cProfile imports.)
"""
from __future__ import annotations

import cProfile
import gc
import math
import pstats
import statistics
import time
from collections import defaultdict

from benchmarks.harness import Workload, format_time, time_block, time_sample


def _calls_for(step, seconds: float) -> int:
    start = time.perf_counter()
    count = 0
    while count < 3 or time.perf_counter() - start < 0.2:
        step()
        count += 1
    per_call = (time.perf_counter() - start) / count
    return max(3, int(seconds / per_call))


def _group(filename: str, funcname: str) -> str:
    path = filename.replace("\\", "/")
    if "/chainrule/" in path:
        return "chainrule " + path.split("/chainrule/", 1)[1]
    if "/numpy/" in path or "numpy" in funcname:
        return "numpy"
    if path == "~":
        return "builtins (" + ("C method" if funcname.startswith("<method") else "C function") + ")"
    if "/benchmarks/" in path:
        return "benchmark step"
    return "other Python"


def cprofile_report(step, calls: int, top: int = 20) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, funcname), entry in stats.stats.items():
        groups[_group(filename, funcname)] += entry[2]
    lines = [f"cProfile: {calls} steps, {format_time(total / calls)} per step under the profiler",
             "  own time by group:"]
    for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        share = 100 * seconds / total
        lines.append(f"    {share:5.1f}%  {format_time(seconds / calls):>10}  {name}")
    lines.append(f"  top {top} functions by own time (per step; calls per step):")
    ranked = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, funcname), (_cc, nc, tt, ct, _callers) in ranked:
        where = filename.split("/chainrule/", 1)[-1] if "/chainrule/" in filename else filename
        where = where.rsplit("/", 1)[-1] if "/" in where and "chainrule" not in filename else where
        lines.append(f"    {100 * tt / total:5.1f}%  own {format_time(tt / calls):>10}  "
                     f"cum {format_time(ct / calls):>10}  {nc / calls:5.1f}x  "
                     f"{where}:{line}({funcname})")
    return "\n".join(lines)


def pyinstrument_report(step, seconds: float) -> str | None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.0001)
    deadline = time.perf_counter() + seconds
    count = 0
    profiler.start()
    while time.perf_counter() < deadline:
        step()
        count += 1
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    return f"pyinstrument: {count} steps\n{text}"


def floor_report(chainrule_step, kernels_step, rounds: int = 15) -> str:
    """chainrule's step against the same NumPy work alone, timed without a profiler."""
    inner = max(1, math.ceil(1e-3 / min(time_sample(kernels_step, 1) for _ in range(5))))
    mine, floor = [], []
    for _ in range(rounds):
        mine.append(time_block(chainrule_step, inner, 5))
        floor.append(time_block(kernels_step, inner, 5))
    m, f = statistics.median(mine), statistics.median(floor)
    return (f"no profiler: chainrule {format_time(m)} per step, the same NumPy kernels alone "
            f"{format_time(f)}: chainrule's own overhead ≈ {format_time(m - f)} "
            f"({100 * (m - f) / m:.0f}% of the step)")


def report(workload: Workload, seconds: float = 2.0) -> None:
    """Print both profiles of chainrule's step of ``workload``."""
    chainrule_step, _ = workload.setup()
    gc.collect()
    gc.freeze()  # as harness.measure does: no full collections of PyTorch's objects in the profile
    calls = _calls_for(chainrule_step, seconds)
    print(f"=== {workload.name}: {workload.description}")
    if workload.kernels is not None:
        print(floor_report(chainrule_step, workload.kernels()))
    print(cprofile_report(chainrule_step, calls))
    sampled = pyinstrument_report(chainrule_step, seconds)
    print(sampled if sampled is not None else "(pyinstrument not installed)")
    gc.unfreeze()
