"""The floor under a training step: its matrix products alone, on NumPy's BLAS and on PyTorch's.

``python benchmarks/bench_gemm.py`` runs one training step of issue 11's workloads that miss
their targets (benchmarks/bench_steps.py: the VGG-style step, the LSTM step, the MLP step) in
chainrule on one thread and records every matrix product (GEMM) it makes, at the shapes and
memory layouts it makes them: the convolutions' products as ``ops/conv.py`` chunks them, the
linear layers' three per layer, the LSTM's input projection, one product per time step forward
and backward, and its weight gradients. It then replays that list of products, on one thread:

- with NumPy's ``matmul`` (OpenBLAS, what chainrule runs), and
- with ``torch.matmul`` on the same float32 arrays (PyTorch's BLAS, Intel MKL in the CPU wheel),

alternating blocks, and times the whole PyTorch step and the whole chainrule step on one thread in
the same run. The GEMMs alone on NumPy, divided by PyTorch's whole step, is a floor that no
change to chainrule's other passes can get under while its products run on OpenBLAS; the GEMMs on
PyTorch's BLAS show how much of the gap is the BLAS library's speed on these shapes.

Writes the ``gemm`` section of benchmarks/RESULTS.md (``--no-write``: print only).
"""
from __future__ import annotations

import argparse
import importlib
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import chainrule as cr  # noqa: E402  (before NumPy: chainrule sets OpenBLAS's thread spin)

# isort: split
import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from benchmarks import bench_steps as S  # noqa: E402
from benchmarks.harness import format_time, load_average, machine_facts, time_block, write_section  # noqa: E402

# the modules themselves (``chainrule.ops`` exports functions of the same names)
conv_ops = importlib.import_module("chainrule.ops.conv")
linear_ops = importlib.import_module("chainrule.ops.linear")
rnn_ops = importlib.import_module("chainrule.ops.rnn")

SECTION = "gemm"
STEPS = {
    "step_vgg_bn_adam": (S._vgg, S._VGG_DATA, "Adam", {"lr": 1e-3}),
    "step_lstm_adam": (S._lstm, S._LSTM_DATA, "Adam", {"lr": 1e-3}),
    "step_mlp_adam": (S._mlp, S._MLP_DATA, "Adam", {"lr": 1e-3}),
}


def _layout(a) -> str:
    """How an operand is stored: 'C' (row-major), 'T' (a transposed row-major array), or 'C'
    for anything else (replayed as a copy)."""
    return "T" if a.ndim >= 2 and not a.flags.c_contiguous and a.T.flags.c_contiguous else "C"


