"""Conformance entries for the nn modules that chainrule already has, and for the optimizers and
learning-rate schedulers.

A module's random initialisation is not comparable, so each module program sets every parameter
(in ``named_parameters()`` order) from one NumPy stream before running: the two libraries agree
only if they have the same parameter names, shapes and order. The program then backpropagates
Σ y² itself and returns the output, the input's gradient and every parameter's gradient.
"""
from __future__ import annotations

import numpy as np
from harness import Entry, bools, case, floats, ints, positive, value


def _set_params(L, m, seed: int = 1):
    rng = np.random.default_rng(seed)
    with L.no_grad():
        for _, p in m.named_parameters():
            p.copy_(L.tensor(rng.uniform(-0.6, 0.6, tuple(p.shape))))


def _flat(result) -> list:
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _flat(r)]
    return [result] if hasattr(result, "requires_grad") else []


def _module(build, train: bool = False, float_input: bool = True, n_inputs: int = 1):
    """A program that builds ``build(L)`` in float64, sets its parameters, runs it on the inputs
    and returns (output, input grads, parameter names, parameter grads)."""
    def run(L, *xs):
        m = build(L).double()
        _set_params(L, m)
        m.train(train)
        if float_input:
            for x in xs:
                x.requires_grad_(True)
        y = m(*xs)
        loss = sum((t * t).sum() for t in _flat(y) if t.requires_grad)
        loss.backward()
        names = [n for n, _ in m.named_parameters()]
        return (y, [x.grad for x in xs] if float_input else [], names,
                [p.grad for _, p in m.named_parameters()])
    return run


def _state(build, train: bool = True):
    """Buffers after a training-mode forward (running statistics)."""
    def run(L, x):
        m = build(L).double()
        _set_params(L, m)
        m.train(train)
        m(x)
        m(x * 2)
        return [(n, b) for n, b in m.named_buffers()]
    return run


def _lazy_linear(L, x):
    """A LazyLinear: the first call reads in_features and the module becomes a Linear (the
    parameters, set to fixed values after it, then give the same output and gradients)."""
    m = L.nn.LazyLinear(3).double()
    m(x)
    _set_params(L, m)
    x.requires_grad_(True)
    y = m(x)
    (y * y).sum().backward()
    return (type(m).__name__, repr(m), tuple(m.weight.shape), y, x.grad, m.weight.grad,
            m.bias.grad)


def _loaded_lazy(L, w, b):
    m = L.nn.Sequential(L.nn.LazyLinear(3)).double()
    m.load_state_dict({"0.weight": w, "0.bias": b})
    return m


def _parameter_list(L, x):
    """A ParameterList: a Parameter and plain tensors (made Parameters), append, slicing, the
    state_dict's keys, and the gradients of the parameters a forward uses."""
    ps = L.nn.ParameterList([L.nn.Parameter(x * 1.0), L.ones(2, dtype=x.dtype)])
    ps.append(L.zeros(3, dtype=x.dtype) + 0.5)
    ps += [L.ones(1, dtype=x.dtype)]
    y = (ps[0] * ps[-2]).sum() + ps[1].sum() * ps[3][0]
    y.backward()
    return (y, len(ps), list(ps.state_dict()), [type(p).__name__ for p in ps],
            len(ps[1:]), [p.grad for p in ps])


def _parameter_dict(L, x):
    """A ParameterDict: construction, item assignment (a plain tensor made a Parameter),
    update, pop, keys order, the state_dict's keys, and gradients."""
    pd = L.nn.ParameterDict({"w": L.nn.Parameter(x * 1.0), "b": L.ones(3, dtype=x.dtype)})
    pd["s"] = L.full((1,), 2.0, dtype=x.dtype)
    pd.update({"t": L.zeros(2, dtype=x.dtype)})
    popped = pd.pop("t")
    y = ((pd["w"] + pd["b"]) * pd["s"]).sum()
    y.backward()
    return (y, list(pd.keys()), list(pd.state_dict()), "b" in pd, len(pd), popped,
            [p.grad for p in pd.values()], type(pd["b"]).__name__)


def _entry(name, build, *input_sets, train=False, float_input=True, xfail=""):
    return Entry(name, [case(_module(build, train, float_input), *inputs, xfail=xfail)
                        for inputs in input_sets])


