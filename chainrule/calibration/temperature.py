r"""Temperature scaling (Guo et al. 2017): one scalar T > 0 that divides the logits, fitted on
validation data by minimising the negative log-likelihood.

    p(y | x) = softmax(z / T)_y                                    (z: the model's logits)
    NLL(T)   = −(1/N) Σᵢ log softmax(zᵢ/T)_{yᵢ} = (1/N) Σᵢ [log Σⱼ e^{zᵢⱼ/T} − z_{i,yᵢ}/T]
    dNLL/dT  = (1/(N T²)) Σᵢ (z_{i,yᵢ} − Σⱼ pᵢⱼ zᵢⱼ),   pᵢ = softmax(zᵢ/T)

LaTeX: \frac{\partial\,\mathrm{NLL}}{\partial T} = \frac{1}{N T^2}\sum_i \Bigl(z_{i,y_i} -
\sum_j p_{ij} z_{ij}\Bigr)

T is optimised through u = log T (T = eᵘ stays positive without a constraint), with
dNLL/du = T · dNLL/dT, by chainrule's L-BFGS with the strong-Wolfe line search on the whole
validation array (one scalar parameter, float64, the gradient by chainrule's autograd). T > 1
softens over-confident predictions, T < 1 sharpens under-confident ones; dividing every logit by
the same T > 0 never changes the argmax, so accuracy is unchanged.

When z_{i,yᵢ} exceeds every other logit of its row for every sample, each term z_{i,yᵢ} − Σⱼ pᵢⱼ
zᵢⱼ is positive, dNLL/dT > 0 for all T, and the NLL falls without bound as T → 0: there is no
minimum, and ``fit`` says so instead of returning T ≈ 0.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..mathematics import Formula
from ._arrays import check_labels, check_logits, log_softmax


def negative_log_likelihood(logits, labels, temperature: float = 1.0) -> float:
    """Mean NLL −(1/N) Σᵢ log softmax(zᵢ/T)_{yᵢ} of ``labels`` under ``logits`` (N, K) (Tensor
    or array), in nats, computed stably in float64."""
    op = "negative_log_likelihood"
    z = check_logits(logits, op)
    y = check_labels(labels, z.shape[0], z.shape[1], op)
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"{op}: temperature must be a positive finite number, got {temperature}")
    return float(-log_softmax(z / t)[np.arange(len(y)), y].mean())


class TemperatureScaling:
    r"""Post-hoc calibration by one temperature: ``fit`` T on validation logits, then
    ``transform(logits)`` = logits / T.

    Forward:     z ↦ z / T,   p = softmax(z / T)
    Derivative:  ∂(z/T)/∂z = 1/T;   dNLL/dT = (1/(N T²)) Σᵢ (z_{i,yᵢ} − Σⱼ pᵢⱼ zᵢⱼ)
    Fit:         T* = argmin_{T>0} NLL(T), optimised over u = log T by L-BFGS (strong Wolfe)

    ``temperature``: a known T to start from (``transform`` works without ``fit``); else ``fit``
    must come first.

    >>> import numpy as np
    >>> z = np.array([[4.0, 0.0], [3.0, 0.0], [0.0, 2.0], [2.5, 0.0]])
    >>> ts = TemperatureScaling().fit(z, np.array([0, 1, 1, 0]))
    >>> round(ts.temperature, 3) > 1      # one confident mistake: soften
    True
    """

    def __init__(self, temperature: float | None = None):
        if temperature is not None:
            temperature = float(temperature)
            if not (math.isfinite(temperature) and temperature > 0):
                raise ValueError(f"TemperatureScaling: temperature must be a positive finite "
                                 f"number, got {temperature}")
        self.temperature = temperature
        self.nll_before: float | None = None
        self.nll_after: float | None = None
        self.iterations = 0

    def __repr__(self) -> str:
        t = "unfitted" if self.temperature is None else f"temperature={self.temperature:.6g}"
        return f"TemperatureScaling({t})"

    def fit(self, logits, labels, max_iter: int = 100) -> TemperatureScaling:
        """Fit T on validation ``logits`` (N, K) and ``labels`` (N,) by minimising the mean NLL
        of softmax(logits / T); returns self (``temperature``, ``nll_before`` at T = 1 and
        ``nll_after`` at the fitted T are set)."""
        import chainrule as cr
        from chainrule.nn import functional as F
        from chainrule.optim import LBFGS

        op = "TemperatureScaling.fit"
        z = check_logits(logits, op)
        y = check_labels(labels, z.shape[0], z.shape[1], op)
        rows = np.arange(len(y))
        others = z.copy()
        others[rows, y] = -np.inf
        if np.all(z[rows, y] > others.max(axis=1)):
            raise ValueError(f"{op}: the label's logit is the largest in every one of the "
                             f"{len(y)} rows, so the NLL keeps falling as T → 0 and has no "
                             "minimum; fit on validation data the model gets partly wrong (a "
                             "held-out split, not the training data)")
        zt = cr.tensor(z, dtype=cr.float64)
        yt = cr.tensor(y)
        log_t = cr.tensor(0.0 if self.temperature is None else math.log(self.temperature),
                          dtype=cr.float64, requires_grad=True)
        optimizer = LBFGS([log_t], lr=1.0, max_iter=max_iter, tolerance_grad=1e-12,
                          tolerance_change=1e-14, line_search_fn="strong_wolfe")
        count = [0]

        def closure():
            optimizer.zero_grad()
            loss = F.cross_entropy(zt * cr.exp(-log_t), yt)      # NLL(T), T = exp(u)
            loss.backward()
            count[0] += 1
            return loss

        optimizer.step(closure)
        u = float(log_t.detach().numpy())
        if not math.isfinite(u) or abs(u) > 700:
            raise RuntimeError(f"{op}: the optimisation diverged (log T = {u}); the logits may be "
                               "degenerate (every row constant?)")
        u = self._polish(z, y, u)
        self.temperature = math.exp(u)
        self.iterations = count[0]
        self.nll_before = negative_log_likelihood(z, y, 1.0)
        self.nll_after = negative_log_likelihood(z, y, self.temperature)
        grad = self._dnll_du(z, y, self.temperature)
        if abs(grad) > 1e-6 * max(1.0, self.nll_after):
            warnings.warn(f"{op}: stopped after {count[0]} evaluations with dNLL/dlogT = "
                          f"{grad:.3g} not yet 0 (T = {self.temperature:.6g}); pass a larger "
                          "max_iter", RuntimeWarning, stacklevel=2)
        return self

    @staticmethod
    def _dnll_du(z: np.ndarray, y: np.ndarray, t: float) -> float:
        """dNLL/d(log T) = T · dNLL/dT = (1/(N T)) Σᵢ (z_{i,yᵢ} − Σⱼ pᵢⱼ zᵢⱼ), in closed form."""
        p = np.exp(log_softmax(z / t))
        rows = np.arange(len(y))
        return float((z[rows, y] - (p * z).sum(axis=1)).mean() / t)

    @staticmethod
    def _polish(z: np.ndarray, y: np.ndarray, u: float, steps: int = 4) -> float:
        """A few Newton steps on u = log T from L-BFGS's answer, kept only while they shrink
        |dNLL/du| (L-BFGS stops when NLL changes by < 1e-14, i.e. |dNLL/du| ≈ 1e-7; Newton
        takes it to rounding). With β = 1/T, aᵢ = z_{i,yᵢ} − E_p[zᵢ] and d E_p[zᵢ]/dβ =
        Var_p(zᵢ): g = dNLL/du = β mean(a), dg/du = β (β mean(Var_p z) − mean(a))."""
        rows = np.arange(len(y))
        u_old, g_old = u, None
        for i in range(steps + 1):
            beta = math.exp(-u)
            p = np.exp(log_softmax(z * beta))
            mean_z = (p * z).sum(axis=1)
            a = (z[rows, y] - mean_z).mean()
            var = (p * (z - mean_z[:, None]) ** 2).sum(axis=1).mean()
            g, h = beta * a, beta * (beta * var - a)
            if g_old is not None and abs(g) >= abs(g_old):
                return u_old
            if not h > 0 or g == 0 or i == steps:
                return u
            u_old, g_old = u, g
            u = u - g / h
        return u

    def _fitted(self, op: str) -> float:
        if self.temperature is None:
            raise RuntimeError(f"TemperatureScaling.{op}: no temperature yet; call fit(logits, "
                               "labels) on validation data first (or give "
                               "TemperatureScaling(temperature=T))")
        return self.temperature

    def transform(self, logits):
        """``logits / T``: a Tensor (differentiable in ``logits``) when given a Tensor, else a
        NumPy array of the input's floating dtype (float64 for integers)."""
        from ..tensor import Tensor

        t = self._fitted("transform")
        if isinstance(logits, Tensor):
            return logits / t
        z = np.asarray(logits)
        if z.dtype.kind not in "fc":
            z = z.astype(np.float64)
        return z / z.dtype.type(t)

    __call__ = transform

    def predict_proba(self, logits) -> np.ndarray:
        """Calibrated probabilities softmax(logits / T) as a NumPy array."""
        from ._arrays import softmax

        return softmax(self.transform(logits))

    def formula(self) -> Formula:
        t = "T" if self.temperature is None else f"T = {self.temperature:.4g}"
        pairs = [("Forward", f"p = softmax(z / T),  {t}"),
                 ("Loss", "NLL(T) = (1/N) Σᵢ [log Σⱼ exp(zᵢⱼ/T) − z_{i,yᵢ}/T]"),
                 ("Derivative", "dNLL/dT = (1/(N T²)) Σᵢ (z_{i,yᵢ} − Σⱼ pᵢⱼ zᵢⱼ)"),
                 ("Parametrisation", "T = exp(u),  dNLL/du = T · dNLL/dT")]
        latex = [r"p = \operatorname{softmax}(z / T)",
                 r"\mathrm{NLL}(T) = \frac{1}{N}\sum_i \Bigl[\log\sum_j e^{z_{ij}/T} - "
                 r"\frac{z_{i,y_i}}{T}\Bigr]",
                 r"\frac{d\,\mathrm{NLL}}{dT} = \frac{1}{N T^2}\sum_i \Bigl(z_{i,y_i} - "
                 r"\sum_j p_{ij} z_{ij}\Bigr)",
                 r"T = e^u,\quad \frac{d\,\mathrm{NLL}}{du} = T\,\frac{d\,\mathrm{NLL}}{dT}"]
        return Formula.of("Temperature scaling", pairs, latex,
                          "One scalar divides every logit: the ranking (and accuracy) is kept, "
                          "the confidence is softened (T > 1) or sharpened (T < 1) to minimise "
                          "the validation NLL.")
