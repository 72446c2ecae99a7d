"""Mutation fuzzing of chainrule's file readers (issue 12), run as a child process (IDX raw and
gzip, CSV tables and texts, checkpoints, CIFAR batches, .npz, torch.save and chainrule.save, an
image folder whose one PNG is the mutant, a saved text Vocabulary's JSON):

    python -m tests.fuzz.fuzz_readers --files 200 --seed 0 --memory-mb 2048

For each reader, a valid file is made, then ``--files`` mutants of it (seeded): truncations,
bit flips, random bytes written or inserted, 4- and 8-byte fields set to huge values, chunks
duplicated. Each mutant is read; a reader may accept it or refuse it, and a refusal must be one
of chainrule's errors (subclasses of ValueError or OSError; the safe unpickler's are both
ValueError and pickle.UnpicklingError) whose message names the file. Anything else — another
exception type, a message without the file, a read over ``--slow-s`` seconds — is a finding,
printed as one JSON line per finding, and the exit status is 1. The process runs under an
address-space limit (``--memory-mb``), so a reader that tries to allocate what a header declares
shows as a MemoryError finding instead of taking the machine.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import random
import resource
import struct
import sys
import tempfile
import time


def _idx(gz: bool) -> bytes:
    import gzip

    import numpy as np

    a = np.arange(2 * 5 * 4, dtype=np.uint8).reshape(2, 5, 4)
    raw = struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", *a.shape) + a.tobytes()
    return gzip.compress(raw, mtime=0) if gz else raw


def _csv() -> bytes:
    return b"a,b,label\n1.5,2,cat\n3,4.25,dog\n5,6,cat\n"


def _checkpoint() -> bytes:
    import chainrule as cr
    from chainrule.training import save_checkpoint

    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    opt = cr.optim.Adam(model.parameters())
    model(cr.randn(5, 3)).sum().backward()
    opt.step()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "c.ckpt")
        save_checkpoint(path, model, opt, epoch=1, config={"lr": 0.001})
        with open(path, "rb") as f:
            return f.read()


def _cifar() -> bytes:
    import numpy as np

    batch = {b"data": np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072) % 251,
             b"labels": [3, 7], b"batch_label": b"testing batch 1 of 1"}
    return pickle.dumps(batch, protocol=2)


def _npz() -> bytes:
    import numpy as np

    reviews = np.empty(2, dtype=object)
    reviews[0], reviews[1] = [1, 14, 22], [1, 9]
    buffer = io.BytesIO()
    np.savez(buffer, x_train=reviews, y_train=np.array([0, 1]))
    return buffer.getvalue()


def _torch_file() -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3),
                "b": torch.zeros(2, dtype=torch.int64), "step": 3}, buffer)
    return buffer.getvalue()


def _native_file() -> bytes:
    import chainrule as cr

    buffer = io.BytesIO()
    cr.save({"w": cr.ones(2, 3), "step": 3}, buffer)
    return buffer.getvalue()


def _png(color: int, size=(6, 5)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (color, 255 - color, color // 2)).save(buffer, format="PNG")
    return buffer.getvalue()


def _vocabulary() -> bytes:
    from chainrule.text import Vocabulary

    vocab = Vocabulary(min_freq=1, max_size=20).build([["a", "good", "film"], ["a", "bad", "film"],
                                                      ["ein", "großer", "film"]])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "vocab.json")
        vocab.save(path)
        with open(path, "rb") as f:
            return f.read()


def _read_image_folder(path: str):
    """The mutant is ``<root>/cat/sample.png``; its class mates and another class are valid PNGs
    written by :func:`_setup` (the whole folder is loaded, as a training script would)."""
    from chainrule.data.datasets import load_image_folder

    return load_image_folder(os.path.dirname(os.path.dirname(path)))


# where a reader's mutant is written (default: sample.<extension>), and the valid files beside it
_FILE = {"image-folder": os.path.join("images", "cat", "sample.png"), "vocab": "vocab.json"}


def _setup(folder: str, name: str) -> None:
    if name == "image-folder":
        root = os.path.join(folder, "images")
        for rel, color in ((os.path.join("cat", "a.png"), 10), (os.path.join("dog", "b.png"), 90),
                           (os.path.join("dog", "c.png"), 200)):
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "wb") as f:
                f.write(_png(color))


def _readers():
    """name → (valid file bytes, reader of a path)."""
    from chainrule import load as cr_load
    from chainrule.data import datasets as D
    from chainrule.data.datasets import cifar, idx
    from chainrule.text import Vocabulary, read_npz
    from chainrule.text import load_csv as load_text_csv
    from chainrule.training import read_checkpoint

    return {
        "idx": (_idx(False), lambda p: idx.read_idx(p)),
        "idx.gz": (_idx(True), lambda p: idx.read_idx(p)),
        "csv": (_csv(), lambda p: D.load_csv(p)),
        "text-csv": (b"text,label\ngood film,1\nbad film,0\n",
                     lambda p: load_text_csv(p)),
        "checkpoint": (_checkpoint(), lambda p: read_checkpoint(p)),
        "cifar": (_cifar(), lambda p: cifar.read_batch(p)),
        "npz": (_npz(), lambda p: read_npz(p)),
        "pt": (_torch_file(), lambda p: cr_load(p)),
        "native": (_native_file(), lambda p: cr_load(p)),
        "image-folder": (_png(128), _read_image_folder),
        "vocab": (_vocabulary(), lambda p: Vocabulary.load(p)),
    }


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One seeded mutant of ``data``."""
    b = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0 or not b:                                  # truncation
        return bytes(b[:rng.randrange(len(b) + 1)])
    if kind == 1:                                           # bit flips
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == 2:                                           # random bytes written over
        i = rng.randrange(len(b))
        n = rng.randint(1, 16)
        b[i:i + n] = bytes(rng.randrange(256) for _ in range(n))
        return bytes(b)
    if kind == 3:                                           # random bytes inserted
        i = rng.randrange(len(b) + 1)
        return bytes(b[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
                     + b[i:])
    if kind == 4:                                           # a size field made huge
        width = rng.choice([4, 8])
        i = rng.randrange(max(1, len(b) - width))
        value = rng.choice([2 ** 31 - 1, 2 ** 32 - 1, 10 ** 9, 2 ** 63 - 1])
        order = rng.choice(["<", ">"])
        field = struct.pack(order + ("I" if width == 4 else "Q"), value % (2 ** (8 * width)))
        b[i:i + width] = field
        return bytes(b)
    i, j = sorted(rng.randrange(len(b) + 1) for _ in range(2))   # a chunk duplicated
    return bytes(b[:j] + b[i:j] + b[j:])


def _acceptable(error: BaseException, path: str) -> bool:
    return (isinstance(error, (ValueError, OSError))
            and not isinstance(error, MemoryError)
            and (path in str(error) or os.path.basename(path) in str(error)))


def campaign(files: int, seed: int, slow_s: float, only=None) -> list[dict]:
    findings = []
    readers = _readers()
    with tempfile.TemporaryDirectory() as folder:
        for name, (valid, read) in readers.items():
            if only and name not in only:
                continue
            rng = random.Random(f"{seed}:{name}")
            _setup(folder, name)
            read(_write(folder, name, valid))               # the valid file reads
            for k in range(files):
                path = _write(folder, name, mutate(valid, rng))
                start = time.perf_counter()
                try:
                    read(path)
                    error = None
                except BaseException as e:          # noqa: BLE001 - classifying is the point
                    error = e
                elapsed = time.perf_counter() - start
                problem = None
                if error is not None and not _acceptable(error, path):
                    problem = f"{type(error).__name__}: {str(error)[:300]}"
                elif elapsed > slow_s:
                    problem = f"slow: {elapsed:.1f} s"
                if problem:
                    findings.append({"reader": name, "mutant": k, "problem": problem})
    return findings


def _write(folder: str, name: str, data: bytes) -> str:
    path = os.path.join(folder, _FILE.get(name, "sample." + name.split("-")[-1]))
    with open(path, "wb") as f:
        f.write(data)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow-s", type=float, default=10.0)
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args(argv)
    limit = args.memory_mb * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    findings = campaign(args.files, args.seed, args.slow_s, args.only)
    for f in findings:
        print(json.dumps(f))
    print(json.dumps({"summary": {"files_per_reader": args.files, "findings": len(findings)}}))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
