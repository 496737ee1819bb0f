"""Active dendrites: sparse patterns recognised by thresholded dendritic segments.

A sparse distributed representation (SDR) is a binary pattern over ``n``
cells with ``a`` of them active.  A dendritic segment holds synapses onto a
set of presynaptic cells; it is *active* (emits an NMDA spike) when at least
``theta`` of its connected synapses see an active cell.  A neuron has many
segments and fires when any one is active.  Ahmad & Hawkins (2016) derive
how reliably such a segment recognises the pattern it was grown on, and how
rarely a random pattern matches it; :mod:`engramsim.experiments.theory`
holds those formulas, and the Monte-Carlo estimators here measure the same
quantities on bit-packed SDRs (kernels ``sdr_*`` of every backend).

Segment semantics follow ``htm.core`` (``Connections.cpp``, TemporalMemory
defaults): a synapse is *connected* when its permanence is at least
``connected_permanence - EPSILON``; a segment is *active* when its active
connected synapses reach ``activation_threshold`` and *matching* when its
active potential synapses (any permanence) reach ``min_threshold``.

References
----------
S. Ahmad & J. Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active
dendrites", arXiv 1601.00720 (2016).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engramsim.sim.backends import Backend, get_backend
from engramsim.sim.kernels.sdr_numpy import pack
from engramsim.sim.persist import Persistent
from engramsim.sim.random import as_generator, check_seed, draw_seed, stream
from engramsim.errors import ValidationError
from engramsim.sim.validation import (
    check_alphabet_array,
    check_count,
    check_elements,
    check_work,
    check_float,
    check_int,
    check_real_array,
)

#: tolerance of the connected test, as ``htm::Epsilon`` in htm.core
EPSILON = 1e-6

#: htm.core TemporalMemory defaults used here
CONNECTED_PERMANENCE = 0.50
ACTIVATION_THRESHOLD = 13
MIN_THRESHOLD = 10
INITIAL_PERMANENCE = 0.21
PERMANENCE_INCREMENT = 0.10
PERMANENCE_DECREMENT = 0.10
MAX_NEW_SYNAPSE_COUNT = 20

#: the SDR kernels (host kernels: NumPy reference and Numba twins)
SDR_KERNELS = ("sdr_overlap", "sdr_match_histogram", "sdr_noise_histogram", "sdr_union_histogram")


def sdr_kernel(name: str, backend: str | Backend = "auto"):
    """Kernel ``name`` (``sdr_overlap``, ``sdr_match_histogram``, ...) of ``backend``.

    The SDR kernels run on the host: ``"cupy"`` uses the Numba kernels.
    """
    backend = get_backend(backend, kernels=SDR_KERNELS)
    if backend.name == "cupy":
        backend = get_backend("numba")
    return backend.kernel(name)


# ----------------------------------------------------------------------------- SDRs
def _check_sdrs(sdrs: Any, name: str, n: int | None = None) -> np.ndarray:
    """A boolean (P, n) copy of binary patterns (a 1-D pattern becomes one row).

    Booleans and the numbers 0 and 1 are accepted.
    """
    if isinstance(sdrs, np.ndarray) and sdrs.dtype == bool:
        sdrs = sdrs.view(np.uint8)
    elif isinstance(sdrs, (list, tuple)):
        probe = np.asarray(sdrs, dtype=object)
        if probe.size and all(isinstance(x, (bool, np.bool_)) for x in probe.flat):
            sdrs = probe.astype(np.uint8)
    arr = check_alphabet_array(sdrs, name, (0, 1), ndim=(1, 2), dtype=bool)
    if arr.ndim == 1:
        arr = arr[None, :]
    if n is not None and arr.shape[1] != n:
        raise ValidationError(f"{name} must have {n} cells along their last axis, got shape {arr.shape}")
    return arr


def random_sdrs(count: int, n: int, a: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """``count`` random SDRs over ``n`` cells with exactly ``a`` active cells each.

    Each row is uniform over the ``C(n, a)`` patterns, independently.

    Returns
    -------
    (count, n) bool
    """
    count = check_int(count, "count", minimum=0)
    n = check_int(n, "n", minimum=1)
    a = check_int(a, "a", minimum=0, maximum=n)
    check_elements("count * n", count, n)
    rng = as_generator(seed)
    out = np.zeros((count, n), dtype=bool)
    for row in out:
        row[rng.choice(n, size=a, replace=False)] = True
    return out


def add_noise(sdrs: Any, v: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Replace ``v`` active cells of every SDR by ``v`` cells that were inactive.

    The number of active cells is kept; the moved cells are chosen uniformly
    among the active ones, their new places uniformly among the inactive ones.

    Parameters
    ----------
    sdrs : (P, n) or (n,) array of 0/1
        Never modified.
    v : int
        Cells to move, at most the number active and the number inactive in
        every row.

    Returns
    -------
    (P, n) bool
    """
    arr = _check_sdrs(sdrs, "sdrs")
    v = check_int(v, "v", minimum=0)
    rng = as_generator(seed)
    for row in arr:
        on, off = np.flatnonzero(row), np.flatnonzero(~row)
        if v > min(on.size, off.size):
            raise ValidationError(f"v must be <= the active ({on.size}) and inactive ({off.size}) cells of "
                                  f"every pattern, got v={v}")
        row[rng.choice(on, size=v, replace=False)] = False
        row[rng.choice(off, size=v, replace=False)] = True
    return arr


