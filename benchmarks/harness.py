"""Side-by-side timing of chainrule and PyTorch (CPU) in one process.

A :class:`Workload` is a name, a ``setup`` that builds the data and returns two zero-argument step
callables (chainrule's, then PyTorch's) that do the same work, and a target: the largest
acceptable ratio chainrule time / PyTorch time. Files ``benchmarks/bench_*.py`` each export a list
``WORKLOADS``; ``benchmarks/run.py`` finds them, measures them with :func:`measure` and writes
``benchmarks/RESULTS.md`` with :func:`render_markdown`.

How a workload is timed (and why):

- Both libraries run in the same process, under the same malloc settings (chainrule's
  ``backend.tune_malloc`` is process-wide) and the same BLAS/OpenMP thread counts.
- They run in alternating *blocks*, never interleaved step by step: each library's worker threads
  (OpenBLAS for NumPy, OpenMP for PyTorch) keep spinning for a while after a call, and on a small
  machine they steal the cores from the other library. Measured on the 2-core development machine,
  alternating step by step with no pause made PyTorch about 4x slower. So a round is: a block of
  one library, a pause (``pause_s``, 0.2 s) in which the spinning threads go to sleep, a block of
  the other, a pause. The library that goes first alternates from round to round.
- Each library is warmed up before timing, and each block begins with one untimed step (the
  threads and caches are cold again after the pause).
- A *sample* is ``inner`` consecutive calls of the step divided by ``inner``; ``inner`` is chosen
  per library so that a sample lasts at least ``min_sample_s`` (so a microsecond-scale step is not
  lost in the timer's resolution). A block's time is the median of its samples.
- A library's reported time is the median of its block times; the ratio is the median over rounds
  of (chainrule block time / PyTorch block time in the same round), which cancels slow drifts of
  the machine that affect both libraries in a round alike. The spread of the per-round ratios
  (25th-75th percentile) is reported beside it. When that spread is wide (another process is
  using the cores: the development machine is shared), more rounds are run, up to twice as many.
  The timed rounds of one workload stop after ``budget_s`` (6 s) once ``min_rounds`` (5) are
  done, so that a full run of all workloads stays near two minutes.
- The garbage collector stays on (a training loop runs with it), but its young generations are
  collected during each pause, so that one block's garbage is not collected in the next. After
  setup, the objects alive so far are frozen (``gc.freeze()``): with two libraries in one process
  (PyTorch alone brings ~170,000 tracked objects) a full collection costs ~0.1 s here, far more
  than in a process with one library, and chainrule, which allocates more Python objects per
  step, would trigger it more often. Freezing keeps that artifact of sharing the process out.
"""
from __future__ import annotations

import datetime
import gc
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

Step = Callable[[], object]

# The environment as the run was started: threadpoolctl, imported later, sets KMP_DUPLICATE_LIB_OK.
_ENVIRON = dict(os.environ)


@dataclass(frozen=True)
class Workload:
    """One benchmark: ``setup()`` returns ``(chainrule_step, torch_step)``.

    ``target`` is the largest acceptable ratio chainrule / PyTorch. ``rounds`` overrides the run's
    number of rounds for a slow workload; ``inner`` fixes the calls per sample instead of
    calibrating it. ``kernels``, optional, returns a step that does only the NumPy computations
    of chainrule's step (no Tensors, no graph): the floor that ``run.py --profile`` compares
    chainrule with, to tell Python overhead from array work. It is not part of the timed table.
    """

    name: str
    setup: Callable[[], tuple[Step, Step]]
    target: float
    description: str = ""
    rounds: int | None = None
    inner: int | None = None
    kernels: Callable[[], Step] | None = None


@dataclass
class Settings:
    """How long to measure; the defaults keep a workload to a few seconds."""

    rounds: int = 15            # blocks per library
    max_rounds_factor: float = 2.0  # ... extended, extra_rounds at a time, up to this factor,
    extra_rounds: int = 5           # while the per-round ratios spread ((p75 - p25) / median)
    noisy_spread: float = 0.2       # more than this (another process is using the cores)
    budget_s: float = 6.0           # timed rounds stop once they have taken this long ...
    min_rounds: int = 5             # ... but not before this many (a slow step gets fewer rounds)
    warmup_s: float = 0.3       # untimed running of each library before timing (at least 3 steps)
    pause_s: float = 0.2        # between blocks: the other library's threads go to sleep
    min_sample_s: float = 1e-3  # a sample lasts at least this long (inner calls per sample)
    block_s: float = 0.05       # a block aims at this long ...
    min_samples: int = 3        # ... but has at least this many samples
    max_samples: int = 20       # ... and at most this many


