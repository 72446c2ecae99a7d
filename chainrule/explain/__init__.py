"""The mathematics made visible: a model as equations, backpropagation traced with its numbers,
the computational graph drawn, gradients diagnosed.

``chainrule.explain`` is this package and, called, the function
:func:`~chainrule.explain.equations.explain`::

    >>> import chainrule as cr
    >>> print(cr.explain(model, (784,)))              # the network as mathematics
    >>> print(cr.explain.trace(loss, model))                  # backpropagation with its numbers
    >>> cr.graph(loss, model=model).save_png("g.png")  # the graph (Graphviz)
    >>> print(cr.explain.gradient_report(model, x, y, loss_fn))
    >>> model.fit(x, y, callbacks=[cr.explain.GradientMonitor()])

One file per concern: ``equations`` (explain), ``trace``, ``graph``, ``diagnostics``; ``notation``
(symbols, renaming formulas' variables, mathtext-compatible LaTeX) and ``recording`` (which module
computed what) serve them. Every equation shown comes from the ``formula()`` of a primitive,
layer, loss or optimizer; nothing here restates one.
"""
import sys as _sys
import types as _types

from .diagnostics import Finding, GradientMonitor, GradientReport, LayerStats, gradient_report
from .equations import Explanation, LayerMath
from .equations import explain as _explain
from .graph import Graph, graph
from .notation import mathtext
from .recording import owner, record_modules
from .trace import Contribution, Step, Trace, trace


class _ExplainModule(_types.ModuleType):
    """The package, callable as ``chainrule.explain(model, input_shape, ...)``."""

    def __call__(self, model, input_shape, *, loss="auto", optimizer=None, batch_size: int = 1,
                 dtype=None, name: str | None = None) -> Explanation:
        return _explain(model, input_shape, loss=loss, optimizer=optimizer,
                        batch_size=batch_size, dtype=dtype, name=name)

    __call__.__doc__ = _explain.__doc__


_sys.modules[__name__].__class__ = _ExplainModule
explain = _sys.modules[__name__]   # `from chainrule.explain import explain` gives the callable

__all__ = ["explain", "trace", "graph", "gradient_report", "GradientMonitor", "Explanation",
           "LayerMath", "Trace", "Step", "Contribution", "Graph", "GradientReport", "LayerStats",
           "Finding", "record_modules", "owner", "mathtext"]
