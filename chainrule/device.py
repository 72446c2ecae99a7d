"""Devices: where a tensor's memory lives (PyTorch's ``torch.device``).

chainrule computes on the CPU through NumPy. ``device("cpu")`` is accepted everywhere PyTorch
accepts a device, so programs written with ``.to(device)`` run unchanged; asking for a device this
machine does not have (``"cuda"``, ``"mps"``) raises an error that says so, instead of silently
computing somewhere else.
"""
from __future__ import annotations

_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta")


class device:
    """``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:0")`` — as ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string such as 'cpu' or 'cuda:0', got "
                            f"{type!r}")
        if ":" in type:
            type, _, text = type.partition(":")
            if not text.isdigit():
                raise RuntimeError(f"device(): invalid device string {type}:{text!r}; expected "
                                   "'type' or 'type:index', e.g. 'cuda:0'")
            if index is not None:
                raise RuntimeError("device(): give the index in the string or as an argument, "
                                   "not both")
            index = int(text)
        if type not in _KNOWN:
            raise RuntimeError(f"device(): unknown device type {type!r}; expected one of "
                               f"{', '.join(_KNOWN)}")
        self.type = type
        self.index = index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __enter__(self):
        check(self)
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def check(where, what: str = "to") -> device:
    """The device named by ``where`` if chainrule can compute there; else a clear error."""
    d = where if isinstance(where, device) else device(where)
    if d.type == "cpu":
        return d
    if d.type == "meta":
        raise RuntimeError(f"{what}: the 'meta' device (shapes without data) is not supported by "
                           "chainrule; use 'cpu'")
    raise RuntimeError(
        f"{what}: device '{d}' was asked for, but chainrule has no {d.type.upper()} backend on "
        "this machine (chainrule.cuda.is_available() is False); it computes on the CPU. Use "
        "device('cpu'), or write device = 'cuda' if chainrule.cuda.is_available() else 'cpu' "
        "as PyTorch programs do.")


def is_device_like(value) -> bool:
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        return value.partition(":")[0] in _KNOWN
    return False
