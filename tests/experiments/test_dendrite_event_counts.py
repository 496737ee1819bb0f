"""Monte-Carlo event counts of the active-dendrite estimators against exact binomial laws, at every threshold.

Each Monte-Carlo trial is independent and is an event (overlap >= theta, or fewer than theta surviving
synapses) with the exact probability of the theory, so the event count over ``T`` trials is
``Binomial(T, p)``.  Every count is checked, including the far tails where the expected count is far
below one (there, a single phantom event is already improbable): a count fails when either one-sided
exact binomial tail probability is below ``ALPHA / (2 * checks)``.  With ``ALPHA = 1e-6`` the chance that a
correct estimator fails any one test is at most 1e-6 (Bonferroni over the checks of the test).

References, independent of the package's theory module: the false-match overlap of a random SDR (``a``
of ``n`` cells) with a fixed segment of ``s`` cells is ``Hypergeom(n, s, a)``; the synapses a segment
loses when ``v`` of the pattern's ``a`` cells are replaced are ``Hypergeom(a, s, v)`` (scipy.stats).
The union estimator's law is a mixture over the union size; for it the package's exact
``method="distribution"`` theory is the reference (itself checked against the authors' tables in
``test_dendrite_theory.py``).
"""

import numpy as np
import pytest
from scipy.stats import binom, hypergeom

from engramsim.experiments import theory
from engramsim.experiments.registry import run_experiment
from engramsim.networks.dendrites import mc_false_match, mc_false_negative, mc_union_false_match

ALPHA = 1e-6


def assert_binomial_counts(events, trials, probabilities, label=""):
    """Each ``events[j]`` must be a plausible draw of ``Binomial(trials, probabilities[j])``."""
    events = np.asarray(events, dtype=np.int64).ravel()
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64).ravel(), 0.0, 1.0)
    assert events.shape == probabilities.shape
    level = ALPHA / (2 * events.size)
    low = binom.cdf(events, trials, probabilities)        # P(X <= k)
    high = binom.sf(events - 1, trials, probabilities)    # P(X >= k)
    bad = np.flatnonzero((low < level) | (high < level))
    assert bad.size == 0, [(label, int(j), int(events[j]), float(probabilities[j] * trials)) for j in bad[:5]]


def tail_events(counts, direction):
    """Events per threshold 0..len(counts): trials with statistic >= theta, or < theta."""
    at_least = np.concatenate([np.cumsum(counts[::-1])[::-1], [0]])
    return at_least if direction == "at_least" else counts.sum() - at_least


@pytest.mark.parametrize(("n", "a", "s"), [(500, 40, 16), (4000, 120, 20)])
def test_false_match_counts_at_every_threshold(n, a, s):
    trials = 50_000
    est = mc_false_match(n, a, s, trials=trials, seed=21, backend="numba")
    k = np.arange(s + 1)
    assert est.counts.sum() == trials
    assert_binomial_counts(est.counts, trials, hypergeom.pmf(k, n, s, a), "bin")
    thetas = np.arange(s + 2)
    events = tail_events(est.counts, "at_least")
    assert_binomial_counts(events, trials, hypergeom.sf(thetas - 1, n, s, a), "tail")
    # the estimator's rates are these counts over the trials, at every threshold
    np.testing.assert_array_equal([round(est.at_least(t) * trials) for t in thetas], events)
    expected = hypergeom.sf(thetas - 1, n, s, a) * trials
    assert (expected < 1e-3).sum() >= 4  # far-tail thresholds are checked too


@pytest.mark.parametrize("v", [10, 30, 70])
def test_false_negative_counts_at_every_threshold(v):
    a, s, trials = 100, 24, 50_000
    est = mc_false_negative(a, s, v, trials=trials, seed=22, backend="numba")
    k = np.arange(s + 1)  # surviving synapses = s - lost
    assert_binomial_counts(est.counts, trials, hypergeom.pmf(s - k, a, s, v), "bin")
    thetas = np.arange(s + 2)
    below = tail_events(est.counts, "below")
    assert_binomial_counts(below, trials, hypergeom.sf(s - thetas, a, s, v), "tail")  # lost > s - theta
    np.testing.assert_array_equal([round(est.below(t) * trials) for t in thetas], below)


def test_union_counts_at_every_threshold():
    n, a, s, m, trials = 1000, 64, 16, 4, 40_000
    est = mc_union_false_match(n, a, s, m, trials=trials, seed=23, backend="numba")
    thetas = np.arange(1, 25)
    p = np.array([float(theory.dendrite_union_false_match(n, a, s, t, m, method="distribution")) for t in thetas])
    events = tail_events(est.counts, "at_least")[thetas]
    assert_binomial_counts(events, trials, p, "union")
    np.testing.assert_array_equal([round(est.at_least(t) * trials) for t in thetas], events)
    assert (p * trials < 1e-3).sum() >= 4


# ----------------------------------------------------------------------------- the registered experiments
def _experiment(name, **params):
    return run_experiment(name, params, progress=False)


def test_false_match_experiment_events_everywhere():
    trials = 20_000
    ds = _experiment("dendrite-false-match", n=[400, 3000], a=[40], s=[12], theta=[1, 2, 4, 6, 9, 12],
                     mc_trials=trials)
    events = ds["mc_false_match_events"].isel(seed=0)
    p = hypergeom.sf(ds["theta"].values[None, :] - 1, ds["n"].values[:, None], 12, 40)
    assert_binomial_counts(events.transpose("n", "a", "s", "theta").values[:, 0, 0, :], trials, p, "experiment")
    assert int((ds["theory_false_match"] * trials < 1).sum()) >= 3  # points the rate masks are still checked
    # the reported rate is the count over the trials wherever it is shown
    shown = ds["mc_false_match"].isel(seed=0).notnull()
    rate = ds["mc_false_match"].isel(seed=0).where(shown) * trials
    assert bool((abs(rate - events) < 1e-6).where(shown, True).all())


def test_noise_and_union_experiment_events_everywhere():
    trials = 20_000
    ds = _experiment("dendrite-noise", noise=[0.1, 0.3, 0.6], theta=[4, 8, 14], a=50, s=16, mc_trials=trials)
    events = ds["mc_false_negative_events"].isel(seed=0).transpose("noise", "theta").values
    v = ds["replaced"].isel(seed=0, theta=0).values
    theta = ds["theta"].values
    p = hypergeom.sf(16 - theta[None, :], 50, 16, v[:, None])
    assert_binomial_counts(events, trials, p, "noise")
    ds = _experiment("dendrite-union", n_stored=[1, 4, 12], n=[800], a=32, s=10, theta=6, mc_trials=trials)
    events = ds["mc_union_false_match_events"].isel(seed=0).values
    assert_binomial_counts(events, trials, ds["theory_union_false_match_distribution"].values, "union")
    assert float((ds["theory_union_false_match_distribution"] * trials).min()) < 1
