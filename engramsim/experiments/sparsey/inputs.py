"""Random sparse binary inputs and variants of them sharing a given fraction of active units."""

from __future__ import annotations

import numpy as np


__all__ = ["overlapping_variants", "random_sparse_inputs"]


def random_sparse_inputs(n_items: int, n_inputs: int, n_active: int, rng: np.random.Generator) -> np.ndarray:
    """``n_items`` binary inputs of length ``n_inputs`` with exactly ``n_active`` ones each (uint8)."""
    order = np.argsort(rng.random((n_items, n_inputs)), axis=1)[:, :n_active]
    out = np.zeros((n_items, n_inputs), dtype=np.uint8)
    np.put_along_axis(out, order, 1, axis=1)
    return out


def overlapping_variants(base: np.ndarray, overlap: float, n_variants: int, rng: np.random.Generator) -> np.ndarray:
    """Inputs with as many ones as ``base``, sharing ``round(overlap |base|)`` of them with it."""
    on, off = np.flatnonzero(base), np.flatnonzero(base == 0)
    keep = int(round(overlap * on.size))
    if on.size - keep > off.size:
        raise ValueError(f"cannot move {on.size - keep} active units outside an input of {base.size} units "
                         f"with {on.size} active")
    out = np.zeros((n_variants, base.size), dtype=np.uint8)
    kept = np.argsort(rng.random((n_variants, on.size)), axis=1)[:, :keep]
    moved = np.argsort(rng.random((n_variants, off.size)), axis=1)[:, :on.size - keep]
    np.put_along_axis(out, on[kept], 1, axis=1)
    np.put_along_axis(out, off[moved], 1, axis=1)
    return out
