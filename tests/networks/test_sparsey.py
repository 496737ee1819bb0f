"""Sparsey: the Code Selection Algorithm, single-trial learning, hierarchy, kernels."""

import numpy as np
import pytest
from scipy import stats

from engramsim.experiments.sparsey import overlapping_variants, random_sparse_inputs
from engramsim.experiments.theory import sparsey_single_item_overlap
from engramsim.learning_rules import bundle_saturation, saturated_bundles, sparsey_hebb
from engramsim.networks import CSA, Sparsey, SparseyLevel, SparseyMac, csa_preset
from engramsim.networks.sparsey import (
    ExpLogitMu,
    LinearExpansivity,
    LogisticMu,
    SparseyCoreExpansivity,
    code_overlap,
    codes_to_binary,
)
from engramsim.sim import get_backend

BACKENDS = ("numpy", "numba")


def separated_patterns(n_patterns=4, width=4, n_inputs=20):
    """The reference scenario: well-separated (disjoint) 4-bit patterns."""
    x = np.zeros((n_patterns, n_inputs), dtype=np.uint8)
    for i in range(n_patterns):
        x[i, width * i:width * (i + 1)] = 1
    return x


# ------------------------------------------------ behavioural invariants 1-3
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("preset", ["sparseycore", "sparseypy", "sparsey-csa"])
def test_reference_scenario(backend, preset):
    x = separated_patterns()
    mac = SparseyMac(20, n_modules=5, cells_per_module=8, csa=preset, backend=backend, seed=3)
    codes = mac.store(x).codes
    # 1. distinct inputs get distinct codes
    assert len({tuple(c) for c in codes}) == 4
    # 2. each learned input reactivates exactly its own code (argmax-V readout)
    result = mac.recall(x)
    np.testing.assert_array_equal(result.winners, codes)
    np.testing.assert_array_equal(result.overlaps.argmax(axis=1), np.arange(4))
    # 3. G is 1 for learned inputs and 0 for a novel input disjoint from all of them
    np.testing.assert_allclose(result.familiarity, 1.0)
    novel = np.zeros(20, dtype=np.uint8)
    novel[16:] = 1
    assert mac.familiarity(novel)[0] == 0.0


def test_first_novel_codes_are_not_all_first_cells():
    # the pitfall of argmax with zero weights: learning must sample
    mac = SparseyMac(20, 5, 8, backend="numpy", seed=0)
    codes = mac.store(separated_patterns()).codes
    assert codes.max() > 0 and len({tuple(c) for c in codes}) == 4


# ----------------------------------------------- 4. similarity preservation
def test_similarity_is_preserved_monotonically_and_matches_theory():
    rng = np.random.default_rng(0)
    base = random_sparse_inputs(1, 200, 20, rng)
    levels = [0.0, 0.25, 0.5, 0.75, 1.0]
    learn, recognise = [], []
    for seed in range(2):
        mac = SparseyMac(200, 10, 8, backend="numba", seed=seed)
        code = mac.store(base).codes[0]
        lr, rr = [], []
        for s in levels:
            variants = overlapping_variants(base[0], s, 400, rng)
            lr.append(code_overlap(mac.propose(variants), code).mean())
            rr.append(code_overlap(mac.recall(variants).winners, code).mean())
        learn.append(lr)
        recognise.append(rr)
    learn, recognise = np.mean(learn, axis=0), np.mean(recognise, axis=0)
    assert np.all(np.diff(learn) > 0), learn
    assert np.all(np.diff(recognise) >= 0), recognise
    csa = csa_preset()
    expected = sparsey_single_item_overlap(levels, 8, csa.expansivity, csa.v_to_mu, 0.5)
    # 8000 CM draws per level: standard error < 0.006
    np.testing.assert_allclose(learn, expected, atol=0.025)


