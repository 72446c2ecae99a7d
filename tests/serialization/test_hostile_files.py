"""Malicious and damaged .pt files: refused with a clear error naming the file; nothing runs."""
from __future__ import annotations

import builtins
import io
import os
import pickle
import subprocess
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule.serialization import SerializationError, UnsafeFileError


def torch_zip(pkl: bytes, records: dict | None = None, prefix: str = "archive") -> bytes:
    """A zip laid out as torch.save writes it, with the given pickle and storage records."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        z.writestr(f"{prefix}/byteorder", b"little")
        for key, raw in (records or {}).items():
            z.writestr(f"{prefix}/data/{key}", raw)
        z.writestr(f"{prefix}/version", b"3\n")
    return out.getvalue()


def body(value) -> bytes:
    """The opcodes that push ``value`` (plain data), without PROTO and STOP."""
    return pickle.dumps(value, protocol=2)[2:-1]


def tensor_pickle(offset, size, stride, numel, key="0", cls="FloatStorage") -> bytes:
    """The pickle torch.save writes for one tensor (as _rebuild_tensor_v2 with a storage pid)."""
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((" + body("storage")
            + f"ctorch\n{cls}\n".encode() + body(key) + body("cpu") + body(numel) + b"tQ"
            + body(offset) + body(tuple(size)) + body(tuple(stride)) + b"\x89}tR.")


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _Exec:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",)


class _Popen:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return subprocess.Popen, (["touch", str(self.marker)],)


class _Custom:
    """A class of the program's own whose __reduce__ rebuilds it (any class is refused)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return _Custom, (self.marker,)


@pytest.mark.parametrize("payload, refused", [(_System, "system"), (_Exec, "builtins.exec"),
                                              (_Popen, "(subprocess|commands).Popen"),
                                              (_Custom, "_Custom")])
@pytest.mark.parametrize("protocol", [2, 4])
def test_malicious_pickles_are_refused_and_never_run(payload, refused, protocol, tmp_path):
    marker = tmp_path / "pwned_x"
    pkl = pickle.dumps({"weight": [1.0, 2.0], "evil": payload(marker)}, protocol=protocol)
    path = tmp_path / "evil.pt"
    path.write_bytes(torch_zip(pkl))
    with pytest.raises(UnsafeFileError, match=f"evil.pt.*refusing the global .*{refused}") as e:
        cr.load(path)
    assert isinstance(e.value, ValueError) and isinstance(e.value, pickle.UnpicklingError)
    assert "nothing was executed" in str(e.value)
    assert not marker.exists()
    # and the same pickle written as a raw (non-zip) file is refused before it is read at all
    path.write_bytes(pkl)
    with pytest.raises(SerializationError, match="evil.pt"):
        cr.load(path)
    assert not marker.exists()


def test_malicious_object_inside_a_real_torch_file(tmp_path):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned_torch"
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2), "hook": _System(marker)}, path)
    with pytest.raises(UnsafeFileError, match="model.pt.*refusing the global .*system"):
        cr.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("pkl, what", [
    (b"\x80\x02(cos\nsystem\nX\x05\x00\x00\x00touchi.", "refusing the global os.system"),
    (b"(S'x'\nio\nsystem\n.", "opcode INST"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00)R.", "_rebuild_tensor_v2 with 0"),
    (b"\x80\x02ccollections\nOrderedDict\n)R}(X\x08\x00\x00\x00__init__K\x01ub.",
     "BUILD"),
    (b"\x80\x02ctorch\nFloatStorage\n.", "torch.FloatStorage as a value"),
    (b"\x80\x02X\x01\x00\x00\x00xQ.", "unknown persistent id"),
])
def test_misused_allowed_names_and_opcodes(pkl, what, tmp_path):
    path = tmp_path / "crafted.pt"
    path.write_bytes(torch_zip(pkl))
    with pytest.raises(UnsafeFileError, match=f"crafted.pt.*{what}"):
        cr.load(path)


def test_crafted_tensor_files_are_read_when_consistent(tmp_path):
    raw = np.arange(12, dtype="<f4").tobytes()
    path = tmp_path / "ok.pt"
    path.write_bytes(torch_zip(tensor_pickle(2, (3, 2), (1, 4), 12), {"0": raw}))
    got = cr.load(path)
    np.testing.assert_array_equal(got._data, np.arange(12.0, dtype=np.float32)[2:][
        np.arange(3)[:, None] + 4 * np.arange(2)[None, :]])


