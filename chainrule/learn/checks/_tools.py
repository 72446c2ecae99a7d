"""What a hidden check is made of: calling the learner's function safely, comparing its answer
with the expected one, and saying what went wrong in the language of the mathematics.

A check is a function ``check(f)`` that raises :class:`Failure` on the first case the learner's
function ``f`` gets wrong. Expected values come from chainrule itself (its layers, its autograd),
computed in float64.
"""
from __future__ import annotations

import numpy as np


def rng(seed: int) -> np.random.Generator:
    """The random inputs of a check: the same on every run, so a failure reproduces."""
    return np.random.default_rng(seed)


class Failure(Exception):
    """One failed case: its name, what was expected and received, and a hint."""

    def __init__(self, case: str, message: str, *, expected=None, received=None, hint: str = "",
                 kind: str = "failed"):
        super().__init__(message)
        self.case = case
        self.message = message
        self.expected = expected
        self.received = received
        self.hint = hint
        self.kind = kind              # 'failed', 'todo' (still the stub) or 'error' (it raised)


def show(value, precision: int = 4) -> str:
    """A value as a short string: arrays rounded and abbreviated, so a message stays small."""
    if isinstance(value, (tuple, list)) and not _is_numeric_sequence(value):
        return "(" + ", ".join(show(v, precision) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show(v, precision)}" for k, v in value.items()) + "}"
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        text = repr(value)
        return text if len(text) <= 200 else text[:200] + "…"
    if a.ndim == 0:
        return f"{float(a):.{precision}g}"
    text = np.array2string(a, precision=precision, threshold=12, edgeitems=2,
                           suppress_small=True, max_line_width=90)
    return text + (f"  (shape {a.shape})" if a.ndim > 0 else "")


def _is_numeric_sequence(value) -> bool:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.dtype != object


def call(case: str, hint: str, f, *args):
    """``f(*args)`` on copies of the arguments; the learner's exceptions become a Failure that
    carries ``hint`` (the mathematics of the case)."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    try:
        return f(*copies)
    except NotImplementedError:
        raise Failure(case, "not implemented yet: replace `raise NotImplementedError` with your "
                      "code", kind="todo") from None
    except Failure:
        raise
    except Exception as exc:       # the learner's bug, reported as a result, never a crash
        line = _learner_line(exc)
        raise Failure(case, f"your function raised {type(exc).__name__}: {exc}" + line,
                      kind="error", hint=hint) from None


def _learner_line(exc: BaseException) -> str:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        if "chainrule/learn/checks" not in tb.tb_frame.f_code.co_filename.replace("\\", "/"):
            last = tb
        tb = tb.tb_next
    if last is None:
        return ""
    return f" (at line {last.tb_lineno} of {last.tb_frame.f_code.co_filename.split('/')[-1]})"


def as_array(case: str, received, what: str = "the result") -> np.ndarray:
    """The learner's answer as a float64 array (a chainrule or PyTorch tensor is accepted)."""
    if hasattr(received, "detach"):
        received = received.detach()
    if hasattr(received, "numpy") and not isinstance(received, np.ndarray):
        received = received.numpy()
    if received is None:
        raise Failure(case, f"{what} is None: did you forget `return`?",
                      hint="a Python function without a return statement returns None")
    try:
        return np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failure(case, f"{what} is not an array of numbers: {show(received)}",
                      hint="return a NumPy array (or a number)") from None


def compare(case: str, expected, received, *, hint: str, what: str = "the result",
            rtol: float = 1e-6, atol: float = 1e-9, transposable: bool = True,
            mistakes=()) -> None:
    """Raise a Failure unless ``received`` equals ``expected`` (shape and values, within a
    tolerance). Common slips are named: a transpose, a sign, a factor of two, and each of
    ``mistakes``, pairs (the value a known wrong formula gives, what to say when it is that)."""
    e = np.asarray(expected, dtype=np.float64)
    r = as_array(case, received, what)
    if r.shape != e.shape:
        extra = ""
        if transposable and r.ndim == 2 and r.shape == e.shape[::-1]:
            extra = " — the shape of its transpose"
        elif r.size == e.size:
            extra = " — the same numbers of entries, arranged differently"
        raise Failure(case, f"{what} has shape {r.shape}, expected shape {e.shape}{extra}",
                      expected=show(e), received=show(r), hint=hint)
    if not np.all(np.isfinite(r)) and np.all(np.isfinite(e)):
        raise Failure(case, f"{what} contains inf or nan where the answer is finite",
                      expected=show(e), received=show(r),
                      hint=hint + "; large inputs overflow exp() (or underflow it to 0, whose "
                      "log is −inf): rewrite the formula so that it only ever exponentiates "
                      "numbers ≤ 0")
    if np.allclose(r, e, rtol=rtol, atol=atol):
        return
    slip = ""
    for value, saying in mistakes:
        value = np.asarray(value, dtype=np.float64)
        if value.shape == r.shape and np.allclose(r, value, rtol=rtol, atol=atol):
            slip = saying
            break
    slip = slip or _slip(e, r, rtol, atol, transposable)
    raise Failure(case, f"{what} differs from the expected value" + (f" ({slip})" if slip else ""),
                  expected=show(e), received=show(r), hint=hint)


def _slip(e, r, rtol, atol, transposable) -> str:
    def close(a):
        return a.shape == r.shape and np.allclose(r, a, rtol=rtol, atol=atol)
    if e.size < 2:               # one number matches too many slips by coincidence
        return ""
    if np.any(e != 0) and close(-e):
        return "it is the negative of the answer: a sign error"
    if transposable and e.ndim == 2 and e.shape[0] == e.shape[1] and close(e.T):
        return "it is the transpose of the answer"
    if np.any(e != 0) and close(2 * e):
        return "it is twice the answer"
    if np.any(e != 0) and close(e / 2):
        return "it is half the answer"
    return ""
