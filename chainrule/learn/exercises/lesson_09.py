"""Lesson 9 — recurrent networks and LSTMs: the recurrence, backpropagation through time, gates.

Write each function below, then grade it:   chainrule learn check 9     (or check 9.2, …)
Vectors are 1-D NumPy arrays. The lesson explains the mathematics: chainrule learn show 9.
"""
import numpy as np  # noqa: F401  (you will need it)


def rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    """Exercise 9.1 — a recurrent layer (nn.RNN with tanh) over one sequence.

    X ∈ ℝ^{T×I} holds the inputs x₁ … x_T as rows; h₀ ∈ ℝ^H the initial state; W_ih ∈ ℝ^{H×I},
    W_hh ∈ ℝ^{H×H}, b_ih, b_hh ∈ ℝ^H. For t = 1 … T:

        h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh).

    Return all the states h₁ … h_T as the rows of an array of shape (T, H).
    """
    raise NotImplementedError


def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """Exercise 9.2 — one step of an LSTM cell (nn.LSTMCell).

    x ∈ ℝ^I, the previous state h ∈ ℝ^H and cell c ∈ ℝ^H; W_ih ∈ ℝ^{4H×I}, W_hh ∈ ℝ^{4H×H},
    b_ih, b_hh ∈ ℝ^{4H}. The pre-activations a = W_ih x + b_ih + W_hh h + b_hh are split into four
    blocks of H, in PyTorch's order: input gate, forget gate, candidate, output gate:

        i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o),
        c′ = f ⊙ c + i ⊙ g,       h′ = o ⊙ tanh(c′).

    Return the pair (h′, c′).
    """
    raise NotImplementedError


def bptt(W_hh, H, g_T):
    """Exercise 9.3 — backpropagation through time, through the states of a tanh RNN.

    H ∈ ℝ^{T×H} holds the states h₁ … h_T of h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
    (rows), and g_T = ∂L/∂h_T is the gradient of a loss that depends on the last state only.
    Return the array of shape (T, H) whose row t is ∂L/∂h_t (row T is g_T itself).
    """
    raise NotImplementedError
