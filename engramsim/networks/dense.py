"""Dense associative memory: binary units, higher-order interactions.

Krotov & Hopfield (2016) replace the quadratic Hopfield energy with

    E(s) = -sum_mu F(m_mu),   m_mu = xi^mu . s,

for an interaction function ``F``:

* ``"polynomial"``: ``F(x) = x^n`` (n = 2 is the Hebbian Hopfield network
  with zero diagonal; capacity grows like ``N^(n-1)``);
* ``"rectified_polynomial"``: ``F(x) = x^n`` for ``x > 0``, else 0 (breaks
  the ``s -> -s`` symmetry of even n, so ``-xi`` is no longer an attractor);
* ``"exponential"``: ``F(x) = exp(x)`` (Demircigil et al. 2017; about
  ``2^(N/2)`` patterns are fixed points).

Notation: this package calls the number of units ``N`` (``n_neurons``) and
the number of patterns ``K`` (``n_patterns``), as Krotov & Hopfield do
(Demircigil et al. write M for K).

Asynchronous update of unit i, with ``a_mu = m_mu - xi_i^mu s_i`` (the
overlap without unit i)::

    s_i <- sgn sum_mu [F(a_mu + xi_i^mu) - F(a_mu - xi_i^mu)]

The bracket is ``E(s_i = -1) - E(s_i = +1)``, so each update lowers the
energy or leaves it; a zero sum (a tie) keeps the state.  The overlaps are
kept as integers and updated after each flip, O(K) per unit.

Numerics.  Polynomial interactions are evaluated in exact int64 arithmetic
while every intermediate sum fits (about ``K (N+2)^n < 2^61``); beyond that,
in float64 with ``F`` scaled by a positive constant (which leaves every sign
unchanged).  The exponential interaction never evaluates ``exp(m)``: each
field is computed as ``sum_mu xi_i^mu exp(a_mu - max m)``, the difference of
the two sums of the update rule scaled by ``exp(-max m) / (2 sinh 1)``; its
sign is the sign of ``lse(a + xi_i) - lse(a - xi_i)``, and it cannot overflow.
See ``docs/models/dense_associative.md``.

References
----------
D. Krotov & J. J. Hopfield, "Dense Associative Memory for Pattern
Recognition", NeurIPS 2016, arXiv 1606.01164.
M. Demircigil et al., "On a model of associative memory with huge storage
capacity", J. Stat. Phys. 168:288 (2017).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.networks.base import AssociativeMemory, RecallResult
from engramsim.sim.backends import Backend, get_backend
from engramsim.sim.kernels import CONVERGED, CYCLE, NOT_CONVERGED
from engramsim.sim.kernels.dense_numpy import overlaps as integer_overlaps
from engramsim.sim.validation import check_choice, check_count, check_int

INTERACTIONS = ("polynomial", "rectified_polynomial", "exponential")
DYNAMICS = ("async", "sync")

#: the int64 kernels stay exact while 4 K max|g| is below this
_INT64_EXACT = 2**63
#: the largest polynomial degree (the exact tables hold integers of about degree * log2(N) bits)
MAX_DEGREE = 1000


def _to_float(value: int) -> float:
    """``float(value)``, or +-inf where a Python int is too large for float64."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


