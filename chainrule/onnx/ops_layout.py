"""Rearranging blocks of a tensor: Tile, Split, DepthToSpace, SpaceToDepth.

Each moves numbers without changing them, as reshapes, permutations, repetitions and slices of
chainrule Tensors, so the gradient is moved back the same way (summed over Tile's copies).
"""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .registry import Node, op
from .values import ints, is_tensor


@op("Tile")
def tile(node: Node):
    r"""Tile(X, repeats): X repeated repeats[i] times along each axis i.

    Derivative: the gradient of the copies summed back onto X.
    """
    def run(x, repeats):
        reps = ints(repeats)
        if len(reps) != x.ndim or any(r < 0 for r in reps):
            raise ValueError(f"Tile: repeats {list(reps)} must be {x.ndim} non-negative "
                             f"integers, one per axis of the input of shape {list(x.shape)}")
        return _ops.tile(x, reps) if is_tensor(x) else np.tile(np.asarray(x), reps)

    return run


@op("Split", max_outputs=1 << 16)
def split(node: Node):
    r"""Split(X, split?) → Y₁, …, Y_m: consecutive parts of X along ``axis`` with the given
    lengths (an attribute before opset 13, an input from 13 on); without them, m equal parts —
    or, from opset 18 with num_outputs, parts of ⌈n/m⌉ with a shorter last one.

    Derivative: the parts' gradients joined back.
    """
    axis = int(node.attr("axis", 0))
    attribute_split = node.ints("split") if node.opset < 13 else None
    num_outputs = node.attr("num_outputs")
    m = len(node.outputs)
    if num_outputs is not None and int(num_outputs) != m:
        raise node.refuse(f"num_outputs={num_outputs} but the node has {m} outputs")

    def run(x, lengths=None):
        r = x.ndim
        if not -r <= axis < r:
            raise ValueError(f"Split: axis={axis} is out of range for rank {r}")
        a = axis % r
        n = x.shape[a]
        sizes = attribute_split if lengths is None else ints(lengths)
        if not sizes:
            if num_outputs is not None:
                part = -(-n // m)
                sizes = [min(part, max(n - k * part, 0)) for k in range(m)]
            elif n % m:
                raise ValueError(f"Split: axis {a} of length {n} does not split into {m} "
                                 "equal parts")
            else:
                sizes = [n // m] * m
        if len(sizes) != m or sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"Split: lengths {list(sizes)} must be {m} non-negative numbers "
                             f"adding up to {n}, the length of axis {a}")
        bounds = np.cumsum([0, *sizes])
        key = (slice(None),) * a
        return tuple(x[key + (slice(int(lo), int(hi)),)] for lo, hi in zip(bounds, bounds[1:]))

    return run


def _permute(x, axes):
    return x.permute(*axes) if is_tensor(x) else np.transpose(x, axes)


def _reshape(x, shape):
    return x.reshape(tuple(shape)) if is_tensor(x) else np.reshape(x, tuple(shape))


def _blocksize(node: Node) -> int:
    b = node.attr("blocksize")
    if b is None or int(b) < 1:
        raise node.refuse(f"blocksize={b!r}: expected a positive integer")
    return int(b)


@op("DepthToSpace")
def depth_to_space(node: Node):
    r"""DepthToSpace(X): (N, C, H, W) → (N, C/b², H·b, W·b), b = blocksize.

    mode DCR (default): Y[n, c, h·b + i, w·b + j] = X[n, (i·b + j)·C/b² + c, h, w];
    mode CRD (PyTorch's pixel_shuffle): Y[n, c, h·b + i, w·b + j] = X[n, c·b² + i·b + j, h, w].
    """
    b = _blocksize(node)
    mode = node.choice("mode", "DCR", ("DCR", "CRD"))

    def run(x):
        if x.ndim != 4 or x.shape[1] % (b * b):
            raise ValueError(f"DepthToSpace: expected (N, C, H, W) with C divisible by "
                             f"blocksize² = {b * b}, got shape {list(x.shape)}")
        n, c, h, w = x.shape
        if mode == "DCR":
            y = _permute(_reshape(x, (n, b, b, c // (b * b), h, w)), (0, 3, 4, 1, 5, 2))
        else:
            y = _permute(_reshape(x, (n, c // (b * b), b, b, h, w)), (0, 1, 4, 2, 5, 3))
        return _reshape(y, (n, c // (b * b), h * b, w * b))

    return run


@op("SpaceToDepth")
def space_to_depth(node: Node):
    r"""SpaceToDepth(X): (N, C, H, W) → (N, C·b², H/b, W/b), the inverse of DepthToSpace's DCR:
    Y[n, (i·b + j)·C + c, h, w] = X[n, c, h·b + i, w·b + j]."""
    b = _blocksize(node)

    def run(x):
        if x.ndim != 4 or x.shape[2] % b or x.shape[3] % b:
            raise ValueError(f"SpaceToDepth: expected (N, C, H, W) with H and W divisible by "
                             f"blocksize = {b}, got shape {list(x.shape)}")
        n, c, h, w = x.shape
        y = _permute(_reshape(x, (n, c, h // b, b, w // b, b)), (0, 3, 5, 1, 2, 4))
        return _reshape(y, (n, c * b * b, h // b, w // b))

    return run
