"""A pickle interpreter that executes nothing: the one shared by every safe reader in chainrule.

Python's ``pickle.load`` imports and calls whatever the file names (``os.system`` included), so a
pickle is a program. This module interprets the opcodes itself (decoded by :mod:`pickletools`,
which never executes anything) on an explicit stack — no recursion, so deeply nested data cannot
raise ``RecursionError`` — and builds by itself only

- None, booleans, ints, floats, str, bytes, tuples, lists and dicts (the opcodes that make them);
- the memo (``PUT``/``GET``/``MEMOIZE``), marks, ``POP``, ``DUP``.

Everything else is decided by a :class:`Policy`: which globals a file may *name* (``GLOBAL``,
``STACK_GLOBAL`` → :meth:`Policy.resolve`, which returns an inert marker or a plain value, never
the real object), what ``REDUCE`` (a call) and ``BUILD`` (setting state) on those markers mean
(:meth:`Policy.reduce`, :meth:`Policy.build`, which rebuild plain values themselves), and what a
persistent id refers to (:meth:`Policy.persistent_load`). The base policy allows nothing.
Opcodes outside this set (``INST``, ``OBJ``, ``NEWOBJ``, ``NEWOBJ_EX``, ``EXT1/2/4``, ...) raise
:class:`UnsafePickleError` before anything is built from them.

Users: :mod:`chainrule.data.datasets.safe_pickle` (CIFAR's pickled batches: plain data and NumPy
arrays) and :mod:`chainrule.serialization.torch_format` (``torch.save`` files: tensors, storages,
``OrderedDict``).
"""
from __future__ import annotations

import pickle
import pickletools


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asks for something beyond what the reader allows; nothing it names was run."""


class Global:
    """A name the pickle refers to (never imported, never called)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    @property
    def key(self):
        return self.module, self.name

    def __repr__(self) -> str:
        return f"<global {self.module}.{self.name} (not imported)>"


class Policy:
    """What a reader allows beyond plain containers; the base class allows nothing.

    ``allowed`` holds ``(module, name)`` pairs (``__builtin__`` is read as ``builtins``, as
    Python 3 does for protocol ≤ 2 pickles); ``purpose`` completes the refusal message
    "... which <purpose> never needs".
    """

    allowed: frozenset = frozenset()
    purpose = "plain data"

    def resolve(self, module: str, name: str, where: str):
        if (module, name) not in self.allowed:
            raise UnsafePickleError(f"{where}: refusing the global {module}.{name}: the file asks "
                                    f"to run or build {module}.{name}, which {self.purpose} never "
                                    f"needs; nothing was executed")
        return Global(module, name)

    def reduce(self, func, args, where: str):
        name = f"{func.module}.{func.name}" if isinstance(func, Global) else type(func).__name__
        raise UnsafePickleError(f"{where}: calling {name} is not allowed")

    def build(self, obj, state, where: str):
        raise UnsafePickleError(f"{where}: BUILD (setting an object's state) on "
                                f"{type(obj).__name__} is not allowed")

    def persistent_load(self, pid, where: str):
        raise UnsafePickleError(f"{where}: persistent ids (references to data outside the "
                                f"pickle) are not read here")

    def finish(self, value, where: str):
        """Reject inert markers where a finished value is needed (dict keys/values, list items,
        the result)."""
        if isinstance(value, Global):
            raise UnsafePickleError(f"{where}: the pickle leaves the name {value.module}."
                                    f"{value.name} as a value, which is not plain data")
        return value


_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_VALUE_OPS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
              "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "SHORT_BINBYTES",
              "BINBYTES", "BINBYTES8"}
_PY2_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING"}
_MALFORMED = (ValueError, IndexError, TypeError, KeyError, OverflowError)


def _target(stack, kind, where: str):
    if not stack or not isinstance(stack[-1], kind):
        raise pickle.UnpicklingError(f"{where}: expected a {kind.__name__} on the stack")
    return stack[-1]


def _resolve(policy: Policy, module, name, where: str):
    if not isinstance(module, str) or not isinstance(name, str):
        raise UnsafePickleError(f"{where}: a global must be named by two strings")
    if module == "__builtin__":
        module = "builtins"
    return policy.resolve(module, name, where)


