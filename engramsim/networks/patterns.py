"""Random patterns and corrupted cues, drawn from seeded generators."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.sim.random import as_generator
from engramsim.sim.validation import check_alphabet_array, check_elements, check_float, check_int


def random_patterns(n_patterns: int, n_neurons: int, seed: "int | np.random.Generator | None" = None) -> np.ndarray:
    """Unbiased independent +-1 patterns, shape (n_patterns, n_neurons), int8."""
    n_patterns = check_int(n_patterns, "n_patterns", minimum=1)
    n_neurons = check_int(n_neurons, "n_neurons", minimum=1)
    check_elements("n_patterns * n_neurons", n_patterns, n_neurons)
    rng = as_generator(seed)
    return (2 * rng.integers(0, 2, size=(n_patterns, n_neurons), dtype=np.int8) - 1).astype(np.int8)


def flip_bits(patterns: Any, fraction: float, seed: "int | np.random.Generator | None" = None) -> np.ndarray:
    """Return a copy of ``patterns`` with ``round(fraction * N)`` bits flipped in each row.

    The flipped positions are distinct and drawn independently for each row.

    Parameters
    ----------
    patterns : array, shape (P, N)
        Values in {-1, +1} (or {-1, 0, +1}: a zero stays zero); never modified.
    fraction
        Fraction of each row's bits to flip, in [0, 1].
    seed
        An int, a Generator or None.

    Returns
    -------
    ndarray of int8, shape (P, N)
    """
    arr = check_alphabet_array(patterns, "patterns", (-1, 0, 1), ndim=2, dtype=np.int8)
    fraction = check_float(fraction, "fraction", 0.0, 1.0)
    n_flip = int(round(fraction * arr.shape[1]))
    if n_flip == 0:
        return arr
    rng = as_generator(seed)
    positions = np.argsort(rng.random(arr.shape), axis=1)[:, :n_flip]
    rows = np.arange(arr.shape[0])[:, None]
    arr[rows, positions] *= -1
    return arr
