"""graph(): LeNet-5's loss as Graphviz DOT, drawn to SVG and PNG, and with layers collapsed."""
from __future__ import annotations

import re
import shutil

import pytest

import chainrule as cr
from chainrule import nn
from chainrule.explain import record_modules
from tests.explain.models import lenet

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` program is not installed (Debian: apt-get install graphviz)")


def lenet_loss(record: bool = False):
    cr.manual_seed(0)
    model = lenet(nn)
    x, y = cr.randn(2, 1, 28, 28), cr.tensor([3, 7])
    loss_fn = nn.CrossEntropyLoss()
    if record:
        with record_modules(model):
            loss = loss_fn(model(x), y)
    else:
        loss = loss_fn(model(x), y)
    return model, x, y, loss


def labels(dot: str) -> list[str]:
    return re.findall(r"label=<(.*?)>, ", dot)


def test_lenet_loss_graph_has_operations_shapes_and_named_parameters():
    model, x, y, loss = lenet_loss()
    g = cr.graph(loss, model=model, names={x: "x"})
    dot = g.source
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    ops = [re.match(r"<B>(.*?)</B>", lab).group(1) for lab in labels(dot)]
    assert ops.count("conv") == 2 and ops.count("relu") == 4 and ops.count("max_pool") == 2
    assert ops.count("linear") == 3 and "softmax_cross_entropy" in ops and "reshape" in ops
    for name, p in model.named_parameters():                    # every parameter, named
        assert f"<B>{name}</B><BR/>({', '.join(map(str, p.shape))})" in dot, name
    assert "<B>x</B><BR/>(2, 1, 28, 28)" in dot
    assert "<B>conv</B><BR/>(2, 6, 28, 28)" in dot and "<B>linear</B><BR/>(2, 10)" in dot
    assert g.nodes == 25 and g.edges == 24           # 13 operations, 10 params, x, the target
    assert "<B>target</B><BR/>(2)" in dot             # the class indices cross-entropy holds
    assert 'fillcolor="#fde9b8"' in dot                          # parameters are marked


def test_values_and_gradients_are_optional():
    model, x, y, loss = lenet_loss()
    plain = cr.graph(loss, model=model).source
    assert "grad" not in plain and "value" not in plain
    rich = cr.graph(loss, model=model, show_values=True, show_grads=True).source
    assert "value ‖·‖=" in rich and "grad ‖·‖=" in rich and "grad [1.]" in rich
    loss.backward(retain_graph=True)      # after backward, the leaves' .grad are the same
    after = cr.graph(loss, model=model, show_grads=True).source
    assert after == cr.graph(loss, model=model, show_grads=True).source
    assert after.count("grad ") == rich.count("grad ") == 23   # 13 operations, 10 params
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        cr.graph(loss, model=model)


def test_layers_collapse_into_one_node_each():
    model, x, y, loss = lenet_loss(record=True)
    g = cr.graph(loss, model=model, collapse_layers=True, names={x: "x"})
    names = [re.match(r"<B>(.*?)</B>", lab).group(1) for lab in labels(g.source)]
    assert names == ["x", "0: Conv2d", "1: ReLU", "2: MaxPool2d", "3: Conv2d", "4: ReLU",
                     "5: MaxPool2d", "6: Flatten", "7: Linear", "8: ReLU", "9: Linear",
                     "10: ReLU", "11: Linear", "softmax_cross_entropy", "target"]
    assert "weight (6, 1, 5, 5), bias (6)" in g.source
    # without a record, the operations that use a layer's parameters are grouped under it
    model2, _, _, loss2 = lenet_loss(record=False)
    g2 = cr.graph(loss2, model=model2, collapse_layers=True)
    assert "0: Conv2d" in g2.source and "<B>relu</B>" in g2.source


@needs_dot
def test_lenet_loss_graph_renders_to_svg_and_png(tmp_path):
    model, x, y, loss = lenet_loss()
    g = cr.graph(loss, model=model, names={x: "x"})
    svg = g.save_svg(tmp_path / "lenet.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "softmax_cross_entropy" in svg and "0.weight" in svg
    png = g.save_png(tmp_path / "lenet.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert g.save(tmp_path / "lenet.dot").read_text(encoding="utf-8") == g.source
    assert g._repr_svg_().lstrip().startswith("<?xml")


def test_graph_of_a_non_tensor_is_refused():
    with pytest.raises(TypeError, match="expected a Tensor"):
        cr.graph([1, 2])
