"""``chainrule info``."""
from __future__ import annotations

import json

from chainrule import __version__
from chainrule.cli import main as cli_main


def test_info_prints_versions_blas_and_datasets(capsys):
    assert cli_main.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"chainrule  {__version__}" in out
    for word in ("numpy", "python", "backend", "malloc", "datasets:", "fashion-mnist", "digits",
                 "lenet"):
        assert word in out, word


def test_info_json(capsys):
    assert cli_main.main(["info", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["chainrule"] == __version__
    assert set(facts["datasets"]) >= {"fashion-mnist", "mnist", "digits", "cifar10"}
    assert isinstance(facts["malloc_tuned"], bool)
    assert "lenet" in facts["models"] and "mlp" in facts["models"]
    if isinstance(facts["blas"], list) and facts["blas"]:         # threadpoolctl installed
        assert all("num_threads" in pool for pool in facts["blas"])
