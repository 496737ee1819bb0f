"""Tests for engramsim.experiments.theory against the numbers in the model briefs."""

import math

import numpy as np
import pytest
from scipy.special import ndtr

from engramsim.experiments import theory

# --------------------------------------------------------------------------- AGS


def test_ags_capacity_coarse():
    alpha_c, _ = theory.ags_capacity()
    assert abs(alpha_c - 0.1379) <= 5e-4


def test_ags_capacity_tight():
    alpha_c, m_c = theory.ags_capacity()
    assert abs(alpha_c - 0.137906) <= 1e-5
    assert abs(m_c - 0.9674) <= 1e-4


@pytest.mark.parametrize(
    ("alpha", "m"),
    [(0.05, 0.99999), (0.10, 0.9980), (0.12, 0.9932), (0.13, 0.9872), (0.137, 0.9754)],
)
def test_ags_overlap_table(alpha, m):
    assert abs(theory.ags_overlap(alpha) - m) <= 1e-4


def test_ags_overlap_limits_and_vectorised():
    alpha_c, m_c = theory.ags_capacity()
    assert theory.ags_overlap(0.0) == 1.0
    assert math.isnan(theory.ags_overlap(alpha_c * 1.001))
    assert abs(theory.ags_overlap(alpha_c * (1 - 1e-9)) - m_c) < 1e-3
    m = theory.ags_overlap(np.array([0.0, 0.05, 0.1, 0.13, 0.2]))
    assert m.shape == (5,)
    assert np.all(np.diff(m[:4]) < 0) and np.isnan(m[4])


# --------------------------------------------------------------------------- one-step law


@pytest.mark.parametrize(("alpha", "p"), [(0.05, 3.9e-6), (0.1, 7.8e-4), (0.138, 3.6e-3), (0.2, 1.27e-2)])
def test_one_step_error_forward(alpha, p):
    got = theory.one_step_error(alpha)
    assert float(f"{got:.2g}") == pytest.approx(float(f"{p:.2g}"))


@pytest.mark.parametrize(("p", "alpha"), [(0.001, 0.105), (0.0036, 0.138), (0.01, 0.185), (0.05, 0.370), (0.1, 0.609)])
def test_one_step_load_table(p, alpha):
    assert abs(theory.one_step_load(p) - alpha) <= 5e-4


def test_one_step_load_inverts_forward():
    alpha = np.array([0.02, 0.1, 0.5, 3.0])
    np.testing.assert_allclose(theory.one_step_load(theory.one_step_error(alpha)), alpha, rtol=1e-10)
    assert theory.one_step_error(0.0) == 0.0
    assert theory.one_step_load(0.0) == 0.0


