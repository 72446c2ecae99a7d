"""``trace(loss)``: backpropagation narrated with its numbers.

For a small graph (a 2-2-1 network, not a CNN), every node is visited in reverse topological
order, as ``backward()`` visits it, and the narrative states its operation, the derivative from
its primitive's formula, the incoming gradient ∂L/∂output, the local derivative ∂output/∂input
(the Jacobian; its diagonal for an elementwise operation), and their product, the contribution to
∂L/∂input — ending in every parameter's gradient. The chain rule seen working:

    ∂L/∂input = (∂output/∂input)ᵀ · ∂L/∂output,   summed over every use of input.

The numbers are the engine's own: each product is the primitive's ``vjp`` rule applied to the
incoming gradient, reduced to the input's shape and accumulated exactly as
:func:`chainrule.autograd.engine.backward` does, in the same order, so the final gradients equal
what ``loss.backward()`` stores, bit for bit. The local Jacobians are found with the same rule,
applied to each unit vector of the output (row j of J is vjp(eⱼ)). Tracing does not change the
graph or any ``.grad``: call it before ``backward()`` (or after ``backward(retain_graph=True)``).

Graphs with more than ``max_nodes`` nodes or ``max_elements`` numbers are too large to narrate;
``mode="auto"`` then gives a summary (per node: shape, value norm, gradient norm) and says why;
``mode="full"`` raises, ``mode="summary"`` always summarises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..autograd import engine
from ..autograd.grad_mode import no_grad
from ..backend import xp
from ..mathematics import Equation
from ..tensor import Tensor
from .notation import superscript_path
from .recording import data_roles


@dataclass
class Contribution:
    """What one step sends to one of its inputs."""

    input: str                 # label of the input
    shape: tuple
    gradient: object           # this step's contribution to ∂L/∂input (the input's shape)
    local: object = None       # ∂output/∂input: the Jacobian (out.size × in.size), or its
    elementwise: bool = False  # diagonal in the output's shape when the operation is elementwise


@dataclass
class Step:
    """One node of the graph, visited in reverse topological order."""

    number: int
    output: str                # label of the node's output (L, t3, …)
    op: str                    # primitive name
    inputs: list[str]
    shape: tuple
    value: object              # the output's value
    incoming: object           # ∂L/∂output, the sum of everything sent to it
    sources: list[int] = field(default_factory=list)   # steps that sent it (empty for L)
    formula: Equation | None = None
    contributions: list[Contribution] = field(default_factory=list)


@dataclass
class Trace:
    """The narrated backward pass: ``steps``, each leaf's ``gradients``, and text rendering."""

    steps: list[Step]
    gradients: dict             # label → ∂L/∂leaf, exactly as backward() computes it
    leaves: dict                # label → the leaf Tensor
    mode: str                   # 'full' or 'summary'
    message: str = ""
    precision: int = 4

    def step(self, output: str) -> Step:
        """The step whose output is labelled ``output``."""
        for s in self.steps:
            if s.output == output:
                return s
        raise KeyError(f"no step computes {output!r}; steps: {[s.output for s in self.steps]}")

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        return _render_full(self) if self.mode == "full" else _render_summary(self)

    def to_markdown(self) -> str:
        return "```text\n" + self.render() + "\n```"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"Trace({len(self.steps)} steps, {self.mode}, leaves {list(self.gradients)})"


# ------------------------------------------------------------------------------ trace()


def trace(loss: Tensor, model=None, *, names: dict | None = None, mode: str = "auto",
          max_nodes: int = 60, max_elements: int = 200, precision: int = 4) -> Trace:
    """Narrate the backward pass of ``loss`` (a single number) with its numbers.

    ``model`` names the parameters (its ``named_parameters()``: '0.weight', shown as W⁽⁰⁾
    (0.weight) for a Sequential's children); ``names`` maps other tensors to labels. The data
    input is labelled ``input`` and the target ``target`` (see
    :func:`~chainrule.explain.recording.data_roles`), intermediate results t1, t2, … in the
    order the forward pass made them, and the loss L.
    ``gradients`` and each contribution's ``input`` keep the parameters' own names ('0.weight').
    """
    if mode not in ("auto", "full", "summary"):
        raise ValueError(f"trace: mode must be 'auto', 'full' or 'summary', got {mode!r}")
    if not isinstance(loss, Tensor) or not loss.requires_grad or loss._node is None:
        raise ValueError("trace: expected the loss, a Tensor computed from parameters that "
                         "require grad (it has no graph to trace)")
    if loss._data.size != 1:
        raise ValueError(f"trace: the loss must be a single number, got shape {loss.shape}; "
                         "reduce it first (.sum() or .mean())")
    try:
        order = engine.topological_order(loss)
    except RuntimeError as exc:
        raise RuntimeError("trace: the graph was freed by backward(); call trace(loss) before "
                           "loss.backward(), or use backward(retain_graph=True). "
                           f"({exc})") from None
    nodes = sum(1 for t in order if t._node is not None)
    elements = sum(t._data.size for t in order)
    message = ""
    too_large = nodes > max_nodes or elements > max_elements
    if too_large:
        message = (f"the graph has {nodes} nodes and {elements} numbers, more than can be "
                   f"narrated (at most {max_nodes} nodes and {max_elements} numbers: a network "
                   "like 2-2-1 on one sample); ")
        if mode == "full":
            raise ValueError("trace: " + message + "use mode='summary' for per-node shapes and "
                             "gradient norms, or trace a smaller network or batch")
        message += "showing a summary (shapes, value and gradient norms) instead"
    full = mode == "full" or (mode == "auto" and not too_large)
    labels = _labels(order, loss, model, names)
    steps, gradients, leaves = _run(order, loss, labels, jacobians=full)
    if model is not None:          # the parameters in the model's order, then other leaves
        rank = {name: i for i, (name, _) in enumerate(model.named_parameters())}
        keys = sorted(gradients, key=lambda k: (rank.get(k, len(rank)), list(gradients).index(k)))
        gradients = {k: gradients[k] for k in keys}
    return Trace(steps, gradients, leaves, "full" if full else "summary", message, precision)


