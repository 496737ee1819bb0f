"""The cue -> event prediction task ("multi-event expectation"), as described for Yamada & Chao's model.

Each trial starts with a cue at ``t = 0``; then event ``k`` (its identity is
the channel index) happens after latency ``latencies[k]`` with probability
``probabilities[k]`` (at most one event per trial; with probabilities that
sum to less than 1 the remainder is "no event").  Identities, latencies and
probabilities are set per :class:`Block`; a schedule of blocks switches
timing, probability or both between blocks (``switch_schedule``).  The
ideal prediction is the probability-weighted, time-resolved expectation
``sum_k p_k bump(t - latency_k)`` per channel (:meth:`Block.expectation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engramsim.sim.random import as_generator
from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["Block", "Trial", "make_trials", "switch_schedule", "bump"]


def bump(t_ms: np.ndarray, latency: float, width: float) -> np.ndarray:
    """Gaussian event profile ``exp(-(t - latency)^2 / (2 width^2))`` (peak 1 at the latency)."""
    return np.exp(-0.5 * ((np.asarray(t_ms, float) - latency) / width) ** 2)


@dataclass(frozen=True)
class Block:
    """Fixed task statistics for ``n_trials`` trials.

    Parameters
    ----------
    probabilities
        ``p_k`` per event channel (each in [0, 1], sum <= 1).
    latencies
        ``latency_k`` (ms after the cue) per channel, > 0.
    n_trials
        Trials in the block (100 in the description).
    """

    probabilities: tuple[float, ...]
    latencies: tuple[float, ...]
    n_trials: int = 100

    def __post_init__(self):
        probs = tuple(check_float(p, "probabilities", 0.0, 1.0) for p in self.probabilities)
        lats = tuple(check_float(t, "latencies", 0.0, strict_minimum=True) for t in self.latencies)
        if len(probs) != len(lats) or not probs:
            raise ValueError(f"probabilities and latencies need one entry per event channel, got "
                             f"{len(probs)} and {len(lats)}")
        if sum(probs) > 1.0 + 1e-12:
            raise ValueError(f"probabilities must sum to at most 1, got {sum(probs)}")
        object.__setattr__(self, "probabilities", probs)
        object.__setattr__(self, "latencies", lats)
        object.__setattr__(self, "n_trials", check_int(self.n_trials, "n_trials", minimum=1))

    @property
    def n_channels(self) -> int:
        """Number of event channels K."""
        return len(self.probabilities)

    def expectation(self, t_ms: np.ndarray, width: float) -> np.ndarray:
        """The ideal prediction, shape ``(T, K)``: ``p_k bump(t - latency_k)``."""
        return np.stack([p * bump(t_ms, lat, width) for p, lat in zip(self.probabilities, self.latencies)], axis=1)


@dataclass(frozen=True)
class Trial:
    """One trial: which event happened (``-1``: none), when, and the block's statistics."""

    event: int
    latency: float
    block: int
    probabilities: tuple[float, ...]
    latencies: tuple[float, ...]


def make_trials(blocks: Sequence[Block], seed: int | np.random.Generator | None = 0) -> list[Trial]:
    """Draw the trials of a schedule of blocks (one event per trial, chosen with the block's probabilities)."""
    if not blocks or not all(isinstance(b, Block) for b in blocks):
        raise ValueError(f"blocks must be a non-empty sequence of Block, got {blocks!r}")
    k = blocks[0].n_channels
    if any(b.n_channels != k for b in blocks):
        raise ValueError("every block must have the same number of event channels")
    rng = as_generator(seed)
    trials = []
    for index, block in enumerate(blocks):
        p = np.array(block.probabilities + (max(0.0, 1.0 - sum(block.probabilities)),))
        events = rng.choice(k + 1, size=block.n_trials, p=p / p.sum())
        for e in events:
            e = int(e) if e < k else -1
            trials.append(Trial(e, block.latencies[e] if e >= 0 else float("nan"), index, block.probabilities,
                                block.latencies))
    return trials


def switch_schedule(switches: Sequence[str] = ("timing", "probability", "both"), *, n_trials: int = 100,
                    probabilities: Sequence[float] = (0.8, 0.2), latencies: Sequence[float] = (150.0, 300.0)
                    ) -> list[Block]:
    """A first block, then one block after each switch in ``switches``.

    A ``"timing"`` switch swaps the two channels' latencies, a
    ``"probability"`` switch swaps their probabilities, ``"both"`` swaps
    both (each relative to the block before).

    Returns
    -------
    list of Block
        ``len(switches) + 1`` blocks of ``n_trials`` trials.
    """
    probs, lats = tuple(probabilities), tuple(latencies)
    if len(probs) != 2 or len(lats) != 2:
        raise ValueError(f"switch_schedule swaps two channels: give two probabilities and two latencies, got "
                         f"{len(probs)} and {len(lats)}")
    blocks = [Block(probs, lats, n_trials)]
    for kind in switches:
        check_choice(kind, "switches", ("timing", "probability", "both"))
        prev = blocks[-1]
        p = prev.probabilities[::-1] if kind in ("probability", "both") else prev.probabilities
        t = prev.latencies[::-1] if kind in ("timing", "both") else prev.latencies
        blocks.append(Block(p, t, n_trials))
    return blocks
