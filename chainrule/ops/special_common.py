"""What the torch.special modules (special_ndtr.py, special_bessel.py, special_bessel_j.py,
special_igamma.py, special_misc.py) share: the host round trip for other array libraries, float64
working copies, and a one-row definition of a differentiable function of one variable.

Each special function is computed by a NumPy function on float64 arrays (a loop over the terms
of a series or a continued fraction, never over elements) and rounded to the input's floating
dtype. The array API standard has no special functions, so an array of another library (CuPy,
array_api_strict) makes an explicit round trip through the host: ``to_numpy`` → the NumPy
function → back into the library and onto the device of the first array (``on_host``). Unlike
``backend.special_function`` this never calls a library's own function of the same name: scipy's
spellings differ from PyTorch's at the edges (scipy's i0(∞) is ∞, PyTorch's NaN), and these
functions follow PyTorch.
"""
from __future__ import annotations

import sys

from ..autograd.function import Function, primitive
from ..backend import (
    asarray_like,
    errstate,
    is_foreign_array,
    namespace,
    numpy_dtype,
    to_numpy,
    xp,
)
from ..tensor import Tensor
from .complex_checks import refuse_complex
from .promotion import promote


def on_host(host, *arrays, **params):
    """``host(*arrays, **params)``, a NumPy function of NumPy arrays, for arrays of any library:
    NumPy arrays go straight through; other libraries' arrays are copied to the host and the
    result (or each result of a tuple) is copied back into the library of the first of them."""
    like = next((a for a in arrays if is_foreign_array(a)), None)
    if like is None:
        return host(*arrays, **params)
    out = host(*[to_numpy(a) if is_foreign_array(a) else a for a in arrays], **params)
    if isinstance(out, tuple):
        return tuple(asarray_like(xp.asarray(o), like) for o in out)
    return asarray_like(xp.asarray(out), like)


def float64(x):
    """(x as an array, a float64 copy of it); a complex x is refused (these functions are
    real, as PyTorch's: the error names the calling host function)."""
    x = xp.asarray(x)
    if x.dtype.kind == "c":
        refuse_complex(sys._getframe(1).f_code.co_name.strip("_").removesuffix("_array"), x)
    return x, x.astype(xp.float64)


def rounded(out, *like):
    """The float64 result ``out`` in the floating dtype of the inputs ``like`` (the first
    floating one; float64 where none is floating: the inputs were already promoted)."""
    for a in like:
        dtype = getattr(a, "dtype", None)
        if dtype is not None and dtype.kind == "f":
            with xp.errstate(over="ignore"):                 # (beyond float32's range: ±inf)
                return out.astype(dtype, copy=False)
    return out


def of(cls, host, x, **params):
    """The function ``cls`` computes, of a Tensor (its primitive: differentiable, so a derivative
    rule that uses it is itself differentiable) or of an array (the NumPy host function)."""
    if isinstance(x, Tensor):
        return cls.apply(x, **params)
    return on_host(host, x, **params)


def define_unary(cls_name: str, name: str, host, derivative, text, latex, explanation: str,
                 numerics: str, vjp_text: str, domain: str = "real", module: str = __name__):
    """Register the primitive ``name``: y = host(x) (NumPy, float64 inside), with
    ∂L/∂x = derivative(g, x, y, ns) written with ``ns = namespace(g)``, so that it also runs on
    Tensors (a differentiable backward) and on other array libraries."""
    doc = (f"{text[0]}\n\n    Forward:     {text[0]}\n    Derivative:  {text[1]}\n"
           f"    VJP:         {vjp_text}\n    Numerics:    {numerics}\n")

    def forward(ctx, x):
        y = on_host(host, x)
        ctx.save(x, y)
        return y

    def vjp(ctx, g):
        x, y = ctx.saved
        ns = namespace(g)
        with errstate(ns, over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return derivative(g, x, y, ns)

    cls = type(cls_name, (Function,), {
        "__doc__": doc, "__module__": module, "name": name, "text": text, "latex": latex,
        "explanation": explanation, "domain": domain, "reference": staticmethod(host),
        "forward": staticmethod(forward), "vjp": staticmethod(vjp), "array_api": True})
    return primitive(cls)


# ------------------------------------------------------------------ operands of binary functions
# PyTorch's names of the integer dtypes, as its "not implemented for 'Long'" messages spell them
TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool"}


def binary_operands(name: str, input, other, scalars: bool):  # noqa: A002
    """PyTorch's operand rules of the binary special functions: Tensors (a Python number on one
    side where ``scalars``), promoted to their common floating dtype."""
    for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor) and not (scalars and isinstance(value, (int, float))
                                                  and not isinstance(value, bool)):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, got two numbers")
    (a, b), _ = promote(input, other, floating=True)
    like = a if isinstance(a, Tensor) else b

    def as_tensor(v):
        if isinstance(v, Tensor):
            return v
        array = xp.asarray(v, dtype=numpy_dtype(like._data.dtype))
        return Tensor._from_op(asarray_like(array, like._data), None)

    return as_tensor(a), as_tensor(b)