def _labels(order, loss, model, names) -> dict[int, str]:
    labels: dict[int, str] = dict(data_roles(loss))     # 'input', 'target'
    if model is not None:
        for name, p in model.named_parameters():
            labels[id(p)] = name
    for t, name in (names or {}).items():
        labels[id(t)] = name
    count = leaf_count = 0
    for t in order:
        if id(t) in labels:
            continue
        if t is loss:
            labels[id(t)] = "L"
        elif t._node is None:
            leaf_count += 1
            labels[id(t)] = f"leaf{leaf_count}"
        else:
            count += 1
            labels[id(t)] = f"t{count}"
    return labels


def _label(labels, t) -> str:
    if not isinstance(t, Tensor):
        return labels.get(id(t), "const")
    return labels.get(id(t), "input" if not t.requires_grad else "?")


def _run(order, loss, labels, jacobians: bool):
    """The engine's backward loop, recording what each node receives and sends."""
    pending: dict[int, object] = {}
    sources: dict[int, list[int]] = {}
    engine._accumulate(pending, loss, xp.ones_like(loss._data))   # as Tensor.backward()
    steps: list[Step] = []
    gradients: dict[str, object] = {}
    leaves: dict[str, Tensor] = {}
    with no_grad():
        for tensor in reversed(order):
            g = pending.pop(id(tensor), None)
            if g is None:
                continue
            node = tensor._node
            if node is None:
                gradients[labels[id(tensor)]] = g
                leaves[labels[id(tensor)]] = tensor
                continue
            fn = node.fn
            number = len(steps) + 1
            step = Step(number, labels[id(tensor)], fn.name,
                        [_label(labels, i) for i in node.inputs
                         if isinstance(i, Tensor) or id(i) in labels],
                        tuple(tensor.shape), tensor._data.copy(), xp.array(g),
                        sources.get(id(tensor), []), _derivative(fn))
            input_grads = fn.vjp(node, g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            for position, (inp, gi) in enumerate(zip(node.inputs, input_grads)):
                if gi is None or not isinstance(inp, Tensor) or not inp.requires_grad:
                    continue
                sent: dict[int, object] = {}
                engine._accumulate(sent, inp, gi)            # reduce to the input's shape
                contribution = sent[id(inp)]
                engine._accumulate(pending, inp, contribution)
                sources.setdefault(id(inp), []).append(number)
                c = Contribution(_label(labels, inp), tuple(inp.shape), xp.array(contribution))
                if jacobians:
                    c.local, c.elementwise = _jacobian(node, tensor, inp, position)
                step.contributions.append(c)
            steps.append(step)
    return steps, gradients, leaves


def _derivative(fn) -> Equation | None:
    try:
        f = fn.formula()
    except Exception:  # a primitive without its mathematics still gets traced
        return None
    vjp = [e for e in f.equations if e.label == "VJP"]
    return vjp[0] if vjp else f.derivative


def _jacobian(node, output: Tensor, inp: Tensor, position: int):
    """∂output/∂inp by the node's own vjp applied to each unit vector of the output."""
    out_size, in_size = output._data.size, inp._data.size
    J = xp.zeros((out_size, in_size), dtype=output._data.dtype)
    for j in range(out_size):
        e = xp.zeros_like(output._data)
        e.flat[j] = 1
        rows = node.fn.vjp(node, e)
        rows = rows if type(rows) is tuple else (rows,)
        row = rows[position]
        if row is None:
            continue
        sent: dict[int, object] = {}
        engine._accumulate(sent, inp, row)
        J[j] = xp.asarray(sent[id(inp)]).reshape(-1)
    if output.shape == inp.shape and out_size > 0:
        off = J - xp.diag(xp.diag(J))
        if not xp.any(off):
            return xp.diag(J).reshape(output.shape).copy(), True
    return J, False


# ------------------------------------------------------------------------------ rendering


def _fmt(a, precision: int) -> str:
    a = xp.asarray(a)
    if a.size == 1:
        return f"{a.item():.{precision}g}"
    return xp.array2string(a, precision=precision, separator=", ", max_line_width=90,
                           suppress_small=False).replace("\n", "\n" + " " * 8)


def _shape(shape) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


def _show(label: str) -> str:
    """A parameter of a Sequential's child as a symbol: '0.weight' → W⁽⁰⁾, '2.bias' → b⁽²⁾."""
    m = re.fullmatch(r"(\d+(?:\.\d+)*)\.(weight|bias)", label)
    if m is None:
        return label
    return ("W" if m.group(2) == "weight" else "b") + superscript_path(m.group(1))


def _named(label: str) -> str:
    """The symbol with the parameter's path beside it: 'W⁽⁰⁾ (0.weight)'."""
    shown = _show(label)
    return shown if shown == label else f"{shown} ({label})"


# How the batch form of a linear layer's weight gradient (rows: one sample each, as the layer's
# formula and this trace write it) is explain()'s one-sample form (columns: δ hᵀ) summed.
_LINEAR_RELATION = ("  relation  ∂L/∂W = Gᵀ x = Σₙ δₙ xₙᵀ, δₙ = (row n of G)ᵀ: the one-sample form "
                    "δ xᵀ of\n            chainrule.explain (columns), summed over the batch")


def _render_full(tr: Trace) -> str:
    p = tr.precision
    lines = ["Backpropagation, node by node (reverse topological order).",
             "At each node: ∂L/∂input = (∂output/∂input)ᵀ · ∂L/∂output, summed over every use "
             "of the input.", ""]
    for s in tr.steps:
        args = ", ".join(_show(i) for i in s.inputs)
        lines.append(f"step {s.number}: {s.output} = {s.op}({args})   shape {_shape(s.shape)}, "
                     f"value {_fmt(s.value, p)}")
        if s.formula is not None:
            lines.append(f"  formula   {s.formula.text}")
            if s.op == "linear" and "Gᵀ x" in s.formula.text:
                lines.append(_LINEAR_RELATION)
        if s.output == "L" and not s.sources:
            lines.append("  incoming  ∂L/∂L = 1")
        else:
            origin = ("" if len(s.sources) <= 1 else
                      f"   (sum of {len(s.sources)} contributions: steps "
                      f"{', '.join(map(str, s.sources))})")
            lines.append(f"  incoming  ∂L/∂{s.output} = {_fmt(s.incoming, p)}{origin}")
        for c in s.contributions:
            c = _Shown(_show(c.input), c)
            if c.local is not None:
                if c.elementwise:
                    lines.append(f"  local     ∂{s.output}/∂{c.input} = {_fmt(c.local, p)}   "
                                 "(elementwise)")
                    lines.append(f"  product   ∂L/∂{s.output} ⊙ ∂{s.output}/∂{c.input} = "
                                 f"{_fmt(c.gradient, p)}   → ∂L/∂{c.input}")
                else:
                    rows, cols = c.local.shape
                    lines.append(f"  local     ∂{s.output}/∂{c.input} ({rows}×{cols} Jacobian) = "
                                 f"{_fmt(c.local, p)}")
                    lines.append(f"  product   (∂{s.output}/∂{c.input})ᵀ · ∂L/∂{s.output} = "
                                 f"{_fmt(c.gradient, p)}   → ∂L/∂{c.input}")
            else:
                lines.append(f"  sends     ∂L/∂{c.input} += {_fmt(c.gradient, p)}")
        lines.append("")
    lines.append("Gradients of the leaves (what backward() stores in .grad):")
    for name, g in tr.gradients.items():
        lines.append(f"  ∂L/∂{_named(name)} = {_fmt(g, p)}")
    return "\n".join(lines)


class _Shown:
    """A contribution seen through its input's display name."""

    def __init__(self, input: str, c: Contribution):  # noqa: A002  (the field's name)
        self.input, self.local, self.gradient = input, c.local, c.gradient
        self.elementwise = c.elementwise


def _render_summary(tr: Trace) -> str:
    lines = []
    if tr.message:
        lines += [f"trace: {tr.message}.", ""]
    header = ("step", "output", "operation", "shape", "‖value‖", "‖∂L/∂output‖")
    rows = [header]
    for s in tr.steps:
        rows.append((str(s.number), s.output, s.op, _shape(s.shape),
                     f"{float(xp.linalg.norm(s.value)):.4g}",
                     f"{float(xp.linalg.norm(s.incoming)):.4g}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    lines += ["", "Gradients of the leaves:"]
    for name, g in tr.gradients.items():
        lines.append(f"  ∂L/∂{_named(name)}: shape {_shape(xp.shape(g))}, norm "
                     f"{float(xp.linalg.norm(g)):.4g}")
    return "\n".join(lines)
