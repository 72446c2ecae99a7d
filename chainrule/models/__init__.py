"""Reference architectures (PyTorch's layer names, so their weights load).

``get_model(name, **kwargs)`` builds any registered model by name; ``model_names()`` lists them.
"""
from .features import features
from .registry import get_model, model_names, register_model
from .vision import (
    MLP,
    VGG,
    BasicBlock,
    Bottleneck,
    LeNet5,
    ResNet,
    SmallVGG,
    num_parameters,
    resnet18,
    resnet34,
    resnet50,
    vgg16,
    vgg16_bn,
)

from .text import BagOfEmbeddings, BiGRUClassifier, LSTMClassifier, RecurrentClassifier, TransformerClassifier  # noqa: E501  # isort: skip
from .bert import BertConfig, BertModel, SentenceEncoder, minilm  # isort: skip
from .imagenet import IMAGENET_CLASSES, EfficientNetLite, ImageNetTransform, efficientnet_lite, efficientnet_lite0, efficientnet_lite1  # noqa: E501  # isort: skip
from .vae import VAE, train_vae  # isort: skip  (the variational autoencoder, distributions)

register_model("minilm", minilm, aliases=("all-minilm-l6-v2",))
