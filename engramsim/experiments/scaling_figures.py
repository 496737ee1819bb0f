"""The five optimizer figures of Cabannes, Dohmatob & Bietti (ICLR 2024, §4), as presets.

``scaling-figure`` with ``fig`` one of ``lr``, ``bs``, ``adam``, ``ln``,
``embeddings`` runs the settings of the authors' figure files
``figures/{lr,bs,adam,ln,embeddings}.pdf`` (grid script and plotting
notebook of ``scaling_law/grid_experiments`` in VivienCabannes/memory-theory):

* N = 100 tokens, M = 5 classes, alpha = 2, label ``x mod M``;
* the matrix model: W learned by one pass of cross-entropy over T samples in
  T/B mini-batches, W0 ~ N(0, 1/d), E ~ N(0, I/d), U ~ N(0, I/d) fixed
  (``embeddings`` curve of the ``embeddings`` figure: E, U and W learned);
* embeddings and samples drawn afresh for every d;
* d in {10, 20, 50, 100, 200, 500, 1000}, 10 seeds.

Every curve of a figure is computed at each (d, seed) point on the same
embeddings and samples, so the comparisons within a figure are paired.
Beside the trained curves each point also stores two explicit memory schemes
built from the same T samples and embeddings, ``q = n(x)/T`` and ``q = 1`` on
the ``min(floor(d/8), N)`` most frequent observed tokens (labelled as schemes in the
plots; the paper draws no slope lines on these figures), the error of the
effective SGD scheme ``q_gamma`` (an approximation, §4.1) for every plain SGD
curve, and the Dataset carries the exact data floor
``(1 - 1/M) sum_x p(x)(1 - p(x))^T``.

See ``docs/models/scaling_laws.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import figure
from engramsim.experiments.registry import Experiment, register
from engramsim.experiments.scaling import fit_decay_exponent
from engramsim.experiments.scaling_plots import draw_band, draw_floor
from engramsim.experiments.sweep import Metric
from engramsim.experiments.theory.scaling import data_floor
from engramsim.networks.scaling import (
    CLASS_VECTORS,
    EMBEDDINGS,
    OuterProductMemory,
    ZipfLaw,
    memory_weights,
    scheme_parameters,
    sgd_effective_weights,
)
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

#: learning rates of the reference grid; a tuned curve takes the best of them per d and seed
TUNING_RATES = (0.1, 1.0, 10.0, 100.0)
#: the reference grid's dimensions
D_FIGURES = [10, 20, 50, 100, 200, 500, 1000]
#: explicit schemes stored beside the trained curves (name in ``SCHEMES`` of the model, label)
FIGURE_SCHEMES = (("frequency", "scheme q = n(x)/T"), ("threshold", "scheme q = 1 on top ⌊d/8⌋ seen"))
#: the cut-off ratio of the thresholding scheme (the reference theory notebook's 1/8)
THRESHOLD_RATIO = 0.125


@dataclass(frozen=True)
class Curve:
    """One trained curve of a figure.

    ``learning_rate`` None means tuned: the lowest error over
    :data:`TUNING_RATES` at each (d, seed), as the reference notebook's argmin.
    """

    label: str
    panel: str
    optimizer: str
    learning_rate: float | None
    batch_size: int
    layernorm: bool = False
    learnable: bool = False

    @property
    def approximated(self) -> bool:
        """Whether the effective SGD scheme q_gamma approximates this curve (plain SGD, W learned)."""
        return self.optimizer == "sgd" and not self.layernorm and not self.learnable


@dataclass(frozen=True)
class FigurePreset:
    """The settings of one of the paper's optimizer figures."""

    title: str
    n_samples: int
    curves: tuple[Curve, ...]

    @property
    def panels(self) -> list[str]:
        """Panel titles, in order of first appearance."""
        return list(dict.fromkeys(c.panel for c in self.curves))


_LR = "SGD, B = 64, T = 10240"
_BS_ADAM = "Adam(0, 0) rows (what the notebook plots)"
_BS_SGD = "SGD rows (what its title says)"
_ADAM = "B = 256, T = 10240, γ tuned per d and seed"
_LN = "γ = 1, B = 1024, T = 10240"
_EMB = "SGD, γ = 1, B = 16, T = 10240"

