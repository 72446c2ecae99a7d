"""Read pickled data without executing it: a minimal pickle interpreter for plain data.

Python's ``pickle.load`` runs whatever callables a file names (``os.system`` included), so a
downloaded ``.pkl`` is a program. CIFAR's python batches are pickles, but of plain data only: a dict
of byte strings, lists of ints and one NumPy uint8 array. :func:`loads` interprets the pickle
opcodes itself (decoded by :mod:`pickletools`, which never executes anything) and builds only

- None, booleans, ints, floats, str, bytes, tuples, lists and dicts;
- NumPy arrays of numeric dtype, recognised from the exact call patterns NumPy's pickling emits
  (``_reconstruct`` + ``__setstate__``, or protocol 5's ``_frombuffer``) and rebuilt here with
  ``frombuffer`` — no function named in the file is ever called;
- bytes spelt ``_codecs.encode(s, 'latin1')``, as Python 3 writes bytes at protocol ≤ 2.

Any other global, or an opcode outside this subset (e.g. ``INST``, ``OBJ``, ``NEWOBJ``,
``PERSID``), raises :class:`UnsafePickleError` before anything is built from it. The
interpreter's limits (nesting depth, values made, memo references; see
:mod:`chainrule.serialization.pickle_vm`) bound what a small file can make a reader do; every
refusal is a ValueError and a ``pickle.UnpicklingError`` whose message names the file.

Python 2 strings (the keys and raw data of the original CIFAR files) become ``bytes``, as
``pickle.load(f, encoding='bytes')`` would make them.

The opcode interpreter itself is shared with ``chainrule.load``'s reader of ``torch.save`` files:
:mod:`chainrule.serialization.pickle_vm`; this module is its policy for plain data and NumPy arrays.
"""
from __future__ import annotations

import math

from ...backend import xp
from ...serialization import pickle_vm
from ...serialization.pickle_vm import Global as _Global
from ...serialization.pickle_vm import PickleFormatError, UnsafePickleError, brief

