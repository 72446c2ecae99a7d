"""The options of a run: their defaults and checks, and the model they describe.

On a text dataset ``--model`` also takes the short names of :data:`.text.TEXT_MODELS` (``lstm``,
``gru``, ``bag``, ``transformer``); config.json then records the registry model built as
``"architecture"`` beside the name given as ``"model"``.
"""
from __future__ import annotations

import inspect
import math

MIN_IMAGE_SIDE = 16      # models with an image_size argument get images at least this large

DEFAULTS = {
    "model": "lenet",
    "dataset": "fashion-mnist",
    "epochs": 5,
    "optimizer": "adam",
    "lr": 1e-3,
    "batch_size": 128,
    "weight_decay": 0.0,
    "dropout": None,
    "seed": 0,
    "loss": "cross_entropy",
    "limit": None,
    "val_split": 0.0,
    "data_dir": None,
    "download": False,
    "compile": "auto",      # fit's step through chainrule.compile (Keras's jit_compile):
                            # "auto" (the default: "processes" where they can run, else off),
                            # "threads" (True), "processes", or "off" (False): eager
    # fine-tuning a pretrained network (chainrule finetune): its weights ("package" or a path),
    # the parameters kept frozen ("body": all but the classifier head; or glob patterns), the
    # first N training images of each class, and the side the images are resized to
    "weights": None,
    "freeze": None,
    "per_class": None,
    "image_size": None,
}
"""The options of a run and their defaults (``chainrule train``'s flags)."""


def validate_names(config: dict) -> None:
    """Check the model, dataset, optimizer and loss names before any data is read.

    Raises ValueError listing the valid names (the registries' own messages).
    """
    from ...data.datasets import dataset_info
    from ..registry import get_loss, get_optimizer_class
    from .data import is_image_folder
    from .text import resolve

    kind = "image" if is_image_folder(config["dataset"]) else dataset_info(config["dataset"]).kind
    model_factory(resolve(config["model"], kind)[0])
    get_optimizer_class(config["optimizer"])
    get_loss(config["loss"])


def model_factory(name: str):
    """The class or function registered as model ``name`` (ValueError listing the valid ones)."""
    from ...models import registry

    key = registry._key(name)
    key = registry._ALIASES.get(key, key)
    if key not in registry._MODELS:
        raise ValueError(f"unknown model {name!r}; valid names: "
                         f"{', '.join(registry.model_names())}")
    return registry._MODELS[key]


def check_options(config: dict) -> None:
    """Ranges of the numeric options (ValueError saying which and why)."""
    problems = []
    if not isinstance(config["epochs"], int) or config["epochs"] < 1:
        problems.append(f"--epochs must be an integer ≥ 1, got {config['epochs']!r}")
    if not isinstance(config["batch_size"], int) or config["batch_size"] < 1:
        problems.append(f"--batch-size must be an integer ≥ 1, got {config['batch_size']!r}")
    if not (isinstance(config["lr"], (int, float)) and math.isfinite(config["lr"])
            and config["lr"] > 0):
        problems.append(f"--lr must be a positive number, got {config['lr']!r}")
    if not (math.isfinite(config["weight_decay"]) and config["weight_decay"] >= 0):
        problems.append(f"--weight-decay must be ≥ 0, got {config['weight_decay']!r}")
    elif not problems and config["weight_decay"] * config["lr"] >= 1:
        # Decay shrinks every weight by the factor 1 − lr·λ per step (exactly so for SGD and
        # AdamW): at lr·λ ≥ 1 it erases the weights each step and the run trains to chance.
        problems.append(f"--weight-decay {config['weight_decay']:g} with --lr "
                        f"{config['lr']:g}: each step would shrink the weights by the factor "
                        f"1 − lr·λ = {1 - config['lr'] * config['weight_decay']:.3g}, erasing "
                        f"them; a weight decay below 1/lr = {1 / config['lr']:.3g} (typically "
                        "1e-5 to 1e-2) keeps them")
    dropout = config.get("dropout")
    if dropout is not None and not 0.0 <= dropout < 1.0:
        problems.append(f"--dropout must lie in [0, 1), got {dropout!r}")
    if config.get("limit") is not None and config["limit"] < 1:
        problems.append(f"--limit must be ≥ 1, got {config['limit']!r}")
    if config.get("per_class") is not None and config["per_class"] < 1:
        problems.append(f"--per-class must be ≥ 1, got {config['per_class']!r}")
    if config.get("image_size") is not None and config["image_size"] < MIN_IMAGE_SIDE:
        problems.append(f"--image-size must be ≥ {MIN_IMAGE_SIDE}, got {config['image_size']!r}")
    if config.get("freeze") and not config.get("weights"):
        problems.append("--freeze keeps pretrained parameters fixed: it needs --weights")
    if not 0.0 <= config.get("val_split", 0.0) < 1.0:
        problems.append(f"--val-split must lie in [0, 1), got {config['val_split']!r}")
    if problems:
        raise ValueError("; ".join(problems))


