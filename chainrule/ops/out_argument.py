"""PyTorch's ``out=`` keyword on the top-level functions that take it: ``torch.add(a, b, out=c)``.

One wrapper gives a function PyTorch's ``out=`` semantics; :data:`NAMES` lists the functions that
get it, and the families at the end of this file say how each checks the dtype of ``out``
(PyTorch's kernels differ there: each family's rule and message was read off PyTorch 2.13 by
running it, and tests/test_out_argument.py compares every function with PyTorch). The wrapped
functions are bound at chainrule's top level only (``chainrule.add``): the operators and methods
(``a + b``, ``a.add(b)``) call the plain functions and pay nothing.

What ``fn(*args, out=t)`` does, as in PyTorch:

- the result is computed as without ``out`` (in its own dtype), then written into ``t``, cast to
  ``t``'s dtype when the rule allows it; ``t`` itself is returned (for ``max``/``min`` with a dim,
  ``sort`` and ``topk``: ``out=(values, indices)`` and the named tuple of those two tensors);
- a ``t`` of another shape is resized (a fresh block; a UserWarning when it had elements, silently
  when it was empty); a ``t`` of the right shape keeps its memory, so views of it and a view given
  as ``t`` see the values, and its version counter is bumped (an in-place write for autograd);
- ``t`` may be one of the inputs (``torch.add(a, b, out=a)``); PyTorch's overlap rules hold
  (:func:`_check_overlap`): an elementwise op refuses a ``t`` that partly overlaps an input,
  ``cat``/``stack`` any overlap, and an expanded ``t`` is refused;
- while gradients are recorded, ``out=`` refuses a differentiable result from an input that
  requires grad, and a ``t`` that requires grad: PyTorch's "functions with out=... arguments don't
  support automatic differentiation".
- creation functions (``zeros``, ``arange``, ``randn``, …) take ``t``'s dtype when no ``dtype=`` is
  given, refuse a different one, and resize without a warning (``arange`` warns as PyTorch does).

Differences: a resized ``t`` gets a new block of memory, so views made of it before no longer see
it (PyTorch grows the storage in place); a view given as ``t`` and resized stops being a view. A
``t`` that is also an input and must be resized (``torch.sum(a, 0, out=a)``) is refused, where
PyTorch resizes it before reading it and returns other values. Overlap is checked on NumPy
memory only (arrays of other libraries are written without the check).
"""
from __future__ import annotations

import functools
import sys
import warnings

from .. import backend
from ..autograd import is_grad_enabled
from ..autograd.versions import bump
from ..tensor import Tensor

_ATEN = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
         "complex64": "ComplexFloat", "complex128": "ComplexDouble", "int64": "Long",
         "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_C_TYPE = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
           "float64": "double", "complex64": "c10::complex<float>",
           "complex128": "c10::complex<double>", "int64": "long int", "int32": "int",
           "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}     # PyTorch's canCast: never down this ladder


def _name(dtype) -> str:
    """'float32', whichever array library the dtype is from."""
    return getattr(dtype, "name", None) or str(dtype).rsplit(".", 1)[-1]


def _aten(dtype) -> str:
    return _ATEN.get(_name(dtype), _name(dtype))


def _castable(src, dst) -> bool:
    return _RANK.get(backend.dtype_kind(src), 9) <= _RANK.get(backend.dtype_kind(dst), 9)


# ---- the dtype checks: (op, result dtype, out dtype) -> raise, or return ----------------------
def _check_cast(op, res, dst) -> None:
    """TensorIterator's rule (elementwise ops, comparisons, mean): any cast up the ladder
    bool → integer → floating → complex."""
    if not _castable(res, dst):
        raise RuntimeError(f"result type {_aten(res)} can't be cast to the desired output type "
                           f"{_aten(dst)}")


def _check_can_cast(op, res, dst) -> None:
    """Whole-tensor max/min: the same ladder, in PyTorch's internal-assert wording."""
    if not _castable(res, dst):
        raise RuntimeError("Expected canCast( typeMetaToScalarType(self.dtype()), "
                           "typeMetaToScalarType(out.dtype())) to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")


