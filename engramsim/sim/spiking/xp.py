"""The array namespace of an array: NumPy, or CuPy for CuPy arrays (so one reference runs on both)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["namespace"]


def namespace(array: Any) -> ModuleType:
    """``numpy`` for NumPy arrays, ``cupy`` for CuPy arrays (CuPy is imported only then)."""
    if isinstance(array, np.ndarray):
        return np
    import cupy

    return cupy.get_array_module(array)
