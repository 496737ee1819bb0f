"""The CA3 content-addressable memory's circuit on the spiking core, and its raw run.

Casanueva-Morato et al.'s spike-based CAM (Neural Networks 178:106474, 2024),
built as on SpiNNaker: ``IF_curr_exp`` cells with sPyNNaker's exact
exponential update at ``dt = 1 ms``, an input layer ``IN`` of ``c + m``
spike sources (``c`` one-hot cue cells, then ``m`` content cells), eight
internal populations and an output ``OUT`` of ``c + m`` cells, and two
plastic all-to-all projections (``CueCue -> ContCue`` and ``ContCont ->
CueCont``) with the pair rule of the sPyNNaker 7 line
(:func:`engramsim.learning_rules.stdp.spynnaker7_synapse_history`).

:data:`CONNECTIONS` is the brief's connection table, row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from engramsim.learning_rules.stdp import AdditiveWeightDependence, SpikePairRule, STDPMechanism
from engramsim.sim.spiking import (
    AllToAll,
    FromList,
    IF_curr_exp,
    Network,
    OneToOne,
    Population,
    Projection,
    SpikeSourceArray,
    StaticSynapse,
)

if TYPE_CHECKING:  # xarray is imported when a result is converted
    import xarray as xr

#: time step (ms): the circuit's timing is defined in 1 ms steps
DT = 1.0
#: the populations in the order they are built (``IN`` first)
POPULATIONS = ("IN", "CueCue", "CueCont", "ContCue", "ContCont", "ContCond", "ContCondInt", "MergeCue",
               "MergeCont", "OUT")

_BASE = {"i_offset": 0.0, "tau_refrac": 1.0, "tau_syn_E": 0.3, "tau_syn_I": 0.3, "v_rest": -60.0,
         "v_reset": -60.0, "v_thresh": -57.0}
#: the three cell classes of the brief (PyNN parameter names and units)
SLOW = {**_BASE, "cm": 0.27, "tau_m": 3.0}
FAST = {**_BASE, "cm": 0.14, "tau_m": 0.5}
OUTPUT = {**SLOW, "v_thresh": -57.5}
CELL_CLASS = {"CueCue": SLOW, "ContCue": SLOW, "ContCont": SLOW, "MergeCue": SLOW, "MergeCont": SLOW,
              "CueCont": FAST, "ContCond": FAST, "ContCondInt": FAST, "OUT": OUTPUT}

#: the pair rule of both plastic projections: A = 6 nA, tau = 3 ms, w in [0, 6] nA
TIMING = SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, convention="spynnaker7")
WEIGHTS = AdditiveWeightDependence(w_min=0.0, w_max=6.0)
PLASTIC = "stdp"
#: weight marked "6m" scales with the number of content bits
SCALED = "6m"

#: (pre, post, pattern, weight nA, delay ms, receptor): the brief's connection table
CONNECTIONS: tuple[tuple[str, str, str, Any, float, str], ...] = (
    ("IN", "CueCue", "in_cue", 6.0, 1.0, "excitatory"),
    ("IN", "ContCue", "in_content", 6.0, 1.0, "excitatory"),
    ("CueCue", "ContCue", "all_to_all", PLASTIC, 1.0, "excitatory"),
    ("ContCont", "CueCont", "all_to_all", PLASTIC, 1.0, "excitatory"),
    ("CueCue", "CueCont", "one_to_one", 6.0, 2.0, "excitatory"),
    ("CueCue", "CueCont", "all_but_self", SCALED, 3.0, "inhibitory"),
    ("CueCont", "CueCont", "all_but_self", SCALED, 2.0, "inhibitory"),
    ("ContCue", "ContCond", "one_to_one", 9.0, 1.0, "excitatory"),
    ("CueCue", "ContCond", "all_to_all", 6.0, 2.0, "inhibitory"),
    ("ContCue", "ContCondInt", "all_to_all", 6.0, 1.0, "excitatory"),
    ("ContCondInt", "ContCond", "all_to_all", 2.0, 1.0, "excitatory"),
    ("ContCond", "ContCont", "one_to_one", 6.0, 1.0, "excitatory"),
    ("CueCue", "MergeCue", "one_to_one", 6.0, 3.0, "excitatory"),
    ("CueCont", "MergeCue", "one_to_one", 6.0, 1.0, "excitatory"),
    ("ContCue", "MergeCont", "one_to_one", 6.0, 3.0, "excitatory"),
    ("ContCont", "MergeCont", "one_to_one", 6.0, 1.0, "excitatory"),
    ("MergeCue", "OUT", "out_cue", 6.0, 1.0, "excitatory"),
    ("MergeCont", "OUT", "out_content", 6.0, 1.0, "excitatory"),
)
#: the plastic projections, as (pre, post)
PLASTIC_PROJECTIONS = (("CueCue", "ContCue"), ("ContCont", "CueCont"))


def population_sizes(n_cues: int, n_content: int) -> dict[str, int]:
    """Size of every population for ``c`` cues and ``m`` content bits."""
    c, m = n_cues, n_content
    return {"IN": c + m, "CueCue": c, "CueCont": c, "ContCue": m, "ContCont": m, "ContCond": m, "ContCondInt": 1,
            "MergeCue": c, "MergeCont": m, "OUT": c + m}


def _connector(pattern: str, n_pre: int, n_post: int, n_cues: int):
    c = n_cues
    if pattern == "one_to_one":
        return OneToOne()
    if pattern == "all_to_all":
        return AllToAll()
    if pattern == "all_but_self":
        i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
        keep = i != j
        return FromList(np.stack([i[keep], j[keep]], axis=1).reshape(-1, 2))
    if pattern == "in_cue":  # IN[0:c] -> post, one to one
        return FromList(np.stack([np.arange(n_post), np.arange(n_post)], axis=1))
    if pattern == "in_content":  # IN[c:] -> post, one to one
        return FromList(np.stack([c + np.arange(n_post), np.arange(n_post)], axis=1))
    if pattern == "out_cue":  # pre -> OUT[0:c]
        return FromList(np.stack([np.arange(n_pre), np.arange(n_pre)], axis=1))
    if pattern == "out_content":  # pre -> OUT[c:]
        return FromList(np.stack([np.arange(n_pre), c + np.arange(n_pre)], axis=1))
    raise ValueError(f"unknown connection pattern {pattern!r}")


@dataclass
class Circuit:
    """A built CA3 network: the :class:`Network`, its populations and projections by name, and spike monitors."""

    network: Network
    populations: dict[str, Population]
    projections: dict[tuple[str, str, str], Projection]
    monitors: dict[str, Any]


def build_circuit(n_cues: int, n_content: int, in_spike_times: list, backend: str = "auto") -> Circuit:
    """Build the circuit with ``IN`` firing at ``in_spike_times`` (one list of times in ms per IN cell).

    Every population records its spikes.  Projections are keyed by
    ``(pre, post, receptor)``.
    """
    sizes = population_sizes(n_cues, n_content)
    net = Network(dt=DT, seed=0, backend=backend)
    pops: dict[str, Population] = {}
    for name in POPULATIONS:
        celltype = (SpikeSourceArray(spike_times=[list(t) for t in in_spike_times]) if name == "IN"
                    else IF_curr_exp(**CELL_CLASS[name]))
        pops[name] = Population(sizes[name], celltype, label=name)
        net.add(pops[name])
    monitors = {name: pop.record("spikes") for name, pop in pops.items()}
    projs: dict[tuple[str, str, str], Projection] = {}
    for pre, post, pattern, weight, delay, receptor in CONNECTIONS:
        conn = _connector(pattern, sizes[pre], sizes[post], n_cues)
        if weight == PLASTIC:
            synapse = STDPMechanism(timing_dependence=TIMING, weight_dependence=WEIGHTS, weight=0.0, delay=delay)
        else:
            w = 6.0 * n_content if weight == SCALED else float(weight)
            synapse = StaticSynapse(weight=w, delay=delay)
        proj = Projection(pops[pre], pops[post], conn, synapse, receptor_type=receptor,
                          label=f"{pre}->{post}:{receptor}")
        projs[(pre, post, receptor)] = proj
        net.add(proj)
    return Circuit(net, pops, projs, monitors)


@dataclass
class CA3Result:
    """Spikes of every population over ``[t_start, t_stop)`` ms of a CA3 memory's life.

    Attributes
    ----------
    n_cues, n_content
        Sizes of the memory.
    t_start, t_stop
        The window (ms, memory time).
    spikes
        ``{population: (times_ms, neurons)}`` for ``IN`` and the nine
        populations, sorted by (time, neuron).
    """

    n_cues: int
    n_content: int
    t_start: float
    t_stop: float
    spikes: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)

    def active(self, population: str, time: float) -> list[int]:
        """The neurons of ``population`` that spiked at ``time`` (ms)."""
        times, neurons = self.spikes[population]
        return neurons[times == time].tolist()

    def spike_set(self, population: str) -> set[tuple[float, int]]:
        """Every spike of ``population`` as a set of ``(time_ms, neuron)``."""
        times, neurons = self.spikes[population]
        return set(zip(times.tolist(), neurons.tolist()))

    def to_xarray(self) -> xr.Dataset:
        """One boolean variable per population, ``spikes_<P>(time, <P>_index)``, e.g. ``spikes_OUT``."""
        import xarray as xr

        sizes = population_sizes(self.n_cues, self.n_content)
        n_t = int(round((self.t_stop - self.t_start) / DT))
        time = self.t_start + np.arange(n_t) * DT
        data = {}
        for name, (times, neurons) in self.spikes.items():
            raster = np.zeros((n_t, sizes[name]), dtype=bool)
            raster[np.rint((times - self.t_start) / DT).astype(np.int64), neurons] = True
            data[f"spikes_{name}"] = ((("time", f"{name}_index")), raster,
                                      {"long_name": f"spikes of {name}", "units": "1"})
        coords = {"time": ("time", time, {"units": "ms", "long_name": "time"})}
        coords.update({f"{name}_index": np.arange(sizes[name]) for name in self.spikes})
        return xr.Dataset(data, coords=coords, attrs={"n_cues": self.n_cues, "n_content": self.n_content,
                                                       "dt": DT, "t_start": self.t_start, "t_stop": self.t_stop})


def simulate(n_cues: int, n_content: int, in_spike_times: list, duration: float,
             backend: str = "auto") -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
    """Run the circuit from rest for ``duration`` ms with the given IN spikes.

    Returns
    -------
    spikes
        ``{population: (times_ms, neurons)}``.
    weights
        The plastic weights with every pairing so far applied:
        ``"CueCue->ContCue"`` as a (c, m) array and ``"ContCont->CueCont"`` as (m, c).
    """
    circuit = build_circuit(n_cues, n_content, in_spike_times, backend)
    circuit.network.run(duration)
    return circuit_state(circuit)


def circuit_state(circuit: Circuit) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
    """Every population's spikes so far and the plastic weights now (see :func:`simulate`)."""
    spikes = {name: (mon.times.astype(np.float64), mon.neurons.astype(np.int64))
              for name, mon in circuit.monitors.items()}
    weights = {f"{pre}->{post}": circuit.projections[(pre, post, "excitatory")].get("weight", format="array")
               for pre, post in PLASTIC_PROJECTIONS}
    return spikes, weights
