"""NumPy reference kernels for dense associative memories (binary units).

A dense associative memory (Krotov & Hopfield 2016) stores ``K`` patterns
``xi`` (+-1, shape (K, N)) and has energy ``E = -sum_mu F(xi^mu . s)``.  Unit
``i`` takes the sign of

    h_i = sum_mu xi_i^mu g(a_mu),   a_mu = m_mu - xi_i^mu s_i,
    g(a) = F(a + 1) - F(a - 1),

where ``m_mu = xi^mu . s`` are the (integer) overlaps and ``a_mu`` leaves unit
``i`` out.  Since ``xi g(a) = F(a + xi) - F(a - xi)`` this is
``E(s_i = -1) - E(s_i = +1)``, so every update descends the energy.  A zero
``h_i`` (a tie) keeps the current state.

The kernels never see ``F``.  They get ``g`` as a lookup table over integer
arguments: ``g(a)`` is ``table[a + offset]`` with

* ``offset = base`` when ``relative`` is False (polynomial interactions: the
  table holds ``g`` on ``[-(N+1), N+1]``, exact int64 or scaled float64);
* ``offset = base - max_mu m_mu`` when ``relative`` is True (the exponential
  interaction: the table holds ``exp(j - base)``, so each field is scaled by
  ``exp(-max m)`` and can neither overflow nor vanish: its largest term is
  at least ``exp(-1)``).

A positive factor common to all terms does not change a sign, so the scaled
fields give the same updates as the unscaled ones.  With an int64 table the
fields are exact and every backend gives identical results.

:mod:`engramsim.sim.kernels.dense_numba` holds the compiled twins.
"""

from __future__ import annotations

import numpy as np

from engramsim.sim.kernels import CONVERGED, NOT_CONVERGED
from engramsim.sim.kernels.binary_numpy import shuffle_in_place, sign_update


def overlaps(patterns: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Overlaps ``m = states @ patterns.T`` as int64, shape (B, K).

    Computed in float64 BLAS: products and sums of +-1 are exact integers
    (|m| <= N < 2**53), so the result is exact.
    """
    return (states.astype(np.float64) @ patterns.T.astype(np.float64)).astype(np.int64)


def _offset(m: np.ndarray, base: int, relative: bool) -> np.ndarray:
    """Table offset of each state (shape (B,)); see the module docstring."""
    if relative:
        return base - m.max(axis=-1)
    return np.full(m.shape[:-1], base, dtype=np.int64)


def dense_step(patterns, states, table, base, relative):
    """One synchronous update of every unit, all computed from the same state.

    Parameters
    ----------
    patterns : (K, N) int8 array of +-1
    states : (B, N) int8 array of +-1 (not modified)
    table : (L,) int64 or float64 array
        ``g`` on integer arguments (see the module docstring).
    base : int
        Table index of argument 0 (or of ``max m`` when ``relative``).
    relative : bool
        Shift the table by each state's largest overlap.

    Returns
    -------
    (B, N) int8 array
        The updated states (ties keep the state).
    """
    m = overlaps(patterns, states)
    offsets = _offset(m, base, relative)[:, None]
    fields = np.zeros(states.shape, dtype=table.dtype)
    for i in range(states.shape[1]):
        xi_i = patterns[:, i].astype(np.int64)  # (K,)
        a = m - xi_i * states[:, i : i + 1]  # (B, K): overlaps without unit i
        fields[:, i] = (xi_i * table[a + offsets]).sum(axis=1)
    return sign_update(fields, states)


def dense_async(patterns, states, table, base, relative, max_sweeps, seeds):
    """Asynchronous dynamics: sweeps over fresh random permutations.

    The overlaps ``m`` are kept as integers and updated after each flip
    (``m += 2 s_i xi_i``), so a unit costs O(K) and a sweep O(N K).

    Parameters
    ----------
    patterns : (K, N) int8 array of +-1
    states : (B, N) int8 array of +-1 (modified in place and returned)
    table, base, relative
        As for :func:`dense_step`.
    max_sweeps : int
        Most sweeps per state.
    seeds : (B,) uint64 array
        Seed of each state's splitmix64 permutation stream (the same streams
        as :func:`engramsim.sim.kernels.binary_numpy.sign_async`).

    Returns
    -------
    states, steps, status
        Final states; sweeps performed (the last one without a flip, when
        converged); ``CONVERGED`` or ``NOT_CONVERGED`` per state.
    """
    n_states, n_units = states.shape
    columns = np.ascontiguousarray(patterns.T).astype(np.int64)  # (N, K): row i is xi_i
    m_all = overlaps(patterns, states)
    steps = np.zeros(n_states, dtype=np.int64)
    status = np.full(n_states, NOT_CONVERGED, dtype=np.int8)
    for b in range(n_states):
        s, m = states[b], m_all[b]
        offset = int(_offset(m, base, relative))
        rng_state = int(seeds[b])
        order = np.arange(n_units)
        for _ in range(max_sweeps):
            rng_state = shuffle_in_place(order, rng_state)
            steps[b] += 1
            flips = 0
            for i in order:
                xi_i = columns[i]
                h = (xi_i * table[m - xi_i * s[i] + offset]).sum()
                new = 1 if h > 0 else (-1 if h < 0 else s[i])
                if new != s[i]:
                    s[i] = new
                    m += 2 * new * xi_i
                    offset = int(_offset(m, base, relative))
                    flips += 1
            if flips == 0:
                status[b] = CONVERGED
                break
    return states, steps, status