def _check_exact(op, res, dst) -> None:
    """Matrix products, sort/topk/max/min with a dim, argmax/argmin: the same dtype only."""
    if _name(res) != _name(dst):
        raise RuntimeError(f"Expected out tensor to have dtype {_C_TYPE.get(_name(res), res)}, "
                           f"but got {_C_TYPE.get(_name(dst), dst)} instead")


def _check_found(op, res, dst) -> None:
    """abs, neg, clamp: the same dtype only (PyTorch's wording for these kernels)."""
    if _name(res) != _name(dst):
        raise RuntimeError(f"Found dtype {_aten(dst)} but expected {_aten(res)}")


def _check_where(op, res, dst) -> None:
    if _name(res) != _name(dst):
        raise RuntimeError(f"Expected out type to be {_aten(res)} but got {_aten(dst)}")


def _check_cat(op, res, dst) -> None:
    """cat and stack: a cast up the ladder, refused with a TypeError."""
    if not _castable(res, dst):
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                        f"{_aten(dst)}")


def _same(message: str):
    """A check for kernels that want ``out`` in the result's dtype, with the kernel's message
    (``{res}``/``{out}``: the dtypes' PyTorch names)."""
    def check(op, res, dst) -> None:
        if _name(res) != _name(dst):
            raise RuntimeError(message.format(res=_aten(res), out=_aten(dst)))
    return check


def _searched(op, res, dst) -> None:
    """searchsorted, bucketize: ``out`` in the result's index dtype (int32 with out_int32)."""
    if _name(res) != _name(dst):
        raise RuntimeError(
            "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
            "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's "
            f"dtype {_aten(dst)} and out_int32 flag is {_name(res) == 'int32'}")


def _bool_only(op, res, dst) -> None:
    """all, any: a bool ``out`` only."""
    if _name(dst) != "bool":
        raise RuntimeError(f"{op} only supports bool tensor for result, got: {_aten(dst)}")


def _floating_out(op, res, dst) -> None:
    """logsumexp: a floating ``out``, which the result is cast into."""
    if backend.dtype_kind(dst) != "f":
        raise RuntimeError(f"{op}(): Expected floating point type for result tensor, but got: "
                           f"{_aten(dst)}")


# ---- writing ----------------------------------------------------------------------------------
def _require_tensor(op: str, out) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    return out


def _no_grad_check(op: str, out: Tensor, result) -> None:
    """PyTorch refuses out= while recording when the result would need a gradient (an input
    requires grad) or ``out`` itself requires grad."""
    if is_grad_enabled() and (out.requires_grad or getattr(result, "requires_grad", False)):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


