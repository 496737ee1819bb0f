"""The CA3 content-addressable memory against the authors' published spike tables and its documented behaviour.

The golden tables (``tests/data/ca3``) list, per millisecond, the active
cells of every population in the authors' three SpiNNaker runs (functional
test, stress test, state-map application); the functional test's OUT rows
are the CA3 brief's table.  Every population at every millisecond must match.
"""

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from engramsim.errors import ValidationError
from engramsim.networks.ca3 import CONNECTIONS, POPULATIONS, CA3Memory, build_circuit, population_sizes
from engramsim.networks.ca3.circuit import FAST, OUTPUT, SLOW
from engramsim.sim.spiking import IF_curr_exp, Network, OneToOne, Population, Projection, SpikeSourceArray, \
    StaticSynapse

DATA = Path(__file__).resolve().parents[1] / "data" / "ca3"
INPUTS = json.loads((DATA / "inputs.json").read_text())
INTERNAL = [p for p in POPULATIONS if p != "IN"]


def golden(name: str) -> dict[str, set[tuple[float, int]]]:
    """The published spikes of experiment ``name`` as ``{population: {(t_ms, neuron)}}`` (OUT neurons 0..c+m-1)."""
    c = INPUTS[name]["n_cues"]
    out: dict[str, set] = defaultdict(set)
    with open(DATA / f"{name}_spikes.csv") as f:
        for row in csv.DictReader(f):
            pop, t = row["population"], float(row["time_ms"])
            cells = [int(x) for x in row["neurons"].split()]
            if pop in ("IN_cont", "OUT_cont"):
                cells = [c + x for x in cells]
            out[pop.split("_")[0]].update((t, n) for n in cells)
    return out


def run_published(name: str, backend: str):
    d = INPUTS[name]
    mem = CA3Memory(d["n_cues"], d["n_content"], backend=backend)
    return mem, mem.run(d["in_spike_times"], d["duration_ms"])


def assert_matches_golden(result, name):
    gold = golden(name)
    assert result.spike_set("IN") == gold["IN"]  # the input itself, as the authors' table lists it
    for pop in INTERNAL:
        got = result.spike_set(pop)
        assert got == gold[pop], (f"{name}: {pop} differs; extra {sorted(got - gold[pop])[:5]}, "
                                  f"missing {sorted(gold[pop] - got)[:5]}")


def test_functional_test_every_population_every_ms_both_backends():
    for backend in ("numpy", "numba"):
        _, result = run_published("functional", backend)
        assert_matches_golden(result, "functional")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["stress", "state_map"])
def test_stress_and_state_map_every_population_every_ms(name):
    _, result = run_published(name, "numba")
    assert_matches_golden(result, name)


def test_functional_out_table_of_the_brief():
    # the brief's table, written out: (t, OUT cue cells, OUT content bits)
    table = [(5, [0], [0, 1, 8, 9]), (7, [0], [0, 1, 8, 9]), (15, [4], [1, 5, 6]), (17, [4], [1, 5, 6]),
             (25, [3], [4, 5, 6]), (27, [3], [4, 5, 6]), (35, [0], []), (36, [], [0, 1, 8, 9]), (45, [], [6]),
             (46, [3, 4], []), (55, [], [0, 4]), (56, [0, 3], []), (65, [3], [1, 3, 4, 8]), (66, [], [5, 6]),
             (67, [3], [1, 3, 4, 8]), (75, [3], []), (76, [], [1, 3, 4, 8]), (85, [], [6]), (86, [4], [])]
    expected = {(float(t), i) for t, cues, bits in table for i in cues + [5 + b for b in bits]}
    _, result = run_published("functional", "numba")
    assert result.spike_set("OUT") == expected


