"""``optimizer.state`` against PyTorch 2.13's, for every optimizer.

PyTorch's ``optimizer.state`` is a ``defaultdict(dict)`` keyed by the parameter Tensors; each value
is a dict with the optimizer's own key names, its buffers as Tensors and its step count as a 0-d
float tensor (of the default dtype). Here, after k steps on drawn gradients (float64 parameters),
the two libraries' states must have the same keys in the same order, the same types (Tensor,
int, float, list, None) and the same values (rtol 1e-12); and the behaviour user code relies on
must match: the Tensors are live (the same objects move on with the next step; an in-place
change of one is what the next step uses), a parameter not stepped yet reads as ``{}``, a state
reset (``optimizer.state = defaultdict(dict)``, ``optimizer.state[p] = {}``, a new Tensor put in
an entry) is taken up by the next step, and ``state_dict()`` holds the state dicts themselves.
"""
from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 3)]

CONFIGS = {
    "SGD": ("SGD", dict(lr=0.1)),
    "SGD-momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "SGD-nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    "SGD-dampening": ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3)),
    "Adam": ("Adam", dict(lr=0.01)),
    "Adam-amsgrad": ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    "AdamW": ("AdamW", dict(lr=0.01)),
    "RMSprop": ("RMSprop", dict(lr=0.01)),
    "RMSprop-centered": ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    "Adagrad": ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    "Adadelta": ("Adadelta", dict(lr=1.0)),
    "Adamax": ("Adamax", dict(lr=0.01)),
    "NAdam": ("NAdam", dict(lr=0.01)),
    "RAdam": ("RAdam", dict(lr=0.01)),
    "ASGD": ("ASGD", dict(lr=0.05, t0=2)),
    "Rprop": ("Rprop", dict(lr=0.01)),
    "Adafactor": ("Adafactor", dict(lr=0.01)),
}
LBFGS_CONFIGS = {      # (lr=1.8: the search moves t in about one step of seven)
    "LBFGS": dict(lr=1, max_iter=3, history_size=3),
    "LBFGS-strong-wolfe": dict(lr=1.8, max_iter=3, history_size=3, line_search_fn="strong_wolfe"),
}


# ------------------------------------------------------------------------------ comparison
def _same_value(mine, theirs, where: str, loose_number: bool = False, rtol: float = 1e-12,
                normwise: bool = False):
    """``mine`` (chainrule) and ``theirs`` (PyTorch): the same type and value (elementwise to
    ``rtol``, or with ``normwise`` each tensor's largest difference to ``rtol`` times its largest
    value)."""
    if isinstance(theirs, torch.Tensor):
        if loose_number and theirs.ndim == 0 and not isinstance(mine, cr.Tensor):
            np.testing.assert_allclose(mine, theirs.item(), rtol=rtol, err_msg=where)
            return
        assert isinstance(mine, cr.Tensor), f"{where}: {type(mine).__name__}, not a Tensor"
        assert tuple(mine.shape) == tuple(theirs.shape), where
        assert f"torch.{mine.dtype}" == str(theirs.dtype), f"{where}: {mine.dtype}"
        assert not mine.requires_grad, where
        if normwise:
            a, b = np.asarray(mine.numpy()), theirs.numpy()
            assert np.max(np.abs(a - b), initial=0.0) <= rtol * np.max(np.abs(b), initial=0.0), \
                f"{where}: {a} vs {b}"
        else:
            np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=rtol, atol=1e-14,
                                       err_msg=where)
    elif isinstance(theirs, (list, tuple)):
        assert type(mine) is type(theirs) and len(mine) == len(theirs), where
        for i, (a, b) in enumerate(zip(mine, theirs)):
            _same_value(a, b, f"{where}[{i}]", rtol=rtol, normwise=normwise)
    elif theirs is None:
        assert mine is None, where
    elif loose_number:
        np.testing.assert_allclose(float(mine), float(theirs), rtol=rtol, err_msg=where)
    else:
        assert type(mine) is type(theirs), f"{where}: {type(mine).__name__}"
        if isinstance(theirs, float):
            np.testing.assert_allclose(mine, theirs, rtol=rtol, err_msg=where)
        else:
            assert mine == theirs, where