# ------------------------------------------------------------------------------ layers
LAYERS = [
    _entry("nn.Linear", lambda L: L.nn.Linear(3, 2), (floats(4, 3),), (floats(2, 5, 3),),
           (floats(3),)),
    Entry("nn.Linear", [case(_module(lambda L: L.nn.Linear(3, 2, bias=False)), floats(4, 3)),
                        case(_module(lambda L: L.nn.Linear(3, 2)), floats(0, 3),
                             label="empty batch")]),
    _entry("nn.Conv1d", lambda L: L.nn.Conv1d(2, 3, 3, padding=1, stride=2),
           (floats(2, 2, 7),)),
    Entry("nn.Conv1d", [case(_module(lambda L: L.nn.Conv1d(2, 4, 2, bias=False, dilation=2)),
                             floats(1, 2, 6))]),
    _entry("nn.Conv2d", lambda L: L.nn.Conv2d(2, 3, (2, 3), padding=1),
           (floats(2, 2, 4, 5),)),
    Entry("nn.Conv2d", [case(_module(lambda L: L.nn.Conv2d(2, 2, 3, stride=2, bias=False)),
                             floats(1, 2, 5, 5))]),
    _entry("nn.ConvTranspose2d", lambda L: L.nn.ConvTranspose2d(2, 3, 3, stride=2),
           (floats(1, 2, 3, 3),)),
    _entry("nn.BatchNorm1d", lambda L: L.nn.BatchNorm1d(3), (floats(4, 3),), (floats(4, 3, 2),),
           train=True),
    Entry("nn.BatchNorm1d", [
        case(_module(lambda L: L.nn.BatchNorm1d(3)), floats(4, 3), label="eval"),
        case(_state(lambda L: L.nn.BatchNorm1d(3, momentum=0.3)), floats(5, 3),
             label="running stats")]),
    _entry("nn.BatchNorm2d", lambda L: L.nn.BatchNorm2d(2), (floats(2, 2, 3, 3),), train=True),
    Entry("nn.BatchNorm2d", [
        case(_state(lambda L: L.nn.BatchNorm2d(2)), floats(2, 2, 3, 3), label="running stats"),
        case(_module(lambda L: L.nn.BatchNorm2d(2, affine=False)), floats(2, 2, 3, 3),
             label="eval, no affine")]),
    _entry("nn.LayerNorm", lambda L: L.nn.LayerNorm(4), (floats(2, 3, 4),)),
    Entry("nn.LayerNorm", [case(_module(lambda L: L.nn.LayerNorm((3, 4), eps=1e-3)),
                                floats(2, 3, 4))]),
    _entry("nn.GroupNorm", lambda L: L.nn.GroupNorm(2, 4), (floats(2, 4, 3),),
           (floats(1, 4, 2, 2),)),
    _entry("nn.Embedding", lambda L: L.nn.Embedding(5, 3), (ints(2, 4, high=5),),
           float_input=False),
    Entry("nn.Embedding", [case(_module(lambda L: L.nn.Embedding(5, 3, padding_idx=0), False,
                                        False), value(np.array([[0, 2], [0, 4]])),
                                label="padding_idx")]),
    Entry("nn.EmbeddingBag", [
        case(_module(lambda L: L.nn.EmbeddingBag(5, 3), False, False),
             value(np.array([1, 2, 4, 2, 0])), value(np.array([0, 2])), label="mean, offsets"),
        case(_module(lambda L: L.nn.EmbeddingBag(5, 3, mode="max", padding_idx=2), False, False),
             value(np.array([[1, 2, 4], [2, 0, 0]])), label="max, 2-D, padding_idx"),
        case(_module(lambda L: L.nn.EmbeddingBag(5, 3, mode="sum", include_last_offset=True),
                     False, False), value(np.array([1, 2, 4, 2, 0])),
             value(np.array([0, 3, 5])), label="sum, include_last_offset"),
        case(lambda L: repr(L.nn.EmbeddingBag(5, 3, mode="sum", padding_idx=1)), label="repr"),
        case(lambda L: (L.nn.EmbeddingBag.from_pretrained(L.ones(4, 2)).weight.requires_grad,
                        L.nn.EmbeddingBag.from_pretrained(L.ones(4, 2), freeze=False,
                                                          mode="max").mode),
             label="from_pretrained"),
    ]),
    Entry("nn.Bilinear", [case(_module(lambda L: L.nn.Bilinear(3, 2, 4)), floats(5, 3),
                               floats(5, 2)),
                          case(_module(lambda L: L.nn.Bilinear(3, 2, 4, bias=False)),
                               floats(2, 5, 3), floats(2, 5, 2), label="no bias, leading dims")]),
    _entry("nn.Softmax2d", lambda L: L.nn.Softmax2d(), (floats(2, 3, 2, 2),), (floats(3, 2, 2),)),
    _entry("nn.ChannelShuffle", lambda L: L.nn.ChannelShuffle(2), (floats(2, 4, 3, 3),)),
    Entry("nn.LazyLinear", [
        case(_lazy_linear, floats(2, 5)),
        case(lambda L: repr(L.nn.LazyLinear(3)), label="repr before the first call"),
        case(lambda L, w, b, x: _loaded_lazy(L, w, b)(x), floats(3, 2), floats(3),
             floats(4, 2), label="load_state_dict gives the shape")]),
    Entry("nn.ParameterList", [case(_parameter_list, floats(3)),
                               case(lambda L: L.nn.ParameterList()[0], raises=True,
                                    label="index out of range")]),
    Entry("nn.ParameterDict", [case(_parameter_dict, floats(3)),
                               case(lambda L: L.nn.ParameterDict()["w"], raises=True,
                                    label="missing key")]),
    _entry("nn.RNN", lambda L: L.nn.RNN(3, 4), (floats(5, 2, 3),)),
    Entry("nn.RNN", [case(_module(lambda L: L.nn.RNN(3, 4, num_layers=2, batch_first=True,
                                                     nonlinearity="relu")), floats(2, 5, 3))]),
    _entry("nn.GRU", lambda L: L.nn.GRU(3, 4), (floats(5, 2, 3),)),
    Entry("nn.GRU", [case(_module(lambda L: L.nn.GRU(3, 2, batch_first=True)), floats(2, 4, 3))]),
    _entry("nn.LSTM", lambda L: L.nn.LSTM(3, 4), (floats(5, 2, 3),)),
    Entry("nn.LSTM", [case(_module(lambda L: L.nn.LSTM(3, 2, num_layers=2, batch_first=True)),
                           floats(2, 4, 3))]),
    _entry("nn.RNNCell", lambda L: L.nn.RNNCell(3, 4), (floats(2, 3),), (floats(2, 3),
                                                                           floats(2, 4))),
    _entry("nn.GRUCell", lambda L: L.nn.GRUCell(3, 4), (floats(2, 3),), (floats(2, 3),
                                                                           floats(2, 4))),
    _entry("nn.LSTMCell", lambda L: L.nn.LSTMCell(3, 4), (floats(2, 3),)),
    _entry("nn.MultiheadAttention", lambda L: L.nn.MultiheadAttention(4, 2),
           (floats(3, 2, 4), floats(5, 2, 4), floats(5, 2, 4))),
    Entry("nn.MultiheadAttention", [case(_module(
        lambda L: L.nn.MultiheadAttention(4, 2, batch_first=True)), floats(2, 3, 4),
        floats(2, 3, 4), floats(2, 3, 4), label="batch_first")]),
    _entry("nn.TransformerEncoderLayer",
           lambda L: L.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0),
           (floats(3, 2, 4),)),
    Entry("nn.TransformerEncoderLayer", [case(_module(
        lambda L: L.nn.TransformerEncoderLayer(4, 2, 8, 0.0, batch_first=True, norm_first=True)),
        floats(2, 3, 4), label="batch_first norm_first")]),
    _entry("nn.TransformerEncoder", lambda L: L.nn.TransformerEncoder(
        L.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0), num_layers=2),
        (floats(3, 2, 4),)),
    _entry("nn.Dropout", lambda L: L.nn.Dropout(0.4), (floats(3, 4),)),
    Entry("nn.Dropout", [case(_module(lambda L: L.nn.Dropout(0.0), train=True), floats(3, 4),
                              label="p=0 training"),
                         case(_module(lambda L: L.nn.Dropout(1.0), train=True), floats(3, 4),
                              label="p=1 training"),
                         case(lambda L, x: L.nn.Dropout(0.5)(x), floats(50, 4),
                              compare="shape", label="training draws")]),
    _entry("nn.Dropout2d", lambda L: L.nn.Dropout2d(0.4), (floats(2, 3, 4, 4),)),
]