def _parameters(factory) -> dict:
    try:
        return dict(inspect.signature(factory).parameters)
    except (TypeError, ValueError):
        return {}


def _dropout(config: dict, params: dict, kwargs: dict) -> None:
    if config.get("dropout") is not None:
        if "dropout" not in params:
            raise ValueError(f"model {config['model']!r} has no dropout option; leave --dropout "
                             "out")
        kwargs["dropout"] = float(config["dropout"])


def model_setup(config: dict, data) -> None:
    """Fill ``config`` with what the model needs from the data: ``model_kwargs`` (its
    constructor arguments: channels, classes, image size, input features, dropout),
    ``input_shape`` (one sample as the model sees it), ``image_shape``, classes and the
    normalisation. For a text run: the vocabulary size, classes, padding id and sequence
    length instead, ``"architecture"`` and the text settings (``"text"``)."""
    if data.kind == "text":
        return _text_setup(config, data)
    factory = model_factory(config["model"])
    params = _parameters(factory)
    if config.get("weights"):
        return _pretrained_setup(config, data, factory, params)
    c, h, w = data.image_shape
    kwargs: dict = {}
    side = min(h, w)
    if "image_size" in params and side < MIN_IMAGE_SIDE:
        factor = math.ceil(MIN_IMAGE_SIDE / side)
        h, w = h * factor, w * factor
    if "in_channels" in params:
        kwargs["in_channels"] = c
    if "num_classes" in params:
        kwargs["num_classes"] = data.num_classes
    if "image_size" in params:
        if h != w:
            raise ValueError(f"model {config['model']!r} takes square images, but {data.name} "
                             f"has {h}×{w}")
        kwargs["image_size"] = h
    if "in_features" in params:
        kwargs["in_features"] = c * h * w
    _dropout(config, params, kwargs)
    config["model_kwargs"] = kwargs
    config["input_shape"] = [c, h, w]
    config["image_shape"] = list(data.image_shape)
    config["classes"] = list(data.classes)
    config["normalize"] = {"max_value": data.max_value, "mean": data.mean, "std": data.std}


def _pretrained_setup(config: dict, data, factory, params: dict) -> None:
    """A pretrained ImageNet network fine-tuned on the run's images: its own input (3 channels,
    gray images repeated; ``image_size`` pixels a side, default the weights' resolution) and its
    own normalisation; a new head for the dataset's classes (the pretrained one is not loaded
    when the number of classes differs)."""
    if "weights" not in params:
        raise ValueError(f"model {config['model']!r} has no pretrained weights to fine-tune; "
                         "--weights needs a model such as efficientnet-lite0")
    probe = factory(num_classes=data.num_classes)          # its resolution and preprocessing
    size = int(config.get("image_size") or getattr(probe, "image_size", 224))
    preprocessing = probe.transforms()
    kwargs = {"weights": config["weights"], "num_classes": data.num_classes}
    _dropout(config, params, kwargs)
    config["model_kwargs"] = kwargs
    config["input_shape"] = [3, size, size]
    config["image_shape"] = list(data.image_shape)
    config["classes"] = list(data.classes)
    config["normalize"] = {"max_value": data.max_value,
                           "mean": preprocessing.mean.reshape(-1).tolist(),
                           "std": preprocessing.std.reshape(-1).tolist()}


