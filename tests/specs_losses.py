"""Test specs of the loss primitives of chainrule.ops.ctc, in primitive_specs.py's form.

ctc_loss is drawn as a function of logits z through log_softmax (the intended input): PyTorch's
gradient convention for CTC, e^{x} − γ, is then the exact derivative with respect to z, so
gradcheck and the comparison with PyTorch both apply. Targets (with repeats, and empty ones),
input and target lengths are bound as parameters; double backward is not compared (PyTorch has
none for ctc_loss).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

from chainrule.ops.softmax import log_softmax as _log_softmax


@spec("ctc_loss", second_order=False)
def _ctc_loss(d: Drawer) -> Case:
    n = d.draw(st.integers(1, 2 if d.small else 4))
    c = d.draw(st.integers(2, 3 if d.small else 6))
    t_max = d.draw(st.integers(1, 4 if d.small else 10))
    blank = d.draw(st.integers(0, c - 1))
    rng = d.rng()
    labels = [k for k in range(c) if k != blank]
    target_lengths = rng.integers(0, (t_max + 1) // 2 + 1, n)
    width = max(int(target_lengths.max()), 1)
    targets = rng.choice(labels, (n, width))
    if width > 1 and d.draw(st.booleans()):
        targets[:, 1] = targets[:, 0]                        # a repeated label
    input_lengths = rng.integers(0, t_max + 1, n)
    input_lengths = np.maximum(input_lengths, 2 * target_lengths + 1).clip(1, t_max)
    input_lengths[0] = t_max
    zero_infinity = True
    (z,) = d.values([(t_max, n, c)], [OWN])
    params = dict(targets=targets, input_lengths=input_lengths,
                  target_lengths=target_lengths, blank=blank, zero_infinity=zero_infinity)

    def call(z):
        x = _log_softmax(z, axis=2)
        return d.cls.apply(x, **params)

    def torch_call(z):
        return F.ctc_loss(F.log_softmax(z, 2), torch.from_numpy(targets),
                          torch.from_numpy(input_lengths), torch.from_numpy(target_lengths),
                          blank=blank, reduction="none", zero_infinity=zero_infinity)

    def reference(z):
        shifted = z - z.max(axis=2, keepdims=True)
        x = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        return d.reference(x, **params)

    return Case((z,), call, torch_call, reference, (True,), params={
        k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in params.items()})
