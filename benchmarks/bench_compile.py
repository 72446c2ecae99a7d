"""chainrule.compile: eager chainrule, compiled chainrule and PyTorch eager, in the same run.

    python benchmarks/bench_compile.py              # measures and writes its RESULTS.md section
    python benchmarks/bench_compile.py --no-write   # prints only
    python benchmarks/bench_compile.py --hook       # only: eager speed with and without the hook

The three training steps of issue 17 (float32, PyTorch's initial weights copied into both
chainrule models; the builders and data are benchmarks/bench_steps.py's): MLP 784-256-128-10 with
Adam, batch 128; LeNet-5 with SGD momentum 0.9, batch 128; Embedding(5000, 64) → LSTM(128) →
Linear(2) with Adam, batch 64, T = 100. One step is zero_grad → forward → loss → backward → step.
A round times one block of each of the three (untimed first call, then the median of a few
samples, each at least BLOCK_S = 0.25 s of calls back to back, as a training loop makes them), in
an order that rotates from round to round, with a pause between blocks (see harness.py for
why); times are medians over rounds and the ratios are medians of the per-round
ratios. Peak memory is tracemalloc's peak over one step (NumPy reports its arrays to tracemalloc),
after warm-up, eager vs compiled.

``--hook`` measures what the tracing hook in Function.apply costs eager code when no function is
being traced: the MLP step with the hook's check in place, against the same step with
Function.apply replaced by a copy of it without the check (alternating blocks).
"""
from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    # before NumPy: chainrule shortens OpenBLAS's idle spin, which otherwise keeps the second
    # core busy for 0.1 s after every product (measured here: the LeNet step 19-24 ms instead
    # of 17 ms, the worker-process step 20 ms instead of 12.7 ms)
    import chainrule  # noqa: F401

import numpy as np  # noqa: E402

import chainrule  # noqa: E402,F401
from benchmarks import bench_steps as S  # noqa: E402
from benchmarks import harness  # noqa: E402

SECTION = "compile"
TITLE = "chainrule.compile: compiled training steps beside eager chainrule and PyTorch"
TARGETS = {"mlp_adam": 0.7, "lenet_sgd": 0.9, "lstm_adam": 0.9}
BLOCK_S = 0.25


def _setup(build, x, y, optimizer, processes=False, **options):
    import torch

    import chainrule as cr

    eager_model, theirs = S._pair(build)
    compiled_model = build(cr)
    compiled_model.load_state_dict(eager_model.state_dict())
    eopt = getattr(cr.optim, optimizer)(eager_model.parameters(), **options)
    copt = getattr(cr.optim, optimizer)(compiled_model.parameters(), **options)
    topt = getattr(torch.optim, optimizer)(theirs.parameters(), **options)
    cx, cy = cr.tensor(x), cr.tensor(y)
    torch_step = S.training_step(torch, theirs, topt, torch.from_numpy(x), torch.from_numpy(y))
    eager = S.training_step(cr, eager_model, eopt, cx, cy)
    compiled_step = cr.compile(S.batch_step(cr, compiled_model, copt), fullgraph=True)

    def compiled():
        return compiled_step(cx, cy)
    a, b, c = eager().item(), compiled().item(), torch_step().item()
    if not (a == b and np.isclose(a, c, rtol=1e-4)):
        raise AssertionError(f"first losses differ: eager {a}, compiled {b}, torch {c}")
    steps = {"eager": eager, "compiled": compiled, "torch": torch_step}
    if processes:       # the batch's second half in a worker process (compile/processes.py)
        model = build(cr)
        model.load_state_dict(eager_model.state_dict())
        popt = getattr(cr.optim, optimizer)(model.parameters(), **options)
        pstep = cr.compile(S.batch_step(cr, model, popt), fullgraph=True,
                           options={"data_parallel": "processes"})
        steps["processes"] = lambda: pstep(cx, cy)
        steps["processes"]()
    return steps


def _mlp_with_floor():
    """The MLP step, plus its floor: the step's matrix products alone, on NumPy arrays."""
    steps = _setup(S._mlp, *S._MLP_DATA, "Adam", lr=1e-3)
    rng = np.random.default_rng(0)
    x = S._MLP_DATA[0]
    w = [rng.standard_normal(s).astype(np.float32) for s in ((256, 784), (128, 256), (10, 128))]

    def matmuls():          # 3 forward products, 2 input gradients, 3 weight gradients
        h1 = x @ w[0].T
        h2 = h1 @ w[1].T
        h3 = h2 @ w[2].T
        g2 = h3 @ w[2]
        g1 = g2 @ w[1]
        return h3.T @ h2, g2.T @ h1, g1.T @ x

    steps["matmuls"] = matmuls
    if chainrule.kernels.available():
        steps["by_hand"] = _mlp_by_hand(*S._MLP_DATA)
    return steps


