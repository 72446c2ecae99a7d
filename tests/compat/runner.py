"""Run one PyTorch program twice — on PyTorch, and on chainrule with only its imports changed.

A program is a source file in ``programs/`` written as a PyTorch user writes it (``import torch``,
``import torch.nn as nn``, ``from torch.utils.data import DataLoader`` …). It defines

- ``build(**kw)``: the model (an ``nn.Module``, or a tuple/list of Modules and Tensors);
- ``run(model, data, **kw)``: trains/evaluates it on ``data`` (NumPy arrays made here) and returns
  a record — a dict of numbers, lists, Tensors and state_dicts (losses per step, final parameters,
  predictions).

:func:`run_program` executes the same source text twice:

1. as is, under PyTorch;
2. with every ``torch`` module path in its import lines replaced by ``chainrule``
   (``import torch`` → ``import chainrule as torch``, ``import torch.nn as nn`` →
   ``import chainrule.nn as nn``, ``from torch.optim.lr_scheduler import StepLR`` →
   ``from chainrule.optim.lr_scheduler import StepLR``), nothing else;

each with the same seed and default dtype, and with PyTorch's initial weights copied (through
NumPy) into the chainrule model before ``run``, so the two runs start from the same point and
see the same data. :func:`assert_records_close` then compares the two records.

Agreement is measured relative to each array's magnitude:
``|a − b| ≤ rtol · (|b| + max|b|)`` element-wise, so a weight that is tiny next to its
neighbours is held to the array's scale rather than to its own (a bias that starts at 0 would
otherwise demand agreement to an absolute 1e-20). Integers and booleans must be equal.
"""
from __future__ import annotations

import re
import types
from collections.abc import Mapping
from pathlib import Path

import numpy as np

PROGRAMS = Path(__file__).parent / "programs"

_IMPORT = re.compile(r"^(?P<indent>\s*)import\s+torch(?P<sub>(?:\.\w+)*)(?P<alias>\s+as\s+\w+)?"
                     r"\s*(?P<rest>#.*)?$")
_FROM = re.compile(r"^(?P<indent>\s*)from\s+torch(?P<sub>(?:\.\w+)*)\s+import\b")


def to_chainrule(source: str) -> str:
    """The program's text with ``torch`` → ``chainrule`` in its import lines, and nowhere else.

    The names the imports bind stay the same (``import torch`` binds ``torch``), so the body of
    the program is untouched.
    """
    out = []
    for line in source.splitlines(keepends=True):
        end = "\n" if line.endswith("\n") else ""
        body = line.rstrip("\n")
        m = _IMPORT.match(body)
        if m and "," not in body:
            indent, sub, alias = m["indent"], m["sub"], m["alias"]
            if alias:
                body = f"{indent}import chainrule{sub}{alias}"
            elif sub:   # `import torch.nn` binds `torch`: import the submodule, then bind torch
                body = f"{indent}import chainrule{sub}; import chainrule as torch"
            else:
                body = f"{indent}import chainrule as torch"
        elif _FROM.match(body):
            body = _FROM.sub(lambda m: f"{m['indent']}from chainrule{m['sub']} import", body)
        elif re.match(r"^\s*(import|from)\s+torch\b", body):
            raise ValueError(f"to_chainrule: cannot rewrite the import line {body!r}")
        out.append(body + end)
    return "".join(out)


