"""RLS (FORCE order), the gated three-factor rule and the two-factor rule against hand-computed updates."""

import math

import numpy as np
import pytest

from engramsim.errors import ValidationError
from engramsim.learning_rules.rls import rls_initial_p, rls_update
from engramsim.learning_rules.three_factor import eligibility_step, three_factor_update, two_factor_update


def test_rls_reference_order_by_hand():
    # P = 2 I, r = (1, 2), decoder 0, target 1: z = 0, e = z - x = -1, c = P r = (2, 4), r.c = 10
    phi, p = rls_update(np.zeros(2), rls_initial_p(2, 0.5), [1.0, 2.0], -1.0)
    np.testing.assert_allclose(phi, [2.0, 4.0])
    np.testing.assert_allclose(p, [[18 / 11, -8 / 11], [-8 / 11, 6 / 11]])


def test_rls_textbook_order_by_hand():
    phi, p = rls_update(np.zeros((2, 1)), 2 * np.eye(2), [1.0, 2.0], [-1.0], textbook=True)
    np.testing.assert_allclose(phi[:, 0], [2 / 11, 4 / 11])
    np.testing.assert_allclose(p, [[18 / 11, -8 / 11], [-8 / 11, 6 / 11]])


def test_textbook_rls_is_ridge_regression():
    """From phi = 0, P = I/lambda, the textbook recursion gives the ridge solution (Sherman-Morrison)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 2))
    phi, p = np.zeros((5, 2)), rls_initial_p(5, 0.3)
    for r, t in zip(x, y):
        phi, p = rls_update(phi, p, r, phi.T @ r - t, textbook=True)
    ridge = np.linalg.solve(0.3 * np.eye(5) + x.T @ x, x.T @ y)
    np.testing.assert_allclose(phi, ridge, atol=1e-10)
    np.testing.assert_allclose(p, np.linalg.inv(0.3 * np.eye(5) + x.T @ x), atol=1e-10)


def test_rls_does_not_touch_inputs_and_checks_shapes():
    phi, p = np.zeros((3, 1)), np.eye(3)
    rls_update(phi, p, np.ones(3), [0.5])
    assert not phi.any() and np.array_equal(p, np.eye(3))
    with pytest.raises(ValidationError, match="p must have shape"):
        rls_update(phi, np.eye(2), np.ones(3), [0.5])
    with pytest.raises(ValidationError, match="error must have shape"):
        rls_update(phi, p, np.ones(3), [0.5, 1.0])
    with pytest.raises(ValidationError, match="regularizer"):
        rls_initial_p(3, 0.0)


def test_eligibility_step_exact_decay():
    e = eligibility_step([1.0, 0.0], [0.0, 2.0], dt=5.0, tau=5.0)
    np.testing.assert_allclose(e, [math.exp(-1), 2 * (1 - math.exp(-1))])
    with pytest.raises(ValidationError, match="tau"):
        eligibility_step([1.0], [1.0], 1.0, 0.0)


def test_three_factor_by_hand():
    w = three_factor_update(np.zeros((2, 2)), [1.0, 2.0], [0.5, -1.0], [1.0, 0.0], 0.1)
    np.testing.assert_allclose(w, [[0.05, 0.0], [0.1, 0.0]])
    # normalised: rate 0.1 / (1 + 4)
    w = three_factor_update(np.zeros((2, 2)), [1.0, 2.0], [0.5, -1.0], [0.5, 1.0], 0.1, normalize=True)
    np.testing.assert_allclose(w, [[0.005, -0.02], [0.01, -0.04]])


def test_three_factor_gate_closed_means_no_change_and_checks():
    w0 = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(three_factor_update(w0, [1, 2, 3], [1.0, 1.0], [0.0, 0.0], 1.0), w0)
    with pytest.raises(ValueError, match="gate must lie in"):
        three_factor_update(w0, [1, 2, 3], [1.0, 1.0], [1.5, 0.0], 1.0)
    with pytest.raises(ValidationError, match="trace must have shape"):
        three_factor_update(w0, [1, 2], [1.0, 1.0], [1.0, 0.0], 1.0)
    with pytest.raises(ValidationError, match="learning_rate"):
        three_factor_update(w0, [1, 2, 3], [1.0, 1.0], [1.0, 0.0], -1.0)


def test_two_factor_by_hand_and_one_shot_normalised():
    w = two_factor_update(np.zeros((2, 1)), [3.0, 4.0], [2.0], 0.5)
    np.testing.assert_allclose(w[:, 0], [3.0, 4.0])
    # eta = 1 with normalisation removes the whole error in one step
    rng = np.random.default_rng(1)
    w0, x, target = rng.normal(size=(4, 2)), rng.normal(size=4), np.array([0.3, -0.7])
    w1 = two_factor_update(w0, x, target - x @ w0, 1.0, normalize=True)
    np.testing.assert_allclose(x @ w1, target, atol=1e-12)


def test_two_factor_converges_to_the_event_probability():
    """On a constant input, the delta rule's output tracks the frequency of a Bernoulli target."""
    rng = np.random.default_rng(2)
    x = np.ones(3) / np.sqrt(3)
    w = np.zeros((3, 1))
    outs = []
    for _ in range(4000):
        y = float(x @ w[:, 0])
        w = two_factor_update(w, x, [float(rng.random() < 0.3) - y], 0.02, normalize=True)
        outs.append(y)
    assert np.mean(outs[1000:]) == pytest.approx(0.3, abs=0.03)
