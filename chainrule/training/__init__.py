"""Keras-style training on the PyTorch-style core: compile/fit/evaluate/predict, callbacks,
metrics, checkpoints (Keras's names, as ``keras.Model.fit``; see :mod:`.model`)."""
from . import callbacks, metrics
from .callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    LRSchedulerCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
)
from .checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from .metrics import Metric
from .model import compile, evaluate, fit, predict
from .nan_guard import DivergenceWarning, NonFiniteLossError
from .progress import ProgbarLogger
from .runs import Run, RunError, sweep

__all__ = ["compile", "fit", "evaluate", "predict", "Callback", "CallbackList", "History",
           "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler", "LRSchedulerCallback",
           "ReduceLROnPlateau", "CSVLogger", "TensorBoard", "TerminateOnNaN", "LambdaCallback",
           "ProgbarLogger", "Metric", "metrics", "callbacks", "save_checkpoint",
           "load_checkpoint", "read_checkpoint", "CheckpointError", "NonFiniteLossError",
           "DivergenceWarning", "Run", "RunError", "sweep"]
