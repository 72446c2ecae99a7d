"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian: PyTorch's ``torch.func`` transforms.

Each returns a function, and they compose: ``grad(grad(f))``, ``vmap(grad(f))``,
``jacrev(jacrev(f))``. They run on chainrule's reverse-mode engine:

- vjp: the primals become fresh leaves (an alias when a primal is itself in a graph, so that an
  outer transform still sees through it, and an inner gradient never picks up an outer
  variable's other uses), ``f`` runs once, and ``vjp_fn(v)`` is one backward pass seeded with v.
  The backward keeps a graph (``create_graph``) when an outer transform or autograd could
  differentiate the result: inside another grad/vjp, or when a primal requires grad.
- grad / grad_and_value: vjp of a 0-d output seeded with 1.
- jvp: J·t by the double-VJP trick (uᵀJ is linear in u, so ∂⟨uᵀJ, t⟩/∂u = J·t): two backward
  passes, which needs every primitive on the way to be twice differentiable.
- jacrev: vmap of vjp_fn over the rows of the identity; jacfwd: vmap of jvp over the columns;
  hessian: jacrev of jacrev (PyTorch uses jacfwd of jacrev: the same numbers).

Under vmap (active levels A, the vmaps running when the transform starts) every primal is
broadcast to a batch at each level of A and the graph is built on the plain tensors underneath,
batch dimensions in front, so one backward pass gives every example's gradient (a per-example
weight gets a per-example gradient: vmap(grad(loss)) over data with shared weights gives
per-sample gradients). Cotangents that are batched at vmaps opened later (jacrev's) stay batched:
the backward itself then runs under vmap, each derivative rule on batched tensors.
"""
from __future__ import annotations

import functools

from ..autograd import engine
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..tensor import Tensor
from . import tree
from .batched import BatchedTensor, expand_at, from_logical, is_batched_at, peel, rewrap, to_logical
from .vmap import active_levels, vmap

_depth = [0]        # how many grad/vjp/jvp transforms are running their function now


def _lift(x, levels):
    """``x`` batched at every level of ``levels`` (broadcast where it is not)."""
    for level, size in levels:
        if not is_batched_at(x, level):
            x = expand_at(x, level, size)
    return x


def _leaf(x: Tensor, levels) -> tuple[Tensor, Tensor]:
    """(a fresh leaf for ``x`` as the function sees it, the plain tensor under it)."""
    from ..ops import reshape

    if not isinstance(x, Tensor):
        raise TypeError(f"expected the primals to be Tensors, got {type(x).__name__}")
    plain, _ = peel(_lift(x, levels))
    if plain.requires_grad and is_grad_enabled():
        leaf = reshape(plain, tuple(plain.shape))      # an alias in the outer graph
    else:
        leaf = Tensor._make(plain.detach()._data)
        leaf.requires_grad_(True)
    return rewrap(leaf, [level for level, _ in levels]), leaf


def _unlift(g, levels):
    for level, _ in levels:
        g = from_logical(g, level)
    return g


def _seed(v, levels):
    """A cotangent as a seed for the plain output: the levels of ``levels`` moved in front."""
    for level, size in reversed(levels):
        v = to_logical(v, level, size)
    return v


def _zeros_like(t):
    from ..ops import zeros_like

    return zeros_like(t)


def _detach(x):
    return x.detach() if isinstance(x, Tensor) else x


class _Vjp:
    """The state of one vjp: its leaves, its plain outputs, and how to run a backward."""

    def __init__(self, func, primals, has_aux: bool, what: str):
        self.levels = active_levels()
        self.nested = is_grad_enabled()
        flat, self.spec = tree.flatten(primals)
        self.nested = self.nested and (_depth[0] > 0 or any(
            isinstance(p, Tensor) and peel(p)[0].requires_grad for p in flat))
        pairs = [_leaf(p, self.levels) for p in flat]
        self.leaves = [p for p, _ in pairs]
        self.plain_leaves = [q for _, q in pairs]
        _depth[0] += 1
        try:
            with enable_grad():
                out = func(*tree.unflatten(self.leaves, self.spec))
        finally:
            _depth[0] -= 1
        self.aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(f"{what}(f, ...): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, self.aux = out
        self.out = out
        self.flat_out, self.out_spec = tree.flatten(out)
        for o in self.flat_out:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"{what}(f, ...): expected f(*primals) to return only "
                                   f"tensors, got unsupported type {type(o).__name__}")
        self.plain_out = [peel(_lift(o, self.levels))[0] for o in self.flat_out]

    def backward(self, cotangents) -> list:
        """The gradients of the primals (as flattened) for the flattened ``cotangents``."""
        seeds = [_seed(v, self.levels) for v in cotangents]
        roots = [(o, s) for o, s in zip(self.plain_out, seeds) if o.requires_grad]
        create = self.nested or any(isinstance(s, BatchedTensor) for s in seeds)
        grads = [None] * len(self.plain_leaves)
        if roots:
            grads = engine.backward([o for o, _ in roots],
                                    [s if create or not isinstance(s, Tensor) else s._data
                                     for _, s in roots],
                                    retain_graph=True, create_graph=create,
                                    inputs=list(self.plain_leaves))
        out = []
        for g, leaf in zip(grads, self.leaves):
            if g is None:
                out.append(_zeros_like(leaf))
            else:
                out.append(_unlift(g if create else g.detach(), self.levels))
        return out

    def result(self, x):
        """An output or aux as returned to the caller (detached unless a graph is kept)."""
        if self.nested:
            return x
        leaves, spec = tree.flatten(x)
        return tree.unflatten([_detach(v) for v in leaves], spec)


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]): ``vjp_fn(v)`` gives vᵀ·∂func/∂primals, one tuple entry
    per primal (PyTorch's ``torch.func.vjp``); ``v`` has the output's structure and shapes."""
    state = _Vjp(func, primals, has_aux, "vjp")

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        flat, spec = tree.flatten(cotangents)
        if len(flat) != len(state.flat_out):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as "
                               f"pytree structure of outputs to the function: "
                               f"{len(flat)} cotangents for {len(state.flat_out)} outputs")
        for v, o in zip(flat, state.flat_out):
            if not isinstance(v, Tensor):
                raise RuntimeError(f"vjp_fn: expected the cotangents to be Tensors, got "
                                   f"{type(v).__name__}")
            if tuple(v.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{tuple(v.shape)} and output[0] has a shape of "
                                   f"{tuple(o.shape)}.")
        grads = state.backward(flat)
        return tree.unflatten(grads, state.spec)

    result = state.result(state.out)
    if has_aux:
        return result, vjp_fn, state.result(state.aux)
    return result, vjp_fn


