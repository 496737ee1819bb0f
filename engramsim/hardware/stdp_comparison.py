"""Where sPyNNaker's fixed-point STDP and the double-precision rule part: two teaching networks, side by side.

Each network has ``n`` presynaptic spike sources joined one-to-one to ``n`` CA3-like ``IF_curr_exp`` cells by a
plastic projection with small weights (they never make a cell fire), and a teacher source that makes each cell
fire on given steps (a weight-6 input fires a cell on its arrival step).  The same network runs in the engine
(double precision, the ``"spynnaker7"`` rule) and in the fixed-point emulator
(:func:`~engramsim.hardware.emulate.run_fixed_point`); :func:`compare` reports the mean learned weight of each.

Scenarios (:data:`SCENARIOS`):

``small-amplitudes``
    Both cells fire as Poisson trains (10 Hz), ``A_plus = A_minus = 0.0005`` nA with ``tau = 20`` ms, weights in
    ``[0, 1]`` nA starting at 0.5.  One ring-buffer unit of the target is ``2**-12`` nA, so most pairings change
    a weight by less than one unit, and the row keeps whole units at every presynaptic spike.
``long-post-bursts``
    The presynaptic cell fires every 500 ms, the postsynaptic cell every 10 ms (100 Hz): about 50 postsynaptic
    spikes between two presynaptic ones, of which the chip remembers the last 15, so the potentiation of those
    just after each presynaptic spike is lost.  ``A_plus = A_minus = 0.01`` nA, ``tau = 20`` ms.

:func:`ca3_memory` does the same for the CA3 memory on a random sequence of operations (learn, overwrite,
recall by cue and by content), and once more in fixed point with a postsynaptic history that forgets nothing:
in larger memories a content cell fires more than 15 times between two spikes of a cue, and the chip forgets the
pairings whose potentiation the deferred rule would apply at the cue's next spike.

``python -m engramsim.hardware.stdp_comparison`` prints the tables of ``docs/hardware.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["SCENARIOS", "Scenario", "ca3_memory", "compare", "teaching_network"]


@dataclass(frozen=True)
class Scenario:
    """Spike trains (``("poisson", rate in Hz)`` or ``("regular", period in ms)``) and the rule's parameters."""

    pre: tuple[str, float]
    post: tuple[str, float]
    amplitude: float
    tau: float
    w_max: float
    w0: float


SCENARIOS = {
    "small-amplitudes": Scenario(pre=("poisson", 10.0), post=("poisson", 10.0), amplitude=0.0005, tau=20.0,
                                 w_max=1.0, w0=0.5),
    "long-post-bursts": Scenario(pre=("regular", 500.0), post=("regular", 10.0), amplitude=0.01, tau=20.0,
                                 w_max=1.0, w0=0.5),
}


def _trains(spec: tuple[str, float], n: int, duration: float, rng: np.random.Generator) -> list[list[float]]:
    """``n`` spike trains (ms, whole steps) in ``[1, duration - 2]``: Poisson, or regular with a random phase."""
    kind, value = spec
    if kind == "regular":
        return [np.arange(1.0 + rng.integers(0, int(value)), duration - 1.0, value).tolist() for _ in range(n)]
    steps = np.arange(1.0, duration - 1.0)
    return [steps[rng.random(steps.size) < value / 1000.0].tolist() for _ in range(n)]


def teaching_network(scenario: str, n: int = 50, duration: float = 10_000.0, seed: int = 0, backend: str = "numpy"):
    """The network of ``scenario`` (see the module) with ``n`` plastic synapses, spike trains ``duration`` ms long.

    Returns
    -------
    Network
        Populations ``pre``, ``teacher`` (spike sources) and ``cells``; projections ``teach`` (static, weight 6)
        and ``plastic`` (one-to-one, pair STDP, delay 1 ms).
    """
    from engramsim.learning_rules.stdp import AdditiveWeightDependence, SpikePairRule, STDPMechanism
    from engramsim.sim.spiking import IF_curr_exp, Network, OneToOne, Population, Projection, SpikeSourceArray, \
        StaticSynapse

    check_choice(scenario, "scenario", tuple(SCENARIOS))
    n = check_int(n, "n", minimum=1)
    duration = check_float(duration, "duration", 20.0)
    seed = check_int(seed, "seed", minimum=0)
    s = SCENARIOS[scenario]
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=seed, backend=backend)
    pre = Population(n, SpikeSourceArray(spike_times=_trains(s.pre, n, duration, rng)), label="pre")
    teacher = Population(n, SpikeSourceArray(spike_times=_trains(s.post, n, duration, rng)), label="teacher")
    cells = Population(n, IF_curr_exp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, tau_refrac=1.0,
                                      v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0), label="cells")
    cells.record("spikes")
    net.add(Projection(teacher, cells, OneToOne(), StaticSynapse(weight=6.0, delay=1.0), label="teach"))
    rule = STDPMechanism(SpikePairRule(tau_plus=s.tau, tau_minus=s.tau, A_plus=s.amplitude, A_minus=s.amplitude),
                         AdditiveWeightDependence(w_min=0.0, w_max=s.w_max), weight=s.w0, delay=1.0)
    net.add(Projection(pre, cells, OneToOne(), rule, label="plastic"))
    return net