@dataclass
class Result:
    name: str
    description: str
    target: float
    chainrule_s: float              # median of chainrule's block medians, seconds per step
    torch_s: float
    ratio: float                    # median over rounds of chainrule / torch
    ratio_p25: float
    ratio_p75: float
    rounds: int
    samples: int                    # per block
    inner: tuple[int, int]          # calls per sample: chainrule, torch
    chainrule_blocks: list[float] = field(default_factory=list)
    torch_blocks: list[float] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.ratio <= self.target

    @property
    def best_ratio(self) -> float:
        """chainrule's fastest block / PyTorch's fastest block: less sensitive to a busy machine."""
        return min(self.chainrule_blocks) / min(self.torch_blocks)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        data = dict(data)
        data["inner"] = tuple(data["inner"])
        return cls(**data)


# --------------------------------------------------------------------------- measuring
def time_sample(step: Step, inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        step()
    return (time.perf_counter() - start) / inner


def _warm_up(step: Step, seconds: float) -> float:
    """Run ``step`` for ``seconds`` (at least 3 times); return the fastest single call."""
    best = math.inf
    deadline = time.perf_counter() + seconds
    count = 0
    while count < 3 or time.perf_counter() < deadline:
        best = min(best, time_sample(step, 1))
        count += 1
    return best


def time_block(step: Step, inner: int, samples: int) -> float:
    step()  # untimed: threads and caches are cold after the pause
    return statistics.median(time_sample(step, inner) for _ in range(samples))


def _pause(seconds: float) -> None:
    start = time.perf_counter()
    gc.collect(1)  # the young generations only: cheap, unlike a full collection
    time.sleep(max(0.0, seconds - (time.perf_counter() - start)))


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _spread(ratios: Sequence[float]) -> float:
    return (_quantile(ratios, 0.75) - _quantile(ratios, 0.25)) / statistics.median(ratios)


def measure(workload: Workload, settings: Settings | None = None,
            log: Callable[[str], None] | None = None) -> Result:
    """Time ``workload`` as the module docstring describes."""
    settings = settings or Settings()
    steps = workload.setup()
    if len(steps) != 2:
        raise ValueError(f"{workload.name}: setup() must return (chainrule_step, torch_step)")
    rounds = workload.rounds or settings.rounds
    max_rounds = math.ceil(rounds * settings.max_rounds_factor)
    gc.collect()
    gc.freeze()
    try:
        return _measure(workload, settings, steps, rounds, max_rounds, log)
    finally:
        gc.unfreeze()


def _measure(workload: Workload, settings: Settings, steps: tuple[Step, Step], rounds: int,
             max_rounds: int, log: Callable[[str], None] | None) -> Result:
    inners = []
    for step in steps:
        single = _warm_up(step, settings.warmup_s)
        inners.append(workload.inner or max(1, math.ceil(settings.min_sample_s / single)))
        _pause(settings.pause_s)
    sample_s = max(time_sample(step, inner) for step, inner in zip(steps, inners))
    samples = int(min(settings.max_samples,
                      max(settings.min_samples, math.ceil(settings.block_s / sample_s))))

    blocks: tuple[list[float], list[float]] = ([], [])
    ratios: list[float] = []
    r = 0
    start = time.perf_counter()
    while r < rounds:
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for which in order:
            blocks[which].append(time_block(steps[which], inners[which], samples))
            _pause(settings.pause_s)
        ratios.append(blocks[0][-1] / blocks[1][-1])
        r += 1
        if log is not None:
            log(f"  round {r}/{rounds}: chainrule {format_time(blocks[0][-1])}, "
                f"torch {format_time(blocks[1][-1])}, ratio {ratios[-1]:.2f}")
        over_budget = time.perf_counter() - start > settings.budget_s
        if over_budget and r >= settings.min_rounds:
            break
        if r == rounds and rounds < max_rounds and _spread(ratios) > settings.noisy_spread:
            rounds = min(rounds + settings.extra_rounds, max_rounds)  # a busy machine: go on
    return Result(
        name=workload.name, description=workload.description, target=workload.target,
        chainrule_s=statistics.median(blocks[0]), torch_s=statistics.median(blocks[1]),
        ratio=statistics.median(ratios), ratio_p25=_quantile(ratios, 0.25),
        ratio_p75=_quantile(ratios, 0.75), rounds=r, samples=samples, inner=tuple(inners),
        chainrule_blocks=blocks[0], torch_blocks=blocks[1])


# --------------------------------------------------------------------------- the machine
def _cpu_model() -> str:
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return platform.processor() or platform.machine()
    name = fields.get("model name", platform.processor() or platform.machine())
    ids = [f"{k} {fields[k]}" for k in ("cpu family", "model", "stepping") if k in fields]
    return f"{name} ({', '.join(ids)})" if ids else name


ENV_PREFIXES = ("MALLOC_", "OPENBLAS_", "OMP_", "MKL_", "GOMP_", "KMP_", "GLIBC_TUNABLES",
                "CHAINRULE_")
SETTING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_setting() -> str:
    """Which of chainrule's paths ran (the ``fast`` extra's numba kernels or the NumPy reference)
    and the OpenBLAS-related environment, e.g. ``OPENBLAS_CORETYPE=Haswell``."""
    from chainrule import kernels

    path = ("fast path (numba kernels)" if kernels.available()
            else "pure NumPy (fast kernels off or numba not installed)")
    parts = [f"{name}={_ENVIRON[name]}" for name in SETTING_VARS if name in _ENVIRON]
    return path + "; " + (", ".join(parts) if parts else
                          "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset")


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The fraction of all cores' time spent running anything over the next ``seconds`` (Linux)."""
    def read() -> tuple[int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:9]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = read()
        time.sleep(seconds)
        total1, idle1 = read()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: near 0 on an otherwise idle machine."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine_facts() -> dict:
    """What the numbers depend on: processor, libraries, their threads, malloc settings."""
    import numpy
    import threadpoolctl
    import torch

    import chainrule

    pools = threadpoolctl.threadpool_info()
    blas = [p for p in pools if p.get("user_api") == "blas"]
    numpy_blas = [
        f"{p.get('internal_api')} {p.get('version')} (core type {p.get('architecture')}, "
        f"{p.get('num_threads')} threads, {p.get('threading_layer')})"
        for p in blas if "numpy" in p.get("filepath", "")] or [
        f"{p.get('internal_api')} {p.get('version')}" for p in blas]
    openmp = [f"{p.get('prefix')} {p.get('num_threads')} threads" for p in pools
              if p.get("user_api") == "openmp"]
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    torch_blas = "MKL" if torch.backends.mkl.is_available() else "unknown"
    onednn = "on" if torch.backends.mkldnn.is_available() else "off"
    env = {k: v for k, v in sorted(_ENVIRON.items()) if k.startswith(ENV_PREFIXES)}
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load": load_average(),
        "busy": cpu_busy(),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} logical, {affinity} usable by this process",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "numpy_blas": "; ".join(numpy_blas) or "none found by threadpoolctl",
        "openmp_pools": "; ".join(openmp) or "none",
        "torch": torch.__version__,
        "torch_threads": (f"{torch.get_num_threads()} intra-op, "
                          f"{torch.get_num_interop_threads()} inter-op"),
        "torch_blas": (f"{torch_blas}, oneDNN {onednn}, "
                       f"CPU capability {torch.backends.cpu.get_cpu_capability()}"),
        "chainrule": chainrule.__version__,
        "malloc_tuned": bool(chainrule.backend.MALLOC_TUNED),
        "blas_setting": blas_setting(),
        "environment": env,
    }


