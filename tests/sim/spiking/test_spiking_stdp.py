"""Pair STDP, ``arrival`` convention (amplitudes times w_max, lags from the arrival), in the rule and the engine.

Engine tests drive a postsynaptic ``IF_curr_exp`` cell (the CA3 brief's slow
cell: one weight-6 input fires it in the arrival step) from a static "driver"
source, so its spike times are known, and give it a plastic input from a
presynaptic source whose weights are too small to fire it.  A spike at step
``k`` with delay ``d`` arrives at ``k + d``; lags are post time minus arrival.
"""

import math

import numpy as np
import pytest

from engramsim.learning_rules.stdp import (
    AdditiveWeightDependence,
    SpikePairRule,
    STDPMechanism,
    pairing_change,
    stdp_synapse_history,
)
from engramsim.sim.spiking import (
    AllToAll,
    FixedProbability,
    FromList,
    IF_curr_exp,
    Izhikevich,
    Network,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
)

CA3_TIMING = SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, convention="arrival")
CA3_WEIGHTS = AdditiveWeightDependence(w_min=0.0, w_max=6.0)
SLOW = dict(cm=0.27, tau_m=3.0, i_offset=0.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0,
            v_reset=-60.0, v_thresh=-57.0)
BACKENDS = ["numpy", "numba"]


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


# --- the engine ------------------------------------------------------------------------------------------------


def pairing_net(pre_times, drive_times, synapse, backend, dt=1.0):
    """A source -> one slow cell through ``synapse``; a driver source fires the cell one step after each drive."""
    net = Network(dt=dt, backend=backend)
    pre = Population(1, SpikeSourceArray(spike_times=list(pre_times)), label="pre")
    drive = Population(1, SpikeSourceArray(spike_times=list(drive_times)), label="drive")
    post = Population(1, IF_curr_exp(**SLOW), label="post")
    proj = Projection(pre, post, AllToAll(), synapse, label="plastic")
    net.add(proj, Projection(drive, post, OneToOne(), StaticSynapse(weight=6.0, delay=dt), label="drive"))
    return net, proj, post.record("spikes"), post.record("isyn_exc")


def weights(proj, include_pending=True):
    return proj.get_weights("list", include_pending=include_pending).tolist()


