"""``fit(..., distributed=True)``: Keras-style training on every rank of an MPI job.

The data every rank is given is the whole data set; each *global* batch (``batch_size``, as
Keras's distribution strategies count it) is cut into p contiguous shards, one per rank, of
⌊N/p⌋ or ⌈N/p⌉ samples. Rank r computes the mean loss Lᵣ over its nᵣ samples and
back-propagates the scaled loss (p·nᵣ/N)·Lᵣ; DistributedDataParallel averages the gradients,
giving

    (1/p) Σᵣ (p·nᵣ/N) ∇Lᵣ = Σᵣ (nᵣ/N) ∇Lᵣ = ∇L_global,

the gradient of the mean loss over the global batch, exactly, also when N is not a multiple of
p. So a run on p ranks takes the steps of a single-process run with the same ``batch_size`` and
learning rate, and the sequence of global batches (hence a checkpoint, and resuming from it)
does not depend on p. One small all-reduce per step gives the global batch's loss (the same
number on every rank, so the NaN guard and the callbacks decide alike); loss and metrics are
merged across ranks at the end of each epoch and of each evaluation.

Only rank 0 runs the callbacks that write (checkpoints, CSV and run logs, TensorBoard) and
shows progress; every rank runs the others (early stopping, schedules) on the same merged
logs, so they take the same decisions.

A DataLoader whose sampler is a :class:`~chainrule.utils.data.DistributedSampler` is used as it
is (each rank already has its share; PyTorch's habit, ``batch_size`` per rank); the sampler is
told the epoch.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from .. import backend
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ..training.trainer import Trainer, _batch_size, _forward
from . import process_group as pg

#: merged across ranks at the end of an epoch: summed numbers and arrays, concatenated lists
STATE_FIELDS = ("total", "weight", "correct", "count", "matrix", "labels", "scores")


def _take(x, lo: int, hi: int):
    if isinstance(x, (tuple, list)):
        return type(x)(_take(v, lo, hi) for v in x)
    if isinstance(x, Tensor):
        return Tensor._make(x._data[lo:hi])
    return x


class ShardedAdapter:
    """This rank's contiguous share of every batch of ``inner`` (an adapter of global
    batches): rows ⌊N·r/p⌋ … ⌊N·(r+1)/p⌋ − 1."""

    def __init__(self, inner, rank: int, world: int):
        self.inner, self.rank, self.world = inner, rank, world

    num_batches = property(lambda self: self.inner.num_batches)
    num_samples = property(lambda self: self.inner.num_samples)
    batch_size = property(lambda self: getattr(self.inner, "batch_size", None))
    loader = property(lambda self: getattr(self.inner, "loader", None))   # for checkpoints

    def epoch(self, epoch: int = 0):
        p, r = self.world, self.rank
        for x, y in self.inner.epoch(epoch):
            n = _batch_size(x)
            lo, hi = (n * r) // p, (n * (r + 1)) // p
            yield _take(x, lo, hi), (None if y is None else _take(y, lo, hi))


class SamplerEpochAdapter:
    """A per-rank loader (DistributedSampler): tells the sampler the epoch first."""

    def __init__(self, inner, sampler):
        self.inner, self.sampler = inner, sampler

    num_batches = property(lambda self: self.inner.num_batches)
    num_samples = property(lambda self: self.inner.num_samples)
    batch_size = property(lambda self: self.inner.batch_size)
    loader = property(lambda self: self.inner.loader)

    def epoch(self, epoch: int = 0):
        self.sampler.set_epoch(epoch)
        return self.inner.epoch(epoch)


def _state_fields(metric) -> tuple:
    """The names of ``metric``'s additive state: its class's ``distributed_state`` if it has
    one, else STATE_FIELDS for chainrule's own metrics; a ValueError for other metrics."""
    own = getattr(type(metric), "distributed_state", None)
    if own is not None:
        return tuple(own)
    if type(metric).__module__ == "chainrule.training.metrics":
        return STATE_FIELDS
    raise ValueError(f"fit(distributed=True): the metric {type(metric).__name__} has no "
                     "'distributed_state', so its state cannot be merged across ranks; give its "
                     "class distributed_state = ('field', ...), the attributes that add up over "
                     "the samples (numbers and arrays are summed, lists concatenated)")


