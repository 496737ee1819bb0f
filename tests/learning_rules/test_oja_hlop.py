"""Oja's subspace rule as HLOP uses it: hand-computed steps, a naive reference, convergence, diagnostics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engramsim.errors import ValidationError
from engramsim.learning_rules.oja import (
    OjaSubspace,
    captured_energy,
    normalised_lateral_rate,
    oja_subspace_step,
    oja_subspace_update,
    orthogonal_complement_rows,
    orthonormality_error,
    project_out,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles between the row spaces of a and b (from the singular values of Qa^T Qb)."""
    qa, _ = np.linalg.qr(a.T)
    qb, _ = np.linalg.qr(b.T)
    s = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)
    return np.degrees(np.arccos(s))


def _data(seed=0, n=40, samples=3000, spectrum=(6.0, 5.0, 4.0, 3.0, 2.5, 2.0)):
    """Gaussian data with a known principal basis U (columns) and well separated leading variances."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    std = np.concatenate([spectrum, np.full(n - len(spectrum), 0.3)])
    return (rng.standard_normal((samples, n)) * std) @ u.T, u


def test_one_step_by_hand():
    # h = e1, x = (1, 1): y = 1, x - y h = (0, 1), so Delta H = y (x - y h) = (0, 1)
    assert np.allclose(oja_subspace_step([[1.0, 0.0]], [[1.0, 1.0]]), [[0.0, 1.0]])
    # two samples (1, 1) and (2, 0): y = 1 and 2; updates (0, 1) and 2 * (0, 0); mean (0, 0.5)
    assert np.allclose(oja_subspace_step([[1.0, 0.0]], [[1.0, 1.0], [2.0, 0.0]]), [[0.0, 0.5]])
    # an orthonormal basis of the data's span is a fixed point
    assert np.allclose(oja_subspace_step([[0.6, 0.8]], [[3.0, 4.0], [-1.5, -2.0]]), 0.0)


def _naive_update(h, x, lr, m, momentum, clamp, iterations, n_frozen):
    """The reference's loop written out: full Oja step, clamp, zero the frozen rows, momentum, step."""
    h, m = h.copy(), m.copy()
    for _ in range(iterations):
        delta = np.zeros_like(h)
        for sample in x:
            y = h @ sample
            delta += np.outer(y, sample - h.T @ y)
        delta = np.clip(delta / len(x), -clamp, clamp)
        delta[:n_frozen] = 0.0
        m = momentum * m + (1 - momentum) * delta
        m[:n_frozen] = 0.0
        h = h + lr * m
    return h, m


@pytest.mark.parametrize("n_frozen", [0, 2, 5])
def test_update_matches_the_naive_loop_and_torch(n_frozen):
    rng = np.random.default_rng(1)
    h = rng.standard_normal((5, 12)) * 0.4
    x = rng.standard_normal((7, 12)) * 2.0
    m = rng.standard_normal((5, 12)) * 0.1
    m[:n_frozen] = 0.0
    want_h, want_m = _naive_update(h, x, 0.05, m, 0.9, 0.3, 4, n_frozen)  # clamp 0.3 is active here
    got_h, got_m = oja_subspace_update(h, x, 0.05, momentum_buffer=m, clamp=0.3, iterations=4, n_frozen=n_frozen)
    assert np.allclose(got_h, want_h, atol=1e-12) and np.allclose(got_m, want_m, atol=1e-12)
    assert np.array_equal(got_h[:n_frozen], h[:n_frozen])
    th, tm = oja_subspace_update(torch.tensor(h), torch.tensor(x), 0.05, momentum_buffer=torch.tensor(m), clamp=0.3,
                                 iterations=4, n_frozen=n_frozen)
    assert isinstance(th, torch.Tensor) and np.allclose(th.numpy(), want_h, atol=1e-10)
    assert np.allclose(tm.numpy(), want_m, atol=1e-10)


def test_the_caller_arrays_are_not_modified():
    h = np.eye(3)[:2].copy()
    x = np.ones((4, 3))
    before = h.copy(), x.copy()
    oja_subspace_update(h, x, 0.1)
    assert np.array_equal(h, before[0]) and np.array_equal(x, before[1])