def _caller_level() -> int:
    """The stacklevel of the first frame outside this module: warnings name the user's line, as
    PyTorch's (raised from C++) do."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


def _store(out: Tensor, result, warn: str | None = "resize") -> Tensor:
    """Write ``result`` into ``out`` (cast to its dtype), resizing ``out`` when the shapes differ;
    bump its version; return ``out``."""
    data = result._data if isinstance(result, Tensor) else result
    dst = out._data
    shape, wanted = tuple(dst.shape), tuple(data.shape)
    if shape != wanted:
        numel = 1
        for n in shape:
            numel *= n
        if numel and warn == "resize":
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(shape)}, which does not match the required output shape "
                          f"{list(wanted)}. This behavior is deprecated, and in a future PyTorch "
                          "release outputs will not be resized unless they have zero elements. "
                          "You can explicitly reuse an out tensor t by resizing it, inplace, to "
                          "zero elements with t.resize_(0).", UserWarning,
                          stacklevel=_caller_level())
        if not backend.is_foreign_array(data) and backend.is_foreign_array(dst):
            data = backend.asarray_like(data, dst)
        fresh = backend.astype(data, dst.dtype)
        out._data = fresh.copy() if fresh is data else fresh
    else:
        if backend.is_foreign_array(dst) and not backend.is_foreign_array(data):
            data = backend.asarray_like(data, dst)
        dst[...] = data if data.dtype == dst.dtype else backend.astype(data, dst.dtype)
    bump(out._data)
    return out


def _tensors_in(args, kwargs):
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, Tensor))


def _same_view(a, b) -> bool:
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape and a.strides == b.strides)


def _check_overlap(op: str, out: Tensor, result, args, kwargs, mode: str) -> None:
    """PyTorch's memory-overlap rules for ``out``, where chainrule can see them (NumPy memory):

    - ``out`` whose elements share memory (an expanded tensor) is refused;
    - elementwise kernels (``mode="elementwise"``) accept ``out`` as exactly one of the inputs,
      and refuse a partial overlap; ``cat``/``stack`` refuse any overlap;
    - other kernels compute first, so any overlap is fine, except that an input that is ``out``
      and must be resized: PyTorch resizes before reading it, and so returns values that are not
      the operation's; chainrule refuses that.
    """
    dst = out._data
    if type(dst) is not backend.ndarray:
        return
    if any(stride == 0 and n > 1 for n, stride in zip(dst.shape, dst.strides)):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the tensor "
                           "before performing the operation.")
    resized = tuple(dst.shape) != tuple(result._data.shape)
    for t in _tensors_in(args, kwargs):
        src = t._data
        if type(src) is not backend.ndarray or not backend.xp.may_share_memory(src, dst):
            continue
        if mode == "cat" or (mode == "elementwise" and not _same_view(src, dst)):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                               "written-to tensor refer to a single memory location. Please "
                               "clone() the tensor before performing the operation.")
        if resized:
            raise RuntimeError(
                f"{op}(): out= is also an input and would be resized from "
                f"{list(dst.shape)} to {list(result._data.shape)}; PyTorch resizes it before "
                "reading it, so its result would not be this operation's. Pass a separate out "
                "tensor (chainrule refuses rather than differ).")


# ---- the kinds of function --------------------------------------------------------------------
def _plain(fn, op: str, check, overlap: str = "other"):
    """An elementwise op, product or reduction: result computed as usual, then written."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _require_tensor(op, out)
        result = fn(*args, **kwargs)
        _no_grad_check(op, out, result)
        check(op, result._data.dtype, out._data.dtype)
        _check_overlap(op, out, result, args, kwargs, overlap)
        return _store(out, result)
    return wrapper


def _abs(fn):
    """abs: a complex input's magnitude (real) is cast into a real ``out`` as TensorIterator's
    rule allows, and a complex ``out`` must be the input's dtype; a real input's result must match
    ``out``'s dtype."""
    real = _plain(fn, "abs", _check_found, "elementwise")
    complex_ = _plain(fn, "abs", _check_cast, "elementwise")

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        x = args[0] if args else kwargs.get("input")
        is_complex = isinstance(x, Tensor) and backend.dtype_kind(x._data.dtype) == "c"
        if is_complex and isinstance(out, Tensor) and backend.dtype_kind(out._data.dtype) == "c":
            _check_found("abs", x._data.dtype, out._data.dtype)
        return (complex_ if is_complex else real)(*args, out=out, **kwargs)
    return wrapper


def _pair_out(op: str, out) -> tuple[Tensor, Tensor]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{op}(): with a dim, out= must be a tuple of two tensors (values, "
                        f"indices), not {type(out).__name__}")
    return _require_tensor(op, out[0]), _require_tensor(op, out[1])


def _store_pair(op: str, result, out, args, kwargs):
    values, indices = _pair_out(op, out)
    _no_grad_check(op, values, result[0])
    _check_exact(op, result[0]._data.dtype, values._data.dtype)
    _check_exact(op, result[1]._data.dtype, indices._data.dtype)
    _check_overlap(op, values, result[0], args, kwargs, "other")
    _check_overlap(op, indices, result[1], args, kwargs, "other")
    _store(values, result[0])
    _store(indices, result[1])
    return type(result)(values, indices)


def _pair(fn, op: str):
    """sort, topk: ``out=(values, indices)``."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _pair_out(op, out)
        return _store_pair(op, fn(*args, **kwargs), out, args, kwargs)
    return wrapper


def _extremum(fn, op: str):
    """max, min: ``out=(values, indices)`` with a dim; one tensor for the whole reduction and for
    the elementwise form ``max(a, b)``."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        with_dim = (len(args) > 1 and not isinstance(args[1], Tensor)) or \
            kwargs.get("dim") is not None
        if with_dim:
            _pair_out(op, out)
            return _store_pair(op, fn(*args, **kwargs), out, args, kwargs)
        _require_tensor(op, out)
        result = fn(*args, **kwargs)
        _no_grad_check(op, out, result)
        elementwise = len(args) > 1 or "other" in kwargs
        (_check_cast if elementwise else _check_can_cast)(op, result._data.dtype, out._data.dtype)
        _check_overlap(op, out, result, args, kwargs, "elementwise" if elementwise else "other")
        return _store(out, result)
    return wrapper


