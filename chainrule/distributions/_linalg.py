"""The two matrix operations MultivariateNormal needs, with their derivatives: the Cholesky
factor and the triangular solve. (chainrule has no ``linalg`` primitives for them yet; these are
private Function subclasses, not registered primitives: first-order only, and asking one for a
second derivative raises. Tested against PyTorch's and by gradcheck in tests/distributions.)"""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import xp
from ..tensor import Tensor


def _t(a):
    return xp.swapaxes(a, -1, -2)


def _first_order_only(name: str, g) -> None:
    if isinstance(g, Tensor):
        raise RuntimeError(f"{name}: no second derivative (its backward is written on arrays); "
                           f"create_graph=True through it is not supported")


class _Cholesky(Function):
    """L = chol(A), A = L Lᵀ symmetric positive definite (only A's lower triangle is read).

    Forward:     A = L Lᵀ, L lower triangular with a positive diagonal
    VJP:         Ā = ½(S + Sᵀ),  S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹,  Φ = the lower triangle with the diagonal
                 halved (Murray 2016; the gradient is symmetrised, as PyTorch's)
    """

    name = "cholesky"

    @staticmethod
    def forward(ctx, a):
        try:
            lower = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise ValueError(f"the matrix (shape {a.shape}) is not positive definite"
                             ) from None
        ctx.save(lower)
        return lower

    @staticmethod
    def vjp(ctx, g):
        _first_order_only("cholesky", g)
        (lower,) = ctx.saved
        p = _t(lower) @ g
        phi = xp.tril(p)
        phi = phi - 0.5 * xp.eye(p.shape[-1]) * p        # halve the diagonal
        x1 = xp.linalg.solve(_t(lower), phi)
        s = _t(xp.linalg.solve(_t(lower), _t(x1)))
        return 0.5 * (s + _t(s))


class _SolveTriangular(Function):
    """X = A⁻¹ B for a triangular A (``upper`` says which triangle).

    VJP:         B̄ = A⁻ᵀ X̄,  Ā = −tri(B̄ Xᵀ)  (the triangle A lives in)
    """

    name = "solve_triangular"

    @staticmethod
    def forward(ctx, a, b, upper: bool = False):
        batch = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        x = xp.linalg.solve(a, xp.broadcast_to(b, batch + b.shape[-2:]))
        ctx.save(a, x)
        ctx.upper = upper
        return x

    @staticmethod
    def vjp(ctx, g):
        _first_order_only("solve_triangular", g)
        a, x = ctx.saved
        gb = xp.linalg.solve(_t(a), g)          # (the engine sums broadcast axes back)
        ga = -(gb @ _t(x))
        ga = xp.triu(ga) if ctx.upper else xp.tril(ga)
        return ga, gb


def cholesky(a: Tensor) -> Tensor:
    return _Cholesky.apply(a)


def solve_triangular(a: Tensor, b: Tensor, upper: bool = False) -> Tensor:
    """A⁻¹ B (batched; A broadcast against B's leading dimensions)."""
    return _SolveTriangular.apply(a, b, upper=upper)