ACTIVATIONS = [
    _entry("nn.ReLU", lambda L: L.nn.ReLU(), (floats(3, 4),)),
    _entry("nn.Sigmoid", lambda L: L.nn.Sigmoid(), (floats(3, 4),)),
    _entry("nn.Tanh", lambda L: L.nn.Tanh(), (floats(3, 4),)),
    _entry("nn.GELU", lambda L: L.nn.GELU(), (floats(3, 4),)),
    Entry("nn.GELU", [case(_module(lambda L: L.nn.GELU(approximate="tanh")), floats(3, 4))]),
    _entry("nn.SiLU", lambda L: L.nn.SiLU(), (floats(3, 4),)),
    _entry("nn.ELU", lambda L: L.nn.ELU(alpha=0.7), (floats(3, 4),)),
    _entry("nn.LeakyReLU", lambda L: L.nn.LeakyReLU(0.2), (floats(3, 4),)),
    _entry("nn.Softplus", lambda L: L.nn.Softplus(beta=2.0, threshold=1.0), (floats(3, 4),)),
    _entry("nn.Softmax", lambda L: L.nn.Softmax(dim=1), (floats(3, 4),)),
    _entry("nn.LogSoftmax", lambda L: L.nn.LogSoftmax(dim=-1), (floats(3, 4),)),
    _entry("nn.Identity", lambda L: L.nn.Identity(), (floats(3, 4),)),
    _entry("nn.Flatten", lambda L: L.nn.Flatten(), (floats(2, 3, 4),)),
    Entry("nn.Flatten", [case(_module(lambda L: L.nn.Flatten(0, 1)), floats(2, 3, 4))]),
    _entry("nn.Unflatten", lambda L: L.nn.Unflatten(1, (2, 3)), (floats(4, 6),)),
    _entry("nn.MaxPool1d", lambda L: L.nn.MaxPool1d(2), (floats(2, 3, 7),)),
    _entry("nn.MaxPool2d", lambda L: L.nn.MaxPool2d(2, stride=1, padding=1), (floats(1, 2, 4, 4),)),
    _entry("nn.AvgPool1d", lambda L: L.nn.AvgPool1d(3, stride=2), (floats(2, 3, 7),)),
    _entry("nn.AvgPool2d", lambda L: L.nn.AvgPool2d(2), (floats(1, 2, 4, 5),)),
    _entry("nn.AdaptiveAvgPool2d", lambda L: L.nn.AdaptiveAvgPool2d((2, 3)),
           (floats(1, 2, 5, 7),)),
    Entry("nn.AdaptiveAvgPool2d", [case(_module(lambda L: L.nn.AdaptiveAvgPool2d(1)),
                                        floats(2, 3, 4, 4))]),
]


def _loss(build, target):
    def run(L, x, t):
        x.requires_grad_(True)
        y = build(L)(x, t)
        y.sum().backward()
        return y, x.grad
    return case(run, floats(4, 3) if target != "prob" else floats(4, 3, low=0.05, high=0.95),
                {"float": floats(4, 3), "prob": floats(4, 3, low=0, high=1),
                 "class": ints(4, high=3), "logprob": floats(4, 3, low=-3, high=-0.1)}[target])


LOSSES = [
    Entry("nn.MSELoss", [_loss(lambda L: L.nn.MSELoss(), "float"),
                         _loss(lambda L: L.nn.MSELoss(reduction="sum"), "float")]),
    Entry("nn.L1Loss", [_loss(lambda L: L.nn.L1Loss(reduction="none"), "float")]),
    Entry("nn.SmoothL1Loss", [_loss(lambda L: L.nn.SmoothL1Loss(beta=0.5), "float")]),
    Entry("nn.HuberLoss", [_loss(lambda L: L.nn.HuberLoss(delta=0.7), "float")]),
    Entry("nn.BCELoss", [_loss(lambda L: L.nn.BCELoss(), "prob")]),
    Entry("nn.BCEWithLogitsLoss", [_loss(lambda L: L.nn.BCEWithLogitsLoss(), "prob"),
                                   _loss(lambda L: L.nn.BCEWithLogitsLoss(
                                       pos_weight=L.tensor([1.0, 2.0, 0.5],
                                                           dtype=L.float64)), "prob")]),
    Entry("nn.CrossEntropyLoss", [
        _loss(lambda L: L.nn.CrossEntropyLoss(), "class"),
        _loss(lambda L: L.nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum"), "class"),
        _loss(lambda L: L.nn.CrossEntropyLoss(weight=L.tensor([1.0, 2.0, 0.5],
                                                               dtype=L.float64)), "class"),
        _loss(lambda L: L.nn.CrossEntropyLoss(ignore_index=1), "class")]),
    Entry("nn.NLLLoss", [_loss(lambda L: L.nn.NLLLoss(), "class")]),
    Entry("nn.KLDivLoss", [_loss(lambda L: L.nn.KLDivLoss(reduction="batchmean"), "prob"),
                           _loss(lambda L: L.nn.KLDivLoss(reduction="sum", log_target=True),
                                 "logprob")]),
]


# ------------------------------------------------------------------------------ containers
def _sequential(L, x):
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2)).double()
    _set_params(L, m)
    return m(x), len(m), type(m[1]).__name__, [n for n, _ in m.named_parameters()], \
        type(m[0:2]).__name__


