"""The readers under mutation fuzzing (issue 12): every mutant of a valid IDX (raw and gzip),
CSV (tables and texts), checkpoint, CIFAR batch, imdb-style .npz, torch.save (.pt) and
chainrule.save file is read in a child
process under a 2 GB address-space limit; each must be accepted or refused with one of
chainrule's errors naming the file, within 10 s. 200 mutants per reader here; the marked slow
test runs 2,000 per reader. The harness (and how to run it by hand) is fuzz_readers.py."""
from __future__ import annotations

import json
import subprocess
import sys
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
