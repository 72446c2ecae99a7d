"""Errors in words: each names the operation, the shapes or values, and what was expected, and
subclasses Python's own ValueError, TypeError or RuntimeError."""
from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr


def t64(values, requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- matmul
def test_matmul_shape_mismatch_message():
    a, b = cr.zeros(128, 784), cr.zeros(256, 10)
    expected = "matmul: cannot multiply (128×784) by (256×10): inner sizes 784 and 256 differ"
    with pytest.raises(ValueError) as info:
        a @ b
    assert expected in str(info.value)
    with pytest.raises(ValueError) as info:
        cr.matmul(a, b)
    assert expected in str(info.value)


@pytest.mark.parametrize("sa,sb,expected", [
    ((3,), (4,), "matmul: cannot multiply (3) by (4): inner sizes 3 and 4 differ"),
    ((2, 3), (4,), "matmul: cannot multiply (2×3) by (4): inner sizes 3 and 4 differ"),
    ((5, 2, 3), (2, 4), "matmul: cannot multiply (5×2×3) by (2×4): inner sizes 3 and 2 differ"),
], ids=["vectors", "matrix-vector", "batched"])
def test_matmul_mismatch_messages_for_other_ranks(sa, sb, expected):
    with pytest.raises(ValueError) as info:
        cr.zeros(*sa, requires_grad=True) @ cr.zeros(*sb)
    assert expected in str(info.value)


def test_matmul_of_a_scalar_is_explained():
    with pytest.raises(ValueError, match=r"matmul.*at least one dimension"):
        cr.tensor(2.0) @ cr.zeros(3)


# ---------------------------------------------------------------------- broadcasting
@pytest.mark.parametrize("name,fn", [
    ("add", lambda a, b: a + b),
    ("subtract", lambda a, b: a - b),
    ("multiply", lambda a, b: a * b),
    ("divide", lambda a, b: a / b),
    ("power", lambda a, b: a ** b),
    ("maximum", cr.maximum),
    ("add", cr.add),
])
def test_broadcast_error_names_the_op_and_both_shapes(name, fn):
    a, b = cr.ones(2, 3, requires_grad=True), cr.ones(4)
    with pytest.raises(ValueError) as info:
        fn(a, b)
    message = str(info.value)
    assert message.startswith(f"{name}:"), message
    assert "(2×3)" in message and "(4)" in message
    assert "broadcast" in message


def test_broadcast_error_with_a_numpy_operand():
    with pytest.raises(ValueError, match=r"multiply: cannot broadcast shapes \(3×2\) and \(3\)"):
        cr.ones(3, 2) * np.ones(3)


def test_broadcast_to_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"broadcast_to.*\(2×3\).*\(4, 3\)"):
        cr.ones(2, 3).expand(4, 3)


# ---------------------------------------------------------------------- backward
def test_backward_on_non_scalar_without_gradient_says_what_to_do():
    y = cr.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "(2, 3)" in message
    assert "gradient=" in message
    assert "reduce" in message.lower()
    assert "sum()" in message or "mean()" in message


def test_backward_twice_names_retain_graph():
    x = cr.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert "retain_graph=True" in str(info.value)
    assert "freed" in str(info.value)


def test_backward_through_a_freed_intermediate_names_retain_graph():
    x = cr.ones(3, requires_grad=True)
    h = cr.exp(x)
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 2).sum().backward()


def test_backward_without_graph_is_explained():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        cr.ones(2).sum().backward()


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    y = cr.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))


# ---------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("make", [
    lambda: cr.tensor([1, 2, 3], requires_grad=True),
    lambda: cr.tensor([1, 2, 3]).requires_grad_(),
    lambda: cr.zeros(3, dtype=cr.int64, requires_grad=True),
    lambda: cr.arange(5, requires_grad=True),
    lambda: cr.tensor([True, False], requires_grad=True),
    lambda: cr.as_tensor(np.arange(3)).requires_grad_(True),
], ids=["tensor", "requires_grad_", "zeros", "arange", "bool", "as_tensor"])
def test_requires_grad_on_an_integer_tensor_explains_floating_point(make):
    with pytest.raises(TypeError) as info:
        make()
    message = str(info.value)
    assert "floating-point" in message or "floating point" in message
    assert "requires_grad" in message
    assert re.search(r"int64|bool", message)


