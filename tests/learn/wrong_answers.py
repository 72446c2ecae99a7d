"""Plausible wrong answers to every exercise — the mistakes a learner makes — which the grader
must reject with a hint. Keyed by exercise id; each a list of (what is wrong, function)."""
from __future__ import annotations

import numpy as np

import chainrule as cr


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _count_no_bias(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def _broadcast_left(a, b):            # aligns the shapes on the left
    n = max(len(a), len(b))
    a, b = tuple(a) + (1,) * (n - len(a)), tuple(b) + (1,) * (n - len(b))
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError("incompatible")
        out.append(max(x, y))
    return tuple(out)


def _broadcast_no_check(a, b):        # right-aligned, but never refuses
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b))


def _forward_difference(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - fx) / h
    return g


def _central_over_h(f, x, h=1e-5):    # divides by h instead of 2h
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / h
    return g


def _central_flat_only(f, x, h=1e-5):   # assumes x is a vector
    g = np.zeros(len(x))
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _softplus_naive(x):               # overflows: log(1 + e^1000) = inf
    return cr.log(1 + cr.exp(x))


def _softplus_numpy(x):               # right numbers, but outside autograd
    v = x.detach().numpy()
    return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))


def _softplus_lossy(x):               # no overflow, but log(1 + tiny) loses e^x for x ≪ 0
    return cr.relu(x) + cr.log(1 + cr.exp(-cr.abs(x)))


def _backprop_no_two(x, y, W1, b1, W2, b2):      # L = ½(ŷ − y)² instead of (ŷ − y)²
    h = _sigmoid(W1 @ x + b1)
    d2 = (W2 @ h + b2) - y
    d1 = (W2.T @ d2) * h * (1 - h)
    return {"W1": np.outer(d1, x), "b1": d1, "W2": np.outer(d2, h), "b2": d2}


def _backprop_no_sigma_prime(x, y, W1, b1, W2, b2):
    h = _sigmoid(W1 @ x + b1)
    d2 = 2 * ((W2 @ h + b2) - y)
    d1 = W2.T @ d2
    return {"W1": np.outer(d1, x), "b1": d1, "W2": np.outer(d2, h), "b2": d2}


def _backprop_transposed(x, y, W1, b1, W2, b2):
    h = _sigmoid(W1 @ x + b1)
    d2 = 2 * ((W2 @ h + b2) - y)
    d1 = (W2.T @ d2) * h * (1 - h)
    return {"W1": np.outer(x, d1), "b1": d1, "W2": np.outer(d2, h), "b2": d2}


