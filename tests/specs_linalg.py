"""Test specs of the matrix decompositions and solvers of ``chainrule.linalg`` (ops/linalg_*.py),
in primitive_specs.py's form (imported at its end, which registers them into ``SPECS``)."""
from __future__ import annotations
