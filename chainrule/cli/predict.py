"""``chainrule predict RUN INPUT…``: classify images (an image run) or texts (a text run).

    chainrule predict runs/lenet-fashion-mnist-20250101-120000 shoe.png shirt.jpg
    chainrule predict RUN images.npy --top 3
    chainrule predict RUN photo.jpg --invert      # dark object on a light background
    chainrule predict runs/lstm-imdb-20250101-120000 "A slow, beautiful film."

For a text run (``--dataset imdb``) each INPUT is a text, tokenised with the run's vocabulary as
in training. For an image run:

IMAGE is a PNG/JPEG (or any format Pillow reads) or a NumPy ``.npy`` file. Images are converted
to what the model was trained on: greyscale (or RGB) and resized to the dataset's size (Pillow's
Lanczos filter), then scaled and normalised exactly as in training. A ``.npy`` file holds one
image — (H, W), (C, H, W) or (H, W, C) — or a batch, (N, H, W) or (N, C, H, W); integer arrays
are read as the dataset's pixel values (0…255, or 0…16 for the digits), float arrays as values
in [0, 1]. Fashion-MNIST's images are light objects on a black background: ``--invert`` flips a
photo of a dark object on a light background to match. Prints, for each image, the class and its
probability (softmax of the model's outputs).
"""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify images (PNG/JPEG/.npy) or texts with a trained "
                                       "run",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by `chainrule train`")
    p.add_argument("images", metavar="INPUT", nargs="+",
                   help="PNG/JPEG/… or .npy files (an image run), or texts (a text run)")
    p.add_argument("--checkpoint", default="last", metavar="last|best|FILE",
                   help="which checkpoint to use (default last)")
    p.add_argument("--top", type=int, default=1, metavar="K",
                   help="print the K most probable classes (default 1)")
    p.add_argument("--invert", action="store_true",
                   help="invert the pixel values (x → 1 − x) before classifying")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        predictions = predict_files(args.run_dir, args.images, args.checkpoint, args.top,
                                    args.invert)
    except (ValueError, TypeError, FileNotFoundError, ImportError, OSError) as e:
        print(f"chainrule predict: {e}", file=sys.stderr)
        return 2
    for name, ranked in predictions:
        best, p = ranked[0]
        line = f"{name}: {best} ({100 * p:.1f}%)"
        if len(ranked) > 1:
            line += "   then " + ", ".join(f"{c} ({100 * q:.1f}%)" for c, q in ranked[1:])
        print(line)
    return 0


def predict_files(run_dir, paths, checkpoint: str = "last", top: int = 1,
                  invert: bool = False) -> list[tuple[str, list[tuple[str, float]]]]:
    """``[(image name, [(class, probability), …top]), …]`` for image files."""
    from ..training import Run

    return Run.open(run_dir, checkpoint, compile=False).predict(paths, top, invert)
