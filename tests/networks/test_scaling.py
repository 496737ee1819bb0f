"""The outer-product memory of Cabannes et al.: Zipf sampler, schemes, readout, error, trained memories."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import zeta

from engramsim.experiments import theory
from engramsim.networks import OuterProductMemory, ZipfLaw, memory_weights
from engramsim.networks.scaling import scheme_parameters, sgd_effective_weights, zipf_probabilities
from engramsim.sim.random import stream

# --------------------------------------------------------------------------- Zipf law


def test_zipf_probabilities_follow_the_indexing_convention():
    p = zipf_probabilities(50, 1.5)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # index i is token x = i + 1: p[i] / p[0] = (i + 1)^-alpha, never i^-alpha
    assert p[1] / p[0] == pytest.approx(2.0**-1.5, rel=1e-12)
    assert p[9] / p[4] == pytest.approx((10 / 5) ** -1.5, rel=1e-12)
    assert np.all(np.diff(p) < 0)


def test_zipf_sampler_matches_the_law_chi_square():
    law = ZipfLaw(20, 1.5)
    counts = law.counts(40_000, seed=1)
    assert counts.sum() == 40_000
    _, pvalue = stats.chisquare(counts, 40_000 * law.probabilities)
    assert pvalue > 1e-3
    # the law shifted by one token, (i + 2)^-alpha (a 0/1-indexing mix-up), is rejected by the same test
    shifted = np.arange(2, 22) ** -1.5
    assert stats.chisquare(counts, 40_000 * shifted / shifted.sum())[1] < 1e-6


def test_infinite_zipf_sampler_matches_zeta_law():
    law = ZipfLaw(math.inf, 2.0)
    x = law.sample(40_000, seed=2)
    head = np.bincount(x, minlength=6)[:5]
    expected = 40_000 * np.arange(1, 6) ** -2.0 / zeta(2.0)
    observed = np.append(head, 40_000 - head.sum())
    _, pvalue = stats.chisquare(observed, np.append(expected, 40_000 - expected.sum()))
    assert pvalue > 1e-3
    with pytest.raises(ValueError, match="finite n_tokens"):
        law.counts(10)
    with pytest.raises(ValueError, match="no probability vector"):
        _ = law.probabilities


def test_samples_are_nested_in_T():
    law = ZipfLaw(100, 2.0)
    long = law.sample(1000, stream(5, "samples"))
    assert np.array_equal(long[:37], law.sample(37, stream(5, "samples")))
    assert long.min() >= 0 and long.max() <= 99


@pytest.mark.parametrize("n_tokens, alpha, error, match", [
    (math.inf, 1.0, ValueError, "alpha must be > 1 when n_tokens is infinite"),
    (math.inf, 0.5, ValueError, "alpha must be > 1 when n_tokens is infinite"),
    (0, 2.0, ValueError, "n_tokens must be >= 1"),
    (10, 0.0, ValueError, "alpha must be > 0"),
    ("10", 2.0, TypeError, "n_tokens must be an integer"),
])
def test_zipf_law_rejects_impossible_settings(n_tokens, alpha, error, match):
    with pytest.raises(error, match=match):
        ZipfLaw(n_tokens, alpha)


def test_alpha_below_one_is_fine_for_finite_n():
    p = ZipfLaw(100, 0.5).probabilities
    assert p.sum() == pytest.approx(1.0) and p[0] / p[3] == pytest.approx(2.0)


# --------------------------------------------------------------------------- schemes


def test_infinite_data_schemes():
    p = zipf_probabilities(30, 2.0)
    assert np.array_equal(memory_weights(probabilities=p), np.ones(30))                  # q = 1
    assert np.allclose(memory_weights(probabilities=p, rho=1.0), p)                     # q = p
    q = memory_weights(probabilities=p, top=7)                                          # q = 1{x <= P}
    assert np.array_equal(q, (np.arange(30) < 7).astype(float))
    assert np.allclose(memory_weights(probabilities=p, rho=1.0, top=7), np.where(np.arange(30) < 7, p, 0))
    assert not memory_weights(probabilities=p, top=0).any()


def test_counted_schemes_keep_only_observed_tokens():
    counts = np.array([5, 0, 3, 3, 0, 1, 0, 2])
    q0 = memory_weights(counts=counts)
    assert np.array_equal(q0, (counts > 0).astype(float))
    q1 = memory_weights(counts=counts, rho=1.0)
    assert np.allclose(q1, counts / counts.sum())
    # the top 3 observed tokens by count; the tie 3 = 3 goes to the smaller index
    assert np.array_equal(np.nonzero(memory_weights(counts=counts, top=3))[0], [0, 2, 3])
    assert np.array_equal(np.nonzero(memory_weights(counts=counts, top=2))[0], [0, 2])
    # asking for more than observed keeps the observed ones only
    assert np.array_equal(memory_weights(counts=counts, top=8), q0)
    q_half = memory_weights(counts=counts, rho=0.5)
    assert np.allclose(q_half, np.sqrt(counts / counts.sum()))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=40).filter(lambda c: sum(c) > 0),
       st.integers(0, 40), st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_counted_scheme_invariants(counts, top, rho):
    counts = np.array(counts)
    top = min(top, counts.size)
    before = counts.copy()
    q = memory_weights(counts=counts, rho=rho, top=top)
    assert np.array_equal(counts, before)                          # the caller's array is untouched
    assert np.all(q >= 0) and np.all(q[counts == 0] == 0)          # only observed tokens are stored
    assert np.count_nonzero(q) == min(top, np.count_nonzero(counts))
    kept = counts[q > 0]
    dropped = counts[(q == 0) & (counts > 0)]
    if kept.size and dropped.size:
        assert kept.min() >= dropped.max()                         # the top P by count


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "exactly one of probabilities"),
    ({"probabilities": np.ones(3) / 3, "counts": [1, 1, 1]}, ValueError, "exactly one of probabilities"),
    ({"probabilities": np.ones(3) / 3, "top": 4}, ValueError, r"top \(the number of stored tokens P\) must be <= n_tokens = 3, got 4"),
    ({"probabilities": [0.5, 0.6]}, ValueError, "must be non-negative and sum to 1"),
    ({"counts": [1, -1, 2]}, ValueError, "non-negative integers"),
    ({"counts": [0, 0]}, ValueError, "at least one observation"),
    ({"counts": [1, 2], "rho": -1}, ValueError, "rho must be >= 0"),
    ({"counts": [1, 2], "top": 1.5}, TypeError, "top must be an integer"),
])
def test_memory_weights_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        memory_weights(**kwargs)


def test_named_schemes():
    assert scheme_parameters("uniform", 100) == (0.0, None)
    assert scheme_parameters("frequency", 100) == (1.0, None)
    assert scheme_parameters("threshold", 100) == (0.0, 12)           # floor(100 / 8)
    assert scheme_parameters("threshold", 96, threshold_ratio=1 / 12) == (0.0, 8)
    with pytest.raises(ValueError, match="scheme must be one of"):
        scheme_parameters("fill", 10)


# --------------------------------------------------------------------------- the memory


def test_sgd_effective_scheme_by_hand():
    """q_gamma: q <- q + (gamma/B) n_batch(x) / (1 + e^q/(M-1)) per batch, from q = 0 (hand-computed)."""
    q = sgd_effective_weights([0, 0, 1, 0], 3, 5, 1.0, 2)
    # batch [0, 0]: q0 = 0.5 * 2 / (1 + 1/4) = 0.8; batch [1, 0]: q1 = 0.5 / 1.25 = 0.4,
    # q0 = 0.8 + 0.5 / (1 + e^0.8 / 4)
    assert q == pytest.approx([0.8 + 0.5 / (1 + math.exp(0.8) / 4), 0.4, 0.0], rel=1e-14)
    # small steps: q proportional to the counts (the q = p scheme); large steps flatten it
    law = ZipfLaw(50, 2.0)
    tokens = law.sample(4096, seed=0)
    counts = np.bincount(tokens, minlength=50)
    small = sgd_effective_weights(tokens, 50, 5, 1e-4, 64)
    assert small == pytest.approx(1e-4 / 64 * counts * 0.8, rel=1e-3)
    large = sgd_effective_weights(tokens, 50, 5, 100.0, 64)
    seen = counts > 0
    assert np.all(large[~seen] == 0) and np.all(large[seen] > 0)
    assert large[0] / large[seen].min() < 0.1 * counts[0] / counts[seen].min()
    with pytest.raises(ValueError, match="positive multiple of batch_size = 3"):
        sgd_effective_weights([0, 1], 3, 5, 1.0, 3)
    with pytest.raises(ValueError, match="n_classes must be >= 2"):
        sgd_effective_weights([0, 1], 3, 1, 1.0, 2)
    with pytest.raises(ValueError, match=r"tokens must hold integer indices in \[0, 2\]"):
        sgd_effective_weights([0, 3], 3, 5, 1.0, 2)


def test_embeddings_have_the_stated_law():
    mem = OuterProductMemory(2000, 7, 64, seed=0)
    e, u = mem.embeddings, mem.class_embeddings
    assert e.shape == (2000, 64) and u.shape == (7, 64)
    assert np.mean(np.sum(e**2, axis=1)) == pytest.approx(1.0, abs=0.02)   # e_x ~ N(0, I/d)
    assert e.std() == pytest.approx(1 / 8, rel=0.02)
    assert np.allclose(np.linalg.norm(u, axis=1), 1.0)                     # unit class vectors
    assert np.array_equal(mem.labels, np.arange(2000) % 7)


def test_gaussian_class_vectors_have_the_reference_law():
    """class_vectors="gaussian": u_y ~ N(0, I/d) as the reference code's AssMem (not unit vectors)."""
    d = 400
    u = OuterProductMemory(10, 200, d, class_vectors="gaussian", seed=1).class_embeddings
    norms2 = np.sum(u**2, axis=1)
    # |u|^2 ~ chi2_d / d: mean 1, standard deviation sqrt(2/d) = 0.071; unit vectors would all give 1
    assert np.mean(norms2) == pytest.approx(1.0, abs=4 * math.sqrt(2 / d) / math.sqrt(200))
    assert np.std(norms2) == pytest.approx(math.sqrt(2 / d), rel=0.2)
    assert u.std() == pytest.approx(1 / math.sqrt(d), rel=0.02)
    # the token embeddings do not depend on the class-vector law
    assert np.array_equal(OuterProductMemory(10, 200, d, seed=1).embeddings,
                          OuterProductMemory(10, 200, d, class_vectors="gaussian", seed=1).embeddings)


