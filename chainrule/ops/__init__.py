"""The primitives of chainrule and the NumPy-named functions built on them.

This module is also the array namespace of Tensors: ``backend.namespace(tensor)`` returns it, so
derivative rules written with ``ns.exp``, ``ns.where``, ``ns.broadcast_to``… record a graph when
they run on Tensors (``create_graph=True``).
"""
from .activations import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus
from .arithmetic import add, divide, multiply, negative, power, subtract
from .creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .elementwise import (
    abs,
    clamp,
    clip,
    cos,
    exp,
    log,
    maximum,
    minimum,
    sign,
    sin,
    sqrt,
    tanh,
    where,
)
from .linalg import matmul
from .linear import linear
from .movement import (
    astype,
    broadcast_to,
    cat,
    chunk,
    concatenate,
    copy,
    expand_dims,
    flatten,
    getitem,
    moveaxis,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)
from .reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .softmax import log_softmax, softmax
from .special import erf

sub = subtract
mul = multiply
div = divide
neg = negative
pow = power

__all__ = [name for name in dir() if not name.startswith("_")]
