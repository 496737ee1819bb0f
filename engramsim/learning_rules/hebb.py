"""The Hebbian outer-product rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.learning_rules._checks import check_pattern_matrix


def hebb_counts(patterns: Any) -> np.ndarray:
    """Unscaled Hebbian couplings ``sum_mu xi^mu xi^mu^T`` in exact integers.

    Parameters
    ----------
    patterns : array, shape (P, N)
        Integer-valued patterns (e.g. +-1, or {-1, 0, +1} for diluted patterns).

    Returns
    -------
    ndarray of int64, shape (N, N)
        Symmetric; the diagonal holds ``sum_mu (xi_i^mu)^2``.  Integer
        accumulation makes the result independent of pattern order.
    """
    xi = check_pattern_matrix(patterns)
    if not np.all(xi == np.round(xi)):
        raise ValueError("patterns must hold integers for hebb_counts")
    # float64 products of small integers are exact up to 2**53
    if np.abs(xi).max(initial=0) ** 2 * xi.shape[0] < 2**53:
        return np.rint(xi.T @ xi).astype(np.int64)
    xi = xi.astype(np.int64)
    return xi.T @ xi


def hebb(patterns: Any, *, zero_diagonal: bool = True) -> np.ndarray:
    """Hebbian couplings ``W = (1/N) sum_mu xi^mu xi^mu^T``.

    Parameters
    ----------
    patterns : array, shape (P, N)
        Stored patterns, one per row.
    zero_diagonal
        Set ``W_ii = 0`` (the default; for +-1 patterns this is
        ``W = Xi^T Xi / N - (P/N) I``).

    Returns
    -------
    ndarray of float64, shape (N, N)
    """
    xi = check_pattern_matrix(patterns)
    weights = (xi.T @ xi) / xi.shape[1]
    if zero_diagonal:
        np.fill_diagonal(weights, 0.0)
    return weights
