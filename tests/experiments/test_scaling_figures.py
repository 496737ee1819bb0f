"""scaling-figure: the paper's five optimizer figures, on a reduced grid, against the authors' data.

The reference means and standard deviations (10 seeds each) are computed from the authors' stored results,
``scaling_law/grid_experiments/res/finer_dim/all.jsonl.gz`` of VivienCabannes/memory-theory (model
"matrix" or "learnable", N = 100, M = 5, alpha = 2, seeds 42-51); the means are the ones tabulated in
``shared/science/scaling_laws.md``.  The package draws its own embeddings, initialisations and samples (NumPy
streams, not torch's), so only the statistics can agree.

The reduced runs use 5 seeds and 2-4 values of d each (the presets use 10 seeds and 7 values of d).
"""

import math

import numpy as np
import pytest

from engramsim.experiments import run_experiment
from engramsim.experiments.plotting import plot_dataset
from engramsim.experiments.scaling_figures import FIGURES, TUNING_RATES, plot_figure, plot_figures, tuned_exponent
from engramsim.experiments.theory.scaling import data_floor

SEEDS = 5

#: (figure, curve, d) -> (mean, sample std) of the authors' 10 seeds
REFERENCE = {
    ("lr", "γ = 1", 50): (0.0430, 0.0093),
    ("lr", "γ = 100", 200): (0.0031, 0.0006),
    ("bs", "Adam, B = 16, γ = 1", 50): (0.0351, 0.0065),
    ("adam", "SGD, tuned γ", 50): (0.0142, 0.0011),
    ("adam", "Adam, tuned γ", 100): (0.0035, 0.0008),
    ("ln", "Adam + LN", 100): (0.0255, 0.0043),
    ("embeddings", "E, U and W learned", 10): (0.0020, 0.0007),
}
REFERENCE_SEEDS = 10


def _run(fig, d):
    return run_experiment("scaling-figure", {"fig": fig, "d": d}, seeds=SEEDS, progress=False)


#: the reduced grid of d per figure
REDUCED_D = {"lr": [50, 200], "bs": [10, 50, 200], "adam": [10, 50, 100, 500], "ln": [100, 500],
             "embeddings": [10, 100]}


class _Runs(dict):
    """Runs each figure on first use (so that a selection of tests runs only the figures it needs)."""

    def __missing__(self, fig):
        self[fig] = _run(fig, REDUCED_D[fig])
        return self[fig]


@pytest.fixture(scope="module")
def runs():
    return _Runs()


def _mean(ds, curve):
    return ds["error"].sel(curve=curve).mean("seed")


# --------------------------------------------------------------------------- the floor and the Dataset


def test_data_floor_is_the_exact_expectation_and_the_briefs_value():
    p = np.arange(1, 101) ** -2.0
    p /= p.sum()
    for t in (1024, 10240):
        assert data_floor(t, 100, 2.0, 5) == pytest.approx(0.8 * np.sum(p * (1 - p) ** t), rel=1e-12)
    assert data_floor(10240, 100, 2.0, 5) == pytest.approx(0.00145, abs=5e-6)   # the brief's [D] values
    assert data_floor(1024, 100, 2.0, 5) == pytest.approx(0.01255, abs=5e-6)
    assert np.allclose(data_floor([1024, 10240], 100, 2.0, 5), [data_floor(1024, 100, 2.0, 5),
                                                                data_floor(10240, 100, 2.0, 5)])
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        data_floor(10, 100, 2.0, 0)
    with pytest.raises(ValueError, match="n_classes must be an integer"):
        data_floor(10, 100, 2.0, 2.5)


