"""Device backends (chainrule/device.py): moving tensors and models to a device and back.

No GPU is needed: array_api_strict (a library that implements only the array API standard)
stands in for CuPy as the "cuda" backend, through the same DeviceBackend interface that
CuPyBackend implements. Everything a program does with devices — ``x.to("cuda")``,
``model.to("cuda")``, ``zeros(..., device="cuda")``, ``.cpu()``, ``chainrule.cuda`` queries — is
checked against the CPU run of the same program.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# the module (chainrule.device is the class)
D = __import__("chainrule.device", fromlist=["DeviceBackend"])
xs = pytest.importorskip("array_api_strict")
StrictArray = type(xs.asarray(0.0))


class StrictAsGPU(D.DeviceBackend):
    """array_api_strict arrays standing in for a GPU's: one device, index 0."""

    type = "cuda"

    def available(self):
        return True

    def count(self):
        return 1

    def owns(self, array):
        return isinstance(array, StrictArray)

    def to_device(self, array, index):
        return xs.asarray(array)

    def to_host(self, array):
        return np.from_dlpack(array)


@pytest.fixture
def gpu():
    previous = D.register_backend("cuda", StrictAsGPU())
    yield
    D.register_backend("cuda", previous)


def test_without_a_backend_cuda_is_unavailable_and_moving_raises():
    assert not cr.cuda.is_available() and cr.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        cr.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        cr.zeros(2, device="cuda")


def test_cuda_queries_answer_from_the_backend(gpu):
    assert cr.cuda.is_available() and cr.cuda.device_count() == 1
    cr.cuda.synchronize()
    with pytest.raises(RuntimeError, match="has 1 CUDA device"):
        cr.ones(2).to("cuda:1")


def test_a_tensor_moves_to_the_device_and_back(gpu):
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    y = x.to("cuda")
    assert isinstance(y._data, StrictArray)
    assert y.device == cr.device("cuda", 0) and y.is_cuda and not y.is_cpu
    assert y.to("cuda") is y and y.cuda() is y          # already there: itself, as PyTorch
    back = y.cpu()
    assert type(back._data) is np.ndarray and back.device == cr.device("cpu") and back.is_cpu
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert x.cpu() is x and not x.is_cuda
    z = cr.zeros(2, 3, device="cuda")
    assert z.is_cuda and z.shape == (2, 3)
    w = x.to(y)                                  # to(other): other's device (and dtype)
    assert w.is_cuda


def test_moving_a_tensor_that_requires_grad_inside_a_graph_raises(gpu):
    w = cr.ones(3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="model.to"):
        w.to("cuda")
    assert w.detach().to("cuda").is_cuda
    with cr.no_grad():
        assert w.to("cuda").is_cuda


def _mlp():
    cr.manual_seed(0)
    nn = cr.nn
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).to(cr.float64)


def test_a_model_trains_on_the_device_as_on_the_cpu(gpu):
    """model.to('cuda') moves the parameters in place (the optimizer keeps them); the same steps
    on the device and on the CPU give the same weights."""
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((5, 6)), rng.integers(0, 3, 5)) for _ in range(5)]
    cpu_model, gpu_model = _mlp(), _mlp()
    params = list(gpu_model.parameters())
    gpu_opt = cr.optim.SGD(gpu_model.parameters(), lr=0.1, momentum=0.9)
    assert gpu_model.to("cuda") is gpu_model
    assert list(gpu_model.parameters()) == params          # the same Parameter objects
    assert all(p.is_cuda for p in gpu_model.parameters())
    cpu_opt = cr.optim.SGD(cpu_model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = cr.nn.CrossEntropyLoss()
    for x, y in data:
        for model, opt, where in ((cpu_model, cpu_opt, "cpu"), (gpu_model, gpu_opt, "cuda")):
            opt.zero_grad()
            loss = loss_fn(model(cr.tensor(x).to(where)), cr.tensor(y).to(where))
            loss.backward()
            opt.step()
            assert loss.device.type == where
    assert all(p.grad.is_cuda for p in gpu_model.parameters())
    gpu_model.cpu()
    for p, q in zip(cpu_model.parameters(), gpu_model.parameters()):
        assert q.is_cpu
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=0, atol=1e-12)


