"""Reading files with issue 12's integrity checks, beside the same reads without them.

    python benchmarks/bench_readers.py               # both workloads; writes a RESULTS.md section
    python benchmarks/bench_readers.py --no-write --repeats 5
    python benchmarks/bench_readers.py --synthetic   # a generated IDX file, not Fashion-MNIST

Two workloads, each a *checked* read (the library as it is) against the read *before* issue 12
(what the reader did before its new checks), target checked / before ≤ 1.10:

- ``fashion_mnist_train_images``: the 60000×28×28 training images, gzipped IDX, found where
  ``chainrule.data.datasets.mnist.locate`` looks (``/usr/share/datasets/fashion-mnist`` from
  Debian's dataset-fashion-mnist, ``$CHAINRULE_DATA``, the user cache). Checked:
  ``idx.read_idx(path)`` — header inflated first, declared size checked against ``idx.MAX_BYTES``,
  at most one byte more than declared inflated, length validated, a native-order copy returned.
  Unchecked: ``gzip.open(path).read()`` then ``numpy.frombuffer`` reshaped by the header. Where the
  file is not found, a generated file of the same shape, gzipped at the same level (6, gzip's
  default: the Debian file's header says neither "fastest" nor "best"), is timed instead, and
  the output says so.
- ``checkpoint_lenet5_adam`` (and ``checkpoint_small_vgg_adam``, a 16x larger file): a checkpoint
  of chainrule.models.LeNet5 (SmallVGG) with its Adam state after one step, written by
  ``chainrule.training.save_checkpoint``. Checked: ``read_checkpoint(path)`` — header and offsets
  validated, the SHA-256 of the JSON document (format v2) and of the tensors verified. Before:
  the reader of format v1 — the same file read, its safetensors header and JSON document parsed,
  the tensors decoded by the very decoder ``read_checkpoint`` uses (``checkpoint._decode``) and
  their SHA-256 verified (v1 had that hash), so the ratio is the cost of issue 12's checks.
  ``--no-hash`` drops the tensors' hash from the "before" reader, to show what hashing costs.

Setup asserts that both contenders return the same arrays (dtype, shape, values) and, for the
checkpoint, the same document. Timing uses ``benchmarks.harness.measure``: the two contenders
run in alternating blocks (a block of one, a pause, a block of the other; which goes first
alternates), each block the median of its samples; a contender's time is the median of its
blocks, the ratio the median over rounds of checked / before. Files are read from the page
cache (warm): the cost of the checks, not of the disk. For the checkpoints the script then times
the pieces of the checked read (header validation, the document's hash, the tensors' hash) and
SHA-256's throughput here, to say where the extra time goes. The section it writes into
RESULTS.md (between ``reader_checks`` markers) is kept when run.py rewrites the file.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))   # (and measure this checkout's chainrule)

import numpy as np  # noqa: E402  (no BLAS here: chainrule need not be imported first)

import chainrule as cr  # noqa: E402
from benchmarks import harness  # noqa: E402
from chainrule.data.datasets import idx, mnist  # noqa: E402
from chainrule.training import checkpoint  # noqa: E402

RESULTS = HERE / "RESULTS.md"
SECTION = "reader_checks"
TARGET = 1.10
GZIP_LEVEL = 6          # Fashion-MNIST's files: XFL 0 in the gzip header, i.e. gzip's default
IMAGES_SHAPE = (60000, 28, 28)


# --------------------------------------------------------------------------- IDX (gzip)
def find_fashion_mnist() -> Path | None:
    """The Fashion-MNIST training images where chainrule's locator finds them, or None."""
    found = mnist.locate("fashion-mnist", "train")
    return None if found is None else Path(found[0])


def synthetic_images(n: int, seed: int = 0) -> np.ndarray:
    """``n`` image-like 28×28 uint8 pictures (a noisy lit ellipse on black, about half the pixels
    zero), so that the gzip file compresses roughly as Fashion-MNIST's does."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    out = np.empty((n, 28, 28), np.uint8)
    for start in range(0, n, 5000):
        m = min(5000, n - start)
        cy, cx = rng.uniform(10, 18, (2, m, 1, 1)).astype(np.float32)
        ry, rx = rng.uniform(5, 13, (2, m, 1, 1)).astype(np.float32)
        level = rng.uniform(60, 250, (m, 1, 1)).astype(np.float32)
        inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        noise = rng.normal(0, 20, (m, 28, 28)).astype(np.float32) * (inside < 1)
        out[start:start + m] = np.clip(level * np.clip(1.3 - inside, 0, 1) + noise, 0, 255)
    return out


def write_idx_gz(path, array: np.ndarray, level: int = GZIP_LEVEL) -> Path:
    """``array`` as a gzipped IDX file at compression ``level`` (``idx.write_idx`` uses 9)."""
    path = Path(path)
    code = {np.dtype(v).newbyteorder("=").str: k for k, v in idx.IDX_TYPES.items()}[
        array.dtype.newbyteorder("=").str]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                    *array.shape)
    body = header + array.astype(idx.IDX_TYPES[code]).tobytes()
    path.write_bytes(gzip.compress(body, compresslevel=level, mtime=0))
    return path


def read_idx_checked(path) -> np.ndarray:
    return idx.read_idx(path)


def read_idx_unchecked(path) -> np.ndarray:
    """What a reader without the checks does: inflate everything, then view it by the header."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    d = raw[3]
    shape = struct.unpack(f">{d}I", raw[4:4 + 4 * d])
    return np.frombuffer(raw, dtype=idx.IDX_TYPES[raw[2]], offset=4 + 4 * d).reshape(shape)


