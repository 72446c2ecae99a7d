r"""The optimizer playground: watch optimizers find their way across a 2-D loss surface.

Each test function f(x, y) is written with chainrule operators, so one definition evaluates a
contour grid (on NumPy arrays) and gives gradients by autodiff (on Tensors). :func:`record_path`
runs any chainrule optimizer from a start point and records where it goes; :func:`plot_paths`
draws several paths over the contour map, beside the loss against the step. From the command line::

    chainrule playground            # SGD, momentum, RMSprop and Adam on Rosenbrock
    chainrule playground --function quadratic --condition 50 --optimizers sgd momentum adam

What to look for:

- plain SGD zig-zags across a narrow valley and crawls along it: its step is η·∇f, large across
  the valley (steep) and small along it (flat), and a stable η is set by the steepest direction;
- momentum averages the zig-zag away and builds up speed along the valley;
- RMSprop and Adam divide each coordinate by its recent gradient size, so steep and flat
  coordinates advance at similar speeds (which helps most when the valley is axis-aligned).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..backend import xp
from ..nn.parameter import Parameter
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .nadam import NAdam
from .rmsprop import RMSprop
from .sgd import SGD

# ===================================================================== test functions


@dataclass(frozen=True)
class Function2D:
    """A 2-D test function with its known minima and a window to draw it in.

    ``f(x, y)`` must use only operators (or chainrule functions) so that it works on NumPy arrays
    (the contour grid) and on chainrule Tensors (autodiff).
    """

    name: str
    f: Callable
    minima: tuple[tuple[float, float], ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    lrs: dict = field(default_factory=dict)       # learning rates that show each optimizer well
    formula: str = ""
    steps: int = 300                              # enough steps to see each optimizer's habit
    minimum_value: float = 0.0

    def __call__(self, x, y):
        return self.f(x, y)

    def grid(self, n: int = 300, xlim=None, ylim=None):
        """(X, Y, Z) on an n×n grid over the window (or the given limits), with NumPy."""
        xs = xp.linspace(*(xlim or self.xlim), n)
        ys = xp.linspace(*(ylim or self.ylim), n)
        X, Y = xp.meshgrid(xs, ys)
        return X, Y, self.f(X, Y)


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _beale(x, y):
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def _himmelblau(x, y):
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


ROSENBROCK = Function2D(
    "rosenbrock", _rosenbrock, ((1.0, 1.0),), (-1.6, 1.6), (-0.6, 1.8), (-1.2, 1.0),
    dict(sgd=1e-3, momentum=1e-3, nesterov=1e-3, rmsprop=1e-2, adam=1e-1, adagrad=0.5,
         adadelta=1.0, nadam=1e-1, adamw=1e-1),
    "f(x, y) = (1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley", 500)
BEALE = Function2D(
    "beale", _beale, ((3.0, 0.5),), (-1.0, 4.5), (-1.5, 2.5), (1.0, 1.5),
    dict(sgd=1e-3, momentum=3e-4, nesterov=3e-4, rmsprop=1e-2, adam=3e-2, adagrad=0.3,
         adadelta=1.0, nadam=3e-2, adamw=3e-2),
    "f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: flat plateaus, steep walls",
    500)
HIMMELBLAU = Function2D(
    "himmelblau", _himmelblau,
    ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
    (-5.0, 5.0), (-5.0, 5.0), (-0.27, -0.92),            # next to the local maximum
    dict(sgd=5e-3, momentum=2e-3, nesterov=2e-3, rmsprop=5e-2, adam=1e-1, adagrad=1.0,
         adadelta=1.0, nadam=1e-1, adamw=1e-1),
    "f(x, y) = (x² + y − 11)² + (x + y² − 7)²: four minima, f = 0 at each", 200)


def quadratic(condition: float = 20.0, angle: float = 0.0) -> Function2D:
    r"""f = ½(λ₁u² + λ₂v²) with λ₁/λ₂ = ``condition`` (κ), (u, v) the axes rotated by ``angle``
    degrees; λ₂ = 1. Gradient descent converges for η < 2/λ₁ and its error falls like
    ((κ − 1)/(κ + 1))ᵗ at the best η: the larger κ, the slower.
    """
    if condition < 1:
        raise ValueError(f"quadratic: the condition number must be ≥ 1, got {condition}")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    big = float(condition)

    def f(x, y):
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (big * u * u + v * v)

    scale = 1.0 / big
    return Function2D(
        f"quadratic (κ = {big:g}" + (f", rotated {angle:g}°)" if angle else ")"), f,
        ((0.0, 0.0),), (-2.5, 2.5), (-2.5, 2.5), (-2.0, 2.0),
        dict(sgd=1.8 * scale, momentum=0.5 * scale, nesterov=0.5 * scale, rmsprop=5e-2,
             adam=1e-1, adagrad=0.5, adadelta=1.0, nadam=1e-1, adamw=1e-1),
        f"f = ½(κu² + v²), κ = {big:g}: an elongated bowl", 100)


FUNCTIONS = {"rosenbrock": ROSENBROCK, "beale": BEALE, "himmelblau": HIMMELBLAU,
             "quadratic": quadratic()}


def get_function(name: str, condition: float = 20.0, angle: float = 0.0) -> Function2D:
    if name == "quadratic":
        return quadratic(condition, angle)
    if name not in FUNCTIONS:
        raise ValueError(f"unknown test function {name!r}; choose from {sorted(FUNCTIONS)}")
    return FUNCTIONS[name]


# ===================================================================== optimizers by name
OPTIMIZERS = {
    "sgd": ("SGD", lambda params, lr: SGD(params, lr=lr)),
    "momentum": ("SGD, momentum 0.9", lambda params, lr: SGD(params, lr=lr,
                                                                     momentum=0.9)),
    "nesterov": ("SGD, Nesterov 0.9", lambda params, lr: SGD(params, lr=lr, momentum=0.9,
                                                                     nesterov=True)),
    "rmsprop": ("RMSprop", lambda params, lr: RMSprop(params, lr=lr)),
    "adam": ("Adam", lambda params, lr: Adam(params, lr=lr)),
    "adamw": ("AdamW", lambda params, lr: AdamW(params, lr=lr)),
    "nadam": ("NAdam", lambda params, lr: NAdam(params, lr=lr)),
    "adagrad": ("Adagrad", lambda params, lr: Adagrad(params, lr=lr)),
    "adadelta": ("Adadelta", lambda params, lr: Adadelta(params, lr=lr)),
}


def optimizer_factory(name: str, lr: float) -> Callable:
    """``params -> optimizer`` for one of :data:`OPTIMIZERS` (sgd, momentum, adam, ...)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}")
    make = OPTIMIZERS[name][1]
    return lambda params: make(params, lr)


