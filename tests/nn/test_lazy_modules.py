"""The lazy modules (nn.LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d,
LazyBatchNorm1d/2d/3d, LazyInstanceNorm1d/2d/3d), UninitializedParameter/UninitializedBuffer,
each behaviour compared with PyTorch: state_dict before the first call, the size read from the
first input, the class after it, the initialisation (the non-lazy layer's draws), load_state_dict
into a lazy module, and the errors."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

# (name, constructor arguments, keyword arguments, input shape, the non-lazy layer's arguments)
CASES = [
    ("LazyLinear", (3,), {}, (2, 5), (5, 3)),
    ("LazyLinear", (3,), {"bias": False}, (2, 4, 5), (5, 3)),
    ("LazyConv1d", (4, 3), {"stride": 2}, (2, 3, 9), (3, 4, 3)),
    ("LazyConv1d", (4, 2), {"padding": "same", "bias": False}, (3, 7), (3, 4, 2)),
    ("LazyConv2d", (4, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 3, 5, 5), (3, 4, 3)),
    ("LazyConv2d", (4, 2), {"groups": 2, "dilation": 2}, (1, 6, 5, 6), (6, 4, 2)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 3, 4, 3), (3, 2, 2)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5),
     (3, 4, 3)),
    ("LazyConvTranspose2d", (6, 3), {"groups": 2, "padding": 1}, (1, 4, 3, 3), (4, 6, 3)),
    ("LazyConvTranspose3d", (2, 2), {"bias": False}, (2, 3, 2, 3, 2), (3, 2, 2)),
    ("LazyBatchNorm1d", (), {}, (4, 3), (3,)),
    ("LazyBatchNorm1d", (), {"affine": False, "momentum": None}, (4, 3, 5), (3,)),
    ("LazyBatchNorm2d", (), {"bias": False}, (2, 3, 4, 4), (3,)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 2, 3), (3,)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6), (3,)),
    ("LazyInstanceNorm2d", (), {"affine": False}, (2, 3, 4, 4), (3,)),
    ("LazyInstanceNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 3, 3), (3,)),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _both(name, args, kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _state_types(m):
    return [(k, type(v).__name__) for k, v in m.state_dict().items()]


def _same_type_name(c, t):
    """chainrule's UninitializedBuffer becomes an nn.Buffer where PyTorch's becomes a plain
    Tensor marked as a buffer (the one documented difference of nn.Buffer)."""
    return [(k, "Tensor" if n == "Buffer" else n) for k, n in c] == t


@pytest.mark.parametrize(("name", "args", "kwargs", "shape", "plain"), CASES, ids=IDS)
def test_first_call_matches_torch(name, args, kwargs, shape, plain):
    c, t = _both(name, args, kwargs)
    assert type(c).__name__ == type(t).__name__ == name
    assert repr(c) == repr(t)
    assert _state_types(c) == _state_types(t)          # the placeholders, by name and kind
    assert c.has_uninitialized_params() == t.has_uninitialized_params()
    becomes = t.cls_to_become.__name__
    assert c.cls_to_become.__name__ == becomes
    assert isinstance(c, c.cls_to_become) == isinstance(t, t.cls_to_become)
    c.double()
    t.double()
    x = _x(shape)
    c(cr.tensor(x))
    t(torch.tensor(x))
    # the module is now the non-lazy class, with its sizes read from the input
    assert type(c).__name__ == type(t).__name__ == becomes
    assert repr(c) == repr(t)
    assert not hasattr(c, "has_uninitialized_params") and not hasattr(t, "_initialize_hook")
    assert not hasattr(c, "_initialize_hook")
    assert _same_type_name(_state_types(c), _state_types(t))
    assert [(k, tuple(v.shape), str(v.dtype)) for k, v in c.state_dict().items()] == \
        [(k, tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in
         t.state_dict().items()]
    # with PyTorch's values loaded, the next call gives PyTorch's output and gradients
    c.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = c(xc), t(xt)
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    (yc * yc).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (n, pc), (_, pt) in zip(c.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pc.grad.numpy(), pt.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=n)
    for (n, bc), (_, bt) in zip(c.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(bc.numpy(), bt.numpy(), rtol=1e-10, atol=1e-12, err_msg=n)


@pytest.mark.parametrize(("name", "args", "kwargs", "shape", "plain"), CASES, ids=IDS)
def test_initialised_as_the_plain_layer(name, args, kwargs, shape, plain):
    """The same seed gives the weights chainrule's non-lazy layer gets (the same draws)."""
    cr.manual_seed(7)
    lazy = getattr(nn, name)(*args, **kwargs).eval()      # (running statistics unchanged)
    lazy(cr.tensor(_x(shape).astype(np.float32)))
    cls = type(lazy)
    cr.manual_seed(7)
    if name.startswith("LazyConv"):
        a, b, k = plain
        reference = cls(a, b, k, **kwargs)
    elif name == "LazyLinear":
        reference = cls(*plain, **kwargs)
    else:
        defaults = {"affine": True, "track_running_stats": True}     # the lazy norms' defaults
        reference = cls(*plain, **{**defaults, **kwargs})
    assert list(lazy.state_dict()) == list(reference.state_dict())
    for (n, a), (_, b) in zip(lazy.state_dict().items(), reference.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)
    assert repr(lazy) == repr(reference)