def test_requires_grad_false_on_a_non_leaf_is_explained():
    y = cr.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


# ---------------------------------------------------------------------- shapes and indices
def test_reshape_to_a_wrong_size_names_both():
    x = cr.ones(2, 3)
    with pytest.raises(RuntimeError):       # PyTorch's type (also a ValueError, NumPy's)
        x.reshape(4)
    with pytest.raises(ValueError) as info:
        x.reshape(4)
    message = str(info.value)
    assert message.startswith("reshape:")
    assert "(2×3)" in message and "(4,)" in message
    assert "6 elements" in message
    with pytest.raises(ValueError, match=r"reshape.*\(2×3\).*\(4, 2\)"):
        x.view(4, 2)
    with pytest.raises(ValueError, match=r"\(2×3\).*\(-1, 4\)"):
        cr.reshape(x, (-1, 4))


def test_transpose_with_bad_axes_is_explained():
    with pytest.raises(ValueError, match="permutation"):
        cr.ones(2, 3, 4).permute(0, 0, 1)


def test_reduction_axis_out_of_range_names_the_axis():
    with pytest.raises(ValueError, match=r"sum: axis 3 is out of range.*2 dimensions"):
        cr.ones(2, 3).sum(dim=3)
    with pytest.raises(ValueError, match=r"mean: axis"):
        cr.ones(2, 3).mean(axis=(0, 0))


def test_concatenate_and_stack_mismatches_name_the_shapes():
    with pytest.raises(ValueError, match=r"concatenate.*\(2×3\).*\(2×4\)"):
        cr.concatenate([cr.ones(2, 3), cr.ones(2, 4)], axis=0)
    with pytest.raises(ValueError, match=r"stack.*\(2×3\).*\(3×2\)"):
        cr.stack([cr.ones(2, 3), cr.ones(3, 2)])


def test_split_sections_that_do_not_add_up():
    with pytest.raises(RuntimeError, match=r"split.*5.*\[1, 2\]"):    # PyTorch's error type
        cr.ones(5).split([1, 2])


def test_index_out_of_range_names_getitem_and_the_shape():
    with pytest.raises(IndexError) as info:
        cr.ones(2, 3)[5]
    assert "getitem" in str(info.value) and "(2×3)" in str(info.value)


def test_item_len_and_bool_errors():
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        cr.ones(2).item()
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(cr.ones(2))


def test_in_place_assignment_on_a_tensor_requiring_grad_is_explained():
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"no_grad"):
        x[0] = 2.0


def test_unknown_formula_lists_the_known_ones():
    with pytest.raises(KeyError, match="no primitive named 'nope'.*tanh"):
        cr.formula("nope")


# ---------------------------------------------------------------------- error classes
@pytest.mark.parametrize("trigger,base", [
    (lambda: cr.zeros(2, 3) @ cr.zeros(4, 5), ValueError),
    (lambda: cr.zeros(2, 3) + cr.zeros(4), ValueError),
    (lambda: cr.zeros(2, 3).reshape(5), ValueError),
    (lambda: (cr.ones(2, requires_grad=True) * 2).backward(), RuntimeError),
    (lambda: cr.tensor([1, 2], requires_grad=True), TypeError),
    (lambda: cr.ones(2).sum().backward(), RuntimeError),
    (lambda: cr.ones(2, 3)[7], IndexError),
], ids=["matmul", "broadcast", "reshape", "non-scalar backward", "int requires_grad",
        "no graph", "index"])
def test_errors_subclass_python_builtins(trigger, base):
    with pytest.raises(base) as info:
        trigger()
    assert str(info.value)            # always a message, never a bare exception
