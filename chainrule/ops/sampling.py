"""Random sampling and ``*_like`` / ``Tensor.new_*`` factories with PyTorch's signatures.

Every draw comes from the default generator or from ``generator=`` (a
:class:`chainrule.Generator`), by PyTorch's algorithms (``chainrule/random.py``): after
``manual_seed(s)`` the numbers are PyTorch's (``poisson`` and ``binomial`` too). Samples
carry no gradient (as in PyTorch, except ``normal``'s mean and std, which are reparameterised:
y = mean + std · ε).
"""
from __future__ import annotations

from .. import backend, layouts
from .. import random as _random
from ..backend import xp
from ..tensor import Tensor, tensor_method
from .creation import _float, _make, _size, full, zeros
from .creation import empty as _empty


def _gen(generator=None):
    return _random.resolve(generator)


def _arr(x):
    return x._data if isinstance(x, Tensor) else xp.asarray(x)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Samples of N(mean, std²): mean and std tensors (broadcast) or numbers with ``size``.
    With tensors, y = mean + std · ε, so gradients reach mean and std (reparameterisation)."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal(): with a float mean and std, size is required")
        shape = _size((size,) if isinstance(size, int) else (tuple(size),))
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        values = _gen(generator).normal_(shape, _float(dtype), mean, std)
        return _make(values, requires_grad)
    if isinstance(std, Tensor) and (std._data < 0).any() or \
            not isinstance(std, Tensor) and std < 0:
        raise RuntimeError("normal(): expects all elements of std >= 0.0")
    ref = mean if isinstance(mean, Tensor) else std
    shape = xp.broadcast_shapes(xp.shape(_arr(mean)), xp.shape(_arr(std)))
    # PyTorch: out.normal_(0, 1), then out * std + mean
    eps = Tensor._from_op(_gen(generator).normal_(shape, ref.dtype), None)
    return eps * std + mean


def randperm(n: int, *, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 … n−1 (int64)."""
    dtype = xp.int64 if dtype is None else xp.dtype(dtype)
    return _make(_gen(generator).randperm(n).astype(dtype), requires_grad)


@tensor_method
def multinomial(input, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator=None):
    """Indices drawn with probabilities proportional to the rows of ``input`` (1-d or 2-d), as
    PyTorch draws them: one sample, or without replacement, the top num_samples of p / q with
    q ~ Exp(1) (the exponential race); with replacement, the inverse of each row's normalised
    cumulative sum at u ~ U[0, 1) (:meth:`chainrule.Generator.multinomial`)."""
    # the draws come from the seeded host generator: another library's weights are read on the
    # host and the indices moved back (the same samples on every library)
    like = _arr(input)
    w = backend.to_numpy(like)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {w.ndim}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{w.dtype}")
    if (w < 0).any() or not xp.isfinite(w).all():
        raise RuntimeError("multinomial(): probability tensor contains either inf, nan or "
                           "element < 0")
    rows = w.reshape(-1, w.shape[-1])
    if (rows.sum(axis=1, dtype=xp.float64) <= 0).any():
        raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    k = rows.shape[1]
    if not replacement and num_samples > k:
        raise RuntimeError(f"multinomial(): cannot sample n_sample ({num_samples}) > "
                           f"prob_dist.size(-1) ({k}) samples without replacement")
    if num_samples <= 0:
        raise RuntimeError("multinomial(): number of samples must be positive")
    if not replacement and ((rows > 0).sum(axis=1) < num_samples).any():
        raise RuntimeError("multinomial(): invalid multinomial distribution (with "
                           "replacement=False, not enough non-negative category to sample)")
    out = _gen(generator).multinomial(rows, num_samples, replacement)
    out = out.astype(xp.int64)
    return Tensor._from_op(backend.asarray_like(out.reshape(-1) if w.ndim == 1 else out, like),
                           None)


@tensor_method
def bernoulli(input, p=None, *, generator=None):  # noqa: A002
    """1 with probability input (or ``p``), else 0, in input's dtype; drawn as PyTorch draws
    it (u < p with u in double for a number p or float64 probabilities, else in float)."""
    if p is not None and not isinstance(p, Tensor):
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        drawn = _gen(generator).bernoulli_(tuple(input.shape), p)
        return Tensor._from_op(drawn.astype(input.dtype), None)
    probs = _arr(input) if p is None else xp.broadcast_to(_arr(p), input.shape)
    if probs.size and ((probs < 0).any() or (probs > 1).any()):
        raise RuntimeError("bernoulli(): Expected p_in >= 0 && p_in <= 1")
    drawn = _gen(generator).bernoulli(backend.to_numpy(probs))
    return Tensor._from_op(backend.asarray_like(drawn.astype(input.dtype), probs), None)


def poisson(input, generator=None):  # noqa: A002
    """Samples of Poisson(rate = input), in input's dtype (float32 or float64), drawn as
    PyTorch's CPU ``poisson`` draws them (:meth:`chainrule.Generator.sample_poisson`)."""
    rate = _arr(input)
    drawn = _gen(generator).sample_poisson(backend.to_numpy(rate))
    return Tensor._from_op(backend.asarray_like(drawn, rate), None)


def binomial(count, prob, generator=None):
    """Samples of Binomial(count, prob) element-wise, in count's dtype (float32 or float64),
    drawn as PyTorch's CPU ``binomial`` draws them (BTRS or inversion:
    :meth:`chainrule.Generator.sample_binomial`); no gradient."""
    n, p = _arr(count), _arr(prob)
    if n.dtype != p.dtype:
        names = {"float16": "Half", "float32": "Float", "float64": "Double"}
        raise RuntimeError(f"binomial(): found dtype {names.get(p.dtype.name, p.dtype.name)} "
                           f"but expected {names.get(n.dtype.name, n.dtype.name)} (prob must "
                           f"have count's dtype)")
    if xp.shape(n) != xp.shape(p) and xp.broadcast_shapes(xp.shape(n), xp.shape(p)) != \
            xp.shape(n):
        raise RuntimeError(f"binomial(): prob of shape {xp.shape(p)} does not broadcast to "
                           f"count's shape {xp.shape(n)}")
    drawn = _gen(generator).sample_binomial(backend.to_numpy(n), backend.to_numpy(p))
    return Tensor._from_op(backend.asarray_like(drawn, n), None)


def _standard_gamma(input, generator=None):  # noqa: A002
    """Samples of Gamma(input, 1) (``torch._standard_gamma``), differentiable in input
    (the implicit reparameterisation gradient)."""
    from ..distributions._igamma import standard_gamma
    return standard_gamma(input, generator=generator)


def _sample_dirichlet(input, generator=None):  # noqa: A002
    """Samples of Dirichlet(input) along the last axis (``torch._sample_dirichlet``)."""
    from ..distributions.dirichlet import sample_dirichlet
    return sample_dirichlet(input, generator=generator)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None,  # noqa: A002
                 requires_grad=False):
    """Integers uniform in [low, high) with input's shape (and dtype unless ``dtype``)."""
    if high is None:
        low, high = 0, low
    dtype = input.dtype if dtype is None else xp.dtype(dtype)
    values = _gen(generator).random_(tuple(input.shape), dtype, int(low), int(high))
    out = _make(values, requires_grad)
    return layouts.relaid(out, layouts.like, input._data) if isinstance(input, Tensor) else out