# --------------------------------------------------------------------------- checkpoints
def _tiny():
    return cr.nn.Sequential(cr.nn.Linear(6, 4), cr.nn.ReLU(), cr.nn.Linear(4, 3))


def _lenet5():
    from chainrule.models import LeNet5
    return LeNet5()


def _small_vgg():
    from chainrule.models import SmallVGG
    return SmallVGG()


# name: (build, the shape of a batch); workloads time the last two
MODELS = {"tiny": (_tiny, (5, 6)), "lenet5": (_lenet5, (8, 1, 28, 28)),
          "small_vgg": (_small_vgg, (8, 3, 32, 32))}


def make_checkpoint(path, model: str = "lenet5", seed: int = 0) -> Path:
    """A checkpoint of ``model`` and its Adam state after one step, by ``save_checkpoint``."""
    build, batch = MODELS[model]
    cr.manual_seed(seed)
    net = build()
    optimizer = cr.optim.Adam(net.parameters(), lr=1e-3)
    x = cr.tensor(np.random.default_rng(seed).standard_normal(batch, dtype=np.float32))
    (net(x) ** 2).mean().backward()
    optimizer.step()
    checkpoint.save_checkpoint(path, net, optimizer, epoch=1, step=1,
                               metrics={"loss": 0.5}, config={"model": model, "lr": 1e-3})
    return Path(path)


def read_checkpoint_checked(path) -> tuple[dict, dict]:
    return checkpoint.read_checkpoint(path)


def read_checkpoint_unchecked(path) -> tuple[dict, dict]:
    """``read_checkpoint`` as it was before issue 12 (checkpoint format v1): the file read, the
    safetensors header and the JSON document parsed, the tensors decoded by the same decoder and
    their SHA-256 verified — but no hash over the document and no header validation. (The
    tensors' hash predates issue 12; ``--no-hash`` drops it too, to show what hashing costs.)"""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    doc = json.loads(header["__metadata__"]["chainrule"])
    tensors = checkpoint._decode(data, header, 8 + n)
    if _TENSOR_HASH["on"] and checkpoint._digest(tensors) != doc.get("tensors_sha256"):
        raise ValueError(f"{path}: the tensors' SHA-256 does not match")
    return doc, tensors


_TENSOR_HASH = {"on": True}
_NO_HASH_NOTE = [""]


# --------------------------------------------------------------------------- sameness
def assert_same_arrays(a: np.ndarray, b: np.ndarray, what: str = "array") -> None:
    if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
        raise AssertionError(f"{what}: checked {a.dtype}{a.shape} and unchecked "
                             f"{b.dtype}{b.shape} differ")


def assert_same_checkpoint(checked: tuple[dict, dict], unchecked: tuple[dict, dict]) -> None:
    (doc_a, tensors_a), (doc_b, tensors_b) = checked, unchecked
    if doc_a != doc_b:
        raise AssertionError("the checked and unchecked reads return different documents")
    if sorted(tensors_a) != sorted(tensors_b):
        raise AssertionError(f"different tensor names: {sorted(set(tensors_a) ^ set(tensors_b))}")
    for name in tensors_a:
        assert_same_arrays(tensors_a[name], tensors_b[name], name)


# --------------------------------------------------------------------------- workloads
def idx_workload(path: Path, description: str, name: str = "fashion_mnist_train_images"
                 ) -> harness.Workload:
    def setup():
        assert_same_arrays(read_idx_checked(path), read_idx_unchecked(path), str(path))
        return (lambda: read_idx_checked(path)), (lambda: read_idx_unchecked(path))
    return harness.Workload(name, setup, TARGET, description)


