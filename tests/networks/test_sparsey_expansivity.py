"""Sparsey's expansivity eta(G) at intermediate familiarity, against SparseyCore's published formula.

SparseyCore (``Mac.determine_mu_Range``, identical in Sparsey_Alt) sets the height of the V -> mu sigmoid
from the global familiarity G as

    eta = 1 + max(0, (G - 0.1) / 0.9)**2 * 100 * K,

so ``eta = 801`` at G = 1 with K = 8 (science brief ``sparsey.md``, constants table).  The reference values
below are computed from that formula in this file (and a few by hand), never with the package's functions.

With the preset's V -> mu map, ``mu = max(eta * sigmoid(4 (V - phi)), 1)``, eta cancels from the selection
probabilities ``rho = mu / sum mu`` unless some ``mu`` sits on the floor 1; the end-to-end checks therefore
probe G where the floor binds for the unfamiliar cells (G = 0.18), and the kernel checks use a logistic map
with a higher floor, where eta shapes rho at every G.
"""

import numpy as np
import pytest
from scipy.stats import binom

from engramsim.networks.sparsey import CSA, LogisticMu, SparseyCoreExpansivity, SparseyMac, csa_preset
from engramsim.sim import get_backend

ALPHA = 1e-6  # false-failure rate of each statistical test below (two-sided exact binomial)


def published_eta(g, k):
    """SparseyCore's expansivity, written from the published formula."""
    return 1.0 + np.maximum(0.0, (np.asarray(g, dtype=float) - 0.1) / 0.9) ** 2 * 100.0 * k


def logistic_mu(v, eta, phi, lam, floor, cutoff=0.999):
    """SparseyCore's V -> mu map, written from the published formula."""
    v = np.asarray(v, dtype=float)
    mu = np.where(v >= cutoff, eta, eta / (1.0 + np.exp(-lam * (v - phi))))
    return np.maximum(mu, floor)


@pytest.mark.parametrize("k", [8, 20])
def test_eta_follows_the_published_formula_at_intermediate_familiarity(k):
    g = np.array([0.0, 0.1, 0.15, 0.2, 0.325, 0.4, 0.55, 0.7, 0.82, 0.95, 1.0])
    eta = csa_preset("sparseycore").expansivity(g, k)
    np.testing.assert_allclose(eta, published_eta(g, k), rtol=1e-13)
    np.testing.assert_allclose(SparseyCoreExpansivity()(g, k), published_eta(g, k), rtol=1e-13)


def test_eta_hand_values():
    eta = csa_preset("sparseycore").expansivity
    # (0.45 / 0.9)^2 = 1/4: 1 + 800/4; (0.6 / 0.9)^2 = 4/9: 1 + 3200/9; (0.225 / 0.9)^2 = 1/16: 1 + 2000/16
    assert eta(np.array([0.55]), 8)[0] == pytest.approx(201.0, rel=1e-13)
    assert eta(np.array([0.7]), 8)[0] == pytest.approx(1 + 3200 / 9, rel=1e-13)
    assert eta(np.array([0.325]), 20)[0] == pytest.approx(126.0, rel=1e-13)
    assert eta(np.array([1.0]), 8)[0] == pytest.approx(801.0, rel=1e-13)


def _inverse_cdf(mu, uniforms):
    """Winner index for each uniform: the first cell whose cumulative share exceeds it."""
    edges = np.cumsum(mu) / mu.sum()
    return np.searchsorted(edges, uniforms, side="right")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("g", [0.3, 0.55, 0.7, 0.85])
def test_fused_kernel_selects_with_the_published_eta(backend, g):
    k, lam, phi = 8, 4.0, 0.5
    v = np.array([0.95, 0.8, 0.7, 0.6, 0.45, 0.3, 0.1, 0.0])
    eta = published_eta(g, k)
    floor = 0.35 * eta  # a floor between the cells' unfloored mu, fixed by the published eta at this G
    mu = logistic_mu(v, eta, phi, lam, floor)
    assert (mu == floor).any() and (mu > floor).any()  # the floor binds: eta shapes rho
    edges = np.cumsum(mu) / mu.sum()
    # uniforms strictly inside each cell's interval (no boundary cases), 64 per cell share
    uniforms = np.concatenate([np.linspace(lo, hi, 66)[1:-1] for lo, hi in zip(np.r_[0, edges[:-1]], edges)])
    expected = _inverse_cdf(mu, uniforms)
    csa = CSA(SparseyCoreExpansivity(), LogisticMu(nonlinearity=lam, floor=floor))
    n = uniforms.size
    got = get_backend(backend).kernel("csa_choose")(
        np.broadcast_to(v, (n, 1, k)).copy(), np.full(n, g), csa.expansivity.kind, csa.expansivity.params,
        csa.v_to_mu.kind, csa.v_to_mu.params, phi, 0, uniforms[:, None])
    np.testing.assert_array_equal(got[:, 0], expected)


@pytest.mark.parametrize("shared, probes", [(9, 3000), (25, 1500)])
def test_stored_cell_wins_at_the_published_rate(shared, probes):
    """End to end: one stored input; probes sharing a fraction f of its active inputs have G = f.

    In each CM the stored cell has V = f and the other K - 1 cells V = 0, so it wins with probability
    rho = mu(f) / (mu(f) + (K - 1) mu(0)) from the published eta and mu (inflection 0.5, lambda 4, floor 1).
    At f = 0.18 the floor binds for the other cells, so rho depends on eta (exponent 3 would give 1/8).
    """
    n_inputs, n_active, q, k = 400, 50, 12, 8
    rng = np.random.default_rng(0)
    stored = np.zeros(n_inputs, np.uint8)
    stored[rng.choice(n_inputs // 2, n_active, replace=False)] = 1
    mac = SparseyMac(n_inputs, q, k, backend="numba", seed=1).store(stored[None])
    code = mac.codes[0]
    cues = np.zeros((probes, n_inputs), np.uint8)
    on = np.flatnonzero(stored)
    for row in cues:  # `shared` of the stored inputs, the rest from the half of the inputs never used
        row[rng.choice(on, shared, replace=False)] = 1
        row[n_inputs // 2 + rng.choice(n_inputs // 2, n_active - shared, replace=False)] = 1
    f = shared / n_active
    np.testing.assert_allclose(mac.familiarity(cues[:5]), f, rtol=1e-12)
    eta = published_eta(f, k)
    mu_stored, mu_other = logistic_mu([f, 0.0], eta, 0.5, 4.0, 1.0)
    rho = mu_stored / (mu_stored + (k - 1) * mu_other)
    wins = int((mac.propose(cues) == code).sum())
    trials = probes * q
    low, high = binom.cdf(wins, trials, rho), binom.sf(wins - 1, trials, rho)
    assert min(low, high) > ALPHA / 2, (wins / trials, rho)
    if shared == 9:
        assert mu_other == 1.0 and abs(rho - 1 / k) > 0.05  # the floor binds; eta matters here
