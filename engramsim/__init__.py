"""engramsim: associative memories and neuromorphic memory models.

Subpackages: :mod:`engramsim.sim` (backends and kernels),
:mod:`engramsim.networks` (the models), :mod:`engramsim.learning_rules`
(plasticity), :mod:`engramsim.experiments` (sweeps, theory, registered
experiments) and :mod:`engramsim.hardware` (export).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("engramsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
