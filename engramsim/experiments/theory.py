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
from collections.abc import Callable

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


# --------------------------------------------------------------------------- active dendrites
# Ahmad & Hawkins (2016), arXiv 1601.00720; see docs/models/active_dendrites.md.
# Every rate below is a hypergeometric upper tail, summed in exact integer
# arithmetic and divided once at the end, so nothing underflows before the
# final (correctly rounded) conversion to float64.

__all__ += [
    "dendrite_false_match",
    "dendrite_false_negative",
    "dendrite_union_false_match",
    "hypergeometric_tail",
    "union_synapse_count",
]

#: union-size weights below this fraction of the largest are dropped (``method="distribution"``)
UNION_WEIGHT_CUTOFF = 1e-30


@functools.lru_cache(maxsize=65536)
def _hypergeometric_tail_exact(population: int, marked: int, draws: int, threshold: int) -> tuple[int, int]:
    """``P(X >= threshold)`` for ``X ~ Hypergeometric(population, marked, draws)`` as ``(num, den)``.

    ``X`` is the number of marked items among ``draws`` drawn without
    replacement.  The distribution is symmetric in ``marked`` and ``draws``, so
    the smaller of the two sets the size of the integers:
    ``P(X = b) = C(K, b) C(N - K, k - b) / C(N, k)`` with ``k = min``,
    ``K = max``.  Consecutive terms follow from one another by exact integer
    ratios, and the shorter of the two tails is summed (the upper tail is
    ``C(N, k)`` minus the lower one), all in Python integers.
    """
    k, big_k = sorted((marked, draws))
    rest = population - big_k
    low = max(0, k - rest)  # smallest possible X
    if threshold <= low:
        return 1, 1
    if threshold > k:
        return 0, 1
    den = math.comb(population, k)

    def term(b: int) -> int:
        return math.comb(big_k, b) * math.comb(rest, k - b)

    def run(first: int, last: int) -> int:  # sum of terms first..last (inclusive)
        t = term(first)
        total = t
        for b in range(first, last):
            t = t * (big_k - b) * (k - b) // ((b + 1) * (rest - k + b + 1))
            total += t
        return total

    if k - threshold + 1 <= threshold - low:
        num = run(threshold, k)
    else:
        num = den - run(low, threshold - 1)
    return num, den


def _ratio(num: int, den: int, log: bool) -> float:
    """``num / den`` (correctly rounded) or its natural log, for exact integers."""
    if log:
        return math.log(num) - math.log(den) if num else -math.inf
    return num / den


@functools.partial(np.vectorize, otypes=[float], excluded={"log"})
def _tail(population: int, marked: int, draws: int, threshold: int, log: bool = False) -> float:
    num, den = _hypergeometric_tail_exact(int(population), int(marked), int(draws), int(threshold))
    return _ratio(num, den, log)


def _at_most(name: str, value: np.ndarray, bound_name: str, bound: np.ndarray) -> None:
    bad = value > bound
    if np.any(bad):
        v, b = np.broadcast_arrays(value, bound)
        raise ValueError(f"{name} must be <= {bound_name}, got {name}={v[bad].flat[0]} "
                         f"with {bound_name}={b[bad].flat[0]}")


def hypergeometric_tail(population: ArrayLike, marked: ArrayLike, draws: ArrayLike,
                        threshold: ArrayLike, *, log: bool = False) -> np.ndarray:
    """Exact upper tail ``P(X >= threshold)`` of the hypergeometric distribution.

    ``X`` counts the marked items among ``draws`` items drawn without
    replacement from ``population`` items of which ``marked`` are marked.

    Parameters
    ----------
    population, marked, draws : int or array_like
        ``population >= 1``; ``0 <= marked, draws <= population``.
    threshold : int or array_like
        Any integer; ``<= 0`` gives 1, above ``min(marked, draws)`` gives 0.
    log : bool, default False
        Return the natural logarithm (``-inf`` for 0), which stays finite far
        below the float64 range.

    Returns
    -------
    p : float or ndarray
        Exact to the last bit of float64 (one correctly rounded division of
        exact integers); no underflow above about 5e-324.
    """
    n = _integer("population", population, 1)
    k_big = _integer("marked", marked, 0)
    k = _integer("draws", draws, 0)
    t = _integer("threshold", threshold, -(2**62))
    _at_most("marked", k_big, "population", n)
    _at_most("draws", k, "population", n)
    return _tail(n, k_big, k, t, log=bool(log))[()]


