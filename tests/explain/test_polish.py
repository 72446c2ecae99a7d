"""What a student reads, polished (issue 15, item 4): each test here failed on the behaviour
before the polish.

- ``explain`` of a ResNet defines each residual sum where it happens, and backpropagation runs
  through the sums back to the first layer;
- index expressions are simplified (``2·h − 0 + i`` → ``2h + i``, ``1·h + 1·i`` → ``h + i``);
- every symbol used is defined (the padded input x̃ included);
- dropout with p = 0 and identity layers are left out;
- ``explain`` and ``trace`` state how their weight gradients relate (δ hᵀ for one sample as a
  column, Gᵀ x for a batch in rows);
- ``trace`` names a Sequential's parameters W⁽⁰⁾, b⁽⁰⁾ with the module path beside them;
- ``graph`` and ``trace`` label the data input and the target differently;
- ``x ** y`` at x = 0 and its backward emit no RuntimeWarning and give PyTorch's values.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.models import get_model

# a symbol of the network: a letter (with a tilde or hat) and a subscript index, or x, x̃, ŷ
_SYMBOL = re.compile(r"(?<![A-Za-zα-ω∂])(?:[A-Za-zα-ω][\u0303\u0302]?[₀-₉]+(?![₀-₉])′*"
                     r"|(?:x̃|x|ŷ)(?![A-Za-z]))")


def _undefined_or_twice(explanation) -> tuple[list[str], list[str]]:
    """(the symbols the forward pass uses that no equation defines, those that two layers
    define).

    A definition is an equation ``S = …`` (a layer's line or a ``where`` line, which may follow
    the line that uses S, as in writing by hand; a layer may restate its own output) or
    ``S ∈ ℝ^…`` (the input, a parameter)."""
    groups = [[explanation.input]] + [layer.forward + layer.parameters
                                      for layer in explanation.layers]
    defined: list[str] = []
    used: list[str] = []
    for eqs in groups:
        here: set[str] = set()
        for eq in eqs:
            text = eq.text
            for sep in (" = ", " ∈ "):
                if sep in text:
                    left, right = text.split(sep, 1)
                    break
            else:
                left, right = "", text
            head = _SYMBOL.fullmatch(left.strip())
            if head:
                here.add(head.group(0))
            used += _SYMBOL.findall(right)
        defined += sorted(here)
    missing = sorted({s for s in used if s not in defined})
    twice = sorted({s for s in defined if defined.count(s) > 1})
    return missing, twice


@pytest.fixture(scope="module")
def resnet():
    return cr.explain(get_model("resnet18"), (3, 32, 32))


# ------------------------------------------------------------------ residual sums
def test_resnet_defines_each_residual_sum_where_it_happens(resnet):
    text = str(resnet)
    relu_of_sum = re.findall(r"(a\S+) = ReLU\((u\S+)\)", text)
    assert len(relu_of_sum) == 8, text            # eight basic blocks
    for _, u in relu_of_sum:
        # defined in the block's own lines: "where u₆ = h₆ + p₂", a BatchNorm output plus the
        # block's input (or its downsampled form)
        assert re.search(rf"where {re.escape(u)} = h\S+ \+ [ahp]\S+", text), (u, text)
    assert not any("computed inside" in n for n in resnet.notes), resnet.notes


def test_resnet_backpropagation_runs_through_the_sums_to_the_first_layer(resnet):
    text = "\n".join(e.text for e in resnet.backward)
    assert "∂L/∂W₁[" in text                      # the first convolution's weight gradient
    for k in range(1, 42):                         # every layer with parameters gets its δ
        assert f"δ{cr.explain.notation.subscript(k)} = " in text, k
    # the gradient reaching a sum goes on to both of its terms
    assert re.search(r"δ\S+ = ∂L/∂u\S+", text), text


class _Chain(nn.Module):
    """Residual blocks in a row with no activation after the sums (as EfficientNet's): a sum
    of a layer's output and the previous sum; then a flatten computed in forward."""

    def __init__(self):
        super().__init__()
        self.stem, self.a, self.b = nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 4)
        self.drop, self.head = nn.Dropout(0.5), nn.Linear(4, 2)

    def forward(self, x):
        h = self.stem(x)
        u = self.a(h) + h
        v = self.b(u) + u
        return self.head(self.drop(v.reshape(v.shape[0], -1)))


