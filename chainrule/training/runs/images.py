"""Images from files, as a run's model takes them: PNG/JPEG (any format Pillow reads) or NumPy
``.npy``, converted to the dataset's channels and size and to values in [0, 1].

A ``.npy`` file holds one image — (H, W), (C, H, W) or (H, W, C) — or a batch, (N, H, W) or
(N, C, H, W); integer arrays are read as the dataset's pixel values (0…255, or 0…16 for the
digits), float arrays as values in [0, 1]. Pictures are resized with Pillow's Lanczos filter.
"""
from __future__ import annotations

from pathlib import Path


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
    except (OSError, Image.DecompressionBombError) as e:   # UnidentifiedImageError: an OSError
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
        from ...data.transforms import Resize

        return Resize((height, width))(a).astype(numpy.float32)
    out = numpy.empty(a.shape[:2] + (height, width), numpy.float32)
    for i in range(a.shape[0]):
        for c in range(a.shape[1]):
            img = Image.fromarray(numpy.ascontiguousarray(a[i, c], numpy.float32))  # mode F
            out[i, c] = numpy.asarray(img.resize((width, height), _lanczos(Image)))
    return numpy.clip(out, 0.0, 1.0)
