"""The data of a run: its dataset's arrays, split and prepared.

The data pipeline of a run: the dataset's images (uint8, or the digits' 0…16 counts) as (N, C, H,
W), scaled to [0, 1] (``ToFloat(1/max_value)``), normalised with the training set's mean and
standard deviation (Fashion-MNIST: 0.2860 and 0.3530), and, for models that need larger inputs
than the 8×8 digits (LeNet), upsampled by repeating pixels.

A text dataset (IMDB) gives token ids instead (int64 (N, L), no transform): see :mod:`.text`.

An image folder (``--data DIR``, see :func:`folder_data`) is read with Pillow into the same
uint8 (N, 3, H, W) arrays, every image resized to ``--image-size`` pixels a side (default 224).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .folder import EVAL_BATCH


@dataclass
class RunData:
    """A run's arrays (as stored: uint8 images (N, C, H, W), or int64 token ids (N, L) for a
    text run; int64 labels) and its pipeline. A text run also carries its ``vocab`` and the
    ``test_texts`` (for the report)."""

    name: str
    classes: tuple
    x_train: object
    y_train: object
    x_val: object
    y_val: object
    x_test: object
    y_test: object
    max_value: int
    mean: object
    std: object
    image_shape: tuple              # (C, H, W) as stored; (L,) for token ids
    validation: str                 # what the validation data is, in words
    where: str = ""                 # where the files were found
    notes: list = field(default_factory=list)
    kind: str = "image"             # or "text"
    vocab: object = None
    test_texts: list | None = None

    @property
    def unit(self) -> str:
        """What a sample is, in words: "images" or "reviews"."""
        return "reviews" if self.kind == "text" else "images"

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _channels_first(images):
    return images[:, None] if images.ndim == 3 else images


def held_out(split: float, n: int) -> int:
    """How many of ``n`` training samples ``--val-split`` holds out for validation (the last
    ones); a ValueError when none would be left on either side."""
    n_val = int(round(n * split))
    if n_val < 1 or n_val >= n:
        raise ValueError(f"--val-split {split} of {n} training samples leaves no training or no "
                         "validation samples")
    return n_val


def first_per_class(x, y, n: int):
    """The first ``n`` samples of each class (fewer where a class has fewer), in their original
    order: a small labelled subset, the setting where a pretrained network pays."""
    import numpy as np

    keep = np.sort(np.concatenate([np.flatnonzero(y == c)[:n] for c in np.unique(y)]))
    return x[keep], y[keep]


def load_data(config: dict, explicit_dataset: bool = True, log=print, run_dir=None) -> RunData:
    """Load the run's dataset: train, validation and test arrays (see the module docstring).

    When the dataset is Fashion-MNIST or MNIST, was not asked for explicitly and is not on this
    machine, the 8×8 digits (scikit-learn's, needing no files) are used instead, with a message,
    and ``config["dataset"]`` is updated. A text dataset is encoded with the vocabulary saved in
    ``run_dir`` when given (a run being resumed or opened), else with one built from its
    training reviews (:func:`.text.load_text_data`).
    """
    from ...data import datasets as D

    if is_image_folder(config["dataset"]):
        return folder_data(config, log)
    info = D.dataset_info(config["dataset"])
    if info.kind == "text":
        from .text import load_text_data

        return load_text_data(config, info, log, run_dir)
    root = config.get("data_dir")
    kwargs = {"root": root} if root and info.name != "digits" else {}
    if config.get("download") and info.name != "digits":
        kwargs["download"] = True
    try:
        x_train, y_train = D.get_dataset(info.name, "train", **kwargs)
    except D.DatasetNotFoundError as e:
        if explicit_dataset or info.name == "digits":
            raise D.DatasetNotFoundError(f"{e}\n(From the command line: chainrule train "
                                         f"--download, or --data-dir DIR.)") from None
        if not D.digits.available():
            raise D.DatasetNotFoundError(
                f"{e}\nThe fallback, scikit-learn's 8×8 digits, is not available either: pip "
                "install scikit-learn") from None
        log(f"{info.name} is not on this machine, so this run trains on scikit-learn's 8×8 "
            f"digits instead (1797 images, 10 classes).\n{e}")
        config["dataset"] = "digits"
        info = D.dataset_info("digits")
        kwargs = {}
        x_train, y_train = D.get_dataset("digits", "train")
    x_test, y_test = D.get_dataset(info.name, "test", **kwargs)
    where = D.locate(info.name, kwargs.get("root"))
    x_train, x_test = _channels_first(x_train), _channels_first(x_test)
    x_train, y_train, x_val, y_val, x_test, y_test, validation = _subsets(
        config, x_train, y_train, x_test, y_test)
    return RunData(info.name, tuple(info.classes), x_train, y_train, x_val, y_val, x_test, y_test,
                   info.max_value, info.mean, info.std, tuple(x_train.shape[1:]), validation,
                   str(where) if where else "")


def _subsets(config: dict, x_train, y_train, x_test, y_test):
    """``--limit``, ``--per-class`` and ``--val-split`` applied to an image run's arrays:
    (x_train, y_train, x_val, y_val, x_test, y_test, what the validation data is in words)."""
    limit = config.get("limit")
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_test, y_test = x_test[:limit], y_test[:limit]
    if config.get("per_class"):
        x_train, y_train = first_per_class(x_train, y_train, int(config["per_class"]))
    split = config.get("val_split") or 0.0
    if split:
        n_val = held_out(split, len(x_train))
        x_train, x_val = x_train[:-n_val], x_train[-n_val:]
        y_train, y_val = y_train[:-n_val], y_train[-n_val:]
        validation = f"the last {n_val} training samples (--val-split {split})"
    else:
        x_val, y_val = x_test, y_test
        validation = "the test set (give --val-split 0.1 to hold out training samples instead)"
    return x_train, y_train, x_val, y_val, x_test, y_test, validation


FOLDER_SIDE = 224          # the side images from a folder are resized to without --image-size
FOLDER_TEST_FRACTION = 0.2


def is_image_folder(dataset) -> bool:
    """Whether ``--data`` names a folder of images (one subfolder per class) rather than a
    dataset by name."""
    from pathlib import Path

    return isinstance(dataset, str) and Path(dataset).expanduser().is_dir()


def _test_split(labels, fraction: float, seed: int):
    """Indices (train, test) of a seeded split in which each class gives ``fraction`` of its
    images to the test set (rounded, at least one when the class has two or more)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        rng.shuffle(members)
        n_test = max(1, int(round(len(members) * fraction))) if len(members) > 1 else 0
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def folder_data(config: dict, log=print) -> RunData:
    """The run's data from an image folder, as torchvision's ``ImageFolder`` reads one:
    ``DIR/<class>/<image>`` (classes are the subfolder names, sorted).

    - ``DIR/train/<class>/…`` beside ``DIR/test/<class>/…`` (or ``DIR/val/…``): those are the
      training and test sets;
    - otherwise every image is under ``DIR/<class>/``, and a seeded split (the run's ``--seed``)
      gives each class's test set a fifth of its images (at least one of a class of two or more).

    Images are converted to RGB and resized (bilinear) to ``--image-size`` pixels a side, default
    224, the ImageNet resolution of the pretrained networks. The normalisation is the training
    images' per-channel mean and standard deviation (a pretrained network uses its own).
    ``--per-class``, ``--limit`` and ``--val-split`` apply as for a named dataset.
    """
    from pathlib import Path

    from ...data.datasets.image_folder import load_image_folder

    root = Path(config["dataset"]).expanduser()
    side = int(config.get("image_size") or FOLDER_SIDE)
    size = (side, side)
    test_dir = next((root / d for d in ("test", "val") if (root / d).is_dir()), None)
    if (root / "train").is_dir() and test_dir is not None:
        x_train, y_train, classes = load_image_folder(root / "train", "RGB", size)
        x_test, y_test, test_classes = load_image_folder(test_dir, "RGB", size)
        if test_classes != classes:
            raise ValueError(f"image folder {root}: the class folders of train/ {list(classes)} "
                             f"and {test_dir.name}/ {list(test_classes)} differ")
        split_text = f"{root / 'train'} and {test_dir}"
    else:
        images, labels, classes = load_image_folder(root, "RGB", size)
        train, test = _test_split(labels, FOLDER_TEST_FRACTION, int(config["seed"]))
        if len(test) == 0 or len(train) == 0:
            raise ValueError(f"image folder {root}: {len(images)} images are too few to hold out "
                             "a test set; give each class two images or more")
        x_train, y_train, x_test, y_test = images[train], labels[train], images[test], labels[test]
        split_text = f"a seeded split of {root} (--seed {config['seed']})"
    log(f"image folder: {len(classes)} classes, {len(x_train)} training and {len(x_test)} test "
        f"images at {side}×{side} ({split_text})")
    x_train, y_train, x_val, y_val, x_test, y_test, validation = _subsets(
        config, x_train, y_train, x_test, y_test)
    pixels = x_train.reshape(len(x_train), 3, -1) / 255.0
    mean = pixels.mean(axis=(0, 2)).tolist()
    std = [max(float(v), 1e-6) for v in pixels.std(axis=(0, 2))]
    return RunData(root.name, tuple(classes), x_train, y_train, x_val, y_val, x_test, y_test,
                   255, mean, std, tuple(x_train.shape[1:]), validation, str(root))


def transform(config: dict):
    """The batch transform of a run: stored pixels → the model's normalised float32 input (None
    for a text run: its token ids go to the model as they are)."""
    from ...data import transforms as T

    if config.get("text"):
        return None
    norm = config["normalize"]
    steps = [T.ToFloat(scale=1.0 / norm["max_value"])]
    if config["input_shape"][0] == 3 and config["image_shape"][0] == 1:
        steps.append(T.Grayscale(3))    # gray images for a network pretrained on colour ones
    steps.append(T.Normalize(norm["mean"], norm["std"]))
    if list(config["input_shape"][1:]) != list(config["image_shape"][1:]):
        steps.append(T.Resize(tuple(config["input_shape"][1:])))
    return T.Compose(steps)


def loader(config: dict, x, y, train: bool = False):
    """A DataLoader of ``(x, y)`` with the run's transform: shuffled with the run's seed for
    training (the order of epoch e depends only on the seed and e), in order otherwise."""
    from ...data import DataLoader, TensorDataset

    if train:
        return DataLoader(TensorDataset(x, y), batch_size=config["batch_size"], shuffle=True,
                          seed=int(config["seed"]), transform=transform(config))
    return DataLoader(TensorDataset(x, y), batch_size=max(EVAL_BATCH, config["batch_size"]),
                      transform=transform(config))


