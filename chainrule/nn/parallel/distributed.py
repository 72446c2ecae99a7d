"""``DistributedDataParallel``: the same model on every rank, gradients averaged after backward.

Each of the p ranks computes the gradient gᵣ = ∇θ Lᵣ of the loss on its own shard of the
batch; after backward every rank holds the average

    ḡ = (1/p) Σᵣ gᵣ

(LaTeX: \\bar g = \\frac{1}{p}\\sum_{r=1}^{p} g_r), so the optimizers, started from the same
weights (broadcast from rank 0 at construction), take the same step everywhere. With equal
shards of a mean loss, ḡ is exactly the gradient of the loss on the whole global batch.

How the averaging is scheduled (as in PyTorch's reducer): the parameters, in reverse order of
``module.parameters()`` (roughly the order backward produces their gradients), are packed into
*buckets*, each closed once it reaches ``bucket_cap_mb`` MiB (the first at 1 MiB, so that
communication starts early; PyTorch's sizes and rule). Each bucket is one contiguous buffer;
when backward has accumulated the gradients of all the bucket's parameters
(``register_post_accumulate_grad_hook``), they are copied into the buffer and a non-blocking
``MPI_Iallreduce`` starts on it, overlapping the rest of the backward pass.
At the end of backward (an engine callback) the buckets are waited for, divided by p and copied
back into each ``param.grad``. A few large messages instead of one per parameter: the latency
term of the cost model is paid once per bucket (docs/distributed.md).
"""
from __future__ import annotations

import contextlib

import numpy as np

from ...autograd import hooks
from ...autograd.grad_mode import _GradMode
from ...tensor import Tensor
from ..module import Module

