"""The modern (continuous) Hopfield network of Ramsauer et al. (2021).

Stored patterns ``x_1, ..., x_P`` in ``R^d`` (the rows of ``X``, shape
(P, d)); a state ``xi`` in ``R^d``; inverse temperature ``beta``.  One update
is a concave-convex-procedure step,

    xi_new = X^T softmax(beta X xi),

which never increases the energy

    E(xi) = -lse(beta, X xi) + xi.xi / 2 + ln(P) / beta + M^2 / 2,

with ``lse(beta, z) = ln(sum_i exp(beta z_i)) / beta`` and
``M = max_i |x_i|``.  Transformer attention is the special case
``beta = 1/sqrt(d_k)`` with learned projections.

Notation: Ramsauer et al. write ``d`` for the dimension (here
``n_neurons``), ``N`` for the number of patterns (here ``n_patterns``, P)
and store patterns as the columns of ``X``; here they are rows, as
everywhere in engramsim.  The softmax subtracts its maximum and the energy
uses :func:`scipy.special.logsumexp` on ``beta (X xi - max X xi)``.  Where
``beta X xi`` itself would leave the float64 range (patterns of magnitude
1e160, or beta near 1e308), the softmax is computed from power-of-two scaled
overlaps: the difference to the maximum is scaled by ``beta`` last, and a
weight whose exponent underflows is exactly 0, so the update tends to the
mean of the best-matching patterns, as the softmax does; never NaN.  An
energy past the float64 range raises an error instead of returning inf - inf.
See ``docs/models/modern_hopfield.md``.

References
----------
H. Ramsauer et al., "Hopfield Networks is All You Need", ICLR 2021,
arXiv 2008.02217.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.networks.base import AssociativeMemory, RecallResult, check_real_states
from engramsim.sim.backends import Backend
from engramsim.sim.kernels import CONVERGED, NOT_CONVERGED
from engramsim.sim.validation import check_count, check_float, check_real_array


def _power_of_two_scale(xp, values, axis=None, keepdims=False):
    """A power of two >= max |values| (1 for all zeros): dividing by it is exact."""
    largest = xp.abs(values).max(axis=axis, keepdims=keepdims)
    _, exponent = xp.frexp(xp.where(largest > 0, largest, 1.0))
    return xp.ldexp(xp.ones_like(largest), exponent)


class ModernHopfield(AssociativeMemory):
    """Continuous modern Hopfield network (softmax retrieval).

    Parameters
    ----------
    n_neurons
        Dimension d of patterns and states (>= 2).
    beta
        Inverse temperature (> 0).  Large beta retrieves single patterns;
        small beta averages over many (beta -> 0: the mean of all patterns
        after one update).
    tol
        :meth:`recall` stops a state once no coordinate changes by more than
        ``tol`` in one update.
    max_steps
        Default update budget of :meth:`recall`.
    backend
        ``"numpy"``, ``"numba"`` (the same BLAS code as ``"numpy"``),
        ``"cupy"`` (updates on the GPU) or ``"auto"``.
    seed
        Accepted for the common protocol; the dynamics are deterministic.

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import ModernHopfield
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.normal(size=(10, 64))
    >>> mem = ModernHopfield(64, beta=1.0, backend="numpy").store(patterns)
    >>> result = mem.recall(patterns + 0.1 * rng.normal(size=patterns.shape))
    >>> bool(np.allclose(result.states, patterns, atol=1e-6))
    True
    """

    def __init__(
        self,
        n_neurons: int,
        beta: float = 1.0,
        *,
        tol: float = 1e-8,
        max_steps: int = 100,
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        super().__init__(n_neurons, backend=backend, seed=seed)
        self.beta = check_float(beta, "beta", 0.0, strict_minimum=True)
        self.tol = check_float(tol, "tol", 0.0)
        self.max_steps = check_count(max_steps, "max_steps", "max_steps")
        self._patterns = np.zeros((0, self.n_neurons), dtype=np.float64)
        self._device_patterns = None

    # ------------------------------------------------------------- storage
    def _check_patterns(self, patterns: Any, name: str = "patterns") -> np.ndarray:
        arr = check_real_array(patterns, name, ndim=(1, 2))
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.shape[1] != self.n_neurons:
            raise ValidationError(
                f"{name} must have shape (P, {self.n_neurons}) for a network of dimension "
                f"{self.n_neurons}, got shape {arr.shape}"
            )
        return arr

    def store(self, patterns: Any) -> "ModernHopfield":
        """Add patterns to the memory.

        Parameters
        ----------
        patterns : array, shape (P, d) or (d,)
            Finite real patterns, one per row; never modified.

        Returns
        -------
        ModernHopfield
            ``self``, so that ``ModernHopfield(...).store(x)`` chains.
        """
        self._patterns = np.concatenate([self._patterns, self._check_patterns(patterns)])
        self._device_patterns = None
        return self

    def clear(self) -> "ModernHopfield":
        """Forget every stored pattern."""
        self._patterns = self._patterns[:0]
        self._device_patterns = None
        return self

    @property
    def max_norm(self) -> float:
        """M, the largest Euclidean norm of a stored pattern."""
        return float(np.linalg.norm(self._patterns, axis=1).max(initial=0.0))

    # -------------------------------------------------------------- update
    def _states(self, states: Any, name: str = "states") -> np.ndarray:
        if self.n_patterns == 0:
            raise RuntimeError("ModernHopfield holds no patterns; call store() first")
        return check_real_states(states, self.n_neurons, name)

    def _xp_patterns(self):
        if self._device_patterns is None:
            self._device_patterns = self.backend.asarray(self._patterns)
        return self._device_patterns

    def _association(self, states):
        """softmax(beta X xi) for device states (B, d) -> (B, P), max subtracted."""
        xp = self.backend.xp
        patterns = self._xp_patterns()
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.beta * (states @ patterns.T)
        if bool(xp.isfinite(z).all()):
            z -= z.max(axis=1, keepdims=True)
        else:  # beta X xi overflows: scale by powers of two, multiply by beta last
            sigma_x = _power_of_two_scale(xp, patterns)
            sigma_s = _power_of_two_scale(xp, states, axis=1, keepdims=True)
            u = (states / sigma_s) @ (patterns / sigma_x).T
            diff = u - u.max(axis=1, keepdims=True)  # <= 0, finite
            with np.errstate(over="ignore", invalid="ignore"):
                z = (self.beta * sigma_x) * sigma_s * diff  # -inf where the weight underflows
            z = xp.where(diff == 0, 0.0, z)  # the maximum: weight exp(0), even when the factor is inf
        weights = xp.exp(z)
        weights /= weights.sum(axis=1, keepdims=True)
        return weights

    def association(self, states: Any) -> np.ndarray:
        """The softmax association matrix ``softmax(beta X xi)``, shape (B, P).

        Row b holds the weights of the stored patterns in the update of
        state b; each row sums to 1.
        """
        s = self.backend.asarray(self._states(states))
        return self.backend.to_numpy(self._association(s))

    def step(self, states: Any) -> np.ndarray:
        """One update ``xi <- X^T softmax(beta X xi)`` of each state, shape (B, d)."""
        s = self.backend.asarray(self._states(states))
        return self.backend.to_numpy(self._association(s) @ self._xp_patterns())

    def recall(self, cues: Any, *, max_steps: int | None = None) -> RecallResult:
        """Iterate the update from each cue until it stops moving.

        Parameters
        ----------
        cues : array, shape (B, d) or (d,)
            Finite real starting states; never modified.
        max_steps
            Update budget; default: the model's.

        Returns
        -------
        RecallResult
            ``states`` (float64), ``steps`` (updates performed: the last one
            moved no coordinate by more than ``tol`` when converged) and
            ``status`` (fixed point or budget exhausted) per cue.
        """
        xp = self.backend.xp
        states = self.backend.asarray(self._states(cues, "cues"))
        max_steps = self.max_steps if max_steps is None else check_count(max_steps, "max_steps", "max_steps")
        n_states = states.shape[0]
        steps = np.zeros(n_states, dtype=np.int64)
        status = np.full(n_states, NOT_CONVERGED, dtype=np.int8)
        active = np.arange(n_states)
        patterns = self._xp_patterns()
        for _ in range(max_steps):
            if active.size == 0:
                break
            current = states[active]
            new = self._association(current) @ patterns
            states[active] = new
            steps[active] += 1
            done = self.backend.to_numpy(xp.abs(new - current).max(axis=1) <= self.tol)
            status[active[done]] = CONVERGED
            active = active[~done]
        return self._result(self.backend.to_numpy(states), steps, status, beta=self.beta, tol=self.tol)

    # -------------------------------------------------------------- energy
    def energy(self, states: Any) -> np.ndarray:
        """Energy ``E = -lse(beta, X xi) + xi.xi/2 + ln(P)/beta + M^2/2``, shape (B,).

        Bounds (Ramsauer et al.): ``E >= (|xi| - M)^2 / 2 >= 0`` for every
        state, and ``E <= 2 M^2`` when ``|xi| <= M``.

        Raises
        ------
        ValidationError
            When a term of the energy leaves the float64 range (patterns or
            states of magnitude near 1e154, or beta so small that
            ``ln(P) / beta`` overflows).
        """
        from scipy.special import logsumexp  # slow to import; only the energy needs it

        s = self._states(states)
        with np.errstate(over="ignore", invalid="ignore"):
            z = s @ self._patterns.T
            z_max = z.max(axis=1)
            lse = z_max + logsumexp(self.beta * (z - z_max[:, None]), axis=1) / self.beta
            energy = (-lse + 0.5 * np.einsum("bd,bd->b", s, s) + np.log(self.n_patterns) / self.beta
                      + 0.5 * self.max_norm**2)
        if not np.all(np.isfinite(energy)):
            raise ValidationError(
                "the energy of these states leaves the float64 range (largest |pattern| "
                f"{np.abs(self._patterns).max():.3g}, largest |state| {np.abs(s).max():.3g}, beta {self.beta:.3g}); "
                "rescale the patterns and states")
        return energy
