"""Numba twins of :mod:`engramsim.sim.kernels.binary_numpy`.

Both kernels keep each state's local fields in memory and update them only
for the units that flipped (``h += 2 s_i W[i]``), so after the first full
field evaluation a round costs O(N x flips) instead of O(N^2).  The first
evaluation, ``states @ coupling``, is one BLAS matrix product (or is passed
in by the caller, who may know a cheaper low-rank form).  States run in
parallel over the batch.

The arithmetic on the fields is the same as the reference's: for couplings
that hold integers (the Hebbian rule, stored unscaled) every field is exact
and the results are bit-identical whatever the order of summation.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engramsim.sim.kernels import CONVERGED, CYCLE, NOT_CONVERGED
from engramsim.sim.kernels.splitmix_numba import _splitmix64


@njit(cache=True)
def _shuffle(order, state):
    for i in range(order.shape[0] - 1, 0, -1):
        state, r = _splitmix64(state)
        j = np.int64(r % np.uint64(i + 1))
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp
    return state


@njit(cache=True, inline="always")
def _add_row(h, coupling, i, sign):
    n = h.shape[0]
    if sign > 0:
        for k in range(n):
            h[k] += coupling[i, k] + coupling[i, k]
    else:
        for k in range(n):
            h[k] -= coupling[i, k] + coupling[i, k]


@njit(cache=True, parallel=True)
def _sync_loop(coupling, states, fields, previous, first_step, max_steps, steps, status):
    n_states, n_units = states.shape
    for b in prange(n_states):
        if status[b] != NOT_CONVERGED:
            continue
        s = states[b]
        h = fields[b]
        prev = previous[b]
        new = np.empty(n_units, dtype=np.int8)
        flipped = np.empty(n_units, dtype=np.int64)
        for step in range(first_step, max_steps):
            n_flips = 0
            same_as_previous = True
            for i in range(n_units):
                v = s[i]
                if h[i] > 0:
                    v = 1
                elif h[i] < 0:
                    v = -1
                new[i] = v
                if v != s[i]:
                    flipped[n_flips] = i
                    n_flips += 1
                if v != prev[i]:
                    same_as_previous = False
            steps[b] += 1
            if n_flips == 0:
                status[b] = CONVERGED
                break
            for i in range(n_units):
                prev[i] = s[i]
                s[i] = new[i]
            if step > 0 and same_as_previous:
                status[b] = CYCLE
                break
            for f in range(n_flips):
                i = flipped[f]
                _add_row(h, coupling, i, s[i])


@njit(cache=True, parallel=True)
def _async_loop(coupling, states, fields, max_sweeps, seeds, steps, status):
    n_states, n_units = states.shape
    for b in prange(n_states):
        s = states[b]
        h = fields[b]
        order = np.arange(n_units)
        rng_state = seeds[b]
        for _ in range(max_sweeps):
            rng_state = _shuffle(order, rng_state)
            steps[b] += 1
            flips = 0
            for idx in range(n_units):
                i = order[idx]
                v = s[i]
                if h[i] > 0:
                    v = 1
                elif h[i] < 0:
                    v = -1
                if v != s[i]:
                    s[i] = v
                    _add_row(h, coupling, i, v)
                    flips += 1
            if flips == 0:
                status[b] = CONVERGED
                break


def _initial_fields(coupling, states, fields):
    if fields is None:
        return states.astype(coupling.dtype) @ coupling
    return np.ascontiguousarray(fields, dtype=coupling.dtype)


@njit(cache=True, parallel=True)
def _bulk_sign(fields, states, status):
    """One synchronous sign update of every state, in place; mark unchanged states CONVERGED."""
    n_states, n_units = states.shape
    for b in prange(n_states):
        changed = False
        for i in range(n_units):
            if fields[b, i] > 0:
                v = 1
            elif fields[b, i] < 0:
                v = -1
            else:
                v = states[b, i]
            if v != states[b, i]:
                states[b, i] = v
                changed = True
        if not changed:
            status[b] = CONVERGED


def sign_sync(coupling, states, max_steps, fields=None, field_fn=None):
    """Numba twin of :func:`engramsim.sim.kernels.binary_numpy.sign_sync`.

    The first step is taken for the whole batch at once and its fields are
    recomputed with one matrix product (``field_fn``, default
    ``states @ coupling``): from a noisy cue many units flip, and a BLAS
    product is cheaper than that many row updates.  Later steps flip few units
    and update the fields row by row in the compiled loop.
    """
    if field_fn is None:
        def field_fn(s):
            return s.astype(coupling.dtype) @ coupling
    fields = field_fn(states) if fields is None else fields
    n_states = states.shape[0]
    steps = np.zeros(n_states, dtype=np.int64)
    status = np.full(n_states, NOT_CONVERGED, dtype=np.int8)
    previous = states.copy()
    if max_steps >= 1 and n_states:
        steps[:] = 1
        _bulk_sign(np.ascontiguousarray(fields), states, status)
        fields = np.ascontiguousarray(field_fn(states), dtype=coupling.dtype)
        _sync_loop(np.ascontiguousarray(coupling), states, fields, previous, 1, int(max_steps), steps, status)
    return states, steps, status


def sign_async(coupling, states, max_sweeps, seeds, fields=None):
    """Numba twin of :func:`engramsim.sim.kernels.binary_numpy.sign_async`."""
    fields = _initial_fields(coupling, states, fields)
    steps = np.zeros(states.shape[0], dtype=np.int64)
    status = np.full(states.shape[0], NOT_CONVERGED, dtype=np.int8)
    seeds = np.asarray(seeds, dtype=np.uint64)
    _async_loop(np.ascontiguousarray(coupling), states, fields, int(max_sweeps), seeds, steps, status)
    return states, steps, status
