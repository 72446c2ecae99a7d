"""PyTorch's top-level spellings of in-place Tensor methods (``torch.exp_(x)``,
``torch.clamp_(x, 0, 1)``, ``torch.zero_(x)`` …) and ``torch.fill``.

``torch.n_(input, *args, **kwargs)`` is ``input.n_(*args, **kwargs)``: it writes into ``input``
and returns that same tensor (``torch.exp_(x) is x``), with the method's rules for autograd (a
leaf that requires grad may not be changed while recording). The functions are generated from
:data:`INPLACE`, one name a line, so each is exactly its method. ``chainrule/__init__.py`` binds
:data:`NAMES`.

``torch.fill(input, value)`` is the out-of-place fill: a new tensor of input's shape and dtype
holding ``value`` (a number or a 0-d tensor). Its derivative: 0 for input, Σg for a tensor value.
"""
from __future__ import annotations

from ..tensor import Tensor

# The in-place functions torch 2.13 has at the top level whose Tensor method chainrule has.
INPLACE = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
    "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_",
    "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_", "index_put_", "lcm_",
    "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_",
    "rad2deg_", "reciprocal_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_",
    "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _top_level(name: str):
    """``torch.<name>(input, …)``: ``input.<name>(…)``, the tensor itself returned."""
    def fn(input, *args, **kwargs):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = (f"``torch.{name}(input, …)``: :meth:`Tensor.{name}` (in place; returns "
                  "input).")
    return fn


globals().update({_name: _top_level(_name) for _name in INPLACE})


def fill(input, value):  # noqa: A002
    """A new tensor of ``input``'s shape and dtype, every entry ``value`` (PyTorch's
    ``torch.fill``; ``value`` a number or a 0-d tensor, cast to input's dtype).

    Derivative: ∂/∂input = 0 (its values are replaced), ∂/∂value = Σ g over the entries.

    >>> import chainrule as cr
    >>> fill(cr.zeros(2, dtype=cr.int64), 2.7)         # tensor([2, 2]), as input.fill_(2.7)
    """
    from . import selection

    if not isinstance(input, Tensor):
        raise TypeError(f"fill(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        if input.requires_grad or value.requires_grad:
            # where(True, value, input): value everywhere, a zero gradient for input
            everywhere = input.new_ones(tuple(input.shape), dtype=bool)
            return selection.where(everywhere, value.to(input.dtype), input)
    elif input.requires_grad:
        return selection.where(input.new_ones(tuple(input.shape), dtype=bool),
                               input.new_full((), value), input)
    return input.detach().clone().fill_(value)


NAMES = (*INPLACE, "fill")