@pytest.mark.parametrize("backend", BACKENDS)
def test_engine_potentiation_is_applied_at_the_next_arrival(backend):
    """pre at 0 (delay 2: arrives at 2), post at 5 (lag +3), pre at 10 (arrives at 12, lag -7 from the post)."""
    amp_plus, amp_minus = 0.1 * 1.0, 0.12 * 1.0
    syn = STDPMechanism(SpikePairRule(tau_plus=3.0, tau_minus=4.0, A_plus=0.1, A_minus=0.12, convention="arrival"),
                        AdditiveWeightDependence(w_min=0.0, w_max=1.0), weight=0.5, delay=2.0)
    net, proj, spikes, state = pairing_net([0.0, 10.0], [4.0], syn, backend)
    net.run(8.0)
    assert spikes.times.tolist() == [5.0]
    potentiated = 0.5 + amp_plus * math.exp(-3.0 / 3.0)
    # sPyNNaker's stored weight still holds the initial value (the change is pending) ...
    assert weights(proj, include_pending=False) == [0.5]
    # ... and the default view has the pending change applied
    assert weights(proj) == [potentiated]
    assert proj.get("weight", format="list") == [(0, 0, potentiated)]
    net.run(5.0)  # the second spike arrives at 12: depression by the post spike at 5, then transmission
    transmitted = potentiated - amp_minus * math.exp(-7.0 / 4.0)
    assert weights(proj, include_pending=False) == [transmitted]
    assert weights(proj) == [transmitted]
    # the arriving weight enters the synaptic current in that very step: I = (I_prev + init * w) * decay
    ie = state.to_xarray()["isyn_exc"].values[:, 0]
    init, decay = 0.3 * (1.0 - math.exp(-1.0 / 0.3)), math.exp(-1.0 / 0.3)
    assert ie[12] == pytest.approx((ie[11] + init * transmitted) * decay, rel=1e-12)
    assert ie[2] == pytest.approx((ie[1] + init * 0.5) * decay, rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_engine_depression_and_lag_zero(backend):
    syn = STDPMechanism(SpikePairRule(tau_plus=3.0, tau_minus=4.0, A_plus=0.1, A_minus=0.12, convention="arrival"),
                        AdditiveWeightDependence(w_min=0.0, w_max=1.0), weight=0.5, delay=2.0)
    # post at 1, pre at 1 arrives at 3: lag -2, applied and transmitted at 3
    net, proj, spikes, _ = pairing_net([1.0], [0.0], syn, backend)
    net.run(4.0)
    assert spikes.times.tolist() == [1.0]
    assert weights(proj, include_pending=False) == [0.5 - 0.12 * 1.0 * math.exp(-2.0 / 4.0)]
    # pre at 3 arrives at 5 together with the post spike at 5: lag 0 changes nothing either way;
    # the next arrival (12) sees the post spike at 5 as a lag of -7
    net, proj, spikes, _ = pairing_net([3.0, 10.0], [4.0], syn, backend)
    net.run(8.0)
    assert spikes.times.tolist() == [5.0] and weights(proj) == [0.5] and weights(proj, False) == [0.5]
    net.run(6.0)
    assert weights(proj) == [0.5 - 0.12 * math.exp(-7.0 / 4.0)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("w0, pre, drive, expected", [(0.99, [0.0, 20.0], [2.0], 1.0),  # lag +1: clipped at w_max
                                                      (0.01, [2.0], [0.0], 0.0)])        # lag -3: clipped at w_min
def test_engine_clips_to_the_bounds(backend, w0, pre, drive, expected):
    syn = STDPMechanism(SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=0.1, A_minus=0.1, convention="arrival"),
                        AdditiveWeightDependence(w_min=0.0, w_max=1.0), weight=w0, delay=2.0)
    net, proj, _, _ = pairing_net(pre, drive, syn, backend)
    net.run(5.0)
    assert weights(proj) == [expected]


@pytest.mark.parametrize("dt", [1.0, 0.5])
def test_engine_all_to_all_pairing_matches_the_direct_sum(dt):
    """Two arrivals then two posts then an arrival: every pre/post pair contributes (traces == direct sums)."""
    syn = STDPMechanism(SpikePairRule(tau_plus=5.0, tau_minus=7.0, A_plus=0.01, A_minus=0.012, convention="arrival"),
                        AdditiveWeightDependence(w_min=0.0, w_max=1.0), weight=0.5, delay=dt)
    pre_times, drive_times = [0.0, 2.0 * dt, 12.0 * dt], [5.0 * dt, 8.0 * dt]
    net, proj, spikes, _ = pairing_net(pre_times, drive_times, syn, "numpy", dt=dt)
    net.run(14.0 * dt)
    post_times = spikes.times.tolist()
    assert post_times == [6.0 * dt, 9.0 * dt]
    expected = stdp_synapse_history(pre_times, post_times, 0.5, dt, syn.timing_dependence, syn.weight_dependence)
    assert weights(proj, include_pending=False)[0] == pytest.approx(expected[-1], rel=1e-14)
    arrivals = np.array(pre_times) + dt
    pot = sum(0.01 * math.exp(-(p - a) / 5.0) for p in post_times for a in arrivals if a < p)
    dep = sum(0.012 * math.exp(-(arrivals[2] - p) / 7.0) for p in post_times)
    assert weights(proj)[0] == pytest.approx(0.5 + pot - dep, rel=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lag", [1, 2, 3, 4, 5])
def test_ca3_one_pairing_saturates_the_synapse(backend, lag):
    """tau = 3 ms, A = 6, w_max = 6: one pairing at |lag| <= 5 ms moves the weight 0 -> 6 or 6 -> 0."""
    # potentiation: pre at 0 arrives at 1 with weight 0 (no effect); post at 1 + lag; the pre spike at 20
    # arrives at 21 with the potentiated weight (minus a small depression at lag -(20 - lag)) and fires the cell
    syn = STDPMechanism(CA3_TIMING, CA3_WEIGHTS, weight=0.0, delay=1.0)
    net, proj, spikes, _ = pairing_net([0.0, 20.0], [float(lag)], syn, backend)
    net.run(18.0)
    assert spikes.times.tolist() == [1.0 + lag]
    assert weights(proj) == [6.0] and weights(proj, include_pending=False) == [0.0]
    net.run(5.0)
    assert spikes.times.tolist() == [1.0 + lag, 21.0]
    transmitted = 6.0 - 36.0 * math.exp(-(20.0 - lag) / 3.0)
    assert weights(proj, include_pending=False) == [transmitted]
    # the spike it causes at 21 pairs with the arrival at 1 (lag 20; the arrival at 21 is at lag 0)
    assert weights(proj) == [transmitted + 36.0 * math.exp(-20.0 / 3.0)]
    # depression: post at 1, pre at lag arrives at 1 + lag with weight 6 -> 0, so it no longer fires the cell
    syn = STDPMechanism(CA3_TIMING, CA3_WEIGHTS, weight=6.0, delay=1.0)
    net, proj, spikes, _ = pairing_net([float(lag)], [0.0], syn, backend)
    net.run(10.0)
    assert weights(proj) == [0.0] and weights(proj, include_pending=False) == [0.0]
    assert spikes.times.tolist() == [1.0]
    # a pairing at 6 ms no longer saturates
    assert 0.0 < pairing_change(np.array([6.0]), CA3_TIMING, CA3_WEIGHTS)[0] < 6.0


def random_plastic_network(backend, seed=3):
    """Poisson inputs into IF_curr_exp and Izhikevich cells through plastic and static projections."""
    rule = lambda tp, tm, ap, am: SpikePairRule(tau_plus=tp, tau_minus=tm, A_plus=ap, A_minus=am,  # noqa: E731
                                                convention="arrival")
    net = Network(dt=1.0, seed=seed, backend=backend)
    src = Population(12, SpikeSourcePoisson(rate=np.linspace(20.0, 80.0, 12)), label="src")
    arr = Population(3, SpikeSourceArray(spike_times=[[5.0, 6.0, 40.0], [10.0], [1.0, 90.0, 91.0]]), label="arr")
    lif = Population(10, IF_curr_exp(tau_m=10.0, cm=0.5, tau_syn_E=2.0, tau_syn_I=4.0, v_thresh=-55.0,
                                     tau_refrac=2.0), label="lif")
    izh = Population(6, Izhikevich(), label="izh")
    bounds = AdditiveWeightDependence(w_min=0.0, w_max=1.2)
    projections = [
        Projection(src, lif, AllToAll(), STDPMechanism(rule(10.0, 12.0, 0.05, 0.06), bounds, 0.6, 1.0),
                   label="src-lif"),
        Projection(arr, lif, FixedProbability(0.5), STDPMechanism(rule(5.0, 5.0, 0.2, 0.2), bounds, 0.9, 3.0),
                   receptor_type="inhibitory", label="arr-lif"),
        Projection(lif, lif, FixedProbability(0.3, allow_self_connections=False),
                   STDPMechanism(rule(8.0, 8.0, 0.15, 0.1), AdditiveWeightDependence(0.0, 2.0), 0.5, 2.0),
                   label="lif-lif"),
        Projection(src, izh, FixedProbability(0.6), STDPMechanism(rule(20.0, 20.0, 0.05, 0.05),
                                                                   AdditiveWeightDependence(0.0, 12.0), 8.0, 1.0),
                   label="src-izh"),
        Projection(lif, izh, AllToAll(), STDPMechanism(rule(10.0, 10.0, 0.1, 0.1),
                                                        AdditiveWeightDependence(0.0, 1.0), 0.5, 4.0),
                   receptor_type="inhibitory", label="lif-izh"),
        Projection(arr, izh, AllToAll(), StaticSynapse(weight=3.0, delay=2.0), label="static"),
    ]
    net.add(*projections)
    monitors = {p.label: p.record("spikes") for p in (src, arr, lif, izh)}
    return net, projections, monitors


def run_random(backend, pieces=(300.0,)):
    net, projections, monitors = random_plastic_network(backend)
    for duration in pieces:
        net.run(duration)
    spikes = {k: sorted(zip(m.times.tolist(), m.neurons.tolist())) for k, m in monitors.items()}
    w = {p.label: (p.get_weights("list"), p.get_weights("list", include_pending=False)) for p in projections}
    return spikes, w, projections


def test_numba_matches_numpy_exactly_on_a_plastic_network():
    s_np, w_np, projections = run_random("numpy")
    s_nb, w_nb, _ = run_random("numba")
    assert s_np == s_nb
    for label, (now, sent) in w_np.items():
        np.testing.assert_array_equal(w_nb[label][0], now, err_msg=label)
        np.testing.assert_array_equal(w_nb[label][1], sent, err_msg=label)
    # the test proves something: cells fire, and every plastic projection changed, both ways
    assert len(s_np["lif"]) > 20 and len(s_np["izh"]) > 5
    for proj in projections[:5]:
        change = w_np[proj.label][0] - proj.weights
        assert (change > 0).any() and (change < 0).any(), proj.label
    assert w_np["src-lif"][0].min() == 0.0 and w_np["lif-lif"][0].max() == 2.0  # both bounds were hit
    # a run split into pieces equals one run (pending changes flushed at the end of a piece change nothing)
    s_split, w_split, _ = run_random("numba", pieces=(100.0, 1.0, 49.0, 150.0))
    assert s_split == s_nb
    for label in w_nb:
        np.testing.assert_array_equal(w_split[label][0], w_nb[label][0])
        np.testing.assert_array_equal(w_split[label][1], w_nb[label][1])


def test_engine_matches_the_rule_synapse_by_synapse():
    """Each synapse's last transmitted weight equals stdp_synapse_history on its own pre and post spike trains."""
    spikes, w, projections = run_random("numba")
    t_end = 300.0
    for proj in projections[:5]:
        trains = {pop.label: {} for pop in (proj.pre, proj.post)}
        for label in trains:
            for t, n in spikes[label]:
                trains[label].setdefault(n, []).append(t)
        par, d = proj.synapse_type, float(proj.delays[0])
        sent = w[proj.label][1]
        for e, (i, j) in enumerate(zip(proj.pre_index, proj.post_index)):
            pre = [t for t in trains[proj.pre.label].get(int(i), []) if t + d < t_end]  # arrived within the run
            post = trains[proj.post.label].get(int(j), [])
            hist = stdp_synapse_history(pre, post, proj.weights[e], d, par.timing_dependence, par.weight_dependence)
            assert sent[e] == pytest.approx(hist[-1] if len(pre) else proj.weights[e], rel=1e-12, abs=1e-12)


def test_projection_get_follows_pynn():
    syn = STDPMechanism(CA3_TIMING, CA3_WEIGHTS, weight=1.0, delay=2.0)
    net = Network(dt=1.0, backend="numpy")
    a = Population(2, SpikeSourceArray(spike_times=[[], []]), label="a")
    b = Population(2, IF_curr_exp(**SLOW), label="b")
    proj = Projection(a, b, FromList([(0, 1, 2.0), (1, 0, 3.0), (1, 0, 4.0)]), syn)
    net.add(proj)
    net.run(1.0)
    assert proj.get("weight", format="list") == [(0, 1, 2.0), (1, 0, 3.0), (1, 0, 4.0)]
    assert proj.get("weight", format="list", with_address=False) == [2.0, 3.0, 4.0]
    assert proj.get(["weight", "delay"], format="list")[0] == (0, 1, 2.0, 2.0)
    mat = proj.get("weight", format="array")
    np.testing.assert_array_equal(mat, [[np.nan, 2.0], [7.0, np.nan]])
    assert proj.get("weight", format="array", multiple_synapses="first")[1, 0] == 3.0
    assert proj.get("weight", format="array", multiple_synapses="max")[1, 0] == 4.0
    w, d = proj.get(["weight", "delay"], format="array", multiple_synapses="last")
    assert w[1, 0] == 4.0 and d[0, 1] == 2.0 and np.isnan(d[0, 0])
    with pytest.raises(ValueError, match="attribute_names must be one of"):
        proj.get("tau", format="list")
    with pytest.raises(ValueError, match="format must be one of"):
        proj.get("weight", format="dict")
    with pytest.raises(TypeError, match="include_pending must be True or False"):
        proj.get_weights(include_pending="yes")


def test_bad_input():
    with pytest.raises(ValueError, match="tau_plus must be > 0"):
        SpikePairRule(tau_plus=0.0)
    with pytest.raises(ValueError, match="tau_minus must be > 0.0, got -3.0"):
        SpikePairRule(tau_minus=-3.0)
    with pytest.raises(ValueError, match="A_plus must be >= 0"):
        SpikePairRule(A_plus=-0.1)
    with pytest.raises(ValueError, match="w_max must be >= w_min"):
        AdditiveWeightDependence(1.0, 0.5)
    with pytest.raises(ValueError, match="pre_times must be sorted"):
        stdp_synapse_history([3.0, 1.0], [], 0.0, 1.0, CA3_TIMING, CA3_WEIGHTS)
    with pytest.raises(ValueError, match=r"weight must lie in \[w_min, w_max\] = \[0.0, 6.0\], got 7.0"):
        STDPMechanism(CA3_TIMING, CA3_WEIGHTS, weight=7.0)
    with pytest.raises(TypeError, match="timing_dependence must be a SpikePairRule"):
        STDPMechanism("pair", CA3_WEIGHTS)
    with pytest.raises(TypeError, match="weight_dependence must be an AdditiveWeightDependence"):
        STDPMechanism(CA3_TIMING, (0.0, 6.0))
    with pytest.raises(ValueError, match="delay must be > 0"):
        STDPMechanism(CA3_TIMING, CA3_WEIGHTS, delay=0.0)
    syn = STDPMechanism(CA3_TIMING, CA3_WEIGHTS, weight=0.0, delay=1.0)
    pops = lambda: (Population(2, IF_curr_exp()), Population(2, IF_curr_exp()))  # noqa: E731
    with pytest.raises(ValueError, match="storage='dense' is not available for a plastic projection"):
        Projection(*pops(), AllToAll(), syn, storage="dense")

    class NotPairSTDP:
        plastic, weight, delay = True, 0.0, 1.0

    with pytest.raises(TypeError, match="synapse_type: the engine simulates plastic synapses of the pair-STDP"):
        Projection(*pops(), AllToAll(), NotPairSTDP())
    # per-synapse delays and weights outside the bounds are found when the network is built
    for rows, message in [([(0, 0, 1.0, 1.0), (1, 1, 1.0, 2.0)], "delay: a plastic projection needs one delay"),
                          ([(0, 0, 1.0), (1, 1, 6.5)], r"weight: the initial weights .* \[0.0, 6.0\], got 6.5")]:
        net = Network(dt=1.0, backend="numpy")
        net.add(Projection(*pops(), FromList(rows), syn))
        with pytest.raises(ValueError, match=message):
            net.run(1.0)
    # a delay off the step grid is refused when the projection is added, as for static synapses
    with pytest.raises(ValueError, match="delay must be a whole number of time steps"):
        Network(Projection(*pops(), AllToAll(), STDPMechanism(CA3_TIMING, CA3_WEIGHTS, delay=1.5)), dt=1.0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_two_cells_match_brian2_trace_stdp():
    """Brian2 (numpy target): the same all-to-all pair rule written with event-driven traces, applied eagerly.

    Without ties between arrivals and postsynaptic spikes, applying each change at once (Brian2) or deferring it
    to the next arrival (sPyNNaker) gives the same final weight, which engramsim reports with pending changes
    applied.  Brian2's ``delay`` acts on the presynaptic pathway, so its lags are measured from the arrival too.
    """
    b2 = pytest.importorskip("brian2")
    pre_times, drive_times, delay, t_end = [0.0, 7.0, 15.0, 30.0, 33.0, 50.0], [4.0, 11.0, 13.0, 19.0, 39.0, 44.0], 2.0, 60.0
    tp, tm, ap, am, w_max = 5.0, 8.0, 0.05, 0.06, 1.0
    syn = STDPMechanism(SpikePairRule(tau_plus=tp, tau_minus=tm, A_plus=ap, A_minus=am, convention="arrival"),
                        AdditiveWeightDependence(w_min=0.0, w_max=w_max), weight=0.5, delay=delay)
    net, proj, spikes, _ = pairing_net(pre_times, drive_times, syn, "numba")
    net.run(t_end)
    post_times = spikes.times.tolist()
    assert post_times == [t + 1.0 for t in drive_times]
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = 1.0 * b2.ms
    pre = b2.SpikeGeneratorGroup(1, [0] * len(pre_times), pre_times * b2.ms)
    post = b2.SpikeGeneratorGroup(1, [0] * len(post_times), post_times * b2.ms)
    s = b2.Synapses(pre, post, """w : 1
                    dapre/dt = -apre / taup : 1 (event-driven)
                    dapost/dt = -apost / taum : 1 (event-driven)""",
                    on_pre="w = clip(w - amp_minus * apost, 0, w_max)\napre += 1",
                    on_post="w = clip(w + amp_plus * apre, 0, w_max)\napost += 1",
                    namespace=dict(taup=tp * b2.ms, taum=tm * b2.ms, amp_plus=ap * w_max, amp_minus=am * w_max,
                                   w_max=w_max))
    s.connect(i=0, j=0)
    s.w = 0.5
    s.pre.delay = delay * b2.ms
    b2.Network(pre, post, s).run(t_end * b2.ms)
    assert weights(proj)[0] == pytest.approx(float(s.w[0]), rel=1e-12)
    assert weights(proj)[0] != 0.5
