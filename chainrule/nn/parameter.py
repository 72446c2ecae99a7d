"""Parameter: a tensor that a Module learns (registered by attribute assignment)."""
from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a Module.

    ``nn.Parameter(data, requires_grad=True)``, as PyTorch. The array is shared, not copied.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = []
        if isinstance(data, Tensor):
            data = data._data
        # A tensor's (or array's) dtype is kept, as PyTorch: Parameter(float64 tensor) is float64;
        # only Python data takes the default dtype.
        super().__init__(data, dtype=getattr(data, "dtype", None), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__