def test_lateral_neurons_find_the_principal_subspace_then_the_next_one():
    x, u = _data()
    lateral = OjaSubspace(x.shape[1], lr_scale=0.1, seed=0)
    lateral.add_rows(3)
    for _ in range(8):
        for start in range(0, len(x), 32):
            lateral.update(x[start:start + 32])
    assert _angles_deg(lateral.h, u[:, :3].T).max() < 6.0
    assert orthonormality_error(lateral.h) < 0.05
    record = lateral.merge(x)
    assert record["k"] == 3 and record["orthonormality_error"] < 0.05
    # the next rows learn the residual's principal directions (4th-6th) while the old ones stay put
    old = lateral.h.copy()
    lateral.add_rows(3)
    assert np.abs(lateral.h[3:] @ old.T).max() < 1e-6  # orthogonal-complement initialisation
    for _ in range(8):
        for start in range(0, len(x), 32):
            lateral.update(x[start:start + 32])
    assert np.array_equal(lateral.h[:3], old)
    assert _angles_deg(lateral.h[3:], u[:, 3:6].T).max() < 10.0
    assert _angles_deg(lateral.h, u[:, :6].T).max() < 6.0
    # captured energy of the top 6 directions, computed from the construction
    variances = np.concatenate([[6.0, 5.0, 4.0, 3.0, 2.5, 2.0], np.full(34, 0.3)]) ** 2
    assert lateral.merge(x)["captured_energy"] == pytest.approx(variances[:6].sum() / variances.sum(), abs=0.02)


def test_reference_initialisation_is_not_orthogonal_to_the_old_rows():
    lateral = OjaSubspace(30, orthogonal_init=False, seed=3)
    lateral.add_rows(10)
    lateral.merge()
    lateral.add_rows(10)
    assert np.abs(lateral.h[10:] @ lateral.h[:10].T).max() > 0.05


def test_fixed_rate_diverges_on_large_inputs_where_the_normalised_rate_does_not():
    x, _ = _data(samples=640)
    x = x * 20.0  # mean |x|^2 ~ 1.8e4: the fixed rate 1e-3 puts lr |x|^2 far above 1
    fixed = OjaSubspace(x.shape[1], lr=1e-3, clamp=1e9, seed=0)
    normalised = OjaSubspace(x.shape[1], seed=0)
    for lateral in (fixed, normalised):
        lateral.add_rows(3)
        with np.errstate(all="ignore"):
            for start in range(0, len(x), 32):
                lateral.update(x[start:start + 32])
    h = fixed.h
    assert not np.all(np.isfinite(h)) or orthonormality_error(h) > 10
    assert orthonormality_error(normalised.h) < 0.1


def test_diagnostics_by_hand():
    assert captured_energy([[1.0, 0.0]], [[3.0, 4.0]]) == pytest.approx(9 / 25)
    assert captured_energy([[2.0, 0.0]], [[3.0, 4.0]]) == pytest.approx(9 / 25)  # the span, not the scale
    assert orthonormality_error([[1.0, 0.0], [0.0, 1.0]]) == 0.0
    assert orthonormality_error([[2.0, 0.0], [0.0, 1.0]]) == pytest.approx(3.0)
    assert normalised_lateral_rate([[3.0, 4.0], [0.0, 0.0]], 0.5) == pytest.approx(0.5 / 12.5)
    assert np.allclose(project_out(np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]])), [[0.0, 4.0]])


def test_orthogonal_complement_rows():
    rng = np.random.default_rng(0)
    old, _ = np.linalg.qr(rng.standard_normal((20, 6)))
    new = orthogonal_complement_rows(old.T, 9, 20, seed=1)
    assert new.shape == (9, 20)
    assert np.allclose(new @ new.T, np.eye(9), atol=1e-12)
    assert np.abs(new @ old).max() < 1e-12
    with pytest.raises(ValidationError, match="k_old"):
        orthogonal_complement_rows(old.T, 15, 20)


def test_bad_input_is_refused_naming_the_argument():
    h = np.zeros((2, 3))
    with pytest.raises(ValidationError, match="x must have 3 columns"):
        oja_subspace_update(h, np.ones((4, 5)), 0.1)
    with pytest.raises(ValidationError, match="x must be finite"):
        oja_subspace_update(h, [[np.nan, 0, 0]], 0.1)
    with pytest.raises(ValidationError, match="lr"):
        oja_subspace_update(h, np.ones((4, 3)), 0.0)
    with pytest.raises(ValidationError, match="n_frozen"):
        oja_subspace_update(h, np.ones((4, 3)), 0.1, n_frozen=3)
    with pytest.raises(ValidationError, match="momentum_buffer"):
        oja_subspace_update(h, np.ones((4, 3)), 0.1, momentum_buffer=np.zeros((3, 3)))
    with pytest.raises(TypeError, match="h must hold real numbers"):
        oja_subspace_step([["a", "b"]], np.ones((1, 2)))
    with pytest.raises(ValidationError, match="x must not be all zeros"):
        normalised_lateral_rate(np.zeros((2, 3)))
    with pytest.raises(ValidationError, match="x must have shape"):
        lateral = OjaSubspace(4)
        lateral.add_rows(2)
        lateral.update(np.ones((3, 5)))
