"""explain(): the MLP, LeNet-5 and an LSTM classifier written as mathematics, with shapes and
parameter counts checked against PyTorch, and every LaTeX string drawn by matplotlib's mathtext."""
from __future__ import annotations

import io
import json

import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.cli import main as cli_main
from chainrule.explain.notation import mathtext
from tests.explain.models import CLASSES, EMBED, HIDDEN, STEPS, VOCAB, lenet, mlp, text_classifier

mt = pytest.importorskip("matplotlib.mathtext")


def draws(latex: str) -> None:
    """Render one equation with matplotlib's mathtext (raises on what it cannot parse)."""
    mt.math_to_image(f"${latex}$", io.BytesIO(), format="png")


def torch_counts(modules) -> list[int]:
    return [sum(p.numel() for p in m.parameters()) for m in modules]


# ---------------------------------------------------------------------- the MLP
def test_mlp_as_equations():
    e = cr.explain(mlp(nn), (784,))
    text = str(e)
    for line in ("x ∈ ℝ^{784}", "h₁ = ReLU(W₁x + b₁)", "W₁ ∈ ℝ^{256×784}", "b₁ ∈ ℝ^{256}",
                 "h₂ = ReLU(W₂h₁ + b₂)", "W₂ ∈ ℝ^{128×256}", "ŷ = softmax(W₃h₂ + b₃)",
                 "W₃ ∈ ℝ^{10×128}", "L = −Σₖ yₖ log ŷₖ",
                 # backpropagation, from the loss back
                 "δ₃ = ∂L/∂z₃ = ŷ − y", "∂L/∂W₃ = δ₃h₂ᵀ", "∂L/∂b₃ = δ₃",
                 "δ₂ = (W₃ᵀδ₃) ⊙ 1[z₂ > 0]", "∂L/∂W₂ = δ₂h₁ᵀ", "δ₁ = (W₂ᵀδ₂) ⊙ 1[z₁ > 0]",
                 "∂L/∂W₁ = δ₁xᵀ"):
        assert line in text, line
    assert [l.output_shape for l in e.layers] == [(256,), (128,), (10,)]
    assert [l.kinds for l in e.layers] == [["Linear", "ReLU"], ["Linear", "ReLU"], ["Linear"]]
    t = mlp(torch.nn)
    assert [l.num_parameters for l in e.layers] == torch_counts([t[0], t[2], t[4]])
    assert e.total_parameters == sum(p.numel() for p in t.parameters()) == 235_146
    assert [l.macs for l in e.layers] == [784 * 256, 256 * 128, 128 * 10]
    assert e.total_macs == 784 * 256 + 256 * 128 + 128 * 10


def test_equations_are_the_formulas_of_the_parts():
    """The δ of a ReLU layer is relu's derivative with x renamed; the loss is the loss's own."""
    e = cr.explain(mlp(nn), (784,))
    relu = cr.formula("relu").derivative.text            # ∂y/∂x = 1[x > 0]   (0 at x = 0)
    assert "1[x > 0]" in relu
    assert any("1[z₂ > 0]" in b.text for b in e.backward)
    linear = nn.Linear(256, 128).formula()
    assert "x Wᵀ + b" in linear.forward.text and "Gᵀ x" in linear.derivative.text
    sigmoid_net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    e2 = cr.explain(sigmoid_net, (2,), loss=nn.MSELoss())
    text = str(e2)
    assert "h₁ = σ(W₁x + b₁)" in text and "ŷ = σ(W₂h₁ + b₂)" in text
    assert "L = (1/N) Σᵢ (ŷᵢ − yᵢ)²" in text                  # MSELoss's formula, x → ŷ
    assert "δ₁ = (W₂ᵀδ₂) ⊙ h₁(1 − h₁)" in text                # σ′ = σ(1 − σ), σ(z₁) = h₁


# ---------------------------------------------------------------------- LeNet-5
def _torch_shapes(model, x) -> list[tuple]:
    shapes = []
    with torch.no_grad():
        for m in model:
            x = m(x)
            shapes.append(tuple(x.shape[1:]))
    return shapes


