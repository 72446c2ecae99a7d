"""``default_convert``: NumPy arrays in a sample → Tensors, the structure kept (PyTorch's
``torch.utils.data.default_convert``, what a DataLoader with ``batch_size=None`` applies to each
sample).

Rule, by the type of the value (checked in this order):

- a chainrule Tensor: itself;
- a NumPy array or NumPy scalar (its type's module is ``numpy``): a Tensor sharing its memory
  (``as_tensor``), no batch axis added — except arrays of strings, bytes or objects and
  ``numpy.str_`` scalars, which are returned as they are; a dtype PyTorch has no tensor of
  (datetime, ``longdouble``, a bytes scalar, …) raises ``TypeError``, as PyTorch's does;
- a mapping: the same keys, values converted (a copy of a mutable mapping is updated, so a
  mapping subclass keeps its type; an immutable one is rebuilt as ``type(m)(dict)``; a plain
  ``dict`` where neither works);
- a namedtuple: the same namedtuple type, fields converted;
- any other tuple: a **list** of the converted fields (PyTorch keeps this for backward
  compatibility);
- any other sequence except ``str`` and ``bytes``: the same type where a copy can be updated (a
  mutable sequence) or ``type(s)(list)`` rebuilds it, else a list (``range`` gives a list);
- anything else (Python numbers, strings, ``None``, …): unchanged.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence

from ..backend import xp
from ..tensor import Tensor

#: dtype codes of string, bytes and object arrays (left as they are)
_STRING_OR_OBJECT = re.compile(r"[SaUO]")
#: the NumPy dtypes a PyTorch tensor can hold (others raise, as ``torch.as_tensor`` does)
_TENSOR_DTYPES = frozenset(xp.dtype(d) for d in (
    "float64", "float32", "float16", "complex64", "complex128", "int64", "int32", "int16",
    "int8", "uint64", "uint32", "uint16", "uint8", "bool"))


def _numpy_to_tensor(data):
    if type(data).__name__ == "ndarray" and _STRING_OR_OBJECT.search(data.dtype.str):
        return data
    dtype = getattr(data, "dtype", None)
    if dtype is None or xp.dtype(dtype) not in _TENSOR_DTYPES:
        raise TypeError(f"default_convert: cannot convert a NumPy {type(data).__name__} of dtype "
                        f"{dtype} to a Tensor; the supported dtypes are float64, float32, "
                        f"float16, complex64, complex128, int64, int32, int16, int8, uint64, "
                        f"uint32, uint16, uint8 and bool")
    return Tensor._make(xp.asarray(data))


def default_convert(data):
    """Convert every NumPy array (and NumPy scalar) inside ``data`` to a chainrule Tensor,
    keeping the structure (see the module docstring for the rule, which is PyTorch's).

    >>> import numpy as np
    >>> default_convert(np.array([0, 1]))
    tensor([0, 1])
    >>> default_convert((1, np.array([2.0])))
    [1, tensor([2.], dtype=float64)]
    """
    kind = type(data)
    if isinstance(data, Tensor):
        return data
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_"):
        return _numpy_to_tensor(data)
    if isinstance(data, Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return kind(converted)
        except TypeError:     # a mapping that cannot be copied, updated or built from a dict
            return converted
    if isinstance(data, tuple):
        if hasattr(data, "_fields"):        # a namedtuple
            return kind(*(default_convert(d) for d in data))
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            if isinstance(data, MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(converted):
                    clone[i] = d
                return clone
            return kind(converted)
        except TypeError:     # e.g. range, which cannot be built from a list
            return converted
    return data


__all__ = ["default_convert"]
