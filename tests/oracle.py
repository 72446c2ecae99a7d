"""Shared helpers for comparing chainrule with PyTorch (the oracle) in float64."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

RTOL = 1e-6
ATOL = 1e-10


def t64(values, requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def th64(values, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def as_numpy(x) -> np.ndarray:
    if isinstance(x, cr.Tensor):
        return x.numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(actual, expected, rtol: float = RTOL, atol: float = ATOL) -> None:
    a, e = as_numpy(actual), as_numpy(expected)
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def assert_one_of_pytorchs_answers(cr_fn, torch_fn, value, dtype, label=()) -> None:
    """Where PyTorch's answer at a special value depends on the tensor's length (its vectorized
    loop against its scalar tail, which a short tensor meets depending on the CPU's vector
    width): chainrule gives one of PyTorch's answers (value and gradient of the first entry), the
    same for lengths 1, 2 and 64."""
    answers, ours = [], []
    for n in (1, 2, 64):
        x = np.full(n, float(value), dtype=dtype)
        t = torch.tensor(x, requires_grad=True)
        torch_fn(t).sum().backward()
        answers.append((torch_fn(t)[0].item(), t.grad[0].item()))
        c = cr.tensor(x, requires_grad=True)
        cr_fn(c).sum().backward()
        ours.append((cr_fn(c).numpy()[0], c.grad.numpy()[0]))
    assert all(np.allclose(o, ours[0], equal_nan=True) for o in ours), (*label, ours)
    assert any(np.allclose(ours[0], a, equal_nan=True, rtol=1e-6) for a in answers), \
        (*label, ours[0], answers)


# ------------------------------------------------------- special values (tests/*special_values*)
def _where_they_differ(actual, expected, arrays, tol) -> str:
    """The first few positions where ``actual`` and ``expected`` differ, with the inputs there
    (those of the same shape), to say which special value went wrong."""
    actual, expected = np.atleast_1d(actual), np.atleast_1d(expected)
    with np.errstate(invalid="ignore"):
        same = np.isclose(actual, expected, equal_nan=True, **tol)
    lines = []
    for index in list(zip(*np.nonzero(~same)))[:8]:
        inputs = [a[index] for a in arrays if np.shape(a) == np.shape(actual)]
        lines.append(f"  at {tuple(int(i) for i in index)}: inputs {inputs}, chainrule "
                     f"{actual[index]!r}, PyTorch {expected[index]!r}")
    return "\n".join(lines)


def _assert_close(actual, expected, arrays, tol, what: str, zero_sign: bool = False) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=f"{what} differs from PyTorch")
        return
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tol,
                               err_msg=f"{what} differs from PyTorch\n"
                               + _where_they_differ(actual, expected, arrays, tol))
    if zero_sign:
        zero = expected == 0
        np.testing.assert_array_equal(
            np.signbit(actual[zero]), np.signbit(expected[zero]),
            err_msg=f"{what}: the sign of a zero differs from PyTorch, inputs "
            + str([np.asarray(a)[zero].tolist() for a in arrays
                   if np.shape(a) == np.shape(expected)][:2]))


def _outputs(out):
    """A result as a list of tensors (values and indices of max(dim), cummax, median)."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_against_pytorch(cr_fn, t_fn, arrays, dtype, tol, grad=None, seed=0,
                          zero_sign=True, upstream=None):
    """cr_fn(*tensors) against t_fn(*tensors): each output (values and indices), and the
    gradient of each argument in ``grad`` (default: every floating argument) for a random
    upstream gradient of the first output. Where PyTorch raises, chainrule must raise too.
    ``tol``: assert_allclose's rtol and atol; ``zero_sign``: zeros must have PyTorch's sign;
    ``upstream``: that upstream gradient instead of a random one. Integer arrays (class indices)
    pass as they are."""
    floats = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"]
    grad = floats if grad is None else grad
    arrays = [np.asarray(a, dtype=dtype) if i in floats else np.asarray(a)
              for i, a in enumerate(arrays)]
    t_in = [torch.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    try:
        t_out = _outputs(t_fn(*t_in))
    except (RuntimeError, ValueError, IndexError) as error:
        with pytest.raises((RuntimeError, ValueError, IndexError)):
            cr_fn(*[cr.tensor(a) for a in arrays])
        return f"PyTorch raises: {error}"
    c_in = [cr.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    c_out = _outputs(cr_fn(*c_in))
    assert len(c_out) == len(t_out)
    for k, (c, t) in enumerate(zip(c_out, t_out)):
        expected = t.detach().numpy()
        actual = np.asarray(c.detach().numpy() if isinstance(c, cr.Tensor) else c)
        assert actual.shape == expected.shape, (k, actual.shape, expected.shape)
        if expected.dtype.kind == "f":
            assert actual.dtype == np.dtype(dtype), (k, actual.dtype)
        _assert_close(actual, expected, arrays, tol, f"output {k}", zero_sign)
    if not grad or not t_out[0].requires_grad:
        return None
    g = (np.random.default_rng(seed).standard_normal(tuple(t_out[0].shape)) if upstream is None
         else np.broadcast_to(upstream, tuple(t_out[0].shape))).astype(dtype)
    t_out[0].backward(torch.tensor(g))
    c_out[0].backward(cr.tensor(g))
    for i in grad:
        t_grad, c_grad = t_in[i].grad, c_in[i].grad
        if t_grad is not None and t_grad._is_zerotensor():       # sgn's: PyTorch's ZeroTensor
            t_grad = torch.zeros_like(t_in[i])
        expected = np.zeros(arrays[i].shape, dtype) if t_grad is None else t_grad.numpy()
        actual = np.zeros(arrays[i].shape, dtype) if c_grad is None else c_grad.numpy()
        _assert_close(actual, expected, arrays, tol, f"gradient of argument {i}")
    return None
