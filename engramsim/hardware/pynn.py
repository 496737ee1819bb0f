"""Build a native network live on a PyNN backend, run it there, and read the results back.

::

    import pyNN.nest as sim
    from engramsim.hardware.pynn import to_pynn, compare_spikes

    exported = to_pynn(net, sim)          # sim.setup(...) is called for you
    exported.run(100.0)
    neo_block = exported.get_data("cells")           # PyNN's own Neo block
    table = exported.spikes("cells")                 # the native SpikeMonitor.to_xarray() layout
    compare_spikes(native_monitor.to_xarray(), table, tolerance=1.0)
    exported.end()

Read-back converts the target's conventions to the native ones: NEST stamps a
spike at the end of its step, the native engine (and sPyNNaker) at its start,
so cell spike times from NEST are shifted by ``-dt``
(:attr:`~engramsim.hardware.plan.ExportPlan.spike_time_offset`); spike
sources are not shifted.  Sampled state from NEST is likewise taken after the
update of each step and relabelled to that step's start.  Weights read with
:meth:`PyNNExport.get` are the native magnitudes (sign of inhibitory weights
and pyNN.nest's Izhikevich weight scaling undone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engramsim.hardware.plan import ExportError, ExportPlan, describe, target_name
from engramsim.sim.spiking import Network
from engramsim.sim.validation import check_choice, check_float

if TYPE_CHECKING:
    import xarray as xr


@dataclass
class PyNNExport:
    """A network built on a PyNN backend.

    Attributes
    ----------
    sim
        The PyNN backend module.
    plan
        What was built (:class:`~engramsim.hardware.plan.ExportPlan`); its
        ``notes`` list every conversion and behavioural difference.
    populations, projections
        The PyNN objects by the native labels.
    """

    sim: Any
    plan: ExportPlan
    populations: dict[str, Any]
    projections: dict[str, Any]

    @property
    def notes(self) -> list[str]:
        """Conversions made and behaviour that differs on the target."""
        return self.plan.notes

    def run(self, duration: float) -> "PyNNExport":
        """Run the target for ``duration`` ms."""
        self.sim.run(check_float(duration, "duration", 0.0))
        return self

    def end(self) -> None:
        """Close the simulator (``sim.end()``)."""
        self.sim.end()

    def _population(self, label: str) -> Any:
        if label not in self.populations:
            raise ExportError(f"label must name an exported population, one of {sorted(self.populations)}, "
                              f"got {label!r}")
        return self.populations[label]

    def get_data(self, label: str) -> Any:
        """The target's own Neo block of population ``label`` (its time conventions, not shifted)."""
        return self._population(label).get_data()

    def spikes(self, label: str) -> xr.Dataset:
        """Spikes of population ``label`` in the native layout (``SpikeMonitor.to_xarray()``), native stamps."""
        import xarray as xr

        pop = self._population(label)
        pplan = next(p for p in self.plan.populations if p.label == label)
        if "spikes" not in pplan.record:
            raise ExportError(f"population {label!r} did not record spikes (record them on the native network "
                              f"before exporting)")
        seg = pop.get_data("spikes").segments[-1]
        offset = 0.0 if pplan.is_source else self.plan.spike_time_offset
        times, cells = [], []
        for k, st in enumerate(seg.spiketrains):
            idx = int(st.annotations.get("source_index", k))
            t = np.asarray(st.rescale("ms").magnitude, dtype=float) + offset
            times.append(t)
            cells.append(np.full(t.size, idx, dtype=np.int64))
        t = np.concatenate(times) if times else np.zeros(0)
        i = np.concatenate(cells) if cells else np.zeros(0, np.int64)
        t = np.round(t / self.plan.dt) * self.plan.dt
        order = np.lexsort((i, t))
        return xr.Dataset(
            {"time": ("spike", t[order], {"units": "ms", "long_name": "spike time"}),
             "neuron": ("spike", i[order], {"units": "1", "long_name": f"neuron index in {label}"})},
            attrs={"population": label, "size": pplan.size, "dt": self.plan.dt, "celltype": pplan.celltype,
                   "simulator": self.plan.target, "time_offset_applied": offset},
        )

    def state(self, label: str, variables: Any = None) -> xr.Dataset:
        """Recorded state variables of ``label`` as ``(time, neuron)`` arrays (native layout and stamps)."""
        import xarray as xr

        pop = self._population(label)
        pplan = next(p for p in self.plan.populations if p.label == label)
        recorded = [v for v in pplan.record if v != "spikes"]
        names = recorded if variables is None else ([variables] if isinstance(variables, str) else list(variables))
        for name in names:
            check_choice(name, "variables", recorded)
        seg = pop.get_data(names).segments[-1]
        ds = None
        for sig in seg.analogsignals:
            if sig.name not in names:
                continue
            t = np.asarray(sig.times.rescale("ms").magnitude) + self.plan.spike_time_offset
            keep = t > -1e-9
            ids = sig.array_annotations.get("channel_index", np.arange(sig.shape[1]))
            if ds is None:
                ds = xr.Dataset(coords={"time": ("time", np.round(t[keep] / self.plan.dt) * self.plan.dt,
                                                 {"units": "ms"}), "neuron": np.asarray(ids)})
            ds[sig.name] = (("time", "neuron"), np.asarray(sig.magnitude)[keep],
                            {"units": str(sig.units.dimensionality), "long_name": f"{sig.name} of {label}"})
        ds.attrs.update(population=label, dt=self.plan.dt, simulator=self.plan.target)
        return ds

    def get(self, label: str, attribute: str = "weight") -> np.ndarray:
        """Per-synapse ``"weight"`` (native magnitudes) or ``"delay"`` (ms), sorted by (pre, post).

        Reads the target with ``Projection.get(..., format="list")``.
        """
        check_choice(attribute, "attribute", ("weight", "delay"))
        if label not in self.projections:
            raise ExportError(f"label must name an exported projection, one of {sorted(self.projections)}, "
                              f"got {label!r}")
        proj = self.projections[label]
        plan = next(p for p in self.plan.projections if p.label == label)
        rows = np.asarray(proj.get(attribute, format="list", with_address=True), dtype=float).reshape(-1, 3)
        order = np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))
        values = rows[order, 2]
        if attribute == "weight":
            values = np.abs(values) * plan.readback_scale
        return values

    def addresses(self, label: str) -> tuple[np.ndarray, np.ndarray]:
        """(pre, post) of every synapse of projection ``label`` on the target, sorted."""
        rows = np.asarray(self.projections[label].get("weight", format="list", with_address=True),
                          dtype=float).reshape(-1, 3)
        order = np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))
        return rows[order, 0].astype(np.int64), rows[order, 1].astype(np.int64)