def test_presets_hold_the_papers_settings():
    from engramsim.experiments import get_experiment
    from engramsim.experiments.scaling import training_samples
    from engramsim.networks import ZipfLaw

    exp = get_experiment("scaling-figure")
    assert exp.seeds == 10 and exp.defaults["d"] == [10, 20, 50, 100, 200, 500, 1000]
    assert (exp.defaults["n_tokens"], exp.defaults["n_classes"], exp.defaults["alpha"]) == (100, 5, 2.0)
    assert exp.defaults["embeddings"] == "independent" and exp.defaults["class_vectors"] == "gaussian"
    # fresh samples for every d with independent embeddings, one stream per seed when nested
    law = ZipfLaw(100, 2.0)
    assert not np.array_equal(training_samples(law, 64, 0, 10, "independent"),
                              training_samples(law, 64, 0, 20, "independent"))
    assert np.array_equal(training_samples(law, 64, 0, 10, "nested"), training_samples(law, 64, 0, 20, "nested"))
    assert {k: v.n_samples for k, v in FIGURES.items()} == {
        "lr": 10240, "bs": 1024, "adam": 10240, "ln": 10240, "embeddings": 10240}
    lr = FIGURES["lr"].curves
    assert [c.learning_rate for c in lr] == [0.1, 1.0, 10.0, 100.0] and {c.batch_size for c in lr} == {64}
    assert {(c.optimizer, c.batch_size, c.learning_rate) for c in FIGURES["bs"].curves} == {
        ("adam", 16, 1.0), ("adam", 1024, 10.0), ("sgd", 16, 1.0), ("sgd", 1024, 10.0)}
    assert {(c.optimizer, c.batch_size, c.learning_rate) for c in FIGURES["adam"].curves} == {
        ("sgd", 256, None), ("adam", 256, None)}
    assert TUNING_RATES == (0.1, 1.0, 10.0, 100.0)
    assert {(c.optimizer, c.layernorm, c.batch_size, c.learning_rate) for c in FIGURES["ln"].curves} == {
        (o, ln, 1024, 1.0) for o in ("sgd", "adam") for ln in (False, True)}
    assert {(c.learnable, c.optimizer, c.batch_size, c.learning_rate) for c in FIGURES["embeddings"].curves} == {
        (False, "sgd", 16, 1.0), (True, "sgd", 16, 1.0)}


def test_dataset_and_plot_as_the_paper_draws_it(runs):
    ds = runs["bs"]
    assert ds["error"].dims == ("d", "seed", "curve") and ds.sizes["seed"] == SEEDS
    assert list(ds["curve"].values) == [c.label for c in FIGURES["bs"].curves]
    assert int(ds["T"]) == 1024 and float(ds["data_floor"]) == pytest.approx(data_floor(1024, 100, 2.0, 5))
    assert ds.attrs["figure"] == "bs"
    for var in ds.data_vars.values():
        assert var.attrs.get("long_name") and "units" in var.attrs
        assert not np.any(np.isnan(var.values))
    fig = plot_dataset(ds)
    assert len(fig.axes) == 2                                   # Adam rows and SGD rows, as small multiples
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        labels = [line.get_label() for line in ax.get_lines()]
        # the trained curves, the two explicit schemes and the dotted floor; no slope lines
        assert sum(label.startswith("scheme") for label in labels) == 2
        floor = [line for line in ax.get_lines() if line.get_label().startswith("data floor")]
        assert len(floor) == 1 and floor[0].get_linestyle() == ":"
        assert floor[0].get_ydata()[0] == pytest.approx(float(ds["data_floor"]))
        assert len(labels) == 2 + 2 + 1
        assert len(ax.collections) == 4                          # one ± 0.5 std band per curve and scheme
    # the band is mean ± 0.5 std over seeds (population std)
    ax = fig.axes[0]
    err = ds["error"].sel(curve="Adam, B = 16, γ = 1")
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    expected = np.concatenate([err.mean("seed") - 0.5 * err.std("seed"), err.mean("seed") + 0.5 * err.std("seed")])
    assert np.allclose(np.sort(np.unique(np.round(band, 12)))[[0, -1]], [expected.min(), expected.max()])
    many = plot_figures([runs[fig] for fig in FIGURES])
    assert sum(ax.get_visible() for ax in many.axes) == 6   # lr, bs x 2, adam, ln, embeddings


# --------------------------------------------------------------------------- the paper's claims (a)-(e)


def test_a_larger_steps_store_more(runs):
    """(a) lr figure: at fixed T the error decreases with the SGD step γ at every d >= 50."""
    ds = runs["lr"]
    means = np.array([_mean(ds, f"γ = {g:g}").values for g in TUNING_RATES])   # (γ, d)
    assert np.all(np.diff(means, axis=0) < 0)


def test_b_smaller_batches_store_more(runs):
    """(b) bs figure: B = 16 (γ = 1) below B = 1024 (γ = 10) at every d, for Adam and for SGD."""
    ds = runs["bs"]
    for opt in ("Adam", "SGD"):
        assert np.all(_mean(ds, f"{opt}, B = 16, γ = 1") < _mean(ds, f"{opt}, B = 1024, γ = 10")), opt