# --------------------------------------------------------------------------- reporting
def format_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds:.3f} s"


_HEADER = ("workload", "chainrule", "PyTorch", "ratio", "ratio p25-p75", "best blocks",
           "target", "met")


def _rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    return [(r.name, format_time(r.chainrule_s), format_time(r.torch_s), f"{r.ratio:.2f}x",
             f"{r.ratio_p25:.2f}-{r.ratio_p75:.2f}", f"{r.best_ratio:.2f}x",
             f"≤ {r.target:g}x", "yes" if r.met else "NO") for r in results]


def format_table(results: Sequence[Result]) -> str:
    """A plain-text table for the terminal."""
    rows = [_HEADER, *_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown_table(results: Sequence[Result]) -> list[str]:
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    return lines


_METHOD = """\
Each workload runs chainrule and PyTorch (CPU) in one process, in alternating blocks: a block of
one library's steps, a 0.2 s pause, a block of the other's, a pause, for N rounds (the library that
goes first alternates). Both are warmed up first, and each block starts with one untimed step. A
block's time is the median of its samples (each sample: enough consecutive steps to last ≥ 1 ms,
divided by their number); a library's time is the median of its blocks; the ratio is the median
over rounds of chainrule's block time / PyTorch's block time, with the 25th-75th percentile of
those per-round ratios beside it. Where that spread exceeds 20% of the median (a busy machine),
rounds are added, up to twice the default 15; a workload's timed rounds stop after 6 s once 5
are done (slow steps get fewer rounds). "best blocks" is chainrule's fastest block over
PyTorch's fastest block: the figure least disturbed by other processes. "met" means ratio ≤
target. Times are per step.

Objects alive after a workload's setup are frozen out of the garbage collector (`gc.freeze()`),
so that full collections over PyTorch's ~170,000 objects (~0.1 s each) do not land in
chainrule's blocks, as they would not in a process without PyTorch. The load averages and the
share of the cores busy with other work before and after the run tell whether other processes
shared the cores (2 cores: a 1-minute load near 1 is this run alone); on a shared machine the
multi-threaded workloads slow down badly, since each BLAS call waits for its slowest thread.

Both libraries share the process's malloc settings: chainrule's `backend.tune_malloc` (glibc
`mallopt` of M_MMAP_THRESHOLD and M_TRIM_THRESHOLD, at import, unless `CHAINRULE_TUNE_MALLOC=0`)
applies to PyTorch's allocations too."""


def _facts_lines(facts: dict) -> list[str]:
    env = facts.get("environment") or {}
    env_text = ", ".join(f"`{k}={v}`" for k, v in env.items()) or "none set"
    malloc_env = {k: v for k, v in env.items() if k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    malloc_env_text = ", ".join(f"`{k}={v}`" for k, v in malloc_env.items()) or "none set"
    return [
        f"- Date: {facts['date']}; load average (1/5/15 min) before: {facts['load']}, after: "
        f"{facts.get('load_after', 'unknown')}; cores busy with other work in the second before "
        f"the run: {_percent(facts.get('busy'))}, after it: {_percent(facts.get('busy_after'))}",
        f"- CPU: {facts['cpu']}; cores: {facts['cores']}",
        f"- Python {facts['python']} on {facts['platform']}",
        f"- NumPy {facts['numpy']}, BLAS: {facts['numpy_blas']}",
        f"- PyTorch {facts['torch']}, threads: {facts['torch_threads']}; {facts['torch_blas']}",
        f"- OpenMP pools (threadpoolctl): {facts['openmp_pools']}",
        f"- chainrule {facts['chainrule']}; malloc tuned by chainrule "
        f"(`backend.MALLOC_TUNED`): {facts['malloc_tuned']}; MALLOC_* env vars: {malloc_env_text}",
        f"- Threading/BLAS/malloc environment variables: {env_text}",
    ]


def _percent(fraction: float | None) -> str:
    return "unknown" if fraction is None else f"{100 * fraction:.0f}%"


def render_markdown(runs: Sequence[dict]) -> str:
    """RESULTS.md for one or more runs, each ``{"facts": machine_facts(), "results": [...]}``.

    Several runs appear when the same workloads were measured under different environment
    settings (e.g. with and without ``OPENBLAS_CORETYPE``); each table names its setting.
    """
    lines = ["# Benchmarks: chainrule vs PyTorch (CPU)", "",
             "Written by `python benchmarks/run.py`; do not edit by hand.", ""]
    for run in runs:
        facts = run["facts"]
        results = [r if isinstance(r, Result) else Result.from_dict(r) for r in run["results"]]
        lines += [f"## Setting: {facts['blas_setting']}", ""]
        lines += _markdown_table(results)
        lines += [""]
        lines += [f"- `{r.name}`: {r.description} ({r.rounds} rounds × {r.samples} samples; "
                  f"calls per sample: chainrule {r.inner[0]}, PyTorch {r.inner[1]})"
                  for r in results if r.description]
        lines += ["", "Machine and libraries for this table:", ""]
        lines += _facts_lines(facts)
        lines += [""]
    lines += ["## Method", "", _METHOD, ""]
    return "\n".join(lines)


RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(name: str, text: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section of RESULTS.md that one script owns: the text between
    ``<!-- NAME: begin`` and ``<!-- NAME: end -->`` (``text`` includes both markers). run.py
    carries such sections over when it rewrites the file."""
    end_marker = f"<!-- {name}: end -->"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    begin, end = old.find(f"<!-- {name}: begin"), old.find(end_marker)
    if begin != -1 and end != -1:
        new = old[:begin] + text + old[end + len(end_marker):]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text + "\n"
    path.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------- solo benchmarks
def render_solo(section: str, title: str, other: str, results: Sequence[Result], facts: dict,
                command: str, note: str = "") -> str:
    """The RESULTS.md section of a benchmark script that measures alone (its steps take tenths
    of a second or more, so it is not one of run.py's workloads): a table of chainrule against
    ``other`` (PyTorch, Captum, …), one line per workload, and the machine's facts."""
    lines = [f"<!-- {section}: begin (written by {command}; do not edit by hand) -->",
             f"## {title}", "",
             f"| workload | chainrule | {other} | ratio | p25-p75 | best blocks | target | met |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {format_time(r.chainrule_s)} | {format_time(r.torch_s)} | "
                     f"{r.ratio:.2f}x | {r.ratio_p25:.2f}-{r.ratio_p75:.2f} | "
                     f"{r.best_ratio:.2f}x | ≤ {r.target:g}x | {'yes' if r.met else 'NO'} |")
    lines.append("")
    for r in results:
        lines.append(f"- `{r.name}`: {r.description} ({r.rounds} rounds × {r.samples} "
                     f"sample{'s' if r.samples != 1 else ''}, alternating blocks{note})")
    lines += [f"- Measured {facts['date']}; load average (1/5/15 min) before: {facts['load']}, "
              f"after: {facts['load_after']} (2 cores: a 1-minute load above 1 means other "
              "processes competed for the cores, and the ratios are rough)",
              f"- CPU: {facts['cpu']}; cores: {facts['cores']}; NumPy {facts['numpy']} "
              f"({facts['numpy_blas']}); PyTorch {facts['torch']} ({facts['torch_threads']})",
              "", f"<!-- {section}: end -->"]
    return "\n".join(lines)


def run_solo(section: str, title: str, other: str, workloads: Sequence[Callable[[], Workload]],
             command: str, argv=None, rounds: int = 5, note: str = "") -> int:
    """The ``main`` of a solo benchmark script: ``--rounds`` alternating rounds of one sample
    per block for each workload, printed, and written to its own RESULTS.md section unless
    ``--no-write``."""
    import argparse

    parser = argparse.ArgumentParser(description=f"{title} ({command})")
    parser.add_argument("--rounds", type=int, default=rounds,
                        help=f"alternating rounds (default {rounds})")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    facts = machine_facts()
    print(f"load average before: {facts['load']}", flush=True)
    settings = Settings(rounds=args.rounds, min_rounds=args.rounds, budget_s=float("inf"),
                        min_samples=1, max_samples=1, warmup_s=0.0, max_rounds_factor=1.0)
    results = [measure(make(), settings, log=print) for make in workloads]
    facts["load_after"] = load_average()
    text = render_solo(section, title, other, results, facts, command, note)
    print(text)
    if not args.no_write:
        write_section(section, text)
        print(f"wrote {RESULTS}")
    return 0
