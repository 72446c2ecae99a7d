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

import math

from .. import backend as B
from ..autograd.grad_mode import enable_grad
from ..autograd.versions import bump
from ..backend import xp
from ..tensor import Tensor
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


def _array(value):
    """A state entry as the array the loop works on (a Tensor's own array; None stays)."""
    return value._data if isinstance(value, Tensor) else value


def _number(value):
    """A state scalar (a 0-d Tensor or a number) as a Python number (None stays)."""
    return value.item() if isinstance(value, Tensor) else value


def _scalar(value: float, like) -> Tensor:
    """A 0-d Tensor of ``like``'s dtype: PyTorch's type for the scalars it computes from its
    tensors (ρ, α, H_diag, the first step's t)."""
    return Tensor._from_op(B.asarray_like(xp.array(value, dtype=B.numpy_dtype(like.dtype)),
                                          like), None)


def _tensor(array, held):
    """``array`` as the state's Tensor: the Tensor ``held`` where it already holds it."""
    if array is None:
        return None
    if isinstance(held, Tensor) and held._data is array:
        return held
    return Tensor._from_op(array, None)


class _State:
    """The curvature pairs of L-BFGS twice over: the state's lists, of PyTorch's types (Tensors
    yᵢ and sᵢ, 0-d Tensors ρᵢ; H_diag the int 1 until a pair is kept, then a 0-d Tensor) and
    kept as the same list objects from step to step, as PyTorch's; and the arrays and floats of
    the same values that the loop computes with."""

    def __init__(self, dirs_t, stps_t, ro_t, h_diag_t):
        self.dirs_t, self.stps_t, self.ro_t, self.h_diag_t = dirs_t, stps_t, ro_t, h_diag_t
        self.dirs = None if dirs_t is None else [_array(v) for v in dirs_t]
        self.stps = None if stps_t is None else [_array(v) for v in stps_t]
        self.rho = None if ro_t is None else [float(_number(v)) for v in ro_t]
        self.h_diag = None if h_diag_t is None else _number(h_diag_t)

    def add(self, y, s, rho: float, h_diag: float, history: int) -> None:
        """Keep the pair (y, s) with ρ = 1/yᵀs, dropping the oldest beyond ``history``."""
        if len(self.dirs) == history:
            for column in (self.dirs, self.stps, self.rho, self.dirs_t, self.stps_t, self.ro_t):
                column.pop(0)
        self.dirs.append(y)
        self.stps.append(s)
        self.rho.append(rho)
        self.dirs_t.append(Tensor._from_op(y, None))
        self.stps_t.append(Tensor._from_op(s, None))
        self.ro_t.append(_scalar(rho, y))
        self.h_diag = h_diag
        self.h_diag_t = _scalar(h_diag, y)


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
        dtype = B.numpy_dtype(g.dtype).type           # PyTorch's scalars: of the tensors' dtype

        # the state holds PyTorch's types (see _State); the loop works on arrays and floats
        d, t, prev_g = _array(state.get("d")), _number(state.get("t")), state.get("prev_flat_grad")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        held = _State(old_dirs, old_stps, ro, state.get("H_diag"))
        prev_g = _array(prev_g)
        prev_loss = state.get("prev_loss")
        alphas: dict[int, float] = {}
        uses_al = False
        t_tensor = False
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:                         # steepest descent to begin
                d = -g
                held = _State([], [], [], 1)
            else:
                y = g - prev_g
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:                               # keep only positive curvature
                    held.add(y, s, float(dtype(1.0 / ys)), float(dtype(ys / float(y @ y))),
                             history)
                uses_al = True
                dirs, stps, rho = held.dirs, held.stps, held.rho
                q = -g                                       # two-loop recursion: d = −H g
                for i in range(len(dirs) - 1, -1, -1):
                    alphas[i] = float(dtype(float(stps[i] @ q) * rho[i]))
                    q -= alphas[i] * dirs[i]
                d = q * held.h_diag
                for i in range(len(dirs)):
                    be_i = float(dirs[i] @ d) * rho[i]
                    d += (alphas[i] - be_i) * stps[i]
            if prev_g is None or prev_g.shape != g.shape or prev_g.dtype != g.dtype:
                prev_g = B.copy(g)
            else:
                prev_g[...] = g                              # in place, as PyTorch's copy_
            prev_loss = loss
            t_tensor = False
            if state["n_iter"] == 1:
                inverse = 1.0 / _abs_sum(g)
                t = min(1.0, inverse) * lr
                t_tensor = inverse < 1.0                     # PyTorch's min() gave its tensor
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
                t_tensor = False
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

        if uses_al:
            al = state.setdefault("al", [None] * history)
            for i, value in alphas.items():
                al[i] = _scalar(value, g)
        state["d"] = _tensor(d, state.get("d"))
        state["t"] = _scalar(t, g) if t_tensor else t
        state["old_dirs"], state["old_stps"], state["ro"] = held.dirs_t, held.stps_t, held.ro_t
        state["H_diag"] = held.h_diag_t
        state["prev_flat_grad"] = _tensor(prev_g, state.get("prev_flat_grad"))
        state["prev_loss"] = prev_loss
        return orig_loss

    def load_state_dict(self, state_dict: dict) -> None:
        """The base's (PyTorch's: new lists, the same Tensors where their dtype is already the
        parameters'); ``state_dict()`` is the base's too, the live state as in PyTorch."""
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]["params"]


__all__ = ["LBFGS"]
