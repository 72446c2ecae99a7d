"""The safe pickle interpreter's limits (issue 12): nesting depth, values made, memo references.

A few hundred bytes of pickle can describe a value that crashes or exhausts whatever uses it: a
tuple nested 3·10⁵ deep (hashing it as a dict key recursed in C and killed the process), depth
built by appending to a list after it was nested, a list that contains itself, or a memo blow-up
(``L[k] = [L[k-1], L[k-1]]``: 2ᵏ values from 2k references). Each is refused with an error that
names the file, says which limit and its value, and is both a ValueError and a
``pickle.UnpicklingError``; real CIFAR batches, imdb.npz object arrays and torch state dicts pass
the default limits. Malicious pickles are refused and nothing in them runs.
"""
from __future__ import annotations

import builtins
import io
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.data.datasets import DatasetFormatError, UnsafePickleError, cifar, safe_pickle
from chainrule.serialization import pickle_vm
from chainrule.serialization.pickle_vm import PickleFormatError, PickleLimitError
from chainrule.text import read_npz

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- pickle builders
def put(i: int) -> bytes:                    # LONG_BINPUT
    return b"r" + struct.pack("<I", i)


def get(i: int) -> bytes:                    # LONG_BINGET
    return b"j" + struct.pack("<I", i)


def nested_tuple(n: int) -> bytes:
    """``((…(),…),)``: depth n, made by TUPLE1 on TUPLE1 (each tuple complete when nested)."""
    return b"\x80\x02)" + b"\x85" * (n - 1) + b"."


def nested_lists(n: int) -> bytes:
    """``[[…[]…]]``: depth n, each inner list complete before it is appended."""
    return b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b"."


def nested_dicts(n: int) -> bytes:
    """``{0: {0: … {}}}``: depth n, built inside out with SETITEM."""
    return b"\x80\x02" + b"}K\x00" * (n - 1) + b"}" + b"s" * (n - 1) + b"."


def lists_nested_by_mutation(n: int) -> bytes:
    """Depth n, built so that no list is deep when it is nested: n empty lists are memoized first,
    then list i receives list i+1 (still empty at that moment) by APPEND; the result is list 0."""
    out = b"\x80\x02"
    for i in range(n):
        out += b"]" + put(i) + b"0"
    for i in range(n - 1):
        out += get(i) + get(i + 1) + b"a0"
    return out + get(0) + b"."


def dicts_nested_by_mutation(n: int) -> bytes:
    """As :func:`lists_nested_by_mutation`, with dicts and SETITEM (``d[i][0] = d[i+1]``)."""
    out = b"\x80\x02"
    for i in range(n):
        out += b"}" + put(i) + b"0"
    for i in range(n - 1):
        out += get(i) + b"K\x00" + get(i + 1) + b"s0"
    return out + get(0) + b"."


def memo_blow_up(k: int) -> bytes:
    """``L0 = []``, ``L[i] = [L[i-1], L[i-1]]`` for i < k; the result is ``L[k-1]``: 3k memo
    operations for a tree of 2ᵏ − 1 values (a 9 KB file once cost 1.6 GB and 48 s)."""
    out = b"\x80\x02]" + put(0) + b"0"
    for i in range(1, k):
        out += b"(" + get(i - 1) + get(i - 1) + b"l" + put(i) + b"0"
    return out + get(k - 1) + b"."


def depth_of(value) -> int:
    n = 0
    while isinstance(value, (list, tuple, dict)):
        value = next(iter(value.values()), None) if isinstance(value, dict) else (
            value[0] if value else None)
        n += 1
    return n


def assert_refusal(error: BaseException, file_name: str):
    assert isinstance(error, ValueError) and isinstance(error, pickle.UnpicklingError)
    assert str(error).startswith(file_name), str(error)


