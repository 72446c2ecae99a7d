"""Reference solutions of lesson 1 (vectors, matrices, notation)."""
import numpy as np


def affine(W, b, x):
    # z = W x + b: (m×n)(n) → (m), plus b ∈ ℝ^m
    return W @ x + b


def dense_layer(X, W, b):
    # rows are samples: X Wᵀ is (N×n)(n×m) = N×m; b broadcasts over the rows
    Z = X @ W.T + b
    # σ(z) = ½(1 + tanh(z/2)) is the same function, and cannot overflow for large |z|
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def count_parameters(sizes):
    # layer k: W_k has n_k·n_{k−1} entries and b_k has n_k
    return int(sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))


def broadcast_shape(shape_a, shape_b):
    # align the shapes on the right; missing leading dimensions count as 1
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    out = []
    for da, db in zip(a, b):
        if da != db and da != 1 and db != 1:
            raise ValueError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be broadcast: "
                             f"{da} and {db} differ and neither is 1")
        out.append(db if da == 1 else da)
    return tuple(out)
