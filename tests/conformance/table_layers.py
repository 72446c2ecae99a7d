"""Conformance entries for the convolution, pooling, normalization and padding layers and their
functional forms (chainrule/ops/conv.py, pool.py, norm.py; chainrule/nn/layers/conv.py,
pooling.py, normalization.py, padding.py).

Modules with parameters are built in float64 and given the same deterministic parameters in
both libraries (:func:`_module`), so the programs compare outputs and input gradients; the
functional cases take weights as inputs, so their gradients are compared too.
"""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, positive, value

X1 = floats(2, 3, 7)
X2 = floats(2, 3, 6, 5)
X3 = floats(2, 2, 5, 4, 6)


def _module(L, name, *args, **kwargs):
    """``L.nn.<name>(*args, **kwargs)`` in float64 with parameters drawn from a fixed seed."""
    m = getattr(L.nn, name)(*args, **kwargs).double()
    rng = np.random.default_rng(7)
    state = {k: L.tensor(rng.uniform(0.5, 1.5, tuple(v.shape)) if v.dtype in (L.float32,
                                                                                L.float64)
                         else v.numpy())
             for k, v in m.state_dict().items()}
    m.load_state_dict(state)
    return m


def _mod_case(name, args, kwargs, x, label="", train=True):
    def program(L, inp):
        m = _module(L, name, *args, **kwargs)
        m.train(train)
        return m(inp)
    return case(program, x, grad=[0], label=label or name)


def _functional(name, *args, **kwargs):
    return lambda L, x: getattr(L.nn.functional, name)(x, *args, **kwargs)


# ------------------------------------------------------------------------------ convolution
CONV = [
    Entry("nn.functional.conv1d", [
        case(lambda L, x, w, b: L.nn.functional.conv1d(x, w, b, 2, 1, 2), X1, floats(4, 3, 2),
             floats(4), grad=[0, 1, 2]),
        case(lambda L, x, w: L.nn.functional.conv1d(x, w, padding="same"), X1, floats(2, 3, 4),
             grad=[0, 1], label="same, even kernel"),
        case(lambda L, x, w: L.nn.functional.conv1d(x, w), floats(3, 7), floats(2, 3, 2),
             grad=[0, 1], label="unbatched"),
    ]),
    Entry("nn.functional.conv2d", [
        case(lambda L, x, w: L.nn.functional.conv2d(x, w, None, (2, 1), (1, 0), (1, 2), 3), X2,
             floats(6, 1, 3, 2), grad=[0, 1], label="groups"),
    ]),
    Entry("nn.functional.conv3d", [
        case(lambda L, x, w, b: L.nn.functional.conv3d(x, w, b, (1, 2, 1), (1, 0, 2), (2, 1, 1)),
             X3, floats(3, 2, 2, 2, 3), floats(3), grad=[0, 1, 2]),
        case(lambda L, x, w: L.nn.functional.conv3d(x, w, groups=2, padding="same"), X3,
             floats(4, 1, 3, 2, 1), grad=[0, 1], label="same, groups"),
        case(lambda L, x, w: L.nn.functional.conv3d(x, w, padding="valid"), floats(2, 3, 3, 4),
             floats(2, 2, 2, 2, 2), grad=[0, 1], label="unbatched"),
    ]),
    Entry("nn.functional.conv_transpose1d", [
        case(lambda L, x, w, b: L.nn.functional.conv_transpose1d(x, w, b, 2, 1, 1), X1,
             floats(3, 2, 3), floats(2), grad=[0, 1, 2]),
    ]),
    Entry("nn.functional.conv_transpose2d", [
        case(lambda L, x, w: L.nn.functional.conv_transpose2d(x, w, None, 2, 1, (1, 0), 3, 1),
             X2, floats(3, 2, 3, 2), grad=[0, 1]),
    ]),
    Entry("nn.functional.conv_transpose3d", [
        case(lambda L, x, w, b: L.nn.functional.conv_transpose3d(x, w, b, (2, 1, 2), (1, 0, 0),
                                                                  (1, 0, 0), 1, (1, 2, 1)),
             X3, floats(2, 3, 2, 2, 3), floats(3), grad=[0, 1, 2]),
        case(lambda L, x, w: L.nn.functional.conv_transpose3d(x, w, groups=2), X3,
             floats(2, 2, 1, 2, 2), grad=[0, 1], label="groups"),
    ]),
    Entry("nn.Conv3d", [
        _mod_case("Conv3d", (2, 4, 3), dict(padding=1, stride=2), X3),
        _mod_case("Conv3d", (2, 2, (2, 3, 1)), dict(padding="same", padding_mode="reflect"), X3,
                  label="reflect"),
        _mod_case("Conv3d", (2, 2, 2), dict(padding=(1, 0, 1), padding_mode="circular",
                                            bias=False), floats(2, 3, 3, 4), label="circular"),
    ]),
    Entry("nn.ConvTranspose1d", [
        _mod_case("ConvTranspose1d", (3, 4, 3), dict(stride=2, output_padding=1), X1),
        _mod_case("ConvTranspose1d", (3, 6, 2), dict(groups=3, dilation=2), floats(3, 4),
                  label="unbatched, groups"),
    ]),
    Entry("nn.ConvTranspose3d", [
        _mod_case("ConvTranspose3d", (2, 3, 2), dict(stride=(2, 1, 1), padding=(0, 1, 0)), X3),
        case(lambda L, x: _module(L, "ConvTranspose3d", 2, 1, 3, stride=2, padding=1)(
            x, output_size=(10, 8, 12)), X3, grad=[0], label="output_size"),
    ]),
]