def test_similarity_is_preserved_at_digit_patch_density():
    # the sparsey-digits level-1 setting: complement-coded 4x4 patches (32 units, 16 active), Q = 16,
    # K = 48, V = U^10, nonlinearity 10.  Code overlap must fall as pixels are flipped, not only for the
    # sparse synthetic inputs above (with the defaults, U^1 and nonlinearity 4, it barely moves off chance)
    csa = CSA(SparseyCoreExpansivity(), LogisticMu(nonlinearity=10.0))
    flips = [0, 1, 2, 4, 8]
    learn, recognise = np.zeros(len(flips)), np.zeros(len(flips))
    for seed in range(3):
        rng = np.random.default_rng(seed)
        patch = (rng.random(16) < 0.3).astype(np.uint8)
        mac = SparseyMac(32, 16, 48, csa=csa, u_exponent=10.0, backend="numba", seed=seed)
        code = mac.store(np.stack([patch, 1 - patch], axis=-1).reshape(1, 32)).codes[0]
        for i, d in enumerate(flips):
            variants = np.repeat(patch[None], 200, axis=0)
            for row in variants:
                row[rng.choice(16, d, replace=False)] ^= 1
            cues = np.stack([variants, 1 - variants], axis=-1).reshape(200, 32)
            learn[i] += code_overlap(mac.propose(cues), code).mean() / 3
            recognise[i] += code_overlap(mac.recall(cues).winners, code).mean() / 3
    assert np.all(np.diff(learn[:4]) < 0), learn            # strictly falling down to 4 flips ...
    assert learn[0] > 0.6 and learn[2] > 2 / 48, learn      # ... from most of the code ...
    assert abs(learn[4] - 1 / 48) < 0.02, learn             # ... to chance at 8 of 16 pixels flipped
    assert np.all(np.diff(recognise) <= 0) and recognise[0] == 1.0, recognise


# ---------------------------------------------- 5. single-trial learning
def test_single_trial_sets_exactly_the_coactive_weights():
    x = random_sparse_inputs(3, 50, 8, np.random.default_rng(1))
    mac = SparseyMac(50, 6, 5, backend="numba", seed=0).store(x[:2])
    before = mac.weights.copy()
    code = mac.store(x[2]).codes[-1]
    cells = np.flatnonzero(codes_to_binary(code, 5))
    expected = before.copy()
    expected[np.ix_(np.flatnonzero(x[2]), cells)] = 1
    np.testing.assert_array_equal(mac.weights, expected)


def test_freezing_stops_learning_on_saturated_inputs():
    x = np.ones((40, 6), dtype=np.uint8)
    x[:, 3:] = np.random.default_rng(0).integers(0, 2, (40, 3))
    mac = SparseyMac(6, 4, 4, saturation_threshold=0.5, backend="numpy", seed=0)
    for row in x:
        frozen = mac.frozen.copy()
        before = mac.weights[frozen].copy()
        mac.store(row)
        np.testing.assert_array_equal(mac.weights[frozen], before)
    assert mac.frozen[:3].all()
    assert np.all(bundle_saturation(mac.weights)[mac.frozen] > 0.5)


def test_frozen_mac_learns_with_the_recognition_readout():
    # once every active input's bundle is frozen the mac cannot store a new code for that input; with
    # frozen_argmax it passes on the code recognition picks (maximal V per CM) and changes nothing
    x = random_sparse_inputs(60, 12, 4, np.random.default_rng(3))
    mac = SparseyMac(12, 6, 4, saturation_threshold=0.3, frozen_argmax=1.0, backend="numpy", seed=1)
    plain = SparseyMac(12, 6, 4, saturation_threshold=0.3, backend="numpy", seed=1)
    checked = 0
    for row in x:
        active = np.flatnonzero(row)
        if mac.frozen[active].all():
            v, _, _ = mac._familiarity(row[None], None)
            weights = mac.weights.copy()
            code = mac.store(row).codes[-1]
            best = v[0].max(axis=1)
            assert np.all(v[0][np.arange(6), code] == best)  # an argmax-V cell in every CM
            np.testing.assert_array_equal(mac.weights, weights)
            checked += 1
        else:
            mac.store(row)
    assert checked > 10
    plain.store(x)
    assert plain.frozen_argmax is None
    with pytest.raises(ValueError, match="frozen_argmax must be <= 1"):
        SparseyMac(12, 6, 4, frozen_argmax=1.5)


# -------------------------------------------------- 7. novelty randomness
def test_novel_inputs_draw_uniform_winners():
    mac = SparseyMac(30, 4, 8, backend="numba", seed=2)
    x = np.zeros((4000, 30), dtype=np.uint8)
    x[:, :5] = 1
    winners = mac.propose(x)  # nothing stored: G = 0, eta = 1, flat rho
    for q in range(4):
        counts = np.bincount(winners[:, q], minlength=8)
        assert stats.chisquare(counts).pvalue > 1e-3


