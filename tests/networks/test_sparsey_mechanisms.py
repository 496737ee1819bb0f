"""Sparsey's published mechanisms beyond the basic CSA: permanence, feature-counted bands, the MCH
discount, staged training and deterministic recognition ties (brief ``sparsey.md``, items 1-4)."""

import numpy as np
import pytest

from engramsim.experiments.sparsey import random_sparse_inputs
from engramsim.networks.sparsey import MCH, PermanenceCurve, Sparsey, SparseyLevel, SparseyMac, WeightTable
from engramsim.networks.sparsey.permanence import Synapses
from engramsim.networks.sparsey.support import hypothesis_counts


# ------------------------------------------------------------- 1. permanence
def test_weight_table_golden_trajectory():
    # SparseyCore's WT_TABLE (the Java golden numbers pinned by dcc-sparsey's synapse tests)
    table = WeightTable()
    ages = np.array([0, 1999, 2000, 2999, 3000, 3999, 4000, 10**6])
    np.testing.assert_array_equal(table.weight(np.zeros(8, np.uint8), ages), [127, 127, 120, 120, 50, 50, 0, 0])
    ages = np.array([3999, 4000, 5999, 6000, 7999, 8000])
    np.testing.assert_array_equal(table.weight(np.ones(6, np.uint8), ages), [127, 120, 120, 50, 50, 0])
    assert table.weight(np.array(2), np.array(10**7)) == 127            # stiffness 2 is permanent


def test_coincidences_within_the_fresh_window_make_a_synapse_permanent():
    syn = Synapses(1, 1, WeightTable())
    one, cell = np.array([0]), np.array([0])

    def coincide_at(frame):
        syn.frame = frame
        syn.record(one, cell)

    coincide_at(0)
    assert syn.stiffness[0, 0] == 0
    coincide_at(500)                       # age 500 < 2000: promoted to stiffness 1
    assert syn.stiffness[0, 0] == 1
    coincide_at(1000)                      # age 500 < 4000: permanent
    assert syn.stiffness[0, 0] == 2
    syn.frame = 10**7
    assert syn.weights()[0, 0] == 1.0
    late = Synapses(1, 1, WeightTable())
    late.record(one, cell)
    late.frame = 2500                      # past the fresh window: no promotion, weight restored
    late.record(one, cell)
    assert late.stiffness[0, 0] == 0 and late.weights()[0, 0] == 1.0
    gated = Synapses(1, 1, WeightTable(persistence=10))
    gated.record(one, cell)
    gated.frame = 5                        # sooner than the persistence: no promotion
    gated.record(one, cell)
    assert gated.stiffness[0, 0] == 0


def test_published_constants_change_nothing_on_a_short_run():
    # horizons of 2000+ frames: a run of 80 frames chooses the same codes as set-once weights
    x = random_sparse_inputs(80, 40, 6, np.random.default_rng(0))
    plain = SparseyMac(40, 6, 8, saturation_threshold=0.3, backend="numpy", seed=1).store(x)
    table = SparseyMac(40, 6, 8, saturation_threshold=0.3, permanence=WeightTable(), backend="numpy",
                       seed=1).store(x)
    assert plain.frozen.any() and table.weights is None
    np.testing.assert_array_equal(table.codes, plain.codes)
    np.testing.assert_array_equal(table.effective_weights(), plain.weights)
    np.testing.assert_array_equal(table.frozen, plain.frozen)
    np.testing.assert_array_equal(table.recall(x).winners, plain.recall(x).winners)


def test_a_scaled_table_forgets_an_unreinforced_item_after_its_horizon():
    horizon = 7
    table = WeightTable(breakpoints=((5, 6, horizon), (10, 12, 14)))
    x = np.zeros((12, 48), dtype=np.uint8)
    for i in range(12):
        x[i, 4 * i:4 * i + 4] = 1                                   # disjoint items
    mac = SparseyMac(48, 5, 6, saturation_threshold=1.0, permanence=table, backend="numpy", seed=0)
    mac.store(x[0])
    familiarity = []
    for i in range(1, 12):
        familiarity.append(mac.familiarity(x[0])[0])
        mac.store(x[i])
    familiarity.append(mac.familiarity(x[0])[0])
    # frames since x[0] was learned: 1 .. 11; its weights step 127 -> 120 -> 50 -> 0 at ages 5, 6, 7
    expected = [1.0] * 4 + [120 / 127, 50 / 127] + [0.0] * 6
    np.testing.assert_allclose(familiarity, expected)
    plain = SparseyMac(48, 5, 6, saturation_threshold=1.0, backend="numpy", seed=0).store(x)
    assert plain.familiarity(x[0])[0] == 1.0


