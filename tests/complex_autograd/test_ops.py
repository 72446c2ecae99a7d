"""Gradients of complex tensors through chainrule's primitives equal PyTorch's (float64 and
complex128, rtol 1e-12) on Hypothesis-drawn shapes, and pass the complex gradcheck.

PyTorch's convention: z.grad = ∂L/∂x + i·∂L/∂y for a real loss L of z = x + iy; a holomorphic
f passes g·conj(f′(z)); a real input that meets a complex gradient keeps its real part.
"""
from __future__ import annotations

import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

from .helpers import compare, complex_array, seeds

UNARY = {
    "neg": lambda L, z: -z,
    "exp": lambda L, z: L.exp(z),
    "log": lambda L, z: L.log(z),
    "sqrt": lambda L, z: L.sqrt(z),
    "reciprocal": lambda L, z: L.reciprocal(z),
    "rsqrt": lambda L, z: L.rsqrt(z),
    "sin": lambda L, z: L.sin(z),
    "cos": lambda L, z: L.cos(z),
    "tan": lambda L, z: L.tan(z),
    "tanh": lambda L, z: L.tanh(z),
    "sinh": lambda L, z: L.sinh(z),
    "cosh": lambda L, z: L.cosh(z),
    "asin": lambda L, z: L.asin(z),
    "acos": lambda L, z: L.acos(z),
    "atan": lambda L, z: L.atan(z),
    "asinh": lambda L, z: L.asinh(z),
    "atanh": lambda L, z: L.atanh(z),
    "exp2": lambda L, z: L.exp2(z),
    "expm1": lambda L, z: L.expm1(z),
    "log2": lambda L, z: L.log2(z),
    "log10": lambda L, z: L.log10(z),
    "log1p": lambda L, z: L.log1p(z),
    "square": lambda L, z: z.square(),
    "pow_int": lambda L, z: z ** 3,
    "pow_half": lambda L, z: z ** 0.5,
    "pow_negative": lambda L, z: z.pow(-1.5),
    "pow_zero": lambda L, z: z ** 0,
    "abs": lambda L, z: L.abs(z),
    "angle": lambda L, z: L.angle(z),
    "sgn": lambda L, z: L.sgn(z),
    "conj": lambda L, z: L.conj(z).resolve_conj(),
    "conj_physical": lambda L, z: L.conj_physical(z),
    "real": lambda L, z: z.real * 1,
    "imag": lambda L, z: z.imag * 1,
    "view_as_real": lambda L, z: L.view_as_real(z) * 1,
    "abs_squared": lambda L, z: z.abs() ** 2,
    "z_conj_z": lambda L, z: z * z.conj(),
    "clone": lambda L, z: z.clone(),
}

BINARY = {
    "add": lambda L, a, b: a + b,
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=2),
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b,
    "pow_tensor": lambda L, a, b: a ** (b * 0.25),
    "where": lambda L, a, b: L.where(a.real > 0, a, b),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=S.shapes(max_dims=3), seed=seeds)
def test_unary_gradients_match_pytorch(name, shape, seed):
    z = complex_array(np.random.default_rng(seed), shape)
    compare(UNARY[name], [z], seed)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=S.broadcast_shapes(2, max_dims=3), seed=seeds, kinds=st.sampled_from(
    ["cc", "cr", "rc"]))
def test_binary_gradients_match_pytorch_with_broadcasting_and_mixed_kinds(name, shapes, seed,
                                                                          kinds):
    """Complex with complex, and complex with real: the real operand's gradient is the real
    part of its complex gradient (handle_r_to_c), summed over broadcast axes."""
    if name == "where":
        kinds = "cc"        # (PyTorch's where backward fails its own check on mixed kinds)
    rng = np.random.default_rng(seed)
    arrays = [complex_array(rng, s) if k == "c" else rng.standard_normal(s) + 2.0
              for s, k in zip(shapes, kinds)]
    if name == "pow_tensor" and kinds[0] == "r":
        arrays[0] = np.abs(arrays[0]) + 0.5     # a real base to a complex power: positive
    compare(BINARY[name], arrays, seed)


@given(seed=seeds)
def test_python_complex_scalars(seed):
    z = complex_array(np.random.default_rng(seed), (3,))
    compare(lambda L, a: (1 + 2j) * a + a / (0.5 - 1j) - (2j - a) + a ** 2 * 1j, [z], seed)
    x = np.random.default_rng(seed).standard_normal(4)
    compare(lambda L, a: a * (1 - 3j) + 2j, [x], seed)     # real input, complex result


MOVEMENT = {
    "reshape": lambda L, z: z.reshape(-1),
    "view": lambda L, z: z.view(z.shape[0], -1),
    "transpose": lambda L, z: z.transpose(0, -1),
    "permute": lambda L, z: z.permute(*reversed(range(z.ndim))),
    "mT": lambda L, z: z.mT,
    "getitem": lambda L, z: z[1:, ..., :1],
    "fancy_index": lambda L, z: z[L.tensor([0, 0, -1])],
    "cat": lambda L, z: L.cat([z, 2 * z], 0),
    "stack": lambda L, z: L.stack([z, z.conj()], -1),
    "expand": lambda L, z: z[:1].expand(4, *z.shape[1:]),
    "unsqueeze_squeeze": lambda L, z: z.unsqueeze(1).squeeze(1),
    "flip": lambda L, z: z.flip(0),
    "roll": lambda L, z: z.roll(1, 0),
    "split": lambda L, z: L.cat(z.split(1, dim=0)[::-1], 0),
    "contiguous": lambda L, z: z.mT.contiguous(),
    "diagonal": lambda L, z: z.diagonal(0, 0, -1),
    "tril": lambda L, z: z.tril(),
    "pad": lambda L, z: L.nn.functional.pad(z, (1, 2)),
    "sum": lambda L, z: z.sum(),
    "sum_dim": lambda L, z: z.sum(0, keepdim=True),
    "mean": lambda L, z: z.mean(),
    "mean_dims": lambda L, z: z.mean((0, -1)),
    "cumsum": lambda L, z: z.cumsum(0),
    "index_put": lambda L, z: _index_put(z),
}


