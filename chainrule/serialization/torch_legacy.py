"""Reading PyTorch's legacy (pre-1.6, non-zip) ``torch.save`` files without executing anything.

Weights published before PyTorch 1.6 (June 2020) — EfficientNet-Lite's included — are in the
format ``torch.save(..., _use_new_zipfile_serialization=False)`` still writes: one stream of five
pickles followed by the raw storages,

1. the magic number ``0x1950a86a20f9469cfc6c``, 2. the protocol version ``1001``,
3. ``sys_info`` (``{'protocol_version': 1001, 'little_endian': True, 'type_sizes': {...}}``),
4. the object, whose tensors are ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
   requires_grad, hooks)`` calls on persistent ids ``('storage', torch.FloatStorage, key,
   location, numel, view_metadata)``,
5. the sorted list of storage keys, then for each key in that order: ``numel`` as a little-endian
   int64 and ``numel`` elements of the storage's type.

The pickles are interpreted by :mod:`chainrule.serialization.pickle_vm` under the same policy as
the zip format's (:class:`chainrule.serialization.torch_format._TorchWeights`: tensors, storages,
``OrderedDict``, nothing else; every tensor checked against its storage before it is cut). The
object's pickle is read twice: once to learn each storage's element type (the records in part 5
carry only a count, so their byte lengths follow from the types), then with the records located.

``chainrule.load`` reads this format as ``torch.load`` does (its magic number tells it from
the zip format).
"""
from __future__ import annotations

import io
import pickle
import pickletools

import numpy as np

from . import pickle_vm, torch_format
from .errors import SerializationError, UnsafeFileError
from .pickle_vm import Global, UnsafePickleError, brief

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def is_legacy(data: bytes) -> bool:
    """Whether ``data`` starts with the legacy format's pickled magic number."""
    return data[:2] == b"\x80\x02" and _first_value(data) == MAGIC_NUMBER


def _first_value(data: bytes):
    try:
        value, _ = _plain(data, 0, "<probe>")
    except (SerializationError, pickle.UnpicklingError, ValueError):
        return None
    return value


def _end(data: bytes, start: int, name: str) -> int:
    """The offset just past the pickle that starts at ``start`` (its STOP opcode)."""
    try:
        stream = io.BytesIO(data)
        stream.seek(start)
        for op, _, pos in pickletools.genops(stream):
            if op.name == "STOP":
                return pos + 1
    except (ValueError, IndexError, OverflowError) as e:
        raise SerializationError(name, f"damaged legacy torch file: a pickle at byte {start} is "
                                       f"malformed ({e})") from None
    raise SerializationError(name, f"damaged legacy torch file: the pickle at byte {start} has "
                                   "no end (truncated)")


def _plain(data: bytes, start: int, name: str):
    """(value, end) of the plain-data pickle at ``start`` (numbers, strings, containers)."""
    end = _end(data, start, name)
    try:
        return pickle_vm.run(data[start:end], pickle_vm.Policy(), name), end
    except pickle.UnpicklingError as e:
        raise SerializationError(name, f"damaged legacy torch file: {e}") from None


class _Scan(torch_format._TorchWeights):
    """First pass: records each storage's key, element type and count; builds no tensor."""

    def __init__(self, name: str, make_tensor):
        super().__init__(name, None, "", "little", make_tensor)
        self.kinds: dict[str, tuple[str, int]] = {}

    def persistent_load(self, pid, where: str):
        root = _root_pid(self.name, pid, where)
        _, kind, key, location, numel = root
        dtype = _storage_dtype(self.name, kind, where)
        seen = self.kinds.setdefault(key, (dtype, numel))
        if seen != (dtype, numel):
            raise SerializationError(self.name, f"{where}: storage {key!r} is declared both as "
                                                f"{seen} and as {(dtype, numel)}")
        return torch_format._Storage(None, location, key)

    def tensor(self, fn: str, args: tuple, where: str):
        return None

    def parameter(self, name: str, args: tuple, where: str):
        return None


class _LegacyWeights(torch_format._TorchWeights):
    """Second pass: storages come from the records located after the pickles."""

    def __init__(self, name: str, records: dict, make_tensor):
        super().__init__(name, None, "", "little", make_tensor)
        self.records = records          # key → array (the whole storage)

    def persistent_load(self, pid, where: str):
        root = _root_pid(self.name, pid, where)
        _, kind, key, location, numel = root
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = torch_format._Storage(self.records[key], location, key)
        view = pid[5]
        if view is None:
            return storage
        view_key, offset, size = view
        cached = self.storages.get(view_key)
        if cached is None:
            array = storage.array
            if isinstance(array, bytes):                 # bfloat16: 2 bytes an element
                offset, size = 2 * offset, 2 * size
            cached = self.storages[view_key] = torch_format._Storage(
                array[offset:offset + size], location, view_key)
        return cached


