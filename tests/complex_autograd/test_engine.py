"""The engine with complex tensors behaves as PyTorch's: .grad accumulation, retain_grad, hooks,
no_grad, backward(gradient=…), autograd.grad, the errors for implicit complex seeds and dtype
mismatches, the real-part rule for real inputs, complex64, and a clear refusal (naming the
operation) from a primitive that has no complex rule."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd.gradcheck import GradcheckError

from .helpers import complex_array

Z = complex_array(np.random.default_rng(0), (3,))
G = complex_array(np.random.default_rng(1), (3,))


def both(fn):
    """fn(L, z) under both libraries, returning (chainrule's, PyTorch's) results."""
    return fn(cr, cr.tensor(Z, requires_grad=True)), fn(torch, torch.tensor(Z, requires_grad=True))


def same(a, b, rtol=1e-12):
    b = b.resolve_conj() if isinstance(b, torch.Tensor) else b
    np.testing.assert_allclose(np.asarray(a.numpy() if hasattr(a, "numpy") else a),
                               b.detach().numpy() if isinstance(b, torch.Tensor) else b,
                               rtol=rtol, atol=1e-14)


def test_sum_of_squared_moduli_gives_2z():
    z = cr.tensor(Z, requires_grad=True)
    (z.abs() ** 2).sum().backward()
    same(z.grad, 2 * Z)
    assert z.grad.dtype == cr.complex128


def test_grad_accumulates_over_backward_calls():
    def run(L, z):
        for _ in range(2):
            (z * z).real.sum().backward()
        return z.grad
    same(*both(run))


def test_backward_with_an_explicit_complex_gradient():
    def run(L, z):
        (z.exp() * 2j).backward(L.tensor(G))
        return z.grad
    same(*both(run))


def test_implicit_gradient_of_a_complex_output_raises_as_pytorch():
    z = cr.tensor(Z, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar "
                                           "outputs but got complex128"):
        z.sum().backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar"):
        cr.autograd.grad(z.sum(), z)


def test_gradient_of_the_wrong_kind_raises_as_pytorch():
    z = cr.tensor(Z, requires_grad=True)
    with pytest.raises(RuntimeError, match="For complex Tensors, both grad_output and output are "
                                           "required to have the same dtype"):
        (z * 2).backward(cr.ones(3, dtype=cr.float64))
    x = cr.ones(3, dtype=cr.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in dtype: grad_output"):
        (x * 2).backward(cr.tensor(G))
    with pytest.raises(RuntimeError, match="For complex Tensors"):
        cr.autograd.grad(z * 2, z, cr.ones(3, dtype=cr.float64))
    (z * 2).backward(cr.tensor(G.astype(np.complex64)))  # complex of another precision: fine
    same(z.grad, 2 * G.astype(np.complex64).astype(complex))


def test_autograd_grad_and_retain_grad():
    def run(L, z):
        (gz,) = L.autograd.grad(((z * (1 - 1j)).conj() * z).real.sum(), z)
        w = z * (1 - 1j)
        w.retain_grad()
        (w.conj() * z).real.sum().backward()
        return gz, w.grad, z.grad
    for a, b in zip(*both(run)):
        same(a, b)


def test_hooks_see_and_replace_complex_gradients():
    def run(L, z):
        seen = []
        w = z * z
        w.register_hook(lambda g: seen.append(g.clone()) or g * 1j)
        w.abs().sum().backward()
        return seen[0], z.grad
    for a, b in zip(*both(run)):
        same(a, b)


def test_no_grad_and_detach():
    z = cr.tensor(Z, requires_grad=True)
    with cr.no_grad():
        assert not (z * z).requires_grad
        assert not cr.fft.fft(z).requires_grad
    assert not z.detach().exp().requires_grad
    assert (z * z).requires_grad


def test_real_inputs_keep_the_real_part_of_complex_gradients():
    x0 = np.array([0.5, -1.5, 2.0])

    def run(L, _):
        x = L.tensor(x0, requires_grad=True)
        (x * (2 + 3j)).exp().abs().sum().backward()
        return x.grad
    ours, theirs = both(run)
    assert ours.dtype == cr.float64
    same(ours, theirs)


def test_complex64_keeps_its_precision():
    z = cr.tensor(Z.astype(np.complex64), requires_grad=True)
    t = torch.tensor(Z.astype(np.complex64), requires_grad=True)
    (z.log() * z).abs().sum().backward()
    (t.log() * t).abs().sum().backward()
    assert z.grad.dtype == cr.complex64
    np.testing.assert_allclose(z.grad.numpy(), t.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("op, fn", [
    ("prod", lambda z: z.prod()),
    ("cumprod", lambda z: z.cumprod(0)),
    ("acosh", lambda z: cr.acosh(z)),
])
def test_a_primitive_without_a_complex_rule_refuses_by_name(op, fn):
    z = cr.tensor(Z, requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"{op}: complex gradients are not implemented"):
        fn(z)
    with cr.no_grad():
        fn(z)                                   # values stay available
    fn(z.detach())


def test_a_real_tensor_into_a_primitive_without_a_complex_rule_refuses_too():
    x = cr.ones(3, dtype=cr.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="prod: complex gradients"):
        (x * 1j).prod()


def test_eig_still_gives_values_only():
    a = cr.tensor(np.eye(2) * 2.0, requires_grad=True)
    with pytest.raises(NotImplementedError, match="gradient of linalg.eig is not implemented"):
        cr.linalg.eig(a)


def test_gradcheck_catches_a_missing_conjugation():
    """A hand-written backward that forgets PyTorch's conjugation fails the complex gradcheck,
    and the report names the real or imaginary part."""

    class Square(cr.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, g):
            (z,) = ctx.saved_tensors
            return g * 2 * z                   # should be g · conj(2z)

    with pytest.raises(GradcheckError, match="(real|imaginary) part of"):
        cr.gradcheck(Square.apply, Z)
    assert cr.gradcheck(lambda z: z * z, Z)