# ------------------------------------------------------------------------------ pooling
POOL = [
    Entry("nn.functional.max_pool1d", [
        case(_functional("max_pool1d", 3, 2, 1, 2, True), X1, grad=[0]),
        case(_functional("max_pool1d", 2, return_indices=True), X1, grad=[0], label="indices"),
    ]),
    Entry("nn.functional.max_pool2d", [
        case(_functional("max_pool2d", (3, 2), (2, 1), (1, 1), (1, 2), True, True), X2,
             grad=[0], label="all options"),
        case(_functional("max_pool2d", 2, ceil_mode=True), floats(3, 5, 5), grad=[0],
             label="unbatched ceil"),
    ]),
    Entry("nn.functional.max_pool3d", [
        case(_functional("max_pool3d", 2), X3, grad=[0]),
        case(_functional("max_pool3d", (3, 2, 2), (2, 1, 2), 1, (1, 1, 2), True, True), X3,
             grad=[0], label="all options"),
    ]),
    Entry("nn.functional.max_pool1d_with_indices", [
        case(_functional("max_pool1d_with_indices", 3, 2, 1), X1, grad=[0])]),
    Entry("nn.functional.max_pool2d_with_indices", [
        case(_functional("max_pool2d_with_indices", 3, 2, 1, ceil_mode=True), X2, grad=[0])]),
    Entry("nn.functional.max_pool3d_with_indices", [
        case(_functional("max_pool3d_with_indices", 2, 1), X3, grad=[0])]),
    Entry("nn.functional.avg_pool1d", [
        case(_functional("avg_pool1d", 3, 2, 1, True, False), X1, grad=[0])]),
    Entry("nn.functional.avg_pool2d", [
        case(_functional("avg_pool2d", 3, 2, 1, True, True, 4), X2, grad=[0],
             label="divisor_override"),
        case(_functional("avg_pool2d", (2, 3), 1, (1, 0), False, False), X2, grad=[0]),
    ]),
    Entry("nn.functional.avg_pool3d", [
        case(_functional("avg_pool3d", 2), X3, grad=[0]),
        case(_functional("avg_pool3d", 3, 2, 1, True, False), X3, grad=[0], label="options"),
        case(_functional("avg_pool3d", (2, 1, 3), None, 0, False, True, 2), floats(2, 4, 3, 5),
             grad=[0], label="unbatched divisor"),
    ]),
    Entry("nn.functional.adaptive_avg_pool1d", [
        case(_functional("adaptive_avg_pool1d", 3), X1, grad=[0])]),
    Entry("nn.functional.adaptive_avg_pool2d", [
        case(_functional("adaptive_avg_pool2d", (4, None)), X2, grad=[0])]),
    Entry("nn.functional.adaptive_avg_pool3d", [
        case(_functional("adaptive_avg_pool3d", (2, 3, 4)), X3, grad=[0]),
        case(_functional("adaptive_avg_pool3d", 1), floats(2, 3, 3, 2), grad=[0],
             label="unbatched"),
    ]),
    Entry("nn.functional.adaptive_max_pool1d", [
        case(_functional("adaptive_max_pool1d", 3), X1, grad=[0]),
        case(_functional("adaptive_max_pool1d", 4, True), X1, grad=[0], label="indices"),
    ]),
    Entry("nn.functional.adaptive_max_pool2d", [
        case(_functional("adaptive_max_pool2d", (4, 3), True), X2, grad=[0]),
        case(_functional("adaptive_max_pool2d", (None, 2)), floats(3, 5, 4), grad=[0],
             label="unbatched None"),
    ]),
    Entry("nn.functional.adaptive_max_pool3d", [
        case(_functional("adaptive_max_pool3d", (3, 3, 4), True), X3, grad=[0])]),
    Entry("nn.functional.adaptive_max_pool1d_with_indices", [
        case(_functional("adaptive_max_pool1d_with_indices", 5), X1, grad=[0])]),
    Entry("nn.functional.adaptive_max_pool2d_with_indices", [
        case(_functional("adaptive_max_pool2d_with_indices", 4), X2, grad=[0])]),
    Entry("nn.functional.adaptive_max_pool3d_with_indices", [
        case(_functional("adaptive_max_pool3d_with_indices", 2), X3, grad=[0])]),
    Entry("nn.functional.max_unpool1d", [
        case(lambda L, x: L.nn.functional.max_unpool1d(
            *L.nn.functional.max_pool1d(x, 2, return_indices=True), 2, output_size=(7,)), X1,
            grad=[0])]),
    Entry("nn.functional.max_unpool2d", [
        case(lambda L, x: L.nn.functional.max_unpool2d(
            *L.nn.functional.max_pool2d(x, 2, return_indices=True), 2, output_size=(6, 5)), X2,
            grad=[0]),
        case(lambda L, x: L.nn.functional.max_unpool2d(
            *L.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1, (6, 5)), X2,
            grad=[0], label="padding"),
    ]),
    Entry("nn.functional.max_unpool3d", [
        case(lambda L, x: L.nn.functional.max_unpool3d(
            *L.nn.functional.max_pool3d(x, 2, return_indices=True), 2, output_size=(5, 4, 6)),
            X3, grad=[0])]),
    Entry("nn.functional.lp_pool1d", [
        case(_functional("lp_pool1d", 2.0, 3, 2), positive(2, 3, 7), grad=[0])]),
    Entry("nn.functional.lp_pool2d", [
        case(_functional("lp_pool2d", 3, (2, 3), 1, True), X2, grad=[0])]),
    Entry("nn.functional.lp_pool3d", [
        case(_functional("lp_pool3d", 1.5, 2), positive(2, 2, 5, 4, 6), grad=[0])]),
    Entry("nn.MaxPool3d", [_mod_case("MaxPool3d", (3,), dict(stride=2, padding=1,
                                                            ceil_mode=True), X3)]),
    Entry("nn.AvgPool3d", [_mod_case("AvgPool3d", (3,), dict(stride=2, padding=1,
                                                            count_include_pad=False), X3)]),
    Entry("nn.AdaptiveMaxPool1d", [_mod_case("AdaptiveMaxPool1d", (3,), {}, X1)]),
    Entry("nn.AdaptiveMaxPool2d", [_mod_case("AdaptiveMaxPool2d", ((4, 2),),
                                             dict(return_indices=True), X2)]),
    Entry("nn.AdaptiveMaxPool3d", [_mod_case("AdaptiveMaxPool3d", (2,), {}, X3)]),
    Entry("nn.AdaptiveAvgPool1d", [_mod_case("AdaptiveAvgPool1d", (4,), {}, X1)]),
    Entry("nn.AdaptiveAvgPool3d", [_mod_case("AdaptiveAvgPool3d", ((None, 3, 2),), {}, X3)]),
    Entry("nn.MaxUnpool1d", [case(lambda L, x: L.nn.MaxUnpool1d(3)(
        *L.nn.MaxPool1d(3, return_indices=True)(x)), X1, grad=[0])]),
    Entry("nn.MaxUnpool2d", [case(lambda L, x: L.nn.MaxUnpool2d(2)(
        *L.nn.MaxPool2d(2, return_indices=True)(x), output_size=(6, 5)), X2, grad=[0])]),
    Entry("nn.MaxUnpool3d", [case(lambda L, x: L.nn.MaxUnpool3d(2, 2)(
        *L.nn.MaxPool3d(2, return_indices=True)(x)), X3, grad=[0])]),
    Entry("nn.LPPool1d", [_mod_case("LPPool1d", (2, 3), {}, positive(2, 3, 7))]),
    Entry("nn.LPPool2d", [_mod_case("LPPool2d", (1, 2), dict(stride=1), X2)]),
    Entry("nn.LPPool3d", [_mod_case("LPPool3d", (2, 2), {}, positive(2, 2, 5, 4, 6))]),
]

