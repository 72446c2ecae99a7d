"""Neural networks: Module, layers, activations, losses, initialisers (PyTorch's ``torch.nn``)."""
from . import functional, init
from .activations import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .containers import ModuleDict, ModuleList, Sequential
from .layers.linear import Flatten, Identity, Linear, Unflatten
from .module import Module
from .parameter import Parameter
