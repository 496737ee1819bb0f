"""Would a network behave the same on SpiNNaker?  One run in double precision, one in fixed point, compared.

:func:`compare_arithmetics` runs a network in the engine in double precision and in the emulator
(:func:`engramsim.hardware.emulate.run_fixed_point`: cells, STDP and ring buffers in sPyNNaker's fixed point) and
reports, per population, the spikes of each and how many (ms, cell) differ, with the first difference, and how
many ring-buffer entries were capped at 16 bits; per projection, the ring-buffer unit, the largest weight
difference at the end (plastic weights as last transmitted) and, for plastic ones, how many pairings the
15-spike postsynaptic history forgot before their potentiation was applied.  The report prints as a table and
converts to a dict (``engramsim export MODEL --target fixed-point-report``)::

    from engramsim.hardware.arithmetic_report import compare_arithmetics
    print(compare_arithmetics(circuit.network, 90.0))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from engramsim.sim.validation import check_choice

__all__ = ["ArithmeticReport", "PopulationDifference", "ProjectionDifference", "compare_arithmetics"]


@dataclass
class PopulationDifference:
    """Spikes of one population in both arithmetics."""

    label: str
    spikes_float: int
    spikes_fixed: int
    differing: int
    first_difference_ms: float | None
    saturated_entries: int = 0


@dataclass
class ProjectionDifference:
    """Weights of one projection at the end of both runs (nA)."""

    label: str
    plastic: bool
    unit: float
    max_weight_difference: float
    forgotten_pairings: int = 0


@dataclass
class ArithmeticReport:
    """What :func:`compare_arithmetics` found; ``runs`` holds both outputs of ``simulate`` (not in the dict)."""

    duration_ms: float
    populations: list[PopulationDifference]
    projections: list[ProjectionDifference]
    runs: dict[str, tuple[dict, dict]] = field(repr=False, default_factory=dict)

    @property
    def same_spikes(self) -> bool:
        """Every population spikes at the same (ms, cell) in both arithmetics."""
        return all(p.differing == 0 for p in self.populations)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-ready)."""
        return {"duration_ms": self.duration_ms, "same_spikes": self.same_spikes,
                "populations": [asdict(p) for p in self.populations],
                "projections": [asdict(p) for p in self.projections]}

    def __str__(self) -> str:
        lines = [f"double precision against sPyNNaker's fixed point, {self.duration_ms:g} ms: "
                 + ("the same spikes" if self.same_spikes else "the spikes differ"),
                 "", f"{'population':16s} {'spikes float':>12s} {'spikes fixed':>12s} {'differ':>7s} "
                 f"{'first difference':>17s}  ring-buffer entries capped"]
        for p in self.populations:
            first = "-" if p.first_difference_ms is None else f"{p.first_difference_ms:g} ms"
            lines.append(f"{p.label:16s} {p.spikes_float:12d} {p.spikes_fixed:12d} {p.differing:7d} {first:>17s}  "
                         f"{p.saturated_entries}")
        lines += ["", f"{'projection':34s} {'plastic':>7s} {'unit (nA)':>11s} {'largest weight difference (nA)':>31s}"
                      f"  pairings forgotten"]
        for q in self.projections:
            lines.append(f"{q.label:34s} {str(q.plastic):>7s} {q.unit:11.4g} {q.max_weight_difference:31.4g}  "
                         f"{q.forgotten_pairings if q.plastic else '-'}")
        return "\n".join(lines)


def _as_set(times: np.ndarray, neurons: np.ndarray) -> set[tuple[float, int]]:
    return set(zip(np.asarray(times).tolist(), np.asarray(neurons).tolist()))


def compare_arithmetics(network: Any, duration: float, backend: str = "numba") -> ArithmeticReport:
    """Run ``network`` (not yet run) for ``duration`` ms in both arithmetics and compare.

    Parameters
    ----------
    network
        A :class:`~engramsim.sim.spiking.Network` the emulator runs (``IF_curr_exp`` cells, spike-source arrays,
        static projections and sPyNNaker's pair STDP); it is left unrun.
    duration
        ms, a whole number of steps.
    backend
        ``"numpy"`` or ``"numba"`` (both runs).
    """
    from engramsim.hardware.emulate import run_fixed_point, simulate
    from engramsim.hardware.spinnaker import check

    check_choice(backend, "backend", ("numpy", "numba"))
    provenance: dict[str, dict[str, int]] = {}
    runs = {"float": simulate(network, duration, arithmetic="float", backend=backend),
            "spinnaker": run_fixed_point(network, duration, backend=backend, return_weights=True,
                                         provenance=provenance)}
    (spikes_f, weights_f), (spikes_s, weights_s) = runs["float"], runs["spinnaker"]
    populations = []
    for label in spikes_f:
        a, b = _as_set(*spikes_f[label]), _as_set(*spikes_s[label])
        diff = a ^ b
        populations.append(PopulationDifference(label, len(a), len(b), len(diff),
                                                min(t for t, _ in diff) if diff else None,
                                                provenance["saturated_ring_buffer_entries"].get(label, 0)))
    units = {q.label: q.weight_unit for q in check(network).projections}
    projections = [ProjectionDifference(p.label, bool(p.plastic), float(units[p.label]),
                                        float(np.abs(weights_f[p.label] - weights_s[p.label]).max(initial=0.0)),
                                        provenance["forgotten_pairings"].get(p.label, 0))
                   for p in network.projections]
    return ArithmeticReport(float(duration), populations, projections, runs)