@pytest.mark.parametrize(("name", "args", "kwargs", "shape", "plain"), CASES, ids=IDS)
def test_load_state_dict_into_a_lazy_module(name, args, kwargs, shape, plain):
    """A checkpoint gives the placeholders their shapes; the module stays lazy (size attribute
    0) until its first call, as in PyTorch."""
    source = getattr(torch.nn, name)(*args, **kwargs).double()
    x = _x(shape)
    source(torch.tensor(x))
    state = source.state_dict()
    c, t = _both(name, args, kwargs)
    rc = c.load_state_dict({k: v.numpy() for k, v in state.items()})
    rt = t.load_state_dict(state)
    assert (rc.missing_keys, rc.unexpected_keys) == (rt.missing_keys, rt.unexpected_keys)
    assert type(c).__name__ == type(t).__name__ == name
    assert repr(c) == repr(t)
    assert c.has_uninitialized_params() == t.has_uninitialized_params()
    c.double()
    t.double()
    t.eval()
    c.eval()
    if name.startswith("LazyInstanceNorm") and kwargs.get("affine", True):
        # PyTorch's own quirk, kept: num_features is still 0 after the load, and an affine
        # instance norm checks the input against it
        for m, L in ((c, cr), (t, torch)):
            with pytest.raises(ValueError, match="to match num_features \\(0\\)"):
                m(L.tensor(x))
    else:
        yc, yt = c(cr.tensor(x)), t(torch.tensor(x))
        np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert type(c).__name__ == type(t).__name__
    assert repr(c) == repr(t)


