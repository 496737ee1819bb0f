"""The spike-based CA3 content-addressable memory (Casanueva-Morato et al., Neural Networks 2024).

* :mod:`~engramsim.networks.ca3.circuit`: the populations, the connection table and the raw run.
* :mod:`~engramsim.networks.ca3.operations`: learn / recall operations, their timing, the OUT decoder
  and the ideal CAM they are compared with.
* :mod:`~engramsim.networks.ca3.memory`: :class:`CA3Memory` (raw interface, verbs, sequences, save/load).
"""

from engramsim.networks.ca3.circuit import CONNECTIONS, POPULATIONS, CA3Result, build_circuit, population_sizes
from engramsim.networks.ca3.memory import CA3Memory, SequenceResult
from engramsim.networks.ca3.operations import (
                                               LEARN,
                                               RECALL_BY_CONTENT,
                                               RECALL_BY_CUE,
                                               IdealCAM,
                                               Operation,
                                               Outcome,
                                               make_operation,
)

__all__ = ["CONNECTIONS", "LEARN", "POPULATIONS", "RECALL_BY_CONTENT", "RECALL_BY_CUE", "CA3Memory", "CA3Result",
           "IdealCAM", "Operation", "Outcome", "SequenceResult", "build_circuit", "make_operation",
           "population_sizes"]
