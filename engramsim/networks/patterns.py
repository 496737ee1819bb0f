"""Random patterns and corrupted cues, drawn from seeded generators."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.sim.random import as_generator
from engramsim.sim.validation import check_float, check_int


def random_patterns(n_patterns: int, n_neurons: int, seed: "int | np.random.Generator | None" = None) -> np.ndarray:
    """Unbiased independent +-1 patterns, shape (n_patterns, n_neurons), int8."""
    n_patterns = check_int(n_patterns, "n_patterns", minimum=1)
    n_neurons = check_int(n_neurons, "n_neurons", minimum=1)
    rng = as_generator(seed)
    return (2 * rng.integers(0, 2, size=(n_patterns, n_neurons), dtype=np.int8) - 1).astype(np.int8)


def flip_bits(patterns: Any, fraction: float, seed: "int | np.random.Generator | None" = None) -> np.ndarray:
    """Return a copy of ``patterns`` with ``round(fraction * N)`` bits flipped in each row.

    The flipped positions are distinct and drawn independently for each row.
    """
    arr = np.array(patterns, dtype=np.int8, copy=True)
    if arr.ndim != 2:
        raise ValueError(f"patterns must be 2-D (P, N), got shape {arr.shape}")
    fraction = check_float(fraction, "fraction", 0.0, 1.0)
    n_flip = int(round(fraction * arr.shape[1]))
    if n_flip == 0:
        return arr
    rng = as_generator(seed)
    positions = np.argsort(rng.random(arr.shape), axis=1)[:, :n_flip]
    rows = np.arange(arr.shape[0])[:, None]
    arr[rows, positions] *= -1
    return arr
