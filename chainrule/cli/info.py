"""``chainrule info``: versions, backend, BLAS and threads, malloc tuning, datasets found.

What a bug report or a benchmark needs to say about the machine: the versions of chainrule,
NumPy and Python; the array backend and default dtype; NumPy's BLAS library and its threads
(through threadpoolctl, when installed); whether chainrule tuned glibc's malloc; the optional
packages installed; the models that ``chainrule train --model`` knows; and which datasets are on
this machine, and where.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys

OPTIONAL = (("tqdm", "tqdm", "progress bars"), ("matplotlib", "matplotlib", "run plots"),
            ("safetensors", "safetensors", "checkpoints (a built-in codec otherwise)"),
            ("pillow", "PIL", "reading PNG/JPEG images"),
            ("scikit-learn", "sklearn", "the 8×8 digits dataset"),
            ("threadpoolctl", "threadpoolctl", "BLAS thread information"),
            ("tensorboardX", "tensorboardX", "the TensorBoard callback"),
            ("torch", "torch", "tests and benchmarks (the oracle)"))


def register(sub) -> None:
    p = sub.add_parser("info", help="versions, backend, BLAS and threads, datasets found",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print the facts as JSON")
    p.set_defaults(run=run)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_info() -> list[dict]:
    """NumPy's BLAS/OpenMP pools as threadpoolctl reports them ([] without threadpoolctl)."""
    try:
        import threadpoolctl
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "version", "num_threads", "threading_layer",
            "architecture", "filepath")
    return [{k: p.get(k) for k in keys} for p in threadpoolctl.threadpool_info()]


def _numpy_blas_from_config() -> str:
    import numpy

    try:
        config = numpy.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy: no dict mode
        return "unknown (install threadpoolctl for details)"


def facts() -> dict:
    import numpy

    import chainrule
    from chainrule import backend

    from ..data import datasets
    from ..models import model_names

    found = {}
    for name, where in datasets.available().items():
        found[name] = str(where) if where else None
    return {
        "chainrule": chainrule.__version__,
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "backend": f"{backend.xp.__name__} (default dtype {backend.get_default_dtype()})",
        "cpus": f"{os.cpu_count()} logical"
                + (f", {len(os.sched_getaffinity(0))} usable"
                   if hasattr(os, "sched_getaffinity") else ""),
        "blas": blas_info() or _numpy_blas_from_config(),
        "malloc_tuned": bool(backend.MALLOC_TUNED),
        "malloc_setting": os.environ.get("CHAINRULE_TUNE_MALLOC", "1 (default)"),
        "thread_env": {k: v for k, v in sorted(os.environ.items())
                       if k.startswith(("OMP_", "OPENBLAS_", "MKL_", "MALLOC_"))},
        "optional": {dist: _version(dist) for dist, _, _ in OPTIONAL},
        "models": model_names(),
        "datasets": found,
        "data_search": {"CHAINRULE_DATA": os.environ.get("CHAINRULE_DATA"),
                        "cache": str(datasets.cache_dir())},
    }


def run(args) -> int:
    f = facts()
    if args.json:
        print(json.dumps(f, indent=2))
        return 0
    print(f"chainrule  {f['chainrule']}")
    print(f"python     {f['python']}")
    print(f"platform   {f['platform']}")
    print(f"numpy      {f['numpy']}")
    print(f"backend    {f['backend']}")
    print(f"cpus       {f['cpus']}")
    if isinstance(f["blas"], list):
        for pool in f["blas"]:
            arch = f", core type {pool['architecture']}" if pool.get("architecture") else ""
            layer = f", {pool['threading_layer']}" if pool.get("threading_layer") else ""
            print(f"{pool['user_api']:<10} {pool['internal_api']} {pool['version']}: "
                  f"{pool['num_threads']} threads{arch}{layer}")
            print(f"{'':<10} {pool['filepath']}")
    else:
        print(f"blas       {f['blas']}")
    tuned = "yes" if f["malloc_tuned"] else "no"
    print(f"malloc     tuned by chainrule: {tuned} (large freed blocks kept for reuse; "
          f"CHAINRULE_TUNE_MALLOC={f['malloc_setting']})")
    if f["thread_env"]:
        print("env        " + ", ".join(f"{k}={v}" for k, v in f["thread_env"].items()))
    print()
    print("optional packages:")
    for dist, _, purpose in OPTIONAL:
        version = f["optional"][dist]
        print(f"  {dist:<14} {version or 'not installed':<16} {purpose}")
    print()
    print("models:   " + ", ".join(f["models"]))
    print()
    print("datasets:")
    for name, where in f["datasets"].items():
        print(f"  {name:<14} {where or 'not found'}")
    search = f["data_search"]
    print(f"  (searched: $CHAINRULE_DATA={search['CHAINRULE_DATA'] or 'unset'}, "
          f"{search['cache']}, /usr/share/datasets)")
    return 0
