"""Fixtures of the ``chainrule`` command tests: one small trained run shared by them all.

The runs train on scikit-learn's 8×8 digits (no files needed) for a couple of epochs, so the
whole set stays fast; the real-data test is in test_real_data.py.
"""
from __future__ import annotations

import shutil

import pytest

from chainrule.cli import main as cli_main

DIGITS_RUN = ["train", "--dataset", "digits", "--epochs", "2", "--batch-size", "64",
              "--dropout", "0.1", "--seed", "3"]


def train(*args: str) -> int:
    return cli_main.main(["train", *args])


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory):
    """A finished 2-epoch LeNet run on the digits (do not modify it: copy it with ``run_copy``)."""
    pytest.importorskip("sklearn", reason="the digits come with scikit-learn")
    folder = tmp_path_factory.mktemp("runs") / "lenet-digits"
    assert cli_main.main([*DIGITS_RUN, "--out", str(folder)]) == 0
    return folder


@pytest.fixture
def run_copy(digits_run, tmp_path):
    """A private copy of the shared run, free to damage."""
    return shutil.copytree(digits_run, tmp_path / "copy")