def test_freezing_makes_contributing_synapses_permanent_and_keeps_decayed_ones_at_zero():
    table = WeightTable(breakpoints=((3, 4, 5), (6, 7, 8)))
    syn = Synapses(2, 4, table)
    syn.record(np.array([0, 1]), np.array([0]))          # frame 0: both inputs onto cell 0
    syn.frame = 6                                        # cell 0's synapses have decayed (horizon 5)
    syn.record(np.array([0, 1]), np.array([1, 2, 3]))    # frame 6: onto cells 1-3
    frozen = np.zeros(2, dtype=bool)
    syn.freeze(np.array([0, 1]), 0.5, frozen)            # 3 of 4 contribute > 0.5
    assert frozen.all()
    syn.frame = 10**6
    np.testing.assert_array_equal(syn.weights(), [[0, 1, 1, 1], [0, 1, 1, 1]])


def test_sparseypy_permanence_curve():
    curve = PermanenceCurve(steps=5, convexity=0.5)
    # w(t) = (1 + c/S) / (1 + c/(S - t)) by hand: 1.1/1.1, 1.1/1.125, 1.1/1.5, then 0
    np.testing.assert_allclose(curve.weight(np.zeros(4), np.array([0, 1, 4, 5])), [1.0, 1.1 / 1.125, 1.1 / 1.5, 0])
    x = np.eye(6, dtype=np.uint8)[:, :6]
    x[:, 5] = 0
    x[5, 4] = 1
    mac = SparseyMac(6, 3, 4, saturation_threshold=1.0, permanence=curve, backend="numpy", seed=0)
    mac.store(x[0])
    for row in x[1:4]:
        mac.store(row)
    # the mac is at learning frame 4, so x[0]'s weights are w(4) = 1.1 / (1 + 0.5/1)
    np.testing.assert_allclose(mac.familiarity(x[0])[0], 1.1 / 1.5)
    with pytest.raises(TypeError, match="permanence must be None, a WeightTable or a PermanenceCurve"):
        SparseyMac(6, permanence=(5, 0.5))
    with pytest.raises(ValueError, match=r"breakpoints\[0\] must increase"):
        WeightTable(breakpoints=((3, 2, 5),))


# --------------------------------------------------- 2. feature-counted bands
def test_level_one_band_counts_on_pixels():
    # complement coding: every patch has exactly half its units on, so a band in units cannot tell an
    # empty patch from a full one; a band in on-pixels can
    image = np.zeros((4, 4), dtype=np.uint8)
    image[:2, :2] = 1                                       # only the top-left 2x2 patch has strokes
    cue = np.stack([image, 1 - image], axis=-1).reshape(1, -1)
    for band, expected in ((None, [True] * 4), ((1, 4), [True, False, False, False])):
        net = Sparsey((4, 4), [SparseyLevel((2, 2), (2, 2), 3, 4, feature_band=band)], channels=2,
                      backend="numpy", seed=0)
        net.store(cue)
        np.testing.assert_array_equal(net.codes[0][0, :, 0] >= 0, expected)


@pytest.mark.parametrize("n_on, active", [(1, False), (2, True), (3, False)])
def test_level_two_band_counts_active_lower_macs(n_on, active):
    # six level-1 macs, one per pixel, active only when their pixel is on; the level-2 mac over all six
    # is active only when exactly two of them are ("a discrete compositionality constraint")
    pixels = np.zeros(6, dtype=np.uint8)
    pixels[:n_on] = 1
    cue = np.stack([pixels, 1 - pixels], axis=-1).reshape(1, -1)
    net = Sparsey((2, 3), [SparseyLevel((2, 3), (1, 1), 3, 4, feature_band=(1, 1)),
                           SparseyLevel((1, 1), None, 3, 4, feature_band=(2, 2))],
                  channels=2, backend="numpy", seed=0)
    net.store(cue)
    assert (net.codes[0][0, :, 0] >= 0).sum() == n_on
    assert bool(net.codes[1][0, 0, 0] >= 0) == active


def test_bad_bands_and_mch_are_rejected():
    with pytest.raises(ValueError, match=r"levels\[0\].feature_band must have low <= high"):
        Sparsey((4, 4), [SparseyLevel(feature_band=(3, 1))])
    with pytest.raises(ValueError, match=r"levels\[0\].mch must be None"):
        Sparsey((4, 4), [SparseyLevel(mch=MCH())])
    with pytest.raises(ValueError, match="v_threshold must be <= 1"):
        MCH(v_threshold=2.0)


# ------------------------------------------------------------ 3. MCH discount
def _two_source_net(mch, weights_from):
    """Level 1: mac A (pixel 0) with one hypothesis per CM, mac B (pixel 1) with three; level 2: two CMs of
    one cell each, reading A's code (cell c, CM 0) and B's code (cell d, CM 1) as ``weights_from`` says."""
    net = Sparsey((1, 2), [SparseyLevel((1, 2), (1, 1), 2, 4), SparseyLevel((1, 1), None, 2, 1, mch=mch)],
                  channels=2, backend="numpy", seed=0)
    a, b = net.macs[0]
    for cm in range(2):
        a.weights[0, cm * 4 + 0] = 1                       # on-unit of pixel 0 -> 1 cell per CM
        b.weights[0, cm * 4 + np.arange(3)] = 1            # on-unit of pixel 1 -> 3 cells per CM
    top = net.macs[1][0]
    for source, cell in weights_from:
        top.weights[source * 8:(source + 1) * 8, cell] = 1
    return net