def test_sequence_runner_decodes_the_functional_test():
    mem = CA3Memory(5, 10, backend="numba")
    bits = lambda *b: [1 if i in b else 0 for i in range(10)]  # noqa: E731
    ops = [mem.operation("learn", 0, bits(0, 1, 8, 9)), mem.operation("learn", 4, bits(1, 5, 6)),
           mem.operation("learn", 3, bits(4, 5, 6)), mem.operation("recall_by_cue", 0, start=30),
           mem.operation("recall_by_content", content=bits(6), start=40),
           mem.operation("recall_by_content", content=bits(0, 4), start=50),
           mem.operation("learn", 3, bits(1, 3, 4, 8), start=60), mem.operation("recall_by_cue", 3, start=70),
           mem.operation("recall_by_content", content=bits(6), start=80)]
    seq = mem.run_sequence(ops)
    assert [o.start for o in seq.outcomes] == [0, 10, 20, 30, 40, 50, 60, 70, 80]
    answers = [(sorted(o.cues), sorted(o.content), sorted(o.echo)) for o in seq.outcomes]
    assert answers == [([0], [0, 1, 8, 9], []), ([4], [1, 5, 6], []), ([3], [4, 5, 6], []), ([0], [0, 1, 8, 9], []),
                       ([3, 4], [6], []), ([0, 3], [0, 4], []), ([3], [1, 3, 4, 8], [5, 6]),
                       ([3], [1, 3, 4, 8], []), ([4], [6], [])]
    assert all(o.exact and o.raster_exact for o in seq.outcomes)
    # the same input as the authors' script: the raw run gives the same spikes
    _, raw = run_published("functional", "numba")
    for pop in POPULATIONS:
        assert seq.result.spike_set(pop) == raw.spike_set(pop)


#: the brief's connection table, written out independently of the package: (pre, post, receptor) -> (number of
#: synapses as a function of c and m, weight as a function of m, delay)
BRIEF_TABLE = {
    ("IN", "CueCue", "excitatory"): (lambda c, m: c, lambda m: 6.0, 1.0),
    ("IN", "ContCue", "excitatory"): (lambda c, m: m, lambda m: 6.0, 1.0),
    ("CueCue", "ContCue", "excitatory"): (lambda c, m: c * m, lambda m: 0.0, 1.0),
    ("ContCont", "CueCont", "excitatory"): (lambda c, m: m * c, lambda m: 0.0, 1.0),
    ("CueCue", "CueCont", "excitatory"): (lambda c, m: c, lambda m: 6.0, 2.0),
    ("CueCue", "CueCont", "inhibitory"): (lambda c, m: c * (c - 1), lambda m: 6.0 * m, 3.0),
    ("CueCont", "CueCont", "inhibitory"): (lambda c, m: c * (c - 1), lambda m: 6.0 * m, 2.0),
    ("ContCue", "ContCond", "excitatory"): (lambda c, m: m, lambda m: 9.0, 1.0),
    ("CueCue", "ContCond", "inhibitory"): (lambda c, m: c * m, lambda m: 6.0, 2.0),
    ("ContCue", "ContCondInt", "excitatory"): (lambda c, m: m, lambda m: 6.0, 1.0),
    ("ContCondInt", "ContCond", "excitatory"): (lambda c, m: m, lambda m: 2.0, 1.0),
    ("ContCond", "ContCont", "excitatory"): (lambda c, m: m, lambda m: 6.0, 1.0),
    ("CueCue", "MergeCue", "excitatory"): (lambda c, m: c, lambda m: 6.0, 3.0),
    ("CueCont", "MergeCue", "excitatory"): (lambda c, m: c, lambda m: 6.0, 1.0),
    ("ContCue", "MergeCont", "excitatory"): (lambda c, m: m, lambda m: 6.0, 3.0),
    ("ContCont", "MergeCont", "excitatory"): (lambda c, m: m, lambda m: 6.0, 1.0),
    ("MergeCue", "OUT", "excitatory"): (lambda c, m: c, lambda m: 6.0, 1.0),
    ("MergeCont", "OUT", "excitatory"): (lambda c, m: m, lambda m: 6.0, 1.0),
}


