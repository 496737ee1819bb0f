"""engramsim: associative memories and neuromorphic memory models.

Subpackages: :mod:`engramsim.sim` (backends and kernels),
:mod:`engramsim.networks` (the models), :mod:`engramsim.learning_rules`
(plasticity), :mod:`engramsim.experiments` (sweeps, theory, registered
experiments) and :mod:`engramsim.hardware` (export).
"""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # the version is looked up on first use (importlib.metadata costs ~30 ms at import)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("engramsim")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
