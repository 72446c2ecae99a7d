"""The grader survives what a learner's code does: raise, loop forever, print without end, fail
to import, exit the interpreter, return the wrong kind of thing."""
from __future__ import annotations

import time

import pytest

from chainrule.learn import catalog, grade, grade_file, grade_function
from chainrule.learn.grader import OUTPUT_LIMIT
from chainrule.learn.render import latex_to_unicode, math_in_text

AFFINE = catalog.exercise("1.1")


def workspace_file(tmp_path, body: str, header: str = "import numpy as np\n"):
    path = tmp_path / "lesson_01.py"
    path.write_text(header + "\n\ndef affine(W, b, x):\n" + body, encoding="utf-8")
    return path


def test_a_function_that_raises_is_an_error_with_the_line_and_a_hint():
    def affine(W, b, x):
        return W @ x[:, None, None] + b
    result = grade_function(AFFINE, affine)
    assert result.status == "error"
    assert "ValueError" in result.message or "raised" in result.message
    assert "line" in result.message and result.hint


def test_returning_nothing_is_named():
    result = grade_function(AFFINE, lambda W, b, x: None)
    assert result.status == "failed" and "return" in result.message


def test_an_answer_of_the_wrong_kind_is_reported_not_crashed():
    result = grade_function("1.4", lambda a, b: ("a", object()))
    assert result.status in ("failed", "error") and result.hint


def test_printing_is_captured_and_cut_short():
    def affine(W, b, x):
        for _ in range(10_000):
            print("debugging " * 10)
        return W @ x + b
    result = grade_function(AFFINE, affine)
    assert result.status == "passed"
    assert result.output_chars > 100 * OUTPUT_LIMIT and len(result.output) <= OUTPUT_LIMIT
    text = result.render()
    assert "more characters" in text and len(text) < 3 * OUTPUT_LIMIT


def test_warnings_of_the_learner_are_reported():
    def dense_layer(X, W, b):
        import numpy as np
        return 1 / (1 + np.exp(-(X @ W.T + b)))       # overflows at −1000, still right
    result = grade_function("1.2", dense_layer)
    assert result.status == "passed"
    assert any("overflow" in w for w in result.warnings)
    assert "warning" in result.render() and "overflow" in result.render()


@pytest.mark.slow
def test_an_endless_loop_hits_the_time_limit(tmp_path):
    path = workspace_file(tmp_path, "    while True:\n        pass\n")
    start = time.perf_counter()
    result = grade(AFFINE, path, timeout=3)
    assert result.status == "timeout" and "3 s" in result.message and result.hint
    assert time.perf_counter() - start < 30


@pytest.mark.slow
def test_endless_printing_hits_the_time_limit_without_flooding(tmp_path):
    path = workspace_file(tmp_path, "    while True:\n        print('x' * 1000)\n")
    result = grade(AFFINE, path, timeout=3)
    assert result.status == "timeout" and len(result.render()) < 2000


@pytest.mark.slow
def test_the_child_process_grades_a_right_answer_and_exiting_is_handled(tmp_path):
    path = workspace_file(tmp_path, "    return W @ x + b\n")
    assert grade(AFFINE, path, timeout=60).status == "passed"
    path = workspace_file(tmp_path, "    import os\n    os._exit(3)\n")
    result = grade(AFFINE, path, timeout=60)
    assert result.status == "error" and "exit status 3" in result.message


def test_a_file_that_does_not_import_is_reported(tmp_path):
    path = workspace_file(tmp_path, "    return W @ x +\n")
    result = grade_file(AFFINE, path)
    assert result.status == "error" and "SyntaxError" in result.message
    assert "line" in result.message
    path = workspace_file(tmp_path, "    return 1\n", header="import no_such_module_here\n")
    result = grade_file(AFFINE, path)
    assert result.status == "error" and "ModuleNotFoundError" in result.message


def test_a_renamed_function_is_reported(tmp_path):
    path = tmp_path / "lesson_01.py"
    path.write_text("def affine_map(W, b, x):\n    return W @ x + b\n")
    result = grade_file(AFFINE, path)
    assert result.status == "error" and "no function affine" in result.message


@pytest.mark.parametrize("tex, text", [
    (r"\frac{\partial L}{\partial W_1} = \delta_1 x^\top", "∂L/∂W₁ = δ₁ xᵀ"),
    (r"\hat{y} = \sigma(W_2 h + b_2)", "ŷ = σ(W₂ h + b₂)"),
    (r"W \in \mathbb{R}^{m \times n}", "W ∈ ℝ^{m × n}"),
    (r"\frac{1}{1 + e^{-z}}", "1/(1 + e⁻ᶻ)"),
    (r"J_{ij} = \frac{\partial y_i}{\partial x_j}", "Jᵢⱼ = ∂yᵢ/∂xⱼ"),
    (r"\sum_j W_{ij} x_j", "Σⱼ Wᵢⱼ xⱼ"),
    (r"O(h^2)", "O(h²)"),
    (r"\log \hat{y}_k", "log ŷₖ"),
    (r"\tanh z", "tanh z"),
    (r"\theta \leftarrow \theta - \eta g", "θ ← θ - ηg"),
    (r"\log \frac{p(x)}{q(x)}", "log p(x)/q(x)"),
])
def test_latex_becomes_unicode(tex, text):
    assert latex_to_unicode(tex) == text


def test_markdown_math_keeps_dollars_out():
    out = math_in_text("the loss $L = (\\hat{y} - y)^2$ and\n$$z = W x + b$$")
    assert "$" not in out and "(ŷ − y)²" in out.replace("\u00a0", " ")


@pytest.mark.slow
def test_one_child_grades_many_and_survives_a_hang_and_an_exit(tmp_path):
    from chainrule.learn import grade_many

    path = tmp_path / "lesson_01.py"
    path.write_text("import os\nimport numpy as np\n\n"
                    "def affine(W, b, x):\n    while True:\n        pass\n\n"
                    "def dense_layer(X, W, b):\n    return 1 / (1 + np.exp(-(X @ W.T + b)))\n\n"
                    "def count_parameters(sizes):\n    os._exit(5)\n\n"
                    "def broadcast_shape(a, b):\n    raise NotImplementedError\n")
    seen = []
    results = grade_many([(e, path) for e in ("1.1", "1.2", "1.3", "1.4")], timeout=3,
                         on_result=lambda r: seen.append(r.id))
    assert [r.id for r in results] == ["1.1", "1.2", "1.3", "1.4"]
    assert [r.status for r in results] == ["timeout", "passed", "error", "todo"]
    assert "exit status 5" in results[2].message
    assert sorted(seen) == ["1.1", "1.2", "1.3", "1.4"]