# ------------------------------------------------------------- strategies
def test_preset_formulas():
    core = csa_preset("sparseycore")
    assert core.expansivity(np.array([1.0]), 8)[0] == pytest.approx(801.0)
    assert core.expansivity(np.array([0.05]), 8)[0] == 1.0
    mu = core.v_to_mu(np.array([0.0, 0.3, 1.0]), np.array([1.0]), 0.5)
    np.testing.assert_array_equal(mu, [1.0, 1.0, 1.0])          # eta = 1: every cell at the floor
    mu = core.v_to_mu(np.array([0.0, 0.5, 1.0]), np.array([801.0]), 0.5)
    np.testing.assert_allclose(mu, [801 / (1 + np.exp(2)), 400.5, 801.0])
    assert csa_preset("sparsey-csa").expansivity(np.array([0.5]), 8)[0] == pytest.approx(10000 * 0.5**7)
    assert csa_preset("sparseypy").expansivity(np.array([0.1]), 8)[0] == 0.0
    with pytest.raises(ValueError, match="csa must be one of"):
        csa_preset("rinkus")


def test_inflection_ratchets_towards_its_maximum():
    mu = LogisticMu()
    phi, best = mu.next_inflection(0.5, -np.inf, 0.4)
    assert phi == pytest.approx(0.504) and best == 0.4
    assert mu.next_inflection(phi, best, 0.35) == (phi, best)   # not a new maximum
    assert mu.next_inflection(0.9, 0.4, 0.9)[0] == 0.9


class _Wrapped:
    """A custom strategy (not a built-in class): takes the NumPy path."""

    def __init__(self, inner):
        self.inner = inner
        self.initial_inflection = getattr(inner, "initial_inflection", None)

    def __call__(self, *args):
        return self.inner(*args)

    def next_inflection(self, *args):
        return self.inner.next_inflection(*args)


@pytest.mark.parametrize("eta, mu", [(SparseyCoreExpansivity(), LogisticMu()),
                                     (LinearExpansivity(), ExpLogitMu())])
def test_custom_strategies_match_the_fused_kernel(eta, mu):
    x = random_sparse_inputs(30, 60, 8, np.random.default_rng(4))
    fused = SparseyMac(60, 6, 8, csa=CSA(eta, mu), backend="numba", seed=5)
    custom = SparseyMac(60, 6, 8, csa=CSA(_Wrapped(eta), _Wrapped(mu)), backend="numba", seed=5)
    assert fused._fused and not custom._fused
    np.testing.assert_array_equal(fused.store(x).codes, custom.store(x).codes)


def test_backends_choose_the_same_codes():
    x = random_sparse_inputs(60, 80, 10, np.random.default_rng(6))
    a = SparseyMac(80, 8, 6, backend="numpy", seed=9)
    b = SparseyMac(80, 8, 6, backend="numba", seed=9)
    np.testing.assert_array_equal(a.store(x).codes, b.store(x).codes)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.recall(x).winners, b.recall(x).winners)


# ----------------------------------------------------------------- kernels
def _kernel_pair(name):
    return get_backend("numpy").kernel(name), get_backend("numba").kernel(name)


