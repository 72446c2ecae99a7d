"""Data-parallel replay (chainrule/compile/shard.py): a compiled step split over its batch equals
the unsplit step, and programs that cannot be split are replayed whole, with the reason."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import parallel
from chainrule.compile import shard
from tests.compile import helpers as H


@pytest.fixture
def split_in(monkeypatch):
    """Force the replay to split in ``n`` parts, whatever the work's size and the cores."""
    def force(n):
        monkeypatch.setattr(parallel, "parts", lambda size, nbytes=0, blas=False, **_: min(n, size))
    return force


def _pair(build, optimizer=lambda p: cr.optim.SGD(p, lr=0.05, momentum=0.9), loss_fn=None):
    a, b = H.twin(build)
    eager = H.training_step(a, optimizer(a.parameters()), loss_fn)
    compiled = cr.compile(H.training_step(b, optimizer(b.parameters()), loss_fn),
                          fullgraph=True)
    return a, b, eager, compiled


def _assert_same_training(a, b, eager, compiled, data):
    for x, y in data:
        la, lb = eager(x, y), compiled(x, y)
        np.testing.assert_allclose(lb.numpy(), la.numpy(), rtol=0, atol=1e-12)
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=0, atol=1e-12)
    assert H.max_difference(a, b) <= 1e-12


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("model", ["mlp", "lenet"])
def test_split_step_equals_eager_after_20_steps(split_in, model, parts):
    split_in(parts)
    a, b, eager, compiled = _pair(getattr(H, model))
    _assert_same_training(a, b, eager, compiled, H.batches(model, 20, batch=7))
    program = compiled.program()
    assert program.shard is not None and program.shard.batch == 7
    assert shard.parts_of(program) == parts


def test_parts_with_ignored_targets_and_class_weights_are_weighted_by_their_divisor(split_in):
    """'mean' divides by the sum of the weights of the targets not ignored: parts with fewer
    counted targets must weigh less, as Dᵢ/D."""
    split_in(2)
    weight = cr.tensor([0.5, 2.0, 1.5], dtype=cr.float64)
    loss_fn = cr.nn.CrossEntropyLoss(weight=weight, ignore_index=1, label_smoothing=0.1)
    a, b, eager, compiled = _pair(H.mlp, loss_fn=loss_fn)
    rng = np.random.default_rng(3)
    data = []
    for _ in range(10):
        y = rng.integers(0, 3, 9)
        y[:3] = 1                                   # the first part has 2 of 4 counted targets
        data.append((cr.tensor(rng.standard_normal((9, 12))), cr.tensor(y)))
    _assert_same_training(a, b, eager, compiled, data)


def test_reduction_sum_adds_the_parts(split_in):
    split_in(2)
    a, b, eager, compiled = _pair(H.lenet, loss_fn=cr.nn.CrossEntropyLoss(reduction="sum"))
    _assert_same_training(a, b, eager, compiled, H.batches("lenet", 5, batch=6))


def test_a_part_with_every_target_ignored_replays_whole(split_in):
    """Its mean would be 0/0: the step runs unsplit instead, and equals eager."""
    split_in(2)
    loss_fn = cr.nn.CrossEntropyLoss(ignore_index=2)
    a, b, eager, compiled = _pair(H.mlp, loss_fn=loss_fn)
    rng = np.random.default_rng(1)
    data = [(cr.tensor(rng.standard_normal((8, 12))), cr.tensor(np.array([2] * 4 + [0, 1, 0, 1])))
            for _ in range(3)]
    _assert_same_training(a, b, eager, compiled, data)


def test_the_gradient_of_a_batched_argument_is_stacked_from_the_parts(split_in):
    split_in(2)
    a, b = H.twin(H.lenet)
    loss_fn = cr.nn.CrossEntropyLoss()

    def input_gradient(model):
        def step(x, y):
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        return step

    eager, compiled = input_gradient(a), cr.compile(input_gradient(b), fullgraph=True)
    for x, y in H.batches("lenet", 3, batch=5):
        xa = x.detach().requires_grad_()
        xb = x.detach().requires_grad_()
        eager(xa, y)
        compiled(xb, y)
        np.testing.assert_allclose(xb.grad.numpy(), xa.grad.numpy(), rtol=0, atol=1e-12)
    assert compiled.program().shard is not None


def test_a_forward_under_no_grad_is_split_and_concatenated(split_in):
    split_in(2)
    model = H.lenet().to(cr.float64).eval()
    forward = cr.compile(model)
    for x, _ in H.batches("lenet", 3, batch=9):
        with cr.no_grad():
            np.testing.assert_allclose(forward(x).numpy(), model(x).numpy(), rtol=0, atol=1e-12)
    assert forward.program().shard is not None