def _same_state(mine_opt, theirs_opt, mine_params, theirs_params, loose: dict | None = None,
                rtol: float = 1e-12, normwise: bool = False) -> None:
    """The whole ``state``: a defaultdict keyed by the parameters in the same order, each entry
    with the same keys in the same order and the same values and types (``loose``: keys whose
    number is compared by value only, to the rtol given)."""
    loose = loose or {}
    assert isinstance(mine_opt.state, defaultdict) and mine_opt.state.default_factory is dict
    index = {id(p): i for i, p in enumerate(mine_params)}
    t_index = {id(p): i for i, p in enumerate(theirs_params)}
    assert [index[id(k)] for k in mine_opt.state] == [t_index[id(k)] for k in theirs_opt.state]
    assert len(mine_opt.state) == len(theirs_opt.state)
    for p, t in zip(mine_params, theirs_params):
        assert (p in mine_opt.state) == (t in theirs_opt.state)
        if t not in theirs_opt.state:
            continue
        mine, theirs = mine_opt.state[p], theirs_opt.state[t]
        assert type(mine) is dict
        assert list(mine) == list(theirs), f"keys {list(mine)} vs {list(theirs)}"
        for key in theirs:
            _same_value(mine[key], theirs[key], f"state[p{index[id(p)]}][{key!r}]",
                        loose_number=key in loose, rtol=loose.get(key, rtol), normwise=normwise)


# ------------------------------------------------------------------------------ two runs
class Pair:
    """The same float64 parameters in both libraries, the same optimizer on each."""

    def __init__(self, name: str, options: dict, seed: int, groups: bool = False):
        self.rng = np.random.default_rng(seed)
        values = [self.rng.standard_normal(s) for s in SHAPES]
        self.mine = [cr.tensor(v.copy(), requires_grad=True) for v in values]
        self.theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
        self.name, self.options = name, options

        def make(library, params):
            if groups:
                params = [{"params": params[:1]}, {"params": params[1:], "lr": 0.02}]
            return getattr(library.optim, name)(params, **options)

        self.opt, self.topt = make(cr, self.mine), make(torch, self.theirs)

    def grads(self, skip_some: bool = True) -> None:
        """Drawn gradients, the same in both; now and then a parameter without one."""
        for p, t in zip(self.mine, self.theirs):
            if skip_some and self.rng.random() < 0.2:
                p.grad, t.grad = None, None
                continue
            g = self.rng.standard_normal(p.shape) * 10.0 ** self.rng.integers(-2, 2)
            p.grad, t.grad = cr.tensor(g.copy()), torch.tensor(g.copy())

    def step(self, skip_some: bool = True) -> None:
        self.grads(skip_some)
        self.opt.step()
        self.topt.step()

    def same(self) -> None:
        _same_state(self.opt, self.topt, self.mine, self.theirs)
        for p, t in zip(self.mine, self.theirs):
            np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-12,
                                       atol=1e-14)


@pytest.fixture(params=["float32", "float64"])
def default_dtype(request):
    """Both libraries' default dtype (PyTorch keeps its step counts, NAdam's μ product and ASGD's
    η and μ in it)."""
    previous, previous_cr = torch.get_default_dtype(), cr.get_default_dtype()
    torch.set_default_dtype(getattr(torch, request.param))
    cr.set_default_dtype(getattr(cr, request.param))
    yield request.param
    torch.set_default_dtype(previous)
    cr.set_default_dtype(previous_cr)


@pytest.mark.parametrize("config", list(CONFIGS))
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(0, 5), groups=st.booleans())
def test_state_after_k_steps_is_pytorchs(config, seed, k, groups):
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed, groups)
    for _ in range(k):
        pair.step()
    pair.same()


@pytest.mark.parametrize("config", ["Adam", "NAdam", "ASGD", "Adagrad", "Adafactor"])
def test_scalar_state_takes_the_default_dtype(config, default_dtype):
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=3)
    for _ in range(4):
        pair.step(skip_some=False)
    pair.same()
    assert str(pair.opt.state[pair.mine[0]]["step"].dtype) == default_dtype


