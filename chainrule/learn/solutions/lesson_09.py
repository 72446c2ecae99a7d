"""Reference solutions of lesson 9 (recurrent networks, LSTM)."""
import numpy as np


def rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    h, states = h0, []
    for x in X:                                   # the recurrence is sequential in t
        h = np.tanh(W_ih @ x + b_ih + W_hh @ h + b_hh)
        states.append(h)
    return np.stack(states)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = W_ih @ x + b_ih + W_hh @ h + b_hh
    a_i, a_f, a_g, a_o = np.split(a, 4)           # PyTorch's order: i, f, g, o
    i, f, g, o = _sigmoid(a_i), _sigmoid(a_f), np.tanh(a_g), _sigmoid(a_o)
    c_new = f * c + i * g                         # the cell is updated additively
    return o * np.tanh(c_new), c_new


def bptt(W_hh, H, g_T):
    T = H.shape[0]
    grads = np.zeros_like(H, dtype=np.float64)
    grads[-1] = g_T
    for t in range(T - 1, 0, -1):
        # h_t = tanh(z_t), z_t = … + W_hh h_{t−1}: ∂L/∂h_{t−1} = W_hhᵀ ((1 − h_t²) ⊙ ∂L/∂h_t)
        grads[t - 1] = W_hh.T @ ((1.0 - H[t] ** 2) * grads[t])
    return grads
