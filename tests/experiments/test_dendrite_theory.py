"""Active-dendrite theory (Ahmad & Hawkins 2016) against exact values and the authors' tables."""

import math
from fractions import Fraction

import numpy as np
import pytest

from engramsim.experiments import theory

# brief's reference table (exact integer arithmetic, 10 significant digits)
REFERENCE = [
    ((10000, 300, 24, 12), 8.375845227e-13),
    ((100000, 2000, 6, 6), 6.353088729e-11),
    ((100000, 2000, 8, 8), 2.525072393e-14),
    ((100000, 2000, 10, 10), 1.001632162e-17),
]


def comb(n, k):
    """C(n, k), zero outside 0 <= k <= n (the brief's range rule)."""
    return math.comb(n, k) if 0 <= k <= n else 0


def brute_force(n, a, s, theta):
    """The formula as written, summed with Fractions."""
    total = sum(Fraction(comb(s, b) * comb(n - s, a - b)) for b in range(theta, s + 1))
    return total / math.comb(n, a)


@pytest.mark.parametrize(("args", "value"), REFERENCE)
def test_reference_table(args, value):
    # the table prints 10 digits, so it pins the value to about 5e-10 relative
    assert theory.dendrite_false_match(*args) == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize(("args", "value"), REFERENCE)
def test_reference_table_against_brute_force_exactly(args, value):
    assert theory.dendrite_false_match(*args) == float(brute_force(*args))


@pytest.mark.parametrize("args", [(50, 10, 7, 3), (60, 30, 40, 12), (40, 35, 20, 16), (30, 0, 5, 0), (30, 30, 30, 30)])
def test_both_tail_directions_are_exact(args):
    assert theory.dendrite_false_match(*args) == float(brute_force(*args))


def test_authors_effect_of_n_table():
    # plot_effect_of_n.py, a = 64, s = 24, theta = 12, n = 300, 500, ... (first values)
    n = np.array([300, 500, 700, 900])
    authors = [0.00109461662333690, 5.69571108769533e-6, 1.41253230930730e-7, 8.30107183322324e-9]
    np.testing.assert_allclose(theory.dendrite_false_match(n, 64, 24, 12), authors, rtol=1e-12)


def test_sympy_zero_case_is_not_zero():
    # the authors' sympy evaluation returned 0 here (brief, pitfalls)
    p = theory.dendrite_false_match(10000, 64, 24, 12)
    assert p == float(brute_force(10000, 64, 24, 12)) and p > 0


def test_no_underflow_and_large_n():
    p = theory.dendrite_false_match(10**6, 2000, 100, 60)
    assert 1e-300 < p < 1e-100
    log_p = theory.dendrite_false_match(10**6, 2000, 100, 80, log=True)
    assert math.isfinite(log_p) and log_p < math.log(1e-150)
    assert math.exp(log_p) == pytest.approx(theory.dendrite_false_match(10**6, 2000, 100, 80), rel=1e-12)
    # beyond float64 the log stays finite
    assert theory.dendrite_false_match(10**6, 5000, 400, 400, log=True) < -2000


def test_edge_cases():
    assert theory.dendrite_false_match(1000, 50, 20, 21) == 0.0  # theta > s
    assert theory.dendrite_false_match(1000, 50, 20, 0) == 1.0
    assert theory.dendrite_false_match(100, 100, 20, 20) == 1.0  # every cell active
    assert theory.dendrite_false_match(1000, 5, 20, 6) == 0.0  # theta > a


def test_monotone():
    thetas = np.arange(1, 25)
    p = theory.dendrite_false_match(5000, 200, 24, thetas)
    assert np.all(np.diff(p) < 0)
    p = theory.dendrite_false_match(np.arange(1000, 20001, 1000), 64, 24, 12)
    assert np.all(np.diff(p) < 0)
    p = theory.dendrite_false_match(10000, np.arange(30, 400, 10), 24, 12)
    assert np.all(np.diff(p) > 0)


