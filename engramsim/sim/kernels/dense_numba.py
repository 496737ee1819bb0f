"""Numba twins of :mod:`engramsim.sim.kernels.dense_numpy`.

States run in parallel over the batch.

``dense_step`` with an exact (int64) table rewrites the field as a matrix
product.  With ``t = xi_i s_i = +-1``,
``g(m - t) = A(m) + t D(m)`` where ``2A = g(m-1) + g(m+1)`` and
``2D = g(m-1) - g(m+1)``; as ``xi_i^2 = 1``,

    2 h_i = sum_mu xi_i^mu 2A(m_mu) + s_i sum_mu 2D(m_mu),

a (B, K) x (K, N) matrix product plus a rank-one term.  Numba gathers the
weights ``2A``, ``2D`` from the table (parallel over states); the product
runs in BLAS, in float64 whenever the integers involved stay below 2**53
(then it is exact), else in int64.  This is the reference's sum, regrouped,
and as both are exact the updates are identical.  (In floating point the
regrouping would add and subtract the large values ``g(m+1)`` where the
field uses ``g(m-1)``, and exact ties would no longer come out as 0.)

With a float64 table (the exponential interaction, or polynomials too large
for int64), ``dense_step`` and ``dense_async`` follow the reference's direct
form: ``sum_mu xi_i^mu g(a_mu)`` summed in pattern order.  The reference
sums the same terms in NumPy's (pairwise) order, so the two agree up to
rounding, which can only matter where a field is within rounding of zero.
``dense_async`` keeps integer overlaps in memory and updates them after
each flip, O(K) per unit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engramsim.sim.kernels import CONVERGED, NOT_CONVERGED
from engramsim.sim.kernels.binary_numba import _shuffle
from engramsim.sim.kernels.binary_numpy import sign_update
from engramsim.sim.kernels.dense_numpy import overlaps

#: integer sums in float64 are exact below this
_FLOAT64_EXACT = 2**53
#: states per block of dense_step, so that a block's (B, K) weights stay near 8 MB
_CHUNK = 2**20


@njit(cache=True, inline="always")
def _offset(m, base, relative):
    if relative:
        return base - np.int64(m.max())
    return np.int64(base)


@njit(cache=True, parallel=True)
def _step_weights(m_all, table, base, relative, a2, d2):
    """Per state and pattern, 2A = g(m-1) + g(m+1); per state, sum_mu 2D.

    ``m_all`` holds the overlaps, exact integers in float64 (straight from BLAS).
    """
    for b in prange(m_all.shape[0]):
        m = m_all[b]
        offset = _offset(m, base, relative)
        total = table[0] - table[0]
        for mu in range(m.shape[0]):
            j = np.int64(m[mu]) + offset
            low = table[j - 1]
            high = table[j + 1]
            a2[b, mu] = low + high
            total += low - high
        d2[b] = total


@njit(cache=True, inline="always")
def _field(xi_i, s_i, m, table, offset):
    """sum_mu xi_i^mu g(m_mu - xi_i^mu s_i), summed in pattern order."""
    h = table[0] - table[0]
    for mu in range(m.shape[0]):
        x = np.int64(xi_i[mu])
        h += x * table[m[mu] - x * s_i + offset]
    return h


@njit(cache=True, inline="always")
def _sign(h, current):
    if h > 0:
        return 1
    if h < 0:
        return -1
    return current


@njit(cache=True, parallel=True)
def _step_direct(columns, states, m_all, table, base, relative, out):
    for b in prange(states.shape[0]):
        m = m_all[b]
        offset = _offset(m, base, relative)
        for i in range(columns.shape[0]):
            out[b, i] = _sign(_field(columns[i], np.int64(states[b, i]), m, table, offset), states[b, i])


@njit(cache=True, parallel=True)
def _async_loop(columns, states, m_all, table, base, relative, max_sweeps, seeds, steps, status):
    n_units, n_patterns = columns.shape
    for b in prange(states.shape[0]):
        s = states[b]
        m = m_all[b].copy()
        offset = _offset(m, base, relative)
        order = np.arange(n_units)
        rng_state = seeds[b]
        for _ in range(max_sweeps):
            rng_state = _shuffle(order, rng_state)
            steps[b] += 1
            flips = 0
            for idx in range(n_units):
                i = order[idx]
                xi_i = columns[i]
                v = _sign(_field(xi_i, np.int64(s[i]), m, table, offset), s[i])
                if v != s[i]:
                    s[i] = v
                    for mu in range(n_patterns):
                        m[mu] += 2 * np.int64(v) * np.int64(xi_i[mu])
                    offset = _offset(m, base, relative)
                    flips += 1
            if flips == 0:
                status[b] = CONVERGED
                break


def dense_step(patterns, states, table, base, relative):
    """Numba twin of :func:`engramsim.sim.kernels.dense_numpy.dense_step`.

    Exact (int64) tables take the matrix-product form, in blocks of states so
    that memory stays bounded for large batches; float tables take the
    reference's direct form (see the module docstring).
    """
    if table.dtype.kind == "f":
        out = np.empty(states.shape, dtype=np.int8)
        _step_direct(np.ascontiguousarray(patterns.T), states, overlaps(patterns, states),
                     np.ascontiguousarray(table), np.int64(base), bool(relative), out)
        return out
    n_patterns = patterns.shape[0]
    exact_float = 4 * n_patterns * int(np.abs(table).max()) < _FLOAT64_EXACT
    dtype = np.float64 if exact_float else np.int64  # integers below 2**53: exact in BLAS
    xi_float = patterns.astype(np.float64)
    xi = xi_float if exact_float else patterns.astype(np.int64)
    table = np.ascontiguousarray(table, dtype=dtype)
    out = np.empty(states.shape, dtype=np.int8)
    chunk = max(1, _CHUNK // max(n_patterns, 1))
    for start in range(0, states.shape[0], chunk):
        s = states[start : start + chunk]
        m = s.astype(np.float64) @ xi_float.T  # exact integers
        a2 = np.empty(m.shape, dtype=dtype)
        d2 = np.empty(m.shape[0], dtype=dtype)
        _step_weights(m, table, np.int64(base), bool(relative), a2, d2)
        fields = a2 @ xi + s * d2[:, None]
        out[start : start + chunk] = sign_update(fields, s)
    return out


def dense_async(patterns, states, table, base, relative, max_sweeps, seeds):
    """Numba twin of :func:`engramsim.sim.kernels.dense_numpy.dense_async`."""
    steps = np.zeros(states.shape[0], dtype=np.int64)
    status = np.full(states.shape[0], NOT_CONVERGED, dtype=np.int8)
    columns = np.ascontiguousarray(patterns.T)
    _async_loop(columns, states, overlaps(patterns, states), np.ascontiguousarray(table),
                np.int64(base), bool(relative), int(max_sweeps), np.asarray(seeds, dtype=np.uint64), steps, status)
    return states, steps, status
