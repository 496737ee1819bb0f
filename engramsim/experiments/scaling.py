"""Registered experiments of Cabannes, Dohmatob & Bietti's scaling laws for associative memories.

* ``scaling-dimension``: population error against the embedding dimension d,
  per memory scheme (``uniform`` q = 1, ``frequency`` q = p, ``threshold``
  q = 1{x <= d/8}), with infinite data by default;
* ``scaling-samples``: error against the number of samples T, per scheme,
  at a fixed (large) d, beside the exact unseen-token mass;
* ``scaling-optimizers``: memories learned by cross-entropy with SGD or Adam
  (betas (0, 0), lr/d) over learning rate x batch size x d (the paper's five
  optimizer figures are the presets of ``scaling-figure``, in
  :mod:`engramsim.experiments.scaling_figures`).

Every Dataset has ``d`` and ``T`` as coordinates (``T = inf`` is infinite
data) and the measured ``error`` per seed.  The scheme experiments add the
fitted decay exponent ``fitted_exponent`` (minus the least-squares log-log
slope of the seed-mean error along the swept axis) and the theory exponent
``theory_exponent`` beside it; ``scaling-optimizers`` adds the exact data
floor and no exponents (the paper's optimizer claims are comparative, and it
draws no slope on those figures).  See ``docs/models/scaling_laws.md``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments import theory
from engramsim.experiments.plotting import figure, seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.experiments.sweep import Metric
from engramsim.learning_rules.cross_entropy import OPTIMIZERS
from engramsim.networks.scaling import (
    CLASS_VECTORS,
    EMBEDDINGS,
    SCHEMES,
    OuterProductMemory,
    ZipfLaw,
    memory_weights,
    scheme_parameters,
)
from engramsim.sim.random import stream
from engramsim.sim.validation import check_choice, check_float, check_int

#: 20 log-spaced dimensions from 10 to 1000, as in the reference notebook (``gen_error_bigN``)
D_GRID = [int(v) for v in np.unique(np.logspace(1, 3, 20).astype(int))]
#: 13 log-spaced sample sizes from 10 to 10^4 (4 per decade)
T_GRID = [int(v) for v in np.unique(np.round(np.logspace(1, 4, 13)).astype(int))]
#: tokens counted as the head / tail in ``error_head`` / ``error_tail`` (reference: 30)
HEAD_TAIL = 30

COMMON: dict[str, Any] = {
    "n_tokens": 1000,
    "n_classes": 5,
    "alpha": 2.0,
    "threshold_ratio": 0.125,
    "embeddings": "nested",
}

SCHEME_METRICS = {
    "error": Metric("population error sum_x p(x) 1[f_hat(x) != f*(x)]"),
    "unseen_mass": Metric("probability mass of the tokens absent from the T samples (0 with infinite data)"),
    "n_stored": Metric("number of tokens with q(x) > 0"),
}

COORD_ATTRS = {
    "d": {"long_name": "embedding dimension d", "units": "1"},
    "T": {"long_name": "number of training samples T (inf: infinite data)", "units": "1"},
}


# --------------------------------------------------------------------------- checks
def _check_common(params: dict[str, Any]) -> None:
    for n in as_list(params["n_tokens"]):
        if isinstance(n, float) and math.isinf(n):
            raise ValueError("n_tokens must be finite in a simulation (the error sums over all N tokens); "
                             "the theory functions accept math.inf")
        check_int(n, "n_tokens", minimum=1)
    for m in as_list(params["n_classes"]):
        check_int(m, "n_classes", minimum=1)
    for a in as_list(params["alpha"]):
        check_float(a, "alpha", 0.0, strict_minimum=True)
    for d in as_list(params["d"]):
        check_int(d, "d", minimum=1)
    for t in as_list(params["T"]):
        if t is not None:
            check_int(t, "T", minimum=1)
    check_choice(params["embeddings"], "embeddings", EMBEDDINGS)


def check_schemes(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``scaling-dimension`` / ``scaling-samples`` before any work."""
    _check_common(params)
    for s in as_list(params["scheme"]):
        check_choice(s, "scheme", SCHEMES)
    for ratio in as_list(params["threshold_ratio"]):
        check_float(ratio, "threshold_ratio", 0.0, strict_minimum=True)
        for scheme in as_list(params["scheme"]):
            for d in as_list(params["d"]):
                _, top = scheme_parameters(scheme, d, ratio)
                for n in as_list(params["n_tokens"]):
                    if top is not None and top > n:
                        raise ValueError(f"the threshold cut-off P = floor(threshold_ratio * d) = {top} "
                                         f"(threshold_ratio={ratio}, d={d}) exceeds n_tokens = {n}")


