"""The classical Hopfield network: binary units, pairwise symmetric couplings.

Couplings come from a learning rule of :mod:`engramsim.learning_rules`
(``"hebb"``, ``"storkey"``, ``"pseudo_inverse"``).  Recall runs asynchronous
sweeps over random permutations (Hopfield 1982) or synchronous updates with
2-cycle detection (Little 1974) on the chosen backend.  A zero local field
keeps the current state.  See ``docs/models/hopfield.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.learning_rules import hebb_counts, pseudo_inverse, storkey
from engramsim.networks.base import AssociativeMemory, RecallResult
from engramsim.sim.backends import Backend
from engramsim.sim.kernels.binary_numpy import sign_update
from engramsim.sim.validation import check_bool, check_choice, check_count, check_elements

RULES = ("hebb", "storkey", "pseudo_inverse")
DYNAMICS = ("async", "sync")

#: integer-valued float32 fields are exact while N * P stays below this
_FLOAT32_EXACT = 2**24


class Hopfield(AssociativeMemory):
    """Binary (+-1) Hopfield network.

    Parameters
    ----------
    n_neurons
        Number of units N (>= 2).
    rule
        ``"hebb"`` (outer product), ``"storkey"`` (incremental, order
        dependent) or ``"pseudo_inverse"`` (projector).
    dynamics
        Default dynamics of :meth:`recall`: ``"async"`` (random permutation
        sweeps until a sweep without flips) or ``"sync"`` (all units at once,
        stopping at a fixed point or a 2-cycle).
    self_coupling
        Keep the diagonal ``W_ii`` at recall (default False: zero diagonal).
        Keeping it inflates apparent capacity (Folli et al. 2017).
    max_steps
        Default budget of sweeps (async) or steps (sync); at most the
        ``max_steps`` bound of :class:`~engramsim.sim.validation.Limits`.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.
    seed
        Seeds the update order (stream ``"order"``); int, Generator or None.

    Notes
    -----
    Nothing of size N x N is allocated at construction.  The coupling
    matrix is built when first needed (storing with Storkey or the
    pseudo-inverse, recall, :attr:`weights`), after ``n_neurons**2`` is
    checked against the ``max_elements`` bound (``N <= 32768`` by default);
    Hebbian fields and energies with ``2 P < N`` never build it.

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import Hopfield
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.choice([-1, 1], size=(5, 100))
    >>> mem = Hopfield(100, rule="hebb", backend="numpy", seed=0).store(patterns)
    >>> result = mem.recall(patterns)
    >>> bool(result.converged.all())
    True
    """

    KERNELS = ("sign_sync", "sign_async")

    def __init__(
        self,
        n_neurons: int,
        rule: str = "hebb",
        *,
        dynamics: str = "async",
        self_coupling: bool = False,
        max_steps: int = 100,
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        super().__init__(n_neurons, backend=backend, seed=seed)
        self.rule = check_choice(rule, "rule", RULES)
        self.dynamics = check_choice(dynamics, "dynamics", DYNAMICS)
        self.self_coupling = check_bool(self_coupling, "self_coupling")
        self.max_steps = check_count(max_steps, "max_steps", "max_steps")
        self._counts: np.ndarray | None = None  # Hebb: exact integer couplings
        self._weights_full: np.ndarray | None = None  # Storkey / projector, built when first needed
        self._coupling: np.ndarray | None = None  # what the kernels use (cached)

    # ------------------------------------------------------------- storage
    def store(self, patterns: Any) -> "Hopfield":
        """Add patterns to the memory.

        Parameters
        ----------
        patterns : array, shape (P, N) or (N,)
            Values in {-1, +1}; never modified.  Storkey adds them in row
            order; the pseudo-inverse rule recomputes the projector over all
            stored patterns.

        Returns
        -------
        Hopfield
            ``self``, so that ``Hopfield(...).store(x)`` chains.
        """
        new = self._check_patterns(patterns)
        self._patterns = np.concatenate([self._patterns, new])
        if self.rule == "storkey":
            self._weights_full = storkey(new, self._weights_full)
        elif self.rule == "pseudo_inverse":
            self._weights_full = pseudo_inverse(self._patterns)
        self._counts = None  # Hebb: counted from the patterns when first needed
        self._coupling = None
        return self

    def clear(self) -> "Hopfield":
        """Forget every stored pattern."""
        self._patterns = self._patterns[:0]
        self._counts = None
        self._weights_full = None
        self._coupling = None
        return self

    @property
    def weights(self) -> np.ndarray:
        """The coupling matrix W used at recall (float64, shape (N, N))."""
        coupling, scale = self._kernel_coupling()
        return coupling.astype(np.float64) * scale

    def _kernel_coupling(self) -> tuple[np.ndarray, float]:
        """Couplings in the form the kernels use, and the positive factor to W.

        Hebbian couplings are kept as exact integers (``W = counts / N``); the
        sign dynamics do not depend on a positive factor, so the kernels work
        on the integers and every field is exact.
        """
        if self._coupling is None:
            check_elements(f"n_neurons * n_neurons (the coupling matrix of {self.n_neurons} neurons)",
                           self.n_neurons, self.n_neurons)
            if self.rule == "hebb":
                if self._counts is None:
                    self._counts = hebb_counts(self._patterns) if self.n_patterns else np.zeros(
                        (self.n_neurons,) * 2, np.int64)
                coupling = self._counts.astype(self._hebb_dtype())
            elif self._weights_full is None:
                coupling = np.zeros((self.n_neurons,) * 2)
            else:
                coupling = self._weights_full.copy()
            if not self.self_coupling:
                np.fill_diagonal(coupling, 0)
            self._coupling = self.backend.asarray(coupling)
        return self._coupling, self._scale

    @property
    def _scale(self) -> float:
        """The positive factor from the kernels' couplings to W."""
        return 1.0 / self.n_neurons if self.rule == "hebb" else 1.0

    def _hebb_dtype(self) -> type:
        """float32 while integer Hebbian fields stay exact in it, else float64."""
        return np.float32 if self.n_neurons * max(self.n_patterns, 1) < _FLOAT32_EXACT else np.float64

    def _initial_fields(self, states: np.ndarray) -> np.ndarray:
        """``states @ coupling``, through the patterns when that is cheaper.

        For the Hebb rule ``counts = Xi^T Xi``, so the fields are
        ``(s Xi^T) Xi - P s`` (zero diagonal): O(N P) per state instead of
        O(N^2), and exact in integers.
        """
        xp = self.backend.xp
        if self.rule == "hebb" and 2 * self.n_patterns < self.n_neurons and self.n_patterns > 0:
            dtype = self._hebb_dtype()  # the N x N couplings are never built here
            s = xp.asarray(states, dtype=dtype)
            xi = xp.asarray(self._patterns, dtype=dtype)
            fields = (s @ xi.T) @ xi
            if not self.self_coupling:
                fields -= (xi * xi).sum(axis=0) * s  # the diagonal of Xi^T Xi
            return fields
        coupling, _ = self._kernel_coupling()
        return xp.asarray(states, dtype=coupling.dtype) @ coupling

    # -------------------------------------------------------------- recall
    def fields(self, states: Any) -> np.ndarray:
        """Local fields ``h = W s`` of each state, shape (B, N) (float64)."""
        s = self._check_states(states, "states")
        return self.backend.to_numpy(self._initial_fields(s)).astype(np.float64) * self._scale

    def step(self, states: Any) -> np.ndarray:
        """One synchronous update of every unit (ties keep the state)."""
        s = self._check_states(states, "states")
        h = self.backend.to_numpy(self._initial_fields(s))
        return sign_update(h, s)

    def is_fixed_point(self, states: Any) -> np.ndarray:
        """True for each state that no single-unit update changes, shape (B,)."""
        s = self._check_states(states, "states")
        return np.all(self.step(s) == s, axis=1)

    def recall(
        self,
        cues: Any,
        *,
        dynamics: str | None = None,
        max_steps: int | None = None,
        seed: "int | np.random.Generator | None" = None,
    ) -> RecallResult:
        """Run the dynamics from each cue.

        Parameters
        ----------
        cues : array, shape (B, N) or (N,)
            Starting states in {-1, +1}; never modified.
        dynamics
            ``"async"`` or ``"sync"``; default: the model's.
        max_steps
            Sweep (async) or step (sync) budget; default: the model's.
        seed
            Seed of the asynchronous update order for this call; default:
            the model's ``"order"`` stream, which advances with each call.

        Returns
        -------
        RecallResult
        """
        s = self._check_states(cues, "cues")
        dynamics = self.dynamics if dynamics is None else check_choice(dynamics, "dynamics", DYNAMICS)
        max_steps = self.max_steps if max_steps is None else check_count(max_steps, "max_steps", "max_steps")
        coupling, _ = self._kernel_coupling()
        xp = self.backend.xp
        states = xp.asarray(s)
        fields = self._initial_fields(s)
        if dynamics == "sync":
            out, steps, status = self.backend.kernel("sign_sync")(coupling, states, max_steps, fields,
                                                                  self._initial_fields)
            order_seed = "none"
        else:
            order_seed, seeds = self._order_seeds(s.shape[0], seed)
            out, steps, status = self.backend.kernel("sign_async")(coupling, states, max_steps, seeds, fields)
        to_np = self.backend.to_numpy
        return self._result(to_np(out), to_np(steps), to_np(status), rule=self.rule, dynamics=dynamics,
                            self_coupling=int(self.self_coupling), tie="keep", order_seed=str(order_seed))

    def energy(self, states: Any) -> np.ndarray:
        """Energy ``E(s) = -1/2 s^T W s`` of each state, shape (B,)."""
        s = self._check_states(states, "states").astype(np.float64)
        return -0.5 * np.einsum("bn,bn->b", s, self.fields(s))
