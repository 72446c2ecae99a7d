"""Reference architectures (PyTorch's layer names, so their weights load)."""
