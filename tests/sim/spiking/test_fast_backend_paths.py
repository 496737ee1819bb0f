"""Spiking engine paths on the numba backend that were checked on NumPy only: STDP at dt = 0.5 ms and the
IF_curr_exp calibration of the CA3 brief.

References are closed forms written here: the all-to-all pair-STDP weight as a direct sum over pre/post
pairs, and sPyNNaker's exact exponential LIF update for one input, ``v1 = alpha - exp(-dt/tau_m) (alpha -
v0)`` with ``alpha = v_rest + I tau_m / cm`` and ``I = w (tau_s / dt)(1 - exp(-dt/tau_s))``.
"""

import math

import numpy as np
import pytest

from engramsim.learning_rules.stdp import AdditiveWeightDependence, SpikePairRule, STDPMechanism
from engramsim.sim.spiking import (
    AllToAll,
    IF_curr_exp,
    Network,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    StaticSynapse,
)

BACKENDS = ["numpy", "numba"]
SLOW = dict(cm=0.27, tau_m=3.0, i_offset=0.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0,
            v_reset=-60.0, v_thresh=-57.0)


def _pairing(backend, dt, pre_times, drive_times, synapse):
    """A source -> one slow cell through ``synapse``; a driver fires the cell one step after each drive."""
    net = Network(dt=dt, backend=backend)
    pre = Population(1, SpikeSourceArray(spike_times=list(pre_times)), label="pre")
    drive = Population(1, SpikeSourceArray(spike_times=list(drive_times)), label="drive")
    post = Population(1, IF_curr_exp(**SLOW), label="post")
    proj = Projection(pre, post, AllToAll(), synapse, label="plastic")
    net.add(proj, Projection(drive, post, OneToOne(), StaticSynapse(weight=6.0, delay=dt), label="drive"))
    spikes = post.record("spikes")
    return net, proj, spikes


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dt", [0.5, 0.25])
def test_stdp_at_sub_millisecond_steps_matches_the_direct_sum(backend, dt):
    syn = STDPMechanism(SpikePairRule(tau_plus=5.0, tau_minus=7.0, A_plus=0.01, A_minus=0.012, convention="arrival"),
                        AdditiveWeightDependence(w_min=0.0, w_max=1.0), weight=0.5, delay=dt)
    k = round(0.5 / dt)  # steps per half millisecond: the posts stay 1.5 ms apart (refractory period 1 ms)
    pre_times, drive_times = [0.0, 2.0 * k * dt, 12.0 * k * dt], [5.0 * k * dt, 8.0 * k * dt]
    net, proj, spikes = _pairing(backend, dt, pre_times, drive_times, syn)
    net.run(14.0 * k * dt)
    post_times = spikes.times.tolist()
    assert post_times == [d + dt for d in drive_times]
    arrivals = np.array(pre_times) + dt  # the delay is one step
    pot = sum(0.01 * math.exp(-(p - a) / 5.0) for p in post_times for a in arrivals if a < p)
    dep = sum(0.012 * math.exp(-(arrivals[2] - p) / 7.0) for p in post_times)
    assert proj.get_weights("list").tolist()[0] == pytest.approx(0.5 + pot - dep, rel=1e-12)
    # the lags are multiples of dt: at dt = 0.5 they differ from the dt = 1 pairing, and so must the weight
    assert abs(pot - dep) > 1e-3


def test_stdp_half_millisecond_backends_agree_on_a_longer_train():
    dt = 0.5
    rng = np.random.default_rng(0)
    pre_times = np.sort(rng.choice(np.arange(0, 200) * dt, 40, replace=False)).tolist()
    drive_times = np.sort(rng.choice(np.arange(0, 200) * dt, 25, replace=False)).tolist()
    weights = []
    for backend in BACKENDS:
        syn = STDPMechanism(SpikePairRule(tau_plus=4.0, tau_minus=6.0, A_plus=0.02, A_minus=0.021,
                                          convention="arrival"),
                            AdditiveWeightDependence(w_min=0.0, w_max=1.0), weight=0.5, delay=2 * dt)
        net, proj, spikes = _pairing(backend, dt, pre_times, drive_times, syn)
        net.run(110.0)
        weights.append((proj.get_weights("list").tolist(), spikes.times.tolist()))
    assert weights[0][1] == weights[1][1] and len(weights[0][1]) >= 20
    np.testing.assert_allclose(weights[1][0], weights[0][0], rtol=1e-12)
    assert weights[0][0][0] != 0.5


def _one_input(backend, cell, weight, dt=1.0):
    net = Network(dt=dt, backend=backend)
    src = Population(1, SpikeSourceArray(spike_times=[0.0]), label="in")
    pop = Population(1, IF_curr_exp(**{**SLOW, **cell, "v_thresh": 100.0}), label="cell")
    net.add(Projection(src, pop, OneToOne(), StaticSynapse(weight=weight, delay=dt)))
    v = pop.record("v")
    net.run(8.0 * dt)
    return v.to_xarray()["v"].values[:, 0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cell, weight, expected", [(dict(cm=0.27, tau_m=3.0), 6.0, -54.5),
                                                    (dict(cm=0.14, tau_m=0.5), 6.0, -54.6),
                                                    (dict(cm=0.14, tau_m=0.5), 2.0, -58.2)])
@pytest.mark.parametrize("dt", [1.0, 0.5])
def test_lif_calibration_closed_form(backend, cell, weight, expected, dt):
    v = _one_input(backend, cell, weight, dt)
    tau_s, tau_m, cm = 0.3, cell["tau_m"], cell["cm"]
    current = weight * (tau_s / dt) * (1 - math.exp(-dt / tau_s))
    alpha = -60.0 + current * tau_m / cm
    v1 = alpha - math.exp(-dt / tau_m) * (alpha + 60.0)
    assert v[0] == -60.0
    assert v[1] == pytest.approx(v1, rel=1e-12)
    if dt == 1.0:  # the CA3 brief's calibration numbers (one decimal)
        assert v[1] == pytest.approx(expected, abs=0.06)
    current2 = current * math.exp(-dt / tau_s)
    alpha2 = -60.0 + current2 * tau_m / cm
    assert v[2] == pytest.approx(alpha2 - math.exp(-dt / tau_m) * (alpha2 - v1), rel=1e-12)
