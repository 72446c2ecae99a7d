r"""Spectral normalization by a forward pre-hook (PyTorch's ``torch.nn.utils.spectral_norm`` /
``remove_spectral_norm``; the parametrization form is
``nn.utils.parametrizations.spectral_norm``).

Miyato et al. (2018) divide a weight by its largest singular value, so that the layer is
1-Lipschitz (a GAN discriminator's usual constraint):

.. code-block:: text

    W_SN = W / σ(W),   σ(W) = max_{h ≠ 0} ‖W h‖₂ / ‖h‖₂ ≈ uᵀ W v
    power iteration (no gradient):  v ← normalize(Wᵀ u),  u ← normalize(W v)
    ∂L/∂W = (G − ⟨G, W_SN⟩ · u vᵀ) / σ      (through W/σ with u, v held fixed; G = ∂L/∂W_SN)

W is the weight reshaped to a matrix with the output axis ``dim`` first. ``spectral_norm``
moves the parameter to ``<name>_orig`` and keeps u and v as the buffers ``<name>_u`` and
``<name>_v`` (drawn N(0, 1) from chainrule's generator, then normalized: PyTorch's draws for
the same seed); a forward pre-hook sets ``module.<name>`` (a plain tensor attribute) before
every call, running ``n_power_iterations`` steps in training mode only.
"""
from __future__ import annotations

from ... import ops
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..functional import normalize
from ..module import Module
from ..parameter import Parameter, is_lazy

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _normalize_into(target: Tensor, x: Tensor, eps: float) -> Tensor:
    """``F.normalize(x, dim=0, eps=eps, out=target)``: written into ``target``'s array."""
    target._data[...] = normalize(x, dim=0, eps=eps)._data
    return target


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` = W / σ(W) before each call."""

    _version: int = 1
    name: str
    dim: int
    n_power_iterations: int
    eps: float

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a matrix whose rows run along ``dim`` (the output axis)."""
        weight_mat = weight
        if self.dim != 0:
            weight_mat = weight_mat.permute(self.dim,
                                            *[d for d in range(weight_mat.dim()) if d != self.dim])
        height = weight_mat.size(0)
        return weight_mat.reshape(height, -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v = _normalize_into(v, ops.mv(weight_mat.t(), u), self.eps)
                    u = _normalize_into(u, ops.mv(weight_mat, v), self.eps)
                # clones: a second forward's update must not change what the first one saved
                u = u.clone()
                v = v.clone()
        sigma = ops.dot(u, ops.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name,
                self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError("Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if is_lazy(weight):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "spectral normalization")
        with no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def _default_dim(module: Module) -> int:
    """1 for a transposed convolution (its weight is (in, out, …)), else 0."""
    from ..layers.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm σ(W), estimated by power iteration (see
    the module docstring); ``dim``: the output axis (default 0, 1 for ConvTranspose).
    Returns ``module``."""
    if dim is None:
        dim = _default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``module.<name>`` becomes a new Parameter holding W/σ(W)
    (with the current u, v: no further power iteration)."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