def _argnums(argnums, count: int, what: str):
    many = isinstance(argnums, tuple)
    nums = argnums if many else (argnums,)
    if not nums:
        raise RuntimeError(f"{what}: argnums must be non-empty")
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise RuntimeError(f"{what}: argnums must be int or Tuple[int, ...], got: "
                               f"{type(n).__name__}")
        if not -count <= n < count:
            raise RuntimeError(f"Got argnums={n}, but only {count} positional inputs")
    nums = tuple(n % count for n in nums)
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"{what}: argnums must be unique, got {argnums}")
    return nums, many


def _partial(func, args, nums, kwargs):
    """func as a function of the arguments at ``nums`` only."""
    def inner(*chosen):
        full = list(args)
        for n, c in zip(nums, chosen):
            full[n] = c
        return func(*full, **kwargs)
    return inner


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (∂func/∂args[argnums], func(*args)) — with ``has_aux``,
    (gradient, (value, aux)) — for ``func`` returning a 0-d tensor (``torch.func``'s)."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        nums, many = _argnums(argnums, len(args), "grad_and_value")
        primals = tuple(args[n] for n in nums)
        state = _Vjp(_partial(func, args, nums, kwargs), primals, has_aux, "grad_and_value")
        if len(state.flat_out) != 1 or state.out_spec is not None:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                               f"got {type(state.out)}")
        out = state.flat_out[0]
        if out.ndim != 0:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {out.ndim} dims. Maybe you wanted to "
                               "use the vjp or jacrev APIs instead?")
        from ..ops import ones_like

        grads = tree.unflatten(state.backward([ones_like(out)]), state.spec)
        grads = grads if many else grads[0]
        value = state.result(state.out)
        if has_aux:
            return grads, (value, state.result(state.aux))
        return grads, value

    return wrapped


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning ∂func/∂args[argnums] (with ``has_aux``: (gradient, aux)) for
    ``func`` returning a 0-d tensor (PyTorch's ``torch.func.grad``). ``argnums`` may be a tuple
    (a tuple of gradients), and an argument may be a dict/tuple of tensors (a gradient of the
    same structure)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        grads, value = gv(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapped


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J·tangents[, aux]): the directional derivative (``torch.func.jvp``),
    computed as the derivative of a VJP (two backward passes)."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected primals to be a tuple. E.g. "
                           f"it should be valid to call f(*primals). Got {type(primals)}")
    if not isinstance(tangents, tuple):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected tangents to be a tuple, got "
                           f"{type(tangents)}")
    flat_p, _ = tree.flatten(primals)
    flat_t, _ = tree.flatten(tangents)
    if len(flat_p) != len(flat_t):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure")
    for p, t in zip(flat_p, flat_t):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to "
                               f"have the same shape, got {tuple(p.shape)} and "
                               f"{tuple(t.shape)}")
    state = _Vjp(func, primals, has_aux, "jvp")
    outer_nested = state.nested
    nested = outer_nested or any(isinstance(t, Tensor) and peel(t)[0].requires_grad
                                 for t in flat_t)
    us, roots = [], []
    for o in state.plain_out:
        u = Tensor._make(_zeros_like(o.detach())._data)
        u.requires_grad_(True)
        us.append(u)
        roots.append(o)
    live = [(o, u) for o, u in zip(roots, us) if o.requires_grad]
    results = [None] * len(roots)
    if live:
        with enable_grad():
            gs = engine.backward([o for o, _ in live], [u for _, u in live], retain_graph=True,
                                 create_graph=True, inputs=list(state.plain_leaves))
        pairs = [(g, _seed(t, state.levels)) for g, t in zip(gs, flat_t)
                 if g is not None and g.requires_grad]
        if pairs:
            jv = engine.backward([g for g, _ in pairs], [t for _, t in pairs],
                                 retain_graph=True, create_graph=True, inputs=us)
            results = [None if r is None else (r if nested else r.detach()) for r in jv]
    outs = []
    for r, o in zip(results, state.flat_out):
        outs.append(_zeros_like(o) if r is None else _unlift(r, state.levels))
    value = state.result(state.out) if nested else tree.unflatten(
        [_detach(v) for v in state.flat_out], state.out_spec)
    jv_tree = tree.unflatten(outs, state.out_spec)
    if has_aux:
        return value, jv_tree, state.result(state.aux)
    return value, jv_tree


