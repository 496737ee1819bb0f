"""The pseudo-inverse (projection) rule of Personnaz, Guyon and Dreyfus."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.learning_rules._checks import check_pattern_matrix


def pseudo_inverse(patterns: Any) -> np.ndarray:
    """The orthogonal projector onto the span of the patterns.

    ``C = Xi pinv(Xi)`` with ``Xi`` the N x P matrix of patterns as columns:
    symmetric, idempotent, ``C xi = xi`` for every stored pattern, and
    ``trace C = rank Xi``.  The Moore-Penrose inverse also handles linearly
    dependent patterns.  The diagonal is kept; the model removes it at recall
    by default.

    Parameters
    ----------
    patterns : array, shape (P, N)

    Returns
    -------
    ndarray of float64, shape (N, N)
    """
    xi = check_pattern_matrix(patterns).T  # N x P
    c = xi @ np.linalg.pinv(xi)
    return (c + c.T) / 2  # symmetric to the last bit