def _sequential_edited(L, x):
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 4), L.nn.Tanh(),
                        L.nn.Linear(4, 2)).double()
    m[-2] = L.nn.Sigmoid()
    del m[1]
    m[2] = L.nn.Identity()
    _set_params(L, m)
    names = [n for n, _ in m.named_parameters()]
    del m[0:2]
    return len(m), names, [type(c).__name__ for c in m], [k for k, _ in m.named_children()]


def _module_list_edited(L, x):
    ms = L.nn.ModuleList([L.nn.Linear(3, 3), L.nn.Tanh(), L.nn.Linear(3, 2)])
    ms[1] = L.nn.ReLU()
    del ms[0]
    return len(ms), [type(c).__name__ for c in ms], [k for k, _ in ms.named_children()]


def _module_list(L, x):
    ms = L.nn.ModuleList([L.nn.Linear(3, 3), L.nn.Linear(3, 3)])
    ms.append(L.nn.Linear(3, 2))
    ms = ms.double()
    _set_params(L, ms)
    for m in ms:
        x = m(x).tanh()
    return x, len(ms), [n for n, _ in ms.named_parameters()]


def _module_dict(L, x):
    md = L.nn.ModuleDict({"a": L.nn.Linear(3, 2), "b": L.nn.Tanh()}).double()
    _set_params(L, md)
    return md["b"](md["a"](x)), sorted(md.keys()), "a" in md, len(md)


def _custom_module(L, x):
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = L.nn.Linear(3, 2)
            self.scale = L.nn.Parameter(L.ones(2))
            self.register_buffer("shift", L.zeros(2))

        def forward(self, t):
            return self.fc(t) * self.scale + self.shift

    m = Net().double()
    _set_params(L, m)
    y = m(x)
    (y * y).sum().backward()
    sd = m.state_dict()
    return (y, list(sd.keys()), [tuple(v.shape) for v in sd.values()],
            [p.grad for p in m.parameters()], sum(p.numel() for p in m.parameters()),
            m.training, m.eval().training)


def _parameter(L, x):
    p = L.nn.Parameter(x)
    q = L.nn.Parameter(x, requires_grad=False)
    (p * 2).sum().backward()
    return (isinstance(p, L.Tensor), p.requires_grad, p.is_leaf, q.requires_grad, p.grad,
            type(p).__name__)


def _forward_hooks(L, x):
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)).double()
    _set_params(L, m)
    seen = []
    first = m[1].register_forward_hook(lambda mod, args, out: seen.append(out.sum()))
    m[1].register_forward_hook(lambda mod, args, out: out * 2)
    m[1].register_forward_hook(lambda mod, args, out: seen.append(out.sum()), prepend=True)
    y = m(x)
    first.remove()
    return y, m(x), seen


def _forward_pre_hooks(L, x):
    m = L.nn.Linear(3, 2).double()
    _set_params(L, m)
    seen = []
    handle = m.register_forward_pre_hook(lambda mod, args: args[0] + 1)
    m.register_forward_pre_hook(lambda mod, args: seen.append(args[0].sum()), prepend=True)
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 3,))
    y = m(x)
    handle.remove()
    return y, m(x), seen


CONTAINERS = [
    Entry("nn.Module.register_forward_hook", [case(_forward_hooks, floats(4, 3), grad=[0])]),
    Entry("nn.Module.register_forward_pre_hook",
          [case(_forward_pre_hooks, floats(4, 3), grad=[0])]),
    Entry("nn.Sequential", [case(_sequential, floats(2, 3)),
                            case(_sequential_edited, floats(2, 3), label="setitem/delitem")]),
    Entry("nn.ModuleList", [case(_module_list, floats(2, 3)),
                            case(_module_list_edited, floats(2, 3), label="setitem/delitem")]),
    Entry("nn.ModuleDict", [case(_module_dict, floats(2, 3))]),
    Entry("nn.Module", [case(_custom_module, floats(4, 3))]),
    Entry("nn.Parameter", [case(_parameter, floats(2, 3))]),
]


# ------------------------------------------------------------------------------ optimizers
TARGET = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])


def _optimize(name, steps: int = 5, **kw):
    def run(L, w0):
        if name == "NAdam":
            # torch keeps NAdam's running product of μ_t as a tensor of the default dtype: in
            # float32 it rounds at 1e-8, so the comparison runs with float64 as the default.
            L.set_default_dtype(L.float64)
            try:
                return _steps(L, w0)
            finally:
                L.set_default_dtype(L.float32)
        return _steps(L, w0)

    def _steps(L, w0):
        w = L.nn.Parameter(w0.clone())
        opt = getattr(L.optim, name)([w], **kw)
        target = L.tensor(TARGET)
        for _ in range(steps):
            opt.zero_grad()
            loss = ((w - target) ** 2 * L.tensor([1.0, 3.0, 0.2], dtype=L.float64)).sum()
            loss.backward()
            opt.step()
        return w.detach(), w.grad, opt.param_groups[0]["lr"]
    return case(run, floats(2, 3), label=", ".join(f"{k}={v}" for k, v in kw.items()))


