"""Sparsey: sparse distributed codes chosen by the Code Selection Algorithm (Rinkus).

A macrocolumn (mac) is ``Q`` winner-take-all competitive modules (CMs) of
``K`` binary cells; a code is one active cell per CM (``|code| = Q``, ``K^Q``
possible codes).  For each input frame the Code Selection Algorithm (CSA)

1. sums each cell's binary input weights over the active inputs and
   normalises by their number: ``U_i = sum_j x_j w_ji / sum_j x_j``;
2. forms the local support ``V_i = U_i^lu`` (times ``H_i^lh`` when a
   horizontal input, the previous frame's code, is present);
3. measures the global familiarity ``G = (1/Q) sum_q max_{i in CM q} V_i``;
4. maps ``G`` to a sigmoid height (expansivity) ``eta(G)``;
5. maps ``V`` to relative selection weights ``mu_i = f(V_i; eta)``;
6. when learning, samples one winner per CM with probability
   ``rho_i = mu_i / sum_{k in CM} mu_k``; when recognising, takes the cell
   of maximal ``V`` per CM;
7. when learning, sets every weight from an active input to a winner to 1
   (single trial, :func:`engramsim.learning_rules.sparsey.sparsey_hebb`),
   and freezes an input's weights once more than a fraction of them is set
   (optionally, ``frozen_argmax``, a learning frame whose inputs are mostly
   frozen picks its winners by argmax V, as SparseyCore does once frozen).

Familiar inputs (G near 1) get a large ``eta`` and a peaked ``rho`` and
reactivate their stored code; novel inputs (G near 0) get ``eta`` near 1, a
flat ``rho`` and a nearly random code; in between, the expected overlap with
a stored code grows with the input's similarity to the stored input.  All of
this takes the same number of steps however many items are stored.

``eta(G)``, the V -> mu map and the readout are pluggable strategies with
three presets (:func:`csa_preset`): ``"sparseycore"`` (Rinkus's Java
SparseyCore, the default), ``"sparseypy"`` (the PyTorch reimplementation)
and ``"sparsey-csa"`` (a minimal NumPy CSA in the 2010 style).
:class:`SparseyMac` is one mac; :class:`Sparsey` stacks macs in levels,
each level's macs reading (overlapping) patches of the level below.  See
``docs/models/sparsey.md`` for the equations and every constant.

References
----------
G. Rinkus, "A cortical sparse distributed coding model linking mini- and
macrocolumn-scale functionality", Front. Neuroanat. 4:17 (2010).
G. Rinkus, "Sparsey: event recognition via deep hierarchical sparse
distributed codes", Front. Comput. Neurosci. 8:160 (2014).
"""

from __future__ import annotations

from engramsim.networks.sparsey.codes import SparseyRecall, code_overlap, codes_to_binary
from engramsim.networks.sparsey.csa import (
    CSA,
    PRESETS,
    READOUTS,
    Expansivity,
    ExpLogitMu,
    LinearExpansivity,
    LogisticMu,
    OffsetLogisticMu,
    PowerExpansivity,
    SparseyCoreExpansivity,
    VToMu,
    csa_preset,
)
from engramsim.networks.sparsey.hierarchy import SCHEDULES, Sparsey
from engramsim.networks.sparsey.level import MCH, SparseyLevel
from engramsim.networks.sparsey.macrocolumn import TIE_BREAKS, SparseyMac
from engramsim.networks.sparsey.permanence import PermanenceCurve, WeightTable

__all__ = [
    "CSA",
    "ExpLogitMu",
    "Expansivity",
    "LinearExpansivity",
    "LogisticMu",
    "MCH",
    "OffsetLogisticMu",
    "PRESETS",
    "PermanenceCurve",
    "PowerExpansivity",
    "READOUTS",
    "SCHEDULES",
    "Sparsey",
    "SparseyCoreExpansivity",
    "SparseyLevel",
    "SparseyMac",
    "SparseyRecall",
    "TIE_BREAKS",
    "VToMu",
    "WeightTable",
    "code_overlap",
    "codes_to_binary",
    "csa_preset",
]