def _mlp_by_hand(x, y):
    """The MLP's Adam step written by hand for this one network, the least work NumPy and the
    fast kernels allow: the 8 products, the bias sums, ReLU's forward and its one-pass backward,
    the cross-entropy kernels and one call of the Adam kernel for all six tensors — no graph,
    no checks, no Python per tensor. What a compiler of this step could at best reach here."""
    import math

    import torch

    from chainrule.kernels.activations import relu_backward
    from chainrule.kernels.adam import adam_update_many
    from chainrule.kernels.softmax_ce import softmax_ce_backward, softmax_ce_forward

    torch.manual_seed(0)
    params = [t.detach().numpy().copy() for t in S._mlp(torch).parameters()]  # PyTorch's init
    grads = [np.empty_like(p) for p in params]
    moments = [[np.zeros_like(p) for p in params] for _ in range(2)]
    flat = [tuple(a.reshape(-1) for a in arrays) for arrays in (params, grads, *moments)]
    f = np.float32
    n, classes = y.shape[0], params[4].shape[0]
    p = np.empty((n, classes), f)
    shift, log_total = np.empty(n, f), np.empty(n, f)
    losses, gz = np.empty(n, f), np.empty((n, classes), f)
    # ReLU's backward writes into buffers of its own: given its input as out, numba's runtime
    # alias check sends the kernel to its scalar loop (25x slower here, a branch per element)
    e2, e1 = np.empty((n, params[2].shape[0]), f), np.empty((n, params[0].shape[0]), f)
    count = [0]

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h1 = x @ w1.T
        h1 += b1
        r1 = np.maximum(h1, 0, out=h1)
        h2 = r1 @ w2.T
        h2 += b2
        r2 = np.maximum(h2, 0, out=h2)
        z = r2 @ w3.T
        z += b3
        counted = softmax_ce_forward(z, y, -100, f(0), p, shift, log_total, losses)
        one = f(1)
        softmax_ce_backward(p, y, -100, one / f(counted), one, gz)
        np.matmul(gz.T, r2, out=grads[4])
        np.sum(gz, axis=0, out=grads[5])
        d2 = gz @ w3
        relu_backward(d2.reshape(-1), r2.reshape(-1), e2.reshape(-1))
        np.matmul(e2.T, r1, out=grads[2])
        np.sum(e2, axis=0, out=grads[3])
        d1 = e2 @ w2
        relu_backward(d1.reshape(-1), r1.reshape(-1), e1.reshape(-1))
        np.matmul(e1.T, x, out=grads[0])
        np.sum(e1, axis=0, out=grads[1])
        count[0] += 1
        t = count[0]
        adam_update_many(*flat, f(0.1), f(0.999), f(0.001), f(math.sqrt(1 - 0.999 ** t)),
                         f(1e-8), f(1e-3 / (1 - 0.9 ** t)))
        return float(losses.sum() / counted)

    return step


def _lstm_with_floor():
    """The LSTM step, plus its floor: the matrix products of one half-batch part (the work one
    core does in the step split over processes) alone on one thread, through NumPy's OpenBLAS
    and, for the same shapes, through PyTorch's MKL."""
    from chainrule.parallel import _BlasThreads

    steps = _setup(S._lstm, *S._LSTM_DATA, "Adam", processes=True, lr=1e-3)
    T, N, E, H = 100, 32, 64, 128
    rng = np.random.default_rng(0)
    shapes = {"x": (T * N, E), "w_ih": (4 * H, E), "w_hh": (4 * H, H), "h": (T * N, H),
              "da": (T * N, 4 * H)}
    arrays = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}

    def products(a, mm, whh_t):
        a["x"] @ a["w_ih"].T                                     # input projection
        h, da, out, back = a["h"], a["da"], a["out"], a["back"]
        for t in range(T):                                       # per step: forward, backward
            mm(h[t * N:(t + 1) * N], whh_t, out=out)
            mm(da[t * N:(t + 1) * N], a["w_hh"], out=back)
        da.T @ a["x"], da.T @ h, da @ a["w_ih"]                  # weight and input gradients

    mine = dict(arrays, out=np.empty((N, 4 * H), np.float32), back=np.empty((N, H), np.float32))
    mine_whh_t = np.ascontiguousarray(arrays["w_hh"].T)
    blas = _BlasThreads.get()

    def gemms():
        before = blas.get_num_threads() if blas is not None else None
        if blas is not None:
            blas.set_num_threads(1)
        try:
            products(mine, np.matmul, mine_whh_t)
        finally:
            if blas is not None:
                blas.set_num_threads(before)

    import torch

    theirs = {k: torch.from_numpy(v) for k, v in mine.items()}
    theirs_whh_t = torch.from_numpy(mine_whh_t)

    def gemms_mkl():
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            products(theirs, torch.matmul, theirs_whh_t)
        finally:
            torch.set_num_threads(before)

    steps["gemms"], steps["gemms_mkl"] = gemms, gemms_mkl
    return steps


