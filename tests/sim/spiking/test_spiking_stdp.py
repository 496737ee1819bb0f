"""Pair STDP with additive weight dependence (sPyNNaker semantics, CA3 brief numbers)."""

import numpy as np
import pytest

from engramsim.learning_rules.stdp import (
    AdditiveWeightDependence,
    SpikePairRule,
    STDPMechanism,
    pairing_change,
    stdp_synapse_history,
)
from engramsim.sim.spiking import AllToAll, IF_curr_exp, Population, Projection

CA3_TIMING = SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0)
CA3_WEIGHTS = AdditiveWeightDependence(w_min=0.0, w_max=6.0)


def test_amplitude_is_premultiplied_by_w_max():
    lags = np.array([1.0, -1.0, 0.0, 5.0, -5.5])
    change = pairing_change(lags, CA3_TIMING, CA3_WEIGHTS)
    np.testing.assert_allclose(change[:2], [36 * np.exp(-1 / 3), -36 * np.exp(-1 / 3)], rtol=1e-15)
    assert change[2] == 0.0
    assert change[3] > 6.0 and change[4] > -6.0  # saturation holds up to |lag| <= 3 ln 6 ~ 5.38 ms


def test_one_pairing_saturates_and_one_pairing_erases():
    # pre at 0 arrives at 1 (delay 1); post at 3: lag 2 -> potentiated to w_max, transmitted at the next pre spike
    w = stdp_synapse_history([0.0, 60.0], [3.0], 0.0, 1.0, CA3_TIMING, CA3_WEIGHTS)
    assert w[0] == 0.0 and w[1] == pytest.approx(6.0 - 36 * np.exp(-58 / 3), abs=1e-12)
    # post at 3, pre at 4 arrives at 5: post before pre by 2 ms -> depressed from 6 to 0 at once
    w = stdp_synapse_history([4.0], [3.0], 6.0, 1.0, CA3_TIMING, CA3_WEIGHTS)
    assert w.tolist() == [0.0]
    # far apart: the change is tiny and the weight stays inside the bounds
    w = stdp_synapse_history([0.0, 100.0], [40.0], 3.0, 1.0, CA3_TIMING, CA3_WEIGHTS)
    assert 3.0 < w[1] < 3.0 + 1e-4


def test_bad_input():
    with pytest.raises(ValueError, match="tau_plus must be > 0"):
        SpikePairRule(tau_plus=0.0)
    with pytest.raises(ValueError, match="w_max must be >= w_min"):
        AdditiveWeightDependence(1.0, 0.5)
    with pytest.raises(ValueError, match="pre_times must be sorted"):
        stdp_synapse_history([3.0, 1.0], [], 0.0, 1.0, CA3_TIMING, CA3_WEIGHTS)
    syn = STDPMechanism(CA3_TIMING, CA3_WEIGHTS, weight=0.0, delay=1.0)
    with pytest.raises(NotImplementedError, match="plastic projections"):
        Projection(Population(2, IF_curr_exp()), Population(2, IF_curr_exp()), AllToAll(), syn)