def test_one_step_error_finite():
    assert theory.one_step_error_finite(1000, 1) == 0.0
    assert theory.one_step_error_finite(1001, 101) == pytest.approx(theory.one_step_error(0.1), rel=1e-12)
    # tends to the asymptotic law at fixed load
    gaps = [abs(theory.one_step_error_finite(n, n // 10) - theory.one_step_error(0.1)) for n in (100, 1000, 10000)]
    assert gaps[0] > gaps[1] > gaps[2]


# --------------------------------------------------------------------------- combinatorial capacities


@pytest.mark.parametrize(
    ("n", "half", "quarter", "storkey"),
    [(100, 10.9, 5.4, 33.0), (200, 18.9, 9.4, 61.4), (1000, 72.4, 36.2, 269.0), (10000, 542.9, 271.4, 2330.0)],
)
def test_mceliece_storkey_table(n, half, quarter, storkey):
    assert abs(theory.mceliece_capacity(n) - half) <= 0.1
    assert abs(theory.mceliece_capacity(n, all_patterns=True) - quarter) <= 0.1
    assert abs(theory.storkey_capacity(n) - storkey) <= 0.1


# Table values from dense_associative.md with the precision they are printed to.
@pytest.mark.parametrize(
    ("n_neurons", "n", "k_max", "half_unit"),
    [
        (100, 2, 10.9, 0.05),
        (100, 3, 362, 0.5),
        (100, 4, 7238, 0.5),
        (1000, 2, 72.4, 0.05),
        (1000, 3, 24127, 0.5),
        (1000, 4, 4.83e6, 0.005e6),
    ],
)
def test_krotov_hopfield_table(n_neurons, n, k_max, half_unit):
    got = theory.krotov_hopfield_capacity(n_neurons, n)
    assert abs(got - k_max) <= half_unit
    if n > 2:
        assert got == pytest.approx(k_max, rel=1e-3)


def test_krotov_hopfield_n2_is_mceliece():
    n = np.array([10, 100, 1000, 12345])
    np.testing.assert_allclose(theory.krotov_hopfield_capacity(n, 2), theory.mceliece_capacity(n), rtol=1e-14)


# --------------------------------------------------------------------------- dense one-step error


@pytest.mark.parametrize(("n_neurons", "k"), [(100, 20), (200, 30), (1000, 150), (5000, 900)])
def test_dense_exact_n2_equals_hopfield_finite(n_neurons, k):
    exact = theory.dense_one_step_error(n_neurons, k, 2)
    assert exact == pytest.approx(theory.one_step_error_finite(n_neurons, k), rel=1e-10)


@pytest.mark.parametrize(("n_neurons", "n"), [(5, 3), (8, 4), (11, 5)])
def test_dense_exact_matches_brute_force_enumeration(n_neurons, n):
    # enumerate all 2^(N-1) crosstalk configurations, exact integer arithmetic
    def g(a):
        return (a + 1) ** n - (a - 1) ** n

    m = n_neurons - 1
    total = sum(math.comb(m, j) * g(2 * j - m) ** 2 for j in range(m + 1))
    k = 7
    expected = float(ndtr(-g(m) / math.sqrt((k - 1) * total / 2**m)))
    assert theory.dense_one_step_error(n_neurons, k, n) == pytest.approx(expected, rel=1e-12)


def test_dense_asymptotic_n2_is_hopfield_law():
    assert theory.dense_one_step_error(1000, 138, 2, exact=False) == pytest.approx(theory.one_step_error(0.138))


def test_dense_exact_approaches_asymptotic_n3():
    gaps = []
    for n_neurons in (50, 200, 1000, 10000):
        k = int(0.05 * n_neurons**2)
        exact = theory.dense_one_step_error(n_neurons, k, 3)
        approx = theory.dense_one_step_error(n_neurons, k, 3, exact=False)
        gaps.append(abs(exact - approx) / approx)
    assert all(a > b for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-3


def test_dense_exact_large_n_is_finite():
    p = theory.dense_one_step_error(100_000, 10**8, 3)
    assert 0.0 < p < 0.5 and np.isfinite(p)
    assert theory.dense_one_step_error(100, 1, 4) == 0.0


def test_dense_vectorised():
    p = theory.dense_one_step_error(200, [100, 1000, 10000], 3)
    assert p.shape == (3,)
    assert np.all(np.diff(p) > 0)


# --------------------------------------------------------------------------- multitasking


@pytest.mark.parametrize("d", [0.0, 0.2, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("k", [1, 3, 7])
def test_multitask_magnetization_sum(d, k):
    m = theory.multitask_magnetization(d, k)
    assert m.shape == (k,)
    assert m.sum() == pytest.approx(1.0 - d**k, abs=1e-14)
    np.testing.assert_allclose(m, [(1 - d) * d**j for j in range(k)])


@pytest.mark.parametrize("k", [3, 4, 5, 10, 40])
def test_multitask_breakdown_root(k):
    d = theory.multitask_breakdown_dilution(k)
    assert 0.5 < d < 1.0
    assert abs(sum(d**j for j in range(1, k)) - 1.0) <= 1e-12
    assert theory.multitask_hierarchy_consistent(d * (1 - 1e-9), k)
    assert not theory.multitask_hierarchy_consistent(d * (1 + 1e-9), k)


def test_multitask_breakdown_golden_ratio_and_k2():
    assert theory.multitask_breakdown_dilution(3) == pytest.approx((math.sqrt(5) - 1) / 2, abs=1e-14)
    assert theory.multitask_breakdown_dilution(2) == 1.0


def test_multitask_hierarchy_consistent_values():
    assert theory.multitask_hierarchy_consistent(0.6, 3) is True
    assert theory.multitask_hierarchy_consistent(0.62, 3) is False
    assert theory.multitask_hierarchy_consistent(0.99, 2) is True
    np.testing.assert_array_equal(theory.multitask_hierarchy_consistent([0.1, 0.7], 3), [True, False])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: theory.ags_overlap(-0.1), "alpha"),
        (lambda: theory.ags_overlap(float("nan")), "alpha"),
        (lambda: theory.one_step_error(-1.0), "alpha"),
        (lambda: theory.one_step_error_finite(1, 5), "n_neurons"),
        (lambda: theory.one_step_error_finite(100, 0), "n_patterns"),
        (lambda: theory.one_step_load(0.6), "p_err"),
        (lambda: theory.one_step_load(-0.1), "p_err"),
        (lambda: theory.mceliece_capacity(1), "n_neurons"),
        (lambda: theory.mceliece_capacity(10.5), "n_neurons"),
        (lambda: theory.storkey_capacity(0), "n_neurons"),
        (lambda: theory.krotov_hopfield_capacity(100, 1), "n"),
        (lambda: theory.krotov_hopfield_capacity(100, 2.5), "n"),
        (lambda: theory.dense_one_step_error(1, 10, 3), "n_neurons"),
        (lambda: theory.dense_one_step_error(100, 0, 3), "n_patterns"),
        (lambda: theory.dense_one_step_error(100, 10, 1, exact=False), "n"),
        (lambda: theory.multitask_magnetization(1.5, 3), "dilution"),
        (lambda: theory.multitask_magnetization(0.5, 0), "n_patterns"),
        (lambda: theory.multitask_breakdown_dilution(1), "n_patterns"),
        (lambda: theory.multitask_breakdown_dilution([3, 4]), "n_patterns"),
        (lambda: theory.multitask_hierarchy_consistent(-0.1, 3), "dilution"),
    ],
)
def test_bad_arguments_raise(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_error_message_states_bound_and_value():
    with pytest.raises(ValueError, match=r"n_neurons must be >= 2, got 1"):
        theory.mceliece_capacity(1)