# ----------------------------------------------------------------------------- depth
def test_300k_deep_tuple_cifar_batch_is_refused_without_crashing(tmp_path):
    """Issue 12: a 300 KB CIFAR batch holding a tuple nested 3·10⁵ deep. As the value it reached
    the reader; as a dict key, hashing it recursed in C and killed the process (SIGSEGV). Both
    are refused at level 201 now; run in a child so a regression is a failed test, not a crash."""
    as_value = tmp_path / "data_batch_1"
    as_value.write_bytes(b"\x80\x02N" + b"\x85" * 300_000 + b".")
    as_key = tmp_path / "data_batch_2"
    as_key.write_bytes(b"\x80\x02}N" + b"\x85" * 300_000 + b"Ns.")
    script = textwrap.dedent("""
        import pickle, sys
        from chainrule.data.datasets import cifar
        for path in sys.argv[1:]:
            try:
                cifar.read_batch(path)
            except Exception as e:
                both = isinstance(e, ValueError) and isinstance(e, pickle.UnpicklingError)
                print(type(e).__name__, both, str(e)[:400], sep="|")
            else:
                print("accepted")
    """)
    done = subprocess.run([sys.executable, "-c", script, str(as_value), str(as_key)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    for path, line in zip((as_value, as_key), lines):
        kind, both, message = line.split("|", 2)
        assert kind == "PickleLimitError" and both == "True", line
        assert message.startswith(str(path)) and "max_depth=200" in message, line
        assert "201 levels deep" in message, line


@pytest.mark.parametrize("build", [nested_tuple, nested_lists, nested_dicts,
                                   lists_nested_by_mutation, dicts_nested_by_mutation])
def test_depth_limit_exact_at_the_boundary(build):
    limit = 40
    value = pickle_vm.run(build(limit), pickle_vm.Policy(), "ok.pkl", max_depth=limit)
    assert depth_of(value) == limit
    with pytest.raises(PickleLimitError, match=r"^deep\.pkl.*max_depth=40") as e:
        pickle_vm.run(build(limit + 1), pickle_vm.Policy(), "deep.pkl", max_depth=limit)
    assert_refusal(e.value, "deep.pkl")
    assert (e.value.limit, e.value.value) == ("max_depth", 40)


@pytest.mark.parametrize("build", [lists_nested_by_mutation, dicts_nested_by_mutation])
def test_depth_built_by_mutation_after_nesting_is_measured(build, tmp_path):
    """No list is more than 2 deep when it is nested; the finished value is 10⁴ deep. The exact
    measure at STOP (iterative) sees it, through the CIFAR reader too."""
    raw = build(10_000)
    with pytest.raises(PickleLimitError, match="max_depth=200"):
        safe_pickle.loads(raw, "mutated.pkl")
    # inside a CIFAR batch dict, as its labels
    batch = (b"\x80\x02}" + pickle.dumps(b"labels", 2)[2:-1] + raw[2:-1] + b"s.")
    path = tmp_path / "data_batch_1"
    path.write_bytes(batch)
    with pytest.raises(PickleLimitError, match="max_depth=200") as e:
        cifar.read_batch(path)
    assert_refusal(e.value, str(path))


def test_a_deep_but_allowed_structure_still_loads():
    """Depth 50 (four times what any real file needs, a quarter of the limit), mixed containers,
    some shared: read exactly as pickle reads it."""
    value = leaf = {"x": [1, 2.5, None, b"b", "s"]}
    for i in range(49):
        value = [value, leaf] if i % 3 == 0 else ((value, i) if i % 3 == 1 else {str(i): value})
    for protocol in (0, 2, 4, 5):
        raw = pickle.dumps(value, protocol=protocol)
        assert safe_pickle.loads(raw) == pickle.loads(raw) == value


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 60), offset=st.integers(-5, 5),
       build=st.sampled_from([nested_tuple, nested_lists, nested_dicts,
                              lists_nested_by_mutation, dicts_nested_by_mutation]))
def test_depth_property_accepts_up_to_the_limit_and_refuses_beyond(limit, offset, build):
    depth = max(1, limit + offset)
    raw = build(depth)
    if depth <= limit:
        assert depth_of(pickle_vm.run(raw, pickle_vm.Policy(), "f", max_depth=limit)) == depth
    else:
        with pytest.raises(PickleLimitError) as e:
            pickle_vm.run(raw, pickle_vm.Policy(), "f", max_depth=limit)
        assert e.value.limit == "max_depth" and f"max_depth={limit}" in str(e.value)


# ----------------------------------------------------------------------------- cycles
def _cyclic_list():
    a = []
    a.append(a)
    return a


def _cyclic_dict():
    d = {}
    d["self"] = d
    return d


def _cycle_through_a_tuple():
    a = []
    a.append((1, a))
    return {"k": a}


