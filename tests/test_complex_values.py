"""Complex tensors hold values (NumPy's arithmetic) but are not differentiated: ``real``,
``imag``, ``conj`` and ``conj_physical`` give PyTorch's values (``real``/``imag`` as views that
write through), and asking a complex tensor for gradients raises instead of computing them
without PyTorch's conjugations."""
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


def test_complex_tensors_do_not_require_grad():
    with pytest.raises(TypeError, match="differentiates real tensors only"):
        cr.tensor(VALUES, requires_grad=True)
    with pytest.raises(TypeError, match="differentiates real tensors only"):
        cr.tensor(VALUES).requires_grad_()