def test_circuit_structure_follows_the_connection_table():
    c, m = 4, 7
    circuit = build_circuit(c, m, [[] for _ in range(c + m)], backend="numpy")
    circuit.network.build()
    sizes = population_sizes(c, m)
    assert sum(sizes[p] for p in INTERNAL if p != "OUT") == 3 * c + 4 * m + 1
    assert {p.label: p.size for p in circuit.network.populations} == sizes
    for p in INTERNAL:
        want = {"CueCont": FAST, "ContCond": FAST, "ContCondInt": FAST, "OUT": OUTPUT}.get(p, SLOW)
        params = circuit.populations[p].celltype.parameters
        assert {k: params[k] for k in want} == want
    assert set(circuit.projections) == set(BRIEF_TABLE) and len(CONNECTIONS) == len(BRIEF_TABLE)
    for key, (count, weight, delay) in BRIEF_TABLE.items():
        proj = circuit.projections[key]
        assert proj.n_connections == count(c, m), key
        assert np.all(proj.delays == delay), key
        assert np.all(proj.weights == weight(m)), key
        assert proj.plastic == (key[:2] in {("CueCue", "ContCue"), ("ContCont", "CueCont")})
    assert np.all(circuit.projections[("CueCue", "CueCont", "inhibitory")].pre_index
                  != circuit.projections[("CueCue", "CueCont", "inhibitory")].post_index)
    inp = circuit.projections[("IN", "ContCue", "excitatory")]
    assert np.array_equal(inp.pre_index, c + inp.post_index)
    out = circuit.projections[("MergeCont", "OUT", "excitatory")]
    assert np.array_equal(out.post_index, c + out.pre_index)
    assert {p.label for p in circuit.network.populations} == set(POPULATIONS)


@pytest.mark.parametrize("cls,weight,expected", [(SLOW, 6.0, -54.5), (FAST, 6.0, -54.6), (FAST, 2.0, -58.2)])
def test_calibration_of_the_discrete_update(cls, weight, expected):
    # brief: the membrane update on the arrival step sees the whole injected amount w * (0.3/1)(1 - e^{-1/0.3})
    net = Network(dt=1.0, backend="numpy")
    src = Population(1, SpikeSourceArray(spike_times=[[0.0]]))
    cell = Population(1, IF_curr_exp(**cls))
    net.add(Projection(src, cell, OneToOne(), StaticSynapse(weight=weight, delay=1.0)))
    mon = cell.record("v")
    net.run(3.0)
    v = float(mon.to_xarray()["v"].values[1, 0])
    i = weight * 0.3 * (1 - math.exp(-1 / 0.3))
    alpha = -60.0 + i * cls["tau_m"] / cls["cm"]
    hand = alpha - math.exp(-1 / cls["tau_m"]) * (alpha + 60.0)
    assert round(hand, 1) == expected
    if hand < -57.0:
        assert v == pytest.approx(hand, abs=1e-12)
    else:  # it fired and was reset
        assert v == -60.0


def test_to_xarray_has_one_boolean_raster_per_population():
    _, result = run_published("functional", "numpy")
    ds = result.to_xarray()
    assert sorted(ds.data_vars) == sorted(f"spikes_{p}" for p in POPULATIONS)
    assert ds["spikes_OUT"].dims == ("time", "OUT_index") and ds["spikes_OUT"].dtype == bool
    assert ds.sizes["time"] == 90 and ds.sizes["OUT_index"] == 15 and ds.sizes["ContCondInt_index"] == 1
    t, n = np.nonzero(ds["spikes_OUT"].values)
    assert set(zip(ds["time"].values[t].tolist(), n.tolist())) == result.spike_set("OUT")