def checkpoint_workload(path: Path, model: str) -> harness.Workload:
    def setup():
        assert_same_checkpoint(read_checkpoint_checked(path), read_checkpoint_unchecked(path))
        return (lambda: read_checkpoint_checked(path)), (lambda: read_checkpoint_unchecked(path))
    doc, tensors = read_checkpoint_unchecked(path)
    count = sum(a.size for a in tensors.values())
    description = (f"{model} + Adam state: {len(tensors)} tensors, {count:,} float32 values, "
                   f"{os.path.getsize(path):,} bytes")
    return harness.Workload(f"checkpoint_{model}_adam", setup, TARGET, description)


def _median_time(step, repeats: int = 31) -> float:
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def breakdown(path: Path) -> dict:
    """Where a checked checkpoint read spends its time: the pieces ``read_checkpoint`` adds to
    the unchecked read, each timed alone (medians), and SHA-256's throughput on this machine."""
    with open(path, "rb") as f:
        data = f.read()
    header, start = checkpoint._header(path, data)
    text = header["__metadata__"]["chainrule"]
    tensors = checkpoint._decode(data, header, start)
    nbytes = sum(a.nbytes for a in tensors.values())
    blob = b"\0" * nbytes
    parts = {
        "header_s": _median_time(lambda: checkpoint._header(path, data)),
        "document_sha256_s": _median_time(lambda: checkpoint._text_digest(text)),
        "tensors_sha256_s": _median_time(lambda: checkpoint._digest(tensors)),
        "bare_sha256_s": _median_time(lambda: hashlib.sha256(blob).digest()),
        "tensor_bytes": nbytes,
    }
    parts["sha256_gb_s"] = nbytes / parts["bare_sha256_s"] / 1e9
    return parts


# --------------------------------------------------------------------------- reporting
def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def table(results) -> list[str]:
    lines = ["| workload | checked median (ms) | before median (ms) | ratio | ratio p25-p75 "
             "| best blocks | target | met |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | {_ms(r.chainrule_s)} | {_ms(r.torch_s)} | {r.ratio:.2f}x | "
                     f"{r.ratio_p25:.2f}-{r.ratio_p75:.2f} | {r.best_ratio:.2f}x | "
                     f"≤ {r.target:.2f} | {'yes' if r.met else 'NO'} |")
    return lines


def explain(results, parts: dict) -> list[str]:
    """One bullet per checkpoint workload: the extra time of the checked read and its pieces."""
    lines = []
    for r in results:
        if r.name not in parts:
            continue
        p = parts[r.name]
        extra = r.chainrule_s - r.torch_s
        lines.append(
            f"- `{r.name}`: the checks add {_ms(extra)} ms to a {_ms(r.torch_s)} ms read; timed "
            f"alone, the tensors' SHA-256 (`_digest`, {p['tensor_bytes']:,} bytes) takes "
            f"{_ms(p['tensors_sha256_s'])} ms (a bare `hashlib.sha256` over as many bytes "
            f"{_ms(p['bare_sha256_s'])} ms, {p['sha256_gb_s']:.2f} GB/s here), the header and "
            f"offset validation (`_header`) {_ms(p['header_s'])} ms, the JSON document's SHA-256 "
            f"(new in format v2) {_ms(p['document_sha256_s'])} ms.")
    return lines


def summary(results, parts: dict, sizes: dict) -> str:
    """What the checks cost, in one paragraph, from the measured figures."""
    text = []
    first = results[0]
    if first.name not in parts:
        verdict = ("cost nothing measurable" if first.ratio <= 1.02 else
                   f"cost {100 * (first.ratio - 1):.0f}%")
        text.append(f"The IDX checks (header inflated first, declared size capped, bounded "
                    f"inflation, length validated) {verdict}: the checked read is "
                    f"{first.ratio:.2f}x the unchecked one, the time being the inflation "
                    f"itself (zlib's one-shot inflate in `read_idx`, `GzipFile`'s chunked reads "
                    f"in the unchecked reader).")
    ckpt = [r for r in results if r.name in parts]
    if ckpt:
        ratios = ", ".join(f"{r.ratio:.2f}x" for r in ckpt)
        big = max(ckpt, key=lambda r: parts[r.name]["tensor_bytes"])
        p = parts[big.name]
        share = max(parts[r.name]["document_sha256_s"] / r.chainrule_s for r in ckpt)
        hashing = p["tensors_sha256_s"] / big.chainrule_s
        text.append(
            f"Against the checkpoint reader as it was before issue 12 (format v1, which already "
            f"verified the tensors' SHA-256), the new checks — the JSON document's SHA-256 and "
            f"the header and offset validation — cost {ratios}; the document's hash is at most "
            f"{100 * share:.2f}% of the checked read. The tensors' SHA-256 (kept since v1) is "
            f"most of any checkpoint read: {100 * hashing:.0f}% of `{big.name}`'s, at "
            f"{p['sha256_gb_s']:.2f} GB/s here (`--no-hash` times the read without it).")
    return " ".join(text)


