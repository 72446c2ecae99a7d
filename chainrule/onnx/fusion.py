"""Recognising chainrule's own export of a recurrent layer, so that the imported layer runs on its
weights as they are stored, and exports back to the same graph.

:func:`chainrule.onnx.export` writes one layer and one direction of ``nn.LSTM`` (GRU and RNN
alike) as ::

    W   = Unsqueeze(Gather(weight_ih, rows), [0])          (gates·H × I, one direction axis)
    R   = Unsqueeze(Gather(weight_hh, rows), [0])
    B   = Unsqueeze(Concat(Gather(bias_ih, rows), Gather(bias_hh, rows)), [0])
    initial_h = Unsqueeze(h0, [0]),  initial_c = Unsqueeze(c0, [0])
    Y, Y_h, Y_c = LSTM(X, W, R, B, sequence_lens, initial_h, initial_c)
    y = Squeeze(Y, [1]),  h = Squeeze(Y_h, [0]),  c = Squeeze(Y_c, [0])

where ``rows`` puts PyTorch's gate blocks (i, f, g, o) in ONNX's order (i, o, f, c). Imported
node by node, those rows would be gathered into ONNX's order and straight back into chainrule's
(:func:`chainrule.onnx.ops_rnn._gates`), and the direction axes added and removed: the same
function, with every step recorded by autograd and written out again by a second export.

When the rows gathered are exactly the ones that the ONNX → chainrule reordering undoes (the
composition is the identity), and each intermediate value serves only this pattern, the importer
replaces the whole pattern by one step: chainrule's recurrence primitive applied to weight_ih,
weight_hh, bias_ih, bias_hh, h0 and c0 themselves, its y, h and c being the Squeeze nodes'
outputs. It computes the same numbers (a gather by the identity permutation changes none), the
gradient reaches the same parameters under the same names, and a re-export writes the pattern
above again, node for node. Anything else (another exporter's layout, bidirectional nodes,
peepholes, a value used elsewhere) is imported by the general route.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fused", "recurrent_fusions"]

# ONNX's gate blocks in chainrule's order (ops_rnn._ORDER); the exporter gathers their inverse
_ORDER = {"RNN": [0], "GRU": [1, 0, 2], "LSTM": [0, 2, 3, 1]}
_MAX_INDEX_ELEMENTS = 1 << 20           # an integer initializer larger than this is not rows


@dataclass(frozen=True)
class Fused:
    """One recurrent node imported on its stored weights.

    ``inputs``: X, weight_ih, weight_hh, bias_ih, bias_hh, sequence_lens, h0, c0 ('' where
    absent); ``outputs``: y (T, N, H), h and c (N, H) as the names of the Squeeze nodes that
    produced them ('' where unused); ``absorbed``: positions (in the graph's node list) of the
    Gather, Concat, Unsqueeze and Squeeze nodes folded into it.
    """

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    absorbed: frozenset[int]


def _subgraph_reads(graph) -> set[str]:
    """The names that the subgraphs (If branches) of ``graph``'s nodes read, at any depth."""
    from onnx import AttributeProto

    names: set[str] = set()
    for node in graph.node:
        for a in node.attribute:
            if a.type == AttributeProto.GRAPH:
                names.update(i for n in a.g.node for i in n.input if i)
                names.update(o.name for o in a.g.output)
                names.update(_subgraph_reads(a.g))
    return names


class _Graph:
    """Producers, uses and integer constants of one graph's own nodes."""

    def __init__(self, graph, opset: int):
        from onnx import helper, numpy_helper

        self.nodes = list(graph.node)
        self.opset = opset
        self.producer = {o: k for k, n in enumerate(self.nodes) for o in n.output if o}
        self.uses: dict[str, list[tuple[int, int]]] = {}
        for k, n in enumerate(self.nodes):
            for i, name in enumerate(n.input):
                if name:
                    self.uses.setdefault(name, []).append((k, i))
        self.pinned = {o.name for o in graph.output} | _subgraph_reads(graph)
        self.ints: dict[str, np.ndarray] = {}
        for t in graph.initializer:
            if t.data_type == 7 and t.data_location != 1 and \
                    int(np.prod(t.dims, dtype=np.int64)) <= _MAX_INDEX_ELEMENTS:
                self.ints[t.name] = numpy_helper.to_array(t)
        self.attrs = [{a.name: helper.get_attribute_value(a) for a in n.attribute}
                      for n in self.nodes]

    def only_use(self, name: str, k: int, i: int) -> bool:
        """``name`` is read once, as input i of node k, and is not a graph output."""
        return name not in self.pinned and self.uses.get(name) == [(k, i)]

    def made_by(self, name: str, op_type: str) -> int | None:
        k = self.producer.get(name)
        return k if k is not None and self.nodes[k].op_type == op_type else None

    def axes(self, k: int) -> tuple[int, ...] | None:
        """The constant axes of Squeeze/Unsqueeze node k (input from opset 13, else attribute)."""
        node = self.nodes[k]
        if self.opset >= 13:
            if len(node.input) < 2 or node.input[1] not in self.ints:
                return None
            return tuple(int(a) for a in self.ints[node.input[1]].reshape(-1))
        value = self.attrs[k].get("axes")
        return None if value is None else tuple(int(a) for a in value)

    def unsqueezed(self, name: str, k: int, i: int):
        """(x, position of the node) if ``name`` = Unsqueeze(x, [0]) is read only by input i of
        node k; else None."""
        u = self.made_by(name, "Unsqueeze")
        if u is None or not self.only_use(name, k, i) or self.axes(u) != (0,):
            return None
        return self.nodes[u].input[0], u

    def gathered(self, name: str, k: int, i: int, rows: np.ndarray):
        """(p, position of the node) if ``name`` = Gather(p, rows) along axis 0 is read only by
        input i of node k; else None."""
        g = self.made_by(name, "Gather")
        if g is None or not self.only_use(name, k, i) or self.attrs[g].get("axis", 0) != 0:
            return None
        node = self.nodes[g]
        index = self.ints.get(node.input[1]) if len(node.input) > 1 else None
        if index is None or index.shape != rows.shape or not np.array_equal(index, rows):
            return None
        return node.input[0], g


def _rows(kind: str, hidden: int) -> np.ndarray:
    """The rows chainrule's exporter gathers: the inverse of the importer's gate reordering."""
    blocks = np.argsort(_ORDER[kind])
    return np.concatenate([np.arange(b * hidden, (b + 1) * hidden) for b in blocks])


def _match(g: _Graph, k: int) -> Fused | None:
    node, attrs = g.nodes[k], g.attrs[k]
    kind = node.op_type
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    hidden = attrs.get("hidden_size")
    if direction not in ("forward", "reverse") or attrs.get("layout", 0) != 0 or hidden is None:
        return None
    inputs = list(node.input) + [""] * (8 - len(node.input))
    n_states = 2 if kind == "LSTM" else 1
    if kind == "LSTM" and inputs[7]:
        return None                                     # peepholes
    if any(inputs[5 + n_states:]):
        return None
    rows = _rows(kind, int(hidden))
    absorbed: list[int] = []
    weights = []
    for i in (1, 2):                                    # W, R
        unsqueezed = g.unsqueezed(inputs[i], k, i)
        gathered = unsqueezed and g.gathered(unsqueezed[0], unsqueezed[1], 0, rows)
        if not gathered:
            return None
        weights.append(gathered[0])
        absorbed += [gathered[1], unsqueezed[1]]
    biases = ["", ""]
    if inputs[3]:
        found = g.unsqueezed(inputs[3], k, 3)
        if not found:
            return None
        concat = g.made_by(found[0], "Concat")
        if concat is None or not g.only_use(found[0], found[1], 0) or \
                g.attrs[concat].get("axis") != 0 or len(g.nodes[concat].input) != 2:
            return None
        absorbed += [found[1], concat]
        for j, part in enumerate(g.nodes[concat].input):
            gathered = g.gathered(part, concat, j, rows)
            if not gathered:
                return None
            biases[j] = gathered[0]
            absorbed.append(gathered[1])
    states = ["", ""]
    for j in range(n_states):
        if inputs[5 + j]:
            found = g.unsqueezed(inputs[5 + j], k, 5 + j)
            if not found:
                return None
            states[j] = found[0]
            absorbed.append(found[1])
    outputs = []
    for j, name in enumerate(node.output):
        if not name or (name not in g.uses and name not in g.pinned):
            outputs.append("")
            continue
        uses = g.uses.get(name, [])
        if name in g.pinned or len(uses) != 1 or uses[0][1] != 0:
            return None
        s = uses[0][0]
        if g.nodes[s].op_type != "Squeeze" or g.axes(s) != ((1,) if j == 0 else (0,)):
            return None
        outputs.append(g.nodes[s].output[0])
        absorbed.append(s)
    fused_inputs = (inputs[0], *weights, *biases, inputs[4], *states)
    return Fused(fused_inputs, tuple(outputs), frozenset(absorbed))


def recurrent_fusions(graph, opset: int) -> dict[int, Fused]:
    """{position of an RNN/GRU/LSTM node in ``graph.node``: its :class:`Fused` form} for every
    recurrent node written in chainrule's export pattern (see the module docstring)."""
    if not any(n.op_type in _ORDER for n in graph.node):
        return {}
    g = _Graph(graph, opset)
    found = {}
    for k, node in enumerate(g.nodes):
        if node.op_type in _ORDER:
            fused = _match(g, k)
            if fused is not None:
                found[k] = fused
    return found