class DenseAssociativeMemory(AssociativeMemory):
    """Dense associative memory of Krotov & Hopfield (binary +-1 units).

    Parameters
    ----------
    n_neurons
        Number of units N (>= 2).
    interaction
        The interaction function F: ``"polynomial"`` (``x^n``),
        ``"rectified_polynomial"`` (``x^n`` for ``x > 0``, else 0) or
        ``"exponential"`` (``exp(x)``).
    degree
        The order n of the polynomial interactions (2 to ``MAX_DEGREE`` =
        1000); checked but unused for ``"exponential"``.
    max_steps
        Default budget of sweeps (async) or steps (sync) of :meth:`recall`;
        at most the ``max_steps`` bound of
        :class:`~engramsim.sim.validation.Limits`.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.  The dense
        kernels run on the host: with ``"cupy"`` the Numba kernels are used.
    seed
        Seeds the asynchronous update order (stream ``"order"``).

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import DenseAssociativeMemory
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.choice([-1, 1], size=(100, 100))  # K = N, far beyond Hopfield's ~0.14 N
    >>> mem = DenseAssociativeMemory(100, degree=3, backend="numpy", seed=0).store(patterns)
    >>> bool(mem.is_fixed_point(patterns).all())
    True
    """

    KERNELS = ("dense_step", "dense_async")

    def __init__(
        self,
        n_neurons: int,
        interaction: str = "polynomial",
        degree: int = 3,
        *,
        max_steps: int = 100,
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        super().__init__(n_neurons, backend=backend, seed=seed)
        self.interaction = check_choice(interaction, "interaction", INTERACTIONS)
        self.degree = check_int(degree, "degree", minimum=2, maximum=MAX_DEGREE)
        self.max_steps = check_count(max_steps, "max_steps", "max_steps")
        self._tables: dict[str, Any] | None = None

    # ------------------------------------------------------------- storage
    def store(self, patterns: Any) -> "DenseAssociativeMemory":
        """Add patterns to the memory.

        Parameters
        ----------
        patterns : array, shape (K, N) or (N,)
            Values in {-1, +1}; never modified.

        Returns
        -------
        DenseAssociativeMemory
            ``self``, so that ``DenseAssociativeMemory(...).store(x)`` chains.
        """
        self._patterns = np.concatenate([self._patterns, self._check_patterns(patterns)])
        self._tables = None
        return self

    def clear(self) -> "DenseAssociativeMemory":
        """Forget every stored pattern."""
        self._patterns = self._patterns[:0]
        self._tables = None
        return self

    def interaction_function(self, x: int) -> int | float:
        """F(x) for an integer argument (exact Python int for the polynomials)."""
        if self.interaction == "exponential":
            return math.exp(x)
        if self.interaction == "rectified_polynomial" and x <= 0:
            return 0
        return x**self.degree

    @property
    def exact(self) -> bool:
        """True when the fields are computed in exact int64 arithmetic."""
        return self._kernel_tables()["exact"]

    def _kernel_tables(self) -> dict[str, Any]:
        """The lookup table of ``g(a) = F(a+1) - F(a-1)`` the kernels use (cached).

        Polynomial: ``table[a + N + 1] = g(a)`` for ``|a| <= N + 1``, int64 when
        exact, else float64 divided by ``max |g|``.  Exponential:
        ``table[j] = exp(j - (2N + 1))``, read relative to each state's largest
        overlap (see :mod:`engramsim.sim.kernels.dense_numpy`).
        """
        if self._tables is None:
            n = self.n_neurons
            if self.interaction == "exponential":
                base = 2 * n + 1
                table = np.exp(np.arange(2 * n + 3, dtype=np.float64) - base)
                self._tables = {"table": table, "base": base, "relative": True, "exact": False}
            else:
                f, k = self.interaction_function, max(self.n_patterns, 1)
                g = [f(a + 1) - f(a - 1) for a in range(-n - 1, n + 2)]
                g_max = max(abs(v) for v in g)
                exact = 4 * k * g_max < _INT64_EXACT
                table = np.array(g, dtype=np.int64) if exact else np.array([v / g_max for v in g])
                # F on [-N, N] for the energy: exact int64 sums while they fit
                values = [f(x) for x in range(-n, n + 1)]
                fits = k * max(abs(v) for v in values) < 2**62
                # beyond int64: exact Python integers, summed exactly and rounded once
                energy = np.array(values, dtype=np.int64) if fits else np.array(values + [None], dtype=object)[:-1]
                self._tables = {"table": table, "base": n + 1, "relative": False, "exact": exact,
                                "energy": energy}
        return self._tables

    def _kernel(self, name: str):
        """Kernel ``name`` of the model's backend (Numba's when it is CuPy)."""
        backend = get_backend("numba") if self.backend.name == "cupy" else self.backend
        return backend.kernel(name)

    def _require_patterns(self) -> None:
        if self.n_patterns == 0:
            raise RuntimeError("DenseAssociativeMemory holds no patterns; call store() first")

    # -------------------------------------------------------------- recall
    def overlaps(self, states: Any) -> np.ndarray:
        """Overlaps ``m_mu = xi^mu . s`` of each state, shape (B, K), int64."""
        return integer_overlaps(self._patterns, self._check_states(states, "states"))

    def _step(self, states: np.ndarray) -> np.ndarray:
        t = self._kernel_tables()
        return self._kernel("dense_step")(self._patterns, states, t["table"], t["base"], t["relative"])

    def step(self, states: Any) -> np.ndarray:
        """One synchronous update: every unit updated from the same state.

        Parameters
        ----------
        states : array, shape (B, N) or (N,)
            Values in {-1, +1}; never modified.

        Returns
        -------
        ndarray of int8, shape (B, N)
            The updated states (ties keep the state).  Started from stored
            patterns, the fraction of changed bits is the one-step error.
        """
        self._require_patterns()
        return self._step(self._check_states(states, "states"))

    def is_fixed_point(self, states: Any) -> np.ndarray:
        """True for each state that no single-unit update changes, shape (B,)."""
        self._require_patterns()
        s = self._check_states(states, "states")
        return np.all(self._step(s) == s, axis=1)

    def recall(
        self,
        cues: Any,
        *,
        dynamics: str = "async",
        max_steps: int | None = None,
        seed: "int | np.random.Generator | None" = None,
    ) -> RecallResult:
        """Run the dynamics from each cue.

        Parameters
        ----------
        cues : array, shape (B, N) or (N,)
            Starting states in {-1, +1}; never modified.
        dynamics
            ``"async"`` (sweeps over random permutations until one without
            flips; the energy never increases) or ``"sync"`` (all units at
            once, stopping at a fixed point or a 2-cycle; for n > 2 longer
            cycles can occur, and run out the budget).
        max_steps
            Sweep (async) or step (sync) budget; default: the model's.
        seed
            Seed of the asynchronous update order for this call; default:
            the model's ``"order"`` stream, which advances with each call.
            The per-cue permutation streams are drawn as in
            :meth:`engramsim.networks.Hopfield.recall`.

        Returns
        -------
        RecallResult
        """
        self._require_patterns()
        s = self._check_states(cues, "cues")
        dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        max_steps = self.max_steps if max_steps is None else check_count(max_steps, "max_steps", "max_steps")
        if dynamics == "sync":
            out, steps, status = self._recall_sync(s, max_steps)
            order_seed = "none"
        else:
            order_seed, seeds = self._order_seeds(s.shape[0], seed)
            t = self._kernel_tables()
            out, steps, status = self._kernel("dense_async")(
                self._patterns, s, t["table"], t["base"], t["relative"], max_steps, seeds)
        return self._result(out, steps, status, interaction=self.interaction, degree=self.degree,
                            dynamics=dynamics, exact=int(self.exact), tie="keep", order_seed=str(order_seed))

    def _recall_sync(self, states: np.ndarray, max_steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Synchronous steps until a fixed point, a 2-cycle or the budget."""
        n_states = states.shape[0]
        steps = np.zeros(n_states, dtype=np.int64)
        status = np.full(n_states, NOT_CONVERGED, dtype=np.int8)
        previous = states.copy()
        active = np.arange(n_states)
        for step in range(max_steps):
            if active.size == 0:
                break
            current = states[active]
            new = self._step(current)
            steps[active] += 1
            fixed = np.all(new == current, axis=1)
            cycle = ~fixed & np.all(new == previous[active], axis=1) if step > 0 else np.zeros_like(fixed)
            previous[active] = current
            states[active] = new
            status[active[fixed]] = CONVERGED
            status[active[cycle]] = CYCLE
            active = active[~(fixed | cycle)]
        return states, steps, status

    # -------------------------------------------------------------- energy
    def energy(self, states: Any) -> np.ndarray:
        """Energy ``E(s) = -sum_mu F(xi^mu . s)`` of each state, shape (B,), float64.

        Polynomial interactions are summed exactly in integers (int64 where
        they fit, Python integers beyond) and rounded once to float64; a sum
        past the float64 range gives ``-inf`` or ``+inf`` (never NaN): use
        :meth:`log_neg_energy` there.  The exponential energy is
        ``-exp(lse(m))``; it overflows to ``-inf`` once ``lse(m) > ~709``
        (N of about 700 and more): use :meth:`log_neg_energy` there.
        """
        m = self.overlaps(states)
        if self.interaction == "exponential":
            with np.errstate(over="ignore"):
                return -np.exp(self._log_neg_energy(m))
        table = self._kernel_tables()["energy"]
        if table.dtype == object:
            return np.array([-_to_float(int(row.sum())) for row in table[m + self.n_neurons]], dtype=np.float64)
        return -table[m + self.n_neurons].sum(axis=1).astype(np.float64)

    def log_neg_energy(self, states: Any) -> np.ndarray:
        """``ln(-E(s)) = ln sum_mu F(m_mu)`` of each state, shape (B,), float64.

        Computed with a log-sum-exp, so it never overflows.  Defined where
        ``F >= 0``: the exponential (``lse(m)``), rectified polynomial and
        even-degree polynomial interactions; ``-inf`` where every ``F(m_mu)``
        is 0.  It is monotone in the energy, so it can stand in for it.

        Raises
        ------
        ValueError
            For an odd-degree plain polynomial, whose ``-E`` can be negative.
        """
        if self.interaction == "polynomial" and self.degree % 2 == 1:
            raise ValidationError(
                f"log_neg_energy needs F >= 0; interaction='polynomial' with odd degree={self.degree} "
                "can give a positive energy"
            )
        return self._log_neg_energy(self.overlaps(states))

    def _log_neg_energy(self, m: np.ndarray) -> np.ndarray:
        from scipy.special import (
            logsumexp,  # scipy.special is slow to import; only energies need it
        )

        if self.interaction == "exponential":
            return logsumexp(m.astype(np.float64), axis=1)
        positive = m > 0 if self.interaction == "rectified_polynomial" else m != 0
        with np.errstate(divide="ignore"):
            logs = np.where(positive, self.degree * np.log(np.abs(m).astype(np.float64)), -np.inf)
            return logsumexp(logs, axis=1)
