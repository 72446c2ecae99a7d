r"""L-BFGS: a quasi-Newton method with a limited memory, and the strong-Wolfe line search.

The algorithm is PyTorch's ``optim.LBFGS`` (itself after Schmidt's minFunc), step for step, so
that the iterates agree with PyTorch's to rounding. All parameters are treated as one flat vector
x ∈ ℝⁿ with gradient g = ∇f(x).

Two-loop recursion (Nocedal & Wright, Alg. 7.4). With the last m pairs sᵢ = x_{i+1} − xᵢ,
yᵢ = g_{i+1} − gᵢ (kept only when yᵢᵀsᵢ > 10⁻¹⁰, so the update stays positive definite),
ρᵢ = 1/(yᵢᵀsᵢ) and the initial scaling γ = yᵀs/yᵀy of the newest pair, the direction
d = −H g is

    q ← −g;   for i = newest … oldest:  αᵢ = ρᵢ sᵢᵀq,  q ← q − αᵢ yᵢ
    r ← γ q;  for i = oldest … newest:  βᵢ = ρᵢ yᵢᵀr,  r ← r + (αᵢ − βᵢ) sᵢ;     d = r

Step length. The very first iteration (no curvature known) scales the step to
t = min(1, 1/‖g‖₁)·lr; later ones take t = lr, or the strong-Wolfe search below.

Strong Wolfe conditions (c₁ = 10⁻⁴, c₂ = 0.9), φ(t) = f(x + t d):
    φ(t) ≤ φ(0) + c₁ t φ′(0)     (sufficient decrease)
    |φ′(t)| ≤ −c₂ φ′(0)           (curvature)
Bracketing phase: try t, and extrapolate with the minimiser of the cubic through (t_prev, φ, φ′)
and (t, φ, φ′), bounded to [t + 0.01(t − t_prev), 10t], until an interval is known to hold an
acceptable point (decrease fails, φ stops decreasing, or φ′ ≥ 0). Zoom phase: shrink the bracket
with the cubic's minimiser (kept 10% of the bracket away from its ends when progress stalls).
The cubic through (a, fa, ga), (b, fb, gb) has its minimum at
    d₁ = ga + gb − 3(fa − fb)/(a − b),  d₂ = √(d₁² − ga gb),
    t* = b − (b − a)(gb + d₂ − d₁)/(gb − ga + 2d₂)      (a ≤ b), clipped to the bounds;
the middle of the bounds when d₁² < ga gb (no real minimum).

Termination of one ``step(closure)``: max_iter iterations, max_eval function evaluations,
max|g| ≤ tolerance_grad, max|t d| ≤ tolerance_change, |Δf| < tolerance_change, or a direction that
is not one of descent (gᵀd > −tolerance_change).
"""
from __future__ import annotations

import copy
import math

from .. import backend as B
from ..autograd.grad_mode import enable_grad
from ..autograd.versions import bump
from ..backend import xp
from .optimizer import Optimizer


def _max_abs(v) -> float:
    """max |vᵢ| of a flat vector, in its own array library."""
    if type(v) is xp.ndarray:
        return float(xp.abs(v).max())
    ns = B.namespace(v)
    return float(ns.max(ns.abs(v)))


def _abs_sum(v) -> float:
    """‖v‖₁ of a flat vector, in its own array library."""
    if type(v) is xp.ndarray:
        return float(xp.abs(v).sum())
    ns = B.namespace(v)
    return float(ns.sum(ns.abs(v)))


def _cubic_minimum(a, fa, ga, b, fb, gb, bounds=None) -> float:
    """Minimiser of the cubic interpolating φ(a) = fa, φ′(a) = ga, φ(b) = fb, φ′(b) = gb."""
    lo, hi = bounds if bounds is not None else (min(a, b), max(a, b))
    d1 = ga + gb - 3 * (fa - fb) / (a - b)
    d2_square = d1 * d1 - ga * gb
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if a <= b:
        t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2))
    else:
        t = a - (a - b) * ((ga + d2 - d1) / (ga - gb + 2 * d2))
    return min(max(t, lo), hi)


