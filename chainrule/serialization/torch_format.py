"""Reading ``torch.save`` files (the zip format) without torch and without executing anything.

A ``torch.save`` file is a zip archive ``<prefix>/data.pkl`` (the object, pickled, protocol 2),
``<prefix>/data/<key>`` (one record per storage: the raw bytes), ``<prefix>/byteorder``
(``little`` or ``big``; absent in old files, meaning little) and ``<prefix>/version``. A tensor in
the pickle is a call ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks[, metadata])`` (``_rebuild_tensor_v3`` adds the dtype, for dtypes without a
legacy storage class such as uint16); ``storage`` is a persistent id ``('storage',
torch.FloatStorage, key, location, numel)``.

:class:`_TorchWeights` is the :class:`~chainrule.serialization.pickle_vm.Policy` that rebuilds
exactly that: the allowed names are a subset of what ``torch.load(weights_only=True)`` allows
(listed in the package docstring); storages are read once, checked against their declared size,
and each tensor is cut from its storage with ``as_strided`` *after* checking that every element
it addresses lies inside the storage, then copied (fresh, C-contiguous memory).
"""
from __future__ import annotations

import collections
import io
import math
import pickle
import warnings
import zipfile

from ..backend import xp
from . import pickle_vm
from .errors import SerializationError, UnsafeFileError
from .pickle_vm import Global, UnsafePickleError, brief

# legacy storage class -> NumPy dtype ("bfloat16" is decoded by hand: NumPy has no bfloat16)
STORAGES = {"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
            "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
            "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
            "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
            "ComplexDoubleStorage": "complex128"}
DTYPES = {"float32": "float32", "float64": "float64", "float16": "float16", "bfloat16": "bfloat16",
          "int64": "int64", "int32": "int32", "int16": "int16", "int8": "int8", "uint8": "uint8",
          "uint16": "uint16", "uint32": "uint32", "uint64": "uint64", "bool": "bool",
          "complex64": "complex64", "complex128": "complex128"}
_REBUILD = {"_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
            "_rebuild_parameter_with_state"}
ALLOWED = frozenset({("collections", "OrderedDict"), ("torch", "Size"), ("torch", "device"),
                     ("_codecs", "encode"), ("builtins", "set"), ("builtins", "frozenset"),
                     ("builtins", "complex"), ("builtins", "bytearray"),
                     ("torch.storage", "UntypedStorage"),
                     *(("torch._utils", n) for n in _REBUILD),
                     *(("torch", n) for n in STORAGES), *(("torch", n) for n in DTYPES)})
MAX_EXPANDED_BYTES = 2 ** 30      # a stride-0 (broadcast) tensor may not expand beyond this


class _Storage:
    """A storage record read from the archive: a 1-D array of its dtype (not yet a tensor)."""

    __slots__ = ("array", "location", "key")

    def __init__(self, array, location: str, key: str):
        self.array, self.location, self.key = array, location, key