def test_adams_step_is_a_0d_float32_tensor_counting_the_steps():
    pair = Pair("Adam", dict(lr=0.01), seed=0)
    for _ in range(3):
        pair.step(skip_some=False)
    step = pair.opt.state[pair.mine[0]]["step"]
    assert isinstance(step, cr.Tensor) and step.shape == () and step.dtype == cr.float32
    assert repr(step) == repr(pair.topt.state[pair.theirs[0]]["step"]) == "tensor(3.)"


# ------------------------------------------------------------------------------ L-BFGS
def _loss(library, params, centres):
    """Rosenbrock's function of all the parameters as one vector x (shifted by ``centres``):
    Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², whose curved valley L-BFGS follows for dozens of iterations,
    so that its state is compared far from convergence (where it is all rounding)."""
    x = library.cat([p.reshape(-1) for p in params])
    x = x - library.tensor(np.concatenate([c.reshape(-1) for c in centres]))
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


@pytest.mark.parametrize("config", list(LBFGS_CONFIGS))
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(0, 3))
def test_lbfgs_state_is_pytorchs(config, seed, k):
    """L-BFGS keeps its state on the first parameter: ints (func_evals, n_iter), Tensors (d,
    prev_flat_grad), lists of Tensors (old_dirs, old_stps, ro, al), H_diag (1, then a 0-d
    Tensor), t and prev_loss. After a strong-Wolfe search ``t`` is a Python float in chainrule
    where PyTorch's may be a 0-d tensor: only its value is compared there.

    Compared normwise to 1e-10 (each tensor's largest difference against its largest value), on
    Rosenbrock's valley, far from convergence, for at most 4 calls of 3 iterations: the state
    holds differences of iterates and of gradients (sᵢ, yᵢ, αᵢ = ρᵢsᵢᵀq), which lose their
    relative precision by cancellation as the iterates converge, and L-BFGS at lr=1 without a
    search is chaotic on Rosenbrock after a dozen iterations or so (the last-bit differences of
    dot products summed in another order and of the two autograd engines then grow to 1e-5).
    Measured over 300 drawn runs of 4 calls: at most 3.3e-11."""
    pair = Pair("LBFGS", LBFGS_CONFIGS[config], seed)
    centres = [0.1 * pair.rng.standard_normal(s) for s in SHAPES]

    def closure(library, params, opt):
        def run():
            opt.zero_grad()
            loss = _loss(library, params, centres)
            loss.backward()
            return loss
        return run

    for _ in range(k):
        pair.opt.step(closure(cr, pair.mine, pair.opt))
        pair.topt.step(closure(torch, pair.theirs, pair.topt))
    for p, t in zip(pair.mine, pair.theirs):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    tolerance = dict(loose={"t": 1e-10} if "strong" in config else {}, rtol=1e-10,
                     normwise=True)
    _same_state(pair.opt, pair.topt, pair.mine, pair.theirs, **tolerance)
    # PyTorch's state_dict into a fresh chainrule L-BFGS: the same state, the same next step
    mine_saved, saved = pair.opt.state_dict(), pair.topt.state_dict()
    assert sorted(mine_saved["state"]) == sorted(saved["state"])
    if mine_saved["state"]:                             # the live state, as PyTorch's
        assert mine_saved["state"][0] is pair.opt.state[pair.mine[0]]
    pair.opt = cr.optim.LBFGS(pair.mine, **LBFGS_CONFIGS[config])
    pair.opt.load_state_dict(_to_chainrule(saved))
    _same_state(pair.opt, pair.topt, pair.mine, pair.theirs, **tolerance)
    pair.opt.step(closure(cr, pair.mine, pair.opt))
    pair.topt.step(closure(torch, pair.theirs, pair.topt))
    _same_state(pair.opt, pair.topt, pair.mine, pair.theirs, **tolerance)


