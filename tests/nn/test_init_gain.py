"""nn.init.calculate_gain against PyTorch: every nonlinearity it knows, leaky_relu's slope
forms, and the errors for an unknown name ('identity' included) or a slope that is not a
number."""
from __future__ import annotations

import pytest
import torch

import chainrule as cr

NAMES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
         "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NAMES)
def test_gain_matches_pytorch(name):
    expected = torch.nn.init.calculate_gain(name)
    got = cr.nn.init.calculate_gain(name)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("param", [None, 0, 0.2, 3])
def test_leaky_relu_slope(param):
    assert cr.nn.init.calculate_gain("leaky_relu", param) == \
        torch.nn.init.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize(("name", "param"), [("identity", None), ("softmax", None),
                                             ("leaky_relu", True), ("leaky_relu", "0.1")])
def test_errors_match_pytorch(name, param):
    with pytest.raises(ValueError) as theirs:
        torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError) as mine:
        cr.nn.init.calculate_gain(name, param)
    assert str(mine.value) == str(theirs.value)
