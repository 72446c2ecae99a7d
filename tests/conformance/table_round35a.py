"""Conformance entries added with the round-35a compat programs: F.interpolate's antialiased
modes (bilinear, bicubic, lanczos) and torch.optim.swa_utils (AveragedModel, SWALR, update_bn
and the averaging functions)."""
from __future__ import annotations

import warnings

from harness import Entry, case, floats

X = floats(2, 3, 9, 7)


def _F(L):
    return L.nn.functional


def _aa(**kw):
    return lambda L, x: _F(L).interpolate(x, antialias=True, **kw)


INTERPOLATE_AA = [Entry("nn.functional.interpolate", [
    case(_aa(size=(4, 3), mode="bilinear"), X, grad=[0], label="antialias bilinear down"),
    case(_aa(size=(13, 5), mode="bilinear", align_corners=True), X, grad=[0],
         label="antialias bilinear align_corners"),
    case(_aa(scale_factor=(0.45, 1.6), mode="bicubic"), X, grad=[0],
         label="antialias bicubic scale_factor"),
    case(_aa(size=(20, 2), mode="bicubic", align_corners=True), X, grad=[0],
         label="antialias bicubic up"),
    case(_aa(size=(4, 11), mode="lanczos"), X, grad=[0], label="antialias lanczos"),
    case(_aa(size=(4, 11), mode="lanczos", align_corners=True), X, raises=True,
         label="lanczos align_corners"),
    case(lambda L, x: _F(L).interpolate(x, size=(4, 3), mode="lanczos"), X, raises=True,
         label="lanczos without antialias"),
    case(_aa(size=(4, 3), mode="nearest"), X, raises=True, label="antialias nearest"),
    case(lambda L, x: _F(L).interpolate(x, size=4, mode="linear", antialias=True),
         floats(2, 3, 9), raises=True, label="antialias linear 3-d"),
])]


# ------------------------------------------------------------------------------ swa_utils
def _model(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4), L.nn.Tanh(),
                           L.nn.Linear(4, 2)).double()


def _averaged(kind):
    def fn(L, x):
        swa = L.optim.swa_utils
        model = _model(L)
        if kind == "ema":
            avg = swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.8),
                                    use_buffers=True)
        elif kind == "ema_fn":
            avg = swa.AveragedModel(model, avg_fn=swa.get_ema_avg_fn(0.8))
        elif kind == "swa_multi":
            avg = swa.AveragedModel(model, multi_avg_fn=swa.get_swa_multi_avg_fn())
        elif kind == "swa_fn":
            avg = swa.AveragedModel(model, avg_fn=swa.get_swa_avg_fn())
        else:
            avg = swa.AveragedModel(model)
        opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        for _ in range(4):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
            avg.update_parameters(model)
        return [list(avg.state_dict().items()), avg(x), avg.n_averaged]
    return fn


def _both_fns(L, x):
    swa = L.optim.swa_utils
    return swa.AveragedModel(_model(L), avg_fn=swa.get_swa_avg_fn(),
                             multi_avg_fn=swa.get_swa_multi_avg_fn())


def _update_bn(L, x):
    model = _model(L)
    model.eval()
    L.optim.swa_utils.update_bn([(x[:5], 0), (x[5:], 1)], model)
    bn = model[1]
    return [bn.running_mean, bn.running_var, bn.num_batches_tracked, model.training,
            bn.momentum]


def _swalr(strategy, anneal_epochs, swa_lr=0.05):
    def fn(L):
        opt = L.optim.SGD([L.nn.Parameter(L.zeros(2))], lr=0.5, momentum=0.9)
        opt.add_param_group({"params": [L.nn.Parameter(L.zeros(1))], "lr": 0.2})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = L.optim.swa_utils.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs,
                                            anneal_strategy=strategy)
            lrs = []
            for _ in range(anneal_epochs + 3):
                opt.step()
                sched.step()
                lrs.append(sched.get_last_lr())
        state = sched.state_dict()
        return [lrs, sorted(k for k in state if k != "_last_lr"), state["anneal_epochs"]]
    return fn


SWA = [
    Entry("optim.swa_utils.AveragedModel", [
        case(_averaged("swa"), floats(10, 3), label="SWA"),
        case(_averaged("swa_fn"), floats(10, 3), label="avg_fn=get_swa_avg_fn"),
        case(_averaged("ema"), floats(10, 3), label="EMA multi, use_buffers"),
        case(_averaged("ema_fn"), floats(10, 3), label="EMA avg_fn"),
        case(_averaged("swa_multi"), floats(10, 3), label="SWA multi"),
        case(_both_fns, floats(10, 3), raises=True, label="avg_fn and multi_avg_fn"),
    ]),
    Entry("optim.swa_utils.update_bn", [case(_update_bn, floats(10, 3))]),
    Entry("optim.swa_utils.SWALR", [
        case(_swalr("cos", 3)),
        case(_swalr("linear", 2, swa_lr=[0.05, 0.01]), label="linear, per group"),
        case(_swalr("cos", 0), label="anneal_epochs 0"),
        case(_swalr("step", 2), raises=True, label="bad strategy"),
        case(_swalr("cos", -1), raises=True, label="negative anneal_epochs"),
    ]),
    Entry("optim.swa_utils.get_ema_multi_avg_fn", [
        case(lambda L: L.optim.swa_utils.get_ema_multi_avg_fn(1.5), raises=True),
    ]),
    Entry("optim.swa_utils.get_ema_avg_fn", [
        case(lambda L, a, b: L.optim.swa_utils.get_ema_avg_fn(0.7)(a, b, 3), floats(4),
             floats(4)),
        case(lambda L: L.optim.swa_utils.get_ema_avg_fn(-0.1), raises=True, label="bad decay"),
    ]),
    Entry("optim.swa_utils.get_swa_avg_fn", [
        case(lambda L, a, b: L.optim.swa_utils.get_swa_avg_fn()(a, b, L.tensor(2)), floats(4),
             floats(4)),
    ]),
    Entry("optim.swa_utils.get_swa_multi_avg_fn", [
        case(lambda L, a, b: (L.optim.swa_utils.get_swa_multi_avg_fn()([a], [b], L.tensor(2)),
                              a)[1], floats(4), floats(4)),
    ]),
]

ENTRIES = INTERPOLATE_AA + SWA
