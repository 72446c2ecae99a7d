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

from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss  # noqa: E501  # isort: skip
from .layers.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # isort: skip
from .layers.dropout import Dropout, Dropout2d  # isort: skip
from .layers.embedding import Embedding  # isort: skip
from . import utils  # isort: skip
from .layers.conv import Conv1d, Conv2d, ConvTranspose2d  # isort: skip
from .layers.pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # isort: skip
from .layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # isort: skip
from .layers.attention import MultiheadAttention  # isort: skip
from .layers.transformer import TransformerEncoder, TransformerEncoderLayer, generate_square_subsequent_mask  # noqa: E501  # isort: skip
from .layers.positional import LearnedPositionalEncoding, SinusoidalPositionalEncoding  # isort: skip
