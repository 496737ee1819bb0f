"""Property tests of the fixed-point entry points (``engramsim.hardware.emulate``, ``stdp_fixed``,
``stdp_comparison``): bad arguments refused with a ValidationError naming them, before any run."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import PROPERTY, assert_refused, bad_bool, bad_choice, bad_float, bad_int

from engramsim.hardware import stdp_comparison, stdp_fixed
from engramsim.hardware.arithmetic_report import compare_arithmetics
from engramsim.hardware.emulate import run_fixed_point, simulate
from engramsim.sim.spiking import IF_curr_exp, Network, OneToOne, Population, Projection, SpikeSourceArray, \
    StaticSynapse


def small_net():
    net = Network(dt=1.0, backend="numpy")
    src = Population(2, SpikeSourceArray(spike_times=[[1.0], [2.0]]), label="src")
    net.add(Projection(src, Population(2, IF_curr_exp(), label="cells"), OneToOne(), StaticSynapse(weight=1.0)))
    return net


RULE = {"tau_plus": 3.0, "tau_minus": 3.0, "amp_plus": 6.0, "amp_minus": 6.0, "w_min": 0.0, "w_max": 6.0}
NOT_A_DICT = st.one_of(st.text(max_size=3), st.integers(), st.lists(st.integers(), max_size=2))

CASES = [
    ("run_fixed_point", "duration", bad_float(0.0).filter(lambda v: not isinstance(v, list)),
     lambda v: run_fixed_point(small_net(), v)),
    ("run_fixed_point", "backend", bad_choice(("numpy", "numba")), lambda v: run_fixed_point(small_net(), 5.0, v)),
    ("run_fixed_point", "return_weights", bad_bool(),
     lambda v: run_fixed_point(small_net(), 5.0, return_weights=v)),
    ("run_fixed_point", "shifts", NOT_A_DICT, lambda v: run_fixed_point(small_net(), 5.0, shifts=v)),
    ("run_fixed_point", "shifts['cells']['excitatory']", bad_int(0, 15),
     lambda v: run_fixed_point(small_net(), 5.0, shifts={"cells": {"excitatory": v}})),
    ("run_fixed_point", "history_slots", bad_int(2), lambda v: run_fixed_point(small_net(), 5.0, history_slots=v)),
    ("run_fixed_point", "provenance", st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=3)),
     lambda v: run_fixed_point(small_net(), 5.0, provenance=v)),
    ("simulate", "arithmetic", bad_choice(("float", "spinnaker")), lambda v: simulate(small_net(), 5.0, v)),
    ("simulate", "backend", bad_choice(("numpy", "numba")), lambda v: simulate(small_net(), 5.0, backend=v)),
    ("simulate", "duration", bad_float(0.0).filter(lambda v: not isinstance(v, list)),
     lambda v: simulate(small_net(), v)),
    ("pair_rule_constants", "tau_plus", bad_float(0.0, strict_minimum=True).filter(
        lambda v: not isinstance(v, list)),
     lambda v: stdp_fixed.pair_rule_constants(dict(RULE, tau_plus=v), 4, 1, 1.0)),
    ("pair_rule_constants", "w_max", bad_float(-65536.0, 65535.0).filter(lambda v: not isinstance(v, list)),
     lambda v: stdp_fixed.pair_rule_constants(dict(RULE, w_min=-65536.0, w_max=v), 4, 1, 1.0)),
    ("pair_rule_constants", "shift", bad_int(0, 15), lambda v: stdp_fixed.pair_rule_constants(RULE, v, 1, 1.0)),
    ("pair_rule_constants", "delay", bad_int(1), lambda v: stdp_fixed.pair_rule_constants(RULE, 4, v, 1.0)),
    ("teaching_network", "scenario", bad_choice(tuple(stdp_comparison.SCENARIOS)),
     lambda v: stdp_comparison.teaching_network(v)),
    ("teaching_network", "n", bad_int(1), lambda v: stdp_comparison.teaching_network("small-amplitudes", n=v)),
    ("teaching_network", "duration", bad_float(20.0).filter(lambda v: not isinstance(v, list)),
     lambda v: stdp_comparison.teaching_network("small-amplitudes", duration=v)),
    ("teaching_network", "seed", bad_int(0), lambda v: stdp_comparison.teaching_network("small-amplitudes", seed=v)),
    ("compare_arithmetics", "backend", bad_choice(("numpy", "numba")),
     lambda v: compare_arithmetics(small_net(), 5.0, backend=v)),
    ("compare_arithmetics", "duration", bad_float(0.0).filter(lambda v: not isinstance(v, list)),
     lambda v: compare_arithmetics(small_net(), v)),
    ("ca3_memory", "n_cues", bad_int(1), lambda v: stdp_comparison.ca3_memory(v, 5, 5)),
    ("ca3_memory", "n_operations", bad_int(1), lambda v: stdp_comparison.ca3_memory(5, 5, v)),
    ("ca3_memory", "density", bad_float(0.0, 1.0, strict_minimum=True).filter(lambda v: not isinstance(v, list)),
     lambda v: stdp_comparison.ca3_memory(5, 5, 5, density=v)),
]


@pytest.mark.parametrize("entry, name, bad, call", [pytest.param(*c, id=f"{c[0]}-{c[1]}") for c in CASES])
@PROPERTY.__class__(PROPERTY, max_examples=10)
@given(data=st.data())
def test_bad_hardware_argument_is_refused_naming_it(entry, name, bad, call, data):
    assert_refused(lambda: call(data.draw(bad, label=name)), name)