def test_sums_of_sums_are_defined_and_backpropagated():
    e = cr.explain(_Chain(), (3,))
    text = str(e)
    first = re.search(r"where (u\S*) = h₂ \+ h₁", text)
    assert first, text
    second = re.search(rf"where (u\S*) = h₃ \+ {first.group(1)}\n", text)
    assert second, text
    assert re.search(rf"where u\S* = vec\({second.group(1)}\)", text), text
    assert not any("computed inside" in n for n in e.notes), e.notes
    back = "\n".join(eq.text for eq in e.backward)
    # the first sum has two readers: the second sum and the layer b
    assert f"∂L/∂{first.group(1)} = ∂L/∂{second.group(1)} + W₃ᵀδ₃" in back, back
    assert "∂L/∂W₁ = δ₁xᵀ" in back, back
    assert _undefined_or_twice(e) == ([], []), text


def test_every_symbol_used_in_the_forward_pass_is_defined(resnet):
    from tests.explain.models import lenet

    for e in (resnet, cr.explain(lenet(nn), (1, 28, 28))):
        assert _undefined_or_twice(e) == ([], []), str(e)


# ------------------------------------------------------------------ indices and padding
def test_indices_are_simplified():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, stride=2), nn.Flatten(), nn.Linear(4, 10))
    e = cr.explain(model, (1, 8, 8))
    text = "\n".join(eq.text for eq in e.equations())
    latex = "\n".join(eq.latex for eq in e.equations())
    for clumsy in ("1·h", "1·i", "1·w", "1·j", "− 0 ", "2·h", "2·w"):
        assert clumsy not in text, (clumsy, text)
    for clumsy in ("1 h", "1 i", "1 w", "1 j", "- 0 "):
        assert clumsy not in latex, (clumsy, latex)
    assert "h + i, w + j]" in text                 # stride 1, dilation 1
    assert "2h + i, 2w + j]" in text               # stride 2 (pool without padding, the conv)


def test_the_padded_input_is_defined_or_not_used():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3), nn.Flatten(), nn.Linear(16, 3))
    e = cr.explain(model, (1, 8, 8))
    text = str(e)
    # padding 1: x̃ is used and defined; no padding: the input itself, no tilde
    assert re.search(r"x̃ = x padded with 1 zero", text), text
    assert "p̃" not in text and "h̃" not in text, text
    every = "\n".join(eq.text for eq in e.equations())
    assert "x̃[" in every
    # and the index letters are said apart from the symbols they resemble (h, w vs hₖ, Wₖ)
    assert any("h and w the row and column" in n for n in e.notes), e.notes


# ------------------------------------------------------------------ layers that do nothing
def test_dropout_with_p_0_and_identity_layers_are_omitted():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.0), nn.Identity(),
                          nn.Linear(8, 3), nn.Identity())
    e = cr.explain(model, (4,))
    text = str(e)
    assert "Dropout" not in text.split("note:")[0] and "Identity" not in text.split("note:")[0]
    assert "ŷ = softmax(W₂h₁ + b₂)" in text, text
    assert "∂L/∂W₁ = δ₁xᵀ" in text                 # backpropagation reaches the first layer
    assert [layer.index for layer in e.layers] == [1, 2]
    assert e.total_parameters == sum(p.numel() for p in model.parameters())
    kept = cr.explain(nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3)), (4,))
    assert "Dropout" in str(kept)                  # p > 0 is a layer of its own


# ------------------------------------------------------------------ explain and trace agree
def _two_layer(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1))


def test_explain_and_trace_state_how_their_weight_gradients_relate():
    net = _two_layer()
    e = cr.explain(net, (3,))
    assert "∂L/∂W₁ = δ₁xᵀ" in str(e)
    assert any("Gᵀx" in n.replace(" ", "") and "δ" in n for n in e.notes), e.notes
    x, y = cr.randn(4, 3), cr.randn(4, 1)
    tr = cr.explain.trace(nn.MSELoss()(net(x), y), net)
    text = str(tr)
    assert "Gᵀ x" in text and "Σₙ δₙ xₙᵀ" in text, text
    # and the relation holds: Gᵀ x is the sum over samples of δₙ xₙᵀ
    step = next(s for s in tr.steps if s.op == "linear" and "2.weight" in s.inputs)
    G = np.asarray(step.incoming)
    h = np.asarray(next(s for s in tr.steps if s.op == "sigmoid").value)
    np.testing.assert_allclose(tr.gradients["2.weight"],
                               sum(np.outer(G[n], h[n]) for n in range(4)), rtol=1e-6)