class GemmLog:
    """Records (batch, m, k, n, layout of a, layout of b) for each product while active."""

    def __init__(self):
        self.gemms: list[tuple] = []
        self._undo = []

    def add(self, a, b) -> None:
        batch = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])))
        self.gemms.append((batch, a.shape[-2], a.shape[-1], b.shape[-1], _layout(a), _layout(b)))

    def _patch(self, owner, name, value) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def __enter__(self):
        log = self

        class LoggedNumPy:          # conv.py's module-level ``xp`` with a logging matmul
            def __getattr__(self, attr):
                return getattr(np, attr)

            @staticmethod
            def matmul(a, b, *args, **kwargs):
                log.add(a, b)
                return np.matmul(a, b, *args, **kwargs)

        def grouped(a, b):          # conv._matmul: (G, m, k) @ (G, k, n)
            log.add(a[0] if a.shape[0] == 1 else a, b[0] if b.shape[0] == 1 else b)
            return (a[0] @ b[0])[None] if a.shape[0] == 1 else np.matmul(a, b)

        self._patch(conv_ops, "xp", LoggedNumPy())
        self._patch(conv_ops, "_matmul", grouped)
        self._wrap(linear_ops.Linear, self._linear)
        self._wrap(rnn_ops.Lstm, self._lstm)
        return self

    def __exit__(self, *exc):
        for owner, name, value in reversed(self._undo):
            setattr(owner, name, value)

    def _wrap(self, cls, shapes):
        forward, vjp = cls.forward, cls.vjp

        def logged_forward(ctx, *args, **kwargs):
            out = forward(ctx, *args, **kwargs)
            shapes(ctx, args, None)
            return out

        def logged_vjp(ctx, g):
            shapes(ctx, ctx.saved, ctx.needs_input_grad)
            return vjp(ctx, g)

        self._patch(cls, "forward", staticmethod(logged_forward))
        self._patch(cls, "vjp", staticmethod(logged_vjp))

    def _linear(self, ctx, arrays, need):
        """y = x Wᵀ; ∂L/∂x = G W; ∂L/∂W = Gᵀ x (x flattened to rows)."""
        x, w = arrays[0], arrays[1]
        rows, features, outputs = x.size // x.shape[-1], x.shape[-1], w.shape[0]
        if need is None:
            self.gemms.append((1, rows, features, outputs, "C", "T"))
            return
        if need[0]:
            self.gemms.append((1, rows, outputs, features, "C", "C"))
        if need[1]:
            self.gemms.append((1, outputs, rows, features, "T", "C"))

    def _lstm(self, ctx, arrays, need):
        """The forward's input projection (T·N × I)(I × 4H) and one (N × H)(H × 4H) per step;
        the backward's (N × 4H)(4H × H) per step, ∂L/∂x (T·N × 4H)(4H × I) and the weight
        gradients (4H × T·N)(T·N × I), (4H × T·N)(T·N × H)."""
        if need is None:
            x, w_ih = arrays[0], arrays[3]          # (x, h0, c0, w_ih, …)
            (steps, batch, inputs), hidden = x.shape, w_ih.shape[0] // 4
            self.gemms.append((1, steps * batch, inputs, 4 * hidden, "C", "T"))
            self.gemms += [(1, batch, hidden, 4 * hidden, "C", "C")] * steps
            return
        x2, w_ih = arrays[0], arrays[1]
        rows, inputs, hidden = x2.shape[0], x2.shape[1], w_ih.shape[0] // 4
        steps = arrays[-2].T
        self.gemms += [(1, rows // steps, 4 * hidden, hidden, "C", "C")] * steps
        if need[0]:
            self.gemms.append((1, rows, 4 * hidden, inputs, "C", "C"))
        self.gemms += [(1, 4 * hidden, rows, inputs, "T", "C"),
                       (1, 4 * hidden, rows, hidden, "T", "C")]


def _operand(rng, batch, rows, cols, layout):
    """A float32 operand (batch ×) rows × cols stored as ``layout`` says (a broadcast operand
    of a batched product is replayed at the full batch: the same arithmetic)."""
    shape = (rows, cols) if layout == "C" else (cols, rows)
    if batch > 1:
        shape = (batch,) + shape
    a = rng.standard_normal(shape).astype(np.float32)
    return a if layout == "C" else a.swapaxes(-1, -2)


def replay_sets(gemms: list) -> tuple[list, list]:
    """The logged products as NumPy operand pairs and the same arrays as torch tensors."""
    rng = np.random.default_rng(0)
    pairs = [(_operand(rng, bt, m, k, la), _operand(rng, bt, k, n, lb))
             for bt, m, k, n, la, lb in gemms]
    return pairs, [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in pairs]


def flops(gemms: list) -> float:
    return float(sum(2 * bt * m * k * n for bt, m, k, n, _, _ in gemms))


def measure(name: str, rounds: int) -> dict:
    build, (x, y), optimizer, options = STEPS[name]
    mine, theirs = S._pair(build)
    ours = S.training_step(cr, mine, getattr(cr.optim, optimizer)(mine.parameters(), **options),
                           cr.tensor(x), cr.tensor(y))
    pytorch = S.training_step(torch, theirs,
                              getattr(torch.optim, optimizer)(theirs.parameters(), **options),
                              torch.from_numpy(x), torch.from_numpy(y))
    cr.set_num_threads(1)
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1, "blas"):
            ours()
            with GemmLog() as log:
                ours()
            numpy_pairs, torch_pairs = replay_sets(log.gemms)

            def numpy_gemms():
                for a, b in numpy_pairs:
                    np.matmul(a, b)

            def torch_gemms():
                for a, b in torch_pairs:
                    torch.matmul(a, b)

            blocks = {"numpy": [], "torch": [], "pytorch_step": [], "chainrule_step": []}
            jobs = {"numpy": numpy_gemms, "torch": torch_gemms, "pytorch_step": pytorch,
                    "chainrule_step": ours}
            for _ in range(rounds):
                for key, job in jobs.items():
                    blocks[key].append(time_block(job, 1, 3))
    finally:
        cr.set_num_threads(cr.parallel._cores())
        torch.set_num_threads(cr.parallel._cores())
    times = {k: statistics.median(v) for k, v in blocks.items()}
    return {"name": name, "count": len(log.gemms), "gflop": flops(log.gemms) / 1e9, **times}


def render(rows: list, facts: dict) -> str:
    lines = [f"<!-- {SECTION}: begin (written by python benchmarks/bench_gemm.py; do not edit "
             "by hand) -->",
             "## The floor: each step's matrix products alone, NumPy's BLAS beside PyTorch's",
             "",
             "One thread for everything (`chainrule.set_num_threads(1)`, BLAS held at one thread, "
             "`torch.set_num_threads(1)`). The GEMMs are those one chainrule step makes, logged at "
             "the shapes and layouts it makes them, then replayed on NumPy's `matmul` (OpenBLAS) "
             "and on `torch.matmul` (PyTorch's BLAS) with the same float32 arrays; medians of "
             "alternating blocks, with both whole steps timed in the same rounds.",
             "",
             "| step | GEMMs | GFLOP | on NumPy (OpenBLAS) | GFLOP/s | on PyTorch's BLAS | "
             "GFLOP/s | PyTorch's whole step | chainrule's whole step | floor: NumPy's GEMMs / "
             "PyTorch's step | chainrule / PyTorch |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['count']} | {r['gflop']:.2f} | {format_time(r['numpy'])} | "
            f"{r['gflop'] / r['numpy']:.0f} | {format_time(r['torch'])} | "
            f"{r['gflop'] / r['torch']:.0f} | {format_time(r['pytorch_step'])} | "
            f"{format_time(r['chainrule_step'])} | {r['numpy'] / r['pytorch_step']:.2f}x | "
            f"{r['chainrule_step'] / r['pytorch_step']:.2f}x |")
    lines += ["", f"Machine: {facts['cpu']}; NumPy {facts['numpy']} ({facts['numpy_blas']}); "
              f"PyTorch {facts['torch']} ({facts['torch_blas']}). Load average before: "
              f"{facts['load']}, after: {facts['load_after']}. Date: {facts['date']}.",
              f"<!-- {SECTION}: end -->"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", choices=list(STEPS), action="append")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    facts = machine_facts()
    print(f"load average before: {facts['load']}", flush=True)
    rows = []
    for name in STEPS:
        if args.only and name not in args.only:
            continue
        r = measure(name, args.rounds)
        rows.append(r)
        print(f"{name}: {r['count']} GEMMs, {r['gflop']:.2f} GFLOP; NumPy "
              f"{format_time(r['numpy'])}, torch.matmul {format_time(r['torch'])}; PyTorch step "
              f"{format_time(r['pytorch_step'])}, chainrule step "
              f"{format_time(r['chainrule_step'])}", flush=True)
    facts["load_after"] = load_average()
    text = render(rows, facts)
    if args.no_write or args.only:
        print(text)
    else:
        write_section(SECTION, text)
        print(f"wrote the {SECTION} section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