WRONG = {
    "1.1": [("W transposed", lambda W, b, x: W.T @ x + b),
            ("x W", lambda W, b, x: x @ W + b),
            ("no bias", lambda W, b, x: W @ x)],
    "1.2": [("no bias", lambda X, W, b: _sigmoid(X @ W.T)),
            ("no sigmoid", lambda X, W, b: X @ W.T + b),
            ("X W instead of X Wᵀ", lambda X, W, b: _sigmoid(X @ W + b))],
    "1.3": [("biases forgotten", _count_no_bias),
            ("one layer too many", lambda s: sum(a * b + b for a, b in zip(s, s[1:] + [1])))],
    "1.4": [("aligned on the left", _broadcast_left),
            ("never refuses", _broadcast_no_check)],
    "2.1": [("forward difference", _forward_difference),
            ("divides by h, not 2h", _central_over_h),
            ("vectors only", _central_flat_only)],
    "2.2": [("σ(x)(1 − x)", lambda x: _sigmoid(x) * (1 - x)),
            ("sign error", lambda x: -_sigmoid(x) * (1 - _sigmoid(x))),
            ("overflows: e^{−x}/(1 + e^{−x})²", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2)],
    "2.3": [("tanh′ missing", lambda W, x: W),
            ("the factor on the columns", lambda W, x: W * (1 - np.tanh(W @ x) ** 2)),
            ("tanh instead of tanh′", lambda W, x: np.tanh(W @ x)[:, None] * W)],
    "2.4": [("∂L/∂B transposed", lambda A, B, G: (G @ B.T, (A.T @ G).T)),
            ("Bᵀ on the wrong side", lambda A, B, G: (B.T @ G, A.T @ G)),
            ("sign error", lambda A, B, G: (-(G @ B.T), -(A.T @ G)))],
    "2.5": [("naive log(1 + eˣ)", _softplus_naive),
            ("NumPy, not chainrule", _softplus_numpy),
            ("log(1 + tiny) instead of log1p", _softplus_lossy)],
    "3.1": [("x δᵀ (transposed weight gradient)",
             lambda x, W, d: (np.outer(x, d), d, W.T @ d)),
            ("W δ instead of Wᵀ δ", lambda x, W, d: (np.outer(d, x), d, W @ d)),
            ("sign error", lambda x, W, d: (-np.outer(d, x), -d, -W.T @ d))],
    "3.2": [("σ′ missing", lambda W2, d2, h: W2.T @ d2),
            ("σ(z) for σ′(z)", lambda W2, d2, h: (W2.T @ d2) * h)],
    "3.3": [("factor 2 missing", _backprop_no_two),
            ("σ′ missing", _backprop_no_sigma_prime),
            ("transposed ∂L/∂W₁", _backprop_transposed)],
    "3.4": [("mean instead of sum for ∂L/∂b", lambda X, W, G: (G @ W, G.T @ X, G.mean(axis=0))),
            ("Xᵀ G, the transpose", lambda X, W, G: (G @ W, X.T @ G, G.sum(axis=0))),
            ("G Wᵀ for ∂L/∂X", lambda X, W, G: (G @ W.T, G.T @ X, G.sum(axis=0)))],
}


def _chain_no_weight(weights, a0):          # forgets ∂z_k/∂a_{k−1} = w_k
    a, g = a0, 1.0
    for w in weights:
        a = _sigmoid(w * a)
        g *= a * (1 - a)
    return g


def _chain_sigma_not_prime(weights, a0):    # multiplies by σ(z) instead of σ′(z)
    a, g = a0, 1.0
    for w in weights:
        a = _sigmoid(w * a)
        g *= a * w
    return g


WRONG.update({
    "4.1": [("ReLU′(0) = 1", lambda x: (np.asarray(x) >= 0).astype(float)),
            ("ReLU itself", lambda x: np.maximum(x, 0))],
    "4.2": [("1 − x²", lambda x: 1 - np.asarray(x) ** 2),
            ("1 − tanh, square missing", lambda x: 1 - np.tanh(x)),
            ("tanh², the 1 − missing", lambda x: np.tanh(x) ** 2)],
    "4.3": [("w_k missing", _chain_no_weight),
            ("σ(z) for σ′(z)", _chain_sigma_not_prime)],
})


def _softmax_naive(z):                      # overflows for large logits
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_columns(z):                    # normalises over the wrong axis
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=0, keepdims=True)


def _ref_softmax(Z):
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _ce_sum(Z, y):
    return float(-np.log(_ref_softmax(Z)[np.arange(len(y)), y]).sum())


def _ce_log_of_softmax(Z, y):               # log(softmax) underflows to log(0) = −inf
    return float(-np.log(_ref_softmax(Z)[np.arange(len(y)), y]).mean())


def _ce_grad_no_mean(Z, y):
    P = _ref_softmax(Z)
    P[np.arange(len(y)), y] -= 1
    return P


def _ce_grad_sign(Z, y):
    return -_ce_grad_no_mean(Z, y) / len(y)


def _kl_swapped(m1, s1, m2, s2):
    return np.log(np.divide(s1, s2)) + (np.square(s2) + np.square(np.subtract(m1, m2))) / (
        2 * np.square(s1)) - 0.5


def _kl_variance_in_log(m1, s1, m2, s2):
    return np.log(np.square(s2) / np.square(s1)) + (
        np.square(s1) + np.square(np.subtract(m1, m2))) / (2 * np.square(s2)) - 0.5


