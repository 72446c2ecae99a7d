"""chainrule vs PyTorch benchmarks: ``python benchmarks/run.py`` (see harness.py for the method)."""
