"""Binary and dense kernels held to plain-Python integer references where the answers hinge on exactness.

Two kinds of case decide a sign update by a hair: exact ties (a zero field keeps the state) and large
integer fields that float64 cannot hold.  The twin tests of ``test_binary_kernels.py`` and
``test_dense_kernels.py`` compare the fast kernels with the NumPy references on inputs where neither
happens often enough to matter.  Here the inputs are built so that both happen, and the reference is a
plain-Python integer computation written from the update rule, not the package's own kernels:

* every state of a small Hebbian network (exhaustive enumeration), so that zero fields with ``s_i = -1``
  and with ``s_i = +1`` are met in the first (bulk) step *and* in the later steps that run inside the
  compiled loops (checked by counting them on the reference trajectories, so the test cannot go vacuous);
* a dense memory that stores ``xi`` and ``-xi`` with an odd ``F``: the two terms cancel for every unit, so
  every field is exactly zero and ``dense_step`` must return its input, while the terms and their partial
  sums exceed 2**53 (float64 would leave rounding residues of either sign).
"""

import numpy as np
import pytest

from engramsim.learning_rules import hebb_counts
from engramsim.networks import DenseAssociativeMemory
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim import get_backend
from engramsim.sim.kernels import CONVERGED, CYCLE, NOT_CONVERGED
from engramsim.sim.kernels.binary_numpy import shuffle_in_place

BACKENDS = [get_backend("numpy"), get_backend("numba")]


# ------------------------------------------------------------------ plain-Python references
def _sign(h: int, current: int) -> int:
    return 1 if h > 0 else (-1 if h < 0 else current)


def _fields(w: list[list[int]], s: list[int]) -> list[int]:
    return [sum(wij * sj for wij, sj in zip(row, s)) for row in w]


def sync_reference(w, s, max_steps):
    """Synchronous sign dynamics in Python integers; also returns the ties met at step >= 2.

    Ties are counted as (step index, state of the tied unit) for every unit with a zero field.
    """
    s, previous, steps, status, ties = list(s), list(s), 0, NOT_CONVERGED, []
    for step in range(max_steps):
        h = _fields(w, s)
        ties += [(step, si) for hi, si in zip(h, s) if hi == 0]
        new = [_sign(hi, si) for hi, si in zip(h, s)]
        steps += 1
        if new == s:
            status = CONVERGED
            break
        cycle = step > 0 and new == previous
        previous, s = s, new
        if cycle:
            status = CYCLE
            break
    return s, steps, status, ties


def async_reference(w, s, max_sweeps, seed):
    """Asynchronous sweeps in Python integers over the kernels' permutation stream.

    The visiting order is the one convention taken from the package (its splitmix64 Fisher-Yates
    shuffle); the updates themselves are computed here from the rule.
    """
    s, steps, status, ties = list(s), 0, NOT_CONVERGED, 0
    order, state = np.arange(len(s)), int(seed)
    for _ in range(max_sweeps):
        state = shuffle_in_place(order, state)
        steps += 1
        flips = 0
        for i in order.tolist():
            h = sum(wij * sj for wij, sj in zip(w[i], s))
            ties += h == 0
            new = _sign(h, s[i])
            flips += new != s[i]
            s[i] = new
        if flips == 0:
            status = CONVERGED
            break
    return s, steps, status, ties


def _all_states(n):
    codes = np.arange(2**n)[:, None] >> np.arange(n)[None, :] & 1
    return (2 * codes - 1).astype(np.int8)