OPTIMIZERS = [
    Entry("optim.SGD", [_optimize("SGD", lr=0.1), _optimize("SGD", lr=0.1, momentum=0.9),
                        _optimize("SGD", lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
                        _optimize("SGD", lr=0.1, momentum=0.5, dampening=0.3, maximize=True)]),
    Entry("optim.Adam", [_optimize("Adam", lr=0.1), _optimize("Adam", lr=0.1, amsgrad=True),
                         _optimize("Adam", lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)]),
    Entry("optim.AdamW", [_optimize("AdamW", lr=0.1),
                          _optimize("AdamW", lr=0.1, weight_decay=0.5, amsgrad=True)]),
    Entry("optim.Adagrad", [_optimize("Adagrad", lr=0.5),
                            _optimize("Adagrad", lr=0.5, lr_decay=0.1, weight_decay=0.1,
                                      initial_accumulator_value=0.2)]),
    Entry("optim.Adadelta", [_optimize("Adadelta"), _optimize("Adadelta", lr=0.5, rho=0.8,
                                                              weight_decay=0.1)]),
    Entry("optim.RMSprop", [_optimize("RMSprop", lr=0.05),
                            _optimize("RMSprop", lr=0.05, momentum=0.5, centered=True,
                                      weight_decay=0.1)]),
    Entry("optim.NAdam", [_optimize("NAdam", lr=0.1),
                          _optimize("NAdam", lr=0.1, weight_decay=0.1,
                                    decoupled_weight_decay=True)]),
    Entry("optim.RAdam", [_optimize("RAdam", lr=0.1, betas=(0.5, 0.9)),
                          _optimize("RAdam", lr=0.1, weight_decay=0.1,
                                    decoupled_weight_decay=True)]),
]


def _schedule(build, epochs: int = 8, metrics=None, momentum: float = 0.0):
    def run(L, w0):
        w = L.nn.Parameter(w0.clone())
        opt = L.optim.SGD([w], lr=0.1, momentum=momentum)
        sched = build(L, opt)
        lrs = []
        for epoch in range(epochs):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[epoch])
            lrs.append(opt.param_groups[0]["lr"])
            if momentum:
                lrs.append(opt.param_groups[0]["momentum"])
        last = sched.get_last_lr() if metrics is None else None
        return lrs, last, w.detach()
    return case(run, floats(3))


S = "optim.lr_scheduler."
SCHEDULERS = [
    Entry(S + "StepLR", [_schedule(lambda L, o: L.optim.lr_scheduler.StepLR(o, 3, gamma=0.5))]),
    Entry(S + "MultiStepLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.MultiStepLR(o, [2, 5], gamma=0.3))]),
    Entry(S + "ExponentialLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.ExponentialLR(o, 0.8))]),
    Entry(S + "CosineAnnealingLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
        epochs=12)]),
    Entry(S + "CosineAnnealingWarmRestarts", [_schedule(
        lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
        epochs=12)]),
    Entry(S + "LambdaLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)))]),
    Entry(S + "MultiplicativeLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9))]),
    Entry(S + "LinearLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4))]),
    Entry(S + "ConstantLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3))]),
    Entry(S + "PolynomialLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.PolynomialLR(o, total_iters=6, power=2.0))]),
    Entry(S + "OneCycleLR", [_schedule(
        lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10),
        epochs=10, momentum=0.9),
        _schedule(lambda L, o: L.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.5, total_steps=9, anneal_strategy="linear", three_phase=True),
            epochs=9, momentum=0.9)]),
    Entry(S + "CyclicLR", [
        _schedule(lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.01, 0.2, step_size_up=3),
                  epochs=10, momentum=0.9),
        _schedule(lambda L, o: L.optim.lr_scheduler.CyclicLR(
            o, 0.01, 0.2, step_size_up=2, step_size_down=3, mode="triangular2",
            cycle_momentum=False), epochs=12)]),
    Entry(S + "ReduceLROnPlateau", [_schedule(
        lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5),
        metrics=[1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.9])]),
    Entry(S + "SequentialLR", [_schedule(lambda L, o: L.optim.lr_scheduler.SequentialLR(
        o, [L.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2),
            L.optim.lr_scheduler.ExponentialLR(o, 0.9)], milestones=[3]))]),
    Entry(S + "ChainedScheduler", [_schedule(lambda L, o: L.optim.lr_scheduler.ChainedScheduler(
        [L.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2),
         L.optim.lr_scheduler.ExponentialLR(o, 0.9)]))]),
]


# ------------------------------------------------------------------------------ functional
L64 = "float64"     # stands for L.float64 in keyword arguments of _f


def _f(name, *a, **k):
    def run(L, x):
        kw = {key: (L.float64 if v is L64 else v) for key, v in k.items()}
        return getattr(L.nn.functional, name)(x, *a, **kw)
    return run


def _f2(name, *a, **k):
    return lambda L, x, y: getattr(L.nn.functional, name)(x, y, *a, **k)


def _fentry(name, *cases):
    return Entry("nn.functional." + name, list(cases))