FIRST_BUCKET_BYTES = 1024 * 1024        # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    def __init__(self, params: list, dtype):
        self.params = params
        self.sizes = [int(p._data.size) for p in params]
        self.offsets = np.cumsum([0] + self.sizes)
        self.buffer = np.zeros(int(self.offsets[-1]), dtype=dtype)
        self.ready = 0
        self.request = None

    def view(self, i: int):
        return self.buffer[self.offsets[i]:self.offsets[i + 1]]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    Args (PyTorch's signature; the CPU-only and NCCL-specific ones are accepted and ignored
    where they change nothing here):
        module: the model. Its parameters and buffers are broadcast from rank 0 at
            construction (``init_sync=True``).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank before each forward.
        bucket_cap_mb: bucket size in MiB (default 25, as PyTorch).
        find_unused_parameters: allow parameters that receive no gradient in a backward (their
            slot is zero on that rank). Without it such a parameter is an error, as in PyTorch.
        gradient_as_bucket_view: accepted; gradients are always copied back.

    ``ddp.module`` is the wrapped model (save ``ddp.module.state_dict()`` for a checkpoint a
    single process loads); ``with ddp.no_sync():`` skips the all-reduce, for gradient
    accumulation over several backward passes (the next synchronised backward averages the
    accumulated gradients).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **kwargs):
        super().__init__()
        from ... import distributed as dist

        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a chainrule.nn.Module, got "
                            f"{type(module).__name__}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the default process group has not been "
                               "initialized; call chainrule.distributed.init_process_group("
                               "backend='mpi') first (and start with mpiexec -n N)")
        if process_group is not None:
            raise ValueError("DistributedDataParallel: chainrule has only the default group "
                             "(process_group=None)")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got "
                             f"{bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.bucket_cap_mb = float(bucket_cap_mb)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._dist = dist
        self._world = dist.get_world_size()
        self._pending = False            # a forward whose backward should synchronise
        self._next = 0                   # the next bucket to launch
        self._launched = False           # this backward's end callback is queued
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._check_shapes()
        if init_sync:
            self._sync_module_states()
        self._buckets = self._make_buckets(self.bucket_cap_mb * 1024 * 1024)
        self._where = {}
        for b, bucket in enumerate(self._buckets):
            for i, p in enumerate(bucket.params):
                self._where[id(p)] = (b, i)
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready)
                         for p in self._params]
        self.stats = {"allreduce_bytes": int(sum(b.buffer.nbytes for b in self._buckets)),
                      "buckets": len(self._buckets)}

    # ------------------------------------------------------------------ construction
    def _check_shapes(self) -> None:
        mine = [(name, tuple(p.shape), str(p._data.dtype))
                for name, p in self.module.named_parameters()]
        everyone = [None] * self._world
        self._dist.all_gather_object(everyone, mine)
        for r, theirs in enumerate(everyone):
            if theirs != mine:
                diff = next(((a, b) for a, b in zip(mine, theirs) if a != b),
                            (f"{len(mine)} parameters", f"{len(theirs)} parameters"))
                raise RuntimeError(f"DistributedDataParallel: rank {r} has a different model "
                                   f"from rank {self._dist.get_rank()}: {diff[1]} there, "
                                   f"{diff[0]} here. Every rank must build the same model.")

    def _sync_module_states(self) -> None:
        """Broadcast rank 0's parameters and buffers, packed into one buffer per dtype."""
        tensors = list(self.module.parameters()) + [b for b in self.module.buffers()
                                                    if b is not None]
        _broadcast_packed(tensors)

    def _make_buckets(self, cap: float) -> list:
        buckets, current, size, dtype = [], [], 0, None
        limit = min(FIRST_BUCKET_BYTES, cap)
        for p in reversed(self._params):
            if current and p._data.dtype != dtype:          # one dtype per bucket
                buckets.append(_Bucket(current, dtype))
                current, size, limit = [], 0, cap
            current.append(p)
            size += p._data.nbytes
            dtype = p._data.dtype
            if size >= limit:                                # full once it reaches the cap
                buckets.append(_Bucket(current, dtype))
                current, size, limit = [], 0, cap
        if current:
            buckets.append(_Bucket(current, dtype))
        return buckets

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = [b for b in self.module.buffers() if b is not None]
            if buffers:
                _broadcast_packed(buffers)
        self._pending = _GradMode.enabled and self.require_backward_grad_sync
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates local gradients without communicating."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ------------------------------------------------------------------ backward
    def _grad_ready(self, param) -> None:
        if not self._pending:
            return
        if not self._launched:
            self._launched = True
            hooks.queue_callback(self._finish)
        if 0 < self._next:
            # MPI moves a non-blocking message on only inside MPI calls (no progress thread by
            # default): testing the buckets in flight lets them advance during the backward
            self._test([bk.request for bk in self._buckets[:self._next]])
        b, i = self._where[id(param)]
        bucket = self._buckets[b]
        bucket.view(i)[...] = param.grad._data.reshape(-1)
        bucket.ready += 1
        # buckets go out in index order on every rank (MPI matches collectives by order)
        while self._next < len(self._buckets) and \
                self._buckets[self._next].ready == len(self._buckets[self._next].params):
            self._launch(self._buckets[self._next])
            self._next += 1

    @staticmethod
    def _test(requests) -> None:
        from ...distributed._mpi import mpi

        mpi().Request.Testall(requests)

    def _launch(self, bucket: _Bucket) -> None:
        from ...distributed._mpi import mpi

        MPI = mpi()
        bucket.request = self._dist.process_group._comm().Iallreduce(MPI.IN_PLACE, bucket.buffer,
                                                                     op=MPI.SUM)

    def _finish(self) -> None:
        """End of backward: launch incomplete buckets, wait for all, write the averages back."""
        self._pending = self._launched = False
        self._next = 0
        for bucket in self._buckets:
            if bucket.request is None:
                missing = [p for p in bucket.params if p.grad is None]
                if missing and not self.find_unused_parameters:
                    names = {id(p): n for n, p in self.module.named_parameters()}
                    raise RuntimeError(
                        f"DistributedDataParallel: parameter(s) {[names[id(p)] for p in missing]}"
                        " received no gradient in this backward pass, so the ranks cannot "
                        "average them; pass find_unused_parameters=True (their gradient then "
                        "counts as zero on this rank), or use every parameter in the loss")
                for i, p in enumerate(bucket.params):
                    if p.grad is None:
                        bucket.view(i)[...] = 0
                    elif bucket.ready < len(bucket.params):
                        bucket.view(i)[...] = p.grad._data.reshape(-1)
                self._launch(bucket)
        self._dist.process_group._wait_all([b.request for b in self._buckets],
                                           "DistributedDataParallel's gradient all-reduce")
        scale = 1.0 / self._world
        for bucket in self._buckets:
            bucket.buffer *= scale
            for i, p in enumerate(bucket.params):
                averaged = bucket.view(i).reshape(p._data.shape)
                if p.grad is None:
                    p.grad = Tensor._from_op(averaged.copy(), None)
                else:
                    p.grad._data[...] = averaged
            bucket.ready = 0
            bucket.request = None

    def reduce_gradients(self) -> None:
        """All-reduce (average) the current ``.grad`` of every parameter now, outside backward
        (a rank whose shard of a batch is empty takes part this way; missing grads count as
        zero)."""
        for bucket in self._buckets:
            for i, p in enumerate(bucket.params):
                bucket.view(i)[...] = 0 if p.grad is None else p.grad._data.reshape(-1)
            bucket.ready = len(bucket.params)
            self._launch(bucket)
        find = self.find_unused_parameters
        self.find_unused_parameters = True
        try:
            self._finish()
        finally:
            self.find_unused_parameters = find

    def __repr__(self) -> str:
        return f"DistributedDataParallel(\n  (module): {self.module!r}\n)"


def _broadcast_packed(tensors) -> None:
    """Broadcast rank 0's values of ``tensors`` into everyone's, one message per dtype."""
    from ... import distributed as dist

    comm = dist.process_group._comm()
    by_dtype: dict = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    requests, packs = [], []
    for group in by_dtype.values():
        flat = np.concatenate([t._data.reshape(-1) for t in group]) if group else None
        packs.append((group, flat))
        requests.append(comm.Ibcast(flat, root=0))
    dist.process_group._wait_all(requests, "broadcast of rank 0's parameters and buffers")
    for group, flat in packs:
        start = 0
        for t in group:
            n = t._data.size
            t._data[...] = flat[start:start + n].reshape(t._data.shape)
            start += n


__all__ = ["DistributedDataParallel"]
