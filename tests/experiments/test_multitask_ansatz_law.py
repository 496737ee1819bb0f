"""The hierarchical-ansatz magnetisations ``(1 - d) d^(k-1)`` against the exact law of the ansatz state.

In the ansatz state each site takes the sign of the first pattern that is non-zero there.  Site i then
contributes to ``m_k = (1/N) sum_i xi_i^k s_i``: 1 when pattern k is the first non-zero one
(probability ``d^(k-1) (1 - d)``), +-1 with equal probability when an earlier pattern is non-zero and
pattern k too, and 0 otherwise.  The N sites are independent, so ``m_k`` has mean ``(1 - d) d^(k-1)`` and
variance ``((1 - d) - mu_k^2) / N`` exactly.  The state is built here from patterns drawn with NumPy (not with
the package), at N = 10^6 so that even the smallest magnetisation (0.009 at d = 0.1, K = 3) is resolved, and
the tolerance is 5 standard deviations (two-sided false-failure rate 5.7e-7 per magnetisation).
"""

import numpy as np
import pytest

from engramsim.experiments.theory import multitask_magnetization
from engramsim.networks import MultitaskHopfield, diluted_patterns

Z = 5.0


def ansatz_state(patterns):
    state = np.ones(patterns.shape[1], dtype=np.int64)
    for row in patterns[::-1]:  # earlier patterns take precedence
        state = np.where(row != 0, row, state)
    return state


@pytest.mark.parametrize("dilution, n_patterns", [(0.1, 3), (0.3, 3), (0.5, 3), (0.8, 3), (0.3, 4), (0.5, 4),
                                                   (0.8, 4)])
def test_ansatz_magnetizations_follow_the_exact_law(dilution, n_patterns):
    n = 1_000_000
    rng = np.random.default_rng(int(100 * dilution) + n_patterns)
    patterns = np.where(rng.random((n_patterns, n)) < dilution, 0, rng.choice([-1, 1], size=(n_patterns, n)))
    m = patterns @ ansatz_state(patterns) / n
    mu = multitask_magnetization(dilution, n_patterns)
    sigma = np.sqrt(((1 - dilution) - mu**2) / n)
    assert np.all(np.abs(m - mu) <= Z * sigma), (m, mu, sigma)
    assert np.all(Z * sigma < mu / 1.5)  # every magnetisation, the smallest included, is resolved
    assert np.all(np.diff(m) < 0)  # and they come out ranked


def test_model_builds_the_ansatz_state():
    patterns = diluted_patterns(4, 3000, 0.4, seed=2)
    mem = MultitaskHopfield(3000, backend="numpy").store(patterns)
    np.testing.assert_array_equal(mem.hierarchical_state(), ansatz_state(patterns))