# ------------------------------------------------------------------------------ normalization
NORM = [
    Entry("nn.functional.instance_norm", [
        case(lambda L, x, w, b: L.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
             X2, floats(3), floats(3), grad=[0, 1, 2]),
        case(lambda L, x: L.nn.functional.instance_norm(x), X1, grad=[0], label="1-d"),
        case(lambda L, x, m, v: L.nn.functional.instance_norm(x, m, v, use_input_stats=False),
             X3, floats(2), positive(2), grad=[0], label="running stats"),
        case(lambda L, x: L.nn.functional.instance_norm(x), floats(2, 3, 1), raises=True,
             label="one spatial element"),
    ]),
    Entry("nn.functional.local_response_norm", [
        case(_functional("local_response_norm", 3), X2, grad=[0]),
        case(_functional("local_response_norm", 4, 0.1, 0.5, 2.0), X3, grad=[0], label="5-d"),
        case(_functional("local_response_norm", 2), X1, grad=[0], label="3-d"),
    ]),
    Entry("nn.functional.rms_norm", [
        case(lambda L, x, w: L.nn.functional.rms_norm(x, (6, 5), w), X2, floats(6, 5),
             grad=[0, 1]),
        case(lambda L, x: L.nn.functional.rms_norm(x, [7], eps=0.1), X1, grad=[0],
             label="eps"),
    ]),
    Entry("nn.functional.batch_norm", [
        case(lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b, True), X2,
             floats(3), floats(3), grad=[0, 1, 2], label="training"),
        case(lambda L, x, m, v: L.nn.functional.batch_norm(x, m, v, eps=1e-3), X3, floats(2),
             positive(2), grad=[0], label="running stats"),
        case(lambda L, x, m, v: (L.nn.functional.batch_norm(x, m, v, None, None, True, 0.3), m,
                                 v), X1, floats(3), positive(3), grad=[0],
             label="running update"),
    ]),
    Entry("nn.functional.layer_norm", [
        case(lambda L, x, w, b: L.nn.functional.layer_norm(x, (6, 5), w, b), X2, floats(6, 5),
             floats(6, 5), grad=[0, 1, 2]),
        case(lambda L, x: L.nn.functional.layer_norm(x, [7], eps=0.1), X1, grad=[0],
             label="no affine"),
    ]),
    Entry("nn.functional.group_norm", [
        case(lambda L, x, w, b: L.nn.functional.group_norm(x, 3, w, b), floats(2, 6, 4),
             floats(6), floats(6), grad=[0, 1, 2]),
        case(lambda L, x: L.nn.functional.group_norm(x, 1), X3, grad=[0], label="one group"),
    ]),
    Entry("nn.BatchNorm3d", [
        _mod_case("BatchNorm3d", (2,), {}, X3),
        _mod_case("BatchNorm3d", (2,), {}, X3, label="eval", train=False),
    ]),
    Entry("nn.InstanceNorm1d", [
        _mod_case("InstanceNorm1d", (3,), {}, X1),
        _mod_case("InstanceNorm1d", (3,), dict(affine=True), floats(3, 7), label="unbatched"),
    ]),
    Entry("nn.InstanceNorm2d", [
        _mod_case("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True), X2),
        _mod_case("InstanceNorm2d", (3,), dict(track_running_stats=True), X2, label="eval",
                  train=False),
    ]),
    Entry("nn.InstanceNorm3d", [_mod_case("InstanceNorm3d", (2,), dict(affine=True), X3)]),
    Entry("nn.LocalResponseNorm", [_mod_case("LocalResponseNorm", (3, 0.2, 0.8, 1.5), {}, X2)]),
    Entry("nn.RMSNorm", [
        _mod_case("RMSNorm", ((6, 5),), {}, X2),
        _mod_case("RMSNorm", (7,), dict(eps=1e-3, elementwise_affine=False), X1,
                  label="no affine"),
    ]),
]

# ------------------------------------------------------------------------------ padding
PAD_SHAPES = {1: X1, 2: X2, 3: X3}
PAD_ARGS = {1: (2, 1), 2: (1, 0, 2, 1), 3: (1, 2, 0, 1, 2, 1)}
PAD = []
for _kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"):
    for _nd in (1, 2, 3):
        _args = (PAD_ARGS[_nd], 0.5) if _kind == "ConstantPad" else (PAD_ARGS[_nd],)
        _int = (1, 0.5) if _kind == "ConstantPad" else (1,)
        PAD.append(Entry(f"nn.{_kind}{_nd}d", [
            _mod_case(f"{_kind}{_nd}d", _args, {}, PAD_SHAPES[_nd]),
            _mod_case(f"{_kind}{_nd}d", _int, {}, PAD_SHAPES[_nd], label="int padding"),
        ]))

ENTRIES = CONV + POOL + NORM + PAD
_ = value  # (kept for tables that pass Python values)
