"""The program the tests in this folder start under ``mpiexec -n N``: several checks per launch
(each launch pays for importing chainrule), results printed by rank 0 as one JSON line.

    mpiexec -n 2 python tests/distributed/worker.py collectives ddp_mlp ddp_lenet
"""
from __future__ import annotations

import json
import sys

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule.data import DataLoader, TensorDataset
from chainrule.models import get_model
from chainrule.nn.parallel import DistributedDataParallel as DDP
from chainrule.utils.data import DistributedSampler

CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def _inputs(rank: int, shape, dtype=np.float64):
    return np.random.default_rng(100 + rank).normal(size=shape).astype(dtype)


@check
def collectives():
    """Each collective against NumPy on every rank's inputs (every rank can draw them)."""
    p, r = dist.get_world_size(), dist.get_rank()
    every = [_inputs(s, (3, 4)) for s in range(p)]
    out = {}
    for op, ref in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean),
                    (dist.ReduceOp.MAX, np.max), (dist.ReduceOp.MIN, np.min),
                    (dist.ReduceOp.PRODUCT, np.prod)):
        t = cr.tensor(every[r].copy())
        dist.all_reduce(t, op=op)
        out[f"all_reduce_{op.name}"] = float(np.abs(t.numpy() - ref(every, axis=0)).max())
    ints = cr.tensor(np.array([r + 1, 2 * r, 5], dtype=np.int64))
    dist.all_reduce(ints, op=dist.ReduceOp.BOR)
    out["all_reduce_BOR_int"] = ints.numpy().tolist() == np.bitwise_or.reduce(
        [np.array([s + 1, 2 * s, 5]) for s in range(p)]).tolist()
    t32 = cr.tensor(every[r].astype(np.float32))
    work = dist.all_reduce(t32, async_op=True)
    work.wait()
    out["all_reduce_async_float32"] = float(np.abs(t32.numpy() - np.sum(every, 0)).max())
    base = cr.tensor(every[r].copy())
    column = base[:, 1]                                   # a non-contiguous view, in place
    dist.all_reduce(column)
    out["all_reduce_view"] = float(np.abs(base.numpy()[:, 1] - np.sum(every, 0)[:, 1]).max())
    out["all_reduce_view_rest"] = bool(np.array_equal(base.numpy()[:, 0], every[r][:, 0]))
    b = cr.tensor(every[r].copy())
    dist.broadcast(b, src=p - 1)
    out["broadcast"] = bool(np.array_equal(b.numpy(), every[p - 1]))
    gathered = [cr.zeros(3, 4, dtype=cr.float64) for _ in range(p)]
    dist.all_gather(gathered, cr.tensor(every[r]))
    out["all_gather"] = all(np.array_equal(g.numpy(), every[s]) for s, g in enumerate(gathered))
    lists = [[_inputs(10 * s + k, (2, 3)) for k in range(p)] for s in range(p)]
    y = cr.zeros(2, 3, dtype=cr.float64)
    dist.reduce_scatter(y, [cr.tensor(a) for a in lists[r]])
    out["reduce_scatter"] = float(np.abs(y.numpy() - sum(lists[s][r] for s in range(p))).max())
    dist.barrier()
    try:
        dist.all_reduce(cr.tensor([1, 2]), op=dist.ReduceOp.AVG)
        out["avg_int_raises"] = False
    except TypeError:
        out["avg_int_raises"] = True
    everyone = [None] * p
    dist.all_gather_object(everyone, out)
    return {"world": p, "ranks": everyone}


def _data(n: int, shape, dtype, seed: int = 7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)).astype(dtype)
    y = rng.integers(0, 10, size=n)
    return x, y


