"""Conformance entries for Householder reflectors and the LDL family (round 34):
torch.geqrf, torch.orgqr, torch.ormqr and their Tensor methods, linalg.householder_product,
linalg.ldl_factor, ldl_factor_ex and ldl_solve (chainrule/ops/linalg_householder.py,
chainrule/ops/linalg_ldl.py).

Uniform draws in [−2, 2] give no ties among Bunch–Kaufman's candidate pivots, so both libraries
choose the same 1 × 1 / 2 × 2 steps; the symmetric inputs are built inside the program (X + Xᵀ),
so that gradients flow through the same function in both libraries.
"""
from __future__ import annotations

from harness import Entry, case, floats


def _sym(L, x):
    return x + x.mT


def _qr_reflectors(L, x):
    """geqrf's (a, tau) of x, detached: realistic reflectors (Q orthogonal)."""
    a, tau = L.geqrf(x.detach())
    return a, tau


def _hp_from_geqrf(L, x):
    """householder_product of geqrf(x)'s reflectors, differentiated in A: A + (x − x) has A's
    values and passes A's gradient on to x."""
    a, tau = _qr_reflectors(L, x)
    return L.linalg.householder_product(a + (x - x.detach()), tau)


def _ldl(L, x, **kwargs):
    return L.linalg.ldl_factor(_sym(L, x), **kwargs)


_TWO_BY_TWO = [[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.5]]   # a 2×2 pivot first


