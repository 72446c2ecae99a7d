"""Uncertainty and calibration: does a model's confidence mean anything?

- :func:`expected_calibration_error`, :func:`calibration_bins` (the per-bin table),
  :func:`reliability_diagram` (PNG): how far confidence is from accuracy (:mod:`.ece`);
- :class:`TemperatureScaling`: one temperature T fitted on validation logits (:mod:`.temperature`);
- :func:`mc_dropout_predict`: Monte-Carlo dropout's predictive mean, variance, entropies and
  mutual information (:mod:`.uncertainty`);
- :class:`Ensemble`: a deep ensemble, the mean of its members' softmax probabilities
  (:mod:`.ensemble`).

Everything takes chainrule Tensors or NumPy arrays. The mathematics of each is in its docstring
and ``formula()``; docs/calibration.md shows temperature scaling on an over-confident LeNet.
"""
from ._arrays import softmax
from .diagram import reliability_diagram
from .ece import CalibrationBins, calibration_bins, expected_calibration_error
from .ensemble import Ensemble
from .temperature import TemperatureScaling, negative_log_likelihood
from .uncertainty import UncertaintyEstimate, entropy, mc_dropout_predict, summarise

__all__ = ["expected_calibration_error", "calibration_bins", "CalibrationBins",
           "reliability_diagram", "TemperatureScaling", "negative_log_likelihood",
           "mc_dropout_predict", "UncertaintyEstimate", "summarise", "entropy", "Ensemble",
           "softmax"]
