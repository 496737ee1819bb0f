"""Hopfield recall: the step budget is honoured and every asynchronous sweep with a flip lowers the energy.

The energy is computed here in exact integers from the Hebbian counts, ``2 N E = -s^T (Xi^T Xi - P I) s``,
not with the model's own ``energy``.  A flip of unit i towards a non-zero field lowers ``2 N E`` by
``4 |h_i|`` with ``h_i`` an integer, so a sweep that changes the state lowers it by at least 4: the test
asks for that strict decrease, not only "never increases".
"""

import numpy as np
import pytest

from engramsim.networks import Hopfield, MultitaskHopfield, diluted_patterns
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim.kernels import CONVERGED, NOT_CONVERGED

BACKENDS = ["numpy", "numba"]


def integer_energy(patterns, states):
    """``2 N E(s) = -(|Xi s|^2 - P_eff |s|^2)`` in int64: Hebbian couplings with zero diagonal."""
    xi = patterns.astype(np.int64)
    s = states.astype(np.int64)
    m = s @ xi.T
    diagonal = (xi * xi).sum(axis=0)  # sum_mu (xi_i^mu)^2: P for +-1 patterns, fewer for diluted ones
    return -((m * m).sum(axis=1) - (s * s * diagonal).sum(axis=1))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dynamics", ["async", "sync"])
@pytest.mark.parametrize("model", ["hopfield", "multitask"])
def test_recall_never_exceeds_its_step_budget(backend, dynamics, model):
    n = 120
    if model == "hopfield":
        xi = random_patterns(30, n, seed=1)  # load 0.25: many cues need several rounds
        mem = Hopfield(n, backend=backend, dynamics=dynamics, max_steps=50, seed=0).store(xi)
    else:
        xi = diluted_patterns(30, n, 0.3, seed=1)
        mem = MultitaskHopfield(n, backend=backend, dynamics=dynamics, max_steps=50, seed=0).store(xi)
    cues = flip_bits(np.where(xi == 0, 1, xi).astype(np.int8), 0.3, seed=2)
    free = mem.recall(cues, seed=3)
    assert free.steps.max() >= 3  # the budgets below bind
    for budget in (1, 2):
        result = mem.recall(cues, max_steps=budget, seed=3)
        assert result.steps.max() <= budget, (budget, result.steps.max())
        cut = free.steps > budget  # cues that needed more rounds are stopped, unconverged
        assert np.all(result.status[cut] == NOT_CONVERGED)
        assert np.all(result.steps[cut] == budget)
        np.testing.assert_array_equal(result.steps[~cut], free.steps[~cut])
    # the model's own default budget is honoured too
    small = type(mem)(n, backend=backend, dynamics=dynamics, max_steps=1, seed=0).store(xi)
    assert small.recall(cues, seed=3).steps.max() == 1
    if dynamics == "sync":  # one synchronous round is exactly one step of every unit
        np.testing.assert_array_equal(mem.recall(cues, max_steps=1).states, mem.step(cues))


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_async_sweep_with_a_flip_strictly_lowers_the_energy(backend):
    n, p = 150, 30
    xi = random_patterns(p, n, seed=4)
    mem = Hopfield(n, backend=backend).store(xi)
    cues = flip_bits(xi[:20], 0.35, seed=5)
    previous_states, previous_energy = cues, integer_energy(xi, cues)
    np.testing.assert_allclose(2 * n * mem.energy(cues), previous_energy)  # the model's energy, same scale
    changed_any = 0
    final = mem.recall(cues, max_steps=50, seed=6)
    assert np.all(final.status == CONVERGED) and final.steps.max() >= 4
    for sweeps in range(1, int(final.steps.max()) + 1):
        states = mem.recall(cues, max_steps=sweeps, seed=6).states
        energy = integer_energy(xi, states)
        changed = np.any(states != previous_states, axis=1)
        assert np.all(previous_energy[changed] - energy[changed] >= 4), (sweeps, previous_energy - energy)
        np.testing.assert_array_equal(energy[~changed], previous_energy[~changed])
        changed_any += changed.sum()
        previous_states, previous_energy = states, energy
    assert changed_any >= 40  # most cues flip in more than one sweep
    np.testing.assert_array_equal(final.states, previous_states)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sync_two_step_lyapunov_function_decreases_strictly(backend):
    """Synchronous updates: ``L(t) = -s(t+1)^T C s(t)`` (integer Hebbian counts C, zero diagonal).

    ``L(t) - L(t+1) = sum_i h_i (s_i(t+2) - s_i(t))`` with ``h = C s(t+1)``; a unit with h_i != 0 that
    differs between t and t+2 took the sign of h_i, and a unit with h_i = 0 contributes nothing, so the
    drop is exactly ``2 sum |h_i|`` over the units with h_i != 0 that changed: strictly positive until a
    fixed point or a 2-cycle (Little 1974's argument, checked in exact integers).
    """
    n, p = 101, 40  # load 0.4: many cues end in 2-cycles
    xi = random_patterns(p, n, seed=8)
    counts = xi.T.astype(np.int64) @ xi.astype(np.int64)
    np.fill_diagonal(counts, 0)
    mem = Hopfield(n, dynamics="sync", backend=backend).store(xi)
    cues = flip_bits(xi[:30], 0.35, seed=9)
    trajectory = [cues] + [mem.recall(cues, max_steps=t).states for t in range(1, 9)]
    s = [x.astype(np.int64) for x in trajectory]
    lyapunov = [-np.einsum("bi,ij,bj->b", s[t + 1], counts, s[t]) for t in range(len(s) - 1)]
    strict = 0
    for t in range(len(s) - 2):
        h = s[t + 1] @ counts
        moved = (s[t + 2] != s[t]) & (h != 0)
        drop = lyapunov[t] - lyapunov[t + 1]
        np.testing.assert_array_equal(drop, (h * (s[t + 2] - s[t])).sum(axis=1))  # the identity above
        np.testing.assert_array_equal(drop, 2 * np.where(moved, np.abs(h), 0).sum(axis=1))
        strict += int(moved.any(axis=1).sum())
    assert strict >= 30
    assert (mem.recall(cues, max_steps=50).status == 1).any()  # some 2-cycles: L stops decreasing there
