"""Plasticity: functions of arrays that return or update weights, and nothing else."""

from engramsim.learning_rules.hebb import hebb, hebb_counts
from engramsim.learning_rules.oja import OjaSubspace, oja_subspace_step, oja_subspace_update
from engramsim.learning_rules.pseudo_inverse import pseudo_inverse
from engramsim.learning_rules.rls import rls_initial_p, rls_update
from engramsim.learning_rules.sparsey import (
                                           bundle_saturation,
                                           saturated_bundles,
                                           sparsey_hebb,
)
from engramsim.learning_rules.stdp import (
                                           AdditiveWeightDependence,
                                           SpikePairRule,
                                           STDPMechanism,
                                           spynnaker7_synapse_history,
                                           stdp_synapse_history,
)
from engramsim.learning_rules.storkey import storkey
from engramsim.learning_rules.three_factor import eligibility_step, three_factor_update, two_factor_update

__all__ = ["AdditiveWeightDependence", "SpikePairRule", "STDPMechanism", "spynnaker7_synapse_history",
           "stdp_synapse_history", "bundle_saturation", "hebb", "hebb_counts", "pseudo_inverse", "saturated_bundles",
           "sparsey_hebb", "storkey", "rls_initial_p", "rls_update", "eligibility_step", "three_factor_update",
           "two_factor_update", "OjaSubspace", "oja_subspace_step", "oja_subspace_update"]
