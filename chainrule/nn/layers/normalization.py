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
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

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
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}): input of shape "
                f"{_shape(x.shape)} has {x.shape[1]} channels in axis 1, expected "
                f"{self.num_features} ({self._expected})")

    def forward(self, x):
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
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