def _train_ddp_vs_single(name: str, dtype, optimizer: str, per_rank: int, steps: int,
                         bucket_cap_mb=None, accumulate: int = 1):
    """One epoch on p ranks (DistributedSampler + DDP) and, on every rank, a single-process run
    on the same global batches; returns the largest parameter difference."""
    p, r = dist.get_world_size(), dist.get_rank()
    shape = (784,) if name == "mlp" else (1, 28, 28)
    n = per_rank * p * steps * accumulate
    x, y = _data(n, shape, dtype)
    default = cr.get_default_dtype()
    cr.set_default_dtype(cr.float64 if dtype == np.float64 else cr.float32)
    try:
        cr.manual_seed(1000 + r)                 # different inits: DDP must broadcast rank 0's
        model = get_model(name)
        cr.manual_seed(1000)
        reference = get_model(name)              # rank 0's initial weights
    finally:
        cr.set_default_dtype(default)
    ddp = DDP(model, bucket_cap_mb=bucket_cap_mb)
    same_start = max(float(np.abs(a.numpy() - b.numpy()).max())
                     for a, b in zip(model.parameters(), reference.parameters()))

    def make_optimizer(params):
        if optimizer == "sgd":
            return cr.optim.SGD(params, lr=0.05, momentum=0.9)
        return cr.optim.Adam(params, lr=1e-3)

    opt, ref_opt = make_optimizer(model.parameters()), make_optimizer(reference.parameters())
    loss_fn = cr.nn.CrossEntropyLoss()
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, seed=3)
    sampler.set_epoch(1)
    loader = DataLoader(dataset, batch_size=per_rank, sampler=sampler)
    shards = [DistributedSampler(dataset, num_replicas=p, rank=s, seed=3) for s in range(p)]
    for s in shards:
        s.set_epoch(1)
    orders = [s.indices() for s in shards]
    batches = list(loader)
    for step in range(steps):
        opt.zero_grad()
        ref_opt.zero_grad()
        for k in range(accumulate):
            xb, yb = batches[step * accumulate + k]
            sync = k == accumulate - 1
            if sync:
                loss = loss_fn(ddp(xb), yb) / accumulate
                loss.backward()
            else:
                with ddp.no_sync():
                    (loss_fn(ddp(xb), yb) / accumulate).backward()
            j = step * accumulate + k
            idx = np.concatenate([o[j * per_rank:(j + 1) * per_rank] for o in orders])
            ref_loss = loss_fn(reference(cr.tensor(x[idx])), cr.tensor(y[idx])) / accumulate
            ref_loss.backward()
        opt.step()
        ref_opt.step()
    diff = max(float(np.abs(a.numpy() - b.numpy()).max())
               for a, b in zip(model.parameters(), reference.parameters()))
    everyone = [None] * p
    mine = [float(v) for v in np.concatenate([q.numpy().ravel()[:5] for q in model.parameters()])]
    dist.all_gather_object(everyone, mine)
    return {"max_diff": diff, "same_start": same_start, "buckets": ddp.stats["buckets"],
            "ranks_agree": all(e == everyone[0] for e in everyone), "steps": steps}


@check
def ddp_mlp():
    return {"float64": _train_ddp_vs_single("mlp", np.float64, "sgd", 16, 4),
            "float32": _train_ddp_vs_single("mlp", np.float32, "adam", 16, 4)}


@check
def ddp_lenet():
    return {"float64": _train_ddp_vs_single("lenet", np.float64, "adam", 8, 3,
                                            bucket_cap_mb=0.05),
            "float32": _train_ddp_vs_single("lenet", np.float32, "sgd", 8, 3)}


@check
def ddp_no_sync():
    return _train_ddp_vs_single("mlp", np.float64, "sgd", 8, 2, accumulate=3)


