"""Function transforms, as ``torch.autograd`` and ``torch.autograd.functional`` (and JAX's grad).

- ``grad(outputs, inputs, grad_outputs=None, ...)`` (``chainrule.autograd.grad``): PyTorch's.
- ``grad_of(fn, argnums=0)`` (``chainrule.grad``) and ``value_and_grad``: JAX's, returning a
  function.
- ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``: torch.autograd.functional's signatures,
  returning (output, result) where PyTorch does.

The Jacobian is Jᵢⱼ = ∂fᵢ/∂xⱼ; a VJP is vᵀJ (one backward pass), a JVP is Jv, computed here
with the double-VJP trick: uᵀJ is linear in u, so ∂(uᵀJ v)/∂u = Jv is one more backward pass.
The Hessian is the Jacobian of the gradient; an HVP is ∂(∇f·v)/∂x.
"""
from __future__ import annotations

from ..backend import namespace, ndarray, xp, zeros_like
from ..tensor import Tensor
from . import engine
from .complex import is_complex
from .grad_mode import enable_grad, is_grad_enabled


def _ones_like(a):
    """Ones shaped like ``a`` in ``a``'s library (a seed for the output's gradient)."""
    return xp.ones_like(a) if type(a) is ndarray else namespace(a).ones_like(a)