STEPS = {
    "mlp_adam": (_mlp_with_floor,
                 "MLP 784-256-128-10 (ReLU), Adam, batch 128"),
    "lenet_sgd": (lambda: _setup(S._lenet, *S._LENET_DATA, "SGD", processes=True, lr=0.01,
                                 momentum=0.9),
                  "LeNet-5, SGD momentum 0.9, batch 128 of 1×28×28"),
    "lstm_adam": (_lstm_with_floor,
                  "Embedding(5000, 64) → LSTM(128) → Linear(2), Adam, batch 64, T = 100"),
}


def _inner(step, min_s: float = 0.02) -> int:
    start = time.perf_counter()
    step()
    once = time.perf_counter() - start
    return max(1, int(min_s / max(once, 1e-6)))


def measure_three(steps: dict, rounds: int, samples: int = 3) -> dict:
    """Alternating blocks of the three steps; medians of blocks and of per-round ratios."""
    names = list(steps)
    for name in names:                              # warm up
        for _ in range(3):
            steps[name]()
    # a block of calls back to back, at least BLOCK_S long: a training loop calls its step back
    # to back, and a block of one or two calls after a pause measures waking threads and
    # processes up (LeNet: the worker-process step 1.60x PyTorch in 20 ms blocks, 1.22x in
    # 250 ms blocks, same run; the threaded step 2.00x and 1.78x)
    inner = {name: _inner(steps[name], BLOCK_S) for name in names}
    blocks = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            blocks[name].append(harness.time_block(steps[name], inner[name], samples))
            harness._pause(0.2)
    ratio = {name: statistics.median(b / t for b, t in zip(blocks[name], blocks["torch"]))
             for name in names if name != "torch"}
    best = {name: min(b / t for b, t in zip(blocks[name], blocks["torch"]))
            for name in ("eager", "compiled")}
    return {"times": {n: statistics.median(b) for n, b in blocks.items()}, "ratio": ratio,
            "best": best,
            "speedup": statistics.median(e / c for e, c in zip(blocks["eager"],
                                                              blocks["compiled"])),
            "rounds": rounds}


def peak_memory(step) -> int:
    step()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def breakdown(step, calls: int = 10) -> dict:
    """Where a compiled step's time goes (cProfile): the primitives' forward and vjp, the
    optimizer's calls, and the rest (the replay's own bookkeeping) — of the unsplit replay on
    one thread (cProfile sees only the calling thread, so a split step cannot be profiled
    whole)."""
    import cProfile
    import pstats

    from chainrule import parallel

    threads = parallel.get_num_threads()
    parallel.set_num_threads(1)
    try:
        step()                          # (a signature traced at one thread: the same program)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(calls):
            step()
        profile.disable()
    finally:
        parallel.set_num_threads(threads)
    stats = pstats.Stats(profile).stats
    parts = {"forward": 0.0, "vjp": 0.0, "optimizer": 0.0, "total": 0.0}
    for (filename, _, name), (_, _, _, cumtime, _) in stats.items():
        if name == "replay" and filename.endswith("replay.py"):
            parts["total"] += cumtime
        elif name == "apply_prim" and filename.endswith("replay.py"):
            parts["forward"] += cumtime         # each primitive's forward, called by the replay
        elif name == "run_schedule" and filename.endswith("replay.py"):
            parts["vjp"] += cumtime             # the backward's schedule: each vjp, and the sums
        elif name in ("step", "zero_grad") and filename.endswith("optimizer.py"):
            parts["optimizer"] += cumtime
    parts["rest"] = parts["total"] - parts["forward"] - parts["vjp"] - parts["optimizer"]
    return {k: v / max(parts["total"], 1e-12) for k, v in parts.items() if k != "total"}


