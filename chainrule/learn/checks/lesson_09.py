"""Hidden checks of lesson 9: chainrule's nn.RNN and nn.LSTMCell with the same weights, and its
autograd through the recurrence."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng


def _cr():
    import chainrule as cr

    return cr


def _load(module, arrays):
    cr = _cr()
    module.double()
    with cr.no_grad():
        for p, a in zip(module.parameters(), arrays):
            p.copy_(cr.tensor(a))
    return module


def check_rnn_forward(f) -> None:
    cr = _cr()
    g = rng(901)
    hint = ("one step at a time, in order: each h_t needs h_{t−1}, starting from h₀; inside a "
            "step the input term W_ih x_t + b_ih and the recurrent term W_hh h_{t−1} + b_hh are "
            "added before the tanh")
    for T, I, H in ((1, 2, 3), (5, 3, 4), (8, 1, 2)):
        X, h0 = g.normal(size=(T, I)), g.normal(size=H)
        W_ih, W_hh = g.normal(size=(H, I)), g.normal(scale=0.5, size=(H, H))
        b_ih, b_hh = g.normal(size=H), g.normal(size=H)
        case = f"T = {T}, input size {I}, hidden size {H}"
        rnn = _load(cr.nn.RNN(I, H), (W_ih, W_hh, b_ih, b_hh))
        out, _ = rnn(cr.tensor(X[:, None, :]), cr.tensor(h0[None, None, :]))
        received = call(case, hint, f, X, h0, W_ih, W_hh, b_ih, b_hh)
        compare(case, out.detach().numpy()[:, 0, :], received, hint=hint,
                what="H = (h₁ … h_T)", transposable=False)


def check_lstm_cell(f) -> None:
    cr = _cr()
    g = rng(902)
    hint = ("split a into four blocks of H in the order i, f, g, o (input, forget, candidate, "
            "output); the three gates use the sigmoid, the candidate tanh; the new cell is "
            "f ⊙ c + i ⊙ g and the new state o ⊙ tanh(c′)")
    for I, H in ((2, 3), (4, 2), (1, 5)):
        x, h, c = g.normal(size=I), g.normal(size=H), g.normal(size=H)
        W_ih, W_hh = g.normal(size=(4 * H, I)), g.normal(size=(4 * H, H))
        b_ih, b_hh = g.normal(size=4 * H), g.normal(size=4 * H)
        case = f"input size {I}, hidden size {H}"
        cell = _load(cr.nn.LSTMCell(I, H), (W_ih, W_hh, b_ih, b_hh))
        h_new, c_new = cell(cr.tensor(x[None]), (cr.tensor(h[None]), cr.tensor(c[None])))
        received = call(case, hint, f, x, h, c, W_ih, W_hh, b_ih, b_hh)
        if not isinstance(received, (tuple, list)) or len(received) != 2:
            raise Failure(case, "expected a pair (h′, c′)", hint="return h_new, c_new")
        compare(case, c_new.detach().numpy()[0], received[1], hint=hint, what="c′")
        compare(case, h_new.detach().numpy()[0], received[0], hint=hint, what="h′")


def check_bptt(f) -> None:
    cr = _cr()
    g = rng(903)
    hint = ("h_t = tanh(z_t) and z_t contains W_hh h_{t−1}: going one step back multiplies by the "
            "local Jacobian ∂h_t/∂h_{t−1} = diag(1 − h_t²) W_hh, transposed (a vector-Jacobian "
            "product, lesson 2); use the states h_t of the step you go back through")
    for T, I, Hn in ((1, 2, 3), (4, 2, 3), (10, 3, 4)):
        X, h0 = g.normal(size=(T, I)), g.normal(size=Hn)
        W_ih, W_hh = g.normal(size=(Hn, I)), g.normal(scale=0.6, size=(Hn, Hn))
        b_ih, b_hh = g.normal(size=Hn), g.normal(size=Hn)
        g_T = g.normal(size=Hn)
        case = f"T = {T}, hidden size {Hn}"
        h = cr.tensor(h0, requires_grad=True)
        states = []
        for t in range(T):
            h = cr.tanh(cr.tensor(W_ih) @ cr.tensor(X[t]) + cr.tensor(b_ih)
                        + cr.tensor(W_hh) @ h + cr.tensor(b_hh))
            h.retain_grad()
            states.append(h)
        (states[-1] * cr.tensor(g_T)).sum().backward()
        expected = np.stack([s.grad.numpy() for s in states])
        H = np.stack([s.detach().numpy() for s in states])
        received = call(case, hint, f, W_hh, H, g_T)
        mistakes = []
        if T > 1:
            no_tanh = np.zeros_like(expected)
            no_tanh[-1] = g_T
            for t in range(T - 1, 0, -1):
                no_tanh[t - 1] = W_hh.T @ no_tanh[t]
            mistakes.append((no_tanh, "the tanh′ factors (1 − h_t²) are missing"))
        compare(case, expected, received, hint=hint, what="∂L/∂h_t (rows)",
                transposable=False, mistakes=mistakes)


EXERCISES = (
    Exercise("9.1", "rnn_forward", "a recurrent layer over a sequence", check_rnn_forward),
    Exercise("9.2", "lstm_cell", "one step of an LSTM cell: the gates", check_lstm_cell),
    Exercise("9.3", "bptt", "backpropagation through time", check_bptt),
)
