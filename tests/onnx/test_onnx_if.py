"""If: both branches imported (their weights parameters of the module), the branch chosen at run
time from the condition, outer values read from inside a branch; a scripted PyTorch model with
an `if` on an input flag, exported at opsets 13 and 17, equals onnxruntime for both flags, the
gradient reaches the weights of the branch taken, and fine-tuning lowers the loss."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from onnx_helpers import FLOAT, TensorProto, assert_matches_ort, graph_model, helper, torch

import chainrule as cr
import chainrule.onnx as cro

RNG = np.random.default_rng(5)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


class Gated(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.shallow = torch.nn.Linear(4, 3)
        self.deep = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(),
                                        torch.nn.Linear(6, 3))

    def forward(self, x, flag):
        if bool(flag):
            return self.shallow(x)
        return self.deep(x) * 2.0


def export_gated(opset: int) -> tuple[bytes, torch.nn.Module]:
    torch.manual_seed(0)
    module = Gated().eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch.jit.script is deprecated in 2.13
        scripted = torch.jit.script(module)
        torch.onnx.export(scripted, (torch.randn(5, 4), torch.tensor(True)), buffer,
                          opset_version=opset, dynamo=False, input_names=["x", "flag"],
                          output_names=["y"], dynamic_axes={"x": {0: "batch"}})
    return buffer.getvalue(), module


@pytest.mark.parametrize("opset", [13, 17])
def test_scripted_if_on_an_input_flag(opset):
    data, module = export_gated(opset)
    model = cro.load(data)
    names = {k for k, _ in model.named_parameters()}
    assert len(names) == 6, names                       # both branches' weights are parameters
    x = randn(5, 4)
    for flag in (True, False):
        feeds = {"x": x, "flag": np.array(flag)}
        ours = assert_matches_ort(data, feeds)[0]
        with torch.no_grad():
            theirs = module(torch.from_numpy(x), torch.tensor(flag))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
        model.zero_grad()
        model(x, np.array(flag)).sum().backward()
        with_grad = {k for k, p in model.named_parameters() if p.grad is not None}
        assert with_grad and with_grad != names            # only the branch taken
        assert all(("shallow" in k) == flag for k in with_grad), with_grad


def test_fine_tuning_through_the_branch_taken():
    data, _ = export_gated(17)
    model = cro.load(data)
    x, target = randn(16, 4), cr.as_tensor(randn(16, 3))
    opt = cr.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((model(x, np.array(False)) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.5 * losses[0]


def _branch(name, nodes, outputs, inits=()):
    from onnx import numpy_helper

    return helper.make_graph(nodes, name, [],
                             [helper.make_tensor_value_info(o, FLOAT, None) for o in outputs],
                             [numpy_helper.from_array(v, k) for k, v in inits])


def test_nested_if_with_outer_values_and_branch_weights():
    """then: y = x·w_then (w_then a weight of the branch); else: another If on c2 choosing
    x + b (b from the outer graph) or −x."""
    inner = helper.make_node("If", ["c2"], ["z"],
                             then_branch=_branch("t2", [helper.make_node("Add", ["x", "b"],
                                                                         ["z1"])], ["z1"]),
                             else_branch=_branch("e2", [helper.make_node("Neg", ["x"], ["z2"])],
                                                 ["z2"]))
    outer = helper.make_node(
        "If", ["c1"], ["y"],
        then_branch=_branch("t1", [helper.make_node("Mul", ["x", "w_then"], ["y1"])], ["y1"],
                            [("w_then", randn(3))]),
        else_branch=_branch("e1", [inner], ["z"]))
    model = graph_model([outer], [("x", [2, 3]), ("c1", [], TensorProto.BOOL),
                                  ("c2", [], TensorProto.BOOL)], [("y", [2, 3])],
                        [("b", randn(3))], opset=17)
    x = randn(2, 3)
    for c1 in (True, False):
        for c2 in (True, False):
            assert_matches_ort(model, {"x": x, "c1": np.array(c1), "c2": np.array(c2)})
    imported = cro.load(model)
    assert sorted(k for k, _ in imported.named_parameters()) == ["b", "w_then"]
    imported(x, np.array(False), np.array(True)).sum().backward()
    np.testing.assert_array_equal(imported.b.grad.numpy(), [2, 2, 2])
    assert imported.w_then.grad is None


def test_branches_with_different_output_counts_are_refused():
    node = helper.make_node("If", ["c"], ["y"], name="gate",
                            then_branch=_branch("t", [helper.make_node("Neg", ["x"], ["a"]),
                                                      helper.make_node("Abs", ["x"], ["b"])],
                                                ["a", "b"]),
                            else_branch=_branch("e", [helper.make_node("Neg", ["x"], ["a2"])],
                                                ["a2"]))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", FLOAT, [2]),
                                            helper.make_tensor_value_info("c", TensorProto.BOOL,
                                                                          [])],
                              [helper.make_tensor_value_info("y", FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with pytest.raises(cro.UnsupportedOperatorError, match="gate.*branches have 2 and 1 outputs"):
        cro.load(model.SerializeToString())
