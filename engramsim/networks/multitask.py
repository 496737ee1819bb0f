"""The multitasking Hebbian network: a Hopfield network with diluted patterns.

Patterns take values in {-1, 0, +1}: ``P(0) = d`` (the dilution) and
``P(+1) = P(-1) = (1 - d)/2``.  Couplings are Hebbian with zero diagonal,
``J_ij = (1/N) sum_mu xi_i^mu xi_j^mu``; units stay binary (+-1) and follow
zero-temperature sign dynamics, ties keeping the state.  With d = 0 this is
the Hebbian Hopfield network.

Because each pattern leaves a fraction d of the units free, the network can
retrieve several patterns at once.  In the hierarchical regime the Mattis
magnetisations ``m_mu = xi^mu . s / N``, sorted by size, fall off as
``(1 - d) d^(k-1)`` (Agliari et al. 2012); the hierarchical ansatz state is
a zero-temperature fixed point while ``d + d^2 + ... + d^(K-1) < 1``.
Which lower pattern comes second is a matter of symmetry breaking, so
compare sorted magnitudes (:meth:`MultitaskHopfield.sorted_magnetizations`),
not magnetisations by pattern index.  See ``docs/models/multitask.md``.

References
----------
E. Agliari, A. Barra, A. Galluzzi, F. Guerra, F. Moauro, "Multitasking
associative networks", Phys. Rev. Lett. 109:268101 (2012), arXiv 1111.5191.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.networks.hopfield import Hopfield
from engramsim.sim.backends import Backend
from engramsim.sim.random import as_generator
from engramsim.sim.validation import check_elements, check_float, check_int


def diluted_patterns(
    n_patterns: int, n_neurons: int, dilution: float, seed: "int | np.random.Generator | None" = None
) -> np.ndarray:
    """Random diluted patterns, shape (n_patterns, n_neurons), int8.

    Entries are i.i.d.: 0 with probability ``dilution``, +1 and -1 with
    probability ``(1 - dilution) / 2`` each.

    Parameters
    ----------
    n_patterns
        K, the number of patterns (>= 1).
    n_neurons
        N, the length of each pattern (>= 1).
    dilution
        d in [0, 1]; d = 0 gives ordinary +-1 patterns.
    seed
        An int, a Generator or None.

    Returns
    -------
    ndarray of int8, shape (n_patterns, n_neurons)
    """
    n_patterns = check_int(n_patterns, "n_patterns", minimum=1)
    n_neurons = check_int(n_neurons, "n_neurons", minimum=1)
    dilution = check_float(dilution, "dilution", 0.0, 1.0)
    check_elements("n_patterns * n_neurons", n_patterns, n_neurons)
    rng = as_generator(seed)
    shape = (n_patterns, n_neurons)
    signs = 2 * rng.integers(0, 2, size=shape, dtype=np.int8) - 1
    return np.where(rng.random(shape) < dilution, 0, signs).astype(np.int8)


class MultitaskHopfield(Hopfield):
    """Hebbian network of binary units storing diluted {-1, 0, +1} patterns.

    A :class:`~engramsim.networks.Hopfield` network with the Hebb rule
    (exact integer couplings, zero diagonal) whose patterns may hold zeros.
    Energy, fields, :meth:`step` and :meth:`recall` are Hopfield's.

    Parameters
    ----------
    n_neurons
        Number of units N (>= 2).
    dynamics
        Default dynamics of :meth:`recall`: ``"async"`` (zero-temperature
        random-permutation sweeps until a sweep without flips) or ``"sync"``.
    max_steps
        Default budget of sweeps (async) or steps (sync).
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.
    seed
        Seeds the update order (stream ``"order"``).

    Examples
    --------
    >>> from engramsim.networks import MultitaskHopfield, diluted_patterns
    >>> patterns = diluted_patterns(3, 2000, dilution=0.2, seed=0)
    >>> mem = MultitaskHopfield(2000, backend="numpy", seed=0).store(patterns)
    >>> mem.sorted_magnetizations(mem.hierarchical_state()).round(2)
    array([[0.78, 0.17, 0.02]])
    """

    pattern_alphabet = (-1, 0, 1)

    def __init__(
        self,
        n_neurons: int,
        *,
        dynamics: str = "async",
        max_steps: int = 100,
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        super().__init__(n_neurons, "hebb", dynamics=dynamics, self_coupling=False, max_steps=max_steps,
                         backend=backend, seed=seed)

    def magnetizations(self, states: Any) -> np.ndarray:
        """Mattis magnetisations ``m_mu = xi^mu . s / N``, shape (B, K), float64.

        ``|m_mu| <= 1 - (fraction of zeros in xi^mu)``; a state aligned with
        a pattern wherever it is non-zero reaches the bound.
        """
        s = self._check_states(states, "states").astype(np.float64)
        return s @ self._patterns.T.astype(np.float64) / self.n_neurons

    def sorted_magnetizations(self, states: Any) -> np.ndarray:
        """``|m_mu|`` of each state sorted in descending order, shape (B, K)."""
        return -np.sort(-np.abs(self.magnetizations(states)), axis=1)

    def hierarchical_state(self) -> np.ndarray:
        """The hierarchical ansatz built from the stored patterns, shape (N,), int8.

        ``s_i`` is the entry of the first stored pattern (in storage order,
        i.e. priority order) that is non-zero at site i.  Sites where every
        pattern is zero (probability ``d^K``) have zero field at all times;
        they are set to +1.
        """
        state = np.ones(self.n_neurons, dtype=np.int8)
        for pattern in self._patterns[::-1]:  # earlier patterns overwrite later ones
            state = np.where(pattern != 0, pattern, state)
        return state.astype(np.int8)