def test_embedding_models_split_on_their_indices(split_in):
    split_in(2)
    nn = cr.nn

    def bag():
        return nn.Sequential(nn.Embedding(30, 5), nn.Flatten(), nn.Linear(20, 3))

    a, b, eager, compiled = _pair(bag, optimizer=lambda p: cr.optim.Adam(p, lr=1e-2))
    rng = np.random.default_rng(2)
    data = [(cr.tensor(rng.integers(0, 30, (6, 4))), cr.tensor(rng.integers(0, 3, 6)))
            for _ in range(5)]
    _assert_same_training(a, b, eager, compiled, data)
    assert compiled.program().shard is not None


def _unsplit_reason(build, loss_fn=None, train=True):
    a, b, eager, compiled = _pair(build, loss_fn=loss_fn)
    if not train:
        a.eval()
        b.eval()
    for k, (x, y) in enumerate(H.batches("lenet", 2, batch=6)):
        cr.manual_seed(k)           # the same dropout masks in both
        eager(x, y)
        cr.manual_seed(k)
        compiled(x, y)
    program = compiled.program()
    assert program.shard is None
    assert H.max_difference(a, b) <= 1e-12
    return program.unsplit_reason


def test_cross_sample_layers_and_other_losses_replay_whole_with_their_reason(split_in):
    """(BatchNorm in training mode splits: its parts share statistics, tested below.)"""
    split_in(2)
    nn = cr.nn

    def with_dropout():
        return nn.Sequential(nn.Flatten(), nn.Linear(256, 8), nn.Dropout(0.3), nn.Linear(8, 3))

    def whole_batch_view():
        class Mix(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(256, 3)

            def forward(self, x):
                h = self.fc(x.reshape(x.shape[0], -1))
                return h - h.mean(dim=0)          # a statistic over the batch
        return Mix()

    assert "dropout" in _unsplit_reason(with_dropout)
    assert "mean over the batch axis" in _unsplit_reason(whole_batch_view)
    mse = nn.MSELoss()
    reason = _unsplit_reason(H.lenet, loss_fn=lambda out, y: mse(out, out.detach() * 0 + 1.0))
    assert "over the batch axis" in reason or "cross-entropy" in reason     # MSE's mean


def test_plan_says_whether_and_how_the_batch_is_split(split_in):
    split_in(2)
    a, b, eager, compiled = _pair(H.lenet)
    for x, y in H.batches("lenet", 2):
        compiled(x, y)
    text = compiled.plan(file=False)
    assert "split over the batch: yes" in text and "now in 2 parts" in text
    split_in(1)
    assert "now unsplit" in compiled.plan(file=False)


def test_without_a_forced_split_small_steps_replay_whole():
    """Parts too small to win (below parallel.MIN_BYTES_WITH_BLAS each) are not split."""
    a, b, eager, compiled = _pair(H.mlp)
    for x, y in H.batches("mlp", 2):
        compiled(x, y)
    assert compiled.program().shard is not None
    assert shard.parts_of(compiled.program()) == 1


def test_run_parts_runs_every_job_and_reraises():
    seen = []
    assert parallel.run_parts([lambda: seen.append(1), lambda: seen.append(2)], blas=False)
    assert sorted(seen) == [1, 2]

    def boom():
        raise ValueError("part failed")

    with pytest.raises(ValueError, match="part failed"):
        parallel.run_parts([lambda: None, boom], blas=False)


def test_per_sample_normalisations_reductions_and_slices_split(split_in):
    """GroupNorm, LayerNorm, BatchNorm in evaluation mode, a mean over the spatial axes and
    ``out[:, :k]`` act on each sample: such a step splits and equals eager."""
    split_in(2)
    nn = cr.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.gn = nn.GroupNorm(2, 4)
            self.ln = nn.LayerNorm(4)
            self.fc = nn.Linear(4, 5)

        def forward(self, x):
            h = self.gn(self.bn(self.conv(x))).relu()
            return self.fc(self.ln(h.mean(dim=(2, 3))))[:, :3]

    a, b = H.twin(Net)
    a.bn.eval()
    b.bn.eval()
    eager = H.training_step(a, cr.optim.Adam(a.parameters(), lr=1e-2))
    compiled = cr.compile(H.training_step(b, cr.optim.Adam(b.parameters(), lr=1e-2)),
                          fullgraph=True)
    _assert_same_training(a, b, eager, compiled, H.batches("lenet", 6, batch=7))
    assert compiled.program().shard is not None, compiled.program().unsplit_reason


def _batch_mixing_head(head):
    """A model whose output rows mix samples: ``head`` applied to its (N, 3) logits."""
    nn = cr.nn

    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(256, 3)

        def forward(self, x):
            return head(self.fc(x.flatten(1)), x.shape[0])

    return Mixed


@pytest.mark.parametrize("head, reason", [
    (lambda h, n: h - h.mean(dim=0, keepdim=True), "over the batch axis"),
    (lambda h, n: cr.cat([h, h], dim=0)[:n], "concatenate along the batch axis"),
], ids=["statistics", "joining"])
def test_steps_that_mix_the_batch_are_not_split(split_in, head, reason):
    """Statistics over the batch axis, and joining along it, make each sample's output depend
    on the others: such a program replays unsplit, and says why."""
    split_in(2)
    assert reason in _unsplit_reason(_batch_mixing_head(head))


def _recurrent(kind, final_state=False, batch_first=True, sizes=(50, 6, 10)):
    nn = cr.nn
    vocabulary, embedded, hidden = sizes
    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]

    class Text(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocabulary, embedded)
            self.rnn = layer(embedded, hidden, batch_first=batch_first)
            self.fc = nn.Linear(hidden, 3)

        def forward(self, ids):
            e = self.embedding(ids if batch_first else ids.T)
            out, state = self.rnn(e)
            if final_state:
                h = state[0] if kind == "lstm" else state
                return self.fc(h[-1])
            return self.fc(out[:, -1] if batch_first else out[-1])

    return Text


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_recurrent_models_split_where_the_batch_moves_to_axis_1(split_in, kind, parts):
    """Batch-first ids, made time-major for the recurrent primitive (the batch on axis 1), its
    packed output cut into y and reshaped, made batch-first again: the plan follows the batch
    through every step, and the split step equals eager."""
    split_in(parts)
    a, b, eager, compiled = _pair(_recurrent(kind), optimizer=lambda p: cr.optim.Adam(p, lr=1e-2))
    _assert_same_training(a, b, eager, compiled, H.batches("lstm", 8, batch=7))
    program = compiled.program()
    assert program.shard is not None, program.unsplit_reason
    assert shard.parts_of(program) == parts
    assert {1} <= set(program.shard.batched.values()) - {0}
    assert any(isinstance(v, shard.Packed) for v in program.shard.batched.values())