X34 = floats(3, 4)
PROB = floats(3, 4, low=0.05, high=0.95)
TARGET01 = floats(3, 4, low=0, high=1)
FUNCTIONAL = [
    _fentry("relu", case(_f("relu"), X34, grad=[0]), case(_f("relu"), floats(), grad=[0])),
    _fentry("sigmoid", case(_f("sigmoid"), X34, grad=[0])),
    _fentry("tanh", case(_f("tanh"), X34, grad=[0])),
    _fentry("softmax", case(_f("softmax", dim=1), X34, grad=[0]),
            case(_f("softmax", dim=0), floats(), grad=[0], label="0-d"),
            case(_f("softmax", -1), floats(2, 0), grad=[0], label="empty"),
            case(_f("softmax", 1, dtype=L64), floats(2, 3, dtype="float32"), grad=[0],
                 label="dtype")),
    _fentry("log_softmax", case(_f("log_softmax", dim=1), X34, grad=[0]),
            case(_f("log_softmax", 0, dtype=L64), floats(3, dtype="float32"), grad=[0],
                 label="dtype"),
            case(_f("log_softmax", dim=0), floats(3, low=-800, high=800), grad=[0],
                 label="large")),
    _fentry("gelu", case(_f("gelu"), X34, grad=[0]),
            case(_f("gelu", approximate="tanh"), X34, grad=[0])),
    _fentry("silu", case(_f("silu"), X34, grad=[0])),
    _fentry("elu", case(_f("elu"), X34, grad=[0]), case(_f("elu", alpha=0.5), X34, grad=[0])),
    _fentry("leaky_relu", case(_f("leaky_relu"), X34, grad=[0]),
            case(_f("leaky_relu", 0.3), X34, grad=[0])),
    _fentry("softplus", case(_f("softplus"), X34, grad=[0]),
            case(_f("softplus", beta=2, threshold=1), X34, grad=[0])),
    _fentry("mse_loss", case(_f2("mse_loss"), X34, X34, grad=[0, 1]),
            case(_f2("mse_loss", reduction="none"), X34, X34, grad=[0, 1])),
    _fentry("l1_loss", case(_f2("l1_loss", reduction="sum"), X34, X34, grad=[0, 1])),
    _fentry("huber_loss", case(_f2("huber_loss", delta=0.5), X34, X34, grad=[0, 1])),
    _fentry("smooth_l1_loss", case(_f2("smooth_l1_loss", beta=0.5), X34, X34, grad=[0, 1])),
    _fentry("cross_entropy",
            case(_f2("cross_entropy"), X34, ints(3, high=4), grad=[0]),
            case(_f2("cross_entropy", reduction="none"), floats(3, 4, 2), ints(3, 2, high=4),
                 grad=[0], label="spatial"),
            case(_f2("cross_entropy", label_smoothing=0.2), X34, ints(3, high=4), grad=[0]),
            case(_f2("cross_entropy"), X34, floats(3, 4, low=0, high=1), grad=[0, 1],
                 label="probabilities"),
            case(_f2("cross_entropy", ignore_index=2), X34, value(np.array([2, 0, 2])),
                 grad=[0], label="ignore_index")),
    _fentry("nll_loss", case(_f2("nll_loss"), X34, ints(3, high=4), grad=[0]),
            case(_f2("nll_loss", reduction="sum", ignore_index=0), X34, ints(3, high=4),
                 grad=[0])),
    _fentry("binary_cross_entropy", case(_f2("binary_cross_entropy"), PROB, TARGET01,
                                         grad=[0])),
    _fentry("binary_cross_entropy_with_logits",
            case(_f2("binary_cross_entropy_with_logits"), X34, TARGET01, grad=[0, 1]),
            case(lambda L, x, t, w: L.nn.functional.binary_cross_entropy_with_logits(
                x, t, pos_weight=w), X34, TARGET01, floats(4, low=0.5, high=2), grad=[0])),
    _fentry("kl_div", case(_f2("kl_div", reduction="batchmean"), floats(3, 4, low=-3, high=0),
                           PROB, grad=[0, 1]),
            case(_f2("kl_div", reduction="sum", log_target=True), X34, X34, grad=[0, 1])),
    _fentry("linear",
            case(lambda L, x, w, b: L.nn.functional.linear(x, w, b), floats(2, 3), floats(4, 3),
                 floats(4), grad=[0, 1, 2]),
            case(lambda L, x, w: L.nn.functional.linear(x, w), floats(3), floats(4, 3),
                 grad=[0, 1], label="1-d no bias")),
    _fentry("dropout", case(_f("dropout", 0.5, training=False), X34, grad=[0], label="eval"),
            case(_f("dropout", 0.0), X34, grad=[0], label="p=0"),
            case(_f("dropout", 0.5), floats(40, 4), compare="shape", label="draws")),
    _fentry("dropout2d", case(_f("dropout2d", 0.5, training=False), floats(2, 3, 4, 4),
                              grad=[0])),
    _fentry("batch_norm",
            case(lambda L, x, m, v, w, b: L.nn.functional.batch_norm(x, m, v, w, b),
                 floats(4, 3), floats(3), positive(3), floats(3), floats(3),
                 grad=[0, 3, 4], label="eval"),
            case(lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b,
                                                                training=True),
                 floats(4, 3, 2), floats(3), floats(3), grad=[0, 1, 2], label="batch stats")),
    _fentry("layer_norm",
            case(lambda L, x, w, b: L.nn.functional.layer_norm(x, (4,), w, b), floats(2, 3, 4),
                 floats(4), floats(4), grad=[0, 1, 2]),
            case(lambda L, x: L.nn.functional.layer_norm(x, [3, 4]), floats(2, 3, 4),
                 grad=[0])),
    _fentry("group_norm",
            case(lambda L, x, w, b: L.nn.functional.group_norm(x, 2, w, b), floats(2, 4, 3),
                 floats(4), floats(4), grad=[0, 1, 2])),
    _fentry("conv1d",
            case(lambda L, x, w, b: L.nn.functional.conv1d(x, w, b, padding=1), floats(2, 2, 5),
                 floats(3, 2, 3), floats(3), grad=[0, 1, 2]),
            case(lambda L, x, w: L.nn.functional.conv1d(x, w, stride=2), floats(2, 5),
                 floats(3, 2, 2), grad=[0, 1], label="unbatched")),
    _fentry("conv2d",
            case(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, stride=(1, 2), padding=1),
                 floats(1, 2, 4, 5), floats(3, 2, 3, 3), floats(3), grad=[0, 1, 2]),
            case(lambda L, x, w: L.nn.functional.conv2d(x, w, padding="same"),
                 floats(1, 2, 4, 4), floats(2, 2, 3, 3), grad=[0, 1], label="same")),
    _fentry("conv_transpose1d",
            case(lambda L, x, w, b: L.nn.functional.conv_transpose1d(x, w, b, stride=2),
                 floats(2, 2, 4), floats(2, 3, 3), floats(3), grad=[0, 1, 2])),
    _fentry("conv_transpose2d",
            case(lambda L, x, w, b: L.nn.functional.conv_transpose2d(x, w, b, stride=2,
                                                                      padding=1),
                 floats(1, 2, 3, 3), floats(2, 3, 3, 3), floats(3), grad=[0, 1, 2])),
    _fentry("max_pool1d", case(_f("max_pool1d", 2), floats(2, 3, 6), grad=[0]),
            case(_f("max_pool1d", 3, stride=2, padding=1), floats(2, 3, 7), grad=[0])),
    _fentry("max_pool2d", case(_f("max_pool2d", 2), floats(1, 2, 4, 4), grad=[0]),
            case(_f("max_pool2d", (2, 3), stride=1), floats(1, 2, 4, 5), grad=[0])),
    _fentry("avg_pool1d", case(_f("avg_pool1d", 2), floats(2, 3, 6), grad=[0])),
    _fentry("avg_pool2d", case(_f("avg_pool2d", 2), floats(1, 2, 4, 4), grad=[0]),
            case(_f("avg_pool2d", 3, stride=2, padding=1), floats(1, 2, 5, 5), grad=[0])),
    _fentry("adaptive_avg_pool1d", case(_f("adaptive_avg_pool1d", 3), floats(2, 3, 7),
                                        grad=[0])),
    _fentry("adaptive_avg_pool2d", case(_f("adaptive_avg_pool2d", (2, 3)), floats(1, 2, 5, 7),
                                        grad=[0]),
            case(_f("adaptive_avg_pool2d", 1), floats(2, 3, 4, 4), grad=[0])),
    _fentry("embedding",
            case(lambda L, i, w: L.nn.functional.embedding(i, w), ints(2, 3, high=5),
                 floats(5, 4), grad=[1]),
            case(lambda L, i, w: L.nn.functional.embedding(i, w, padding_idx=1),
                 value(np.array([1, 3, 1])), floats(5, 4), grad=[1], label="padding_idx")),
    _fentry("scaled_dot_product_attention",
            case(lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q, k, v),
                 floats(2, 3, 4), floats(2, 5, 4), floats(2, 5, 4), grad=[0, 1, 2]),
            case(lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(
                q, k, v, is_causal=True), floats(2, 3, 4), floats(2, 3, 4), floats(2, 3, 4),
                grad=[0, 1, 2], label="causal"),
            case(lambda L, q, k, v, m: L.nn.functional.scaled_dot_product_attention(
                q, k, v, attn_mask=m), floats(3, 4), floats(3, 4), floats(3, 4), bools(3, 3),
                grad=[0, 1, 2], label="bool mask",
                )),
]

