"""``graph(tensor)``: the computational graph behind a tensor, as Graphviz DOT, SVG and PNG.

Every node is one tensor: an operation (the primitive that made it, and its shape), a parameter
(named by the model's ``named_parameters()`` when ``model`` is given), the data input, the target
(drawn in green: see :func:`~chainrule.explain.recording.data_roles` for how it is told from the
input) or a constant.
Edges run from inputs to the operation that used them, so the picture reads top to bottom in the
order of the forward pass; backpropagation runs up the same edges. Options add each tensor's
value and gradient (gradients found, where ``.grad`` is not kept, by the engine's own rules, as
:func:`~chainrule.explain.trace` does), or collapse each layer into one node.

Collapsing needs to know which module made each operation: run the forward pass inside
``record_modules(model)`` (see :mod:`chainrule.explain.recording`); without such a record, the
operations that use a module's parameters are grouped under it.

Drawing needs the ``graphviz`` Python package (``pip install chainrule[graph]``) or the ``dot``
program of Graphviz (Debian: ``apt-get install graphviz``); the DOT text needs neither.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..backend import xp
from ..tensor import Tensor
from .recording import data_roles, owner

_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#dce8f7", color="#4a6fa5"',
    "param": 'shape=box, style="filled", fillcolor="#fde9b8", color="#b8860b"',
    "leaf": 'shape=box, style="filled", fillcolor="#fde9b8", color="#b8860b"',
    "input": 'shape=box, style="filled,dashed", fillcolor="#eeeeee", color="#777777"',
    "target": 'shape=box, style="filled,dashed", fillcolor="#e3f1e3", color="#5a8a5a"',
    "root": 'shape=box, style="rounded,filled,bold", fillcolor="#f6d5d5", color="#a33b3b"',
    "module": 'shape=box3d, style="filled", fillcolor="#d8efd8", color="#3c7d3c"',
}


class Graph:
    """DOT ``source`` of a computational graph, with SVG and PNG output through Graphviz."""

    def __init__(self, source: str, nodes: int, edges: int):
        self.source = source
        self.nodes = nodes
        self.edges = edges

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"Graph({self.nodes} nodes, {self.edges} edges)"

    def pipe(self, format: str = "svg") -> bytes:  # noqa: A002  (Graphviz's argument name)
        """The drawing as bytes in ``format`` ('svg', 'png', 'pdf')."""
        try:
            import graphviz
        except ImportError:
            graphviz = None
        if graphviz is not None:
            try:
                return graphviz.Source(self.source).pipe(format=format)
            except graphviz.ExecutableNotFound:
                pass
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(
                "graph: drawing needs Graphviz's `dot` program, which was not found. Install it "
                "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) and the "
                "Python package (pip install graphviz). The DOT text is in .source.")
        done = subprocess.run([dot, f"-T{format}"], input=self.source.encode("utf-8"),
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"graph: dot failed: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def save_svg(self, path) -> Path:
        path = Path(path)
        path.write_bytes(self.pipe("svg"))
        return path

    def save_png(self, path) -> Path:
        path = Path(path)
        path.write_bytes(self.pipe("png"))
        return path

    def save(self, path) -> Path:
        """Write DOT (.dot, .gv), SVG or PNG, chosen by the file's extension."""
        path = Path(path)
        suffix = path.suffix.lower().lstrip(".")
        if suffix in ("dot", "gv"):
            path.write_text(self.source, encoding="utf-8")
            return path
        path.write_bytes(self.pipe(suffix))
        return path

    def _repr_svg_(self):
        try:
            return self.pipe("svg").decode("utf-8")
        except RuntimeError:
            return None


# ------------------------------------------------------------------------------ graph()


