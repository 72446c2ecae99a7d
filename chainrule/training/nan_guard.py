"""The NaN guard: when a loss is not finite, find where the numbers first went wrong.

``fit`` checks every batch's loss before it applies the update. When the loss is NaN or ±inf the
update is skipped (the weights stay those of the last finite step, and no checkpoint is written
from them), and unless a callback stops training quietly (:class:`TerminateOnNaN`),
:func:`diagnose` re-runs that batch's forward pass with every submodule watched and
:class:`NonFiniteLossError` names the first layer — in the order the layers *finished* — whose
output held a NaN or an infinity. A layer finishes before the container that called it, so that
is the innermost culprit.

:func:`forward_hooks` is the small hook facility this needs, kept here rather than in ``nn``:
it wraps each submodule's ``forward`` for the duration of a ``with`` block and puts it back after.
"""
from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable

from .. import backend
from ..autograd.grad_mode import no_grad
from ..backend import xp
from ..tensor import Tensor


class NonFiniteLossError(FloatingPointError):
    """The loss of a training step was NaN or infinite; training stopped before the update.

    Attributes: ``step`` (the optimizer step, counting from 1 over the whole run), ``epoch`` and
    ``batch`` (from 0), ``loss`` (the value), ``layer`` (the dotted name of the first submodule
    whose output was not finite, '' for the model itself, None when every layer's output was
    finite) and ``report`` (the diagnosis in words).
    """

    def __init__(self, message: str, *, step: int, epoch: int, batch: int, loss: float,
                 layer: str | None, report: str):
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.batch = batch
        self.loss = loss
        self.layer = layer
        self.report = report


class DivergenceWarning(RuntimeWarning):
    """The training loss grew by orders of magnitude: the run is diverging (too large a
    learning rate, most often)."""


class DivergenceWatch:
    """Warns once when a batch's training loss exceeds 1000× the lowest seen so far (floored at
    0.01, so that losses near zero do not alarm), naming the learning rate and weight decay in
    force — a run at lr 10⁶ used to finish with loss 10²² and no word."""

    FACTOR = 1000.0
    FLOOR = 1e-2

    def __init__(self):
        self.low = math.inf
        self.warned = False

    def update(self, value: float, optimizer, epoch: int, batch: int) -> None:
        if self.warned or not math.isfinite(value):
            return
        if value > self.FACTOR * max(self.low, self.FLOOR) and math.isfinite(self.low):
            self.warned = True
            group = optimizer.param_groups[0] if optimizer is not None else {}
            settings = [f"learning rate {group['lr']:g}"] if "lr" in group else []
            if group.get("weight_decay"):
                settings.append(f"weight decay {group['weight_decay']:g}")
            hint = (f"; in force: {', '.join(settings)}: try a learning rate 10 times smaller"
                    if settings else "")
            warnings.warn(f"fit: the training loss grew from {self.low:.4g} to {value:.4g} "
                          f"(epoch {epoch + 1}, batch {batch + 1}): the training is diverging"
                          f"{hint}", DivergenceWarning, stacklevel=4)
        self.low = min(self.low, value)


def _arrays(value):
    """Every array inside a forward's output (Tensors, arrays, nested tuples/lists/dicts)."""
    if isinstance(value, Tensor):
        yield value._data
    elif isinstance(value, xp.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)


def is_finite(value) -> bool:
    """Whether every floating-point number inside ``value`` is finite."""
    return all(bool(xp.isfinite(a).all()) for a in _arrays(value) if a.dtype.kind in "fc")


def _watched(name: str, module, forward: Callable, hook: Callable) -> Callable:
    def watched(*args, **kwargs):
        output = forward(*args, **kwargs)
        hook(name, module, output)
        return output

    return watched


