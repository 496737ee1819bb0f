"""Sparsey's single-trial binary Hebbian rule, with saturation freezing.

One presentation sets every weight from an active input ``j`` to an active
(winning) cell ``i``: ``w_ji <- 1``.  There is no error signal and no
decrease (Rinkus 2010; implementation B sets weights to 1, A adds the outer
product and clamps to [0, 1], which is the same for binary weights).

Freezing (SparseyCore, implementation C, and A's ``saturation_threshold``):
the weights leaving one input form its *afferent bundle*; once more than a
fraction ``threshold`` of a bundle's weights is set, the bundle is frozen
and never changes again.  Without freezing, weights saturate, every cell's
support tends to 1 for every input, and familiarity stops telling familiar
inputs from novel ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.sim.validation import check_alphabet_array, check_float


def _binary_vector(values: Any, name: str, length: int) -> np.ndarray:
    arr = check_alphabet_array(values, name, (0, 1), ndim=1, dtype=np.uint8)
    if arr.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got length {arr.shape[0]}")
    return arr.astype(bool)


def _weights(weights: Any) -> np.ndarray:
    return check_alphabet_array(weights, "weights", (0, 1), ndim=2, dtype=np.uint8)


def sparsey_hebb(
    weights: Any,
    pre: Any,
    post: Any,
    *,
    frozen: Any | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """One single-trial update: ``w[j, i] = 1`` for active ``pre[j]`` and ``post[i]``.

    Parameters
    ----------
    weights : array of 0/1, shape (N, M)
        Binary weights from N inputs to M cells; never modified (unless it is
        passed as ``out`` too).
    pre : array of 0/1, shape (N,)
        Active inputs.
    post : array of 0/1, shape (M,)
        Active (winning) cells.
    frozen : array of bool, shape (N,), optional
        Frozen afferent bundles (rows); their weights do not change.
    out : uint8 ndarray, shape (N, M), optional
        Write the result here (in place) instead of into a new array.  This
        is how a model updates its own weights; ``out`` is not validated
        beyond its shape and dtype.

    Returns
    -------
    uint8 ndarray, shape (N, M)
        The updated weights (``out`` when given).
    """
    if out is not None:
        if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.ndim != 2:
            described = (f"an array of dtype {out.dtype} and shape {out.shape}" if isinstance(out, np.ndarray)
                         else type(out).__name__)
            raise TypeError(f"out must be a 2-D uint8 ndarray, got {described}")
        result = out
        if weights is not out:
            result[...] = _weights(weights)
    else:
        result = _weights(weights)
    n_inputs, n_cells = result.shape
    rows = _binary_vector(pre, "pre", n_inputs)
    cols = _binary_vector(post, "post", n_cells)
    if frozen is not None:
        frozen = np.asarray(frozen)
        if frozen.dtype != bool or frozen.shape != (n_inputs,):
            raise ValueError(f"frozen must be a boolean array of shape ({n_inputs},), "
                             f"got dtype {frozen.dtype} and shape {frozen.shape}")
    set_coactive(result, np.flatnonzero(rows), np.flatnonzero(cols), frozen)
    return result


def set_coactive(weights: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 frozen: np.ndarray | None = None) -> np.ndarray:
    """In place: ``weights[j, i] = 1`` for ``j`` in ``rows`` (unless frozen) and ``i`` in ``cols``.

    The unchecked core of :func:`sparsey_hebb`, for models that own their
    weights.  Returns the indices of the rows that changed.

    Parameters
    ----------
    weights : uint8 ndarray, shape (N, M)
        Modified in place.
    rows, cols : int ndarrays
        Indices of the active inputs and of the winning cells.
    frozen : bool ndarray, shape (N,), optional
        Rows that must not change.
    """
    if frozen is not None:
        rows = rows[~frozen[rows]]
    if rows.size and cols.size:
        weights[np.ix_(rows, cols)] = 1
    return rows


def freeze_saturated(weights: np.ndarray, rows: np.ndarray, threshold: float, frozen: np.ndarray) -> None:
    """In place: mark as frozen those of ``rows`` whose fraction of set weights exceeds ``threshold``.

    The unchecked core of :func:`saturated_bundles`, applied to the rows a
    learning step changed (only those can newly saturate).
    """
    if rows.size:
        frozen[rows] |= weights[rows].mean(axis=1) > threshold


def bundle_saturation(weights: Any) -> np.ndarray:
    """Fraction of set weights in each afferent bundle (row), shape (N,)."""
    w = _weights(weights)
    return w.mean(axis=1)


def saturated_bundles(weights: Any, threshold: float) -> np.ndarray:
    """Bundles (rows) whose fraction of set weights exceeds ``threshold``.

    Parameters
    ----------
    weights : array of 0/1, shape (N, M)
    threshold : float in [0, 1]
        SparseyCore's and sparseypy's ``saturation_threshold`` (both default
        to 0.5); 1 never freezes.

    Returns
    -------
    bool ndarray, shape (N,)
    """
    threshold = check_float(threshold, "threshold", 0.0, 1.0)
    return bundle_saturation(weights) > threshold
