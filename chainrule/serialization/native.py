"""chainrule's own file format: safetensors for the arrays, a JSON document for the structure.

``encode(obj)`` walks ``obj`` and returns ``(arrays, document)``: every tensor / NumPy array leaf
becomes a safetensors entry named by its position in the walk (``"0"``, ``"1"``, ...), and the
document describes the rest (see the package docstring for its grammar). ``decode`` inverts it,
checking every node, so a damaged or hand-edited document raises :class:`SerializationError`.
"""
from __future__ import annotations

import base64
import collections
import json

from ..backend import to_numpy, xp
from .errors import SerializationError

FORMAT = "chainrule.save"
VERSION = 1
METADATA_KEY = "chainrule.serialization"
MAX_DEPTH = 200
# safetensors has no complex128: such arrays are stored as float64 (re, im) pairs
_AS_PAIRS = {"complex128": "float64"}
_DTYPES = {"bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
           "float16", "float32", "float64", "complex64", "complex128"}


def _tensor_types():
    from ..device import device
    from ..nn.parameter import Parameter
    from ..tensor import Size, Tensor
    return Tensor, Parameter, Size, device


# ------------------------------------------------------------------------------------- encoding
class _Encoder:
    def __init__(self):
        self.arrays: dict = {}
        self.keys: dict[int, str] = {}       # id(leaf) -> key: one entry per object
        self.alive: list = []                # keeps encoded leaves alive so ids stay unique
        self.path: set[int] = set()          # containers on the current path (cycles)
        self.Tensor, self.Parameter, self.Size, self.device = _tensor_types()

    def array(self, leaf, array) -> str:
        key = self.keys.get(id(leaf))
        if key is None:
            key = self.keys[id(leaf)] = str(len(self.arrays))
            self.alive.append(leaf)
            a = xp.asarray(array)
            if a.dtype.name not in _DTYPES:
                raise TypeError(f"chainrule.save: arrays of dtype {a.dtype} cannot be stored "
                                f"(expected one of {', '.join(sorted(_DTYPES))})")
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)
            if a.dtype.name in _AS_PAIRS:
                a = a.reshape(a.shape + (1,)).view(_AS_PAIRS[a.dtype.name])
            self.arrays[key] = a if a.flags.c_contiguous else a.copy(order="C")
        return key

    def node(self, obj, where: str, depth: int) -> dict:
        if depth > MAX_DEPTH:
            raise ValueError(f"chainrule.save: {where} is nested more than {MAX_DEPTH} levels "
                             "deep")
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, self.Tensor):
            a = obj._data
            found = {}
            if type(a) is not xp.ndarray:    # on a device: saved from a host copy, with where
                found["device"] = str(obj.device)
                a = to_numpy(a)
            return {"type": "tensor", "key": self.array(obj, a), "dtype": a.dtype.name,
                    "shape": list(a.shape), "requires_grad": bool(obj.requires_grad),
                    "parameter": isinstance(obj, self.Parameter), **found}
        if isinstance(obj, xp.ndarray):
            return {"type": "ndarray", "key": self.array(obj, obj), "dtype": obj.dtype.name,
                    "shape": list(obj.shape)}
        if isinstance(obj, xp.generic) and obj.dtype.name in _DTYPES:
            return {"type": "numpy_scalar", "key": self.array(obj, xp.asarray(obj)),
                    "dtype": obj.dtype.name, "shape": []}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, complex):
            return {"type": "complex", "value": [repr(obj.real), repr(obj.imag)]}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, (bytes, bytearray)):
            return {"type": type(obj).__name__, "value": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, self.device):
            return {"type": "device", "value": str(obj)}
        if isinstance(obj, xp.dtype) or (isinstance(obj, type) and issubclass(obj, xp.generic)):
            return {"type": "dtype", "value": xp.dtype(obj).name}
        if isinstance(obj, self.Size):
            return {"type": "size", "value": [int(s) for s in obj]}
        if isinstance(obj, (dict, list, tuple, set, frozenset)):
            if id(obj) in self.path:
                raise ValueError(f"chainrule.save: {where} contains itself (a cycle)")
            self.path.add(id(obj))
            try:
                return self.container(obj, where, depth)
            finally:
                self.path.discard(id(obj))
        raise TypeError(f"chainrule.save: cannot store {where}, a {type(obj).__module__}."
                        f"{type(obj).__qualname__}; chainrule stores tensors, NumPy arrays, "
                        "numbers, strings, bytes, None, dtypes, devices and dicts / lists / tuples "
                        "/ sets of them, without pickle")

    def container(self, obj, where: str, depth: int) -> dict:
        if isinstance(obj, dict):
            kind = "ordered_dict" if isinstance(obj, collections.OrderedDict) else "dict"
            items = [[self.node(k, f"a key of {where}", depth + 1),
                      self.node(v, f"{where}[{k!r}]", depth + 1)] for k, v in obj.items()]
            return {"type": kind, "items": items}
        if isinstance(obj, tuple) and type(obj) not in (tuple,) and hasattr(obj, "_fields"):
            raise TypeError(f"chainrule.save: cannot store {where}, a named tuple "
                            f"{type(obj).__qualname__}; convert it to a tuple or dict")
        kind = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}
        for cls, name in kind.items():
            if isinstance(obj, cls):
                return {"type": name, "items": [self.node(v, f"{where}[{i}]", depth + 1)
                                                for i, v in enumerate(obj)]}
        raise AssertionError(type(obj))


