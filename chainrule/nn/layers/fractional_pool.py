"""Fractional max pooling layers (PyTorch's ``nn.FractionalMaxPool2d`` and ``3d``): the functions
of ops/fractional_pool.py with their sizes kept on the module."""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import fractional_pool as F
from ..module import Module


class _FractionalMaxPool(Module):
    dims = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None):
        super().__init__()
        name = type(self).__name__
        n = self.dims
        self.kernel_size = F._tuple(kernel_size, n, "kernel_size", name)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = F._tuple(output_size, n, "output_size", name)
        self.output_ratio = F._tuple(output_ratio, n, "output_ratio", name)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):  # noqa: A002
        pool = F.fractional_max_pool2d if self.dims == 2 else F.fractional_max_pool3d
        return pool(input, self.kernel_size, self.output_size, self.output_ratio,
                    self.return_indices, _random_samples=self._random_samples)

    def formula(self) -> Formula:
        pairs = [("Forward", "y_{ij} = max over the window starting at (sᵢ, tⱼ), "
                             "sᵢ = ⌊(i + u)α⌋ − ⌊uα⌋, α = (n − k)/(m − 1)"),
                 ("Derivative", "∂L/∂x = G at each window's maximum, 0 elsewhere")]
        latex = [r"y_{ij} = \max_{(p,q) \in W_{ij}} x_{pq},\quad s_i = \lfloor (i+u)\alpha "
                 r"\rfloor - \lfloor u\alpha \rfloor,\ \alpha = \frac{n-k}{m-1}",
                 r"\frac{\partial L}{\partial x_{pq}} = \sum_{ij : (p,q) = \arg\max W_{ij}} "
                 r"G_{ij}"]
        return Formula.of(type(self).__name__, pairs, latex,
                          "Windows placed at pseudo-random increasing positions shrink the "
                          "input by any ratio, not only by an integer stride.")


class FractionalMaxPool2d(_FractionalMaxPool):
    """Fractional max pooling over (kh × kw) windows of (N, C, H, W) or (C, H, W) inputs."""

    dims = 2


class FractionalMaxPool3d(_FractionalMaxPool):
    """Fractional max pooling over (kt × kh × kw) windows of 5-d or 4-d inputs."""

    dims = 3
