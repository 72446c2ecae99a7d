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

**Limits.** A few hundred bytes of pickle can describe a value that is ruinous to *use*: a tuple
nested 3·10⁵ deep (hashing it as a dict key recurses in C and kills the process), a list that
contains itself, or a memo blow-up — ``L1 = [L0, L0]``, ``L2 = [L1, L1]``, … is 2ⁿ values to
anything that walks it (``repr``, ``json``, ``numpy.asarray``) from 2n memo references. So
:func:`run` enforces, each overridable per call by the keyword of the same name in lower case:

=================  =============  ===========================================================
``MAX_DEPTH``      200            nesting of tuples, lists, dicts, sets and object arrays in
                                  the finished value (a leaf is depth 0, ``[1]`` depth 1);
                                  real files need < 10 (a CIFAR batch 2, imdb.npz 2, a
                                  ``state_dict`` 3)
``MAX_OBJECTS``    20 000 000     values pushed while interpreting, *and* the values of the
                                  finished value counted as a tree (a part reached through k
                                  references counts k times: what a consumer walking it sees);
                                  imdb.npz's x_train holds ~6·10⁶, a CIFAR batch ~2·10⁴
``MAX_MEMO_REFS``  1 000 000      ``GET``/``DUP`` of a container (list, tuple, dict, set,
                                  object array) made earlier; real files use none (CIFAR
                                  batches, imdb.npz, ``torch.save`` state dicts with
                                  optimizer state): plain data is a tree
=================  =============  ===========================================================

Depth is checked as each container is made (so a 3·10⁵-deep tuple is refused at level 201, before
anything hashes it) and exactly at ``STOP`` by one iterative pass over the result's graph —
O(nodes + edges), each shared part measured once — which also sees depth built by mutation after
nesting (``APPEND``/``SETITEM`` into a memoized list already inside another) and refuses a
reference cycle (plain data has none). No check recurses.

**Errors.** Every refusal is a :class:`PickleFormatError` — a ``ValueError`` *and* a
``pickle.UnpicklingError`` (as PyTorch's ``weights_only`` refusals) — whose message starts with
the ``name`` given to :func:`run` (the file): :class:`UnsafePickleError` for what the policy does
not allow, :class:`PickleLimitError` for a limit (its ``limit`` and ``value`` attributes name it),
:class:`PickleFormatError` itself for a malformed or truncated pickle.

Users: :mod:`chainrule.data.datasets.safe_pickle` (CIFAR's pickled batches: plain data and NumPy
arrays; Keras's imdb.npz object arrays) and :mod:`chainrule.serialization.torch_format`
(``torch.save`` files: tensors, storages, ``OrderedDict``).
"""
from __future__ import annotations

import pickle
import pickletools
import reprlib

from ..backend import xp

MAX_DEPTH = 200
MAX_OBJECTS = 20_000_000
MAX_MEMO_REFS = 1_000_000


class PickleFormatError(pickle.UnpicklingError, ValueError):
    """A pickle chainrule will not read: malformed, truncated, over a limit or unsafe. Its message
    starts with the file's name. A ``ValueError`` and a ``pickle.UnpicklingError``."""


class PickleLimitError(PickleFormatError):
    """The pickle describes a value beyond one of :func:`run`'s limits: ``limit`` is the keyword
    that raises it (``"max_depth"``, ``"max_objects"``, ``"max_memo_refs"``), ``value`` the limit
    in force."""

    def __init__(self, message: str, limit: str, value: int):
        super().__init__(message)
        self.limit, self.value = limit, value


class UnsafePickleError(PickleFormatError):
    """The pickle asks for something beyond what the reader allows; nothing it names was run."""


class _Brief(reprlib.Repr):
    def repr_int(self, x, level):          # repr of a 10⁵-digit int raises ValueError
        return repr(x) if x.bit_length() <= 128 else f"<int of {x.bit_length()} bits>"

    def repr_instance(self, x, level):     # never the full repr of a container subclass
        if isinstance(x, dict):
            return self.repr_dict(x, level)
        if isinstance(x, tuple):
            return self.repr_tuple(x, level)
        if isinstance(x, list):
            return self.repr_list(x, level)
        if isinstance(x, xp.ndarray):
            return f"<{x.dtype} array of shape {x.shape}>"
        if isinstance(x, (Global, bool, float, complex, type(None), xp.generic)):
            return reprlib.Repr.repr_instance(self, x, level)     # short by nature
        return f"<{type(x).__name__}>"


_brief = _Brief()
_brief.maxlevel, _brief.maxstring, _brief.maxother, _brief.maxlong = 3, 40, 40, 40


def brief(value) -> str:
    """A short ``repr`` of a value built from a pickle, for error messages: bounded in length and
    in work (plain ``repr`` of a memo blow-up is exponential, of a deep value a RecursionError)."""
    return _brief.repr(value)


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
_CONTAINERS = (list, tuple, dict, set, frozenset)


def _is_container(value) -> bool:
    return isinstance(value, _CONTAINERS) or (isinstance(value, xp.ndarray)
                                              and value.dtype.hasobject)


def _children(value):
    """The values directly inside ``value`` (keys and values of a dict, the elements of an object
    array, an ``OrderedDict``'s attributes), or None for a leaf."""
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, dict):
        kids = [*value.keys(), *value.values()]
        attrs = getattr(value, "__dict__", None) if type(value) is not dict else None
        return kids + [*attrs.keys(), *attrs.values()] if attrs else kids
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, xp.ndarray) and value.dtype.hasobject:
        return value.ravel().tolist() if value.dtype == object else []
    return None