def _mean(fn, op: str):
    """mean: with a dim, ``out``'s dtype is the accumulation dtype (a floating or complex one);
    over the whole tensor, the mean is cast into ``out``."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _require_tensor(op, out)
        with_dim = len(args) > 1 or kwargs.get("dim") is not None or \
            kwargs.get("axis") is not None
        if not with_dim:
            result = fn(*args, **kwargs)
            _no_grad_check(op, out, result)
            if not _castable(result._data.dtype, out._data.dtype):
                raise RuntimeError("mean.dtype_out(): input types can't be cast to the desired "
                                   f"output type {_aten(out._data.dtype)}")
            _check_overlap(op, out, result, args, kwargs, "other")
            return _store(out, result)
        if backend.dtype_kind(out._data.dtype) not in "fc":     # PyTorch: sum, then div_ by n
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{_aten(out._data.dtype)}")
        dtype = kwargs.get("dtype")
        if dtype is None:
            kwargs["dtype"] = out._data.dtype
        else:
            _check_exact(op, dtype, out._data.dtype)
        result = fn(*args, **kwargs)
        _no_grad_check(op, out, result)
        _check_overlap(op, out, result, args, kwargs, "other")
        return _store(out, result)
    return wrapper


def _accumulating(fn, op: str, needs_dim: bool):
    """sum, prod (with a dim), cumsum, cumprod: ``out``'s dtype is the accumulation dtype (as
    ``dtype=``); a different ``dtype=`` is refused."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _require_tensor(op, out)
        if needs_dim and len(args) < 2 and kwargs.get("dim") is None \
                and kwargs.get("axis") is None:
            raise TypeError(f"{op}(): out= needs a dim in PyTorch ({op}(input, dim, keepdim=False, "
                            f"*, dtype=None, out=None)); {op}(input) takes no out=")
        if op in ("cumsum", "cumprod") and _name(out._data.dtype) == "bool":
            raise NotImplementedError(f'"{op}_out_cpu" not implemented for \'Bool\'')
        dtype = kwargs.get("dtype")
        if dtype is None:
            kwargs["dtype"] = out._data.dtype
        else:
            _check_exact(op, dtype, out._data.dtype)
        result = fn(*args, **kwargs)
        _no_grad_check(op, out, result)
        _check_overlap(op, out, result, args, kwargs, "other")
        return _store(out, result)
    return wrapper


