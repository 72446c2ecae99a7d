"""Conformance entries for the random generator (chainrule/random.py): ``torch.Generator``, the
RNG state functions, and seeded draws compared value for value (chainrule draws as PyTorch's CPU
generator does, so the same seed gives the same numbers).
"""
from __future__ import annotations

from harness import Entry, case, floats


def _seeded(seed, draw):
    def fn(L, *inputs):
        L.manual_seed(seed)
        return draw(L, *inputs)
    return fn


def _with_generator(draw):
    def fn(L):
        g = L.Generator().manual_seed(2024)
        return draw(L, g), g.initial_seed()
    return fn


def _state_round_trip(L):
    L.manual_seed(5)
    L.randn(3)                     # leaves a cached normal: part of the state
    state = L.get_rng_state()
    a = L.randn(4, dtype=L.float64)
    L.set_rng_state(state)
    return a, L.randn(4, dtype=L.float64), state


def _generator_state(L):
    g = L.Generator().manual_seed(9)
    L.rand(7, generator=g)
    state = g.get_state()
    first = L.rand(3, generator=g, dtype=L.float64)
    g.set_state(state)
    return first, L.rand(3, generator=g, dtype=L.float64), state


def _reseeded(L):
    seed = L.seed()                # nondeterministic: only its type and its effect compare
    return type(seed) is int and L.initial_seed() == seed


RANDOM = [
    Entry("Generator", [
        case(_with_generator(lambda L, g: L.randn(20, generator=g, dtype=L.float64)),
             label="randn, 16-block fill"),
        case(_with_generator(lambda L, g: L.rand(3, 4, generator=g)), label="rand float32"),
        case(_with_generator(lambda L, g: L.randint(-5, 5, (6,), generator=g)),
             label="randint"),
        case(_with_generator(lambda L, g: L.randperm(9, generator=g)), label="randperm"),
        case(_with_generator(lambda L, g: L.multinomial(
            L.tensor([0.1, 0.6, 0.3], dtype=L.float64), 5, True, generator=g)),
             label="multinomial with replacement"),
        case(lambda L: L.Generator().initial_seed(), label="the default seed"),
        case(_generator_state, label="get_state / set_state"),
    ]),
    Entry("get_rng_state", [case(_state_round_trip)]),
    Entry("set_rng_state", [case(_state_round_trip),
                            case(lambda L: L.set_rng_state(L.zeros(3, dtype=L.uint8)),
                                 raises=True, label="a state of the wrong size")]),
    Entry("initial_seed", [case(_seeded(123, lambda L: L.initial_seed()))]),
    Entry("seed", [case(_reseeded)]),
    Entry("manual_seed", [
        case(_seeded(0, lambda L: L.rand(5)), label="rand after manual_seed(0)"),
        case(_seeded(1, lambda L: L.randn(7, dtype=L.float64)), label="randn, cached pairs"),
        case(_seeded(2, lambda L: L.normal(0.5, 2.0, (40,), dtype=L.float64)),
             label="normal, 16-block fill with a tail"),
        case(_seeded(3, lambda L: L.bernoulli(L.full((2, 5), 0.3, dtype=L.float64))),
             label="bernoulli"),
        case(_seeded(4, lambda L: L.multinomial(L.tensor([[0.2, 0.8], [0.5, 0.5]]), 1)),
             label="multinomial, one sample"),
        case(_seeded(5, lambda L: L.nn.functional.dropout(L.ones(4, 6), 0.4, True)),
             label="a dropout mask"),
        case(_seeded(6, lambda L, x: L.nn.functional.dropout(x.t(), 0.5, True)), floats(5, 3),
             label="a transposed input's mask, drawn in memory order"),
        case(_seeded(7, lambda L: L.empty(3, 4, dtype=L.float64).exponential_(1.5)),
             label="exponential_"),
        case(_seeded(8, lambda L: L.empty(2, 3, dtype=L.float64).uniform_(-1.0, 3.0)),
             label="uniform_ (one fused multiply-add)"),
    ]),
]

ENTRIES = RANDOM
