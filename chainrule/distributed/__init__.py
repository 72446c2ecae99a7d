"""Data-parallel training over MPI, with PyTorch's ``torch.distributed`` names.

    # train.py — run with:  mpiexec -n 4 python train.py   (or srun on a Slurm cluster)
    import chainrule as torch
    import chainrule.distributed as dist
    from chainrule.nn.parallel import DistributedDataParallel as DDP
    from chainrule.utils.data import DataLoader, DistributedSampler

    dist.init_process_group(backend="mpi")
    model = DDP(Net())                       # rank 0's weights everywhere
    sampler = DistributedSampler(dataset)    # 1/p of each epoch per rank
    loader = DataLoader(dataset, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    dist.destroy_process_group()

The processes are started by an MPI launcher; MPI (mpi4py with the ``mpich`` wheel from PyPI,
or a cluster's own MPI) is imported only when ``init_process_group`` is called. Collectives are
in :mod:`.process_group`; what happens when a rank fails in :mod:`.faults`; the Keras-style
``fit(..., distributed=True)`` in :mod:`.training`. docs/distributed.md has the mathematics and
the cost model.
"""
from .faults import abort
from .process_group import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    reduce_scatter,
)

__all__ = ["ReduceOp", "Work", "init_process_group", "destroy_process_group", "is_available",
           "is_initialized", "is_mpi_available", "get_backend", "get_rank", "get_world_size",
           "barrier", "all_reduce", "broadcast", "all_gather", "reduce_scatter",
           "all_gather_object", "broadcast_object_list", "abort"]
