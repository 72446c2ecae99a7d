"""The layer suite a second time, on array_api_strict arrays (issue 17, part 2).

The conformance tables (tests/conformance/table_layers.py: convolutions, pooling, normalization
and padding, as modules and as functions; table_core_nn.py: linear, activations, embedding,
dropout, containers, recurrent and transformer layers, optimizers; table_losses_optim.py: the
other losses, the Transformer's decoder side, parameter vectors, more optimizers; and the
tensor-level tables: views, extras, core, functional, core_tensor, core_methods, math, shape) are
programs
``fn(L, *inputs)`` written once for PyTorch and chainrule. Here each runs twice in chainrule: on
NumPy arrays, and on array_api_strict arrays (the modules the program builds, its tensors and the
tensors its factories make hold array_api_strict arrays). Outputs and the gradients of the inputs
must be array_api_strict arrays equal to the NumPy run's (rtol 1e-12; atol 1e-12 on the scale of
the values, as the primitive suite).
"""
from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend

HERE = Path(__file__).resolve().parent.parent
for folder in (HERE, HERE / "conformance"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

xs = pytest.importorskip("array_api_strict")
pytest.importorskip("torch")                     # the tables' harness imports it
from harness import Spec, case, floats  # noqa: E402

StrictArray = type(xs.asarray(0.0))
TABLES = ("table_layers", "table_core_nn", "table_losses_optim", "table_special", "table_views",
          "table_extras", "table_core", "table_functional", "table_core_tensor",
          "table_core_methods", "table_math", "table_shape", "table_toplevel",
          "table_toplevel_more", "table_nn_utils_more")
FACTORIES = ("zeros", "ones", "full", "empty", "arange", "linspace", "logspace", "eye", "rand",
             "randn", "randint", "randperm", "zeros_like", "ones_like", "full_like", "empty_like",
             "rand_like", "randn_like", "scalar_tensor", "tril_indices", "triu_indices",
             "hann_window", "hamming_window", "blackman_window", "bartlett_window",
             "kaiser_window")


def _strict(t):
    """``t`` (a Tensor or Module) with its arrays replaced by array_api_strict copies."""
    tensors = [t] if isinstance(t, cr.Tensor) else list(t.parameters()) + list(t.buffers())
    for u in tensors:
        if type(u._data) is np.ndarray:
            u._data = xs.asarray(u._data)
    return t


class _StrictNN:
    """``chainrule.nn`` whose Modules hold array_api_strict arrays."""

    def __getattr__(self, name):
        found = getattr(cr.nn, name)
        if found is cr.nn.Module:       # a base class for the program's own modules, whose
            return found                # layers, parameters and buffers are made strict here
        if inspect.isclass(found) and issubclass(found, cr.nn.Module):
            return _strict_class(found)
        return found


_STRICT_CLASSES: dict = {}


def _strict_class(cls):
    """A subclass of the Module class ``cls`` whose instances hold array_api_strict arrays once
    built (a class, so that its static methods, e.g. Transformer.generate_square_subsequent_mask,
    and isinstance keep working)."""
    if cls not in _STRICT_CLASSES:
        def __init__(self, *args, **kwargs):
            cls.__init__(self, *args, **kwargs)
            _strict(self)

        body = {"__init__": __init__, "__module__": cls.__module__}
        mask = getattr(cls, "generate_square_subsequent_mask", None)
        if mask is not None:            # a factory (of the default device) as L.zeros is
            body["generate_square_subsequent_mask"] = staticmethod(
                lambda *args, **kwargs: _strict(mask(*args, **kwargs)))
        _STRICT_CLASSES[cls] = type(cls.__name__, (cls,), body)
    return _STRICT_CLASSES[cls]


class OnStrict:
    """``chainrule`` as seen by a program whose tensors all hold array_api_strict arrays."""

    nn = _StrictNN()

    def __getattr__(self, name):
        found = getattr(cr, name)
        if name in FACTORIES:
            return lambda *args, **kwargs: _strict(found(*args, **kwargs))
        return found

    @staticmethod
    def tensor(data, dtype=None, requires_grad=False):
        t = _strict(cr.tensor(data, dtype=dtype))
        return t.requires_grad_(True) if requires_grad else t


def _module_of_any_library(L, name, *args, **kwargs):
    """table_layers' ``_module`` (float64, parameters and float buffers drawn from a fixed seed)
    with its floating-point test written ``is_floating_point()``: the table's
    ``v.dtype in (L.float32, L.float64)`` compares an array_api_strict dtype with NumPy's, which
    is never equal, so the strict run would keep the module's random initialisation."""
    m = getattr(L.nn, name)(*args, **kwargs).double()
    rng = np.random.default_rng(7)
    state = {k: L.tensor(rng.uniform(0.5, 1.5, tuple(v.shape))) if v.is_floating_point()
             else L.tensor(v.numpy()) for k, v in m.state_dict().items()}
    m.load_state_dict(state)
    return m


@pytest.fixture(autouse=True)
def _tables_on_any_library(monkeypatch):
    monkeypatch.setattr(importlib.import_module("table_layers"), "_module",
                        _module_of_any_library)


# Layer options the tables do not reach, where the layer builds constants of its own (zero keys,
# unbatched masks, the positional table): programs in the tables' form, run the same way.
_PAD_MASK = np.array([[False, True, False], [False, False, True]])


def _mha(**options):
    def program(L, x, key_padding_mask, attn_mask):
        m = L.nn.MultiheadAttention(4, 2, **options).double()
        return m(x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
    return program


EXTRA = [
    pytest.param(case(_mha(add_bias_kv=True, add_zero_attn=True), floats(3, 2, 4), _PAD_MASK,
                      floats(3, 3), grad=[0, 2]), id="MultiheadAttention-bias_kv, zero_attn"),
    pytest.param(case(lambda L, x, k, a: L.nn.MultiheadAttention(4, 2).double()(
        x, x, x, key_padding_mask=k, attn_mask=a, need_weights=False), floats(3, 4),
        _PAD_MASK[0], floats(3, 3), grad=[0, 2]), id="MultiheadAttention-unbatched"),
    pytest.param(case(lambda L, x: L.nn.SinusoidalPositionalEncoding(4).double()(x),
                      floats(3, 2, 4), grad=[0]), id="SinusoidalPositionalEncoding"),
]


# Cases left out of the strict run, each inherently NumPy-only (keep these rare).
EXCLUDED = {
    "Tensor.diagonal#0": "writes through a strided view: the standard has no views (a copy)",
    "Tensor.diagonal#1": "writes through a strided view: the standard has no views (a copy)",
    "Tensor.unfold#0": "writes through a strided view: the standard has no views (a copy)",
    "as_tensor#1": "builds a tensor from a Python list: host data gives a NumPy tensor",
    "as_tensor#3": "builds a tensor from a NumPy array on purpose: it stays NumPy",
    "from_numpy#0": "from_numpy shares a NumPy array's memory: NumPy by definition",
    "from_numpy#1": "from_numpy shares a NumPy array's memory: NumPy by definition",
    "from_numpy#2": "from_numpy shares a NumPy array's memory: NumPy by definition",
    "save#0": "a checkpoint loads CPU tensors as NumPy arrays (the host library)",
    "save#1": "a checkpoint loads CPU tensors as NumPy arrays (the host library)",
    "load#0": "a checkpoint loads CPU tensors as NumPy arrays (the host library)",
    "Tensor#2": "builds a tensor from a Python list: host data gives a NumPy tensor",
    "Tensor#3": "builds a tensor from a Python list: host data gives a NumPy tensor",
    "Tensor.half#0": "the array API standard has no float16 (array_api_strict neither)",
}
# PyTorch's typed constructors (LongTensor([1, 2]) …) from host data: NumPy tensors, as Tensor's
EXCLUDED.update({
    f"{entry.name}#{k}": "a typed constructor of host data (a list, a NumPy array) gives a NumPy "
                         "tensor, as Tensor([…]) does"
    for entry in importlib.import_module("table_core_methods").LEGACY_CONSTRUCTORS
    for k, c in enumerate(entry.cases)
    if c.label in ("data list", "NumPy int32 data", "floats truncate")})
EXCLUDED.update({f"HalfTensor#{k}": "the array API standard has no float16 (array_api_strict "
                                    "neither)" for k in (3, 6)})
EXCLUDED["Tensor.new#1"] = "builds a tensor from a Python list: host data gives a NumPy tensor"
EXCLUDED.update({      # table_toplevel_more: host data, or a DLPack capsule (NumPy reads it)
    "asarray#3": "builds a tensor from a Python list: host data gives a NumPy tensor",
    "from_dlpack#1": "a DLPack capsule names no array library: NumPy reads it (host memory)",
    "to_dlpack#0": "a DLPack capsule names no array library: NumPy reads it (host memory)"})

_SEED = ("autograd/function.py Context.lift_saved lifts only NumPy arrays (isinstance ndarray: "
         "also lift foreign arrays, else create_graph records nothing); autograd/functional.py "
         "seeds with xp.ones_like/xp.zeros_like: make them in the output's library")
_ANOMALY = ("autograd/hooks.py check_finite reads array.dtype.kind and calls xp.isnan: use "
            "dtype_kind and the array's namespace")
# Cases that fail for a reason outside this suite's files, each naming the fix (strict: a fixed
# one fails here until it is removed from this list).
# whole entries, by their name's start
EXCLUDED_NAMES = (
    # As PyTorch's, a lazy module makes its parameters at its first call on the placeholders'
    # device (the CPU unless .to() moved them), whatever the input's: the suite replaces a
    # module's arrays by strict ones when it is built, and a lazy module has none until then.
    "nn.Lazy",
    # PyTorch's apply_/map_/map2_ call a Python function per element of a CPU tensor; on another
    # array library chainrule raises, as PyTorch does on a GPU tensor.
    "Tensor.apply_", "Tensor.map_", "Tensor.map2_")

PENDING = {
    "logcumsumexp#4": ("float32: ops/cumulative_standard.py's prefix scan rounds differently "
                       "from NumPy's sequential logaddexp.accumulate (docs/array_api.md); a "
                       "sequential scan with the standard's logaddexp would give NumPy's bits"),
    "nn.utils.parametrizations.orthogonal#1": (  # table_nn_utils_more
        "ops/linalg_extra.py matrix_exp adds a NumPy identity to the argument: build it with "
        "asarray_like(…, A._data)"),
    "nn.utils.clip_grad_norm#0": (  # table_nn_utils_more
        "nn/utils/clip_grad.py get_total_norm stacks and scales with NumPy's xp (object arrays "
        "of foreign 0-d arrays): use the gradients' namespace"),
}


def _cases():
    found = []
    for table in TABLES:
        module = importlib.import_module(table)
        # ENTRIES is the table's whole list (its parts CONV, POOL, … are lists too: read once)
        for entry in module.ENTRIES:
            for k, c in enumerate(entry.cases):
                if c.raises or c.xfail or c.drawn or c.compare != "values":
                    continue
                key = f"{entry.name}#{k}"
                if key in EXCLUDED or entry.name.startswith(EXCLUDED_NAMES):
                    continue
                marks = [pytest.mark.xfail(reason=PENDING[key], strict=True)] \
                    if key in PENDING else []
                found.append(pytest.param(c, id=key + (f"-{c.label}" if c.label else ""),
                                          marks=marks))
    return found


def _outputs(result) -> list:
    if isinstance(result, cr.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _outputs(r)]
    return []


def _run(c, L, arrays, weights):
    inputs = [L.tensor(a.copy(), requires_grad=i in c.grad) if isinstance(a, np.ndarray)
              else a for i, a in enumerate(arrays)]
    cr.manual_seed(0)
    outs = _outputs(c.fn(L, *inputs))
    if not c.grad:          # the program backpropagated itself (its gradients are outputs)
        return outs, []
    total = None
    for t, w in zip(outs, weights(outs)):
        if t.requires_grad and backend.dtype_kind(t.dtype) == "f":
            term = (t * L.tensor(w.astype(backend.numpy_dtype(t.dtype)))).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = [inputs[i].grad for i in c.grad]
    return outs, grads


def _assert_same(got, expected, where):
    if expected is None:
        assert got is None or not np.any(backend.to_numpy(got._data)), f"{where}: expected none"
        return
    assert got is not None, f"{where}: missing on array_api_strict"
    assert isinstance(got._data, StrictArray), \
        f"{where}: a {type(got._data).__name__}, not an array_api_strict array"
    a, e = backend.to_numpy(got._data), expected._data
    assert a.shape == e.shape and a.dtype == e.dtype, \
        f"{where}: {a.shape} {a.dtype}, NumPy run {e.shape} {e.dtype}"
    if e.dtype.kind in "fc":
        scale = max(1.0, float(np.max(np.abs(e[np.isfinite(e)])))) if np.isfinite(e).any() \
            else 1.0
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12 * scale, equal_nan=True,
                                   err_msg=where)
    else:
        np.testing.assert_array_equal(a, e, err_msg=where)


@pytest.mark.parametrize("c", _cases() + EXTRA)
def test_layer_case_on_array_api_strict_equals_numpy(c):
    rng = np.random.default_rng(0)
    arrays = [spec.draw(rng, None) if isinstance(spec, Spec) else spec for spec in c.inputs]
    drawn = []

    def weights(outs):
        while len(drawn) < len(outs):
            drawn.append(rng.standard_normal(tuple(outs[len(drawn)].shape)))
        return drawn

    expected, expected_grads = _run(c, cr, arrays, weights)
    got, got_grads = _run(c, OnStrict(), arrays, weights)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        _assert_same(g, e, f"{c.describe()}: output {i}")
    for i, g, e in zip(c.grad, got_grads, expected_grads):
        _assert_same(g, e, f"{c.describe()}: gradient of input {i}")


@pytest.mark.parametrize("name", ["dropout", "dropout2d"])
def test_seeded_dropout_on_array_api_strict_equals_numpy(name):
    """The tables leave out random programs; dropout's mask is drawn on the host from the seeded
    generator and moved, so a seeded strict run drops exactly the NumPy run's units."""
    x = np.random.default_rng(1).standard_normal((4, 6, 3, 2))
    results = []
    for L in (cr, OnStrict()):
        t = L.tensor(x.copy(), requires_grad=True)
        cr.manual_seed(5)
        y = getattr(L.nn.functional, name)(t, 0.3)
        (y * y).sum().backward()
        results.append((y, t.grad))
    for i, (got, expected) in enumerate(zip(results[1], results[0])):
        assert isinstance(got._data, StrictArray)
        np.testing.assert_array_equal(backend.to_numpy(got._data), expected._data, err_msg=str(i))
    assert 0 < np.count_nonzero(results[0][0]._data == 0) < x.size    # some dropped, not all


def test_asarray_like_moves_host_constants_only_to_other_libraries():
    a = np.arange(6.0).reshape(2, 3)
    assert backend.asarray_like(a, np.zeros(1)) is a
    assert backend.asarray_like(a, 1.0) is a
    moved = backend.asarray_like(a, xs.asarray([1.0]))
    assert isinstance(moved, StrictArray) and moved.dtype == xs.float64
    np.testing.assert_array_equal(backend.to_numpy(moved), a)


@pytest.mark.parametrize("name", ["L1", "L2", "ElasticNet"])
def test_regularizer_steps_on_array_api_strict_equal_numpy(name):
    """optim.regularization's (sub)gradients and proximal steps compute in the weight's library."""
    from chainrule.optim import regularization

    reg = getattr(regularization, name)(*([0.1, 0.2] if name == "ElasticNet" else [0.1]))
    w = np.random.default_rng(2).standard_normal((4, 5))
    for got, expected in ((reg.gradient(OnStrict.tensor(w)), reg.gradient(cr.tensor(w))),
                          (reg.proximal(OnStrict.tensor(w), 0.5), reg.proximal(cr.tensor(w), 0.5))):
        assert isinstance(got, StrictArray)
        np.testing.assert_array_equal(backend.to_numpy(got), expected)
