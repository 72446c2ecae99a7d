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
    Softmax2d,
    Softplus,
    Tanh,
)
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .layers.linear import Bilinear, Flatten, Identity, Linear, Unflatten
from .module import Module
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss  # noqa: E501  # isort: skip
from .losses import CosineEmbeddingLoss, CTCLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss  # noqa: E501,E402  # isort: skip
from .layers.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # isort: skip
from .layers.dropout import Dropout, Dropout2d  # isort: skip
from .layers.embedding import Embedding, EmbeddingBag  # isort: skip
from . import utils  # isort: skip
from .layers.conv import Conv1d, Conv2d, ConvTranspose2d  # isort: skip
from .layers.pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # isort: skip
from .layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # isort: skip
from .layers.attention import MultiheadAttention  # isort: skip
from .layers.transformer import TransformerEncoder, TransformerEncoderLayer, generate_square_subsequent_mask  # noqa: E501  # isort: skip
from .layers.transformer import Transformer, TransformerDecoder, TransformerDecoderLayer  # noqa: E402  # isort: skip
from .layers.positional import LearnedPositionalEncoding, SinusoidalPositionalEncoding  # isort: skip
from .layers.conv import Conv3d, ConvTranspose1d, ConvTranspose3d  # isort: skip
from .layers.pooling import AdaptiveAvgPool1d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool3d, LPPool1d, LPPool2d, LPPool3d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d  # noqa: E501  # isort: skip
from .layers.normalization import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm, RMSNorm  # noqa: E501  # isort: skip
from .layers.padding import CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d  # noqa: E501  # isort: skip
from .layers.activations_extra import CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, RReLU, Softmin, Softshrink, Softsign, Tanhshrink, Threshold  # noqa: E501  # isort: skip
from .layers.upsampling import ChannelShuffle, CosineSimilarity, Fold, PairwiseDistance, PixelShuffle, PixelUnshuffle, Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E501  # isort: skip
from .layers.dropout_extra import AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout  # isort: skip
from . import parallel  # noqa: E402  # isort: skip  (torch.nn.parallel: DistributedDataParallel)
from .layers.sync_batchnorm import SyncBatchNorm  # noqa: E402  # isort: skip
from .layers.lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear  # noqa: E501,E402  # isort: skip
from .layers.adaptive_softmax import AdaptiveLogSoftmaxWithLoss  # noqa: E402  # isort: skip
from .layers.recurrent import RNNBase, RNNCellBase  # noqa: E402  # isort: skip
from .layers.fractional_pool import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: E402  # isort: skip