def graph(tensor: Tensor, collapse_layers: bool = False, show_values: bool = False,
          show_grads: bool = False, model=None, names: dict | None = None,
          rankdir: str = "TB") -> Graph:
    """The graph that computed ``tensor``, as a :class:`Graph` (``.source`` is DOT).

    ``model`` names parameters ('conv1.weight') and, with ``collapse_layers=True``, gives the
    layers to collapse; ``names`` labels other tensors (``{x: 'x', y: 'y'}``).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expected a Tensor, got {type(tensor).__name__}")
    tensors = _collect(tensor)
    labels = _names(model, names)
    roles = data_roles(tensor)
    grads = _gradients(tensor) if show_grads else {}
    groups = _groups(tensors, model) if collapse_layers else {}
    b = _DotBuilder(rankdir)
    ids: dict[int, str] = {}
    group_ids: dict[str, str] = {}
    absorbed = _absorbed_parameters(tensors, groups)
    for t in tensors:
        key = id(t)
        group = groups.get(key)
        if group is not None:
            gname, module = group
            if gname not in group_ids:
                group_ids[gname] = b.node(_module_label(gname, module, t), "module")
            ids[key] = group_ids[gname]
            continue
        if key in absorbed:
            continue
        kind, title = _describe(t, tensor, labels, roles)
        lines = [title, _shape(t.shape)]
        if show_values:
            lines.append("value " + _summary(t._data))
        if show_grads and key in grads:
            lines.append("grad " + _summary(grads[key]))
        ids[key] = b.node(lines, kind)
    # module nodes show the shape of the group's last output
    for t in tensors:
        group = groups.get(id(t))
        if group is not None:
            b.relabel(group_ids[group[0]], _module_label(group[0], group[1], t))
    for t in tensors:
        node = t._node
        if node is None:
            continue
        target = ids[id(t)]
        for inp in node.inputs:
            if not isinstance(inp, Tensor) and id(inp) in roles and id(inp) not in ids:
                # an array the operation holds (cross-entropy's class indices): data all the same
                role = roles[id(inp)]
                ids[id(inp)] = b.node([role, _shape(inp.shape)],
                                      "target" if role.startswith("target") else "input")
            if not isinstance(inp, Tensor) and id(inp) not in roles or id(inp) in absorbed:
                continue
            source = ids.get(id(inp))
            if source is not None and source != target:
                b.edge(source, target)
    return Graph(b.source(), b.count, len(b.edges))


def _collect(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on (graph or not), each after its inputs; deterministic."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        node = t._node
        if node is not None:
            if getattr(node, "freed", False):
                raise RuntimeError(
                    f"graph: the graph through '{node.fn.name}' was freed by backward(); draw "
                    "it before backward(), or call backward(retain_graph=True)")
            for inp in reversed(getattr(node, "inputs", ())):
                if isinstance(inp, Tensor) and id(inp) not in seen:
                    stack.append((inp, False))
    return order


def _names(model, names) -> dict[int, str]:
    labels: dict[int, str] = {}
    if model is not None:
        for name, p in model.named_parameters():
            labels[id(p)] = name
    for t, name in (names or {}).items():
        labels[id(t)] = name
    return labels


def _describe(t: Tensor, root: Tensor, labels, roles) -> tuple[str, str]:
    name = labels.get(id(t))
    role = roles.get(id(t))
    if t._node is not None:
        op = t._node.fn.name
        title = f"{name} = {op}" if name else op
        return ("root" if t is root else "op"), title
    if t.requires_grad:
        is_param = type(t).__name__ == "Parameter"
        return ("param" if is_param else "leaf"), (name or ("parameter" if is_param else "leaf"))
    if role is not None and role.startswith("target"):
        return "target", (name or role)
    return "input", (name or role or ("data" if t._data.ndim else "constant"))


def _gradients(root: Tensor) -> dict[int, object]:
    """∂root/∂t for every tensor t of the graph: .grad where kept, else the engine's rules."""
    grads: dict[int, object] = {}
    if root.requires_grad and root._node is not None and root._data.size == 1:
        try:
            from ..autograd import engine
            from .trace import _run

            order = engine.topological_order(root)
            labels = {id(t): str(i) for i, t in enumerate(order)}
            steps, leaves, _ = _run(order, root, labels, jacobians=False)
            by_label = {s.output: s.incoming for s in steps}
            by_label.update(leaves)
            for t in order:
                if labels[id(t)] in by_label:
                    grads[id(t)] = by_label[labels[id(t)]]
        except RuntimeError:      # the graph was freed: only .grad is left
            pass
    for t in _collect(root):
        if t.grad is not None and id(t) not in grads:
            grads[id(t)] = t.grad._data
    return grads


