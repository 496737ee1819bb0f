"""Property tests of the spiking entry points (``engramsim.sim.spiking`` and the Izhikevich 2003
network): bad arguments refused with a ValidationError naming them, fast; no hang; no NaN membrane.

"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import (
    PROPERTY,
    assert_finite,
    assert_refused,
    bad_array,
    bad_bool,
    bad_choice,
    bad_float,
    bad_int,
    bad_seed,
)

import engramsim.sim.spiking as sim

BACKENDS = ("numpy", "numba", "cupy", "auto")


def pop(size=3, celltype=None, **kw):
    return sim.Population(size, celltype or sim.IF_curr_exp(), **kw)


def project(**kw):
    args = {"pre": pop(), "post": pop(), "connector": sim.AllToAll(), **kw}
    return sim.Projection(**args)


def net(**kw):
    return sim.Network(**{"dt": 1.0, "backend": "numpy", **kw})


def no_none(strategy):
    return strategy.filter(lambda v: v is not None)


NUMBERS_ONLY = bad_float().filter(lambda v: not isinstance(v, list))

CASES = [
    ("Network", "dt", bad_float(0.0, strict_minimum=True), lambda v: net(dt=v)),
    ("Network", "seed", bad_seed(), lambda v: net(seed=v)),
    ("Network", "backend", bad_choice(BACKENDS), lambda v: net(backend=v)),
    ("Network.run", "duration", bad_float(0.0), lambda v: net().add(pop()).run(v)),
    ("Population", "size", bad_int(1), lambda v: pop(size=v)),
    ("Population", "label", st.one_of(st.integers(), st.lists(st.text(max_size=2), min_size=1)),
     lambda v: pop(label=v)),
    ("IF_curr_exp", "tau_m", NUMBERS_ONLY, lambda v: sim.IF_curr_exp(tau_m=v)),
    ("IF_curr_exp", "cm", NUMBERS_ONLY, lambda v: sim.IF_curr_exp(cm=v)),
    ("IF_curr_exp", "v_thresh", NUMBERS_ONLY.filter(lambda v: not isinstance(v, (int, float)) or abs(v) > 1e300
                                                      or v != v), lambda v: sim.IF_curr_exp(v_thresh=v)),
    ("Izhikevich", "a", NUMBERS_ONLY.filter(lambda v: not isinstance(v, (int, float)) or v != v or abs(v) > 1e300),
     lambda v: sim.Izhikevich(a=v)),
    ("Izhikevich", "scheme", bad_choice(sim.Izhikevich.schemes).filter(lambda v: v is not None),
     lambda v: sim.Izhikevich(scheme=v)),
    ("SpikeSourceArray", "spike_times", st.one_of(st.just([1.0, np.nan]), st.just([-1.0]), st.just(["a"]),
                                                  st.just([np.inf])), lambda v: sim.SpikeSourceArray(spike_times=v)),
    ("SpikeSourcePoisson", "rate", NUMBERS_ONLY.filter(lambda v: not isinstance(v, (int, float)) or v != v
                                                       or abs(v) > 1e300 or v < 0),
     lambda v: sim.SpikeSourcePoisson(rate=v)),
    ("AllToAll", "allow_self_connections", bad_bool(), lambda v: sim.AllToAll(allow_self_connections=v)),
    ("FixedProbability", "p_connect", bad_float(0.0, 1.0), lambda v: sim.FixedProbability(v)),
    ("FixedProbability", "allow_self_connections", bad_bool(),
     lambda v: sim.FixedProbability(0.5, allow_self_connections=v)),
    ("FixedProbability", "seed", bad_seed(), lambda v: sim.FixedProbability(0.5, seed=v)),
    ("FixedNumberPre", "n", bad_int(0), lambda v: sim.FixedNumberPre(v)),
    ("FromList", "conn_list", st.one_of(st.just([(0, 1.5, 0.1, 1.0)]), st.just([(-1, 0, 0.1, 1.0)]),
                                        st.just([(0, 0, np.nan, 1.0)]), st.just("x")),
     lambda v: net().add(sim.Projection(pop(), pop(), sim.FromList(v))).run(1.0)),
    ("Dense", "matrix", bad_array((3, 3)), lambda v: net().add(sim.Projection(pop(), pop(), sim.Dense(v))).run(1.0)),
    ("StaticSynapse", "weight", no_none(bad_float().filter(lambda v: not isinstance(v, list))),
     lambda v: net().add(project(synapse_type=sim.StaticSynapse(weight=v))).run(1.0)),
    ("StaticSynapse", "delay", no_none(bad_float(0.0, strict_minimum=True).filter(lambda v: not isinstance(v, list))),
     lambda v: net().add(project(synapse_type=sim.StaticSynapse(delay=v))).run(1.0)),
    ("Projection", "receptor_type", bad_choice(("excitatory", "inhibitory")), lambda v: project(receptor_type=v)),
    ("Projection", "storage", bad_choice(("auto", "dense", "csr")), lambda v: project(storage=v)),
    ("DCSource", "amplitude", NUMBERS_ONLY, lambda v: sim.DCSource(amplitude=v)),
    ("NoisyCurrentSource", "stdev", NUMBERS_ONLY, lambda v: sim.NoisyCurrentSource(stdev=v)),
    ("StateMonitor", "indices", st.one_of(st.just([0.5]), st.just([3]), st.just([-1]), st.just([np.nan])),
     lambda v: sim.StateMonitor(pop(), "v", indices=v)),
    ("StateMonitor", "v", st.sampled_from(["nope", "spikes!"]), lambda v: sim.StateMonitor(pop(), v)),
    ("Population.record", "variables", st.sampled_from(["nope", ""]), lambda v: pop().record(v)),
]

def _params():
    for entry, name, bad, call in CASES:
        yield pytest.param(entry, name, bad, call, id=f"{entry}-{name}")


@pytest.mark.parametrize("entry, name, bad, call", list(_params()))
@PROPERTY.__class__(PROPERTY, max_examples=10)
@given(data=st.data())
def test_bad_spiking_argument_is_refused_naming_it(entry, name, bad, call, data):
    value = data.draw(bad, label=name)
    try:
        assert_refused(lambda: call(value), name)
    finally:
        sim.end()  # leave no default network behind


# ----------------------------------------------------------------------------- no hang, no NaN
def _bounded(code: str, seconds: float = 10.0) -> str:
    """Run ``code`` in a fresh interpreter; a hang is a failure after ``seconds``."""
    try:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                              timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no refusal within {seconds} s: the call ran on")
    return proc.stdout.strip()


REFUSED = """
from engramsim.errors import ValidationError
try:
    {call}
