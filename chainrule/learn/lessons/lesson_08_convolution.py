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
# # Lesson 8 — Convolutional networks: convolution, im2col, receptive fields, pooling
#
# A dense layer on a 28×28 image connects every pixel to every unit and ignores that pixels have
# neighbours. A **convolution** looks at one small window at a time, with the same weights
# everywhere: a detector for a local pattern, slid over the whole image. This lesson computes
# convolutions by hand, as one matrix product (im2col, how fast libraries do it), follows how far
# each output can see (its receptive field), and pools.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## The convolution of a layer
#
# `nn.Conv2d(C, O, k)` holds $O$ kernels $W \in \mathbb{R}^{O \times C \times k \times k}$ and a
# bias $b \in \mathbb{R}^O$. For an input $X$ with $C$ channels, output channel $o$ at position
# $(i, j)$ is a dot product of kernel $o$ with the window under it:
#
# $$Y_{o,i,j} = b_o + \sum_{c} \sum_{p=0}^{k-1} \sum_{q=0}^{k-1}
# W_{o,c,p,q}\, X_{c,\, i+p,\, j+q}.$$
#
# (Mathematicians call this a cross-correlation: a true convolution flips the kernel. Deep
# learning keeps the name and does not flip.) chainrule states it with stride $s$, padding and
# dilation $d$ in general:

# %%
print(cr.nn.Conv2d(1, 2, 3).formula())

# %% [markdown]
# Two things make convolutions fit images. **Weight sharing**: the same $k \times k$ kernel is
# used at every position, so a 3×3 layer from 1 to 8 channels has $8 \cdot 9 + 8 = 80$
# parameters whatever the image size, where a dense layer from 28×28 to 28×28×8 would have about
# 4.9 million. **Locality**: each output depends on a small window only.
#
# ## Output size
#
# A kernel of $k$ taps spaced $d$ apart spans $d(k-1)+1$ inputs. On an input of size $n$ padded
# with $p$ zeros on each side and moved $s$ at a time, it fits at
#
# $$n' = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1$$
#
# positions. A 3×3 kernel with padding 1 and stride 1 keeps the size ("same" padding); stride 2
# halves it.

# %%
x = cr.zeros(1, 1, 28, 28)
for kwargs in ({}, {"padding": 1}, {"stride": 2, "padding": 1}, {"dilation": 2}):
    print(f"3×3 kernel, {kwargs or 'no options'}: output",
          tuple(F.conv2d(x, cr.zeros(1, 1, 3, 3), **kwargs).shape[2:]))

# %% [markdown]
# ## Feature maps: what kernels detect
#
# A kernel responds where the image looks like it. The Sobel kernels measure horizontal and
# vertical change; the feature maps they produce light up along edges. Max pooling then keeps the
# strongest response of each 2×2 window, halving the resolution.

# %%
yy, xx = np.mgrid[0:32, 0:32]
image = (((xx - 11) ** 2 + (yy - 12) ** 2 < 49) | ((abs(xx - 23) < 5) & (abs(yy - 21) < 7)))
image = image.astype(np.float64)
sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
kernels = np.stack([sobel_x, sobel_x.T])[:, None]                # 2 output channels, 1 input
maps = F.conv2d(cr.tensor(image[None, None]), cr.tensor(kernels), padding=1)
pooled = F.max_pool2d(cr.relu(maps), 2)

fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
panels = [(image, "input image"), (maps.numpy()[0, 0], "Sobel x: vertical edges"),
          (maps.numpy()[0, 1], "Sobel y: horizontal edges"),
          (pooled.numpy()[0, 0], "Sobel x → ReLU → 2×2 max pool")]
for ax, (picture, title) in zip(axes, panels):
    ax.imshow(picture, cmap="gray")
    ax.set_title(title, fontsize=10)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Convolution as a matrix product: im2col
