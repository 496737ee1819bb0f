"""Spike sources: ``SpikeSourceArray`` (given times) and ``SpikeSourcePoisson`` (seeded Poisson trains).

Sources have no state and no step kernel: the engine asks each for its
spikes of a block of steps through an emitter drawn on the host, so every
backend sees the same spikes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.random import check_seed, stream
from engramsim.sim.spiking.cells.base import CellType, Parameter
from engramsim.sim.validation import check_real_array

__all__ = ["SpikeSourceArray", "SpikeSourcePoisson"]


class SpikeSourceArray(CellType):
    """Spikes at given times (ms).

    Parameters
    ----------
    spike_times
        One sorted sequence of times shared by every neuron, or a list with one
        sequence per neuron.  A time ``t`` fires in the step ``round(t / dt)``.
    """

    is_source = True

    def __init__(self, spike_times: Any = ()):
        super().__init__()
        self.spike_times = spike_times
        # checked now (finite, >= 0, numbers); the count per neuron is checked against the population's size
        st = spike_times
        ragged = isinstance(st, (list, tuple)) and len(st) > 0 and all(np.ndim(x) == 1 for x in st)
        self.times_per_neuron(len(st) if ragged else 1)

    def times_per_neuron(self, size: int) -> list[np.ndarray]:
        """The spike times of each of ``size`` neurons, checked (fresh arrays)."""
        st = self.spike_times
        ragged = isinstance(st, (list, tuple)) and len(st) > 0 and all(np.ndim(x) == 1 for x in st)
        if ragged:
            if len(st) != size:
                raise ValidationError(f"SpikeSourceArray.spike_times must hold one sequence per neuron "
                                 f"({size}), got {len(st)} sequences")
            seqs = [check_real_array(x, f"spike_times[{i}]", ndim=1, allow_empty=True) for i, x in enumerate(st)]
        else:
            seqs = [check_real_array(st, "spike_times", ndim=1, allow_empty=True)] * size
        for i, seq in enumerate(seqs):
            if np.any(seq < 0):
                raise ValidationError(f"SpikeSourceArray.spike_times must be >= 0 ms, got {float(seq.min())} "
                                 f"(neuron {i})")
        return [s.copy() for s in seqs]

    def updated(self, **changes: Any) -> "SpikeSourceArray":
        """A copy with new ``spike_times`` (the only parameter)."""
        unknown = sorted(set(changes) - {"spike_times"})
        if unknown:
            raise ValidationError(f"SpikeSourceArray has no parameter(s) {unknown}; its parameter is spike_times")
        return SpikeSourceArray(changes.get("spike_times", self.spike_times))

    def emitter(self, population: Any, dt: float, network_seed: Any) -> "_ArrayEmitter":
        steps = [np.unique(np.rint(t / dt).astype(np.int64)) for t in self.times_per_neuron(population.size)]
        return _ArrayEmitter(steps)


class _ArrayEmitter:
    def __init__(self, steps: list[np.ndarray]):
        self.cells = np.concatenate([np.full(s.size, i, np.int64) for i, s in enumerate(steps)]) if steps else \
            np.zeros(0, np.int64)
        self.steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)

    def events(self, first: int, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        sel = (self.steps >= first) & (self.steps < first + n_steps)
        return self.steps[sel] - first, self.cells[sel]


class SpikeSourcePoisson(CellType):
    """Independent Poisson spike trains: each step fires with probability ``rate * dt / 1000``.

    Parameters
    ----------
    rate
        Hz (scalar or per neuron).
    start, duration
        ms; the source is active in ``[start, start + duration)``.
    seed
        Seed or Generator of this source's own stream (``None``: derived from
        the network's seed and the population's label).
    """

    parameters_spec = {
        "rate": Parameter(1.0, "Hz", "firing rate", "non_negative"),
        "start": Parameter(0.0, "ms", "start of activity", "non_negative"),
        "duration": Parameter(1e10, "ms", "length of activity", "non_negative"),
    }
    is_source = True

    def __init__(self, seed: Any = None, **parameters: Any):
        check_seed(seed)
        self.seed = seed
        super().__init__(**parameters)

    def emitter(self, population: Any, dt: float, network_seed: Any) -> "_PoissonEmitter":
        seed = self.seed
        rng = stream(seed, "poisson") if seed is not None else stream(network_seed, f"poisson:{population.label}")
        size = population.size
        return _PoissonEmitter(rng, dt, self.per_neuron("rate", size), self.per_neuron("start", size),
                               self.per_neuron("duration", size))


class _PoissonEmitter:
    def __init__(self, rng: np.random.Generator, dt: float, rate: np.ndarray, start: np.ndarray,
                 duration: np.ndarray):
        self.rng, self.dt, self.rate, self.start, self.duration = rng, dt, rate, start, duration

    def events(self, first: int, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        draws = self.rng.random((n_steps, self.rate.size))
        times = (first + np.arange(n_steps))[:, None] * self.dt
        fire = (draws < self.rate * self.dt / 1000.0) & (times >= self.start) & (times < self.start + self.duration)
        s, c = np.nonzero(fire)
        return s.astype(np.int64), c.astype(np.int64)
