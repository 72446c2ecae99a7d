"""Every optimizer's constructor, ``param_groups`` and ``repr`` are PyTorch 2.13's.

The signature (names, kinds, defaults, the defaults' types: PyTorch's ``weight_decay=0`` is an
int), the parameter groups built from default and from non-default arguments (keys, their order,
values and types), the printed optimizer, and the flags: ``foreach`` and ``fused`` choose an
implementation (accepted, stored, no numeric effect; PyTorch's refusals of combinations kept),
``capturable`` is refused at a step on CPU arrays as PyTorch refuses it on CPU tensors,
``differentiable=True`` raises NotImplementedError, and ``decoupled_weight_decay`` steps as
PyTorch's (Adam with it is AdamW). State dicts travel both ways, and an old one without the new
keys gets PyTorch's defaults.
"""
from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest

import chainrule as cr
from chainrule import kernels

torch = pytest.importorskip("torch")

NAMES = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
         "ASGD", "Rprop", "LBFGS", "Adafactor")

#: arguments other than the defaults, valid in both libraries (lists where PyTorch keeps them)
OTHER = {
    "SGD": dict(lr=0.1, momentum=0.9, dampening=0, weight_decay=1e-2, nesterov=True,
                maximize=True, foreach=True, fused=False),
    "Adam": dict(lr=1, betas=[0.8, 0.9], eps=1e-6, weight_decay=0.1, amsgrad=True,
                 foreach=False, maximize=True, capturable=True, fused=True,
                 decoupled_weight_decay=True),
    "AdamW": dict(lr=0.01, weight_decay=0, maximize=True, foreach=None, capturable=True,
                  fused=True),
    "RMSprop": dict(lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5,
                    centered=True, capturable=True, foreach=True, maximize=True),
    "Adagrad": dict(lr_decay=0.1, weight_decay=1, initial_accumulator_value=0.5, eps=1e-9,
                    foreach=False, maximize=True, fused=True),
    "Adadelta": dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, foreach=True,
                     capturable=True, maximize=True),
    "Adamax": dict(betas=[0.8, 0.9], weight_decay=0.1, foreach=True, maximize=True,
                   capturable=True),
    "NAdam": dict(betas=[0.8, 0.9], weight_decay=0.1, momentum_decay=0.01,
                  decoupled_weight_decay=True, foreach=True, maximize=True, capturable=True),
    "RAdam": dict(betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True,
                  foreach=True, maximize=True, capturable=True),
    "ASGD": dict(lambd=1e-3, alpha=0.5, t0=10, weight_decay=0.1, foreach=True, maximize=True,
                 capturable=True),
    "Rprop": dict(etas=[0.4, 1.3], step_sizes=[1e-5, 10], capturable=True, foreach=True,
                  maximize=True),
    "LBFGS": dict(lr=0.5, max_iter=10, tolerance_grad=1e-5, tolerance_change=1e-8,
                  history_size=5, line_search_fn="strong_wolfe"),
    "Adafactor": dict(lr=0.1, beta2_decay=-0.5, eps=[None, 1e-2], d=2.0, weight_decay=0.1,
                      foreach=True, maximize=True),
}

#: the optimizers whose step these tests take without a closure
STEPPED = tuple(n for n in NAMES if n != "LBFGS")


def _classes(name):
    return getattr(cr.optim, name), getattr(torch.optim, name)


def _params(shapes=((3, 2), (4,)), seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in shapes]
    mine = [cr.nn.Parameter(cr.tensor(v.copy())) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v.copy())) for v in values]
    return mine, theirs


def _described(group: dict) -> list:
    """A parameter group's keys in order with each value's repr and type (not the params)."""
    return [(k, repr(v), type(v)) for k, v in group.items() if k != "params"]


def _same_groups(mine, theirs) -> None:
    assert len(mine.param_groups) == len(theirs.param_groups)
    for g, h in zip(mine.param_groups, theirs.param_groups):
        assert list(g) == list(h)
        assert _described(g) == _described(h)


def _repr(opt) -> str:
    return repr(opt).replace("torch", "chainrule")


