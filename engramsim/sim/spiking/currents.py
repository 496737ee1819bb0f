"""Injected currents (nA): constant, white noise (generated inside the kernels), or given step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.random import as_generator, check_seed, draw_seed
from engramsim.sim.spiking.cells.base import check_parameter as _check_parameter
from engramsim.sim.spiking.noise_numpy import counter_normals
from engramsim.sim.validation import check_real_array

__all__ = ["ArrayCurrentSource", "CurrentSource", "DCSource", "NoisyCurrentSource"]


class CurrentSource:
    """Base class of injected currents (nA).  Subclasses draw a block of steps at a time."""

    def values(self, first_step: int, n_steps: int, size: int, dt: float) -> np.ndarray:
        """Currents (nA) of steps ``first_step .. first_step + n_steps - 1``: shape (n_steps, size)."""
        raise NotImplementedError


class DCSource(CurrentSource):
    """A constant current ``amplitude`` nA (scalar or per neuron), always on."""

    def __init__(self, amplitude: Any = 0.0):
        self.amplitude = _check_parameter(amplitude, "DCSource.amplitude")

    def values(self, first_step: int, n_steps: int, size: int, dt: float) -> np.ndarray:
        amp = np.broadcast_to(np.asarray(self.amplitude, dtype=np.float64), (size,))
        return np.broadcast_to(amp, (n_steps, size)).copy()


class NoisyCurrentSource(CurrentSource):
    """White noise: a fresh ``mean + stdev * z`` nA, ``z ~ N(0, 1)``, for every neuron and step.

    The noise is not scaled with ``dt`` (as in Izhikevich's program).  The
    deviates come from a counter-based generator: ``z`` of neuron ``i`` at
    step ``t`` is deviate number ``t * size + i`` of this source's key (a
    splitmix64 hash of the key and that number, turned into a normal deviate
    by a ziggurat; see :mod:`engramsim.sim.spiking.noise_numpy`).  It
    depends on nothing else, so the values do not depend on the backend or
    on how a run is split into pieces, and the compiled kernels generate
    them in the simulation loop instead of reading an array drawn here.

    Parameters
    ----------
    mean, stdev
        nA (scalars or per neuron).
    seed
        Seed or Generator from which the key is drawn; ``None`` derives one
        from the network's seed.
    """

    def __init__(self, mean: Any = 0.0, stdev: Any = 1.0, seed: Any = None):
        check_seed(seed)
        self.mean = _check_parameter(mean, "NoisyCurrentSource.mean")
        self.stdev = _check_parameter(stdev, "NoisyCurrentSource.stdev")
        if np.any(np.asarray(self.stdev) < 0):
            raise ValidationError(f"NoisyCurrentSource.stdev must be >= 0, got {self.stdev!r}")
        self.seed = seed
        self._key: int | None = None

    def bind(self, rng: np.random.Generator) -> None:
        """Draw the key from ``seed``, or from ``rng`` when no seed was given (called by the network)."""
        self._key = draw_seed(as_generator(self.seed) if self.seed is not None else rng)

    @property
    def key(self) -> int:
        """The generator key (drawn on first use when the source was not bound to a network)."""
        if self._key is None:
            self.bind(as_generator(None))
        return self._key

    def values(self, first_step: int, n_steps: int, size: int, dt: float) -> np.ndarray:
        z = counter_normals(self.key, first_step, n_steps, size)
        return np.asarray(self.mean) + np.asarray(self.stdev) * z


class ArrayCurrentSource(CurrentSource):
    """Currents given step by step: ``amplitudes[k, i]`` nA into neuron ``i`` at step ``k``.

    Use it to feed pre-drawn noise shared with another simulator.  A run that
    goes past the last row is an error.
    """

    def __init__(self, amplitudes: Any):
        self.amplitudes = check_real_array(amplitudes, "amplitudes", ndim=2)

    def values(self, first_step: int, n_steps: int, size: int, dt: float) -> np.ndarray:
        if self.amplitudes.shape[1] != size:
            raise ValidationError(f"ArrayCurrentSource.amplitudes must have {size} columns (the population size), "
                             f"got shape {self.amplitudes.shape}")
        if first_step + n_steps > self.amplitudes.shape[0]:
            raise ValidationError(f"ArrayCurrentSource holds {self.amplitudes.shape[0]} steps; the run needs "
                             f"{first_step + n_steps}")
        return self.amplitudes[first_step:first_step + n_steps].copy()