def render(results, parts: dict, facts: dict, command: str, sizes: dict) -> str:
    lines = [f"<!-- {SECTION}: begin (written by benchmarks/bench_readers.py) -->",
             "## Reading files with the integrity checks (issue 12)", "",
             f"`{command}` — {facts['date']}; load average (1/5/15 min) before: "
             f"{facts['load']}, after: {facts['load_after']}. {facts['images']}. Checked: "
             "`idx.read_idx` / `read_checkpoint` as they are; before: `gzip.open(...).read()` "
             "+ `numpy.frombuffer` by the header (no checks) / the checkpoint read as before "
             "issue 12: parsed, decoded by the same decoder, the tensors' SHA-256 verified, no "
             "document hash and no header validation" + _NO_HASH_NOTE[0] + " (see the script's "
             "docstring). "
             "Both return the same arrays (asserted). Medians of alternating blocks, files in "
             "the page cache; ratio = median over rounds of checked / before (p25-p75: the "
             "spread of those per-round ratios; best blocks: fastest checked block / fastest "
             "before block, the figure least disturbed by other processes).", "",
             *table(results), "", *explain(results, parts), "",
             summary(results, parts, sizes)]
    lines += ["", f"<!-- {SECTION}: end -->"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11,
                        help="rounds of alternating blocks per workload (default 11; up to "
                             "twice as many when the per-round ratios spread widely)")
    parser.add_argument("--samples", type=int, default=3,
                        help="samples per block, at least (default 3)")
    parser.add_argument("--synthetic", action="store_true",
                        help="time a generated 60000×28×28 IDX gzip file even if Fashion-MNIST "
                             "is installed")
    parser.add_argument("--models", nargs="+", default=["lenet5", "small_vgg"],
                        choices=sorted(MODELS), help="checkpoint models (default lenet5 "
                                                     "small_vgg)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-hash", action="store_true",
                        help="compare with a checkpoint read that skips the tensors' SHA-256 too "
                             "(what hashing costs, not the target's comparison)")
    args = parser.parse_args(argv)
    if args.no_hash:
        _TENSOR_HASH["on"] = False
        _NO_HASH_NOTE[0] = " (--no-hash: and without the tensors' SHA-256)"
    command = "python benchmarks/bench_readers.py" + (" " + " ".join(argv or sys.argv[1:])
                                                      if (argv or sys.argv[1:]) else "")
    settings = harness.Settings(rounds=args.repeats, min_rounds=args.repeats, budget_s=math.inf,
                                min_samples=args.samples)
    facts = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load": harness.load_average()}
    print(f"load average (1/5/15 min) before: {facts['load']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_readers_") as tmp:
        images = None if args.synthetic else find_fashion_mnist()
        if images is None:
            images = write_idx_gz(Path(tmp) / "train-images-idx3-ubyte.gz",
                                  synthetic_images(IMAGES_SHAPE[0]))
            why = "--synthetic" if args.synthetic else "Fashion-MNIST not found"
            facts["images"] = (f"Images: a GENERATED 60000×28×28 uint8 IDX file ({why}), "
                               f"gzip level {GZIP_LEVEL}, {images.stat().st_size:,} bytes")
        else:
            facts["images"] = (f"Images: {images} "
                               f"({images.stat().st_size:,} bytes gzipped)")
        print(facts["images"], flush=True)
        name = ("fashion_mnist_train_images" if "GENERATED" not in facts["images"]
                else "generated_idx_gzip_60000x28x28")
        workloads = [idx_workload(images, facts["images"], name)]
        paths, sizes = {}, {}
        for model in args.models:
            path = make_checkpoint(Path(tmp) / f"{model}.safetensors", model)
            workload = checkpoint_workload(path, model)
            paths[workload.name] = path
            sizes[workload.name] = path.stat().st_size
            workloads.append(workload)
        results = []
        for workload in workloads:
            result = harness.measure(workload, settings)
            print(f"{workload.name}: checked {_ms(result.chainrule_s)} ms, before "
                  f"{_ms(result.torch_s)} ms, ratio {result.ratio:.2f}x "
                  f"({result.ratio_p25:.2f}-{result.ratio_p75:.2f}, {result.rounds} rounds)",
                  flush=True)
            results.append(result)
        parts = {name: breakdown(path) for name, path in paths.items()}
    facts["load_after"] = harness.load_average()
    text = render(results, parts, facts, command, sizes)
    print()
    print(text)
    if not args.no_write:
        harness.write_section(SECTION, text)
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
