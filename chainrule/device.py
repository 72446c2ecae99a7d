"""Devices: where a tensor's memory lives (PyTorch's ``torch.device``).

chainrule computes on the CPU through NumPy. ``device("cpu")`` is accepted everywhere PyTorch
accepts a device, so programs written with ``.to(device)`` run unchanged; asking for a device this
machine does not have (``"cuda"``, ``"mps"``) raises an error that says so, instead of silently
computing somewhere else.

A non-CPU device type is served by a *device backend* (:class:`DeviceBackend`): the array library
whose arrays live there, and how to move arrays to it and back. ``"cuda"`` is served by CuPy when
it is installed and sees a GPU (``pip install 'chainrule[cuda12]'``); nothing imports CuPy
otherwise. Moving a tensor (``x.to("cuda")``, ``model.to("cuda")``, ``zeros(3, device="cuda")``)
converts its array; from then on every primitive computes with the array's own library (the
array API standard, ``backend.array_namespace``), and ``.cpu()`` brings it back as NumPy.
"""
from __future__ import annotations

import importlib.util

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


class DeviceBackend:
    """What a device type needs: its array library, and moving arrays to it and back."""

    type = ""

    def available(self) -> bool:
        return False

    def count(self) -> int:
        return 0

    def owns(self, array) -> bool:
        """Whether ``array`` is one of this backend's arrays."""
        return False

    def index_of(self, array) -> int:
        return 0

    def to_device(self, array, index: int):
        """``array`` (a NumPy array) on device ``index``."""
        raise NotImplementedError

    def to_host(self, array):
        """A NumPy copy of one of this backend's arrays."""
        raise NotImplementedError

    def synchronize(self, index=None) -> None:
        """Wait for the device's queued work."""

    def namespace(self, array):
        """The array API namespace chainrule computes with on this backend's arrays (by default
        the one the array names: ``array.__array_namespace__()``)."""
        return array.__array_namespace__()


class CuPyBackend(DeviceBackend):
    """``"cuda"`` through CuPy (imported only when asked for, and only if installed)."""

    type = "cuda"
    _cupy = None

    def _module(self):
        if self._cupy is None:
            if importlib.util.find_spec("cupy") is None:
                self._cupy = False
            else:
                try:
                    import cupy

                    self._cupy = cupy if cupy.cuda.runtime.getDeviceCount() > 0 else False
                except Exception:      # CuPy without a driver or a GPU: no CUDA here
                    self._cupy = False
        return self._cupy or None

    def available(self) -> bool:
        return self._module() is not None

    def count(self) -> int:
        cupy = self._module()
        return 0 if cupy is None else cupy.cuda.runtime.getDeviceCount()

    def owns(self, array) -> bool:
        return type(array).__module__.partition(".")[0] == "cupy"

    def index_of(self, array) -> int:
        return array.device.id

    def to_device(self, array, index: int):
        cupy = self._module()
        with cupy.cuda.Device(index):
            return cupy.asarray(array)

    def to_host(self, array):
        return array.get()

    def synchronize(self, index=None) -> None:
        cupy = self._module()
        if cupy is not None:
            with cupy.cuda.Device(index or 0):
                cupy.cuda.runtime.deviceSynchronize()

    def namespace(self, array):
        """CuPy's functions with the standard's signatures: array-api-compat's wrapper (in the
        ``cuda12`` extra), since CuPy's own ``asarray``, ``ones``, … take no ``device=``. Without
        the wrapper, CuPy's namespace itself."""
        try:
            import array_api_compat.cupy as compat
        except ImportError:
            return self._module()
        return compat


_BACKENDS: dict[str, DeviceBackend] = {"cuda": CuPyBackend()}


def register_backend(kind: str, backend: DeviceBackend | None) -> DeviceBackend | None:
    """Serve device type ``kind`` with ``backend`` (None removes it); returns the previous one.
    For array libraries other than CuPy, and for tests that stand another array library in for
    a GPU."""
    if kind not in _KNOWN or kind in ("cpu", "meta"):
        served = ", ".join(k for k in _KNOWN if k not in ("cpu", "meta"))
        raise ValueError(f"register_backend: {kind!r} is not a device type a backend can serve; "
                         f"expected one of {served}")
    previous = _BACKENDS.get(kind)
    if backend is None:
        _BACKENDS.pop(kind, None)
    else:
        _BACKENDS[kind] = backend
    from .backend import _NAMESPACES

    _NAMESPACES.clear()         # array types may now belong to another backend
    return previous


def backend_for(kind: str) -> DeviceBackend | None:
    """The backend serving device type ``kind`` on this machine, or None."""
    found = _BACKENDS.get(kind)
    return found if found is not None and found.available() else None


def namespace_of(array):
    """The namespace of the backend that owns ``array`` (None when no backend does)."""
    for backend in _BACKENDS.values():
        if backend.owns(array):
            return backend.namespace(array)
    return None


def of_array(array) -> device:
    """The device an array lives on: the CPU for NumPy arrays, else its backend's device."""
    for kind, backend in _BACKENDS.items():
        if backend.owns(array):
            return device(kind, backend.index_of(array))
    return CPU


def move(array, where: device):
    """``array`` on device ``where`` (the same array when it is there already)."""
    here = CPU if type(array).__module__ == "numpy" else of_array(array)
    if here.type == where.type and (where.index is None or here.index in (None, where.index)):
        return array
    if here.type != "cpu":
        array = _BACKENDS[here.type].to_host(array)
    if where.type == "cpu":
        return array
    return _BACKENDS[where.type].to_device(array, where.index or 0)


def check(where, what: str = "to") -> device:
    """The device named by ``where`` if chainrule can compute there; else a clear error."""
    d = where if isinstance(where, device) else device(where)
    if d.type == "cpu":
        return d
    found = backend_for(d.type)
    if found is not None:
        if d.index is not None and d.index >= found.count():
            raise RuntimeError(f"{what}: device '{d}' was asked for, but this machine has "
                               f"{found.count()} {d.type.upper()} device(s), numbered from 0")
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
