"""What the export plan refuses, converts and notes, per target (no simulator needed)."""

import numpy as np
import pytest

from engramsim.hardware.plan import ExportError, describe, target_name
from engramsim.learning_rules.stdp import AdditiveWeightDependence, SpikePairRule, STDPMechanism
from engramsim.sim.spiking import (
    AllToAll,
    DCSource,
    IF_curr_exp,
    Izhikevich,
    Network,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    StaticSynapse,
)


def _pair(post_cell=None, synapse=None, receptor="excitatory", times=((2.0,), (3.0,))):
    net = Network(dt=1.0, seed=0, backend="numpy")
    src = Population(2, SpikeSourceArray(spike_times=[list(t) for t in times]), label="src")
    post = Population(2, post_cell or IF_curr_exp(), label="post")
    net.add(Projection(src, post, OneToOne(), synapse or StaticSynapse(weight=0.5, delay=1.0),
                       receptor_type=receptor, label="p"))
    return net


def _stdp(w_min=0.0, w_max=4.0, a=0.5):
    return STDPMechanism(SpikePairRule(tau_plus=10.0, tau_minus=10.0, A_plus=a, A_minus=a),
                         AdditiveWeightDependence(w_min=w_min, w_max=w_max), weight=w_min, delay=1.0)


def test_targets_by_module_name():
    assert [target_name(n) for n in ("pyNN.nest", "pyNN.spiNNaker", "brian2", "pyNN.mock")] == [
        "nest", "spiNNaker", "brian2", "mock"]
    with pytest.raises(ExportError, match="pyNN.nest, pyNN.spiNNaker"):
        target_name("pyNN.neuron")


def test_inhibitory_sign_per_target():
    nest = describe(_pair(receptor="inhibitory"), "nest").projections[0]
    spinn = describe(_pair(receptor="inhibitory"), "spiNNaker").projections[0]
    assert nest.weight == -0.5 and spinn.weight == 0.5 and nest.connector == "OneToOneConnector"


def test_stdp_amplitude_per_target():
    amp = _pair(synapse=_stdp()).projections[0].synapse_type.pair_stdp_parameters()["amp_plus"]
    nest = describe(_pair(synapse=_stdp()), "nest")
    spinn = describe(_pair(synapse=_stdp()), "spiNNaker")
    literal = describe(_pair(synapse=_stdp()), "nest", convert_stdp=False)
    assert nest.projections[0].stdp["A_plus"] == pytest.approx(amp / 4.0)
    assert spinn.projections[0].stdp["A_plus"] == literal.projections[0].stdp["A_plus"] == pytest.approx(amp)
    assert any("divided by w_max = 4.0" in n for n in nest.notes)


@pytest.mark.parametrize("net,target,message", [
    (lambda: _pair(synapse=_stdp(w_min=0.5)), "nest", "no lower bound but 0, got w_min = 0.5"),
    (lambda: _pair(synapse=_stdp(), receptor="inhibitory"), "nest", "cannot be inhibitory"),
    (lambda: _pair(post_cell=Izhikevich()), "spiNNaker", "population 'post': Izhikevich scheme"),
    (lambda: _pair(times=((1.0,), (3.0,))), "nest", "population 'src'.*t >= 2 dt"),
])
def test_what_a_target_cannot_express_is_named(net, target, message):
    with pytest.raises(ExportError, match=message):
        describe(net(), target)


def test_lenient_mode_notes_instead():
    plan = describe(_pair(post_cell=Izhikevich()), "spiNNaker", strict=False)
    assert any("Izhikevich scheme 'izhikevich2003'" in n for n in plan.notes)
    nest = describe(_pair(post_cell=Izhikevich(scheme="euler")), "nest")
    assert nest.populations[1].nest_options == {"consistent_integration": True}


def test_connectors_become_the_simplest_pynn_connector():
    net = Network(dt=1.0, seed=0, backend="numpy")
    a = Population(3, IF_curr_exp(), label="a")
    b = Population(4, IF_curr_exp(), label="b")
    net.add(Projection(a, b, AllToAll(), StaticSynapse(weight=0.2, delay=2.0), label="uniform"))
    net.add(Projection(a, b, AllToAll(), StaticSynapse(weight=lambda k: np.arange(k) / 10.0, delay=1.0),
                       label="varying"))
    a.inject(DCSource(np.array([0.1, 0.2, 0.3])))
    with pytest.raises(ExportError, match="population 'a': a per-cell DCSource"):
        describe(net, "nest")
    a.current_sources.clear()
    plan = {q.label: q for q in describe(net, "nest").projections}
    assert plan["uniform"].connector == "AllToAllConnector" and plan["uniform"].weight == 0.2
    assert plan["varying"].connector == "AllToAllConnector" and plan["varying"].weight.shape == (3, 4)
    np.testing.assert_array_equal(plan["varying"].weight.ravel(), np.arange(12) / 10.0)
    spinn = {q.label: q for q in describe(net, "spiNNaker").projections}
    assert spinn["varying"].connector == "FromListConnector" and spinn["varying"].conn_list.shape == (12, 4)
