"""Memory models, one module each; the classical and dense ones follow the protocol of :mod:`engramsim.networks.base`.

Names are imported on first use (``from engramsim.networks import Hopfield``
loads the Hopfield module only), so a script pays only for the models it
uses.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it
_WHERE = {
    "AssociativeMemory": "base", "HasEnergy": "base", "Memory": "base", "RecallResult": "base",
    "DendriticNeuron": "dendrites", "OverlapHistogram": "dendrites", "Segment": "dendrites",
    "DenseAssociativeMemory": "dense",
    "Hopfield": "hopfield",
    "ModernHopfield": "modern",
    "MultitaskHopfield": "multitask", "diluted_patterns": "multitask",
    "OuterProductMemory": "scaling", "ZipfLaw": "scaling", "memory_weights": "scaling",
    "CSA": "sparsey", "Sparsey": "sparsey", "SparseyLevel": "sparsey", "SparseyMac": "sparsey",
    "SparseyRecall": "sparsey", "csa_preset": "sparsey",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