class _TorchWeights(pickle_vm.Policy):
    allowed = ALLOWED
    purpose = "a weights-only PyTorch file (torch.load(weights_only=True))"

    def __init__(self, name: str, archive: zipfile.ZipFile, prefix: str, byteorder: str,
                 make_tensor):
        self.name, self.archive, self.prefix = name, archive, prefix
        self.byteorder = byteorder
        self.make_tensor = make_tensor      # (fresh array, location) -> Tensor
        self.storages: dict[str, _Storage] = {}
        self.bf16_warned = False

    # --------------------------------------------------------------------- names and calls
    def resolve(self, module: str, name: str, where: str):
        if module == "torch" and name in DTYPES:
            if name == "bfloat16":
                return Global(module, name)     # only meaningful as _rebuild_tensor_v3's dtype
            return xp.dtype(DTYPES[name])
        return super().resolve(module, name, where)

    def reduce(self, func: Global, args: tuple, where: str):
        module, name = func.key
        if (module, name) == ("collections", "OrderedDict"):
            out = collections.OrderedDict()
            if args:
                out.update(_plain_pairs(args[0], where))
            return out
        if module == "torch._utils":
            if name in ("_rebuild_tensor_v2", "_rebuild_tensor_v3"):
                return self.tensor(name, args, where)
            return self.parameter(name, args, where)
        if (module, name) == ("torch", "Size"):
            from ..tensor import Size
            if len(args) != 1 or not all(_is_int(v) for v in args[0]):
                raise UnsafeFileError(self.name, f"{where}: torch.Size{brief(args)} is not a shape")
            return Size(args[0])
        if (module, name) == ("torch", "device"):
            from ..device import device
            if not args or not all(isinstance(a, (str, int)) for a in args):
                raise UnsafeFileError(self.name, f"{where}: torch.device{brief(args)}")
            return device(*args)
        if (module, name) == ("_codecs", "encode"):
            if len(args) != 2 or not isinstance(args[0], str) or args[1] not in ("latin1",
                                                                                 "latin-1"):
                raise UnsafeFileError(self.name, f"{where}: _codecs.encode is read only as "
                                                 "(str, 'latin1')")
            return args[0].encode("latin-1")
        if module == "builtins":
            makers = {"set": set, "frozenset": frozenset, "bytearray": bytearray}
            if name in makers and len(args) <= 1 and all(
                    isinstance(a, (list, tuple, bytes)) for a in args):
                return makers[name](*args)
            if name == "complex" and len(args) == 2 and all(
                    isinstance(a, (int, float)) for a in args):
                return complex(*args)
        raise UnsafeFileError(self.name, f"{where}: calling {module}.{name}{brief(args)} is not "
                                         "allowed")

    def build(self, obj, state, where: str):
        # torch: module.state_dict() carries `_metadata` (versions of the modules), set by BUILD
        if isinstance(obj, collections.OrderedDict) and isinstance(state, dict) and all(
                isinstance(k, str) and not k.startswith("__") for k in state):
            obj.__dict__.update(state)
            return obj
        raise UnsafeFileError(self.name, f"{where}: BUILD (setting an object's state) on "
                                         f"{type(obj).__name__} is not allowed")

    def finish(self, value, where: str):
        if isinstance(value, _Storage):
            raise UnsafeFileError(self.name, f"{where}: a bare storage as a value (not read)")
        return super().finish(value, where)

    # --------------------------------------------------------------------- storages
    def persistent_load(self, pid, where: str):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise UnsafeFileError(self.name, f"{where}: unknown persistent id {brief(pid)} (only "
                                             "('storage', type, key, location, numel) is read)")
        _, kind, key, location, numel = pid
        if not isinstance(kind, Global) or not isinstance(key, str) or not isinstance(
                location, str) or not _is_int(numel) or numel < 0:
            raise SerializationError(self.name, f"{where}: malformed storage reference "
                                                f"{brief(pid)}")
        if kind.key == ("torch.storage", "UntypedStorage"):
            dtype = "uint8"
        elif kind.module == "torch" and kind.name in STORAGES:
            dtype = STORAGES[kind.name]
        else:
            raise UnsafeFileError(self.name, f"{where}: {kind.module}.{kind.name} is not a storage")
        cached = self.storages.get(key)
        if cached is None:
            cached = self.storages[key] = _Storage(self.record(key, dtype, numel), location, key)
        return cached

    def record(self, key: str, dtype: str, numel: int):
        entry = f"{self.prefix}data/{key}"
        try:
            info = self.archive.getinfo(entry)
        except KeyError:
            raise SerializationError(self.name, f"damaged: the pickle refers to storage {key!r}, "
                                                f"but the archive has no record {entry}") from None
        itemsize = 2 if dtype == "bfloat16" else xp.dtype(dtype).itemsize
        if info.file_size != numel * itemsize:
            raise SerializationError(self.name, f"damaged: storage {key!r} should hold {numel} "
                                                f"{dtype} elements ({numel * itemsize} bytes), its "
                                                f"record {entry} has {info.file_size} bytes")
        raw = read_entry(self.name, self.archive, info)
        if dtype == "bfloat16":
            return raw                       # decoded per tensor (see _bfloat16)
        if dtype == "bool":                  # any byte but 0 is True, as in torch
            return xp.frombuffer(raw, dtype=xp.uint8) != 0
        order = "<" if self.byteorder == "little" else ">"
        return xp.frombuffer(raw, dtype=xp.dtype(dtype).newbyteorder(order) if xp.dtype(
            dtype).itemsize > 1 else dtype)

    # --------------------------------------------------------------------- tensors
    def tensor(self, fn: str, args: tuple, where: str):
        n = 8 if fn == "_rebuild_tensor_v3" else 7
        if not (n - 1 <= len(args) <= n):
            raise UnsafeFileError(self.name, f"{where}: torch._utils.{fn} with {len(args)} "
                                             "arguments")
        storage, offset, size, stride, requires_grad = args[:5]
        if not isinstance(storage, _Storage):
            raise UnsafeFileError(self.name, f"{where}: {fn} on a {type(storage).__name__}, not a "
                                             "storage of the archive")
        if not (_is_int(offset) and offset >= 0 and isinstance(size, tuple)
                and isinstance(stride, tuple) and len(size) == len(stride)
                and all(_is_int(s) and s >= 0 for s in size + stride)):
            raise SerializationError(self.name, f"{where}: malformed tensor (offset {brief(offset)}"
                                                f", size {brief(size)}, stride {brief(stride)})")
        array = storage.array
        if fn == "_rebuild_tensor_v3":
            array = self.retype(storage, args[6], where)
        elif isinstance(array, bytes):                       # BFloat16Storage
            array = self.bfloat16(array, where)
        data = self.cut(array, offset, size, stride, storage.key, where)
        t = self.make_tensor(data, storage.location)
        if requires_grad is True:
            t.requires_grad_(True)
        return t

    def retype(self, storage: _Storage, dtype, where: str):
        if isinstance(dtype, Global) and dtype.name == "bfloat16":
            return self.bfloat16(storage.array.tobytes(), where)
        if not isinstance(dtype, xp.dtype):
            raise UnsafeFileError(self.name, f"{where}: _rebuild_tensor_v3 dtype {brief(dtype)}")
        raw = storage.array
        if raw.dtype != xp.uint8 or raw.size % dtype.itemsize:
            raise SerializationError(self.name, f"{where}: storage {brief(storage.key)} of "
                                                f"{raw.nbytes} bytes does not hold {dtype} values")
        order = "<" if self.byteorder == "little" else ">"
        return raw.view(dtype.newbyteorder(order) if dtype.itemsize > 1 else dtype)

    def bfloat16(self, raw: bytes, where: str):
        if not self.bf16_warned:
            warnings.warn(f"{self.name}: bfloat16 tensors are read as float32 (NumPy has no "
                          "bfloat16; the conversion is exact)", stacklevel=4)
            self.bf16_warned = True
        order = "<u2" if self.byteorder == "little" else ">u2"
        bits = xp.frombuffer(raw, dtype=order).astype(xp.uint32) << 16
        return bits.view(xp.float32)

    def cut(self, array, offset: int, size: tuple, stride: tuple, key: str, where: str):
        """``array[offset + Σ i_k·stride_k]`` for all indices ``i < size``, copied; every
        addressed element is checked to lie inside the storage before anything is read."""
        count = math.prod(size)
        itemsize = array.dtype.itemsize
        if count == 0:
            return xp.zeros(size, dtype=array.dtype.newbyteorder("="))
        last = offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= array.size:
            raise SerializationError(self.name, f"{where}: damaged: a tensor of size {list(size)}"
                                                f", stride {list(stride)} and offset {offset} "
                                                f"reaches element {last} of storage {brief(key)}, "
                                                f"which holds {array.size}")
        if count > array.size and count * itemsize > MAX_EXPANDED_BYTES:
            raise SerializationError(self.name, f"{where}: a tensor of size {list(size)} "
                                                f"expands a storage of {array.size} elements to "
                                                f"{count * itemsize} bytes; refused")
        view = xp.lib.stride_tricks.as_strided(array[offset:], shape=size,
                                               strides=[s * itemsize for s in stride],
                                               writeable=False)
        return view.astype(array.dtype.newbyteorder("="), order="C", copy=True)

    def parameter(self, name: str, args: tuple, where: str):
        from ..nn.parameter import Parameter
        from ..tensor import Tensor
        n = 4 if name == "_rebuild_parameter_with_state" else 3
        if len(args) != n or not isinstance(args[0], Tensor):
            raise UnsafeFileError(self.name, f"{where}: torch._utils.{name} with arguments "
                                             f"{brief(args)}")
        if n == 4 and args[3] not in (None, {}, ()):
            raise UnsafeFileError(self.name, f"{where}: a Parameter with extra Python state "
                                             f"{brief(args[3])} (not read)")
        return Parameter(args[0], requires_grad=bool(args[1]))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _plain_pairs(items, where: str):
    if not isinstance(items, (list, tuple)) or not all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in items):
        raise UnsafePickleError(f"{where}: OrderedDict of {brief(items)}")
    return items