def _long_cycle():
    first = current = []
    for _ in range(300):                 # (pickle.dumps itself recurses)
        nxt = []
        current.append(nxt)
        current = nxt
    current.append(first)
    return first


@pytest.mark.parametrize("make", [_cyclic_list, _cyclic_dict, _cycle_through_a_tuple])
@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_value_that_contains_itself_is_refused(make, protocol):
    raw = pickle.dumps(make(), protocol=protocol)
    with pytest.raises(PickleFormatError, match=r"^loop\.pkl: the value contains itself") as e:
        safe_pickle.loads(raw, "loop.pkl")
    assert_refusal(e.value, "loop.pkl")


def test_a_long_cycle_is_refused_without_recursion():
    raw = pickle.dumps(_long_cycle(), protocol=2)
    with pytest.raises(PickleFormatError, match="contains itself"):
        safe_pickle.loads(raw, "loop.pkl", max_depth=100_000)
    with pytest.raises(PickleLimitError, match="max_depth=200"):     # the default sees depth first
        safe_pickle.loads(raw, "loop.pkl")


def test_sharing_without_a_cycle_is_fine():
    shared = [1, 2]
    value = {"a": shared, "b": (shared, shared), "c": [shared]}
    got = safe_pickle.loads(pickle.dumps(value, protocol=2))
    assert got == value and got["a"] is got["b"][0] is got["c"][0]


# ----------------------------------------------------------------------------- object count
def test_object_count_cap():
    raw = pickle.dumps(list(range(1000)), protocol=2)
    assert safe_pickle.loads(raw, max_objects=1001) == list(range(1000))
    with pytest.raises(PickleLimitError, match=r"^many\.pkl .*max_objects=500\b") as e:
        safe_pickle.loads(raw, "many.pkl", max_objects=500)
    assert_refusal(e.value, "many.pkl")
    assert (e.value.limit, e.value.value) == ("max_objects", 500)


def test_module_constant_is_the_default_and_can_be_changed(monkeypatch):
    raw = pickle.dumps(list(range(100)), protocol=2)
    monkeypatch.setattr(pickle_vm, "MAX_OBJECTS", 50)
    with pytest.raises(PickleLimitError, match="max_objects=50"):
        safe_pickle.loads(raw)
    assert safe_pickle.loads(raw, max_objects=200) == list(range(100))


def test_memo_blow_up_is_refused_quickly(tmp_path):
    """2⁶⁰ values from 180 memo operations (~1.3 KB): refused in well under a second, also when
    it is a CIFAR batch's labels (which numpy.asarray would have expanded)."""
    raw = memo_blow_up(60)
    assert len(raw) < 2000
    start = time.perf_counter()
    with pytest.raises(PickleLimitError, match=r"max_objects=20,000,000 .*memo blow-up") as e:
        safe_pickle.loads(raw, "bomb.pkl")
    assert time.perf_counter() - start < 1.0
    assert_refusal(e.value, "bomb.pkl")
    batch = (b"\x80\x02}" + pickle.dumps(b"data", 2)[2:-1]
             + pickle.dumps(np.zeros((1, 3072), np.uint8), 2)[2:-1] + b"s"
             + pickle.dumps(b"labels", 2)[2:-1] + raw[2:-1] + b"s.")
    path = tmp_path / "data_batch_1"
    path.write_bytes(batch)
    start = time.perf_counter()
    with pytest.raises(PickleLimitError, match="memo blow-up") as e:
        cifar.read_batch(path)
    assert time.perf_counter() - start < 1.0
    assert_refusal(e.value, str(path))


def test_shared_parts_count_once_per_reference():
    """L[10] unfolds to 2¹¹ − 1 = 2047 values (each list counts once per reference to it), from
    11 lists and 20 references: the limit applies to the unfolded count, exactly."""
    raw = memo_blow_up(11)
    got = pickle_vm.run(raw, pickle_vm.Policy(), "f", max_objects=2047)
    assert depth_of(got) == 11 and got[0] is got[1]
    with pytest.raises(PickleLimitError, match="max_objects=2,046"):
        pickle_vm.run(raw, pickle_vm.Policy(), "f", max_objects=2046)