def test_lenet_shapes_and_counts_equal_pytorchs():
    e = cr.explain(lenet(nn), (1, 28, 28))
    t = lenet(torch.nn)
    shapes = _torch_shapes(t, torch.zeros(1, 1, 28, 28))
    # layers: conv+relu, pool, conv+relu, pool, flatten, linear+relu, linear+relu, linear
    assert [l.output_shape for l in e.layers] == [shapes[i] for i in (1, 2, 4, 5, 6, 8, 10, 11)]
    assert [l.num_parameters for l in e.layers] == torch_counts(
        [t[0], t[2], t[3], t[5], t[6], t[7], t[9], t[11]])
    assert e.total_parameters == sum(p.numel() for p in t.parameters()) == 61_706
    text = str(e)
    for line in ("x ∈ ℝ^{1×28×28}", "h₁ = ReLU(W₁ ⋆ x + b₁)", "W₁ ∈ ℝ^{6×1×5×5}",
                 "h₁ ∈ ℝ^{6×28×28}", "p₁ = MaxPool2d(h₁)", "p₁ ∈ ℝ^{6×14×14}",
                 "W₂ ∈ ℝ^{16×6×5×5}", "h₂ ∈ ℝ^{16×10×10}", "p₂ ∈ ℝ^{16×5×5}", "v₂ ∈ ℝ^{400}",
                 "W₃ ∈ ℝ^{120×400}", "ŷ = softmax(W₅h₄ + b₅)",
                 "∂L/∂p₁ = δ₂ ⋆_full flip(W₂)", "δ₁ = ∂L/∂h₁ ⊙ 1[z₁ > 0]"):
        assert line in text, line
    assert e.layers[0].macs == 6 * 28 * 28 * 25
    assert e.layers[2].macs == 16 * 10 * 10 * 6 * 25


# ---------------------------------------------------------------------- the LSTM classifier
def test_lstm_classifier_shapes_and_counts_equal_pytorchs():
    model = text_classifier(nn, nn.Module)
    e = cr.explain(model, (STEPS,))
    t = text_classifier(torch.nn, torch.nn.Module)
    assert [l.kinds for l in e.layers] == [["Embedding"], ["LSTM"], ["Linear"]]
    assert [l.num_parameters for l in e.layers] == torch_counts([t.embedding, t.lstm, t.fc])
    assert e.total_parameters == sum(p.numel() for p in t.parameters())
    assert [l.output_shape for l in e.layers] == [(STEPS, EMBED), (STEPS, HIDDEN), (CLASSES,)]
    text = str(e)
    for line in (f"x ∈ {{0, …, {VOCAB - 1}}}^{{{STEPS}}}", "h₁ = W₁[x]",
                 f"W₁ ∈ ℝ^{{{VOCAB}×{EMBED}}}", f"W_ih ∈ ℝ^{{{4 * HIDDEN}×{EMBED}}}",
                 f"W_hh ∈ ℝ^{{{4 * HIDDEN}×{HIDDEN}}}", "h₂ = LSTM(h₁)",
                 "ŷ = softmax(W₃h_T + b₃)", "h_T = the last step of h₂",
                 "∂L/∂h_T = W₃ᵀδ₃", "∂L/∂y_T = ∂L/∂h_T"):
        assert line in text, line
    assert e.layers[1].macs == STEPS * 4 * HIDDEN * (EMBED + HIDDEN)
    # the LSTM's own equations are shown as the layer states them
    assert any(d.text == nn.LSTM(EMBED, HIDDEN).formula().forward.text
               for d in e.layers[1].forward)


# ---------------------------------------------------------------------- rendering
def _explanations():
    sigmoid_net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    return {
        "mlp": cr.explain(mlp(nn), (784,)),
        "lenet": cr.explain(lenet(nn), (1, 28, 28)),
        "lstm": cr.explain(text_classifier(nn, nn.Module), (STEPS,)),
        "sigmoid+mse+adam": cr.explain(sigmoid_net, (2,), loss=nn.MSELoss(),
                                       optimizer=cr.optim.Adam(sigmoid_net.parameters())),
    }


@pytest.mark.parametrize("name,e", list(_explanations().items()))
def test_every_latex_string_renders_with_mathtext(name, e):
    strings = e.latex_equations()
    assert len(strings) > 5
    for s in strings:
        draws(s)


