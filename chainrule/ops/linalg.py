"""Matrix multiplication, batched and with NumPy's vector rules."""
from __future__ import annotations

from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import matrix_transpose, namespace, reshape, xp


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


@primitive
class Matmul(Function):
    """Matrix product (NumPy's matmul: batched over leading axes; 1-D operands are vectors).

    Forward:     C = A B,  Cᵢⱼ = Σₖ Aᵢₖ Bₖⱼ
    Derivative:  ∂Cᵢⱼ/∂Aᵢₖ = Bₖⱼ,  ∂Cᵢⱼ/∂Bₖⱼ = Aᵢₖ
    VJP:         ∂L/∂A = G Bᵀ,  ∂L/∂B = Aᵀ G
    Numerics:    BLAS GEMM; broadcast batch axes are summed back by the engine.
    """

    name = "matmul"
    complex_grad = "holomorphic"
    array_api = True
    text = ("C = A B,  Cᵢⱼ = Σₖ Aᵢₖ Bₖⱼ", "∂L/∂A = G Bᵀ,  ∂L/∂B = Aᵀ G")
    latex = (r"C = AB,\quad C_{ij} = \sum_k A_{ik} B_{kj}",
             r"\frac{\partial L}{\partial A} = G B^{\top},\quad \frac{\partial L}{\partial B} = "
             r"A^{\top} G")
    explanation = ("Each output entry is a dot product, so the gradient of A is G times B "
                   "transposed, "
                   "and of B is A transposed times G.")
    reference = staticmethod(xp.matmul)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return a @ b

    @staticmethod
    def vjp(ctx, g):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # the dot product aᵀb: ∂/∂a = g·b, ∂/∂b = g·a
            return (g * b if need_a else None), (g * a if need_b else None)
        ns = namespace(g)
        a2 = a if a.ndim > 1 else reshape(a, (1, -1))
        b2 = b if b.ndim > 1 else reshape(b, (-1, 1))
        g2 = g
        if a.ndim == 1:
            g2 = ns.expand_dims(g2, axis=-2)
        if b.ndim == 1:
            g2 = ns.expand_dims(g2, axis=-1)
        ga = gb = None
        if need_a:
            ga = g2 @ matrix_transpose(b2)
            if a.ndim == 1:
                ga = reshape(ga, ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            gb = matrix_transpose(a2) @ g2
            if b.ndim == 1:
                gb = reshape(gb, gb.shape[:-1])
        return ga, gb

    @classmethod
    def explain_error(cls, exc, arrays, params):
        a, b = (xp.asarray(v) for v in arrays)
        if a.ndim == 0 or b.ndim == 0:
            return ValueError(f"matmul: both operands need at least one dimension; got shapes "
                              f"({_dims(a.shape)}) and ({_dims(b.shape)}). Use * for scaling.")
        k_a = a.shape[-1]
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            return ValueError(f"matmul: cannot multiply ({_dims(a.shape)}) by ({_dims(b.shape)}): "
                              f"inner sizes {k_a} and {k_b} differ (the last axis of the first "
                              f"must equal the {'first' if b.ndim == 1 else 'second-to-last'} axis "
                              f"of the second)")
        return ValueError(f"matmul: cannot broadcast the batch axes of ({_dims(a.shape)}) and "
                          f"({_dims(b.shape)}): {exc}")


@autocast_op("matmul")
def matmul(a, b):
    return Matmul.apply(a, b)
