"""The linear associative memory of Cabannes, Dohmatob & Bietti's scaling laws.

Tokens ``x`` follow a Zipf law ``p(x) ∝ x^(-alpha)`` over N tokens and carry
the deterministic label ``f*(x)`` among M classes.  Each token has a random
embedding ``e_x ~ N(0, I_d / d)``, each class a random vector ``u_y`` (a unit
vector, or ``N(0, I_d / d)`` as in the reference code's trained models).
A memory scheme gives each token a weight ``q(x)`` and the memory stores

    W = sum_x q(x) e_x u_{f*(x)}^T        (d x d),

read out by ``f_hat(x) = argmax_y e_x^T W u_y`` (ties go to the first class).
The error is probability-weighted: ``E = sum_x p(x) 1[f_hat(x) != f*(x)]``.

Indexing: arrays are 0-indexed, so array index ``i`` is token ``x = i + 1``
of the paper, ``p[i] ∝ (i + 1)^(-alpha)`` and ``f*(i) = i mod M``, exactly as
in the reference code (``scaling_law/`` of VivienCabannes/memory-theory).

The readout never forms the d x d matrix: ``e_x^T W u_y = sum_x' q(x')
(e_x . e_x') (u_{f*(x')} . u_y)``, so the scores of all tokens cost
O(N d M) (two BLAS products) instead of O(d^2 (N + M)).

See ``docs/models/scaling_laws.md``.

References
----------
V. Cabannes, E. Dohmatob, A. Bietti, "Scaling Laws for Associative Memories",
ICLR 2024, arXiv 2310.02984.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engramsim.sim.persist import Persistent
from engramsim.sim.random import as_generator, check_seed, stream
from engramsim.sim.validation import (
    check_choice,
    check_float,
    check_int,
    check_real_array,
)

#: named memory schemes -> (rho, cut-off): q(x) = f(x)^rho on the top-P tokens, P = None (all) or "d"
#: (P = floor(threshold_ratio * d)); f is p(x) with infinite data, n(x)/T with T samples
SCHEMES: dict[str, tuple[float, str | None]] = {
    "uniform": (0.0, None),          # q = 1 on every (observed) token
    "frequency": (1.0, None),        # q = p, or the empirical frequency n(x)/T
    "threshold": (0.0, "d"),         # q = 1{x <= P}, or 1 on the P most frequent observed tokens
    "frequency_threshold": (1.0, "d"),  # q = p (or n/T) on the top P only
}

#: how the embeddings at different d relate
EMBEDDINGS = ("nested", "independent")
#: the law of the class vectors u_y: unit vectors (theory notebooks) or N(0, I/d) (the trained models' code)
CLASS_VECTORS = ("unit", "gaussian")


class ZipfLaw:
    """Zipf token distribution ``p(x) ∝ x^(-alpha)`` over tokens x = 1..N (array index x - 1).

    Parameters
    ----------
    n_tokens
        N, an integer >= 1, or ``math.inf`` for the infinite law (which needs
        ``alpha > 1``; it can be sampled but has no probability vector).
    alpha
        Zipf exponent (> 0).

    Examples
    --------
    >>> law = ZipfLaw(1000, 2.0)
    >>> round(float(law.probabilities[0]), 4)
    0.6083
    >>> law.sample(5, seed=0).shape
    (5,)
    """

    def __init__(self, n_tokens: int | float, alpha: float):
        self.alpha = check_float(alpha, "alpha", 0.0, strict_minimum=True)
        if n_tokens == math.inf:
            if self.alpha <= 1.0:
                raise ValueError(f"alpha must be > 1 when n_tokens is infinite (x^-alpha is not normalisable "
                                 f"over infinitely many tokens), got alpha={self.alpha:g}")
            self.n_tokens: int | float = math.inf
            self._cdf = None
        else:
            self.n_tokens = check_int(n_tokens, "n_tokens", minimum=1)
            self._p = zipf_probabilities(self.n_tokens, self.alpha)
            cdf = np.cumsum(self._p)
            self._cdf = cdf / cdf[-1]

    @property
    def finite(self) -> bool:
        """True for a finite vocabulary."""
        return self.n_tokens != math.inf

    @property
    def probabilities(self) -> np.ndarray:
        """``p`` as a fresh array of shape (N,) (finite N only)."""
        if not self.finite:
            raise ValueError("an infinite Zipf law has no probability vector; give a finite n_tokens")
        return self._p.copy()

    def sample(self, n_samples: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw ``n_samples`` i.i.d. token indices (0-based, int64).

        Finite N uses the inverse CDF of one uniform per sample, so the first
        T samples of a stream do not depend on how many are drawn after them
        (samples for increasing T are nested).  Infinite N uses
        :meth:`numpy.random.Generator.zipf` (shifted to 0-based indices).
        """
        n = check_int(n_samples, "n_samples", minimum=0)
        rng = as_generator(seed)
        if not self.finite:
            return rng.zipf(self.alpha, size=n).astype(np.int64) - 1
        return np.searchsorted(self._cdf, rng.random(n), side="right").astype(np.int64)

    def counts(self, n_samples: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Counts ``n(x)`` of each token in ``n_samples`` draws, shape (N,) (finite N only)."""
        if not self.finite:
            raise ValueError("counts need a finite n_tokens")
        return np.bincount(self.sample(n_samples, seed), minlength=self.n_tokens)

    def __repr__(self) -> str:
        return f"ZipfLaw(n_tokens={self.n_tokens}, alpha={self.alpha:g})"


def zipf_probabilities(n_tokens: int, alpha: float) -> np.ndarray:
    """Zipf law ``p(x) = x^(-alpha) / sum_{x'=1}^{N} x'^(-alpha)`` over tokens x = 1..N.

    Parameters
    ----------
    n_tokens : int
        N, ``>= 1`` (finite; any ``alpha > 0`` is then normalisable).
    alpha : float
        Zipf exponent, ``> 0``.

    Returns
    -------
    p : ndarray, shape (N,)
        ``p[i]`` is the probability of token ``x = i + 1`` (the reference code's
        0-indexed ``(i + 1)^(-alpha)``); decreasing, sums to 1.
    """
    n = check_int(n_tokens, "n_tokens", minimum=1)
    alpha = check_float(alpha, "alpha", 0.0, strict_minimum=True)
    weights = np.arange(1, n + 1, dtype=np.float64) ** -alpha
    return weights / weights.sum()


def memory_weights(
    *,
    probabilities: Any = None,
    counts: Any = None,
    rho: float = 0.0,
    top: int | None = None,
) -> np.ndarray:
    """Weights ``q(x)`` of a memory scheme: ``f(x)^rho`` on the ``top`` most frequent tokens.

    Exactly one of ``probabilities`` (infinite data, ``f = p``) or ``counts``
    (T samples, ``f = n(x) / T``) is given.  Tokens never observed get 0
    whatever ``rho``.  Ranking ties go to the smaller token index, so with a
    decreasing ``p`` the top P tokens are ``x = 1..P``.

    * ``rho = 0, top = None``: q = 1 on every (observed) token;
    * ``rho = 1, top = None``: q = p, or the empirical frequency;
    * ``rho = 0, top = P``: thresholding, ``q = 1{x <= P}`` with infinite data.

    Parameters
    ----------
    probabilities : array, shape (N,), optional
        Token probabilities (non-negative, summing to 1).
    counts : array, shape (N,), optional
        Non-negative integer token counts, at least one positive.
    rho
        Exponent (>= 0).
    top
        Number of tokens kept, ``0 <= top <= N``; None keeps all.

    Returns
    -------
    q : ndarray, shape (N,)
    """
    if (probabilities is None) == (counts is None):
        raise ValueError("give exactly one of probabilities (infinite data) or counts (T samples)")
    if counts is not None:
        freq = check_real_array(counts, "counts", ndim=1)
        if np.any(freq < 0) or np.any(freq != np.round(freq)):
            raise ValueError("counts must hold non-negative integers")
        if freq.sum() == 0:
            raise ValueError("counts must hold at least one observation, got all zeros")
        freq = freq / freq.sum()
    else:
        freq = _check_probabilities(probabilities, "probabilities")
    rho = check_float(rho, "rho", 0.0)
    n = freq.size
    if top is not None:
        top = check_int(top, "top", minimum=0)
        if top > n:
            raise ValueError(f"top (the number of stored tokens P) must be <= n_tokens = {n}, got {top}")
    order = np.argsort(-freq, kind="stable")
    kept = order[: n if top is None else top]
    kept = kept[freq[kept] > 0]
    q = np.zeros(n)
    q[kept] = freq[kept] ** rho
    return q


def sgd_effective_weights(tokens: Any, n_tokens: int, n_classes: int, learning_rate: float,
                          batch_size: int) -> np.ndarray:
    """The effective scheme ``q_gamma`` of one SGD pass (§4.1 of the paper): an approximation.

    Starting from ``q = 0``, each mini-batch of ``batch_size`` tokens applies

        q(x) <- q(x) + (gamma / B) n_batch(x) / (1 + exp(q(x)) / (M - 1)),

    the cross-entropy step of token x when its logits are ``q(x)`` for its own
    class and 0 for the M - 1 others (orthogonal embeddings, no interference).
    Small ``gamma / B`` gives ``q`` proportional to the counts (the ``q = p``
    scheme); larger steps flatten ``q`` (``q ≈ p^rho`` with smaller rho).
    Stored with random embeddings it approximates the memory SGD learns, with
    no random initial ``W``.

    Parameters
    ----------
    tokens : array of int, shape (T,)
        Training tokens, in order (0-based indices in ``[0, N)``).
    n_tokens
        N.
    n_classes
        M (>= 2: with one class there is nothing to learn).
    learning_rate
        gamma (> 0).
    batch_size
        B; T must be a positive multiple of it.

    Returns
    -------
    q : ndarray, shape (N,)
        Non-negative; 0 for tokens never seen.
    """
    n = check_int(n_tokens, "n_tokens", minimum=1)
    m = check_int(n_classes, "n_classes", minimum=2)
    gamma = check_float(learning_rate, "learning_rate", 0.0, strict_minimum=True)
    b = check_int(batch_size, "batch_size", minimum=1)
    x = check_real_array(tokens, "tokens", ndim=1)
    if np.any(x != np.round(x)) or np.any(x < 0) or np.any(x >= n):
        raise ValueError(f"tokens must hold integer indices in [0, {n - 1}]")
    if x.size == 0 or x.size % b:
        raise ValueError(f"the number of tokens T must be a positive multiple of batch_size = {b}, got T = {x.size}")
    batches = x.astype(np.int64).reshape(-1, b)
    q = np.zeros(n)
    for batch in batches:
        counts = np.bincount(batch, minlength=n)
        q += (gamma / b) * counts / (1.0 + np.exp(np.minimum(q, 700.0)) / (m - 1))
    return q


def scheme_parameters(scheme: str, dim: int, threshold_ratio: float = 0.125) -> tuple[float, int | None]:
    """``(rho, top)`` of a named scheme at dimension ``dim``.

    ``"threshold"`` and ``"frequency_threshold"`` keep ``P = floor(threshold_ratio
    * d)`` tokens (the paper's d-sweep uses 1/8).
    """
    check_choice(scheme, "scheme", SCHEMES)
    dim = check_int(dim, "dim", minimum=1)
    ratio = check_float(threshold_ratio, "threshold_ratio", 0.0, strict_minimum=True)
    rho, cut = SCHEMES[scheme]
    return rho, (None if cut is None else int(math.floor(ratio * dim + 1e-9)))


def _check_probabilities(probabilities: Any, name: str, size: int | None = None) -> np.ndarray:
    p = check_real_array(probabilities, name, ndim=1, shape=None if size is None else (size,))
    if np.any(p < 0) or abs(p.sum() - 1.0) > 1e-8:
        raise ValueError(f"{name} must be non-negative and sum to 1, got sum {p.sum():.6g} and min {p.min():.3g}")
    return p


class OuterProductMemory(Persistent):
    """Outer-product associative memory with random embeddings and an argmax readout.

    Parameters
    ----------
    n_tokens
        N, the number of input tokens (>= 1, finite).
    n_classes
        M, the number of labels (>= 1); token ``i`` has label ``i mod M``.
    dim
        d, the embedding dimension (>= 1).
    embeddings
        ``"nested"`` (default): the embeddings at dimension d are the first d
        coordinates of one draw per seed (rescaled), as in the reference
        notebooks, so curves over d are smooth; ``"independent"``: a fresh
        draw for every d.  Either way ``e_x ~ N(0, I_d/d)`` at each d.
    class_vectors
        ``"unit"`` (default): ``u_y`` uniform on the unit sphere, as in the
        theory notebooks; ``"gaussian"``: ``u_y ~ N(0, I_d/d)``, as in the
        reference code's trained models (``AssMem``), which the optimizer
        figures use.
    seed
        Seed of the embedding streams (an int, a Generator or None).

    Examples
    --------
    >>> law = ZipfLaw(100, 2.0)
    >>> mem = OuterProductMemory(100, 5, 64, seed=0)
    >>> _ = mem.store(memory_weights(probabilities=law.probabilities, top=8))
    >>> bool(mem.error(law.probabilities) < 0.2)
    True
    """

    def __init__(self, n_tokens: int, n_classes: int, dim: int, *, embeddings: str = "nested",
                 class_vectors: str = "unit", seed: int | np.random.Generator | None = None):
        self.n_tokens = check_int(n_tokens, "n_tokens", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=1)
        self.dim = check_int(dim, "dim", minimum=1)
        self.embedding_mode = check_choice(embeddings, "embeddings", EMBEDDINGS)
        self.class_vector_law = check_choice(class_vectors, "class_vectors", CLASS_VECTORS)
        check_seed(seed)
        self.seed = seed
        suffix = "" if embeddings == "nested" or isinstance(seed, np.random.Generator) else f"-d{self.dim}"
        rng_e = stream(seed, "token-embeddings" + suffix)
        rng_u = stream(seed, "class-embeddings" + suffix)
        # rows = coordinates: the first d rows of a (d_max, N) draw are a (d, N) draw from the same stream
        self._et = rng_e.standard_normal((self.dim, self.n_tokens)) / math.sqrt(self.dim)
        ut = rng_u.standard_normal((self.dim, self.n_classes))
        if class_vectors == "unit":
            self._ut = ut / np.linalg.norm(ut, axis=0, keepdims=True)
        else:
            self._ut = ut / math.sqrt(self.dim)
        self._labels = np.arange(self.n_tokens) % self.n_classes
        self._q: np.ndarray | None = None
        self._matrix: np.ndarray | None = None
        #: the :class:`~engramsim.learning_rules.cross_entropy.CrossEntropyResult` of the last :meth:`fit`
        self.training = None

    # ----------------------------------------------------------------- parts
    @property
    def labels(self) -> np.ndarray:
        """Target labels ``f*(x) = x mod M`` (0-based token index), shape (N,)."""
        return self._labels.copy()

    @property
    def embeddings(self) -> np.ndarray:
        """Token embeddings ``e_x`` as rows, shape (N, d) (a copy)."""
        return self._et.T.copy()

    @property
    def class_embeddings(self) -> np.ndarray:
        """Class vectors ``u_y`` as rows, shape (M, d) (a copy); see ``class_vectors``."""
        return self._ut.T.copy()

    @property
    def weights(self) -> np.ndarray | None:
        """The scheme's ``q`` (a copy), or None when a matrix was set directly."""
        return None if self._q is None else self._q.copy()

    @property
    def matrix(self) -> np.ndarray:
        """The memory ``W`` (d x d): ``E^T diag(q) U[f*]`` or the matrix set by :meth:`set_matrix`."""
        if self._matrix is not None:
            return self._matrix.copy()
        if self._q is None:
            raise ValueError("the memory is empty: call store(q) or set_matrix(W) first")
        return self._et @ (self._q[:, None] * self._ut.T[self._labels])

    # ----------------------------------------------------------------- writing
    def store(self, weights: Any) -> OuterProductMemory:
        """Store ``W = sum_x q(x) e_x u_{f*(x)}^T`` for the weights ``q`` (shape (N,)); returns self."""
        q = check_real_array(weights, "weights", shape=(self.n_tokens,))
        if np.any(q < 0):
            raise ValueError(f"weights must be non-negative, got minimum {q.min():g}")
        self._q, self._matrix = q, None
        return self

    def set_matrix(self, matrix: Any, *, embeddings: Any = None,
                   class_embeddings: Any = None) -> OuterProductMemory:
        """Use an arbitrary (e.g. trained) ``W`` of shape (d, d), optionally with new embeddings.

        Parameters
        ----------
        matrix : array, shape (d, d)
        embeddings : array, shape (N, d), optional
            Replaces the token embeddings (learned embeddings).
        class_embeddings : array, shape (M, d), optional
            Replaces the class vectors.
        """
        w = check_real_array(matrix, "matrix", shape=(self.dim, self.dim))
        if embeddings is not None:
            self._et = check_real_array(embeddings, "embeddings", shape=(self.n_tokens, self.dim)).T.copy()
        if class_embeddings is not None:
            self._ut = check_real_array(class_embeddings, "class_embeddings",
                                        shape=(self.n_classes, self.dim)).T.copy()
        self._matrix, self._q = w, None
        return self

    # ----------------------------------------------------------------- reading
    def _tokens(self, tokens: Any) -> np.ndarray | slice:
        if tokens is None:
            return slice(None)
        arr = check_real_array(tokens, "tokens", ndim=1, dtype=np.float64)
        if np.any(arr != np.round(arr)) or np.any(arr < 0) or np.any(arr >= self.n_tokens):
            raise ValueError(f"tokens must be integer indices in [0, {self.n_tokens - 1}]")
        return arr.astype(np.int64)

    def scores(self, tokens: Any = None) -> np.ndarray:
        """Scores ``e_x^T W u_y`` of the given token indices (default: all), shape (n, M)."""
        idx = self._tokens(tokens)
        if self._matrix is not None:
            readout = self._matrix @ self._ut                      # (d, M)
        elif self._q is not None:
            gram = self._ut.T @ self._ut                           # (M, M): u_y . u_y'
            readout = self._et @ (self._q[:, None] * gram[self._labels])  # (d, M)
        else:
            raise ValueError("the memory is empty: call store(q) or set_matrix(W) first")
        return self._et[:, idx].T @ readout

    def recall(self, tokens: Any = None) -> np.ndarray:
        """Predicted labels ``argmax_y e_x^T W u_y`` (ties to the first class), shape (n,)."""
        return np.argmax(self.scores(tokens), axis=1)

    def mistakes(self) -> np.ndarray:
        """Boolean mask over all N tokens: True where the recalled label is wrong."""
        return self.recall() != self._labels

    def error(self, probabilities: Any) -> float:
        """Population error ``sum_x p(x) 1[f_hat(x) != f*(x)]`` under ``probabilities`` (shape (N,))."""
        p = _check_probabilities(probabilities, "probabilities", self.n_tokens)
        return float(p[self.mistakes()].sum())

    def fit(self, tokens: Any, **options: Any) -> OuterProductMemory:
        """Learn ``W`` (and optionally the embeddings) by cross-entropy on a token sequence.

        ``tokens`` (shape (T,), 0-based indices) are the training samples, in
        order; their labels are ``f*``.  ``options`` go to
        :func:`engramsim.learning_rules.cross_entropy.train_cross_entropy`
        (``optimizer``, ``learning_rate``, ``batch_size``,
        ``learnable_embeddings``, ``layernorm``, ``init``, ``seed``).
        Needs torch.  Returns self; :attr:`training` holds the result.
        """
        from engramsim.learning_rules.cross_entropy import train_cross_entropy

        idx = self._tokens(tokens)
        if isinstance(idx, slice):
            raise ValueError("tokens must be given (the training samples)")
        options.setdefault("seed", self.seed if not isinstance(self.seed, np.random.Generator) else None)
        result = train_cross_entropy(self._et.T, self._ut.T, self._labels, idx, **options)
        self.training = result
        learned = result.embeddings is not None
        return self.set_matrix(result.matrix, embeddings=result.embeddings if learned else None,
                               class_embeddings=result.class_embeddings if learned else None)

    def __repr__(self) -> str:
        return (f"OuterProductMemory(n_tokens={self.n_tokens}, n_classes={self.n_classes}, dim={self.dim}, "
                f"embeddings={self.embedding_mode!r}, class_vectors={self.class_vector_law!r})")
