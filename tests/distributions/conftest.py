"""Every distributions test starts with argument validation on in both libraries, as their
defaults are: PyTorch switches its own default off when torch.compile is first used (its
dynamo does so; the conformance suite calls torch.compile), which would otherwise leak into the
comparisons here."""
from __future__ import annotations

import pytest
import torch

import chainrule.distributions as D


@pytest.fixture(autouse=True)
def _validation_on_in_both_libraries():
    theirs = torch.distributions.Distribution._validate_args
    mine = D.Distribution._validate_args_default
    torch.distributions.Distribution.set_default_validate_args(True)
    D.Distribution.set_default_validate_args(True)
    yield
    torch.distributions.Distribution.set_default_validate_args(theirs)
    D.Distribution.set_default_validate_args(mine)