@pytest.mark.parametrize("variant", [dict(final_state=True), dict(batch_first=False)])
def test_recurrent_variants_split_too(split_in, variant):
    """The final state h_T (cut from the packed output, then stacked per layer) and a
    time-major model (ids transposed before the embedding) split and train as eager."""
    split_in(2)
    a, b, eager, compiled = _pair(_recurrent("lstm", **variant),
                                  optimizer=lambda p: cr.optim.Adam(p, lr=1e-2))
    _assert_same_training(a, b, eager, compiled, H.batches("lstm", 5, batch=6))
    assert compiled.program().shard is not None, compiled.program().unsplit_reason


def test_the_batch_axis_follows_transposes_and_indexing():
    def where(index, axis):
        return shard._index_keeps(index, axis)

    assert where((slice(None), -1), 0) == 0
    assert where((-1, slice(None)), 1) == 0            # y[-1]: (T, N, H) -> (N, H)
    assert where((slice(1, 3), slice(None)), 1) == 1   # a window in time keeps the axis
    assert where(2, 1) == 0
    assert where((slice(None), None), 0) == 0         # lengths[:, None]
    assert where((None, slice(None)), 0) == 1
    assert where((None, 0), 1) == 1
    for index, axis in [((slice(None), slice(0, 2)), 1), ((Ellipsis, 0), 1),
                        ((slice(None), np.array([0, 1])), 1), (slice(0, 2), 0)]:
        with pytest.raises(shard.NotSplit):
            where(index, axis)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("parts", [2, 3])
