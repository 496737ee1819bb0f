"""Sparsey theory: the expected code overlap of one CSA draw with a single stored code and
the load at which a typical input's weights freeze (``sparsey.md``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from engramsim.experiments.theory._checks import _integer, _real, _scalar_integer

__all__ = ["sparsey_single_item_overlap", "sparsey_freeze_load"]


# ------------------------------------------------------------------ Sparsey
def sparsey_single_item_overlap(
    input_overlap: ArrayLike,
    cells_per_module: int,
    expansivity: "Callable[[np.ndarray, int], np.ndarray]",
    v_to_mu: "Callable[[np.ndarray, np.ndarray, float | None], np.ndarray]",
    inflection: float | None = None,
) -> np.ndarray:
    """Expected code overlap of a CSA draw with the code of the one stored input.

    With one input X stored (binary weights from X's active inputs to its
    code's Q cells), an input sharing a fraction ``s`` of its ``|X|`` active
    units with X (and as many active units) gives ``V = s`` on the Q code
    cells and ``V = 0`` elsewhere, so ``G = s``.  Each CM keeps its old
    winner with probability ``mu(s) / (mu(s) + (K - 1) mu(0))`` with
    ``eta = eta(s)``; that is the expected code overlap ``|C & C_X| / Q``.
    At ``s = 0`` it is the chance overlap ``1 / K``.

    Parameters
    ----------
    input_overlap : float or array_like
        ``s`` in [0, 1].
    cells_per_module : int
        K.
    expansivity, v_to_mu
        ``eta(G, K)`` and ``mu(V, eta, inflection)`` (for example a
        :class:`engramsim.networks.CSA`'s ``expansivity`` and ``v_to_mu``).
    inflection
        The V -> mu map's inflection, for maps that have one.

    Returns
    -------
    ndarray
    """
    s = np.asarray(_real("input_overlap", input_overlap, 0.0, 1.0), dtype=np.float64)
    k = _scalar_integer("cells_per_module", cells_per_module, 1)
    eta = np.asarray(expansivity(s, k), dtype=np.float64)
    mu_on = np.asarray(v_to_mu(s, eta, inflection), dtype=np.float64)
    mu_off = np.asarray(v_to_mu(np.zeros_like(s), eta, inflection), dtype=np.float64)
    return mu_on / (mu_on + (k - 1) * mu_off)


def sparsey_freeze_load(density: ArrayLike, cells_per_module: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Items stored before a typical input's weights freeze, if codes were random.

    An input active in a fraction ``f`` (``density``) of the stored items
    takes part in ``n f`` of ``n`` codes.  If every code were drawn uniformly
    (novel inputs), the fraction of that input's weights that are set is
    ``1 - (1 - 1/K)^(n f)``; it passes ``threshold`` (the freezing
    threshold) at ``n = ln(1 - threshold) / (f ln(1 - 1/K))``.  Beyond that
    load, weights stop changing and recognition of new items degrades.

    Parameters
    ----------
    density : float or array_like
        Fraction of active input units per item, in (0, 1].
    cells_per_module : int or array_like
        K >= 2.
    threshold : float
        Freezing threshold in (0, 1).

    Returns
    -------
    ndarray
    """
    f = np.asarray(_real("density", density, 0.0, 1.0), dtype=np.float64)
    if np.any(f <= 0):
        raise ValueError(f"density must be > 0, got {density!r}")
    k = _integer("cells_per_module", cells_per_module, 2).astype(np.float64)
    t = _real("threshold", threshold, 0.0, 1.0)
    if not 0.0 < float(t) < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold!r}")
    return np.log1p(-float(t)) / (f * np.log1p(-1.0 / k))