def test_mch_counts_hypotheses():
    v = np.zeros((1, 2, 4))
    v[0, 0, :3] = [0.5, 0.9, 1.0]
    v[0, 1, :3] = [0.6, 0.7, 0.49]
    assert hypothesis_counts(v, 0.5)[0] == 3                 # (3 + 2) / 2 = 2.5 rounds half up
    assert hypothesis_counts(np.zeros((1, 2, 4)), 0.5)[0] == 1


def test_mch_discount_divides_an_ambiguous_source_by_its_hypotheses():
    cue = np.array([[1, 0, 1, 0]], dtype=np.uint8)           # both pixels on
    # U_c = (1 + 1) / 4 from A's two code cells; U_d = (s + s) / 4 from B's, s its signal; G = (U_c + U_d) / 2
    plain = _two_source_net(None, [(0, 0), (1, 1)]).recall(cue).familiarity[0]
    assert plain == pytest.approx((0.5 + 0.5) / 2)
    discounted = _two_source_net(MCH(), [(0, 0), (1, 1)]).recall(cue).familiarity[0]
    assert discounted == pytest.approx((0.5 + 0.5 / 3) / 2)  # B contributes 1/3 of its raw sum
    # at or above the ignore threshold the source contributes nothing
    only_b = _two_source_net(None, [(1, 0), (1, 1)]).recall(cue).familiarity[0]
    ignored = _two_source_net(MCH(ignore_threshold=3), [(1, 0), (1, 1)]).recall(cue)
    assert only_b == pytest.approx(0.5) and ignored.familiarity[0] == 0.0
    stronger = _two_source_net(MCH(discount_threshold=3, exponent=2.0), [(0, 0), (1, 1)]).recall(cue)
    assert stronger.familiarity[0] == pytest.approx((0.5 + 0.5 / (1 + 3**2)) / 2)


# -------------------------------------------------------- 4. staged training
def _images(n=30, seed=0):
    return (np.random.default_rng(seed).random((n, 64)) < 0.3).astype(np.uint8)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_staged_training_reproduces_level_one_codes(backend):
    images = _images()
    reproduced = {}
    for schedule in ("joint", "staged"):
        net = Sparsey((8, 8), [SparseyLevel((3, 3), (4, 4), 6, 8), SparseyLevel((1, 1), None, 8, 8)],
                      saturation_threshold=0.3, tie_break="input", backend=backend, seed=0)
        net.store(images, schedule=schedule)
        result = net.recall(images)
        reproduced[schedule] = (result.level_winners[0] == net.codes[0]).all(axis=-1).mean()
        if schedule == "staged":
            np.testing.assert_array_equal(result.winners, net.codes[1].reshape(len(images), -1))
            assert all(m.frozen.all() for level in net.macs for m in level)
    assert reproduced["staged"] == 1.0                       # l1_reproduced = 1 for training images
    assert reproduced["joint"] < 0.9                         # learning on moving level-1 codes does not


def test_staged_level_one_learns_nothing_while_level_two_trains():
    images = _images(12, seed=1)
    staged = Sparsey((8, 8), [SparseyLevel((2, 2), (4, 4), 4, 6), SparseyLevel((1, 1), None, 5, 6)],
                     tie_break="input", backend="numpy", seed=3)
    alone = Sparsey((8, 8), [SparseyLevel((2, 2), (4, 4), 4, 6)], tie_break="input", backend="numpy", seed=3)
    staged.store(images, schedule="staged")
    alone.store(images, schedule="staged")
    for a, b in zip(staged.macs[0], alone.macs[0]):
        np.testing.assert_array_equal(a.weights, b.weights)
    with pytest.raises(ValueError, match="schedule must be one of"):
        staged.store(images, schedule="greedy")


def test_input_tie_break_gives_the_same_code_for_the_same_cue():
    x = random_sparse_inputs(20, 30, 4, np.random.default_rng(2))
    for tie_break, same in (("input", True), ("random", False)):
        mac = SparseyMac(30, 8, 8, saturation_threshold=0.2, tie_break=tie_break, backend="numpy", seed=0)
        mac.store(x)
        cue = np.repeat(x[:1] | x[1:2], 40, axis=0)          # a blend: ties between the two codes' cells
        winners = mac.recall(cue).winners
        assert (winners == winners[0]).all() == same
    with pytest.raises(ValueError, match="tie_break must be one of"):
        SparseyMac(30, tie_break="first")
