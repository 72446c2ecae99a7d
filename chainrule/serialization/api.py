"""``chainrule.save`` and ``chainrule.load`` (the package docstring describes the format)."""
from __future__ import annotations

import os

from . import native, torch_format, torch_legacy
from .errors import SerializationError

_INSTALL = ("chainrule.save / chainrule.load of chainrule's own files need the 'safetensors' "
            "package: pip install 'chainrule[checkpoints]' (or pip install safetensors)")
_PICKLE_LOAD_ARGS = {"encoding", "errors"}


def _safetensors():
    try:
        import safetensors.numpy as st
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    return st


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    """Save ``obj`` to ``f`` (a path or a binary file object), as ``torch.save``.

    ``obj`` is a Tensor, a NumPy array, or dicts (``OrderedDict`` too) / lists / tuples / sets of
    them and of numbers, strings, bytes, booleans, None, dtypes and devices — a model's or an
    optimizer's ``state_dict()``. The file is safetensors (the arrays) with a JSON description of
    the structure in its metadata; nothing is pickled, so ``pickle_module`` and
    ``pickle_protocol`` are accepted for compatibility and ignored. Writing to a path is atomic
    (temporary file in the same folder, fsync, ``os.replace``).
    """
    st = _safetensors()
    arrays, doc = native.encode(obj)
    data = st.save(arrays, metadata={native.METADATA_KEY: doc})
    if isinstance(f, (str, bytes, os.PathLike)):
        from ..training.checkpoint import atomic_write
        atomic_write(os.fsdecode(f), data)
        return
    if not hasattr(f, "write"):
        raise TypeError(f"chainrule.save: f must be a path or a binary file object with write(), "
                        f"got {type(f).__name__}")
    f.write(data)
    if hasattr(f, "flush"):
        f.flush()


def _target(map_location, location: str, tensor):
    """The device ``map_location`` sends a storage saved at ``location`` to (torch's rules)."""
    if map_location is None:
        return location
    if isinstance(map_location, dict):
        return map_location.get(location, location)
    if callable(map_location) and not isinstance(map_location, (str, type)):
        from ..tensor import Tensor
        result = map_location(tensor, location)
        if result is None:
            return location
        if not isinstance(result, Tensor):
            raise TypeError(f"chainrule.load: map_location(storage, location) returned a "
                            f"{type(result).__name__}; expected a tensor or None")
        return result
    return map_location


def _converter(name: str, map_location):
    from ..device import check, move
    from ..tensor import Tensor

    def make(array, location: str):
        t = Tensor._from_op(array, None)
        target = _target(map_location, location, t)
        if isinstance(target, Tensor):
            if target is t:
                return t
            if target.shape != t.shape or target.dtype != t.dtype:
                raise RuntimeError(f"chainrule.load({name}): map_location returned a tensor of "
                                   f"shape {tuple(target.shape)} and dtype {target.dtype} for one "
                                   f"of shape {tuple(t.shape)} and dtype {t.dtype}")
            return target
        try:
            where = check(_device_like(target), what=f"chainrule.load({name})")
        except (RuntimeError, TypeError) as e:
            hint = ""
            if map_location is None and location != "cpu":
                hint = (f" The file's tensors were saved on '{location}'; load them onto the CPU "
                        "with map_location='cpu' (or torch.device('cpu')).")
            raise type(e)(f"{e}{hint}") from None
        if where.type != "cpu":
            t._data = move(t._data, where)
        return t

    return make


def _read(f) -> tuple[str, bytes]:
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(f)
        with open(path, "rb") as fh:
            return path, fh.read()
    if not hasattr(f, "read"):
        raise TypeError(f"chainrule.load: f must be a path or a binary file object with read(), "
                        f"got {type(f).__name__}")
    data = f.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("chainrule.load: the file object must be opened in binary mode ('rb')")
    return getattr(f, "name", None) or f"<{type(f).__name__}>", bytes(data)


def _is_safetensors(data: bytes) -> bool:
    if len(data) < 10:
        return False
    n = int.from_bytes(data[:8], "little")
    return 2 <= n <= len(data) - 8 and data[8:9] == b"{"


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``chainrule.save`` or by ``torch.save``, as ``torch.load``.

    Reads chainrule's files (safetensors + JSON structure) and PyTorch's files, zip or legacy
    pre-1.6 format (a weights-only subset, without importing torch and without executing
    anything: see the package docstring). Tensors come back as fresh chainrule Tensors on the
    CPU. ``map_location`` may be None, ``"cpu"``, a device, a dict ``{saved location:
    location}`` or a callable ``(storage, location) -> tensor or None``; anything that ends up
    meaning a device other than the CPU raises RuntimeError. ``weights_only=False`` is refused:
    chainrule never unpickles arbitrary objects. ``mmap`` is accepted and ignored (the data are
    always copied).
    """
    if weights_only is False:
        raise ValueError("chainrule.load: weights_only=False is refused: it would unpickle (and "
                         "so run) arbitrary code from the file, which chainrule never does. "
                         "chainrule.load reads tensors, containers, numbers and strings with "
                         "weights_only=True (the default)")
    if pickle_module is not None:
        raise ValueError("chainrule.load: pickle_module cannot be given: chainrule reads files "
                         "with its own non-executing reader")
    unknown = set(pickle_load_args) - _PICKLE_LOAD_ARGS
    if unknown:
        raise TypeError(f"chainrule.load() got unexpected keyword arguments {sorted(unknown)}")
    if isinstance(map_location, (str, bytes)) or not (
            map_location is None or isinstance(map_location, dict) or callable(map_location)):
        from ..device import check
        check(_device_like(map_location), what="chainrule.load(map_location)")
    name, data = _read(f)
    make = _converter(name, map_location)
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return torch_format.load(name, data, make)
    if _is_safetensors(data):
        st = _safetensors()
        try:
            arrays = st.load(data)
            header_n = int.from_bytes(data[:8], "little")
            import json
            metadata = json.loads(data[8:8 + header_n]).get("__metadata__")
        except Exception as e:       # the Rust parser's SafetensorError, JSON errors
            raise SerializationError(name, f"damaged safetensors file ({type(e).__name__}: "
                                           f"{e})") from None
        return native.decode(name, metadata, arrays, make)
    if torch_legacy.is_legacy(data):        # PyTorch < 1.6's format, read as torch.load does
        return torch_legacy.load_legacy(name, data, make)
    if data[:2] in (b"\x80\x02", b"\x80\x01") or data[:1] == b"\x80":
        raise SerializationError(name, "a raw pickle, not a torch.save file (neither the zip "
                                       "format nor the legacy one's magic number): chainrule "
                                       "reads only torch.save files and its own")
    if not data:
        raise SerializationError(name, "empty file")
    raise SerializationError(name, "neither a chainrule.save file (safetensors) nor a torch.save "
                                   "zip archive")


def _device_like(value):
    """A torch.device (or anything with ``.type``) as its string; others unchanged."""
    from ..device import device
    if isinstance(value, (str, device)) or not hasattr(value, "type"):
        return value
    return str(value)