def _creation(fn, op: str):
    """zeros, ones, full, rand, randn, arange, linspace, …: ``out``'s dtype unless ``dtype=``
    names it; the new shape replaces ``out``'s without a warning (``arange``: PyTorch's)."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _require_tensor(op, out)
        if is_grad_enabled() and out.requires_grad:
            raise RuntimeError(f"aten::{op}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        dtype = kwargs.get("dtype")
        if dtype is None:
            kwargs["dtype"] = out._data.dtype
        elif _name(dtype) != _name(out._data.dtype):
            raise RuntimeError(f"dtype {_aten(dtype)} does not match dtype of out parameter "
                               f"({_aten(out._data.dtype)})")
        result = fn(*args, **kwargs)
        shape, wanted = tuple(out._data.shape), tuple(result._data.shape)
        numel = 1
        for n in shape:
            numel *= n
        if op == "arange" and numel and shape != wanted:
            count = 1
            for n in wanted:
                count *= n
            warnings.warn(f"The number of elements in the out tensor of shape {list(shape)} is "
                          f"{numel} which does not match the computed number of elements {count}. "
                          "Note that this may occur as a result of rounding error. The out tensor "
                          f"will be resized to a tensor of shape {wanted}.", UserWarning,
                          stacklevel=_caller_level())
        return _store(out, result, warn=None)
    return wrapper


# ---- which functions, and how -----------------------------------------------------------------
_CAST = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
         "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "asin", "acos", "atan",
         "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "expm1", "log2", "log10", "log1p",
         "rsqrt", "reciprocal", "square", "erf", "erfc", "lgamma", "logit", "deg2rad", "rad2deg",
         "maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "copysign", "logaddexp",
         "logaddexp2", "xlogy", "lerp", "addcmul", "addcdiv", "remainder", "fmod", "floor_divide",
         "gcd", "lcm", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
         "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
         "bitwise_and", "bitwise_or", "bitwise_xor", "outer", "ger", "addr", "kron", "std", "var",
         "diff")
_NOT_ELEMENTWISE = ("outer", "ger", "addr", "kron", "std", "var", "diff")
_EXACT = ("matmul", "mm", "bmm", "addmm", "baddbmm", "mv", "addmv", "argmax", "argmin", "tril",
          "triu", "diag", "gather", "take_along_dim", "msort", "renorm")
_FOUND = ("abs", "neg", "negative", "clamp", "clip", "sign", "sgn", "ceil", "floor", "round",
          "trunc", "frac", "bitwise_not")
_CAT = ("cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack")
_CREATION = ("zeros", "ones", "full", "rand", "randn", "arange", "linspace", "empty", "eye",
             "logspace")
_OTHER = {
    "where": _check_where,
    "dot": _same("result dtype {out} does not match input dtype {res}"),
    "vdot": _same("result dtype {out} does not match input dtype {res}"),
    "inner": _same("tensordot: Expected the output tensor to have dtype {res}, but got an output "
                   "tensor with dtype {out}"),
    "tensordot": _same("tensordot: Expected the output tensor to have dtype {res}, but got an "
                       "output tensor with dtype {out}"),
    "amax": _same("Expected the dtype for input and out to match, but got {res} for input's dtype "
                  "and {out} for out's dtype."),
    "amin": _same("Expected the dtype for input and out to match, but got {res} for input's dtype "
                  "and {out} for out's dtype."),
    "index_select": _same("index_select(): self and result must have the same scalar type"),
    "masked_select": _same("masked_select(): self and result must have the same scalar type"),
    "nan_to_num": _same("nan_to_num: dtype of out: {out} should be same as input: {res}"),
    "logcumsumexp": _same("expected scalar_type {res} but found {out}"),
    "all": _bool_only, "any": _bool_only, "logsumexp": _floating_out,
    "quantile": _same("quantile() out tensor must be same dtype as the input tensor"),
    "nanquantile": _same("quantile() out tensor must be same dtype as the input tensor"),
    "addbmm": _same("self and mat2 must have the same dtype, but got {out} and {res}"),
    "searchsorted": _searched, "bucketize": _searched,
}
_TORCH_OP = {"subtract": "sub", "multiply": "mul", "divide": "div", "negative": "neg",
             "clip": "clamp", "concat": "cat", "concatenate": "cat", "greater": "gt",
             "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne",
             "ger": "outer"}

#: every function given ``out=``, by name
NAMES = (*_CAST, *_EXACT, *_FOUND, *_CAT, *_OTHER, "mean", "sum", "prod", "cumsum", "cumprod",
         "max", "min", "sort", "topk", *_CREATION)


def _wrapped(name: str, fn):
    op = _TORCH_OP.get(name, name)
    if name in _CAST:
        return _plain(fn, op, _check_cast, "other" if name in _NOT_ELEMENTWISE else "elementwise")
    if name in _EXACT:
        return _plain(fn, op, _check_exact)
    if name == "abs":
        return _abs(fn)
    if name in _FOUND:
        return _plain(fn, op, _check_found, "elementwise")
    if name in _CAT:
        return _plain(fn, op, _check_cat, "cat")
    if name in _OTHER:
        return _plain(fn, op, _OTHER[name], "elementwise" if name == "where" else "other")
    if name in ("sum", "prod", "cumsum", "cumprod"):
        return _accumulating(fn, op, needs_dim=name in ("sum", "prod"))
    if name in ("max", "min"):
        return _extremum(fn, op)
    if name == "mean":
        return _mean(fn, op)
    if name in ("sort", "topk"):
        return _pair(fn, op)
    return _creation(fn, op)


def wrap(namespace: dict) -> dict:
    """``{name: the function with out=}`` for each name of :data:`NAMES` in ``namespace``."""
    return {name: _wrapped(name, namespace[name]) for name in NAMES if name in namespace}