except ValidationError as exc:
    print("refused:", exc)
else:
    print("accepted")
"""


@pytest.mark.slow
def test_tiny_dt_is_refused_not_run():
    out = _bounded(REFUSED.format(call="from engramsim.networks.izhikevich import izhikevich_2003; "
                                       "izhikevich_2003(20, dt=1e-300).run(1.0)"))
    assert out.startswith("refused:") and "dt" in out


@pytest.mark.slow
def test_huge_duration_is_refused_not_run():
    out = _bounded(REFUSED.format(call="import engramsim.sim.spiking as sim; "
                                       "sim.Network(sim.Population(5, sim.IF_curr_exp()), dt=1.0, "
                                       "backend='numpy').run(1e12)"))
    assert out.startswith("refused:") and "duration" in out


def test_record_v_must_be_a_boolean():
    from engramsim.networks.izhikevich import izhikevich_2003

    assert_refused(lambda: izhikevich_2003(20, record_v="yes", backend="numpy"), "record_v")


def test_huge_weight_gives_no_nan_membrane():
    from engramsim.errors import EngramsimError

    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(3, sim.IF_curr_exp())
    proj = sim.Projection(src, post, sim.AllToAll(), sim.StaticSynapse(weight=1e308, delay=1.0))
    monitor = sim.StateMonitor(post, "v")
    network = sim.Network(src, post, proj, monitor, dt=1.0, backend="numpy")
    try:
        network.run(5.0)
    except EngramsimError:
        return  # an explicit error is an acceptable answer
    assert_finite(monitor.to_xarray()["v"].values)


@PROPERTY.__class__(PROPERTY, max_examples=10)
@given(weight=st.floats(-5.0, 5.0), rate=st.floats(0.0, 200.0), seed=st.integers(0, 99),
       backend=st.sampled_from(["numpy", "numba"]))
def test_valid_networks_never_give_nan(weight, rate, seed, backend):
    src = sim.Population(4, sim.SpikeSourcePoisson(rate=rate))
    post = sim.Population(3, sim.IF_curr_exp())
    proj = sim.Projection(src, post, sim.AllToAll(), sim.StaticSynapse(weight=abs(weight), delay=1.0))
    monitor = sim.StateMonitor(post, "v")
    network = sim.Network(src, post, proj, monitor, dt=1.0, seed=seed, backend=backend)
    network.run(20.0)
    assert_finite(monitor.to_xarray()["v"].values)
