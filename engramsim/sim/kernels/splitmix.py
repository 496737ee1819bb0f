"""The splitmix64 generator and its output function, shared by every kernel that draws counter-based numbers.

splitmix64 (Steele, Lea & Flood, OOPSLA 2014): the state advances by the
golden-ratio increment ``GOLDEN`` and each output is ``mix(state)``.  Kernels
use it in two ways: as a sequential generator (:func:`splitmix64`, one
Python integer at a time) and as a counter-based hash (:func:`mix` on uint64
arrays, wrapping arithmetic), so that a draw depends only on (seed, counter)
and NumPy references and Numba twins (:mod:`.splitmix_numba`) give the same
bits.
"""

from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(state: int) -> tuple[int, int]:
    """One step of the splitmix64 generator on Python integers: return (new state, output)."""
    state = (state + int(GOLDEN)) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * int(MIX1)) & MASK64
    z = ((z ^ (z >> 27)) * int(MIX2)) & MASK64
    return state, z ^ (z >> 31)


def mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 output function on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))