def to_pynn(network: Network, sim: Any, *, setup: bool = True, strict: bool = True, convert_stdp: bool = True,
            **setup_kwargs: Any) -> PyNNExport:
    """Build ``network`` on the PyNN backend module ``sim`` (``pyNN.nest``, ``pyNN.spiNNaker``, ...).

    Parameters
    ----------
    network
        A native network (built first if it has not run, so random
        connectors have drawn their synapses, which are exported as they are).
    sim
        The imported PyNN backend module.
    setup
        Call ``sim.setup(timestep=network.dt, ...)`` first (default).
    strict, convert_stdp
        See :func:`engramsim.hardware.plan.describe`.
    **setup_kwargs
        Extra arguments of ``sim.setup`` (e.g. ``threads=2`` on NEST).

    Returns
    -------
    PyNNExport
    """
    plan = describe(network, target_name(sim), strict=strict, convert_stdp=convert_stdp)
    if setup:
        sim.setup(**{**plan.setup, **setup_kwargs})
    pops: dict[str, Any] = {}
    for p in plan.populations:
        pops[p.label] = _build_population(sim, p)
    projs = {q.label: _build_projection(sim, q, pops) for q in plan.projections}
    return PyNNExport(sim, plan, pops, projs)


def _build_population(sim: Any, p: Any) -> Any:
    if p.celltype == "SpikeSourceArray":
        from pyNN.parameters import Sequence

        times = p.parameters["spike_times"]
        # sPyNNaker takes plain lists, the other backends Sequence objects
        seqs = [list(map(float, t)) if target_name(sim) == "spiNNaker" else Sequence(t) for t in times]
        celltype = sim.SpikeSourceArray(spike_times=seqs)
    else:
        celltype = getattr(sim, p.celltype)(**p.parameters)
    pop = sim.Population(p.size, celltype, label=p.label)
    if p.initial_values:
        pop.initialize(**p.initial_values)
    if p.nest_options:
        import nest

        nest.SetStatus(pop.node_collection, p.nest_options)
    for cur in p.currents:
        if cur[0] == "dc":
            pop.inject(sim.DCSource(amplitude=cur[1]))
        elif cur[0] == "noise":
            pop.inject(sim.NoisyCurrentSource(mean=cur[1], stdev=cur[2], dt=float(sim.get_time_step())))
        else:
            times, amps = cur[1], cur[2]
            for i in range(p.size):
                pop[i:i + 1].inject(sim.StepCurrentSource(times=times, amplitudes=amps[:, i]))
    if p.record:
        pop.record(p.record)
    return pop