def run(data: bytes, policy: Policy, name: str = "<pickle>"):
    """Interpret the pickle ``data`` under ``policy``; return the value it describes.

    ``name`` (a file name) starts every error message. Raises :class:`UnsafePickleError` for
    anything the policy refuses and :class:`pickle.UnpicklingError` for a malformed or truncated
    pickle.
    """
    stack: list = []
    marks: list[int] = []
    memo: dict = {}
    keys_of: dict = {}        # id(object) → the memo keys it was stored under (BUILD's lookup)
    finish = policy.finish

    def pop_mark() -> list:
        if not marks:
            raise pickle.UnpicklingError(f"{name}: MARK expected on the stack")
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    try:
        for op, arg, pos in pickletools.genops(data):
            code = op.name
            where = f"{name} (byte {pos}, {code})"
            if code in ("PROTO", "FRAME"):
                continue
            if code == "STOP":
                if len(stack) != 1 or marks:
                    raise pickle.UnpicklingError(f"{where}: malformed pickle (stack at STOP)")
                return finish(stack[0], where)
            if code in _CONSTANTS:
                stack.append(_CONSTANTS[code])
            elif code in _VALUE_OPS:
                stack.append(arg)
            elif code in _PY2_STRING_OPS:
                stack.append(arg.encode("latin-1"))
            elif code == "BYTEARRAY8":
                stack.append(bytearray(arg))
            elif code == "MARK":
                marks.append(len(stack))
            elif code == "EMPTY_DICT":
                stack.append({})
            elif code == "EMPTY_LIST":
                stack.append([])
            elif code == "EMPTY_TUPLE":
                stack.append(())
            elif code in ("TUPLE1", "TUPLE2", "TUPLE3"):
                k = int(code[-1])
                if len(stack) - (marks[-1] if marks else 0) < k:
                    raise pickle.UnpicklingError(f"{where}: stack underflow")
                items = tuple(stack[-k:])
                del stack[-k:]
                stack.append(items)
            elif code == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif code == "LIST":
                stack.append(pop_mark())
            elif code == "DICT":
                items = pop_mark()
                stack.append({finish(k, where): finish(v, where)
                              for k, v in zip(items[::2], items[1::2])})
            elif code == "APPEND":
                value = stack.pop()
                _target(stack, list, where).append(finish(value, where))
            elif code == "APPENDS":
                items = pop_mark()
                _target(stack, list, where).extend(finish(v, where) for v in items)
            elif code == "SETITEM":
                value, key = stack.pop(), stack.pop()
                _target(stack, dict, where)[finish(key, where)] = finish(value, where)
            elif code == "SETITEMS":
                items = pop_mark()
                target = _target(stack, dict, where)
                for key, value in zip(items[::2], items[1::2]):
                    target[finish(key, where)] = finish(value, where)
            elif code in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                key = len(memo) if code == "MEMOIZE" else arg
                memo[key] = stack[-1]
                keys_of.setdefault(id(stack[-1]), []).append(key)
            elif code in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise pickle.UnpicklingError(f"{where}: memo key {arg} was never stored")
                stack.append(memo[arg])
            elif code == "GLOBAL":
                module, _, attr = arg.partition(" ")
                stack.append(_resolve(policy, module, attr, where))
            elif code == "STACK_GLOBAL":
                attr, module = stack.pop(), stack.pop()
                stack.append(_resolve(policy, module, attr, where))
            elif code == "REDUCE":
                args, func = stack.pop(), stack.pop()
                if not isinstance(func, Global) or not isinstance(args, tuple):
                    raise UnsafePickleError(f"{where}: REDUCE on {type(func).__name__}, which is "
                                            f"not an allowed global")
                stack.append(policy.reduce(func, args, where))
            elif code == "BUILD":
                state, obj = stack.pop(), stack.pop()
                built = policy.build(obj, state, where)
                stack.append(built)
                if built is not obj:     # later GETs of the stub must see the built value
                    for key in keys_of.pop(id(obj), ()):
                        if memo.get(key) is obj:      # (not stored over since)
                            memo[key] = built
                            keys_of.setdefault(id(built), []).append(key)
            elif code in ("PERSID", "BINPERSID"):
                pid = arg if code == "PERSID" else stack.pop()
                stack.append(policy.persistent_load(pid, where))
            elif code == "POP":
                stack.pop()
            elif code == "POP_MARK":
                pop_mark()
            elif code == "DUP":
                stack.append(stack[-1])
            else:
                raise UnsafePickleError(f"{where}: opcode {code} is not read (it builds objects "
                                        f"this reader does not allow); nothing was executed")
    except pickle.UnpicklingError:
        raise
    except (ValueError, IndexError, TypeError, KeyError, OverflowError) as e:
        if type(e) not in _MALFORMED and not isinstance(e, UnicodeError):
            raise                         # a policy's own error (a subclass): it says more
        raise pickle.UnpicklingError(f"{name}: malformed or truncated pickle ({e})") from None
    raise pickle.UnpicklingError(f"{name}: the pickle ends without STOP (truncated)")
