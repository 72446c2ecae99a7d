# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 9 — Recurrent networks and LSTMs: backpropagation through time
#
# Text, speech and time series arrive as sequences $x_1, x_2, \dots, x_T$ of any length. A
# **recurrent network** reads them one element at a time and carries a state $h_t$ from step to
# step: the same weights at every step, as a convolution uses the same kernel at every position.
# This lesson unrolls the recurrence, backpropagates through it, sees the gradient vanish over
# long spans, and shows how the LSTM's gates let it survive.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr

cr.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The recurrence
#
# A simple (Elman) recurrent layer, `nn.RNN`, computes for $t = 1, \dots, T$
#
# $$h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}),$$
#
# from an initial state $h_0$ (zeros by default). Unrolled over time it is a deep network with
# $T$ layers that share their weights — and backpropagation through it is ordinary
# backpropagation through that deep network, called **backpropagation through time** (BPTT).

# %%
rnn = cr.nn.RNN(input_size=3, hidden_size=4)
x = cr.randn(6, 1, 3)                          # T = 6 steps, a batch of 1, 3 features
outputs, h_last = rnn(x)
print("all states:", tuple(outputs.shape), "  last state:", tuple(h_last.shape))
print(rnn.formula())

# %% [markdown]
# ## Backpropagation through time
#
# The loss reaches an early state $h_t$ only through all the later ones. One step back multiplies
# the gradient by the transposed Jacobian of $h_{t+1} = \tanh(\dots + W_{hh} h_t)$:
#
# $$\frac{\partial L}{\partial h_t} = W_{hh}^\top \left( (1 - h_{t+1}^2) \odot
# \frac{\partial L}{\partial h_{t+1}} \right),$$
#
# so the gradient arriving $k$ steps back has been multiplied by $k$ such matrices. Their size
# decides its fate: if $W_{hh}$ shrinks vectors (its largest singular value below 1, and
# $1 - h^2 \le 1$ only shrinks more), the gradient **vanishes** geometrically; if $W_{hh}$
# stretches them enough, it can **explode**. Either way, what happened many steps ago is hard to
# learn from. Here is $\|\partial L / \partial h_t\|$ for $L$ depending on the last state, with
# $W_{hh}$ scaled to three sizes:

# %%
T, H = 40, 16
inputs = cr.randn(T, 1, 8)
fig, ax = plt.subplots(figsize=(6.5, 4))
for scale in (0.5, 1.0, 2.0):
    layer = cr.nn.RNN(8, H).double()
    with cr.no_grad():
        q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(H, H)))
        layer.weight_hh_l0.copy_(cr.tensor(scale * q))        # all singular values = scale
    h = cr.zeros(1, 1, H, dtype=cr.float64)
    norms, states = [], []
    for t in range(T):
        _, h = layer(inputs[t:t + 1].double(), h)
        h.retain_grad()
        states.append(h)
    states[-1].sum().backward()
    ax.semilogy(range(1, T + 1), [float(np.linalg.norm(s.grad.numpy())) for s in states],
                label=f"W_hh with singular values {scale}")
ax.set_xlabel("time step t")
ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
ax.set_title("the gradient reaching earlier states (L depends on h_40)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The LSTM
#
# The **long short-term memory** cell adds a second state, the cell $c_t$, updated by addition
# rather than by a matrix product, and three gates with values in $(0, 1)$ that decide what to
# write, what to keep and what to show:
#
# $$i = \sigma(a_i), \quad f = \sigma(a_f), \quad g = \tanh(a_g), \quad o = \sigma(a_o),$$
#
# $$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t),$$
#
# where $a = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}$ is split into the four blocks (in
# PyTorch's order i, f, g, o). Along the cell, one step back multiplies the gradient by just
# $f$: when the forget gate is near 1, $\partial c_t / \partial c_{t-1} \approx 1$ and the
# gradient travels many steps intact. The gates are learned, so the network decides what to
# remember.

# %%
print(cr.nn.LSTMCell(8, H).formula().forward.text)

# %% [markdown]
# How much does the last output depend on each input $x_t$? With default initialisation, and the
# LSTM's forget-gate bias raised to 1 (a common choice, so that it starts by remembering):

# %%
def input_sensitivity(layer):
    xs = cr.randn(T, 1, 8, dtype=cr.float64, requires_grad=True)
    out, _ = layer(xs)
    out[-1].sum().backward()
    return np.linalg.norm(xs.grad.numpy()[:, 0, :], axis=1)


cr.manual_seed(0)
plain = cr.nn.RNN(8, H).double()
lstm = cr.nn.LSTM(8, H).double()
with cr.no_grad():
    lstm.bias_ih_l0[H:2 * H] = 1.0                     # the forget gate's block
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.semilogy(range(1, T + 1), input_sensitivity(plain), label="RNN (tanh)")
ax.semilogy(range(1, T + 1), input_sensitivity(lstm), label="LSTM")
ax.set_xlabel("input step t")
ax.set_ylabel(r"$\|\partial h_{40} / \partial x_t\|$ (summed over units)")
ax.set_title("how far back the last state can see")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_09.py`, then grade with
# `chainrule learn check 9`.
#
# - **9.1** `rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh)`: the states of a tanh RNN over a
#   sequence.
# - **9.2** `lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)`: one LSTM step — gate order included.
# - **9.3** `bptt(W_hh, H, g_T)`: $\partial L / \partial h_t$ for every $t$, back through the
#   recurrence.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("9.1", rnn_forward))`.