def test_nested_embeddings_are_prefixes_and_independent_ones_are_not():
    small = OuterProductMemory(50, 5, 20, seed=3)
    big = OuterProductMemory(50, 5, 80, seed=3)
    assert np.allclose(small.embeddings * math.sqrt(20), big.embeddings[:, :20] * math.sqrt(80))
    # class vectors: same directions in the first 20 coordinates, renormalised
    ratio = small.class_embeddings / big.class_embeddings[:, :20]
    assert np.allclose(ratio, ratio[:, :1])
    indep_small = OuterProductMemory(50, 5, 20, seed=3, embeddings="independent")
    indep_big = OuterProductMemory(50, 5, 80, seed=3, embeddings="independent")
    assert not np.allclose(indep_small.embeddings * math.sqrt(20), indep_big.embeddings[:, :20] * math.sqrt(80))
    # same seed, same draw
    assert np.array_equal(OuterProductMemory(50, 5, 20, seed=3).embeddings, small.embeddings)


def test_factored_scores_equal_the_dense_formula():
    p = zipf_probabilities(300, 2.0)
    mem = OuterProductMemory(300, 5, 40, seed=1).store(memory_weights(probabilities=p, rho=1.0))
    e, u, labels = mem.embeddings, mem.class_embeddings, mem.labels
    w = sum(p[x] * np.outer(e[x], u[labels[x]]) for x in range(300))      # W = sum_x q(x) e_x u_f(x)^T
    assert np.allclose(mem.matrix, w, atol=1e-13)
    assert np.allclose(mem.scores(), e @ w @ u.T, atol=1e-12)
    assert np.allclose(mem.scores([4, 0, 4]), (e @ w @ u.T)[[4, 0, 4]], atol=1e-12)
    # a matrix set directly gives the same readout
    other = OuterProductMemory(300, 5, 40, seed=1).set_matrix(w)
    assert np.array_equal(other.recall(), mem.recall())


