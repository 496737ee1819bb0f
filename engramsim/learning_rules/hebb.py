"""The Hebbian outer-product rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.learning_rules._checks import check_pattern_matrix
from engramsim.sim.validation import check_bool, check_elements


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

    Raises
    ------
    ValidationError
        For non-integer entries, or entries so large that a coupling could
        leave the int64 range (``P max|xi|^2 >= 2**63``).
    """
    xi = check_pattern_matrix(patterns)
    check_elements("n_neurons * n_neurons (the coupling matrix)", xi.shape[1], xi.shape[1])
    if not np.all(xi == np.round(xi)):
        raise ValidationError("patterns must hold integers for hebb_counts")
    largest = int(np.abs(xi).max(initial=0))  # exact: a float64 integer converts exactly
    if largest**2 * xi.shape[0] >= 2**63:
        raise ValidationError(
            f"patterns hold values up to {largest} in magnitude: with P = {xi.shape[0]} patterns the "
            f"couplings could reach P * max|xi|^2 = {largest**2 * xi.shape[0]} and leave the int64 range "
            "(< 2**63); use smaller values or hebb() (float64)")
    # float64 products of small integers are exact up to 2**53
    if largest**2 * xi.shape[0] < 2**53:
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
    zero_diagonal = check_bool(zero_diagonal, "zero_diagonal")
    xi = check_pattern_matrix(patterns)
    check_elements("n_neurons * n_neurons (the coupling matrix)", xi.shape[1], xi.shape[1])
    if np.abs(xi).max(initial=0.0) ** 2 * xi.shape[0] > np.finfo(np.float64).max / 2:
        raise ValidationError("patterns are too large in magnitude: the couplings P * max|xi|^2 / N would "
                              "leave the float64 range")
    weights = (xi.T @ xi) / xi.shape[1]
    if zero_diagonal:
        np.fill_diagonal(weights, 0.0)
    return weights