def _drive(opts_and_params, steps=4, seed=1):
    """The same gradients into each (optimizer, params) pair, ``steps`` times."""
    rng = np.random.default_rng(seed)
    shapes = [tuple(p.shape) for p in opts_and_params[0][1]]
    for _ in range(steps):
        grads = [rng.standard_normal(s) for s in shapes]
        for opt, params in opts_and_params:
            for p, g in zip(params, grads):
                g = g.astype(p.detach().numpy().dtype)
                p.grad = torch.tensor(g) if isinstance(p, torch.Tensor) else cr.tensor(g)
            opt.step()


def _close(mine, theirs, rtol=1e-12, atol=1e-14) -> None:
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=rtol,
                                   atol=atol)


def _to_chainrule(value):
    if isinstance(value, torch.Tensor):
        return cr.tensor(value.numpy().copy())
    if isinstance(value, dict):
        return {k: _to_chainrule(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_chainrule(v) for v in value)
    return copy.deepcopy(value)


def _to_torch(value):
    if isinstance(value, cr.Tensor):
        return torch.tensor(np.array(value.numpy(), copy=True))
    if isinstance(value, dict):
        return {k: _to_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return copy.deepcopy(value)


# ------------------------------------------------------------------------------ the constructor
@pytest.mark.parametrize("name", NAMES)
def test_signature_is_pytorchs(name):
    mine, theirs = _classes(name)
    a = inspect.signature(mine).parameters
    b = inspect.signature(theirs).parameters
    assert list(a) == list(b)
    for key in b:
        assert a[key].kind == b[key].kind, key
        assert a[key].default == b[key].default, key
        assert type(a[key].default) is type(b[key].default), key


@pytest.mark.parametrize("other", [False, True], ids=["defaults", "other"])
@pytest.mark.parametrize("name", NAMES)
def test_param_groups_and_repr_are_pytorchs(name, other):
    mine_cls, theirs_cls = _classes(name)
    kwargs = OTHER[name] if other else {}
    mine_p, theirs_p = _params(dtype="float32")
    mine, theirs = mine_cls(mine_p, **kwargs), theirs_cls(theirs_p, **kwargs)
    _same_groups(mine, theirs)
    assert repr(mine) == _repr(theirs)
    assert mine.defaults == theirs.defaults


@pytest.mark.parametrize("name", NAMES)
def test_positional_arguments_fill_the_same_keys(name):
    """Every positional-or-keyword argument passed by position lands where PyTorch's does."""
    mine_cls, theirs_cls = _classes(name)
    sig = inspect.signature(theirs_cls).parameters
    positional, keywords = [], {}
    for key, p in list(sig.items())[1:]:
        value = OTHER[name].get(key, p.default)
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            positional.append(value)
        else:
            keywords[key] = value
    mine_p, theirs_p = _params(dtype="float32")
    mine = mine_cls(mine_p, *positional, **keywords)
    theirs = theirs_cls(theirs_p, *positional, **keywords)
    _same_groups(mine, theirs)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "LBFGS"])
def test_added_group_gets_the_same_keys(name):
    mine_cls, theirs_cls = _classes(name)
    (a, b), (c, d) = _params(dtype="float32")
    mine, theirs = mine_cls([a], **OTHER[name]), theirs_cls([c], **OTHER[name])
    mine.add_param_group({"params": [b], "lr": 0.5, "maximize": False})
    theirs.add_param_group({"params": [d], "lr": 0.5, "maximize": False})
    _same_groups(mine, theirs)
    assert repr(mine) == _repr(theirs)


def test_nanogpt_asks_for_fused_adamw():
    """nanoGPT's check: ``'fused' in inspect.signature(torch.optim.AdamW).parameters``."""
    assert "fused" in inspect.signature(cr.optim.AdamW).parameters
    params, _ = _params(dtype="float32")
    opt = cr.optim.AdamW([{"params": params[:1], "weight_decay": 0.1},
                          {"params": params[1:], "weight_decay": 0.0}],
                         lr=6e-4, betas=(0.9, 0.95), fused=True)
    assert all(g["fused"] is True for g in opt.param_groups)


# ------------------------------------------------------------------------------ the flags
def _flag_values(name):
    sig = inspect.signature(getattr(torch.optim, name)).parameters
    return [{flag: True} for flag in ("foreach", "fused") if flag in sig]


