"""Weight initialisation (PyTorch's ``torch.nn.init``), each stating the variance it preserves.

Why it matters: for y = Wx with n inputs of variance v and weights of variance σ², each output has
variance n·σ²·v. Keeping activations (forward) or gradients (backward) at a steady scale through
many layers needs σ² ≈ 1/n — with n = fan_in for the forward pass, fan_out for the backward pass,
and a gain for the nonlinearity (ReLU halves the variance, so its gain is √2).

All functions fill the tensor in place (under no_grad) from chainrule's seeded generator (or the
``generator=`` given) and return it. They compute PyTorch's bounds and standard deviations in
PyTorch's order and draw through ``Tensor.uniform_`` / ``normal_``, whose numbers are PyTorch's
(chainrule/random.py): after ``manual_seed(s)`` a layer's initial weights are PyTorch's, bit for
bit, and the stream stays in step (``orthogonal_``: see its Numerics).
"""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd.grad_mode import no_grad
from ..backend import xp
from ..tensor import Tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which a nonlinearity scales the standard deviation to be compensated."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1        # an int, as PyTorch returns
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = inputs per output unit, fan_out = outputs per input unit (× kernel size)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape "
                         f"{shape}")
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values) -> Tensor:
    """Write the host-drawn ``values`` into the tensor, in its own array library."""
    tensor._data[...] = backend.drawn_like(xp.asarray(values), tensor._data, copy=False)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """U(a, b): variance (b − a)²/12. ``tensor.uniform_(a, b)`` under no_grad, as PyTorch: the
    same numbers as PyTorch after the same seed (chainrule/random.py)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """N(mean, std²). ``tensor.normal_(mean, std)`` under no_grad, as PyTorch: the same numbers
    as PyTorch after the same seed (chainrule/random.py)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def _xavier_std(tensor: Tensor, gain: float) -> float:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: U(−a, a), a = √3·σ with σ = gain·√(2/(fan_in + fan_out)) (a = gain·√(6/(fan_in +
    fan_out)), computed in PyTorch's order so the bound rounds as PyTorch's), so Var W = σ²: a
    compromise that keeps both the forward and the backward variance near constant."""
    a = math.sqrt(3.0) * _xavier_std(tensor, gain)
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: N(0, σ²), σ = gain·√(2/(fan_in + fan_out))."""
    return normal_(tensor, 0.0, _xavier_std(tensor, gain), generator)


def _no_elements(tensor) -> bool:
    """A tensor with a zero-length axis (nn.Linear(0, k)'s weight) has nothing to draw and a fan
    of 0: PyTorch's kaiming initialisers warn and leave it, instead of dividing by zero."""
    if 0 not in tuple(tensor.shape):
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return True


def _kaiming_std(tensor, a, mode, nonlinearity) -> float:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He: U(−b, b), b = gain·√(3/fan), so Var W = gain²/fan: a ReLU network (gain² = 2) keeps
    the variance of its activations (fan_in) or of its gradients (fan_out) from layer to layer."""
    if _no_elements(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He: N(0, gain²/fan)."""
    if _no_elements(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix times gain: every singular value equals gain, so repeated
    multiplication (as in an RNN) neither shrinks nor blows up any direction.

    As PyTorch: a rows × cols matrix of N(0, 1) in the tensor's dtype (cols = the other axes
    flattened), transposed when rows < cols; its QR factorisation, Q's columns multiplied by
    sign(diag R) (Haar-distributed Q); transposed back, copied in and scaled by gain.

    Numerics: the normal draws are PyTorch's, but the QR factorisation is NumPy's LAPACK, whose
    Householder steps do not round as PyTorch's (MKL's blocked) ones do: the values agree with
    PyTorch's to a few units in the last place of the dtype, not bit for bit.
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor._data.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor._data.size // rows
    flat = Tensor._make(xp.empty((rows, cols), dtype=backend.numpy_dtype(tensor.dtype)))
    flat = flat.normal_(0, 1, generator=generator)._data
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    _fill(tensor, q.reshape(tensor.shape))
    with no_grad():
        return tensor.mul_(gain)