def _to_chainrule(value):
    """A PyTorch state_dict with chainrule Tensors (of the same values) in place of its own."""
    if isinstance(value, torch.Tensor):
        return cr.tensor(value.numpy().copy())
    if isinstance(value, dict):
        return {k: _to_chainrule(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_chainrule(v) for v in value)
    return copy.deepcopy(value)


# ------------------------------------------------------------------------------ mapping behaviour
def test_a_parameter_not_stepped_reads_as_an_empty_dict_and_is_then_in_the_state():
    pair = Pair("Adam", dict(lr=0.01), seed=1)
    for opt, p in ((pair.opt, pair.mine[0]), (pair.topt, pair.theirs[0])):
        assert len(opt.state) == 0 and p not in opt.state
        assert opt.state[p] == {}
        assert p in opt.state and len(opt.state) == 1
    pair.step(skip_some=False)      # the empty dict is filled in by the step
    pair.same()
    assert all(p in pair.opt.state for p in pair.mine)


def test_sgd_without_momentum_keeps_no_state():
    pair = Pair("SGD", dict(lr=0.1), seed=2)
    for _ in range(3):
        pair.step(skip_some=False)
    assert len(pair.opt.state) == len(pair.topt.state) == 0
    assert pair.opt.state_dict()["state"] == {} == pair.topt.state_dict()["state"]


@pytest.mark.parametrize("config", list(CONFIGS))
def test_the_state_tensors_are_live(config):
    """A Tensor read from the state before a step is the one the step updates (the same object
    afterwards, holding the new values) wherever PyTorch's is."""
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=4)
    for _ in range(2):
        pair.step(skip_some=False)
    before = [dict(pair.opt.state[p]) for p in pair.mine]
    t_before = [dict(pair.topt.state[t]) for t in pair.theirs]
    pair.step(skip_some=False)
    for p, t, held, t_held in zip(pair.mine, pair.theirs, before, t_before):
        for key, value in t_held.items():
            same_object = pair.topt.state[t][key] is value
            assert (pair.opt.state[p][key] is held[key]) == same_object, key
            if same_object and isinstance(value, torch.Tensor):
                np.testing.assert_allclose(held[key].numpy(), value.numpy(), rtol=1e-12,
                                           atol=1e-14, err_msg=key)
    pair.same()


@pytest.mark.parametrize("config, key, edit", [
    ("SGD-momentum", "momentum_buffer", lambda t: t.zero_()),
    ("Adam", "exp_avg", lambda t: t.mul_(0.5)),
    ("Adam", "exp_avg_sq", lambda t: t.add_(1.0)),
    ("Adam", "step", lambda t: t.zero_()),
    ("Adam-amsgrad", "max_exp_avg_sq", lambda t: t.zero_()),
    ("AdamW", "step", lambda t: t.fill_(10.0)),
    ("RMSprop-centered", "grad_avg", lambda t: t.zero_()),
    ("Adagrad", "sum", lambda t: t.mul_(2.0)),
    ("Adadelta", "acc_delta", lambda t: t.fill_(0.1)),
    ("Adamax", "exp_inf", lambda t: t.add_(1.0)),
    ("NAdam", "mu_product", lambda t: t.fill_(1.0)),
    ("RAdam", "step", lambda t: t.fill_(20.0)),
    ("ASGD", "eta", lambda t: t.fill_(0.5)),
    ("Rprop", "step_size", lambda t: t.fill_(0.3)),
    ("Adafactor", "step", lambda t: t.fill_(7.0)),
])
def test_an_in_place_edit_of_the_state_is_what_the_next_step_uses(config, key, edit):
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=5)
    for _ in range(3):
        pair.step(skip_some=False)
    for opt, params in ((pair.opt, pair.mine), (pair.topt, pair.theirs)):
        for p in params:
            edit(opt.state[p][key])
    for _ in range(2):
        pair.step(skip_some=False)
    pair.same()


@pytest.mark.parametrize("config", ["SGD-momentum", "Adam", "RMSprop", "Adagrad", "NAdam",
                                    "ASGD", "Rprop", "Adafactor"])
def test_resetting_the_state_starts_it_afresh(config):
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=6)
    for _ in range(3):
        pair.step(skip_some=False)
    pair.opt.state[pair.mine[1]] = {}               # one parameter's state
    pair.topt.state[pair.theirs[1]] = {}
    pair.step(skip_some=False)
    pair.same()
    del pair.opt.state[pair.mine[0]]
    del pair.topt.state[pair.theirs[0]]
    pair.step(skip_some=False)
    pair.same()
    pair.opt.state = defaultdict(dict)              # everything
    pair.topt.state = defaultdict(dict)
    for _ in range(2):
        pair.step(skip_some=False)
    pair.same()