@contextlib.contextmanager
def forward_hooks(model, hook: Callable):
    """Call ``hook(name, module, output)`` after every submodule's forward inside the block.

    The wrapper is an instance attribute ``forward`` (``Module.__call__`` looks it up on the
    instance first); on exit each module gets its own ``forward`` back, including one that was
    already an instance attribute.
    """
    wrapped = []
    try:
        for name, module in model.named_modules():
            previous = module.__dict__.get("forward")
            object.__setattr__(module, "forward", _watched(name, module, module.forward, hook))
            wrapped.append((module, previous))
        yield
    finally:
        for module, previous in wrapped:
            if previous is None:
                module.__dict__.pop("forward", None)
            else:
                object.__setattr__(module, "forward", previous)


def first_nonfinite_layer(model, x) -> tuple[str, object] | None:
    """``(name, module)`` of the first submodule to finish with a non-finite output on ``x``.

    The forward runs without a graph, in the model's current mode; chainrule's RNG state is put
    back afterwards, so the diagnosis does not change later random draws.
    """
    found: list = []

    def hook(name, module, output):
        if not found and not is_finite(output):
            found.append((name, module))

    state = backend.generator().bit_generator.state
    try:
        with no_grad(), forward_hooks(model, hook):
            model(*x) if isinstance(x, tuple) else model(x)
    finally:
        backend.generator().bit_generator.state = state
    return found[0] if found else None


def _output_scale(model, x) -> float | None:
    """The largest |value| of the model's output on ``x`` (None if it cannot be told)."""
    try:
        with no_grad():
            out = model(*x) if isinstance(x, tuple) else model(x)
        sizes = [float(xp.abs(a).max()) for a in _arrays(out) if a.size]
        return max(sizes) if sizes else None
    except Exception:           # the diagnosis must not hide the original problem
        return None


def _learning_rate(model) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    groups = getattr(optimizer, "param_groups", None)
    return groups[0].get("lr") if groups else None


def diagnose(model, x, loss: float, step: int, epoch: int, batch: int,
             op: str = "fit") -> NonFiniteLossError:
    """The error to raise for a non-finite ``loss`` at this step (see the module docstring)."""
    where = f"step {step} (epoch {epoch + 1}, batch {batch})"
    reasons = []
    layer = None
    bad_params = [name for name, p in model.named_parameters()
                  if not bool(xp.isfinite(p._data).all())]
    if not is_finite(x):
        reasons.append("the input batch itself contains NaN or infinite values")
    if bad_params:
        shown = ", ".join(repr(n) for n in bad_params[:5])
        more = f" and {len(bad_params) - 5} more" if len(bad_params) > 5 else ""
        reasons.append(f"parameters {shown}{more} are not finite")
    try:
        culprit = first_nonfinite_layer(model, x)
    except Exception as e:  # the diagnosis must not hide the original problem
        culprit = None
        reasons.append(f"re-running the forward pass to locate the layer failed: {e!r}")
    if culprit is not None:
        layer, module = culprit
        label = f"'{layer}'" if layer else "the model's own forward"
        reasons.insert(0, f"the first layer whose output was not finite is {label} "
                          f"({type(module).__name__})")
    elif not reasons:
        scale = _output_scale(model, x)
        if scale is not None and scale > 1e15:
            lr = _learning_rate(model)
            reasons.append(f"every layer's output was finite, but the model's outputs reach "
                           f"{scale:.3g}, where the loss overflows: the training diverged"
                           + (f" (learning rate in force: {lr:g})" if lr is not None else ""))
        else:
            reasons.append("every layer's output was finite, so the loss function itself "
                           "produced it (e.g. log of 0 in a loss on probabilities: check the "
                           "targets' range, or use a loss on logits)")
    report = "; ".join(reasons)
    message = (f"{op}: the loss is {loss} at {where}: {report}. Training stopped before this "
               f"update, so the weights are those after step {step - 1}, and checkpoints already "
               f"written are untouched. Lower the learning rate, clip gradients, or check the "
               f"data; add TerminateOnNaN() to stop without an error.")
    return NonFiniteLossError(message, step=step, epoch=epoch, batch=batch, loss=loss,
                              layer=layer, report=report)


__all__ = ["NonFiniteLossError", "forward_hooks", "first_nonfinite_layer", "diagnose",
           "is_finite"]