# ------------------------------------------------------------------------------ more initialisers
# These draw through Tensor.normal_ / uniform_ and chainrule.randperm, which follow PyTorch's
# generator: with the same seed they give PyTorch's values bit for bit (float32 and float64).
def _as_dtype(value: float, tensor: Tensor) -> float:
    """A bound rounded to the tensor's dtype (PyTorch's ``tensor.new_tensor(a).item()``)."""
    return float(xp.asarray(value, dtype=tensor._data.dtype))


def _scratch(tensor: Tensor) -> Tensor:
    """A host (NumPy) tensor of ``tensor``'s shape, dtype and memory layout to draw into
    (PyTorch's ``empty_like``: a transposed tensor's draws fill it in memory order, and its
    normals take the pair path): the draws are the generator's whatever library ``tensor``
    lives in, and ``_fill`` moves the result there."""
    layout = backend.host_layout(tensor._data)
    return Tensor._make(xp.empty_like(layout, dtype=backend.numpy_dtype(tensor.dtype)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """N(mean, std²) restricted to [a, b] (PyTorch 2.13's sampler, draw for draw).

    With P = Φ((b − μ)/σ) − Φ((a − μ)/σ) the mass inside the bounds:

    - P > 0.3: draw N(μ, σ²) for every entry, and redraw (a whole new tensor of normals each
      round, keeping only the entries still out of [a, b]) until all are inside;
    - otherwise (a narrow or far window): rejection from U(a, b) under the envelope of the
      density's peak m = clip(μ, a, b): accept x when log u ≤ −½((x − μ)/σ)² + ½((m − μ)/σ)²,
      u ~ U(0, 1), drawing proposals and u for the whole tensor each round.

    Either way every value is a sample of the truncated normal, exactly inside [a, b].
    A mean more than 2σ outside [a, b] warns, as in PyTorch.
    """
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)

    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    draw = _scratch(tensor)
    dtype = draw._data.dtype
    p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
    if p > 0.3:
        lo, hi = float(xp.asarray(a, dtype=dtype)), float(xp.asarray(b, dtype=dtype))
        result = draw.normal_(mean, std, generator=generator)._data.copy()
        while True:
            out = (result < lo) | (result > hi)
            if not out.any():
                break
            result = xp.where(out, draw.normal_(mean, std, generator=generator)._data, result)
        return _fill(tensor, result)
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def log_density(x):                # −½((x − μ)/σ)² − log_peak, in the tensor's dtype
        return ((x - dtype.type(mean)) / dtype.type(std)) ** 2 * dtype.type(-0.5) \
            - dtype.type(log_peak)

    def accepted_not(x):               # log u > log density: rejected (u drawn for every entry)
        u = draw.uniform_(generator=generator)._data
        with xp.errstate(divide="ignore"):
            return xp.log(u) > log_density(x)

    result = draw.uniform_(a, b, generator=generator)._data.copy()
    pending = accepted_not(result)
    while pending.any():
        proposal = draw.uniform_(a, b, generator=generator)._data.copy()
        result = xp.where(pending, proposal, result)
        pending = xp.where(pending, accepted_not(proposal), pending)
    return _fill(tensor, result)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-d tensor; ones on the diagonal of a rectangular one): a Linear
    layer so initialised passes as many of its inputs through unchanged as it can."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, xp.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta (a {3, 4, 5}-d convolution weight): output channel d of each of the
    ``groups`` groups copies input channel d at the kernel's centre, so the convolution passes
    min(out/groups, in) channels through unchanged."""
    dimensions = tensor.ndim
    if dimensions not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    values = xp.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            values[(g * out_chans_per_grp + d, d) + centre] = 1
    return _fill(tensor, values)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A sparse matrix (Martens, 2010): N(0, std²) entries, then in each column
    ⌈sparsity·rows⌉ of them, at random rows (``chainrule.randperm``), set to zero."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    from ..ops import randperm

    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    values = _scratch(tensor).normal_(0, std, generator=generator)._data
    for col_idx in range(cols):
        zero_indices = backend.to_numpy(randperm(rows)._data)[:num_zeros]
        values[zero_indices, col_idx] = 0
    return _fill(tensor, values)


def _make_deprecate(meth):
    """PyTorch's old names without the underscore: the same function, with a FutureWarning."""
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = (f"{old_name}(...)\n\n    Deprecated in favor of "
                               f":func:`{new_name}` (warns FutureWarning); see it for details.")
    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