_LEAF_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes, bytearray, Global})


def _measure(root, max_depth: int, max_objects: int, name: str) -> None:
    """Refuse ``root`` if it nests deeper than ``max_depth``, holds more than ``max_objects``
    values counted as a tree (shared parts once per reference), or contains a cycle.

    One iterative post-order walk of the object graph; each container's (depth, tree size) is
    memoised by id (the graph is alive and unchanged throughout), so a shared part is measured
    once and the walk is O(nodes + edges) however large the tree it unfolds to.
    """
    kids = _children(root)
    if kids is None:
        return
    done: dict[int, tuple[int, int]] = {}       # id → (depth, tree size)
    on_path = {id(root)}
    frames = [[root, kids, 0, 0, 1]]            # value, children, next child, deepest child, size
    while frames:
        frame = frames[-1]
        node, kids, i = frame[0], frame[1], frame[2]
        if i == 0 and len(kids) > 16 and _LEAF_TYPES.issuperset(map(type, kids)):
            frame[2] = i = len(kids)                # leaves only (a list of ints): one C pass
            frame[4] += len(kids)
        if i < len(kids):
            frame[2] = i + 1
            child = kids[i]
            if type(child) in _LEAF_TYPES:
                frame[4] += 1
                continue
            grandkids = _children(child)
            if grandkids is None:
                frame[4] += 1
                continue
            key = id(child)
            if key in done:
                depth, size = done[key]
                frame[3] = max(frame[3], depth)
                frame[4] += size
            elif key in on_path:
                raise PickleFormatError(
                    f"{name}: the value contains itself (a {type(child).__name__} reached again "
                    f"through the memo inside its own contents): a reference cycle, which plain "
                    f"data never has; refused")
            else:
                if len(frames) >= max_depth:
                    raise _too_deep(name, max_depth, f"at least {len(frames) + 1}")
                on_path.add(key)
                frames.append([child, grandkids, 0, 0, 1])
                continue
        else:
            frames.pop()
            on_path.discard(id(node))
            depth, size = frame[3] + 1, frame[4]
            if depth > max_depth:
                raise _too_deep(name, max_depth, str(depth))
            done[id(node)] = (depth, size)
            if frames:
                frame = frames[-1]
                frame[3] = max(frame[3], depth)
                frame[4] += size
        if frame[4] > max_objects:
            raise PickleLimitError(
                f"{name}: the value holds more than max_objects={max_objects:,} values when each "
                f"shared part is counted once per reference to it, as anything that walks it "
                f"(repr, json, numpy.asarray) does: a memo blow-up; refused", "max_objects",
                max_objects)


def _too_deep(name: str, max_depth: int, depth: str) -> PickleLimitError:
    return PickleLimitError(
        f"{name}: the value nests containers {depth} levels deep, over the limit "
        f"max_depth={max_depth} (plain data needs a few; deep nesting crashes code that walks "
        f"or hashes it); refused", "max_depth", max_depth)


def _target(stack, kind, where: str):
    if not stack or not isinstance(stack[-1], kind):
        raise PickleFormatError(f"{where}: expected a {kind.__name__} on the stack")
    return stack[-1]


