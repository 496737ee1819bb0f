"""The pair rule's two timing conventions, as functions of spike trains, against hand-computed pairings.

``spynnaker7``: the rule of the sPyNNaker 7 line that reproduces the CA3
memory's published spike tables (CA3 brief): A = 6 nA (not times w_max),
tau = 3 ms, w in [0, 6], delay d = 1 step, postsynaptic spikes stamped
``p + d``, depression at lag zero, clamp after each pairing, the new weight
carried by the spike that triggered the update.  Every expected number below
is written out from the brief's formulas with ``math.exp``.
"""

import math

import numpy as np
import pytest

from engramsim.errors import ValidationError
from engramsim.learning_rules.stdp import (
    AdditiveWeightDependence,
    SpikePairRule,
    STDPMechanism,
    spynnaker7_synapse_history,
    stdp_synapse_history,
)

S7 = SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, convention="spynnaker7")
ARRIVAL = SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, convention="arrival")
W = AdditiveWeightDependence(w_min=0.0, w_max=6.0)
E = math.exp


def hist(pre, post, w0=0.0, **kw):
    return spynnaker7_synapse_history(pre, post, w0, 1.0, S7, W, **kw)


def test_single_pairing_at_lag_one_gives_4_30_nA_and_does_not_saturate():
    # pre and post in the same step 1: the post is stamped 2, one step after the pre
    _, w_now = hist([1.0], [1.0], until=2.0)
    assert w_now == pytest.approx(6 * E(-1 / 3), abs=0) and round(w_now, 2) == 4.30
    assert w_now < 6.0


def test_learning_is_deferred_and_applied_before_delivery():
    # the pairing of step 1 is not carried by the spike of step 1, but by the next one (after depression by the
    # same post spike, 28 steps back)
    carried = hist([1.0, 30.0], [1.0])
    assert carried[0] == 0.0
    assert carried[1] == pytest.approx(6 * E(-1 / 3) - 6 * E(-28 / 3), rel=1e-15)


def test_post_one_step_before_pre_depresses_at_lag_zero_and_resets_the_weight():
    # post at 4 is stamped 5 = t: lag 0, depression by the whole A_minus
    assert hist([5.0], [4.0], w0=6.0).tolist() == [0.0]
    assert hist([5.0], [4.0], w0=3.0).tolist() == [0.0]
    # two steps before: lag 1
    assert hist([6.0], [4.0], w0=6.0)[0] == pytest.approx(6 - 6 * E(-1 / 3), rel=1e-15)


def test_no_potentiation_at_lag_zero():
    # post at 4 and pre at 5: the post is stamped 5 = L, not later than L, so it never potentiates
    carried, w_now = hist([5.0, 40.0], [4.0], w0=6.0, until=60.0)
    assert carried.tolist() == [0.0, 0.0] and w_now == 0.0
    # one step later it does: stamped 6 > L = 5
    _, w_now = hist([5.0], [5.0], w0=0.0, until=60.0)
    assert w_now == pytest.approx(6 * E(-1 / 3), abs=0)


def test_three_step_burst_saturates_through_r_1_513():
    # the learning burst: cue and content cells both fire at 1 and 3 (refractory at 2)
    carried = hist([1.0, 3.0, 30.0], [1.0, 3.0])
    # at 3: +6 e^{-1/3} from the post of 1, then -6 o(1) e^{-1/3} with o(1) = 1: exactly 0, still carried 0
    assert carried[:2].tolist() == [0.0, 0.0]
    r = E(-2 / 3) + 1.0
    assert round(r, 3) == 1.513
    assert 6 * r * E(-1 / 3) > 6.0  # the second pairing alone saturates
    o3 = E(-2 / 3) + 1.0
    assert carried[2] == pytest.approx(6.0 - 6 * o3 * E(-26 / 3), rel=1e-15)


