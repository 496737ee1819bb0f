"""Argument checks shared by the theory modules (array-valued, so not the scalar ``check_*`` helpers)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


# --------------------------------------------------------------------------- validation
def _real(name: str, value: ArrayLike, low: float, high: float = math.inf) -> np.ndarray:
    """Return ``value`` as a float64 array, checking ``low <= value <= high``."""
    arr = np.asarray(value, dtype=np.float64)
    bad = ~((arr >= low) & (arr <= high))  # also catches NaN
    if np.any(bad):
        got = arr[bad].flat[0]
        if high == math.inf:
            raise ValueError(f"{name} must be >= {low:g}, got {got:g}")
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {got:g}")
    return arr


def _integer(name: str, value: ArrayLike, minimum: int) -> np.ndarray:
    """Return ``value`` as an int64 array, checking it is integral and ``>= minimum``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    arr = arr.astype(np.int64)
    if np.any(arr < minimum):
        raise ValueError(f"{name} must be >= {minimum}, got {arr[arr < minimum].flat[0]}")
    return arr


def _scalar_integer(name: str, value: int, minimum: int) -> int:
    """Like `_integer` for a parameter that must be a single integer."""
    arr = _integer(name, value, minimum)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single integer, got an array of shape {arr.shape}")
    return int(arr)
