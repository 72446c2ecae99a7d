"""For every exercise: the grader rejects the untouched stub and plausible wrong answers, each
with a hint about the mathematics, and accepts the reference solution."""
from __future__ import annotations

import importlib

import pytest

from chainrule.learn import catalog, exercises, grade_function

from .wrong_answers import WRONG

ALL = exercises()


def stub(e):
    module = importlib.import_module(f"chainrule.learn.exercises.lesson_{e.lesson:02d}")
    return getattr(module, e.name)


def test_at_least_three_exercises_per_written_lesson():
    for item in catalog.lessons():
        if item.available:
            assert len(item.exercises()) >= 3, item.number


def test_every_exercise_has_wrong_answers_to_reject():
    assert sorted(WRONG) == sorted(e.id for e in ALL)


def test_ids_and_names_are_unique_and_resolve():
    assert len({e.id for e in ALL}) == len({e.name for e in ALL}) == len(ALL)
    for e in ALL:
        assert catalog.exercise(e.id) is e and catalog.exercise(e.name) is e


@pytest.mark.parametrize("e", ALL, ids=lambda e: e.id)
def test_reference_solution_passes(e):
    result = grade_function(e, catalog.reference(e))
    assert result.status == "passed", result.render()
    assert result.warnings == [], result.warnings


@pytest.mark.parametrize("e", ALL, ids=lambda e: e.id)
def test_untouched_stub_is_reported_as_not_written(e):
    result = grade_function(e, stub(e))
    assert result.status == "todo"
    assert "NotImplementedError" in result.render()


@pytest.mark.parametrize("e", ALL, ids=lambda e: e.id)
def test_wrong_answers_are_rejected_with_a_hint(e):
    for what, wrong in WRONG[e.id]:
        result = grade_function(e, wrong)
        assert result.status in ("failed", "error"), f"{e.id}: '{what}' was accepted"
        assert result.hint, f"{e.id}: '{what}' was rejected without a hint"
        assert result.case and result.message
        text = " ".join(result.render(e.title).split())
        assert "hint" in text and " ".join(result.case.split()) in text


def test_failure_names_the_case_and_shows_small_rounded_values():
    e = catalog.exercise("3.1")
    result = grade_function(e, WRONG["3.1"][0][1])          # x δᵀ: a transposed gradient
    assert result.status == "failed"
    assert "transpose" in result.message
    assert result.expected and result.received
    assert len(result.expected) < 400 and len(result.received) < 400
    assert "e-0" not in result.received                       # rounded, not 17 digits


def test_hints_do_not_give_the_answer_away():
    """A hint states the mathematics; it never contains the solution's code."""
    for e in ALL:
        source = catalog.solution_source(e.lesson)
        code_lines = {ln.strip() for ln in source.splitlines()
                      if ln.strip().startswith("return ")}
        for _, wrong in WRONG[e.id]:
            result = grade_function(e, wrong)
            assert not any(line in result.hint for line in code_lines), (e.id, result.hint)