@pytest.mark.parametrize("batch", [1, 100])
def test_kernels_match_their_numpy_twins(batch):
    rng = np.random.default_rng(batch)
    q, k, n = 5, 7, 40
    weights = (rng.random((n, q * k)) < 0.3).astype(np.uint8)
    inputs = (rng.random((batch, n)) < 0.2).astype(np.uint8)
    inputs[0] = 0  # an empty row gives 0
    ref, fast = _kernel_pair("csa_support")
    np.testing.assert_array_equal(ref(weights, inputs), fast(weights, inputs))
    assert np.all(fast(weights, inputs)[0] == 0)

    h_weights = (rng.random((q * k, q * k)) < 0.3).astype(np.uint8)
    h_inputs = codes_to_binary(rng.integers(0, k, (batch, q)), k)
    h_inputs[: batch // 2] = 0
    ref, fast = _kernel_pair("csa_familiarity")
    for u_exp, h_exp in [(1.0, 1.0), (3.0, 2.0)]:
        out_ref = ref(weights, inputs, h_weights, h_inputs, q, u_exp, h_exp)
        out_fast = fast(weights, inputs, h_weights, h_inputs, q, u_exp, h_exp)
        for a, b in zip(out_ref, out_fast):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)

    v = np.round(rng.random((batch, q, k)), 1)   # rounding makes ties
    uniforms = rng.random((batch, q))
    for name in ("csa_sample", "csa_argmax"):
        ref, fast = _kernel_pair(name)
        np.testing.assert_array_equal(ref(v + 0.01, uniforms), fast(v + 0.01, uniforms))
    ref, fast = _kernel_pair("csa_choose")
    g = v.max(axis=-1).mean(axis=-1)
    for csa in (csa_preset(p) for p in ("sparseycore", "sparseypy", "sparsey-csa")):
        for readout in (0, 1):
            args = (v, g, csa.expansivity.kind, csa.expansivity.params, csa.v_to_mu.kind, csa.v_to_mu.params,
                    0.6, readout, uniforms)
            np.testing.assert_array_equal(ref(*args), fast(*args))


def test_argmax_breaks_ties_by_the_draw():
    ref = get_backend("numpy").kernel("csa_argmax")
    v = np.zeros((4, 1, 4))
    np.testing.assert_array_equal(ref(v, np.array([[0.0], [0.3], [0.6], [0.99]]))[:, 0], [0, 1, 2, 3])


# ----------------------------------------------------------- learning rule
def test_learning_rule_alone():
    w = np.zeros((4, 6), dtype=np.uint8)
    pre = np.array([1, 0, 1, 1])
    post = np.array([0, 1, 0, 0, 1, 0])
    frozen = np.array([False, False, False, True])
    new = sparsey_hebb(w, pre, post, frozen=frozen)
    assert w.sum() == 0                     # the caller's array is untouched
    expected = np.zeros((4, 6), dtype=np.uint8)
    expected[np.ix_([0, 2], [1, 4])] = 1
    np.testing.assert_array_equal(new, expected)
    assert sparsey_hebb(new, pre, post, frozen=frozen, out=new) is new      # in place, and idempotent
    np.testing.assert_array_equal(new, expected)
    np.testing.assert_array_equal(saturated_bundles(np.array([[1, 1, 0], [1, 0, 0]]), 0.5), [True, False])
    with pytest.raises(ValueError, match="pre must have length 4"):
        sparsey_hebb(w, [1, 0], post)
    with pytest.raises(ValueError, match="weights must only hold values"):
        sparsey_hebb(w + 2, pre, post)
    with pytest.raises(ValueError, match="frozen must be a boolean array"):
        sparsey_hebb(w, pre, post, frozen=[0, 1, 0, 0])
    with pytest.raises(TypeError, match="out must be a 2-D uint8"):
        sparsey_hebb(w, pre, post, out=np.zeros((4, 6)))


# --------------------------------------------------------------- validation
@pytest.mark.parametrize("bad, error, match", [
    (np.full((2, 20), 2), ValueError, r"patterns must only hold values in \{0, 1\}"),
    (np.full((2, 20), 0.5), ValueError, "patterns must only hold values"),
    (np.ones((2, 19)), ValueError, r"shape \(P, 20\)"),
    (np.zeros((2, 20)), ValueError, r"patterns\[0\] has no active inputs"),
    (np.zeros((0, 20)), ValueError, "patterns must not be empty"),
    (np.ones((2, 2, 20)), ValueError, "patterns must be 1-D or 2-D"),
    ([["a"] * 20], TypeError, "patterns must hold real numbers"),
])
def test_bad_inputs_are_rejected(bad, error, match):
    mac = SparseyMac(20, 5, 8, backend="numpy", seed=0)
    with pytest.raises(error, match=match):
        mac.store(bad)
    assert mac.n_patterns == 0 and mac.weights.sum() == 0


