"""Decaying weights with permanence: SparseyCore's weight table and sparseypy's permanence curve.

A mac built with ``permanence=`` keeps, for every synapse, the learning frame
of its last pre-post coincidence and a *stiffness*, instead of a set-once
binary weight; its weight is a function of (stiffness, age), with age the
number of learning frames since that coincidence.

:class:`WeightTable` is SparseyCore's ``WT_TABLE``: a step function of age
per stiffness (127 / 120 / 50 / 0 at the default breakpoints); a new
coincidence while the last one is still *fresh* (``persistence <= age <
breakpoints[s][0]``) raises the stiffness by one, and the top stiffness is
permanent (127 for ever).  When a bundle freezes, every synapse of it that
still contributes (weight > 0) becomes permanent; decayed ones stay at 0.

:class:`PermanenceCurve` is sparseypy's ``w(t) = (1 + c/S) / (1 + c/(S - t))``
for ``t < S`` steps since the last increase (0 beyond): no stiffness, no
promotion, and frozen weights keep decaying.

Weights are handed to the CSA divided by ``max_weight``, so a fresh or
permanent synapse counts 1, exactly like a set binary weight: with horizons
longer than the run, a mac with permanence chooses the same codes as one
with set-once weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engramsim.sim.validation import check_float, check_int

__all__ = ["NEVER", "PermanenceCurve", "Synapses", "WeightTable"]

#: ``last`` of a synapse that never had a pre-post coincidence (its age is then past every horizon)
NEVER = np.iinfo(np.int64).min // 4


@dataclass(frozen=True)
class WeightTable:
    """SparseyCore's stiffness/age weight table (``WT_TABLE``).

    Parameters
    ----------
    breakpoints
        Per transient stiffness ``s = 0, 1, ...``, increasing ages at which
        the weight steps down to the next of ``levels[1:]``; at ages below
        ``breakpoints[s][0]`` it is ``levels[0]``, from the last breakpoint on
        it is 0.  The stiffness ``len(breakpoints)`` is permanent.
    levels
        The weights of the steps, ``levels[0]`` the largest (``max_weight``).
    persistence
        A coincidence promotes only if at least this many frames passed
        since the last one (SparseyCore's region persistence, 1 by default).

    Examples
    --------
    >>> table = WeightTable()
    >>> [int(table.weight(np.array(0), np.array(age))) for age in (1999, 2000, 3000, 4000)]
    [127, 120, 50, 0]
    """

    breakpoints: tuple[tuple[int, ...], ...] = ((2000, 3000, 4000), (4000, 6000, 8000))
    levels: tuple[int, ...] = (127, 120, 50)
    persistence: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.breakpoints, tuple) or not self.breakpoints:
            raise TypeError(f"breakpoints must be a non-empty tuple of tuples of ages, got {self.breakpoints!r}")
        for s, row in enumerate(self.breakpoints):
            if not isinstance(row, tuple) or len(row) != len(self.levels):
                raise ValueError(f"breakpoints[{s}] must hold one age per level ({len(self.levels)}), got {row!r}")
            ages = [check_int(a, f"breakpoints[{s}]", minimum=1) for a in row]
            if any(b <= a for a, b in zip(ages, ages[1:])):
                raise ValueError(f"breakpoints[{s}] must increase, got {row!r}")
        levels = [check_int(w, "levels", minimum=1) for w in self.levels]
        if any(b > a for a, b in zip(levels, levels[1:])):
            raise ValueError(f"levels must not increase, got {self.levels!r}")
        check_int(self.persistence, "persistence", minimum=1)

    @property
    def max_weight(self) -> int:
        """The weight of a fresh or permanent synapse."""
        return int(self.levels[0])

    @property
    def permanent(self) -> int:
        """The stiffness that means permanent."""
        return len(self.breakpoints)

    @property
    def keeps_frozen(self) -> bool:
        """Freezing a bundle makes its contributing synapses permanent."""
        return True

    def weight(self, stiffness: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Weight of synapses of the given stiffness and age (int64 array, 0 .. ``max_weight``)."""
        stiffness, age = np.asarray(stiffness), np.asarray(age)
        out = np.zeros(np.broadcast(stiffness, age).shape, dtype=np.int64)
        out[...] = np.where(stiffness >= self.permanent, self.max_weight, 0)
        for s, row in enumerate(self.breakpoints):
            here = (stiffness == s) & (age >= 0)
            # index of the step: number of breakpoints <= age; past the last one the weight is 0
            step = np.searchsorted(np.asarray(row), np.where(here, age, 0), side="right")
            levels = np.append(np.asarray(self.levels, dtype=np.int64), 0)
            out = np.where(here, levels[step], out)
        return out

    def promoted(self, stiffness: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Stiffness after a new coincidence at ``age`` frames since the last one."""
        stiffness, age = np.asarray(stiffness), np.asarray(age)
        fresh = np.asarray([row[0] for row in self.breakpoints] + [0])[np.minimum(stiffness, self.permanent)]
        up = (stiffness < self.permanent) & (age >= self.persistence) & (age < fresh)
        return (stiffness + up).astype(np.uint8)


@dataclass(frozen=True)
class PermanenceCurve:
    """sparseypy's permanence curve: ``w(t) = (1 + c/S) / (1 + c/(S - t))`` for ``t < S``, else 0.

    ``t`` is the number of learning frames since the weight was last set
    (``w(0) = 1``).  There is no stiffness and no promotion; frozen weights
    keep decaying, as in sparseypy.

    Parameters
    ----------
    steps
        ``S`` (``permanence_steps``); sparseypy's configurations use 5, 10,
        100 and 100000.
    convexity
        ``c`` (``permanence_convexity``), ``> 0``.
    """

    steps: int = 100
    convexity: float = 0.5

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", minimum=1)
        check_float(self.convexity, "convexity", 0.0, strict_minimum=True)

    @property
    def max_weight(self) -> float:
        """The weight of a fresh synapse."""
        return 1.0

    @property
    def permanent(self) -> int:
        """No stiffness reaches permanence (the stiffness stays 0)."""
        return 1

    @property
    def keeps_frozen(self) -> bool:
        """Frozen weights keep decaying."""
        return False

    def weight(self, stiffness: np.ndarray, age: np.ndarray) -> np.ndarray:
        """``w(age)`` (float64); 0 for ``age >= S`` or ``age < 0``."""
        age = np.asarray(age, dtype=np.float64) + np.zeros(np.shape(stiffness))
        s, c = float(self.steps), float(self.convexity)
        inside = (age >= 0) & (age < s)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = (1.0 + c / s) / (1.0 + c / (s - age))
        return np.where(inside, w, 0.0)

    def promoted(self, stiffness: np.ndarray, age: np.ndarray) -> np.ndarray:
        """No promotion: the stiffness stays."""
        return np.asarray(stiffness, dtype=np.uint8)


class Synapses:
    """The state of one mac's bottom-up synapses under a permanence rule.

    Each synapse keeps the learning frame of its last pre-post coincidence
    (``last``, :data:`NEVER` if none) and its stiffness; ``frame`` counts the
    mac's learning frames.

    Parameters
    ----------
    n_pre, n_post
        Number of input units and of cells.
    rule
        A :class:`WeightTable` or a :class:`PermanenceCurve`.
    """

    def __init__(self, n_pre: int, n_post: int, rule: "WeightTable | PermanenceCurve"):
        self.rule = rule
        self.last = np.full((n_pre, n_post), NEVER, dtype=np.int64)
        self.stiffness = np.zeros((n_pre, n_post), dtype=np.uint8)
        self.frame = 0

    def weights(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Current weights of the bundles ``rows``, divided by the largest weight (float64 in [0, 1])."""
        raw = self.rule.weight(self.stiffness[rows], self.frame - self.last[rows])
        return raw.astype(np.float64) / float(self.rule.max_weight)

    def record(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """A pre-post coincidence of inputs ``rows`` with cells ``cols`` at the current frame."""
        if rows.size and cols.size:
            block = np.ix_(rows, cols)
            self.stiffness[block] = self.rule.promoted(self.stiffness[block], self.frame - self.last[block])
            self.last[block] = self.frame

    def freeze(self, rows: np.ndarray, threshold: float, frozen: np.ndarray) -> None:
        """Freeze those of ``rows`` whose fraction of contributing synapses (weight > 0) exceeds ``threshold``.

        With a :class:`WeightTable`, the still-contributing synapses of a
        newly frozen bundle become permanent.
        """
        if not rows.size:
            return
        contributing = self.weights(rows) > 0
        new = rows[(contributing.mean(axis=1) > threshold) & ~frozen[rows]]
        frozen[new] = True
        if new.size and self.rule.keeps_frozen:
            keep = self.weights(new) > 0
            stiffness = self.stiffness[new]
            stiffness[keep] = self.rule.permanent
            self.stiffness[new] = stiffness

    def advance(self) -> None:
        """End of a learning frame."""
        self.frame += 1
