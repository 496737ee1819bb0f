"""Registered experiments: a name, defaults, a point function, metrics and a plot.

An experiment declares its parameters with default values.  A parameter
whose value is a list is swept (it becomes a dimension of the Dataset);
any other value is fixed.  :func:`run_experiment` merges user overrides into
the defaults, checks them, runs the sweep engine and lets the experiment add
its theory curves (``finalize``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import xarray as xr

from engramsim.experiments.sweep import Metric, PointFunction, run_sweep


@dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    Parameters
    ----------
    name
        Registry name, e.g. ``"hopfield-capacity"``.
    description
        One line shown by ``engramsim list``.
    point
        ``point(params, seed) -> {metric: value}`` (module level, so Dask can
        send it to workers).
    defaults
        Parameter -> default value (a list means "swept by default").
    metrics
        Metric name -> :class:`~engramsim.experiments.sweep.Metric`.
    seeds
        Default number of seeds.
    finalize
        ``finalize(ds, params) -> ds``: adds theory variables, coordinates
        and attributes to the assembled Dataset.
    plot
        ``plot(ds) -> matplotlib.figure.Figure``.
    check
        ``check(params)`` raises ``ValueError`` for impossible settings before
        any work starts.
    dims
        Parameters that are always dimensions of the Dataset, even when given
        one value (so that plots and theory can rely on them).
    """

    name: str
    description: str
    point: PointFunction
    defaults: Mapping[str, Any]
    metrics: Mapping[str, Metric]
    seeds: int = 1
    finalize: Callable[[xr.Dataset, dict[str, Any]], xr.Dataset] | None = None
    plot: Callable[[xr.Dataset], Any] | None = None
    check: Callable[[dict[str, Any]], None] | None = None
    dims: tuple[str, ...] = ()


_REGISTRY: dict[str, Experiment] = {}

#: modules whose import registers the built-in experiments
_BUILTIN_MODULES = (
    "engramsim.experiments.hopfield_capacity",
    "engramsim.experiments.dense_capacity",
    "engramsim.experiments.multitask_magnetization",
    "engramsim.experiments.scaling",
    "engramsim.experiments.dendrites",
    "engramsim.experiments.izhikevich",
    "engramsim.experiments.sparsey",
)


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry (its name must be new)."""
    if experiment.name in _REGISTRY and _REGISTRY[experiment.name] is not experiment:
        raise ValueError(f"an experiment called {experiment.name!r} is already registered")
    _REGISTRY[experiment.name] = experiment
    return experiment


def _load_builtins() -> None:
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def experiments() -> dict[str, Experiment]:
    """All registered experiments, by name."""
    _load_builtins()
    return dict(sorted(_REGISTRY.items()))


def get_experiment(name: str) -> Experiment:
    """Return the experiment called ``name``."""
    known = experiments()
    if name not in known:
        raise ValueError(f"unknown experiment {name!r}; known experiments: {', '.join(known)}")
    return known[name]


def resolve_parameters(experiment: Experiment, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge ``overrides`` into the defaults, rejecting unknown names and wrong types."""
    params = dict(experiment.defaults)
    for key, value in (overrides or {}).items():
        if key not in params:
            raise ValueError(
                f"unknown parameter {key!r} for experiment {experiment.name!r}; "
                f"parameters: {', '.join(sorted(params))}"
            )
        params[key] = value
    for key in experiment.dims:
        if not isinstance(params[key], (list, tuple)):
            params[key] = [params[key]]
    return params


def as_list(value: Any) -> list[Any]:
    """A parameter's values as a list (a scalar gives a one-element list)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def run_experiment(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    seeds: int | None = None,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> xr.Dataset:
    """Run a registered experiment and return its Dataset.

    Parameters
    ----------
    name
        Registered name (see :func:`experiments`).
    params
        Overrides of the defaults; a list value sweeps that parameter.
    seeds
        Number of seeds (default: the experiment's).
    out
        Path of the netCDF file the caller will write; finished points are
        kept in ``<out>.parts/`` so that a re-run resumes.
    workers, scheduler
        Run on a local Dask cluster of ``workers`` processes, or on the
        scheduler at ``scheduler``.
    progress
        Show a progress bar.
    """
    experiment = get_experiment(name)
    params = resolve_parameters(experiment, params)
    if experiment.check is not None:
        experiment.check(params)
    grid = {k: list(v) for k, v in params.items() if isinstance(v, (list, tuple))}
    fixed = {k: v for k, v in params.items() if k not in grid}
    ds = run_sweep(
        experiment.point, grid, experiment.seeds if seeds is None else seeds,
        metrics=experiment.metrics, fixed=fixed, name=name, out=out,
        workers=workers, scheduler=scheduler, progress=progress,
        attrs={"backend": str(params.get("backend", "n/a")),
               "description": experiment.description},
    )
    if experiment.finalize is not None:
        ds = experiment.finalize(ds, params)
    return ds
