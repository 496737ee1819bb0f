"""Spiking networks in PyNN's vocabulary: cells, connectors, projections, monitors, and their engine.

Clock-driven with a fixed step ``dt`` (ms); integer synaptic delays through a
ring buffer; event-driven propagation (only the rows of cells that spiked
are touched), with dense or CSR weights chosen by density.  Kernels exist as
a NumPy reference and a Numba twin (``backend="numpy" | "numba" | "auto"``).
"""

from engramsim.sim.spiking.celltypes import (
                                             ArrayCurrentSource,
                                             CellType,
                                             CurrentSource,
                                             DCSource,
                                             IF_curr_exp,
                                             Izhikevich,
                                             NoisyCurrentSource,
                                             SpikeSourceArray,
                                             SpikeSourcePoisson,
)
from engramsim.sim.spiking.connectors import (
                                             AllToAll,
                                             Connector,
                                             Dense,
                                             FixedNumberPre,
                                             FixedProbability,
                                             FromList,
                                             OneToOne,
)
from engramsim.sim.spiking.monitors import Monitor, SpikeMonitor, StateMonitor
from engramsim.sim.spiking.network import (
                                             MAX_DELAY_STEPS,
                                             Network,
                                             Population,
                                             Projection,
                                             StaticSynapse,
)

__all__ = [
    "AllToAll", "ArrayCurrentSource", "CellType", "Connector", "CurrentSource", "DCSource", "Dense",
    "FixedNumberPre", "FixedProbability", "FromList", "IF_curr_exp", "Izhikevich", "MAX_DELAY_STEPS", "Monitor",
    "Network", "NoisyCurrentSource", "OneToOne", "Population", "Projection", "SpikeMonitor", "SpikeSourceArray",
    "SpikeSourcePoisson", "StateMonitor", "StaticSynapse",
]