def encode(obj) -> tuple[dict, str]:
    """``(arrays, json_text)`` for ``obj``; raises TypeError for what cannot be stored."""
    enc = _Encoder()
    root = enc.node(obj, "the object", 0)
    doc = {"format": FORMAT, "version": VERSION, "root": root}
    return enc.arrays, json.dumps(doc, separators=(",", ":"))


# ------------------------------------------------------------------------------------- decoding
class _Decoder:
    def __init__(self, name: str, arrays: dict, convert):
        self.name, self.arrays, self.convert = name, arrays, convert
        self.made: dict[str, object] = {}     # key -> the object built for it (shared leaves)
        self.Tensor, self.Parameter, self.Size, self.device = _tensor_types()

    def fail(self, problem: str):
        raise SerializationError(self.name, f"corrupted structure document: {problem}")

    def array(self, node: dict):
        key, dtype, shape = node.get("key"), node.get("dtype"), node.get("shape")
        if not isinstance(key, str) or key not in self.arrays:
            self.fail(f"the array {key!r} is not in the file")
        if dtype not in _DTYPES or not isinstance(shape, list):
            self.fail(f"array {key!r} has dtype {dtype!r} and shape {shape!r}")
        a = self.arrays[key]
        if dtype in _AS_PAIRS and a.dtype.name == _AS_PAIRS[dtype] and a.shape[-1:] == (2,):
            a = xp.ascontiguousarray(a).view(dtype).reshape(a.shape[:-1])
        if a.dtype.name != dtype or list(a.shape) != shape:
            self.fail(f"array {key!r} is {a.dtype} {list(a.shape)} in the file, the document "
                      f"says {dtype} {shape}")
        return a

    def leaf(self, node: dict, kind: str):
        key = node.get("key")
        if key in self.made:
            return self.made[key]
        a = self.array(node)
        if kind == "ndarray":
            out = a.copy()
        elif kind == "numpy_scalar":
            out = a[()]
        else:
            location = node.get("device", "cpu")
            out = self.convert(a.copy(), location if isinstance(location, str) else "cpu")
            if node.get("parameter") is True:
                out = self.Parameter(out, requires_grad=bool(node.get("requires_grad")))
            elif node.get("requires_grad") is True:
                out.requires_grad_(True)
        self.made[key] = out
        return out

    def node(self, node, depth: int):
        if depth > MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH} levels")
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.fail(f"a node is {node!r:.80}, not an object with a 'type'")
        kind, value = node["type"], node.get("value")
        try:
            if kind == "none":
                return None
            if kind in ("tensor", "ndarray", "numpy_scalar"):
                return self.leaf(node, kind)
            if kind == "bool" and isinstance(value, bool):
                return value
            if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
                return value
            if kind == "float" and isinstance(value, str):
                return float(value)
            if kind == "complex" and isinstance(value, list) and len(value) == 2:
                return complex(float(value[0]), float(value[1]))
            if kind == "str" and isinstance(value, str):
                return value
            if kind in ("bytes", "bytearray") and isinstance(value, str):
                raw = base64.b64decode(value.encode("ascii"), validate=True)
                return raw if kind == "bytes" else bytearray(raw)
            if kind == "device" and isinstance(value, str):
                return self.device(value)
            if kind == "dtype" and value in _DTYPES:
                return xp.dtype(value)
            if kind == "size" and isinstance(value, list) and all(
                    isinstance(v, int) and v >= 0 for v in value):
                return self.Size(value)
            return self.container(node, kind, depth)
        except (ValueError, TypeError) as e:
            if isinstance(e, SerializationError):
                raise
            self.fail(f"the {kind} node {node!r:.80} is invalid ({e})")

    def container(self, node: dict, kind: str, depth: int):
        items = node.get("items")
        if not isinstance(items, list):
            self.fail(f"unknown node type {kind!r} or a container without items")
        if kind in ("dict", "ordered_dict"):
            out = collections.OrderedDict() if kind == "ordered_dict" else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    self.fail(f"a {kind} item is {pair!r:.80}, not a [key, value] pair")
                out[self.node(pair[0], depth + 1)] = self.node(pair[1], depth + 1)
            return out
        makers = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
        if kind not in makers:
            self.fail(f"unknown node type {kind!r}")
        return makers[kind](self.node(v, depth + 1) for v in items)


def decode(name: str, metadata: dict | None, arrays: dict, convert):
    """The object of a chainrule file, from its safetensors ``metadata`` and ``arrays``.

    ``convert(array, location)`` makes a Tensor of a fresh array (it applies ``map_location``).
    """
    if not metadata or METADATA_KEY not in metadata:
        raise SerializationError(name, "a safetensors file, but not one written by chainrule.save "
                                       f"(its metadata has no {METADATA_KEY!r} entry); read plain "
                                       "safetensors weights with safetensors.numpy.load_file")
    try:
        doc = json.loads(metadata[METADATA_KEY])
    except (TypeError, ValueError, RecursionError) as e:
        raise SerializationError(name, f"corrupted: its structure document does not parse "
                                       f"({type(e).__name__}: {e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SerializationError(name, f"not a chainrule.save file (no format {FORMAT!r})")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise SerializationError(name, f"written by a newer chainrule (format version "
                                       f"{doc.get('version')!r}; this one reads up to {VERSION})")
    return _Decoder(name, arrays, convert).node(doc.get("root"), 0)
