"""``chainrule.save`` / ``chainrule.load``: PyTorch's API, without pickle execution.

**Saving.** ``chainrule.save(obj, f)`` writes one safetensors file: every tensor / NumPy array in
``obj`` is a safetensors entry named ``"0"``, ``"1"``, ... in the order of a depth-first walk,
stored little-endian and C-contiguous (complex128, which safetensors lacks, as float64 pairs with a
trailing dimension 2). The header's ``__metadata__`` holds, under the key
``"chainrule.serialization"``, a JSON document ``{"format": "chainrule.save", "version": 1,
"root": NODE}`` describing everything else. A NODE is an object with a ``"type"``:

=================  ===============================================================================
``tensor``         ``key``, ``dtype``, ``shape``, ``requires_grad``, ``parameter`` (an nn.Parameter)
``ndarray``        ``key``, ``dtype``, ``shape`` (a NumPy array; comes back as one)
``numpy_scalar``   ``key``, ``dtype``, ``shape: []`` (a NumPy scalar such as ``np.float32(1)``)
``dict``,          ``items``: ``[[KEY NODE, VALUE NODE], ...]`` in insertion order (keys may be any
``ordered_dict``   node: the optimizer's ``state`` uses int keys)
``list``,          ``items``: ``[NODE, ...]``
``tuple``, ``set``,
``frozenset``
``none``, ``bool``, ``value``: JSON ``null``/``true``/``false``, an integer (any size), ``repr``
``int``, ``float``, of the float as a string (exact; ``"nan"``, ``"inf"``), ``[re, im]`` as such
``complex``,       strings, the text, base64 of the bytes, a device string (``"cpu"``), a dtype name
``str``, ``bytes``, (``"float32"``), a list of ints (``chainrule.Size``)
``bytearray``,
``device``,
``dtype``, ``size``
=================  ===============================================================================

The same tensor object appearing twice is stored once and comes back as one object. Writing to a
path is atomic (:func:`chainrule.training.checkpoint.atomic_write`: temporary file in the same
folder, fsync, ``os.replace``); ``f`` may also be a binary file object (``io.BytesIO``).
Containers nested more than 200 levels, containers that contain themselves and objects of any
other type are refused with an error naming where they are.

**Loading.** ``chainrule.load(f, map_location=None, weights_only=True)`` reads

- chainrule's files (above): the document is checked node by node against the arrays (dtype,
  shape, key), and tensors come back as fresh Tensors (not sharing memory with the file),
  ``OrderedDict`` where the saved object was one, tuples as tuples;
- PyTorch's ``torch.save`` files (the zip format, PyTorch ≥ 1.6), without importing torch and
  without executing anything (:mod:`.torch_format`): the pickle ``data.pkl`` is interpreted by
  :mod:`.pickle_vm`, whose policy allows only these names (a subset of what
  ``torch.load(weights_only=True)`` allows, and what ``state_dict``\\ s use):
  ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_tensor_v3`` / ``_rebuild_parameter`` /
  ``_rebuild_parameter_with_state`` (without extra state), the storage classes ``torch.
  {Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool,ComplexFloat,ComplexDouble}Storage``
  and ``torch.storage.UntypedStorage`` (only inside a persistent id ``('storage', class, key,
  location, numel)``), ``collections.OrderedDict`` (and its ``_metadata`` attribute, set by
  ``BUILD``), ``torch.Size``, ``torch.device``, the dtypes ``torch.float32`` etc.,
  ``builtins.set`` / ``frozenset`` / ``complex`` / ``bytearray`` and ``_codecs.encode`` (bytes),
  each only with the argument shapes PyTorch writes. bfloat16 tensors are read as float32 (exact;
  a warning says so). Every storage record is checked against its declared size, and every tensor
  against its storage (offset + Σ (size−1)·stride < numel) before a byte is read; a tensor is cut
  with ``as_strided`` and copied, so views of one storage come back as independent tensors.

**Refused, with an error that names the file** (nothing in the file is ever executed):
any other global (``os.system``, ``builtins.eval``/``exec``, ``subprocess.Popen``, a class's
``__reduce__`` payload), the opcodes ``INST``/``OBJ``/``NEWOBJ``/``NEWOBJ_EX``/``EXT*`` →
:class:`UnsafeFileError` (a ValueError and a ``pickle.UnpicklingError``); a damaged file (bad
CRC, truncated zip or pickle, a missing storage record, a storage smaller than its tensors, a
broadcast tensor expanding beyond 1 GiB, a corrupt document) → :class:`SerializationError` (a
ValueError); TorchScript archives and raw pickles → SerializationError (PyTorch's legacy
pre-1.6 format is read: :mod:`.torch_legacy`);
``weights_only=False`` → ValueError (chainrule never unpickles arbitrary objects); a
``map_location`` (or a saved location, when ``map_location`` is None) that means a device other
than the CPU → RuntimeError, from :func:`chainrule.device.check`.

``safetensors`` is needed for chainrule's own files only: ``pip install 'chainrule[checkpoints]'``.
"""
from .api import load, save
from .errors import SerializationError, UnsafeFileError

__all__ = ["save", "load", "SerializationError", "UnsafeFileError"]
