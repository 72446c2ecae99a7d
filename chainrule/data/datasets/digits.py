"""scikit-learn's bundled 8×8 handwritten digits (UCI "optdigits" test set): needs no download.

1797 images of the digits 0–9, each 8×8 pixels holding counts 0…16 (the number of "on" pixels in
a 4×4 block of the 32×32 original). scikit-learn is an optional dependency
(``pip install chainrule[digits]``).
"""
from __future__ import annotations

from ...backend import xp

DIGITS_CLASSES = tuple(str(d) for d in range(10))
DIGITS_MAX = 16
"""The largest pixel value: ``ToFloat(scale=1/16)`` maps the images to [0, 1]."""
TEST_FRACTION = 0.2
SPLIT_SEED = 0


_MISSING = ("load_digits needs scikit-learn, which ships the 8×8 digits: pip install scikit-learn"
            "  (or pip install 'chainrule[digits]')")


def _bundled_file():
    """scikit-learn's ``datasets/data/digits.csv.gz``, found without importing scikit-learn
    (whose import, with SciPy's, takes seconds); None if scikit-learn is not installed."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"


def _read_digits():
    """(pixels (1797, 64) float, labels (1797,)) — the bundled file read directly, or through
    scikit-learn's own loader should its layout ever change."""
    path = _bundled_file()
    if path is None:
        raise ImportError(_MISSING)
    if path.is_file():
        table = xp.loadtxt(path, delimiter=",")
        return table[:, :-1], table[:, -1]
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise ImportError(_MISSING) from None
    bunch = sk_load_digits()
    return bunch.data, bunch.target


def available() -> bool:
    """Whether scikit-learn (and so the digits) is installed."""
    return _bundled_file() is not None


def load_digits(split: str = "all"):
    """The 8×8 digits: ``(images uint8 (N, 8, 8) with values 0…16, labels int64 (N,))``.

    ``split='all'`` gives all 1797 in scikit-learn's order. 'train' (1438) and 'test' (359) are a
    fixed split: a permutation drawn from ``default_rng(0)``, the last 20 % being the test set —
    the same on every machine and independent of chainrule's global seed.
    """
    if split not in ("all", "train", "test"):
        raise ValueError(f"load_digits: split must be 'all', 'train' or 'test', got {split!r}")
    pixels, target = _read_digits()
    images = xp.rint(pixels).astype(xp.uint8).reshape(-1, 8, 8)
    labels = xp.rint(target).astype(xp.int64)
    if split == "all":
        return images, labels
    n = len(labels)
    perm = xp.random.default_rng(SPLIT_SEED).permutation(n)
    n_test = int(round(n * TEST_FRACTION))
    idx = perm[: n - n_test] if split == "train" else perm[n - n_test:]
    return images[idx], labels[idx]
