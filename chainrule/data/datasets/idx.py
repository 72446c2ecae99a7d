"""The IDX format of MNIST and Fashion-MNIST, gzipped or raw.

Layout (big-endian): two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), the number of dimensions d, then d uint32 sizes, then the values in
row-major order. ``train-images-idx3-ubyte`` is (60000, 28, 28) uint8 — magic 0x00000803;
``train-labels-idx1-ubyte`` is (60000,) uint8 — magic 0x00000801.

Every file is validated: the magic number, the type code, the number of dimensions and the data
length (a truncated file or trailing bytes are errors naming the file and the expected size).
Gzip is recognised by its own magic bytes, not by the file name.
"""
from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

from ...backend import xp
from ._common import DatasetFormatError

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {xp.dtype(v).newbyteorder("=").str: k for k, v in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


MAX_BYTES = 2 ** 31
"""The largest data an IDX file may declare (2 GiB; Fashion-MNIST's training images are 47 MB).
A header declaring more is refused before anything is allocated or decompressed; raise this
module attribute to read larger files."""


def _inflate(raw: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes (at most) that the gzip data ``raw`` decompresses to, every
    member of a multi-member file included; inflating stops at the limit (EOFError: the stream
    ends before it does and before its end marker — a truncated file)."""
    parts, total = [], 0
    while raw and total < limit:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)      # the gzip wrapper
        part = inflater.decompress(raw, limit - total)
        parts.append(part)
        total += len(part)
        if not inflater.eof:
            if total >= limit:
                break
            raise EOFError
        raw = inflater.unused_data
    return b"".join(parts)


def _read_bytes(path: Path) -> bytes:
    """The file's IDX bytes. A gzipped file is inflated header first: the data size its header
    declares is checked against MAX_BYTES, then at most one byte more than that is inflated — a
    gzip bomb (megabytes that inflate to gigabytes) costs no more than the declared size."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        head = _inflate(raw, 4)
        if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in IDX_TYPES:
            return head                                      # parse_idx names what is wrong
        header = 4 + 4 * head[3]
        head = _inflate(raw, header)
        if len(head) < header:
            return head
        shape = struct.unpack(f">{head[3]}I", head[4:header])
        size = math.prod(shape) * xp.dtype(IDX_TYPES[head[2]]).itemsize
        if size > MAX_BYTES:
            raise DatasetFormatError(
                f"{path}: its header declares shape {shape}, {size:,} bytes of data, over the "
                f"{MAX_BYTES:,}-byte limit (chainrule.data.datasets.idx.MAX_BYTES); not "
                "decompressed")
        return _inflate(raw, header + size + 1)    # one byte more shows a longer file
    except EOFError:
        raise DatasetFormatError(f"{path}: the gzip stream ends early: the file is truncated "
                                 f"({len(raw)} bytes on disk); download or copy it again") from None
    except zlib.error as e:
        raise DatasetFormatError(f"{path}: not a valid gzip file ({e})") from None


def parse_idx(raw: bytes, name: str = "<bytes>", ndim: int | None = None,
              dtype=None):
    """Decode the bytes of an IDX file (uncompressed) to a native-endian array.

    ``ndim`` and ``dtype``, when given, are what the caller expects; a file that differs is an
    error that says so.
    """
    if len(raw) < 4:
        raise DatasetFormatError(f"{name}: {len(raw)} bytes is too short for an IDX file (the "
                                 f"header alone is at least 8 bytes); the file is truncated")
    zero, code, d = struct.unpack(">HBB", raw[:4])
    magic = int.from_bytes(raw[:4], "big")
    if zero != 0 or code not in IDX_TYPES:
        hint = " (it looks gzipped twice)" if raw[:2] == _GZIP_MAGIC else ""
        raise DatasetFormatError(f"{name}: bad magic number 0x{magic:08X}{hint}; an IDX file "
                                 f"starts with 0x0000TTDD (TT: a type code in "
                                 f"{[hex(c) for c in IDX_TYPES]}, DD: the number of dimensions)")
    if ndim is not None and d != ndim:
        raise DatasetFormatError(f"{name}: magic number 0x{magic:08X} says {d} dimensions, "
                                 f"expected {ndim} (magic 0x0000{code:02X}{ndim:02X})")
    if d == 0:
        raise DatasetFormatError(f"{name}: an IDX file with 0 dimensions holds no data")
    header = 4 + 4 * d
    if len(raw) < header:
        raise DatasetFormatError(f"{name}: truncated in the header: {d} dimensions need "
                                 f"{header} header bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{d}I", raw[4:header])
    file_dtype = xp.dtype(IDX_TYPES[code])
    if dtype is not None and file_dtype.newbyteorder("=") != xp.dtype(dtype):
        raise DatasetFormatError(f"{name}: holds {file_dtype.newbyteorder('=')} values (type "
                                 f"code 0x{code:02X}), expected {xp.dtype(dtype)}")
    expected = math.prod(shape) * file_dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "longer than its header says"
        raise DatasetFormatError(f"{name}: the file is {what}: its header says shape {shape} of "
                                 f"{file_dtype.newbyteorder('=')}, i.e. {expected} bytes of "
                                 f"data, but {found} bytes follow the header")
    array = xp.frombuffer(raw, dtype=file_dtype, offset=header).reshape(shape)
    return array.astype(file_dtype.newbyteorder("="))  # native byte order, and writable


def read_idx(path, ndim: int | None = None, dtype=None):
    """Read an IDX file (gzipped or raw) to a NumPy array, validating it.

    >>> # images = read_idx("train-images-idx3-ubyte.gz", ndim=3, dtype="uint8")
    """
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path), ndim, dtype)


def write_idx(path, array) -> Path:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``."""
    path = Path(path)
    array = xp.asarray(array)
    key = array.dtype.newbyteorder("=").str
    if key not in _CODES:
        raise TypeError(f"write_idx: IDX has no type for {array.dtype}; use one of "
                        f"{sorted(xp.dtype(v).newbyteorder('=').name for v in IDX_TYPES.values())}")
    code = _CODES[key]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    body = header + array.astype(IDX_TYPES[code]).tobytes()
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(gzip.compress(body, mtime=0) if path.suffix == ".gz" else body)
    os.replace(tmp, path)
    return path
