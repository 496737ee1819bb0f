"""Dense associative memory theory (Krotov & Hopfield 2016): error-free capacity and the
one-step bit-error probability of the polynomial energy (``dense_associative.md``)."""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, ndtr

from engramsim.experiments.theory._checks import _integer

__all__ = ["krotov_hopfield_capacity", "dense_one_step_error"]


def _double_factorial(k: int) -> int:
    """k!! for odd k >= -1 (with (-1)!! = 1!! = 1), as an exact integer."""
    return math.prod(range(k, 0, -2))


# (2n-3)!! as float64, elementwise over an integer array of orders n.
_order_factor = np.vectorize(lambda n: float(_double_factorial(2 * int(n) - 3)), otypes=[float])


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