FIGURES: dict[str, FigurePreset] = {
    "lr": FigurePreset("learning rate (figures/lr)", 10240, tuple(
        Curve(f"γ = {g:g}", _LR, "sgd", g, 64) for g in TUNING_RATES)),
    "bs": FigurePreset("batch size at T = 1024 (figures/bs)", 1024, (
        Curve("Adam, B = 16, γ = 1", _BS_ADAM, "adam", 1.0, 16),
        Curve("Adam, B = 1024, γ = 10", _BS_ADAM, "adam", 10.0, 1024),
        Curve("SGD, B = 16, γ = 1", _BS_SGD, "sgd", 1.0, 16),
        Curve("SGD, B = 1024, γ = 10", _BS_SGD, "sgd", 10.0, 1024),
    )),
    "adam": FigurePreset("SGD against Adam(0, 0), tuned (figures/adam)", 10240, (
        Curve("SGD, tuned γ", _ADAM, "sgd", None, 256),
        Curve("Adam, tuned γ", _ADAM, "adam", None, 256),
    )),
    "ln": FigurePreset("LayerNorm (figures/ln)", 10240, (
        Curve("SGD", _LN, "sgd", 1.0, 1024),
        Curve("SGD + LN", _LN, "sgd", 1.0, 1024, layernorm=True),
        Curve("Adam", _LN, "adam", 1.0, 1024),
        Curve("Adam + LN", _LN, "adam", 1.0, 1024, layernorm=True),
    )),
    "embeddings": FigurePreset("learned embeddings (figures/embeddings)", 10240, (
        Curve("W learned (E, U fixed)", _EMB, "sgd", 1.0, 16),
        Curve("E, U and W learned", _EMB, "sgd", 1.0, 16, learnable=True),
    )),
}

FIGURE_DEFAULTS: dict[str, Any] = {
    "fig": "lr",
    "d": D_FIGURES,
    "n_tokens": 100,
    "n_classes": 5,
    "alpha": 2.0,
    "embeddings": "independent",
    "class_vectors": "gaussian",
}

FIGURE_METRICS = {
    "error": Metric("population error sum_x p(x) 1[f_hat(x) != f*(x)] of the trained memory", dims=("curve",)),
    "learning_rate": Metric("learning rate used (tuned curves: the best of 0.1, 1, 10, 100)", dims=("curve",)),
    "scheme_error": Metric("population error of an explicit memory scheme built from the same samples",
                           dims=("scheme",)),
    "approximation_error": Metric("population error of the effective SGD scheme q_gamma (an approximation) "
                                  "at the curve's learning rate and batch size", dims=("approximation",)),
    "unseen_mass": Metric("probability mass of the tokens absent from the T samples"),
}


