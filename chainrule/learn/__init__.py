"""Learn the mathematics of deep learning with chainrule: lessons that run, and exercises that
grade themselves.

- ``lessons/``: the lessons, jupytext percent-format files (``chainrule learn show N`` renders
  one in the terminal, ``chainrule learn open N`` writes it as a notebook);
- ``exercises/``: the stubs a learner edits (``chainrule learn start`` copies them into a
  workspace); ``solutions/``: the reference solutions, kept apart; ``checks/``: the hidden
  checks the grader runs (``chainrule learn check``).

In Python::

    >>> from chainrule import learn
    >>> [l.title for l in learn.lessons() if l.available]
    >>> learn.grade_function("1.1", my_affine).render()   # grade a function here
"""
from .catalog import Exercise, Lesson, exercise, exercises, lesson, lessons
from .grader import Result, grade, grade_file, grade_function, grade_many

__all__ = ["lessons", "lesson", "exercises", "exercise", "Exercise", "Lesson", "Result", "grade",
           "grade_many", "grade_file", "grade_function"]
