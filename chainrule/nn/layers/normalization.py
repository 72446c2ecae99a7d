"""BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm (PyTorch's names, arguments and buffers)."""
from __future__ import annotations

import math

from ...backend import get_default_dtype, int64, xp
from ...mathematics import Formula
from ...ops import norm as F
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter

_DX_TEXT = "∂L/∂x = (γ/σ̃)·(G − mean(G) − x̂·mean(G·x̂))"
_DX_LATEX = (r"\frac{\partial L}{\partial x} = \frac{\gamma}{\tilde\sigma}\left(G - "
             r"\overline{G} - \hat x\,\overline{G\hat x}\right)")


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


class _BatchNorm(Module):
    """Batch normalization: standardize each channel with batch statistics, then scale and shift.

    Forward:     y = γ (x − μ_B)/√(σ²_B + ε) + β, μ_B and σ²_B (biased) per channel over the batch
                 and spatial axes (training) or the running estimates (evaluation)
    Derivative:  ∂L/∂x = (γ/σ̃)·(G − mean(G) − x̂·mean(G·x̂)),  ∂L/∂γ = Σ G·x̂,  ∂L/∂β = Σ G
    Running:     μ̂ ← (1 − m)·μ̂ + m·μ_B,  σ̂² ← (1 − m)·σ̂² + m·σ²_B·n/(n − 1); with momentum=None,
                 m = 1/t after t batches (a cumulative average)
    Init:        γ = 1, β = 0, μ̂ = 0, σ̂² = 1
    """

    _expected = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=None, *,
                 bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = dtype or get_default_dtype()
        if affine:
            self.weight = Parameter(xp.empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(xp.empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor._make(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor._make(xp.zeros((), dtype=int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, x) -> None:
        raise NotImplementedError

    def _check_input(self, x) -> None:
        self._check_input_dim(x)
        # The channels that the tensors fix (a lazy layer loaded from a checkpoint keeps
        # num_features = 0, as PyTorch's); with none (affine=False, no running statistics) any
        # number normalizes, as in PyTorch.
        fixed = self.weight if self.weight is not None else self.running_mean
        if fixed is not None and x.shape[1] != fixed.shape[0]:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}): input of shape "
                f"{_shape(x.shape)} has {x.shape[1]} channels in axis 1, expected "
                f"{fixed.shape[0]} ({self._expected})")

    def forward(self, x):
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def _spatial(self) -> str:
        raise NotImplementedError

    def formula(self) -> Formula:
        c = self.num_features
        axes = self._spatial()
        params = f", γ, β ∈ ℝ^{{{c}}}" if self.affine else ""
        momentum = ("1/t (cumulative average)" if self.momentum is None
                    else f"{self.momentum:g}")
        pairs = [("Forward", f"y = γ ⊙ (x − μ_B)/√(σ²_B + ε) + β,  x ∈ ℝ^{{{axes}}}{params}, "
                             f"μ_B, σ²_B ∈ ℝ^{{{c}}} over (N, spatial), ε = {self.eps:g}"),
                 ("Derivative", _DX_TEXT + (",  ∂L/∂γ = Σ G·x̂,  ∂L/∂β = Σ G" if self.affine
                                            else "")),
                 ("Running", f"μ̂ ← (1 − m)μ̂ + m μ_B,  σ̂² ← (1 − m)σ̂² + m σ²_B n/(n − 1),  "
                             f"m = {momentum}"),
                 ("Evaluation", "y = γ ⊙ (x − μ̂)/√(σ̂² + ε) + β,  ∂L/∂x = (γ/√(σ̂² + ε))·G")]
        latex = [r"y = \gamma \odot \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta,\quad "
                 rf"\gamma, \beta \in \mathbb{{R}}^{{{c}}}",
                 _DX_LATEX + r",\quad \frac{\partial L}{\partial \gamma} = \textstyle\sum G\hat x,"
                 r"\quad \frac{\partial L}{\partial \beta} = \textstyle\sum G",
                 r"\hat\mu \leftarrow (1-m)\hat\mu + m\mu_B,\quad \hat\sigma^2 \leftarrow "
                 r"(1-m)\hat\sigma^2 + m\,\sigma_B^2\,\tfrac{n}{n-1}",
                 r"y = \gamma \odot \frac{x - \hat\mu}{\sqrt{\hat\sigma^2 + \epsilon}} + \beta"]
        return Formula.of(type(self).__name__, pairs, latex,
                          "Each channel is standardized with the batch's mean and variance "
                          "(running estimates in evaluation), then scaled by γ and shifted by β. "
                          "σ̃ = √(σ²_B + ε), x̂ = (x − μ_B)/σ̃, G = ∂L/∂y; means and sums run over "
                          "the batch and spatial axes of each channel.")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    __doc__ = ("Batch normalization of (N, C) or (N, C, L) input (PyTorch's ``nn.BatchNorm1d``)."
               "\n\n" + "\n".join(_BatchNorm.__doc__.splitlines()[2:]))
    _expected = "input (N, C) or (N, C, L) with C = num_features"

    def _check_input_dim(self, x) -> None:
        if x.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d(num_features={self.num_features}): expected 2-D input "
                             f"(N, {self.num_features}) or 3-D input (N, {self.num_features}, L), "
                             f"got {x.ndim}-D input of shape {_shape(x.shape)}")

    def _spatial(self) -> str:
        return f"N×{self.num_features}(×L)"