ENTRIES = (LAYERS + ACTIVATIONS + LOSSES + CONTAINERS + OPTIMIZERS + SCHEDULERS + FUNCTIONAL)


# ------------------------------------------------------------------------------ lazy modules,
# nn.Buffer, Tensor.apply_/map_/map2_
def _lazy_first_call(name, *args, **kwargs):
    """A lazy layer: its repr and state_dict (names and kinds) before the first call; then the
    class it became, its repr, its parameters' shapes, and (parameters set from the stream) the
    output, the input's gradient, the parameters' gradients and the buffers."""
    def run(L, x):
        m = getattr(L.nn, name)(*args, **kwargs).double()
        before = (repr(m), [(k, type(v).__name__) for k, v in m.state_dict().items()],
                  m.has_uninitialized_params())
        m(x)
        _set_params(L, m)
        x.requires_grad_(True)
        y = m(x)
        (y * y).sum().backward()
        return (before, type(m).__name__, repr(m),
                [(n, tuple(p.shape)) for n, p in m.named_parameters()], y, x.grad,
                [p.grad for p in m.parameters()], [b for _, b in m.named_buffers()])
    return run


def _lazy_loaded(name, plain, *args, **kwargs):
    """load_state_dict of a non-lazy layer into a lazy one: still lazy (size attribute 0), its
    placeholders shaped; the first call then makes it the non-lazy class."""
    def run(L, x):
        source = getattr(L.nn, plain[0])(*plain[1:], **kwargs).double()
        _set_params(L, source)
        m = getattr(L.nn, name)(*args, **kwargs).double()
        keys = m.load_state_dict(source.state_dict())
        before = (type(m).__name__, repr(m), m.has_uninitialized_params(),
                  list(keys.missing_keys), list(keys.unexpected_keys))
        m.eval()
        y = m(x)
        return before, type(m).__name__, repr(m), y
    return run


def _lazy_entry(name, call_args, call_kwargs, shape, plain, *extra):
    return Entry(f"nn.{name}", [
        case(_lazy_first_call(name, *call_args, **call_kwargs), floats(*shape)),
        case(_lazy_loaded(name, plain, *call_args, **call_kwargs), floats(*shape),
             label="load_state_dict gives the shapes"),
        case(lambda L: getattr(L.nn, name)(*call_args, **call_kwargs).weight + 1, raises=True,
             label="the weight used before the first call"),
        *extra])


def _buffers(L, x):
    """nn.Buffer assigned to a Module: registered, persistent or not, kept by a plain tensor
    assigned to its name, set by an nn.Buffer assigned to it."""
    m = L.nn.Module()
    m.a = L.nn.Buffer(x)
    m.b = L.nn.Buffer(x * 2, persistent=False)
    first = (list(m.state_dict()), [n for n, _ in m.named_buffers()],
             isinstance(m.a, L.nn.Buffer), m.a.persistent, m.b.persistent, m.a.requires_grad)
    m.b = x * 3
    second = list(m.state_dict())
    m.a = L.nn.Buffer(x * 4, persistent=False)
    return first, second, list(m.state_dict()), m.a, m.b, isinstance(m.b, L.nn.Buffer)


def _uninitialized(L, x):
    p = L.nn.UninitializedParameter(dtype=x.dtype)
    before = (repr(p), p.requires_grad, p.is_leaf, p.dtype, p.ndim, L.nn.parameter.is_lazy(p))
    p.materialize(tuple(x.shape))
    return before, type(p).__name__, tuple(p.shape), p.dtype, p.requires_grad