def _groups(tensors, model) -> dict[int, tuple[str, object]]:
    """Tensor → (module name, module) for the operations each leaf module performed."""
    groups: dict[int, tuple[str, object]] = {}
    leaf_modules = set()
    param_owner: dict[int, tuple[str, object]] = {}
    if model is not None:
        for name, m in model.named_modules():
            if not any(True for _ in m.children()):
                leaf_modules.add(id(m))
                for p in m.parameters(recurse=False):
                    param_owner[id(p)] = (name, m)
    recorded = False
    for t in tensors:
        if t._node is None:
            continue
        found = owner(t._node)
        if found is not None:
            recorded = True
            name, m = found
            if not any(True for _ in m.children()) and (model is None or id(m) in leaf_modules):
                groups[id(t)] = (name, m)
    if not recorded:
        for t in tensors:
            node = t._node
            if node is None:
                continue
            for inp in node.inputs:
                if isinstance(inp, Tensor) and id(inp) in param_owner:
                    groups[id(t)] = param_owner[id(inp)]
                    break
    return groups


def _absorbed_parameters(tensors, groups) -> set[int]:
    """Parameters used only inside one collapsed module: drawn as part of that module."""
    users: dict[int, set] = {}
    for t in tensors:
        node = t._node
        if node is None:
            continue
        for inp in node.inputs:
            if isinstance(inp, Tensor) and inp._node is None and inp.requires_grad:
                users.setdefault(id(inp), set()).add(groups.get(id(t), (None,))[0])
    return {k for k, who in users.items() if len(who) == 1 and None not in who}


def _module_label(name: str, module, last: Tensor) -> list[str]:
    title = f"{name}: {type(module).__name__}" if name else type(module).__name__
    lines = [title]
    params = [f"{n} {_shape(p.shape)}" for n, p in module.named_parameters()]
    if params:
        lines.append(", ".join(params))
    lines.append("→ " + _shape(last.shape))
    return lines


def _shape(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if shape else "scalar"


def _summary(a) -> str:
    a = xp.asarray(a)
    if a.size <= 4:
        return xp.array2string(a.reshape(-1), precision=3, separator=", ")
    return (f"‖·‖={float(xp.linalg.norm(a.astype(float))):.3g} "
            f"[{float(a.min()):.3g}, {float(a.max()):.3g}]")


class _DotBuilder:
    def __init__(self, rankdir: str):
        self.rankdir = rankdir
        self.count = 0
        self.nodes: dict[str, tuple[list[str], str]] = {}
        self.edges: list[tuple[str, str]] = []
        self._edge_set: set[tuple[str, str]] = set()

    def node(self, lines: list[str], kind: str) -> str:
        name = f"n{self.count}"
        self.count += 1
        self.nodes[name] = (lines, kind)
        return name

    def relabel(self, name: str, lines: list[str]) -> None:
        self.nodes[name] = (lines, self.nodes[name][1])

    def edge(self, a: str, b: str) -> None:
        if (a, b) not in self._edge_set:
            self._edge_set.add((a, b))
            self.edges.append((a, b))

    def _main(self, name: str) -> bool:
        """Operations and layers form the spine of the drawing (kept in one straight column)."""
        return self.nodes[name][1] in ("op", "root", "module")

    def source(self) -> str:
        out = ["digraph chainrule {",
               f'  graph [rankdir={self.rankdir}, nodesep=0.25, ranksep=0.3, '
               'fontname="Helvetica", bgcolor="white", pad=0.2];',
               '  node [fontname="Helvetica", fontsize=11, margin="0.12,0.05", height=0.3];',
               '  edge [color="#555555", arrowsize=0.6];']
        for name, (lines, kind) in self.nodes.items():
            head, rest = lines[0], lines[1:]
            label = f"<B>{_escape(head)}</B>" + "".join(f"<BR/>{_escape(line)}" for line in rest)
            group = ', group="spine"' if self._main(name) else ""
            out.append(f"  {name} [label=<{label}>, {_STYLE[kind]}{group}];")
        for a, b in self.edges:
            weight = " [weight=10]" if self._main(a) and self._main(b) else ""
            out.append(f"  {a} -> {b}{weight};")
        out.append("}")
        return "\n".join(out) + "\n"


def _escape(s: str) -> str:
    """Text for a Graphviz HTML-like label."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