def test_error_is_probability_weighted():
    # orthonormal embeddings (d = N) and class vectors on the first M axes: scores = W[:, :M]
    n, m, k = 40, 4, 9
    p = zipf_probabilities(n, 2.0)
    mem = OuterProductMemory(n, m, n, seed=0)
    labels = mem.labels
    w = np.zeros((n, n))
    w[np.arange(n), np.where(np.arange(n) < k, labels, (labels + 1) % m)] = 1.0   # right on x <= k only
    mem.set_matrix(w, embeddings=np.eye(n), class_embeddings=np.eye(n)[:m])
    assert np.array_equal(mem.mistakes(), np.arange(n) >= k)
    assert mem.error(p) == pytest.approx(float(theory.zipf_tail_mass(k, n, 2.0)), rel=1e-12)
    assert mem.error(p) != pytest.approx(np.mean(mem.mistakes()))          # not the unweighted accuracy


def test_ties_go_to_the_first_class():
    mem = OuterProductMemory(30, 5, 8, seed=0).store(np.zeros(30))
    assert np.array_equal(mem.recall(), np.zeros(30, dtype=int))
    assert mem.error(zipf_probabilities(30, 2.0)) == pytest.approx(1 - zipf_probabilities(30, 2.0)[::5].sum())


def test_large_d_recalls_the_stored_tokens():
    p = zipf_probabilities(200, 2.0)
    mem = OuterProductMemory(200, 5, 2000, seed=4).store(memory_weights(probabilities=p, top=20))
    assert not mem.mistakes()[:20].any()                                     # every stored token
    assert mem.error(p) <= theory.zipf_tail_mass(20, 200, 2.0)               # the rest: at most its mass


