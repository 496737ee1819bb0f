"""Hopfield network theory: the AGS replica-symmetric capacity and overlap, the one-step
error law and the combinatorial (McEliece, Storkey) capacities (``hopfield.md``)."""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy.special import erf, ndtr, ndtri

from engramsim.experiments.theory._checks import _integer, _real

__all__ = ["ags_capacity", "ags_overlap", "one_step_error", "one_step_error_finite", "one_step_load", "mceliece_capacity", "storkey_capacity"]


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# --------------------------------------------------------------------------- Hopfield: AGS theory
def _ags_f(y: float) -> float:
    """erf(y)/y - (2/sqrt(pi)) exp(-y^2); equals sqrt(2 alpha) on a solution."""
    return erf(y) / y - _TWO_OVER_SQRT_PI * math.exp(-y * y)


@functools.lru_cache(maxsize=None)
def _ags_peak() -> tuple[float, float]:
    """(y*, f(y*)): the maximum of ``_ags_f`` over y > 0."""

    def slope(y: float) -> float:  # d f / d y
        e = math.exp(-y * y)
        return _TWO_OVER_SQRT_PI * e / y - erf(y) / y**2 + 2.0 * _TWO_OVER_SQRT_PI * y * e

    y_star = optimize.brentq(slope, 0.5, 3.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return y_star, _ags_f(y_star)


def ags_capacity() -> tuple[float, float]:
    """Replica-symmetric critical load of the Hebbian Hopfield network at T = 0.

    Solves the Amit–Gutfreund–Sompolinsky equations
    ``m = erf(y)``, ``y (sqrt(2 alpha) + (2/sqrt(pi)) exp(-y^2)) = erf(y)``;
    the largest load with a solution is
    ``alpha_c = 0.5 * max_y [erf(y)/y - (2/sqrt(pi)) exp(-y^2)]^2``,
    reached at ``y* ~ 1.511``.

    Returns
    -------
    alpha_c : float
        Critical load P/N (about 0.137906).
    m_c : float
        Overlap with the stored pattern at ``alpha_c`` (about 0.9674).

    References
    ----------
    D. J. Amit, H. Gutfreund, H. Sompolinsky, Ann. Phys. 173:30 (1987).
    """
    y_star, f_star = _ags_peak()
    return float(0.5 * f_star**2), float(erf(y_star))


@functools.partial(np.vectorize, otypes=[float])
def _ags_overlap_scalar(alpha: float) -> float:
    if alpha == 0.0:
        return 1.0
    y_star, f_star = _ags_peak()
    target = math.sqrt(2.0 * alpha)
    if target > f_star:
        return math.nan
    if target == f_star:
        return float(erf(y_star))
    # _ags_f decreases from f_star to 0 on (y*, inf) and _ags_f(y) < 1/y.
    y_hi = max(1.0 / target, y_star) * 2.0
    y = optimize.brentq(lambda t: _ags_f(t) - target, y_star, y_hi, xtol=1e-14)
    return float(erf(y))


def ags_overlap(alpha: ArrayLike) -> np.ndarray:
    """Retrieval-state overlap m(alpha) of the replica-symmetric T = 0 AGS theory.

    Takes the root of the AGS equations on the retrieval branch (``y > y*``).

    Parameters
    ----------
    alpha : float or array_like
        Load P/N, ``>= 0``.

    Returns
    -------
    m : float or ndarray
        Overlap; 1.0 at ``alpha = 0`` and NaN where ``alpha > alpha_c``.

    Raises
    ------
    ValueError
        If ``alpha`` is negative or NaN.
    """
    alpha = _real("alpha", alpha, 0.0)
    return _ags_overlap_scalar(alpha)[()]


# --------------------------------------------------------------------------- Hopfield: one-step law
def one_step_error(alpha: ArrayLike) -> np.ndarray:
    """Asymptotic one-step bit-flip probability ``Phi(-1/sqrt(alpha))`` at a stored pattern.

    Parameters
    ----------
    alpha : float or array_like
        Load P/N, ``>= 0`` (0 gives 0).

    Returns
    -------
    p_err : float or ndarray
    """
    alpha = _real("alpha", alpha, 0.0)
    with np.errstate(divide="ignore"):
        return ndtr(-1.0 / np.sqrt(alpha))[()]


def one_step_error_finite(n_neurons: ArrayLike, n_patterns: ArrayLike) -> np.ndarray:
    """Finite-N one-step bit-flip probability ``Phi(-sqrt((N-1)/(P-1)))`` (Hebb, zero diagonal).

    Parameters
    ----------
    n_neurons : int or array_like
        N, ``>= 2``.
    n_patterns : int or array_like
        P, ``>= 1``; P = 1 has no crosstalk and gives 0.

    Returns
    -------
    p_err : float or ndarray
    """
    n = _integer("n_neurons", n_neurons, 2).astype(np.float64)
    p = _integer("n_patterns", n_patterns, 1).astype(np.float64)
    with np.errstate(divide="ignore"):
        return ndtr(-np.sqrt((n - 1.0) / (p - 1.0)))[()]


def one_step_load(p_err: ArrayLike) -> np.ndarray:
    """Load at which the asymptotic one-step error equals ``p_err`` (inverse of `one_step_error`).

    ``alpha = 1 / Phi^{-1}(p_err)^2``.

    Parameters
    ----------
    p_err : float or array_like
        Bit-flip probability in ``[0, 0.5]`` (0 gives 0, 0.5 gives inf).

    Returns
    -------
    alpha : float or ndarray
    """
    p = _real("p_err", p_err, 0.0, 0.5)
    with np.errstate(divide="ignore"):
        return (1.0 / ndtri(p) ** 2)[()]


# --------------------------------------------------------------------------- combinatorial capacities
def mceliece_capacity(n_neurons: ArrayLike, all_patterns: bool = False) -> np.ndarray:
    """McEliece et al. (1987) exact-storage capacity of the Hebbian network.

    ``N / (2 ln N)`` patterns when a given pattern must be stable with high
    probability, ``N / (4 ln N)`` when all patterns must be stable at once.

    Parameters
    ----------
    n_neurons : int or array_like
        N, ``>= 2``.
    all_patterns : bool, default False
        Use the all-patterns-stable criterion.

    Returns
    -------
    p_max : float or ndarray
    """
    n = _integer("n_neurons", n_neurons, 2).astype(np.float64)
    return (n / ((4.0 if all_patterns else 2.0) * np.log(n)))[()]


def storkey_capacity(n_neurons: ArrayLike) -> np.ndarray:
    """Absolute capacity of the Storkey (1997) rule, ``N / sqrt(2 ln N)``.

    Parameters
    ----------
    n_neurons : int or array_like
        N, ``>= 2``.

    Returns
    -------
    p_max : float or ndarray
    """
    n = _integer("n_neurons", n_neurons, 2).astype(np.float64)
    return (n / np.sqrt(2.0 * np.log(n)))[()]