def test_load_through_a_parent_and_the_lazy_state_dict():
    layers = lambda L: L.nn.Sequential(L.nn.LazyConv2d(4, 2), L.nn.LazyBatchNorm2d(),  # noqa: E731
                                      L.nn.Flatten(), L.nn.LazyLinear(3))
    c, t = layers(cr), layers(torch)
    assert _same_type_name(_state_types(c), _state_types(t))
    # a lazy state_dict loads into a lazy module (nothing to copy), which stays lazy
    c.load_state_dict(layers(cr).state_dict())
    t.load_state_dict(layers(torch).state_dict())
    assert c[0].has_uninitialized_params() and t[0].has_uninitialized_params()
    source = layers(torch).double()
    x = _x((2, 3, 5, 5))
    source(torch.tensor(x))
    c.load_state_dict({k: v.numpy() for k, v in source.state_dict().items()})
    t.load_state_dict(source.state_dict())
    assert repr(c) == repr(t)
    c.double().eval()
    t.double().eval()
    np.testing.assert_allclose(c(cr.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)
    assert repr(c) == repr(t)


def test_lazy_state_dict_into_an_initialised_module_raises():
    for L in (torch, cr):
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            L.nn.Linear(2, 3).load_state_dict(L.nn.LazyLinear(3).state_dict())


def test_partial_load_then_forward_raises_as_torch():
    for L, error in ((torch, AttributeError), (cr, AttributeError)):
        m = L.nn.LazyLinear(3)
        result = m.load_state_dict({"weight": np.ones((3, 2))} if L is cr else
                                   {"weight": torch.ones(3, 2)}, strict=False)
        assert result.missing_keys == ["bias"]
        assert m.has_uninitialized_params()
        with pytest.raises(error):
            m(L.ones(4, 2))
        assert type(m).__name__ == "LazyLinear"
    for L in (torch, cr):
        m = L.nn.LazyConv2d(4, 2)
        weight = np.ones((4, 3, 2, 2), dtype=np.float32)
        m.load_state_dict({"weight": weight if L is cr else torch.tensor(weight)}, strict=False)
        with pytest.raises(AssertionError, match="self.weight must be an UninitializedParameter"):
            m(L.ones(1, 3, 4, 4))


def test_linear_after_load_checks_in_features():
    for L in (torch, cr):
        m = L.nn.LazyLinear(3)
        m.load_state_dict({k: (v.numpy() if L is cr else v)
                           for k, v in torch.nn.Linear(2, 3).state_dict().items()})
        assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
        with pytest.raises(AssertionError, match="in_features inferred from input: 5"):
            m(L.ones(4, 5))
        assert type(m).__name__ == "LazyLinear"
        m(L.ones(4, 2))
        assert repr(m) == "Linear(in_features=2, out_features=3, bias=True)"


ERRORS = [
    ("wrong rank", lambda L: L.nn.LazyConv2d(4, 2)(L.ones(3, 4)), RuntimeError),
    ("groups", lambda L: L.nn.LazyConv2d(4, 2, groups=2)(L.ones(1, 3, 4, 4)), ValueError),
    ("padding same with a stride", lambda L: L.nn.LazyConv1d(2, 3, stride=2, padding="same"),
     ValueError),
    ("transposed padding mode", lambda L: L.nn.LazyConvTranspose2d(4, 3, padding_mode="reflect"),
     ValueError),
    ("0-d input to LazyLinear", lambda L: L.nn.LazyLinear(3)(L.ones(())), IndexError),
    ("1-d input to LazyBatchNorm1d", lambda L: L.nn.LazyBatchNorm1d()(L.ones(3)), IndexError),
    ("4-d input to LazyBatchNorm1d", lambda L: L.nn.LazyBatchNorm1d()(L.ones(2, 3, 2, 2)),
     ValueError),
    ("unbatched LazyInstanceNorm1d reads shape[1]",
     lambda L: L.nn.LazyInstanceNorm1d()(L.ones(3, 5)), ValueError),
    ("weight used before the first call", lambda L: L.nn.LazyLinear(3).weight + 1, ValueError),
    ("numel before the first call", lambda L: L.nn.LazyConv2d(3, 2).weight.numel(), ValueError),
    ("shape before the first call", lambda L: L.nn.LazyBatchNorm1d().running_mean.shape,
     RuntimeError),
    ("requires_grad_ before the first call", lambda L: L.nn.LazyLinear(2).requires_grad_(False),
     ValueError),
    ("functional on a placeholder",
     lambda L: L.nn.functional.linear(L.ones(2, 3), L.nn.UninitializedParameter()), ValueError),
    ("module.forward without the hook", lambda L: L.nn.LazyConv1d(2, 2).forward(L.ones(1, 3, 4)),
     (ValueError, RuntimeError)),
]


@pytest.mark.parametrize(("label", "program", "error"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(label, program, error):
    for L in (torch, cr):
        with pytest.raises(error):
            program(L)


def test_a_failed_initialisation_leaves_the_module_lazy():
    for L in (torch, cr):
        m = L.nn.LazyConv2d(4, 2, groups=2)
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            m(L.ones(1, 3, 4, 4))
        assert type(m).__name__ == "LazyConv2d" and m.has_uninitialized_params()
        assert m(L.ones(1, 4, 4, 4)).shape == (1, 4, 3, 3)
        assert type(m).__name__ == "Conv2d"
        # an error in the forward after a successful initialisation: the class has changed
        b = L.nn.LazyBatchNorm1d()
        with pytest.raises(ValueError):
            b(L.ones(2, 3, 2, 2))
        assert type(b).__name__ == "BatchNorm1d" and tuple(b.weight.shape) == (3,)


def test_norm_without_tensors_keeps_num_features_zero():
    for L in (torch, cr):
        m = L.nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
        assert not m.has_uninitialized_params()
        y = m(L.tensor(_x((4, 3))))
        assert repr(m) == ("BatchNorm1d(0, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                           "track_running_stats=False)")
        assert tuple(y.shape) == (4, 3)


def test_placeholder_facts_and_conversions():
    for L in (torch, cr):
        m = L.nn.LazyBatchNorm2d(dtype=L.float64)
        w, rm = m.weight, m.running_mean
        assert repr(w) == str(w) == "<UninitializedParameter>"
        assert repr(rm) == "<UninitializedBuffer>"
        assert str(w.dtype).removeprefix("torch.") == "float64"
        assert str(w.device) == "cpu" and w.requires_grad and not rm.requires_grad
        assert w.is_leaf and w.grad is None and w.ndim == 1 and tuple(w.size()) == (0,)
        assert w.is_floating_point() and not w.is_complex()
        assert type(w.float()).__name__ == "Tensor" and tuple(w.float().shape) == (0,)
        assert type(w.data).__name__ == "Tensor"
        assert isinstance(w, L.nn.Parameter) and isinstance(rm, L.nn.Buffer)
        assert L.nn.parameter.is_lazy(w) and L.nn.parameter.is_lazy(rm)
        assert not L.nn.parameter.is_lazy(m.num_batches_tracked)
        m.float()                       # Module.to converts the placeholders
        m(L.ones(2, 5, 3, 3))
        assert str(m.weight.dtype).removeprefix("torch.") == "float32"
        assert str(m.running_var.dtype).removeprefix("torch.") == "float32"
        assert m.weight is w and type(w).__name__ == "Parameter"      # the same object
        # (PyTorch's .float() replaces a buffer by a new tensor, which loses the nn.Buffer
        # mark; chainrule's Module.to converts in place and keeps it)
        assert m.num_batches_tracked.item() == 1


def test_materialize_directly():
    for L in (torch, cr):
        p = L.nn.UninitializedParameter(dtype=L.float64)
        p.materialize((2, 3))
        assert type(p).__name__ == "Parameter" and tuple(p.shape) == (2, 3)
        assert str(p.dtype).endswith("float64") and p.requires_grad
        q = L.nn.UninitializedParameter()
        q.materialize((4,), dtype=L.float16)
        assert str(q.dtype).endswith("float16")
        b = L.nn.UninitializedBuffer(persistent=False)
        assert b.persistent is False and isinstance(b, L.nn.Buffer)
        b.materialize((2,))
        assert tuple(b.shape) == (2,) and isinstance(b, L.nn.Buffer) and not b.requires_grad


def test_optimizer_built_before_the_first_call_holds_the_parameters():
    cr.manual_seed(0)
    m = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
    opt = cr.optim.SGD(m.parameters(), lr=0.1)
    held = list(m.parameters())
    x = cr.tensor(_x((8, 3)).astype(np.float32))
    loss = (m(x) ** 2).mean()
    loss.backward()
    before = [p.numpy().copy() for p in held]
    opt.step()
    assert all(a is b for a, b in zip(held, m.parameters()))
    assert all(not np.array_equal(a, p.numpy()) for a, p in zip(before, held))
    assert [type(layer).__name__ for layer in m] == ["Linear", "ReLU", "Linear"]


def _recorder(seen: list, label: str):
    return lambda module, *args: seen.append((label, type(module).__name__))


def test_hooks_registered_by_the_user_see_the_initialised_module():
    for L in (torch, cr):
        seen = []
        m = L.nn.LazyLinear(3)
        m.register_forward_pre_hook(_recorder(seen, "pre"))
        m.register_forward_hook(_recorder(seen, "post"))
        first = L.nn.LazyLinear(3)
        first.register_forward_pre_hook(_recorder(seen, "first"), prepend=True)
        m(L.ones(2, 4))
        first(L.ones(2, 4))
        assert seen == [("pre", "Linear"), ("post", "Linear"), ("first", "LazyLinear")]
        assert len(m._forward_pre_hooks) == 1       # the user's stays, the lazy one is gone


def test_initialize_parameters_without_a_call():
    for L in (torch, cr):
        m = L.nn.LazyConv1d(2, 3)
        m.initialize_parameters(L.ones(1, 5, 7))
        assert type(m).__name__ == "LazyConv1d" and not m.has_uninitialized_params()
        assert tuple(m.weight.shape) == (2, 5, 3) and m.in_channels == 5
        m(L.ones(1, 5, 7))
        assert type(m).__name__ == "Conv1d"


def test_copies_of_a_lazy_module():
    for L in (torch, cr):
        original = L.nn.LazyLinear(3).double()
        twin = copy.deepcopy(original)
        assert str(twin.weight.dtype).endswith("float64") and twin.has_uninitialized_params()
        twin(L.ones(2, 4, dtype=L.float64))
        assert type(twin).__name__ == "Linear" and type(original).__name__ == "LazyLinear"
        assert len(original._forward_pre_hooks) == 1     # the copy removed its own hook only
        twin(L.ones(2, 4, dtype=L.float64))
        original(L.ones(2, 5, dtype=L.float64))
        assert repr(original) == "Linear(in_features=5, out_features=3, bias=True)"
        restored = pickle.loads(pickle.dumps(L.nn.LazyConv2d(3, 2)))
        assert repr(restored) == "LazyConv2d(0, 3, kernel_size=(2, 2), stride=(1, 1))"
        restored(L.ones(1, 2, 3, 3))
        assert repr(restored) == "Conv2d(2, 3, kernel_size=(2, 2), stride=(1, 1))"


def test_lazy_instance_norm_defaults_differ_from_instance_norm():
    for L in (torch, cr):
        assert repr(L.nn.LazyInstanceNorm1d()) == (
            "LazyInstanceNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)")
        assert not isinstance(L.nn.LazyInstanceNorm1d(), L.nn.InstanceNorm1d)
        assert not isinstance(L.nn.LazyBatchNorm2d(), L.nn.BatchNorm2d)
        assert isinstance(L.nn.LazyConvTranspose2d(2, 2), L.nn.ConvTranspose2d)
        assert isinstance(L.nn.LazyLinear(2), L.nn.Linear)