ENTRIES = [
    # ------------------------------------------------------------------------ geqrf
    Entry("geqrf", [
        case(lambda L, x: L.geqrf(x), floats(4, 3)),
        case(lambda L, x: L.geqrf(x), floats(2, 3, 5), label="batched, wide"),
        case(lambda L, x: L.geqrf(x), floats(3, 3, dtype="float32"), label="float32"),
        case(lambda L, x: L.geqrf(x), floats(0, 3), label="no rows"),
        case(lambda L, x: L.geqrf(x), floats(2, 0, 3, 2), label="empty batch"),
        case(lambda L: L.geqrf(L.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=L.float64)),
             label="already triangular: tau 0"),
        case(lambda L, x: L.geqrf(x.requires_grad_()).a.requires_grad, floats(3, 2),
             label="requires grad"),
        case(lambda L, x: L.geqrf(x.requires_grad_()).a.sum().backward(), floats(3, 2),
             raises=True, label="no derivative"),
        case(lambda L, x: L.geqrf(x), floats(3), raises=True, label="1-D"),
        case(lambda L: L.geqrf(L.ones(2, 2, dtype=L.int64)), raises=True, label="integer"),
    ]),
    Entry("Tensor.geqrf", [
        case(lambda L, x: x.geqrf(), floats(2, 4, 3)),
    ]),
    # ------------------------------------------------------------------------ householder_product
    Entry("linalg.householder_product", [
        case(_hp_from_geqrf, floats(5, 3), grad=[0], label="geqrf's reflectors"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(4, 3), floats(3),
             grad=[0, 1], label="any tau"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(2, 5, 3), floats(2, 2),
             grad=[0, 1], label="batched, k < n"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(3, 3, dtype="float32"),
             floats(3, dtype="float32"), grad=[0, 1], label="float32"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(4, 3), floats(0),
             label="no reflectors: I[:, :n]"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(2, 3), floats(2),
             raises=True, label="m < n"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(4, 3), floats(4),
             raises=True, label="k > n"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(2, 4, 3), floats(3, 3),
             raises=True, label="batch of tau"),
        case(lambda L, a, t: L.linalg.householder_product(a, t), floats(4, 3),
             floats(3, dtype="float32"), raises=True, label="dtypes differ"),
    ]),
    Entry("orgqr", [
        case(lambda L, a, t: L.orgqr(a, t), floats(4, 3), floats(3), grad=[0, 1]),
        case(lambda L, a, t: L.orgqr(a, t), floats(3), floats(1), raises=True),
    ]),
    Entry("Tensor.orgqr", [
        case(lambda L, a, t: a.orgqr(t), floats(2, 4, 4), floats(2, 3), grad=[0, 1]),
    ]),
    # ------------------------------------------------------------------------ ormqr
    Entry("ormqr", [
        case(lambda L, a, t, c, left=left, tr=tr: L.ormqr(a, t, c, left, tr), floats(4, 3),
             floats(3), floats(4, 2) if left else floats(2, 4), grad=[0, 1, 2],
             label=f"left={left}, transpose={tr}")
        for left in (True, False) for tr in (False, True)
    ] + [
        case(lambda L, a, t, c: L.ormqr(a, t, c), floats(2, 3, 5), floats(2, 3),
             floats(2, 3, 4), grad=[0, 1, 2], label="batched, wide input"),
        case(lambda L, a, t, c: L.ormqr(a, t, c, transpose=True), floats(3, 3,
             dtype="float32"), floats(3, dtype="float32"), floats(3, 2, dtype="float32"),
             grad=[0, 1, 2], label="float32"),
        case(lambda L, x, c: L.ormqr(*_qr_reflectors(L, x), c, transpose=True), floats(4, 3),
             floats(4, 2), grad=[1], label="Qᵀ C from geqrf"),
        case(lambda L, a, t, c: L.ormqr(a, t, c), floats(4, 3), floats(3), floats(3, 2),
             raises=True, label="rows of other"),
        case(lambda L, a, t, c: L.ormqr(a, t, c), floats(4, 3), floats(2), floats(4, 2),
             raises=True, label="tau too short"),
        case(lambda L, a, t, c: L.ormqr(a, t, c), floats(2, 4, 3), floats(2, 3),
             floats(1, 4, 2), raises=True, label="batch of other"),
        case(lambda L, a, t, c: L.ormqr(a, t, c), floats(4, 3), floats(3),
             floats(4, 2, dtype="float32"), raises=True, label="dtypes differ"),
    ]),
    Entry("Tensor.ormqr", [
        case(lambda L, a, t, c: a.ormqr(t, c, left=False), floats(2, 4, 4), floats(2, 4),
             floats(2, 3, 4), grad=[0, 1, 2]),
    ]),
    # ------------------------------------------------------------------------ LDL
    Entry("linalg.ldl_factor", [
        case(lambda L, x: _ldl(L, x), floats(4, 4)),
        case(lambda L, x: _ldl(L, x), floats(2, 3, 6, 6), label="batched"),
        case(lambda L, x: L.linalg.ldl_factor(x), floats(5, 5), label="lower triangle read"),
        case(lambda L, x: _ldl(L, x, hermitian=True), floats(4, 4), label="hermitian"),
        case(lambda L, x: _ldl(L, x), floats(4, 4, dtype="float32"), label="float32"),
        case(lambda L: L.linalg.ldl_factor(L.tensor(_TWO_BY_TWO, dtype=L.float64)),
             label="2×2 pivot"),
        case(lambda L, x: _ldl(L, x), floats(2, 0, 0), label="0×0"),
        case(lambda L, x: _ldl(L, x.requires_grad_()).LD.requires_grad, floats(3, 3),
             label="requires grad"),
        case(lambda L, x: _ldl(L, x.requires_grad_()).LD.sum().backward(), floats(3, 3),
             raises=True, label="no derivative"),
        case(lambda L: L.linalg.ldl_factor(L.zeros(3, 3, dtype=L.float64)), raises=True,
             label="singular"),
        case(lambda L, x: L.linalg.ldl_factor(x), floats(3, 4), raises=True,
             label="not square"),
        case(lambda L, x: L.linalg.ldl_factor(x), floats(3), raises=True, label="1-D"),
        case(lambda L: L.linalg.ldl_factor(L.ones(2, 2, dtype=L.int64)), raises=True,
             label="integer"),
    ], note="a singular A (D exactly singular) raises linalg.LinAlgError naming D's zero entry; "
            "PyTorch 2.13 fails an internal assert there"),
    Entry("linalg.ldl_factor_ex", [
        case(lambda L, x: L.linalg.ldl_factor_ex(_sym(L, x)), floats(3, 5, 5)),
        case(lambda L: L.linalg.ldl_factor_ex(L.zeros(2, 3, 3, dtype=L.float64)),
             label="singular: info"),
        case(lambda L: L.linalg.ldl_factor_ex(L.tensor([[1.0, 2.0], [2.0, 4.0]],
                                                       dtype=L.float64)),
             label="rank 1: info 2"),
        case(lambda L: L.linalg.ldl_factor_ex(L.zeros(3, 3, dtype=L.float64),
                                              check_errors=True), raises=True),
        case(lambda L, x: L.linalg.ldl_factor_ex(x), floats(3), raises=True),
    ]),
    Entry("linalg.ldl_solve", [
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b), floats(4, 4), floats(4, 2)),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b), floats(3, 5, 5),
             floats(3, 5, 1), label="batched"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b), floats(4, 4),
             floats(2, 3, 4, 2), label="B batched, LD not"),
        case(lambda L, a, b: L.linalg.ldl_solve(_ldl(L, a)[0], _ldl(L, a)[1].long(), b),
             floats(4, 4), floats(4, 2), label="int64 pivots"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b, hermitian=True), floats(3, 3),
             floats(3, 2), label="hermitian"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b), floats(4, 4, dtype="float32"),
             floats(4, 2, dtype="float32"), label="float32"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b.requires_grad_()).requires_grad,
             floats(3, 3), floats(3, 1), label="requires grad"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b.requires_grad_()).sum()
             .backward(), floats(3, 3), floats(3, 1), raises=True, label="no derivative"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b), floats(4, 4), floats(3, 2),
             raises=True, label="incompatible shapes"),
        case(lambda L, a, b: L.linalg.ldl_solve(_ldl(L, a)[0], _ldl(L, a)[1].double(), b),
             floats(4, 4), floats(4, 2), raises=True, label="float pivots"),
        case(lambda L, a, b: L.linalg.ldl_solve(_ldl(L, a)[0], _ldl(L, a)[1][:3], b),
             floats(4, 4), floats(4, 2), raises=True, label="pivots of the wrong shape"),
        case(lambda L, a, b: L.linalg.ldl_solve(_ldl(L, a)[0], 0 * _ldl(L, a)[1], b),
             floats(4, 4), floats(4, 2), raises=True, label="pivots out of range"),
        case(lambda L, a, b: L.linalg.ldl_solve(*_ldl(L, a), b), floats(4, 4),
             floats(4, 2, dtype="float32"), raises=True, label="dtypes differ"),
    ], note="a batched LD is broadcast against B's batch axes; PyTorch 2.13 crashes "
            "(segmentation fault) there"),
]