_RECONSTRUCT = {("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct")}
_FROMBUFFER = {("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}
_ALLOWED = _RECONSTRUCT | _FROMBUFFER | {("numpy", "ndarray"), ("numpy", "dtype"),
                                         ("_codecs", "encode"), ("builtins", "bytes"),
                                         ("__builtin__", "bytes")}
_NUMERIC_KINDS = "biufc"


class _ArrayStub:
    """``_reconstruct(ndarray, …)``'s empty array, waiting for its state."""


class _DtypeStub:
    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


def _numeric_dtype(spec, where: str, objects: bool = False):
    try:
        dtype = xp.dtype(spec)
    except (TypeError, ValueError) as e:
        raise UnsafePickleError(f"{where}: unsupported array dtype {brief(spec)} ({e})") from None
    if objects and dtype.kind == "O":
        return dtype
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None:
        raise UnsafePickleError(f"{where}: only numeric arrays are read, not dtype {dtype}")
    return dtype


def _object_array(items, shape, where: str):
    """An object array of the plain values the pickle itself built (e.g. Keras's imdb reviews,
    lists of ints). Its size is checked against the items actually present before anything is
    allocated: a header declaring 10⁹ elements over a few bytes of data is refused."""
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise UnsafePickleError(f"{where}: negative array shape {shape}")
    if not isinstance(items, list) or len(items) != math.prod(shape):
        found = len(items) if isinstance(items, list) else type(items).__name__
        raise PickleFormatError(f"{where}: an object array of shape {shape} needs "
                                f"{math.prod(shape)} items, the pickle holds {found}")
    array = xp.empty(len(items), dtype=object)
    for i, item in enumerate(items):     # one by one: a list item must stay one element
        array[i] = item
    return array.reshape(shape)


def _as_bytes(data, where: str) -> bytes:
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):          # a Python 2 str read as text: its bytes are latin-1
        return data.encode("latin-1")
    raise UnsafePickleError(f"{where}: array data must be a byte string, got "
                            f"{type(data).__name__} (object arrays are not read)")


def _array_from(raw: bytes, dtype, shape, fortran: bool, where: str):
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise UnsafePickleError(f"{where}: negative array shape {shape}")
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise PickleFormatError(f"{where}: array of shape {shape} and dtype {dtype} needs "
                                f"{expected} bytes, the pickle holds {len(raw)}")
    array = xp.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.copy(order="K")


def _reduce(func, args, where: str, objects: bool = False):
    key = func.key
    if key in _RECONSTRUCT:
        if not args or not isinstance(args[0], _Global) or args[0].key != ("numpy", "ndarray"):
            raise UnsafePickleError(f"{where}: _reconstruct is read only for numpy.ndarray")
        return _ArrayStub()
    if key == ("numpy", "dtype"):
        spec = args[0] if args else None
        if isinstance(spec, bytes):     # a Python 2 str
            spec = spec.decode("latin-1")
        if not isinstance(spec, str):
            raise UnsafePickleError(f"{where}: numpy.dtype with arguments {brief(args)}")
        return _DtypeStub(_numeric_dtype(spec, where, objects))
    if key in _FROMBUFFER:
        if len(args) != 4 or not isinstance(args[1], _DtypeStub):
            raise UnsafePickleError(f"{where}: _frombuffer with unexpected arguments")
        buf, dtype, shape, order = args
        return _array_from(_as_bytes(buf, where), dtype.dtype, shape, order == "F", where)
    if key == ("_codecs", "encode"):
        if len(args) != 2 or not isinstance(args[0], str) or args[1] not in ("latin1", "latin-1"):
            raise UnsafePickleError(f"{where}: _codecs.encode is read only as (str, 'latin1')")
        return args[0].encode("latin-1")
    if key[1] == "bytes":
        if args == ():
            return b""
        if len(args) == 1 and isinstance(args[0], (bytes, bytearray)):
            return bytes(args[0])
        raise UnsafePickleError(f"{where}: bytes{brief(args)} is not plain data")
    raise UnsafePickleError(f"{where}: calling {key[0]}.{key[1]} is not allowed")


def _build(obj, state, where: str):
    if isinstance(obj, _DtypeStub):
        # (version, byteorder, subdescr, names, fields, elsize, alignment, flags)
        if not isinstance(state, tuple) or len(state) < 2 or (len(state) > 3 and state[3]):
            raise UnsafePickleError(f"{where}: unexpected dtype state {brief(state)}")
        order = state[1].decode("latin-1") if isinstance(state[1], bytes) else state[1]
        if order in ("<", ">"):
            obj.dtype = obj.dtype.newbyteorder(order)
        return obj
    if isinstance(obj, _ArrayStub):
        # (version, shape, dtype, is_fortran, raw data); the version is absent in old pickles
        if isinstance(state, tuple) and len(state) == 5:
            state = state[1:]
        if not isinstance(state, tuple) or len(state) != 4 or not isinstance(state[1], _DtypeStub):
            raise UnsafePickleError(f"{where}: unexpected ndarray state")
        shape, dtype, fortran, raw = state
        if dtype.dtype.kind == "O":
            return _object_array(raw, shape, where)
        return _array_from(_as_bytes(raw, where), dtype.dtype, shape, bool(fortran), where)
    raise UnsafePickleError(f"{where}: BUILD (setting an object's state) on "
                            f"{type(obj).__name__} is not allowed")


def _finish(value, where: str):
    """Reject stubs that never received their state (and so were never made arrays)."""
    if isinstance(value, (_Global, _ArrayStub, _DtypeStub)):
        raise UnsafePickleError(f"{where}: the pickle leaves an unfinished object "
                                f"{type(value).__name__}")
    return value


class _PlainData(pickle_vm.Policy):
    allowed = frozenset(_ALLOWED)
    purpose = "plain data"

    def reduce(self, func, args, where: str):
        return _reduce(func, args, where)

    def build(self, obj, state, where: str):
        return _build(obj, state, where)

    def finish(self, value, where: str):
        return _finish(value, where)


class _PlainDataAndObjectArrays(_PlainData):
    """Also object arrays, whose elements are plain data the pickle built itself."""

    def reduce(self, func, args, where: str):
        return _reduce(func, args, where, objects=True)


_POLICY = _PlainData()
_POLICY_OBJECTS = _PlainDataAndObjectArrays()


def loads(data: bytes, name: str = "<pickle>", object_arrays: bool = False, *,
          max_depth: int | None = None, max_objects: int | None = None,
          max_memo_refs: int | None = None):
    """Rebuild the plain data of a pickle without executing any of it (see the module docstring).

    ``object_arrays``: also NumPy object arrays (a ``.npy`` file's pickled payload, e.g. Keras's
    ``imdb.npz``), whose elements must be plain data and whose declared size must match them.
    ``max_depth``, ``max_objects``, ``max_memo_refs``: the interpreter's limits for this call
    (defaults :data:`~chainrule.serialization.pickle_vm.MAX_DEPTH` etc., which accept real CIFAR
    batches and imdb.npz with a wide margin).
    Raises :class:`UnsafePickleError` for anything beyond plain data and numeric arrays,
    :class:`~chainrule.serialization.pickle_vm.PickleLimitError` for a value over a limit and
    :class:`~chainrule.serialization.pickle_vm.PickleFormatError` (their base) for a malformed or
    truncated pickle. All are ValueErrors and pickle.UnpicklingErrors whose message starts with
    ``name``.
    """
    return pickle_vm.run(data, _POLICY_OBJECTS if object_arrays else _POLICY, name,
                         max_depth=max_depth, max_objects=max_objects, max_memo_refs=max_memo_refs)