def test_bad_cues_and_settings_are_rejected():
    mac = SparseyMac(20, 5, 8, backend="numpy", seed=0)
    with pytest.raises(ValueError, match=r"cues\[1\] has no active inputs"):
        mac.recall(np.array([[1] + [0] * 19, [0] * 20]))
    with pytest.raises(ValueError, match="n_modules must be >= 1"):
        SparseyMac(20, 0, 8)
    with pytest.raises(TypeError, match="cells_per_module must be an integer"):
        SparseyMac(20, 5, 2.5)
    with pytest.raises(ValueError, match="csa must be one of"):
        SparseyMac(20, csa="fast")
    with pytest.raises(TypeError, match="csa must be a preset name"):
        SparseyMac(20, csa=3)
    with pytest.raises(ValueError, match="activation_band must have low <= high"):
        SparseyMac(20, activation_band=(0.5, 0.1))
    with pytest.raises(ValueError, match="saturation_threshold must be <= 1"):
        SparseyMac(20, saturation_threshold=2)
    with pytest.raises(ValueError, match="learn_readout must be one of"):
        CSA(SparseyCoreExpansivity(), LogisticMu(), learn_readout="max")
    with pytest.raises(ValueError, match="sequences need a mac built with horizontal=True"):
        mac.store_sequence(separated_patterns())


def test_inputs_are_not_modified_and_band_gives_empty_codes():
    x = separated_patterns()
    keep = x.copy()
    mac = SparseyMac(20, 5, 8, activation_band=(0.0, 0.25), backend="numpy", seed=0)
    dense = np.ones((1, 20), dtype=np.uint8)
    codes = mac.store(np.concatenate([x, dense])).codes
    np.testing.assert_array_equal(x, keep)
    assert np.all(codes[4] == -1) and np.all(codes[:4] >= 0)
    result = mac.recall(dense)
    assert np.all(result.winners == -1) and np.isnan(result.familiarity[0])
    ds = mac.recall(x).to_xarray()
    assert ds["winners"].shape == (4, 5) and ds["familiarity"].attrs["units"] == "1"


# ---------------------------------------------------------------- sequences
@pytest.mark.parametrize("backend", BACKENDS)
def test_horizontal_input_gives_context_dependent_codes(backend):
    a, b, c, d, e = separated_patterns(5, 4, 20)
    mac = SparseyMac(20, 8, 8, horizontal=True, backend=backend, seed=1)
    first = mac.store_sequence([a, b, c]).codes
    second = mac.store_sequence([d, b, e]).codes[3:]
    # B after A and B after D: same input, different codes (near chance overlap)
    assert code_overlap(first[1], second[1]) < 0.5
    np.testing.assert_array_equal(mac.recall_sequence([a, b, c]).winners, first)
    np.testing.assert_array_equal(mac.recall_sequence([d, b, e]).winners, second)


