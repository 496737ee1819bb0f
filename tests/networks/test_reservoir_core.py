"""The reservoir loop: a direct transcription of IZFORCESINE.m, the NumPy/Numba twins, the 2007 cell."""

import math

import numpy as np
import pytest

from engramsim.networks.force import ForceNetwork, force_sine_target
from engramsim.networks.reservoir_core import FORCE_CELL, SpikingReservoirCore


def izforcesine_transcription(omega, e_enc, v0, n_steps, dt, imin, icrit, step=20):
    """The reference loop written out line by line from IZFORCESINE.m (1-based step counter i)."""
    n = omega.shape[0]
    C, vr, b, ff, vpeak, vreset = 250.0, -60.0, -2.0, 2.5, 30.0, -65.0
    vt = vr + 40 - b / ff
    a, d, tr, td, bias = 0.01, 200.0, 2.0, 20.0, 1000.0
    u = np.zeros(n)
    ipsc, h, r, hr, jd = (np.zeros(n) for _ in range(5))
    v = v0.copy()
    v_ = v.copy()
    z = np.zeros(1)
    bphi = np.zeros((n, 1))
    pinv = np.eye(n) * 2
    zs = []
    for i in range(1, n_steps + 1):
        zx = math.sin(2 * 5 * math.pi * i * dt / 1000)
        current = ipsc + e_enc @ z + bias
        v = v + dt * ((ff * (v - vr) * (v - vt) - u + current)) / C
        u = u + dt * (a * (b * (v_ - vr) - u))
        index = np.flatnonzero(v >= vpeak)
        if index.size:
            jd = omega[:, index].sum(axis=1)
        ipsc = ipsc * math.exp(-dt / tr) + h * dt
        h = h * math.exp(-dt / td) + jd * (index.size > 0) / (tr * td)
        r = r * math.exp(-dt / tr) + hr * dt
        hr = hr * math.exp(-dt / td) + (v >= vpeak) / (tr * td)
        z = bphi.T @ r
        err = z - zx
        if i % step == 1 and imin < i < icrit:
            cd = pinv @ r
            bphi = bphi - np.outer(cd, err)
            pinv = pinv - np.outer(cd, cd) / (1 + r @ cd)
        zs.append(z[0])
        u = u + d * (v >= vpeak)
        v = v + (vreset - v) * (v >= vpeak)
        v_ = v
    return np.array(zs), bphi, pinv


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_force_network_matches_the_reference_transcription(backend):
    net = ForceNetwork(60, dt=0.04, seed=3, backend=backend)
    v0 = net.core.v.copy()
    omega, e_enc = net.weights, net.core.encoders
    steps, imin, icrit = 3000, 500, 2500  # RLS between 20 ms and 100 ms
    run = net.run(steps * 0.04, rls_start=imin * 0.04, rls_stop=icrit * 0.04)
    z_ref, phi_ref, p_ref = izforcesine_transcription(omega, e_enc, v0, steps, 0.04, imin, icrit)
    assert run.rls_steps.sum() == len([i for i in range(1, steps + 1) if i % 20 == 1 and imin < i < icrit])
    assert run.spike_counts.sum() > 100  # the network fires
    np.testing.assert_allclose(run.readout[:, 0], z_ref, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(net.decoder, phi_ref, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(net.p, p_ref, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(run.target[:, 0], force_sine_target(run.time))


def _random_core(backend, k=2, m=1, n=80, seed=0):
    rng = np.random.default_rng(seed)
    w = 4000 * rng.standard_normal((n, n)) * (rng.random((n, n)) < 0.2) / (0.2 * math.sqrt(n))
    cells = dict(FORCE_CELL, a=0.01 + 0.01 * rng.random(n), bias=900 + 200 * rng.random(n))
    core = SpikingReservoirCore(cells, w, 2000 * (rng.random((n, k)) - 0.5), 1000 * rng.random((n, m)), dt=0.05,
                                backend=backend)
    core.initialize(-60 + 90 * rng.random(n))
    return core, rng


@pytest.mark.parametrize("mode", ["none", "rls", "three-factor"])
def test_numba_twin_matches_numpy(mode):
    out = {}
    for backend in ("numpy", "numba"):
        core, rng = _random_core(backend)
        steps = 2000
        inputs = (np.arange(steps)[:, None] < 400) * np.ones((steps, 1))
        targets = np.stack([np.sin(np.arange(steps) / 300), np.cos(np.arange(steps) / 200)], axis=1)
        gate = np.ones((steps, 2)) * [1.0, 0.5]
        learn = np.arange(steps) % 20 == 0
        decoder = np.random.default_rng(5).normal(size=(core.n, 2))
        p = np.eye(core.n)
        rec = core.run(inputs, decoder, mode=mode, p=p, targets=targets, gate=gate, learn=learn,
                       learning_rate=0.01, normalize=True, tau_eligibility=5.0,
                       average_mask=np.arange(steps) >= 1000, spike_capacity=5000,
                       offset=np.random.default_rng(6).random(core.n) * 0.02)
        out[backend] = (rec, decoder, p, core.v.copy(), core.u.copy())
    (ra, da, pa, va, ua), (rb, db, pb, vb, ub) = out["numpy"], out["numba"]
    assert ra.n_spikes == rb.n_spikes > 50
    np.testing.assert_array_equal(ra.spike_steps, rb.spike_steps)
    np.testing.assert_array_equal(ra.spike_neurons, rb.spike_neurons)
    np.testing.assert_allclose(ra.z, rb.z, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(da, db, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pa, pb, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(va, vb, rtol=1e-9)
    np.testing.assert_allclose(ra.r_mean, rb.r_mean, rtol=1e-9)
    assert ra.power == pytest.approx(rb.power, rel=1e-9) and ra.power > 0
    assert np.abs(ra.z).max() > 0
    if mode != "none":
        assert not np.allclose(da, np.random.default_rng(5).normal(size=(80, 2)))


def test_offset_and_power_by_hand():
    """Silent cells: r = 0, so z = -phi^T offset and the power is |offset|^2 at every step."""
    core = SpikingReservoirCore(dict(FORCE_CELL, bias=0.0), np.zeros((3, 3)), np.zeros((3, 1)), np.zeros((3, 0)),
                                dt=0.1, backend="numba")
    core.initialize(-60.0)
    offset = np.array([0.5, -1.0, 2.0])
    rec = core.run(np.zeros((10, 0)), np.ones((3, 1)), offset=offset, average_mask=np.ones(10, dtype=bool))
    assert rec.n_spikes == 0
    np.testing.assert_allclose(rec.z[:, 0], -1.5)
    assert rec.power == pytest.approx(5.25)
    np.testing.assert_array_equal(rec.r_mean, 0.0)


def test_single_cell_euler_step_by_hand():
    core = SpikingReservoirCore(dict(FORCE_CELL, bias=500.0), np.zeros((1, 1)), np.zeros((1, 0)), np.zeros((1, 0)),
                                dt=0.04, backend="numpy")
    core.initialize(-50.0, 10.0)
    core.run(np.zeros((1, 0)), np.zeros((1, 0)))
    vt = -60 + 40 + 2 / 2.5
    assert core.v[0] == pytest.approx(-50 + 0.04 * (2.5 * 10 * (-50 - vt) - 10 + 500) / 250, rel=1e-14)
    assert core.u[0] == pytest.approx(10 + 0.04 * 0.01 * (-2 * 10 - 10), rel=1e-14)


@pytest.mark.parametrize("factor, fires", [(1.05, True), (0.95, False)])
def test_rheobase_of_the_quadratic_cell(factor, fires):
    """With b = 0 the 2007 cell is a saddle-node neuron with rheobase k (v_t - v_r)^2 / 4."""
    irh = 2.5 * 40.0 ** 2 / 4
    core = SpikingReservoirCore(dict(FORCE_CELL, b=0.0, bias=factor * irh), np.zeros((1, 1)), np.zeros((1, 0)),
                                np.zeros((1, 0)), dt=0.04, backend="numba")
    core.initialize(-60.0, 0.0)
    rec = core.run(np.zeros((50000, 0)), np.zeros((1, 0)))
    assert (rec.n_spikes > 0) == fires


def test_core_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        SpikingReservoirCore(FORCE_CELL, np.zeros((2, 3)), np.zeros((2, 1)), np.zeros((2, 0)), dt=0.1)
    with pytest.raises(ValueError, match="encoders must have shape"):
        SpikingReservoirCore(FORCE_CELL, np.zeros((2, 2)), np.zeros((3, 1)), np.zeros((2, 0)), dt=0.1)
    with pytest.raises(ValueError, match="tau_rise and tau_decay"):
        SpikingReservoirCore(FORCE_CELL, np.zeros((2, 2)), np.zeros((2, 1)), np.zeros((2, 0)), dt=0.1,
                             tau_rise=5.0, tau_decay=5.0)
    with pytest.raises(ValueError, match="length 2"):
        SpikingReservoirCore(dict(FORCE_CELL, a=[0.1, 0.2, 0.3]), np.zeros((2, 2)), np.zeros((2, 1)),
                             np.zeros((2, 0)), dt=0.1)