def _build_projection(sim: Any, q: Any, pops: dict[str, Any]) -> Any:
    if q.connector == "FromListConnector":
        connector = sim.FromListConnector(q.conn_list, column_names=["weight", "delay"])
        weight = delay = None
    else:
        connector = getattr(sim, q.connector)(**q.connector_args)
        weight, delay = q.weight, q.delay
    kwargs = {} if weight is None else {"weight": weight, "delay": delay}
    if q.stdp is None:
        synapse = sim.StaticSynapse(**kwargs)
    else:
        s = q.stdp
        synapse = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=s["tau_plus"], tau_minus=s["tau_minus"],
                                                A_plus=s["A_plus"], A_minus=s["A_minus"]),
            weight_dependence=sim.AdditiveWeightDependence(w_min=s["w_min"], w_max=s["w_max"]), **kwargs)
    return sim.Projection(pops[q.pre], pops[q.post], connector, synapse, receptor_type=q.receptor_type,
                          label=q.label)


@dataclass(frozen=True)
class SpikeComparison:
    """How two spike tables of one population differ.

    ``identical``: same neurons, same times.  ``matched``: per neuron the same
    number of spikes and every time within ``tolerance`` ms.
    """

    n_a: int
    n_b: int
    identical: bool
    matched: bool
    max_shift: float
    neurons_with_other_counts: int
    tolerance: float
    #: fraction of all spikes (of both tables) with a partner of the same neuron within ``tolerance`` ms
    fraction_within: float

    def as_dict(self) -> dict[str, Any]:
        """The comparison as a plain dict."""
        return dict(vars(self))


def compare_spikes(a: xr.Dataset, b: xr.Dataset, tolerance: float = 0.0) -> SpikeComparison:
    """Compare two spike tables in the native layout (``time``, ``neuron`` along ``spike``).

    Parameters
    ----------
    a, b
        From :meth:`SpikeMonitor.to_xarray` or :meth:`PyNNExport.spikes`.
    tolerance
        Largest time difference (ms) of paired spikes for ``matched``.
    """
    tol = check_float(tolerance, "tolerance", 0.0)
    ta, ia = np.asarray(a["time"]), np.asarray(a["neuron"])
    tb, ib = np.asarray(b["time"]), np.asarray(b["neuron"])
    n_cells = int(max(ia.max(initial=-1), ib.max(initial=-1)) + 1)
    other, shift = 0, 0.0
    for n in range(n_cells):
        xa, xb = np.sort(ta[ia == n]), np.sort(tb[ib == n])
        if xa.size != xb.size:
            other += 1
        elif xa.size:
            shift = max(shift, float(np.max(np.abs(xa - xb))))
    paired = 0
    for n in range(n_cells):
        xa, xb = np.sort(ta[ia == n]), np.sort(tb[ib == n])
        for x, y in ((xa, xb), (xb, xa)):
            if x.size and y.size:
                k = np.clip(np.searchsorted(y, x), 1, y.size)
                near = np.minimum(np.abs(x - y[k - 1]), np.abs(x - y[np.minimum(k, y.size - 1)]))
                paired += int(np.sum(near <= tol + 1e-9))
    total = ta.size + tb.size
    oa, ob = np.lexsort((ia, ta)), np.lexsort((ib, tb))
    identical = ta.size == tb.size and np.array_equal(ia[oa], ib[ob]) and np.allclose(ta[oa], tb[ob], atol=1e-9)
    return SpikeComparison(int(ta.size), int(tb.size), bool(identical), other == 0 and shift <= tol + 1e-9,
                           shift, other, tol, paired / total if total else 1.0)


__all__ = ["PyNNExport", "SpikeComparison", "compare_spikes", "to_pynn"]