def merge_states(metrics, comm) -> list:
    """Copies of ``metrics`` whose state is the sum over ranks (see STATE_FIELDS)."""
    mine = [{k: v for k, v in vars(m).items() if k in _state_fields(m)} for m in metrics]
    with pg.faults.waiting("merging the metrics of the ranks"):
        everyone = comm.allgather(mine)
    merged = []
    for i, metric in enumerate(metrics):
        m = copy.copy(metric)
        for key in mine[i]:
            values = [states[i][key] for states in everyone]
            first = values[0]
            if isinstance(first, list):
                setattr(m, key, [v for part in values for v in part])
            elif isinstance(first, np.ndarray):
                size = max(v.shape[0] for v in values)
                total = np.zeros((size,) * first.ndim, dtype=first.dtype)
                for v in values:
                    total[tuple(slice(0, s) for s in v.shape)] += v
                setattr(m, key, total)
            else:
                setattr(m, key, sum(values))
        merged.append(m)
    return merged


class DistributedTrainer(Trainer):
    """A Trainer whose steps run data-parallel (made by :func:`fit_distributed`)."""

    def _setup(self, ddp, comm):
        self.ddp = ddp
        self.comm = comm
        self.world = comm.Get_size()

    def train_step(self, x, y):
        if self.optimizer is not None:
            self.optimizer.zero_grad()
        else:
            self.model.zero_grad()
        n = _batch_size(x)
        out = loss = None
        local = np.zeros(2)
        if n:
            out = _forward(self.ddp, x)
            loss = self.compute_loss(out, y)
            local[:] = (float(loss._data) * n, n)
        MPI = pg.mpi()
        with pg.faults.waiting("the all-reduce of the batch's loss"):
            self.comm.Allreduce(MPI.IN_PLACE, local, op=MPI.SUM)
        value = float(local[0] / local[1])
        self._global_size = int(local[1])
        if not math.isfinite(value):
            return value, out
        optimizer = self.ensure_optimizer()
        if n:
            (loss * (self.world * n / local[1])).backward()
        else:
            self.ddp.reduce_gradients()
        optimizer.step()
        self.global_step += 1
        return value, out

    def test_step(self, x, y):
        self._global_size = None
        if not _batch_size(x):
            return 0.0, None
        with no_grad():
            out = _forward(self.model, x)
            return float(self.compute_loss(out, y)._data), out

    def _update_metrics(self, y, out) -> None:
        if out is not None:
            super()._update_metrics(y, out)

    def results(self, per_batch: bool = False) -> dict:
        if per_batch:                 # the batch's logs: the global batch's size (samples/s)
            logs = super().results(per_batch)
            if getattr(self, "_global_size", None):
                logs["size"] = self._global_size
            return logs
        loss, *metrics = merge_states([self.loss_tracker, *self.metrics], self.comm)
        logs = {"loss": loss.result()}
        for metric in metrics:
            logs[metric.name] = metric.result()
        return logs


#: callback classes only rank 0 runs (they write files or show progress)
def _writes(callback) -> bool:
    from ..training.callbacks import CSVLogger, ModelCheckpoint, TensorBoard

    if getattr(callback, "rank_zero_only", False):
        return True
    if isinstance(callback, (ModelCheckpoint, CSVLogger, TensorBoard)):
        return True
    return type(callback).__name__ in ("RunLogger",)


