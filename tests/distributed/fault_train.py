"""``chainrule train`` with a fault injected on one rank, for the fault tests:

    mpiexec -n 2 python tests/distributed/fault_train.py kill|raise RANK STEP train ...

At the STEP-th training step (counted from 1 over the whole run) rank RANK kills itself with
SIGKILL (a rank that dies silently) or raises ValueError (a rank that fails in Python).
"""
from __future__ import annotations

import os
import signal
import sys

from chainrule.cli.main import main
from chainrule.distributed import training


def inject(kind: str, rank: int, step: int) -> None:
    original = training.DistributedTrainer.train_step

    def train_step(self, x, y):
        if self.comm.Get_rank() == rank and self.global_step + 1 == step:
            if kind == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError(f"injected failure at step {step}")
        return original(self, x, y)

    training.DistributedTrainer.train_step = train_step


if __name__ == "__main__":
    kind, rank, step, *argv = sys.argv[1:]
    inject(kind, int(rank), int(step))
    sys.exit(main(argv))