def _uninitialized_buffer(L, x):
    b = L.nn.UninitializedBuffer(dtype=x.dtype, persistent=False)
    before = (repr(b), b.requires_grad, isinstance(b, L.nn.Buffer), b.persistent)
    b.materialize(tuple(x.shape))
    return before, tuple(b.shape), b.dtype, isinstance(b, L.nn.Buffer), b.persistent


LAZY = [
    _lazy_entry("LazyConv1d", (4, 3), {"stride": 2}, (2, 3, 9), ("Conv1d", 3, 4, 3),
                case(_lazy_first_call("LazyConv1d", 2, 2), floats(3, 5),
                     label="unbatched input")),
    _lazy_entry("LazyConv2d", (4, 2), {"groups": 2, "padding": 1}, (1, 4, 5, 5),
                ("Conv2d", 4, 4, 2),
                case(lambda L: L.nn.LazyConv2d(4, 2, groups=2)(L.ones(1, 3, 4, 4)), raises=True,
                     label="in_channels not divisible by groups"),
                case(lambda L: L.nn.LazyConv2d(4, 2)(L.ones(3, 4)), raises=True,
                     label="a 2-d input")),
    _lazy_entry("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 3, 3, 4), ("Conv3d", 3, 2, 2)),
    _lazy_entry("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5),
                ("ConvTranspose1d", 3, 4, 3)),
    _lazy_entry("LazyConvTranspose2d", (6, 3), {"groups": 2}, (1, 4, 3, 3),
                ("ConvTranspose2d", 4, 6, 3)),
    _lazy_entry("LazyConvTranspose3d", (2, 2), {}, (2, 3, 2, 3, 2),
                ("ConvTranspose3d", 3, 2, 2)),
    _lazy_entry("LazyBatchNorm1d", (), {}, (4, 3), ("BatchNorm1d", 3),
                case(lambda L: L.nn.LazyBatchNorm1d()(L.ones(2, 3, 2, 2)), raises=True,
                     label="a 4-d input")),
    _lazy_entry("LazyBatchNorm2d", (), {"momentum": None}, (2, 3, 4, 4), ("BatchNorm2d", 3)),
    _lazy_entry("LazyBatchNorm3d", (), {"bias": False}, (2, 3, 2, 2, 3), ("BatchNorm3d", 3)),
    Entry("nn.LazyInstanceNorm1d", [
        case(_lazy_first_call("LazyInstanceNorm1d"), floats(2, 3, 6)),
        case(_lazy_first_call("LazyInstanceNorm1d", affine=False, track_running_stats=False),
             floats(2, 3, 6), label="affine=False"),
        case(lambda L, x: L.nn.LazyInstanceNorm1d()(x), floats(3, 5), raises=True,
             label="unbatched: num_features read from shape[1]")]),
    Entry("nn.LazyInstanceNorm2d", [
        case(_lazy_first_call("LazyInstanceNorm2d"), floats(2, 3, 4, 4)),
        case(_lazy_loaded("LazyInstanceNorm2d", ("InstanceNorm2d", 3), affine=False,
                          track_running_stats=True), floats(2, 3, 4, 4),
             label="load_state_dict gives the shapes")]),
    Entry("nn.LazyInstanceNorm3d", [
        case(_lazy_first_call("LazyInstanceNorm3d", track_running_stats=False),
             floats(2, 3, 2, 3, 3))]),
    Entry("nn.Buffer", [
        case(_buffers, floats(3)),
        case(lambda L, x: L.nn.Buffer(x, False), floats(3), raises=True,
             label="persistent is keyword-only"),
        case(lambda L: setattr(L.nn.Linear(2, 2), "weight", L.nn.Buffer(L.ones(2, 2))),
             raises=True, label="to a parameter's name")]),
    Entry("nn.UninitializedParameter", [
        case(_uninitialized, floats(2, 3)),
        case(lambda L: L.nn.UninitializedParameter() * 2, raises=True, label="used"),
        case(lambda L: L.nn.UninitializedParameter().shape, raises=True, label="its shape")]),
    Entry("nn.UninitializedBuffer", [case(_uninitialized_buffer, floats(4))]),
    Entry("Tensor.apply_", [
        case(lambda L, x: x.apply_(lambda v: v * v - 1.5), floats(3, 4)),
        case(lambda L, x: x.apply_(lambda v: v / 3), ints(2, 5, high=20), label="ints truncate"),
        case(lambda L, x: x.apply_(lambda v: not v), bools(5), label="bool"),
        case(lambda L, x: x.mT.apply_(lambda v: round(v, 1)), floats(3, 2),
             label="a transposed view"),
        case(lambda L, x: x.apply_(lambda v: 300), ints(3, dtype="uint8"), raises=True,
             label="uint8 overflow"),
        case(lambda L, x: x.requires_grad_(True).apply_(abs), floats(3), raises=True,
             label="requires grad")]),
    Entry("Tensor.map_", [
        case(lambda L, x, y: x.map_(y, lambda a, b: a * b + 1), floats(2, 3), floats(3)),
        case(lambda L, x, y: x.map_(y, max), ints(4, 1), ints(1), label="ints, broadcast"),
        case(lambda L, x, y: x.map_(y, lambda a, b: a), floats(3), floats(2, 3), raises=True,
             label="other broadcasts self"),
        case(lambda L, x, y: x.map_(y, lambda a, b: a), floats(3), floats(3, dtype="float32"),
             raises=True, label="other of another dtype")]),
    Entry("Tensor.map2_", [
        case(lambda L, x, y, z: x.map2_(y, z, lambda a, b, c: a + b * c), floats(2, 3),
             floats(3), floats(2, 1)),
        case(lambda L, x, y, z: x.map2_(y, z, lambda a, b, c: a), floats(3), floats(3),
             floats(3), grad=[2], raises=True, label="y requires grad")]),
]

ENTRIES = ENTRIES + LAZY