@pytest.mark.parametrize("config, key", [("SGD-momentum", "momentum_buffer"),
                                         ("Adam", "exp_avg"), ("Adam", "step"),
                                         ("RMSprop", "square_avg")])
def test_a_tensor_put_in_the_state_is_used_and_moves_on(config, key):
    """Also through Adam's and SGD's whole-group kernels, whose kept views must notice."""
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=7)
    for _ in range(3):
        pair.step(skip_some=False)
    put = []
    for library, opt, params in ((cr, pair.opt, pair.mine), (torch, pair.topt, pair.theirs)):
        for p in params:
            old = opt.state[p][key]
            new = library.full_like(old, 0.25) if key != "step" else library.tensor(1.0)
            opt.state[p][key] = new
            put.append(new)
    pair.step(skip_some=False)
    pair.same()
    for p, new in zip(pair.mine, put):
        assert pair.opt.state[p][key] is new       # the Tensor put there is the state now


def test_items_values_and_membership():
    pair = Pair("RMSprop", dict(lr=0.01, momentum=0.3), seed=8)
    pair.step(skip_some=False)
    keys = [k for k, _ in pair.opt.state.items()]
    assert all(k is p for k, p in zip(keys, pair.mine)) and len(keys) == len(pair.mine)
    assert all(set(v) == {"step", "square_avg", "momentum_buffer"}
               for v in pair.opt.state.values())
    assert cr.tensor(pair.mine[0].detach().numpy()) not in pair.opt.state   # by identity


# ------------------------------------------------------------------------------ persistence
@pytest.mark.parametrize("config", ["SGD-momentum", "Adam", "NAdam", "Adafactor"])
def test_state_dict_holds_the_state_dicts_themselves(config):
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=9)
    pair.step(skip_some=False)
    for opt, params in ((pair.opt, pair.mine), (pair.topt, pair.theirs)):
        saved = opt.state_dict()
        assert all(saved["state"][i] is opt.state[p] for i, p in enumerate(params))


@pytest.mark.parametrize("config", list(CONFIGS))
def test_a_loaded_pytorch_state_dict_is_pytorchs_state(config):
    """PyTorch's state_dict loaded into both libraries' fresh optimizers (chainrule's through
    Tensors of the same values): the same state, and the same steps after it."""
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=10)
    for _ in range(3):
        pair.step()
    saved = pair.topt.state_dict()
    ours = _to_chainrule(saved)
    fresh = Pair(name, options, seed=10)
    for p, t in zip(fresh.mine, pair.theirs):
        p.data = cr.tensor(t.detach().numpy().copy())
    for p, t in zip(fresh.theirs, pair.theirs):
        p.data = t.detach().clone()
    fresh.opt.load_state_dict(ours)
    fresh.topt.load_state_dict(saved)
    fresh.same()
    for i, p in enumerate(fresh.mine):   # the loaded Tensors are the state, where they have
        for key, value in ours["state"].get(i, {}).items():     # the parameter's dtype already
            if isinstance(value, cr.Tensor) and (value.dtype == p.dtype or key == "step"):
                assert fresh.opt.state[p][key] is value, key
    fresh.rng = np.random.default_rng(11)
    for _ in range(2):
        fresh.step()
    fresh.same()


@pytest.mark.parametrize("config", ["Adam", "NAdam", "ASGD", "Rprop"])
def test_plain_number_scalars_load_as_tensors(config):
    """A state_dict with plain numbers where PyTorch now keeps 0-d tensors (older PyTorch's, or
    chainrule's JSON checkpoints) loads as PyTorch's ``__setstate__`` loads it."""
    name, options = CONFIGS[config]
    pair = Pair(name, options, seed=12)
    for _ in range(2):
        pair.step(skip_some=False)
    numbers = ("step", "mu_product", "eta", "mu")
    for opt in (pair.opt, pair.topt):
        saved = copy.deepcopy(opt.state_dict())
        for s in saved["state"].values():
            for key in numbers:
                if key in s:
                    s[key] = s[key].item()
        opt.load_state_dict(saved)
    pair.same()
    pair.step(skip_some=False)
    pair.same()