def hook_cost(rounds: int = 9) -> tuple[float, float]:
    """Eager MLP step time with the tracing hook's check, and with an apply without it."""
    from chainrule.autograd import function as F

    steps = _setup(S._mlp, *S._MLP_DATA, "Adam", lr=1e-3)
    with_hook = F.Function.__dict__["apply"]
    source = Path(F.__file__).read_text()
    start = source.index("    @classmethod\n    def apply(cls")
    end = source.index("    @classmethod\n    def explain_error")
    body = source[start:end].replace(
        "        if tracer is not None:      # chainrule.compile is tracing: one check when it "
        "is not\n            tracer.record(cls, args, params, result)\n", "")
    if body == source[start:end]:
        raise RuntimeError("bench_compile --hook: the hook's lines were not found in apply")
    namespace = dict(vars(F))
    exec(compile("class _C:\n" + body, F.__file__, "exec"), namespace)  # noqa: S102
    without_hook = namespace["_C"].__dict__["apply"]
    import timeit

    import chainrule as cr

    a, b = cr.ones(1), cr.ones(1)
    tiny = lambda: cr.add(a, b)                      # noqa: E731  (apply's own overhead)
    results = []
    for step, number in ((steps["eager"], 10), (tiny, 20000)):
        times = {"with": [], "without": []}
        for r in range(rounds):
            for which in (("with", "without") if r % 2 == 0 else ("without", "with")):
                F.Function.apply = with_hook if which == "with" else without_hook
                # the fastest of a few timeit runs: the figure least moved by other processes
                times[which].append(min(timeit.repeat(step, number=number, repeat=3)) / number)
        F.Function.apply = with_hook
        results.append((statistics.median(times["with"]), statistics.median(times["without"])))
    return results


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--hook", action="store_true", help="only the hook's cost on eager")
    parser.add_argument("--only", choices=list(STEPS), action="append",
                        help="measure only these steps (prints, does not write)")
    args = parser.parse_args(argv)
    if args.hook:
        print(hook_text(hook_cost()))
        return 0
    facts = harness.machine_facts()
    print(f"load average before: {facts['load']}", flush=True)
    rows = []
    for name, (setup, description) in STEPS.items():
        if args.only and name not in args.only:
            continue
        steps = setup()
        result = measure_three(steps, args.rounds)
        memory = {k: peak_memory(steps[k]) for k in ("eager", "compiled")}
        result["breakdown"] = breakdown(steps["compiled"])
        rows.append((name, description, result, memory))
        t = result["times"]
        print(f"{name}: eager {harness.format_time(t['eager'])}, compiled "
              f"{harness.format_time(t['compiled'])}, torch {harness.format_time(t['torch'])}; "
              f"compiled/torch {result['ratio']['compiled']:.2f}x; peak memory eager "
              f"{memory['eager'] / 2**20:.1f} MiB, compiled {memory['compiled'] / 2**20:.1f} MiB",
              flush=True)
    hook = hook_cost() if not args.only else ((1.0, 1.0), (1.0, 1.0))
    facts["load_after"] = harness.load_average()
    # the benchmark itself keeps both cores busy (a 1-minute load near 2 after it): other
    # processes show as a load above 1 before it, or above 2.5 after it
    facts["busy"] = _one_minute(facts["load"]) > 1.0 or _one_minute(facts["load_after"]) > 2.5
    text = render(rows, facts, hook)
    print(text)
    if not args.no_write and not args.only:
        harness.write_section(SECTION, text)
        print(f"wrote {harness.RESULTS}")
    return 0


def _one_minute(load: str) -> float:
    try:
        return float(load.split("/")[0])
    except ValueError:
        return float("inf")


def hook_text(hook) -> str:
    (w, wo), (tw, two) = hook
    f = harness.format_time
    return (f"The tracing hook's check in Function.apply, when nothing is traced: one tiny "
            f"primitive call (add of two 1-element tensors) {f(tw)} with it, {f(two)} without "
            f"({(tw / two - 1) * 100:+.1f}%); the eager MLP step {f(w)} with it, {f(wo)} "
            f"without ({(w / wo - 1) * 100:+.1f}%)")


