"""Complex tensors: ``real``, ``imag``, ``conj`` and ``conj_physical`` give PyTorch's values
(``real``/``imag`` as views that write through), and a complex tensor may require grad, with
PyTorch's conjugate-Wirtinger gradients (the full suite is tests/complex_autograd/)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

VALUES = np.array([[1 + 2j, 3 - 1j], [-0.5 + 0j, 0 - 4j]])


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("op", ["real", "imag", "conj", "conj_physical", "abs", "sgn"])
def test_values_match_pytorch(op, dtype):
    t = torch.tensor(VALUES.astype(dtype))
    c = cr.tensor(VALUES.astype(dtype))
    expected = getattr(t, op) if op in ("real", "imag") else getattr(t, op)()
    got = getattr(c, op) if op in ("real", "imag") else getattr(c, op)()
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(np.asarray(got.numpy()), expected.resolve_conj().numpy(),
                               rtol=1e-6)


def test_real_and_imag_write_through():
    c = cr.tensor(VALUES.copy())
    t = torch.tensor(VALUES.copy())
    c.real[0, 0] = 7.0
    t.real[0, 0] = 7.0
    c.imag = cr.tensor(np.ones((2, 2)))
    t.imag = torch.ones(2, 2, dtype=torch.float64)
    np.testing.assert_array_equal(c.numpy(), t.numpy())


def test_imag_of_a_real_tensor_raises_as_pytorch():
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        _ = cr.ones(2).imag


def test_complex_tensors_require_grad_as_in_pytorch():
    c = cr.tensor(VALUES, requires_grad=True)
    t = torch.tensor(VALUES, requires_grad=True)
    assert cr.tensor(VALUES).requires_grad_().requires_grad
    (c.abs() ** 2).sum().backward()
    (t.abs() ** 2).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(c.grad.numpy(), 2 * VALUES, rtol=1e-12)      # Σ|z|² → 2z
    with pytest.raises(RuntimeError, match="only for real scalar outputs"):
        c.sum().backward()


def test_writing_a_part_of_a_complex_tensor_that_requires_grad_raises():
    c = cr.tensor(VALUES, requires_grad=True) * 1
    with pytest.raises(NotImplementedError, match="real part of a complex tensor in place"):
        c.real = cr.ones(2, 2, dtype=cr.float64)
    with cr.no_grad():
        c.imag = cr.ones(2, 2, dtype=cr.float64)
    np.testing.assert_array_equal(c.numpy().imag, np.ones((2, 2)))
