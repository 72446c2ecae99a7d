"""gradcheck: it passes on correct derivatives and, on a wrong one, says which input and element
disagree and by how much."""
from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function


def t64(values, requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class WrongCube(Function):
    """y = x³ with a VJP off by a factor 2/3 (2x² instead of 3x²). Deliberately not registered.

    Forward:     y = x³
    Derivative:  ∂y/∂x = 3x²  (but the VJP below returns g · 2x²)
    """

    name = "wrong_cube"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x ** 3

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * 2 * x * x


class WrongSecondFactor(Function):
    """z = x·y whose VJP for y is off by a factor 1.5 (the one for x is right)."""

    name = "wrong_product"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return x * y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        return g * y, 1.5 * g * x


class RightCube(Function):
    """y = x³ with the correct VJP, defined the same way as WrongCube (a control)."""

    name = "right_cube"

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return x ** 3

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * 3 * x * x


def _numbers(message: str) -> tuple[float, float]:
    backward = re.search(r"backward gives (\S+),", message)
    numeric = re.search(r"central differences give (\S+) ", message)
    assert backward and numeric, message
    return float(backward.group(1)), float(numeric.group(1))


def test_test_primitives_are_not_registered():
    for name in ("wrong_cube", "wrong_product", "right_cube"):
        assert name not in cr.primitives()


# ---------------------------------------------------------------------- correct functions pass
@pytest.mark.parametrize("fn,shapes", [
    (lambda x: cr.tanh(x), [(3, 2)]),
    (lambda x: (cr.sin(x) * cr.exp(x)).sum(), [(4,)]),
    (lambda a, b: cr.tanh(a @ b), [(2, 3), (3, 4)]),
    (lambda x: cr.softmax(x, axis=-1), [(2, 5)]),
    (lambda x: cr.logsumexp(x, axis=0), [(3, 2)]),
    (lambda x, y: x / (y * y + 1.0), [(3, 1), (4,)]),
    (lambda x: x[[0, 0, 2]] * 3.0, [(3,)]),
    (lambda x: RightCube.apply(x), [(2, 3)]),
    (lambda x: RightCube.apply(x).sum(), [()]),
], ids=["tanh", "sin*exp", "matmul", "softmax", "logsumexp", "broadcast divide", "indexing",
        "custom function", "custom function 0-d"])
def test_gradcheck_passes_on_correct_functions(fn, shapes):
    rng = np.random.default_rng(0)
    inputs = [t64(rng.standard_normal(s)) for s in shapes]
    assert cr.gradcheck(fn, *inputs) is True
    assert cr.gradcheck(fn, *inputs, raise_exception=False) is True


def test_gradcheck_casts_float32_inputs_to_float64():
    x = cr.tensor([0.5, -1.0, 2.0])
    assert x.dtype == np.float32
    assert cr.gradcheck(lambda v: cr.tanh(v) * v, x)


def test_gradcheck_passes_non_float_inputs_through():
    x = t64(np.random.default_rng(1).standard_normal((4, 2)))
    index = np.array([3, 0, 3])
    assert cr.gradcheck(lambda v, i, k: cr.exp(v[i]) * k, x, index, 2.0)


def test_gradcheck_accepts_plain_arrays():
    assert cr.gradcheck(lambda v: v ** 2, np.array([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------------- a wrong derivative
def test_gradcheck_on_a_wrong_primitive_names_input_element_and_both_numbers():
    x = t64([0.5, -2.0, 1.0])          # the largest disagreement, |x|², is at element 1
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda v: WrongCube.apply(v), x)
    message = str(info.value)
    assert "input 0" in message
    assert "input 0[1]" in message
    assert "output[1]" in message
    backward, numeric = _numbers(message)
    assert backward == pytest.approx(2 * 4.0, rel=1e-9)     # 2x² at x = −2
    assert numeric == pytest.approx(3 * 4.0, rel=1e-6)      # 3x²
    assert "8" in message and "12" in message


def test_gradcheck_report_names_a_2d_element():
    x = t64([[0.1, 0.2, 0.3], [0.4, 3.0, 0.5]])
    with pytest.raises(cr.GradcheckError, match=r"input 0\[1, 1\]") as info:
        cr.gradcheck(lambda v: WrongCube.apply(v).sum(), x)
    backward, numeric = _numbers(str(info.value))
    assert backward == pytest.approx(18.0, rel=1e-9)
    assert numeric == pytest.approx(27.0, rel=1e-6)


def test_gradcheck_names_the_input_whose_derivative_is_wrong():
    x, y = t64([1.0, 2.0]), t64([3.0, -4.0])
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda a, b: WrongSecondFactor.apply(a, b), x, y)
    message = str(info.value)
    assert "input 1" in message and "input 0" not in message
    assert "input 1[1]" in message
    backward, numeric = _numbers(message)
    assert backward == pytest.approx(3.0, rel=1e-9)    # 1.5·x₁
    assert numeric == pytest.approx(2.0, rel=1e-6)     # x₁


def test_gradcheck_input_index_counts_non_float_arguments():
    x = t64([1.0, 2.0])
    with pytest.raises(cr.GradcheckError, match="input 2"):
        cr.gradcheck(lambda i, k, v: WrongCube.apply(v[i]) * k, np.array([1, 0]), 3.0, x)


def test_gradcheck_raise_exception_false_returns_false():
    x = t64([0.5, -2.0, 1.0])
    assert cr.gradcheck(lambda v: WrongCube.apply(v), x, raise_exception=False) is False


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(cr.GradcheckError, AssertionError)
    with pytest.raises(AssertionError):
        cr.gradcheck(lambda v: WrongCube.apply(v), t64([2.0]))


def test_gradcheck_tolerances_decide():
    # WrongCube at x = 0.01: the error, 1e-4, is below atol = 1e-3 but above atol = 1e-6
    x = t64([0.01])
    assert cr.gradcheck(lambda v: WrongCube.apply(v), x, atol=1e-3, rtol=0.0)
    assert not cr.gradcheck(lambda v: WrongCube.apply(v), x, atol=1e-6, rtol=0.0,
                            raise_exception=False)


def test_gradcheck_refuses_bad_setups():
    with pytest.raises(ValueError, match="floating-point"):
        cr.gradcheck(lambda i: cr.tensor([1.0]) * i, np.array([1, 2]))
    with pytest.raises(ValueError, match="float64"):
        cr.gradcheck(lambda v: v.astype(cr.float32), t64([1.0]))


def test_gradcheck_does_not_change_its_inputs():
    x = t64([0.5, -1.0])
    before = x.numpy().copy()
    cr.gradcheck(lambda v: cr.tanh(v), x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None
