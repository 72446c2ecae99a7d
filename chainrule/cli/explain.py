"""``chainrule explain MODEL_OR_RUN``: a model written as mathematics, layer by layer.

MODEL is a name that ``chainrule.models.get_model`` knows (``mlp``, ``lenet``, …), with
constructor arguments given as ``-k name=value``. RUN is a folder written by training that holds
a ``config.json``; the assumption made about it: its key ``"model"`` names the model, and
optional keys ``"model_kwargs"`` (or ``"model_args"``: a dict of constructor arguments),
``"input_shape"`` (one sample's shape, a list) and ``"loss"`` (``cross_entropy``, ``mse``) are
used when present; any other key is ignored. The weights are not needed: the equations, shapes
and counts depend only on the architecture.

    chainrule explain mlp
    chainrule explain lenet --format markdown
    chainrule explain lstm-classifier -k vocab_size=5000 --input-shape 50
    chainrule explain runs/2024-05-01-lenet
"""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

# One sample's shape for the models whose input is known; others need --input-shape.
_INPUT_SHAPES = {"mlp": (784,), "lenet": (1, 28, 28), "lenet5": (1, 28, 28),
                 "small-vgg": (3, 32, 32), "vgg16": (3, 224, 224), "vgg16-bn": (3, 224, 224),
                 "resnet18": (3, 224, 224), "resnet34": (3, 224, 224),
                 "resnet50": (3, 224, 224)}
_TEXT_LENGTH = 20     # tokens per sample for text models (an Embedding first)


_EXAMPLES = """\
examples:
  chainrule explain mlp                         the 784-256-128-10 network, as equations
  chainrule explain lenet --format markdown     for a notebook or a README
  chainrule explain resnet18 | less             a long one: page through it
  chainrule explain resnet18 --input-shape 3,32,32
  chainrule explain lstm-classifier -k vocab_size=5000 --input-shape 50
  chainrule explain runs/2024-05-01-lenet       the model of a training run (its config.json)

Symbols: x the input, zₖ the pre-activation and hₖ the output of layer k (the layers with
parameters are numbered), ŷ the prediction, y the target, L the loss, δₖ = ∂L/∂zₖ."""


def register(sub) -> None:
    import argparse

    p = sub.add_parser("explain", help="write a model as mathematics, layer by layer",
                       description="Write a model as mathematics, layer by layer: the "
                                   "forward pass, the loss and backpropagation, with each "
                                   "layer's shape, parameters and multiply-adds.",
                       epilog=_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="MODEL_OR_RUN",
                   help="a model name (mlp, lenet, …) or a run folder with a config.json")
    p.add_argument("-k", "--kwarg", action="append", default=[], metavar="NAME=VALUE",
                   help="a constructor argument of the model (repeatable)")
    p.add_argument("--input-shape", metavar="D1,D2,…",
                   help="one sample's shape without the batch axis, e.g. 1,28,28")
    p.add_argument("--loss", choices=("auto", "cross_entropy", "mse", "none"), default=None,
                   help="the loss to write (default: the run's, else auto: cross-entropy for "
                        "several outputs, squared error for one)")
    p.add_argument("--format", choices=("text", "latex", "markdown"), default="text",
                   help="text (default): Unicode for the terminal, with a table of the layers; "
                        "latex: one aligned block of equations for a LaTeX document or MathJax; "
                        "markdown: equations in $…$ and the table, for Jupyter or a README")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        model, shape, loss = resolve(args.target, _kwargs(args.kwarg), args.input_shape,
                                     args.loss)
        from ..explain.equations import explain

        e = explain(model, shape, loss=loss)
    except (ValueError, TypeError, KeyError, FileNotFoundError) as exc:
        message = str(exc).strip("'\"")
        missing = re.search(r"missing a required argument: '(\w+)'", message)
        if missing:                      # a learner's next step, spelled out
            name = missing.group(1)
            message += f"\ngive it with -k {name}=VALUE" + (
                ", e.g. -k vocab_size=5000 (the number of distinct tokens)"
                if name == "vocab_size" else "")
        print(f"chainrule explain: {message}", file=sys.stderr)
        return 2
    print({"text": str, "latex": type(e).to_latex, "markdown": type(e).to_markdown}[args.format](e))
    return 0


def resolve(target: str, kwargs: dict, input_shape: str | None, loss: str | None):
    """(model, one sample's shape, loss module or 'auto' or None) for a name or a run folder."""
    config: dict = {}
    path = Path(target)
    if path.is_dir():
        config_file = path / "config.json"
        if not config_file.is_file():
            raise FileNotFoundError(f"{target} is a folder without a config.json; a run folder "
                                    "written by training has one naming the model")
        config = json.loads(config_file.read_text(encoding="utf-8"))
        if "model" not in config:
            raise ValueError(f"{config_file} has no key 'model' naming the model")
        name = str(config["model"])
        kwargs = {**dict(config.get("model_kwargs") or config.get("model_args") or {}),
                  **kwargs}
    else:
        name = target
    model = build_model(name, kwargs)
    shape = _shape(input_shape) if input_shape else config.get("input_shape")
    if shape is None:
        shape = _default_shape(name, model)
    return model, tuple(shape), _loss(loss if loss is not None else config.get("loss", "auto"))


def build_model(name: str, kwargs: dict):
    from ..models import get_model

    return get_model(name, **kwargs)


def _default_shape(name: str, model) -> tuple:
    key = name.strip().lower().replace("_", "-")
    first = next((m for m in model.modules() if not any(True for _ in m.children())), None)
    if key in _INPUT_SHAPES:
        shape = _INPUT_SHAPES[key]
        if len(shape) == 3 and hasattr(first, "in_channels"):
            shape = (first.in_channels,) + shape[1:]      # e.g. lenet with in_channels=3
        if len(shape) == 1 and hasattr(first, "in_features"):
            shape = (first.in_features,)
        return shape
    if first is not None and hasattr(first, "num_embeddings"):
        return (_TEXT_LENGTH,)
    size = getattr(model, "image_size", None)       # the resolution a model was trained at
    if isinstance(size, int) and hasattr(first, "in_channels"):
        return (first.in_channels, size, size)
    raise ValueError(f"the input shape of {name!r} is not known; give one sample's shape with "
                     "--input-shape, e.g. --input-shape 3,32,32")


def _shape(text: str) -> tuple:
    try:
        return tuple(int(p) for p in text.replace("x", ",").replace("×", ",").split(",") if p)
    except ValueError:
        raise ValueError(f"--input-shape {text!r}: expected integers separated by commas, "
                         "e.g. 1,28,28") from None


def _loss(name):
    if name in (None, "none", False):
        return None
    if name == "auto":
        return "auto"
    from .. import nn

    table = {"cross_entropy": nn.CrossEntropyLoss, "crossentropy": nn.CrossEntropyLoss,
             "mse": nn.MSELoss, "bce": nn.BCEWithLogitsLoss}
    key = str(name).lower().replace("-", "_")
    if key not in table:
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(table)} or none")
    return table[key]()


def _kwargs(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"-k {pair!r}: expected NAME=VALUE, e.g. -k vocab_size=5000")
        try:
            out[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key.strip()] = value
    return out
