"""Matrix products: Gemm, MatMul and Einsum."""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from ..nn import functional as F
from .registry import Node, op
from .values import any_tensor, tensor


@op("MatMul")
def matmul(node: Node):
    r"""MatMul(A, B) = A @ B with NumPy's rules (1-d operands promoted, leading axes broadcast).

    Derivative: ∂L/∂A = g @ Bᵀ, ∂L/∂B = Aᵀ @ g (summed over broadcast axes).
    """
    def run(a, b):
        if any_tensor(a, b):
            return _ops.matmul(tensor(a), tensor(b))
        return np.asarray(np.matmul(a, b))

    return run


@op("Gemm")
def gemm(node: Node):
    r"""Gemm(A, B, C?) = α · A′ @ B′ + β · C, A′ = Aᵀ if transA else A, B′ likewise (transB).

    Forward:    Y (M×N) from A′ (M×K), B′ (K×N), C broadcastable to (M, N); α = alpha, β = beta.
    Derivative: ∂L/∂A′ = α g B′ᵀ, ∂L/∂B′ = α A′ᵀ g, ∂L/∂C = β g (summed to C's shape).
    The common case (transB = 1, α = β = 1: a Linear layer) is chainrule's F.linear.
    """
    alpha = float(node.attr("alpha", 1.0))
    beta = float(node.attr("beta", 1.0))
    trans_a = node.flag("transA")
    trans_b = node.flag("transB")

    def run(a, b, c=None):
        a, b = tensor(a), tensor(b)
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(f"Gemm: A and B must be matrices, got shapes {list(a.shape)} and "
                             f"{list(b.shape)}")
        if trans_b and not trans_a and alpha == 1.0 and (c is None or (
                beta == 1.0 and tuple(c.shape) == (b.shape[0],))):
            return F.linear(a, b, None if c is None else tensor(c))
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"Gemm: A′ of shape {list(a.shape)} and B′ of shape "
                             f"{list(b.shape)} cannot be multiplied (transA={int(trans_a)}, "
                             f"transB={int(trans_b)})")
        y = _ops.matmul(a, b)
        if alpha != 1.0:
            y = y * alpha
        if c is not None and beta != 0.0:
            c = tensor(c)
            y = y + (c * beta if beta != 1.0 else c)
        return y

    return run


@op("Einsum")
def einsum(node: Node):
    r"""Einsum(X₁, …, X_n) by ``equation``: Y[out] = Σ over the indices not in ``out`` of
    Π_k X_k[indices_k] (Einstein's summation convention; implicit output: the indices used
    once, in alphabetical order).

    Derivative: ∂L/∂X_k = the same summation of g with the other operands, onto X_k's indices.
    """
    equation = node.attr("equation")
    if isinstance(equation, bytes):
        equation = equation.decode("utf-8", "replace")
    if not isinstance(equation, str) or not equation:
        raise node.refuse("the equation attribute is required")
    equation = equation.replace(" ", "")

    def run(*xs):
        if any_tensor(*xs):
            return _ops.einsum(equation, *[tensor(x) for x in xs])
        return np.asarray(np.einsum(equation, *[np.asarray(x) for x in xs]))

    return run
