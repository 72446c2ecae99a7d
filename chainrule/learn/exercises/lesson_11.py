"""Lesson 11 — project: image classification on Fashion-MNIST.

Write each function below, then grade it:   chainrule learn check 11     (or check 11.2, …)
The lesson explains the project: chainrule learn show 11.
"""
import numpy as np  # noqa: F401  (you will need it)

import chainrule as cr  # noqa: F401  (exercise 11.2 trains a chainrule model)
import chainrule.nn.functional as F  # noqa: F401


def standardize(train, test):
    """Exercise 11.1 — standardize the features, without looking at the test set.

    ``train`` ∈ ℝ^{N×D} and ``test`` ∈ ℝ^{M×D} hold one sample per row. With μ and σ the mean and
    standard deviation of each feature (column) over the TRAINING samples only (σ with 1/N),
    return the pair ((train − μ)/(σ + 1e-8), (test − μ)/(σ + 1e-8)).
    """
    raise NotImplementedError


def train_epoch(model, optimizer, X, y, batch_size):
    """Exercise 11.2 — one epoch of training, the loop at the heart of every project.

    X (a NumPy array of inputs) and y (integer labels) are taken in order, in mini-batches of
    ``batch_size`` rows (the last one may be smaller). For each batch: clear the gradients, compute
    the mean cross-entropy of model(batch) (F.cross_entropy), backpropagate, take one optimizer
    step. Return the average of the batches' losses (a float).
    """
    raise NotImplementedError


def confusion_matrix(predicted, labels, num_classes):
    """Exercise 11.3 — the confusion matrix.

    ``predicted`` and ``labels`` are N integers in 0 … num_classes − 1. Return the integer matrix
    C ∈ ℕ^{K×K} (K = num_classes) with C[i, j] = the number of samples of true class i predicted
    as class j (rows: the truth, as in scikit-learn). No Python loop over the samples.
    """
    raise NotImplementedError