WRONG.update({
    "5.1": [("naive, overflows", _softmax_naive), ("over the wrong axis", _softmax_columns)],
    "5.2": [("sum instead of mean", _ce_sum), ("log of softmax (−inf)", _ce_log_of_softmax),
            ("sign error", lambda Z, y: -_ce_sum(Z, y) / len(y))],
    "5.3": [("1/N missing", _ce_grad_no_mean), ("target minus predicted", _ce_grad_sign)],
    "5.4": [("KL(q ‖ p)", _kl_swapped), ("log of the variances", _kl_variance_in_log)],
})


def _adam_no_correction(theta, grad, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def _adam_t_from_zero(theta, grad, m, v, t, lr, b1, b2, eps):   # an off-by-one in t
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    tt = t + 1
    return theta - lr * (m / (1 - b1**tt)) / (np.sqrt(v / (1 - b2**tt)) + eps), m, v


def _adam_eps_inside(theta, grad, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return theta - lr * (m / (1 - b1**t)) / np.sqrt(v / (1 - b2**t) + 1e-3), m, v


WRONG.update({
    "6.1": [("sign error", lambda th, g, v, lr, mu: (th + lr * (mu * v + g), mu * v + g)),
            ("no memory: v ← g", lambda th, g, v, lr, mu: (th - lr * g, g)),
            ("dampened: v ← μv + (1 − μ)g",
             lambda th, g, v, lr, mu: (th - lr * (mu * v + (1 - mu) * g), mu * v + (1 - mu) * g))],
    "6.2": [("(1 − α) missing", lambda th, g, s, lr, a, eps: (
        th - lr * g / (np.sqrt(a * s + g**2) + eps), a * s + g**2)),
            ("divides by s, not √s", lambda th, g, s, lr, a, eps: (
                th - lr * g / ((a * s + (1 - a) * g**2) + eps), a * s + (1 - a) * g**2))],
    "6.3": [("no bias correction", _adam_no_correction), ("t off by one", _adam_t_from_zero),
            ("a large ε inside the root", _adam_eps_inside)],
})


def _conv_out_no_plus_one(size, k, stride=1, padding=0, dilation=1):   # the classic off-by-one
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride


def _conv_out_no_dilation(size, k, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - k) // stride + 1


def _conv_out_one_side_padding(size, k, stride=1, padding=0, dilation=1):
    return (size + padding - dilation * (k - 1) - 1) // stride + 1


def _conv_im2col(X, W, b, flip=False, order_swapped=False):
    N, C, H, Wd = X.shape
    O, _, kh, kw = W.shape
    if flip:
        W = W[:, :, ::-1, ::-1]
    oh, ow = H - kh + 1, Wd - kw + 1
    cols = np.empty((N, C, kh, kw, oh, ow))
    for p in range(kh):
        for q in range(kw):
            cols[:, :, p, q] = X[:, :, p:p + oh, q:q + ow]
    if order_swapped:                       # columns in (p, q, c) order, rows of W in (c, p, q)
        cols = cols.transpose(0, 2, 3, 1, 4, 5)
    Y = W.reshape(O, -1) @ cols.reshape(N, C * kh * kw, oh * ow)
    return Y.reshape(N, O, oh, ow) + b[None, :, None, None]


def _pool_backward(X, G, k, ties="first", spread=False, window_shift=0):
    N, C, H, Wd = X.shape
    oh, ow = H // k, Wd // k
    out = np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    r0, c0 = i * k + window_shift, j * k + window_shift
                    win = X[n, c, r0:r0 + k, c0:c0 + k]
                    if spread:                   # averages instead of routing
                        out[n, c, r0:r0 + k, c0:c0 + k] += G[n, c, i, j] / win.size
                        continue
                    flat = win.reshape(-1)
                    idx = (np.flatnonzero(flat == flat.max())[-1] if ties == "last"
                           else int(flat.argmax()))
                    out[n, c, r0 + idx // win.shape[1], c0 + idx % win.shape[1]] += G[n, c, i, j]
    return out


WRONG.update({
    "8.1": [("+ 1 forgotten (off by one)", _conv_out_no_plus_one),
            ("dilation ignored", _conv_out_no_dilation),
            ("padding on one side only", _conv_out_one_side_padding)],
    "8.2": [("kernel flipped", lambda X, W, b: _conv_im2col(X, W, b, flip=True)),
            ("im2col rows in another order", lambda X, W, b: _conv_im2col(X, W, b,
                                                                            order_swapped=True)),
            ("bias forgotten", lambda X, W, b: _conv_im2col(X, W, b) - b[None, :, None, None])],
    "8.3": [("gradient spread over the window", lambda X, G, k: _pool_backward(X, G, k,
                                                                               spread=True)),
            ("ties go to the last maximum", lambda X, G, k: _pool_backward(X, G, k,
                                                                           ties="last")),
            ("windows off by one", lambda X, G, k: _pool_backward(X, G, k, window_shift=1))],
})


def _bn_forward(X, gamma, beta, eps=1e-5, ddof=0, axis=0):
    mu = X.mean(axis=axis, keepdims=True)
    var = X.var(axis=axis, ddof=ddof, keepdims=True)
    return gamma * (X - mu) / np.sqrt(var + eps) + beta


def _bn_backward_constant_stats(X, gamma, G, eps=1e-5):   # μ and σ² treated as constants
    sigma = np.sqrt(X.var(axis=0) + eps)
    x_hat = (X - X.mean(axis=0)) / sigma
    return gamma * G / sigma, (G * x_hat).sum(axis=0), G.sum(axis=0)


def _bn_backward_mean_only(X, gamma, G, eps=1e-5):        # the path through σ² forgotten
    sigma = np.sqrt(X.var(axis=0) + eps)
    x_hat = (X - X.mean(axis=0)) / sigma
    return gamma / sigma * (G - G.mean(axis=0)), (G * x_hat).sum(axis=0), G.sum(axis=0)


def _bn_backward_dgamma_wrong(X, gamma, G, eps=1e-5):     # ∂L/∂γ as Σ G · x (not x̂)
    sigma = np.sqrt(X.var(axis=0) + eps)
    x_hat = (X - X.mean(axis=0)) / sigma
    dX = gamma / sigma * (G - G.mean(axis=0) - x_hat * (G * x_hat).mean(axis=0))
    return dX, (G * X).sum(axis=0), G.sum(axis=0)


WRONG.update({
    "7.1": [("not rescaled", lambda x, m, p: m * x),
            ("multiplied by 1 − p", lambda x, m, p: m * x * (1 - p)),
            ("0/0 = nan for p = 1", lambda x, m, p: m * x / (1 - p))],
    "7.2": [("unbiased variance", lambda X, g, b, eps=1e-5: _bn_forward(X, g, b, eps, ddof=1)),
            ("over the features, not the batch",
             lambda X, g, b, eps=1e-5: _bn_forward(X, g, b, eps, axis=1)),
            ("γ and β forgotten", lambda X, g, b, eps=1e-5: _bn_forward(X, 1.0, 0.0, eps))],
    "7.3": [("statistics treated as constants", _bn_backward_constant_stats),
            ("the path through σ² forgotten", _bn_backward_mean_only),
            ("∂L/∂γ with x instead of x̂", _bn_backward_dgamma_wrong)],
})


def _rnn(X, h0, W_ih, W_hh, b_ih, b_hh, stale=False, no_recurrence=False):
    h, states = h0, []
    for x in X:
        prev = h0 if stale else h                 # stale: always uses h₀
        rec = 0.0 if no_recurrence else W_hh @ prev + b_hh
        h = np.tanh(W_ih @ x + b_ih + rec)
        states.append(h)
    return np.stack(states)


def _lstm(x, h, c, W_ih, W_hh, b_ih, b_hh, order="ifgo", gate_tanh=False, h_from_c=True):
    a = W_ih @ x + b_ih + W_hh @ h + b_hh
    blocks = dict(zip(order, np.split(a, 4)))
    act = np.tanh if gate_tanh else _sigmoid
    i, f, g, o = act(blocks["i"]), act(blocks["f"]), np.tanh(blocks["g"]), act(blocks["o"])
    c_new = f * c + i * g
    return (o * np.tanh(c_new) if h_from_c else o * c_new), c_new


def _bptt(W_hh, H, g_T, transpose=True, previous_state=False):
    grads = np.zeros_like(H)
    grads[-1] = g_T
    for t in range(len(H) - 1, 0, -1):
        h = H[t - 1] if previous_state else H[t]
        M = W_hh.T if transpose else W_hh
        grads[t - 1] = M @ ((1 - h**2) * grads[t])
    return grads


WRONG.update({
    "9.1": [("always from h₀", lambda *a: _rnn(*a, stale=True)),
            ("no recurrence", lambda *a: _rnn(*a, no_recurrence=True)),
            ("only the last state", lambda *a: _rnn(*a)[-1])],
    "9.2": [("gates in the order i, f, o, g", lambda *a: _lstm(*a, order="ifog")),
            ("tanh for the gates", lambda *a: _lstm(*a, gate_tanh=True)),
            ("h′ = o ⊙ c′", lambda *a: _lstm(*a, h_from_c=False))],
    "9.3": [("W_hh not transposed", lambda W, H, g: _bptt(W, H, g, transpose=False)),
            ("tanh′ at the wrong step", lambda W, H, g: _bptt(W, H, g, previous_state=True))],
})


def _attention(Q, K, V, causal=False, scale=True, axis=-1, mask_value=None):
    S = Q @ K.T / (np.sqrt(Q.shape[-1]) if scale else 1.0)
    if causal:
        S = np.where(np.tri(*S.shape, dtype=bool), S, -np.inf if mask_value is None else mask_value)
    e = np.exp(S - S.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True) @ V


def _attention_naive(Q, K, V, causal=False):            # exp without the shift: overflows
    S = Q @ K.T / np.sqrt(Q.shape[-1])
    if causal:
        S = np.where(np.tri(*S.shape, dtype=bool), S, -np.inf)
    e = np.exp(S)
    return e / e.sum(axis=-1, keepdims=True) @ V


def _mha(X, W_in, b_in, W_o, b_o, n, head_scale=True, interleaved=False):
    E = X.shape[1]
    d = E // n
    QKV = X @ W_in.T + b_in
    Q, K, V = QKV[:, :E], QKV[:, E:2 * E], QKV[:, 2 * E:]
    heads = []
    for h in range(n):
        cols = slice(h, E, n) if interleaved else slice(h * d, (h + 1) * d)
        S = Q[:, cols] @ K[:, cols].T / np.sqrt(d if head_scale else E)
        e = np.exp(S - S.max(axis=-1, keepdims=True))
        heads.append(e / e.sum(axis=-1, keepdims=True) @ V[:, cols])
    return np.concatenate(heads, axis=1) @ W_o.T + b_o


WRONG.update({
    "10.1": [("not scaled by √d", lambda Q, K, V, c=False: _attention(Q, K, V, c, scale=False)),
             ("softmax over the queries (columns)",
              lambda Q, K, V, c=False: _attention(Q, K, V, c, axis=0)),
             ("mask ignored", lambda Q, K, V, c=False: _attention(Q, K, V, False)),
             ("no max shift: overflow", _attention_naive)],
    "10.2": [("only the diagonal of the Jacobian", lambda P, G: P * (1 - P) * G),
             ("the sum over the whole matrix", lambda P, G: P * (G - (G * P).sum()))],
    "10.3": [("√E instead of √d in each head",
              lambda *a: _mha(*a, head_scale=False)),
             ("heads take interleaved columns", lambda *a: _mha(*a, interleaved=True)),
             ("output projection forgotten",
              lambda X, W_in, b_in, W_o, b_o, n: _mha(X, W_in, b_in, np.eye(len(b_o)),
                                                       np.zeros_like(b_o), n))],
})


def _fgsm(model, x, y, eps, sign=1.0, clip=True, raw=False):
    import chainrule.nn.functional as F

    xt = cr.tensor(np.asarray(x), requires_grad=True)
    F.cross_entropy(model(xt), cr.tensor(np.asarray(y))).backward()
    g = xt.grad.numpy()
    step = g / (np.abs(g).max() + 1e-12) if raw else np.sign(g)
    out = np.asarray(x) + sign * eps * step
    return np.clip(out, 0, 1) if clip else out


def _ece(probs, labels, n_bins=15, right=True, unweighted=False):
    probs = np.asarray(probs, dtype=float)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(labels)).astype(float)
    if right:
        bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    else:                                   # [lo, hi) bins: edges land in the next bin
        bins = np.clip(np.floor(conf * n_bins).astype(int), 0, n_bins - 1)
    total, used = 0.0, 0
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            used += 1
            gap = abs(correct[inside].mean() - conf[inside].mean())
            total += gap if unweighted else inside.mean() * gap
    return total / used if unweighted else total


def _ig(grad_f, x, baseline, steps=50, left=False, times_x=True):
    x = np.asarray(x, dtype=float)
    baseline = np.broadcast_to(np.asarray(baseline, dtype=float), x.shape)
    alphas = np.arange(steps) / steps if left else (np.arange(1, steps + 1) - 0.5) / steps
    avg = sum(grad_f(baseline + a * (x - baseline)) for a in alphas) / steps
    return (x - baseline) * avg if times_x else avg


WRONG.update({
    "14.1": [("down the loss", lambda m, x, y, e: _fgsm(m, x, y, e, sign=-1.0)),
             ("not clipped", lambda m, x, y, e: _fgsm(m, x, y, e, clip=False)),
             ("the gradient, not its sign", lambda m, x, y, e: _fgsm(m, x, y, e, raw=True))],
    "14.2": [("bins [lo, hi): edges in the wrong bin", lambda p, l, n=15: _ece(p, l, n,
                                                                              right=False)),
             ("bins not weighted by their size", lambda p, l, n=15: _ece(p, l, n,
                                                                         unweighted=True))],
    "14.3": [("left Riemann sum", lambda g, x, b, s=50: _ig(g, x, b, s, left=True)),
             ("not multiplied by x − x′", lambda g, x, b, s=50: _ig(g, x, b, s, times_x=False)),
             ("the gradient at x only", lambda g, x, b, s=50: (np.asarray(x) - b) * g(x))],
})


def _standardize_own(train, test):                  # each set with its own statistics
    return ((train - train.mean(0)) / (train.std(0) + 1e-8),
            (test - test.mean(0)) / (test.std(0) + 1e-8))


def _standardize_pooled(train, test):               # statistics of train and test together
    both = np.vstack([train, test])
    mu, sd = both.mean(0), both.std(0)
    return (train - mu) / (sd + 1e-8), (test - mu) / (sd + 1e-8)


def _epoch(model, optimizer, X, y, batch_size, zero=True, drop_last=False, step_once=False):
    import chainrule.nn.functional as F

    losses = []
    stop = len(X) - len(X) % batch_size if drop_last else len(X)
    for start in range(0, stop, batch_size):
        if zero:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(cr.tensor(X[start:start + batch_size])),
                               cr.tensor(y[start:start + batch_size]))
        loss.backward()
        if not step_once:
            optimizer.step()
        losses.append(loss.item())
    if step_once:
        optimizer.step()
    return float(np.mean(losses))


WRONG.update({
    "11.1": [("test with its own statistics", _standardize_own),
             ("statistics of train and test pooled", _standardize_pooled)],
    "11.2": [("zero_grad forgotten", lambda *a: _epoch(*a, zero=False)),
             ("the last, smaller batch dropped", lambda *a: _epoch(*a, drop_last=True)),
             ("one step per epoch", lambda *a: _epoch(*a, step_once=True))],
    "11.3": [("transposed (rows: predictions)",
              lambda p, l, k: np.bincount(np.asarray(p) * k + np.asarray(l),
                                          minlength=k * k).reshape(k, k)),
             ("only the classes that occur",
              lambda p, l, k: np.bincount(np.asarray(l) * (max(l.max(), p.max()) + 1)
                                          + np.asarray(p)).reshape(-1, max(l.max(), p.max()) + 1))],
})


def _vocab12(token_lists, min_freq, strict=False, by_first=False, specials=True):
    from collections import Counter

    counts = Counter(t for tokens in token_lists for t in tokens)
    kept = [t for t, c in counts.items() if (c > min_freq if strict else c >= min_freq)]
    kept = sorted(kept, key=lambda t: -counts[t]) if by_first else sorted(
        kept, key=lambda t: (-counts[t], t))
    vocab = {"<pad>": 0, "<unk>": 1} if specials else {}
    for t in kept:
        vocab[t] = len(vocab)
    return vocab


def _encode12(token_lists, vocab, length, first=False, pad_end=False, unk_as_pad=False):
    out = np.zeros((len(token_lists), length), dtype=np.int64)
    for n, tokens in enumerate(token_lists):
        kept = tokens[:length] if first else tokens[-length:]
        ids = [vocab.get(t, 0 if unk_as_pad else 1) for t in kept]
        if ids:
            if pad_end:
                out[n, :len(ids)] = ids
            else:
                out[n, length - len(ids):] = ids
    return out


def _masked_mean12(E, ids, pad=0, divide_by_length=False, nan_rows=False):
    m = (np.asarray(ids) != pad)[..., None]
    if divide_by_length:
        return (E * m).sum(1) / E.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (E * m).sum(1) / (m.sum(1) if nan_rows else np.maximum(m.sum(1), 1))


WRONG.update({
    "12.1": [("count > min_freq instead of ≥", lambda t, k: _vocab12(t, k, strict=True)),
             ("ties in order of first appearance", lambda t, k: _vocab12(t, k, by_first=True)),
             ("no <pad> and <unk>", lambda t, k: _vocab12(t, k, specials=False))],
    "12.2": [("keeps the first L tokens", lambda t, v, n: _encode12(t, v, n, first=True)),
             ("pads at the end", lambda t, v, n: _encode12(t, v, n, pad_end=True)),
             ("unknown words as padding", lambda t, v, n: _encode12(t, v, n, unk_as_pad=True))],
    "12.3": [("mean over all positions", lambda E, ids, pad=0: np.asarray(E).mean(axis=1)),
             ("divided by L", lambda E, ids, pad=0: _masked_mean12(E, ids, pad,
                                                                   divide_by_length=True)),
             ("0/0 for a row of padding", lambda E, ids, pad=0: _masked_mean12(E, ids, pad,
                                                                              nan_rows=True))],
})


def _trainable13(names, patterns, prefix=False, frozen=False):
    import fnmatch

    def match(n, p):
        return n.startswith(p.rstrip("*")) if prefix else fnmatch.fnmatchcase(n, p)
    return [n for n in names if any(match(n, p) for p in patterns) == frozen]


def _head_step13(W, b, phi, y, lr, sign=1.0, mean=True, bias=True):
    z = phi @ W.T + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    if mean:
        p /= len(y)
    return W - sign * lr * (p.T @ phi), (b - sign * lr * p.sum(axis=0)) if bias else b.copy()


def _groups13(model, head, lr, factor=0.1, keep_frozen=False, loose=False):
    body, top = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad and not keep_frozen:
            continue
        is_head = name.startswith(head) if loose else name.startswith(head + ".")
        (top if is_head else body).append(p)
    return [{"params": body, "lr": lr * factor}, {"params": top, "lr": lr}]


WRONG.update({
    "13.1": [("returns the frozen names", lambda n, p: _trainable13(n, p, frozen=True)),
             ("patterns as prefixes", lambda n, p: _trainable13(n, p, prefix=True))],
    "13.2": [("a step up the gradient", lambda *a: _head_step13(*a, sign=-1.0)),
             ("the sum, not the mean", lambda *a: _head_step13(*a, mean=False)),
             ("the bias not updated", lambda *a: _head_step13(*a, bias=False))],
    "13.3": [("body rate 10× larger", lambda m, h, lr: _groups13(m, h, lr, factor=10)),
             ("frozen parameters included", lambda m, h, lr: _groups13(m, h, lr,
                                                                       keep_frozen=True)),
             ("'header' taken for the head", lambda m, h, lr: _groups13(m, h, lr, loose=True))],
})
