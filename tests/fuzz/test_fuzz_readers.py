"""The readers under mutation fuzzing (issue 12): every mutant of a valid IDX (raw and gzip),
CSV (tables and texts), checkpoint, CIFAR batch, imdb-style .npz, torch.save (.pt),
chainrule.save file, image-folder PNG and saved Vocabulary JSON is read in a child process under a
2 GB address-space limit; each must be accepted or refused with one of chainrule's errors (a
ValueError or OSError) naming the file, within 10 s. 200 mutants per reader here (about 5 s in
all); the marked slow test runs 2,000 per reader. The harness (and how to run it by hand) is
fuzz_readers.py. The findings it made are pinned below as regression tests."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(files: int, seed: int, timeout: int) -> dict:
    result = subprocess.run([sys.executable, "-m", "tests.fuzz.fuzz_readers", "--files",
                             str(files), "--seed", str(seed)], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    findings = [line for line in lines if "reader" in line]
    assert result.returncode == 0 and not findings, \
        "\n".join(json.dumps(f) for f in findings[:20]) + result.stderr[-2000:]
    return lines[-1]["summary"]


def test_readers_survive_200_mutants_each():
    assert _run(200, seed=0, timeout=600) == {"files_per_reader": 200, "findings": 0}


@pytest.mark.slow
def test_readers_survive_2000_mutants_each():
    assert _run(2000, seed=1, timeout=1500) == {"files_per_reader": 2000, "findings": 0}


# ----------------------------------------------------------------------------- pinned findings
def test_damaged_vocabulary_json_is_an_error_naming_the_file(tmp_path):
    """Found by the fuzzer: Vocabulary.load let JSONDecodeError and UnicodeDecodeError out raw
    (no file named), and a wrong-typed field as TypeError."""
    from chainrule.data.datasets import DatasetFormatError
    from chainrule.text import Vocabulary

    path = tmp_path / "vocab.json"
    Vocabulary().build([["a", "b", "a"]]).save(path)
    good = path.read_bytes()
    assert Vocabulary.load(path).itos == ["<pad>", "<unk>", "a", "b"]
    path.write_bytes(b"\xef\xbb\xbf" + good)                     # a byte-order mark is fine
    assert Vocabulary.load(path).itos == ["<pad>", "<unk>", "a", "b"]
    cases = {good[:-7]: "not valid JSON", good.replace(b'"a"', b'"\xff"', 1): "not UTF-8",
             b"[" * 100_000: "nested too deeply|not JSON",
             good.replace(b'"specials": [', b'"specials": 3, "x": [', 1): "specials",
             good.replace(b'"freqs": {', b'"freqs": [{', 1)[:-1] + b"]}": "freqs|JSON",
             good.replace(b'"pad_token": "<pad>"', b'"pad_token": [1]', 1): "pad_token"}
    for raw, problem in cases.items():
        path.write_bytes(raw)
        with pytest.raises(DatasetFormatError, match=problem) as e:
            Vocabulary.load(path)
        assert str(e.value).startswith(str(path)), str(e.value)


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 5), (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_broken_png_chunk_is_an_error_naming_the_file(tmp_path):
    """Found by the fuzzer: Pillow reports a damaged PNG chunk as SyntaxError, which escaped."""
    pytest.importorskip("PIL")
    from chainrule.data.datasets import DatasetFormatError
    from chainrule.data.datasets.image_folder import read_image

    raw = _png()
    at = raw.index(b"IDAT") - 4                 # the image data's length: 4 bytes, not 20, so
    path = tmp_path / "broken.png"              # the rest of the data is read as a chunk header
    path.write_bytes(raw[:at] + (4).to_bytes(4, "big") + raw[at + 4:])
    with pytest.raises(DatasetFormatError, match="broken.png: cannot be read as an image") as e:
        read_image(path)
    assert "SyntaxError: broken PNG file" in str(e.value)
    path.write_bytes(b"GIF89a" + raw[6:])
    with pytest.raises(DatasetFormatError, match="broken.png: .*not an image"):
        read_image(path)


def test_png_chunk_declaring_2_gb_does_not_allocate_it(tmp_path):
    """Found by the fuzzer: a 77-byte PNG whose image-data chunk declared 2 GB made Pillow read
    2 GB from the file at once (MemoryError under a memory limit). The reader now hands Pillow a
    buffer of the file's bytes, which cannot return more than it holds."""
    pytest.importorskip("PIL")
    raw = _png()
    at = raw.index(b"IDAT") - 4
    path = tmp_path / "huge_chunk.png"
    path.write_bytes(raw[:at] + b"\x80" + raw[at + 1:])
    script = textwrap.dedent("""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 ** 30, 2 ** 30))
        from chainrule.data.datasets.image_folder import read_image
        try:
            print(read_image(sys.argv[1]).shape)
        except ValueError as e:
            print(type(e).__name__, e)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout.strip()
    assert out == "(3, 5, 6)" or out.startswith(f"DatasetFormatError {path}"), out
