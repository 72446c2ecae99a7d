"""``explain(model, input_shape)``: a network written as mathematics, layer by layer.

One forward pass on a random input of ``input_shape`` (batch 1 unless ``batch_size`` says
otherwise) records each leaf module's call, in order, with the shapes it saw. The network is then
written in the notation of the textbooks, for one sample as a column vector::

    x ∈ ℝ^{784}
    h₁ = ReLU(W₁x + b₁),  W₁ ∈ ℝ^{256×784}, b₁ ∈ ℝ^{256}
    h₂ = ReLU(W₂h₁ + b₂), …
    ŷ = softmax(W₃h₂ + b₃)
    L = −Σₖ yₖ log ŷₖ

with each layer's output shape, parameter count and multiply-adds, the totals, and what
backpropagation computes for each layer (δ₃ = ŷ − y; ∂L/∂W₃ = δ₃h₂ᵀ; δ₂ = (W₃ᵀδ₃) ⊙ 1[z₂ > 0]).

Nothing here states a layer's formula: every equation is the ``formula()`` of a layer, an
activation or the loss, with its variables renamed to the network's symbols
(:mod:`chainrule.explain.notation` holds the renaming and its two conventions: one sample, column
vectors). An activation that follows an affine layer folds into it as h = σ(Wx + b), and the
chain rule through it is δ = ∂L/∂h ⊙ σ′(z), σ′ taken from the activation's derivative. Symbols:
layers with parameters are numbered k = 1, 2, …; zₖ is layer k's pre-activation, hₖ its output,
δₖ = ∂L/∂zₖ; a layer without parameters after layer k writes pₖ (pooling), vₖ (flatten), aₖ
(a lone activation) or uₖ (anything else).

What the model's own ``forward`` computes between layers — a residual sum u = h + a, a flatten
u = vec(p), a sum of sums — is read from the graph of the recorded forward pass and defined in a
``where`` line of the first layer that reads it; backpropagation passes its gradient on to each
term. ``nn.Identity`` and dropout with p = 0 are left out (a note names them). Index formulas
are tidied (``2·h − 0 + i`` → ``2h + i``) and a padded input x̃ is defined where it is used, or
written x where there is no padding.

Multiply-adds count the products of matrix multiplications and convolutions of one forward pass
of one sample (elementwise operations are not counted).
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field

from ..autograd.grad_mode import enable_grad
from ..backend import get_default_dtype, xp
from ..mathematics import Equation, Formula
from ..tensor import Tensor
from .notation import (
    M,
    Sym,
    apply,
    column_form,
    equation,
    fmt_int,
    function,
    grad,
    lhs,
    main_clause,
    mathtext,
    member,
    per_sample,
    rhs,
    simplify_indices,
    simplify_indices_latex,
    split_equations,
    split_equations_latex,
    substitute,
    substitute_latex,
    substitute_text,
    top_level_sum,
    uses_batch_index,
)
from .recording import Call, record_modules, tensors_in

# ------------------------------------------------------------------------------ result


@dataclass
class LayerMath:
    """One layer (a module, with the activation folded into it) as mathematics."""

    index: int | None                 # k of a layer with parameters, else None
    names: list[str]                  # dotted module names, e.g. ['0', '1']
    kinds: list[str]                  # module classes, e.g. ['Linear', 'ReLU']
    input_shape: tuple
    output_shape: tuple               # per sample
    output: M                         # its output's symbol
    forward: list[Equation]           # the layer's equation first, then definitions
    parameters: list[Equation]        # W₁ ∈ ℝ^{…}, …
    backward: list[Equation] = field(default_factory=list)
    num_parameters: int = 0
    macs: int = 0

    @property
    def equation(self) -> Equation:
        return self.forward[0]


@dataclass
class Explanation:
    """A model as mathematics; renders as text, LaTeX, Markdown and in Jupyter."""

    name: str
    input: Equation
    layers: list[LayerMath]
    loss: list[Equation]
    backward: list[Equation]
    update: list[Equation]
    notes: list[str]
    total_parameters: int
    total_macs: int
    input_shape: tuple
    output_shape: tuple

    # ------------------------------------------------------------------ access
    def equations(self) -> list[Equation]:
        """Every equation, in reading order: forward, loss, backpropagation, update."""
        eqs = [self.input]
        for layer in self.layers:
            eqs += layer.forward + layer.parameters
        return eqs + self.loss + self.backward + self.update

    def latex_equations(self) -> list[str]:
        """Each equation's LaTeX (mathtext-compatible, one equation per string)."""
        return [e.latex for e in self.equations()]

    def formula(self) -> Formula:
        return Formula(self.name, tuple(self.equations()),
                       "The network as the composition of its layers' formulas, and the chain "
                       "rule through them in reverse order.", tuple(self.notes))

    # ------------------------------------------------------------------ text
    def __str__(self) -> str:
        shape = "×".join(map(str, self.input_shape)) or "scalar"
        out = [f"{self.name} as mathematics (one sample, input {shape})", "", "Forward pass"]
        width = min(44, max([len(l.equation.text) for l in self.layers] + [20]))
        out.append(f"  {self.input.text}")
        for layer in self.layers:
            params = ", ".join(p.text for p in layer.parameters)
            shape_note = layer.forward[0].label
            eq = layer.equation.text
            side = f"{params}{'; ' if params else ''}{shape_note}"
            if len(eq) <= width:
                out.append(f"  {eq:<{width}}   {side}")
            else:
                out.append(f"  {eq}")
                out.append(f"  {'':<{width}}   {side}")
            out += [f"      where {d.text}" for d in layer.forward[1:]]
        for e in self.loss:
            out.append(f"  {e.text:<{width}}   {e.label}")
        out += ["", "Layers", self._table()]
        if self.backward:
            out += ["", "Backpropagation, from the loss back (δₖ = ∂L/∂zₖ)"]
            out += [f"  {e.text}" for e in self.backward]
        if self.update:
            out += ["", "Update"] + [f"  {e.label}: {e.text}" for e in self.update]
        if self.notes:
            out += [""] + [textwrap.fill(f"note: {n}", width=100, subsequent_indent="      ",
                                         break_long_words=False) for n in self.notes]
        return "\n".join(out)

    def _rows(self) -> list[tuple[str, ...]]:
        rows = []
        for layer in self.layers:
            k = str(layer.index) if layer.index is not None else ""
            modules = ", ".join(f"{n} {c}" if n else c for n, c in zip(layer.names, layer.kinds))
            rows.append((k, modules, layer.forward[0].label, fmt_int(layer.num_parameters),
                         fmt_int(layer.macs)))
        rows.append(("", "total", "", fmt_int(self.total_parameters), fmt_int(self.total_macs)))
        return rows

    def _table(self) -> str:
        header = ("k", "modules", "output", "parameters", "multiply-adds")
        rows = [header] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = []
        for r in rows:
            cells = [r[0].rjust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]),
                     r[3].rjust(widths[3]), r[4].rjust(widths[4])]
            lines.append("  " + "  ".join(cells).rstrip())
        return "\n".join(lines)

    # ------------------------------------------------------------------ LaTeX and Markdown
    def to_latex(self) -> str:
        """One ``aligned`` block: forward pass, loss, backpropagation (for LaTeX or MathJax)."""
        rows = [_aligned(self.input.latex)]
        for layer in self.layers:
            params = r",\ ".join(p.latex for p in layer.parameters)
            row = _aligned(layer.equation.latex)
            if params:
                row += r",\quad " + params
            rows.append(row)
            rows += [r"&\qquad " + d.latex for d in layer.forward[1:]]
        rows += [_aligned(e.latex) for e in self.loss]
        if self.backward:
            rows.append(r"&\text{backpropagation:}")
            rows += [_aligned(e.latex) for e in self.backward]
        if self.update:
            rows.append(r"&\text{update:}")
            rows += [_aligned(e.latex) for e in self.update]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def to_markdown(self) -> str:
        lines = [f"**{self.name}** as mathematics (one sample)", "", "Forward pass:", "",
                 f"- ${self.input.latex}$"]
        for layer in self.layers:
            params = ", ".join(f"${p.latex}$" for p in layer.parameters)
            lines.append(f"- ${layer.equation.latex}$" + (f" — {params}" if params else ""))
            lines += [f"  - where ${d.latex}$" for d in layer.forward[1:]]
        lines += [f"- ${e.latex}$ ({e.label})" for e in self.loss]
        lines += ["", "| k | modules | output | parameters | multiply-adds |",
                  "|---|---|---|---:|---:|"]
        for layer, row in zip(self.layers + [None], self._rows()):
            output = f"${_member_latex(layer)}$" if layer is not None else ""
            lines.append("| " + " | ".join((row[0], row[1], output, row[3], row[4])) + " |")
        if self.backward:
            lines += ["", "Backpropagation (δₖ = ∂L/∂zₖ):", ""]
            lines += [f"- ${e.latex}$" for e in self.backward]
        if self.update:
            lines += ["", "Update:", ""] + [f"- {e.label}: ${e.latex}$" for e in self.update]
        if self.notes:
            lines += [""] + [f"- note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return (f"Explanation({self.name}: {len(self.layers)} layers, "
                f"{fmt_int(self.total_parameters)} parameters)")


def _aligned(latex: str) -> str:
    """'a = b' → 'a &= b' (align at the first relation)."""
    for rel in (" = ", r" \in "):
        if rel in latex:
            left, right = latex.split(rel, 1)
            return f"{left} &{rel.strip()} {right}"
    return "&" + latex


def _member_latex(layer: LayerMath) -> str:
    return member(layer.output, layer.output_shape).latex


# ------------------------------------------------------------------------------ explain()


def explain(model, input_shape, *, loss="auto", optimizer=None, batch_size: int = 1,
            dtype=None, name: str | None = None) -> Explanation:
    """The network ``model`` as mathematics, for inputs of shape ``input_shape`` (one sample).

    ``input_shape`` is the shape of one sample without the batch axis ((784,), (1, 28, 28), or
    (T,) token indices when the model starts with an Embedding); an example input Tensor or array
    (with its batch axis) may be given instead. ``loss`` is a loss module, ``None`` for none, or
    ``"auto"``: cross-entropy for an output of two or more numbers, else mean squared error.
    ``optimizer`` (an Optimizer or its class) adds its update rule.

    >>> print(explain(nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), (784,)))
    """
    x = _example_input(model, input_shape, batch_size, dtype)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        # with the graph recorded: what the model's own forward computes between its layers
        # (a residual sum, a flatten) is read from the graph's nodes
        with enable_grad(), record_modules(model, claim=False) as rec:
            output = model(x)
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    calls = [c for c in rec.leaf_calls if not _does_nothing(c.module)]
    if not calls:
        raise ValueError(f"explain: {type(model).__name__} called no submodule in its forward; "
                         "explain() writes a model built from layers (chainrule.nn modules)")
    builder = _Builder(model, x, calls, output,
                       [c for c in rec.leaf_calls if _does_nothing(c.module)])
    loss_module = _resolve_loss(loss, builder.final_shape)
    return builder.build(loss_module, optimizer, name or type(model).__name__)


def _does_nothing(module) -> bool:
    """Identity, and dropout with p = 0: each returns its input unchanged (left out)."""
    name = type(module).__name__
    return name == "Identity" or ("Dropout" in name and getattr(module, "p", None) == 0)


def _example_input(model, input_shape, batch_size: int, dtype):
    if isinstance(input_shape, Tensor):
        return input_shape
    if hasattr(input_shape, "shape") and hasattr(input_shape, "dtype"):
        return Tensor._make(input_shape)
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    rng = xp.random.default_rng(0)
    first = next((m for m in model.modules() if not any(True for _ in m.children())), None)
    vocabulary = getattr(first, "num_embeddings", None)
    if vocabulary is not None and dtype is None:
        return Tensor._make(rng.integers(0, vocabulary, size=(batch_size, *shape)))
    dtype = xp.dtype(dtype) if dtype is not None else get_default_dtype()
    return Tensor._make(rng.standard_normal((batch_size, *shape)).astype(dtype))


def _resolve_loss(loss, final_shape):
    if loss is None or loss is False:
        return None
    if loss == "auto":
        from .. import nn

        size = math.prod(final_shape) if final_shape else 1
        return nn.CrossEntropyLoss() if size >= 2 else nn.MSELoss()
    if isinstance(loss, type):
        loss = loss()
    if not hasattr(loss, "formula"):
        raise TypeError(f"explain: loss must be a loss module (e.g. nn.CrossEntropyLoss()), None "
                        f"or 'auto', got {type(loss).__name__}")
    return loss


# ------------------------------------------------------------------------------ the builder
_LETTERS = {"pool": "p", "flatten": "v", "activation": "a", "other": "u"}


def _is_activation(module) -> bool:
    return isinstance(getattr(type(module), "primitive", None), str) and bool(
        type(module).primitive)


def _has_params(module) -> bool:
    return any(True for _ in module.parameters())


def _kind(module) -> str:
    name = type(module).__name__
    if name == "Linear":
        return "linear"
    if name.startswith(("Conv1d", "Conv2d", "Conv3d")):
        return "conv"
    if name.startswith("ConvTranspose"):
        return "conv_transpose"
    if name == "Embedding":
        return "embedding"
    if hasattr(module, "mode") and hasattr(module, "hidden_size") and hasattr(
            module, "_flat_weights_names"):
        return "recurrent"
    if _is_activation(module):
        return "activation"
    if "Pool" in name:
        return "pool"
    if name in ("Flatten", "Unflatten"):
        return "flatten"
    return "other"


@dataclass
class _Stage:
    call: Call
    kind: str
    act: Call | None = None
    index: int | None = None
    input: M | None = None
    input_from: object = None            # the stage whose output this stage reads, or None
    derived: bool = False                # reads a view of that output (e.g. the last step)
    pre: M | None = None                 # symbol of the main module's output
    out: M | None = None                 # symbol of the stage's output
    final: bool = False
    fold_softmax: bool = False
    defines: list = field(default_factory=list)   # the _Computed this stage reads first


@dataclass
class _Computed:
    """A tensor the model's forward computed between its layers: u = a + b, u = vec(a)."""

    sym: M
    expr: M
    how: str                              # 'sum' or 'reshape'
    sources: list                         # the stages (None for the input x) it is made of
    first: int = 0                        # position of the first stage that reads it


class _Builder:
    def __init__(self, model, x, calls: list[Call], output, omitted: list[Call] = ()):
        self.model = model
        self.x = x
        self.calls = calls
        self.output = output
        # the modules left out pass their input on: their output is their input
        self.alias = {id(out): c.input_tensors[0] for c in omitted if c.input_tensors
                      for out in c.output_tensors[:1] if out is not c.input_tensors[0]}
        self.omitted = omitted
        self.computed: dict[int, _Computed] = {}
        self.stages = self._group(calls, self._resolve)
        last = self.stages[-1]
        outs = tensors_in(last.act.output if last.act else last.call.output)
        self.final_shape = _sample_shape(outs[0].shape, last.call.module) if outs else ()
        self.notes: list[str] = []
        self._used: set[str] = set()

    # ------------------------------------------------------------------ grouping
    def _resolve(self, t):
        """The tensor itself, or, for the output of a module left out, that module's input."""
        while t is not None and id(t) in self.alias:
            t = self.alias[id(t)]
        return t

    @staticmethod
    def _group(calls: list[Call], resolve=lambda t: t) -> list[_Stage]:
        stages: list[_Stage] = []
        for call in calls:
            kind = _kind(call.module)
            prev = stages[-1] if stages else None
            if (kind == "activation" and prev is not None and prev.act is None
                    and _has_params(prev.call.module)
                    and prev.kind in ("linear", "conv", "conv_transpose", "other")
                    and call.input_tensors and tensors_in(prev.call.output)
                    and resolve(call.input_tensors[0]) is tensors_in(prev.call.output)[0]):
                prev.act = call
                continue
            stages.append(_Stage(call, kind))
        return stages

    # ------------------------------------------------------------------ symbols
    def _unique(self, sym: M) -> M:
        while sym.text in self._used:
            sym = Sym(sym.text + "′", sym.latex + "'", getattr(sym, "base", "") + "′",
                      getattr(sym, "base_latex", "") + "'", getattr(sym, "index", None)) \
                if isinstance(sym, Sym) else M(sym.text + "′", sym.latex + "'")
        self._used.add(sym.text)
        return sym

    def _assign_symbols(self, loss_module) -> None:
        k = 0
        hat_y = Sym.of("ŷ", None, r"\hat{y}")
        fold = loss_module is not None and _loss_softmax(loss_module) is not None
        for i, st in enumerate(self.stages):
            st.final = i == len(self.stages) - 1
            if _has_params(st.call.module):
                k += 1
                st.index = k
                pre, post = Sym.of("z", k), Sym.of("h", k)
                if st.final:
                    if st.act is not None:
                        st.pre, st.out = pre, hat_y
                    elif fold and st.kind in ("linear", "conv", "other"):
                        st.pre = st.out = pre
                        st.fold_softmax = True
                    else:
                        st.pre = st.out = hat_y
                else:
                    st.pre, st.out = (pre, post) if st.act is not None else (post, post)
            else:
                letter = _LETTERS.get(st.kind, "u")
                sym = hat_y if st.final else Sym.of(letter, k)
                st.pre = st.out = sym
            st.out = self._unique(st.out)
            if st.pre is not st.out and st.pre.text != st.out.text:
                st.pre = self._unique(st.pre)
            else:
                st.pre = st.out

    def _link_inputs(self) -> None:
        """Which symbol each stage reads: the input x, a stage's output, or a view of one."""
        by_id: dict[int, _Stage] = {}
        x_sym = Sym.of("x")
        computed: list[str] = []
        k = 0
        for pos, st in enumerate(self.stages):
            k = st.index or k
            inputs = st.call.input_tensors
            t = self._resolve(inputs[0]) if inputs else None
            if t is None or t is self.x:
                st.input = x_sym
            elif id(t) in by_id:
                st.input_from = by_id[id(t)]
                st.input = st.input_from.out
            elif id(t) in self.computed:              # read before, by another layer
                st.input_from = self.computed[id(t)]
                st.input = st.input_from.sym
            else:
                source = self._derived_source(st, t)
                before = len(self.computed)
                c = None if source is not None else self._computed(st, t, by_id, pos, k)
                if source is not None:
                    st.input_from, st.input = source
                    st.derived = True
                elif c is not None:                     # u = a + b, u = vec(a): defined here
                    st.input_from, st.input = c, c.sym
                    st.defines = list(self.computed.values())[before:]
                else:
                    st.input = self._unique(Sym.of("u", k - 1 if st.index else k))
                    computed.append(st.input.text)
            final = st.act.output if st.act is not None else st.call.output
            for out in tensors_in(final)[:1]:
                by_id[id(out)] = st
        if computed:
            self.notes.append(f"{', '.join(computed)}: computed inside "
                              f"{type(self.model).__name__}.forward from earlier layers' outputs "
                              "(e.g. a residual sum, a reshape), not by a layer")

    def _computed(self, st: _Stage, t: Tensor, by_id: dict, pos: int, k: int, depth: int = 0):
        """The :class:`_Computed` for ``t`` read by stage ``st`` (registered, with those its
        terms need first), or None when ``t`` is not made in a way :meth:`_made_of` knows."""
        if id(t) in self.computed:
            return self.computed[id(t)]
        made = self._made_of(st, t, by_id, pos, k, depth)
        if made is None:
            return None
        how, expr, sources = made
        sym = self._unique(Sym.of("u", k - 1 if st.index else k))
        c = _Computed(sym, substitute_sources(expr, sources, Sym.of("x")), how, sources, pos)
        self.computed[id(t)] = c
        return c

    def _made_of(self, st: _Stage, t: Tensor, by_id: dict, pos: int, k: int, depth: int):
        """How the forward made ``t`` between two layers, when it is one sum or difference of
        two terms, or one reshape (a flatten) of one; a term is a layer's output, x, or (a few
        levels deep) again such a sum or reshape: ('sum' or 'reshape', the expression with {0},
        {1} for the terms, the terms: stages, _Computed, or None for x)."""
        if depth == 0 and getattr(st.call.module, "inplace", False) and any(
                t is o for o in st.call.output_tensors):
            node = t._node                 # an in-place layer (ReLU(inplace=True)) replaced the
            if node is None or not node.inputs:   # node: its input is the version before it
                return None
            t = node.inputs[0]
        node = t._node
        if node is None:
            return None
        name = node.fn.name
        args = [a for a in node.inputs if isinstance(a, Tensor)]

        def source(a):
            a = self._resolve(a)
            if a is self.x:
                return None, True
            if id(a) in by_id:
                return by_id[id(a)], True
            if depth < 3:                  # an earlier sum (blocks in a row: u₂ = h + u₁)
                c = self._computed(st, a, by_id, pos, k, depth + 1)
                if c is not None:
                    return c, True
            return None, False

        if name in ("add", "subtract") and len(args) == 2 and len(node.inputs) == 2:
            found = [source(a) for a in args]
            if all(ok for _, ok in found):
                op = " + " if name == "add" else " − "
                return "sum", M("{0}" + op + "{1}", "{0}" + op.replace("−", "-") + "{1}"), \
                    [s for s, _ in found]
        if name == "reshape" and len(args) == 1:
            src, ok = source(args[0])
            if ok:
                flat = len(_sample_shape(t.shape, st.call.module)) == 1
                if flat:
                    return "reshape", M("vec({0})", r"\operatorname{vec}({0})"), [src]
                return "reshape", M("reshape({0})", r"\operatorname{reshape}({0})"), [src]
        return None

    def _derived_source(self, st: _Stage, t: Tensor):
        """A stage whose output ``t`` is a view of: the last step of a recurrent layer."""
        for prev in reversed(self.stages[: self.stages.index(st)]):
            if prev.kind != "recurrent":
                continue
            module = prev.call.module
            output = tensors_in(prev.call.output)
            seq = output[0]._data
            last = seq[:, -1] if module.batch_first else seq[-1]
            h_n = output[1]._data[-1] if len(output) > 1 else None
            for candidate in (last, h_n):
                if candidate is not None and candidate.shape == t.shape and xp.array_equal(
                        candidate, t._data):
                    return prev, Sym.of("h", "T")
        return None

    # ------------------------------------------------------------------ build
    def build(self, loss_module, optimizer, name: str) -> Explanation:
        self._assign_symbols(loss_module)
        self._link_inputs()
        x_shape = _sample_shape(self.x.shape, self.stages[0].call.module)
        if self.x._data.dtype.kind in "iub":
            vocab = getattr(self.stages[0].call.module, "num_embeddings", None)
            hi = f"{vocab - 1}" if vocab else "V−1"
            dims = "×".join(map(str, x_shape))
            dims_tex = r"\times ".join(map(str, x_shape))
            input_eq = Equation(f"token indices, {dims}", f"x ∈ {{0, …, {hi}}}^{{{dims}}}",
                                rf"x \in \{{0, \ldots, {hi}\}}^{{{dims_tex}}}")
        else:
            m = member(Sym.of("x"), x_shape)
            input_eq = Equation("input", m.text, m.latex)
        layers = [self._forward(st) for st in self.stages]
        loss_eqs, g_final = self._loss(loss_module)
        backward = self._polish(layers, self._backward(layers, g_final))
        update = self._update(optimizer)
        if any(st.kind == "linear" for st in self.stages) and backward:
            self.notes.append(
                "∂L/∂Wₖ = δₖ hᵀ above is one sample's gradient, vectors as columns; for a batch "
                "in rows, as Linear.formula() and chainrule.explain.trace() write it, the same "
                "gradient is ∂L/∂W = Gᵀx = Σₙ δₙ xₙᵀ (row n of G is δₙᵀ), summed over the "
                "samples")
        if any(st.kind in ("conv", "conv_transpose", "pool") for st in self.stages):
            self.notes.append(
                "in the index formulas, n is the sample (one here), o and c the output and "
                "input channel, h and w the row and column of an output (letters, not the hₖ and "
                "Wₖ above), i and j the row and column in the kernel or window, and p a position "
                "in the input")
        if self.omitted:
            left = ", ".join(f"{c.name} ({type(c.module).__name__}"
                             + (", p = 0)" if "Dropout" in type(c.module).__name__ else ")")
                             for c in self.omitted)
            self.notes.append(f"left out, as each returns its input unchanged: {left}")
        total = sum(p.numel() for p in self.model.parameters())
        counted = sum(l.num_parameters for l in layers)
        composite = {}
        for mname, m in self.model.named_modules():
            if any(True for _ in m.children()):
                own = sum(p.numel() for p in m.parameters(recurse=False))
                if own:
                    composite[mname or type(m).__name__] = own
        if composite:
            self.notes.append(f"{fmt_int(sum(composite.values()))} parameters belong to "
                              f"composite modules ({', '.join(composite)}) and are counted in "
                              "the total, not layer by layer")
        unused = total - counted - sum(composite.values())
        if unused > 0:
            self.notes.append(f"{fmt_int(unused)} parameters of the model are not used by the "
                              "forward pass")
        return Explanation(name, input_eq, layers, loss_eqs, backward, update, self.notes, total,
                           sum(l.macs for l in layers), x_shape, self.final_shape)

    # ------------------------------------------------------------------ polish
    def _polish(self, layers: list[LayerMath], backward: list[Equation]) -> list[Equation]:
        """Indices simplified (2·h − 0 + i → 2h + i), and the padded input x̃ of a convolution
        or pooling layer defined where the layer uses it, or written x where nothing is padded.
        Returns the backward equations so polished (each layer's lists are updated in place)."""
        done: dict[int, Equation] = {}
        for st, layer in zip(self.stages, layers):
            tilde, plain, definition = self._padded(st)

            def fix(e: Equation, tilde=tilde, plain=plain, unpadded=definition is None):
                text, latex = e.text, e.latex
                if tilde is not None and unpadded:               # nothing padded: x̃ = x
                    text = re.sub(re.escape(tilde[0]) + r"(?![₀-₉′])", plain[0], text)
                    latex = latex.replace(tilde[1], plain[1])
                return Equation(e.label, simplify_indices(text), simplify_indices_latex(latex))

            forward = [fix(e) for e in layer.forward]
            for e in layer.backward:
                done[id(e)] = fix(e)
            layer.backward = [done[id(e)] for e in layer.backward]
            if definition is not None and any(tilde[0] in e.text
                                              for e in forward + layer.backward):
                forward.append(definition)
            layer.forward = forward
        return [done.get(id(e)) or Equation(e.label, simplify_indices(e.text),
                                            simplify_indices_latex(e.latex)) for e in backward]

    @staticmethod
    def _padded(st: _Stage):
        """((x̃ text, LaTeX prefix), (x text, LaTeX prefix), x̃'s definition or None) for a
        layer whose formula reads its input padded; (None, None, None) for any other."""
        module = st.call.module
        if st.kind not in ("conv", "pool") or not hasattr(module, "padding"):
            return None, None, None
        inp = st.input
        tilde = (substitute_text("x̃", {"x": inp}),
                 substitute_latex(r"\tilde{x}_{n}", {"x": inp})[:-2])
        plain = (inp.text, substitute_latex("x_{n}", {"x": inp})[:-2])
        pads = module._pads() if hasattr(module, "_pads") else module.padding
        sides = [int(v) for v in _flatten(pads)]
        if not any(sides):
            return tilde, plain, None
        name = type(module).__name__
        mode = getattr(module, "padding_mode", "zeros")
        if "MaxPool" in name:
            fill = "−∞"
        elif mode == "zeros":
            fill = "zero" if set(sides) == {1} else "zeros"
        else:
            fill = f"values ({mode})"
        if len(set(sides)) == 1:
            amount = f"{sides[0]} {fill}" if fill.startswith("zero") else \
                f"{sides[0]} {'entry' if sides[0] == 1 else 'entries'} of {fill}"
            words = f"padded with {amount} on each side of each spatial axis"
        else:
            words = f"padded with {fill}: {pads} (per spatial axis)"
        text = f"{tilde[0]} = {inp.text} {words}"
        latex = (substitute_latex(r"\tilde{x}", {"x": inp}) + " = " + inp.latex
                 + r"\ \text{" + words.replace("−∞", "-inf") + "}")
        return tilde, plain, Equation("padding", text, mathtext(latex))

    # ------------------------------------------------------------------ forward
    def _mapping(self, st: _Stage) -> dict[str, M]:
        k = st.index
        mapping: dict[str, M] = {"x": st.input, "y": st.pre}
        if k is not None:
            mapping.update(W=Sym.of("W", k), b=Sym.of("b", k), γ=Sym.of("γ", k),
                           β=Sym.of("β", k))
        return mapping

    def _forward(self, st: _Stage) -> LayerMath:
        module = st.call.module
        in_t = st.call.input_tensors
        out_t = tensors_in(st.act.output if st.act is not None else st.call.output)
        in_shape = _sample_shape(in_t[0].shape, module) if in_t else ()
        out_shape = _sample_shape(out_t[0].shape, module) if out_t else ()
        mapping = self._mapping(st)
        definitions: list[Equation] = []
        body = self._affine(st, mapping)
        if body is None:
            body, definitions = self._generic_forward(st, mapping)
        elif st.kind != "linear":
            definitions = self._definitions(st, mapping)
        main = body
        if st.act is not None:
            main = apply(_activation_symbol(st.act.module), body)
            if st.pre.text != st.out.text:
                pre = equation(st.pre, body)
                head = st.pre.text + " = "
                if definitions and definitions[0].text.startswith(head):
                    # z = BatchNorm2d(h) and z = γ ⊙ …: one definition, z = BatchNorm2d(h) = …
                    d = definitions.pop(0)
                    pre = M(pre.text + " = " + d.text[len(head):],
                            pre.latex + " = " + rhs(d.latex))
                definitions.insert(0, _eq("pre-activation", pre))
        elif st.fold_softmax:
            main = apply(function("softmax"), body)
            definitions.insert(0, _eq("logits", equation(st.pre, body)))
        out_sym = st.out if not st.fold_softmax else Sym.of("ŷ", None, r"\hat{y}")
        shape_label = member(out_sym, out_shape)
        first = Equation(shape_label.text, equation(out_sym, main).text,
                         mathtext(equation(out_sym, main).latex))
        for c in reversed(st.defines):
            what = "the residual sum" if c.how == "sum" else "flattened"
            definitions.insert(0, _eq(f"computed in {type(self.model).__name__}.forward "
                                      f"({what})", equation(c.sym, c.expr)))
        if st.derived:
            definitions.insert(0, _eq("input", equation(st.input, M(
                f"the last step of {st.input_from.out.text}",
                rf"\text{{the last step of }}{st.input_from.out.latex}"))))
        names = [st.call.name] + ([st.act.name] if st.act is not None else [])
        kinds = [type(module).__name__] + ([type(st.act.module).__name__] if st.act else [])
        num = sum(p.numel() for p in module.parameters())
        return LayerMath(st.index, names, kinds, in_shape, out_shape, out_sym,
                         [first] + definitions, self._parameters(st), num_parameters=num,
                         macs=_macs(module, in_t[0].shape if in_t else (),
                                    tensors_in(st.call.output)[0].shape, in_shape))

    def _affine(self, st: _Stage, mapping) -> M | None:
        """The body of a linear or convolutional layer: W x + b, W ⋆ x + b."""
        module = st.call.module
        if st.kind == "linear":
            text = _first_clause(module.formula().forward.text)
            form = column_form(text, mapping)
            if form is not None:
                return form[1]
            return None
        if st.kind == "conv":
            body = M(f"{mapping['W'].text} ⋆ {st.input.text}",
                     rf"{mapping['W'].latex} \star {st.input.latex}")
            if getattr(module, "bias", None) is not None:
                body = body + M(" + ", " + ") + mapping["b"]
            return body
        return None

    def _definitions(self, st: _Stage, mapping) -> list[Equation]:
        f = st.call.module.formula()
        eq = M(_first_clause(f.forward.text), _first_clause_latex(f.forward.latex))
        return [_eq(f"{f.name}: forward", substitute(eq, mapping))]

    def _generic_forward(self, st: _Stage, mapping) -> tuple[M, list[Equation]]:
        module = st.call.module
        name = type(module).__name__
        if st.kind == "activation":
            return apply(_activation_symbol(module), st.input), []
        body = apply(function(name), st.input)
        if st.kind == "recurrent":
            f = module.formula()
            binding = M(f"x_t = {st.input.text}[t] (t = 1, …, T)",
                        rf"x_t = {st.input.latex}[t]\ (t = 1, \ldots, T)")
            outputs = M(f"{st.pre.text} = (h_1, …, h_T)", rf"{st.pre.latex} = (h_1, \ldots, h_T)")
            return body, [_eq("input", binding),
                          Equation(f.forward.label, f.forward.text, mathtext(f.forward.latex)),
                          _eq("output", outputs)]
        try:
            f = module.formula()
        except NotImplementedError:
            return body, []
        if st.kind == "embedding":
            mapping = {**mapping, "i": st.input}
        eq = M(_first_clause(f.forward.text), _first_clause_latex(f.forward.latex))
        sub = substitute(eq, mapping)
        if st.kind == "embedding":
            return M(rhs(sub.text), rhs(mathtext(sub.latex))), []
        return body, [_eq(f"{f.name}: forward", sub)]

    def _parameters(self, st: _Stage) -> list[Equation]:
        module = st.call.module
        out = []
        recurrent = st.kind == "recurrent"
        f_text = ""
        try:
            f_text = module.formula().forward.text
        except NotImplementedError:
            pass
        greek = "γ" in f_text and "β" in f_text
        for pname, p in module.named_parameters():
            sym = _parameter_symbol(pname, st.index, recurrent, greek, module)
            m = member(sym, p.shape)
            out.append(Equation(pname, m.text, m.latex))
        return out

    # ------------------------------------------------------------------ loss
    def _loss(self, loss_module) -> tuple[list[Equation], M | None]:
        """The loss for one sample, and ∂L/∂(final output) (None when the loss was folded into
        δ of the last layer)."""
        hat_y = Sym.of("ŷ", None, r"\hat{y}")
        if loss_module is None:       # backpropagation from a given ∂L/∂ŷ
            self._loss_delta = self._loss_grad = None
            return [], grad(self.stages[-1].out)
        f = loss_module.formula()
        last = self.stages[-1]
        fwd = per_sample(M(f.forward.text, f.forward.latex))
        der = per_sample(M(f.derivative.text, f.derivative.latex))
        var = _loss_variable(der.text)
        label = type(loss_module).__name__
        softmax = _loss_softmax(loss_module)
        if last.fold_softmax and softmax is not None:
            fwd = _replace_softmax(fwd, var, hat_y)
            der = _replace_softmax(der, var, hat_y)
            fwd = substitute(fwd, {var: last.pre})
            delta = Sym.of("δ", last.index)
            value = M(rhs(der.text), rhs(der.latex))
            value = substitute(value, {var: last.pre})
            eq = delta + M(" = ", " = ") + grad(last.pre) + M(" = ", " = ") + value
            self._loss_delta = _eq("loss", eq)
            return [_eq(label, fwd)], None
        self._loss_delta = None
        fwd = substitute(fwd, {var: hat_y})
        der = substitute(der, {var: hat_y})
        self._loss_grad = _eq("loss", der)
        if not uses_batch_index(f.forward.text) and f.notes:
            label += "; " + "; ".join(f.notes)
        return [_eq(label, fwd)], grad(hat_y)

    # ------------------------------------------------------------------ backward
    def _backward(self, layers: list[LayerMath], g_final: M | None) -> list[Equation]:
        eqs: list[Equation] = []
        incoming: dict[int, list[M]] = {}
        for pos in range(len(self.stages) - 1, -1, -1):
            st, layer = self.stages[pos], layers[pos]
            own: list[Equation] = []
            if st.final:
                if self._loss_delta is not None:
                    own.append(self._loss_delta)
                    g_out = None
                else:
                    if self._loss_grad is not None:
                        own.append(self._loss_grad)
                    g_out = g_final
            else:
                parts = incoming.get(id(st), [])
                if not parts:
                    continue       # nothing after this layer needs its output
                g_out, lines = _fan_in(st.out, parts)
                own += lines
            if g_out is not None:
                G, lines = self._through_activation(st, g_out)
                own += lines
            else:
                G = Sym.of("δ", st.index)
            grads, g_in = self._layer_gradients(st, G, first=pos == 0)
            own += grads
            if g_in is not None and st.input_from is not None:
                target = st.input_from
                if st.derived:
                    own.append(_eq("gradient", equation(grad(st.input), g_in)))
                    g_in = grad(st.input)
                incoming.setdefault(id(target), []).append(g_in)
            for c in reversed(self.computed.values()):   # c's readers are done: on to its terms
                if c.first == pos:
                    own += self._through_computed(c, incoming)
            layer.backward = own
            eqs += own
        return eqs

    @staticmethod
    def _through_computed(c: _Computed, incoming: dict) -> list[Equation]:
        """∂L/∂u for u computed between layers, sent on to the terms it was made of."""
        parts = incoming.get(id(c), [])
        if not parts:
            return []
        g, lines = _fan_in(c.sym, parts)
        if g.text != grad(c.sym).text:
            lines.append(_eq("gradient", equation(grad(c.sym), g)))
        for src in c.sources:
            if src is None:                # the input x: nothing to send
                continue
            term = src.sym if isinstance(src, _Computed) else src.out
            if c.how == "sum":             # a sum passes its gradient to each term unchanged
                sent = grad(c.sym)
            else:                          # a reshape: the same numbers in the term's shape
                sent = M(f"reshape({grad(c.sym).text}, shape({term.text}))",
                         rf"\operatorname{{reshape}}({grad(c.sym).latex})")
            incoming.setdefault(id(src), []).append(sent)
        return lines

    def _through_activation(self, st: _Stage, g_out: M) -> tuple[M, list[Equation]]:
        """∂L/∂(stage output) = g_out → the gradient G at the main module's output."""
        lines: list[Equation] = []
        if st.kind == "recurrent":
            return g_out, lines
        if not _is_short(g_out) and g_out.text != grad(st.out).text:
            lines.append(_eq("gradient", equation(grad(st.out), g_out)))
            g_out = grad(st.out)
        if st.act is not None:
            delta = Sym.of("δ", st.index)
            rule = _activation_backward(st.act.module, st.pre, st.out, g_out)
            lines.append(_eq("δ", equation(delta, rule)))
            return delta, lines
        if st.index is not None:
            delta = Sym.of("δ", st.index)
            lines.append(_eq("δ", equation(delta, g_out)))
            return delta, lines
        if g_out.text != grad(st.out).text:
            lines.append(_eq("gradient", equation(grad(st.out), g_out)))
        return grad(st.out), lines

    def _layer_gradients(self, st: _Stage, G: M, first: bool) -> tuple[list[Equation], M | None]:
        """Parameter gradients of the main module, and ∂L/∂(its input) for the layer before."""
        module = st.call.module
        mapping = {**self._mapping(st), "G": G}
        eqs: list[Equation] = []
        g_in = None
        if st.kind == "activation":
            rule = _activation_backward(module, st.input, st.out, G)
            return [], rule
        try:
            f = module.formula()
        except NotImplementedError:
            return [], None
        if st.kind == "linear":
            texts = split_equations(f.derivative.text)
            forms = [column_form(t, mapping) for t in texts]
            if all(form is not None for form in forms):
                params = []
                for t, (left, right) in zip(texts, forms):
                    if lhs(t) == "∂L/∂x":
                        g_in = right
                    elif lhs(t) != "∂L/∂b" or module.bias is not None:
                        params.append(equation(left, right))
                if params:
                    eqs.append(_eq("parameters", M.join(params, M(",  ", r",\quad "))))
                return eqs, None if first else g_in
        if st.kind == "recurrent":
            if G.text == "∂L/∂h_T":
                binding = M("∂L/∂y_T = ∂L/∂h_T,  ∂L/∂y_t = 0 for t < T",
                            r"\frac{\partial L}{\partial y_T} = \frac{\partial L}{\partial h_T},"
                            r"\quad \frac{\partial L}{\partial y_t} = 0\ (t < T)")
            else:
                binding = M(f"∂L/∂y_t = {G.wrapped().text}[t]",
                            rf"\frac{{\partial L}}{{\partial y_t}} = {G.wrapped().latex}[t]")
            eqs.append(_eq("output gradient", binding))
            for e in f.equations[1:]:
                if e.label in ("Derivative", "Gradients"):
                    eqs.append(Equation(f"{f.name}: {e.label}", e.text, mathtext(e.latex)))
            if first:
                return eqs, None
            g_input = grad(st.input)
            eqs.append(_eq("input gradient", equation(
                M(f"{g_input.text}[t]", g_input.latex + "[t]"),
                M("∂L/∂x_t", r"\frac{\partial L}{\partial x_t}"))))
            return eqs, g_input
        if st.kind == "embedding":
            mapping = {**mapping, "i": st.input}
        for e in f.equations[1:]:
            label = e.label.lower()
            if not ("derivative" in label or "gradient" in label):
                continue
            text = main_clause(e.text)
            tex_parts = split_equations_latex(e.latex)
            text_parts = split_equations(text)
            if len(tex_parts) != len(text_parts):
                tex_parts = [tex_parts[0]] * len(text_parts) if len(tex_parts) == 1 and len(
                    text_parts) == 1 else None
            if tex_parts is None:
                continue
            for t, tex in zip(text_parts, tex_parts):
                sub = substitute(M(t, mathtext(tex)), mapping)
                target = lhs(t).strip()
                if target.startswith("∂L/∂x"):
                    if st.kind == "embedding" or first:
                        continue
                    if target == "∂L/∂x" and " = " in sub.latex:
                        g_in = M(rhs(sub.text), rhs(sub.latex))
                    else:               # an index-wise rule: state it, pass its name on
                        eqs.append(_eq("gradient", sub))
                        g_in = grad(st.input)
                    continue
                eqs.append(_eq(e.label, sub))
        return eqs, None if first else g_in

    # ------------------------------------------------------------------ update
    @staticmethod
    def _update(optimizer) -> list[Equation]:
        if optimizer is None:
            return []
        f = optimizer.formula()
        eqs = [Equation(f"{f.name}: {e.label}", e.text, mathtext(e.latex)) for e in f.equations]
        note = M("g = ∂L/∂θ for every parameter θ (the gradients above)",
                 r"g = \frac{\partial L}{\partial \theta}\ \text{for every parameter }\theta")
        return [_eq("gradient", note)] + eqs


# ------------------------------------------------------------------------------ helpers


def substitute_sources(expr: M, sources, x_sym: M) -> M:
    """``expr`` with {0}, {1} replaced by the symbols of the stages in ``sources`` (None: x)."""
    text, latex = expr.text, expr.latex
    for i, src in enumerate(sources):
        sym = x_sym if src is None else src.sym if isinstance(src, _Computed) else src.out
        text = text.replace("{" + str(i) + "}", sym.text)
        latex = latex.replace("{" + str(i) + "}", sym.latex)
    return M(text, latex)


def _eq(label: str, m: M) -> Equation:
    return Equation(label, m.text, mathtext(m.latex))


def _fan_in(out: M, parts: list[M]) -> tuple[M, list[Equation]]:
    """∂L/∂out from what each reader of ``out`` sends. A reader whose rule accumulates into
    ∂L/∂out itself (an index-wise rule with +=) sends that symbol; the others are added to it."""
    own = grad(out)
    others, seen = [], set()
    for p in parts:
        if p.text != own.text and p.text not in seen:
            seen.add(p.text)
            others.append(p)
    if len(others) == len(parts):
        return M.join(parts, " + "), []
    if not others:
        return own, []
    rest = M.join(others, " + ")
    return own, [_eq("gradient", M(f"{own.text} += {rest.text}",
                                   rf"{own.latex} \mathrel{{+}}= {rest.latex}"))]


def _flatten(value) -> list:
    if isinstance(value, (tuple, list)):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _is_short(m: M) -> bool:
    return len(m.text) <= 24 and "[" not in m.text and " = " not in m.text


def _first_clause(text: str) -> str:
    return split_equations(main_clause(text))[0]


def _first_clause_latex(latex: str) -> str:
    return split_equations_latex(latex)[0]


def _sample_shape(shape, module) -> tuple:
    """The shape of one sample: without the batch axis (axis 1 for time-major recurrent
    layers)."""
    shape = tuple(shape)
    if not shape:
        return shape
    axis = 1 if (_kind(module) == "recurrent" and not module.batch_first and len(shape) == 3) \
        else 0
    return shape[:axis] + shape[axis + 1:]


def _activation_symbol(module) -> M:
    """σ for sigmoid (the symbol its formula defines), tanh, softmax; ReLU, GELU as named."""
    f = module.formula()
    head = lhs(f.forward.text)
    m = re.fullmatch(r"(\S+)\(x\)", head.strip())
    if m:
        return function(m.group(1))
    name = type(module).__name__
    if name[0].isupper() and name[1:].islower():
        return function(name.lower())
    return function(name)


def _activation_backward(module, z: M, h: M, g: M) -> M:
    """∂L/∂z for h = f(z), given g = ∂L/∂h: the activation's VJP, or g ⊙ f′(z) from its
    derivative (elementwise functions)."""
    f = module.formula()
    mapping = {"x": z, "y": h, "g": g}
    vjp = next((e for e in f.equations if e.label == "VJP"), None)
    if vjp is not None:
        rule = substitute(M(main_clause(vjp.text), mathtext(vjp.latex)), mapping)
        return M(rhs(rule.text), rhs(rule.latex))
    deriv = substitute(M(main_clause(f.derivative.text), mathtext(f.derivative.latex)), mapping)
    d_text, d_tex = rhs(deriv.text), rhs(deriv.latex)
    if "," not in d_text and " if " not in d_text:
        # of the equal forms (1 − tanh²x = 1 − y²) take the last, which reuses the output
        d_text = d_text.split(" = ")[-1]
        if d_tex.count(" = ") == f.derivative.text.count(" = ") - 1:
            d_tex = d_tex.split(" = ")[-1]
    head = lhs(f.forward.text).strip()
    if re.fullmatch(r"\S+\(x\)", head):          # σ(x): σ(z) is the output h
        fn = head[:-3]
        d_text = d_text.replace(f"{fn}({z.text})", h.text)
        fn_tex = lhs(mathtext(f.forward.latex)).strip()[:-3]
        for form in (f"{fn_tex}({z.latex})", f"{fn_tex}\\left({z.latex}\\right)"):
            d_tex = d_tex.replace(form, h.latex)
    d = M(d_text, d_tex)
    if top_level_sum(d_text):
        d = d.paren()
    return g.wrapped() + M(" ⊙ ", r" \odot ") + d


def _parameter_symbol(pname: str, k, recurrent: bool, greek: bool, module) -> M:
    if recurrent:
        m = re.fullmatch(r"(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?", pname)
        if m:
            base = "W" if m.group(1) == "weight" else "b"
            idx = m.group(2)
            if module.num_layers > 1 or m.group(4):
                idx += f",{m.group(3)}" + ("←" if m.group(4) else "")
            return M(f"{base}_{idx}", f"{base}_{{{idx}}}")
    if pname == "weight":
        return Sym.of("γ" if greek else "W", k)
    if pname == "bias":
        return Sym.of("β" if greek else "b", k)
    return M(pname, r"\mathrm{" + pname.replace("_", r"\_") + "}")


def _loss_variable(derivative_text: str) -> str:
    m = re.search(r"∂L\S*/∂([A-Za-zα-ω])", derivative_text)
    return m.group(1) if m else "x"


def _loss_softmax(loss_module) -> str | None:
    """'softmax' when the loss applies softmax to its input (cross-entropy from logits)."""
    try:
        text = loss_module.formula().forward.text
    except NotImplementedError:
        return None
    return "softmax" if re.search(r"softmax\([a-z]", text) else None


def _replace_softmax(eq: M, var: str, hat_y: M) -> M:
    text = eq.text.replace(f"softmax({var})", hat_y.text)
    latex = re.sub(r"\\operatorname\{softmax\}\s*\(\s*" + var + r"\s*\)", lambda _: hat_y.latex,
                   eq.latex)
    return M(text, latex)


def _macs(module, in_shape, out_shape, sample_in) -> int:
    """Multiply-adds of one forward pass of one sample (matrix products and convolutions)."""
    kind = _kind(module)
    batch = in_shape[0] if in_shape else 1
    out_elems = math.prod(out_shape) // max(batch, 1) if out_shape else 0
    if kind == "linear":
        return out_elems * module.in_features
    if kind == "conv":
        per_output = (module.in_channels // module.groups) * math.prod(module.kernel_size)
        return out_elems * per_output
    if kind == "conv_transpose":
        in_elems = math.prod(in_shape) // max(batch, 1)
        return in_elems * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    if kind == "recurrent":
        gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
        steps = sample_in[0] if len(sample_in) == 2 else 1
        H, P = module.hidden_size, module.proj_size or module.hidden_size
        D = 2 if module.bidirectional else 1
        total = 0
        for layer in range(module.num_layers):
            I = module.input_size if layer == 0 else P * D
            per = gates * H * (I + P) + (P * H if module.proj_size else 0)
            total += D * steps * per
        return total
    return 0
