"""Monitors: spikes and state variables of a population, as xarray objects or Neo.

* :class:`SpikeMonitor` — ``to_xarray()`` gives the ragged table (one row per
  spike: ``time`` in ms, ``neuron``), ``raster()`` a boolean ``(time, neuron)``
  DataArray, ``to_neo()`` a :class:`neo.Block` like PyNN's ``get_data()``.
* :class:`StateMonitor` — ``to_xarray()`` gives one ``(time, neuron)``
  variable per recorded state variable, sampled after each step's update
  (and reset).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.validation import check_real_array

if TYPE_CHECKING:  # imported where a monitor is converted, not at package import
    import xarray as xr


class Monitor:
    """Base class: a recorder attached to one population."""

    kind = ""

    def __init__(self, population: Any):
        from engramsim.sim.spiking.network import Population

        if not isinstance(population, Population):
            raise ValidationTypeError(f"population must be a Population, got {type(population).__name__}")
        self.population = population
        population.monitors.append(self)
        if population.network is not None:
            population.network.add(self)

    def collect(self, first_step: int, spikes: tuple[np.ndarray, np.ndarray], states: np.ndarray) -> None:
        """Take a block of recordings from the engine.

        ``spikes`` is ``(ptr, idx)``: the global cells that spiked at block
        step ``s`` are ``idx[ptr[s]:ptr[s + 1]]``, in ascending order.
        ``states[s]`` holds every recorded state value after step ``s``; a
        state monitor's values start at its column ``slot`` (set by the
        engine), variable by variable, each over the monitor's cells.
        """
        raise NotImplementedError

    def clear(self) -> None:
        """Forget what was recorded (PyNN's ``reset`` does this)."""
        raise NotImplementedError

    @property
    def dt(self) -> float:
        return self.population.network.dt


class SpikeMonitor(Monitor):
    """Records every spike of ``population``."""

    kind = "spikes"

    def __init__(self, population: Any):
        super().__init__(population)
        self.clear()

    def clear(self) -> None:
        self._steps: list[np.ndarray] = []
        self._cells: list[np.ndarray] = []
        self.n_steps = 0

    def collect(self, first_step, spikes, states):
        pop = self.population
        ptr, idx = spikes
        n_block = ptr.size - 1
        steps = np.repeat(np.arange(first_step, first_step + n_block, dtype=np.int64), np.diff(ptr))
        mine = (idx >= pop.first_index) & (idx < pop.first_index + pop.size)
        self._steps.append(steps[mine])
        self._cells.append(idx[mine].astype(np.int64) - pop.first_index)
        self.n_steps = first_step + n_block

    @property
    def steps(self) -> np.ndarray:
        """Step index of each spike, sorted by (step, neuron)."""
        return np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)

    @property
    def neurons(self) -> np.ndarray:
        """Neuron index (within the population) of each spike."""
        return np.concatenate(self._cells) if self._cells else np.zeros(0, np.int64)

    @property
    def times(self) -> np.ndarray:
        """Spike times (ms): the start of the step in which the cell crossed threshold."""
        return self.steps * self.dt if self._steps else np.zeros(0)

    def spike_trains(self) -> list[np.ndarray]:
        """Spike times (ms) of each neuron."""
        steps, cells = self.steps, self.neurons
        return [steps[cells == i] * self.dt for i in range(self.population.size)]

    def counts(self) -> np.ndarray:
        """Number of spikes of each neuron."""
        return np.bincount(self.neurons, minlength=self.population.size)

    def to_xarray(self) -> xr.Dataset:
        """The ragged spike table: variables ``time`` (ms) and ``neuron`` along dimension ``spike``."""
        import xarray as xr

        pop = self.population
        return xr.Dataset(
            {"time": ("spike", self.times, {"units": "ms", "long_name": "spike time"}),
             "neuron": ("spike", self.neurons, {"units": "1", "long_name": f"neuron index in {pop.label}"})},
            attrs={"population": pop.label, "size": pop.size, "dt": self.dt, "duration": self.n_steps * self.dt,
                   "celltype": type(pop.celltype).__name__},
        )

    def raster(self) -> xr.DataArray:
        """Boolean ``(time, neuron)`` raster over every recorded step."""
        import xarray as xr

        pop = self.population
        data = np.zeros((self.n_steps, pop.size), dtype=bool)
        data[self.steps, self.neurons] = True
        return xr.DataArray(data, dims=("time", "neuron"),
                            coords={"time": ("time", np.arange(self.n_steps) * self.dt, {"units": "ms"}),
                                    "neuron": np.arange(pop.size)},
                            name="spikes", attrs={"long_name": f"spikes of {pop.label}", "units": "1"})

    def to_neo(self):
        """A :class:`neo.Block` with one Segment holding one SpikeTrain per neuron (PyNN's layout)."""
        return to_neo([self])

    def _add_to_segment(self, seg) -> None:
        import neo
        import quantities as pq

        pop = self.population
        t_stop = max(self.n_steps * self.dt, self.dt)
        for i, times in enumerate(self.spike_trains()):
            st = neo.SpikeTrain(times * pq.ms, t_start=0.0 * pq.ms, t_stop=t_stop * pq.ms,
                                source_population=pop.label, source_id=i, channel_id=i)
            st.annotate(source_index=i)
            seg.spiketrains.append(st)


