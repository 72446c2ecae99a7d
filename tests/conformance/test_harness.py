"""The harness itself: it must fail on every kind of disagreement it claims to catch."""
from __future__ import annotations

import pytest
import torch
from harness import case, floats, ints, run_case, shapes
from hypothesis import given
from hypothesis import strategies as st


def _fails(c, match: str | None = None):
    with pytest.raises(AssertionError, match=match):
        run_case(c)


def test_agreeing_programs_pass():
    run_case(case(lambda L, x: (x * 2).sum(1), floats(2, 3), grad=[0]))
    run_case(case(lambda L, x: x.max(0), floats(2, 3), grad=[0]))
    run_case(case(lambda L, x: [x.shape, x.dtype, x.dim(), x.sum().item()], floats(2, 3)))


def test_values_dtypes_shapes_and_types_are_compared():
    _fails(case(lambda L, x: x * (2 if L is torch else 3), floats(3)))
    _fails(case(lambda L, x: x.float() if L is torch else x, floats(3)), "dtype")
    _fails(case(lambda L, x: x if L is torch else x.reshape(3, 1), floats(3)), "shape")
    _fails(case(lambda L, x: x.sum().item() if L is torch else 1, floats(3)), "float")
    _fails(case(lambda L, x: (x, x) if L is torch else [x, x], floats(3)), "returns")
    _fails(case(lambda L, x: x.max(0) if L is torch else (x.max(), x.argmax()), floats(3)),
           "returns")


def test_gradients_are_compared():
    _fails(case(lambda L, x: x * x if L is torch else x * x.detach(), floats(3), grad=[0]),
           "gradient")


def test_raises_and_wrong_cases():
    run_case(case(lambda L, x: x.reshape(5), floats(3), raises=True))
    _fails(case(lambda L, x: x.reshape(3), floats(3), raises=True), "did not raise")
    _fails(case(lambda L, x: x.reshape(5), floats(3)), "PyTorch itself raised")


def test_drawn_shapes_are_drawn():
    c = case(lambda L, x: x.sum(), floats(drawn=shapes(0, 2, 0, 2)))
    assert c.drawn and not case(lambda L, x: x, floats(2)).drawn
    assert not case(lambda L, i: i, ints(2)).drawn
    seen = set()

    @given(st.data())
    def run(data):
        run_case(c, draw=lambda s: seen.add(v := data.draw(s)) or v)

    run()
    assert len(seen) > 1 and () in seen
