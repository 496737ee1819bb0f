"""Shared argument checks for the weight rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.sim.validation import check_real_array


def check_pattern_matrix(patterns: Any, name: str = "patterns") -> np.ndarray:
    """Return ``patterns`` as a (P, N) float64 copy (a 1-D array is one pattern)."""
    arr = check_real_array(patterns, name, ndim=(1, 2))
    return arr[None, :] if arr.ndim == 1 else arr
