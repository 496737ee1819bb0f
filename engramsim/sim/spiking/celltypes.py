"""Cell types and current sources, named and parameterised as PyNN's standard cells.

Units follow PyNN: time in ms, voltage in mV, current in nA, capacitance in
nF.  Every cell type states its update scheme (see :mod:`engramsim.sim.spiking`
and ``docs/models/izhikevich.md``):

* :class:`IF_curr_exp` steps with sPyNNaker's exact exponential update.
* :class:`Izhikevich` offers the published 2003 half-step scheme and Euler;
  its synapses are voltage jumps (weights in mV), as in PyNN.
* :class:`SpikeSourceArray` and :class:`SpikeSourcePoisson` emit spikes and
  have no state.

A parameter may be a scalar or a 1-D array with one value per neuron; arrays
are checked against the population size when the population is made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from engramsim.sim.random import as_generator, check_seed, draw_seed
from engramsim.sim.spiking.kernels_numpy import counter_normals
from engramsim.sim.validation import check_choice, check_real_array

#: model current per nA for the Izhikevich equation (PyNN divides by a 1 pF capacitance)
IZHIKEVICH_CURRENT_SCALE = 1000.0


class CellType:
    """Base class: named parameters with defaults, units and initial values.

    Parameters
    ----------
    **parameters
        Values overriding ``default_parameters``; unknown names are an error.
    """

    default_parameters: ClassVar[dict[str, float]] = {}
    units: ClassVar[dict[str, str]] = {}
    default_initial_values: ClassVar[dict[str, float]] = {}
    #: state variables a StateMonitor can record
    recordable: ClassVar[tuple[str, ...]] = ()
    #: parameters that must be strictly positive
    positive: ClassVar[tuple[str, ...]] = ()
    #: parameters that must be >= 0
    non_negative: ClassVar[tuple[str, ...]] = ()
    is_source: ClassVar[bool] = False

    def __init__(self, **parameters: Any):
        unknown = sorted(set(parameters) - set(self.default_parameters))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no parameter(s) {unknown}; "
                f"its parameters are {sorted(self.default_parameters)}"
            )
        self.parameters: dict[str, Any] = dict(self.default_parameters)
        for name, value in parameters.items():
            self.parameters[name] = _check_parameter(value, f"{type(self).__name__}.{name}")
        for name in self.positive + self.non_negative:
            value = np.asarray(self.parameters[name])
            if name in self.positive and np.any(value <= 0):
                raise ValueError(f"{type(self).__name__}.{name} must be > 0, got {_show(value)}")
            if np.any(value < 0):
                raise ValueError(f"{type(self).__name__}.{name} must be >= 0, got {_show(value)}")

    def per_neuron(self, name: str, size: int) -> np.ndarray:
        """Parameter ``name`` as a float64 array of length ``size`` (a fresh copy)."""
        value = np.asarray(self.parameters[name], dtype=np.float64)
        if value.ndim == 0:
            return np.full(size, float(value))
        if value.shape != (size,):
            raise ValueError(
                f"{type(self).__name__}.{name} must be a scalar or have shape ({size},) "
                f"(the population size), got an array of shape {value.shape}"
            )
        return value.copy()

    def check_size(self, size: int) -> None:
        """Raise ValueError when an array parameter does not have ``size`` entries."""
        for name in self.default_parameters:
            self.per_neuron(name, size)

    def __repr__(self) -> str:
        shown = {k: (v if np.ndim(v) == 0 else f"array{np.shape(v)}") for k, v in self.parameters.items()}
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in shown.items())})"


def _show(value: np.ndarray) -> str:
    return repr(float(value)) if value.ndim == 0 else f"an array with minimum {float(value.min())!r}"


def _check_parameter(value: Any, name: str) -> Any:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r}")
    if np.ndim(value) == 0:
        if not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a real number or an array of them, got {type(value).__name__} {value!r}")
        if not math.isfinite(float(value)):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return float(value)
    return check_real_array(value, name, ndim=1)


class IF_curr_exp(CellType):  # noqa: N801 (PyNN's name)
    """Leaky integrate-and-fire cell with exponential current synapses.

    The update is sPyNNaker's (``neuron_model_lif_impl.h``,
    ``exp_synapse_utils.h``), per time step ``dt``:

    * arriving weights ``W`` (nA) enter the synaptic current as
      ``I_syn += W * (tau_syn/dt) * (1 - exp(-dt/tau_syn))``;
    * outside the refractory period the membrane takes the closed-form step
      ``V <- alpha - exp(-dt/tau_m) * (alpha - V)`` with
      ``alpha = v_rest + I * tau_m / cm`` and
      ``I = I_exc - I_inh + i_offset + injected``;
    * ``V >= v_thresh`` spikes: ``V <- v_reset`` and the membrane is frozen for
      ``ceil(tau_refrac/dt)`` steps;
    * the synaptic currents then decay by ``exp(-dt/tau_syn)``.
    """

    default_parameters = {
        "cm": 1.0, "tau_m": 20.0, "tau_refrac": 0.1, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
        "i_offset": 0.0, "v_reset": -65.0, "v_rest": -65.0, "v_thresh": -50.0,
    }
    units = {"cm": "nF", "tau_m": "ms", "tau_refrac": "ms", "tau_syn_E": "ms", "tau_syn_I": "ms",
             "i_offset": "nA", "v_reset": "mV", "v_rest": "mV", "v_thresh": "mV",
             "v": "mV", "isyn_exc": "nA", "isyn_inh": "nA"}
    default_initial_values = {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0}
    recordable = ("v", "isyn_exc", "isyn_inh")
    positive = ("cm", "tau_m", "tau_syn_E", "tau_syn_I")
    non_negative = ("tau_refrac",)


class Izhikevich(CellType):
    """Izhikevich (2003) cell with voltage-jump synapses.

    ``dv/dt = 0.04 v^2 + 5 v + 140 - u + I``, ``du/dt = a (b v - u)``; ``v >= 30``
    spikes, then ``v <- c`` and ``u <- u + d``.  ``I`` is ``1000 * (i_offset +
    injected)`` with currents in nA (PyNN divides by a 1 pF capacitance).

    Parameters
    ----------
    scheme
        ``"izhikevich2003"`` (the published program: with ``dt = 1`` two
        half-steps ``v += dt/2 * (...)`` with ``u`` and ``I`` held, then
        ``u += dt * a (b v - u)`` with the new ``v``; synaptic input enters
        both half-steps as a current of its weight, so a weight ``w`` mV is a
        1 ms pulse) or ``"euler"`` (forward Euler on the old ``v`` and ``u``,
        synaptic weights added to ``v`` as jumps of ``w`` mV).
    **parameters
        ``a`` (1/ms), ``b`` (1/ms), ``c`` (mV), ``d`` (mV/ms), ``i_offset`` (nA).
    """

    default_parameters = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0, "i_offset": 0.0}
    units = {"a": "1/ms", "b": "1/ms", "c": "mV", "d": "mV/ms", "i_offset": "nA", "v": "mV", "u": "mV/ms"}
    default_initial_values = {"v": -70.0, "u": -14.0}
    recordable = ("v", "u")
    SCHEMES = ("izhikevich2003", "euler")
    THRESHOLD = 30.0

    def __init__(self, scheme: str = "izhikevich2003", **parameters: Any):
        check_choice(scheme, "scheme", self.SCHEMES)
        self.scheme = scheme
        super().__init__(**parameters)


class SpikeSourceArray(CellType):
    """Spikes at given times (ms).

    Parameters
    ----------
    spike_times
        One sorted sequence of times shared by every neuron, or a list with one
        sequence per neuron.  A time ``t`` fires in the step ``round(t / dt)``.
    """

    default_parameters: ClassVar[dict[str, float]] = {}
    is_source = True

    def __init__(self, spike_times: Any = ()):
        super().__init__()
        self.spike_times = spike_times

    def times_per_neuron(self, size: int) -> list[np.ndarray]:
        """The spike times of each of ``size`` neurons, checked (fresh arrays)."""
        st = self.spike_times
        ragged = isinstance(st, (list, tuple)) and len(st) > 0 and all(np.ndim(x) == 1 for x in st)
        if ragged:
            if len(st) != size:
                raise ValueError(f"SpikeSourceArray.spike_times must hold one sequence per neuron "
                                 f"({size}), got {len(st)} sequences")
            seqs = [check_real_array(x, f"spike_times[{i}]", ndim=1, allow_empty=True) for i, x in enumerate(st)]
        else:
            seqs = [check_real_array(st, "spike_times", ndim=1, allow_empty=True)] * size
        for i, seq in enumerate(seqs):
            if np.any(seq < 0):
                raise ValueError(f"SpikeSourceArray.spike_times must be >= 0 ms, got {float(seq.min())} "
                                 f"(neuron {i})")
        return [s.copy() for s in seqs]


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

    default_parameters = {"rate": 1.0, "start": 0.0, "duration": 1e10}
    units = {"rate": "Hz", "start": "ms", "duration": "ms"}
    non_negative = ("rate", "start", "duration")
    is_source = True

    def __init__(self, seed: Any = None, **parameters: Any):
        check_seed(seed)
        self.seed = seed
        super().__init__(**parameters)


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
    by a ziggurat; see :mod:`engramsim.sim.spiking.kernels_numpy`).  It
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
            raise ValueError(f"NoisyCurrentSource.stdev must be >= 0, got {self.stdev!r}")
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
            raise ValueError(f"ArrayCurrentSource.amplitudes must have {size} columns (the population size), "
                             f"got shape {self.amplitudes.shape}")
        if first_step + n_steps > self.amplitudes.shape[0]:
            raise ValueError(f"ArrayCurrentSource holds {self.amplitudes.shape[0]} steps; the run needs "
                             f"{first_step + n_steps}")
        return self.amplitudes[first_step:first_step + n_steps].copy()


CELL_TYPES: Mapping[str, type[CellType]] = {
    c.__name__: c for c in (IF_curr_exp, Izhikevich, SpikeSourceArray, SpikeSourcePoisson)
}