def read_entry(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The bytes of one archive entry, CRC-checked; compressed entries may not expand absurdly."""
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > 1024 * info.compress_size \
            + 2 ** 20:
        raise SerializationError(name, f"{info.filename} would expand {info.compress_size} "
                                       f"compressed bytes to {info.file_size}; refused")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError,
            ValueError) as e:
        raise SerializationError(name, f"damaged archive: cannot read {info.filename} "
                                       f"({e})") from None


def load(name: str, data: bytes, make_tensor):
    """The object of the ``torch.save`` zip archive ``data`` (``name`` names it in errors)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError) as e:
        raise SerializationError(name, f"damaged or truncated zip archive ({e})") from None
    pickles = [n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")]
    if any(n.count("/") == 1 and n.endswith("/constants.pkl") for n in names):
        raise SerializationError(name, "a TorchScript archive (torch.jit.save), not a "
                                       "torch.save file; chainrule does not read TorchScript")
    if not pickles:
        raise SerializationError(name, "a zip archive without <prefix>/data.pkl: not a "
                                       "torch.save file")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = "little"
    if f"{prefix}byteorder" in names:
        byteorder = read_entry(name, archive, archive.getinfo(f"{prefix}byteorder")).decode(
            "ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise SerializationError(name, f"unknown byteorder {brief(byteorder)}")
    policy = _TorchWeights(name, archive, prefix, byteorder, make_tensor)
    raw = read_entry(name, archive, archive.getinfo(pickles[0]))
    try:
        return pickle_vm.run(raw, policy, pickles[0])
    except SerializationError:
        raise
    except UnsafePickleError as e:
        raise UnsafeFileError(name, f"{e}. chainrule.load reads only tensors, storages, "
                                    "containers, numbers and strings (the subset of "
                                    "torch.load(weights_only=True) that state_dicts use)") from None
    except pickle.UnpicklingError as e:   # malformed, truncated
        raise SerializationError(name, f"damaged pickle: {e}") from None
