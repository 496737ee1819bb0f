import numpy as np
import pytest

from engramsim.learning_rules import hebb, hebb_counts, pseudo_inverse, storkey
from engramsim.networks.patterns import random_patterns


def test_hebb_function_and_counts_agree():
    xi = random_patterns(6, 40, seed=0)
    np.testing.assert_allclose(hebb(xi, zero_diagonal=False), hebb_counts(xi) / 40)
    assert np.all(np.diag(hebb(xi)) == 0)


def test_storkey_matches_definition_elementwise():
    rng = np.random.default_rng(1)
    xi = rng.choice([-1.0, 1.0], size=(5, 7))
    n = 7
    w = np.zeros((n, n))
    for x in xi:  # the rule written out literally
        new = w.copy()
        for i in range(n):
            for j in range(n):
                h_ij = sum(w[i, k] * x[k] for k in range(n) if k not in (i, j))
                h_ji = sum(w[j, k] * x[k] for k in range(n) if k not in (i, j))
                new[i, j] += (x[i] * x[j] - x[i] * h_ji - h_ij * x[j]) / n
        w = new
    np.testing.assert_allclose(storkey(xi), w, atol=1e-13)


def test_storkey_is_incremental():
    xi = random_patterns(10, 30, seed=2)
    np.testing.assert_allclose(storkey(xi), storkey(xi[5:], storkey(xi[:5])), atol=1e-12)


def test_pseudo_inverse_is_a_projector_even_for_dependent_patterns():
    xi = random_patterns(5, 30, seed=3).astype(float)
    xi = np.vstack([xi, xi[0] * -1])  # linearly dependent
    c = pseudo_inverse(xi)
    np.testing.assert_allclose(c, c.T, atol=0)
    np.testing.assert_allclose(c @ c, c, atol=1e-10)
    np.testing.assert_allclose(c @ xi.T, xi.T, atol=1e-10)
    assert np.trace(c) == pytest.approx(5)


def test_rules_reject_bad_input():
    with pytest.raises(ValueError, match="patterns must be finite"):
        hebb(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match=r"weights must have shape \(2, 2\)"):
        storkey(np.ones((1, 2)), np.zeros((3, 3)))