# ------------------------------------------------------------------ parameter names
def test_trace_names_sequential_parameters_as_symbols_with_their_path():
    net = _two_layer()
    x, y = cr.randn(1, 3), cr.randn(1, 1)
    tr = cr.explain.trace(nn.MSELoss()(net(x), y), net)
    text = str(tr)
    assert "∂L/∂0.weight" not in text and "∂L/∂2.bias" not in text, text
    assert re.search(r"∂L/∂W⁽⁰⁾ \(0\.weight\) = ", text), text
    assert re.search(r"∂L/∂b⁽²⁾ \(2\.bias\) = ", text), text
    assert "linear(input, W⁽⁰⁾, b⁽⁰⁾)" in text, text
    assert list(tr.gradients) == ["0.weight", "0.bias", "2.weight", "2.bias"]   # keys kept
    summary = str(cr.explain.trace(nn.MSELoss()(net(x), y), net, mode="summary"))
    assert "∂L/∂W⁽⁰⁾ (0.weight): shape 2×3" in summary, summary


# ------------------------------------------------------------------ input and target
def test_graph_and_trace_label_the_input_and_the_target_differently():
    net = _two_layer()
    x, y = cr.randn(2, 3), cr.randn(2, 1)
    loss = nn.MSELoss()(net(x), y)
    dot = cr.graph(loss, model=net).source
    assert "<B>input</B>" in dot and "<B>target</B>" in dot, dot
    styles = {kind: re.search(rf'<B>{kind}</B>[^\]]*fillcolor="(#\w+)"', dot).group(1)
              for kind in ("input", "target")}
    assert len(set(styles.values())) == 2, styles          # drawn differently too
    text = str(cr.explain.trace(loss, net))
    assert "subtract(t3, target)" in text and "linear(input, W⁽⁰⁾, b⁽⁰⁾)" in text, text
    # names given by the caller still win
    dot = cr.graph(loss, model=net, names={x: "images", y: "labels"}).source
    assert "<B>images</B>" in dot and "<B>labels</B>" in dot
    ce = nn.CrossEntropyLoss()(nn.Linear(3, 4)(x), cr.tensor([1, 3]))
    assert "<B>target</B>" in cr.graph(ce).source and "<B>input</B>" in cr.graph(ce).source


# ------------------------------------------------------------------ x ** y at x = 0
_EXPONENTS = [0, 0.0, 0.5, 1, 1.5, 2, 3, -1, -0.5]


@pytest.mark.parametrize("y", _EXPONENTS)
def test_power_at_zero_is_silent_and_matches_pytorch_scalar_exponent(y):
    torch = pytest.importorskip("torch")
    data = [0.0, 2.0, 0.0, -3.0]
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    tz = t ** y
    tz.sum().backward()
    x = cr.tensor(data, dtype=cr.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = x ** y
        z.sum().backward()
    np.testing.assert_allclose(z.numpy(), tz.detach().numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, equal_nan=True)


def test_power_at_zero_is_silent_and_matches_pytorch_tensor_exponent():
    torch = pytest.importorskip("torch")
    base = [0.0] * len(_EXPONENTS) + [2.0, -2.0, -2.0, 0.0]
    expo = [float(v) for v in _EXPONENTS] + [0.0, 0.5, 2.0, 0.0]
    tx = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(expo, dtype=torch.float64, requires_grad=True)
    (tx ** ty).sum().backward()
    x = cr.tensor(base, dtype=cr.float64, requires_grad=True)
    y = cr.tensor(expo, dtype=cr.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = x ** y
        z.sum().backward()
        zero = cr.zeros(3, dtype=cr.float64, requires_grad=True)
        (0.0 ** zero).sum().backward()                 # 0⁰ = 1 with the base a number
    np.testing.assert_allclose(z.numpy(), (tx ** ty).detach().numpy(), equal_nan=True)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), equal_nan=True)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), equal_nan=True)
    assert zero.grad.tolist() == [0.0, 0.0, 0.0]
