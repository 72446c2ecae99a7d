"""functional_call and stack_module_state: a module as a function of its parameters.

``functional_call(module, {name: tensor}, args)`` runs ``module(*args)`` with the named
parameters and buffers replaced by the given tensors for the duration of the call (and put back
afterwards, also when the call raises), so ``grad``/``vmap`` can treat the weights as inputs.
``stack_module_state(models)`` stacks the parameters and buffers of identical models along a new
dimension 0, for vmap over an ensemble.
"""
from __future__ import annotations

from ..tensor import Tensor


def _all_named_tensors(module, prefix: str = "") -> list[tuple[str, Tensor]]:
    """Every (dotted name, tensor) of the module's parameters and buffers, a tensor registered
    under several names (tied weights, shared submodules) once per name."""
    out = []
    for table in ("_parameters", "_buffers"):
        for name, t in getattr(module, table).items():
            if t is not None:
                out.append((prefix + name, t))
    for name, child in module._modules.items():
        if child is not None:
            out.extend(_all_named_tensors(child, prefix + name + "."))
    return out


def _untie(module, given: dict) -> dict:
    """PyTorch's tie_weights: a value given for one name of a tied tensor goes to all its
    names; different values for names of the same tensor are an error."""
    names_of: dict[int, set[str]] = {}
    for name, t in _all_named_tensors(module):
        names_of.setdefault(id(t), set()).add(name)
    tied = {n: names for names in names_of.values() if len(names) > 1 for n in names}
    out = dict(given)
    for name in given:
        if name not in tied:
            continue
        group = tied[name]
        values = {id(given[n]) for n in group if n in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             "which are tied. Consider using tie_weights=False")
        for other in group:
            out[other] = given[name]
    return out


def _owner(module, name: str):
    parts = name.split(".")
    m = module
    for p in parts[:-1]:
        child = m._modules.get(p) if hasattr(m, "_modules") else None
        if child is None:
            raise AttributeError(f"functional_call: {type(m).__name__} has no submodule "
                                 f"'{p}' (from the key '{name}')")
        m = child
    return m, parts[-1]


_MISSING = object()


def _swap(module, name: str, value):
    """Put ``value`` under ``name``; return what was there (``_MISSING`` if nothing)."""
    owner, attr = _owner(module, name)
    for table in ("_parameters", "_buffers"):
        entries = getattr(owner, table)
        if attr in entries:
            old = entries[attr]
            entries[attr] = value
            return (table, old)
    old = owner.__dict__.get(attr, _MISSING)
    object.__setattr__(owner, attr, value)
    return ("__dict__", old)


def _restore(module, name: str, saved) -> None:
    owner, attr = _owner(module, name)
    table, old = saved
    if table == "__dict__":
        if old is _MISSING:
            owner.__dict__.pop(attr, None)
        else:
            object.__setattr__(owner, attr, old)
    else:
        getattr(owner, table)[attr] = old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with parameters and buffers replaced by the given tensors
    (PyTorch's ``torch.func.functional_call``).

    ``parameter_and_buffer_dicts``: a dict {dotted name: tensor}, or a tuple of such dicts
    (their keys may not overlap). Names not given keep the module's own tensors, unless
    ``strict`` (then every parameter and buffer must be given, and nothing else). With
    ``tie_weights`` a value given for one name of a tied tensor is used for all its names.
    ``args``: one argument or a tuple of them.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        given = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        given = {}
        seen = []
        for d in parameter_and_buffer_dicts:
            if not isinstance(d, dict):
                raise ValueError(f"Expected all elements of parameter_and_buffer_dicts to be "
                                 f"dictionaries, got {type(d).__name__}")
            repeated = [k for k in d if k in given]
            seen.extend(repeated)
            given.update(d)
        if seen:
            raise ValueError(f"{sorted(set(seen))} appeared in multiple dictionaries; behavior "
                             "of functional call is ambiguous")
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if tie_weights:
        given = _untie(module, given)
    if strict:
        names = {n for n, _ in _all_named_tensors(module)}
        unexpected = [k for k in given if k not in names]
        missing = sorted(n for n in names if n not in given)
        messages = []
        if unexpected:
            messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if messages:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + "\n\t".join(messages))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    saved = []
    try:
        for name, value in given.items():
            saved.append((name, _swap(module, name, value)))
        return module(*args, **kwargs)
    finally:
        for name, old in reversed(saved):
            _restore(module, name, old)


def stack_module_state(models) -> tuple[dict, dict]:
    """(params, buffers): each name's tensors of all ``models`` stacked along a new dimension 0
    (PyTorch's ``torch.func.stack_module_state``); stacked parameters are new leaves that
    require grad (detached from the models)."""
    from ..ops import stack

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    kind = type(models[0])
    if not all(type(m) is kind for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(tensors, name):
        flags = {bool(t.requires_grad) for t in tensors}
        if len(flags) > 1:
            raise RuntimeError(f"Expected {name} from each model to have the same "
                               ".requires_grad")
        result = stack([t.detach() for t in tensors], 0)
        if flags == {True}:
            result = result.detach().requires_grad_()
        return result

    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {k: stacked([p[k] for p in all_params], k) for k in all_params[0]}
    buffers = {k: stacked([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


def replace_all_batch_norm_modules_(root):
    """Every batch-norm module in ``root`` (itself included) stops tracking running statistics:
    ``running_mean``, ``running_var`` and ``num_batches_tracked`` become None and
    ``track_running_stats`` False, in place (PyTorch's ``torch.func.
    replace_all_batch_norm_modules_``); returns ``root``. Such a module normalizes with its
    batch's statistics in training and in evaluation, so it works under vmap, where a shared
    running statistic cannot be updated by every example (that raises). Instance-norm modules
    are left as they are, as in PyTorch."""
    from ..nn.layers.normalization import _BatchNorm, _InstanceNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm) \
                and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