def _basis(t: Tensor):
    """The identity of t's size, (numel, *t.shape), in t's dtype."""
    from ..ops import eye, reshape

    n = t.numel()
    return reshape(eye(n, dtype=t.dtype), (n,) + tuple(t.shape))


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """The Jacobian of ``func`` by reverse mode (``torch.func.jacrev``): vmap of the VJP over
    the rows of the identity. Each output gets shape output.shape + input.shape; several outputs
    or ``argnums`` tuples give nested tuples as PyTorch's."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        from ..ops import reshape, zeros_like

        nums, many = _argnums(argnums, len(args), "jacrev")
        primals = tuple(args[n] for n in nums)
        out, vjp_fn, *aux = vjp(_partial(func, args, nums, kwargs), *primals, has_aux=has_aux)
        flat_out, out_spec = tree.flatten(out)
        flat_in = [tree.flatten(p)[0] for p in primals]
        per_output = []
        for k, o in enumerate(flat_out):
            def row(v, k=k):
                cts = [v if j == k else zeros_like(other) for j, other in enumerate(flat_out)]
                return tree.flatten(vjp_fn(tree.unflatten(cts, out_spec)))[0]

            rows = vmap(row, chunk_size=chunk_size)(_basis(o))
            jac, i = [], 0
            for leaves in flat_in:
                block = []
                for leaf in leaves:
                    block.append(reshape(rows[i], tuple(o.shape) + tuple(leaf.shape)))
                    i += 1
                jac.append(block)
            per_output.append([tree.unflatten(b, tree.flatten(p)[1])
                               for b, p in zip(jac, primals)])
        result = tree.unflatten([tuple(j) if many else j[0] for j in per_output], out_spec)
        return (result, aux[0]) if has_aux else result

    return wrapped


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` by forward mode (``torch.func.jacfwd``): vmap of the JVP over the
    columns of the identity (here each JVP is itself two backward passes)."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        from ..ops import moveaxis, reshape, zeros_like

        nums, many = _argnums(argnums, len(args), "jacfwd")
        primals = tuple(args[n] for n in nums)
        g = _partial(func, args, nums, kwargs)
        flat_in, in_spec = tree.flatten(primals)
        columns = []
        for k, x in enumerate(flat_in):
            def column(t, k=k):
                tangents = [t if j == k else zeros_like(other) for j, other in enumerate(flat_in)]
                res = jvp(g, primals, tree.unflatten(tangents, in_spec), has_aux=has_aux)
                return tree.flatten(res[1])[0]

            columns.append(vmap(column, randomness=randomness)(_basis(x)))
        value = jvp(g, primals, tree.unflatten([zeros_like(x) for x in flat_in], in_spec),
                    has_aux=has_aux)
        flat_out, out_spec = tree.flatten(value[1])
        per_output = []
        for m, o in enumerate(flat_out):
            blocks = []
            for k, x in enumerate(flat_in):
                col = columns[k][m]                         # (numel x, *o.shape)
                col = moveaxis(col, 0, -1) if col.ndim > 1 else col
                blocks.append(reshape(col, tuple(o.shape) + tuple(x.shape)))
            grouped = tree.unflatten(blocks, in_spec)
            per_output.append(grouped if many else grouped[0])
        result = tree.unflatten(per_output, out_spec)
        return (result, value[2]) if has_aux else result

    return wrapped


def hessian(func, argnums=0):
    """The Hessian of scalar ``func`` (``torch.func.hessian``): jacrev of jacrev."""
    return jacrev(jacrev(func, argnums), argnums)
