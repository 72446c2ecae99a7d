"""Nested containers of tensors (tuples, lists, dicts), flattened and rebuilt (JAX's pytrees)."""
from __future__ import annotations


def flatten(tree) -> tuple[list, object]:
    """(the leaves in order, a spec that ``unflatten`` rebuilds the container from)."""
    leaves: list = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(tree, leaves):
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten(t, leaves) for t in tree])
    if isinstance(tree, dict):
        return (dict, [(k, _flatten(v, leaves)) for k, v in tree.items()])
    leaves.append(tree)
    return None


def unflatten(leaves, spec):
    it = iter(leaves)
    return _build(it, spec)


def _build(it, spec):
    if spec is None:
        return next(it)
    kind, children = spec
    if kind is dict:
        return {k: _build(it, c) for k, c in children}
    items = [_build(it, c) for c in children]
    if kind is list:
        return items
    if kind is tuple:
        return tuple(items)
    return kind(*items)             # a namedtuple


def broadcast_prefix(prefix, tree, what: str) -> list:
    """``prefix`` (an int/None, or a container matching the top of ``tree``) given to every leaf
    of ``tree``: one value per leaf, in ``flatten``'s order."""
    out: list = []
    _broadcast(prefix, tree, out, what)
    return out


def _broadcast(prefix, tree, out, what):
    if isinstance(prefix, (tuple, list)):
        if not isinstance(tree, (tuple, list)) or len(tree) != len(prefix):
            raise ValueError(f"{what}: the structure {prefix!r} does not match the argument's "
                             f"structure ({_describe(tree)})")
        for p, t in zip(prefix, tree):
            _broadcast(p, t, out, what)
        return
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(tree) != set(prefix):
            raise ValueError(f"{what}: the dict {sorted(prefix)} does not match the argument's "
                             f"structure ({_describe(tree)})")
        for k in tree:
            _broadcast(prefix[k], tree[k], out, what)
        return
    leaves, _ = flatten(tree)
    out.extend([prefix] * len(leaves))


def _describe(tree) -> str:
    if isinstance(tree, (tuple, list)):
        return f"a {type(tree).__name__} of {len(tree)}"
    if isinstance(tree, dict):
        return f"a dict with keys {sorted(tree)}"
    return type(tree).__name__