def empty_like(input, *, dtype=None, requires_grad: bool = False, **_ignored):  # noqa: A002
    """An uninitialised tensor of input's shape and dtype (chainrule fills zeros)."""
    out = _empty(tuple(input.shape), dtype=input.dtype if dtype is None else dtype,
                 requires_grad=requires_grad)
    return layouts.relaid(out, layouts.like, input._data) if isinstance(input, Tensor) else out


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps), computed in float64."""
    values = base ** xp.linspace(float(start), float(end), steps, dtype=xp.float64)
    dtype = _float(dtype)
    if dtype.kind in "iu":
        values = xp.trunc(values)
    return _make(values.astype(dtype), requires_grad)


# ------------------------------------------------------------------------- Tensor.new_*
def _new_dtype(self, dtype):
    return self.dtype if dtype is None else xp.dtype(dtype)


def _beside(self, t: Tensor) -> Tensor:
    """``t`` (made on the host) in the array library of ``self``, as PyTorch's new_* put the new
    tensor on self's device (NumPy tensors: ``t`` itself)."""
    if type(self._data) is not xp.ndarray and backend.is_foreign_array(self._data):
        t._data = backend.asarray_like(t._data, self._data)
    return t


@tensor_method(name="new_zeros")
def _new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False):
    return _beside(self, zeros(_size(size), dtype=_new_dtype(self, dtype),
                               requires_grad=requires_grad))


@tensor_method(name="new_ones")
def _new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False):
    return _beside(self, _make(xp.ones(_size(size), dtype=_new_dtype(self, dtype)),
                               requires_grad))


@tensor_method(name="new_empty")
def _new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False):
    return _beside(self, _make(xp.zeros(_size(size), dtype=_new_dtype(self, dtype)),
                               requires_grad))


@tensor_method(name="new_full")
def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False):
    return _beside(self, full(size, fill_value, dtype=_new_dtype(self, dtype),
                              requires_grad=requires_grad))


@tensor_method(name="new_tensor")
def _new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False):
    """A tensor holding a copy of data; Python data takes self's dtype (PyTorch's rule)."""
    if isinstance(data, Tensor):
        array = backend.copy(data._data) if dtype is None else backend.astype(data._data, dtype)
        return _make(array, requires_grad)
    array = xp.array(data, dtype=_new_dtype(self, dtype))
    return _beside(self, _make(array, requires_grad))


__all__ = ["normal", "randperm", "multinomial", "bernoulli", "poisson", "binomial",
           "randint_like", "empty_like", "logspace"]
