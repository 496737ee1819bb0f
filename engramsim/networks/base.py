"""The memory protocol, and the base class of the models that follow it.

::

    mem = Model(n_neurons=..., backend=..., seed=...)
    mem.store(patterns)          # (P, N) array, validated, never modified
    result = mem.recall(cues)    # (B, N) array -> RecallResult
    mem.energy(states)           # where the model has one

:class:`Memory` is the protocol (a :class:`typing.Protocol`: the common
verbs); :class:`HasEnergy` is an optional capability, stated as such.  The
classical and dense memories (``Hopfield``, ``MultitaskHopfield``,
``DenseAssociativeMemory``, ``ModernHopfield``) follow both;
``SparseyMac`` and ``Sparsey`` follow :class:`Memory` (their ``recall``
returns codes, not cleaned-up patterns).  Models whose verbs mean other
things do not claim it: ``DendriticNeuron`` stores patterns on segments and
answers with overlaps (``match``), ``OuterProductMemory`` stores an
association matrix and ``recall`` maps tokens to classes, the spiking CA3
memory has ``learn``/``recall_by_cue``/``recall_by_content``.

>>> from engramsim.networks import Hopfield
>>> isinstance(Hopfield(8), Memory) and isinstance(Hopfield(8), HasEnergy)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.backends import Backend, get_backend
from engramsim.sim.kernels import CONVERGED, CYCLE, NOT_CONVERGED
from engramsim.sim.persist import Persistent
from engramsim.sim.random import check_seed, draw_seed, stream
from engramsim.sim.validation import check_alphabet_array, check_real_array

if TYPE_CHECKING:  # xarray is imported when a result is converted, not at package import
    import xarray as xr

STATUS_NAMES = {CONVERGED: "fixed_point", CYCLE: "cycle", NOT_CONVERGED: "not_converged"}


@runtime_checkable
class Memory(Protocol):
    """What every memory model offers: a size, ``store`` (returns the model) and ``recall``."""

    n_neurons: int

    def store(self, patterns: Any) -> Any:
        """Learn the patterns (a (P, N) array); return the model."""

    def recall(self, cues: Any) -> Any:
        """Answer a (B, N) array of cues with a result that has ``states`` and ``to_xarray()``."""


@runtime_checkable
class HasEnergy(Protocol):
    """Optional capability: an energy (Lyapunov) function of states."""

    def energy(self, states: Any) -> np.ndarray:
        """Energy of each state of a (B, N) array."""


@dataclass
class RecallResult:
    """What a recall returns.

    Attributes
    ----------
    states : ndarray, shape (B, N)
        Final state of each cue.
    steps : ndarray of int, shape (B,)
        Update rounds performed (synchronous steps, or asynchronous sweeps).
    converged : ndarray of bool, shape (B,)
        True where the run ended in a fixed point.
    status : ndarray of int8, shape (B,)
        0 fixed point, 1 two-cycle, 2 step budget exhausted.
    patterns : ndarray, shape (P, N)
        The stored patterns the overlaps refer to.
    attrs : dict
        Settings of the run (rule, dynamics, seed, backend, ...).
    """

    states: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    status: np.ndarray
    patterns: np.ndarray = field(repr=False)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def overlaps(self) -> np.ndarray:
        """Overlap ``m[b, mu] = states[b] . patterns[mu] / N``, shape (B, P)."""
        n = self.states.shape[1]
        return (self.states.astype(np.float64) @ self.patterns.T.astype(np.float64)) / n

    def overlap_with(self, targets: np.ndarray) -> np.ndarray:
        """Overlap of each final state with its own target, shape (B,)."""
        targets = np.asarray(targets, dtype=np.float64)
        if targets.shape != self.states.shape:
            raise ValidationError(f"targets must have shape {self.states.shape}, got {targets.shape}")
        return np.einsum("bn,bn->b", self.states.astype(np.float64), targets) / self.states.shape[1]

    def to_xarray(self) -> xr.Dataset:
        """Return the result as a Dataset over ``cue``, ``neuron`` and ``pattern``."""
        import xarray as xr

        return xr.Dataset(
            {
                "states": (("cue", "neuron"), self.states),
                "steps": (("cue",), self.steps, {"long_name": "update rounds performed"}),
                "converged": (("cue",), self.converged, {"long_name": "ended in a fixed point"}),
                "status": (("cue",), self.status, {"flag_values": list(STATUS_NAMES),
                                                   "flag_meanings": " ".join(STATUS_NAMES.values())}),
                "overlaps": (("cue", "pattern"), self.overlaps, {"long_name": "overlap with stored pattern"}),
            },
            attrs={k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in self.attrs.items()},
        )


class AssociativeMemory(Persistent):
    """Base class: storage of validated patterns, a backend and seeded streams; ``save``/``load``.

    Parameters
    ----------
    n_neurons
        Number of units N.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.
    seed
        Seed of the model's random streams (an int, a Generator or None).
    """

    #: kernels the model runs (``backend="auto"`` picks a backend that has them all)
    KERNELS: tuple[str, ...] = ()

    #: values a stored pattern may take
    pattern_alphabet: tuple[int, ...] = (-1, 1)
    #: values a state (cue) may take
    state_alphabet: tuple[int, ...] = (-1, 1)

    def __init__(self, n_neurons: int, *, backend: "str | Backend" = "auto", seed: "int | np.random.Generator | None" = None):
        from engramsim.sim.validation import check_int

        self.n_neurons = check_int(n_neurons, "n_neurons", minimum=2)
        self.backend = get_backend(backend, kernels=self.KERNELS)
        check_seed(seed)
        self.seed = seed
        self._patterns = np.zeros((0, self.n_neurons), dtype=np.int8)

    # ----------------------------------------------------------------- inputs
    def _check_patterns(self, patterns: Any, name: str = "patterns") -> np.ndarray:
        arr = check_alphabet_array(patterns, name, self.pattern_alphabet, ndim=(1, 2))
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.n_neurons:
            raise ValidationError(
                f"{name} must have shape (P, {self.n_neurons}) for a network of "
                f"{self.n_neurons} neurons, got shape {arr.shape}"
            )
        return arr

    def _check_states(self, states: Any, name: str = "cues") -> np.ndarray:
        arr = check_alphabet_array(states, name, self.state_alphabet, ndim=(1, 2))
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.n_neurons:
            raise ValidationError(
                f"{name} must have length {self.n_neurons} (the number of neurons) along "
                f"their last axis, got shape {arr.shape}"
            )
        return arr

    def _order_seeds(self, n_states: int, seed: "int | np.random.Generator | None") -> tuple[int, np.ndarray]:
        """Seeds of the asynchronous update order: one drawn seed, and one uint64 per state.

        ``seed`` overrides the model's ``"order"`` stream (which advances with
        each call) for this call.
        """
        if seed is None:
            rng = self._stream("order")
        else:
            check_seed(seed)
            rng = stream(seed, "order")
        order_seed = draw_seed(rng)
        seeds = np.random.default_rng(order_seed).integers(0, 2**63, size=n_states, dtype=np.uint64)
        return order_seed, seeds

    def _stream(self, name: str) -> np.random.Generator:
        """The model's random stream called ``name`` (created on first use)."""
        streams = self.__dict__.setdefault("_streams", {})
        if name not in streams:
            streams[name] = stream(self.seed, name)
        return streams[name]

    # ------------------------------------------------------------- protocol
    @property
    def patterns(self) -> np.ndarray:
        """A copy of the stored patterns, shape (P, N)."""
        return self._patterns.copy()

    @property
    def n_patterns(self) -> int:
        """Number of stored patterns P."""
        return int(self._patterns.shape[0])

    def store(self, patterns: Any) -> "AssociativeMemory":
        """Add ``patterns`` (shape (P, N)) to the memory; returns ``self``."""
        raise NotImplementedError

    def recall(self, cues: Any, **options: Any) -> RecallResult:
        """Run the dynamics from each cue (shape (B, N))."""
        raise NotImplementedError

    def energy(self, states: Any) -> np.ndarray:
        """Energy of each state (shape (B,))."""
        raise NotImplementedError

    def _result(self, states, steps, status, **attrs: Any) -> RecallResult:
        base = {"model": type(self).__name__, "n_neurons": self.n_neurons, "n_patterns": self.n_patterns,
                "backend": self.backend.name, "seed": "none" if self.seed is None else str(self.seed)}
        base.update(attrs)
        status = np.asarray(status, dtype=np.int8)
        return RecallResult(
            states=np.asarray(states),
            steps=np.asarray(steps, dtype=np.int64),
            converged=status == CONVERGED,
            status=status,
            patterns=self._patterns,
            attrs=base,
        )


def check_real_states(states: Any, n_units: int, name: str = "states") -> np.ndarray:
    """Validate continuous states of length ``n_units``; return a (B, n_units) float64 copy."""
    arr = check_real_array(states, name, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.shape[1] != n_units:
        raise ValidationError(f"{name} must have length {n_units} along their last axis, got shape {arr.shape}")
    return arr