def check_figure(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``scaling-figure`` before any work."""
    fig = params["fig"]
    if isinstance(fig, (list, tuple)):
        raise ValueError(f"fig must be one figure name from {tuple(FIGURES)} (run the figures one at a time; "
                         f"their curves differ), got the list {list(fig)}")
    check_choice(fig, "fig", FIGURES)
    for key in ("n_tokens", "n_classes", "alpha", "embeddings", "class_vectors"):
        if isinstance(params[key], (list, tuple)):
            raise ValueError(f"{key} must be one value in scaling-figure (only d is swept), got {params[key]}")
    check_int(params["n_tokens"], "n_tokens", minimum=1)
    check_int(params["n_classes"], "n_classes", minimum=1)
    check_float(params["alpha"], "alpha", 0.0, strict_minimum=True)
    check_choice(params["embeddings"], "embeddings", EMBEDDINGS)
    check_choice(params["class_vectors"], "class_vectors", CLASS_VECTORS)
    for d in params["d"]:
        check_int(d, "d", minimum=1)


def _train_error(mem: OuterProductMemory, tokens: np.ndarray, p: np.ndarray, curve: Curve, lr: float,
                 seed: int) -> float:
    mem.fit(tokens, optimizer=curve.optimizer, learning_rate=lr, batch_size=curve.batch_size,
            learnable_embeddings=curve.learnable, layernorm=curve.layernorm, seed=seed, threads=1)
    return float(p[mem.mistakes()].sum())


def figure_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Every curve and scheme of one figure at one (d, seed): same embeddings and samples for all.

    With ``embeddings="independent"`` the embeddings and the samples come from
    streams named after d (fresh draws per d, as the reference script);
    with ``"nested"``, from one stream per seed.
    """
    preset = FIGURES[params["fig"]]
    n, m, d = int(params["n_tokens"]), int(params["n_classes"]), int(params["d"])
    law = ZipfLaw(n, float(params["alpha"]))
    p = law.probabilities
    suffix = f"-d{d}" if params["embeddings"] == "independent" else ""
    tokens = law.sample(preset.n_samples, stream(seed, "samples" + suffix))

    def memory() -> OuterProductMemory:  # fit replaces W (and learned embeddings): a fresh one per training
        return OuterProductMemory(n, m, d, embeddings=params["embeddings"],
                                  class_vectors=params["class_vectors"], seed=seed)

    errors, rates = [], []
    for curve in preset.curves:
        if curve.learning_rate is None:
            tried = [_train_error(memory(), tokens, p, curve, lr, seed) for lr in TUNING_RATES]
            best = int(np.argmin(tried))  # ties to the smaller rate
            errors.append(tried[best])
            rates.append(TUNING_RATES[best])
        else:
            errors.append(_train_error(memory(), tokens, p, curve, curve.learning_rate, seed))
            rates.append(curve.learning_rate)
    counts = np.bincount(tokens, minlength=n)
    mem = memory()
    scheme_errors = []
    for scheme, _ in FIGURE_SCHEMES:
        rho, top = scheme_parameters(scheme, d, THRESHOLD_RATIO)
        top = None if top is None else min(top, n)  # floor(d/8) >= N keeps every seen token
        mem.store(memory_weights(counts=counts, rho=rho, top=top))
        scheme_errors.append(float(p[mem.mistakes()].sum()))
    approximations = []
    for curve, rate in zip(preset.curves, rates):
        if curve.approximated:
            mem.store(sgd_effective_weights(tokens, n, m, rate, curve.batch_size))
            approximations.append(float(p[mem.mistakes()].sum()))
    return {"error": np.array(errors), "learning_rate": np.array(rates),
            "scheme_error": np.array(scheme_errors), "approximation_error": np.array(approximations),
            "unseen_mass": float(p[counts == 0].sum())}


def tuned_exponent(d: Any, error: Any, floor: float) -> float:
    """Minus the log-log slope of the mean ``error`` against ``d``, over the points at least 3x ``floor``.

    Near the data floor the curve flattens whatever the optimizer; only the
    decay before it says anything about the rate.  NaN with fewer than two
    such points.
    """
    d = np.asarray(d, dtype=np.float64)
    error = np.asarray(error, dtype=np.float64)
    keep = error >= 3.0 * floor
    if np.count_nonzero(keep) < 2:
        return math.nan
    return fit_decay_exponent(d[keep], error[keep])


def finalize_figure(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Curve and scheme names as coordinates, the panel of each curve, T, the exact data floor.

    For the ``adam`` figure (tuned curves), ``tuned_exponent`` is added: the
    decay exponent over the points at least three times the floor.
    """
    preset = FIGURES[params["fig"]]
    ds = ds.assign_coords(curve=[c.label for c in preset.curves],
                          scheme=[label for _, label in FIGURE_SCHEMES],
                          approximation=[c.label for c in preset.curves if c.approximated])
    ds = ds.assign_coords(panel=("curve", [c.panel for c in preset.curves]),
                          optimizer=("curve", [c.optimizer for c in preset.curves]),
                          batch_size=("curve", [c.batch_size for c in preset.curves]),
                          layernorm=("curve", [c.layernorm for c in preset.curves]),
                          learnable=("curve", [c.learnable for c in preset.curves]),
                          T=preset.n_samples)
    ds["d"].attrs.update(long_name="embedding dimension d", units="1")
    ds["T"].attrs.update(long_name="number of training samples T", units="1")
    floor = data_floor(preset.n_samples, int(params["n_tokens"]), float(params["alpha"]), int(params["n_classes"]))
    ds["data_floor"] = xr.DataArray(floor, attrs={
        "long_name": "exact data floor (1 - 1/M) sum_x p(x)(1 - p(x))^T", "units": "1"})
    if any(c.learning_rate is None for c in preset.curves):
        mean = ds["error"].mean("seed")
        ds["tuned_exponent"] = xr.DataArray(
            [tuned_exponent(ds["d"].values, mean.sel(curve=c).values, floor) for c in ds["curve"].values],
            dims=("curve",), attrs={"long_name": "minus the log-log slope of the seed-mean error against d, "
                                                 "over points >= 3 x the data floor", "units": "1"})
    ds.attrs.update(figure=params["fig"], figure_title=preset.title,
                    reference="Cabannes, Dohmatob & Bietti, ICLR 2024, §4; figures/"
                              f"{params['fig']}.pdf of VivienCabannes/memory-theory",
                    band="seed mean ± 0.5 standard deviation (ddof = 0)")
    return ds


def _draw_panel(ax: Any, ds: xr.Dataset, panel: str, *, schemes: bool = True, approximations: bool = True,
                legend: bool = True) -> None:
    x = ds["d"].values.astype(float)
    approximated = set(ds["approximation"].values) if "approximation" in ds.coords else set()
    for curve in ds["curve"].values[ds["panel"].values == panel]:
        line = draw_band(ax, x, ds["error"].sel(curve=curve), label=str(curve))
        if approximations and curve in approximated:
            mean = ds["approximation_error"].sel(approximation=curve).mean("seed").values
            ax.plot(x, np.where(mean > 0, mean, np.nan), ls=(0, (2, 2)), lw=1.1, color=line.get_color(),
                    label=f"q_γ approximation ({curve})")
    if schemes:
        for scheme, style in zip(ds["scheme"].values, ("--", "-.")):
            draw_band(ax, x, ds["scheme_error"].sel(scheme=scheme), label=str(scheme), color="0.45",
                      marker="", linestyle=style)
    draw_floor(ax, float(ds["data_floor"]))
    ax.set(xscale="log", yscale="log", xlabel="embedding dimension d", title=panel)
    ax.title.set_fontsize(9)
    if legend:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)


def plot_figure(ds: xr.Dataset, *, schemes: bool = True, approximations: bool = False):
    """One figure of the paper: a panel per curve group, log-log, mean ± 0.5 std, dotted data floor.

    ``schemes`` also draws the two explicit schemes (grey) built from the same
    samples; ``approximations`` the seed mean of the effective SGD scheme
    ``q_gamma`` of each plain SGD curve (dashed, in the curve's colour).
    """
    panels = list(dict.fromkeys(ds["panel"].values))
    fig, axes = figure(len(panels), width=4.8, height=4.6 + 0.5 * approximations)
    for ax, panel in zip(axes, panels):
        _draw_panel(ax, ds, str(panel), schemes=schemes, approximations=approximations)
    axes[0].set_ylabel("error  Σ p(x) 1[wrong]")
    if len(panels) > 1:
        lows = [a.get_ylim()[0] for a in axes]
        highs = [a.get_ylim()[1] for a in axes]
        for ax in axes:
            ax.set_ylim(min(lows), max(highs))
    seeds = ds.sizes["seed"]
    fig.suptitle(f"{ds.attrs.get('figure_title', '')}\nN = {_parameter(ds, 'n_tokens')}, "
                 f"T = {int(ds['T'])}, {seeds} seeds, mean ± 0.5 std", fontsize=10)
    return fig


def plot_figures(datasets: Sequence[xr.Dataset], *, schemes: bool = True, approximations: bool = False,
                 columns: int = 3):
    """Small multiples: every panel of several figure Datasets in one grid (shared y range)."""
    from matplotlib.figure import Figure

    items = [(ds, str(panel)) for ds in datasets for panel in dict.fromkeys(ds["panel"].values)]
    if not items:
        raise ValueError("datasets must hold at least one scaling-figure Dataset")
    rows = math.ceil(len(items) / columns)
    fig = Figure(figsize=(4.4 * columns, 4.6 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    for ax, (ds, panel) in zip(axes, items):
        _draw_panel(ax, ds, panel, schemes=schemes, approximations=approximations)
        ax.set_title(f"{ds.attrs.get('figure', '')}: {panel}", fontsize=8)
    for ax in axes[len(items):]:
        ax.set_visible(False)
    for ax in axes[::columns]:
        ax.set_ylabel("error  Σ p(x) 1[wrong]")
    return fig


def _parameter(ds: xr.Dataset, name: str) -> Any:
    return json.loads(ds.attrs.get("parameters", "{}")).get(name, "?")


FIGURE_EXPERIMENT = register(Experiment(
    name="scaling-figure",
    description="Cabannes et al. §4: the paper's optimizer figures, fig = lr | bs | adam | ln | embeddings",
    point=figure_point,
    defaults=FIGURE_DEFAULTS,
    metrics=FIGURE_METRICS,
    seeds=10,
    finalize=finalize_figure, plot=plot_figure, check=check_figure, dims=("d",),
))