def test_the_callers_arrays_are_not_modified():
    q = np.ones(20)
    mem = OuterProductMemory(20, 3, 10, seed=0).store(q)
    before = mem.recall()
    q[:] = 0.0
    assert np.array_equal(mem.recall(), before)
    mem.weights[:] = 5.0
    assert np.array_equal(mem.weights, np.ones(20))
    emb = mem.embeddings
    emb[:] = 0.0
    assert np.abs(mem.embeddings).sum() > 0


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((10, 3, 0), {}, ValueError, "dim must be >= 1"),
    ((0, 3, 4), {}, ValueError, "n_tokens must be >= 1"),
    ((10, 0, 4), {}, ValueError, "n_classes must be >= 1"),
    ((10, 3, 4.5), {}, TypeError, "dim must be an integer"),
    ((10, 3, 4), {"embeddings": "shared"}, ValueError, "embeddings must be one of"),
    ((10, 3, 4), {"class_vectors": "normal"}, ValueError, "class_vectors must be one of"),
    ((10, 3, 4), {"seed": -1}, ValueError, "seed must be a non-negative int"),
])
def test_bad_model_settings(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        OuterProductMemory(*args, **kwargs)


def test_bad_memory_input():
    mem = OuterProductMemory(10, 3, 4, seed=0)
    with pytest.raises(ValueError, match="the memory is empty"):
        mem.recall()
    with pytest.raises(ValueError, match=r"weights must have shape \(10\)"):
        mem.store(np.ones(9))
    with pytest.raises(ValueError, match="weights must be non-negative"):
        mem.store(-np.ones(10))
    with pytest.raises(ValueError, match=r"matrix must have shape \(4, 4\)"):
        mem.set_matrix(np.eye(3))
    mem.store(np.ones(10))
    with pytest.raises(ValueError, match="tokens must be integer indices in"):
        mem.scores([0, 10])
    with pytest.raises(ValueError, match=r"probabilities must have shape \(10\)"):
        mem.error(np.ones(5) / 5)


# --------------------------------------------------------------------------- trained memories (torch)


def _batch_gradient(e, u, labels, xb, w):
    """Gradient of the mean cross-entropy over the batch with respect to W (NumPy reference)."""
    logits = e[xb] @ w @ u.T
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    prob[np.arange(len(xb)), labels[xb]] -= 1.0
    return e[xb].T @ prob @ u / len(xb)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_optimizer_steps_match_the_update_rule(optimizer):
    """Two mini-batch steps from W = 0 against the NumPy update rule.

    SGD: W <- W - lr g.  Adam with betas (0, 0): W <- W - (lr/d) g / (|g| + eps), a sign step; two
    steps are needed, since any Adam's first step is a sign step (standard betas differ from the second).
    """
    from engramsim.learning_rules.cross_entropy import train_cross_entropy

    d, lr, batch = 16, 3.0, 64
    mem = OuterProductMemory(30, 4, d, seed=2)
    e, u, labels = mem.embeddings, mem.class_embeddings, mem.labels
    tokens = ZipfLaw(30, 1.2).sample(2 * batch, seed=0)
    result = train_cross_entropy(e, u, labels, tokens, optimizer=optimizer, learning_rate=lr,
                                 batch_size=batch, init="zero", seed=0)
    w = np.zeros((d, d))
    for step in range(2):
        g = _batch_gradient(e, u, labels, tokens[step * batch:(step + 1) * batch], w)
        if optimizer == "sgd":
            w = w - lr * g
        else:
            w = w - (lr / d) * g / (np.abs(g) + 1e-8)
    if optimizer == "adam":
        assert result.learning_rates["matrix"] == lr / d
        # two sign steps of size lr/d: every entry is -2, 0 or +2 times lr/d
        assert np.allclose(result.matrix / (lr / d), np.round(result.matrix / (lr / d) / 2) * 2, atol=1e-3)
    assert np.allclose(result.matrix, w, rtol=1e-4, atol=1e-4 * lr)
    assert result.n_steps == 2 and result.losses[0] == pytest.approx(math.log(4), rel=1e-6)


def test_training_lowers_the_error_and_is_seeded():
    import torch

    law = ZipfLaw(60, 2.0)
    p = law.probabilities
    tokens = law.sample(2048, seed=1)
    threads = torch.get_num_threads()
    errors = {}
    for opt, lr in [("sgd", 10.0), ("adam", 10.0)]:
        mem = OuterProductMemory(60, 5, 32, seed=0)
        start = OuterProductMemory(60, 5, 32, seed=0)
        start.fit(tokens[:64], optimizer=opt, learning_rate=1e-9, batch_size=64)   # ~ the initial W
        mem.fit(tokens, optimizer=opt, learning_rate=lr, batch_size=64, threads=1)
        again = OuterProductMemory(60, 5, 32, seed=0).fit(tokens, optimizer=opt, learning_rate=lr,
                                                          batch_size=64, threads=1)
        assert np.array_equal(mem.matrix, again.matrix)                       # same seed, same result
        assert mem.training.losses[-8:].mean() < mem.training.losses[:8].mean()
        errors[opt] = mem.error(p)
        assert errors[opt] < start.error(p) - 0.2
    assert torch.get_num_threads() == threads                                  # restored


def test_learnable_embeddings_are_trained_and_the_inputs_kept():
    from engramsim.learning_rules.cross_entropy import train_cross_entropy

    mem = OuterProductMemory(40, 4, 12, seed=0)
    e, u = mem.embeddings, mem.class_embeddings
    e0 = e.copy()
    result = train_cross_entropy(e, u, mem.labels, ZipfLaw(40, 2.0).sample(256, seed=0), optimizer="adam",
                                 learning_rate=1.0, batch_size=32, learnable_embeddings=True, layernorm=True,
                                 seed=0)
    assert np.array_equal(e, e0)
    assert result.embeddings.shape == (40, 12) and not np.allclose(result.embeddings, e0)
    assert result.learning_rates["embeddings"] == pytest.approx(1 / math.sqrt(12))
    mem.set_matrix(result.matrix, embeddings=result.embeddings, class_embeddings=result.class_embeddings)
    assert np.allclose(mem.embeddings, result.embeddings)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch_size": 30}, ValueError, "must be a multiple of batch_size = 30, got T = 64"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer must be one of"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate must be > 0"),
    ({"init": "ones"}, ValueError, "init must be one of"),
    ({"threads": 0}, ValueError, "threads must be >= 1"),
])
def test_training_rejects_bad_settings(kwargs, error, match):
    from engramsim.learning_rules.cross_entropy import train_cross_entropy

    mem = OuterProductMemory(10, 3, 4, seed=0)
    with pytest.raises(error, match=match):
        train_cross_entropy(mem.embeddings, mem.class_embeddings, mem.labels, np.zeros(64, dtype=int),
                            **{"batch_size": 64, **kwargs})
    with pytest.raises(ValueError, match=r"tokens must hold integer indices in \[0, 9\]"):
        train_cross_entropy(mem.embeddings, mem.class_embeddings, mem.labels, np.full(64, 10))
