"""Where a training step's time goes: chainrule per primitive beside PyTorch per operator.

``python benchmarks/bench_breakdown.py`` runs issue 11's full-step workloads (benchmarks/
bench_steps.py: the MLP, LeNet-5, VGG-style and LSTM training steps and LeNet inference at batch
1000) and writes, for each, two short tables into the ``breakdown`` section of
benchmarks/RESULTS.md:

- chainrule: the wall time of each primitive's forward and of its vector-Jacobian product (vjp),
  per step, summed over the primitive's calls. Each registered primitive's ``forward`` and
  ``vjp`` are wrapped in a timer for this run only (a few hundred nanoseconds per call); the
  time of passes a primitive splits over the intra-op threads is counted once, as the wall time
  the calling thread waits. "outside the primitives" is the step's time minus their sum: the
  autograd engine, the optimizer, ``zero_grad`` and the Python of the modules.
- PyTorch: ``torch.profiler``'s self CPU time per ATen operator, per step (the operators that
  do the work: convolution kernels, pooling, GEMMs, the optimizer's fused updates).

Both libraries run the same model with the same weights and data in this one process, one after
the other, after a warm-up; the step times are medians of several blocks. The profilers add
their own overhead, so the per-row times add up to a little more than the step time measured
without them, which ``benchmarks/run.py`` reports.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import chainrule  # noqa: E402,F401  (before NumPy: chainrule sets OpenBLAS's thread spin)
from benchmarks import bench_steps  # noqa: E402
from benchmarks.harness import format_time, load_average, machine_facts, write_section  # noqa: E402

SECTION = "breakdown"
TOP = 8


class PrimitiveTimer:
    """Wraps every registered primitive's forward and vjp with a wall-clock timer while active."""

    def __init__(self):
        from chainrule.autograd import registry

        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._saved = []
        for name, cls in registry.all_primitives().items():
            for method in ("forward", "vjp"):
                if method in cls.__dict__:
                    self._saved.append((cls, method, cls.__dict__[method], f"{name}.{method}"))

    def _wrap(self, raw, key):
        totals, calls, clock = self.totals, self.calls, time.perf_counter

        def timed(*args, **kwargs):
            start = clock()
            try:
                return raw(*args, **kwargs)
            finally:
                totals[key] += clock() - start
                calls[key] += 1

        return staticmethod(timed)

    def __enter__(self):
        for cls, method, original, key in self._saved:
            raw = original.__func__ if isinstance(original, staticmethod) else original
            setattr(cls, method, self._wrap(raw, key))
        return self

    def __exit__(self, *exc):
        for cls, method, original, _ in self._saved:
            setattr(cls, method, original)


def _quiet(seconds: float = 0.3) -> None:
    """Let the other library's idle threads stop spinning (PyTorch's OpenMP workers and
    OpenBLAS's spin for a while after each parallel region, holding the second core)."""
    time.sleep(seconds)


def _median_step(step, blocks: int = 5, per_block: int = 5) -> float:
    _quiet()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(per_block):
            step()
        times.append((time.perf_counter() - start) / per_block)
    return statistics.median(times)


def _profiled(step, steps: int) -> float:
    _quiet()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def chainrule_breakdown(step, steps: int):
    """(step time, profiled step time, rows of (primitive.method, seconds per step, calls per
    step))."""
    step_s = _median_step(step)
    with PrimitiveTimer() as timer:
        profiled_s = _profiled(step, steps)
    rows = sorted(((k, v / steps, timer.calls[k] / steps) for k, v in timer.totals.items()),
                  key=lambda r: -r[1])
    return step_s, profiled_s, rows


def torch_breakdown(step, steps: int):
    """(step time, profiled step time, rows of (ATen operator, self CPU seconds per step, calls
    per step))."""
    from torch.profiler import ProfilerActivity, profile

    step_s = _median_step(step)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        profiled_s = _profiled(step, steps)
    rows = [(e.key, e.self_cpu_time_total * 1e-6 / steps, e.count / steps)
            for e in prof.key_averages() if e.self_cpu_time_total > 0]
    return step_s, profiled_s, sorted(rows, key=lambda r: -r[1])


def _warm(step, seconds: float = 1.0) -> None:
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()


def _table(title: str, step_s: float, rows, rest_label: str) -> list[str]:
    """Rows with their share of the profiled step ``step_s``."""
    lines = [f"| {title} | per step (share of the profiled step) | calls |", "|---|---|---|"]
    shown = rows[:TOP]
    for name, seconds, calls in shown:
        lines.append(f"| `{name}` | {format_time(seconds)} ({seconds / step_s:.0%}) | "
                     f"{calls:g} |")
    others = sum(r[1] for r in rows[TOP:])
    if others:
        lines.append(f"| {len(rows) - TOP} more | {format_time(others)} ({others / step_s:.0%}) "
                     f"| |")
    if rest_label:
        rest = step_s - sum(r[1] for r in rows)
        lines.append(f"| {rest_label} | {format_time(max(rest, 0.0))} "
                     f"({max(rest, 0.0) / step_s:.0%}) | |")
    return lines


def run(names, steps: int) -> str:
    workloads = [w for w in bench_steps.WORKLOADS if not names or w.name in names]
    before = load_average()
    parts = []
    for workload in workloads:
        mine, theirs = workload.setup()
        _warm(theirs)
        _quiet()
        _warm(mine)
        c_step, c_prof, c_rows = chainrule_breakdown(mine, steps)
        t_step, t_prof, t_rows = torch_breakdown(theirs, steps)
        print(f"{workload.name}: chainrule {format_time(c_step)}, PyTorch {format_time(t_step)}",
              flush=True)
        parts += [f"### `{workload.name}`: chainrule {format_time(c_step)}, PyTorch "
                  f"{format_time(t_step)} per step ({c_step / t_step:.2f}x)", "",
                  workload.description + ".", ""]
        parts += [f"Profiled steps: chainrule {format_time(c_prof)}, PyTorch "
                  f"{format_time(t_prof)}.", ""]
        parts += _table("chainrule primitive", c_prof, c_rows, "outside the primitives")
        parts.append("")
        parts += _table("PyTorch operator (self CPU)", t_prof, t_rows, "")
        parts.append("")
    facts = machine_facts()
    header = [f"<!-- {SECTION}: begin (written by benchmarks/bench_breakdown.py; do not edit by "
              "hand) -->",
              "## Where a training step's time goes (issue 11)", "",
              "`python benchmarks/bench_breakdown.py`: chainrule's time per primitive (forward "
              "and vjp, wall time including the parts split over threads) beside PyTorch's self "
              "CPU time per operator (torch.profiler), same model, weights and data, one process; "
              f"{steps} profiled steps each, step times without the profilers (medians). See the "
              "script's docstring for what the rows count.", ""]
    footer = ["", f"- Date: {facts.get('date', '')}; load average before: {before}, after: "
              f"{load_average()}; path: {bench_steps._PATH}; CPU: {facts.get('cpu', '')}", "",
              f"<!-- {SECTION}: end -->"]
    return "\n".join(header + parts + footer)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="workload names")
    parser.add_argument("--steps", type=int, default=20, help="profiled steps per library")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    text = run(args.only, args.steps)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