@pytest.mark.parametrize("pkl, records, what", [
    (tensor_pickle(0, (4,), (1,), 4), {}, "no record archive/data/0"),
    (tensor_pickle(0, (4,), (1,), 4), {"0": b"\x00" * 8}, "should hold 4 float32"),
    (tensor_pickle(0, (2 ** 40,), (1,), 2 ** 40), {"0": b"\x00" * 16}, "should hold"),
    (tensor_pickle(1, (4,), (1,), 4), {"0": b"\x00" * 16}, "reaches element 4 .* holds 4"),
    (tensor_pickle(0, (3, 3), (3, 2), 9), {"0": b"\x00" * 36}, "reaches element 10"),
    (tensor_pickle(0, (2 ** 40, 2 ** 40), (0, 0), 1), {"0": b"\x00" * 4}, "expands"),
    (tensor_pickle(0, (2,), (-1,), 4), {"0": b"\x00" * 16}, "malformed tensor"),
    (tensor_pickle(0, (2,), (1,), 2, cls="QInt8Storage"), {"0": b"\x00" * 2},
     "refusing the global torch.QInt8Storage"),
])
def test_damaged_or_hostile_storages(pkl, records, what, tmp_path):
    path = tmp_path / "damaged.pt"
    path.write_bytes(torch_zip(pkl, records))
    with pytest.raises(SerializationError, match=f"damaged.pt.*{what}"):
        cr.load(path)


def test_damaged_archives(tmp_path):
    good = torch_zip(tensor_pickle(0, (4,), (1,), 4), {"0": np.arange(4, dtype="<f4").tobytes()})
    path = tmp_path / "broken.pt"
    path.write_bytes(good)
    np.testing.assert_array_equal(cr.load(path)._data, [0, 1, 2, 3])
    cases = {"truncated": good[: len(good) - 30], "half": good[: len(good) // 2]}
    at = good.index(np.arange(4, dtype="<f4").tobytes())
    cases["bad crc"] = good[:at] + b"\xff" + good[at + 1:]
    zip_no_pickle = io.BytesIO()
    with zipfile.ZipFile(zip_no_pickle, "w") as z:
        z.writestr("archive/other", b"x")
    cases["no data.pkl"] = zip_no_pickle.getvalue()
    cases["truncated pickle"] = torch_zip(tensor_pickle(0, (4,), (1,), 4)[:40],
                                          {"0": b"\x00" * 16})
    for name, data in cases.items():
        path.write_bytes(data)
        with pytest.raises(SerializationError, match="broken.pt") as e:
            cr.load(path)
        assert isinstance(e.value, ValueError), name


def test_deep_nesting_is_refused_without_recursion(tmp_path):
    """Issue 12: nesting beyond pickle_vm.MAX_DEPTH is refused with an error naming the file (no
    RecursionError, no crash); the same structure within the limit still loads."""
    from chainrule.serialization import pickle_vm

    def nested_lists(depth):
        return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."

    path = tmp_path / "deep.pt"
    path.write_bytes(torch_zip(nested_lists(100_000)))
    with pytest.raises(SerializationError, match="deep.pt.*max_depth=200") as e:
        cr.load(path)
    assert isinstance(e.value, ValueError)
    path.write_bytes(torch_zip(nested_lists(pickle_vm.MAX_DEPTH)))
    got = cr.load(path)
    n = 1
    while got:
        got, n = got[0], n + 1
    assert n == pickle_vm.MAX_DEPTH


def test_a_memo_blow_up_in_a_refused_call_is_quoted_in_bounded_time(tmp_path):
    """Issue 12: a .pt file calling torch.Size on a list that holds its predecessor twice, 60
    levels deep (2⁶⁰ elements as a tree, 60 memo entries as a graph). The refusal quotes the
    arguments; a plain repr of them would never finish."""
    import time

    pkl = b"\x80\x02ctorch\nSize\n]q\x000"           # torch.Size; L0 = [] (memo 0), popped
    for level in range(1, 61):                      # L_k = [L_k−1, L_k−1] (memo k), popped
        pkl += b"(h" + bytes([level - 1]) + b"h" + bytes([level - 1]) + b"lq" + bytes([level])
        pkl += b"0"
    pkl += b"h\x3c\x85R."                            # torch.Size((L60,))
    path = tmp_path / "blowup.pt"
    path.write_bytes(torch_zip(pkl))
    start = time.perf_counter()
    with pytest.raises((SerializationError, UnsafeFileError)) as info:
        cr.load(path)
    assert time.perf_counter() - start < 5
    assert "blowup.pt" in str(info.value) and len(str(info.value)) < 2000
