"""The conformance suite: every case of every ``table_*.py`` run on PyTorch and chainrule.

Each case is its own test, ``<entry name>#<index>[-<label>]``.  A case whose inputs have shapes
drawn by Hypothesis (``floats(drawn=shapes(...))``) runs under ``@given`` with the suite's profile
(tests/conftest.py); a fixed case runs once with seed 0.  A case with ``xfail="reason"`` is a
strict expected failure.

``test_every_public_name_has_an_entry`` enumerates the public names chainrule shares with
PyTorch (:func:`shared_names`: top-level functions, Tensor methods, properties and operator dunders,
nn.functional, nn modules, nn.init, nn.utils(.rnn), optim, lr_scheduler, linalg/special/fft,
autograd) and fails, listing them by namespace, for each name that has no
Entry in any table.
"""
from __future__ import annotations

import importlib
import inspect
import sys
import types
from pathlib import Path

import pytest
import torch
from harness import run_case
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


# ------------------------------------------------------------------------------ the tables
def _load_tables() -> tuple[list, dict]:
    """``([(table, entry), ...], {table: import error})`` for every table_*.py beside this file."""
    entries, broken = [], {}
    for path in sorted(HERE.glob("table_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except Exception as exc:  # noqa: BLE001  (reported as a failing test below)
            broken[path.stem] = exc
            continue
        for entry in getattr(module, "ENTRIES", None) or []:
            entries.append((path.stem, entry))
        if not getattr(module, "ENTRIES", None):
            broken[path.stem] = AttributeError(f"{path.name} defines no ENTRIES")
    return entries, broken


ENTRIES, BROKEN = _load_tables()


def _params() -> list:
    params = []
    for table, entry in ENTRIES:
        for i, c in enumerate(entry.cases):
            label = getattr(c, "label", "")
            ident = f"{entry.name}#{i}" + (f"-{label}" if label else "")
            marks = []
            if getattr(c, "xfail", ""):
                marks.append(pytest.mark.xfail(strict=True, reason=c.xfail))
            params.append(pytest.param(c, table, id=ident, marks=marks))
    return params


@pytest.mark.parametrize("table", sorted(p.stem for p in HERE.glob("table_*.py")))
def test_tables_import(table):
    if table in BROKEN:
        raise AssertionError(f"tests/conformance/{table}.py cannot be loaded: "
                             f"{BROKEN[table]!r}") from BROKEN[table]
    assert any(t == table for t, _ in ENTRIES), f"{table}.py has no cases"


@pytest.mark.parametrize(("c", "table"), _params())
def test_case(c, table):
    if c.drawn:
        @given(st.data())
        def drawn(data):
            run_case(c, seed=0, draw=data.draw)

        drawn()
    else:
        run_case(c, seed=0)


# ------------------------------------------------------------------------------ coverage
# Names chainrule shares with PyTorch that have no Entry, each with the reason. Keep it short.
EXCEPTIONS: dict[str, str] = {
    "optim.Optimizer": "abstract base class: every optimizer entry runs its step/zero_grad/"
                       "state machinery",
    "optim.lr_scheduler.LRScheduler": "abstract base class: every scheduler entry runs it",
    "Tensor.pin_memory": "PyTorch without an accelerator raises; chainrule (CPU only) returns "
                         "the tensor: there is no common behaviour to compare",
}

# Operator dunders with a PyTorch meaning (repr/str formatting and Python machinery excluded).
OPERATOR_DUNDERS = (
    "__abs__ __add__ __and__ __bool__ __eq__ __float__ __format__ __ge__ __getitem__ __gt__ "
    "__iadd__ __iand__ __idiv__ __ifloordiv__ __ilshift__ __imod__ __imul__ __index__ __int__ "
    "__invert__ __ior__ __ipow__ __irshift__ __isub__ __iter__ __itruediv__ __ixor__ __le__ "
    "__len__ __lshift__ __lt__ __matmul__ __mod__ __mul__ __ne__ __neg__ __or__ __pos__ __pow__ "
    "__radd__ __rand__ __rfloordiv__ __floordiv__ __rlshift__ __rmatmul__ __rmod__ __rmul__ "
    "__ror__ __rpow__ __rrshift__ __rshift__ __rsub__ __rtruediv__ __rxor__ __setitem__ __sub__ "
    "__truediv__ __xor__ __contains__ __reversed__ __complex__"
).split()


def _functions(module, torch_module, prefix: str, classes: bool = False) -> set[str]:
    """Public functions (or classes) of a chainrule namespace that ``torch_module`` also has."""
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    out = set()
    for name in names:
        obj = getattr(module, name, None)
        if obj is None or isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        if inspect.isclass(obj) != classes or not hasattr(torch_module, name):
            continue
        if isinstance(getattr(torch_module, name), (torch.dtype, types.ModuleType)):
            continue
        if not getattr(obj, "__module__", "chainrule").startswith("chainrule"):
            continue                    # something imported from elsewhere (typing, numpy, math)
        out.add(prefix + name)
    return out


def shared_names() -> set[str]:
    """Every public name chainrule exposes that PyTorch has too, as Entry names."""
    names = set()
    for name in cr.__all__:
        obj = getattr(cr, name, None)
        if obj is None or isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        if not hasattr(torch, name) or isinstance(getattr(torch, name), torch.dtype):
            continue
        names.add(name)
    for name in dir(cr.Tensor):
        if (not name.startswith("_") or name in OPERATOR_DUNDERS) and hasattr(torch.Tensor, name):
            names.add("Tensor." + name)
    names |= _functions(cr.nn.functional, torch.nn.functional, "nn.functional.")
    names |= _functions(cr.nn, torch.nn, "nn.", classes=True)
    names |= _functions(cr.optim, torch.optim, "optim.", classes=True)
    names |= _functions(cr.optim.lr_scheduler, torch.optim.lr_scheduler, "optim.lr_scheduler.",
                        classes=True)
    names |= _functions(cr.nn.init, torch.nn.init, "nn.init.")
    names |= _functions(cr.nn.utils, torch.nn.utils, "nn.utils.")
    if hasattr(cr.nn.utils, "rnn"):
        for classes in (False, True):
            names |= _functions(cr.nn.utils.rnn, torch.nn.utils.rnn, "nn.utils.rnn.", classes)
    for sub in ("linalg", "special", "fft"):
        if isinstance(getattr(cr, sub, None), types.ModuleType) and hasattr(torch, sub):
            names |= _functions(getattr(cr, sub), getattr(torch, sub), sub + ".")
    for name in getattr(cr.autograd, "__all__", []):
        if hasattr(torch.autograd, name) and not name.startswith("_"):
            names.add("autograd." + name)
    names |= _functions(cr.autograd.functional, torch.autograd.functional,
                        "autograd.functional.")
    return names


def _namespace(name: str) -> str:
    for prefix in ("optim.lr_scheduler.", "nn.functional.", "autograd.functional.", "Tensor.",
                   "nn.init.", "nn.utils.rnn.", "nn.utils.", "nn.", "optim.", "linalg.",
                   "special.", "fft.", "autograd."):
        if name.startswith(prefix):
            return prefix.rstrip(".")
    return "chainrule (top level)"


def test_every_public_name_has_an_entry():
    covered = {entry.name for _, entry in ENTRIES}
    missing = sorted(shared_names() - covered - set(EXCEPTIONS))
    if missing:
        groups: dict[str, list[str]] = {}
        for name in missing:
            groups.setdefault(_namespace(name), []).append(name)
        lines = [f"{len(missing)} public names shared with PyTorch have no conformance Entry "
                 "(add one to a tests/conformance/table_*.py, or an honest reason to EXCEPTIONS):"]
        for ns in sorted(groups):
            lines.append(f"  {ns} ({len(groups[ns])}): " + ", ".join(groups[ns]))
        raise AssertionError("\n".join(lines))


def test_exceptions_are_honest():
    """Every exception is a shared name, still uncovered, and carries a reason."""
    shared = shared_names()
    covered = {entry.name for _, entry in ENTRIES}
    for name, reason in EXCEPTIONS.items():
        assert reason.strip(), f"EXCEPTIONS[{name!r}] has no reason"
        assert name in shared, f"EXCEPTIONS[{name!r}]: not a name chainrule shares with PyTorch"
        assert name not in covered, f"EXCEPTIONS[{name!r}]: has an Entry now; remove the exception"


def _resolve_in_torch(name: str):
    obj = torch
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("name", sorted({entry.name for _, entry in ENTRIES}))
def test_entry_names_are_pytorch_names(name):
    try:
        _resolve_in_torch(name)
    except AttributeError:
        raise AssertionError(f"Entry {name!r} names nothing in PyTorch (spell it as 'gather', "
                             "'Tensor.gather', 'nn.functional.pad', 'nn.PReLU', "
                             "'optim.Rprop')") from None
