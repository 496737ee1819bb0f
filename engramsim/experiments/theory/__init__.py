"""Closed-form theory curves for associative-memory models.

Every function here is a formula from one of the model briefs (``hopfield.md``,
``dense_associative.md``, ``multitask.md``, ``active_dendrites.md``,
``scaling_laws.md``, ``sparsey.md``); nothing is simulated. Experiments store
these curves next to the measured ones. One module per model family:
:mod:`~engramsim.experiments.theory.hopfield`, :mod:`~engramsim.experiments.theory.dense`,
:mod:`~engramsim.experiments.theory.multitask`, :mod:`~engramsim.experiments.theory.dendrites`,
:mod:`~engramsim.experiments.theory.scaling` and :mod:`~engramsim.experiments.theory.sparsey`;
everything public is re-exported here.

Conventions: ``n_neurons`` is N, ``n_patterns`` is the number of stored
patterns (P in the Hopfield brief, K in Krotov & Hopfield), ``alpha = P / N``
is the load, Phi is the standard normal CDF and all logarithms are natural.
Functions accept scalars or NumPy arrays (broadcast against each other) and
return a NumPy scalar for scalar input.
"""

from __future__ import annotations

from engramsim.experiments.theory import dendrites, dense, hopfield, multitask, scaling, sparsey
from engramsim.experiments.theory.dendrites import (
    UNION_WEIGHT_CUTOFF,
    _union_size_distribution,
    dendrite_false_match,
    dendrite_false_negative,
    dendrite_union_false_match,
    hypergeometric_tail,
    union_synapse_count,
)
from engramsim.experiments.theory.dense import dense_one_step_error, krotov_hopfield_capacity
from engramsim.experiments.theory.hopfield import (
    ags_capacity,
    ags_overlap,
    mceliece_capacity,
    one_step_error,
    one_step_error_finite,
    one_step_load,
    storkey_capacity,
)
from engramsim.experiments.theory.multitask import (
    multitask_breakdown_dilution,
    multitask_hierarchy_consistent,
    multitask_magnetization,
)
from engramsim.experiments.theory.scaling import CABANNES_TERMS, cabannes_exponent, unseen_mass, zipf_tail_mass
from engramsim.experiments.theory.sparsey import sparsey_freeze_load, sparsey_single_item_overlap

__all__ = [
    *hopfield.__all__,
    *dense.__all__,
    *multitask.__all__,
    *dendrites.__all__,
    *scaling.__all__,
    *sparsey.__all__,
]
