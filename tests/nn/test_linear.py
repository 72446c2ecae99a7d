"""Linear, Identity, Flatten, Unflatten, activations as modules, containers, Module itself."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck


@given(batch=st.integers(1, 5), fin=st.integers(1, 9), fout=st.integers(1, 9),
       bias=st.booleans(), lead=st.sampled_from([(), (2,), (2, 3)]))
def test_linear_matches_torch(batch, fin, fout, bias, lead):
    x = np.random.default_rng(1).standard_normal(lead + (batch, fin))
    check_against_torch(nn.Linear(fin, fout, bias=bias), torch.nn.Linear(fin, fout, bias=bias), x)


def test_linear_float32_matches_torch():
    x = np.random.default_rng(2).standard_normal((16, 30)).astype(np.float32)
    check_against_torch(nn.Linear(30, 7), torch.nn.Linear(30, 7), x, dtype=np.float32)


def test_linear_gradcheck():
    x = np.random.default_rng(3).standard_normal((3, 4))
    assert check_gradcheck(nn.Linear(4, 2), x)


def test_linear_basics():
    check_basics(lambda: nn.Linear(4, 3), np.ones((2, 4)),
                 torch_factory=lambda: torch.nn.Linear(4, 3))


def test_linear_default_init_range():
    cr.manual_seed(0)
    layer = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert layer.weight.dtype == np.float32


def test_linear_wrong_input_shape_message():
    with pytest.raises(ValueError, match=r"in_features=4.*got \(2, 5\)"):
        nn.Linear(4, 3)(cr.ones(2, 5))


def test_linear_formula_has_shapes():
    text = str(nn.Linear(784, 256).formula())
    assert "W ∈ ℝ^{256×784}" in text and "b ∈ ℝ^{256}" in text


ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.ELU(0.7), lambda: torch.nn.ELU(0.7)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Softplus(2.0, 5.0), lambda: torch.nn.Softplus(2.0, 5.0)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize("make, make_torch", ACTIVATIONS)
def test_activation_modules_match_torch(make, make_torch):
    x = np.random.default_rng(4).standard_normal((4, 6)) * 3
    x[np.abs(x) < 1e-3] = 0.5
    check_against_torch(make(), make_torch(), x)
    assert check_gradcheck(make(), x)
    assert str(make().formula())


def test_flatten_unflatten_identity():
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5))
    check_against_torch(nn.Flatten(), torch.nn.Flatten(), x)
    check_against_torch(nn.Flatten(0, 2), torch.nn.Flatten(0, 2), x)
    check_against_torch(nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1)), x)
    check_against_torch(nn.Identity(), torch.nn.Identity(), x)


def _mlp():
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


def _torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))


def test_sequential_matches_torch_and_keys():
    model, tmodel = _mlp(), _torch_mlp()
    assert list(model.state_dict()) == list(tmodel.state_dict())
    x = np.random.default_rng(6).standard_normal((4, 6))
    check_against_torch(model, tmodel, x)
    assert check_gradcheck(_mlp(), x)


def test_module_registration_and_traversal():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            self.heads = nn.ModuleList([nn.Linear(3, 1), nn.Linear(3, 2)])
            self.table = nn.ModuleDict({"a": nn.Linear(1, 1)})
            self.scale = nn.Parameter(cr.ones(1))
            self.register_buffer("count", cr.zeros(1))
            self.register_buffer("scratch", cr.zeros(1), persistent=False)
            self.note = "not registered"

        def forward(self, x):
            h = self.body(x)
            return self.heads[0](h) * self.scale

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias", "table.a.weight", "table.a.bias"]
    assert "count" in net.state_dict() and "scratch" not in net.state_dict()
    assert len(list(net.children())) == 3
    assert len(list(net.modules())) == 9
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    out = net(cr.ones(4, 2))
    out.sum().backward()
    assert net.scale.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(TypeError, match="nn.Parameter"):
        net.scale = cr.ones(1)
    assert "Linear(in_features=2, out_features=3, bias=True)" in repr(net)


def test_load_state_dict_errors_name_the_keys_and_shapes():
    model = _mlp()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    bad = dict(state)
    bad["0.weight"] = np.zeros((2, 2))
    with pytest.raises(RuntimeError, match=r"'0.weight'.*\(2, 2\).*\(5, 6\)"):
        model.load_state_dict(bad)
    missing = dict(state)
    del missing["2.bias"]
    with pytest.raises(RuntimeError, match="missing keys.*2.bias"):
        model.load_state_dict(missing)
    result = model.load_state_dict(missing, strict=False)
    assert result.missing_keys == ["2.bias"]


def test_init_functions_statistics():
    cr.manual_seed(0)
    w = cr.empty(400, 300)
    nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    assert abs(w.numpy().std() - np.sqrt(2 / 300)) < 0.01 * np.sqrt(2 / 300) * 5
    nn.init.xavier_uniform_(w)
    assert abs(w.numpy().var() - 2 / 700) / (2 / 700) < 0.05
    nn.init.orthogonal_(w)
    gram = w.numpy().T.astype(np.float64) @ w.numpy()
    np.testing.assert_allclose(gram, np.eye(300), atol=1e-5)
    nn.init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2))
