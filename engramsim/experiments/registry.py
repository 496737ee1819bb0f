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

import numpy as np
import xarray as xr

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.experiments.sweep import (
    Metric,
    PointFunction,
    check_output,
    count_points,
    run_sweep,
    sweep_identity,
)
from engramsim.sim.validation import check_bool, check_choice, check_float, check_int


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
    parameters
        Parameter -> ``(meaning, unit)`` (unit ``"1"`` for a pure number,
        ``""`` for a name or a switch); shown by ``engramsim describe``.
    example
        An example command line (default: one built from the defaults).
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
    parameters: Mapping[str, tuple[str, str]] | None = None
    example: str | None = None


_REGISTRY: dict[str, Experiment] = {}

#: modules whose import registers the built-in experiments
_BUILTIN_MODULES = (
    "engramsim.experiments.hopfield_capacity",
    "engramsim.experiments.dense_capacity",
    "engramsim.experiments.multitask_magnetization",
    "engramsim.experiments.scaling",
    "engramsim.experiments.scaling_figures",
    "engramsim.experiments.dendrites",
    "engramsim.experiments.izhikevich",
    "engramsim.experiments.sparsey",
    "engramsim.experiments.reservoir",
    "engramsim.experiments.ca3",
    "engramsim.experiments.hlop",
)


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry (its name must be new)."""
    if experiment.name in _REGISTRY and _REGISTRY[experiment.name] is not experiment:
        raise ValidationError(f"an experiment called {experiment.name!r} is already registered")
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
    if not isinstance(name, str):
        raise ValidationTypeError(f"name must be an experiment name (str), got {type(name).__name__} {name!r}")
    if name not in known:
        raise ValidationError(f"unknown experiment {name!r}; known experiments: {', '.join(known)}")
    return known[name]


def _check_like(value: Any, default: Any, name: str) -> Any:
    """Check ``value`` against the type of the default value ``default``; return it converted.

    Booleans accept only real booleans; integers only integral values;
    floats only finite real numbers; strings only strings.  A default of
    ``None`` accepts any value (the experiment's ``check`` decides).
    """
    if default is None:
        return value
    if isinstance(default, (bool, np.bool_)):
        return check_bool(value, name)
    if isinstance(default, (int, np.integer)):
        return check_int(value, name)
    if isinstance(default, (float, np.floating)):
        return check_float(value, name)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValidationTypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
        return value
    return value


def _check_override(key: str, value: Any, default: Any) -> Any:
    like = default[0] if isinstance(default, (list, tuple)) and default else default
    if isinstance(value, (list, tuple, np.ndarray)):
        if isinstance(value, np.ndarray) and value.ndim != 1:
            raise ValidationError(f"{key} must be a value or a 1-D list of values, got an array of shape {value.shape}")
        if len(value) == 0:
            raise ValidationError(f"{key} must hold at least one value, got an empty list")
        return [_check_like(v.item() if isinstance(v, np.generic) else v, like, key) for v in value]
    if isinstance(value, (set, frozenset, dict)):
        raise ValidationTypeError(f"{key} must be a value or a list of values, got {type(value).__name__}")
    return _check_like(value, like, key)


def resolve_parameters(experiment: Experiment, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge ``overrides`` into the defaults, rejecting unknown names and wrong types.

    Each override (or each element of a list override) must have the type
    of the default: ``"false"`` is not a boolean, ``0.5`` not an integer.
    """
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValidationTypeError(f"params must be a mapping of parameter -> value, got {type(overrides).__name__}")
    params = dict(experiment.defaults)
    for key, value in (overrides or {}).items():
        if key not in params:
            raise ValidationError(
                f"unknown parameter {key!r} for experiment {experiment.name!r}; "
                f"parameters: {', '.join(sorted(params))}"
            )
        params[key] = _check_override(key, value, params[key])
        if key == "backend":  # every experiment's backend parameter means the same
            from engramsim.sim.backends import BACKEND_NAMES

            for i, v in enumerate(as_list(params[key])):
                check_choice(v, "backend" if not isinstance(params[key], list) else f"backend[{i}]", BACKEND_NAMES)
    for key in experiment.dims:
        if not isinstance(params[key], (list, tuple)):
            params[key] = [params[key]]
    return params


def as_list(value: Any) -> list[Any]:
    """A parameter's values as a list (a scalar gives a one-element list)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def plan_experiment(
    name: str, params: Mapping[str, Any] | None = None, seeds: Any = None,
) -> tuple[Experiment, dict[str, Any], dict[str, list[Any]], dict[str, Any], Any]:
    """Check a run of experiment ``name`` without running it.

    Returns the experiment, the resolved parameters, the grid, the fixed
    parameters and the seeds; raises :class:`~engramsim.errors.ValidationError`
    for unknown names, wrong types, impossible settings and sweeps past the
    ``max_points`` bound.
    """
    experiment = get_experiment(name)
    params = resolve_parameters(experiment, params)
    grid = {k: list(v) for k, v in params.items() if isinstance(v, (list, tuple))}
    fixed = {k: v for k, v in params.items() if k not in grid}
    seeds = experiment.seeds if seeds is None else seeds
    count_points(grid, seeds)
    if experiment.check is not None:
        experiment.check(params)
    return experiment, params, grid, fixed, seeds


def run_experiment(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    seeds: int | None = None,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> xr.Dataset:
    """Run a registered experiment and return its Dataset.

    Parameters
    ----------
    name
        Registered name (see :func:`experiments`).
    params
        Overrides of the defaults; a list value sweeps that parameter.  Each
        value must have the type of its default.
    seeds
        Number of seeds (default: the experiment's) or a list of distinct
        non-negative integer seeds.
    out
        Path of the netCDF file the caller will write (with
        :func:`~engramsim.experiments.sweep.write_dataset`); finished points
        are kept in ``<out>.parts/`` so that a re-run resumes.  Checked
        before anything runs: an existing file that is not a result of the
        same experiment, parameters, seeds and package version is refused
        unless ``force``; one that is, is returned as it is.
    workers, scheduler
        Run on a local Dask cluster of ``workers`` processes, or on the
        scheduler at ``scheduler``.
    progress
        Show a progress bar.
    force
        Allow replacing a file at ``out`` that is not this run's result.
    """
    force = check_bool(force, "force")
    progress = check_bool(progress, "progress")
    experiment, params, grid, fixed, seeds = plan_experiment(name, params, seeds)
    if out is not None:
        finished = check_output(out, sweep_identity(experiment.point, experiment.name, grid, fixed, seeds),
                                force=force)
        if finished is not None:
            total = int(finished.attrs.get("points_resumed", 0)) + int(finished.attrs.get("points_computed", 0))
            finished.attrs.update(points_resumed=total, points_computed=0)
            return finished
    ds = run_sweep(
        experiment.point, grid, seeds,
        metrics=experiment.metrics, fixed=fixed, name=experiment.name, out=out,
        workers=workers, scheduler=scheduler, progress=progress,
        attrs={"backend": str(params.get("backend", "n/a")),
               "description": experiment.description},
    )
    if experiment.finalize is not None:
        ds = experiment.finalize(ds, params)
    return ds