# ===================================================================== paths
@dataclass
class Path:
    """Where an optimizer went: ``points`` (steps+1, 2) and ``losses`` (steps+1,).

    If the optimizer diverged (a non-finite loss), the remaining rows are NaN.
    """

    points: object
    losses: object
    label: str = ""

    @property
    def final(self) -> tuple[float, float]:
        finite = xp.isfinite(self.losses)
        last = int(xp.nonzero(finite)[0][-1]) if finite.any() else 0
        return float(self.points[last, 0]), float(self.points[last, 1])


def record_path(optimizer_factory: Callable, function: Function2D | Callable,
                start: Sequence[float] | None = None, steps: int = 200, label: str = "") -> Path:
    """Run ``optimizer_factory([θ])`` on f(θ) from ``start`` for ``steps`` steps.

    θ is a float64 :class:`Parameter` of shape (2,); each step evaluates f(θ₀, θ₁) on Tensors,
    gets ∇f by chainrule's reverse mode and calls ``optimizer.step()``. Returns the path
    θ₀ … θ_steps (row t is θ after t steps) and the losses f(θ_t).

    Example::

        path = record_path(lambda ps: optim.Adam(ps, lr=0.1), ROSENBROCK, (-1.5, 2.5), 500)
    """
    if start is None:
        start = getattr(function, "start", None)
        if start is None:
            raise ValueError("record_path: give a start point for a plain function")
    theta = Parameter(xp.array(start, dtype=xp.float64).reshape(2))
    optimizer = optimizer_factory([theta])
    points = xp.full((steps + 1, 2), xp.nan)
    losses = xp.full(steps + 1, xp.nan)
    with xp.errstate(over="ignore", invalid="ignore"):   # divergence is detected below
        _run(optimizer, function, theta, points, losses, steps)
    return Path(points, losses, label)


def _run(optimizer, function, theta, points, losses, steps: int) -> None:
    for t in range(steps + 1):
        optimizer.zero_grad()
        loss = function(theta[0], theta[1])
        value = loss.item()
        if not (math.isfinite(value) and xp.isfinite(theta._data).all()):
            break                                   # diverged: the rest stays NaN
        points[t] = theta._data
        losses[t] = value
        if t == steps:
            break
        loss.backward()
        optimizer.step()


def compare(function: Function2D, names: Iterable[str] = ("sgd", "momentum", "rmsprop", "adam"),
            steps: int | None = None, lrs: dict | None = None,
            start: Sequence[float] | None = None) -> list[Path]:
    """The paths of several optimizers (by name), each with the function's suggested rate
    unless ``lrs`` gives one."""
    lrs = lrs or {}
    steps = steps or getattr(function, "steps", 300)
    paths = []
    for name in names:
        lr = lrs.get(name, function.lrs.get(name, 1e-2) if hasattr(function, "lrs") else 1e-2)
        label = f"{OPTIMIZERS[name][0]} (η = {lr:g})" if name in OPTIMIZERS else name
        paths.append(record_path(optimizer_factory(name, lr), function, start, steps, label))
    return paths


