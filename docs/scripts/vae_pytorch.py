"""The VAE of chainrule.models in PyTorch, trained with the same recipe, for docs/distributions.md:
784-400-20, Adam 1e-3, batch 128, 10 epochs on Fashion-MNIST (pixels ÷ 255), one thread.

    PYTHONPATH=.:tests/models python docs/scripts/vae_pytorch.py   # prints the ELBO per epoch

The model is tests/models/test_vae.py's TorchVAE (the test that shows its ELBO and gradients
equal chainrule's VAE on the same weights and noise). chainrule's side is
`chainrule train --model vae --epochs 10`.
"""
import json
import sys
import time

import numpy as np
import torch
from test_vae import TorchVAE

from chainrule.data.datasets import get_dataset


def pixels(split: str) -> torch.Tensor:
    images = np.asarray(get_dataset("fashion-mnist", split)[0], np.float32)
    return torch.tensor(images.reshape(-1, 784) / 255)


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    train, test = pixels("train"), pixels("test")
    model = TorchVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = []
    for epoch in range(1, 11):
        start, total = time.perf_counter(), 0.0
        order = torch.randperm(len(train))
        for i in range(0, len(train), 128):
            x = train[order[i:i + 128]]
            loss = -model.elbo(x, torch.randn(len(x), 20)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total -= loss.item() * len(x)
        with torch.no_grad():
            elbo = sum(model.elbo(test[i:i + 500], torch.randn(len(test[i:i + 500]), 20))
                       .sum().item() for i in range(0, len(test), 500)) / len(test)
        history.append({"epoch": epoch, "train_elbo": total / len(train), "test_elbo": elbo,
                        "seconds": time.perf_counter() - start})
        print(f"epoch {epoch}: train ELBO {total / len(train):.2f}, test ELBO {elbo:.2f}",
              flush=True)
    json.dump(history, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
