"""IF_curr_exp: sPyNNaker's discrete update (calibration numbers of the CA3 brief), and numba == numpy."""

import numpy as np
import pytest

from engramsim.sim.spiking import (
    AllToAll,
    DCSource,
    FixedNumberPre,
    FixedProbability,
    FromList,
    IF_curr_exp,
    Network,
    NoisyCurrentSource,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
)

CA3 = dict(i_offset=0.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
           v_thresh=100.0)
SLOW = dict(cm=0.27, tau_m=3.0)
FAST = dict(cm=0.14, tau_m=0.5)


def one_input(cell, weight, backend="numpy", times=(0.0,), **extra):
    net = Network(dt=1.0, backend=backend)
    src = Population(1, SpikeSourceArray(spike_times=list(times)), label="in")
    pop = Population(1, IF_curr_exp(**{**CA3, **cell, **extra}), label="cell")
    net.add(Projection(src, pop, OneToOne(), StaticSynapse(weight=weight, delay=1.0)))
    v = pop.record("v")
    spikes = pop.record("spikes")
    net.run(8.0)
    return v.to_xarray()["v"].values[:, 0], spikes


@pytest.mark.parametrize("cell, weight, expected", [(SLOW, 6.0, -54.5), (FAST, 6.0, -54.6), (FAST, 2.0, -58.2)])
def test_calibration_of_the_ca3_brief(cell, weight, expected):
    """One input arriving at step 1 moves v from -60 to the brief's value in that very step."""
    v, _ = one_input(cell, weight)
    assert v[0] == -60.0
    assert v[1] == pytest.approx(expected, abs=0.06)
    # closed form: alpha - exp(-dt/tau_m) (alpha - v), alpha = v_rest + w (tau_s/dt)(1 - e^{-dt/tau_s}) tau_m/cm
    i = weight * 0.3 * (1 - np.exp(-1 / 0.3))
    alpha = -60 + i * cell["tau_m"] / cell["cm"]
    assert v[1] == pytest.approx(alpha - np.exp(-1 / cell["tau_m"]) * (alpha + 60), rel=1e-12)
    # the current decays by exp(-dt/tau_syn) afterwards
    i2 = i * np.exp(-1 / 0.3)
    alpha2 = -60 + i2 * cell["tau_m"] / cell["cm"]
    assert v[2] == pytest.approx(alpha2 - np.exp(-1 / cell["tau_m"]) * (alpha2 - v[1]), rel=1e-12)


@pytest.mark.parametrize("cell, weight, fires", [(SLOW, 6.0, True), (FAST, 6.0, True), (FAST, 2.0, False)])
def test_calibration_spikes_with_threshold(cell, weight, fires):
    _, spikes = one_input(cell, weight, v_thresh=-57.0)
    assert (spikes.times.tolist() == [1.0]) is fires


def test_refractory_input_held_three_steps_fires_at_plus1_and_plus3():
    _, spikes = one_input(SLOW, 6.0, times=(0.0, 1.0, 2.0), v_thresh=-57.0)
    assert spikes.times.tolist() == [1.0, 3.0]


def random_lif_network(backend, seed=3):
    net = Network(dt=1.0, seed=seed, backend=backend)
    src = Population(20, SpikeSourcePoisson(rate=80.0), label="poisson")
    arr = Population(3, SpikeSourceArray(spike_times=[[1.0, 4.0, 9.0], [2.0], [5.0, 6.0]]), label="array")
    exc = Population(60, IF_curr_exp(tau_m=10.0, cm=0.25, tau_syn_E=2.0, tau_syn_I=4.0, v_thresh=-55.0,
                                     tau_refrac=2.0, i_offset=np.linspace(0.0, 0.3, 60)), label="exc")
    inh = Population(15, IF_curr_exp(tau_m=8.0, tau_refrac=1.0), label="inh")
    exc.inject(NoisyCurrentSource(0.05, 0.2))
    inh.inject(DCSource(0.2))
    rng = np.random.default_rng(seed)
    net.add(
        Projection(src, exc, FixedProbability(0.3), StaticSynapse(weight=0.6, delay=rng.integers(1, 6, 1)[0])),
        Projection(arr, exc, AllToAll(), StaticSynapse(weight=2.0, delay=3.0)),
        Projection(exc, exc, FixedProbability(0.2, allow_self_connections=False),
                   StaticSynapse(weight=lambda n: rng.uniform(0, 0.3, n), delay=2.0)),
        Projection(exc, inh, AllToAll(), StaticSynapse(weight=0.05, delay=1.0)),
        Projection(inh, exc, FixedNumberPre(5), StaticSynapse(weight=0.4, delay=2.0), receptor_type="inhibitory"),
        Projection(exc, inh, FromList([[0, 0, 0.5, 4.0], [3, 2, 1.0, 7.0], [3, 2, 0.25, 1.0]])),
    )
    spikes = {p.label: p.record("spikes") for p in (src, arr, exc, inh)}
    state = exc.record(["v", "isyn_exc", "isyn_inh"], indices=[0, 5, 59])
    net.run(150.0)
    return net, spikes, state


def test_numba_matches_numpy_exactly():
    runs = {b: random_lif_network(b) for b in ("numpy", "numba")}
    (net_a, sp_a, st_a), (_, sp_b, st_b) = runs["numpy"], runs["numba"]
    total = 0
    for label in sp_a:
        np.testing.assert_array_equal(sp_a[label].steps, sp_b[label].steps)
        np.testing.assert_array_equal(sp_a[label].neurons, sp_b[label].neurons)
        total += sp_a[label].steps.size
    assert sp_a["exc"].steps.size > 50 and sp_a["inh"].steps.size > 5  # the network is active
    for var in ("v", "isyn_exc", "isyn_inh"):
        np.testing.assert_array_equal(st_a.to_xarray()[var].values, st_b.to_xarray()[var].values)
    kinds = set(net_a.engine.proj[0][:, 0].tolist())
    assert kinds == {0, 1}  # both dense and CSR storage were exercised


def test_running_in_pieces_equals_one_run():
    def run(pieces):
        net = Network(dt=1.0, seed=1, backend="numpy")
        src = Population(5, SpikeSourcePoisson(rate=100.0), label="p")
        pop = Population(10, IF_curr_exp(), label="c")
        pop.inject(NoisyCurrentSource(0.5, 0.5))
        net.add(Projection(src, pop, AllToAll(), StaticSynapse(weight=1.0, delay=3.0)))
        sp = pop.record("spikes")
        for d in pieces:
            net.run(d)
        return sp.steps, sp.neurons

    a, b = run([100.0]), run([30.0, 1.0, 69.0])
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].size > 0


def test_inhibition_lowers_v_and_delay_shifts_arrival():
    net = Network(dt=1.0, backend="numpy")
    src = Population(1, SpikeSourceArray(spike_times=[2.0]), label="in")
    pop = Population(2, IF_curr_exp(), label="c")
    net.add(Projection(src, pop, AllToAll(), StaticSynapse(weight=1.0, delay=5.0), receptor_type="inhibitory"))
    v = pop.record("v").to_xarray  # bound method, called after the run
    net.run(12.0)
    trace = v()["v"].values[:, 0]
    assert np.all(trace[:7] == -65.0) and trace[7] < -65.0  # arrives at step 2 + 5