#
# Loops over pixels are slow; matrix products are fast. **im2col** copies the window under each
# output position into a column: for $C$ channels and a $k \times k$ kernel each column has
# $C k^2$ entries, and there is one column per output position. Every kernel, flattened into a
# row, then meets every window in one product:
#
# $$Y = W_{\text{flat}}\, \mathrm{cols}(X) + b, \qquad
# W_{\text{flat}} \in \mathbb{R}^{O \times C k^2}, \quad
# \mathrm{cols}(X) \in \mathbb{R}^{C k^2 \times H' W'}.$$
#
# Here it is on a 3×3 image with a 2×2 kernel: four positions, four columns.

# %%
X = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
K = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
cols = np.stack([X[0, :, i:i + 2, j:j + 2].reshape(-1) for i in range(2) for j in range(2)], 1)
print("X =\n", X[0, 0])
print("im2col(X): one window per column =\n", cols)
print("W_flat @ cols =", (K.reshape(1, -1) @ cols).reshape(2, 2).tolist())
print("F.conv2d      =", F.conv2d(cr.tensor(X), cr.tensor(K)).numpy()[0, 0].tolist())

# %% [markdown]
# The backward pass is the same product read backwards: $\partial L/\partial W_{\text{flat}} =
# G\, \mathrm{cols}(X)^\top$ (lesson 3's $\delta\, x^\top$, summed over positions), and the
# gradient of the columns, $W_{\text{flat}}^\top G$, is added back into the pixels it came from
# (col2im) — each pixel collects from every window that contains it.
#
# ## Receptive fields
#
# One 3×3 layer sees a 3×3 window. A second 3×3 layer sees 3×3 outputs of the first, each seeing
# 3×3 inputs: a 5×5 window. With $L$ stacked 3×3 layers (stride 1) the **receptive field** is
# $(2L+1) \times (2L+1)$; strides and pooling make it grow much faster. Autograd shows it
# directly: the gradient of one output pixel with respect to the input is nonzero exactly on the
# inputs it depends on.

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for depth, ax in zip((1, 2, 3), axes):
    inp = cr.zeros(1, 1, 15, 15, requires_grad=True)
    out = inp
    for _ in range(depth):
        out = F.conv2d(out, cr.ones(1, 1, 3, 3), padding=1)
    out[0, 0, 7, 7].backward()
    ax.imshow(inp.grad.numpy()[0, 0] != 0, cmap="Blues")
    ax.set_title(f"{depth} layer{'s' if depth > 1 else ''} of 3×3: "
                 f"{2 * depth + 1}×{2 * depth + 1}", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("what one output pixel sees (nonzero ∂y/∂x)", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Pooling and its gradient
#
# Max pooling with a $k \times k$ window and stride $k$ keeps the largest value of each window:
# small shifts of the input change little, and the resolution drops by $k$. Its derivative is 1
# for the input that was the maximum and 0 for the others, so the backward pass **routes** each
# window's gradient to the position of its maximum:

# %%
X = np.array([[[[1.0, 3.0, 2.0, 0.0],
                [4.0, 2.0, 1.0, 5.0],
                [0.0, 1.0, 2.0, 2.0],
                [1.0, 0.0, 2.0, 1.0]]]])
t = cr.tensor(X, requires_grad=True)
Y = F.max_pool2d(t, 2)
Y.backward(cr.tensor([[[[10.0, 20.0], [30.0, 40.0]]]]))
print("Y =\n", Y.detach().numpy()[0, 0])
print("∂L/∂X for G = [[10, 20], [30, 40]] =\n", t.grad.numpy()[0, 0])

# %% [markdown]
# The bottom-right window holds 2 twice: by PyTorch's convention the gradient goes to the first
# maximum in row-major order.
#
# ## Exercises
#
# In your workspace (`chainrule learn start`), open `lesson_08.py`, then grade with
# `chainrule learn check 8`.
#
# - **8.1** `conv_output_size(size, kernel_size, stride, padding, dilation)`: the formula above.
# - **8.2** `conv2d_im2col(X, W, b)`: a convolution layer's forward pass, as one matrix product.
# - **8.3** `maxpool2d_backward(X, G, k)`: route each window's gradient to its maximum — ties
#   and sizes that are not multiples of $k$ included.
#
# Working in Jupyter instead? Write the function in a cell of this notebook and grade it there
# (no time limit, and no progress saved):
# `from chainrule.learn import grade_function; print(grade_function("8.1", conv_output_size))`.
