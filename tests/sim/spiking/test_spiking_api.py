"""Validation 4 (bad input gives clear errors), connectors, and monitors (xarray, Neo)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engramsim.sim.spiking import (
    MAX_DELAY_STEPS,
    AllToAll,
    ArrayCurrentSource,
    Dense,
    FixedNumberPre,
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
    StateMonitor,
    StaticSynapse,
)

# --- bad input -------------------------------------------------------------------------------------

def test_unknown_parameter_names_the_known_ones():
    with pytest.raises(ValueError, match=r"IF_curr_exp has no parameter\(s\) \['tau_mem'\].*tau_m"):
        IF_curr_exp(tau_mem=10.0)
    with pytest.raises(ValueError, match="Izhikevich has no parameter"):
        Izhikevich(e=1.0)
    with pytest.raises(ValueError, match="scheme must be one of"):
        Izhikevich(scheme="rk4")
    with pytest.raises(ValueError, match="no state variable 'w'"):
        Population(2, IF_curr_exp()).initialize(w=1.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, float(MAX_DELAY_STEPS + 1), 1.5])
def test_delay_out_of_range_or_off_grid(bad):
    net = Network(dt=1.0, backend="numpy")
    a, b = Population(2, IF_curr_exp()), Population(2, IF_curr_exp())
    with pytest.raises(ValueError, match="delay"):
        net.add(Projection(a, b, AllToAll(), StaticSynapse(weight=1.0, delay=bad)))


def test_delay_from_list_out_of_range_fails_at_build():
    net = Network(dt=1.0, backend="numpy")
    a, b = Population(2, IF_curr_exp()), Population(2, IF_curr_exp())
    net.add(Projection(a, b, FromList([[0, 1, 1.0, 300.0]])))
    with pytest.raises(ValueError, match=r"delay must be between 1.0 and 256.0 ms .* got 300.0 ms"):
        net.run(1.0)


@pytest.mark.parametrize("size", [0, -3])
def test_negative_or_zero_size(size):
    with pytest.raises(ValueError, match=f"size must be >= 1, got {size}"):
        Population(size, IF_curr_exp())
    with pytest.raises(TypeError, match="size must be an integer"):
        Population(2.5, IF_curr_exp())


def test_mismatched_shapes():
    with pytest.raises(ValueError, match=r"tau_m must be a scalar or have shape \(3,\)"):
        Population(3, IF_curr_exp(tau_m=np.ones(4)))
    a, b = Population(3, IF_curr_exp()), Population(4, IF_curr_exp())
    net = Network(dt=1.0, backend="numpy")
    net.add(Projection(a, b, OneToOne()))
    with pytest.raises(ValueError, match="OneToOne needs populations of equal size, got pre 3 and post 4"):
        net.run(1.0)
    net = Network(dt=1.0, backend="numpy")
    net.add(Projection(Population(3, IF_curr_exp()), Population(4, IF_curr_exp()), Dense(np.ones((4, 3)))))
    with pytest.raises(ValueError, match=r"Dense matrix must have shape \(3, 4\)"):
        net.run(1.0)
    net = Network(dt=1.0, backend="numpy")
    net.add(Projection(Population(3, IF_curr_exp()), Population(4, IF_curr_exp()), AllToAll(),
                       StaticSynapse(weight=np.ones(5))))
    with pytest.raises(ValueError, match=r"weight must be a scalar or hold one value per connection \(12\)"):
        net.run(1.0)
    with pytest.raises(ValueError, match="must hold one sequence per neuron"):
        net2 = Network(backend="numpy")
        net2.add(Population(3, SpikeSourceArray(spike_times=[[1.0], [2.0]])))
        net2.run(1.0)
    pop = Population(2, IF_curr_exp())
    pop.inject(ArrayCurrentSource(np.zeros((5, 3))))
    with pytest.raises(ValueError, match="must have 2 columns"):
        Network(pop, backend="numpy").run(1.0)


@given(p=st.one_of(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
                   st.floats(min_value=1.0 + 1e-9, allow_nan=False, allow_infinity=False)))
@settings(max_examples=25, deadline=None)
def test_connector_probability_outside_unit_interval(p):
    with pytest.raises(ValueError, match="p_connect must be"):
        FixedProbability(p)


def test_other_bad_inputs():
    with pytest.raises(TypeError, match="celltype must be a CellType"):
        Population(3, "IF_curr_exp")
    with pytest.raises(ValueError, match="receptor_type must be one of"):
        Projection(Population(1, IF_curr_exp()), Population(1, IF_curr_exp()), AllToAll(), receptor_type="gaba")
    with pytest.raises(TypeError, match="post must not be a spike source"):
        Projection(Population(1, IF_curr_exp()), Population(1, SpikeSourcePoisson()), AllToAll())
    with pytest.raises(ValueError, match="IF_curr_exp.cm must be > 0"):
        IF_curr_exp(cm=0.0)
    with pytest.raises(ValueError, match="p_connect must be"):
        FixedProbability(float("nan"))
    with pytest.raises(ValueError, match="conn_list must have 2, 3 or 4 columns"):
        FromList(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="FixedNumberPre n must be <= 3"):
        Network(Projection(Population(3, IF_curr_exp()), Population(3, IF_curr_exp()), FixedNumberPre(4)),
                backend="numpy").run(1.0)
    with pytest.raises(ValueError, match="duration must be a whole number of time steps"):
        Network(Population(1, IF_curr_exp()), dt=1.0, backend="numpy").run(1.5)
    with pytest.raises(ValueError, match="cannot record 'u'"):
        StateMonitor(Population(1, IF_curr_exp()), "u")
    with pytest.raises(ValueError, match="spike_times must be >= 0"):
        Network(Population(1, SpikeSourceArray(spike_times=[-1.0])), backend="numpy").run(1.0)
    with pytest.raises(ValueError, match="backend must be one of"):
        Network(backend="gpu")


def test_callers_arrays_are_not_modified():
    tau = np.array([10.0, 20.0])
    mat = np.ones((2, 2))
    times = [np.array([1.0, 2.0]), np.array([3.0])]
    pop = Population(2, IF_curr_exp(tau_m=tau), label="c")
    src = Population(2, SpikeSourceArray(spike_times=times), label="s")
    net = Network(Projection(src, pop, Dense(mat)), backend="numpy")
    tau[0] = mat[0, 0] = times[0][0] = 99.0
    net.run(5.0)
    assert pop.celltype.parameters["tau_m"][0] == 10.0
    assert np.isfinite(net.engine.proj[1]).all() and net.engine.proj[1][0] == 1.0


# --- connectors ------------------------------------------------------------------------------------

def build(connector, n_pre=50, n_post=40, same=False, seed=0):
    return connector.connect(n_pre, n_post, same, np.random.default_rng(seed))


def test_connector_shapes_and_seeding():
    pre, post, w, d = build(AllToAll())
    assert pre.size == 2000 and w is None
    pre, post, *_ = build(AllToAll(allow_self_connections=False), 30, 30, same=True)
    assert pre.size == 870 and not np.any(pre == post)
    pre, post, *_ = build(FixedProbability(0.25), 400, 300)
    assert abs(pre.size / 120000 - 0.25) < 0.01
    again = build(FixedProbability(0.25), 400, 300)
    np.testing.assert_array_equal(pre, again[0])
    np.testing.assert_array_equal(post, again[1])
    own = [build(FixedProbability(0.25, seed=7), 40, 30, seed=s)[1] for s in (1, 2)]
    np.testing.assert_array_equal(own[0], own[1])  # its own seed wins over the network's stream
    pre, post, *_ = build(FixedNumberPre(6, allow_self_connections=False), 20, 20, same=True)
    assert np.all(np.bincount(post, minlength=20) == 6) and not np.any(pre == post)
    assert np.all(np.diff(pre * 20 + post) >= 0)
    pre, post, w, d = build(FromList([[3, 1, 0.5, 2.0], [0, 2, 1.5, 1.0]]), 5, 5)
    assert pre.tolist() == [0, 3] and w.tolist() == [1.5, 0.5] and d.tolist() == [1.0, 2.0]


def test_storage_is_chosen_by_density():
    a, b = Population(100, IF_curr_exp(), label="a"), Population(100, IF_curr_exp(), label="b")
    c = Population(100, IF_curr_exp(), label="c")
    net = Network(Projection(a, b, AllToAll(), StaticSynapse(weight=0.1)),
                  Projection(a, c, FixedProbability(0.1), StaticSynapse(weight=0.1)), seed=0, backend="numpy")
    net.run(1.0)
    assert net.engine.proj[0][:, 0].tolist() == [0, 1]
    w = net.projections[1].get_weights()
    assert np.isnan(w).mean() > 0.8 and np.nanmax(w) == 0.1


# --- monitors ----------------------------------------------------------------------------------------

def test_monitors_to_xarray_and_neo():
    src = Population(3, SpikeSourceArray(spike_times=[[1.0, 4.0], [2.0], []]), label="src")
    pop = Population(3, IF_curr_exp(v_thresh=-64.9, tau_refrac=0.0, tau_syn_E=0.1), label="cells")
    net = Network(Projection(src, pop, OneToOne(), StaticSynapse(weight=2.0, delay=2.0)), backend="numpy")
    sp_src = src.record("spikes")
    sp = pop.record("spikes")
    state = pop.record("v", indices=[0, 2])
    net.run(10.0)
    ds = sp_src.to_xarray()
    assert ds["time"].values.tolist() == [1.0, 2.0, 4.0] and ds["neuron"].values.tolist() == [0, 1, 0]
    assert ds["time"].attrs["units"] == "ms"
    assert sp.times.tolist() == [3.0, 4.0, 6.0] and sp.neurons.tolist() == [0, 1, 0]
    raster = sp.raster()
    assert raster.dims == ("time", "neuron") and raster.shape == (10, 3) and int(raster.sum()) == 3
    assert bool(raster.sel(time=3.0, neuron=0))
    vs = state.to_xarray()
    assert vs["v"].dims == ("time", "neuron") and vs["v"].attrs["units"] == "mV"
    assert vs["neuron"].values.tolist() == [0, 2] and np.all(vs["v"].values[:, 1] == -65.0)
    neo = pytest.importorskip("neo")
    block = sp.to_neo()
    assert isinstance(block, neo.Block)
    trains = block.segments[0].spiketrains
    assert len(trains) == 3 and trains[0].magnitude.tolist() == [3.0, 6.0]
    assert str(trains[0].units.dimensionality) == "ms" and float(trains[0].t_stop) == 10.0
