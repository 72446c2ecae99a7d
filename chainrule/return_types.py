"""Named tuples returned by reductions that give values and where they were found
(``torch.return_types``): ``values, indices = x.max(dim=1)`` unpacks, ``[0]``/``[1]`` index, and
``.values``/``.indices`` name the parts, exactly as in PyTorch."""
from __future__ import annotations

from collections import namedtuple

_PAIRS = ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
          "cummin", "aminmax")


def _repr(self) -> str:
    """PyTorch's text: the type's full name, then each field on a line of its own."""
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"chainrule.return_types.{type(self).__name__}(\n{fields})"


def _make(name: str, fields: tuple[str, ...]):
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    cls.__qualname__ = name
    cls.__doc__ = f"torch.return_types.{name}: ({', '.join(fields)})"
    cls.__repr__ = _repr
    return cls


for _name in _PAIRS:
    globals()[_name] = _make(_name, ("min", "max") if _name == "aminmax" else ("values", "indices"))

slogdet = _make("slogdet", ("sign", "logabsdet"))
qr = _make("qr", ("Q", "R"))
svd = _make("svd", ("U", "S", "V"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = _make("linalg_eig", ("eigenvalues", "eigenvectors"))
histogram = _make("histogram", ("hist", "bin_edges"))
linalg_lu = _make("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = _make("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", ("LU", "pivots", "info"))
lu_unpack = _make("lu_unpack", ("P", "L", "U"))
_lu_with_info = _make("_lu_with_info", ("LU", "pivots", "info"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))

__all__ = [*_PAIRS, "slogdet", "qr", "svd", "linalg_svd", "linalg_eigh", "linalg_eig", "histogram",
           "triangular_solve", "linalg_lu", "linalg_lu_factor", "linalg_lu_factor_ex",
           "lu_unpack", "_lu_with_info"]

histogramdd = _make("histogramdd", ("hist", "bin_edges"))   # torch.histogramdd
__all__ += ["histogramdd"]

frexp = _make("frexp", ("mantissa", "exponent"))   # torch.frexp (ops/special_misc.py)
__all__ += ["frexp"]
