"""Sweeps, registered experiments, theory curves and plots.

>>> from engramsim.experiments import experiments
>>> "hopfield-capacity" in experiments()
True
"""

from engramsim.experiments.registry import (
           Experiment,
           experiments,
           get_experiment,
           register,
           run_experiment,
)
from engramsim.experiments.sweep import Metric, run_sweep, write_dataset

__all__ = ["Experiment", "Metric", "experiments", "get_experiment", "register", "run_experiment",
           "run_sweep", "write_dataset"]