def _text_setup(config: dict, data) -> None:
    from . import text

    architecture, fixed = text.resolve(config["model"], "text")
    params = _parameters(model_factory(architecture))
    kwargs = {"vocab_size": len(data.vocab), "num_classes": data.num_classes,
              "padding_idx": data.vocab.pad_index, **fixed}
    if "max_len" in params:                     # the transformer's positional table
        kwargs["max_len"] = text.MAX_LEN
    _dropout(config, params, kwargs)
    config["architecture"] = architecture
    config["model_kwargs"] = kwargs
    config["input_shape"] = [text.MAX_LEN]
    config["classes"] = list(data.classes)
    config["text"] = text.settings(data.vocab)


def build_model(config: dict):
    """The run's model, freshly initialised from chainrule's generator (a fine-tuning run's with
    its pretrained weights, and the parameters named by ``freeze`` frozen)."""
    from ...models import get_model

    model = get_model(config.get("architecture") or config["model"], **config["model_kwargs"])
    if config.get("freeze"):
        freeze_parameters(model, config["freeze"])
    return model


def freeze_parameters(model, freeze) -> list[str]:
    """Freeze ``freeze``: ``"body"`` (every parameter but the classifier head's: the last
    Linear layer) or glob patterns over parameter names (``nn.utils.freeze``'s). Returns the
    frozen names."""
    from ...nn import Linear
    from ...nn.utils import freeze as freeze_by_pattern

    patterns = [freeze] if isinstance(freeze, str) else list(freeze)
    if patterns == ["body"]:
        heads = [name for name, m in model.named_modules() if isinstance(m, Linear)]
        if not heads:
            raise ValueError(f"--freeze body: {type(model).__name__} has no Linear head")
        head = heads[-1] + "."
        names = [n for n, _ in model.named_parameters() if not n.startswith(head)]
        return freeze_by_pattern(model, *names)
    return freeze_by_pattern(model, *patterns)


def _jit_compile(value, distributed: bool = False):
    """The config's "compile" as fit's jit_compile. "auto", like Keras 3's default
    ``jit_compile="auto"``, compiles where it pays (fit's "auto": the step over two processes,
    the batch's second half in a forked worker, docs/compile.md §7.1, on Linux with two or more
    cores), and not inside an MPI job (``distributed``: each rank is already one process)."""
    if value == "auto":
        return False if distributed else "auto"
    if value == "processes":
        return "processes"
    if value == "off":
        return False
    if value in (None, False, True, "threads"):
        return bool(value)
    raise ValueError(f"compile: expected 'auto', 'threads', 'processes' or 'off', got {value!r}")


def compile_model(model, config: dict, distributed: bool = False):
    jit = _jit_compile(config.get("compile"), distributed)
    if config.get("compile") == "auto" and not _library_modules(model):
        jit = False
    model.compile(optimizer=config["optimizer"], loss=config["loss"], metrics=["accuracy"],
                  lr=config["lr"], weight_decay=config["weight_decay"], jit_compile=jit)
    return model


def _library_modules(model) -> bool:
    """Whether every module of ``model`` is one of chainrule's own. "auto" compiles only those:
    a trace records one path through ``forward``, and a module of the user's whose forward
    branches on its own Python state (a counter, Python's random) would replay the path of the
    traced call; chainrule's modules keep such state in tensors (dropout's masks, BatchNorm's
    counter) or raise at the trace. Ask for --compile explicitly to compile other models."""
    return all(type(m).__module__.partition(".")[0] == "chainrule" for m in model.modules())