def _root_pid(name: str, pid, where: str) -> tuple:
    if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
        raise UnsafeFileError(name, f"{where}: unknown persistent id {brief(pid)} (a legacy file "
                                    "has only ('storage', type, key, location, numel, view))")
    _, kind, key, location, numel, view = pid
    if not isinstance(kind, Global) or not isinstance(key, str) or not isinstance(
            location, str) or not torch_format._is_int(numel) or numel < 0:
        raise SerializationError(name, f"{where}: malformed storage reference {brief(pid)}")
    if view is not None and not (
            isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
            and all(torch_format._is_int(v) and v >= 0 for v in view[1:])
            and view[1] + view[2] <= numel):
        raise SerializationError(name, f"{where}: malformed storage view {brief(view)} of a "
                                       f"storage of {numel} elements")
    return pid[:5]


def _storage_dtype(name: str, kind: Global, where: str) -> str:
    if kind.module == "torch" and kind.name in torch_format.STORAGES:
        return torch_format.STORAGES[kind.name]
    raise UnsafeFileError(name, f"{where}: {kind.module}.{kind.name} is not a storage")


def load_legacy(name: str, data: bytes, make_tensor):
    """The object of the legacy ``torch.save`` stream ``data`` (``name`` names it in errors)."""
    magic, pos = _plain(data, 0, name)
    if magic != MAGIC_NUMBER:
        raise SerializationError(name, "not a legacy torch.save file (no magic number)")
    version, pos = _plain(data, pos, name)
    if version != PROTOCOL_VERSION:
        raise SerializationError(name, f"legacy torch.save protocol {brief(version)}; only "
                                       f"{PROTOCOL_VERSION} is read")
    info, pos = _plain(data, pos, name)
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise SerializationError(name, f"legacy torch.save file from a big-endian machine or "
                                       f"with unreadable sys_info {brief(info)}; not read")
    start, end = pos, _end(data, pos, name)
    keys, pos = _plain(data, end, name)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise SerializationError(name, f"damaged: the storage key list is {brief(keys)}")
    scan = _Scan(name, make_tensor)
    _run(data[start:end], scan, name)
    if sorted(scan.kinds) != sorted(keys):
        raise SerializationError(name, f"damaged: the object uses storages {sorted(scan.kinds)}, "
                                       f"the file lists {keys}")
    records = {}
    for key in keys:
        dtype, numel = scan.kinds[key]
        if pos + 8 > len(data):
            raise SerializationError(name, f"truncated: storage {key!r}'s record is missing")
        count = int.from_bytes(data[pos:pos + 8], "little", signed=True)
        itemsize = 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize
        if count != numel:
            raise SerializationError(name, f"damaged: storage {key!r} should hold {numel} "
                                           f"{dtype} elements, its record says {count}")
        pos += 8
        if pos + numel * itemsize > len(data):
            raise SerializationError(name, f"truncated: storage {key!r} needs {numel * itemsize} "
                                           f"bytes at offset {pos}; the file has {len(data)}")
        raw = np.frombuffer(data, dtype=np.uint8, count=numel * itemsize, offset=pos)
        if dtype == "bfloat16":          # decoded per tensor, as in the zip format
            records[key] = raw.tobytes()
        elif dtype == "bool":            # any byte but 0 is True, as in torch
            records[key] = raw != 0
        else:
            records[key] = raw.view(np.dtype(dtype).newbyteorder("<"))
        pos += numel * itemsize
    if pos != len(data):
        raise SerializationError(name, f"damaged: {len(data) - pos} bytes after the last storage")
    return _run(data[start:end], _LegacyWeights(name, records, make_tensor), name)


def _run(raw: bytes, policy, name: str):
    try:
        return pickle_vm.run(raw, policy, name)
    except SerializationError:
        raise
    except UnsafePickleError as e:
        raise UnsafeFileError(name, f"{e}. Only tensors, storages, containers, numbers and "
                                    "strings are read") from None
    except pickle.UnpicklingError as e:
        raise SerializationError(name, f"damaged pickle: {e}") from None