def load_program(name: str, lib: str) -> types.ModuleType:
    """Execute ``programs/<name>.py`` for ``lib`` ("torch" or "chainrule") as a fresh module."""
    path = PROGRAMS / f"{name}.py"
    source = path.read_text()
    if not source.startswith("import torch\n"):
        raise ValueError(f"{path}: a program's first line must be `import torch`")
    if lib == "chainrule":
        source = to_chainrule(source)
    elif lib != "torch":
        raise ValueError(f"load_program: lib must be 'torch' or 'chainrule', got {lib!r}")
    module = types.ModuleType(f"compat_{name}_{lib}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def library(lib: str):
    if lib == "torch":
        import torch
        return torch
    import chainrule
    return chainrule


# ----------------------------------------------------------------------------- NumPy conversion
def to_numpy(value):
    """A record with every Tensor (torch or chainrule) replaced by a NumPy array, recursively."""
    if isinstance(value, Mapping):
        return {str(k): to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return np.array(value.detach().numpy(), copy=True)
    return value


def _tensors(model) -> list:
    """The (name, tensor) pairs that define ``model``'s state, in a fixed order."""
    if hasattr(model, "state_dict"):
        return list(model.state_dict().items())
    if isinstance(model, (list, tuple)):
        pairs = []
        for i, part in enumerate(model):
            pairs += [(f"{i}.{k}" if k else str(i), t) for k, t in _tensors(part)]
        return pairs
    if hasattr(model, "detach"):
        return [("", model)]
    raise TypeError(f"runner: cannot take the state of a {type(model).__name__}")


def get_state(model) -> dict:
    return {k: np.array(t.detach().numpy(), copy=True) for k, t in _tensors(model)}


def set_state(lib, model, state: Mapping) -> None:
    """Write ``state`` (NumPy arrays, as :func:`get_state` gave) into ``model``, in place."""
    pairs = _tensors(model)
    names = [k for k, _ in pairs]
    if sorted(names) != sorted(state):
        raise KeyError(f"runner: the two models' states have different keys:\n  torch: "
                       f"{sorted(state)}\n  {lib.__name__}: {sorted(names)}")
    if hasattr(model, "load_state_dict"):
        model.load_state_dict({k: lib.from_numpy(np.array(v, copy=True)) for k, v in state.items()})
        return
    if isinstance(model, (list, tuple)):
        for i, part in enumerate(model):
            prefix = f"{i}."
            sub = {k[len(prefix):] if k.startswith(prefix) else "": v for k, v in state.items()
                   if k == str(i) or k.startswith(prefix)}
            set_state(lib, part, sub)
        return
    with lib.no_grad():
        model.copy_(lib.from_numpy(np.array(state[""], copy=True)))


# ----------------------------------------------------------------------------- running
def run_once(name: str, lib_name: str, data, *, dtype: str = "float64", seed: int = 0,
             build=None, run=None, state: Mapping | None = None):
    """Build and run program ``name`` on one library; returns (initial state, record as NumPy)."""
    lib = library(lib_name)
    program = load_program(name, lib_name)
    previous = lib.get_default_dtype()
    lib.set_default_dtype(getattr(lib, dtype))
    try:
        lib.manual_seed(seed)
        model = program.build(**(build or {}))
        if state is not None:
            set_state(lib, model, state)
        initial = get_state(model)
        record = program.run(model, data, **(run or {}))
    finally:
        lib.set_default_dtype(previous)
    return initial, to_numpy(record)


def eval_models(name: str, *, dtype: str = "float64", build=None):
    """Yield (lib, program, model) for PyTorch, then chainrule: program ``name``'s model built
    in each library, chainrule's with PyTorch's initial weights, in eval mode, with ``dtype`` the
    default dtype until the caller's next step."""
    state = None
    for lib_name in ("torch", "chainrule"):
        lib = library(lib_name)
        program = load_program(name, lib_name)
        previous = lib.get_default_dtype()
        lib.set_default_dtype(getattr(lib, dtype))
        try:
            lib.manual_seed(0)
            model = program.build(**(build or {}))
            if state is None:
                state = get_state(model)
            else:
                set_state(lib, model, state)
            model.eval()
            yield lib, program, model
        finally:
            lib.set_default_dtype(previous)


def run_program(name: str, data, *, dtype: str = "float64", seed: int = 0, build=None, run=None):
    """Run ``name`` on PyTorch, then on chainrule from PyTorch's initial weights.

    Returns ``(torch_record, chainrule_record)``, both with NumPy arrays in place of Tensors.
    """
    state, torch_record = run_once(name, "torch", data, dtype=dtype, seed=seed, build=build,
                                   run=run)
    initial, chainrule_record = run_once(name, "chainrule", data, dtype=dtype, seed=seed,
                                         build=build, run=run, state=state)
    assert_records_close(initial, state, rtol=0.0, where="initial state")
    return torch_record, chainrule_record


# ----------------------------------------------------------------------------- comparison
TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
DTYPES = list(TOLERANCE)


def compare(name, data, dtype, build=None, run=None, min_steps=10, loss_key="losses",
            text_key=None):
    """Run ``name`` on both libraries (:func:`run_program`); assert that enough steps were
    recorded under ``loss_key`` and that the records agree to ``TOLERANCE[dtype]``. ``text_key``
    names an entry of strings, compared for equality apart from the numbers."""
    expected, actual = run_program(name, data, dtype=dtype, build=build, run=run)
    assert len(expected[loss_key]) >= min_steps, \
        f"{name}: only {len(expected[loss_key])} steps recorded, wanted ≥ {min_steps}"
    if text_key is not None:
        assert actual.pop(text_key) == expected.pop(text_key), f"{name}[{text_key!r}] differ"
    assert_records_close(actual, expected, TOLERANCE[dtype], where=name)
    return expected, actual


def assert_records_close(actual, expected, rtol: float, where: str = "record") -> None:
    """Assert two records (chainrule's, PyTorch's) agree: same structure, numbers to ``rtol``."""
    if isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{where}: expected a mapping, got {type(actual)}"
        assert sorted(actual) == sorted(expected), \
            f"{where}: keys differ: {sorted(actual)} vs {sorted(expected)}"
        for k in expected:
            assert_records_close(actual[k], expected[k], rtol, f"{where}[{k!r}]")
        return
    if isinstance(expected, list) and not all(isinstance(v, (int, float)) for v in expected):
        assert isinstance(actual, list) and len(actual) == len(expected), \
            f"{where}: expected a list of {len(expected)}, got {actual!r:.200}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_records_close(a, e, rtol, f"{where}[{i}]")
        return
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray) and actual.dtype == expected.dtype, \
            f"{where}: expected a {expected.dtype} array, got {type(actual).__name__} " \
            f"{getattr(actual, 'dtype', '')}"
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape, f"{where}: shape {a.shape} != PyTorch's {e.shape}"
    if e.dtype.kind in "iub":
        np.testing.assert_array_equal(a, e, err_msg=f"{where}: integers differ")
        return
    assert a.dtype.kind in "fiu", f"{where}: dtype {a.dtype} is not numeric"
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    scale = np.max(np.abs(e64)) if e64.size else 0.0
    err = np.abs(a64 - e64)
    bound = rtol * (np.abs(e64) + scale)
    if not np.all(err <= bound):
        i = np.unravel_index(np.argmax(err - bound), err.shape) if err.ndim else ()
        raise AssertionError(
            f"{where}: chainrule and PyTorch differ beyond rtol={rtol:g} (relative to the array's "
            f"magnitude {scale:.3g}): worst at {i}: chainrule {a64[i]!r} vs PyTorch {e64[i]!r} "
            f"(|diff| {err[i]:.3g}); max relative difference {np.max(err / (scale or 1)):.3g}")


# ----------------------------------------------------------------------------- data
def mnist_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` MNIST-format samples: 28×28 uint8 images (a per-class template plus noise), labels.

    Learnable on purpose (each class has its own template), so a few steps lower the loss.
    """
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, (10, 28, 28))
    labels = rng.integers(0, 10, n).astype(np.int64)
    noise = rng.normal(0.0, 40.0, (n, 28, 28))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def mnist_data(n_train: int, n_test: int, seed: int = 0) -> dict:
    images, labels = mnist_like(n_train + n_test, seed)
    return {"train": (images[:n_train], labels[:n_train]),
            "test": (images[n_train:], labels[n_train:])}


def corpus(n_train: int, n_valid: int, ntokens: int = 50, seed: int = 0) -> dict:
    """Token ids (int64) with structure to learn: mostly ``next = (prev + 7) mod ntokens``."""
    rng = np.random.default_rng(seed)
    n = n_train + n_valid
    ids = (np.arange(n) * 7 + rng.integers(0, 3, n)) % ntokens
    ids = ids.astype(np.int64)
    return {"train": ids[:n_train], "valid": ids[n_train:]}


def sine_waves(n: int = 20, length: int = 100, period: int = 20, seed: int = 2) -> np.ndarray:
    """pytorch/examples time_sequence_prediction's data: n shifted sines, float64 (n×length)."""
    rng = np.random.default_rng(seed)
    x = np.arange(length) + rng.integers(-4 * period, 4 * period, n).reshape(n, 1)
    return np.sin(x / 1.0 / period).astype(np.float64)


def regression(n: int = 64, features: int = 4, seed: int = 0) -> dict:
    """Inputs x ~ N(0, 1) (n×features) and targets y = tanh(Σ x) (float64)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    return {"x": x, "y": np.tanh(x.sum(1))}
