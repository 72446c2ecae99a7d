"""Test specs of the sampling-grid primitives (``F.affine_grid``, ``F.grid_sample``), in
primitive_specs.py's form (imported at its end, which registers them into ``SPECS``)."""
from __future__ import annotations
