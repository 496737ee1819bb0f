"""Active-dendrite theory (Ahmad & Hawkins 2016): false-match and false-negative rates of a
dendritic segment as exact hypergeometric tails (``active_dendrites.md``)."""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from engramsim.experiments.theory._checks import _integer

__all__ = ["hypergeometric_tail", "dendrite_false_match", "dendrite_false_negative", "union_synapse_count", "dendrite_union_false_match"]


# --------------------------------------------------------------------------- active dendrites
# Ahmad & Hawkins (2016), arXiv 1601.00720; see docs/models/active_dendrites.md.
# Every rate below is a hypergeometric upper tail, summed in exact integer
# arithmetic and divided once at the end, so nothing underflows before the
# final (correctly rounded) conversion to float64.

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