def test_vectorised_and_scalar_types():
    out = theory.dendrite_false_match([[1000], [2000]], [64, 128], 24, 12)
    assert out.shape == (2, 2)
    assert isinstance(theory.dendrite_false_match(1000, 64, 24, 12), float)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: theory.dendrite_false_match(100, 101, 5, 2), "a must be <= n"),
        (lambda: theory.dendrite_false_match(100, 10, 101, 2), "s must be <= n"),
        (lambda: theory.dendrite_false_match(100, 10, 5, -1), "theta must be >= 0"),
        (lambda: theory.dendrite_false_match(100, 10.5, 5, 2), "a must be an integer"),
        (lambda: theory.dendrite_false_negative(10, 11, 5, 2), "s must be <= a"),
        (lambda: theory.dendrite_false_negative(10, 5, 5, 11), "v must be <= a"),
        (lambda: theory.dendrite_union_false_match(100, 10, 5, 2, 0), "n_stored must be >= 1"),
        (lambda: theory.dendrite_union_false_match(100, 10, 5, 2, 2, method="mean"), "method must be one of"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- noise
NOISE_V = np.array([6, 13, 19, 26, 32, 38, 45, 51, 58, 64, 70, 77, 83, 90, 96, 102])
# plot_noise_results.py, a = 128, s = 30 (theoretical arrays)
AUTHORS_NOISE = {
    8: [0, 0, 0, 3.11341516283240e-16, 2.23243424464799e-12, 7.90168637530306e-10, 1.20695707971664e-7,
        3.45576265561118e-6, 8.08202472708491e-5, 0.000735429456875121, 0.00464043435771348,
        0.0268657157114204, 0.0896352007201254, 0.263952754229579, 0.508714577385333, 0.770861966941236],
    12: [0, 0, 2.48810797387309e-15, 7.92695349343630e-10, 2.16302525195240e-7, 1.09248135880715e-5,
         0.000314435369055385, 0.00279559866084888, 0.0198782675563797, 0.0716985160403564,
         0.190430462690358, 0.426525969583828, 0.664766152465367, 0.880922510721824, 0.970339402698393,
         0.996376835285247],
    16: [0, 0, 2.65549705827547e-8, 1.97277260559420e-5, 0.000590078912236923, 0.00627504390204146,
         0.0434711883681422, 0.139067254386793, 0.351117043857492, 0.582501773030327, 0.788076297517739,
         0.933878292787173, 0.983735005386502, 0.998319255844748, 0.999889798557155, 0.999997748076386],
}


@pytest.mark.parametrize("theta", [8, 12, 16])
def test_noise_matches_authors_table(theta):
    # the authors' floats carry an absolute error of about 3e-18 (their smallest values are off by
    # up to 1 %); the exact value of the worst one is checked in test_noise_exact_where_authors_drift
    got = theory.dendrite_false_negative(128, 30, theta, NOISE_V)
    np.testing.assert_allclose(got, AUTHORS_NOISE[theta], rtol=1e-11, atol=5e-18)


def test_noise_exact_where_authors_drift():
    a, s, theta, v = 128, 30, 8, 26
    exact = sum(Fraction(comb(s, b) * comb(a - s, v - b)) for b in range(s - theta + 1, s + 1)) / math.comb(a, v)
    assert theory.dendrite_false_negative(a, s, theta, v) == float(exact)
    assert float(exact) == pytest.approx(3.1419e-16, rel=1e-4)


def test_noise_formula_and_limits():
    a, s, theta, v = 60, 20, 12, 25
    exact = sum(Fraction(comb(s, b) * comb(a - s, v - b)) for b in range(s - theta + 1, s + 1))
    assert theory.dendrite_false_negative(a, s, theta, v) == float(exact / math.comb(a, v))
    assert theory.dendrite_false_negative(a, s, theta, 0) == 0.0
    assert theory.dendrite_false_negative(a, s, theta, a) == 1.0  # every input gone
    assert theory.dendrite_false_negative(a, s, s + 1, 0) == 1.0  # can never fire
    assert theory.dendrite_false_negative(a, s, 0, a) == 0.0  # always fires
    p = theory.dendrite_false_negative(a, s, theta, np.arange(a + 1))
    assert np.all(np.diff(p) >= 0)


# --------------------------------------------------------------------------- unions
def test_union_synapse_count():
    assert theory.union_synapse_count(1000, 25, 1) == 25
    assert theory.union_synapse_count(10**6, 24, 1) == 24
    assert theory.union_synapse_count(1000, 25, 2) == round(1000 * (1 - 0.975**2))
    exact = theory.union_synapse_count(1000, 25, np.arange(1, 20), rounded=False)
    np.testing.assert_allclose(exact, 1000 * (1 - (1 - 25 / 1000) ** np.arange(1, 20)), rtol=1e-13)
    assert theory.union_synapse_count(100, 100, 3) == 100


def test_union_matches_authors_table():
    # sdr_paper_unions.py: n = 1000, a = 200, s = 25, theta = 15, M = 1..19 (sympy, about 12 digits)
    authors = [1.00140315240769e-5, 0.0473894530292855, 0.501650232353378, 0.899154755459308,
               0.991079536716752, 0.999523524650922, 0.999981553264809, 0.999999512691584]
    got = theory.dendrite_union_false_match(1000, 200, 25, 15, np.arange(1, 9))
    np.testing.assert_allclose(got, authors, rtol=1e-11)
    # n = 20000: for M <= 2 the authors summed exact integers (to 1e-12 here); for M >= 3 their
    # sympy sum of floating ratios is off by about 1e-3 (7.9213e-16 against P_fm(20000, 200, 75, 15)
    # = 7.9303e-16 exactly; s = 74 or 76 would give 6.4e-16 or 9.8e-16)
    authors_20000 = [1.75826328738259e-24, 9.73603540551588e-19, 7.92130752699486e-16, 7.08428692442973e-14]
    got = theory.dendrite_union_false_match(20000, 200, 25, 15, np.arange(1, 5))
    np.testing.assert_allclose(got[:2], authors_20000[:2], rtol=1e-12)
    np.testing.assert_allclose(got[2:], authors_20000[2:], rtol=2e-3)


def test_union_single_pattern_and_monotone():
    for method in ("expected", "distribution"):
        one = theory.dendrite_union_false_match(10000, 300, 24, 12, 1, method=method)
        assert one == pytest.approx(theory.dendrite_false_match(10000, 300, 24, 12), rel=1e-8)
        p = theory.dendrite_union_false_match(10000, 300, 24, 12, np.arange(1, 15), method=method)
        assert np.all(np.diff(p) > 0)


def test_union_distribution_close_to_expected_size():
    m = np.arange(2, 12)
    expected = theory.dendrite_union_false_match(10000, 300, 24, 12, m)
    averaged = theory.dendrite_union_false_match(10000, 300, 24, 12, m, method="distribution")
    # the two differ by the spread of the union size and the rounding of s_M: a few per cent here
    assert np.all(np.abs(averaged / expected - 1) < 0.05)
    assert np.any(np.abs(averaged / expected - 1) > 1e-3)


def test_union_size_distribution_mean():
    sizes, weights = theory._union_size_distribution(1000, 25, 10)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert sizes @ weights == pytest.approx(theory.union_synapse_count(1000, 25, 10, rounded=False), rel=1e-9)
