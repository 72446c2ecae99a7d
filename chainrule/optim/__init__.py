"""Optimizers (PyTorch's ``torch.optim``): each update rule with its mathematics."""
from .adafactor import Adafactor
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

from . import lr_scheduler, regularization  # isort: skip
from . import swa_utils  # isort: skip
