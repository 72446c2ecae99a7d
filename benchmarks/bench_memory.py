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

``step_lenet_sgd_processes`` is the same LeNet-5 step as ``chainrule train`` runs it: compiled,
the batch's second half in a forked worker process (``data_parallel="processes"``);
``step_vgg_bn_adam_processes`` the VGG-style step so (its halves meeting at each BatchNorm).
Each of the two processes holds half the batch's activations (and, within the convolutions'
workspace, their kept im2col columns); the worker's peak is measured the same way through its
``/proc`` entries, and the row gives the sum of both beside PyTorch's one process.
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
STEPS = ("step_lenet_sgd", "step_lenet_sgd_processes", "step_vgg_bn_adam",
         "step_vgg_bn_adam_processes")


def _status(field: str, pid="self") -> int:
    with open(f"/proc/{pid}/status") as f:
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

    processes = workload.endswith("_processes") and library == "chainrule"
    build, data, optimizer, options = {
        "step_lenet_sgd": (B._lenet, B._LENET_DATA, "SGD", dict(lr=0.01, momentum=0.9)),
        "step_vgg_bn_adam": (B._vgg, B._VGG_DATA, "Adam", dict(lr=1e-3)),
    }[workload.removesuffix("_processes")]
    L = B.cr if library == "chainrule" else B.torch
    model = build(L)
    opt = getattr(L.optim, optimizer)(model.parameters(), **options)
    x = L.tensor(np.ascontiguousarray(data[0]))
    y = L.tensor(np.asarray(data[1], dtype=np.int64))
    if processes:
        compiled = L.compile(B.batch_step(L, model, opt), fullgraph=True,
                             options={"data_parallel": "processes"})

        def step():
            return compiled(x, y)
    else:
        step = B.training_step(L, model, opt, x, y)

    for _ in range(2):
        step()
    pids = ["self"]
    if processes:
        worker = compiled.program().worker
        if worker is None:
            raise RuntimeError("the compiled step did not start its worker process")
        pids.append(worker.pid)
    before = {}
    for pid in pids:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")                             # reset VmHWM to the current RSS
        before[pid] = _status("VmRSS", pid)
    for _ in range(3):
        step()
    peaks = [_status("VmHWM", pid) - before[pid] for pid in pids]
    return {"before": before["self"], "peak": sum(peaks), "per_process": peaks}


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
        ours = f"{r['chainrule'] / 2**20:.1f} MiB"
        if "per_process" in r:
            ours += " (" + " + ".join(f"{p / 2**20:.1f}" for p in r["per_process"]) + \
                ": parent + worker)"
        lines.append(f"| {r['workload']} | {ours} | "
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
            result = measure(workload, library)
            row[library] = result["peak"]
            if library == "chainrule" and len(result["per_process"]) > 1:
                row["per_process"] = result["per_process"]
        print(f"{workload}: chainrule {row['chainrule'] / 2**20:.1f} MiB, "
              f"PyTorch {row['torch'] / 2**20:.1f} MiB", flush=True)
        rows.append(row)
    if not args.no_write:
        harness.write_section("peak_memory", render(rows))
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