def test_a_policy_error_message_is_bounded_even_for_a_blow_up():
    """A refusal message quotes what the file passed (here numpy.dtype's argument, a 2⁶⁰-value
    memo blow-up): the quote is bounded (plain repr would never finish)."""
    bomb = memo_blow_up(60)
    raw = b"\x80\x02cnumpy\ndtype\n" + bomb[2:-1] + b"\x85R."
    start = time.perf_counter()
    with pytest.raises(UnsafePickleError, match=r"^d\.pkl .*numpy\.dtype with arguments") as e:
        safe_pickle.loads(raw, "d.pkl")
    assert time.perf_counter() - start < 1.0 and len(str(e.value)) < 400


# ----------------------------------------------------------------------------- memo references
def test_memo_reference_budget():
    inner = [1, 2, 3]
    raw = pickle.dumps([inner] * 100, protocol=2)          # one list, then 99 GETs of it
    assert safe_pickle.loads(raw, max_memo_refs=99) == [inner] * 100
    with pytest.raises(PickleLimitError, match=r"^refs\.pkl .*max_memo_refs=50\b") as e:
        safe_pickle.loads(raw, "refs.pkl", max_memo_refs=50)
    assert_refusal(e.value, "refs.pkl")
    assert (e.value.limit, e.value.value) == ("max_memo_refs", 50)
    # DUP of a container counts too; references to strings and numbers do not
    dup = b"\x80\x02]" + b"2" * 10 + b"a" * 9 + b"."
    with pytest.raises(PickleLimitError, match="max_memo_refs=5"):
        pickle_vm.run(dup, pickle_vm.Policy(), "dup.pkl", max_memo_refs=5)
    strings = pickle.dumps(["same text"] * 100, protocol=2)
    assert safe_pickle.loads(strings, max_memo_refs=0) == ["same text"] * 100


# ----------------------------------------------------------------------------- real files pass
def cifar_like_batch(n: int = 10_000):
    rng = np.random.default_rng(0)
    return {b"batch_label": b"training batch 1 of 5",
            b"labels": rng.integers(0, 10, n).tolist(),
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i:05d}.png".encode() for i in range(n)]}


@pytest.mark.parametrize("protocol", [2, 4])
def test_default_limits_accept_a_real_size_cifar_batch(protocol, tmp_path):
    batch = cifar_like_batch()
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=protocol))
    images, labels = cifar.read_batch(path)
    assert images.shape == (10_000, 3, 32, 32)
    np.testing.assert_array_equal(images.reshape(10_000, 3072), batch[b"data"])
    np.testing.assert_array_equal(labels, batch[b"labels"])


def test_default_limits_accept_an_imdb_like_object_array(tmp_path):
    rng = np.random.default_rng(1)
    reviews = np.empty(3000, dtype=object)
    for i in range(len(reviews)):
        reviews[i] = rng.integers(1, 88_000, rng.integers(10, 400)).tolist()
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=reviews, y_train=rng.integers(0, 2, len(reviews)))
    got = read_npz(path)
    assert got["x_train"].dtype == object and got["x_train"].shape == (3000,)
    assert all(a == b for a, b in zip(got["x_train"], reviews))


def test_default_limits_accept_a_torch_state_dict_with_optimizer_state(tmp_path):
    torch = pytest.importorskip("torch")
    import chainrule as cr

    model = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3),
                                                      torch.nn.BatchNorm2d(4))
                                  for _ in range(50)])
    opt = torch.optim.Adam(model.parameters())
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, path)
    got = cr.load(path)
    assert set(got["model"]) == set(model.state_dict())
    np.testing.assert_array_equal(got["model"]["0.0.weight"].numpy(),
                                  model.state_dict()["0.0.weight"].numpy())


