"""NumPy reference kernels for binary (+-1) threshold networks.

``h = s @ W`` is the local field of every unit (the full field: a non-zero
diagonal of ``W`` is included, so keeping or zeroing the self-coupling is a
property of ``W``, not of the kernel).  A unit takes the sign of its field,
and a zero field (a tie) keeps the current state.

These are the readable references; :mod:`engramsim.sim.kernels.binary_numba`
holds the compiled twins, held to these bit for bit by the tests.
``sign_sync`` is written against the array module of its input, so the CuPy
backend runs the same code on the GPU.
"""

from __future__ import annotations

import numpy as np

from engramsim.sim.kernels import CONVERGED, CYCLE, NOT_CONVERGED
from engramsim.sim.kernels.splitmix import splitmix64


def shuffle_in_place(order: np.ndarray, state: int) -> int:
    """Fisher-Yates shuffle of ``order`` driven by splitmix64; return the new state."""
    for i in range(order.shape[0] - 1, 0, -1):
        state, r = splitmix64(state)
        j = r % (i + 1)
        order[i], order[j] = order[j], order[i]
    return state


def array_module(array):
    """``numpy``, or ``cupy`` for a CuPy array: the reference kernels run on either."""
    module = type(array).__module__
    if module.startswith("cupy"):
        import cupy

        return cupy
    return np


def sign_update(fields, states):
    """Sign of ``fields``, keeping ``states`` where a field is exactly zero."""
    xp = array_module(fields)
    return xp.where(fields > 0, 1, xp.where(fields < 0, -1, states)).astype(xp.int8)


def sign_sync(coupling, states, max_steps, fields=None, field_fn=None):
    """Synchronous sign dynamics for a batch of states.

    Parameters
    ----------
    coupling : (N, N) float array, symmetric
    states : (B, N) int8 array of +-1 (modified in place and returned)
    max_steps : int
        Most update rounds per state.
    fields : (B, N) array, optional
        ``states @ coupling`` if already known (unused by this reference).
    field_fn : callable, optional
        A cheaper way to compute ``states @ coupling`` for a batch (unused by
        this reference, which always multiplies by ``coupling``).

    Returns
    -------
    states, steps, status
        Final states; rounds performed per state; ``CONVERGED`` (fixed
        point), ``CYCLE`` (2-cycle: the new state equals the one two rounds
        back) or ``NOT_CONVERGED`` per state.  Converged states are dropped
        from later rounds.
    """
    xp = array_module(states)
    n_states = states.shape[0]
    steps = xp.zeros(n_states, dtype=xp.int64)
    status = xp.full(n_states, NOT_CONVERGED, dtype=xp.int8)
    previous = states.copy()
    active = xp.arange(n_states)
    for step in range(max_steps):
        if active.size == 0:
            break
        current = states[active]
        new = sign_update(current.astype(coupling.dtype) @ coupling, current)
        steps[active] += 1
        fixed = xp.all(new == current, axis=1)
        cycle = ~fixed & xp.all(new == previous[active], axis=1) if step > 0 else xp.zeros_like(fixed)
        previous[active] = current
        states[active] = new
        status[active[fixed]] = CONVERGED
        status[active[cycle]] = CYCLE
        active = active[~(fixed | cycle)]
    return states, steps, status


def sign_async(coupling, states, max_sweeps, seeds, fields=None):
    """Asynchronous sign dynamics: sweeps over fresh random permutations.

    The local fields are kept in memory and updated after each flip
    (``h += 2 s_i W[i]``), so a sweep costs O(N^2) at most.

    Parameters
    ----------
    coupling : (N, N) float array, symmetric
    states : (B, N) int8 array of +-1 (modified in place and returned)
    max_sweeps : int
        Most sweeps per state.
    seeds : (B,) uint64 array
        Seed of each state's splitmix64 permutation stream.
    fields : (B, N) array, optional
        ``states @ coupling`` if already known.

    Returns
    -------
    states, steps, status
        Final states; sweeps performed (the last one without a flip, when
        converged); ``CONVERGED`` or ``NOT_CONVERGED`` per state.
    """
    n_states, n_units = states.shape
    if fields is None:
        fields = states.astype(coupling.dtype) @ coupling
    steps = np.zeros(n_states, dtype=np.int64)
    status = np.full(n_states, NOT_CONVERGED, dtype=np.int8)
    for b in range(n_states):
        s, h = states[b], fields[b].copy()
        rng_state = int(seeds[b])
        order = np.arange(n_units)
        for _ in range(max_sweeps):
            rng_state = shuffle_in_place(order, rng_state)
            steps[b] += 1
            flips = 0
            for i in order:
                new = 1 if h[i] > 0 else (-1 if h[i] < 0 else s[i])
                if new != s[i]:
                    s[i] = new
                    if new > 0:
                        h += 2 * coupling[i]
                    else:
                        h -= 2 * coupling[i]
                    flips += 1
            if flips == 0:
                status[b] = CONVERGED
                break
    return states, steps, status
