"""Hopfield learning rules against plain-Python references, at the edges of their number ranges.

``hebb_counts`` is held to Python-integer sums (exact at any size) on both of its paths (float64 BLAS
below 2**53, int64 above), ``hebb`` to the definition, Storkey's rule to the 1997 definition written out
from a non-zero starting matrix (so the diagonal terms matter), and the projector to
``Xi (Xi^T Xi)^-1 Xi^T`` computed in exact rational arithmetic (fractions) for independent patterns.
"""

from fractions import Fraction

import numpy as np
import pytest

from engramsim.learning_rules import hebb, hebb_counts, pseudo_inverse, storkey
from engramsim.networks.patterns import random_patterns


def python_counts(patterns):
    rows = [[int(v) for v in row] for row in np.asarray(patterns)]
    n = len(rows[0])
    return [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]


@pytest.mark.parametrize("scale", [1, 3, 2**26, 2**30])
def test_hebb_counts_are_exact_integers_on_both_paths(scale):
    rng = np.random.default_rng(scale % 97)
    xi = rng.integers(-scale, scale + 1, size=(3, 9)) | 1  # odd values up to 2**30: products need 60 bits
    xi[0, 0] = scale  # the largest magnitude is reached
    xi[:, 1] = scale - 1  # an odd diagonal sum 3 (scale - 1)^2: not a float64 integer once above 2**53
    xi[1, 2:4] = 0  # and zeros (diluted patterns)
    counts = hebb_counts(xi)
    assert counts.dtype == np.int64
    assert counts.tolist() == python_counts(xi)
    if scale >= 2**26:  # P max|xi|^2 >= 2**53: the int64 path; float64 would round these sums
        assert 3 * scale**2 >= 2**53


def test_hebb_counts_exact_with_more_patterns_than_units():
    # P = 9 > N = 3: the path is chosen by P max^2 (9 * 2**50 > 2**53), not by N max^2
    xi = np.full((9, 3), 2**25 - 1, dtype=np.int64)
    xi[::2, 1] = -(2**25 - 1)
    counts = hebb_counts(xi)
    assert counts.tolist() == python_counts(xi)
    assert counts[0, 0] == 9 * (2**25 - 1) ** 2 and counts[0, 0] % 2 == 1 and counts[0, 0] > 2**53


def test_hebb_counts_range_limits():
    big = np.array([[2**31, 0, 1], [0, 1, 1]])  # P max^2 = 2**63: a coupling could leave int64
    message = r"up to 2147483648 in magnitude: with P = 2 patterns .* = 9223372036854775808 and leave the int64"
    with pytest.raises(ValueError, match=message):
        hebb_counts(big)
    with pytest.raises(ValueError, match="leave the int64 range"):
        hebb_counts(np.array([[2**32, 1, 1]]))  # P max^2 = 2**64
    just = np.array([[2**31 - 1, 1, 1], [1, 2**31 - 1, 1]])  # 2**62 < P max^2 < 2**63: allowed and exact
    assert hebb_counts(just).tolist() == python_counts(just)
    with pytest.raises(ValueError, match="must hold integers"):
        hebb_counts(np.array([[1.0, 0.5]]))


@pytest.mark.parametrize("zero_diagonal", [True, False])
def test_hebb_is_the_scaled_outer_product(zero_diagonal):
    xi = random_patterns(4, 11, seed=5)
    w = hebb(xi, zero_diagonal=zero_diagonal)
    expected = np.array(python_counts(xi), dtype=float) / 11
    if zero_diagonal:
        np.fill_diagonal(expected, 0.0)
    else:
        np.testing.assert_array_equal(np.diag(w), np.full(11, 4 / 11))
    np.testing.assert_array_equal(w, expected)
    with pytest.raises(ValueError, match="too large in magnitude"):
        hebb(np.array([[1e154, 1.0]]))
    # P max^2 = 7.2e307 stays below max/2 = 9.0e307: allowed (and N max^2 would not be)
    edge = hebb(np.array([[8.5e153, 1.0]]), zero_diagonal=False)
    assert edge[0, 0] == pytest.approx(8.5e153**2 / 2, rel=1e-15)
    with pytest.raises(TypeError):
        hebb(xi, False)  # zero_diagonal is keyword-only


