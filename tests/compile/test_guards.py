"""Guards of chainrule.compile: retracing, the bounded cache, value-dependent control flow."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import function as _function
from chainrule.compile import UntraceableError
from tests.compile import helpers as H


def _x(*shape, seed=0, dtype=np.float64):
    return cr.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def test_new_batch_size_retraces_and_each_signature_is_replayed():
    a, b = H.twin(H.mlp)
    eager = H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.1, momentum=0.9))
    compiled = cr.compile(H.training_step(b, cr.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)))
    for batch in (8, 5, 8, 5, 3):
        ((x, y),) = H.batches("mlp", 1, batch=batch, seed=batch)
        np.testing.assert_allclose(compiled(x, y).numpy(), eager(x, y).numpy(), atol=1e-12)
    assert len(compiled.cache) == 3
    assert H.max_difference(a, b) <= 1e-12


def test_dtype_requires_grad_and_grad_mode_are_part_of_the_signature():
    compiled = cr.compile(lambda x: cr.sin(x) * 2)
    compiled(_x(3))
    compiled(_x(3, dtype=np.float32))
    compiled(cr.tensor(np.ones(3), requires_grad=True))
    with cr.no_grad():
        compiled(_x(3))
    assert len(compiled.cache) == 4


def test_non_tensor_arguments_are_guarded_by_value():
    compiled = cr.compile(lambda x, k: x * k)
    np.testing.assert_allclose(compiled(_x(3), 2.0).numpy(), _x(3).numpy() * 2)
    np.testing.assert_allclose(compiled(_x(3), 3.0).numpy(), _x(3).numpy() * 3)
    assert len(compiled.cache) == 2


def test_train_and_eval_modes_are_separate_signatures():
    model = cr.nn.Sequential(cr.nn.Linear(4, 4), cr.nn.Dropout(0.5)).to(cr.float64)
    forward = cr.compile(model)
    x = _x(2, 4)
    with cr.no_grad():
        forward(x)
        model.eval()
        np.testing.assert_allclose(forward(x).numpy(), model(x).numpy(), atol=1e-12)
    assert len(forward.cache) == 2


def test_cache_is_bounded_and_new_signatures_then_run_eagerly_with_a_warning():
    compiled = cr.compile(lambda x: x * 2 + 1, cache_size_limit=2)
    compiled(_x(1))
    compiled(_x(2))
    with pytest.warns(UserWarning, match="cache_size_limit \\(2\\) reached"):
        out = compiled(_x(3))
    np.testing.assert_allclose(out.numpy(), _x(3).numpy() * 2 + 1)
    assert len(compiled.cache) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # warned once per function, not per call
        compiled(_x(4))
    compiled(_x(1))                            # a cached signature still replays
    assert list(compiled.cache)[-1] == compiled.signature((_x(1),), {})   # LRU order
    compiled.reset()
    assert not compiled.cache


def _value_dependent(x):
    y = x * 2
    if y.sum() > 0:                            # the line the report must name
        return y
    return -y


LINE = _value_dependent.__code__.co_firstlineno + 2


def test_value_dependent_control_flow_raises_with_file_and_line_under_fullgraph():
    compiled = cr.compile(_value_dependent, fullgraph=True)
    with pytest.raises(UntraceableError, match=rf"test_guards.py:{LINE}") as info:
        compiled(_x(3))
    assert "reads a tensor's value" in str(info.value)
    assert _function.tracer is None            # the tracer is gone after the error


def test_value_dependent_control_flow_warns_and_runs_eagerly_without_fullgraph():
    compiled = cr.compile(_value_dependent)
    with pytest.warns(UserWarning, match=rf"test_guards.py:{LINE}"):
        first = compiled(_x(3, seed=1))
    for seed in (1, 2, 3, 4):                  # both branches taken: nothing was baked in
        np.testing.assert_array_equal(compiled(_x(3, seed=seed)).numpy(),
                                      _value_dependent(_x(3, seed=seed)).numpy())
    np.testing.assert_array_equal(first.numpy(), _value_dependent(_x(3, seed=1)).numpy())
    assert "runs eagerly" in compiled.plan(file=False)


@pytest.mark.parametrize("read", [lambda t: t.item(), lambda t: float(t), lambda t: t.tolist(),
                                  lambda t: t.numpy().copy(), lambda t: int(t > 0)])
def test_every_kind_of_value_read_is_reported(read):
    def f(x):
        s = (x * 3).sum()
        return x * read(s)

    with pytest.raises(UntraceableError, match="reads a tensor's value"):
        cr.compile(f, fullgraph=True)(_x(3))


def test_in_place_change_outside_primitives_is_reported():
    def f(x):
        y = x * 2
        with cr.no_grad():
            y += 1
        return y

    with pytest.raises(UntraceableError, match="in place"):
        cr.compile(f, fullgraph=True)(_x(3))


def test_recorded_in_place_operations_on_values_made_inside_compile_and_equal_eager(
        monkeypatch):
    """ReLU(inplace=True) and ``out += identity`` record a primitive and rebind the tensor to
    its result: the trace follows the tensor, and the replay is eager's step bit for bit."""
    from chainrule import parallel

    monkeypatch.setattr(parallel, "parts", lambda size, nbytes=0, blas=False, **_: 1)  # unsplit
    a, b = H.twin(H.residual)
    opt = lambda p: cr.optim.SGD(p, lr=0.05, momentum=0.9)          # noqa: E731
    eager = H.training_step(a, opt(a.parameters()))
    compiled = cr.compile(H.training_step(b, opt(b.parameters())), fullgraph=True)
    for x, y in H.batches("residual", 8, batch=6):
        np.testing.assert_array_equal(compiled(x, y).numpy(), eager(x, y).numpy())
    assert len(compiled.program().steps) > 0       # raises if the calls ran eagerly
    for p, q in zip(a.state_dict().values(), b.state_dict().values()):
        np.testing.assert_array_equal(q.numpy(), p.numpy())