def _as_tuple(x):
    """(items, was_a_sequence): one tensor or a tuple/list of them, as a tuple."""
    if isinstance(x, (tuple, list)):
        return tuple(x), True
    return (x,), False


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """∂(Σ outputsᵢ·grad_outputsᵢ)/∂inputs as a tuple of tensors (PyTorch's autograd.grad).

    ``only_inputs`` is accepted and ignored, as in PyTorch (gradients go to ``inputs`` only).
    ``materialize_grads``: an input the outputs do not depend on gets zeros instead of None.
    ``is_grads_batched``: the first dimension of each grad_outputs is a batch of seeds, and each
    result gains that dimension (one backward pass per seed)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got allow_unused=False")
    allow_unused = bool(allow_unused) or materialize_grads
    outputs, _ = _as_tuple(outputs)
    inputs, _ = _as_tuple(inputs)
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs, _ = _as_tuple(grad_outputs)
    roots, seeds = [], []
    for out, seed in zip(outputs, grad_outputs):
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise RuntimeError("grad: an output does not require grad; it was not computed from "
                               "the inputs (or was computed inside no_grad())")
        if seed is None:
            if is_complex(out):
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            if out._data.size != 1:
                raise RuntimeError(f"grad: output of shape {out.shape} is not a single number; "
                                   "pass grad_outputs of the same shape")
            seed = _ones_like(out._data)
        elif is_complex(seed) != is_complex(out):
            raise RuntimeError(
                f"For complex Tensors, both grad_output and output are required to have the same "
                f"dtype. Mismatch in dtype: grad_output[{len(roots)}] has a dtype of {seed.dtype} "
                f"and output[{len(roots)}] has a dtype of {out.dtype}.")
        roots.append(out)
        seeds.append(seed)
    if retain_graph is None:
        retain_graph = create_graph
    results = engine.backward(roots, seeds, retain_graph, create_graph, list(inputs))
    if not allow_unused and any(r is None for r in results):
        raise RuntimeError("grad: one of the inputs was not used to compute the outputs; "
                           "pass allow_unused=True to get None for it")
    if materialize_grads:
        results = [Tensor._from_op(zeros_like(x._data), None) if r is None else r
                   for r, x in zip(results, inputs)]
    return tuple(results)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """autograd.grad with is_grads_batched: one backward per seed along grad_outputs' first
    dimension (the graph kept until the last), the results stacked along a new first one."""
    from ..ops import stack

    if grad_outputs is None:
        raise RuntimeError("grad: is_grads_batched=True needs grad_outputs, each with the batch "
                           "of seeds along its first dimension")
    seeds, _ = _as_tuple(grad_outputs)
    counts = {tuple(s.shape)[0] for s in seeds if s is not None and s.ndim}
    if len(counts) != 1:
        raise RuntimeError(f"grad: with is_grads_batched=True every grad_outputs needs the same "
                           f"batch size along its first dimension, got {sorted(counts)}")
    (count,) = counts
    rows = []
    for k in range(count):
        keep = True if k < count - 1 else retain_graph
        rows.append(grad(outputs, inputs, [None if s is None else s[k] for s in seeds],
                         retain_graph=keep, create_graph=create_graph,
                         allow_unused=allow_unused, materialize_grads=materialize_grads))
    return tuple(None if parts[0] is None else stack(list(parts), 0) for parts in zip(*rows))


def _leaves(args):
    """Inputs as tensors that require grad, keeping those already in a graph (for nesting)."""
    out = []
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            out.append(a)
        else:
            t = Tensor._make(a._data if isinstance(a, Tensor) else a)
            out.append(t.requires_grad_(True))
    return out


def value_and_grad(fn, argnums=0):
    """``fn``'s value and its gradient with respect to argument(s) ``argnums`` (JAX's)."""
    many = isinstance(argnums, (tuple, list))
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args, **kwargs):
        nested = is_grad_enabled() and any(
            isinstance(args[i], Tensor) and args[i].requires_grad for i in nums)
        args = list(args)
        leaves = _leaves([args[i] for i in nums])
        for i, leaf in zip(nums, leaves):
            args[i] = leaf
        with enable_grad():
            value = fn(*args, **kwargs)
        if not isinstance(value, Tensor) or value._data.size != 1:
            raise RuntimeError(f"grad: the function must return a single-number tensor, got "
                               f"{getattr(value, 'shape', type(value).__name__)}")
        grads = grad(value, leaves, create_graph=nested, allow_unused=True)
        grads = tuple(g if g is not None else Tensor._make(zeros_like(leaf._data))
                      for g, leaf in zip(grads, leaves))
        return value, (grads if many else grads[0])

    return wrapped


def grad_of(fn, argnums=0):
    """A function returning the gradient of scalar ``fn`` at its arguments (JAX's ``grad``).

    Nested calls compose: ``grad_of(grad_of(f))(x)`` is f″(x) for scalar x.
    """
    vg = value_and_grad(fn, argnums)

    def wrapped(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    return wrapped


def vjp(func, inputs, v=None, create_graph: bool = False):
    """(func(inputs), vᵀJ): one backward pass."""
    inputs, many = _as_tuple(inputs)
    leaves = _leaves(inputs)
    with enable_grad():
        out = func(*leaves)
    seed = None if v is None else (v._data if isinstance(v, Tensor) else xp.asarray(v))
    result = grad(out, leaves, seed, create_graph=create_graph, allow_unused=True)
    result = _zeros_for_unused(result, leaves)
    return out.detach() if not create_graph else out, (result if many else result[0])


def jvp(func, inputs, v, create_graph: bool = False):
    """(func(inputs), J v), by differentiating the VJP uᵀJ (linear in u) with respect to u."""
    inputs, many = _as_tuple(inputs)
    vs, _ = _as_tuple(v)
    leaves = _leaves(inputs)
    with enable_grad():
        out = func(*leaves)
        u = Tensor._make(zeros_like(out._data)).requires_grad_(True)
        ut_j = grad(out, leaves, u, create_graph=True, allow_unused=True)
        pairs = [(g, t) for g, t in zip(ut_j, vs) if g is not None]
        if not pairs:
            return out.detach(), Tensor._make(zeros_like(out._data))
        (jv,) = grad([g for g, _ in pairs], [u],
                     [t._data if isinstance(t, Tensor) else xp.asarray(t) for _, t in pairs],
                     create_graph=create_graph, allow_unused=True)
    if jv is None:
        jv = Tensor._make(zeros_like(out._data))
    return out.detach() if not create_graph else out, jv


def jacobian(func, inputs, create_graph: bool = False):
    """J with J[i…, j…] = ∂func(x)[i…]/∂x[j…], shape out.shape + x.shape (a tuple per input)."""
    inputs, many = _as_tuple(inputs)
    leaves = _leaves(inputs)
    with enable_grad():
        out = func(*leaves)
    rows = [[] for _ in leaves]
    flat = out.reshape(-1)
    for i in range(out._data.size):
        gs = grad(flat[i], leaves, retain_graph=True, create_graph=create_graph, allow_unused=True)
        for k, (g, leaf) in enumerate(zip(gs, leaves)):
            rows[k].append(g if g is not None else Tensor._make(zeros_like(leaf._data)))
    from .. import ops

    jacs = tuple(ops.stack(r, axis=0).reshape(out.shape + leaf.shape) if r else
                 Tensor._make(xp.zeros(out.shape + leaf.shape)) for r, leaf in zip(rows, leaves))
    if not create_graph:
        jacs = tuple(j.detach() for j in jacs)
    return jacs if many else jacs[0]


def hessian(func, inputs, create_graph: bool = False):
    """H = ∂²f/∂x∂x for scalar f: the Jacobian of the gradient (shape x.shape + x.shape)."""
    inputs, many = _as_tuple(inputs)

    def gradient(*xs):
        with enable_grad():
            out = func(*xs)
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        gs = _zeros_for_unused(gs, xs)
        return gs

    leaves = _leaves(inputs)
    gs = gradient(*leaves)
    blocks = []
    for g in gs:
        row = []
        flat = g.reshape(-1)
        per_input = [[] for _ in leaves]
        for i in range(g._data.size):
            if not flat.requires_grad:
                parts = [None] * len(leaves)
            else:
                parts = grad(flat[i], leaves, retain_graph=True, create_graph=create_graph,
                             allow_unused=True)
            for k, (p, leaf) in enumerate(zip(parts, leaves)):
                per_input[k].append(p if p is not None else Tensor._make(zeros_like(leaf._data)))
        from .. import ops

        for k, leaf in enumerate(leaves):
            h = ops.stack(per_input[k], axis=0).reshape(g.shape + leaf.shape)
            row.append(h if create_graph else h.detach())
        blocks.append(tuple(row))
    return tuple(blocks) if many else blocks[0][0]


def hvp(func, inputs, v, create_graph: bool = False):
    """(func(inputs), H v) for scalar func: ∂(∇f · v)/∂x, two backward passes."""
    inputs, many = _as_tuple(inputs)
    vs, _ = _as_tuple(v)
    leaves = _leaves(inputs)
    with enable_grad():
        out = func(*leaves)
        gs = grad(out, leaves, create_graph=True, allow_unused=True)
        dot = None
        for g, t in zip(gs, vs):
            if g is None:
                continue
            term = (g * (t._data if isinstance(t, Tensor) else xp.asarray(t))).sum()
            dot = term if dot is None else dot + term
        if dot is None or not dot.requires_grad:
            result = tuple(Tensor._make(zeros_like(leaf._data)) for leaf in leaves)
        else:
            result = grad(dot, leaves, create_graph=create_graph, allow_unused=True)
            result = _zeros_for_unused(result, leaves)
    return out.detach(), (result if many else result[0])


def _zeros_for_unused(grads, leaves):
    return tuple(g if g is not None else Tensor._make(zeros_like(leaf._data))
                 for g, leaf in zip(grads, leaves))