# ===================================================================== drawing
def plot_paths(paths: Sequence[Path], function: Function2D, output: str = "optimizer_paths.png",
               title: str | None = None, levels: int = 30, dpi: int = 120):
    """Draw the paths over the contour map of ``function`` and the loss against steps; save a PNG.

    Contours are log-spaced (the interesting detail is near the minimum, where f is small); each
    path has its own colour and a legend entry, the start is a black circle and the minima are
    gold stars. Returns the matplotlib Figure (imported lazily, with the Agg backend, so that
    chainrule itself does not depend on matplotlib).
    """
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plot_paths needs matplotlib: pip install 'chainrule[plots]'") from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fmin = getattr(function, "minimum_value", 0.0)
    xlim, ylim = _window(function, paths)
    X, Y, Z = function.grid(xlim=xlim, ylim=ylim)
    gap = Z - fmin
    low = max(float(gap[gap > 0].min()), 1e-3 * float(xp.median(gap)), 1e-6)
    gap = xp.maximum(gap, low)
    lvls = xp.logspace(math.log10(low), math.log10(float(gap.max())), levels)

    rows = math.ceil((len(paths) + 3) / 4)
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(14, 6.3 + 0.3 * rows), layout="constrained",
                                      gridspec_kw=dict(width_ratios=[1.2, 1]))
    filled = ax.contourf(X, Y, gap, levels=lvls, norm=LogNorm(), cmap="Greys_r", alpha=0.4,
                         extend="both")
    ax.contour(X, Y, gap, levels=lvls, norm=LogNorm(), colors="0.4", linewidths=0.5)
    cbar = fig.colorbar(filled, ax=ax, fraction=0.046, pad=0.02)
    decades = xp.arange(math.ceil(math.log10(low)), math.floor(math.log10(gap.max())) + 1)
    cbar.set_ticks(10.0 ** decades, labels=[f"$10^{{{int(d)}}}$" for d in decades])
    cbar.set_label("f − f*  (log-spaced contours)")

    colours = plt.get_cmap("tab10").colors
    for i, path in enumerate(paths):
        colour = colours[i % len(colours)]
        label = path.label or f"path {i}"
        pts = path.points
        every = max(1, len(pts) // 40)              # dots at equal step intervals: spacing = speed
        width = max(4.0 - 0.7 * i, 1.2)            # later paths thinner: overlaps stay visible
        ax.plot(pts[:, 0], pts[:, 1], "-o", color=colour, lw=width, ms=width + 1.5,
                markevery=every, label=label, zorder=3, alpha=0.9)
        ax.plot(*path.final, "s", color=colour, ms=7, mec="black", mew=0.8, zorder=7)
        ax_loss.semilogy(xp.arange(len(path.losses)), xp.maximum(path.losses - fmin, 1e-16),
                         color=colour, lw=2.0, label=label)
    if paths:
        x0, y0 = paths[0].points[0]
        ax.plot(x0, y0, "o", color="black", ms=11, mfc="white", mew=2.5, label="start", zorder=5)
    for j, (mx, my) in enumerate(function.minima):
        ax.plot(mx, my, "*", color="gold", mec="black", ms=20, mew=1.0, zorder=6,
                label="minimum" if j == 0 else None)
    ax.plot([], [], "s", color="0.6", mec="black", ms=7, label="end of path")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal" if _similar(xlim, ylim) else "auto")
    ax.set_title(getattr(function, "formula", "") or function.name, fontsize=10)

    ax_loss.set_xlabel("step t")
    ax_loss.set_ylabel("f(θ_t) − f*  (log scale)")
    ax_loss.set_title("loss against steps", fontsize=10)
    ax_loss.grid(True, which="major", alpha=0.4)
    fig.get_layout_engine().set(wspace=0.06)
    handles, labels = ax.get_legend_handles_labels()     # one legend for both panels, below them
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=10,
               frameon=False)
    fig.suptitle(title or f"Optimizer paths on {function.name}", fontsize=13)
    fig.savefig(output, dpi=dpi)
    plt.close(fig)
    return fig


def _window(function: Function2D, paths: Sequence[Path]):
    """The function's window, widened (up to 3× its size) to show every path in full."""
    limits = []
    for axis, (lo, hi) in enumerate((function.xlim, function.ylim)):
        values = [p.points[:, axis] for p in paths]
        values = [v[xp.isfinite(v)] for v in values]
        values = xp.concatenate(values) if values else xp.zeros(0)
        span = hi - lo
        if values.size:
            lo = max(min(lo, float(values.min()) - 0.05 * span), lo - span)
            hi = min(max(hi, float(values.max()) + 0.05 * span), hi + span)
        limits.append((lo, hi))
    return limits[0], limits[1]


def _similar(a, b) -> bool:
    ra, rb = a[1] - a[0], b[1] - b[0]
    return 0.5 <= ra / rb <= 2.0


__all__ = ["Function2D", "ROSENBROCK", "BEALE", "HIMMELBLAU", "quadratic", "FUNCTIONS",
           "get_function", "OPTIMIZERS", "optimizer_factory", "Path", "record_path", "compare",
           "plot_paths"]