def storkey_reference(patterns, w):
    """Storkey (1997): W_ij += (x_i x_j - x_i h_ji - h_ij x_j) / N with h_ij = sum_{k != i, j} W_ik x_k."""
    n = len(w)
    w = [list(map(float, row)) for row in w]
    for x in np.asarray(patterns, dtype=float):
        new = [row[:] for row in w]
        for i in range(n):
            for j in range(n):
                h_ij = sum(w[i][k] * x[k] for k in range(n) if k != i and k != j)
                h_ji = sum(w[j][k] * x[k] for k in range(n) if k != i and k != j)
                new[i][j] += (x[i] * x[j] - x[i] * h_ji - h_ij * x[j]) / n
        w = new
    return np.array(w)


def test_storkey_from_a_symmetric_start_with_a_diagonal():
    rng = np.random.default_rng(7)
    start = rng.normal(size=(6, 6))
    start = start + start.T  # symmetric, non-zero diagonal
    xi = rng.choice([-1.0, 1.0], size=(4, 6))
    before = start.copy()
    np.testing.assert_allclose(storkey(xi, start), storkey_reference(xi, start), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(start, before)  # the starting weights are not modified
    # diluted patterns (x_i^2 = 0 for some i) follow the same definition
    diluted = rng.integers(-1, 2, size=(3, 6)).astype(float)
    np.testing.assert_allclose(storkey(diluted, start), storkey_reference(diluted, start), rtol=1e-12,
                               atol=1e-12)


def test_storkey_reports_overflow():
    with pytest.raises(ValueError, match="left the float64 range"):
        storkey(np.array([[1e200, -1e200, 1e200]]), np.full((3, 3), 1e200))


def exact_projector(patterns):
    """Xi (Xi^T Xi)^-1 Xi^T in fractions (Gauss-Jordan), for linearly independent patterns."""
    x = [[Fraction(int(v)) for v in row] for row in np.asarray(patterns)]  # P x N
    p, n = len(x), len(x[0])
    gram = [[sum(a * b for a, b in zip(x[i], x[j])) for j in range(p)] for i in range(p)]
    inv = [[Fraction(int(i == j)) for j in range(p)] for i in range(p)]
    for c in range(p):
        pivot = next(r for r in range(c, p) if gram[r][c] != 0)
        gram[c], gram[pivot], inv[c], inv[pivot] = gram[pivot], gram[c], inv[pivot], inv[c]
        f = gram[c][c]
        gram[c], inv[c] = [v / f for v in gram[c]], [v / f for v in inv[c]]
        for r in range(p):
            if r != c and gram[r][c] != 0:
                g = gram[r][c]
                gram[r] = [a - g * b for a, b in zip(gram[r], gram[c])]
                inv[r] = [a - g * b for a, b in zip(inv[r], inv[c])]
    return np.array([[float(sum(x[a][i] * inv[a][b] * x[b][j] for a in range(p) for b in range(p)))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("scale", [1.0, 1e-200, 1e200, 1e-310])
def test_projector_equals_the_exact_rational_projector_at_any_scale(scale):
    # 1e-310 is subnormal: pinv of the unscaled patterns would overflow (1 / 1e-310 > max float64)
    xi = random_patterns(3, 8, seed=9)
    c = pseudo_inverse(xi.astype(float) * scale)
    np.testing.assert_allclose(c, exact_projector(xi), atol=1e-12)
    assert np.isfinite(c).all()


def test_projector_of_zero_patterns_is_zero():
    c = pseudo_inverse(np.zeros((2, 5)))
    np.testing.assert_array_equal(c, np.zeros((5, 5)))