def dendrite_false_match(n: ArrayLike, a: ArrayLike, s: ArrayLike, theta: ArrayLike,
                         *, log: bool = False) -> np.ndarray:
    """Probability that a random SDR activates a dendritic segment (a false match).

    ``P_fm(n, a, s, theta) = sum_{b=theta}^{s} C(s, b) C(n - s, a - b) / C(n, a)``:
    a random pattern of ``a`` active cells out of ``n`` has at least ``theta``
    of its active cells among the segment's ``s`` synapses.

    Parameters
    ----------
    n : int or array_like
        Number of cells, ``>= 1``.
    a : int or array_like
        Active cells per pattern, ``0 <= a <= n``.
    s : int or array_like
        Synapses (connected) on the segment, ``0 <= s <= n``.
    theta : int or array_like
        NMDA-spike threshold, ``>= 0``; ``theta = 0`` gives 1 and
        ``theta > s`` gives 0.
    log : bool, default False
        Return ``ln P_fm`` instead.

    Returns
    -------
    p_fm : float or ndarray
        Exact (integer arithmetic, one final division).

    References
    ----------
    S. Ahmad & J. Hawkins, arXiv 1601.00720 (2016), eq. for the false match
    of a subsampled segment.
    """
    n_ = _integer("n", n, 1)
    a_ = _integer("a", a, 0)
    s_ = _integer("s", s, 0)
    theta_ = _integer("theta", theta, 0)
    _at_most("a", a_, "n", n_)
    _at_most("s", s_, "n", n_)
    return _tail(n_, s_, a_, theta_, log=bool(log))[()]


def dendrite_false_negative(a: ArrayLike, s: ArrayLike, theta: ArrayLike, v: ArrayLike,
                            *, log: bool = False) -> np.ndarray:
    """Probability that noise silences a segment trained on a pattern (a false negative).

    The segment's ``s`` synapses are a subsample of a stored pattern's ``a``
    active cells; ``v`` of the ``a`` cells are replaced by other cells.  The
    segment stays below threshold when more than ``s - theta`` of its synapses
    lose their input:

    ``P_fn(a, s, theta, v) = sum_{b=s-theta+1}^{s} C(s, b) C(a - s, v - b) / C(a, v)``.

    It does not depend on the number of cells n.

    Parameters
    ----------
    a : int or array_like
        Active cells per pattern, ``>= 1``.
    s : int or array_like
        Synapses on the segment, ``0 <= s <= a``.
    theta : int or array_like
        Threshold, ``>= 0``; ``theta = 0`` gives 0, ``theta > s`` gives 1
        (the segment can never fire).
    v : int or array_like
        Number of the ``a`` active cells replaced by noise, ``0 <= v <= a``.
    log : bool, default False
        Return ``ln P_fn`` instead.

    Returns
    -------
    p_fn : float or ndarray
    """
    a_ = _integer("a", a, 1)
    s_ = _integer("s", s, 0)
    theta_ = _integer("theta", theta, 0)
    v_ = _integer("v", v, 0)
    _at_most("s", s_, "a", a_)
    _at_most("v", v_, "a", a_)
    return _tail(a_, s_, v_, s_ - theta_ + 1, log=bool(log))[()]


def _union_size(n: int, s: int, n_stored: int) -> float:
    # n (1 - (1 - s/n)^M), without the cancellation of 1 - (1 - s/n)^M for small s/n
    return -n * math.expm1(n_stored * math.log1p(-s / n)) if s < n else float(n)


def union_synapse_count(n: ArrayLike, s: ArrayLike, n_stored: ArrayLike, *, rounded: bool = True) -> np.ndarray:
    """Expected number of distinct synapses on a segment that stores ``n_stored`` patterns.

    Each of the M stored patterns contributes ``s`` synapses onto a random
    subset of the ``n`` cells, so a cell is missed by all of them with
    probability ``(1 - s/n)^M`` and ``s_M = n (1 - (1 - s/n)^M)``.

    Parameters
    ----------
    n : int or array_like
        Number of cells, ``>= 1``.
    s : int or array_like
        Synapses per stored pattern, ``0 <= s <= n``.
    n_stored : int or array_like
        M, ``>= 1``.
    rounded : bool, default True
        Round to the nearest integer (half to even), as the authors' code
        does (``round(numOnBits)`` in ``sdr_paper_unions.py``); M = 1 gives
        exactly ``s``.

    Returns
    -------
    s_m : int or float, or ndarray
    """
    n_ = _integer("n", n, 1)
    s_ = _integer("s", s, 0)
    m_ = _integer("n_stored", n_stored, 1)
    _at_most("s", s_, "n", n_)
    size = np.vectorize(lambda nn, ss, mm: _union_size(int(nn), int(ss), int(mm)), otypes=[float])(n_, s_, m_)
    if rounded:
        return np.round(size).astype(np.int64)[()]
    return size[()]


