"""Random draws inside vmap: PyTorch's ``randomness='error' | 'same' | 'different'``.

Each running vmap has a mode. A random operation inside vmap (rand, randn, randint, their
``*_like`` forms, dropout masks, the attention dropout of scaled_dot_product_attention, …):

- raises if any running vmap's mode is 'error' (PyTorch's default), with or without an explicit
  ``generator=``, with PyTorch's message;
- is not batched at a level whose mode is 'same': one draw, shared by that level's examples;
- is batched at a level whose mode is 'different': each example draws its own.

What torch.func does, and so chainrule: the draw is one call of the operation on the *physical*
shape, the sizes of the 'different' levels (outermost first) in front of the per-example shape,
row-major. Since chainrule's generator draws PyTorch's numbers, a seeded 'different' run gives
PyTorch's values (``torch.manual_seed(s); vmap(lambda x: torch.rand(3),
randomness='different')(xs)`` equals ``torch.manual_seed(s); torch.rand(len(xs), 3)``), and a
'same' run gives the values of one unbatched draw.

The random operations that know about vmap call :func:`draw` (creation's rand, randn, randint)
or :func:`scaled_mask` (every dropout mask). Any other draw from the default generator under
'different' (bernoulli of batched probabilities, normal, multinomial, randperm, the
distributions' samplers, …) raises a clear error instead of silently sharing one draw.
"""
from __future__ import annotations

from ..tensor import Tensor

_modes: dict[int, str] = {}          # level → randomness of the vmaps running now
_generators: list = []               # the default generator as each running vmap found it

_ERROR = ("vmap: called random operation while in randomness error mode. Please either use the "
          "'same' or 'different' randomness flags on vmap or perform the randomness operation "
          "out of vmap")


def refuse_error():
    raise RuntimeError(_ERROR)


def refuse_different():
    raise NotImplementedError(
        "vmap(randomness='different'): this random operation cannot draw per-example values in "
        "chainrule (rand, randn, randint, rand_like, randn_like, the dropout masks and "
        "scaled_dot_product_attention's dropout can); use randomness='same', or draw the "
        "numbers outside vmap and map over them")


def enter(level: int, mode: str, previous_generator) -> object:
    """Record a vmap level's mode; return the default-generator hook to install for it."""
    _modes[level] = mode
    _generators.append(previous_generator)
    if mode == "error" or "error" in _modes.values():
        return refuse_error
    if mode == "different":
        return refuse_different
    return previous_generator           # 'same' keeps an outer level's hook


def leave(level: int) -> None:
    _modes.pop(level, None)
    _generators.pop()


def _default_generator():
    """The default generator from before the outermost running vmap (its hook unchanged)."""
    return _generators[0]() if _generators else None


def _batch_levels() -> list[tuple[int, int]]:
    """(level, size) of the running vmaps whose draws differ per example, outermost first;
    raises when one of them is in 'error' mode."""
    from .vmap import active_levels

    levels = []
    for level, size in active_levels():
        mode = _modes.get(level, "error")
        if mode == "error":
            raise RuntimeError(_ERROR)
        if mode == "different":
            levels.append((level, size))
    return levels


def _wrapped(array, levels, requires_grad: bool = False) -> Tensor:
    from .batched import rewrap

    plain = Tensor._make(array)
    if requires_grad:
        plain.requires_grad_(True)
    return rewrap(plain, [level for level, _ in levels])


def draw(make, shape: tuple, generator=None, requires_grad: bool = False) -> Tensor:
    """A random tensor of per-example ``shape`` inside vmap: ``make(generator, physical shape)``
    draws the array (PyTorch's algorithm for the operation), batched at the 'different'
    levels."""
    from .. import random as _random

    levels = _batch_levels()
    gen = _default_generator() if generator is None else _random.resolve(generator)
    physical = tuple(size for _, size in levels) + tuple(shape)
    return _wrapped(make(gen, physical), levels, requires_grad)


def scaled_mask(shape, p: float, dtype, unbatched):
    """A dropout mask m/(1 − p) of per-example ``shape`` inside vmap: an array ('same'), or a
    batched Tensor ('different'), drawn by ``unbatched(shape, p, dtype, order=...)`` (dropout's
    own mask function) on the physical shape, row-major, as PyTorch draws it."""
    from .. import backend
    from ..autograd import function as _function

    levels = _batch_levels()
    physical = tuple(size for _, size in levels) + tuple(shape)
    hook, batching = backend.generator, _function.batching
    backend.generator = _default_generator        # the draw itself, outside vmap's hooks
    _function.batching = None
    try:
        mask = unbatched(physical, p, dtype, None, None)
    finally:
        backend.generator, _function.batching = hook, batching
    return _wrapped(mask, levels) if levels else mask

