"""Checkpoints: model and optimizer state in safetensors, with a JSON document; no pickle.

A checkpoint is **one safetensors file**. Its tensors are the model's ``state_dict`` (keys
``model/<name>``, PyTorch's names) and the optimizer's per-parameter arrays
(``optimizer/state/<i>/<name>``); its header's metadata holds, under the key ``chainrule``, a
JSON document with everything else: the format and version, the model's class and keys, the
optimizer's class, hyperparameters (``param_groups``) and non-array state (step counts), the
state of chainrule's random generator, the SHA-256 of the tensors, and whatever the caller passes
as keyword arguments — by convention ``epoch`` (epochs completed), ``step`` (optimizer steps),
``metrics`` and ``config``. A second metadata entry, ``chainrule_sha256``, is the SHA-256 of that
document's text, so one chain of hashes covers every byte a load uses (version 2; version-1
files, whose hash covered the tensors only, still load).

Why one file and not a ``.safetensors`` beside a ``.json``: one ``os.replace`` commits it, so a
checkpoint is always a consistent pair of weights and metadata; two files cannot be replaced
together atomically. The JSON stays readable by any safetensors reader (``safe_open(path,
'np').metadata()['chainrule']``) and by :func:`read_checkpoint`.

Writes are atomic: the bytes go to a temporary file in the same folder, which is flushed and
fsynced, then renamed over the target with ``os.replace``, and the folder is fsynced. A crash at
any point leaves either the previous checkpoint or the new one, never a mixture. Reading checks
everything — size, header, offsets, the JSON, the SHA-256 — and a corrupted, truncated or foreign
file raises :class:`CheckpointError` naming the file and what is wrong.

Nothing is unpickled, ever: tensors are raw little-endian bytes, the rest is JSON. The
``safetensors`` package (``pip install safetensors``, or ``chainrule[checkpoints]``) writes and
reads the tensors when it is installed; otherwise a small built-in codec of the same format does.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile

from .. import backend
from ..backend import xp

FORMAT = "chainrule.checkpoint"
VERSION = 2          # 2: the whole document is hashed too (version 1 hashed the tensors only)
_RESERVED = {"format", "version", "chainrule_version", "created", "model", "optimizer", "rng",
             "tensors_sha256"}
_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4",
           "I64": "<i8", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_CODES = {xp.dtype(v).str.lstrip("<|"): k for k, v in _DTYPES.items()}
_ITEMSIZES = {k: xp.dtype(v).itemsize for k, v in _DTYPES.items()}


class CheckpointError(ValueError):
    """A file that is not a valid chainrule checkpoint (corrupted, truncated or foreign)."""

    def __init__(self, path, problem: str):
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
        self.problem = problem


# ----------------------------------------------------------------------------------- atomic I/O
def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:             # platforms without directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder, name: str | None = None) -> list[str]:
    """Delete the temporary files that writers killed mid-write left in ``folder`` (those of
    ``name`` only, when given): ``.<name>.<random>.tmp``, as :func:`atomic_write` names them.
    Returns the paths removed. A kill can always leave one behind (the file exists from its
    creation to its rename); the next write of the same file, and the start of a training run,
    clean them up."""
    folder = os.fspath(folder)
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    prefix = f".{name}." if name is not None else "."
    for entry in entries:
        if entry.startswith(prefix) and entry.endswith(".tmp") and len(entry) > len(prefix) + 4:
            target = os.path.join(folder, entry)
            try:
                os.unlink(target)
                removed.append(target)
            except OSError:
                pass
    return removed


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old file or the new one.

    Temporary file in the same folder → write → flush → fsync → ``os.replace`` → fsync the folder.
    On any error the temporary file is removed and the previous ``path`` is untouched.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        if hasattr(os, "fchmod"):       # mkstemp makes 0600; give the usual 0666 & ~umask
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    remove_stale_temporaries(folder, os.path.basename(path))
    _fsync_dir(folder)


# ----------------------------------------------------------------------------------- safetensors
def _encode(tensors: dict, metadata: dict) -> bytes:
    """The safetensors format: u64 header length, JSON header, then the raw tensor bytes."""
    try:
        from safetensors.numpy import save
    except ImportError:
        save = None
    if save is not None:
        return save(tensors, metadata=metadata)
    header = {"__metadata__": metadata}
    names = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))   # aligned offsets
    chunks, offset = [], 0
    for name in names:
        a = tensors[name]
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _CODES[a.dtype.str.lstrip("<>|=")], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def _sniff(data: bytes) -> str:
    """A guess at what a foreign file is, from its first bytes."""
    if data[:2] == b"PK":
        return "a zip archive (a PyTorch .pt, a .keras or an .npz file?)"
    if data[:1] == b"\x80":
        return "a pickle (chainrule never loads pickles)"
    if data[:6] == b"\x93NUMPY":
        return "a NumPy .npy file"
    if data[:4] == b"\x89HDF":
        return "an HDF5 file (a Keras .h5?)"
    if data[:1] in (b"{", b"["):
        return "a JSON file"
    return "not a safetensors file"


def _header(path, data: bytes) -> tuple[dict, int]:
    """The validated safetensors header and where the tensor bytes start."""
    if len(data) < 8:
        raise CheckpointError(path, f"only {len(data)} bytes long: empty or truncated, not a "
                                    "checkpoint")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        if n > 100 * 2 ** 20:
            raise CheckpointError(path, f"not a chainrule checkpoint: {_sniff(data)}")
        raise CheckpointError(path, f"truncated: its header should be {n} bytes long, but only "
                                    f"{len(data) - 8} bytes follow the length field")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(path, f"not a chainrule checkpoint ({_sniff(data)}): its header is "
                                    f"not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "not a safetensors file: its header is not a JSON object")
    size = len(data) - 8 - n
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            itemsize = _ITEMSIZES[info["dtype"]]
            begin, stop = info["data_offsets"]
            count = 1                       # exact (no int64 wrap-around)
            for d in info["shape"]:
                if type(d) is not int or d < 0:
                    raise ValueError("a dimension that is not a count")
                count *= d
            if type(begin) is not int or type(stop) is not int:
                raise ValueError("offsets that are not integers")
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(path, f"corrupted header: the entry for tensor {name!r} is "
                                        f"malformed ({info!r:.200})") from None
        if stop - begin != count * itemsize or begin < 0:
            raise CheckpointError(path, f"corrupted header: tensor {name!r} of shape "
                                        f"{info['shape']} has {stop - begin} bytes")
        end = max(end, stop)
    if end > size:
        raise CheckpointError(path, f"truncated: the header describes {end} bytes of tensor "
                                    f"data, but the file holds {size}")
    if end < size:
        raise CheckpointError(path, f"corrupted: {size - end} unexpected bytes after the tensor "
                                    "data")
    return header, 8 + n


def _decode(data: bytes, header: dict, start: int) -> dict:
    try:
        from safetensors.numpy import load
    except ImportError:
        load = None
    if load is not None:
        return load(data)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, stop = info["data_offsets"]
        dtype = xp.dtype(_DTYPES[info["dtype"]])
        a = xp.frombuffer(data, dtype=dtype, count=(stop - begin) // dtype.itemsize,
                          offset=start + begin)
        out[name] = a.reshape(info["shape"]).astype(dtype.newbyteorder("="))   # a copy
    return out


def _digest(tensors: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        a = _contiguous(tensors[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        little = xp.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"), copy=False))
        h.update(little.reshape(-1).view(xp.uint8))      # its bytes, without a copy
    return h.hexdigest()


# ----------------------------------------------------------------------------------- JSON
def _json_default(value):
    if isinstance(value, xp.generic):
        return value.item()
    if isinstance(value, xp.ndarray):
        return value.tolist()
    raise TypeError(f"a {type(value).__name__} is not JSON-serialisable")


def _dumps(doc: dict) -> str:
    for key, value in doc.items():
        try:
            json.dumps(value, default=_json_default)
        except (TypeError, ValueError) as e:
            raise TypeError(f"save_checkpoint: {key!r} cannot be stored as JSON ({e}); give "
                            "numbers, strings, lists and dicts") from None
    return json.dumps(doc, default=_json_default)


def _contiguous(a):
    """A C-contiguous array of the same shape (``ascontiguousarray`` would make 0-d arrays 1-d)."""
    a = xp.asarray(a)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _array(value):
    return _contiguous(value._data if isinstance(getattr(value, "_data", None), xp.ndarray)
                       else value)


# ----------------------------------------------------------------------------------- public
def save_checkpoint(path, model, optimizer=None, **meta) -> str:
    """Save ``model`` (and ``optimizer``) to ``path`` atomically; ``meta`` goes into the JSON.

    ``meta`` holds JSON-able values, by convention ``epoch`` (epochs completed), ``step``
    (optimizer steps), ``metrics`` (a dict) and ``config`` (how to rebuild the run). The state of
    chainrule's random generator is saved too, so that a resumed run draws the same numbers.
    Returns ``path``.
    """
    clash = _RESERVED & set(meta)
    if clash:
        raise ValueError(f"save_checkpoint: {sorted(clash)} are reserved names in a checkpoint; "
                         "choose other keyword names")
    tensors = {}
    state = model.state_dict()
    for key, value in state.items():
        tensors[f"model/{key}"] = _array(value)
    model_info = {"class": f"{type(model).__module__}.{type(model).__qualname__}",
                  "keys": list(state)}
    optimizer_info = None
    if optimizer is not None:
        sd = optimizer.state_dict()
        scalars: dict = {}
        for index, entries in sd["state"].items():
            for name, value in entries.items():
                if isinstance(value, xp.ndarray) or isinstance(getattr(value, "_data", None),
                                                               xp.ndarray):
                    tensors[f"optimizer/state/{index}/{name}"] = _array(value)
                else:
                    scalars.setdefault(str(index), {})[name] = value
        optimizer_info = {"class": type(optimizer).__name__, "param_groups": sd["param_groups"],
                          "state": scalars}
    from .. import __version__

    doc = {"format": FORMAT, "version": VERSION, "chainrule_version": __version__,
           "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
           "model": model_info, "optimizer": optimizer_info,
           "rng": {"chainrule": backend.generator().bit_generator.state}}
    doc.update(meta)
    doc["tensors_sha256"] = _digest(tensors)
    text = _dumps(doc)
    atomic_write(path, _encode(tensors, {"chainrule": text,
                                         "chainrule_sha256": _text_digest(text)}))
    return os.fspath(path)


def _text_digest(text: str) -> str:
    """The SHA-256 of the JSON document exactly as stored. The document holds the tensors'
    SHA-256, so this one hash covers everything a load uses: learning rates, epoch and step
    counts, the random generator's state and the configuration as well as the weights."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_checkpoint(path) -> tuple[dict, dict]:
    """``(document, tensors)`` of a checkpoint, fully verified; loads nothing into a model."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    with open(path, "rb") as f:
        data = f.read()
    header, start = _header(path, data)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or "chainrule" not in metadata:
        raise CheckpointError(path, "a safetensors file, but not a chainrule checkpoint (its "
                                    "metadata has no 'chainrule' entry); load plain safetensors "
                                    "weights with model.load_state_dict(safetensors.numpy."
                                    "load_file(path))")
    text = metadata["chainrule"]
    recorded = metadata.get("chainrule_sha256")
    if recorded is not None and (not isinstance(text, str) or _text_digest(text) != recorded):
        raise CheckpointError(path, "corrupted: the SHA-256 of its JSON document (learning "
                                    "rate, epoch, step, random state, configuration) does not "
                                    "match the one recorded when it was saved")
    try:
        doc = json.loads(text)
    except (TypeError, json.JSONDecodeError) as e:
        raise CheckpointError(path, f"corrupted: its JSON document does not parse ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(path, "not a chainrule checkpoint: its document has no "
                                    f"format '{FORMAT}'")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise CheckpointError(path, f"written by a newer chainrule (checkpoint version "
                                    f"{doc.get('version')!r}, this one reads up to {VERSION})")
    if recorded is None and doc["version"] >= 2:
        raise CheckpointError(path, "corrupted: the SHA-256 of its JSON document is missing")
    try:
        tensors = _decode(data, header, start)
    except Exception as e:  # any decoding failure means a damaged file
        raise CheckpointError(path, f"corrupted: its tensors cannot be decoded ({e})") from None
    if _digest(tensors) != doc.get("tensors_sha256"):
        raise CheckpointError(path, "corrupted: the SHA-256 of its tensors does not match the one "
                                    "recorded when it was saved")
    return doc, tensors


def _restore_tuples(saved: dict, live: dict) -> dict:
    return {k: (tuple(v) if isinstance(live.get(k), tuple) and isinstance(v, list) else v)
            for k, v in saved.items()}


def load_checkpoint(path, model=None, optimizer=None, *, data_loader=None, strict: bool = True,
                    restore_rng: bool = True) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint`; returns its JSON document.

    ``model`` gets the saved parameters and buffers (``strict``: the keys must match exactly),
    ``optimizer`` its hyperparameters and state (it must be of the saved class, built on the
    same parameters), ``data_loader`` the saved ``data_loader`` state (its shuffling seed, as
    :class:`~chainrule.training.ModelCheckpoint` saves it), and chainrule's random generator its
    saved state (``restore_rng``). The
    document holds ``epoch``, ``step``, ``metrics`` and the other keywords given when saving.
    A compiled model's step counter is set from ``step``. Resume a run with::

        meta = load_checkpoint(path, model, model.optimizer)
        model.fit(x, y, epochs=10, initial_epoch=meta["epoch"], seed=seed)
    """
    path = os.fspath(path)
    doc, tensors = read_checkpoint(path)
    if model is not None:
        state = {k[len("model/"):]: v for k, v in tensors.items() if k.startswith("model/")}
        try:
            model.load_state_dict(state, strict=strict)
        except RuntimeError as e:
            raise RuntimeError(f"{path}: the checkpoint does not fit this model "
                               f"({doc['model']['class']} was saved): {e}") from None
    if optimizer is not None:
        info = doc.get("optimizer")
        if info is None:
            raise ValueError(f"{path}: the checkpoint holds no optimizer state (it was saved "
                             "without an optimizer, e.g. save_weights_only=True)")
        if info["class"] != type(optimizer).__name__:
            raise ValueError(f"{path}: the checkpoint holds {info['class']} state, but the "
                             f"optimizer is {type(optimizer).__name__}")
        state: dict = {}
        for key, value in tensors.items():
            if key.startswith("optimizer/state/"):
                index, name = key[len("optimizer/state/"):].split("/", 1)
                state.setdefault(int(index), {})[name] = value
        for index, entries in info["state"].items():
            state.setdefault(int(index), {}).update(entries)
        groups = [_restore_tuples(saved, live)
                  for saved, live in zip(info["param_groups"], optimizer.param_groups)]
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    if data_loader is not None:
        if doc.get("data_loader") is None:
            raise ValueError(f"{path}: the checkpoint holds no data_loader state to restore")
        data_loader.load_state_dict(doc["data_loader"])
    if restore_rng and doc.get("rng", {}).get("chainrule") is not None:
        backend.generator().bit_generator.state = doc["rng"]["chainrule"]
    trainer = getattr(model, "__dict__", {}).get("_trainer") if model is not None else None
    if trainer is not None and isinstance(doc.get("step"), int):
        trainer.global_step = doc["step"]
    return doc


__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "atomic_write",
           "CheckpointError", "FORMAT", "VERSION"]
