"""ImageNet evaluation preprocessing: resize the shorter side, crop the centre, scale, normalize.

``ImageNetTransform(crop_size=224, resize_size=256, mean, std)`` is torchvision's
``ImageClassification`` preset (what ``weights.transforms()`` returns there):

    1. resize so that the shorter side is ``resize_size`` (bilinear, Pillow's antialiased
       resampling; the longer side rounded down, as torchvision),
    2. crop the central ``crop_size`` × ``crop_size`` (offsets rounded as torchvision's
       ``CenterCrop``: ⌊(H − h)/2 + ½⌋),
    3. x ↦ (x/255 − mean)/std per RGB channel, as (N, 3, h, w) float32.

The means differ by weights: PyTorch's own models use ImageNet's statistics
(:data:`IMAGENET_MEAN`, :data:`IMAGENET_STD`); TensorFlow's edge models, EfficientNet-Lite among
them, were trained on (x − 127)/128 for pixels x in 0…255 ("inception-style MEAN & STDDEV for
better post-quantization", ``efficientnet_lite_builder.py``), that is mean 127/255 and std
128/255 here (:func:`lite_transforms`). Resizing needs Pillow (``pip install
'chainrule[images]'``).
"""
from __future__ import annotations

from collections.abc import Sequence
from os import PathLike, fsdecode

import numpy as np

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LITE_MEAN = (127 / 255,) * 3
LITE_STD = (128 / 255,) * 3


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("ImageNet preprocessing resizes with Pillow: pip install "
                          "'chainrule[images]' (or pip install pillow)") from e
    return Image


def _is_one_image(images) -> bool:
    if isinstance(images, (str, bytes, PathLike)):
        return True
    if isinstance(images, np.ndarray):
        return images.ndim == 3
    return not isinstance(images, Sequence)


def _to_pil(image):
    Image = _pil()
    if isinstance(image, (str, bytes, PathLike)):
        with Image.open(fsdecode(image)) as im:
            return im.convert("RGB")
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"an image array must be (H, W, 3) uint8 RGB, got {image.dtype} "
                             f"{image.shape}")
        return Image.fromarray(image, "RGB")
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    raise TypeError(f"an image must be a path, a PIL image or an (H, W, 3) uint8 array, got "
                    f"{type(image).__name__}")


class ImageNetTransform:
    """Images → the (N, 3, crop, crop) float32 Tensor an ImageNet classifier takes (see the
    module docstring). Called with one image (a path, a PIL image, an (H, W, 3) uint8 array) or
    a list of them; :meth:`normalize` applies step 3 alone to (N, 3, h, w) values in [0, 1]."""

    def __init__(self, crop_size: int = 224, resize_size: int = 256,
                 mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        if not 0 < crop_size <= resize_size:
            raise ValueError(f"ImageNetTransform: need 0 < crop_size <= resize_size, got "
                             f"{crop_size} and {resize_size}")
        self.crop_size, self.resize_size = int(crop_size), int(resize_size)
        self.mean = np.asarray(mean, dtype=np.float32).reshape(1, 3, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(1, 3, 1, 1)

    def resize_crop(self, image) -> np.ndarray:
        """Steps 1 and 2: one image → (crop, crop, 3) uint8."""
        Image = _pil()
        im = _to_pil(image)
        w, h = im.size
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(self.resize_size * long / short)
        size = (self.resize_size, new_long) if w <= h else (new_long, self.resize_size)
        im = im.resize(size, Image.BILINEAR)
        w, h = im.size
        c = self.crop_size
        top, left = int(round((h - c) / 2.0)), int(round((w - c) / 2.0))
        return np.asarray(im.crop((left, top, left + c, top + c)), dtype=np.uint8)

    def normalize(self, x) -> np.ndarray:
        """Step 3 alone: (N, 3, h, w) values in [0, 1] → (x − mean)/std, float32."""
        x = np.asarray(x, dtype=np.float32)
        return (x - self.mean) / self.std

    def __call__(self, images):
        from ... import from_numpy
        batch = [images] if _is_one_image(images) else list(images)
        if not batch:
            raise ValueError("ImageNetTransform: no images")
        pixels = np.stack([self.resize_crop(im) for im in batch])        # (N, h, w, 3) uint8
        x = pixels.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
        return from_numpy(self.normalize(x))

    def __repr__(self) -> str:
        return (f"ImageNetTransform(crop_size={self.crop_size}, resize_size={self.resize_size}, "
                f"mean={self.mean.ravel().round(4).tolist()}, "
                f"std={self.std.ravel().round(4).tolist()})")


def lite_transforms(image_size: int = 224) -> ImageNetTransform:
    """EfficientNet-Lite's evaluation preprocessing: resize to ``image_size`` + 32 (TensorFlow's
    ``CROP_PADDING``), centre crop ``image_size``, (x − 127)/128 on 0…255 pixels."""
    return ImageNetTransform(image_size, image_size + 32, LITE_MEAN, LITE_STD)


def classify(model, images, transform: ImageNetTransform, topk: int = 5) -> list:
    """[(index, class name, probability), …] (the ``topk`` best, best first) for each image."""
    from ... import no_grad
    from ...nn import functional as F
    single = _is_one_image(images)
    x = transform(images)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            probs = F.softmax(model(x), dim=1).numpy()
    finally:
        model.train(was_training)
    names = getattr(model, "classes", None)
    out = []
    for row in probs:
        best = np.argsort(-row, kind="stable")[:topk]
        out.append([(int(i), names[i] if names is not None else str(int(i)), float(row[i]))
                    for i in best])
    return out[0] if single else out


__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "LITE_MEAN", "LITE_STD", "ImageNetTransform",
           "lite_transforms", "classify"]
