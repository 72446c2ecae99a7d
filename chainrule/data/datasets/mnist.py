"""MNIST and Fashion-MNIST: 28×28 grayscale images in 10 classes, from their IDX files.

Both return ``(images, labels)``: images uint8 of shape (N, 28, 28) with values 0…255, labels int64
of shape (N,) in [0, 10); N = 60000 for ``split='train'`` and 10000 for ``split='test'``.

The four files (``train-images-idx3-ubyte.gz`` etc., gzipped or not) are looked for, in order, in

1. ``root``, if given (the folder itself or ``root/<name>``), and nowhere else;
2. ``$CHAINRULE_DATA/<name>`` (``<name>`` is ``fashion-mnist`` or ``mnist``);
3. the user cache, ``~/.cache/chainrule/<name>``;
4. Debian's package folder: ``/usr/share/datasets/fashion-mnist`` (``apt-get install
   dataset-fashion-mnist``).

torchvision's layout (``FashionMNIST/raw``, ``MNIST/raw``) is also accepted under 1–3. With
``download=True`` missing files are fetched from the dataset's official source into the cache and
checked against their published SHA-256 digests.
"""
from __future__ import annotations

from pathlib import Path

from ...backend import xp
from ._common import (
    DEBIAN_DATASETS,
    DatasetFormatError,
    DatasetNotFoundError,
    cache_dir,
    download,
    format_dirs,
    search_dirs,
)
from .idx import read_idx

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
MNIST_CLASSES = tuple(str(d) for d in range(10))

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

_SOURCES = {
    "fashion-mnist": {
        "urls": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "sha256": {
            "train-images-idx3-ubyte.gz":
                "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
            "train-labels-idx1-ubyte.gz":
                "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
            "t10k-images-idx3-ubyte.gz":
                "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
            "t10k-labels-idx1-ubyte.gz":
                "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        },
        "layouts": ("FashionMNIST/raw",),
        "system": (DEBIAN_DATASETS / "fashion-mnist",),
        "install": "apt-get install dataset-fashion-mnist",
    },
    "mnist": {
        # Yann LeCun's page is the official source; the second is the mirror PyTorch uses.
        "urls": ("https://yann.lecun.com/exdb/mnist/",
                 "https://ossci-datasets.s3.amazonaws.com/mnist/"),
        "sha256": {
            "train-images-idx3-ubyte.gz":
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz":
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz":
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz":
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        "layouts": ("MNIST/raw",),
        "system": (DEBIAN_DATASETS / "mnist",),
        "install": None,
    },
}


def _check_split(split: str, op: str) -> tuple[str, str]:
    if split not in FILES:
        raise ValueError(f"{op}: split must be 'train' or 'test', got {split!r}")
    return FILES[split]


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def locate(name: str, split: str = "train", root=None) -> tuple[Path, Path] | None:
    """The (images, labels) files of ``name`` ('fashion-mnist' or 'mnist') for ``split``, from the
    first folder that holds both, or None."""
    source = _SOURCES[name]
    stems = _check_split(split, "locate")
    for folder in search_dirs(name, root, source["layouts"], source["system"]):
        found = [_find_file(folder, stem) for stem in stems]
        if all(found):
            return found[0], found[1]
    return None


def _download(name: str, split: str) -> tuple[Path, Path]:
    source = _SOURCES[name]
    folder = cache_dir() / name
    paths = []
    for stem in FILES[split]:
        file = stem + ".gz"
        dest = folder / file
        if not dest.is_file():
            download([base + file for base in source["urls"]], dest, source["sha256"][file])
        paths.append(dest)
    return paths[0], paths[1]


def _not_found(name: str, split: str, root) -> DatasetNotFoundError:
    source = _SOURCES[name]
    dirs = search_dirs(name, root, source["layouts"], source["system"])
    files = ", ".join(stem + "[.gz]" for stem in FILES[split])
    hints = []
    if source["install"]:
        hints.append(f"install Debian's package: `{source['install']}`")
    hints.append(f"or put the files in $CHAINRULE_DATA/{name}/ (set CHAINRULE_DATA)")
    hints.append(f"or pass download=True to fetch them into {cache_dir() / name}")
    return DatasetNotFoundError(f"{name} ({split}): {files} not found in any of:\n"
                                f"{format_dirs(dirs)}\nTo get them, " + "; ".join(hints) + ".")


def _load(name: str, split: str, root, download: bool, op: str):
    _check_split(split, op)
    paths = locate(name, split, root)
    if paths is None:
        if not download:
            raise _not_found(name, split, root)
        paths = _download(name, split)
    images = read_idx(paths[0], ndim=3, dtype=xp.uint8)
    labels = read_idx(paths[1], ndim=1, dtype=xp.uint8)
    if images.shape[1:] != (28, 28):
        raise DatasetFormatError(f"{paths[0]}: images of shape {images.shape[1:]}, expected "
                                 f"(28, 28)")
    if len(images) != len(labels):
        raise DatasetFormatError(f"{name} ({split}): {paths[0]} holds {len(images)} images but "
                                 f"{paths[1]} holds {len(labels)} labels")
    if labels.size and labels.max() >= 10:
        raise DatasetFormatError(f"{paths[1]}: labels must lie in [0, 10), found "
                                 f"{int(labels.max())}")
    return images, labels.astype(xp.int64)


def load_fashion_mnist(split: str = "train", root=None, download: bool = False):
    """Fashion-MNIST (Zalando, 2017): ``(images uint8 (N, 28, 28), labels int64 (N,))``.

    N = 60000 ('train') or 10000 ('test'); class names in :data:`FASHION_MNIST_CLASSES`. The
    training pixels ÷255 have mean 0.2860 and standard deviation 0.3530. Where the files are
    looked for: see this module's docstring.
    """
    return _load("fashion-mnist", split, root, download, "load_fashion_mnist")


def load_mnist(split: str = "train", root=None, download: bool = False):
    """MNIST handwritten digits: ``(images uint8 (N, 28, 28), labels int64 (N,))``.

    N = 60000 ('train') or 10000 ('test'). The training pixels ÷255 have mean 0.1307 and standard
    deviation 0.3081.
    """
    return _load("mnist", split, root, download, "load_mnist")