def render(rows, facts, hook) -> str:
    f = harness.format_time
    lines = [f"<!-- {SECTION}: begin (written by python benchmarks/bench_compile.py; do not edit "
             "by hand) -->", f"## {TITLE}", "",
             "| step | eager | compiled | PyTorch | eager/PyTorch | compiled/PyTorch | best round "
             "| target | met | eager/compiled | peak memory eager | compiled |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, _, r, m in rows:
        t = r["times"]
        ok = r["ratio"]["compiled"] <= TARGETS[name]
        met = ("yes" if ok else "NO") + (" (unreliable: load)" if facts.get("busy") else "")
        lines.append(f"| {name} | {f(t['eager'])} | {f(t['compiled'])} | {f(t['torch'])} | "
                     f"{r['ratio']['eager']:.2f}x | {r['ratio']['compiled']:.2f}x | "
                     f"{r['best']['compiled']:.2f}x | ≤ {TARGETS[name]:g}x | "
                     f"{met} | {r['speedup']:.2f}x | "
                     f"{m['eager'] / 2**20:.1f} MiB | {m['compiled'] / 2**20:.1f} MiB |")
    lines += ["", "Ratios are medians over rounds of (time / PyTorch's time in the same round); "
              "'best round' is the smallest compiled/PyTorch ratio of a round; 'met' compares "
              "the median with the target, and says 'unreliable' when the 1-minute load was "
              "above 1 before the run or above 2.5 after it (the run itself accounts for about "
              "2: other processes on the 2 cores slow "
              "PyTorch's spinning OpenMP threads more than NumPy, so a busy machine flatters "
              "chainrule).", ""]
    for name, description, r, _ in rows:
        if "processes" in r["times"]:
            lines.append(f"- `{name}` compiled with `options={{'data_parallel': 'processes'}}` "
                         f"(the batch's second half in a worker process): "
                         f"{f(r['times']['processes'])}, {r['ratio']['processes']:.2f}x "
                         f"PyTorch (threads: {r['ratio']['compiled']:.2f}x) in the same rounds")
        if "by_hand" in r["times"]:
            lines.append(f"- `{name}` written by hand (`_mlp_by_hand`: the same step in straight "
                         f"NumPy and the fast kernels, no graph and no checks — the best a "
                         f"compiled step could do with NumPy's BLAS): "
                         f"{f(r['times']['by_hand'])}, {r['ratio']['by_hand']:.2f}x PyTorch in "
                         f"the same rounds")
        if "matmuls" in r["times"]:
            lines.append(f"- `{name}` floor: the step's 8 matrix products alone (NumPy/OpenBLAS "
                         f"float32, no other work) take {f(r['times']['matmuls'])}, "
                         f"{r['ratio']['matmuls']:.2f}x PyTorch's whole step in the same rounds")
        if "gemms" in r["times"]:
            lines.append(f"- `{name}` floor: the matrix products of one half-batch part alone (the "
                         f"work of one core in the step over processes: the input projection, "
                         f"100 forward and 100 backward per-step products, the weight and input "
                         f"gradients; float32, one thread) take {f(r['times']['gemms'])} through "
                         f"NumPy's OpenBLAS, {r['ratio']['gemms']:.2f}x PyTorch's whole step, and "
                         f"{f(r['times']['gemms_mkl'])} through PyTorch's MKL "
                         f"({r['ratio']['gemms_mkl']:.2f}x), in the same rounds")
        b = r["breakdown"]
        lines.append(f"- `{name}`: {description}, float32; {r['rounds']} rounds of alternating "
                     "blocks (eager, compiled, PyTorch). Where the compiled step's time goes "
                     "(cProfile, the unsplit replay on one thread): primitives' forward "
                     f"{b['forward']:.0%}, the backward (their vjps and the gradients' sums) "
                     f"{b['vjp']:.0%}, optimizer calls {b['optimizer']:.0%}, the replay's own "
                     f"bookkeeping {b['rest']:.0%}")
    lines += [f"- {hook_text(hook)}",
              f"- Measured {facts['date']}; load average (1/5/15 min) before: {facts['load']}, "
              f"after: {facts['load_after']} (2 cores, shared; the run itself loads both cores)",
              f"- CPU: {facts['cpu']}; cores: {facts['cores']}; NumPy {facts['numpy']} "
              f"({facts['numpy_blas']}); PyTorch {facts['torch']} ({facts['torch_threads']})",
              "", f"<!-- {SECTION}: end -->"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
