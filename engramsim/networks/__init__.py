"""Memory models, one module each, all following the protocol of :mod:`engramsim.networks.base`."""

from engramsim.networks.base import AssociativeMemory, RecallResult
from engramsim.networks.dense import DenseAssociativeMemory
from engramsim.networks.hopfield import Hopfield
from engramsim.networks.modern import ModernHopfield
from engramsim.networks.multitask import MultitaskHopfield, diluted_patterns

__all__ = [
    "AssociativeMemory",
    "DenseAssociativeMemory",
    "Hopfield",
    "ModernHopfield",
    "MultitaskHopfield",
    "RecallResult",
    "diluted_patterns",
]