def check_optimizers(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``scaling-optimizers`` before any work."""
    _check_common(params)
    check_choice(params["class_vectors"], "class_vectors", CLASS_VECTORS)
    for opt in as_list(params["optimizer"]):
        check_choice(opt, "optimizer", OPTIMIZERS)
    for lr in as_list(params["learning_rate"]):
        check_float(lr, "learning_rate", 0.0, strict_minimum=True)
    for t in as_list(params["T"]):
        if t is None:
            raise ValueError("T must be a number of samples for a trained memory, got None (infinite data)")
        for b in as_list(params["batch_size"]):
            b = check_int(b, "batch_size", minimum=1)
            if t % b:
                raise ValueError(f"T must be a multiple of batch_size: T={t}, batch_size={b}")


# --------------------------------------------------------------------------- points
def scheme_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Error of one memory scheme at one (d, T, seed) point.

    Embeddings come from the streams of ``seed`` (shared by all schemes and,
    with ``embeddings="nested"``, by all d); the T samples are the first T of
    the seed's ``"samples"`` stream (nested in T).
    """
    n, d = int(params["n_tokens"]), int(params["d"])
    law = ZipfLaw(n, float(params["alpha"]))
    p = law.probabilities
    rho, top = scheme_parameters(params["scheme"], d, float(params["threshold_ratio"]))
    if params["T"] is None:
        q = memory_weights(probabilities=p, rho=rho, top=top)
        unseen = 0.0
    else:
        counts = law.counts(int(params["T"]), stream(seed, "samples"))
        q = memory_weights(counts=counts, rho=rho, top=top)
        unseen = float(p[counts == 0].sum())
    mem = OuterProductMemory(n, int(params["n_classes"]), d, embeddings=params["embeddings"], seed=seed).store(q)
    return {"error": float(p[mem.mistakes()].sum()), "unseen_mass": unseen, "n_stored": int(np.count_nonzero(q))}


def training_samples(law: ZipfLaw, n_samples: int, seed: int, dim: int, embeddings: str) -> np.ndarray:
    """The T training tokens of one (d, seed): drawn afresh per d with independent embeddings.

    With ``embeddings="independent"`` the stream is named after d, as the
    reference grid script draws samples after embeddings whose shape depends
    on d; with ``"nested"`` all d share the seed's ``"samples"`` stream.
    """
    suffix = f"-d{int(dim)}" if embeddings == "independent" else ""
    return law.sample(n_samples, stream(seed, "samples" + suffix))


def optimizer_point(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Error of a memory learned by cross-entropy at one point (torch, one thread)."""
    n, d, t = int(params["n_tokens"]), int(params["d"]), int(params["T"])
    law = ZipfLaw(n, float(params["alpha"]))
    p = law.probabilities
    tokens = training_samples(law, t, seed, d, params["embeddings"])
    mem = OuterProductMemory(n, int(params["n_classes"]), d, embeddings=params["embeddings"],
                             class_vectors=params["class_vectors"], seed=seed)
    mem.fit(tokens, optimizer=params["optimizer"], learning_rate=float(params["learning_rate"]),
            batch_size=int(params["batch_size"]), learnable_embeddings=bool(params["learnable"]),
            layernorm=bool(params["layernorm"]), seed=seed, threads=1)
    wrong = mem.mistakes()
    seen = np.zeros(n, dtype=bool)
    seen[tokens] = True
    return {
        "error": float(p[wrong].sum()),
        "error_head": float(wrong[:HEAD_TAIL].mean()),
        "error_tail": float(wrong[-HEAD_TAIL:].mean()),
        "final_loss": float(mem.training.losses[-1]),
        "unseen_mass": float(p[~seen].sum()),
    }


# --------------------------------------------------------------------------- analysis
def fit_decay_exponent(x: Any, y: Any) -> float:
    """Minus the least-squares slope of ``log y`` against ``log x`` (points with y > 0 only).

    NaN when fewer than two points are usable.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if np.count_nonzero(ok) < 2 or np.ptp(np.log(x[ok])) == 0:
        return math.nan
    return float(-np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def fitted_exponent(error: xr.DataArray, axis: str) -> xr.DataArray:
    """``fit_decay_exponent`` of the seed-mean ``error`` along ``axis``, for every other coordinate."""
    mean = seed_mean(error)
    out = xr.apply_ufunc(fit_decay_exponent, mean[axis], mean, input_core_dims=[[axis], [axis]],
                         vectorize=True)
    out.attrs.update(long_name=f"fitted decay exponent: minus the log-log slope of the seed-mean error "
                               f"against {axis}", units="1")
    return out


def _exponent_or_nan(term: str | None, alpha: float) -> float:
    if term is None or not alpha > 1.0:
        return math.nan
    return float(theory.cabannes_exponent(term, alpha))


def _alpha(ds: xr.Dataset, params: dict[str, Any]) -> xr.DataArray:
    return ds["alpha"] if "alpha" in ds.dims else xr.DataArray(float(params["alpha"]))


def _scheme_term(scheme: str, axis: str) -> str | None:
    rho = SCHEMES[scheme][0]
    if axis == "d":
        return {"frequency": "frequency", "threshold": "threshold"}.get(scheme)
    return "data" if rho == 0.0 else None


def _add_coords(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    for name in ("d", "T"):
        if name not in ds.dims:
            value = params[name]
            ds = ds.assign_coords({name: np.inf if value is None else value})
        elif ds[name].dtype == object:  # T swept with None (infinite data) among its values
            ds = ds.assign_coords({name: [np.inf if v is None else float(v) for v in ds[name].values]})
        ds[name].attrs.update(COORD_ATTRS[name])
    return ds


def _finalize_schemes(ds: xr.Dataset, params: dict[str, Any], axis: str) -> xr.Dataset:
    ds = _add_coords(ds, params)
    ds["fitted_exponent"] = fitted_exponent(ds["error"], axis)
    alpha = _alpha(ds, params)
    terms = [_scheme_term(s, axis) for s in ds["scheme"].values]
    theory_exp = xr.concat(
        [xr.apply_ufunc(lambda a, t=t: _exponent_or_nan(t, a), alpha, vectorize=True) for t in terms],
        dim=ds["scheme"])
    ds["theory_exponent"] = theory_exp.assign_attrs(
        long_name="theory decay exponent: (alpha-1)/(2 alpha) for q = p, alpha-1 for thresholding (vs d), "
                  "1-1/alpha for the data term (vs T); NaN: no power law", units="1")
    t = ds["T"]
    n_tokens = ds["n_tokens"] if "n_tokens" in ds.dims else xr.DataArray(int(params["n_tokens"]))
    unseen = xr.apply_ufunc(
        lambda tt, n, a: 0.0 if not np.isfinite(tt) else float(theory.unseen_mass(int(tt), int(n), float(a))),
        t, n_tokens, alpha, vectorize=True)
    ds["theory_unseen_mass"] = unseen.assign_attrs(
        long_name="expected unseen-token mass sum_x p(x)(1-p(x))^T", units="1")
    ds.attrs.update(fit_axis=axis, reference="Cabannes, Dohmatob & Bietti, ICLR 2024, arXiv 2310.02984",
                    token_indexing="0-based index i is token x = i + 1; label f*(i) = i mod M")
    return ds


def finalize_dimension(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Coordinates d and T, fitted and theory exponents against d, unseen-mass theory."""
    return _finalize_schemes(ds, params, "d")


def finalize_samples(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Coordinates d and T, fitted and theory exponents against T, unseen-mass theory."""
    return _finalize_schemes(ds, params, "T")


def finalize_optimizers(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Coordinates d and T and the exact data floor ``(1 - 1/M) sum_x p(x)(1 - p(x))^T`` (no exponents)."""
    from engramsim.experiments.theory.scaling import data_floor

    ds = _add_coords(ds, params)

    def value(key: str) -> Any:
        return ds[key] if key in ds.dims else xr.DataArray(params[key])

    floor = xr.apply_ufunc(lambda t, n, a, m: data_floor(int(t), int(n), float(a), int(m)),
                           ds["T"], value("n_tokens"), value("alpha"), value("n_classes"), vectorize=True)
    ds["data_floor"] = floor.assign_attrs(long_name="exact data floor (1 - 1/M) sum_x p(x)(1 - p(x))^T",
                                          units="1")
    ds.attrs.update(reference="Cabannes, Dohmatob & Bietti, ICLR 2024, §4",
                    band="seed mean ± 0.5 standard deviation (ddof = 0)")
    return ds


# --------------------------------------------------------------------------- plots
def _slope_line(ax, x: np.ndarray, y: np.ndarray, exponent: float, color: str) -> None:
    """Dashed line of slope -exponent through the geometric mean of the positive points."""
    ok = (y > 0) & np.isfinite(y)
    if not np.isfinite(exponent) or ok.sum() < 2:
        return
    lx, ly = np.log(x[ok]), np.log(y[ok])
    xs = np.array([x[ok].min(), x[ok].max()], dtype=float)
    ax.plot(xs, np.exp(ly.mean() - exponent * (np.log(xs) - lx.mean())), "--", color=color, lw=1)


def _other_selections(da: xr.DataArray, keep: tuple[str, ...]) -> list[dict[str, Any]]:
    others = [d for d in da.dims if d not in keep and d != "seed"]
    if not others:
        return [{}]
    stacked = [dict(zip(others, values)) for values in
               np.array(np.meshgrid(*[da[o].values for o in others], indexing="ij"), dtype=object)
               .reshape(len(others), -1).T]
    return stacked[:6]


def _plot_curves(ax, ds: xr.Dataset, axis: str, group: str) -> None:
    styles = ["-", ":", "-.", (0, (5, 1))]
    error = ds["error"]
    for i, sel in enumerate(_other_selections(error, (axis, group))):
        for j, g in enumerate(ds[group].values):
            cur = error.sel({group: g, **sel})
            x, y = cur[axis].values.astype(float), seed_mean(cur).values
            fit = float(ds["fitted_exponent"].sel({group: g, **sel}))
            theo = ds["theory_exponent"].sel({group: g})
            theo = float(theo.sel({k: v for k, v in sel.items() if k in theo.dims}))
            note = "" if not sel else " " + ", ".join(f"{k}={v}" for k, v in sel.items())
            label = f"{g}{note}: fit {-fit:.2f}" + ("" if not np.isfinite(theo) else f", theory {-theo:.2f}")
            line, = ax.plot(x, np.where(y > 0, y, np.nan), marker="o", ms=3, ls=styles[(i if sel else j) % 4],
                            label=label)
            if "seed" in cur.dims and cur.sizes["seed"] > 1:  # the spread over seeds, as the optimizer figures
                from engramsim.experiments.scaling_plots import mean_band

                _, low, high = mean_band(cur.transpose(axis, "seed"))
                shown = y > 0
                ax.fill_between(x, np.where(shown & (low > 0), low, 0.1 * y), np.where(shown, high, np.nan),
                                color=line.get_color(), alpha=0.15, lw=0)
            _slope_line(ax, x, y, theo, line.get_color())
    ax.set(xscale="log", yscale="log", ylabel="error  sum_x p(x) 1[wrong]")
    if "seed" in error.dims and error.sizes["seed"] > 1:
        ax.text(0.99, 0.01, f"bands: mean +- 0.5 SD over {error.sizes['seed']} seeds", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=6)
    ax.legend(fontsize=6)


def _parameter(ds: xr.Dataset, name: str) -> Any:
    """A fixed parameter of the run, from the Dataset's ``parameters`` attribute."""
    return json.loads(ds.attrs.get("parameters", "{}"))[name]


def plot_dimension(ds: xr.Dataset):
    """Log-log error against d per scheme, with dashed theory slopes."""
    fig, (ax,) = figure(1, width=5.6, height=4.0)
    _plot_curves(ax, ds, "d", "scheme")
    if "T" in ds.dims:
        t_note = "T in legend"
    else:
        t_note = "T = inf" if np.isinf(float(ds["T"])) else f"T = {int(ds['T'])}"
    ax.set(xlabel="embedding dimension d", title=f"Error against d ({t_note}); dashed: theory slopes")
    return fig


def plot_samples(ds: xr.Dataset):
    """Log-log error against T per scheme, with theory slopes and the unseen-token floor."""
    fig, (ax,) = figure(1, width=5.6, height=4.0)
    _plot_curves(ax, ds, "T", "scheme")
    m = ds["n_classes"].values.ravel()[0] if "n_classes" in ds.dims else _parameter(ds, "n_classes")
    floor = ds["theory_unseen_mass"]
    floor = floor.isel({k: 0 for k in floor.dims if k != "T"})
    ax.plot(ds["T"].values, (1.0 - 1.0 / float(m)) * floor.values, "k:", lw=1,
            label="(1-1/M) x exact unseen mass")
    ax.legend(fontsize=6)
    ax.set(xlabel="number of samples T", title="Error against T; dashed: theory slopes")
    return fig


def plot_optimizers(ds: xr.Dataset):
    """Small multiples: a panel per (optimizer, batch size), a curve per learning rate, mean ± 0.5 std.

    Log-log, with the exact data floor dotted and no slope lines.
    """
    from matplotlib.figure import Figure

    from engramsim.experiments.scaling_plots import draw_band, draw_floor

    others = {k: ds[k].values[0] for k in ds["error"].dims
              if k not in ("optimizer", "batch_size", "learning_rate", "d", "seed")}
    note = "".join(f", {k} = {v}" for k, v in others.items())
    ds = ds.sel(others)
    optimizers, batches = ds["optimizer"].values, ds["batch_size"].values
    fig = Figure(figsize=(3.6 * len(batches), 3.4 * len(optimizers)), layout="constrained")
    axes = fig.subplots(len(optimizers), len(batches), squeeze=False, sharex=True, sharey=True)
    x = ds["d"].values.astype(float)
    for row, opt in zip(axes, optimizers):
        for ax, batch in zip(row, batches):
            for lr in ds["learning_rate"].values:
                draw_band(ax, x, ds["error"].sel(optimizer=opt, batch_size=batch, learning_rate=lr),
                          label=f"γ = {lr:g}")
            draw_floor(ax, float(ds["data_floor"]), label="data floor")
            ax.set(xscale="log", yscale="log", title=f"{opt}, B = {batch}")
            ax.title.set_fontsize(9)
    for ax in axes[-1]:
        ax.set_xlabel("embedding dimension d")
    for ax in axes[:, 0]:
        ax.set_ylabel("error")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"error against d, T = {int(ds['T'])}{note}, {ds.sizes['seed']} seeds, mean ± 0.5 std",
                 fontsize=10)
    return fig


# --------------------------------------------------------------------------- registration
DIMENSION = register(Experiment(
    name="scaling-dimension",
    description="Cabannes et al. scaling laws: error against embedding dimension d per memory scheme",
    point=scheme_point,
    defaults={"scheme": ["uniform", "frequency", "threshold"], "d": D_GRID, "T": None, **COMMON},
    metrics=SCHEME_METRICS, seeds=100,
    finalize=finalize_dimension, plot=plot_dimension, check=check_schemes, dims=("scheme", "d"),
))

SAMPLES = register(Experiment(
    name="scaling-samples",
    description="Cabannes et al. scaling laws: error against number of samples T per memory scheme",
    point=scheme_point,
    defaults={"scheme": ["uniform", "frequency", "threshold"], "T": T_GRID, "d": 1000, **COMMON},
    metrics=SCHEME_METRICS, seeds=40,
    finalize=finalize_samples, plot=plot_samples, check=check_schemes, dims=("scheme", "T"),
))

OPTIMIZER_DEFAULTS: dict[str, Any] = {
    "optimizer": ["sgd", "adam"],
    "learning_rate": [0.1, 1.0, 10.0, 100.0],
    "batch_size": [16, 64, 256, 1024],
    "d": [10, 20, 50, 100, 200],
    "T": 10240,
    "n_tokens": 100,
    "n_classes": 5,
    "alpha": 2.0,
    "learnable": False,
    "layernorm": False,
    "embeddings": "independent",
    "class_vectors": "gaussian",
}

OPTIMIZERS_EXPERIMENT = register(Experiment(
    name="scaling-optimizers",
    description="Cabannes et al.: memories learned by cross-entropy, SGD vs Adam(0,0) x lr x batch x d",
    point=optimizer_point,
    defaults=OPTIMIZER_DEFAULTS,
    metrics={
        "error": Metric("population error sum_x p(x) 1[f_hat(x) != f*(x)]"),
        "error_head": Metric(f"fraction of the {HEAD_TAIL} most frequent tokens recalled wrongly"),
        "error_tail": Metric(f"fraction of the {HEAD_TAIL} least frequent tokens recalled wrongly"),
        "final_loss": Metric("cross-entropy of the last mini-batch", "nat"),
        "unseen_mass": Metric("probability mass of the tokens absent from the T samples"),
    },
    seeds=2,
    finalize=finalize_optimizers, plot=plot_optimizers, check=check_optimizers,
    dims=("optimizer", "learning_rate", "batch_size", "d"),
))
