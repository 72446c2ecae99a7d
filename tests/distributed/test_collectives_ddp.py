"""Collectives, DistributedDataParallel and DistributedSampler on 2 and 3 MPI ranks.

The Must-show of issue 16: with 2 ranks, one epoch of the MLP and of LeNet gives the
parameters of a single-process run on the same global batches (float64 within 1e-10, float32
within 1e-5); with 3 ranks (uneven shards) the sampler covers every sample once per epoch, or
pads as PyTorch does.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch.utils.data as tud

import chainrule as cr
import chainrule.distributed as dist
from chainrule.utils.data import DistributedSampler

from .helpers import run_checks


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two_ranks")
    result = run_checks(2, "collectives", "ddp_mlp", "ddp_lenet", "ddp_no_sync", "fit_arrays",
                        "ddp_syncbn", "fit_sampler_loader", extra_env={"WORKER_DIR": str(folder)})
    result["folder"] = folder
    return result


@pytest.fixture(scope="module")
def three_ranks():
    return run_checks(3, "collectives", "sampler_coverage", "ddp_syncbn")


def _collectives_ok(result, world):
    assert result["world"] == world
    for rank in result["ranks"]:
        for key, value in rank.items():
            if isinstance(value, bool):
                assert value, key
            else:
                tol = 1e-6 if "float32" in key else 1e-12
                assert value <= tol, (key, value)


@pytest.mark.slow
def test_collectives_on_two_ranks(two_ranks):
    _collectives_ok(two_ranks["collectives"], 2)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["ddp_mlp", "ddp_lenet"])
def test_ddp_epoch_equals_single_process_run(two_ranks, model):
    for dtype, tol in (("float64", 1e-10), ("float32", 1e-5)):
        r = two_ranks[model][dtype]
        assert r["same_start"] == 0.0          # rank 0's weights were broadcast
        assert r["ranks_agree"]
        assert r["max_diff"] <= tol, (model, dtype, r)
    assert two_ranks["ddp_lenet"]["float64"]["buckets"] > 1     # small buckets: several messages


@pytest.mark.slow
def test_ddp_no_sync_accumulates_then_averages(two_ranks):
    r = two_ranks["ddp_no_sync"]
    assert r["ranks_agree"] and r["max_diff"] <= 1e-10


@pytest.mark.slow
def test_sync_batchnorm_trains_the_global_batch_model(two_ranks, three_ranks):
    """SyncBatchNorm + DDP on p ranks = BatchNorm2d on the global batch in one process:
    parameters, running statistics and evaluation outputs (float64)."""
    for result in (two_ranks["ddp_syncbn"], three_ranks["ddp_syncbn"]):
        assert result["keys"]
        assert result["max_diff"] <= 1e-10 and result["eval_diff"] <= 1e-10, result


@pytest.mark.slow
def test_fit_distributed_equals_fit_in_one_process(two_ranks):
    """97 samples, global batches of 21 (the last 13: shards of 10 and 11 rows, and shards of
    10 and 11 within each batch of 21): parameters and logged loss, accuracy, val_* equal."""
    for rank, r in enumerate(two_ranks["fit_arrays"]):
        assert r["float64"]["keys"] and r["float32"]["keys"]
        assert r["float64"]["params"] <= 1e-10 and r["float64"]["logs"] <= 1e-10
        assert r["float32"]["params"] <= 1e-5 and r["float32"]["logs"] <= 1e-5
        assert r["csv_written"] == (rank == 0)              # only rank 0 writes
    assert not (two_ranks["folder"] / "log-1.csv").exists()


@pytest.mark.slow
def test_fit_distributed_with_a_distributed_sampler_loader(two_ranks):
    r = two_ranks["fit_sampler_loader"]
    assert r["epoch_seen"] == 1                   # fit told the sampler each epoch
    assert r["max_diff"] <= 1e-10, r


@pytest.mark.slow
def test_three_ranks_collectives_and_sampler_coverage(three_ranks):
    _collectives_ok(three_ranks["collectives"], 3)
    for case in three_ranks["sampler_coverage"]:
        n, shares = case["n"], case["shares"]
        flat = [i for share in shares for i in share]
        assert len(set(map(len, shares))) == 1 and case["len"] == len(shares[0])
        if case["drop_last"]:
            assert len(set(flat)) == len(flat) == 3 * (n // 3)     # no sample twice
        else:
            assert sorted(set(flat)) == list(range(n))             # every sample …
            assert len(flat) == 3 * -(-n // 3)                      # … padded to 3·⌈n/3⌉
        if not case["shuffle"]:                                     # PyTorch's arithmetic
            for r, share in enumerate(shares):
                theirs = tud.DistributedSampler(range(n), num_replicas=3, rank=r, shuffle=False,
                                                drop_last=case["drop_last"])
                assert share == list(theirs), case


# --------------------------------------------------------------------- without mpiexec
@pytest.mark.parametrize("n", [1, 2, 5, 9, 10, 11, 16])
@pytest.mark.parametrize("p", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_arithmetic_matches_torch(n, p, drop_last):
    if drop_last and n < p:
        return                                  # PyTorch gives every rank nothing; so do we
    for r in range(p):
        ours = DistributedSampler(range(n), num_replicas=p, rank=r, shuffle=False,
                                  drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), num_replicas=p, rank=r, shuffle=False,
                                        drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_sampler_shuffles_per_epoch_and_pads_with_the_head():
    shares = []
    for r in range(3):
        s = DistributedSampler(range(10), num_replicas=3, rank=r, seed=1)
        s.set_epoch(4)
        shares.append(s.indices())
    order = np.random.default_rng([1, 4]).permutation(10)
    padded = np.concatenate([order, order[:2]])
    for r in range(3):
        assert shares[r].tolist() == padded[r::3].tolist()
    s = DistributedSampler(range(10), num_replicas=3, rank=0, seed=1)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first


def test_sampler_errors():
    with pytest.raises(ValueError, match="rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    if not dist.is_initialized():
        with pytest.raises(RuntimeError, match="init_process_group"):
            DistributedSampler(range(4))


def test_errors_before_init_and_bad_backend():
    assert dist.is_available()
    if dist.is_initialized():
        pytest.skip("a process group is initialised in this process")
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="init_process_group"):
        dist.all_reduce(cr.ones(2))
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group(backend="nccl")
    from chainrule.nn.parallel import DistributedDataParallel

    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(cr.nn.Linear(2, 2))