def _log_comb(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """ln C(x, y) in log-gamma arithmetic (-inf where y < 0 or y > x)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = (y >= 0) & (y <= x)
    with np.errstate(invalid="ignore"):
        value = gammaln(x + 1.0) - gammaln(np.where(ok, y, 0.0) + 1.0) - gammaln(np.where(ok, x - y, 0.0) + 1.0)
    return np.where(ok, value, -np.inf)


def _union_size_distribution(n: int, s: int, n_stored: int) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of the union size of ``n_stored`` independent random ``s``-subsets of ``n`` cells.

    Adding a subset to a union of ``u`` cells adds ``j ~ Hypergeometric(n,
    n - u, s)`` new cells.  Returns the sizes and their probabilities
    (float64; weights below ``UNION_WEIGHT_CUTOFF`` times the largest are
    dropped after every step).
    """
    sizes = np.array([s])
    weights = np.array([1.0])
    j = np.arange(s + 1)[None, :]
    for _ in range(n_stored - 1):
        u = sizes[:, None]
        pmf = np.exp(_log_comb(n - u, j) + _log_comb(u, s - j) - _log_comb(n, s))  # (U, s + 1)
        new = np.zeros(min(n, int(sizes[-1]) + s) - int(sizes[0]) + 1)
        for col in range(s + 1):
            idx = sizes - sizes[0] + col
            keep = idx < new.size
            new[idx[keep]] += weights[keep] * pmf[keep, col]
        new_sizes = np.arange(sizes[0], sizes[0] + new.size)
        keep = new > new.max() * UNION_WEIGHT_CUTOFF
        sizes, weights = new_sizes[keep], new[keep] / new[keep].sum()
    return sizes, weights


def _log_false_match_float(n: int, a: int, sizes: np.ndarray, theta: int) -> np.ndarray:
    """ln P_fm(n, a, u, theta) for many segment sizes u, in log-gamma arithmetic (float64)."""
    from scipy.special import logsumexp

    u = sizes.astype(np.float64)[:, None]
    b = np.arange(theta, a + 1, dtype=np.float64)[None, :]
    return logsumexp(_log_comb(u, b) + _log_comb(n - u, a - b), axis=1) - _log_comb(n, a)


@functools.lru_cache(maxsize=4096)
def _log_union_false_match_distribution(n: int, a: int, s: int, theta: int, n_stored: int) -> float:
    """ln of the union false-match rate averaged over the union-size distribution."""
    from scipy.special import logsumexp

    if theta == 0:
        return 0.0
    if theta > a:
        return -math.inf
    sizes, weights = _union_size_distribution(n, s, n_stored)
    return float(logsumexp(_log_false_match_float(n, a, sizes, theta) + np.log(weights)))


def dendrite_union_false_match(n: ArrayLike, a: ArrayLike, s: ArrayLike, theta: ArrayLike,
                               n_stored: ArrayLike, *, method: str = "expected",
                               log: bool = False) -> np.ndarray:
    """False-match rate of a segment that stores the union of ``n_stored`` patterns.

    Parameters
    ----------
    n, a, s, theta : int or array_like
        As in :func:`dendrite_false_match`; ``s`` synapses per stored pattern.
    n_stored : int or array_like
        M, the number of patterns whose subsamples share the segment, ``>= 1``.
    method : {"expected", "distribution"}
        ``"expected"`` (Ahmad & Hawkins): ``P_fm(n, a, s_M, theta)`` with the
        expected union size ``s_M`` rounded to an integer
        (:func:`union_synapse_count`), in exact arithmetic.
        ``"distribution"``: the average of ``P_fm(n, a, u, theta)`` over the
        exact distribution of the union size ``u`` of M independent random
        ``s``-subsets (what a simulation measures; log-gamma arithmetic,
        relative accuracy about 1e-8).  Where ``P_fm`` is convex in ``u``
        (its small tail) the average exceeds ``P_fm`` at the mean size; the
        rounding of ``s_M`` moves ``"expected"`` by a comparable amount
        either way, so the two differ by a few per cent at most in the
        authors' examples.
    log : bool, default False
        Return the natural logarithm.

    Returns
    -------
    p : float or ndarray
    """
    check_method = ("expected", "distribution")
    if method not in check_method:
        raise ValueError(f"method must be one of {check_method}, got {method!r}")
    n_ = _integer("n", n, 1)
    a_ = _integer("a", a, 0)
    s_ = _integer("s", s, 0)
    theta_ = _integer("theta", theta, 0)
    m_ = _integer("n_stored", n_stored, 1)
    _at_most("a", a_, "n", n_)
    _at_most("s", s_, "n", n_)
    if method == "expected":
        s_m = union_synapse_count(n_, s_, m_)
        return _tail(n_, s_m, a_, theta_, log=bool(log))[()]
    log_p = np.vectorize(lambda *args: _log_union_false_match_distribution(*map(int, args)), otypes=[float])(
        n_, a_, s_, theta_, m_)
    return (log_p if log else np.exp(log_p))[()]


# --------------------------------------------------------------------------- scaling laws (Cabannes et al.)
# Zipf-distributed tokens x = 1..N with p(x) ∝ x^(-alpha) (``scaling_laws.md``); the law itself is
# :func:`engramsim.networks.scaling.zipf_probabilities`.  Arrays are 0-indexed: entry i holds token
# x = i + 1.  ``n_tokens`` may be ``math.inf`` where a formula has an infinite-vocabulary limit, which
# exists only for alpha > 1.

__all__ += ["cabannes_exponent", "unseen_mass", "zipf_tail_mass"]

#: decay exponents gamma of error ∝ (d or T)^(-gamma), by term of Cabannes, Dohmatob & Bietti (2024)
CABANNES_TERMS = ("frequency", "threshold", "data")


def _zipf_size(n_tokens: float, alpha: float) -> tuple[float, float]:
    """Check (n_tokens, alpha) of a Zipf law; infinite n_tokens needs alpha > 1."""
    if isinstance(n_tokens, (bool, np.bool_)) or not isinstance(n_tokens, (int, float, np.integer, np.floating)):
        raise TypeError(f"n_tokens must be an integer or math.inf, got {type(n_tokens).__name__} {n_tokens!r}")
    if not (n_tokens == math.inf or (math.isfinite(n_tokens) and float(n_tokens).is_integer() and n_tokens >= 1)):
        raise ValueError(f"n_tokens must be an integer >= 1 or math.inf, got {n_tokens!r}")
    alpha = float(_real("alpha", alpha, 0.0))
    if alpha <= 0.0:
        raise ValueError(f"alpha must be > 0, got {alpha:g}")
    if n_tokens == math.inf and alpha <= 1.0:
        raise ValueError(f"alpha must be > 1 when n_tokens is infinite (the Zipf law x^-alpha is not "
                         f"normalisable over infinitely many tokens), got alpha={alpha:g}")
    return float(n_tokens), alpha


def zipf_tail_mass(rank: ArrayLike, n_tokens: float, alpha: float) -> np.ndarray:
    """Mass ``sum_{x > rank} p(x)`` of the Zipf law beyond token ``rank``.

    This is the error of a memory that recalls exactly the tokens ``1..rank``
    and nothing else; with ``rank ∝ d`` it is the thresholding term ``d^(1-alpha)``.

    Parameters
    ----------
    rank : int or array_like
        Number of leading tokens excluded, ``0 <= rank <= N``.
    n_tokens : int or math.inf
        N (``math.inf`` needs ``alpha > 1``; then the Hurwitz zeta function is used).
    alpha : float
        Zipf exponent, ``> 0``.

    Returns
    -------
    mass : float or ndarray
    """
    n, alpha = _zipf_size(n_tokens, alpha)
    k = _integer("rank", rank, 0)
    if np.any(k > n):
        raise ValueError(f"rank must be <= n_tokens = {int(n)}, got {int(k[k > n].flat[0])}")
    if n == math.inf:
        from scipy.special import zeta

        return (zeta(alpha, k + 1.0) / zeta(alpha, 1.0))[()]
    from engramsim.networks.scaling import zipf_probabilities

    p = zipf_probabilities(int(n), alpha)
    tails = np.concatenate([np.cumsum(p[::-1])[::-1], [0.0]])  # tails[k] = sum_{i >= k} p[i], small terms first
    return tails[k][()]


def _unseen_finite(p: np.ndarray, t: float) -> float:
    if t == 0:
        return float(p.sum())
    with np.errstate(divide="ignore"):
        return float(np.sum(p * np.exp(t * np.log1p(-p))))


def _unseen_infinite(t: float, alpha: float) -> float:
    """sum_x p(x)(1-p(x))^T for the infinite Zipf law: an exact head plus a convergent tail series.

    Tokens x <= K are summed directly; beyond K, where T p(x) <= 1/20, the binomial expansion
    p (1-p)^T = sum_j C(T, j) (-1)^j p^(j+1) is summed with Hurwitz zeta functions to j = 12
    (truncation error below 1e-16 of the tail).
    """
    from scipy.special import binom, zeta

    z = zeta(alpha, 1.0)
    k = max(1, math.ceil((20.0 * t / z) ** (1.0 / alpha)))
    if k > 50_000_000:
        raise ValueError(f"n_samples={t:g} is too large for the infinite-vocabulary sum at alpha={alpha:g}")
    head = np.arange(1, k + 1, dtype=np.float64) ** -alpha / z
    tail = sum((-1.0) ** j * binom(t, j) * zeta((j + 1) * alpha, k + 1.0) / z ** (j + 1) for j in range(13))
    return _unseen_finite(head, t) + float(tail)


def unseen_mass(n_samples: ArrayLike, n_tokens: float, alpha: float) -> np.ndarray:
    """Expected mass of the tokens never seen in T samples: ``sum_x p(x) (1 - p(x))^T``.

    Any memory built only from the observed tokens cannot know the label of the
    others; its error on them is that of a guess (``1 - 1/M`` on average for M
    balanced classes).  The sum decays like ``T^(-(1 - 1/alpha))`` (Hutter 2021).

    Parameters
    ----------
    n_samples : int or array_like
        T, ``>= 0`` (T = 0 gives 1).
    n_tokens : int or math.inf
        N (``math.inf`` needs ``alpha > 1``).
    alpha : float
        Zipf exponent, ``> 0``.

    Returns
    -------
    mass : float or ndarray
    """
    n, alpha = _zipf_size(n_tokens, alpha)
    t = _integer("n_samples", n_samples, 0)
    if n == math.inf:
        fn = np.vectorize(lambda tt: _unseen_infinite(float(tt), alpha), otypes=[float])
    else:
        from engramsim.networks.scaling import zipf_probabilities

        p = zipf_probabilities(int(n), alpha)
        fn = np.vectorize(lambda tt: _unseen_finite(p, float(tt)), otypes=[float])
    return fn(t)[()]


def cabannes_exponent(term: str, alpha: ArrayLike) -> np.ndarray:
    """Decay exponent gamma of a term of the Cabannes–Dohmatob–Bietti error, ``E ∝ x^(-gamma)``.

    * ``"frequency"``: memory ``q = p``, ``E ∝ d^(-(alpha-1)/(2 alpha))``;
    * ``"threshold"``: ``q = 1{x <= P}`` with ``P ∝ d``, ``E ∝ d^(-(alpha-1))`` (Prop. 4);
    * ``"data"``: finite data, ``E ∝ T^(-(1-1/alpha))`` (unseen tokens).

    Parameters
    ----------
    term : str
        One of ``"frequency"``, ``"threshold"``, ``"data"``.
    alpha : float or array_like
        Zipf exponent, ``> 1``.

    Returns
    -------
    gamma : float or ndarray
        Positive; the log-log slope of the error is ``-gamma``.

    References
    ----------
    V. Cabannes, E. Dohmatob, A. Bietti, "Scaling Laws for Associative Memories",
    ICLR 2024, arXiv 2310.02984.
    """
    if term not in CABANNES_TERMS:
        raise ValueError(f"term must be one of {CABANNES_TERMS}, got {term!r}")
    a = _real("alpha", alpha, 0.0)
    if np.any(a <= 1.0):
        raise ValueError(f"alpha must be > 1 for the scaling-law exponents, got {float(a[a <= 1.0].flat[0]):g}")
    if term == "frequency":
        return ((a - 1.0) / (2.0 * a))[()]
    if term == "threshold":
        return (a - 1.0)[()]
    return (1.0 - 1.0 / a)[()]


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