@pytest.mark.parametrize("name", STEPPED)
def test_foreach_and_fused_change_nothing(name):
    """Same steps as the defaults, bit for bit, and as PyTorch's with the same flag."""
    mine_cls, theirs_cls = _classes(name)
    for flags in _flag_values(name):
        base = {k: v for k, v in OTHER[name].items()
                if k not in ("foreach", "fused", "capturable")}
        plain, loop = _params()
        mine, theirs = _params()
        pairs = [(mine_cls(plain, **base), plain), (mine_cls(mine, **base, **flags), mine),
                 (theirs_cls(theirs, **base, **flags), theirs),
                 (theirs_cls(loop, **base, foreach=False), loop)]
        _drive(pairs)
        for p, q in zip(plain, mine):
            np.testing.assert_array_equal(p.numpy(), q.numpy())
        _close(mine, loop)              # PyTorch's for-loop implementation, which chainrule's is
        if (name, tuple(flags)) != ("ASGD", ("foreach",)):
            _close(mine, theirs)        # PyTorch's foreach ASGD differs from its for-loop ASGD
        _same_groups(pairs[1][0], pairs[2][0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_refuses_what_pytorch_refuses(name):
    for library in (cr, torch):
        params = _params()[0 if library is cr else 1]
        cls = getattr(library.optim, name)
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True`"):
            cls(params, fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
            cls(params, fused=True, differentiable=True)
        cls(params, fused=False, foreach=True)
        cls(params, fused=True, foreach=False)


@pytest.mark.parametrize("name", [n for n in STEPPED
                                  if "capturable" in inspect.signature(
                                      getattr(torch.optim, n)).parameters])
def test_capturable_is_refused_at_a_step_on_cpu(name):
    mine_cls, theirs_cls = _classes(name)
    mine_p, theirs_p = _params()
    mine, theirs = mine_cls(mine_p, capturable=True), theirs_cls(theirs_p, capturable=True)
    mine.step()                             # no gradient: nothing to refuse, in both
    theirs.step()
    for p, q in zip(mine_p, theirs_p):
        p.grad, q.grad = cr.ones_like(p), torch.ones_like(q)
    with pytest.raises(AssertionError, match="capturable=True"):
        theirs.step()
    with pytest.raises(AssertionError, match="capturable=True"):
        mine.step()


@pytest.mark.parametrize("name", [n for n in NAMES
                                  if "differentiable" in inspect.signature(
                                      getattr(torch.optim, n)).parameters])
def test_differentiable_true_is_not_implemented(name):
    cls = getattr(cr.optim, name)
    params, _ = _params()
    with pytest.raises(NotImplementedError, match="differentiate through an optimizer step"):
        cls(params, differentiable=True)
    opt = cls(params[:1], differentiable=False)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.add_param_group({"params": params[1:], "differentiable": True})
    saved = opt.state_dict()
    saved["param_groups"][0]["differentiable"] = True
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.load_state_dict(saved)
    opt.param_groups[0]["differentiable"] = True
    params[0].grad = cr.ones_like(params[0])
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.step()


# ------------------------------------------------------------------------------ decoupled decay
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("maximize", [False, True])
def test_adam_with_decoupled_weight_decay_steps_as_adamw(amsgrad, maximize):
    kw = dict(lr=0.05, weight_decay=0.3, amsgrad=amsgrad, maximize=maximize)
    mine, theirs = _params()
    mine_w, theirs_w = _params()
    opts = [(cr.optim.Adam(mine, decoupled_weight_decay=True, **kw), mine),
            (torch.optim.Adam(theirs, decoupled_weight_decay=True, **kw), theirs),
            (cr.optim.AdamW(mine_w, **kw), mine_w), (torch.optim.AdamW(theirs_w, **kw), theirs_w)]
    _drive(opts, steps=6)
    _close(mine, theirs)
    _close(mine_w, theirs_w)
    for p, q in zip(mine, mine_w):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    coupled, coupled_t = _params()
    _drive([(cr.optim.Adam(coupled, **kw), coupled), (torch.optim.Adam(coupled_t, **kw),
                                                      coupled_t)], steps=6)
    _close(coupled, coupled_t)
    assert not np.allclose(coupled[0].numpy(), mine[0].numpy())


@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
def test_decoupled_weight_decay_of_nadam_and_radam(name):
    mine_cls, theirs_cls = _classes(name)
    for decoupled in (False, True):
        kw = dict(lr=0.05, weight_decay=0.3, decoupled_weight_decay=decoupled)
        mine, theirs = _params()
        _drive([(mine_cls(mine, **kw), mine), (theirs_cls(theirs, **kw), theirs)], steps=8)
        _close(mine, theirs)


@pytest.mark.skipif(not kernels.available(), reason="the fast kernels are not installed")
@pytest.mark.parametrize("flags", [{}, {"foreach": False}, {"fused": True}, {"foreach": True}])
def test_fast_kernels_run_with_the_flags_at_their_defaults(monkeypatch, flags):
    """The flags choose no other path: Adam's and SGD's one-call group kernels still run."""
    from chainrule.kernels import adam as kadam
    from chainrule.kernels import sgd as ksgd

    calls = []
    for module, name in ((kadam, "adam_update_many"), (ksgd, "momentum_update_many")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _f=original, _n=name: (calls.append(_n),
                                                                           _f(*a))[1])
    for cls, kw in ((cr.optim.Adam, {}), (cr.optim.AdamW, {"weight_decay": 0}),
                    (cr.optim.SGD, {"momentum": 0.9, "lr": 0.1})):
        params, _ = _params(dtype="float32")
        _drive([(cls(params, **kw, **flags), params)], steps=3)
    assert calls.count("adam_update_many") == 4 and calls.count("momentum_update_many") == 2


# ------------------------------------------------------------------------------ state dicts
@pytest.mark.parametrize("name", NAMES)
def test_pytorch_state_dict_loads_into_chainrule_and_back(name):
    mine_cls, theirs_cls = _classes(name)
    kwargs = {k: v for k, v in OTHER[name].items() if k != "capturable"}
    mine, theirs = _params()
    topt = theirs_cls(theirs, **kwargs)
    if name != "LBFGS":
        _drive([(topt, theirs)], steps=3)
        for p, q in zip(mine, theirs):
            p.data = cr.tensor(q.detach().numpy().copy())
    saved = topt.state_dict()
    opt = mine_cls(mine)                            # defaults: the loaded groups replace them
    opt.load_state_dict(_to_chainrule(saved))
    again = [torch.nn.Parameter(q.detach().clone()) for q in theirs]
    fresh_t = theirs_cls(again)
    fresh_t.load_state_dict(copy.deepcopy(saved))
    _same_groups(opt, fresh_t)
    assert repr(opt) == _repr(fresh_t)
    back = theirs_cls(_params()[1])                 # chainrule's state_dict into PyTorch
    back.load_state_dict(_to_torch(opt.state_dict()))
    _same_groups(opt, back)
    if name != "LBFGS":         # both loaded (state tensors cast to the parameters' dtype)
        _drive([(opt, mine), (fresh_t, again)], steps=3, seed=7)
        _close(mine, again)


@pytest.mark.parametrize("name", NAMES)
def test_an_old_state_dict_without_the_new_keys_gets_pytorchs_defaults(name):
    mine_cls, theirs_cls = _classes(name)
    new = {"foreach", "fused", "capturable", "differentiable", "decoupled_weight_decay"}
    mine_p, theirs_p = _params()
    opt = mine_cls(mine_p, **{k: v for k, v in OTHER[name].items() if k in new})
    topt = theirs_cls(theirs_p, **{k: v for k, v in OTHER[name].items() if k in new})
    saved = topt.state_dict()
    for group in saved["param_groups"]:
        for key in new:
            group.pop(key, None)
    opt.load_state_dict(_to_chainrule(saved))
    topt.load_state_dict(saved)
    _same_groups(opt, topt)
    assert repr(opt) == _repr(topt)


@pytest.mark.parametrize("name", ["AdamW", "SGD", "Adam", "Rprop", "Adafactor"])
def test_json_checkpoint_keeps_the_groups(name, tmp_path):
    from chainrule.training.checkpoint import load_checkpoint, save_checkpoint

    model = cr.nn.Linear(3, 2)
    opt = getattr(cr.optim, name)(model.parameters(), **{k: v for k, v in OTHER[name].items()
                                                          if k != "capturable"})
    path = save_checkpoint(str(tmp_path / "run.ckpt"), model, opt)
    again = getattr(cr.optim, name)(cr.nn.Linear(3, 2).parameters())
    load_checkpoint(path, optimizer=again)
    # JSON has no tuples: a list comes back as the tuple the fresh optimizer holds there
    as_tuples = [[(k, repr(tuple(v) if isinstance(v, list) else v), t if t is not list else tuple)
                  for k, v, t in ((k, g[k], type(g[k])) for k in g if k != "params")]
                 for g in opt.param_groups]
    assert [_described(g) for g in again.param_groups] == as_tuples


def test_an_old_json_checkpoint_without_the_new_keys_loads(tmp_path, monkeypatch):
    from chainrule.training.checkpoint import load_checkpoint, save_checkpoint

    model = cr.nn.Linear(3, 2)
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    model(cr.ones(4, 3)).sum().backward()
    opt.step()
    state_dict = opt.state_dict

    def old_state_dict():                   # as chainrule wrote it before the keys were added
        saved = state_dict()
        saved["param_groups"] = [{k: v for k, v in g.items()
                                  if k not in ("foreach", "capturable", "differentiable", "fused",
                                               "decoupled_weight_decay")}
                                 for g in saved["param_groups"]]
        return saved

    monkeypatch.setattr(opt, "state_dict", old_state_dict)
    path = save_checkpoint(str(tmp_path / "old.ckpt"), model, opt)
    again = cr.optim.Adam(cr.nn.Linear(3, 2).parameters(), foreach=True)
    load_checkpoint(path, optimizer=again)
    theirs = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=0.01)
    theirs_saved = theirs.state_dict()
    theirs_saved["param_groups"][0] = {k: v for k, v in theirs_saved["param_groups"][0].items()
                                       if k not in ("foreach", "capturable", "differentiable",
                                                    "fused", "decoupled_weight_decay")}
    theirs.load_state_dict(theirs_saved)
    assert _described(again.param_groups[0]) == _described(theirs.param_groups[0])
    assert again.state[again.param_groups[0]["params"][0]]["step"].item() == 1


@pytest.mark.parametrize("name", ["SGD", "AdamW", "RMSprop"])
def test_named_parameters_give_param_names(name):
    """PyTorch 2.13 takes (name, tensor) pairs (``model.named_parameters()``)."""
    mine_cls, theirs_cls = _classes(name)
    (a, b), (c, d) = _params()
    mine, theirs = mine_cls([("w", a)]), theirs_cls([("w", c)])
    mine.add_param_group({"params": [("b", b)], "lr": 0.5})
    theirs.add_param_group({"params": [("b", d)], "lr": 0.5})
    _same_groups(mine, theirs)
    assert [g["param_names"] for g in mine.param_groups] == [["w"], ["b"]]
    assert repr(mine) == _repr(theirs)
    assert _to_torch(mine.state_dict())["param_groups"] == theirs.state_dict()["param_groups"]
    saved = theirs.state_dict()
    for g in saved["param_groups"]:
        del g["param_names"]                # a state_dict without names keeps the names
    mine.load_state_dict(_to_chainrule(saved))
    theirs.load_state_dict(saved)
    _same_groups(mine, theirs)
    for library, opt, p in ((cr, mine_cls, [a]), (torch, theirs_cls, [c])):
        with pytest.raises(ValueError, match="with/without names"):
            opt([("w", p[0]), b if library is cr else d])
        with pytest.raises(ValueError, match="with/without names"):
            opt([("w", p[0])]).add_param_group({"params": [b if library is cr else d]})


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_a_tensor_lr_is_refused_clearly(name):
    params, _ = _params()
    with pytest.raises(TypeError, match="lr as a Tensor .* is not supported; pass a Python float"):
        getattr(cr.optim, name)(params, lr=cr.tensor(0.01))