# ----------------------------------------------------------------------------- malicious pickles
def _marker_payloads(marker: Path) -> dict[str, bytes]:
    """Pickles that run code under plain ``pickle.loads`` (creating ``marker``), or ask for it."""
    m = str(marker).encode()
    touch = f"open({str(marker)!r}, 'w').close()".encode()

    class System:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    class Eval:
        def __reduce__(self):
            return builtins.eval, (touch.decode(),)

    out = {f"os.system via REDUCE, protocol {p}": pickle.dumps({b"data": System()}, protocol=p)
           for p in (0, 2, 4, 5)}
    out["builtins.eval via REDUCE"] = pickle.dumps([Eval()], protocol=2)
    out["INST"] = b"(S'touch " + m + b"'\nios\nsystem\n."
    out["OBJ"] = b"\x80\x02(cos\nsystem\nX" + struct.pack("<I", len(m) + 6) + b"touch " + m + b"o."
    out["NEWOBJ"] = b"\x80\x02cbuiltins\nobject\n)\x81."
    out["NEWOBJ_EX"] = b"\x80\x04cbuiltins\nobject\n)}\x92."
    out["EXT1"] = b"\x80\x02\x82\x01."
    out["persistent id (PERSID)"] = b"(Pstorage\nt."
    out["persistent id (BINPERSID)"] = b"\x80\x02X\x01\x00\x00\x00xQ."
    out["eval by STACK_GLOBAL"] = (b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c"
                                   + bytes([len(touch)]) + touch + b"\x85R.")
    return out


_EXECUTES = {"os.system via REDUCE, protocol 0", "os.system via REDUCE, protocol 2",
             "os.system via REDUCE, protocol 4", "os.system via REDUCE, protocol 5",
             "builtins.eval via REDUCE", "INST", "OBJ", "eval by STACK_GLOBAL"}


@pytest.mark.parametrize("kind", sorted(_marker_payloads(Path("x"))))
def test_malicious_pickles_are_refused_and_nothing_runs(kind, tmp_path):
    marker = tmp_path / "pwned"
    raw = _marker_payloads(marker)[kind]
    if kind in _EXECUTES and os.name == "posix":     # the payload is live: plain pickle runs it
        probe = tmp_path / "probe"
        subprocess.run([sys.executable, "-c", "import pickle, sys; pickle.loads(sys.stdin.buffer."
                        "read().replace(sys.argv[1].encode(), sys.argv[2].encode()))",
                        str(marker), str(probe)], input=raw, capture_output=True, timeout=60)
        assert probe.exists(), f"{kind}: the test payload does not run under pickle.loads"
    path = tmp_path / "data_batch_1"
    path.write_bytes(raw)
    with pytest.raises(UnsafePickleError) as e:
        cifar.read_batch(path)
    assert_refusal(e.value, str(path))
    with pytest.raises(UnsafePickleError) as e:
        safe_pickle.loads(raw, "evil.pkl", object_arrays=True)
    assert_refusal(e.value, "evil.pkl")
    assert not marker.exists()


def test_malicious_object_array_in_an_npz_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class System:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    evil = np.empty(1, dtype=object)
    evil[0] = System()
    buffer = io.BytesIO()
    np.save(buffer, evil, allow_pickle=True)
    path = tmp_path / "imdb.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", buffer.getvalue())
    with pytest.raises(UnsafePickleError, match="refusing the global (posix|os).system") as e:
        read_npz(path)
    assert_refusal(e.value, str(path))
    assert not marker.exists()


# ----------------------------------------------------------------------------- malformed input
def test_malformed_and_truncated_pickles_are_chainrule_errors(tmp_path):
    raw = pickle.dumps(cifar_like_batch(4), protocol=2)
    for cut in (1, 5, len(raw) // 2, len(raw) - 1):
        with pytest.raises(PickleFormatError) as e:
            safe_pickle.loads(raw[:cut], "cut.pkl")
        assert_refusal(e.value, "cut.pkl")
    for bad in (b"\x80\x02a.", b"\x80\x02(.", b"\x80\x02j\x07\x00\x00\x00.", b"\x80\x02NN."):
        with pytest.raises(PickleFormatError) as e:
            safe_pickle.loads(bad, "bad.pkl")
        assert_refusal(e.value, "bad.pkl")


@pytest.mark.parametrize("labels, problem", [
    ([[1], [2, 3]], "'labels' must be a list of 2 integers"),
    ([10 ** 30, 1], r"labels must lie in \[0, 10\)"),
    ([10 ** 6000, 1], r"labels must lie in \[0, 10\), found values from 1 to <int of"),
    ("ab", "'labels' must be a list of 2 integers"),
])
def test_cifar_labels_of_the_wrong_kind_name_the_file(labels, problem, tmp_path):
    raw = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": labels}, protocol=2)
    path = tmp_path / "data_batch_1"
    path.write_bytes(raw)
    with pytest.raises(DatasetFormatError, match=problem) as e:
        cifar.read_batch(path)
    assert str(e.value).startswith(str(path))