def _resolve(policy: Policy, module, name, where: str):
    if not isinstance(module, str) or not isinstance(name, str):
        raise UnsafePickleError(f"{where}: a global must be named by two strings")
    if module == "__builtin__":
        module = "builtins"
    return policy.resolve(module, name, where)


def run(data: bytes, policy: Policy, name: str = "<pickle>", *, max_depth: int | None = None,
        max_objects: int | None = None, max_memo_refs: int | None = None):
    """Interpret the pickle ``data`` under ``policy``; return the value it describes.

    ``name`` (a file name) starts every error message. ``max_depth``, ``max_objects`` and
    ``max_memo_refs`` override the module's :data:`MAX_DEPTH`, :data:`MAX_OBJECTS` and
    :data:`MAX_MEMO_REFS` for this call (see the module docstring). Raises
    :class:`UnsafePickleError` for anything the policy refuses, :class:`PickleLimitError` for a
    limit, and :class:`PickleFormatError` for a malformed or truncated pickle; all three are
    ValueErrors and ``pickle.UnpicklingError``s.
    """
    max_depth = MAX_DEPTH if max_depth is None else max_depth
    max_objects = MAX_OBJECTS if max_objects is None else max_objects
    max_memo_refs = MAX_MEMO_REFS if max_memo_refs is None else max_memo_refs
    stack: list = []
    depths: list[int] = []    # beside stack: the depth of each value when it was pushed or last
    #                           grown — exact for tuples (what hashing walks), a lower bound for a
    #                           list or dict grown after it was nested (STOP measures exactly)
    marks: list[int] = []
    memo: dict = {}
    memo_depth: dict = {}
    keys_of: dict = {}        # id(object) → the memo keys it was stored under (BUILD's lookup)
    finish = policy.finish
    stack_append, depths_append = stack.append, depths.append
    pushed = refs = 0
    where = name

    def too_many() -> PickleLimitError:
        return PickleLimitError(f"{where}: the pickle makes more than max_objects="
                                f"{max_objects:,} values; refused", "max_objects", max_objects)

    def push(value, depth: int) -> None:
        nonlocal pushed
        pushed += 1
        if pushed > max_objects:
            raise too_many()
        if depth > max_depth:
            raise _too_deep(where, max_depth, str(depth))
        stack.append(value)
        depths.append(depth)

    def pop():
        depths.pop()
        return stack.pop()

    def pop_mark() -> tuple[list, int]:
        """The items above the last mark, and the deepest of them."""
        if not marks:
            raise PickleFormatError(f"{where}: MARK expected on the stack")
        start = marks.pop()
        items = stack[start:]
        deepest = max(depths[start:], default=0)
        del stack[start:], depths[start:]
        return items, deepest

    def grow(depth: int) -> None:
        """The container on top of the stack received items of depth ``depth``."""
        if depth + 1 > depths[-1]:
            if depth + 1 > max_depth:
                raise _too_deep(where, max_depth, str(depth + 1))
            depths[-1] = depth + 1

    def shared(value) -> None:
        nonlocal refs
        if _is_container(value):
            refs += 1
            if refs > max_memo_refs:
                raise PickleLimitError(
                    f"{where}: the pickle refers to containers it already made more than "
                    f"max_memo_refs={max_memo_refs:,} times (GET/DUP); refused", "max_memo_refs",
                    max_memo_refs)

    try:
        for op, arg, pos in pickletools.genops(data):
            code = op.name
            where = f"{name} (byte {pos}, {code})"
            if code in ("PROTO", "FRAME"):
                continue
            if code == "STOP":
                if len(stack) != 1 or marks:
                    raise PickleFormatError(f"{where}: malformed pickle (stack at STOP)")
                value = finish(stack[0], where)
                _measure(value, max_depth, max_objects, name)
                return value
            if code in _CONSTANTS:
                push(_CONSTANTS[code], 0)
            elif code in _VALUE_OPS:          # the most frequent case: push() inlined
                pushed += 1
                if pushed > max_objects:
                    raise too_many()
                stack_append(arg)
                depths_append(0)
            elif code in _PY2_STRING_OPS:
                push(arg.encode("latin-1"), 0)
            elif code == "BYTEARRAY8":
                push(bytearray(arg), 0)
            elif code == "MARK":
                marks.append(len(stack))
            elif code == "EMPTY_DICT":
                push({}, 1)
            elif code == "EMPTY_LIST":
                push([], 1)
            elif code == "EMPTY_TUPLE":
                push((), 1)
            elif code in ("TUPLE1", "TUPLE2", "TUPLE3"):
                k = int(code[-1])
                if len(stack) - (marks[-1] if marks else 0) < k:
                    raise PickleFormatError(f"{where}: stack underflow")
                items, deepest = tuple(stack[-k:]), max(depths[-k:])
                del stack[-k:], depths[-k:]
                push(items, deepest + 1)
            elif code == "TUPLE":
                items, deepest = pop_mark()
                push(tuple(items), deepest + 1)
            elif code == "LIST":
                items, deepest = pop_mark()
                push(items, deepest + 1)
            elif code == "DICT":
                items, deepest = pop_mark()
                push({finish(k, where): finish(v, where)
                      for k, v in zip(items[::2], items[1::2])}, deepest + 1)
            elif code == "APPEND":
                depth = depths[-1] if depths else 0
                value = pop()
                _target(stack, list, where).append(finish(value, where))
                grow(depth)
            elif code == "APPENDS":
                items, deepest = pop_mark()
                _target(stack, list, where).extend(finish(v, where) for v in items)
                grow(deepest)
            elif code == "SETITEM":
                deepest = max(depths[-2:], default=0)
                value, key = pop(), pop()
                _target(stack, dict, where)[finish(key, where)] = finish(value, where)
                grow(deepest)
            elif code == "SETITEMS":
                items, deepest = pop_mark()
                target = _target(stack, dict, where)
                for key, value in zip(items[::2], items[1::2]):
                    target[finish(key, where)] = finish(value, where)
                grow(deepest)
            elif code in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                key = len(memo) if code == "MEMOIZE" else arg
                memo[key], memo_depth[key] = stack[-1], depths[-1]
                keys_of.setdefault(id(stack[-1]), []).append(key)
            elif code in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise PickleFormatError(f"{where}: memo key {arg} was never stored")
                shared(memo[arg])
                push(memo[arg], memo_depth[arg])
            elif code == "GLOBAL":
                module, _, attr = arg.partition(" ")
                push(_resolve(policy, module, attr, where), 0)
            elif code == "STACK_GLOBAL":
                attr, module = pop(), pop()
                push(_resolve(policy, module, attr, where), 0)
            elif code == "REDUCE":
                args, func = pop(), pop()
                if not isinstance(func, Global) or not isinstance(args, tuple):
                    raise UnsafePickleError(f"{where}: REDUCE on {type(func).__name__}, which is "
                                            f"not an allowed global")
                result = policy.reduce(func, args, where)
                push(result, int(_is_container(result)))
            elif code == "BUILD":
                depth = depths[-2] if len(depths) > 1 else 0
                state, obj = pop(), pop()
                built = policy.build(obj, state, where)
                push(built, depth if built is obj else int(_is_container(built)))
                if built is not obj:     # later GETs of the stub must see the built value
                    for key in keys_of.pop(id(obj), ()):
                        if memo.get(key) is obj:      # (not stored over since)
                            memo[key], memo_depth[key] = built, depths[-1]
                            keys_of.setdefault(id(built), []).append(key)
            elif code in ("PERSID", "BINPERSID"):
                pid = arg if code == "PERSID" else pop()
                result = policy.persistent_load(pid, where)
                push(result, int(_is_container(result)))
            elif code == "POP":
                pop()
            elif code == "POP_MARK":
                pop_mark()
            elif code == "DUP":
                shared(stack[-1])
                push(stack[-1], depths[-1])
            else:
                raise UnsafePickleError(f"{where}: opcode {code} is not read (it builds objects "
                                        f"this reader does not allow); nothing was executed")
    except pickle.UnpicklingError:
        raise
    except RecursionError:           # a policy's own code walking a value: refused, not a crash
        raise PickleLimitError(f"{where}: the value nests too deeply to be read; refused",
                               "max_depth", max_depth) from None
    except (ValueError, IndexError, TypeError, KeyError, OverflowError) as e:
        if type(e) not in _MALFORMED and not isinstance(e, UnicodeError):
            raise                         # a policy's own error (a subclass): it says more
        raise PickleFormatError(f"{name}: malformed or truncated pickle ({e})") from None
    raise PickleFormatError(f"{name}: the pickle ends without STOP (truncated)")