def test_a_recorded_in_place_change_of_an_argument_is_still_reported():
    """The caller's tensor would keep its old values in a replay: not compiled."""
    w = cr.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)

    def f(x):
        x.mul_(w)
        return x.sum()

    with pytest.raises(UntraceableError):
        cr.compile(f, fullgraph=True)(_x(3))


def test_a_detached_alias_sees_the_in_place_result_as_in_eager():
    """``d = h.detach()`` shares h's memory, so after ``h.relu_()`` it holds the result too."""
    w = cr.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)

    def f(x):
        h = x * w
        d = h.detach()
        h.relu_()
        return (h + d).sum()

    compiled = cr.compile(f, fullgraph=True)
    for seed in range(3):
        x = _x(3, seed=seed)
        assert compiled(x).item() == f(x).item()
    assert len(compiled.program().steps) > 0       # raises if the calls ran eagerly


def test_random_numbers_other_than_dropout_are_reported():
    with pytest.raises(UntraceableError, match="random"):
        cr.compile(lambda x: x + cr.randn(3), fullgraph=True)(_x(3))


class _Trainer:
    """A model reached only through an attribute: discovery cannot see it before the call."""

    def __init__(self):
        self.model = cr.nn.Sequential(cr.nn.Linear(4, 4), cr.nn.Dropout(0.5)).to(cr.float64)

    def forward(self, x):
        return self.model(x)


def test_modules_run_during_the_trace_join_the_guard():
    trainer = _Trainer()
    forward = cr.compile(trainer.forward)
    x = _x(3, 4)
    with cr.no_grad():
        forward(x)
        assert len(forward.modules) == 3       # the Sequential, its Linear and its Dropout
        trainer.model.eval()                   # must not replay the training-mode dropout
        np.testing.assert_array_equal(forward(x).numpy(), trainer.model(x).numpy())
    assert len(forward.cache) == 2


def test_a_scheduler_step_inside_the_function_is_reported():
    model = H.mlp().to(cr.float64)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    scheduler = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    step = H.training_step(model, opt)

    def with_schedule(x, y):
        loss = step(x, y)
        scheduler.step()
        return loss

    with pytest.raises(UntraceableError, match="scheduler"):
        cr.compile(with_schedule, fullgraph=True)(*H.batches("mlp", 1)[0])


def test_an_error_in_a_replayed_primitive_is_explained_as_eager_explains_it():
    """The replay runs the primitives only, not the functional wrappers' checks: the
    primitive's explain_error names the operation, and cross-entropy's names the label."""
    a, _ = H.twin(H.mlp)
    step = cr.compile(H.training_step(a, cr.optim.SGD(a.parameters(), lr=0.1)))
    x = _x(4, 12)
    step(x, cr.tensor(np.array([0, 1, 2, 0])))
    with pytest.raises(IndexError, match=r"cross_entropy: target label 7 at position \(1,\) is "
                                         r"out of range for 3 classes"):
        step(x, cr.tensor(np.array([0, 7, 2, 0])))