def test_register_backend_refuses_the_cpu():
    with pytest.raises(ValueError, match="cannot|not a device type"):
        D.register_backend("cpu", StrictAsGPU())


def test_values_of_a_device_tensor_are_read_through_a_host_copy(gpu):
    y = cr.tensor([[1.5, 2.0]]).to("cuda")
    assert y.sum().item() == 3.5 and y.tolist() == [[1.5, 2.0]]
    assert "device='cuda:0'" in repr(y)
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        y.numpy()
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        np.asarray(y)
    np.testing.assert_array_equal(y.cpu().numpy(), [[1.5, 2.0]])


def test_checkpoints_of_a_device_model_load_onto_either_device(gpu, tmp_path):
    """torch.save/torch.load's rules: a tensor saved on 'cuda' loads there unless map_location
    says otherwise; load_state_dict copies across devices into the parameters' own."""
    model = _mlp().to("cuda")
    path = tmp_path / "model.pt"
    cr.save(model.state_dict(), path)
    on_gpu = cr.load(path)
    assert all(t.is_cuda for t in on_gpu.values())
    on_cpu = cr.load(path, map_location="cpu")
    assert all(t.is_cpu for t in on_cpu.values())
    cpu_model = _mlp()
    for p in cpu_model.parameters():
        p.data = p.data * 0
    cpu_model.load_state_dict(on_gpu)                  # from the device into CPU parameters
    assert all(p.is_cpu for p in cpu_model.parameters())
    for p, t in zip(cpu_model.parameters(), on_cpu.values()):
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    D.register_backend("cuda", None)
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        cr.load(path)


class _Recording:
    """A namespace that delegates to array_api_strict and records which functions ran."""

    def __init__(self):
        self.called = set()

    def __getattr__(self, name):
        value = getattr(xs, name)
        if callable(value) and not isinstance(value, type):
            def call(*args, **kwargs):
                self.called.add(name)
                return value(*args, **kwargs)
            return call
        return value


def test_the_backend_supplies_the_namespace_its_arrays_compute_with():
    """CuPy's backend hands chainrule array-api-compat's wrapper (CuPy's own asarray takes no
    device=): whatever a backend's namespace() returns is what the primitives use."""
    recording = _Recording()

    class Wrapped(StrictAsGPU):
        def namespace(self, array):
            return recording

    previous = D.register_backend("cuda", Wrapped())
    try:
        model = _mlp().to("cuda")
        x = cr.tensor(np.random.default_rng(0).standard_normal((5, 6))).to("cuda")
        loss = cr.nn.CrossEntropyLoss()(model(x), cr.tensor([0, 1, 2, 0, 1]).to("cuda"))
        loss.backward()
        assert {"matmul", "exp", "maximum"} & recording.called
        assert all(p.grad.is_cuda for p in model.parameters())
    finally:
        D.register_backend("cuda", previous)
    assert cr.backend.namespace(xs.asarray(1.0)) is xs        # the array's own again


def test_cupys_backend_prefers_array_api_compat(monkeypatch):
    import sys
    import types

    fake_compat = types.ModuleType("array_api_compat.cupy")
    package = types.ModuleType("array_api_compat")
    package.cupy = fake_compat
    monkeypatch.setitem(sys.modules, "array_api_compat", package)
    monkeypatch.setitem(sys.modules, "array_api_compat.cupy", fake_compat)
    assert D.CuPyBackend().namespace(None) is fake_compat
    monkeypatch.setitem(sys.modules, "array_api_compat.cupy", None)       # not installed
    backend = D.CuPyBackend()
    backend._cupy = "the cupy module"
    assert backend.namespace(None) == "the cupy module"