@pytest.fixture(scope="module")
def even_hebb_network():
    """Hebbian counts of 6 patterns on 10 units (zero diagonal): every coupling is even, ties abound."""
    xi = random_patterns(6, 10, seed=0)
    w = hebb_counts(xi).astype(np.int64)
    np.fill_diagonal(w, 0)
    return w, _all_states(10)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_sync_ties_in_the_compiled_loop_keep_the_state(backend, even_hebb_network):
    w, states = even_hebb_network
    w_list = w.tolist()
    refs = [sync_reference(w_list, s.tolist(), 12) for s in states]
    late_ties = {value for r in refs for step, value in r[3] if step >= 1}
    first_ties = {value for r in refs for step, value in r[3] if step == 0}
    # the enumeration meets zero fields of both signs of s_i in step 1 and in the loop's later steps
    assert late_ties == {-1, 1} and first_ties == {-1, 1}
    statuses = {r[2] for r in refs}
    assert statuses == {CONVERGED, CYCLE}
    out, steps, status = backend.kernel("sign_sync")(w.astype(np.float32), states.copy(), 12)
    np.testing.assert_array_equal(out, np.array([r[0] for r in refs], dtype=np.int8))
    np.testing.assert_array_equal(steps, [r[1] for r in refs])
    np.testing.assert_array_equal(status, [r[2] for r in refs])
    assert steps.max() >= 3  # some trajectories run inside the loop for more than one step


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_async_ties_keep_the_state(backend, even_hebb_network):
    w, states = even_hebb_network
    w_list = w.tolist()
    seeds = np.arange(len(states), dtype=np.uint64) * np.uint64(2654435761) + np.uint64(17)
    refs = [async_reference(w_list, s.tolist(), 8, seed) for s, seed in zip(states, seeds)]
    assert sum(r[3] for r in refs) > 1000
    out, steps, status = backend.kernel("sign_async")(w.astype(np.float32), states.copy(), 8, seeds)
    np.testing.assert_array_equal(out, np.array([r[0] for r in refs], dtype=np.int8))
    np.testing.assert_array_equal(steps, [r[1] for r in refs])
    np.testing.assert_array_equal(status, [r[2] for r in refs])


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("max_steps", [1, 2, 3])
def test_sync_kernel_stops_at_its_budget(backend, even_hebb_network, max_steps):
    w, states = even_hebb_network
    refs = [sync_reference(w.tolist(), s.tolist(), max_steps) for s in states]
    out, steps, status = backend.kernel("sign_sync")(w.astype(np.float32), states.copy(), max_steps)
    assert steps.max() == max_steps
    np.testing.assert_array_equal(out, np.array([r[0] for r in refs], dtype=np.int8))
    np.testing.assert_array_equal(steps, [r[1] for r in refs])
    np.testing.assert_array_equal(status, [r[2] for r in refs])
    assert (status == NOT_CONVERGED).any()


# ------------------------------------------------------------------ dense memory beyond 2**53
N_DENSE, DEGREE = 61, 9


def _exact_step(patterns, states, degree):
    """One synchronous dense update in Python integers, F(x) = x**degree, straight from the definition."""
    xs = patterns.astype(int).tolist()
    out = states.copy()
    for b, s in enumerate(states.astype(int).tolist()):
        m = [sum(x * y for x, y in zip(p, s)) for p in xs]
        for i in range(len(s)):
            h = sum(p[i] * ((mk - p[i] * s[i] + 1) ** degree - (mk - p[i] * s[i] - 1) ** degree)
                    for p, mk in zip(xs, m))
            out[b, i] = _sign(h, s[i])
    return out


def _dense_case(extra):
    centre = random_patterns(1, N_DENSE, seed=0)
    close = flip_bits(np.repeat(centre, 48, axis=0), 0.05, seed=1)
    patterns = np.concatenate([close, -close] + ([random_patterns(extra, N_DENSE, seed=3)] if extra else []))
    states = flip_bits(np.repeat(centre, 16, axis=0), 0.05, seed=2)
    mem = DenseAssociativeMemory(N_DENSE, "polynomial", DEGREE, backend="numpy").store(patterns)
    t = mem._kernel_tables()
    return mem, patterns, states, (t["table"], t["base"], t["relative"])


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_dense_step_is_exact_where_float64_would_round(backend):
    mem, patterns, states, table = _dense_case(extra=0)
    assert mem.exact and table[0].dtype == np.int64
    # the terms are far beyond float64's integers: the 48 patterns near the state sum to more than 2**55
    # (float64 spacing 8 there), and each term g(m - 1) + g(m + 1) is 4 modulo 8 (N odd, m odd)
    m = patterns[:48].astype(int) @ states[0].astype(int)
    terms = [(int(mk) - 1 + 1) ** DEGREE - (int(mk) - 1 - 1) ** DEGREE
             + (int(mk) + 1 + 1) ** DEGREE - (int(mk) + 1 - 1) ** DEGREE for mk in m]
    assert sum(terms) > 2**55 and {t % 8 for t in terms} == {4}
    # F odd: the terms of xi and -xi cancel exactly, every field is 0, and ties keep the state
    np.testing.assert_array_equal(_exact_step(patterns, states, DEGREE), states)
    np.testing.assert_array_equal(backend.kernel("dense_step")(patterns, states, *table), states)
    assert mem.is_fixed_point(states).all()


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_dense_step_matches_python_integers_near_cancellation(backend):
    _, patterns, states, table = _dense_case(extra=1)
    expected = _exact_step(patterns, states, DEGREE)
    assert (expected != states).any() and (expected == states).any()
    np.testing.assert_array_equal(backend.kernel("dense_step")(patterns, states, *table), expected)
