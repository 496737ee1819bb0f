"""Scaling laws of associative memories (Cabannes, Dohmatob & Bietti 2024): Zipf tail and
unseen mass, and the decay exponents of the error terms (``scaling_laws.md``)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from engramsim.experiments.theory._checks import _integer, _real, _scalar_integer

__all__ = ["zipf_tail_mass", "unseen_mass", "data_floor", "cabannes_exponent"]


# --------------------------------------------------------------------------- scaling laws (Cabannes et al.)
# Zipf-distributed tokens x = 1..N with p(x) ∝ x^(-alpha) (``scaling_laws.md``); the law itself is
# :func:`engramsim.networks.scaling.zipf_probabilities`.  Arrays are 0-indexed: entry i holds token
# x = i + 1.  ``n_tokens`` may be ``math.inf`` where a formula has an infinite-vocabulary limit, which
# exists only for alpha > 1.

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


def data_floor(n_samples: ArrayLike, n_tokens: float, alpha: float, n_classes: int) -> np.ndarray:
    """Expected error on the tokens absent from T samples: ``(1 - 1/M) sum_x p(x) (1 - p(x))^T``.

    A memory learned or counted from the samples knows nothing of an unseen
    token and recalls a label that is right about one time in M.  This is the
    floor of the paper's optimizer figures (0.00145 at T = 10240 and 0.01255 at
    T = 1024 for N = 100, alpha = 2, M = 5).

    Parameters
    ----------
    n_samples : int or array_like
        T, ``>= 0``.
    n_tokens : int or math.inf
        N (``math.inf`` needs ``alpha > 1``).
    alpha : float
        Zipf exponent, ``> 0``.
    n_classes : int
        M, ``>= 1``.

    Returns
    -------
    floor : float or ndarray
    """
    m = _scalar_integer("n_classes", n_classes, 1)
    return ((1.0 - 1.0 / m) * np.asarray(unseen_mass(n_samples, n_tokens, alpha)))[()]


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
