"""Run a static network of ``IF_curr_exp`` cells in sPyNNaker's fixed-point arithmetic (an emulator).

:func:`run_fixed_point` steps every cell with
:func:`~engramsim.hardware.fixed_point.lif_step_fixed` (or its Numba twin),
each synaptic weight truncated to the ring-buffer units of the shift that
:func:`~engramsim.hardware.spinnaker.check` predicts for its target, inputs
summed as integers in a ring buffer of whole delays, in the engine's order:
the input arriving at step ``t`` enters the currents, the cells update, their
spikes (and the sources' spikes of step ``t``) are delivered ``delay`` steps
later.  Plastic projections are not emulated: :func:`freeze` turns a network
into a static copy with the weights it has learned, which both the engine and
this emulator can run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.hardware.fixed_point import (
    lif_constants,
    lif_step_fixed,
    lif_step_fixed_numba,
    ring_buffer_units,
    to_s1615,
)
from engramsim.hardware.plan import ExportError
from engramsim.sim.spiking import FromList, Network, Population, Projection, SpikeSourceArray, StaticSynapse
from engramsim.sim.validation import check_choice, check_float


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
        raise ValueError(f"spike_times names no spike-source population: {sorted(spike_times)}")
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


def run_fixed_point(network: Network, duration: float, backend: str = "numpy") -> dict[str, tuple[np.ndarray,
                                                                                               np.ndarray]]:
    """Spikes of every population, ``{label: (times_ms, neurons)}`` sorted by (time, neuron), in fixed point.

    Parameters
    ----------
    network
        Static projections only; ``IF_curr_exp`` cells and ``SpikeSourceArray`` sources.  Not run: only
        its structure is read (it is built to draw its connections).
    duration
        ms, a whole number of steps.
    backend
        ``"numpy"`` or ``"numba"`` for the cell step.
    """
    from engramsim.hardware.spinnaker import check

    check_choice(backend, "backend", ("numpy", "numba"))
    duration = check_float(duration, "duration", 0.0)
    network.build()
    dt = network.dt
    n_steps = int(round(duration / dt))
    for proj in network.projections:
        if proj.plastic:
            raise ExportError(f"projection {proj.label!r}: STDP is not emulated in fixed point; use freeze() to "
                              f"run the weights it has learned")
    shifts = {p.label: p.ring_buffer_shift for p in check(network).populations}
    depth = max([int(p.delays.max()) for p in network.projections if p.delays.size] + [1]) + 1
    cells, sources = {}, {}
    for pop in network.populations:
        if isinstance(pop.celltype, SpikeSourceArray):
            steps = [np.rint(t / dt).astype(np.int64) for t in pop.celltype.times_per_neuron(pop.size)]
            sources[pop.label] = steps
        elif type(pop.celltype).__name__ == "IF_curr_exp":
            c = lif_constants(pop.celltype.parameters, pop.size, dt)
            cells[pop.label] = {"c": c, "v": to_s1615(pop.initial("v")), "ie": np.zeros(pop.size, np.int64),
                                "ii": np.zeros(pop.size, np.int64), "ref": np.zeros(pop.size, np.int64),
                                "buf": np.zeros((depth, 2, pop.size), np.int64)}
        else:
            raise ExportError(f"population {pop.label!r}: the fixed-point emulator runs IF_curr_exp cells and "
                              f"spike-source arrays, got {type(pop.celltype).__name__}")
    outgoing: dict[str, list[tuple]] = {p.label: [] for p in network.populations}
    for proj in network.projections:
        channel = 0 if proj.receptor_type == "excitatory" else 1
        shift = shifts[proj.post.label].get(proj.receptor_type, 0)
        raw = ring_buffer_units(proj.get_weights("list"), shift) << shift
        outgoing[proj.pre.label].append((proj.post.label, channel, proj.pre_index, proj.post_index, raw,
                                         proj.delays))
    step_fn = lif_step_fixed if backend == "numpy" else lif_step_fixed_numba
    fired_log: dict[str, list[tuple[int, np.ndarray]]] = {p.label: [] for p in network.populations}
    for t in range(n_steps):
        fired_now: dict[str, np.ndarray] = {}
        for label, steps in sources.items():
            fired_now[label] = np.array([i for i, s in enumerate(steps) if np.any(s == t)], dtype=np.int64)
        for label, st in cells.items():
            slot = st["buf"][t % depth]
            spiked = step_fn(st["v"], st["ie"], st["ii"], st["ref"], slot[0], slot[1], st["c"])
            slot[:] = 0
            fired_now[label] = np.nonzero(spiked)[0]
        for label, idx in fired_now.items():
            if idx.size == 0:
                continue
            fired_log[label].append((t, idx))
            for post, channel, pre_i, post_i, raw, delays in outgoing[label]:
                hit = np.isin(pre_i, idx)
                buf = cells[post]["buf"]
                np.add.at(buf, ((t + delays[hit]) % depth, channel, post_i[hit]), raw[hit])
    out = {}
    for label, log in fired_log.items():
        times = np.concatenate([np.full(i.size, s * dt) for s, i in log]) if log else np.zeros(0)
        cells_ = np.concatenate([i for _, i in log]) if log else np.zeros(0, np.int64)
        out[label] = (times, cells_)
    return out


__all__ = ["freeze", "run_fixed_point", "to_fixed_point"]
