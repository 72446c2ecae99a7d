"""``chainrule predict RUN IMAGE…``: classify images with a trained run's model.

    chainrule predict runs/lenet-fashion-mnist-20250101-120000 shoe.png shirt.jpg
    chainrule predict RUN images.npy --top 3
    chainrule predict RUN photo.jpg --invert      # dark object on a light background

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
from pathlib import Path

from . import _runs


def register(sub) -> None:
    p = sub.add_parser("predict", help="classify PNG/JPEG/.npy images with a trained run",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by `chainrule train`")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="PNG/JPEG/… or .npy files")
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
    except (_runs.RunError, ValueError, TypeError, FileNotFoundError, ImportError, OSError) as e:
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
    import numpy

    config, model, _ = _runs.restore(run_dir, checkpoint, compile=False)
    if top < 1:
        raise ValueError(f"--top must be ≥ 1, got {top}")
    names, images = [], []
    for path in paths:
        batch = read_images(path, config)
        if len(batch) == 1:
            names.append(str(path))
        else:
            names += [f"{path}[{i}]" for i in range(len(batch))]
        images.append(batch)
    x01 = numpy.concatenate(images)
    if invert:
        x01 = 1.0 - x01
    pixels = (x01 * config["normalize"]["max_value"]).astype(numpy.float32)
    x = _runs.transform(config)(pixels)
    logits = model.predict(x, batch_size=_runs.EVAL_BATCH)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = numpy.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    classes = list(config["classes"])
    out = []
    for name, p in zip(names, probabilities):
        order = numpy.argsort(-p)[:top]
        out.append((name, [(classes[int(k)], float(p[k])) for k in order]))
    return out


# ----------------------------------------------------------------------------------- reading
def read_images(path, config: dict):
    """The images of one file as float32 (N, C, H, W) in [0, 1], at the dataset's image shape."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    channels, height, width = config["image_shape"]
    if path.suffix.lower() == ".npy":
        return _read_npy(path, config)
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{path}: reading PNG/JPEG images needs Pillow: pip install pillow (or "
                          "give a .npy file)") from None
    import numpy

    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            if img.size != (width, height):
                img = img.resize((width, height), _lanczos(Image))
            array = numpy.asarray(img, dtype=numpy.float32) / 255.0
    except OSError as e:                      # PIL.UnidentifiedImageError is an OSError
        raise ValueError(f"{path}: cannot be read as an image ({e})") from None
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return array[None]


def _lanczos(Image):
    return getattr(Image, "Resampling", Image).LANCZOS


def _read_npy(path: Path, config: dict):
    import numpy

    try:
        a = numpy.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"{path}: not a readable .npy array ({e})") from None
    if a.dtype.kind not in "uif" or a.ndim not in (2, 3, 4):
        raise ValueError(f"{path}: expected a numeric array of 2 to 4 dimensions (an image or a "
                         f"batch), got dtype {a.dtype} and shape {a.shape}")
    scale = config["normalize"]["max_value"] if a.dtype.kind in "ui" else 1.0
    a = a.astype(numpy.float32) / numpy.float32(scale)
    channels = config["image_shape"][0]
    if a.ndim == 2:                                             # (H, W)
        a = a[None, None]
    elif a.ndim == 3:
        if a.shape[-1] in (1, 3, 4) and a.shape[0] not in (1, 3):   # (H, W, C)
            a = a.transpose(2, 0, 1)[None]
        elif a.shape[0] in (1, 3) and a.shape[0] == channels:        # (C, H, W)
            a = a[None]
        else:                                                   # (N, H, W)
            a = a[:, None]
    elif a.shape[-1] in (1, 3, 4) and a.shape[1] not in (1, 3):  # (N, H, W, C)
        a = a.transpose(0, 3, 1, 2)
    return _fit_channels_and_size(a[:, :3] if a.shape[1] == 4 else a, config, path)


def _fit_channels_and_size(a, config: dict, path):
    """(N, C, H, W) → the dataset's channels (RGB ↔ grey) and size (Lanczos, or nearest)."""
    import numpy

    channels, height, width = config["image_shape"]
    if a.shape[1] == 3 and channels == 1:
        a = (a * numpy.float32([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)).sum(
            axis=1, keepdims=True)                              # ITU-R 601 luma, as Pillow's "L"
    elif a.shape[1] == 1 and channels == 3:
        a = numpy.repeat(a, 3, axis=1)
    elif a.shape[1] != channels:
        raise ValueError(f"{path}: images with {a.shape[1]} channels, the model takes {channels}")
    if a.shape[2:] == (height, width):
        return a.astype(numpy.float32)
    try:
        from PIL import Image
    except ImportError:
        from ..data.transforms import Resize

        return Resize((height, width))(a).astype(numpy.float32)
    out = numpy.empty(a.shape[:2] + (height, width), numpy.float32)
    for i in range(a.shape[0]):
        for c in range(a.shape[1]):
            img = Image.fromarray(numpy.ascontiguousarray(a[i, c], numpy.float32))  # mode F
            out[i, c] = numpy.asarray(img.resize((width, height), _lanczos(Image)))
    return numpy.clip(out, 0.0, 1.0)
