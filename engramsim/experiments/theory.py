"""Closed-form theory curves for associative-memory models.

Every function here is a formula from one of the model briefs (``hopfield.md``,
``dense_associative.md``, ``multitask.md``); nothing is simulated. Experiments
store these curves next to the measured ones.

Conventions: ``n_neurons`` is N, ``n_patterns`` is the number of stored
patterns (P in the Hopfield brief, K in Krotov & Hopfield), ``alpha = P / N``
is the load, Phi is the standard normal CDF and all logarithms are natural.
Functions accept scalars or NumPy arrays (broadcast against each other) and
return a NumPy scalar for scalar input.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy.special import erf, gammaln, ndtr, ndtri

__all__ = [
    "ags_capacity",
    "ags_overlap",
    "one_step_error",
    "one_step_error_finite",
    "one_step_load",
    "mceliece_capacity",
    "storkey_capacity",
    "krotov_hopfield_capacity",
    "dense_one_step_error",
    "multitask_magnetization",
    "multitask_breakdown_dilution",
    "multitask_hierarchy_consistent",
]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# --------------------------------------------------------------------------- validation
def _real(name: str, value: ArrayLike, low: float, high: float = math.inf) -> np.ndarray:
    """Return ``value`` as a float64 array, checking ``low <= value <= high``."""
    arr = np.asarray(value, dtype=np.float64)
    bad = ~((arr >= low) & (arr <= high))  # also catches NaN
    if np.any(bad):
        got = arr[bad].flat[0]
        if high == math.inf:
            raise ValueError(f"{name} must be >= {low:g}, got {got:g}")
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {got:g}")
    return arr


def _integer(name: str, value: ArrayLike, minimum: int) -> np.ndarray:
    """Return ``value`` as an int64 array, checking it is integral and ``>= minimum``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    arr = arr.astype(np.int64)
    if np.any(arr < minimum):
        raise ValueError(f"{name} must be >= {minimum}, got {arr[arr < minimum].flat[0]}")
    return arr


def _scalar_integer(name: str, value: int, minimum: int) -> int:
    """Like `_integer` for a parameter that must be a single integer."""
    arr = _integer(name, value, minimum)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single integer, got an array of shape {arr.shape}")
    return int(arr)


def _double_factorial(k: int) -> int:
    """k!! for odd k >= -1 (with (-1)!! = 1!! = 1), as an exact integer."""
    return math.prod(range(k, 0, -2))


# (2n-3)!! as float64, elementwise over an integer array of orders n.
_order_factor = np.vectorize(lambda n: float(_double_factorial(2 * int(n) - 3)), otypes=[float])


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


# --------------------------------------------------------------------------- dense associative memory
def krotov_hopfield_capacity(n_neurons: ArrayLike, n: ArrayLike) -> np.ndarray:
    """Error-free capacity of the polynomial dense associative memory, F(x) = x^n.

    ``K_max = N^(n-1) / (2 (2n-3)!! ln N)`` (Krotov & Hopfield 2016, eq. 6);
    for n = 2 this is McEliece's ``N / (2 ln N)``.

    Parameters
    ----------
    n_neurons : int or array_like
        N, ``>= 2``.
    n : int or array_like
        Interaction order, ``>= 2``.

    Returns
    -------
    k_max : float or ndarray
    """
    big_n = _integer("n_neurons", n_neurons, 2).astype(np.float64)
    order = _integer("n", n, 2)
    dfact = _order_factor(order)
    return (big_n ** (order - 1) / (2.0 * dfact * np.log(big_n)))[()]


@functools.lru_cache(maxsize=256)
def _dense_signal_to_noise(n_neurons: int, n: int) -> float:
    """g(N-1) / sqrt(E[g(a)^2]) with a = 2j - (N-1), j ~ Bin(N-1, 1/2), summed exactly.

    g(a) = (a+1)^n - (a-1)^n = 2 sum_{k odd} C(n,k) a^(n-k). To stay finite for
    large N and n, g is evaluated as g(a) / (N-1)^n in terms of u = a/(N-1).
    """
    m = n_neurons - 1
    j = np.arange(m + 1, dtype=np.float64)
    log_w = gammaln(m + 1.0) - gammaln(j + 1.0) - gammaln(m - j + 1.0) - m * math.log(2.0)
    u = (2.0 * j - m) / m
    eps = 1.0 / m

    def g_scaled(x: np.ndarray | float) -> np.ndarray:
        return 2.0 * sum(math.comb(n, k) * eps**k * np.power(x, n - k) for k in range(1, n + 1, 2))

    w = np.exp(log_w)
    second_moment = np.sum(w * g_scaled(u) ** 2) / np.sum(w)  # normalising removes rounding drift
    return float(g_scaled(1.0) / math.sqrt(second_moment))


def dense_one_step_error(
    n_neurons: ArrayLike, n_patterns: ArrayLike, n: ArrayLike, exact: bool = True
) -> np.ndarray:
    """One-step bit-error probability of the polynomial dense associative memory.

    The network (F(x) = x^n) starts at a stored pattern and one bit is updated.
    Pattern 1 contributes the signal g(N-1), with g(a) = (a+1)^n - (a-1)^n; each
    of the other K-1 patterns contributes crosstalk of mean 0 and variance
    E[g(a)^2], a being a sum of N-1 independent ±1. In the Gaussian approximation

    * ``exact=True``:  ``Phi(-g(N-1) / sqrt((K-1) E[g(a)^2]))``, with E[g(a)^2]
      summed exactly over the binomial distribution of a (log-space weights,
      float64; usable up to N ~ 1e5 and beyond);
    * ``exact=False``: ``Phi(-sqrt(N^(n-1) / ((2n-3)!! K)))``, the large-N form.

    For n = 2 the exact form equals `one_step_error_finite` (Hopfield, zero diagonal).

    Parameters
    ----------
    n_neurons : int or array_like
        N, ``>= 2``.
    n_patterns : int or array_like
        K, ``>= 1``; with ``exact=True`` K = 1 gives 0.
    n : int or array_like
        Interaction order, ``>= 2``.
    exact : bool, default True
        Use the finite-N form.

    Returns
    -------
    p_err : float or ndarray

    References
    ----------
    D. Krotov & J. J. Hopfield, NeurIPS 2016, arXiv 1606.01164.
    """
    big_n = _integer("n_neurons", n_neurons, 2)
    k = _integer("n_patterns", n_patterns, 1)
    order = _integer("n", n, 2)
    if not exact:
        dfact = _order_factor(order)
        return ndtr(-np.sqrt(big_n.astype(np.float64) ** (order - 1) / (dfact * k)))[()]
    snr = np.vectorize(lambda nn, o: _dense_signal_to_noise(int(nn), int(o)), otypes=[float])(big_n, order)
    with np.errstate(divide="ignore"):
        return ndtr(-snr / np.sqrt(k - 1.0))[()]


# --------------------------------------------------------------------------- multitasking network
def multitask_magnetization(dilution: ArrayLike, n_patterns: int) -> np.ndarray:
    """Hierarchical-ansatz magnetisations ``|m_k| = (1 - d) d^(k-1)``, k = 1..K.

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
    """Whether the hierarchical ansatz is consistent: ``d + d^2 + ... + d^(K-1) < 1``.

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
