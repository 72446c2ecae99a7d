"""Adaptive softmax (Grave et al., 2017): a softmax over a large vocabulary made cheap by giving
rare classes a smaller, separate softmax (PyTorch's ``nn.AdaptiveLogSoftmaxWithLoss``)."""
from __future__ import annotations

from collections import namedtuple

from ... import ops
from ...mathematics import Formula
from ...tensor import Tensor
from ..containers import ModuleList, Sequential
from ..module import Module
from .linear import Linear

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """log p(y | x) over ``n_classes`` classes split by ``cutoffs`` c₁ < c₂ < … into a head and
    clusters: the head holds the c₁ most frequent classes and one entry per cluster; cluster k
    holds the classes [c_k, c_{k+1}) behind a smaller projection (in_features / div_valueᵏ).

    Forward:     log p(y) = log softmax(head(x))_y                         y < c₁
                 log p(y) = log softmax(head(x))_{c₁+k−1} + log softmax(tail_k(x))_{y−c_k}
                                                                 y ∈ [c_k, c_{k+1})
    Loss:        L = −(1/N) Σₙ log p(yₙ | xₙ)
    Returns (output, loss): output the N log-probabilities of the targets.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in "
                             "an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, size, bias=False, dtype=dtype)))
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection, output in self.tail:
            projection.reset_parameters()
            output.reset_parameters()

    def _batched(self, input, target):  # noqa: A002
        """(input as (N, in_features), target as (N,), whether the input was one sample)."""
        if target.ndim == 1:
            if input.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs "
                                   f"with size {list(input.shape)}")
            if input.shape[0] != target.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            return input, target, False
        if target.ndim == 0:
            if input.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs "
                                   f"with size {list(input.shape)}")
            return input.unsqueeze(0), target.unsqueeze(0), True
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")

    def forward(self, input, target):  # noqa: A002
        x, y, single = self._batched(input, target)
        n = y.shape[0]
        head_logprob = ops.log_softmax(self.head(x), dim=1)
        # which head entry each target reads: itself in the shortlist, its cluster's entry else
        head_index = y.clone()
        local = x.new_zeros(n)                  # log p(y | cluster), 0 in the shortlist
        used = int((y < self.shortlist_size).sum().item()) if n else 0
        bounds = self.cutoffs
        for k in range(self.n_clusters):
            low, high = bounds[k], bounds[k + 1]
            rows = ((y >= low) & (y < high)).nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            used += rows.numel()
            cluster_logprob = ops.log_softmax(self.tail[k](x.index_select(0, rows)), dim=1)
            picked = cluster_logprob.gather(1, (y.index_select(0, rows) - low).unsqueeze(1))
            local = local.index_copy(0, rows, picked.squeeze(1))
            head_index = head_index.index_fill(0, rows, self.shortlist_size + k)
        if used != n:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values "
                               f"in range [{y.min().item()}, {y.max().item()}] were found. ")
        output = local + head_logprob.gather(1, head_index.unsqueeze(1)).reshape(-1)
        loss = (-output).mean()
        return _ASMoutput(output.squeeze(0) if single else output, loss)

    def _full_log_prob(self, x, head_output) -> Tensor:
        head_logprob = ops.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for k, cluster in enumerate(self.tail):
            cluster_logprob = ops.log_softmax(cluster(x), dim=1)
            parts.append(cluster_logprob
                         + head_logprob[:, self.shortlist_size + k].unsqueeze(1))
        return ops.cat(parts, dim=1)

    @staticmethod
    def _matrix(input, method: str):  # noqa: A002
        """log_prob and predict take a batch (N, in_features) only, as PyTorch's."""
        if input.ndim < 2:
            raise IndexError(f"AdaptiveLogSoftmaxWithLoss.{method}: expected a 2-D input "
                             f"(N, in_features), got shape {tuple(input.shape)} (PyTorch's "
                             f"{method} takes batches only: use input.unsqueeze(0))")
        if input.ndim > 2:
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss.{method}: expected a 2-D input "
                               f"(N, in_features), got shape {tuple(input.shape)}")
        return input

    def log_prob(self, input) -> Tensor:  # noqa: A002
        """log p(c | x) for every class c: (N, n_classes)."""
        x = self._matrix(input, "log_prob")
        return self._full_log_prob(x, self.head(x))

    def predict(self, input) -> Tensor:  # noqa: A002
        """The most probable class of each sample (the argmax of :meth:`log_prob`; the head's
        argmax when it is a shortlist class, which no clustered class can then beat)."""
        x = self._matrix(input, "predict")
        head_output = self.head(x)
        best = head_output.argmax(dim=1)
        outside = best >= self.shortlist_size
        if bool(outside.any().item()):
            rows = outside.nonzero().reshape(-1)
            full = self._full_log_prob(x.index_select(0, rows), head_output.index_select(0, rows))
            best = best.index_copy(0, rows, full.argmax(dim=1))
        return best

    def formula(self) -> Formula:
        pairs = [("Forward", "log p(y) = log softmax(head x)_y  (y < c₁);  "
                             "log softmax(head x)_{cluster(y)} + log softmax(tail_k x)_{y − c_k}"),
                 ("Loss", "L = −(1/N) Σₙ log p(yₙ | xₙ)")]
        latex = [r"\log p(y) = \log\mathrm{softmax}(h x)_{y}\ (y < c_1);\quad "
                 r"\log\mathrm{softmax}(h x)_{c_1+k-1} + \log\mathrm{softmax}(t_k x)_{y-c_k}",
                 r"L = -\frac{1}{N}\sum_n \log p(y_n \mid x_n)"]
        return Formula.of("AdaptiveLogSoftmaxWithLoss", pairs, latex,
                          "Frequent classes get the full softmax of the head; each rare cluster "
                          "shares one head entry and a cheaper softmax of its own.")

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, n_classes={self.n_classes}, "
                f"cutoffs={self.cutoffs[:-1]}, div_value={self.div_value}")
