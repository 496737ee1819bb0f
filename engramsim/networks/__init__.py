"""Memory models, one module each, all following the protocol of :mod:`engramsim.networks.base`."""

from engramsim.networks.base import AssociativeMemory, HasEnergy, Memory, RecallResult
from engramsim.networks.dendrites import DendriticNeuron, OverlapHistogram, Segment
from engramsim.networks.dense import DenseAssociativeMemory
from engramsim.networks.hopfield import Hopfield
from engramsim.networks.modern import ModernHopfield
from engramsim.networks.multitask import MultitaskHopfield, diluted_patterns
from engramsim.networks.scaling import OuterProductMemory, ZipfLaw, memory_weights
from engramsim.networks.sparsey import (
    CSA,
    Sparsey,
    SparseyLevel,
    SparseyMac,
    SparseyRecall,
    csa_preset,
)

__all__ = [
    "AssociativeMemory",
    "HasEnergy",
    "Memory",
    "DenseAssociativeMemory",
    "DendriticNeuron",
    "OverlapHistogram",
    "Segment",
    "Hopfield",
    "ModernHopfield",
    "MultitaskHopfield",
    "RecallResult",
    "CSA",
    "Sparsey",
    "SparseyLevel",
    "SparseyMac",
    "SparseyRecall",
    "csa_preset",
    "OuterProductMemory",
    "ZipfLaw",
    "memory_weights",
    "diluted_patterns",
]