def _index_put(z):
    y = z * 1
    y[0] = z[-1] * 2
    return y


@pytest.mark.parametrize("name", sorted(MOVEMENT))
@given(shape=S.shapes(min_dims=2, max_dims=3), seed=seeds)
def test_data_movement_and_reductions(name, shape, seed):
    z = complex_array(np.random.default_rng(seed), shape)
    compare(MOVEMENT[name], [z], seed)


PRODUCTS = {
    "matmul": lambda L, a, b: a @ b,
    "mm": lambda L, a, b: L.mm(a[0], b[0]),
    "bmm": lambda L, a, b: L.bmm(a, b),
    "einsum": lambda L, a, b: L.einsum("bij,bjk->bik", a, b),
    "linear": lambda L, a, b: L.nn.functional.linear(a, b[0].mT),
    "vector_dot": lambda L, a, b: a[0, 0] @ b[0, :, 0],
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
@given(sides=st.tuples(*[st.integers(1, 4)] * 4), seed=seeds, kinds=st.sampled_from(
    ["cc", "cr", "rc"]))
def test_products_take_the_conjugate_rules(name, sides, seed, kinds):
    """∂(AB) gives grad_A = G·Bᴴ and grad_B = Aᴴ·G (PyTorch's mm backward on complex); a real
    operand (cast to complex first: products take one dtype) keeps the real part."""
    b, n, k, m = sides
    rng = np.random.default_rng(seed)
    shapes = [(b, n, k), (b, k, m)]
    arrays = [complex_array(rng, s) if kind == "c" else rng.standard_normal(s)
              for s, kind in zip(shapes, kinds)]
    compare(lambda L, x, y: PRODUCTS[name](L, *[t.to(L.complex128) for t in (x, y)]), arrays,
            seed)


@given(shapes=S.broadcast_shapes(2, max_dims=3), seed=seeds)
def test_complex_polar_and_views_from_real_parts(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    compare(lambda L, x, y: L.complex(*(L.broadcast_tensors(x, y) if L is torch else (x, y)))
            ** 2, [a, b], seed)
    compare(lambda L, r, t: L.polar(*(L.broadcast_tensors(r, t) if L is torch else (r, t)))
            .exp(), [np.abs(a) + 0.1, b], seed)
    p = rng.standard_normal((*shapes[0], 2))
    compare(lambda L, x: L.view_as_complex(x).sin(), [p], seed)


def test_a_real_tensor_cast_to_complex_and_back():
    x = np.array([0.5, -1.0, 2.0])
    compare(lambda L, t: (t.to(L.complex128) * (1 + 1j)).exp(), [x])
    compare(lambda L, t: L.view_as_real(t.to(L.complex128) * 1j), [x])


@given(seed=seeds)
def test_a_complex_layer_written_by_hand_trains_as_in_pytorch(seed):
    """A complex linear layer with a modulus non-linearity, two SGD steps in both libraries."""
    rng = np.random.default_rng(seed)
    w0, b0 = complex_array(rng, (3, 4), 0.5), complex_array(rng, (3,), 0.1)
    x, y = complex_array(rng, (5, 4)), rng.standard_normal((5, 3))
    results = []
    for L in (cr, torch):
        w = L.tensor(w0, requires_grad=True)
        b = L.tensor(b0, requires_grad=True)
        opt = L.optim.SGD([w, b], lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            h = L.tensor(x) @ w.mT + b
            loss = ((h.abs() - L.tensor(y)) ** 2).mean() + (h.angle() ** 2).mean()
            loss.backward()
            opt.step()
        results.append((w.detach(), b.detach(), loss.detach()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.numpy(), theirs.resolve_conj().numpy(), rtol=1e-12,
                                   atol=1e-12)


GRADCHECKED = {
    "mul_conj": (lambda z, w: z * w.conj(), 2),
    "div_exp": (lambda z, w: (z / w).exp(), 2),
    "abs_angle": (lambda z: z.abs() * z.angle(), 1),
    "sgn": (lambda z: cr.sgn(z), 1),
    "real_imag": (lambda z: z.real * z.imag, 1),
    "matmul": (lambda z, w: z.reshape(2, 2) @ w.reshape(2, 2), 2),
    "pow": (lambda z: z ** 2.5 + z.reciprocal(), 1),
    "log_sqrt": (lambda z: z.log() * z.sqrt(), 1),
    "view_as_real": (lambda z: cr.view_as_real(z * z), 1),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKED))
@given(seed=seeds)
def test_gradcheck_on_real_and_imaginary_parts(name, seed):
    fn, count = GRADCHECKED[name]
    rng = np.random.default_rng(seed)
    assert cr.gradcheck(fn, *[complex_array(rng, (4,)) + 0.5 for _ in range(count)])


def test_double_backward_through_complex_rules_matches_pytorch():
    z0 = complex_array(np.random.default_rng(3), (4,))
    grads = []
    for L in (cr, torch):
        z = L.tensor(z0, requires_grad=True)
        loss = (z.exp() * z.conj() + z.abs() ** 3 + z.angle()).abs().sum()
        (g,) = L.autograd.grad(loss, z, create_graph=True)
        (g.abs() ** 2).sum().backward()
        grads.append((g.detach(), z.grad))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours.numpy(), theirs.resolve_conj().numpy(), rtol=1e-11)