@check
def ddp_syncbn():
    """Conv–SyncBatchNorm–ReLU–Linear on p ranks (DDP, equal shards) against Conv–BatchNorm2d
    on the global batch in one process: parameters and running statistics."""
    p, r = dist.get_world_size(), dist.get_rank()
    default = cr.get_default_dtype()
    cr.set_default_dtype(cr.float64)

    def build(norm):
        cr.manual_seed(21)
        return cr.nn.Sequential(cr.nn.Conv2d(2, 4, 3), norm(4), cr.nn.ReLU(), cr.nn.Flatten(),
                                cr.nn.Linear(4 * 4 * 4, 3))
    try:
        model, reference = build(cr.nn.SyncBatchNorm), build(cr.nn.BatchNorm2d)
    finally:
        cr.set_default_dtype(default)
    ddp = DDP(model)
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = cr.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(3)
    per_rank = 5
    for _ in range(3):
        x = rng.normal(size=(per_rank * p, 2, 6, 6)) * 2 + 1
        y = rng.integers(0, 3, per_rank * p)
        mine = slice(r * per_rank, (r + 1) * per_rank)
        opt.zero_grad()
        cr.nn.functional.cross_entropy(ddp(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
        opt.step()
        ref_opt.zero_grad()
        cr.nn.functional.cross_entropy(reference(cr.tensor(x)), cr.tensor(y)).backward()
        ref_opt.step()
    state, ref_state = model.state_dict(), reference.state_dict()
    diff = max(float(np.abs(np.asarray(state[k].numpy(), float)
                            - np.asarray(ref_state[k].numpy(), float)).max()) for k in ref_state)
    model.eval()
    reference.eval()
    x = cr.tensor(rng.normal(size=(4, 2, 6, 6)))
    out = float(np.abs(model(x).detach().numpy() - reference(x).detach().numpy()).max())
    return {"max_diff": diff, "eval_diff": out, "keys": sorted(state) == sorted(ref_state)}


@check
def sampler_coverage():
    """Each rank's indices for several sizes; rank 0 checks disjointness and coverage."""
    p = dist.get_world_size()
    out = []
    for n in (10, 11, 12, 7, 2):
        for drop_last in (False, True):
            for shuffle in (False, True):
                s = DistributedSampler(range(n), shuffle=shuffle, seed=5, drop_last=drop_last)
                s.set_epoch(2)
                mine = s.indices().tolist()
                everyone = [None] * p
                dist.all_gather_object(everyone, mine)
                out.append({"n": n, "drop_last": drop_last, "shuffle": shuffle,
                            "lengths": [len(e) for e in everyone], "shares": everyone,
                            "len": len(s)})
    return out


def _fit(distributed: bool, dtype, x, y, xv, yv, callbacks=()):
    default = cr.get_default_dtype()
    cr.set_default_dtype(cr.float64 if dtype == np.float64 else cr.float32)
    try:
        cr.manual_seed(5 + (dist.get_rank() if distributed else 0))
        model = get_model("mlp", in_features=20, hidden_sizes=(16,), num_classes=3)
    finally:
        cr.set_default_dtype(default)
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"], lr=1e-2)
    history = model.fit(x, y, batch_size=21, epochs=2, validation_data=(xv, yv), verbose=0,
                        seed=11, distributed=distributed, callbacks=list(callbacks))
    return model, history.history


@check
def fit_arrays():
    """fit(distributed=True) against fit() in one process: parameters and logs."""
    import os

    from chainrule.training.callbacks import CSVLogger

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(97, 20)), rng.integers(0, 3, 97)      # 5 batches, the last of 13
    xv, yv = rng.normal(size=(31, 20)), rng.integers(0, 3, 31)
    out = {}
    folder = os.environ.get("WORKER_DIR", ".")
    csv = os.path.join(folder, f"log-{dist.get_rank()}.csv")
    for dtype in (np.float64, np.float32):
        model, logs = _fit(True, dtype, x, y, xv, yv, [CSVLogger(csv)])
        ref, ref_logs = _fit(False, dtype, x, y, xv, yv)
        key = np.dtype(dtype).name
        out[key] = {"params": max(float(np.abs(a.numpy() - b.numpy()).max())
                                  for a, b in zip(model.parameters(), ref.parameters())),
                    "logs": max(abs(a - b) for k in ref_logs
                                for a, b in zip(logs[k], ref_logs[k])),
                    "keys": sorted(logs) == sorted(ref_logs)}
    out["csv_written"] = os.path.exists(csv)
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, out)
    return everyone


@check
def fit_sampler_loader():
    """fit(distributed=True) on a DataLoader with a DistributedSampler (PyTorch's habit: batch
    per rank): the epoch reaches the sampler, the ranks stay identical, and the steps are those
    of one process on the union of the ranks' batches."""
    p, r = dist.get_world_size(), dist.get_rank()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(48, 6)), rng.integers(0, 3, 48)
    dataset = TensorDataset(x, y)

    def build():
        default = cr.get_default_dtype()
        cr.set_default_dtype(cr.float64)
        try:
            cr.manual_seed(2)
            model = get_model("mlp", in_features=6, hidden_sizes=(5,), num_classes=3)
        finally:
            cr.set_default_dtype(default)
        model.compile(optimizer="sgd", loss="cross_entropy", lr=0.1)
        return model

    model = build()
    sampler = DistributedSampler(dataset, seed=4)
    loader = DataLoader(dataset, batch_size=4, sampler=sampler)
    model.fit(loader, epochs=2, verbose=0, distributed=True)
    reference = build()
    opt = reference.optimizer
    for epoch in range(2):
        orders = []
        for s in range(p):
            share = DistributedSampler(dataset, num_replicas=p, rank=s, seed=4)
            share.set_epoch(epoch)
            orders.append(share.indices())
        for k in range(len(orders[0]) // 4):
            idx = np.concatenate([o[4 * k:4 * (k + 1)] for o in orders])
            opt.zero_grad()
            cr.nn.functional.cross_entropy(reference(cr.tensor(x[idx])),
                                           cr.tensor(y[idx])).backward()
            opt.step()
    diff = max(float(np.abs(a.numpy() - b.numpy()).max())
               for a, b in zip(model.parameters(), reference.parameters()))
    return {"epoch_seen": sampler.epoch, "max_diff": diff, "rank": r}


@check
def hang():
    """Rank 1 stops answering (sleeps): rank 0's all-reduce must time out and stop the job."""
    import time

    if dist.get_rank() == 1:
        time.sleep(60)
    dist.all_reduce(cr.ones(3))
    return {"returned": True}


def main(names):
    dist.init_process_group(backend="mpi")
    results = {name: CHECKS[name]() for name in names}
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(results), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
