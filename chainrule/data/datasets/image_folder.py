"""Image folders: one subfolder per class, as torchvision's ``ImageFolder``.

::

    root/cat/001.png
    root/cat/002.jpg
    root/dog/001.png

Classes are the subfolder names in sorted order (label i is ``classes[i]``); files are taken in
sorted order within each class. Images are read with Pillow (an optional dependency:
``pip install chainrule[images]``), converted to ``mode`` ('RGB' or 'L'), optionally resized to
``size``, and returned channels first: uint8 arrays of shape (C, H, W) — C = 3 for 'RGB', 1 for 'L'.
"""
from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path

from ...backend import xp
from ..dataset import Dataset
from ._common import DatasetFormatError, DatasetNotFoundError

IMG_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm",
                  ".pgm")


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("ImageFolder needs Pillow to read images: pip install pillow  (or pip "
                          "install 'chainrule[images]')") from None
    return Image


def read_image(path, mode: str = "RGB", size=None):
    """One image as a uint8 array (C, H, W); ``size`` = (height, width) resizes it (bilinear).

    A file Pillow cannot decode (damaged, truncated, not an image, or over Pillow's
    decompression-bomb limit ``PIL.Image.MAX_IMAGE_PIXELS``) raises :class:`DatasetFormatError`
    naming it. The file is read into memory first: Pillow's decoders then read from a buffer that
    cannot hand them more than the file holds (a chunk declaring 2 GB in a 77-byte PNG made
    Pillow ask the file for 2 GB at once)."""
    Image = _pillow()
    try:
        data = Path(path).read_bytes()
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice it: a bomb either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img = img.convert(mode)
                if size is not None:
                    h, w = (size, size) if isinstance(size, int) else size
                    img = img.resize((w, h), Image.BILINEAR)
                array = xp.asarray(img, dtype=xp.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise DatasetFormatError(f"{path}: refused as a possible decompression bomb: {e} "
                                 "(PIL.Image.MAX_IMAGE_PIXELS sets the limit)") from None
    except Image.UnidentifiedImageError:
        raise DatasetFormatError(f"{path}: cannot be read as an image (not an image in a format "
                                 "Pillow recognises)") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as e:
        # Pillow's plugins report a damaged file as OSError, ValueError, SyntaxError ("broken
        # PNG file"), EOFError or struct.error
        raise DatasetFormatError(f"{path}: cannot be read as an image ({type(e).__name__}: "
                                 f"{e})") from None
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


class ImageFolder(Dataset):
    """A dataset of the images under ``root/<class>/``: ``ds[i] == (image (C, H, W) uint8, label)``.

    Attributes (torchvision's names): ``classes``, ``class_to_idx``, ``samples`` (path, label)
    and ``targets``. Give ``size`` when the images differ in size, so batches can be stacked.
    ``transform`` is applied to each image array as it is read.
    """

    def __init__(self, root, mode: str = "RGB", size=None, extensions=IMG_EXTENSIONS,
                 transform=None):
        _pillow()
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetNotFoundError(f"ImageFolder: {self.root} is not a folder")
        self.mode, self.size, self.transform = mode, size, transform
        extensions = tuple(e.lower() for e in extensions)
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not self.classes:
            raise DatasetNotFoundError(f"ImageFolder: {self.root} has no subfolders; expected one "
                                       f"subfolder of images per class")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples, empty = [], []
        for c in self.classes:
            files = sorted(p for p in (self.root / c).rglob("*")
                           if p.is_file() and p.suffix.lower() in extensions)
            if not files:
                empty.append(c)
            self.samples += [(p, self.class_to_idx[c]) for p in files]
        if empty:
            raise DatasetNotFoundError(f"ImageFolder: no image files ({', '.join(extensions)}) in "
                                       f"the class folders {empty} under {self.root}")
        self.targets = [label for _, label in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        image = read_image(path, self.mode, self.size)
        if self.transform is not None:
            image = self.transform(image)
        return image, label

    def load(self):
        """Every image at once: ``(images uint8 (N, C, H, W), labels int64 (N,))``."""
        images = [self[i][0] for i in range(len(self))]
        shapes = sorted({im.shape for im in images})
        if len(shapes) > 1:
            raise DatasetFormatError(f"ImageFolder {self.root}: images of different shapes "
                                     f"{shapes[:5]} cannot be stacked; pass size=(H, W)")
        return xp.stack(images), xp.asarray(self.targets, dtype=xp.int64)


def load_image_folder(root, mode: str = "RGB", size=None):
    """``(images uint8 (N, C, H, W), labels int64 (N,), classes)`` from an image folder."""
    folder = ImageFolder(root, mode=mode, size=size)
    images, labels = folder.load()
    return images, labels, tuple(folder.classes)
