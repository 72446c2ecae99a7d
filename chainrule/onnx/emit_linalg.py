"""Products and lookups: linear, matmul, einsum, embedding, scaled_dot_product_attention.

A Linear layer on a matrix is Gemm(transB = 1), which keeps the weight (out, in) as it is in the
state_dict; on more axes it is MatMul with the weight transposed in the graph, then Add. Attention
is written out: softmax(s·Q Kᵀ + B) V with MatMul, Mul, Add, Softmax.
"""
from __future__ import annotations

import math

import numpy as np

from .builder import Op
from .emitters import emits


@emits("linear")
def linear(op: Op) -> str:
    """y = x Wᵀ + b: Gemm(x, W, b, transB = 1) for x of shape (N, in); MatMul(x, Transpose(W))
    and Add(b) otherwise."""
    dt = op.out_dtype
    x, w = op.x(0, dt), op.x(1, dt)
    has_bias = op.arg(2) is not None
    if len(op.shape(1)) != 2:
        raise op.refuse(f"a weight of shape {op.shape(1)} (a Linear weight is (out, in))")
    if len(op.shape(0)) == 2:
        return op.node("Gemm", [x, w] + ([op.x(2, dt)] if has_bias else []), transB=1)
    y = op.node("MatMul", [x, op.node("Transpose", [w], perm=[1, 0])])
    return op.node("Add", [y, op.x(2, dt)]) if has_bias else y


@emits("matmul")
def matmul(op: Op) -> str:
    """A @ B with NumPy's rules (1-D operands, broadcast leading axes): MatMul."""
    dt = op.out_dtype
    return op.node("MatMul", [op.x(0, dt), op.x(1, dt)])


@emits("einsum")
def einsum(op: Op) -> str:
    """Σ over the repeated subscripts of the product of the operands: Einsum(equation)."""
    dt = op.out_dtype
    equation = str(op.param("equation")).replace(" ", "")
    return op.node("Einsum", [op.x(i, dt) for i in range(op.nargs)], equation=equation)


@emits("embedding")
def embedding(op: Op) -> str:
    """Rows of the table E at the indices: Gather(E, indices, axis = 0) (padding_idx only changes
    the gradient)."""
    indices = op.as_name(op.param_value("indices"), None, "the indices")
    return op.node("Gather", [op.x(0), indices], axis=0)


@emits("scaled_dot_product_attention")
def attention(op: Op) -> str:
    """O = softmax(s·Q Kᵀ + B) V, s = 1/√E unless given: Mul(Q, s), MatMul with K transposed
    on its last two axes, Add(B), Softmax(axis = −1), MatMul(V). (A query whose every key is
    masked gives 0 in chainrule and NaN in this form, as in PyTorch's export.)"""
    if op.call.params.get("keep") is not None:
        raise op.refuse("attention dropout (a random mask) is active; export in eval mode with "
                        "dropout off")
    dt = op.out_dtype
    q, k, v = op.x(0, dt), op.x(1, dt), op.x(2, dt)
    scale = op.param("scale")
    scale = 1 / math.sqrt(op.shape(0)[-1]) if scale is None else float(scale)
    rank = len(op.shape(1))
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    qs = op.node("Mul", [q, op.const(np.asarray(scale, dtype=dt))])
    scores = op.node("MatMul", [qs, op.node("Transpose", [k], perm=perm)])
    if op.arg(3) is not None:
        scores = op.node("Add", [scores, op.x(3, dt)])
    return op.node("MatMul", [op.node("Softmax", [scores], axis=-1), v])
