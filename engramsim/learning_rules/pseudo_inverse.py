"""The pseudo-inverse (projection) rule of Personnaz, Guyon and Dreyfus."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.learning_rules._checks import check_pattern_matrix
from engramsim.sim.validation import check_elements


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
    check_elements("n_neurons * n_neurons (the projector)", xi.shape[0], xi.shape[0])
    scale = np.abs(xi).max()
    if scale > 0:  # the projector does not depend on the scale; this keeps pinv in range
        xi = xi / scale
    c = xi @ np.linalg.pinv(xi)
    return (c + c.T) / 2  # symmetric to the last bit
