"""What a student reads at the terminal, polished (issue 15, item 4): each test here failed on
the behaviour before the polish.

- ``chainrule formulas a b c`` prints each valid name and suggests close matches for the rest,
  case-insensitively;
- every command survives a closed pipe (``chainrule explain resnet18 | head``): no traceback, a
  conventional exit status;
- ``chainrule explain --help`` has examples and explains ``--format``.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule.cli import main as cli_main

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


# ------------------------------------------------------------------ formulas a b c
def test_formulas_prints_the_valid_names_and_suggests_the_rest(capsys):
    code = cli_main.main(["formulas", "Sigmoid", "sigmod", "RELU", "nothing_like_it"])
    out, err = capsys.readouterr()
    assert code == 2                                   # some names were not found
    assert "σ(x)" in out and "relu" in out.lower()      # sigmoid's and relu's formulas
    assert "did you mean sigmoid?" in err, err
    assert "nothing_like_it" in err and "chainrule formulas" in err
    assert "sigmoid" not in err.split("sigmod")[0]      # Sigmoid itself was found, not refused


def test_formulas_names_are_case_insensitive(capsys):
    assert cli_main.main(["formulas", "Tanh", "LOG_SOFTMAX"]) == 0
    out = capsys.readouterr().out
    assert "tanh" in out and "log_softmax" in out


# ------------------------------------------------------------------ closed pipes
_COMMANDS = [["explain", "resnet18"], ["formulas"], ["formulas", "--format", "markdown"],
             ["explain", "--help"]]


@pytest.mark.parametrize("args", _COMMANDS, ids=" ".join)
def test_a_closed_pipe_ends_the_command_quietly(args):
    """As `chainrule ARGS | head -1`: the reader takes one line and closes the pipe."""
    proc = subprocess.Popen([sys.executable, "-m", "chainrule.cli.main", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    first = proc.stdout.readline()
    proc.stdout.close()                                # `head` has had enough
    err = proc.stderr.read().decode("utf-8", errors="replace")
    code = proc.wait(timeout=120)
    assert first, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert "Exception ignored" not in err, err
    assert code in (0, 141), (code, err)               # 141 = 128 + SIGPIPE, as shell tools


def test_a_shell_pipeline_into_head_is_clean(tmp_path):
    script = (f'"{sys.executable}" -m chainrule.cli.main explain resnet18 | head -5; '
              'echo "status=${PIPESTATUS[0]}"')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=ENV,
                          timeout=120, cwd=tmp_path)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stdout.count("\n") == 6
    status = int(done.stdout.strip().rsplit("status=", 1)[1])
    assert status in (0, 141)


# ------------------------------------------------------------------ explain --help
def test_explain_help_has_examples_and_explains_format(capsys):
    with pytest.raises(SystemExit) as info:
        cli_main.main(["explain", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out.lower()
    assert "chainrule explain mlp" in out and "chainrule explain resnet18" in out
    assert "--format markdown" in out
    # each format says what it is for
    fmt = out[out.index("--format"):]
    for word in ("text", "latex", "markdown", "Jupyter", "LaTeX"):
        assert word in fmt, (word, fmt)


# ------------------------------------------------------------------ found by trying it
def test_explain_says_how_to_give_a_missing_constructor_argument(capsys):
    assert cli_main.main(["explain", "lstm-classifier"]) == 2
    err = capsys.readouterr().err
    assert "-k vocab_size=" in err and "Traceback" not in err


def test_explain_knows_the_input_size_of_a_model_that_states_it(capsys):
    assert cli_main.main(["explain", "efficientnet-lite0"]) == 0
    assert "input 3×224×224" in capsys.readouterr().out