def describe(world: int, batch_size, lr, per_rank: bool = False) -> str:
    """The line printed at the start: the global batch and the learning-rate scale rule."""
    if per_rank:
        glob = f"{batch_size} per rank × {world} ranks = global batch {batch_size * world}"
    else:
        share = f"{batch_size // world}" + ("" if batch_size % world == 0 else
                                            f"–{-(-batch_size // world)}")
        glob = f"global batch {batch_size} = {world} ranks × {share} samples"
    lr_text = f"lr {lr:g}" if lr is not None else "the optimizer's lr"
    return (f"Data-parallel training on {world} MPI ranks: {glob}; gradients are averaged "
            f"over the global batch, so {lr_text} acts as in one process with that batch "
            f"(linear scaling rule: growing the global batch k-fold, e.g. by keeping the "
            f"per-rank batch and adding ranks, calls for about k × the lr, with warm-up).")


def fit_distributed(trainer: Trainer, train, validation, epochs: int, initial_epoch: int,
                    callbacks, verbose, stream=None):
    """``fit`` on every rank of the job (see the module docstring); returns the History."""
    from ..data import DataLoader
    from ..nn.parallel import DistributedDataParallel
    from ..training.data_adapter import LoaderAdapter
    from ..utils.data import DistributedSampler

    if not pg.is_initialized():
        pg.init_process_group(backend="mpi")
    comm = pg._comm()
    rank, world = comm.Get_rank(), comm.Get_size()
    model = trainer.model
    # one random stream for all ranks: rank 0's (shuffling orders, seeds drawn from it)
    gen = backend.generator()
    gen.bit_generator.state = comm.bcast(gen.bit_generator.state, root=0)
    per_rank = False

    def shard(adapter):
        nonlocal per_rank
        loader = getattr(adapter, "loader", None)
        sampler = getattr(loader, "sampler", None)
        if isinstance(adapter, LoaderAdapter) and isinstance(sampler, DistributedSampler):
            per_rank = True
            return SamplerEpochAdapter(adapter, sampler)
        if isinstance(loader, DataLoader):
            loader.base_seed = comm.bcast(loader.base_seed, root=0)
        return ShardedAdapter(adapter, rank, world)

    for metric in trainer.metrics:
        _state_fields(metric)
    train = shard(train)
    validation = None if validation is None else shard(validation)
    if trainer.optimizer is None and any(p.requires_grad for p in model.parameters()):
        trainer.ensure_optimizer()
    if trainer.optimizer is None:
        raise ValueError("fit(distributed=True): the model has no trainable parameters yet (its "
                         "layers create their weights on the first batch); run it once on a "
                         "batch, e.g. model(x[:1]), before fit, so that every rank can start "
                         "from rank 0's weights")
    ddp = DistributedDataParallel(model)
    steps = copy.copy(trainer)
    steps.__class__ = DistributedTrainer
    steps._setup(ddp, comm)
    callbacks = list(callbacks or [])
    if rank != 0:
        callbacks = [c for c in callbacks if not _writes(c)]
        verbose = 0
    elif verbose:
        lr = None
        if trainer.optimizer is not None and trainer.optimizer.param_groups:
            lr = trainer.optimizer.param_groups[0].get("lr")
        batch = getattr(train, "batch_size", None)
        if batch:
            print(describe(world, batch, lr, per_rank), file=stream, flush=True)
    object.__setattr__(model, "_trainer", steps)     # what callbacks and checkpoints see
    try:
        history = steps.fit(train, validation, epochs, initial_epoch, callbacks, verbose, stream)
    finally:
        object.__setattr__(model, "_trainer", trainer)
        for handle in ddp._handles:
            handle.remove()
        trainer.global_step = steps.global_step
        trainer.optimizer = steps.optimizer
    return history


def is_rank_zero() -> bool:
    """True in a single process, or on rank 0 of an initialised group."""
    return not pg.is_initialized() or pg.get_rank() == 0


__all__ = ["fit_distributed", "DistributedTrainer", "ShardedAdapter", "merge_states",
           "describe", "is_rank_zero"]