class StateMonitor(Monitor):
    """Records state variables of some cells of ``population`` at every step.

    Parameters
    ----------
    population
        A population of cells with state (not a spike source).
    variables
        Names from the cell type's ``recordable`` (e.g. ``"v"``, ``"u"``).
    indices
        Cells to record (default: all).
    """

    kind = "state"

    def __init__(self, population: Any, variables: Any, indices: Any = None):
        ct = population.celltype
        names = [variables] if isinstance(variables, str) else list(variables)
        for name in names:
            if name not in ct.recordable:
                raise ValidationError(f"variables: {type(ct).__name__} cannot record {name!r}; recordable: "
                                 f"{['spikes', *ct.recordable]}")
        if indices is None:
            idx = np.arange(population.size)
        else:
            values = check_real_array(indices, "indices", ndim=1)
            if np.any(values != np.round(values)):
                raise ValidationError(f"indices must be whole cell numbers, got {values[values != np.round(values)][:3]}")
            idx = values.astype(np.int64)
            if np.any(idx < 0) or np.any(idx >= population.size):
                raise ValidationError(f"indices must lie in [0, {population.size}), got {idx.min()}..{idx.max()}")
        super().__init__(population)
        self.variables = names
        self.indices = idx
        self.slot: int | None = None
        self.clear()

    def clear(self) -> None:
        self._blocks: list[np.ndarray] = []
        self.first_step = None

    def collect(self, first_step, spikes, states):
        n_values = len(self.variables) * self.indices.size
        if self.first_step is None:
            self.first_step = first_step
        block = states[:, self.slot:self.slot + n_values]
        self._blocks.append(block.reshape(states.shape[0], len(self.variables), self.indices.size).copy())

    def to_xarray(self) -> xr.Dataset:
        """One ``(time, neuron)`` variable per recorded state variable, with units."""
        import xarray as xr

        ct = self.population.celltype
        order = self.variables
        data = np.concatenate(self._blocks) if self._blocks else np.zeros((0, len(order), self.indices.size))
        times = (np.arange(data.shape[0]) + (self.first_step or 0)) * self.dt
        ds = xr.Dataset(coords={"time": ("time", times, {"units": "ms"}), "neuron": self.indices})
        for name in self.variables:
            ds[name] = (("time", "neuron"), data[:, order.index(name), :],
                        {"units": ct.units.get(name, "1"), "long_name": f"{name} of {self.population.label}"})
        ds.attrs.update(population=self.population.label, dt=self.dt)
        return ds

    def _add_to_segment(self, seg) -> None:
        import neo
        import quantities as pq

        ds = self.to_xarray()
        ct = self.population.celltype
        for name in self.variables:
            sig = neo.AnalogSignal(ds[name].values, units=_neo_units(ct.units.get(name, "1")),
                                   sampling_period=self.dt * pq.ms, t_start=float(ds["time"].values[0]
                                                                                   if ds.sizes["time"] else 0.0) * pq.ms,
                                   name=name, source_population=self.population.label)
            sig.array_annotate(channel_index=self.indices.copy())
            seg.analogsignals.append(sig)

    def to_neo(self):
        """A :class:`neo.Block` with one AnalogSignal (time x recorded cells) per variable (PyNN's layout)."""
        return to_neo([self])


def _neo_units(units: str) -> str:
    return {"1": "dimensionless", "mV/ms": "mV/ms", "1/ms": "1/ms"}.get(units, units)


def to_neo(monitors: list[Monitor], name: str | None = None):
    """One :class:`neo.Block` with one Segment holding what ``monitors`` recorded (PyNN's ``get_data`` layout)."""
    import neo

    block = neo.Block(name=name or (monitors[0].population.label if monitors else None))
    seg = neo.Segment(name="segment000")
    block.segments.append(seg)
    for m in monitors:
        m._add_to_segment(seg)
    return block
