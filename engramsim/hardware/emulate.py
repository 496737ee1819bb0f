"""Run a network of ``IF_curr_exp`` cells in sPyNNaker's fixed-point arithmetic (an emulator).

:func:`run_fixed_point` steps every cell with
:func:`~engramsim.hardware.fixed_point.lif_step_fixed` (or its Numba twin),
each synaptic weight truncated to the ring-buffer units of the shift that
:func:`~engramsim.hardware.spinnaker.check` predicts for its target, inputs
summed as integers in a saturating 16-bit ring buffer of whole delays, in the
engine's order: the input arriving at step ``t`` enters the currents, the cells
update, their spikes (and the sources' spikes of step ``t``) are delivered
``delay`` steps later.  Plastic projections with sPyNNaker's pair rule update
their rows in fixed point (:mod:`engramsim.hardware.stdp_fixed`: 16-bit traces,
the exponential tables, weights truncated to ring-buffer units at every spike,
15 remembered postsynaptic spikes per cell).  :func:`freeze` turns a network
into a static copy with the weights it has learned; :func:`to_fixed_point`
gives the engine a copy with fixed-point cells (its STDP in double precision).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.hardware.fixed_point import (
    add_spike_to_trace,
    lif_constants,
    lif_step_fixed,
    lif_step_fixed_numba,
    ring_buffer_units,
    to_s1615,
)
from engramsim.hardware import stdp_fixed
from engramsim.hardware.plan import ExportError
from engramsim.sim.spiking import FromList, Network, Population, Projection, SpikeSourceArray, StaticSynapse
from engramsim.sim.spiking.network import whole_steps
from engramsim.sim.validation import check_bool, check_choice, check_int


def freeze(network: Network, spike_times: dict[str, Any] | None = None, backend: str = "numpy") -> Network:
    """A static copy of ``network``: same cells, every synapse (current weights, delays) as a ``FromList``.

    Parameters
    ----------
    network
        A native network (built if needed); plastic weights are read with every pairing applied.
    spike_times
        New spike times for spike-source populations, by label (default: their own).
    backend
        The copy's backend.  Every population of the copy records its spikes.
    """
    return _copy(network, spike_times, backend, fixed=False)


def to_fixed_point(network: Network, spike_times: dict[str, Any] | None = None, backend: str = "numpy") -> Network:
    """A copy of ``network`` that the engine runs in sPyNNaker's fixed point.

    ``IF_curr_exp`` cells become :class:`~engramsim.hardware.spinnaker_cell.IF_curr_exp_spinnaker`; every
    weight (static, and the initial weights of plastic projections) is truncated to the ring-buffer units of
    the shift :func:`~engramsim.hardware.spinnaker.check` predicts for its target.  Plastic projections keep
    their rule, which the engine applies in double precision (the transmitted weights then leave the unit
    grid and are read by the cells rounded to ``2**-15`` nA).  Arguments as :func:`freeze`.
    """
    return _copy(network, spike_times, backend, fixed=True)


def _copy(network: Network, spike_times: dict[str, Any] | None, backend: str, fixed: bool) -> Network:
    from engramsim.hardware.spinnaker import check
    from engramsim.hardware.spinnaker_cell import IF_curr_exp_spinnaker

    network.build()
    shifts = {p.label: p.ring_buffer_shift for p in check(network).populations} if fixed else {}
    spike_times = dict(spike_times or {})
    copy = Network(dt=network.dt, seed=network.seed, backend=backend)
    pops: dict[str, Population] = {}
    for pop in network.populations:
        ct = pop.celltype
        if isinstance(ct, SpikeSourceArray):
            times = spike_times.pop(pop.label, ct.times_per_neuron(pop.size))
            celltype = SpikeSourceArray(spike_times=[list(map(float, t)) for t in times])
        elif type(ct).__name__ == "IF_curr_exp":
            celltype = (IF_curr_exp_spinnaker if fixed else type(ct))(**ct.parameters)
        else:
            raise ExportError(f"population {pop.label!r}: only IF_curr_exp cells and spike-source arrays are "
                              f"copied, got {type(ct).__name__}")
        pops[pop.label] = Population(pop.size, celltype, label=pop.label)
        if not ct.is_source:
            pops[pop.label].initialize(v=pop.initial("v"))
        pops[pop.label].record("spikes")
        copy.add(pops[pop.label])
    if spike_times:
        raise ValidationError(f"spike_times names no spike-source population: {sorted(spike_times)}")
    for proj in network.projections:
        w = proj.get_weights("list")
        if fixed:
            shift = shifts[proj.post.label].get(proj.receptor_type, 0)
            w = ring_buffer_units(w, shift) * 2.0 ** (shift - 15)
        rows = np.column_stack([proj.pre_index, proj.post_index, w, proj.delays * network.dt])
        synapse = proj.synapse_type if (fixed and proj.plastic) else StaticSynapse()
        copy.add(Projection(pops[proj.pre.label], pops[proj.post.label], FromList(rows), synapse,
                            receptor_type=proj.receptor_type, label=proj.label))
    return copy


def run_fixed_point(network: Network, duration: float, backend: str = "numpy", return_weights: bool = False,
                    shifts: dict[str, dict[str, int]] | None = None,
                    history_slots: int = stdp_fixed.HISTORY_SLOTS, provenance: dict | None = None) -> Any:
    """Spikes of every population, ``{label: (times_ms, neurons)}`` sorted by (time, neuron), in fixed point.

    Parameters
    ----------
    network
        ``IF_curr_exp`` cells and spike sources (``SpikeSourceArray``, and ``SpikeSourcePoisson`` with the
        engine's own draws, so the same spikes); static projections, and plastic ones with
        sPyNNaker's pair rule (``SpikePairRule(convention="spynnaker7")`` with additive weight dependence),
        emulated by :mod:`engramsim.hardware.stdp_fixed`.  Not run: only its structure and initial weights are
        read (it is built to draw its connections).
    duration
        ms, a whole number of steps.
    backend
        ``"numpy"`` (the references) or ``"numba"`` (their twins) for the cell step and the STDP updates.
    return_weights
        Also return ``{projection label: weights (nA)}`` at the end, in the order of
        ``Projection.get_weights("list")`` (plastic ones as the rows hold them, in whole ring-buffer units).
    shifts
        Ring-buffer shifts ``{population label: {receptor: shift}}`` replacing those
        :func:`~engramsim.hardware.spinnaker.check` predicts (for instance the ones a board run reported);
        populations and receptors not named keep the prediction.
    history_slots
        Slots of each cell's postsynaptic spike history, the first a placeholder (sPyNNaker's
        ``MAX_POST_SYNAPTIC_EVENTS``, 16: 15 spikes remembered).  More slots ask what a chip with a longer
        history would do.
    provenance
        A dict to fill with what went wrong on the emulated cores: ``saturated_ring_buffer_entries``
        (population label -> ring-buffer entries that reached ``0xFFFF`` units and were capped) and
        ``forgotten_pairings`` (plastic projection label -> synapses whose pending potentiation was lost when a
        full postsynaptic history forgot a spike).

    Notes
    -----
    Each step ``t``: the cells take ring-buffer slot ``t`` (every entry saturating at ``0xFFFF`` units, as
    sPyNNaker's 16-bit ring buffer does), spike, and their spikes enter the postsynaptic histories; then every
    spike of step ``t`` (sources included) is delivered to slot ``t + delay``, a plastic row first updating its
    weights (the deferred rule of :func:`engramsim.hardware.stdp_fixed.row_update`).
    """
    check_choice(backend, "backend", ("numpy", "numba"))
    n_steps = whole_steps(duration, network.dt)
    return_weights = check_bool(return_weights, "return_weights")
    network.build()
    dt = network.dt
    history_slots = check_int(history_slots, "history_slots", minimum=2)
    if provenance is not None and not isinstance(provenance, dict):
        raise ValidationTypeError(f"provenance must be a dict to fill (or None), got {type(provenance).__name__}")
    emulator = _Emulator(network, backend, _shifts(network, shifts), history_slots, n_steps)
    for t in range(n_steps):
        emulator.step(t)
    spikes = emulator.spikes(dt)
    if provenance is not None:
        provenance.update(emulator.provenance())
    return (spikes, emulator.weights()) if return_weights else spikes


def simulate(network: Network, duration: float, arithmetic: str = "float", backend: str = "numpy"
             ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
    """Run ``network`` from its start in double precision or in sPyNNaker's fixed point; the same outputs either way.

    Parameters
    ----------
    network
        A network not yet run (it is left as it is: the engine runs a copy).
    duration
        ms.
    arithmetic
        ``"float"``: the engine, double precision (cells, and STDP under its ``"spynnaker7"`` rule).
        ``"spinnaker"``: :func:`run_fixed_point` (cells, STDP and ring buffers in fixed point).
    backend
        ``"numpy"`` or ``"numba"``.

    Returns
    -------
    tuple
        ``(spikes, weights)``: ``{population label: (times_ms, neurons)}`` sorted by (time, neuron), and
        ``{projection label: weights (nA)}`` in the order of ``Projection.get_weights("list")``, plastic ones
        as each synapse last transmitted them (what sPyNNaker's synaptic matrix holds).
    """
    import copy

    check_choice(arithmetic, "arithmetic", ("float", "spinnaker"))
    check_choice(backend, "backend", ("numpy", "numba"))
    duration = float(whole_steps(duration, network.dt) * network.dt)
    if network.t > 0:
        raise ValidationError(f"network: simulate() runs a network from its start, this one has already run (to "
                              f"{network.t} ms); build it again")
    if arithmetic == "spinnaker":
        return run_fixed_point(network, duration, backend=backend, return_weights=True)
    from engramsim.sim.backends import get_backend
    from engramsim.sim.spiking.network import SPIKING_CHUNK

    network.build()  # draws the connections (weights given by functions) so that the copy has the same synapses
    net = copy.deepcopy(network)
    net.backend = get_backend(backend, kernels=(SPIKING_CHUNK,))
    recorded = {m.population.label for m in net.monitors if m.kind == "spikes"}
    monitors = {p.label: (next(m for m in net.monitors if m.kind == "spikes" and m.population is p)
                          if p.label in recorded else p.record("spikes")) for p in net.populations}
    net.run(duration)
    spikes = {}
    for label, m in monitors.items():
        order = np.lexsort((m.neurons, m.times))
        spikes[label] = (np.asarray(m.times)[order], np.asarray(m.neurons)[order])
    weights = {p.label: p.get_weights("list", include_pending=False) if p.plastic else p.get_weights("list")
               for p in net.projections}
    return spikes, weights


def _shifts(network: Network, given: dict[str, dict[str, int]] | None) -> dict[str, dict[str, int]]:
    """The predicted ring-buffer shifts, with those ``given`` in their place (checked)."""
    from engramsim.hardware.spinnaker import check

    shifts = {p.label: dict(p.ring_buffer_shift) for p in check(network).populations}
    if given is None:
        return shifts
    if not isinstance(given, dict):
        raise ValidationTypeError(f"shifts must be a dict {{population label: {{receptor: shift}}}}, "
                                  f"got {given!r}")
    for label, per_receptor in given.items():
        if label not in shifts or not isinstance(per_receptor, dict):
            raise ValidationError(f"shifts: expected {{population label: {{receptor: shift}}}} with labels from "
                                  f"{sorted(shifts)}, got {label!r}: {per_receptor!r}")
        for receptor, shift in per_receptor.items():
            check_choice(receptor, "shifts receptor", ("excitatory", "inhibitory"))
            shifts[label][receptor] = check_int(shift, f"shifts[{label!r}][{receptor!r}]", 0, 15)
    return shifts


class _Emulator:
    """The state of a network on its (emulated) cores: cells, ring buffers, postsynaptic histories, rows."""

    def __init__(self, network: Network, backend: str, shifts: dict[str, dict[str, int]], history_slots: int,
                 n_steps: int):
        self.history_slots = history_slots
        numba = backend == "numba"
        self.cell_step = lif_step_fixed_numba if numba else lif_step_fixed
        self.row_update = stdp_fixed.row_update_numba if numba else stdp_fixed.row_update
        self.add_post = stdp_fixed.add_post_spikes_numba if numba else stdp_fixed.add_post_spikes
        dt = network.dt
        for proj in network.projections:
            convention = proj.synapse_type.pair_stdp_parameters()["convention"] if proj.plastic else "spynnaker7"
            if convention != "spynnaker7":
                raise ExportError(f"projection {proj.label!r}: sPyNNaker's pair rule is the 'spynnaker7' convention "
                                  f"(SpikePairRule(convention='spynnaker7')), got {convention!r}")
        self.shifts = shifts
        self.depth = max([int(p.delays.max()) for p in network.projections if p.delays.size] + [1]) + 1
        self.cells, self.sources, self.histories = {}, {}, {}
        self.saturated = {p.label: 0 for p in network.populations if not p.celltype.is_source}
        self.forgotten: dict[str, int] = {}
        for pop in network.populations:
            if pop.celltype.is_source:  # the engine's own emitter: the same spikes (Poisson: the same draws)
                steps, cells = pop.celltype.emitter(pop, dt, network.seed).events(0, n_steps)
                order = np.lexsort((cells, steps))
                self.sources[pop.label] = (steps[order], cells[order])
            elif type(pop.celltype).__name__ == "IF_curr_exp":
                shift = self.shifts[pop.label]
                self.cells[pop.label] = {
                    "c": lif_constants(pop.celltype.parameters, pop.size, dt), "v": to_s1615(pop.initial("v")),
                    "ie": np.zeros(pop.size, np.int64), "ii": np.zeros(pop.size, np.int64),
                    "ref": np.zeros(pop.size, np.int64), "buf": np.zeros((self.depth, 2, pop.size), np.int64),
                    "shift": np.array([shift.get("excitatory", 0), shift.get("inhibitory", 0)])}
            else:
                raise ExportError(f"population {pop.label!r}: the fixed-point emulator runs IF_curr_exp cells and "
                                  f"spike sources, got {type(pop.celltype).__name__}")
        self.outgoing: dict[str, list[dict]] = {p.label: [] for p in network.populations}
        for proj in network.projections:
            self.outgoing[proj.pre.label].append(self._projection(proj, dt))
        self.fired_log: dict[str, list[tuple[int, np.ndarray]]] = {p.label: [] for p in network.populations}

    def _projection(self, proj: Projection, dt: float) -> dict:
        shift = self.shifts[proj.post.label].get(proj.receptor_type, 0)
        entry = {"proj": proj, "channel": 0 if proj.receptor_type == "excitatory" else 1,
                 "units": ring_buffer_units(proj.get_weights("list"), shift), "shift": shift}
        if proj.plastic:
            delay = int(proj.delays[0]) if proj.delays.size else 1
            entry["rule"] = stdp_fixed.pair_rule_constants(proj.synapse_type.pair_stdp_parameters(), shift, delay,
                                                           dt)
            entry["row_ptr"] = np.searchsorted(proj.pre_index, np.arange(proj.pre.size + 1))
            by_post = np.argsort(proj.post_index, kind="stable")
            entry["col_pre"] = proj.pre_index[by_post]
            entry["col_ptr"] = np.searchsorted(proj.post_index[by_post], np.arange(proj.post.size + 1))
            self.forgotten[proj.label] = 0
            entry["last"] = np.zeros(proj.pre.size, np.int64)
            entry["trace"] = np.zeros(proj.pre.size, np.int64)
            timing = (entry["rule"].lut_plus.tolist(), entry["rule"].lut_minus.tolist())
            if proj.post.label not in self.histories:
                self.histories[proj.post.label] = {
                    "arrays": stdp_fixed.new_history(proj.post.size, self.history_slots),
                    "lut_minus": entry["rule"].lut_minus, "timing": timing, "first": proj.label}
            history = self.histories[proj.post.label]
            if history["timing"] != timing:
                raise ExportError(f"projection {proj.label!r}: its STDP time constants differ from those of "
                                  f"{history['first']!r} onto the same population {proj.post.label!r}; sPyNNaker "
                                  f"runs one timing rule per population")
        return entry

    def step(self, t: int) -> None:
        """Step ``t``: sources and cells fire, histories record, every spike is delivered."""
        fired_now: dict[str, np.ndarray] = {}
        for label, (steps, cells) in self.sources.items():
            lo, hi = np.searchsorted(steps, [t, t + 1])
            fired_now[label] = np.unique(cells[lo:hi])
        for label, st in self.cells.items():
            slot = st["buf"][t % self.depth]
            self.saturated[label] += int(np.count_nonzero(slot > 0xFFFF))
            raw = np.minimum(slot, 0xFFFF) << st["shift"][:, None]
            spiked = self.cell_step(st["v"], st["ie"], st["ii"], st["ref"], raw[0], raw[1], st["c"])
            slot[:] = 0
            fired_now[label] = np.nonzero(spiked)[0]
        for label, idx in fired_now.items():
            if label in self.histories and idx.size:
                history = self.histories[label]
                dropped = self.add_post(idx, t, *history["arrays"], history["lut_minus"])
                if np.any(dropped >= 0):
                    self._count_forgotten(label, idx[dropped >= 0], dropped[dropped >= 0])
        for label, idx in fired_now.items():
            if idx.size == 0:
                continue
            self.fired_log[label].append((t, idx))
            for entry in self.outgoing[label]:
                self._deliver(t, idx, entry)

    def _count_forgotten(self, label: str, cells: np.ndarray, dropped: np.ndarray) -> None:
        """Count the synapses onto ``cells`` whose pending potentiation by the ``dropped`` spikes is now lost.

        A spike ``p`` of cell ``j`` would still potentiate synapse ``i -> j`` at ``i``'s next spike if ``i`` has
        fired (its trace is not 0), ``i`` last fired before ``p + d`` and the table still holds ``p + d - L``.
        """
        for entries in self.outgoing.values():
            for entry in entries:
                if "rule" not in entry or entry["proj"].post.label != label:
                    continue
                rule, ptr, pres = entry["rule"], entry["col_ptr"], entry["col_pre"]
                for j, p in zip(cells.tolist(), dropped.tolist()):
                    pre = pres[ptr[j]:ptr[j + 1]]
                    last = entry["last"][pre]
                    pending = (entry["trace"][pre] != 0) & (last < p + rule.delay) & \
                        (p + rule.delay - last < rule.lut_plus.size)
                    self.forgotten[entry["proj"].label] += int(np.count_nonzero(pending))

    def provenance(self) -> dict[str, dict[str, int]]:
        """What went wrong on the emulated cores, as counts (sPyNNaker reports the saturations too)."""
        return {"saturated_ring_buffer_entries": dict(self.saturated), "forgotten_pairings": dict(self.forgotten)}

    def _deliver(self, t: int, idx: np.ndarray, entry: dict) -> None:
        proj = entry["proj"]
        buf = self.cells[proj.post.label]["buf"]
        if "rule" not in entry:
            hit = np.isin(proj.pre_index, idx)
            np.add.at(buf, ((t + proj.delays[hit]) % self.depth, entry["channel"], proj.post_index[hit]),
                      entry["units"][hit])
            return
        rule, units, ptr = entry["rule"], entry["units"], entry["row_ptr"]
        history = self.histories[proj.post.label]["arrays"]
        slot = (t + rule.delay) % self.depth
        for j in idx:
            a, b = ptr[j], ptr[j + 1]
            row = units[a:b]
            self.row_update(t, int(entry["last"][j]), int(entry["trace"][j]), row, proj.post_index[a:b], *history,
                            rule)
            entry["trace"][j] = add_spike_to_trace(entry["trace"][j], t - entry["last"][j], rule.lut_plus)
            entry["last"][j] = t
            np.add.at(buf[slot, entry["channel"]], proj.post_index[a:b], row)

    def spikes(self, dt: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for label, log in self.fired_log.items():
            times = np.concatenate([np.full(i.size, s * dt) for s, i in log]) if log else np.zeros(0)
            cells_ = np.concatenate([i for _, i in log]) if log else np.zeros(0, np.int64)
            out[label] = (times, cells_)
        return out

    def weights(self) -> dict[str, np.ndarray]:
        return {e["proj"].label: e["units"] * 2.0 ** (e["shift"] - 15) for es in self.outgoing.values() for e in es}


__all__ = ["freeze", "run_fixed_point", "simulate", "to_fixed_point"]
