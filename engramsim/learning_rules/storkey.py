"""Storkey's (1997) local, incremental learning rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.learning_rules._checks import check_pattern_matrix
from engramsim.errors import ValidationError
from engramsim.sim.validation import check_elements, check_real_array


def storkey(patterns: Any, weights: Any | None = None) -> np.ndarray:
    """Add patterns one at a time with Storkey's rule.

    For pattern ``xi``, with the local fields ``h_ij = sum_{k != i, j} W_ik xi_k``,

    ``W_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N``

    for every i, j (on the diagonal the sum excludes k = i only).  One pattern
    costs O(N^2): ``h_ij = g_i - W_ii xi_i - W_ij xi_j`` with ``g = W xi``.

    The result depends on the order of presentation: patterns are added in
    the order of the rows.  The rule fills the diagonal; whether it is used
    at recall is the model's choice.

    Parameters
    ----------
    patterns : array, shape (P, N)
        Patterns, presented in row order.
    weights : array, shape (N, N), optional
        Couplings to start from (default zeros); not modified.

    Returns
    -------
    ndarray of float64, shape (N, N)

    Raises
    ------
    ValidationError
        For bad shapes or values, or when the couplings leave the float64
        range (patterns or weights far from the +-1 scale).
    """
    xi = check_pattern_matrix(patterns)
    n = xi.shape[1]
    check_elements("n_neurons * n_neurons (the coupling matrix)", n, n)
    if weights is None:
        w = np.zeros((n, n))
    else:
        w = check_real_array(weights, "weights", shape=(n, n))
    with np.errstate(over="ignore", invalid="ignore"):
        _add_patterns(w, xi, n)
    if not np.all(np.isfinite(w)):
        raise ValidationError("the Storkey couplings left the float64 range: patterns or weights are too "
                              "large in magnitude for the rule (use values near the +-1 scale)")
    return w


def _add_patterns(w: np.ndarray, xi: np.ndarray, n: int) -> None:
    """Add the rows of ``xi`` to ``w`` in place."""
    for x in xi:
        # With a_i = (W x)_i - W_ii x_i: h_ij = a_i - W_ij x_j for i != j and h_ii = a_i.
        # For symmetric W the bracket is x_i x_j - x_i a_j - a_i x_j + W_ij (x_i^2 + x_j^2)
        # off the diagonal, and x_i^2 - 2 x_i a_i on it.
        diag = np.diag(w).copy()
        a = w @ x - diag * x
        x2 = x * x
        w += (np.outer(x, x - a) - np.outer(a, x) + w * np.add.outer(x2, x2)) / n
        w[np.diag_indices(n)] -= 2 * diag * x2 / n
