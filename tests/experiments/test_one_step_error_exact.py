"""The finite-N one-step error law against the exact binomial law of the crosstalk.

Started at stored pattern 1 of a Hebbian network (zero diagonal), unit i sees
``xi_i h_i = (N - 1) + C`` where the crosstalk ``C`` is a sum of ``M = (N-1)(P-1)`` products
``xi_i^mu xi_j^mu xi_i^1 xi_j^1`` (mu > 1, j != i).  Given pattern 1 these are independent fair +-1
(each ``xi_j^mu`` is a fresh coin), so ``C = 2K - M`` with ``K ~ Binomial(M, 1/2)`` exactly, and the unit
flips iff ``C < -(N - 1)`` (a zero field keeps the state).  That exact law is the independent reference:

* ``theory.one_step_error_finite`` is its Gaussian approximation ``Phi(-(N-1)/sigma)``,
  ``sigma = sqrt(M)``.  The approximation's relative error is dominated by the lattice (span 2 of ``C``):
  the threshold is uncertain by one span, i.e. ``2/sigma`` in z, which moves ``log Phi(-t)`` by about
  ``t * 2/sigma``.  The test allows ``|formula / exact - 1| <= 2 t / sigma`` (t = (N-1)/sigma) and checks
  that this bound is tight enough to reject a law with N/P in place of (N-1)/(P-1).
* A simulation of many independent networks is compared with the exact law.  Bits of one network are
  correlated (they share patterns), so the standard error comes from the spread of the per-network error
  counts across independent networks (central limit theorem over networks), and the tolerance is
  ``Z = 5`` standard errors: a false failure rate of 5.7e-7 per comparison.
"""

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import binom

from engramsim.experiments import theory
from engramsim.networks import Hopfield
from engramsim.networks.patterns import random_patterns

Z = 5.0  # two-sided normal tail 5.7e-7


def exact_one_step_error(n: int, p: int) -> float:
    """P(C < -(N-1)) with C = 2K - M, K ~ Binomial(M, 1/2), M = (N-1)(P-1)."""
    m = (n - 1) * (p - 1)
    k_max = int(np.ceil((m - n + 1) / 2)) - 1  # largest K with 2K - M < -(N - 1)
    return float(binom.cdf(k_max, m, 0.5))


GRID = [(100, 10), (100, 20), (100, 40), (200, 20), (200, 50), (400, 40), (1000, 100), (1000, 300),
        (60, 12), (101, 11)]


@pytest.mark.parametrize("n, p", GRID)
def test_finite_law_is_the_gaussian_limit_of_the_exact_law(n, p):
    exact = exact_one_step_error(n, p)
    sigma = np.sqrt((n - 1) * (p - 1))
    t = (n - 1) / sigma
    bound = 2 * t / sigma
    formula = float(theory.one_step_error_finite(n, p))
    assert abs(formula / exact - 1) <= bound, (formula, exact, bound)
    # the bound separates the right law from a neighbour one (N/P instead of (N-1)/(P-1)) here
    neighbour = float(theory.one_step_error(p / n))
    assert abs(neighbour / exact - 1) > bound
    # and the z-score of the formula is the crosstalk's: -(N - 1) / sqrt(M)
    assert ndtri(formula) == pytest.approx(-t, rel=1e-12)


def test_law_separates_from_the_neighbour_law_at_small_p():
    # where P is small, (N-1)/(P-1) and N/P differ most; the exact law sides with the former
    for n, p in [(100, 10), (200, 20), (400, 40), (1000, 100)]:
        exact = exact_one_step_error(n, p)
        formula = float(theory.one_step_error_finite(n, p))
        neighbour = float(theory.one_step_error(p / n))
        assert abs(formula - exact) < 0.5 * abs(neighbour - exact), (n, p, formula, neighbour, exact)


def test_simulated_one_step_error_matches_the_exact_law():
    n, p, networks = 100, 20, 600
    exact = exact_one_step_error(n, p)
    errors = np.empty(networks)
    for seed in range(networks):
        xi = random_patterns(p, n, seed=seed)
        mem = Hopfield(n, backend="numba").store(xi)
        errors[seed] = (mem.step(xi) != xi).mean()
    mean, stderr = errors.mean(), errors.std(ddof=1) / np.sqrt(networks)
    assert exact * n * p * networks > 10_000  # enough events for the normal approximation of the mean
    assert abs(mean - exact) <= Z * stderr, (mean, exact, stderr)
    # the standard error is a few per cent of the rate: the check resolves a 10 % error in the law
    assert Z * stderr < 0.1 * exact