def test_clamp_after_each_pairing_not_once_per_update():
    # at the pre spike of 4: potentiation by the posts of 0 and 2 (each clamped at 6), then depression by the post
    # of 2 with o(2) = e^{-2/3} + 1 at lag 1, clamped at 0
    pot = min(min(6.0 + 6 * E(-1 / 3), 6.0) + 6 * E(-3 / 3), 6.0)
    dep = 6 * (E(-2 / 3) + 1) * E(-1 / 3)
    expected = max(pot - dep, 0.0)
    assert expected == 0.0
    summed_once = min(max(6.0 + 6 * E(-1 / 3) + 6 * E(-3 / 3) - dep, 0.0), 6.0)
    assert summed_once == 6.0  # the variant that fails the tables
    assert hist([0.0, 4.0], [0.0, 2.0], w0=6.0).tolist() == [6.0, expected]


def test_only_the_latest_post_spike_depresses():
    # posts at 2 and 6 before the pre at 10: only p* = 6 with o(6) = e^{-4/3} + 1, lag 10 - 6 - 1 = 3
    carried = hist([10.0], [2.0, 6.0], w0=6.0)
    assert carried[0] == pytest.approx(6.0 - 6 * (E(-4 / 3) + 1) * E(-3 / 3), rel=1e-15)
    # a post in the same step as the pre (stamped t + 1) does not depress
    assert hist([10.0], [10.0], w0=6.0).tolist() == [6.0]


def test_pre_trace_sums_all_earlier_spikes():
    # pre at 0, 2, 4 -> r at 4 = (e^{-2/3} + 1) e^{-2/3} + 1; the post at 5 potentiates with lag 6 - 4 = 2
    _, w_now = hist([0.0, 2.0, 4.0], [5.0], until=20.0)
    r = (E(-2 / 3) + 1) * E(-2 / 3) + 1
    assert w_now == pytest.approx(6 * r * E(-2 / 3), rel=1e-15)


def test_longer_delay_shifts_the_post_stamp():
    # delay 3 steps: a post at 7 is stamped 10 = t for a pre at 10 -> lag 0 depression
    carried = spynnaker7_synapse_history([10.0], [7.0], 6.0, 3.0, S7, W)
    assert carried.tolist() == [0.0]
    # a post at 8 is stamped 11 > 10: it potentiates the pre of 10 at lag 1, after the update
    _, w_now = spynnaker7_synapse_history([10.0], [8.0], 0.0, 3.0, S7, W, until=11.0)
    assert w_now == pytest.approx(6 * E(-1 / 3), abs=0)
    # with dt = 0.5 ms lags are counted in steps of 0.5 ms
    _, w_now = spynnaker7_synapse_history([1.0], [1.0], 0.0, 0.5, S7, W, dt=0.5, until=5.0)
    assert w_now == pytest.approx(6 * E(-0.5 / 3), abs=0)


def test_amplitudes_are_not_multiplied_by_w_max_under_spynnaker7():
    mech = STDPMechanism(S7, W, weight=0.0, delay=1.0)
    par = mech.pair_stdp_parameters()
    assert (par["amp_plus"], par["amp_minus"], par["convention"]) == (6.0, 6.0, "spynnaker7")
    par = STDPMechanism(ARRIVAL, W, weight=0.0, delay=1.0).pair_stdp_parameters()
    assert (par["amp_plus"], par["amp_minus"], par["convention"]) == (36.0, 36.0, "arrival")


def test_the_two_conventions_differ_on_the_learning_burst():
    # the same learning burst under the arrival convention leaves the synapse at 0 (see the module docstring of
    # engramsim.learning_rules.stdp); under spynnaker7 it carries ~6 at the next cue spike
    s7 = hist([1.0, 3.0, 30.0], [1.0, 3.0])
    arr = stdp_synapse_history([1.0, 3.0, 30.0], [1.0, 3.0], 0.0, 1.0, ARRIVAL, W)
    assert s7[2] > 5.99 and arr[2] == 0.0


def test_bad_input_is_rejected_with_the_argument_named():
    with pytest.raises(ValidationError, match="convention"):
        SpikePairRule(convention="textbook")
    with pytest.raises(ValidationError, match="pre_times"):
        hist([3.0, 1.0], [])
    with pytest.raises(ValidationError, match="post_times"):
        hist([1.0], [2.5], dt=1.0)
    with pytest.raises(ValidationError, match="delay"):
        spynnaker7_synapse_history([1.0], [], 0.0, 1.5, S7, W)
    with pytest.raises(ValidationError, match="w0"):
        hist([1.0], [], w0=7.0)
    assert hist([], [1.0]).size == 0


