"""Batch transforms: each acts on a whole batch at once, in NumPy, with no loop over samples.

Inputs are image batches of shape (N, C, H, W) or (N, H, W) — NumPy arrays or chainrule Tensors
(a Tensor in gives a Tensor out; an array in gives an array out). The random transforms draw from
``generator`` (an int seed or a NumPy Generator, fixed at construction) or, by default, from
chainrule's global generator at call time, so ``chainrule.manual_seed`` makes them reproducible.

They follow torchvision's names and parameters, applied per sample exactly as torchvision would,
but vectorised over the batch. A typical pipeline for Fashion-MNIST::

    Compose([ToFloat(), Normalize(0.2860, 0.3530), AddChannel()])
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .. import backend
from ..backend import xp
from ..tensor import Tensor


def _unwrap(x):
    if isinstance(x, Tensor):
        return x._data, True
    return xp.asarray(x), False


def _wrap(array, was_tensor: bool):
    return Tensor._make(array) if was_tensor else array


def _check_images(x, op: str) -> None:
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a batch of images of shape (N, C, H, W) or (N, H, W), "
                         f"got shape {x.shape}")


def _float_dtype(x):
    return x.dtype if x.dtype.kind == "f" else backend.get_default_dtype()


def _pair(value, op: str, name: str) -> tuple[int, int]:
    if isinstance(value, (int, xp.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair (h, w), got {value}")
    return value


class _Random:
    """Holds where random numbers come from: a fixed Generator, or the global one at call time."""

    def __init__(self, generator):
        if generator is None or isinstance(generator, xp.random.Generator):
            self._generator = generator
        elif isinstance(generator, (int, xp.integer)) and not isinstance(generator, bool):
            self._generator = xp.random.default_rng(int(generator))
        else:
            raise TypeError(f"{type(self).__name__}: generator must be None, an int seed or a "
                            f"numpy.random.Generator, got {type(generator).__name__}")

    @property
    def rng(self):
        return backend.generator() if self._generator is None else self._generator


class Compose:
    """Apply transforms one after another: ``Compose([ToFloat(), Normalize(0.5, 0.5)])``."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda:
    """Wrap any function of a batch as a transform."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', self.fn)!r})"


class ToFloat:
    """x ↦ scale · x as a floating-point array (the default dtype, float32): uint8 pixels to [0, 1].

    ``ToFloat(scale=1/16)`` suits the 8×8 digits, whose pixels run from 0 to 16.
    """

    def __init__(self, scale: float = 1 / 255, dtype=None):
        self.scale = float(scale)
        self.dtype = dtype

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        dtype = backend.get_default_dtype() if self.dtype is None else xp.dtype(self.dtype)
        out = x.astype(dtype)
        out *= dtype.type(self.scale)
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"ToFloat(scale={self.scale:g})"


class Normalize:
    """x ↦ (x − mean)/std, per channel (axis 1 of (N, C, H, W)) or for the whole batch.

    ``mean`` and ``std`` are numbers, or sequences of one value per channel.
    Fashion-MNIST's training pixels (÷255) have mean 0.2860 and std 0.3530.
    """

    def __init__(self, mean, std):
        self.mean = xp.asarray(mean, dtype=xp.float64).reshape(-1)
        self.std = xp.asarray(std, dtype=xp.float64).reshape(-1)
        if self.mean.size == 0 or self.std.size == 0:
            raise ValueError("Normalize: mean and std must not be empty")
        if (self.std <= 0).any():
            raise ValueError(f"Normalize: std must be positive, got {self.std.tolist()}")

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        dtype = _float_dtype(x)
        mean, std = self.mean.astype(dtype), self.std.astype(dtype)
        channels = max(mean.size, std.size)
        if channels > 1:
            if x.ndim != 4 or x.shape[1] != channels:
                raise ValueError(f"Normalize: {channels} per-channel values need input of shape "
                                 f"(N, {channels}, H, W), got shape {x.shape}")
            mean, std = mean.reshape(1, -1, 1, 1), std.reshape(1, -1, 1, 1)
        else:
            mean, std = dtype.type(mean[0]), dtype.type(std[0])
        out = x.astype(dtype)          # a copy: the input is never changed
        out -= mean
        out /= std
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class AddChannel:
    """(N, H, W) ↦ (N, 1, H, W), the layout Conv2d expects; 4-D input passes unchanged."""

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        if x.ndim == 3:
            x = x[:, None]
        return _wrap(x, was_tensor)

    def __repr__(self) -> str:
        return "AddChannel()"


class Grayscale:
    """Images ↦ gray images with ``num_output_channels`` (1 or 3) equal channels — torchvision's
    ``Grayscale``: a 3-channel input becomes its luma, 0.2989 R + 0.587 G + 0.114 B (ITU-R 601's
    weights; integer images rounded), a 1-channel input is repeated. (N, C, H, W) in,
    (N, num_output_channels, H, W) out. Gray images (Fashion-MNIST) for a network pretrained on
    colour ones (ImageNet): ``Grayscale(3)``."""

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3, got "
                             f"{num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        _check_images(x, "Grayscale")
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"Grayscale: expected images (N, 1 or 3, H, W), got shape {x.shape}")
        if x.shape[1] == 3:
            dtype = _float_dtype(x)
            weights = xp.asarray([0.2989, 0.587, 0.114], dtype=dtype).reshape(1, 3, 1, 1)
            gray = (x.astype(dtype) * weights).sum(axis=1, keepdims=True)
            if x.dtype.kind in "iu":            # as torchvision: stays in the input's type
                gray = xp.clip(xp.round(gray), 0, xp.iinfo(x.dtype).max).astype(x.dtype)
            x = gray
        if self.num_output_channels == 3:
            x = xp.repeat(x, 3, axis=1)
        return _wrap(x, was_tensor)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class Pad:
    """Pad the two spatial axes by ``padding`` (int, (h, w), or (top, bottom, left, right))."""

    def __init__(self, padding, value: float = 0):
        if isinstance(padding, (int, xp.integer)):
            padding = (int(padding),) * 4
        padding = tuple(int(p) for p in padding)
        if len(padding) == 2:
            padding = (padding[0], padding[0], padding[1], padding[1])
        if len(padding) != 4 or min(padding) < 0:
            raise ValueError(f"Pad: padding must be a non-negative int, (h, w) or (top, bottom, "
                             f"left, right), got {padding}")
        self.padding = padding
        self.value = value

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        _check_images(x, "Pad")
        return _wrap(_pad(x, self.padding, self.value), was_tensor)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, value={self.value})"


def _pad(x, padding, value):
    top, bottom, left, right = padding
    if not any(padding):
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return xp.pad(x, widths, mode="constant", constant_values=value)


class Resize:
    """Nearest-neighbour resize of the spatial axes to ``size`` ((h, w) or one int for both).

    Output pixel (i, j) takes input pixel (⌊i·H/h⌋, ⌊j·W/w⌋) — PyTorch's ``mode='nearest'``.
    """

    def __init__(self, size):
        self.size = _pair(size, "Resize", "size")

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        _check_images(x, "Resize")
        H, W = x.shape[-2:]
        h, w = self.size
        rows = (xp.arange(h) * H) // h
        cols = (xp.arange(w) * W) // w
        return _wrap(x[..., rows[:, None], cols[None, :]], was_tensor)

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class RandomCrop(_Random):
    """Pad by ``padding`` (zeros by default), then cut a random ``size`` window from each image.

    Each sample's top-left corner is uniform over all windows that fit (torchvision's
    ``RandomCrop(size, padding)``); all samples are cut with one gather.
    """

    def __init__(self, size, padding=0, fill: float = 0, generator=None):
        super().__init__(generator)
        self.size = _pair(size, "RandomCrop", "size")
        self.pad = Pad(padding, fill)

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        _check_images(x, "RandomCrop")
        x = _pad(x, self.pad.padding, self.pad.value)
        H, W = x.shape[-2:]
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the (padded) "
                             f"image size {(H, W)}")
        n = x.shape[0]
        rng = self.rng
        top = rng.integers(0, H - h + 1, size=n)
        left = rng.integers(0, W - w + 1, size=n)
        windows = xp.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(-2, -1))
        idx = xp.arange(n)
        if x.ndim == 4:       # advanced indices around a slice: (N, C, h, w)
            out = windows[idx, :, top, left]
        else:
            out = windows[idx, top, left]
        return _wrap(xp.ascontiguousarray(out), was_tensor)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.pad.padding})"


class RandomHorizontalFlip(_Random):
    """Mirror each image left–right with probability ``p``."""

    def __init__(self, p: float = 0.5, generator=None):
        super().__init__(generator)
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must lie in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        _check_images(x, "RandomHorizontalFlip")
        flip = self.rng.random(x.shape[0]) < self.p
        out = x.copy()
        out[flip] = x[flip][..., ::-1]
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomErasing(_Random):
    """With probability ``p`` per image, set a random rectangle to ``value`` (Zhong et al. 2017).

    As torchvision: the rectangle's area is a fraction ``scale`` (uniform) of the image and its
    aspect ratio h/w is log-uniform in ``ratio``; up to 10 draws are made for a rectangle that
    fits, and an image for which none fits is left unchanged. The same rectangle covers all
    channels. Apply it after ToFloat/Normalize (``value`` is in the units of its input).
    """

    attempts = 10

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value: float = 0,
                 generator=None):
        super().__init__(generator)
        if not 0 <= p <= 1:
            raise ValueError(f"RandomErasing: p must lie in [0, 1], got {p}")
        if not (0 < scale[0] <= scale[1] <= 1):
            raise ValueError(f"RandomErasing: scale must satisfy 0 < min ≤ max ≤ 1, got {scale}")
        if not (0 < ratio[0] <= ratio[1]):
            raise ValueError(f"RandomErasing: ratio must satisfy 0 < min ≤ max, got {ratio}")
        self.p = float(p)
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.value = value

    def __call__(self, x):
        x, was_tensor = _unwrap(x)
        _check_images(x, "RandomErasing")
        n = x.shape[0]
        H, W = x.shape[-2:]
        rng = self.rng
        chosen = rng.random(n) < self.p
        shape = (n, self.attempts)
        area = H * W * rng.uniform(*self.scale, size=shape)
        aspect = xp.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), size=shape))
        h = xp.rint(xp.sqrt(area * aspect)).astype(xp.int64)
        w = xp.rint(xp.sqrt(area / aspect)).astype(xp.int64)
        fits = (h < H) & (w < W) & (h > 0) & (w > 0)
        first = xp.argmax(fits, axis=1)                       # the first attempt that fits
        rows = xp.arange(n)
        h, w = h[rows, first], w[rows, first]
        erase = chosen & fits[rows, first]
        # Uniform corners: ⌊u·(H − h + 1)⌋ for u ~ U[0, 1) is uniform on {0, …, H − h}.
        top = (rng.random(n) * (H - h + 1)).astype(xp.int64)
        left = (rng.random(n) * (W - w + 1)).astype(xp.int64)
        r = xp.arange(H)[None, :, None]
        c = xp.arange(W)[None, None, :]
        mask = ((r >= top[:, None, None]) & (r < (top + h)[:, None, None])
                & (c >= left[:, None, None]) & (c < (left + w)[:, None, None])
                & erase[:, None, None])
        if x.ndim == 4:
            mask = mask[:, None]
        out = xp.where(mask, xp.asarray(self.value, dtype=x.dtype), x)
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return (f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value})")