def test_c_tuned_adam_beats_tuned_sgd_and_reaches_the_floor(runs):
    """(c) adam figure: tuned Adam below tuned SGD for d >= 50 and within 1.5x the floor at d = 500."""
    ds = runs["adam"]
    adam, sgd = _mean(ds, "Adam, tuned γ"), _mean(ds, "SGD, tuned γ")
    big = ds["d"] >= 50
    assert np.all(adam.where(big, drop=True) < sgd.where(big, drop=True))
    assert float(adam.sel(d=500)) <= 1.5 * float(ds["data_floor"])
    # the tuned rate: SGD takes the largest step (100) at every d >= 50, as in the authors' data
    assert np.all(ds["learning_rate"].sel(curve="SGD, tuned γ", d=[50, 100, 500]) == 100.0)


def test_d_layernorm_helps_adam(runs):
    """(d) ln figure: LayerNorm lowers Adam's error at every d >= 100."""
    ds = runs["ln"]
    assert np.all(_mean(ds, "Adam + LN") < _mean(ds, "Adam"))


def test_e_learned_embeddings_reach_the_floor(runs):
    """(e) embeddings figure: with E, U and W learned the error is within 2x the floor at every d."""
    ds = runs["embeddings"]
    learned = _mean(ds, "E, U and W learned")
    assert np.all(learned <= 2 * float(ds["data_floor"]))
    assert np.all(learned < 0.5 * _mean(ds, "W learned (E, U fixed)"))
    # ... and no memory learned from T samples beats the floor on average by more than the seed spread
    for curve in ds["curve"].values:
        err = ds["error"].sel(curve=curve)
        se = err.std("seed", ddof=1) / math.sqrt(SEEDS)
        assert np.all(err.mean("seed") >= float(ds["data_floor"]) - 3 * se), curve


def test_f_means_match_the_authors_data(runs):
    """(f) seven cells: |package - reference| <= 3 combined standard errors."""
    for (fig, curve, d), (ref_mean, ref_sd) in REFERENCE.items():
        err = runs[fig]["error"].sel(curve=curve, d=d)
        mean, sd = float(err.mean("seed")), float(err.std("seed", ddof=1))
        combined = math.sqrt(ref_sd**2 / REFERENCE_SEEDS + sd**2 / SEEDS)
        assert abs(mean - ref_mean) <= 3 * combined, (fig, curve, d, mean, ref_mean, combined)


def test_g_tuned_adam_decays_faster_than_tuned_sgd(runs):
    """(g) exponents only as an ordering, over points >= 3x the floor (reference: about 1.0 against 0.43)."""
    ds = runs["adam"]
    exponent = ds["tuned_exponent"]
    assert float(exponent.sel(curve="Adam, tuned γ")) > float(exponent.sel(curve="SGD, tuned γ")) + 0.2
    # the fit leaves out the points near the floor
    d = np.array([10.0, 100.0, 1000.0])
    assert tuned_exponent(d, [0.1, 0.01, 0.0015], 0.001) == pytest.approx(1.0)
    assert math.isnan(tuned_exponent(d, [0.1, 0.002, 0.0015], 0.001))


def test_q_gamma_approximation_where_it_holds_and_where_it_fails(runs):
    """The effective SGD scheme q_gamma: within 1.5x of trained SGD at d = 200 for gamma/B <= 0.04, and far
    above it for gamma/B = 1.6 at d = 50, where real training corrects the interference."""
    ds = runs["lr"]
    assert list(ds["approximation"].values) == [f"γ = {g:g}" for g in TUNING_RATES]
    approx = ds["approximation_error"].mean("seed")
    for g in (0.1, 1.0):
        ratio = float(approx.sel(approximation=f"γ = {g:g}", d=200)) / float(_mean(ds, f"γ = {g:g}").sel(d=200))
        assert 1 / 1.5 <= ratio <= 1.5, (g, ratio)
    assert float(approx.sel(approximation="γ = 100", d=50)) > 3 * float(_mean(ds, "γ = 100").sel(d=50))
    lines = [line.get_label() for line in plot_dataset(ds).axes[0].get_lines()]
    assert not any(label.startswith("q_γ") for label in lines)          # drawn only on request
    lines = [line.get_label() for line in plot_figure(ds, approximations=True).axes[0].get_lines()]
    assert sum(label.startswith("q_γ approximation") for label in lines) == 4


# --------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize("params, match", [
    ({"fig": "lrs"}, "fig must be one of"),
    ({"fig": ["lr", "bs"]}, "fig must be one figure name"),
    ({"n_tokens": [50, 100]}, "n_tokens must be one value"),
    ({"class_vectors": "unitary"}, "class_vectors must be one of"),
    ({"embeddings": "shared"}, "embeddings must be one of"),
    ({"d": [0, 10]}, "d must be >= 1"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        run_experiment("scaling-figure", params, progress=False)
