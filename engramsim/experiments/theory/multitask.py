"""Multitasking Hopfield network theory (Agliari et al.): the hierarchical-ansatz
magnetisations and where that ansatz breaks down (``multitask.md``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from engramsim.experiments.theory._checks import _real, _scalar_integer

__all__ = ["multitask_magnetization", "multitask_breakdown_dilution", "multitask_hierarchy_consistent"]


# --------------------------------------------------------------------------- multitasking network
def multitask_magnetization(dilution: ArrayLike, n_patterns: int) -> np.ndarray:
    """Hierarchical-ansatz magnetisations ``|m_k| = (1 - d) d^(k-1)`` for k from 1 to K.

    Parameters
    ----------
    dilution : float or array_like
        Fraction d of zero entries per pattern, in ``[0, 1]``.
    n_patterns : int
        K, ``>= 1``.

    Returns
    -------
    m : ndarray
        Shape ``np.shape(dilution) + (K,)``; the entries sum to ``1 - d^K``.

    References
    ----------
    E. Agliari et al., Phys. Rev. Lett. 109:268101 (2012).
    """
    d = _real("dilution", dilution, 0.0, 1.0)
    k = _scalar_integer("n_patterns", n_patterns, 1)
    powers = np.arange(k, dtype=np.float64)
    return (1.0 - d)[..., None] * d[..., None] ** powers


def _hierarchy_sum(d: np.ndarray | float, k: int) -> np.ndarray | float:
    """d + d^2 + ... + d^(K-1) (0 for K = 1)."""
    return sum(np.power(d, j) for j in range(1, k)) if k > 1 else np.zeros_like(d)


def multitask_breakdown_dilution(n_patterns: int) -> float:
    """Dilution at which the hierarchical ansatz stops being a T = 0 fixed point.

    The ansatz is consistent while ``d + d^2 + ... + d^(K-1) < 1``; this returns
    the root of ``d + ... + d^(K-1) = 1`` in (0, 1], found with `scipy.optimize.brentq`.
    For K = 2 the condition ``d < 1`` holds for every dilution below 1, so the
    result is 1.0. For K = 3 the root is ``(sqrt(5) - 1) / 2``; it tends to 1/2 as
    K grows.

    Parameters
    ----------
    n_patterns : int
        K, ``>= 2``.

    Returns
    -------
    d_c : float
    """
    k = _scalar_integer("n_patterns", n_patterns, 2)
    if k == 2:
        return 1.0
    return optimize.brentq(
        lambda d: _hierarchy_sum(d, k) - 1.0, 0.0, 1.0, xtol=1e-15, rtol=4 * np.finfo(float).eps
    )


def multitask_hierarchy_consistent(dilution: ArrayLike, n_patterns: int) -> bool | np.ndarray:
    """Whether the hierarchical ansatz is consistent: ``sum_{k=1}^{K-1} d^k < 1``.

    Parameters
    ----------
    dilution : float or array_like
        d in ``[0, 1]``.
    n_patterns : int
        K, ``>= 1`` (K = 1 is always consistent).

    Returns
    -------
    consistent : bool or ndarray of bool
    """
    d = _real("dilution", dilution, 0.0, 1.0)
    k = _scalar_integer("n_patterns", n_patterns, 1)
    result = np.asarray(_hierarchy_sum(d, k) < 1.0)
    return bool(result) if result.ndim == 0 else result
