"""Every memory model and a spiking Network save to a file and load back bit for bit; bad files are refused."""

import pickle

import numpy as np
import pytest

from engramsim.errors import ValidationError
from engramsim.networks import (
    DendriticNeuron,
    DenseAssociativeMemory,
    Hopfield,
    ModernHopfield,
    MultitaskHopfield,
    OuterProductMemory,
    Sparsey,
    SparseyLevel,
    SparseyMac,
)
from engramsim.networks.dendrites import random_sdrs
from engramsim.networks.izhikevich import izhikevich_2003
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim import persist
from engramsim.sim.spiking import (
    AllToAllConnector,
    IF_curr_exp,
    Network,
    Population,
    Projection,
    SpikeSourcePoisson,
)
from engramsim.learning_rules.stdp import AdditiveWeightDependence, SpikePairRule, STDPMechanism

N = 64
PATTERNS = random_patterns(4, N, seed=0)
CUES = flip_bits(PATTERNS, 0.1, seed=1)


def _binary_models():
    return [Hopfield(N, rule="storkey", backend="numba", seed=3), MultitaskHopfield(N, seed=3),
            DenseAssociativeMemory(N, degree=3, backend="numba", seed=3), ModernHopfield(N, beta=2.0, seed=3)]


@pytest.mark.parametrize("model", _binary_models(), ids=lambda m: type(m).__name__)
def test_memories_load_back_bit_for_bit(model, tmp_path):
    model.store(PATTERNS)
    path = model.save(tmp_path / "mem.engramsim")
    loaded = type(model).load(path)
    assert loaded.backend.name == model.backend.name
    a, b = model.recall(CUES), loaded.recall(CUES)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(model.energy(a.states), loaded.energy(b.states))


def test_sparsey_and_other_models_load_back(tmp_path):
    mac = SparseyMac(N, n_modules=4, cells_per_module=4, backend="numba", seed=2)
    mac.store((PATTERNS > 0).astype(np.int8))
    again = SparseyMac.load(mac.save(tmp_path / "mac"))
    np.testing.assert_array_equal(mac.recall((CUES > 0).astype(np.int8)).states,
                                  again.recall((CUES > 0).astype(np.int8)).states)
    net = Sparsey((6, 6), [SparseyLevel((2, 2), (3, 3), 5, 6), SparseyLevel((1, 1), None, 7, 6)], seed=0)
    images = (np.random.default_rng(0).random((3, 36)) > 0.6).astype(np.uint8)
    net.store(images)
    again = Sparsey.load(net.save(tmp_path / "sparsey"))
    a, b = net.recall(images), again.recall(images)
    np.testing.assert_array_equal(a.winners, b.winners)
    np.testing.assert_array_equal(a.familiarity, b.familiarity)
    neuron = DendriticNeuron(1000, 10, 6, backend="numba", seed=0).store(random_sdrs(5, 1000, 20, seed=0))
    cues = random_sdrs(8, 1000, 20, seed=1)
    np.testing.assert_array_equal(neuron.respond(cues), DendriticNeuron.load(neuron.save(tmp_path / "d")).respond(cues))
    memory = OuterProductMemory(50, 5, 16, seed=0).store(np.ones(50))
    np.testing.assert_array_equal(memory.recall(), OuterProductMemory.load(memory.save(tmp_path / "o")).recall())


def test_a_saved_network_continues_exactly_like_an_uninterrupted_one(tmp_path):
    whole = izhikevich_2003(200, 0.5, seed=4, backend="numba")
    whole.run(120.0)
    first = izhikevich_2003(200, 0.5, seed=4, backend="numba")
    first.run(60.0)
    path = first.network.save(tmp_path / "net")
    net = Network.load(path)
    net.run(60.0)
    exc = next(m for m in net.monitors if m.kind == "spikes" and m.population.label == "exc")
    t_whole, i_whole = whole.spikes_exc.times, whole.spikes_exc.neurons
    np.testing.assert_array_equal(exc.times, t_whole)
    np.testing.assert_array_equal(exc.neurons, i_whole)


def _plastic_net():
    net = Network(dt=1.0, seed=7, backend="numba")
    src = Population(20, SpikeSourcePoisson(rate=40.0), label="src")
    cells = Population(10, IF_curr_exp(tau_m=10.0, cm=0.25, v_thresh=-55.0), label="cells")
    stdp = STDPMechanism(timing_dependence=SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.05, A_minus=0.05),
                         weight_dependence=AdditiveWeightDependence(w_min=0.0, w_max=2.0), weight=1.0, delay=1.0)
    proj = Projection(src, cells, AllToAllConnector(), stdp)
    net.add(proj)
    spikes = cells.record("spikes")
    return net, proj, spikes


def test_plastic_weights_and_poisson_streams_continue_after_loading(tmp_path):
    whole, proj_w, spikes_w = _plastic_net()
    whole.run(200.0)
    part, _, _ = _plastic_net()
    part.run(100.0)
    net = Network.load(part.save(tmp_path / "plastic"))
    net.run(100.0)
    proj = net.projections[0]
    np.testing.assert_array_equal(proj.get("weight", format="list"), proj_w.get("weight", format="list"))
    assert not np.all(np.asarray(proj_w.get("weight", format="array")) == 1.0)  # learning happened
    mon = next(m for m in net.monitors if m.kind == "spikes")
    np.testing.assert_array_equal(mon.times, spikes_w.times)
    assert spikes_w.times.size > 10


def test_files_from_another_version_class_or_program_are_refused(tmp_path, monkeypatch):
    mem = Hopfield(N, seed=0).store(PATTERNS)
    path = mem.save(tmp_path / "m")
    with pytest.raises(ValidationError, match="holds a engramsim.networks.hopfield.Hopfield, not a"):
        DenseAssociativeMemory.load(path)
    monkeypatch.setattr(persist, "_version", lambda: "99.1.0")
    with pytest.raises(ValidationError, match="not compatible with this engramsim 99.1.0"):
        Hopfield.load(path)
    monkeypatch.undo()
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValidationError, match="not a file saved by engramsim"):
        Hopfield.load(other)
    evil = tmp_path / "evil"
    evil.write_bytes(persist._MAGIC + pickle.dumps({"format": persist.FORMAT, "engramsim": persist._version(),
                                                    "class": "x"}) + pickle.dumps(eval))
    with pytest.raises(ValidationError, match="refusing to load builtins.eval"):
        persist.load_object(evil)
    with pytest.raises(ValidationError, match="directory"):
        mem.save(tmp_path)


def test_a_trained_reservoir_loads_back_and_continues_alike(tmp_path):
    from engramsim.networks.reservoir import Reservoir
    from engramsim.networks.reservoir_task import Block, make_trials

    res = Reservoir(60, seed=3, backend="numba", trial_length=300.0)
    res.train(make_trials([Block((0.7, 0.3), (100.0, 200.0), 5)], seed=1))
    again = Reservoir.load(res.save(tmp_path / "reservoir"))
    more = make_trials([Block((0.7, 0.3), (100.0, 200.0), 3)], seed=2)
    res.train(more)
    again.train(more)
    np.testing.assert_array_equal(res.predict().output, again.predict().output)
    np.testing.assert_array_equal(res.record.error, again.record.error)