class BatchNorm2d(_BatchNorm):
    __doc__ = ("Batch normalization of (N, C, H, W) input (PyTorch's ``nn.BatchNorm2d``)."
               "\n\n" + "\n".join(_BatchNorm.__doc__.splitlines()[2:]))
    _expected = "input (N, C, H, W) with C = num_features"

    def _check_input_dim(self, x) -> None:
        if x.ndim != 4:
            raise ValueError(f"BatchNorm2d(num_features={self.num_features}): expected 4-D input "
                             f"(N, {self.num_features}, H, W), got {x.ndim}-D input of shape "
                             f"{_shape(x.shape)}")

    def _spatial(self) -> str:
        return f"N×{self.num_features}×H×W"


class LayerNorm(Module):
    """Layer normalization over the last dimensions (PyTorch's ``nn.LayerNorm``).

    Forward:     y = γ ⊙ (x − μ)/√(σ² + ε) + β, μ and σ² (biased) of each sample over the
                 normalized_shape trailing axes; γ, β of normalized_shape
    Derivative:  ∂L/∂x = (1/σ̃)·(Ĝ − mean(Ĝ) − x̂·mean(Ĝ·x̂)) with Ĝ = γ ⊙ G,
                 ∂L/∂γ = Σ G ⊙ x̂,  ∂L/∂β = Σ G (over the leading axes)
    Init:        γ = 1, β = 0
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = dtype or get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(xp.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(xp.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            trailing = ", ".join(str(s) for s in self.normalized_shape)
            raise ValueError(f"LayerNorm(normalized_shape={self.normalized_shape}): expected input "
                             f"of shape (*, {trailing}), whose last {k} dimension"
                             f"{'s' if k > 1 else ''} equal normalized_shape, got "
                             f"{_shape(x.shape)}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def formula(self) -> Formula:
        d = "×".join(str(s) for s in self.normalized_shape)
        d_tex = r"\times".join(str(s) for s in self.normalized_shape)
        n = math.prod(self.normalized_shape)
        affine = self.elementwise_affine
        params = f", γ, β ∈ ℝ^{{{d}}}" if affine else ""
        pairs = [("Forward", f"y = γ ⊙ (x − μ)/√(σ² + ε) + β,  x ∈ ℝ^{{…×{d}}}{params}, μ, σ² over "
                             f"the last {len(self.normalized_shape)} axes (n = {n}), "
                             f"ε = {self.eps:g}"),
                 ("Derivative", "∂L/∂x = (1/σ̃)·(Ĝ − mean(Ĝ) − x̂·mean(Ĝ·x̂)), Ĝ = γ ⊙ G"
                  + (",  ∂L/∂γ = Σ G ⊙ x̂,  ∂L/∂β = Σ G" if affine else ""))]
        latex = [r"y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta"
                 + (rf",\quad \gamma, \beta \in \mathbb{{R}}^{{{d_tex}}}" if affine else ""),
                 r"\frac{\partial L}{\partial x} = \frac{1}{\tilde\sigma}\left(\hat G - "
                 r"\overline{\hat G} - \hat x\,\overline{\hat G\hat x}\right),\quad "
                 r"\hat G = \gamma \odot G"]
        return Formula.of("LayerNorm", pairs, latex,
                          "Each sample is standardized over its own last axes, independent of the "
                          "batch; σ̃ = √(σ² + ε), x̂ = (x − μ)/σ̃, G = ∂L/∂y, means over the "
                          "normalized axes.")

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization (PyTorch's ``nn.GroupNorm``).

    Forward:     the C channels of (N, C, *) input in G groups of C/G; each (sample, group)
                 standardized over its channels and positions, y = γ_c x̂ + β_c
    Derivative:  ∂L/∂x = (1/σ̃)·(Ĝ − mean(Ĝ) − x̂·mean(Ĝ·x̂)) per (sample, group), Ĝ = γ ⊙ G,
                 ∂L/∂γ = Σ G·x̂,  ∂L/∂β = Σ G (over N and positions)
    Init:        γ = 1, β = 0
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        dtype = dtype or get_default_dtype()
        if affine:
            self.weight = Parameter(xp.ones(num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(xp.zeros(num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm(num_groups={self.num_groups}, num_channels="
                             f"{self.num_channels}): expected input (N, {self.num_channels}, *), "
                             f"got {_shape(x.shape)}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def formula(self) -> Formula:
        c, g = self.num_channels, self.num_groups
        params = f", γ, β ∈ ℝ^{{{c}}}" if self.affine else ""
        pairs = [("Forward", f"y = γ_c (x − μ_{{n,g}})/√(σ²_{{n,g}} + ε) + β_c,  x ∈ ℝ^{{N×{c}×…}}"
                             f"{params}, {g} groups of {c // g} channels, ε = {self.eps:g}"),
                 ("Derivative", "∂L/∂x = (1/σ̃)·(Ĝ − mean(Ĝ) − x̂·mean(Ĝ·x̂)), Ĝ = γ ⊙ G"
                  + (",  ∂L/∂γ = Σ G·x̂,  ∂L/∂β = Σ G" if self.affine else ""))]
        latex = [r"y = \gamma_c \frac{x - \mu_{n,g}}{\sqrt{\sigma_{n,g}^2 + \epsilon}} + \beta_c",
                 r"\frac{\partial L}{\partial x} = \frac{1}{\tilde\sigma}\left(\hat G - "
                 r"\overline{\hat G} - \hat x\,\overline{\hat G\hat x}\right),\quad "
                 r"\hat G = \gamma \odot G"]
        return Formula.of("GroupNorm", pairs, latex,
                          "Each sample's channels are standardized in groups (means over a "
                          "group's channels and positions), independent of the batch; "
                          "σ̃ = √(σ² + ε), x̂ = (x − μ)/σ̃, G = ∂L/∂y.")

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class BatchNorm3d(_BatchNorm):
    __doc__ = ("Batch normalization of (N, C, D, H, W) input (PyTorch's ``nn.BatchNorm3d``)."
               "\n\n" + "\n".join(_BatchNorm.__doc__.splitlines()[2:]))
    _expected = "input (N, C, D, H, W) with C = num_features"

    def _check_input_dim(self, x) -> None:
        if x.ndim != 5:
            raise ValueError(f"BatchNorm3d(num_features={self.num_features}): expected 5-D input "
                             f"(N, {self.num_features}, D, H, W), got {x.ndim}-D input of shape "
                             f"{_shape(x.shape)}")

    def _spatial(self) -> str:
        return f"N×{self.num_features}×D×H×W"


class _InstanceNorm(_BatchNorm):
    """Instance normalization: standardize each (sample, channel) over its positions.

    Forward:     y = γ_c (x − μ_{n,c})/√(σ²_{n,c} + ε) + β_c, μ and σ² (biased) over the
                 spatial axes of each sample's channel; with track_running_stats, in evaluation
                 the running estimates replace them
    Derivative:  ∂L/∂x = (γ/σ̃)·(G − mean(G) − x̂·mean(G·x̂)) per (sample, channel),
                 ∂L/∂γ = Σ G·x̂,  ∂L/∂β = Σ G
    Running:     μ̂ ← (1 − m)μ̂ + m·mean_n μ_{n,c},  σ̂² ← (1 − m)σ̂² + m·mean_n σ²_{n,c}·L/(L − 1)
    Init:        affine=False and track_running_stats=False by default (PyTorch's); γ = 1, β = 0
    """

    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, dtype=None, *,
                 bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias=bias)

    def _check_input_dim(self, x) -> None:
        nd = self._no_batch_dim
        if x.ndim not in (nd, nd + 1):
            raise ValueError(f"{type(self).__name__}(num_features={self.num_features}): "
                             f"expected {nd}D or {nd + 1}D input (got {x.ndim}D input of shape "
                             f"{_shape(x.shape)})")

    def forward(self, x):
        import warnings

        self._check_input_dim(x)
        feature_dim = x.ndim - self._no_batch_dim
        if x.shape[feature_dim] != self.num_features:
            message = (f"{type(self).__name__}: expected input's size at dim={feature_dim} to "
                       f"match num_features ({self.num_features}), but got: "
                       f"{x.shape[feature_dim]}.")
            if self.affine:
                raise ValueError(message)
            warnings.warn(message + " Since affine=False, the input is normalized per channel "
                          "anyway (no parameters depend on num_features)", stacklevel=2)
        unbatched = x.ndim == self._no_batch_dim
        if unbatched:
            x = x.unsqueeze(0)
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y

    def _spatial(self) -> str:
        return f"N×{self.num_features}×" + ("L", "H×W", "D×H×W")[self._no_batch_dim - 2]

    def formula(self) -> Formula:
        c = self.num_features
        params = f", γ, β ∈ ℝ^{{{c}}}" if self.affine else ""
        pairs = [("Forward", f"y = γ ⊙ (x − μ_{{n,c}})/√(σ²_{{n,c}} + ε) + β,  x ∈ "
                             f"ℝ^{{{self._spatial()}}}{params}, μ, σ² over the spatial axes of "
                             f"each (sample, channel), ε = {self.eps:g}"),
                 ("Derivative", _DX_TEXT + " per (sample, channel)"
                  + (",  ∂L/∂γ = Σ G·x̂,  ∂L/∂β = Σ G" if self.affine else ""))]
        latex = [r"y = \gamma \odot \frac{x - \mu_{n,c}}{\sqrt{\sigma_{n,c}^2 + \epsilon}} + "
                 r"\beta", _DX_LATEX]
        return Formula.of(type(self).__name__, pairs, latex,
                          "Each channel of each sample is standardized over its own positions "
                          "(group normalization with one channel a group); σ̃ = √(σ² + ε), "
                          "x̂ = (x − μ)/σ̃, G = ∂L/∂y.")


class InstanceNorm1d(_InstanceNorm):
    __doc__ = ("Instance normalization of (N, C, L) or (C, L) input (PyTorch's "
               "``nn.InstanceNorm1d``)." + "\n\n" + "\n".join(
                   _InstanceNorm.__doc__.splitlines()[2:]))
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    __doc__ = ("Instance normalization of (N, C, H, W) or (C, H, W) input (PyTorch's "
               "``nn.InstanceNorm2d``)." + "\n\n" + "\n".join(
                   _InstanceNorm.__doc__.splitlines()[2:]))
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    __doc__ = ("Instance normalization of (N, C, D, H, W) or (C, D, H, W) input (PyTorch's "
               "``nn.InstanceNorm3d``)." + "\n\n" + "\n".join(
                   _InstanceNorm.__doc__.splitlines()[2:]))
    _no_batch_dim = 4


class LocalResponseNorm(Module):
    """Local response normalization across channels (PyTorch's ``nn.LocalResponseNorm``).

    Forward:     y[n,c] = x[n,c] / (k + (α/size) Σ_{c′ ∈ window(c)} x[n,c′]²)^β, window(c) =
                 c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ (missing channels count as 0)
    Derivative:  ∂y[c]/∂x[c′] = δ_{cc′}/D_c^β − 2αβ x[c] x[c′] [c′ ∈ window(c)] / (size D_c^{β+1})
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def formula(self) -> Formula:
        lo, hi = self.size // 2, (self.size - 1) // 2
        d = f"D_c = {self.k:g} + ({self.alpha:g}/{self.size}) Σ_{{c′=c−{lo}}}^{{c+{hi}}} x[c′]²"
        pairs = [("Forward", f"y[n,c] = x[n,c] / D_c^{self.beta:g},  {d}"),
                 ("Derivative", f"∂y[c]/∂x[c′] = δ_cc′ / D_c^β − 2·{self.alpha:g}·{self.beta:g} "
                                f"x[c] x[c′] / ({self.size} D_c^(β+1)) for c′ in c's window")]
        latex = [r"y_{n,c} = x_{n,c} \Big/ \Big(k + \frac{\alpha}{n} \sum_{c'} x_{n,c'}^2"
                 r"\Big)^{\beta}",
                 r"\frac{\partial y_c}{\partial x_{c'}} = \frac{\delta_{cc'}}{D_c^{\beta}} - "
                 r"\frac{2\alpha\beta\, x_c x_{c'}}{n\, D_c^{\beta+1}}"]
        return Formula.of("LocalResponseNorm", pairs, latex,
                          "Each activation is divided by a power of the energy of its "
                          "neighbouring channels (lateral inhibition, as in AlexNet).")

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """Root-mean-square normalization over the last dimensions (PyTorch's ``nn.RMSNorm``).

    Forward:     y = γ ⊙ x / √(mean(x²) + ε), the mean over the normalized_shape trailing axes;
                 ε = the dtype's machine epsilon when None
    Derivative:  ∂L/∂x = (Ĝ − x̂·mean(Ĝ·x̂))/r,  r = √(mean(x²) + ε), x̂ = x/r, Ĝ = γ ⊙ G;
                 ∂L/∂γ = Σ G ⊙ x̂ (over the leading axes)
    Init:        γ = 1
    """

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(xp.ones(self.normalized_shape,
                                            dtype=dtype or get_default_dtype()))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def formula(self) -> Formula:
        d = "×".join(str(s) for s in self.normalized_shape)
        eps = "machine ε of the dtype" if self.eps is None else f"{self.eps:g}"
        pairs = [("Forward", f"y = γ ⊙ x / √(mean(x²) + ε),  mean over the last "
                             f"{len(self.normalized_shape)} axes ({d}), ε = {eps}"),
                 ("Derivative", "∂L/∂x = (Ĝ − x̂·mean(Ĝ·x̂))/r, r = √(mean(x²) + ε), x̂ = x/r, "
                                "Ĝ = γ ⊙ G")]
        latex = [r"y = \gamma \odot \frac{x}{\sqrt{\overline{x^2} + \epsilon}}",
                 r"\frac{\partial L}{\partial x} = \frac{1}{r}\left(\hat G - \hat x\,"
                 r"\overline{\hat G \hat x}\right)"]
        return Formula.of("RMSNorm", pairs, latex,
                          "Layer normalization without centring: each sample is divided by its "
                          "root mean square.")

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