# ---------------------------------------------------------------- hierarchy
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_level_hierarchy_learns_and_recognises(backend):
    # well-separated images (disjoint pixel sets, each touching every patch), as in the mac's reference
    # scenario; overlapping binary inputs can find full support on cells that won for several of them
    images = np.zeros((4, 36), dtype=np.uint8)
    for i in range(4):
        images[i, [r * 6 + c for r in range(6) for c in range(6) if (r // 3 * 2 + c // 3 + r + c) % 4 == i]] = 1
    net = Sparsey((6, 6), [SparseyLevel((2, 2), (3, 3), 5, 16), SparseyLevel((1, 1), None, 7, 16)],
                  backend=backend, seed=4)
    assert [len(m) for m in net.macs] == [4, 1] and net.macs[1][0].n_neurons == 4 * 80
    codes = net.store(images).codes
    assert codes[0].shape == (4, 4, 5) and codes[1].shape == (4, 1, 7)
    assert np.all(codes[0] >= 0)
    result = net.recall(images)
    np.testing.assert_array_equal(result.winners, codes[1].reshape(4, 7))
    np.testing.assert_allclose(result.familiarity, 1.0)
    winners, familiarity = result.level_winners, result.level_familiarity
    np.testing.assert_array_equal(winners[0], codes[0])
    np.testing.assert_allclose(familiarity[0], 1.0)


def test_empty_patches_make_inactive_macs():
    image = np.zeros(36, dtype=np.uint8)
    image[35] = 1                           # only the bottom-right patch is active
    net = Sparsey((6, 6), [SparseyLevel((2, 2), (3, 3), 5, 6), SparseyLevel((1, 1), None, 7, 6)],
                  backend="numpy", seed=4)
    codes = net.store(image).codes
    assert np.all(codes[0][0, :3] == -1) and np.all(codes[0][0, 3] >= 0) and np.all(codes[1] >= 0)
    familiarity = net.recall(image).level_familiarity
    assert np.isnan(familiarity[0][0, :3]).all() and familiarity[0][0, 3] == 1.0


def test_hierarchy_fields_channels_and_validation():
    net = Sparsey((8, 8), [SparseyLevel((3, 3), (4, 4), 4, 4), SparseyLevel((1, 1), None, 4, 4)],
                  channels=2, backend="numpy", seed=0)
    assert net.n_neurons == 128
    first = net._fields[0][0]
    np.testing.assert_array_equal(first[:4], [0, 1, 2, 3])      # pixels (0,0) and (0,1), 2 channels each
    last = net._fields[0][-1]
    assert last.max() == 127 and net._fields[0][4].min() == (2 * 8 + 2) * 2  # centre patch starts at (2, 2)
    with pytest.raises(ValueError, match="receptive_field must fit"):
        Sparsey((4, 4), [SparseyLevel((1, 1), (5, 5))])
    with pytest.raises(TypeError, match="must be a SparseyLevel"):
        Sparsey((4, 4), [(1, 1)])
    with pytest.raises(ValueError, match="levels must be a non-empty list"):
        Sparsey((4, 4), [])
    with pytest.raises(ValueError, match=r"patterns\[0\] has no active inputs"):
        Sparsey((4, 4), [SparseyLevel()], backend="numpy").store(np.zeros((1, 16)))
    with pytest.raises(ValueError, match=r"shape \(P, 16\)"):
        Sparsey((4, 4), [SparseyLevel()], backend="numpy").store(np.ones((1, 15)))


def test_levels_can_set_their_own_csa_and_saturation():
    core = CSA(SparseyCoreExpansivity(g_floor=0.9), LogisticMu(nonlinearity=10.0), name="top")
    net = Sparsey((8, 8), [SparseyLevel((3, 3), (4, 4), 4, 4, saturation_threshold=0.1),
                           SparseyLevel((1, 1), None, 4, 4, csa=core)],
                  csa="sparsey-csa", saturation_threshold=0.7, frozen_argmax=0.5, backend="numpy", seed=0)
    assert all(m.csa.name == "sparsey-csa" and m.saturation_threshold == 0.1 for m in net.macs[0])
    top = net.macs[1][0]
    assert top.csa is core and top.saturation_threshold == 0.7
    assert all(m.frozen_argmax == 0.5 for level in net.macs for m in level)
    assert net.levels[0].saturation_threshold == 0.1 and net.levels[1].csa is core
    with pytest.raises(ValueError, match=r"levels\[1\].saturation_threshold must be <= 1"):
        Sparsey((8, 8), [SparseyLevel((3, 3), (4, 4)), SparseyLevel(saturation_threshold=2.0)])
    with pytest.raises(ValueError, match="csa must be one of"):
        Sparsey((8, 8), [SparseyLevel(csa="rinkus")])


def test_hierarchy_sequences():
    frames = separated_patterns(4, 4, 16)
    net = Sparsey((4, 4), [SparseyLevel((2, 2), (2, 2), 4, 6), SparseyLevel((1, 1), None, 6, 6)],
                  horizontal=True, backend="numba", seed=2)
    codes = net.store_sequence(frames).codes
    np.testing.assert_array_equal(net.recall_sequence(frames).winners, codes[1].reshape(4, -1))


def test_results_keep_their_stored_codes_while_learning_goes_on():
    x = random_sparse_inputs(40, 30, 5, np.random.default_rng(8))
    mac = SparseyMac(30, 4, 8, backend="numpy", seed=0)
    mac.store(x[:3])
    early = mac.recall(x[:3])
    stored = early.stored_winners.copy()
    for row in x[3:]:                      # one call per item: the buffers grow by doubling
        mac.store(row)
    np.testing.assert_array_equal(early.stored_winners, stored)
    assert mac.n_patterns == 40 and mac.codes.shape == (40, 4)
    np.testing.assert_array_equal(mac.patterns, x)
