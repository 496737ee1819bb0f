"""Spiking networks in PyNN's vocabulary: cells, connectors, projections, monitors, and their engine.

Clock-driven with a fixed step ``dt`` (ms); integer synaptic delays through a
ring buffer; event-driven propagation (only the rows of cells that spiked
are touched), with dense or CSR weights chosen by density.  Each cell type
declares its parameters, state, recordables, schemes and step kernels in its
own module (:mod:`engramsim.sim.spiking.cells`); the engine runs the NumPy
reference, its Numba twin, or the reference on CuPy arrays
(``backend="numpy" | "numba" | "cupy" | "auto"``).

A PyNN script runs by swapping its import: this module has PyNN's
``setup``, ``run``, ``reset``, ``end`` over a default network, and the
populations and projections made after ``setup`` join it::

    import engramsim.sim.spiking as sim        # instead of: import pyNN.nest as sim
    sim.setup(timestep=1.0)
    ...
    sim.run(100.0)
    block = cells.get_data()
    sim.end()
"""

from engramsim.sim.spiking.cells import (
                                             CellType,
                                             IF_curr_exp,
                                             Izhikevich,
                                             SpikeSourceArray,
                                             SpikeSourcePoisson,
                                             cell_types,
)
from engramsim.sim.spiking.connectors import (
                                             AllToAll,
                                             AllToAllConnector,
                                             ArrayConnector,
                                             Connector,
                                             Dense,
                                             FixedNumberPre,
                                             FixedNumberPreConnector,
                                             FixedProbability,
                                             FixedProbabilityConnector,
                                             FromList,
                                             FromListConnector,
                                             OneToOne,
                                             OneToOneConnector,
)
from engramsim.sim.spiking.currents import ArrayCurrentSource, CurrentSource, DCSource, NoisyCurrentSource
from engramsim.sim.spiking.monitors import Monitor, SpikeMonitor, StateMonitor
from engramsim.sim.spiking.network import (
                                             MAX_DELAY_STEPS,
                                             Network,
                                             Population,
                                             Projection,
                                             StaticSynapse,
)
from engramsim.sim.spiking.simulator import end, get_current_time, get_time_step, reset, run, setup

__all__ = [
    "AllToAll", "AllToAllConnector", "ArrayConnector", "ArrayCurrentSource", "CellType", "Connector",
    "CurrentSource", "DCSource", "Dense", "FixedNumberPre", "FixedNumberPreConnector", "FixedProbability",
    "FixedProbabilityConnector", "FromList", "FromListConnector", "IF_curr_exp", "Izhikevich", "MAX_DELAY_STEPS",
    "Monitor", "Network", "NoisyCurrentSource", "OneToOne", "OneToOneConnector", "Population", "Projection",
    "SpikeMonitor", "SpikeSourceArray", "SpikeSourcePoisson", "StateMonitor", "StaticSynapse", "cell_types",
    "end", "get_current_time", "get_time_step", "reset", "run", "setup",
]


def __getattr__(name: str):
    # PyNN's plasticity classes live with the learning rules (sim never imports learning_rules at import time)
    if name in ("STDPMechanism", "SpikePairRule", "AdditiveWeightDependence"):
        from engramsim.learning_rules import stdp

        return getattr(stdp, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
