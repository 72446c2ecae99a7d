"""The course: its lessons (jupytext files in ``lessons/``) and its exercises (stubs in
``exercises/``, reference solutions in ``solutions/``, hidden checks in ``checks/``), found by
number (lesson ``3``), by id (exercise ``3.2``) or by the name of the function to write."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The whole course, as issue 15 plans it; the lessons with a file are the ones written so far.
TITLES = {
    1: "Vectors, matrices and the notation of neural networks",
    2: "Derivatives, gradients, Jacobians; the chain rule; numerical vs automatic differentiation",
    3: "Backpropagation by hand on a 2-2-1 network, then with the trace tool",
    4: "Activation functions and their derivatives; saturation and vanishing gradients",
    5: "Probability for learning: likelihood, cross-entropy, softmax, KL divergence",
    6: "Optimization: gradient descent, momentum, RMSProp, Adam, schedules",
    7: "Generalization: overfitting, L1/L2, dropout, batch normalization",
    8: "Convolutional networks: im2col, receptive fields, pooling",
    9: "Recurrent networks and LSTMs: backpropagation through time",
    10: "Attention and Transformers",
    11: "Project: image classification on Fashion-MNIST",
    12: "Project: sentiment analysis",
    13: "Transfer learning with a pretrained model",
    14: "Trust: interpretability and adversarial examples",
}


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: ``id`` ('3.2'), the ``name`` of the function the learner writes, its
    ``title``, and ``check(f)``, the hidden checks (raises checks._tools.Failure)."""

    id: str
    name: str
    title: str
    check: Callable

    @property
    def lesson(self) -> int:
        return int(self.id.split(".")[0])


@dataclass(frozen=True)
class Lesson:
    number: int
    title: str
    path: Path | None            # the jupytext source; None while the lesson is not written

    @property
    def available(self) -> bool:
        return self.path is not None

    @property
    def stub_file(self) -> str:
        """The workspace file holding this lesson's exercises (``lesson_03.py``)."""
        return f"lesson_{self.number:02d}.py"

    def exercises(self) -> list[Exercise]:
        if not self.available:
            return []
        module = importlib.import_module(f"chainrule.learn.checks.lesson_{self.number:02d}")
        return list(module.EXERCISES)


def lessons() -> list[Lesson]:
    """Every lesson of the course, in order (``available`` says whether it is written)."""
    files = {int(p.name[7:9]): p for p in (HERE / "lessons").glob("lesson_[0-9][0-9]_*.py")}
    return [Lesson(n, title, files.get(n)) for n, title in TITLES.items()]


def lesson(number: int) -> Lesson:
    """Lesson ``number``; ValueError naming the lessons there are when it is not written."""
    for item in lessons():
        if item.number == number:
            if not item.available:
                break
            return item
    written = ", ".join(str(x.number) for x in lessons() if x.available)
    raise ValueError(f"there is no lesson {number} yet; the lessons written so far are {written}")


def exercises() -> list[Exercise]:
    """Every exercise of the written lessons, in order."""
    return [e for item in lessons() for e in item.exercises()]


def exercise(key: str) -> Exercise:
    """An exercise by id ('2.3') or by its function's name ('tanh_layer_jacobian')."""
    for e in exercises():
        if key in (e.id, e.name):
            return e
    known = ", ".join(f"{e.id} ({e.name})" for e in exercises())
    raise ValueError(f"there is no exercise {key!r}; the exercises are: {known}")


def stub_source(number: int) -> str:
    return (HERE / "exercises" / f"lesson_{number:02d}.py").read_text(encoding="utf-8")


def solution_source(number: int) -> str:
    return (HERE / "solutions" / f"lesson_{number:02d}.py").read_text(encoding="utf-8")


def reference(e: Exercise) -> Callable:
    """The reference solution of exercise ``e`` (a function)."""
    module = importlib.import_module(f"chainrule.learn.solutions.lesson_{e.lesson:02d}")
    return getattr(module, e.name)
