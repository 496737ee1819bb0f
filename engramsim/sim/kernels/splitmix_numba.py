"""Numba twins of :mod:`engramsim.sim.kernels.splitmix` (inlined into the kernels that call them)."""

from __future__ import annotations

import numpy as np
from numba import njit

from engramsim.sim.kernels.splitmix import GOLDEN, MIX1, MIX2

_GOLDEN, _MIX1, _MIX2 = GOLDEN, MIX1, MIX2


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _splitmix64(state):
    state = state + _GOLDEN
    return state, _mix(state)