# --- the engine's spynnaker7 convention against the rule, synapse by synapse ---------------------------------------
#: amplitudes that are not small binary fractions, so that a change in the order of operations shows in the last bit
ODD = SpikePairRule(tau_plus=3.0, tau_minus=2.7, A_plus=0.037, A_minus=0.041, convention="spynnaker7")


def _engine_run(backend, delay, pieces, seed=3, n_pre=8, n_post=8, steps=400, rule=ODD):
    """Random presynaptic trains into postsynaptic cells driven by their own sources; plastic weights bounded at 0.5
    nA so they never make a cell fire (the cells' spikes are read back from the monitor anyway)."""
    from engramsim.sim.spiking import AllToAll, IF_curr_exp, Network, OneToOne, Population, Projection, \
        SpikeSourceArray, StaticSynapse

    rng = np.random.default_rng(seed)
    pre_t = [np.flatnonzero(rng.random(steps) < 0.15).astype(float) for _ in range(n_pre)]
    drive_t = [np.flatnonzero(rng.random(steps) < 0.12).astype(float) for _ in range(n_post)]
    slow = dict(cm=0.27, tau_m=3.0, i_offset=0.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0,
                v_reset=-60.0, v_thresh=-57.0)
    net = Network(dt=1.0, backend=backend)
    pre = Population(n_pre, SpikeSourceArray(spike_times=[list(t) for t in pre_t]), label="pre")
    drive = Population(n_post, SpikeSourceArray(spike_times=[list(t) for t in drive_t]), label="drive")
    post = Population(n_post, IF_curr_exp(**slow), label="post")
    bounds = AdditiveWeightDependence(w_min=0.0, w_max=0.5)
    w0 = rng.uniform(0.0, 0.5, n_pre * n_post)
    plastic = Projection(pre, post, AllToAll(), STDPMechanism(rule, bounds, weight=0.25, delay=float(delay)))
    net.add(Projection(drive, post, OneToOne(), StaticSynapse(weight=6.0, delay=1.0)), plastic)
    mon = post.record("spikes")
    # initial weights from a list, so every synapse starts elsewhere
    from engramsim.sim.spiking import FromList
    plastic.connector = FromList(np.array([(i, j, w0[i * n_post + j]) for i in range(n_pre) for j in range(n_post)]))
    for chunk in pieces:
        net.run(float(chunk))
    return pre_t, mon.spike_trains(), w0, plastic, bounds, rule


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("delay", [1, 3])
def test_engine_spynnaker7_matches_the_rule_synapse_by_synapse(backend, delay):
    pre_t, post_t, w0, proj, bounds, rule = _engine_run(backend, delay, [400])
    sent = proj.get_weights("list", include_pending=False)
    now = proj.get_weights("list")
    n_post = len(post_t)
    for e, (i, j) in enumerate(zip(proj.pre_index.tolist(), proj.post_index.tolist())):
        carried, w_now = spynnaker7_synapse_history(pre_t[i], post_t[j], w0[i * n_post + j], float(delay), rule,
                                                    bounds, until=400.0)
        assert now[e] == w_now
        assert sent[e] == (carried[-1] if carried.size else w0[i * n_post + j])
    assert any(0.0 < x < 0.5 for x in now)  # the run exercised the rule away from its bounds


def test_engine_spynnaker7_numba_is_bit_identical_to_numpy_and_run_pieces_do_not_matter():
    ref = _engine_run("numpy", 2, [400])[3]
    for backend, pieces in (("numba", [400]), ("numba", [1, 150, 49, 200]), ("numpy", [123, 277])):
        proj = _engine_run(backend, 2, pieces)[3]
        assert np.array_equal(proj.get_weights("list"), ref.get_weights("list"))
        assert np.array_equal(proj.get_weights("list", include_pending=False),
                              ref.get_weights("list", include_pending=False))
