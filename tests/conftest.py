"""Hypothesis profiles for the whole suite.

- ``ci`` (the default): deterministic (``derandomize``: the same examples on every run and every
  machine, so a failure reproduces), no deadline (timings vary between machines), a modest number
  of examples so the suite stays fast, and no example database written into the checkout.
- ``thorough``: many more random examples, for hunting bugs locally.

Choose one with ``HYPOTHESIS_PROFILE=thorough pytest ...``.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=20,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=300,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