def test_batchnorm_in_training_splits_its_parts_sharing_the_batch_statistics(split_in, parts,
                                                                            fast):
    """The parts combine each BatchNorm's statistics and gradient sums midway, so 20 split
    steps equal eager's: losses, gradients, weights and the running statistics."""
    from chainrule import kernels

    split_in(parts)
    previous = kernels.enabled(fast)
    try:
        # SGD: the bias of a convolution before a BatchNorm has a gradient of rounding noise
        # only, which Adam would scale up to steps of size lr
        a, b, eager, compiled = _pair(H.batch_normed)
        _assert_same_training(a, b, eager, compiled, H.batches("batch_normed", 20, batch=7))
    finally:
        kernels.enabled(previous)
    program = compiled.program()
    assert program.shard is not None and len(program.shard.shared) == 2
    assert shard.parts_of(program) == parts
    assert int(b[1].num_batches_tracked.item()) == 20
    assert "meet at its 2 BatchNorm(s)" in compiled.plan(file=False)


def test_with_batchnorm_a_part_without_counted_targets_replays_whole_updating_once(split_in):
    """The split forward has already updated the running statistics when the loss finds a part
    with no counted target (0/0): they are put back before the step runs again unsplit."""
    split_in(2)
    loss_fn = cr.nn.CrossEntropyLoss(ignore_index=2)
    a, b, eager, compiled = _pair(H.batch_normed, loss_fn=loss_fn)
    rng = np.random.default_rng(2)
    data = [(cr.tensor(rng.standard_normal((8, 1, 16, 16))),
             cr.tensor(np.array([2] * 4 + [0, 1, 0, 1]))) for _ in range(3)]
    _assert_same_training(a, b, eager, compiled, data)


def test_a_failing_part_does_not_leave_the_other_waiting_for_the_statistics(split_in,
                                                                          monkeypatch):
    split_in(2)
    from chainrule.ops import norm

    a, b, eager, compiled = _pair(H.batch_normed)
    data = H.batches("lenet", 2, batch=6)
    compiled(*data[0])
    real = norm._whole_batch_statistics

    def fails_in_part_1(x3, axes, shared):
        if shared[1] == 1:
            raise FloatingPointError("part 1 failed")
        return real(x3, axes, shared)

    monkeypatch.setattr(norm, "_whole_batch_statistics", fails_in_part_1)
    with pytest.raises(FloatingPointError, match="part 1 failed"):
        compiled(*data[1])


@pytest.mark.parametrize("parts", [2, 3])
def test_a_residual_block_with_in_place_operations_and_batchnorm_splits(split_in, parts):
    split_in(parts)
    a, b, eager, compiled = _pair(H.residual)
    _assert_same_training(a, b, eager, compiled, H.batches("residual", 10, batch=9))
    assert compiled.program().shard is not None and len(compiled.program().shard.shared) == 1


def test_a_part_drops_each_value_after_its_last_read_as_the_unsplit_replay(split_in,
                                                                         monkeypatch):
    """Between the parts' forward and backward only the outputs and the loss are left in a part's
    slots (what the backward needs is in the contexts): a value no later step reads is not kept
    until the end of the call (LSTM benchmark step: 48.3 MiB peak before, 43.6 after; eager
    47.5)."""
    split_in(2)
    a, b, eager, compiled = _pair(_recurrent("lstm"), optimizer=lambda p: cr.optim.Adam(p))
    seen = []
    backward = shard._Part.backward

    def spy(part):
        seen.append({s for s, v in enumerate(part.env) if v is not None and
                     part.program.slots[s].kind in ("node", "random")})
        backward(part)

    monkeypatch.setattr(shard._Part, "backward", spy)
    _assert_same_training(a, b, eager, compiled, H.batches("lstm", 3, batch=7))
    program = compiled.program()
    loss = program.steps[program.shard.loss_step].out
    outputs = {v for kind, v in program.outputs[1] if kind != "value"}
    assert len(seen) == 4          # the first call traces; two replays of two parts
    for kept in seen:
        assert kept <= outputs | {loss}, kept


def test_a_split_lstm_step_peaks_below_eager():
    """Peak memory (tracemalloc) of one split step of a text LSTM, after warm-up, below eager's."""
    import tracemalloc

    parallel_parts = parallel.parts

    def peak(step, x, y):
        step(x, y)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            step(x, y)
            return tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()

    rng = np.random.default_rng(0)
    x = cr.tensor(rng.integers(0, 200, (16, 60)))
    y = cr.tensor(rng.integers(0, 3, 16))
    a, b, eager, compiled = _pair(_recurrent("lstm", sizes=(200, 32, 64)),
                                  optimizer=lambda p: cr.optim.Adam(p))
    try:
        parallel.parts = lambda size, nbytes=0, blas=False, **_: min(2, size)
        split = peak(compiled, x, y)
    finally:
        parallel.parts = parallel_parts
    assert shard.parts_of(compiled.program()) in (1, 2)
    assert split < peak(eager, x, y)