def test_verbs_relearning_overwrites_and_weights_are_not_binary():
    mem = CA3Memory(3, 5, backend="numba")
    mem.learn(1, [1, 1, 0, 0, 0])
    assert sorted(mem.recall_by_cue(1).content) == [0, 1]
    relearn = mem.learn([0, 1, 0], [0, 0, 1, 1, 0])
    assert sorted(relearn.echo) == [0, 1]  # the old content appears once, at +6
    assert sorted(mem.recall_by_cue(1).content) == [2, 3]
    assert sorted(mem.recall_by_content([1, 0, 0, 0, 0]).cues) == []
    assert sorted(mem.recall_by_content([0, 0, 0, 1, 1]).cues) == [1]
    assert mem.t == 10 + 7 + 10 + 7 + 7 + 7
    # weights are not binary: what matters is which side of the single-input firing threshold they lie on
    fast = 3.0 / (0.3 * (1 - math.exp(-1 / 0.3)) * (0.5 / 0.14) * (1 - math.exp(-1 / 0.5)))
    slow = 3.0 / (0.3 * (1 - math.exp(-1 / 0.3)) * (3.0 / 0.27) * (1 - math.exp(-1 / 3.0)))
    assert (round(fast, 2), round(slow, 2)) == (3.36, 3.29)
    w = mem.weights()["CueCue->ContCue"]
    assert np.all(w[1, [2, 3]] > slow) and np.all(w[1, [0, 1, 4]] < slow) and np.all(w[[0, 2]] == 0.0)
    back = mem.weights()["ContCont->CueCont"][:, 1]
    assert np.all(back[[2, 3]] > fast) and np.all(back[[0, 1, 4]] < fast)
    assert np.all((back[[0, 1]] > 0.0) & (back[[0, 1]] < fast))  # the forgotten bits: depressed, not erased


def test_save_and_load_continue_exactly(tmp_path):
    a = CA3Memory(3, 4, backend="numba")
    a.learn(0, [1, 0, 1, 0])
    a.learn(2, [0, 1, 1, 0])
    path = a.save(tmp_path / "cam.npz")
    b = CA3Memory.load(path, backend="numba")
    assert b.t == a.t and b.operations == a.operations and b.ideal.store == a.ideal.store
    for key, w in a.weights().items():
        assert np.array_equal(b.weights()[key], w, equal_nan=True)
    ra, rb = a.recall_by_content([0, 0, 1, 0]), b.recall_by_content([0, 0, 1, 0])
    assert sorted(ra.cues) == sorted(rb.cues) == [0, 2]
    for key, w in a.weights().items():
        assert np.array_equal(b.weights()[key], w, equal_nan=True)
    # a file whose weights do not follow from its history is refused
    with np.load(path) as f:
        data = dict(f)
    data["w_cue_content"] = data["w_cue_content"] + 1.0
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(ValidationError, match="other CueCue->ContCue weights"):
        CA3Memory.load(tmp_path / "bad.npz", backend="numba")


def test_bad_input_is_a_clear_error():
    mem = CA3Memory(3, 4, backend="numpy")
    with pytest.raises(ValidationError, match=r"cue must be in \[0, 3\)"):
        mem.learn(3, [1, 0, 0, 0])
    with pytest.raises(ValidationError, match="one-hot"):
        mem.learn([1, 1, 0], [1, 0, 0, 0])
    with pytest.raises(ValidationError, match="binary"):
        mem.learn(0, [1, 2, 0, 0])
    with pytest.raises(ValidationError, match="length n_content = 4"):
        mem.recall_by_content([1, 0, 0])
    with pytest.raises(ValidationError, match="at least one active bit"):
        mem.recall_by_content([0, 0, 0, 0])
    with pytest.raises(ValidationError, match="overlap"):
        mem.run_sequence([mem.operation("learn", 0, [1, 0, 0, 0]), mem.operation("recall_by_cue", 0, start=2)])
    with pytest.raises(ValidationError, match="in_spike_times must be a list of n_cues"):
        mem.run([[0.0]] * 6, 10)
    with pytest.raises(ValidationError, match=r"in_spike_times\[2\]"):
        mem.run([[], [], [12.0], [], [], [], []], 10)
    with pytest.raises(ValidationError, match="n_cues"):
        CA3Memory(0, 4)
    assert mem.t == 0.0  # nothing ran
