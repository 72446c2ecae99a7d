"""Resampling layers (PyTorch's names and arguments): Upsample, UpsamplingNearest2d,
UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle, Unfold, Fold, and the similarity modules
CosineSimilarity and PairwiseDistance. Each is a thin module over a function of
chainrule/ops/resample.py, unfold.py or similarity.py, where the mathematics is stated."""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import resample as R
from ...ops import similarity as S
from ...ops import unfold as U
from ..module import Module


def _formula(name: str, forward: str, derivative: str, forward_tex: str, derivative_tex: str,
             why: str) -> Formula:
    return Formula.of(name, [("Forward", forward), ("Derivative", derivative)],
                      [forward_tex, derivative_tex], why)


class Upsample(Module):
    """Upsample (N, C, d₁…d_k) input to ``size`` or by ``scale_factor`` with ``mode`` 'nearest',
    'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' or 'area' (F.interpolate)."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) \
            else (tuple(float(f) for f in scale_factor) if scale_factor else None)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):  # noqa: A002
        return R.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"

    def formula(self) -> Formula:
        return _formula(type(self).__name__,
                        "y[…, j] = Σ_t w_t(j) · x[…, i_t(j)] along each spatial axis",
                        "∂L/∂x[…, i] = Σ_{(j, t): i_t(j) = i} w_t(j) · G[…, j]",
                        r"y_{\ldots,j} = \sum_t w_t(j)\, x_{\ldots,i_t(j)}",
                        r"\frac{\partial L}{\partial x_i} = \sum_{(j,t):\,i_t(j)=i} w_t(j)\,G_j",
                        f"{self.mode} interpolation: each output reads a few input taps with fixed "
                        "weights, so each input collects the weighted gradients of its readers.")


class UpsamplingNearest2d(Upsample):
    """2-D nearest-neighbour upsampling (``Upsample(mode='nearest')``)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-D bilinear upsampling with align_corners=True (``Upsample(mode='bilinear',
    align_corners=True)``)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C·r², H, W) → (*, C, H·r, W·r) (sub-pixel convolution's rearrangement)."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):  # noqa: A002
        return R.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"

    def formula(self) -> Formula:
        return _formula("PixelShuffle", "y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]",
                        "∂L/∂x = the same rearrangement of G, inverted",
                        r"y_{c,\,hr+i,\,wr+j} = x_{cr^2+ir+j,\,h,\,w}",
                        r"\frac{\partial L}{\partial x} = \operatorname{unshuffle}(G)",
                        "A permutation of entries: gradients are permuted back.")


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):  # noqa: A002
        return R.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"

    def formula(self) -> Formula:
        return _formula("PixelUnshuffle", "y[c·r² + i·r + j, h, w] = x[c, h·r + i, w·r + j]",
                        "∂L/∂x = the same rearrangement of G, inverted",
                        r"y_{cr^2+ir+j,\,h,\,w} = x_{c,\,hr+i,\,wr+j}",
                        r"\frac{\partial L}{\partial x} = \operatorname{shuffle}(G)",
                        "A permutation of entries: gradients are permuted back.")


class Unfold(Module):
    """Extract sliding local blocks: (N, C, H, W) → (N, C·k_h·k_w, L) (F.unfold)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):  # noqa: A002
        return U.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")

    def formula(self) -> Formula:
        return U.Im2col.formula()


class Fold(Module):
    """Combine sliding local blocks into an image, summing overlaps (F.fold)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):  # noqa: A002
        return U.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")

    def formula(self) -> Formula:
        return U.Col2im.formula()


class CosineSimilarity(Module):
    """Σ_dim (x₁/‖x₁‖)(x₂/‖x₂‖), norms clamped below at eps (F.cosine_similarity)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return S.cosine_similarity(x1, x2, self.dim, self.eps)

    def formula(self) -> Formula:
        return _formula("CosineSimilarity", "y = Σ x₁x₂ / (max(‖x₁‖, ε)·max(‖x₂‖, ε))",
                        "∂y/∂x₁ = x₂/(‖x₁‖‖x₂‖) − y·x₁/‖x₁‖²",
                        r"y = \frac{\langle x_1, x_2\rangle}{\lVert x_1\rVert\,\lVert x_2\rVert}",
                        r"\frac{\partial y}{\partial x_1} = \frac{x_2}{\lVert x_1\rVert\lVert x_2"
                        r"\rVert} - y\,\frac{x_1}{\lVert x_1\rVert^2}",
                        "The cosine of the angle between two vectors.")


class PairwiseDistance(Module):
    """‖x₁ − x₂ + eps‖_p along the last dim (F.pairwise_distance)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return S.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def formula(self) -> Formula:
        return _formula("PairwiseDistance", "y = ‖x₁ − x₂ + ε‖_p",
                        "∂y/∂x₁ = sign(d)|d|^{p−1}/y^{p−1},  d = x₁ − x₂ + ε",
                        r"y = \lVert x_1 - x_2 + \varepsilon\rVert_p",
                        r"\frac{\partial y}{\partial x_1} = \frac{\operatorname{sign}(d)\,"
                        r"|d|^{p-1}}{y^{p-1}}",
                        "The p-norm distance between corresponding rows.")


class ChannelShuffle(Module):
    """(N, g·k, *) → the channels regrouped so that each group mixes all the others
    (ShuffleNet's channel shuffle; PyTorch's ``nn.ChannelShuffle``)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):  # noqa: A002
        return R.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"

    def formula(self) -> Formula:
        return _formula("ChannelShuffle", f"y[:, i·{self.groups} + j] = x[:, j·k + i]  "
                        f"(k = C/{self.groups})", "∂L/∂x = the inverse permutation of G",
                        r"y_{:,\,ig + j} = x_{:,\,jk + i}",
                        r"\frac{\partial L}{\partial x} = \operatorname{unshuffle}(G)",
                        "A permutation of channels: gradients are permuted back.")