def compare(scenario: str, n: int = 50, duration: float = 10_000.0, seed: int = 0) -> dict[str, float]:
    """Run ``scenario`` in double precision (engine) and in fixed point (emulator); the learned weights.

    Returns
    -------
    dict
        ``w0``, ``float_mean`` and ``fixed_mean`` (nA, the weights each synapse last transmitted),
        ``float_spikes`` and ``fixed_spikes`` (postsynaptic spike counts: the teacher alone makes the cells
        fire, so they agree), ``unit`` (nA, one ring-buffer unit of the plastic projection's target).
    """
    from engramsim.hardware.emulate import run_fixed_point
    from engramsim.hardware.spinnaker import check

    net = teaching_network(scenario, n, duration, seed)
    fixed_spikes, fixed_w = run_fixed_point(net, duration, return_weights=True)
    unit = next(q.weight_unit for q in check(net).projections if q.label == "plastic")
    net.run(duration)
    proj = next(p for p in net.projections if p.label == "plastic")
    spikes = next(m for m in net.monitors if m.population.label == "cells")
    return {"w0": SCENARIOS[scenario].w0, "float_mean": float(proj.get_weights("list", include_pending=False).mean()),
            "fixed_mean": float(fixed_w["plastic"].mean()), "float_spikes": int(spikes.times.size),
            "fixed_spikes": int(fixed_spikes["cells"][0].size), "unit": float(unit)}


def ca3_memory(n_cues: int, n_content: int, n_operations: int, seed: int = 0, density: float = 0.1,
               backend: str = "numba") -> dict[str, float]:
    """A random operation sequence on the CA3 memory in double precision and in fixed point, decoded.

    The sequence is :func:`engramsim.networks.ca3.operations.random_operations` (probabilities 0.4 learn, 0.3
    recall by cue, 0.3 recall by a 2-bit fragment; each content bit on with probability ``density``).

    Returns
    -------
    dict
        ``exact_float``, ``exact_fixed`` (operations whose answer at OUT equals the ideal CAM's),
        ``exact_fixed_long_history`` (the same in fixed point with a postsynaptic history that forgets nothing),
        ``n_operations``, ``spikes`` (all populations, double precision), ``differing_spikes`` (the symmetric
        difference of the two spike sets), ``max_weight_difference`` (nA, plastic weights as last transmitted)
        ``forgotten_pairings`` (pending potentiations the 15-spike histories dropped, see
        :func:`~engramsim.hardware.emulate.run_fixed_point`'s ``provenance``) and ``unit`` (nA, the plastic
        projections' ring-buffer unit).
    """
    from engramsim.hardware.arithmetic_report import compare_arithmetics
    from engramsim.hardware.emulate import run_fixed_point
    from engramsim.networks.ca3 import IdealCAM, build_circuit
    from engramsim.networks.ca3.operations import decode, input_spikes, operations_from_spec, random_operations, \
        schedule

    c = check_int(n_cues, "n_cues", minimum=1)
    m = check_int(n_content, "n_content", minimum=1)
    n_ops = check_int(n_operations, "n_operations", minimum=1)
    density = check_float(density, "density", 0.0, 1.0, strict_minimum=True)
    check_choice(backend, "backend", ("numpy", "numba"))
    rng = np.random.default_rng([check_int(seed, "seed", minimum=0), c, m])
    ops = operations_from_spec(random_operations(rng, c, m, n_ops, density, 2, 0.4, 0.3), c, m)
    starts = schedule(ops, 0.0)
    circuit = build_circuit(c, m, input_spikes(ops, starts, c, m), backend=backend)
    duration = float(starts[-1] + 12.0)
    report = compare_arithmetics(circuit.network, duration, backend=backend)
    outs = {a: spikes["OUT"] for a, (spikes, _) in report.runs.items()}
    # the same chip with a history long enough for every postsynaptic spike of the run
    outs["long_history"] = run_fixed_point(circuit.network, duration, backend=backend,
                                           history_slots=int(duration) + 2)["OUT"]
    exact = {a: sum(o.exact for o in decode(ops, starts, *out, IdealCAM(c, m))) for a, out in outs.items()}
    plastic = [q for q in report.projections if q.plastic]
    return {"n_operations": n_ops, "exact_float": exact["float"], "exact_fixed": exact["spinnaker"],
            "exact_fixed_long_history": exact["long_history"],
            "spikes": sum(p.spikes_float for p in report.populations),
            "differing_spikes": sum(p.differing for p in report.populations),
            "max_weight_difference": max(q.max_weight_difference for q in plastic),
            "forgotten_pairings": sum(q.forgotten_pairings for q in plastic),
            "unit": max(q.unit for q in plastic)}


def main() -> None:
    """Print the side-by-side tables (50 synapses, 10 s, seed 0; the CA3 memory at three sizes)."""
    print("| scenario | initial (nA) | float: mean after 10 s (change) | fixed point: mean (change) | unit (nA) | "
          "post spikes float / fixed |")
    print("|---|---|---|---|---|---|")
    for name in SCENARIOS:
        r = compare(name)
        print(f"| {name} | {r['w0']:.3f} | {r['float_mean']:.4f} ({r['float_mean'] - r['w0']:+.4f}) | "
              f"{r['fixed_mean']:.4f} ({r['fixed_mean'] - r['w0']:+.4f}) | {r['unit']:.3g} | "
              f"{r['float_spikes']} / {r['fixed_spikes']} |")
    print()
    print("| CA3 memory (c x m, operations) | exact answers, float | exact answers, fixed point | fixed point, "
          "history forgetting nothing | pairings forgotten | spikes (float) | spikes that differ | "
          "largest weight difference (nA) |")
    print("|---|---|---|---|---|---|---|---|")
    for c, m, n in ((10, 10, 200), (50, 50, 200), (100, 100, 300)):
        r = ca3_memory(c, m, n)
        print(f"| {c} x {m}, {n} | {r['exact_float']} | {r['exact_fixed']} | {r['exact_fixed_long_history']} | "
              f"{r['forgotten_pairings']} | {r['spikes']} | {r['differing_spikes']} | "
              f"{r['max_weight_difference']:.3f} |")


if __name__ == "__main__":
    main()
