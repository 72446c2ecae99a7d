"""Gradient diagnostics: per-layer norms of activations, gradients and updates; vanishing and
exploding gradients and dead ReLU units found and explained.

Backpropagation multiplies the gradient by one Jacobian per layer on its way from the loss to the
first layer: ∂L/∂h₀ = J₁ᵀ J₂ᵀ ⋯ J_Lᵀ ∂L/∂h_L. When those Jacobians shrink the vectors they are
applied to (norms below one), the product shrinks geometrically and the first layers barely learn
(vanishing gradients); when they stretch them (norms above one) it grows geometrically
(exploding gradients). Each layer's *gain*, ‖∂L/∂input‖ / ‖∂L/∂output‖, is the norm of its
Jacobian along the gradient that actually flowed, measured here for every layer.

- :func:`gradient_report` (model, x, y, loss_fn) runs one forward and backward pass and reports
  every layer (the model's ``.grad`` are left as they were);
- :class:`GradientMonitor`, a ``fit()`` callback, records the same norms and the update/weight
  ratio ‖ΔW‖/‖W‖ of every step, and checks for dead ReLU units over each epoch;
- both draw to PNG (``.plot(path)``, matplotlib imported only then).

Thresholds: gradients vanish when the first layer's weight gradient norm is ``threshold`` (100)
times below the last layer's, or the product of the gains between them is below 1/threshold;
they explode when either is that much above (or a gradient is not finite); a ReLU
unit is dead when its output is 0 for every sample seen (flagged when at least ``dead_fraction``
of a layer's units are: in a deep network at initialisation a
few units can be inactive for a whole batch without harm).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..backend import xp
from ..tensor import Tensor
from .recording import Call, record_modules, tensors_in

try:  # fit() accepts only Callback instances; the module may be absent in a trimmed install
    from ..training.callbacks import Callback as _CallbackBase
except ImportError:  # pragma: no cover - duck-typed hooks: on_train_batch_end, on_epoch_end, …
    class _CallbackBase:  # type: ignore[no-redef]
        def __init__(self):
            self.model = None
            self.params: dict = {}

        def set_model(self, model) -> None:
            self.model = model

        def set_params(self, params: dict) -> None:
            self.params = params


# ------------------------------------------------------------------------------ results


@dataclass
class LayerStats:
    """One leaf module's numbers for one forward/backward pass."""

    name: str
    kind: str                          # the module's class
    output_shape: tuple
    activation_norm: float             # ‖output‖ / √batch (per sample)
    activation_mean: float
    activation_std: float
    gain: float | None = None          # ‖∂L/∂input‖ / ‖∂L/∂output‖
    output_grad_norm: float | None = None
    weight_norm: float | None = None
    grad_norm: float | None = None     # ‖∂L/∂W‖ of the weight
    grad_weight_ratio: float | None = None
    update_ratio: float | None = None  # ‖ΔW‖ / ‖W‖ (training only)
    units: int = 0                     # ReLU units (channels for convolutional outputs)
    dead_units: int = 0


