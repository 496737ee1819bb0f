"""Property tests: every public constructor and method of the memory models and weight rules
refuses each generated bad argument with a ValidationError naming it, fast; valid inputs give no NaN.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import (
    PROPERTY,
    assert_finite,
    assert_refused,
    bad_array,
    bad_bool,
    bad_choice,
    bad_float,
    bad_int,
    bad_seed,
)

from engramsim.errors import ValidationError
from engramsim.learning_rules import hebb, hebb_counts, pseudo_inverse, storkey
from engramsim.learning_rules.cross_entropy import (
    TrainingDivergedError,
    effective_learning_rates,
    train_cross_entropy,
)
from engramsim.networks import DenseAssociativeMemory, Hopfield, ModernHopfield, MultitaskHopfield
from engramsim.networks.dendrites import (
    DendriticNeuron,
    OverlapHistogram,
    Segment,
    add_noise,
    mc_false_match,
    mc_false_negative,
    mc_union_false_match,
    random_sdrs,
    subsample,
)
from engramsim.networks.multitask import diluted_patterns
from engramsim.networks.patterns import flip_bits, random_patterns
from engramsim.sim.validation import set_limits

N = 8
PAT = random_patterns(2, N, seed=0)
DIL = np.array([[1, 0, -1, 1, 0, 0, 1, -1], [0, 1, 1, -1, 0, 1, 0, 0]])
REAL = np.random.default_rng(0).normal(size=(2, N))
SDR = np.array([1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
BACKENDS = ("numpy", "numba", "cupy", "auto")
MAX_STEPS = bad_int(1, 10**8)


EMB = np.random.default_rng(1).normal(size=(6, 4))
CLS = np.random.default_rng(2).normal(size=(3, 4))
LAB = np.array([0, 1, 2, 0, 1, 2])
TOK = np.array([0, 1, 2, 3, 4, 5, 0, 1])


def ce(**kw):
    args = {"embeddings": EMB, "class_embeddings": CLS, "labels": LAB, "tokens": TOK, "batch_size": 4, "seed": 0,
            **kw}
    return train_cross_entropy(**args)


def no_none(strategy):
    return strategy.filter(lambda v: v is not None)


def hop(**kw):
    return Hopfield(**{"n_neurons": N, "rule": "hebb", "backend": "numpy", "seed": 0, **kw})


def dense(**kw):
    return DenseAssociativeMemory(**{"n_neurons": N, "degree": 3, "backend": "numpy", "seed": 0, **kw})


def modern(**kw):
    return ModernHopfield(**{"n_neurons": N, "backend": "numpy", **kw})


def multi(**kw):
    return MultitaskHopfield(**{"n_neurons": N, "backend": "numpy", "seed": 0, **kw})


def segment(**kw):
    return Segment(**{"n_cells": N, "presynaptic": [0, 1, 2], **kw})


def neuron(**kw):
    return DendriticNeuron(**{"n_cells": N, "synapses": 2, "theta": 1, "backend": "numpy", "seed": 0, **kw})


# (entry point, argument, strategy of bad values, call with the bad value)
CASES = [
    # Hopfield
    ("Hopfield", "n_neurons", bad_int(2), lambda v: hop(n_neurons=v)),
    ("Hopfield", "rule", bad_choice(("hebb", "storkey", "pseudo_inverse")), lambda v: hop(rule=v)),
    ("Hopfield", "dynamics", bad_choice(("async", "sync")), lambda v: hop(dynamics=v)),
    ("Hopfield", "self_coupling", bad_bool(), lambda v: hop(self_coupling=v)),
    ("Hopfield", "max_steps", MAX_STEPS, lambda v: hop(max_steps=v)),
    ("Hopfield", "backend", bad_choice(BACKENDS), lambda v: hop(backend=v)),
    ("Hopfield", "seed", bad_seed(), lambda v: hop(seed=v)),
    ("Hopfield.store", "patterns", bad_array((2, N), (-1, 1)), lambda v: hop().store(v)),
    ("Hopfield.recall", "cues", bad_array((2, N), (-1, 1)), lambda v: hop().store(PAT).recall(v)),
    ("Hopfield.recall", "dynamics", no_none(bad_choice(("async", "sync"))),
     lambda v: hop().store(PAT).recall(PAT, dynamics=v)),
    ("Hopfield.recall", "max_steps", no_none(MAX_STEPS), lambda v: hop().store(PAT).recall(PAT, max_steps=v)),
    ("Hopfield.recall", "seed", bad_seed(), lambda v: hop().store(PAT).recall(PAT, seed=v)),
    ("Hopfield.energy", "states", bad_array((2, N), (-1, 1)), lambda v: hop().store(PAT).energy(v)),
    ("Hopfield.fields", "states", bad_array((2, N), (-1, 1)), lambda v: hop().store(PAT).fields(v)),
    ("Hopfield.step", "states", bad_array((2, N), (-1, 1)), lambda v: hop().store(PAT).step(v)),
    ("Hopfield.is_fixed_point", "states", bad_array((2, N), (-1, 1)), lambda v: hop().store(PAT).is_fixed_point(v)),
    # DenseAssociativeMemory
    ("Dense", "n_neurons", bad_int(2), lambda v: dense(n_neurons=v)),
    ("Dense", "interaction", bad_choice(("polynomial", "rectified_polynomial", "exponential")),
     lambda v: dense(interaction=v)),
    ("Dense", "degree", bad_int(2, 1000), lambda v: dense(degree=v)),
    ("Dense", "max_steps", MAX_STEPS, lambda v: dense(max_steps=v)),
    ("Dense", "backend", bad_choice(BACKENDS), lambda v: dense(backend=v)),
    ("Dense", "seed", bad_seed(), lambda v: dense(seed=v)),
    ("Dense.store", "patterns", bad_array((2, N), (-1, 1)), lambda v: dense().store(v)),
    ("Dense.recall", "cues", bad_array((2, N), (-1, 1)), lambda v: dense().store(PAT).recall(v)),
    ("Dense.recall", "dynamics", bad_choice(("async", "sync")), lambda v: dense().store(PAT).recall(PAT, dynamics=v)),
    ("Dense.recall", "max_steps", no_none(MAX_STEPS), lambda v: dense().store(PAT).recall(PAT, max_steps=v)),
    ("Dense.recall", "seed", bad_seed(), lambda v: dense().store(PAT).recall(PAT, seed=v)),
    ("Dense.step", "states", bad_array((2, N), (-1, 1)), lambda v: dense().store(PAT).step(v)),
    ("Dense.energy", "states", bad_array((2, N), (-1, 1)), lambda v: dense().store(PAT).energy(v)),
    ("Dense.log_neg_energy", "states", bad_array((2, N), (-1, 1)),
     lambda v: dense(degree=2).store(PAT).log_neg_energy(v)),
    ("Dense.overlaps", "states", bad_array((2, N), (-1, 1)), lambda v: dense().store(PAT).overlaps(v)),
    ("Dense.is_fixed_point", "states", bad_array((2, N), (-1, 1)), lambda v: dense().store(PAT).is_fixed_point(v)),
    # ModernHopfield
    ("Modern", "n_neurons", bad_int(2), lambda v: modern(n_neurons=v)),
    ("Modern", "beta", bad_float(0.0, strict_minimum=True), lambda v: modern(beta=v)),
    ("Modern", "tol", bad_float(0.0), lambda v: modern(tol=v)),
    ("Modern", "max_steps", MAX_STEPS, lambda v: modern(max_steps=v)),
    ("Modern.store", "patterns", bad_array((2, N)), lambda v: modern().store(v)),
    ("Modern.recall", "cues", bad_array((2, N)), lambda v: modern().store(REAL).recall(v)),
    ("Modern.recall", "max_steps", no_none(MAX_STEPS), lambda v: modern().store(REAL).recall(REAL, max_steps=v)),
    ("Modern.step", "states", bad_array((2, N)), lambda v: modern().store(REAL).step(v)),
    ("Modern.association", "states", bad_array((2, N)), lambda v: modern().store(REAL).association(v)),
    ("Modern.energy", "states", bad_array((2, N)), lambda v: modern().store(REAL).energy(v)),
    # MultitaskHopfield and pattern helpers
    ("Multitask", "n_neurons", bad_int(2), lambda v: multi(n_neurons=v)),
    ("Multitask", "dynamics", bad_choice(("async", "sync")), lambda v: multi(dynamics=v)),
    ("Multitask", "max_steps", MAX_STEPS, lambda v: multi(max_steps=v)),
    ("Multitask.store", "patterns", bad_array((2, N), (-1, 0, 1)), lambda v: multi().store(v)),
    ("Multitask.magnetizations", "states", bad_array((2, N), (-1, 1)), lambda v: multi().store(DIL).magnetizations(v)),
    ("random_patterns", "n_patterns", bad_int(1), lambda v: random_patterns(v, N, seed=0)),
    ("random_patterns", "n_neurons", bad_int(1), lambda v: random_patterns(2, v, seed=0)),
    ("random_patterns", "seed", bad_seed(), lambda v: random_patterns(2, N, seed=v)),
    ("flip_bits", "patterns", bad_array((2, N), (-1, 0, 1), fixed_length=False), lambda v: flip_bits(v, 0.2, seed=0)),
    ("flip_bits", "fraction", bad_float(0.0, 1.0), lambda v: flip_bits(PAT, v, seed=0)),
    ("diluted_patterns", "n_patterns", bad_int(1), lambda v: diluted_patterns(v, N, 0.2, seed=0)),
    ("diluted_patterns", "dilution", bad_float(0.0, 1.0), lambda v: diluted_patterns(2, N, v, seed=0)),
    # active dendrites
    ("random_sdrs", "count", bad_int(0), lambda v: random_sdrs(v, N, 3, seed=0)),
    ("random_sdrs", "n", bad_int(1), lambda v: random_sdrs(2, v, 1, seed=0)),
    ("random_sdrs", "a", bad_int(0, N), lambda v: random_sdrs(2, N, v, seed=0)),
    ("add_noise", "sdrs", bad_array((2, N), (0, 1), allow_bool=True, fixed_length=False), lambda v: add_noise(v, 1, seed=0)),
    ("add_noise", "v", bad_int(0, 3), lambda v: add_noise(SDR, v, seed=0)),
    ("subsample", "sdr", bad_array((N,), (0, 1), allow_bool=True, fixed_length=False), lambda v: subsample(v, 1, seed=0)),
    ("subsample", "s", bad_int(0, 3), lambda v: subsample(SDR, v, seed=0)),
    ("Segment", "n_cells", bad_int(3, 2**32 - 1), lambda v: segment(n_cells=v)),
    ("Segment", "presynaptic", st.sampled_from([[0, 0, 1], [-1, 2], [0.5], [N], [np.nan], [[0, 1]], "x", None,
                                                ["a"], [1 + 1j], [True, False]]),
     lambda v: segment(presynaptic=v)),
    ("Segment", "permanences", no_none(st.one_of(st.just([0.5, 1.5, 0.2]), st.just([-0.1, 0.5, 0.5]),
                                                 bad_array((3,)))),
     lambda v: segment(permanences=v)),
    ("Segment", "connected_permanence", bad_float(0.0, 1.0), lambda v: segment(connected_permanence=v)),
    ("Segment", "activation_threshold", bad_int(0), lambda v: segment(activation_threshold=v)),
    ("Segment", "min_threshold", bad_int(0), lambda v: segment(min_threshold=v)),
    ("Segment.is_active", "cues", bad_array((2, N), (0, 1), allow_bool=True), lambda v: segment().is_active(v)),
    ("Segment.adapt", "active", bad_array((1, N), (0, 1), allow_bool=True), lambda v: segment().adapt(v)),
    ("Segment.adapt", "increment", bad_float(0.0), lambda v: segment().adapt(SDR, increment=v)),
    ("Segment.grow", "max_new", bad_int(0), lambda v: segment().grow(SDR, max_new=v)),
    ("Segment.grow", "initial_permanence", bad_float(0.0, 1.0), lambda v: segment().grow(SDR, initial_permanence=v)),
    ("DendriticNeuron", "n_cells", bad_int(1, 2**32 - 1), lambda v: neuron(n_cells=v)),
    ("DendriticNeuron", "synapses", bad_int(1, N), lambda v: neuron(synapses=v)),
    ("DendriticNeuron", "theta", bad_int(0), lambda v: neuron(theta=v)),
    ("DendriticNeuron", "patterns_per_segment", bad_int(1), lambda v: neuron(patterns_per_segment=v)),
    ("DendriticNeuron", "seed", bad_seed(), lambda v: neuron(seed=v)),
    ("DendriticNeuron.store", "patterns", bad_array((1, N), (0, 1), allow_bool=True), lambda v: neuron().store(v)),
    ("DendriticNeuron.respond", "cues", bad_array((1, N), (0, 1), allow_bool=True),
     lambda v: neuron().store(SDR).respond(v)),
    ("OverlapHistogram.at_least", "theta", bad_int(), lambda v: OverlapHistogram(np.ones(3, int), 3, 2.0).at_least(v)),
    ("mc_false_match", "n", bad_int(8, 2**32 - 1), lambda v: mc_false_match(v, 8, 4, trials=10, backend="numpy")),
    ("mc_false_match", "trials", bad_int(1, 10**9), lambda v: mc_false_match(64, 8, 4, trials=v, backend="numpy")),
    ("mc_false_negative", "v", bad_int(0, 8), lambda v: mc_false_negative(8, 4, v, trials=10, backend="numpy")),
    ("mc_false_negative", "trials", bad_int(1, 10**9), lambda v: mc_false_negative(8, 4, 2, trials=v, backend="numpy")),
    ("mc_union_false_match", "n_stored", bad_int(1), lambda v: mc_union_false_match(64, 8, 4, v, trials=10,
                                                                                     backend="numpy")),
    ("mc_union_false_match", "trials", bad_int(1, 10**9), lambda v: mc_union_false_match(64, 8, 4, 2, trials=v,
                                                                                          backend="numpy")),
    # weight rules
    ("hebb", "patterns", bad_array((2, N), fixed_length=False), lambda v: hebb(v)),
    ("hebb", "zero_diagonal", bad_bool(), lambda v: hebb(PAT, zero_diagonal=v)),
    ("hebb_counts", "patterns", st.one_of(bad_array((2, N), fixed_length=False), st.just([[4e9, 4e9]]), st.just([[0.5, 1.0]])),
     lambda v: hebb_counts(v)),
    ("storkey", "patterns", st.one_of(bad_array((2, N), fixed_length=False), st.just(np.full((2, N), 1e200))), lambda v: storkey(v)),
    ("storkey", "weights", no_none(bad_array((N, N))), lambda v: storkey(PAT, v)),
    ("train_cross_entropy", "embeddings", st.one_of(bad_array((6, 4)), st.just(EMB * 1e300)),
     lambda v: ce(embeddings=v)),
    ("train_cross_entropy", "class_embeddings", bad_array((3, 4)), lambda v: ce(class_embeddings=v)),
    ("train_cross_entropy", "labels", st.one_of(st.just([0, 1, 2, 0, 1, 3]), st.just([0.5] * 6), st.just([0, 1])),
     lambda v: ce(labels=v)),
    ("train_cross_entropy", "tokens", st.one_of(st.just([0, 6, 1, 2]), st.just([-1, 0, 1, 2]), st.just([[0, 1]])),
     lambda v: ce(tokens=v)),
    ("train_cross_entropy", "batch_size", st.one_of(bad_int(1), st.just(3)), lambda v: ce(batch_size=v)),
    ("train_cross_entropy", "optimizer", bad_choice(("sgd", "adam")), lambda v: ce(optimizer=v)),
    ("train_cross_entropy", "learning_rate", bad_float(0.0, strict_minimum=True), lambda v: ce(learning_rate=v)),
    ("train_cross_entropy", "learnable_embeddings", bad_bool(), lambda v: ce(learnable_embeddings=v)),
    ("train_cross_entropy", "layernorm", bad_bool(), lambda v: ce(layernorm=v)),
    ("train_cross_entropy", "weight_decay", bad_float(0.0), lambda v: ce(weight_decay=v)),
    ("train_cross_entropy", "init", bad_choice(("random", "zero")), lambda v: ce(init=v)),
    ("train_cross_entropy", "seed", bad_seed(), lambda v: ce(seed=v)),
    ("train_cross_entropy", "threads", no_none(bad_int(1)), lambda v: ce(threads=v)),
    ("effective_learning_rates", "dim", bad_int(1), lambda v: effective_learning_rates("adam", 1.0, v)),
    ("pseudo_inverse", "patterns", bad_array((2, N), fixed_length=False), lambda v: pseudo_inverse(v)),
]


@pytest.mark.parametrize("entry, name, bad, call", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
@PROPERTY
@given(data=st.data())
def test_bad_argument_is_refused_naming_it(entry, name, bad, call, data):
    value = data.draw(bad, label=name)
    assert_refused(lambda: call(value), name)


def test_every_refusal_can_fail():
    """The assertion itself fails on a wrong name, a slow refusal and a silent acceptance."""
    with pytest.raises(AssertionError):
        assert_refused(lambda: hop(max_steps=0), "n_neurons")
    with pytest.raises(pytest.fail.Exception):
        assert_refused(lambda: hop(max_steps=5), "max_steps")
    with pytest.raises(AssertionError):
        assert_refused(lambda: hop(max_steps=0), "max_steps", seconds=0.0)


# ----------------------------------------------------------------------------- bounds named in the issue
def test_sizes_and_products_are_bounded_before_allocation():
    err = assert_refused(lambda: hop(n_neurons=40_000).store(random_patterns(1, 40_000, seed=0)).recall(
        random_patterns(1, 40_000, seed=1)), "n_neurons")
    assert "max_elements" in str(err) and "set_limits" in str(err) and "ENGRAMSIM_MAX_ELEMENTS" in str(err)
    assert_refused(lambda: random_patterns(10**6, 10**6), "n_patterns")
    err = assert_refused(lambda: mc_union_false_match(64, 12, 8, 2**31 - 1, trials=10, seed=0, backend="numba"),
                         "n_stored")
    assert "max_work" in str(err)
    assert_refused(lambda: mc_false_match(64, 12, 8, trials=10**13, seed=0), "trials")
    with set_limits(max_trials=10):  # the bound is the one in force
        assert_refused(lambda: mc_false_match(64, 12, 8, trials=11, seed=0, backend="numpy"), "trials")


def test_constructing_a_large_hopfield_allocates_nothing():
    import tracemalloc

    tracemalloc.start()
    mem = Hopfield(40_000, rule="storkey", backend="numpy")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20 and mem.n_patterns == 0


def test_union_kernel_counts_every_trial_at_large_n_stored():
    """The union's buffer is sized by n: a union of many patterns covers all cells, so every cell overlaps."""
    for backend in ("numpy", "numba"):
        hist = mc_union_false_match(64, 12, 8, 2000, trials=20, seed=0, backend=backend)
        assert hist.counts.sum() == 20
        # 2000 subsets of 8 of 64 cells leave a given cell out with probability (56/64)^2000 ~ 1e-116
        assert hist.counts[12] == 20 and hist.mean_synapses == 64.0


