"""Peak memory of a training step, chainrule beside PyTorch.

    python benchmarks/bench_memory.py            # LeNet and VGG steps; writes a RESULTS.md section
    python benchmarks/bench_memory.py --no-write

Each (workload, library) pair runs in a fresh process that builds only that library's model
(bench_steps.py's LeNet-5 and VGG-style steps, same shapes and optimizers). glibc's mmap threshold
is pinned at 64 KiB and chainrule's malloc tuning is off in those processes, so large blocks go
back to the operating system when freed and the resident set follows what is alive. After two
warm-up steps (optimizer state and gradients exist), the kernel's peak-RSS mark is reset
(``/proc/self/clear_refs``), three steps run, and

    step peak = VmHWM − VmRSS before the steps

is the most memory a step needed beyond the model, its gradients, the optimizer state and the
data. Linux only. The section it writes into RESULTS.md is kept when run.py rewrites the file.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))

from benchmarks import harness  # noqa: E402

RESULTS = HERE / "RESULTS.md"
STEPS = ("step_lenet_sgd", "step_vgg_bn_adam")


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(workload: str, library: str) -> dict:
    """Run in the measuring process: build one library's model, step, report the peak."""
    sys.path.insert(0, str(HERE.parent))          # this checkout's chainrule and benchmarks
    if library == "chainrule":
        import chainrule  # noqa: F401  (before NumPy, as a user's script would)
    import numpy as np

    from benchmarks import bench_steps as B

    build, data, optimizer, options = {
        "step_lenet_sgd": (B._lenet, B._LENET_DATA, "SGD", dict(lr=0.01, momentum=0.9)),
        "step_vgg_bn_adam": (B._vgg, B._VGG_DATA, "Adam", dict(lr=1e-3)),
    }[workload]
    L = B.cr if library == "chainrule" else B.torch
    model = build(L)
    opt = getattr(L.optim, optimizer)(model.parameters(), **options)
    x = L.tensor(np.ascontiguousarray(data[0]))
    y = L.tensor(np.asarray(data[1], dtype=np.int64))
    step = B.training_step(L, model, opt, x, y)

    for _ in range(2):
        step()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")                                 # reset VmHWM to the current RSS
    before = _status("VmRSS")
    for _ in range(3):
        step()
    return {"before": before, "peak": _status("VmHWM") - before}


def measure(workload: str, library: str) -> dict:
    env = {**os.environ, "CHAINRULE_TUNE_MALLOC": "0", "MALLOC_MMAP_THRESHOLD_": "65536"}
    out = subprocess.run([sys.executable, __file__, "--child", workload, library], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def render(rows: list[dict]) -> str:
    from chainrule import kernels

    path = "fast kernels on" if kernels.available() else "pure NumPy"
    lines = ["<!-- peak_memory: begin (written by benchmarks/bench_memory.py) -->",
             "## Peak memory of a training step", "",
             f"`python benchmarks/bench_memory.py` ({path}): the most memory one step needs "
             "beyond the model, gradients, optimizer state and data (peak RSS − RSS before the "
             "steps, each library alone in a fresh process, large blocks returned to the OS when "
             "freed; see the script's docstring).", "",
             "| workload | chainrule | PyTorch | ratio |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['chainrule'] / 2**20:.1f} MiB | "
                     f"{r['torch'] / 2**20:.1f} MiB | {r['chainrule'] / r['torch']:.2f}x |")
    lines += ["", "<!-- peak_memory: end -->"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "LIBRARY"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    rows = []
    for workload in STEPS:
        row = {"workload": workload}
        for library in ("chainrule", "torch"):
            row[library] = measure(workload, library)["peak"]
        print(f"{workload}: chainrule {row['chainrule'] / 2**20:.1f} MiB, "
              f"PyTorch {row['torch'] / 2**20:.1f} MiB", flush=True)
        rows.append(row)
    if not args.no_write:
        harness.write_section("peak_memory", render(rows))
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
