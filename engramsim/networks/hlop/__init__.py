"""HLOP: Hebbian learning based orthogonal projection for continual learning (Xiao et al., ICLR 2024).

* :mod:`~engramsim.networks.hlop.models`: the rate (ReLU) and spiking (LIF,
  snnTorch) multilayer perceptrons, and NIR export/import of the spiking one.
* :mod:`~engramsim.networks.hlop.projection`: :class:`HLOP` (lateral Oja
  subspaces) and :class:`SVDProjection` (exact GPM-like bound).
* :mod:`~engramsim.networks.hlop.continual`: task-by-task training and the
  ACC/BWT metrics.

Importing this package imports torch and snnTorch (the ``torch`` extra).
"""

from engramsim.networks.hlop.continual import (
    METHODS,
    ContinualResult,
    Task,
    accuracy,
    continual_metrics,
    layer_inputs,
    train_continual,
)
from engramsim.networks.hlop.models import RateMLP, SpikingMLP, export_nir, import_nir, run_nir
from engramsim.networks.hlop.projection import HLOP, SVDProjection, project_gradient

__all__ = ["HLOP", "METHODS", "ContinualResult", "RateMLP", "SVDProjection", "SpikingMLP", "Task", "accuracy",
           "continual_metrics", "export_nir", "import_nir", "layer_inputs", "project_gradient", "run_nir",
           "train_continual"]
