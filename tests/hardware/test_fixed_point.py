"""sPyNNaker's fixed-point arithmetic: hand-computed values, the CA3 brief's calibration, twins, sPyNNaker's table."""

import numpy as np
import pytest

from engramsim.hardware.fixed_point import (
    add_spike_to_trace,
    decay_trace,
    exp_lut,
    from_s1615,
    lif_run,
    mul_s1615,
    mul_u032,
    ring_buffer_units,
    to_s1615,
    to_u032,
)

SLOW = dict(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0, v_thresh=0.0,
            tau_refrac=1.0, i_offset=0.0)
FAST = dict(SLOW, cm=0.14, tau_m=0.5)


def test_fixed_point_primitives_by_hand():
    assert to_s1615(1.0) == 32768 and to_s1615(-60.0) == -60 * 32768
    assert to_s1615(1.5 / 32768) == 2  # half to even
    assert mul_s1615(to_s1615(1.5), to_s1615(-2.0)) == to_s1615(-3.0)
    assert mul_s1615(-1, 1) == -1  # truncation toward minus infinity: -2**-30 -> -2**-15
    assert mul_u032(to_s1615(3.0), to_u032(0.5)) == to_s1615(1.5)
    x, d = np.int64(-123456789), np.int64(3_000_000_123)
    assert mul_u032(x, d) == (int(x) * int(d)) >> 32  # exact 64-bit product, Python integers as reference
    # shift 3: one unit is 2**-12 nA
    np.testing.assert_array_equal(ring_buffer_units([6.0, 0.0002, 3 * 2.0 ** -12 + 1e-9], 3), [24576, 0, 3])
    with pytest.raises(ValueError, match="16 bits"):
        ring_buffer_units([20.0], 3)
    assert from_s1615(to_s1615(-54.5)) == -54.5


def test_stdp_table_and_traces_by_hand():
    lut = exp_lut(3.0, 1.0)
    # ln(2048) * 3 = 22.87 -> 24 entries (an even count); floor(2048 e^{-k/3})
    assert lut.size == 24
    assert list(lut[:4]) == [2048, 1467, 1051, 753]
    assert lut[-1] == int(np.floor(2048 * np.exp(-23 / 3)))
    assert decay_trace(2048, 1, lut) == 1467 and decay_trace(2048, 24, lut) == 0
    # a second spike one step after the first: 1467 + 2048 (the CA3 brief's trace r = 1.716 in float)
    assert add_spike_to_trace(2048, 1, lut) == 3515


def test_table_matches_spynnaker():
    pytest.importorskip("spynnaker")
    from spynnaker.pyNN.models.neuron.plasticity.stdp.common import get_exp_lut_array

    for tau in (3.0, 20.0):
        theirs = get_exp_lut_array(1.0, tau).view(np.uint16)
        np.testing.assert_array_equal(exp_lut(tau, 1.0), theirs[2:2 + int(theirs[0])])


@pytest.mark.parametrize("params,weight,expected", [(SLOW, 6.0, -54.5), (FAST, 6.0, -54.6), (FAST, 2.0, -58.2)])
def test_ca3_calibration_in_both_arithmetics(params, weight, expected):
    """The CA3 brief's calibration (one input, membrane after the arrival step) holds in float and fixed point."""
    x = np.zeros((3, 1))
    x[0, 0] = weight
    v_float = lif_run(x, params, arithmetic="float")[1][0, 0]
    v_fixed = lif_run(x, params, arithmetic="spinnaker")[1][0, 0]
    assert v_float == pytest.approx(expected, abs=0.06)
    assert v_fixed == pytest.approx(expected, abs=0.06)
    assert 0 < abs(v_fixed - v_float) < 2e-3  # rounded to 2**-15 at every operation


def test_numba_twin_is_bit_identical():
    pytest.importorskip("numba")
    rng = np.random.default_rng(0)
    x = rng.random((300, 7)) * (rng.random((300, 7)) < 0.2) * 8.0
    y = rng.random((300, 7)) * (rng.random((300, 7)) < 0.1) * 4.0
    params = dict(SLOW, v_thresh=-57.0, tau_m=rng.uniform(2, 5, 7))
    a = lif_run(x, params, arithmetic="spinnaker", inh_weights=y)
    b = lif_run(x, params, arithmetic="spinnaker", inh_weights=y, backend="numba")
    assert a[0].sum() > 20
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_weights_below_one_unit_vanish_in_fixed_point():
    """A steady drive of 0.9 ring-buffer units makes the float cell fire and the fixed-point cell stay at rest."""
    params = dict(cm=1.0, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=5.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-64.99,
                  tau_refrac=0.0, i_offset=0.0)
    shift = 3
    x = np.full((200, 1), 0.9 * 2.0 ** (shift - 15))
    s_float, v_float = lif_run(x, params, arithmetic="float")
    s_fixed, v_fixed = lif_run(x, params, arithmetic="spinnaker", shift=shift)
    assert s_float.sum() > 0 and s_fixed.sum() == 0 and np.all(v_fixed == -65.0)


def test_many_small_weights_lose_drive_in_fixed_point():
    """1000 inputs with weights <= 0.016 nA: sPyNNaker's shift is 4 (1000 x 0.016 < 16), one unit 2**-11 nA,
    truncation removes half a unit (~3.5 % of the mean weight) from every synapse: fewer spikes."""
    from engramsim.hardware.fixed_point import lif_drive_run

    rng = np.random.default_rng(0)
    params = dict(cm=0.25, tau_m=10.0, tau_syn_E=2.0, tau_syn_I=2.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0,
                  tau_refrac=2.0, i_offset=0.0)
    pre = rng.random((2000, 1000)) < 0.02
    w = rng.uniform(0, 0.016, (1000, 10))
    s_float = lif_drive_run(pre, w, params, arithmetic="float")[0].sum()
    s_fixed = lif_drive_run(pre, w, params, arithmetic="spinnaker")[0].sum()
    assert s_float > 1000
    assert 0.88 * s_float < s_fixed < 0.98 * s_float