def test_renderings_text_latex_markdown_jupyter():
    e = cr.explain(mlp(nn), (784,))
    latex = e.to_latex()
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    assert r"h_{1} &= \operatorname{ReLU}\left(W_{1} x + b_{1}\right)" in latex
    assert r"W_{1} \in \mathbb{R}^{256\times 784}" in latex
    assert e._repr_latex_() == "$$" + latex + "$$"
    md = e.to_markdown()
    assert "| k | modules | output | parameters | multiply-adds |" in md
    assert "| 1 | 0 Linear, 1 ReLU | $h_{1} \\in \\mathbb{R}^{256}$ | 200,960 | 200,704 |" in md
    assert e._repr_markdown_() == md
    f = e.formula()
    assert isinstance(f, cr.Formula) and len(f.equations) == len(e.equations())
    assert "235,146" in str(e)


def test_the_mathtext_renderer_handles_every_primitive_and_layer_formula():
    """Whatever LaTeX a formula carries (cases, aligned, \\tfrac, \\big, \\textstyle), the
    rendering side makes it drawable."""
    layers = [nn.Linear(3, 4), nn.Conv2d(1, 6, 5, padding=2), nn.ConvTranspose2d(2, 3, 3),
              nn.MaxPool2d(2), nn.AvgPool2d(2), nn.Flatten(), nn.Embedding(10, 4), nn.LSTM(4, 8),
              nn.GRU(4, 8), nn.RNN(4, 8), nn.BatchNorm2d(3), nn.LayerNorm(4), nn.Dropout(0.5),
              nn.MSELoss(), nn.HuberLoss(), nn.BCELoss(), nn.BCEWithLogitsLoss(),
              nn.CrossEntropyLoss(), nn.CrossEntropyLoss(label_smoothing=0.1), nn.NLLLoss()]
    formulas = [m.formula() for m in layers] + [cr.formula(n) for n in cr.primitives()]
    parser = mt.MathTextParser("path")      # mathtext's own parser, without drawing a PNG
    for f in formulas:
        for eq in f.equations:
            parser.parse(f"${mathtext(eq.latex)}$")


# ---------------------------------------------------------------------- behaviour
def test_models_whose_forward_calls_submodules_and_cleanup():
    model = text_classifier(nn, nn.Module)
    model.train()
    cr.explain(model, (STEPS,))
    assert model.training and all(m.training for m in model.modules())   # mode restored
    assert all("forward" not in m.__dict__ for m in model.modules())      # wrappers removed


def test_explain_is_the_package_and_the_function():
    assert callable(cr.explain)
    assert cr.explain.gradient_report is not None and cr.explain.Explanation is not None
    from chainrule.explain import explain

    assert isinstance(explain(nn.Sequential(nn.Linear(3, 2)), 3), cr.explain.Explanation)


# ---------------------------------------------------------------------- command line
def test_cli_explain_model_name(capsys):
    assert cli_main.main(["explain", "mlp"]) == 0
    out = capsys.readouterr().out
    assert "x ∈ ℝ^{784}" in out and "W₁ ∈ ℝ^{256×784}" in out and "δ₃ = ∂L/∂z₃ = ŷ − y" in out


def test_cli_explain_lenet_markdown(capsys):
    assert cli_main.main(["explain", "lenet", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert r"W_{1} \in \mathbb{R}^{6\times 1\times 5\times 5}" in out


def test_cli_explain_run_folder(tmp_path, capsys):
    """A run folder: config.json names the model (and may give its arguments and input)."""
    (tmp_path / "config.json").write_text(json.dumps(
        {"model": "mlp", "model_kwargs": {"hidden_sizes": [32]}, "input_shape": [784],
         "epochs": 3}), encoding="utf-8")
    assert cli_main.main(["explain", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "W₁ ∈ ℝ^{32×784}" in out and "W₂ ∈ ℝ^{10×32}" in out


def test_cli_explain_errors_in_words(tmp_path, capsys):
    assert cli_main.main(["explain", "no-such-model"]) == 2
    assert "no-such-model" in capsys.readouterr().err
    assert cli_main.main(["explain", str(tmp_path)]) == 2        # a folder without config.json
    assert "config.json" in capsys.readouterr().err