def subsample(sdr: Any, s: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """``s`` of the active cells of one SDR, chosen uniformly (sorted cell indices)."""
    row = _check_sdrs(sdr, "sdr")
    if row.shape[0] != 1:
        raise ValidationError(f"sdr must be a single pattern, got shape {np.shape(sdr)}")
    on = np.flatnonzero(row[0])
    s = check_int(s, "s", minimum=0)
    if s > on.size:
        raise ValidationError(f"s must be <= the number of active cells ({on.size}), got {s}")
    return np.sort(as_generator(seed).choice(on, size=s, replace=False))


# ----------------------------------------------------------------------------- segments
class Segment:
    """A dendritic segment with htm.core semantics.

    Parameters
    ----------
    n_cells
        Number of presynaptic cells ``n``.
    presynaptic
        Distinct cell indices in ``[0, n_cells)``, one per synapse.
    permanences
        Permanence of each synapse in ``[0, 1]`` (default: all 1.0, i.e.
        connected).
    connected_permanence
        A synapse is connected when its permanence is ``>=
        connected_permanence - EPSILON``.
    activation_threshold
        Active connected synapses needed for the segment to be active
        (``theta``).
    min_threshold
        Active potential synapses needed for the segment to be matching.

    Examples
    --------
    >>> seg = Segment(10, [1, 2, 3], [0.5, 0.2, 0.9], activation_threshold=2, min_threshold=1)
    >>> seg.n_connected
    2
    >>> cue = np.zeros(10, dtype=bool); cue[[1, 3]] = True
    >>> bool(seg.is_active(cue)[0]), bool(seg.is_matching(cue)[0])
    (True, True)
    """

    def __init__(
        self,
        n_cells: int,
        presynaptic: Any,
        permanences: Any = None,
        *,
        connected_permanence: float = CONNECTED_PERMANENCE,
        activation_threshold: int = ACTIVATION_THRESHOLD,
        min_threshold: int = MIN_THRESHOLD,
    ):
        self.n_cells = check_int(n_cells, "n_cells", minimum=1, maximum=2**32 - 1)
        check_elements("n_cells (the dense cell masks)", self.n_cells)
        cells = check_real_array(presynaptic, "presynaptic", ndim=1, dtype=np.float64, allow_empty=True)
        if np.any(cells != np.round(cells)) or np.any(cells < 0) or np.any(cells >= self.n_cells):
            raise ValidationError(f"presynaptic must hold integer cell indices in [0, {self.n_cells}), "
                                  f"got values from {cells.min():g} to {cells.max():g}")
        cells = cells.astype(np.int64)
        if np.unique(cells).size != cells.size:
            raise ValidationError("presynaptic must not repeat a cell (htm.core keeps one synapse per cell)")
        if permanences is None:
            perms = np.ones(cells.size)
        else:
            perms = check_real_array(permanences, "permanences", shape=(cells.size,), allow_empty=True)
            if np.any((perms < 0) | (perms > 1)):
                raise ValidationError(f"permanences must lie in [0, 1], got values from {perms.min():g} "
                                      f"to {perms.max():g}")
        self.presynaptic = cells
        self.permanences = perms
        self.connected_permanence = check_float(connected_permanence, "connected_permanence", 0.0, 1.0)
        self.activation_threshold = check_int(activation_threshold, "activation_threshold", minimum=0)
        self.min_threshold = check_int(min_threshold, "min_threshold", minimum=0)

    def __repr__(self) -> str:
        return (f"Segment(n_cells={self.n_cells}, synapses={self.n_synapses}, connected={self.n_connected}, "
                f"activation_threshold={self.activation_threshold})")

    @property
    def n_synapses(self) -> int:
        """Number of (potential) synapses."""
        return int(self.presynaptic.size)

    @property
    def connected(self) -> np.ndarray:
        """Boolean mask of connected synapses (permanence >= connected_permanence - EPSILON)."""
        return self.permanences >= self.connected_permanence - EPSILON

    @property
    def n_connected(self) -> int:
        """Number of connected synapses (the theory's ``s``)."""
        return int(self.connected.sum())

    @property
    def connected_cells(self) -> np.ndarray:
        """Presynaptic cells of the connected synapses."""
        return self.presynaptic[self.connected]

    def connected_mask(self) -> np.ndarray:
        """Packed uint64 mask of the connected presynaptic cells."""
        dense = np.zeros(self.n_cells, dtype=bool)
        dense[self.connected_cells] = True
        return pack(dense)

    def active_synapses(self, cues: Any) -> tuple[np.ndarray, np.ndarray]:
        """Active connected and active potential synapses for each cue.

        Parameters
        ----------
        cues : (B, n) or (n,) array of 0/1

        Returns
        -------
        connected, potential : (B,) int64
        """
        arr = _check_sdrs(cues, "cues", self.n_cells)
        hits = arr[:, self.presynaptic]
        return hits[:, self.connected].sum(axis=1, dtype=np.int64), hits.sum(axis=1, dtype=np.int64)

    def is_active(self, cues: Any) -> np.ndarray:
        """True where at least ``activation_threshold`` connected synapses are active."""
        return self.active_synapses(cues)[0] >= self.activation_threshold

    def is_matching(self, cues: Any) -> np.ndarray:
        """True where at least ``min_threshold`` potential synapses are active."""
        return self.active_synapses(cues)[1] >= self.min_threshold

    def adapt(self, active: Any, increment: float = PERMANENCE_INCREMENT,
              decrement: float = PERMANENCE_DECREMENT) -> Segment:
        """htm.core learning step: +increment on synapses from active cells, -decrement on the others.

        Permanences are clipped to [0, 1]; synapses are kept (no pruning).
        ``active`` is one pattern of 0/1 over the cells.  Returns ``self``.
        """
        row = _check_sdrs(active, "active", self.n_cells)
        if row.shape[0] != 1:
            raise ValidationError(f"active must be a single pattern, got shape {np.shape(active)}")
        increment = check_float(increment, "increment", 0.0)
        decrement = check_float(decrement, "decrement", 0.0)
        hit = row[0, self.presynaptic]
        self.permanences = np.clip(self.permanences + np.where(hit, increment, -decrement), 0.0, 1.0)
        return self

    def grow(self, candidates: Any, max_new: int = MAX_NEW_SYNAPSE_COUNT,
             initial_permanence: float = INITIAL_PERMANENCE,
             seed: int | np.random.Generator | None = None) -> Segment:
        """Grow up to ``max_new`` synapses at ``initial_permanence`` onto random new cells.

        ``candidates`` (one 0/1 pattern, htm.core's previous winner cells)
        holds the cells that may be chosen; cells the segment already has a
        synapse onto are skipped.  Returns ``self``.
        """
        row = _check_sdrs(candidates, "candidates", self.n_cells)
        if row.shape[0] != 1:
            raise ValidationError(f"candidates must be a single pattern, got shape {np.shape(candidates)}")
        max_new = check_int(max_new, "max_new", minimum=0)
        initial_permanence = check_float(initial_permanence, "initial_permanence", 0.0, 1.0)
        new = np.setdiff1d(np.flatnonzero(row[0]), self.presynaptic)
        chosen = as_generator(seed).choice(new, size=min(max_new, new.size), replace=False)
        self.presynaptic = np.concatenate([self.presynaptic, np.sort(chosen)])
        self.permanences = np.concatenate([self.permanences, np.full(chosen.size, initial_permanence)])
        return self


class DendriticNeuron(Persistent):
    """A neuron with many dendritic segments, each storing one pattern or a union.

    Storing a pattern grows a new segment whose ``s`` connected synapses
    are a random subsample of the pattern's active cells; with
    ``patterns_per_segment = M > 1`` the subsamples of M patterns share one
    segment (a union).  The neuron fires for a cue when any segment has at
    least ``theta`` active connected synapses.

    Parameters
    ----------
    n_cells
        Presynaptic population size ``n``.
    synapses
        Synapses per stored pattern ``s``.
    theta
        Segment activation threshold (NMDA threshold).
    patterns_per_segment
        M, patterns stored on each segment.
    backend
        Where overlaps are computed (``"numpy"``, ``"numba"``, ``"auto"``).
    seed
        Seeds the subsampling (stream ``"subsample"``).

    Examples
    --------
    >>> patterns = random_sdrs(3, 2000, 40, seed=0)
    >>> neuron = DendriticNeuron(2000, synapses=20, theta=10, backend="numpy", seed=0).store(patterns)
    >>> neuron.respond(patterns).tolist()
    [True, True, True]
    """

    def __init__(
        self,
        n_cells: int,
        synapses: int = 20,
        theta: int = 10,
        *,
        patterns_per_segment: int = 1,
        backend: str | Backend = "auto",
        seed: int | np.random.Generator | None = None,
    ):
        self.n_cells = check_int(n_cells, "n_cells", minimum=1, maximum=2**32 - 1)
        check_elements("n_cells (the dense cell masks)", self.n_cells)
        self.synapses = check_int(synapses, "synapses", minimum=1, maximum=self.n_cells)
        self.theta = check_int(theta, "theta", minimum=0)
        self.patterns_per_segment = check_int(patterns_per_segment, "patterns_per_segment", minimum=1)
        self.backend = get_backend(backend, kernels=SDR_KERNELS)
        check_seed(seed)
        self.seed = seed
        self._rng = stream(seed, "subsample")
        self.segments: list[Segment] = []
        self._masks = np.zeros((0, (self.n_cells + 63) // 64), dtype=np.uint64)

    def __repr__(self) -> str:
        return (f"DendriticNeuron(n_cells={self.n_cells}, synapses={self.synapses}, theta={self.theta}, "
                f"segments={len(self.segments)})")

    def store(self, patterns: Any) -> DendriticNeuron:
        """Grow segments for ``patterns`` ((P, n) of 0/1, never modified); returns ``self``.

        Patterns are taken ``patterns_per_segment`` at a time; the last
        segment may hold fewer.
        """
        arr = _check_sdrs(patterns, "patterns", self.n_cells)
        active = arr.sum(axis=1)
        if np.any(active < self.synapses):
            raise ValidationError(f"patterns must each have at least synapses={self.synapses} active cells, "
                                  f"found a pattern with {int(active.min())}")
        m = self.patterns_per_segment
        for start in range(0, arr.shape[0], m):
            cells = np.unique(np.concatenate([subsample(p, self.synapses, self._rng) for p in arr[start:start + m]]))
            self.segments.append(Segment(self.n_cells, cells, activation_threshold=self.theta,
                                         min_threshold=self.theta))
        self._masks = np.stack([seg.connected_mask() for seg in self.segments]) if self.segments else self._masks
        return self

    def segment_overlaps(self, cues: Any) -> np.ndarray:
        """Active connected synapses of every segment for every cue, shape (B, segments)."""
        arr = _check_sdrs(cues, "cues", self.n_cells)
        return sdr_kernel("sdr_overlap", self.backend)(pack(arr), self._masks)

    def active_segments(self, cues: Any) -> np.ndarray:
        """Boolean (B, segments): which segments spike for each cue."""
        return self.segment_overlaps(cues) >= self.theta

    def respond(self, cues: Any) -> np.ndarray:
        """Boolean (B,): True where any segment spikes."""
        return self.active_segments(cues).any(axis=1)


# ----------------------------------------------------------------------------- Monte Carlo
@dataclass(frozen=True)
class OverlapHistogram:
    """Monte-Carlo counts of an overlap statistic.

    Attributes
    ----------
    counts : ndarray of int64
        ``counts[k]`` = trials in which the statistic equalled ``k``.
    trials : int
        Number of trials.
    mean_synapses : float
        Mean number of connected synapses on the tested segment.
    """

    counts: np.ndarray
    trials: int
    mean_synapses: float

    def at_least(self, theta: int) -> float:
        """Fraction of trials with statistic ``>= theta``."""
        theta = max(check_int(theta, "theta"), 0)
        return float(self.counts[theta:].sum() / self.trials)

    def below(self, theta: int) -> float:
        """Fraction of trials with statistic ``< theta``."""
        return 1.0 - self.at_least(theta)

    def stderr(self, p: float) -> float:
        """Binomial standard error ``sqrt(p (1 - p) / trials)`` of a rate ``p`` from these trials."""
        return math.sqrt(p * (1.0 - p) / self.trials)


def _kernel_seed(seed: int | np.random.Generator | None, name: str) -> int:
    return draw_seed(stream(seed, name))


def mc_false_match(n: int, a: int, s: int, *, trials: int, seed: int | np.random.Generator | None = None,
                   backend: str | Backend = "auto") -> OverlapHistogram:
    """Overlaps of random SDRs with a segment of ``s`` synapses grown on a stored pattern.

    The stored pattern and the segment (``s`` of its ``a`` active cells) are
    drawn once (stream ``"segment"``); ``trials`` random SDRs of ``a`` active
    cells are tested against it (stream ``"mc_false_match"``).
    ``result.at_least(theta)`` estimates ``P_fm(n, a, s, theta)``.
    """
    n = check_int(n, "n", minimum=1, maximum=2**32 - 1)
    a = check_int(a, "a", minimum=0, maximum=n)
    s = check_int(s, "s", minimum=0, maximum=a)
    trials = check_count(trials, "trials", "max_trials")
    check_work("trials * a (cells drawn)", trials, max(a, 1))
    rng = stream(seed, "segment")
    cells = subsample(random_sdrs(1, n, a, rng)[0], s, rng)
    mask = Segment(n, cells).connected_mask()
    counts = sdr_kernel("sdr_match_histogram", backend)(mask, n, a, trials, _kernel_seed(seed, "mc_false_match"))
    return OverlapHistogram(counts, trials, float(s))


def mc_false_negative(a: int, s: int, v: int, *, trials: int, seed: int | np.random.Generator | None = None,
                      backend: str | Backend = "auto") -> OverlapHistogram:
    """Synapses still driven after ``v`` of a stored pattern's ``a`` active cells are replaced.

    Every trial subsamples a fresh segment of ``s`` synapses from the pattern
    and picks the ``v`` replaced cells; ``result.below(theta)`` estimates
    ``P_fn(a, s, theta, v)``.
    """
    a = check_int(a, "a", minimum=1, maximum=2**32 - 1)
    s = check_int(s, "s", minimum=0, maximum=a)
    v = check_int(v, "v", minimum=0, maximum=a)
    trials = check_count(trials, "trials", "max_trials")
    check_work("trials * (s + v) (cells drawn)", trials, max(s + v, 1))
    counts = sdr_kernel("sdr_noise_histogram", backend)(a, s, v, trials, _kernel_seed(seed, "mc_false_negative"))
    return OverlapHistogram(counts, trials, float(s))


def mc_union_false_match(n: int, a: int, s: int, n_stored: int, *, trials: int,
                         seed: int | np.random.Generator | None = None,
                         backend: str | Backend = "auto") -> OverlapHistogram:
    """Overlaps of random SDRs with a segment storing the union of ``n_stored`` patterns.

    Every trial draws a fresh union of ``n_stored`` subsamples of ``s``
    cells (a subsample of a random pattern is a uniform ``s``-subset of the
    ``n`` cells) and a random SDR of ``a`` cells.  ``result.at_least(theta)``
    estimates the union false-match rate averaged over the union size
    (``method="distribution"`` in the theory); ``result.mean_synapses``
    estimates ``s_M``.
    """
    n = check_int(n, "n", minimum=1, maximum=2**32 - 1)
    a = check_int(a, "a", minimum=0, maximum=n)
    s = check_int(s, "s", minimum=0, maximum=n)
    n_stored = check_int(n_stored, "n_stored", minimum=1)
    trials = check_count(trials, "trials", "max_trials")
    check_work("trials * (n_stored * s + a) (cells drawn)", trials, max(n_stored * s + a, 1))
    counts, total = sdr_kernel("sdr_union_histogram", backend)(n, a, s, n_stored, trials,
                                                               _kernel_seed(seed, "mc_union_false_match"))
    return OverlapHistogram(counts, trials, total / trials)
