"""chainrule: deep learning from the mathematics up.

NumPy arrays underneath, reverse-mode automatic differentiation on top, and the formula of every
operation and of its derivative kept beside its code::

    >>> import chainrule as cr
    >>> x = cr.tensor([0.5, -1.0], requires_grad=True)
    >>> y = cr.sigmoid(x).sum()
    >>> y.backward()
    >>> print(cr.formula("sigmoid"))
"""
import sys as _sys

from . import backend
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.functional import grad_of as grad
from .autograd.functional import hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .autograd.gradcheck import GradcheckError, gradcheck
from .backend import get_default_dtype, manual_seed, set_default_dtype
from .mathematics import Equation, Formula
from .ops import *  # noqa: F403  (the NumPy-named functions are the public API)
from .ops import __all__ as _ops_all
from .primitives import formula, primitives
from .primitives import formula_table as primitives_table

float32 = backend.xp.float32
float64 = backend.xp.float64
float16 = backend.xp.float16
int32 = backend.xp.int32
int64 = backend.xp.int64
bool_ = backend.xp.bool_
long = int64
double = float64

from .tensor import Tensor

# chainrule.tensor and chainrule.ops import each other; link them now that both are loaded.
# (The attribute `chainrule.tensor` is the creation function, so the module is taken from
# sys.modules.)
_sys.modules[__name__ + ".tensor"].ops = _sys.modules[__name__ + ".ops"]
Tensor._array_namespace = _sys.modules[__name__ + ".ops"]

# The layers, losses and optimizers register primitives of their own; importing them here makes
# the registry (and so chainrule.formula, the docs and the tests) complete after `import chainrule`.
from . import nn, optim  # noqa: E402
from .explain import explain, graph, trace  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Tensor", "backend", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
           "grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp", "vjp", "gradcheck",
           "GradcheckError", "manual_seed", "get_default_dtype", "set_default_dtype", "formula",
           "primitives", "Formula", "Equation", "nn", "optim", "explain", "trace", "graph",
           "float32", "float64", "float16", "int32", "int64", "bool_", *_ops_all]