def _strong_wolfe(phi, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Search along d from x for t satisfying the strong Wolfe conditions (see the module).

    ``phi(t)`` returns (f(x + t d), ∇f(x + t d)). Returns (f, g, t, evaluations) at the accepted t.
    """
    d_norm = _max_abs(d)
    f_new, g_new = phi(t)
    evals, ls_iter = 1, 0
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while ls_iter < max_ls:                                  # bracketing phase
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = phi(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:                                    # no bracket within the budget
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:                     # zoom phase
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0],
                           bracket[1], bracket_f[1], bracket_gtd[1])
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:                   # too close to an end of the bracket
            if insufficient_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = phi(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new        # t becomes the high end
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new          # t becomes the low end
            bracket_g[low], bracket_gtd[low] = g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    r"""Limited-memory BFGS, as PyTorch's ``optim.LBFGS`` (one parameter group; see the module
    docstring for the two-loop recursion and the strong-Wolfe line search).

    ``step(closure)`` runs up to ``max_iter`` iterations; ``closure()`` must zero the gradients,
    compute the loss, call ``backward()`` and return the loss.
    """

    text = ("q ← −g;  αᵢ = ρᵢsᵢᵀq,  q ← q − αᵢyᵢ  (newest → oldest)",
            "r ← γq;  βᵢ = ρᵢyᵢᵀr,  r ← r + (αᵢ − βᵢ)sᵢ  (oldest → newest);  d = r",
            "x ← x + t d,  t = lr (first iteration: min(1, 1/‖g‖₁)·lr) or strong Wolfe",
            "s = t d,  y = g_new − g,  ρ = 1/(yᵀs),  γ = yᵀs/yᵀy  (kept if yᵀs > 10⁻¹⁰)")
    latex = (r"q \leftarrow -g,\quad \alpha_i = \rho_i s_i^\top q,\quad q \leftarrow q - "
             r"\alpha_i y_i",
             r"r \leftarrow \gamma q,\quad \beta_i = \rho_i y_i^\top r,\quad r \leftarrow r + "
             r"(\alpha_i - \beta_i) s_i,\quad d = r",
             r"x \leftarrow x + t\,d",
             r"s = t\,d,\quad y = g_{\mathrm{new}} - g,\quad \rho = \frac{1}{y^\top s},\quad "
             r"\gamma = \frac{y^\top s}{y^\top y}")
    labels = ("First loop", "Second loop", "Step", "Curvature pair")
    explanation = ("An approximation of the inverse Hessian built from the last history_size "
                   "steps and gradient changes gives Newton-like directions at the cost of a few "
                   "dot products.")

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ----------------------------------------------------------------- the flat vector
    def _flat_grad(self):
        if type(self._params[0]._data) is xp.ndarray:
            return xp.concatenate([xp.zeros(p._data.size, p._data.dtype) if p.grad is None
                                   else p.grad._data.reshape(-1) for p in self._params])
        ns = B.namespace(self._params[0]._data)     # another array library: its concat
        return ns.concat([B.zeros_like(B.reshape(p._data, (-1,))) if p.grad is None
                          else B.reshape(p.grad._data, (-1,)) for p in self._params])

    def _add(self, t, d) -> None:
        """x ← x + t d, each parameter's slice of d in place."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += t * B.reshape(d[offset:offset + n], p._data.shape)
            bump(p._data)       # in place, as PyTorch's add_ (LBFGS bypasses _step_group)
            offset += n

    def _evaluate(self, closure) -> float:
        with enable_grad():
            return float(closure())

    def _directional(self, closure, x, t, d):
        """(f(x + t d), ∇f(x + t d)), leaving the parameters at x."""
        self._add(t, d)
        loss = self._evaluate(closure)
        g = self._flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
            bump(p._data)
        return loss, g

    # ----------------------------------------------------------------- one step
    def step(self, closure):
        """Up to max_iter L-BFGS iterations; returns the loss of the first closure() call."""
        if closure is None:
            raise RuntimeError("LBFGS.step requires a closure that re-evaluates the model and "
                               "returns the loss")
        self._opt_called = True
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search, history = group["line_search_fn"], group["history_size"]
        if line_search not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        state = self._state_for(self._params[0])
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if _max_abs(g) <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_g = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:                         # steepest descent to begin
                d = -g
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                y = g - prev_g
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:                               # keep only positive curvature
                    if len(old_dirs) == history:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                al = state.setdefault("al", [None] * history)
                q = -g                                       # two-loop recursion: d = −H g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ d) * ro[i]
                    d += (al[i] - be_i) * old_stps[i]
            prev_g = B.copy(g)
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / _abs_sum(g)) * lr
            else:
                t = lr
            gtd = float(g @ d)
            if gtd > -tol_change:                            # not a descent direction
                break
            ls_evals = 0
            if line_search is not None:
                x0 = [B.copy(p._data) for p in self._params]
                def phi(step, x0=x0, d=d):
                    return self._directional(closure, x0, step, d)
                loss, g, t, ls_evals = _strong_wolfe(phi, t, d, loss, g, gtd,
                                                     max_ls=max_eval - evals)
                self._add(t, d)
                opt_cond = _max_abs(g) <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = self._evaluate(closure)
                    g = self._flat_grad()
                    opt_cond = _max_abs(g) <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if _max_abs(d * t) <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss

    def state_dict(self) -> dict:
        """PyTorch's layout; the history lists are copied, not shared with the live state."""
        saved = super().state_dict()
        saved["state"] = copy.deepcopy(saved["state"])
        return saved

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(copy.deepcopy(state_dict))
        self._params = self.param_groups[0]["params"]


__all__ = ["LBFGS"]