@dataclass
class Finding:
    """A problem found, with the reason in words."""

    kind: str                          # 'vanishing', 'exploding', 'dead_relu', 'non_finite'
    layers: list[str]
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class GradientReport:
    """Per-layer statistics of one pass and what they reveal."""

    layers: list[LayerStats]
    findings: list[Finding]
    ratio: float | None                # first / last layer's weight-gradient norm
    loss: float | None = None
    threshold: float = 100.0

    @property
    def vanishing(self) -> bool:
        return any(f.kind == "vanishing" for f in self.findings)

    @property
    def exploding(self) -> bool:
        return any(f.kind in ("exploding", "non_finite") for f in self.findings)

    @property
    def dead_relu(self) -> bool:
        return any(f.kind == "dead_relu" for f in self.findings)

    @property
    def weighted(self) -> list[LayerStats]:
        """The layers with a weight, in forward order."""
        return [s for s in self.layers if s.grad_norm is not None]

    def __str__(self) -> str:
        header = ("layer", "module", "‖h‖/sample", "gain", "‖W‖", "‖∂L/∂W‖", "‖∂L/∂W‖/‖W‖",
                  "dead")
        rows = [header]
        for s in self.layers:
            rows.append((s.name or "-", s.kind, _g(s.activation_norm), _g(s.gain),
                         _g(s.weight_norm), _g(s.grad_norm), _g(s.grad_weight_ratio),
                         f"{s.dead_units}/{s.units}" if s.units else ""))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["Gradient report" + (f" (loss {self.loss:.4g})" if self.loss is not None
                                      else "")]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.append("  gain = ‖∂L/∂input‖/‖∂L/∂output‖: the norm of the layer's Jacobian along "
                     "the gradient")
        if self.ratio is not None:
            lines.append(f"  first/last weight-gradient norm: {self.ratio:.3g}")
        lines.append("")
        lines += [str(f) for f in self.findings] or ["no vanishing or exploding gradients, no "
                                                     "dead ReLU units"]
        return "\n".join(lines)

    def plot(self, path=None, title: str | None = None):
        """Bar charts per layer: activation norm, gradient norm, gain (PNG if ``path``)."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        names = [f"{s.name} {s.kind}" if s.name else s.kind for s in self.layers]
        fig, axes = plt.subplots(3, 1, figsize=(max(6, 0.45 * len(names) + 2), 8), sharex=True)
        axes[0].bar(names, [s.activation_norm for s in self.layers], color="#4a6fa5")
        axes[0].set_ylabel("‖activation‖ per sample")
        grads = [s.grad_norm if s.grad_norm else float("nan") for s in self.layers]
        axes[1].bar(names, grads, color="#b8860b")
        axes[1].set_yscale("log")
        axes[1].set_ylabel("‖∂L/∂W‖")
        gains = [s.gain if s.gain else float("nan") for s in self.layers]
        axes[2].bar(names, gains, color="#3c7d3c")
        axes[2].axhline(1.0, color="#a33b3b", lw=1, ls="--")
        axes[2].set_yscale("log")
        axes[2].set_ylabel("gain (Jacobian norm)")
        axes[2].tick_params(axis="x", rotation=60)
        fig.suptitle(title or ("Gradient report: " + ", ".join(f.kind for f in self.findings)
                               if self.findings else "Gradient report: healthy"))
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
            plt.close(fig)
        return fig


def _g(v) -> str:
    return "" if v is None else f"{v:.3g}"


def _norm(a) -> float:
    a = xp.asarray(a, dtype=xp.float64)
    return float(xp.sqrt(xp.sum(a * a)))


# ------------------------------------------------------------------------------ the report


def gradient_report(model, x, y, loss_fn, *, threshold: float = 100.0,
                    dead_fraction: float = 0.5) -> GradientReport:
    """One forward and backward pass of ``loss_fn(model(x), y)``, layer by layer.

    Reports each leaf module's activation norm, gain (the norm of its Jacobian along the
    gradient), weight and weight-gradient norms, and dead ReLU units; finds vanishing and
    exploding gradients and dead units and says why. ``.grad`` of the model is restored.
    """
    saved = {id(p): p.grad for p in model.parameters()}
    for p in model.parameters():
        p.grad = None
    x_in = x
    if isinstance(x, Tensor) and x.dtype.kind == "f" and not x.requires_grad:
        x_in = Tensor._make(x._data, requires_grad=True)   # the first layer's gain is measured too
    try:
        with record_modules(model, claim=False) as rec:
            out = model(x_in)
        calls = rec.leaf_calls
        for call in calls:
            for t in tensors_in(call.output)[:1]:
                if t.requires_grad and t._node is not None:
                    t.retain_grad()
        loss = loss_fn(out, y)
        loss.backward()
        stats = [_call_stats(c) for c in calls]
        report = _diagnose(stats, threshold, dead_fraction, float(loss._data),
                           batch=_batch(x), calls=calls)
    finally:
        for p in model.parameters():
            p.grad = saved.get(id(p))
    return report


def _batch(x) -> int:
    shape = getattr(x, "shape", ())
    return int(shape[0]) if shape else 1


def _call_stats(call: Call) -> LayerStats:
    module = call.module
    outs = tensors_in(call.output)
    out = outs[0] if outs else None
    data = out._data if out is not None else xp.zeros(0)
    batch = data.shape[0] if data.ndim else 1
    s = LayerStats(call.name, type(module).__name__, tuple(data.shape[1:]),
                   _norm(data) / math.sqrt(max(batch, 1)),
                   float(data.mean()) if data.size else 0.0,
                   float(data.std()) if data.size else 0.0)
    g_out = out.grad._data if out is not None and out.grad is not None else None
    ins = call.input_tensors
    g_in = ins[0].grad._data if ins and ins[0].grad is not None else None
    if g_out is not None:
        s.output_grad_norm = _norm(g_out)
        if g_in is not None and s.output_grad_norm > 0:
            s.gain = _norm(g_in) / s.output_grad_norm
    weight = _weight(module)
    if weight is not None:
        s.weight_norm = _norm(weight._data)
        if weight.grad is not None:
            s.grad_norm = _norm(weight.grad._data)
            s.grad_weight_ratio = s.grad_norm / s.weight_norm if s.weight_norm else None
    if _is_relu(module) and data.ndim >= 2:
        alive = _alive(data)
        s.units, s.dead_units = alive.size, int((~alive).sum())
    return s


def _weight(module):
    w = getattr(module, "weight", None)
    if isinstance(w, Tensor):
        return w
    for p in module.parameters(recurse=False):
        if p.ndim >= 2:
            return p
    return None


def _is_relu(module) -> bool:
    return getattr(type(module), "primitive", None) == "relu"


def _alive(data) -> object:
    """Per unit (feature, or channel of a convolutional output): positive for some sample."""
    positive = data > 0
    axes = (0,) + tuple(range(2, data.ndim))
    return positive.any(axis=axes)


def _relu_reason() -> str:
    from ..primitives import formula
    from .notation import main_clause

    return main_clause(formula("relu").derivative.text)


def _activation_reason(stats: list[LayerStats]) -> str:
    """The measured gain of each kind of activation, with its derivative from its formula."""
    from ..primitives import formula
    from .notation import main_clause

    by_kind: dict[str, list[float]] = {}
    for s in stats:
        if s.gain is not None and s.grad_norm is None and s.kind not in ("Flatten", "Dropout"):
            by_kind.setdefault(s.kind, []).append(s.gain)
    parts = []
    for kind, gains in by_kind.items():
        mean = math.exp(sum(math.log(max(g, 1e-300)) for g in gains) / len(gains))
        text = ""
        try:
            from .. import nn

            module = getattr(nn, kind)()
            text = main_clause(formula(module.primitive).derivative.text)
        except Exception:  # not an activation module with a primitive
            pass
        parts.append(f"the {kind} layers scale it by {mean:.2g} on average"
                     + (f" (their derivative {text})" if text else ""))
    return "; ".join(parts)


def _diagnose(stats: list[LayerStats], threshold: float, dead_fraction: float, loss,
              batch: int, calls=None) -> GradientReport:
    findings: list[Finding] = []
    weighted = [s for s in stats if s.grad_norm is not None]
    ratio = None
    non_finite = [s.name for s in weighted if not math.isfinite(s.grad_norm)]
    if non_finite or (loss is not None and not math.isfinite(loss)):
        findings.append(Finding("non_finite", non_finite, (
            "the loss or the gradients of " + (", ".join(non_finite) or "the model")
            + " are not finite (inf or NaN): the gradient overflowed on its way down, the "
              "extreme case of exploding gradients (or the loss itself overflowed); lower the "
              "learning rate, clip gradients, check the inputs")))
    elif len(weighted) >= 2:
        first, last = weighted[0], weighted[-1]
        ratio = first.grad_norm / last.grad_norm if last.grad_norm > 0 else math.inf
        between = stats[stats.index(first):stats.index(last) + 1]
        gains = [s.gain for s in between[1:] if s.gain is not None and s.gain > 0]
        product = math.prod(gains) if gains else None
        mean = math.exp(sum(math.log(g) for g in gains) / len(gains)) if gains else None
        chain = (f"the {len(gains)} Jacobians between them have norms along the gradient of "
                 f"geometric mean {mean:.2g}, so together they multiply it by {product:.2g}"
                 if gains else "the Jacobians between them multiply up")
        compare = (f"the first layer's weight gradient ({_who(first)}: ‖∂L/∂W‖ = "
                   f"{first.grad_norm:.3g}) is {{}} than the last layer's ({_who(last)}: "
                   f"{last.grad_norm:.3g})")
        shrinks = ratio < 1 / threshold or (product is not None and product < 1 / threshold)
        grows = ratio > threshold or (product is not None and product > threshold)
        if shrinks and not grows:
            why = _activation_reason(between)
            how = f"{1 / ratio:.3g}× smaller" if ratio < 1 else f"only {ratio:.3g}× that"
            findings.append(Finding("vanishing", [first.name, last.name], (
                compare.format(how) + ". Backpropagation multiplies the gradient by each "
                f"layer's Jacobian on the way down, and {chain}: a product of Jacobians whose "
                "norms are below one shrinks geometrically with depth"
                + (f"; {why}" if why else "") + ". The first layers barely learn. Remedies: "
                "ReLU-family activations with He initialisation, normalisation layers, "
                "residual connections.")))
        elif grows:
            how = f"{ratio:.3g}× larger" if ratio > 1 else f"{1 / ratio:.3g}× smaller"
            findings.append(Finding("exploding", [first.name, last.name], (
                compare.format(how) + ". Backpropagation multiplies the gradient by each "
                f"layer's Jacobian on the way down, and {chain}: a product of Jacobians whose "
                "norms are above one grows geometrically with depth. Remedies: smaller "
                "initial weights (Xavier/He), gradient clipping "
                "(chainrule.nn.utils.clip_grad_norm_), a lower learning rate.")))
    findings += _dead_findings(stats, dead_fraction, batch)
    return GradientReport(stats, findings, ratio, loss, threshold)


def _who(s: LayerStats) -> str:
    return f"layer {s.name} ({s.kind})" if s.name else s.kind


def _dead_findings(stats, dead_fraction: float, batch: int, samples: int | None = None):
    findings = []
    seen = samples if samples is not None else batch
    if seen < 8:
        return findings          # with a handful of samples, zeros say little
    for s in stats:
        if s.units and s.dead_units / s.units >= dead_fraction:
            findings.append(Finding("dead_relu", [s.name], (
                f"{s.dead_units} of {s.units} units of {_who(s)} output 0 for "
                f"all {seen} samples: their pre-activation is negative for every input, so the "
                f"derivative {_relu_reason()} is 0 for each of them and the weights feeding them "
                "receive no gradient, so they cannot recover. Causes: a too large learning rate, "
                "large negative biases, poor initialisation; remedies: a lower learning rate, "
                "LeakyReLU or ELU, He initialisation.")))
    return findings


# ------------------------------------------------------------------------------ the callback


class GradientMonitor(_CallbackBase):
    """A ``fit()`` callback: per-layer activation norms, gradient norms and update/weight
    ratios at every ``every``-th training step, dead ReLU units over each epoch, and findings.

    ``history[layer]`` holds lists ``step``, ``activation_norm``, ``grad_norm``,
    ``update_ratio``; ``findings`` the problems found (checked at each epoch's end);
    ``plot(path)`` draws the three curves per layer to PNG. Also usable without ``fit``: call
    ``set_model(model)``, ``on_train_begin()``, then ``on_train_batch_begin``/``_end`` around
    each step (forward, backward, optimizer step) and ``on_epoch_end`` after each epoch.
    """

    def __init__(self, every: int = 1, threshold: float = 100.0, dead_fraction: float = 0.5,
                 verbose: bool = False):
        super().__init__()
        self.every = max(1, int(every))
        self.threshold = threshold
        self.dead_fraction = dead_fraction
        self.verbose = verbose
        self.history: dict[str, dict[str, list]] = {}
        self.findings: list[Finding] = []
        self.step = 0
        self._recorder = None
        self._active = False
        self._before: dict[int, object] = {}
        self._activations: dict[str, float] = {}
        self._flow: dict[str, tuple] = {}
        self._alive: dict[str, object] = {}
        self._samples = 0
        self._last_stats: list[LayerStats] = []

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        if self.model is None:
            raise RuntimeError("GradientMonitor: no model; fit() sets it, or call set_model()")
        self._recorder = record_modules(self.model, on_call=self._on_call, keep=False,
                                        claim=False)
        self._recorder.__enter__()

    def on_train_end(self, logs=None):
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None

    def on_epoch_begin(self, epoch, logs=None):
        self._alive = {}
        self._samples = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._active = True
        self._activations = {}
        self._flow = {}
        if self.step % self.every == 0:
            self._before = {id(p): p._data.copy() for p in self.model.parameters()}
        else:
            self._before = {}

    def on_train_batch_end(self, batch, logs=None):
        self._active = False
        if self.step % self.every == 0:
            self._record_step()
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        stats = self._last_stats
        for s in stats:
            alive = self._alive.get(s.name)
            if alive is not None:
                s.units, s.dead_units = alive.size, int((~alive).sum())
        report = _diagnose(stats, self.threshold, self.dead_fraction, None,
                           batch=self._samples) if stats else None
        if report is not None:
            for f in report.findings:
                f.message = f"epoch {epoch + 1}: " + f.message
            self.findings += report.findings
            if self.verbose:
                for f in report.findings:
                    print(f"GradientMonitor: {f}")
            if logs is not None:
                logs["grad_ratio_first_last"] = report.ratio if report.ratio is not None \
                    else float("nan")

    # ------------------------------------------------------------------ recording
    def _on_call(self, call: Call) -> None:
        if not self._active or not call.leaf:
            return
        outs = tensors_in(call.output)
        if not outs:
            return
        data = outs[0]._data
        batch = data.shape[0] if data.ndim else 1
        self._activations[call.name] = _norm(data) / math.sqrt(max(batch, 1))
        if self.step % self.every == 0 and outs[0].requires_grad and outs[0]._node is not None:
            outs[0].retain_grad()            # for the layer's gain, read after backward
            ins = call.input_tensors
            self._flow[call.name] = (ins[0] if ins else None, outs[0])
        if _is_relu(call.module) and data.ndim >= 2:
            alive = _alive(data)
            previous = self._alive.get(call.name)
            self._alive[call.name] = alive if previous is None or previous.shape != alive.shape \
                else (previous | alive)
        if call.name == self._first_leaf():
            self._samples += batch

    def _first_leaf(self) -> str:
        for name, m in self.model.named_modules():
            if not any(True for _ in m.children()):
                return name
        return ""

    def _record_step(self) -> None:
        stats = []
        for name, module in self.model.named_modules():
            if any(True for _ in module.children()):
                continue
            act = self._activations.get(name)
            s = LayerStats(name, type(module).__name__, (), act if act is not None else 0.0,
                           0.0, 0.0)
            flow = self._flow.get(name)
            if flow is not None and flow[1].grad is not None:
                s.output_grad_norm = _norm(flow[1].grad._data)
                inp = flow[0]
                if inp is not None and inp.grad is not None and s.output_grad_norm > 0:
                    s.gain = _norm(inp.grad._data) / s.output_grad_norm
            weight = _weight(module)
            if weight is not None:
                s.weight_norm = _norm(weight._data)
                if weight.grad is not None:
                    s.grad_norm = _norm(weight.grad._data)
                    s.grad_weight_ratio = s.grad_norm / s.weight_norm if s.weight_norm else None
                before = self._before.get(id(weight))
                if before is not None:
                    base = _norm(before)
                    s.update_ratio = _norm(weight._data - before) / base if base else None
            stats.append(s)
            h = self.history.setdefault(name or type(module).__name__, {
                "step": [], "activation_norm": [], "grad_norm": [], "update_ratio": []})
            h["step"].append(self.step)
            h["activation_norm"].append(s.activation_norm)
            h["grad_norm"].append(s.grad_norm)
            h["update_ratio"].append(s.update_ratio)
        self._last_stats = stats
        self._flow = {}

    # ------------------------------------------------------------------ output
    def report(self) -> str:
        lines = [f"GradientMonitor: {self.step} steps, {len(self.history)} layers"]
        lines += [str(f) for f in self.findings] or ["no problems found"]
        return "\n".join(lines)

    def plot(self, path=None, title: str = "Gradient monitor"):
        """Three panels over training steps: activation norm, ‖∂L/∂W‖, ‖ΔW‖/‖W‖ per layer."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
        for name, h in self.history.items():
            axes[0].plot(h["step"], h["activation_norm"], label=name)
            for ax, key in ((axes[1], "grad_norm"), (axes[2], "update_ratio")):
                pts = [(s, v) for s, v in zip(h["step"], h[key]) if v is not None and v > 0]
                if pts:
                    ax.plot(*zip(*pts), label=name)
        axes[0].set_ylabel("‖activation‖ per sample")
        axes[1].set_ylabel("‖∂L/∂W‖")
        axes[1].set_yscale("log")
        axes[2].set_ylabel("‖ΔW‖ / ‖W‖")
        axes[2].set_yscale("log")
        axes[2].set_xlabel("training step")
        handles, labels = axes[1].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="center right", fontsize=8)
            fig.subplots_adjust(right=0.8)
        fig.suptitle(title)
        if path is not None:
            fig.savefig(path, dpi=100)
            plt.close(fig)
        return fig
