"""``SyncBatchNorm``: batch normalization whose statistics cover the global batch of all ranks.

With data parallelism each rank sees only its shard of a batch. Plain BatchNorm then normalizes
with the shard's mean and variance, so the model trained on p ranks is not the one trained on
the global batch (and the shards' statistics are noisier). SyncBatchNorm all-reduces the sums
that define the statistics, so every rank normalizes with those of the global batch.
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from ...mathematics import Formula
from ...tensor import Tensor
from .normalization import _DX_LATEX, _DX_TEXT, _BatchNorm


def _allreduce(comm, array):
    from ...distributed import faults
    from ...distributed._mpi import mpi

    MPI = mpi()
    with faults.waiting("SyncBatchNorm's all-reduce"):
        comm.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
    return array


class _SyncBatchNormFunction(Function):
    r"""Batch normalization over the union of the ranks' batches (training mode).

    Forward:     N = Σᵣ nᵣ, μ = (1/N) Σ_{all ranks} x, σ² = (1/N) Σ_{all ranks} (x − μ)²
                 (two all-reduces: the sums, then the squared deviations), x̂ = (x − μ)/σ̃,
                 σ̃ = √(σ² + ε), y = γ x̂ + β
    VJP:         ∂L/∂x = (γ/σ̃)(G − (1/N)Σ_{all} G − x̂ (1/N)Σ_{all} G x̂)  (one all-reduce of the
                 two sums); ∂L/∂γ = Σ_{this rank} G x̂, ∂L/∂β = Σ_{this rank} G (local sums:
                 DistributedDataParallel averages them with the other gradients)
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps, comm):
        a = x._data
        c = a.shape[1]
        axes = (0,) + tuple(range(2, a.ndim))
        local = np.concatenate([a.sum(axis=axes, dtype=np.float64),
                                [a.size / c]]).astype(np.float64)
        _allreduce(comm, local)
        count = local[-1]
        shape = (1, c) + (1,) * (a.ndim - 2)
        mean = (local[:c] / count).astype(a.dtype)
        centred = a - mean.reshape(shape)
        squares = (centred * centred).sum(axis=axes, dtype=np.float64)
        _allreduce(comm, squares)
        var = (squares / count).astype(a.dtype)
        invstd = 1.0 / np.sqrt(var + eps)
        xhat = centred * invstd.reshape(shape)
        y = xhat
        if weight is not None:
            y = y * weight._data.reshape(shape)
        if bias is not None:
            y = y + bias._data.reshape(shape)
        ctx.stats = _SyncBatchNormFunction.last_stats = (mean, var, count)
        ctx.arrays = (xhat, invstd, None if weight is None else weight._data, shape, axes)
        ctx.comm = comm
        return Tensor._make(y)

    @staticmethod
    def backward(ctx, grad):
        xhat, invstd, w, shape, axes = ctx.arrays
        g = grad._data
        c = g.shape[1]
        sum_g = g.sum(axis=axes)
        sum_gx = (g * xhat).sum(axis=axes)
        both = _allreduce(ctx.comm, np.concatenate([sum_g, sum_gx]).astype(np.float64))
        count = ctx.stats[2]
        mean_g = (both[:c] / count).astype(g.dtype).reshape(shape)
        mean_gx = (both[c:] / count).astype(g.dtype).reshape(shape)
        scale = invstd if w is None else invstd * w
        dx = scale.reshape(shape) * (g - mean_g - xhat * mean_gx)
        dw = None if w is None else Tensor._make(sum_gx.astype(g.dtype))
        db = Tensor._make(sum_g.astype(g.dtype))
        return Tensor._make(dx), dw, db, None, None


def sync_batch_norm(x, weight, bias, eps: float, comm):
    """Functional form (training statistics) over the ranks of MPI communicator ``comm``;
    returns ``(y, (mean, biased var, global count))``."""
    y = _SyncBatchNormFunction.apply(x, weight, bias, eps, comm)
    return y, _SyncBatchNormFunction.last_stats


class SyncBatchNorm(_BatchNorm):
    """Batch normalization with the statistics of the global batch across all ranks
    (PyTorch's ``nn.SyncBatchNorm``; any input of at least 2 dimensions, channels on axis 1).

    Forward:     y = γ (x − μ)/√(σ² + ε) + β with μ, σ² (biased) per channel over the batch and
                 spatial axes of *every rank's* batch (training, in an initialised process
                 group of several ranks); otherwise exactly BatchNorm (one process, or
                 evaluation with the running estimates)
    Derivative:  ∂L/∂x = (γ/σ̃)(G − mean(G) − x̂·mean(G·x̂)), means over all ranks
    Running:     μ̂ ← (1 − m)μ̂ + mμ,  σ̂² ← (1 − m)σ̂² + m σ² N/(N − 1), N the global count

    Cost: two all-reduces of C + 1 numbers in the forward and one of 2C in the backward per
    layer and step (latency-bound: see docs/distributed.md). With it, p ranks with DDP train
    exactly the model one process trains on the global batch.

    >>> model = SyncBatchNorm.convert_sync_batchnorm(model)   # every BatchNorm*d replaced
    """

    _expected = "(N, C, ...) with at least 2 dimensions"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True):
        if process_group is not None:
            raise ValueError("SyncBatchNorm: chainrule has only the default process group "
                             "(process_group=None)")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias=bias)
        self.process_group = None

    def _check_input_dim(self, x) -> None:
        if x.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {x.ndim}D input)")

    def _spatial(self) -> str:
        return f"N×{self.num_features}×…"

    def forward(self, x):
        from ... import distributed as dist

        sync = (self.training and dist.is_initialized() and dist.get_world_size() > 1)
        if not sync:
            return super().forward(x)
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        y, (mean, var, count) = sync_batch_norm(x, self.weight, self.bias, self.eps,
                                                dist.process_group._comm())
        if self.track_running_stats:
            unbiased = var * (count / max(count - 1.0, 1.0))
            rm, rv = self.running_mean._data, self.running_var._data
            rm[...] = (1 - factor) * rm + factor * mean
            rv[...] = (1 - factor) * rv + factor * unbiased
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d/3d replaced by a SyncBatchNorm holding the
        same parameters and running statistics (PyTorch's helper)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       module.track_running_stats, process_group,
                       bias=module.affine and module.bias is not None)
            if module.affine:
                sync.weight = module.weight
                if module.bias is not None:
                    sync.bias = module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(sync, name, getattr(module, name))
            sync.train(module.training)
            return sync
        for name, child in list(module.named_children()):
            converted = cls.convert_sync_batchnorm(child, process_group)
            if converted is not child:
                setattr(module, name, converted)
        return module

    def formula(self) -> Formula:
        pairs = [("Forward", "y = γ ⊙ (x − μ)/√(σ² + ε) + β, μ and σ² over every rank's batch"),
                 ("Derivative", _DX_TEXT + ", means over every rank's batch")]
        latex = [r"y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,\quad "
                 r"\mu = \tfrac{1}{N}\textstyle\sum_{r}\sum x_r", _DX_LATEX]
        return Formula.of("SyncBatchNorm", pairs, latex,
                          "BatchNorm whose statistics are all-reduced across the ranks, so "
                          "that N ranks normalize with the global batch's mean and variance.")


__all__ = ["SyncBatchNorm", "sync_batch_norm"]