def test_hebb_counts_exact_up_to_the_int64_edge():
    big = 2**31 - 1  # big**2 * 2 < 2**63: exact integers, compared with Python's
    counts = hebb_counts([[big, -big], [big, big]])
    assert counts.tolist() == [[2 * big * big, 0], [0, 2 * big * big]]


# ----------------------------------------------------------------------------- valid inputs never give NaN
@PROPERTY
@given(scale_exp=st.integers(-150, 160), beta_exp=st.floats(-3, 307.5), n_pat=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_modern_hopfield_never_returns_nan(scale_exp, beta_exp, n_pat, seed):
    rng = np.random.default_rng(seed)
    patterns = rng.normal(size=(n_pat, 6)) * 10.0**scale_exp
    mem = ModernHopfield(6, beta=10.0**beta_exp, backend="numpy", max_steps=20).store(patterns)
    cues = patterns + rng.normal(size=patterns.shape) * 10.0**scale_exp * 0.1
    result = mem.recall(cues)
    assert_finite(result.states, mem.step(cues), mem.association(cues))
    np.testing.assert_allclose(mem.association(cues).sum(axis=1), 1.0)
    try:
        assert_finite(mem.energy(cues))
    except ValidationError as exc:  # documented: an energy past the float64 range is refused
        assert "float64 range" in str(exc)


def test_modern_hopfield_at_huge_scale_retrieves_the_best_match():
    """Patterns at 1e160 or beta 1e306: the softmax is one-hot on the largest overlap (hand-computed)."""
    rng = np.random.default_rng(0)
    patterns = rng.normal(size=(3, 4))
    cues = patterns + 0.01
    best = patterns[np.argmax(cues @ patterns.T, axis=1)]
    big = ModernHopfield(4, backend="numpy").store(patterns * 1e160)
    np.testing.assert_allclose(big.step(cues * 1e160), best * 1e160, rtol=1e-12)
    hot = ModernHopfield(4, beta=1e306, backend="numpy").store(patterns)
    np.testing.assert_allclose(hot.step(cues), best, rtol=1e-12)


@PROPERTY
@given(n=st.integers(4, 12), k=st.integers(1, 4), degree=st.integers(2, 1000),
       interaction=st.sampled_from(["polynomial", "rectified_polynomial", "exponential"]), seed=st.integers(0, 99))
def test_dense_memory_never_returns_nan(n, k, degree, interaction, seed):
    patterns = random_patterns(k, n, seed=seed)
    cues = flip_bits(patterns, 0.25, seed=seed + 1)
    mem = DenseAssociativeMemory(n, interaction, degree, backend="numpy", seed=seed, max_steps=20).store(patterns)
    result = mem.recall(cues)
    assert set(np.unique(result.states)) <= {-1, 1}
    assert not np.any(np.isnan(mem.energy(cues)))
    if not (interaction == "polynomial" and degree % 2):
        assert not np.any(np.isnan(mem.log_neg_energy(cues)))


def test_dense_energy_beyond_float64_is_exact_then_infinite():
    """degree 104, N = 1000: F(N) = 1000^104 = 1e312 > float64 max; the sum is -inf, never NaN."""
    patterns = random_patterns(3, 1000, seed=0)
    odd = DenseAssociativeMemory(1000, degree=103, backend="numpy", seed=0).store(patterns)
    assert np.all(odd.is_fixed_point(patterns)) and not np.any(np.isnan(odd.energy(patterns)))
    mem = DenseAssociativeMemory(1000, degree=104, backend="numpy", seed=0).store(patterns)
    assert np.all(mem.is_fixed_point(patterns))
    assert np.all(mem.energy(patterns) == -np.inf)
    # ln(-E) of a stored pattern: lse of 104 ln|m| (m = 1000 for itself), against math.log of Python integers
    m = patterns.astype(np.int64) @ patterns.T.astype(np.int64)
    import math
    expected = [math.log(sum(int(v) ** 104 for v in row)) for row in m]
    np.testing.assert_allclose(mem.log_neg_energy(patterns), expected, rtol=1e-12)


@PROPERTY
@given(rule=st.sampled_from(["hebb", "storkey", "pseudo_inverse"]), n=st.integers(2, 16), k=st.integers(1, 6),
       dynamics=st.sampled_from(["async", "sync"]), seed=st.integers(0, 99))
def test_hopfield_never_returns_nan(rule, n, k, dynamics, seed):
    patterns = random_patterns(k, n, seed=seed)
    mem = Hopfield(n, rule, dynamics=dynamics, backend="numpy", seed=seed).store(patterns)
    result = mem.recall(flip_bits(patterns, 0.2, seed=seed))
    assert set(np.unique(result.states)) <= {-1, 1}
    assert_finite(mem.energy(result.states), mem.fields(result.states), mem.weights)


@PROPERTY
@given(values=st.lists(st.floats(-1e150, 1e150, allow_nan=False), min_size=8, max_size=8))
def test_rules_on_real_patterns_are_finite_or_refused(values):
    patterns = np.array(values).reshape(2, 4)
    assert_finite(hebb(patterns), pseudo_inverse(patterns))
    try:
        assert_finite(storkey(patterns))
    except ValidationError as exc:
        assert "float64 range" in str(exc)


def test_cross_entropy_divergence_is_an_error_not_nan():
    """SGD with a step of 1e38 on large embeddings overflows float32 (max 3.4e38): an error, never NaN weights."""
    with pytest.raises(TrainingDivergedError, match="learning_rate"):
        ce(learning_rate=1e38, embeddings=EMB * 100)
    result = ce(learning_rate=0.1)
    assert_finite(result.matrix, result.losses)


# ----------------------------------------------------------------------------- the other models' constructors
def _other_constructors():
    """(constructor, valid required arguments) of the public models outside the modules above."""
    from engramsim.networks import OuterProductMemory, SparseyLevel, SparseyMac, ZipfLaw

    return {
        "OuterProductMemory": (OuterProductMemory, {"n_tokens": 20, "n_classes": 3, "dim": 4}),
        "ZipfLaw": (ZipfLaw, {"n_tokens": 10, "alpha": 1.0}),
        "SparseyMac": (SparseyMac, {"n_inputs": 16}),
        "SparseyLevel": (SparseyLevel, {}),
    }


_BAD_BY_TYPE = {bool: ["no", 1, None], int: [2.5, "3", float("nan"), True], float: [float("nan"), float("inf"), "x",
                                                                                   10**400, True],
                str: [3, None, "zz-no-such"]}


def _other_cases():
    import inspect

    for label, (make, required) in _other_constructors().items():
        for p in inspect.signature(make).parameters.values():
            if p.name in ("backend", "seed"):
                continue
            like = required.get(p.name, p.default)
            for value in _BAD_BY_TYPE.get(type(like), []):
                yield pytest.param(make, required, p.name, value, id=f"{label}-{p.name}-{value!r:.12}")


@pytest.mark.parametrize("make, required, name, value", list(_other_cases()))
def test_other_model_constructors_refuse_values_of_the_wrong_type(make, required, name, value):
    assert_refused(lambda: make(**{**required, name: value}), name)
